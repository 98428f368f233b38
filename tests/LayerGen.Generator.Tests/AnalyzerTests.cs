using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace LayerGen.Generator.Tests;

/// <summary>
/// <see cref="ForwardAnalyzer"/>: each LG0001..LG0007 fires on the code it describes (markup <c>{|LG000x:…|}</c>
/// marks the exact span) and stays silent on the corrected code. The generator is not run here, so the sources
/// call no generated member.
/// </summary>
public sealed class AnalyzerTests
{
    private const string Usings = "using System;\nusing System.Numerics;\nusing LayerGen;\n\n";

    // ------------------------------------------------------------------ LG0001 type not partial

    [Fact]
    public Task LG0001_NonPartialType() => Verify(Usings + """
        public class {|LG0001:Dense|}
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x) => x * W;
        }
        """);

    [Fact]
    public Task LG0001_PartialTypeNestedInNonPartialType() => Verify(Usings + """
        public class {|LG0001:Outer|}
        {
            public partial class Dense
            {
                public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * W;
            }
        }
        """);

    [Fact]
    public Task LG0001_NotReportedForPartialTypes() => Verify(Usings + """
        public partial class Outer
        {
            public partial class Dense
            {
                public Matrix<float> W = null!;

                [Forward]
                public Matrix<float> Forward(Matrix<float> x) => x * W;
            }
        }
        """);

    // ------------------------------------------------------------------ LG0002 unsupported construct

    [Fact]
    public Task LG0002_DoWhileLoopInForward() => Verify(Usings + """
        public partial class Deep
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x)
            {
                {|LG0002:do
                    x = x * W;
                while (x.Rows < 3);|}
                return x;
            }
        }
        """);

    [Fact]
    public Task LG0002_ForEachOverSomethingOtherThanASequence() => Verify(Usings + """
        public partial class Rows
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x, int[] steps)
            {
                {|LG0002:foreach (var step in steps)
                    x = x * W;|}
                return x;
            }
        }
        """);

    [Fact]
    public Task LG0002_ForLoopWithAStepOtherThanOne() => Verify(Usings + """
        public partial class Strided
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x)
            {
                {|LG0002:for (int i = 0; i < 6; i += 2)
                    x = x * W;|}
                return x;
            }
        }
        """);

    [Fact]
    public Task LG0002_SequenceElementOtherThanTheLoopVariable() => Verify(Usings + """
        public partial class Shifted
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(System.Collections.Generic.IReadOnlyList<Matrix<float>> xs, Matrix<float> h)
            {
                for (int t = 1; t < xs.Count; t++)
                    h = h * W + {|LG0002:xs[t - 1]|};
                return h;
            }
        }
        """);

    [Fact]
    public Task LG0002_SequenceElementOutsideALoop() => Verify(Usings + """
        public partial class First
        {
            [Forward]
            public Matrix<float> Forward(System.Collections.Generic.IReadOnlyList<Matrix<float>> xs) => {|LG0002:xs[0]|};
        }
        """);

    [Fact]
    public Task LG0002_ReturnInsideALoop() => Verify(Usings + """
        public partial class Early
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x)
            {
                for (int t = 0; t < 3; t++)
                {
                    x = x * W;
                    {|LG0002:return x;|}
                }
                return x;
            }
        }
        """);

    [Fact]
    public Task LG0002_ElementIndexerInForward() => Verify(Usings + """
        public partial class Picker
        {
            [Forward]
            public float Forward(Matrix<float> x) => {|LG0002:x[0, 0]|};
        }
        """);

    [Fact]
    public Task LG0002_NotReportedForStraightLineCode() => Verify(Usings + """
        public partial class Straight
        {
            public Matrix<float> W = null!;
            public Matrix<float> B = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x)
            {
                var z = x * W + B;
                z = Ops.Relu(z);
                return Ops.Tanh(z);
            }
        }
        """);

    // ------------------------------------------------------------------ LG0003 no derivative

    [Fact]
    public Task LG0003_CallWithoutDerivative() => Verify(Usings + """
        public partial class Custom
        {
            public Matrix<float> W = null!;

            private static Matrix<float> Squash(Matrix<float> m) => m;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x) => {|LG0003:Squash(x * W)|};
        }
        """);

