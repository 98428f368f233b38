using LayerGen.Generated.Tests.OpLayers;
using LayerGen.TestSupport;
using static LayerGen.TestSupport.LayerGradientCheck;

namespace LayerGen.Generated.Tests;

/// <summary>Every supported operation, one tiny generated layer each, against central differences in double.</summary>
public sealed class OpGradientTests
{
    [Fact] public void Add_RowBias() => Check(new AddRowBias(), [Normal(3, 4, 1)]);
    [Fact] public void Add_ColumnBias() => Check(new AddColumnBias(), [Normal(3, 4, 2)]);
    [Fact] public void Add_TwoInputs_SecondBroadcast() => Check(new AddTwoInputs(), [Normal(3, 4, 3), Normal(1, 4, 4)]);
    [Fact] public void Add_TwoInputs_FirstBroadcast() => Check(new AddTwoInputs(), [Normal(3, 1, 5), Normal(3, 4, 6)]);
    [Fact] public void Add_Scalar() => Check(new AddScalarField(), [Normal(3, 4, 7)]);
    [Fact] public void Sub_RowMinusMatrix() => Check(new SubFromRow(), [Normal(3, 4, 8)]);
    [Fact] public void Sub_TwoInputs() => Check(new SubTwoInputs(), [Normal(3, 4, 9), Normal(3, 4, 10)]);
    [Fact] public void Sub_TwoInputs_ScalarMatrixBroadcast() => Check(new SubTwoInputs(), [Normal(3, 4, 11), Normal(1, 1, 12)]);
    [Fact] public void Mul_SameShape() => Check(new MulSameShape(), [Normal(3, 4, 13)]);
    [Fact] public void Mul_RowBroadcast() => Check(new MulRowBroadcast(), [Normal(3, 4, 14)]);
    [Fact] public void Mul_InputWithItself() => Check(new MulSelf(), [Normal(3, 4, 15)]);
    [Fact] public void Div_TwoInputs() => Check(new DivTwoInputs(), [Normal(3, 4, 16), Positive(3, 4, 17)]);
    [Fact] public void Div_ColumnBroadcast() => Check(new DivColumnBroadcast(), [Normal(3, 4, 18)]);
    [Fact] public void Neg() => Check(new NegOp(), [Normal(3, 4, 19)]);
    [Fact] public void UnaryMinus_OfProduct() => Check(new UnaryMinus(), [Normal(3, 4, 20)]);
    [Fact] public void Scale_ByConstant() => Check(new ScaleByConstant(), [Normal(3, 4, 21)]);
    [Fact] public void Scale_Operators() => Check(new ScaleOperators(), [Normal(3, 4, 22)]);
    [Fact] public void Scale_ByScalarField() => Check(new ScaleByField(), [Normal(3, 4, 23)]);
    [Fact] public void Scale_ByScalarInput() => Check(new ScaleByScalarInput(), [Normal(3, 4, 24), 1.75]);

    [Fact] public void Relu() => Check(new ReluOp(), [AwayFromZero(3, 4, 25)]);
    [Fact] public void LeakyRelu() => Check(new LeakyReluOp(), [AwayFromZero(3, 4, 26)]);
    [Fact] public void Sigmoid() => Check(new SigmoidOp(), [Normal(3, 4, 27)]);
    [Fact] public void Tanh() => Check(new TanhOp(), [Normal(3, 4, 28)]);
    [Fact] public void Gelu() => Check(new GeluOp(), [Normal(3, 4, 29)]);
    [Fact] public void Softplus() => Check(new SoftplusOp(), [Normal(3, 4, 30)]);
    [Fact] public void Exp() => Check(new ExpOp(), [Normal(3, 4, 31)]);
    [Fact] public void Log() => Check(new LogOp(), [Positive(3, 4, 32)]);
    [Fact] public void Sqrt() => Check(new SqrtOp(), [Positive(3, 4, 33)]);
    [Fact] public void Square() => Check(new SquareOp(), [Normal(3, 4, 34)]);
    [Fact] public void Abs() => Check(new AbsOp(), [AwayFromZero(3, 4, 35)]);
    [Fact] public void Softmax() => Check(new SoftmaxOp(), [Normal(3, 4, 36)]);
    [Fact] public void LogSoftmax() => Check(new LogSoftmaxOp(), [Normal(3, 4, 37)]);

