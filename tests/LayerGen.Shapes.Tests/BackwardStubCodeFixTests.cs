using LayerGen.CodeFixes;
using LayerGen.Generator;

namespace LayerGen.Shapes.Tests;

/// <summary>LG0008's code fix: a missing registered backward gets a stub with exactly the expected signature.</summary>
public class BackwardStubCodeFixTests
{
    [Fact]
    public async Task Writes_the_stub_after_the_op_with_the_ops_types_and_dResult()
    {
        const string source = """
            using LayerGen;

            public static class MyOps
            {
                [{|LG0008:Differentiable(Backward = "MishBackward")|}]
                public static Matrix<double> Mish(Matrix<double> x, [NoGrad] Matrix<double> mask, int k) => x;
            }
            """;
        const string fixedSource = """
            using LayerGen;

            public static class MyOps
            {
                [Differentiable(Backward = "MishBackward")]
                public static Matrix<double> Mish(Matrix<double> x, [NoGrad] Matrix<double> mask, int k) => x;

                public static Matrix<double> MishBackward(Matrix<double> x, Matrix<double> mask, int k, Matrix<double> dResult)
                {
                    throw new System.NotImplementedException("∂L/∂x of Mish, from dResult = ∂L/∂result");
                }
            }
            """;
        await VerifyFix<ForwardAnalyzer, AddBackwardStubCodeFix>.FixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Several_gradients_return_a_named_tuple_and_generic_ops_keep_their_constraints()
    {
        const string source = """
            using System.Numerics;
            using LayerGen;

            public static class MyOps
            {
                [{|LG0008:Differentiable(Backward = "ScaleBackward")|}]
                internal static Matrix<T> Scale<T>(Matrix<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T> => a;
            }
            """;
        const string fixedSource = """
            using System.Numerics;
            using LayerGen;

            public static class MyOps
            {
                [Differentiable(Backward = "ScaleBackward")]
                internal static Matrix<T> Scale<T>(Matrix<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T> => a;

                internal static (Matrix<T> dA, T dS) ScaleBackward<T>(Matrix<T> a, T s, Matrix<T> dResult)
                    where T : unmanaged, IFloatingPointIeee754<T>
                {
                    throw new System.NotImplementedException("∂L/∂a, ∂L/∂s of Scale, from dResult = ∂L/∂result");
                }
            }
            """;
        await VerifyFix<ForwardAnalyzer, AddBackwardStubCodeFix>.FixAsync(source, fixedSource);
    }

    [Fact]
    public async Task No_fix_when_the_backward_exists_but_does_not_fit()
    {
        const string source = """
            using LayerGen;

            public static class MyOps
            {
                [{|LG0008:Differentiable(Backward = nameof(MishBackward))|}]
                public static Matrix<double> Mish(Matrix<double> x) => x;

                public static double MishBackward(Matrix<double> x, Matrix<double> dResult) => 0;
            }
            """;
        await VerifyFix<ForwardAnalyzer, AddBackwardStubCodeFix>.FixAsync(source, source);
    }
}