    [Fact]
    public Task LG0003_NotReportedForForwardHelpersAndConstants() => Verify(Usings + """
        public partial class Custom
        {
            public Matrix<float> W = null!;

            // A call on a constant (no differentiable argument) needs no derivative.
            private static int Width(int n) => n * 2;

            [Forward]
            public static Matrix<float> Squash(Matrix<float> m) => Ops.Tanh(m);

            [Forward]
            public Matrix<float> Forward(Matrix<float> x) => Ops.Scale(Squash(x * W), (float)Width(1));
        }
        """);

    // ------------------------------------------------------------------ LG0004 invalid forward signature

    [Fact]
    public Task LG0004_VoidReturn() => Verify(Usings + """
        public partial class Sink
        {
            [Forward]
            public void {|LG0004:Forward|}(Matrix<float> x) { }
        }
        """);

    [Fact]
    public Task LG0004_GenericMethod() => Verify(Usings + """
        public partial class G
        {
            [Forward]
            public Matrix<TElement> {|LG0004:Forward|}<TElement>(Matrix<TElement> x)
                where TElement : unmanaged, IFloatingPointIeee754<TElement> => Ops.Relu(x);
        }
        """);

    [Fact]
    public Task LG0004_RefParameter() => Verify(Usings + """
        public partial class R
        {
            [Forward]
            public Matrix<float> {|LG0004:Forward|}(ref Matrix<float> x) => Ops.Relu(x);
        }
        """);

    [Fact]
    public Task LG0004_NotReportedForMatrixScalarAndLabelParameters() => Verify(Usings + """
        public partial class Ok
        {
            public Matrix<float> W = null!;

            [Forward]
            public float Loss(Matrix<float> x, [NoGrad] Matrix<float> mask, int[] labels, float scale)
                => scale * Losses.SoftmaxCrossEntropy(Ops.Mul(x * W, mask), labels);
        }
        """);

    // ------------------------------------------------------------------ LG0005 input has no effect (warning)

    [Fact]
    public Task LG0005_UnusedDifferentiableInput() => Verify(Usings + """
        public partial class Ignores
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x, Matrix<float> {|LG0005:h|}) => x * W;
        }
        """);

    [Fact]
    public Task LG0005_NotReportedForNoGradOrUsedInputs() => Verify(Usings + """
        public partial class Uses
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x, Matrix<float> h, [NoGrad] Matrix<float> unused) => x * W + h;
        }
        """);

    // ------------------------------------------------------------------ LG0006 forward recursion

    [Fact]
    public Task LG0006_DirectRecursion() => Verify(Usings + """
        public partial class Loop
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x) => {|LG0006:Forward(x * W)|};
        }
        """);

    [Fact]
    public Task LG0006_MutualRecursion() => Verify(Usings + """
        public partial class PingPong
        {
            [Forward]
            public Matrix<float> Ping(Matrix<float> x) => {|LG0006:Pong(x)|};

            [Forward]
            public Matrix<float> Pong(Matrix<float> x) => {|LG0006:Ping(x)|};
        }
        """);

    [Fact]
    public Task LG0006_NotReportedForCallsIntoOtherForwards() => Verify(Usings + """
        public partial class Inner
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x) => Ops.Relu(x * W);
        }

        public partial class Outer
        {
            public Inner First = null!, Second = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x) => Second.Forward(First.Forward(x));
        }
        """);

    // ------------------------------------------------------------------ LG0007 unsupported element type

    [Fact]
    public Task LG0007_HalfElementType() => Verify(Usings + """
        public partial class HalfLayer
        {
            public Matrix<Half> W = null!;

            [Forward]
            public Matrix<Half> {|LG0007:Forward|}(Matrix<Half> x) => x * W;
        }
        """);

    [Fact]
    public Task LG0007_NotReportedForFloatDoubleAndGeneric() => Verify(Usings + """
        public partial class F
        {
            public Matrix<float> W = null!;
            [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W;
        }

        public partial class D
        {
            public Matrix<double> W = null!;
            [Forward] public Matrix<double> Forward(Matrix<double> x) => x * W;
        }

        public partial class G<TElement> where TElement : unmanaged, IFloatingPointIeee754<TElement>
        {
            public Matrix<TElement> W = null!;
            [Forward] public Matrix<TElement> Forward(Matrix<TElement> x) => x * W;
        }
        """);

