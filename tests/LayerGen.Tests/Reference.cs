using System.Numerics;
using LayerGen;

namespace LayerGen.Tests;

/// <summary>
/// Naive reference implementations in double: plain loops, no vectorisation, written straight from the
/// definitions, so that the Ops kernels are compared against something obviously right.
/// </summary>
internal static class Reference
{
    public static double[,] ToDouble<T>(Matrix<T> m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[m.Rows, m.Cols];
        for (int r = 0; r < m.Rows; r++)
            for (int c = 0; c < m.Cols; c++)
                result[r, c] = double.CreateTruncating(m[r, c]);
        return result;
    }

    public static Matrix<T> FromDouble<T>(double[,] values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = new Matrix<T>(values.GetLength(0), values.GetLength(1));
        for (int r = 0; r < m.Rows; r++)
            for (int c = 0; c < m.Cols; c++)
                m[r, c] = T.CreateTruncating(values[r, c]);
        return m;
    }

    /// <summary>a ∘ b with the broadcasting rule "a dimension of 1 repeats" (no two-way check: that is the op's job).</summary>
    public static double[,] Binary(double[,] a, double[,] b, Func<double, double, double> f)
    {
        int ar = a.GetLength(0), ac = a.GetLength(1), br = b.GetLength(0), bc = b.GetLength(1);
        int rows = ar == 1 ? br : ar, cols = ac == 1 ? bc : ac;
        var result = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                result[r, c] = f(a[ar == 1 ? 0 : r, ac == 1 ? 0 : c], b[br == 1 ? 0 : r, bc == 1 ? 0 : c]);
        return result;
    }

    public static double[,] Map(double[,] a, Func<double, double> f)
    {
        var result = new double[a.GetLength(0), a.GetLength(1)];
        for (int r = 0; r < a.GetLength(0); r++)
            for (int c = 0; c < a.GetLength(1); c++)
                result[r, c] = f(a[r, c]);
        return result;
    }

    public static double Relu(double x) => x > 0 ? x : 0;
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
    public static double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    public static double Softplus(double x) => x > 30 ? x : Math.Log(1 + Math.Exp(x));

    /// <summary>Sums to a [1, C], [R, 1] or [1, 1] shape (or copies).</summary>
    public static double[,] SumToShape(double[,] a, int rows, int cols)
    {
        var result = new double[rows, cols];
        for (int r = 0; r < a.GetLength(0); r++)
            for (int c = 0; c < a.GetLength(1); c++)
                result[rows == 1 ? 0 : r, cols == 1 ? 0 : c] += a[r, c];
        return result;
    }

    public static double[,] Softmax(double[,] a)
    {
        int rows = a.GetLength(0), cols = a.GetLength(1);
        var result = new double[rows, cols];
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < cols; c++) max = Math.Max(max, a[r, c]);
            for (int c = 0; c < cols; c++) sum += Math.Exp(a[r, c] - max);
            for (int c = 0; c < cols; c++) result[r, c] = Math.Exp(a[r, c] - max) / sum;
        }
        return result;
    }

    public static double[,] LogSoftmax(double[,] a) => Map(Softmax(a), Math.Log);

    public static double Sum(double[,] a)
    {
        double s = 0;
        foreach (double v in a) s += v;
        return s;
    }

    public static double[,] Slice(double[,] a, int row0, int rows, int col0, int cols)
    {
        var result = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                result[r, c] = a[row0 + r, col0 + c];
        return result;
    }

    public static double SoftmaxCrossEntropy(double[,] logits, int[] labels)
    {
        var p = Softmax(logits);
        double total = 0;
        for (int r = 0; r < labels.Length; r++) total -= Math.Log(p[r, labels[r]]);
        return total / labels.Length;
    }

    public static double BinaryCrossEntropy(double[,] logits, double[,] targets)
    {
        double total = 0;
        for (int r = 0; r < logits.GetLength(0); r++)
            for (int c = 0; c < logits.GetLength(1); c++)
            {
                double p = Sigmoid(logits[r, c]), t = targets[r, c];
                total -= t * Math.Log(p) + (1 - t) * Math.Log(1 - p);
            }
        return total / logits.Length;
    }

    /// <summary>Asserts every element agrees within abs + rel·max(|e|, |a|), naming the first differing index.</summary>
    public static void AssertClose<T>(double[,] expected, Matrix<T> actual, double relative, double absolute, string what = "")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.True(expected.GetLength(0) == actual.Rows && expected.GetLength(1) == actual.Cols,
            $"{what}: shape {actual.ShapeString}, expected [{expected.GetLength(0)}, {expected.GetLength(1)}]");
        for (int r = 0; r < actual.Rows; r++)
            for (int c = 0; c < actual.Cols; c++)
            {
                double e = expected[r, c], a = double.CreateTruncating(actual[r, c]);
                if (double.IsNaN(e) && double.IsNaN(a)) continue;
                if (e == a) continue; // covers infinities
                Assert.True(Math.Abs(e - a) <= absolute + relative * Math.Max(Math.Abs(e), Math.Abs(a)),
                    $"{what}: [{r}, {c}] is {a:R}, expected {e:R} (diff {Math.Abs(e - a):E2})");
            }
    }

    public static void AssertClose(double expected, double actual, double relative, double absolute, string what = "")
        => Assert.True(Math.Abs(expected - actual) <= absolute + relative * Math.Max(Math.Abs(expected), Math.Abs(actual)),
            $"{what}: {actual:R}, expected {expected:R}");
}