    [Fact] public void Sum() => Check(new SumAll(), [Normal(3, 4, 38)]);
    [Fact] public void Sum_Axis0() => Check(new SumColumns(), [Normal(3, 4, 39)]);
    [Fact] public void Sum_Axis1() => Check(new SumRows(), [Normal(3, 4, 40)]);
    [Fact] public void Mean() => Check(new MeanAll(), [Normal(3, 4, 41)]);
    [Fact] public void Mean_Axis0() => Check(new MeanColumns(), [Normal(3, 4, 42)]);
    [Fact] public void Mean_Axis1() => Check(new MeanRows(), [Normal(3, 4, 43)]);
    [Fact] public void SumOfSquares() => Check(new SumOfSquaresOp(), [Normal(3, 4, 44)]);
    [Fact] public void Dot() => Check(new DotWithParameter(), [Normal(3, 4, 45)]);
    [Fact] public void ScalarArithmetic_WithScalarInput() => Check(new ScalarArithmetic(), [Normal(3, 4, 46), -0.4]);

    [Fact] public void Concat_Axis0() => Check(new ConcatRows(), [Normal(2, 4, 47), Normal(3, 4, 48)]);
    [Fact] public void Concat_Axis1() => Check(new ConcatColumns(), [Normal(3, 2, 49), Normal(3, 4, 50)]);
    [Fact] public void SliceRows() => Check(new SliceRowsOp(), [Normal(4, 3, 51)]);
    [Fact] public void SliceColumns() => Check(new SliceColumnsOp(), [Normal(3, 4, 52)]);
    [Fact] public void Transpose() => Check(new TransposeOp(), [Normal(3, 4, 53)]);

    [Fact] public void MatMul() => Check(new MatMulPlain(), [Normal(3, 4, 54)]);
    [Fact] public void MatMul_TransposedWeight_DotT() => Check(new MatMulTransposedWeight(), [Normal(3, 4, 55)]);
    [Fact] public void MatMul_TransposedInput_DotT() => Check(new MatMulTransposedInput(), [Normal(3, 4, 56)]);
    [Fact] public void MatMul_BothTransposeFlags() => Check(new MatMulOpsFlags(), [Normal(3, 2, 57)]);
    [Fact] public void MatMul_TwoInputs() => Check(new MatMulTwoInputs(), [Normal(3, 4, 58), Normal(4, 2, 59)]);

    [Fact] public void Loss_SoftmaxCrossEntropy() => Check(new SoftmaxCrossEntropyLoss(), [Normal(5, 3, 60), new[] { 0, 2, 1, 1, 0 }], "Loss");
    [Fact] public void Loss_MeanSquaredError_BothInputs() => Check(new MeanSquaredErrorLoss(), [Normal(3, 4, 61), Normal(3, 4, 62)], "Loss");
    [Fact] public void Loss_BinaryCrossEntropyWithLogits() => Check(new BinaryCrossEntropyLoss(), [Normal(3, 4, 63), Matrix<double>.RandomUniform(3, 2, 64, 0, 1)], "Loss");

    [Fact] public void StaticForwardHelper_Alone() => Check(typeof(StaticHelperUser), [Normal(3, 4, 65)], "Swish");
    [Fact] public void StaticForwardHelper_CalledTwice() => Check(new StaticHelperUser(), [Normal(3, 4, 66)]);
    [Fact] public void ReassignedLocals_AndFanOut() => Check(new ReassignedLocals(), [Normal(3, 4, 67)]);
    [Fact] public void SharedSublayer_AppliedTwice() => Check(new SharedSublayer(), [Normal(3, 4, 68)]);