    // ------------------------------------------------------------------ the shared test layers are clean

    [Theory]
    [InlineData("Dense.cs")]
    [InlineData("SoftmaxClassifier.cs")]
    [InlineData("Mlp.cs")]
    [InlineData("LayerNorm.cs")]
    [InlineData("GruCell.cs")]
    [InlineData("Attention.cs")]
    [InlineData("GenericDense.cs")]
    public Task TestLayers_HaveNoDiagnostics(string file) => Verify(TestSources.Load(file));

    // ------------------------------------------------------------------ descriptors

    [Fact]
    public void Descriptors_HaveIdsSeveritiesAndHelpLinks()
    {
        var analyzer = new ForwardAnalyzer();
        var byId = analyzer.SupportedDiagnostics.ToDictionary(d => d.Id);
        for (int i = 1; i <= 7; i++)
        {
            string id = $"LG{i:0000}";
            Assert.True(byId.TryGetValue(id, out var descriptor), $"{id} is not a supported diagnostic");
            Assert.Equal($"https://github.com/layergen/layergen/blob/main/docs/diagnostics/{id}.md", descriptor.HelpLinkUri);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString()));
            Assert.False(string.IsNullOrWhiteSpace(descriptor.MessageFormat.ToString()));
            Assert.Equal(id == "LG0005" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, descriptor.DefaultSeverity);
        }
        Assert.Same(DiagnosticDescriptors.TypeNotPartial, byId["LG0001"]);
        Assert.Same(DiagnosticDescriptors.UnsupportedConstruct, byId["LG0002"]);
        Assert.Same(DiagnosticDescriptors.NoDerivative, byId["LG0003"]);
        Assert.Same(DiagnosticDescriptors.InvalidForwardSignature, byId["LG0004"]);
        Assert.Same(DiagnosticDescriptors.InputHasNoEffect, byId["LG0005"]);
        Assert.Same(DiagnosticDescriptors.ForwardRecursion, byId["LG0006"]);
        Assert.Same(DiagnosticDescriptors.UnsupportedElementType, byId["LG0007"]);
    }

    [Fact]
    public async Task Messages_NameTheUsersSymbols()
    {
        // Key message arguments only (not the exact wording): the type, the method and the input by their source names.
        var lg0001 = await DiagnosticsOf(Usings + "public class Dense { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x) => x * W; }");
        Assert.Contains("Dense", Assert.Single(lg0001, d => d.Id == "LG0001").GetMessage());
        var lg0005 = await DiagnosticsOf(Usings + "public partial class L { public Matrix<float> W = null!; [Forward] public Matrix<float> Forward(Matrix<float> x, Matrix<float> hidden) => x * W; }");
        Assert.Contains("hidden", Assert.Single(lg0005, d => d.Id == "LG0005").GetMessage());
        var lg0003 = await DiagnosticsOf(Usings + "public partial class L { static Matrix<float> Squash(Matrix<float> m) => m; [Forward] public Matrix<float> Forward(Matrix<float> x) => Squash(x); }");
        Assert.Contains("Squash", Assert.Single(lg0003, d => d.Id == "LG0003").GetMessage());
    }

    private static async Task<IReadOnlyList<Diagnostic>> DiagnosticsOf(string source)
    {
        var compilation = TestCompiler.RoslynFloor.Compile(source);
        var diagnostics = await compilation
            .WithAnalyzers([new ForwardAnalyzer()], (AnalyzerOptions?)null)
            .GetAnalyzerDiagnosticsAsync();
        return diagnostics;
    }

    private static Task Verify(string source)
    {
        var test = new CSharpAnalyzerTest<ForwardAnalyzer, DefaultVerifier>
        {
            TestCode = source,
            // No reference-assembly download at test time: the .NET 10 reference assemblies come from a package.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(TestCompiler.References);
        return test.RunAsync();
    }
}
