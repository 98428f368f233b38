using System.Reflection;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// Which tapes record their layer instance: an instance <c>[Forward]</c> of a class does; a static helper has no
/// instance and a struct layer would be boxed (an allocation per step), so neither does. A self call has its own call
/// tape, recorded by (and checked against) the same instance.
/// </summary>
public class InstanceCheckTests
{
    private const string Source = """
        using LayerGen;

        namespace Checks;

        public static partial class Blocks
        {
            [Forward] public static Matrix<double> Act(Matrix<double> x) => Ops.Tanh(x);
        }

        public partial class Net
        {
            public Matrix<double> W = Matrix<double>.RandomNormal(3, 3, 1, 0, 0.5);

            [Forward] public Matrix<double> Encode(Matrix<double> x) => x * W;

            [Forward] public Matrix<double> Forward(Matrix<double> x) => Blocks.Act(Encode(x));
        }

        public partial struct Affine
        {
            public Matrix<double> W;

            [Forward] public Matrix<double> Forward(Matrix<double> x) => x * W;
        }
        """;

    private const string Check = """
        using System;
        using LayerGen;
        using Checks;

        public static class Check
        {
            public static string SelfCallOnAnotherInstance()
            {
                var a = new Net();
                var tape = new Net.Tape();
                a.Forward(Matrix<double>.RandomNormal(2, 3, 2), tape);
                a.Backward(tape, Matrix<double>.RandomNormal(2, 3, 3), new Net.Gradients(a)); // fine
                var b = new Net();
                try
                {
                    b.Backward(tape, Matrix<double>.RandomNormal(2, 3, 3), new Net.Gradients(b));
                    return "no exception";
                }
                catch (InvalidOperationException e)
                {
                    return e.Message;
                }
            }
        }
        """;

    [Fact]
    public void Only_instance_methods_of_classes_record_the_layer()
    {
        var assembly = TestCompiler.Load(Source, Check);
        FieldInfo? Layer(string tape) => assembly.GetType(tape, throwOnError: true)!.GetField("_layer", BindingFlags.Instance | BindingFlags.NonPublic);
        Assert.Equal("Checks.Net", Layer("Checks.Net+Tape")?.FieldType.FullName);
        Assert.Equal("Checks.Net", Layer("Checks.Net+EncodeTape")?.FieldType.FullName);
        Assert.Null(Layer("Checks.Blocks+ActTape"));
        Assert.Null(Layer("Checks.Affine+Tape"));
    }

    [Fact]
    public void A_layer_with_a_self_call_refuses_another_instance_before_its_callees_run()
    {
        var assembly = TestCompiler.Load(Source, Check);
        Assert.Equal("Backward: this tape was recorded by a different Net instance; use one tape per layer instance",
            (string)TestCompiler.Invoke(assembly, "Check", "SelfCallOnAnotherInstance")!);
    }
}