    /// <summary>The comparison can fail: a gradient of a different function (2·x instead of x) is told apart from the right one.</summary>
    [Fact]
    public void NumericalDifferences_DetectAWrongGradient()
    {
        var layer = new MulSameShape();
        var x = Normal(3, 4, 69);
        var tape = new MulSameShape.Tape();
        var gradients = new MulSameShape.Gradients(layer);
        layer.Forward(x, tape);
        layer.Backward(tape, Matrix<double>.Ones(3, 4), gradients);
        // dW = x; perturb x afterwards so the analytic result no longer matches the function.
        var numeric = Numeric(() => Total(layer.Forward(Scaled(x, 2))), layer.W);
        Assert.False(Close(numeric, gradients.W, 1e-6));
        Assert.True(Close(numeric, Scaled(gradients.W, 2), 1e-6));
    }

    private static Matrix<double> Numeric(Func<double> f, Matrix<double> m)
    {
        var result = new Matrix<double>(m.Rows, m.Cols);
        for (int r = 0; r < m.Rows; r++)
            for (int c = 0; c < m.Cols; c++)
            {
                double v = m[r, c];
                m[r, c] = v + 1e-5;
                double plus = f();
                m[r, c] = v - 1e-5;
                double minus = f();
                m[r, c] = v;
                result[r, c] = (plus - minus) / 2e-5;
            }
        return result;
    }

    private static double Total(Matrix<double> m) => LayerGradientCheck.Dot(m, Matrix<double>.Ones(m.Rows, m.Cols));

    private static Matrix<double> Scaled(Matrix<double> m, double s)
    {
        var r = m.Clone();
        foreach (ref var v in r.AsSpan())
            v *= s;
        return r;
    }

    private static bool Close(Matrix<double> a, Matrix<double> b, double tolerance)
    {
        for (int r = 0; r < a.Rows; r++)
            for (int c = 0; c < a.Cols; c++)
                if (Math.Abs(a[r, c] - b[r, c]) > tolerance * (1 + Math.Abs(a[r, c])))
                    return false;
        return true;
    }
    [Fact] public void Conv2d_StridedPadded() => Check(new Conv2dOp(), [Normal(3, 2 * 5 * 4, 100)]);
    [Fact] public void MaxPool2d_Overlapping() => Check(new MaxPool2dOp(), [Normal(3, 2 * 5 * 4, 101)]);
    [Fact] public void SmallCnn_ConvReluPoolDenseLoss() => Check(new SmallCnn(), [Normal(4, 2 * 6 * 6, 102), new[] { 0, 3, 1, 2 }], "Loss");
    [Fact] public void TwoBlockCnn_TwoConvPoolBlocksDenseLoss() => Check(new TwoBlockCnn(), [Normal(3, 8 * 8, 103), new[] { 2, 0, 1 }], "Loss");
    [Fact] public void Embedding_InAClassifier() => Check(new EmbeddingClassifier(), [new[] { 4, 0, 4, 2, 4 }, new[] { 2, 0, 1, 1, 0 }], method: "Loss");
    [Fact] public void Clamp() => Check(new ClampOp(), [ClampInput()]);
    [Fact] public void Reshape() => Check(new ReshapeOp(), [Normal(3, 4, 95)]);
    [Fact] public void Maximum_Minimum_Broadcasting() => Check(new MaximumWithRow(), [Normal(3, 4, 98), Normal(3, 4, 99)]);

    /// <summary>Values on both sides of the bounds (−0.6, 0.9), none within 0.05 of one (central differences).</summary>
    private static Matrix<double> ClampInput()
    {
        var x = Normal(3, 4, 96);
        for (int i = 0; i < x.Length; i++)
        {
            ref double v = ref x.AsSpan()[i];
            if (Math.Abs(v + 0.6) < 0.05 || Math.Abs(v - 0.9) < 0.05)
                v += 0.2;
        }
        return x;
    }
}
