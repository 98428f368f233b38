using System.Numerics;

namespace LayerGen;

// Dropout: x ⊙ mask, where the mask holds 0 with probability p and 1/(1 − p) elsewhere, drawn from the caller's Random.
// The generator differentiates it as that product: the mask is a forward value of its own (DropoutMask, into a tape
// buffer), saved on the tape and never differentiated, so the backward is dY ⊙ mask with exactly the mask the forward
// drew, and a training step allocates nothing.
public static partial class Ops
{
    /// <summary>
    /// Dropout (inverted, as PyTorch's <c>dropout</c>): each element of <paramref name="x"/> is zeroed with probability
    /// <paramref name="p"/> and the others are multiplied by <c>1 / (1 − p)</c>, so the expected value is unchanged. The
    /// mask is drawn from <paramref name="random"/>, one <see cref="Random.NextDouble"/> per element in row-major order.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="p">The probability that an element is zeroed, in [0, 1).</param>
    /// <param name="random">Where the mask comes from (seed it for a reproducible run).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1) or not a number.</exception>
    [Differentiable(Rule = BuiltInRule.Dropout)]
    [return: Shape("R", "C")]
    public static Matrix<T> Dropout<T>([Shape("R", "C")] Matrix<T> x, double p, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var mask = new Matrix<T>(x.Rows, x.Cols);
        DropoutMask(p, random, mask);
        var result = new Matrix<T>(x.Rows, x.Cols);
        Mul(x, mask, result);
        return result;
    }

    /// <summary>
    /// Fills <paramref name="mask"/> with a dropout mask: each element 0 with probability <paramref name="p"/>, else
    /// <c>1 / (1 − p)</c>, one <see cref="Random.NextDouble"/> per element in row-major order; allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1) or not a number.</exception>
    public static void DropoutMask<T>(double p, Random random, Matrix<T> mask) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(p >= 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout: p = {p} is outside [0, 1); it is the probability that an element is zeroed.");
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(mask);
        T keep = T.CreateChecked(1.0 / (1.0 - p));
        var span = mask.AsSpan();
        for (int i = 0; i < span.Length; i++)
            span[i] = random.NextDouble() < p ? T.Zero : keep;
    }
}
