using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

// Convolution and max pooling over images stored one per row in (C, H, W) order (ImageShape), with the images split
// across the cores above a size threshold. A stride-1 convolution with padding ≤ kernel − 1 (the "same" 3×3 layers of
// a CNN) runs directly on AVX-512 or AVX2 hardware: register tiles read each filter tap's operand straight out of the
// zero-padded image (an implicit im2col; Kernels/ConvKernels.Direct.cs, Kernels/ConvTiles.cs), dX is the same kernel
// over dY with the filters flipped, dWeight dot products along the image rows. Every other convolution runs through
// im2col and the runtime's GEMM, image by image; its fused backward recomputes each image's im2col once and from it
// writes dBias, dWeight and (through col2im) dX (Kernels/ConvKernels.cs). Max pooling with a 2×2 window and stride 2
// has its own vector loops (Kernels/PoolKernels.cs).
//
// Generated code: each descriptor names a ResultShape method, which sizes the tape buffer the destination overload writes
// into (the result's column count, K·OH·OW or C·OH·OW, follows from the ImageShape and int arguments, which a
// [return: Shape] cannot express), and a destination-passing backward: MaxPool2dBackward writes ∂L/∂x; Conv2dBackward
// writes ∂L/∂x, ∂L/∂weight and ∂L/∂bias in one fused pass, each with its own accumulate flag (a null destination: not
// needed). A generated training step through these ops allocates nothing after warm-up.
//
// Scratch: each thread that runs a part of a convolution (the caller and the GEMM's persistent workers) keeps its
// padded images or im2col/col2im buffer in a [ThreadStatic] array that grows once to the largest image it has seen; the
// caller keeps the per-range partial sums of dWeight and dBias, and the direct path's packed filters and tap offsets,
// the same way. Nothing is allocated per call after that.
public static partial class Ops
{
    // ---------------------------------------------------------------- Conv2d

    /// <summary>
    /// 2-D convolution (cross-correlation, as PyTorch's <c>conv2d</c>): each row of <paramref name="x"/> is one image
    /// laid out as <paramref name="input"/> (C, H, W); each row of <paramref name="weight"/> is one output channel's
    /// filter, (C, kernel, kernel) in order; <paramref name="bias"/> holds one value per output channel. The result has
    /// one row per image, <c>K · OH · OW</c> columns in (K, OH, OW) order, where
    /// <c>OH = (H + 2·padding − kernel) / stride + 1</c> (rounded down) and likewise OW. Zero padding.
    /// </summary>
    /// <param name="x">The images, <c>[N, C·H·W]</c>.</param>
    /// <param name="weight">The filters, <c>[K, C·kernel·kernel]</c>.</param>
    /// <param name="bias">One per output channel, <c>[1, K]</c>.</param>
    /// <param name="input">The layout of each image, (C, H, W).</param>
    /// <param name="kernel">The filters' height and width.</param>
    /// <param name="stride">The step between windows, at least 1.</param>
    /// <param name="padding">Zeros added on each side, at least 0.</param>
    /// <exception cref="ShapeMismatchException">x's columns are not C·H·W, weight's not C·kernel·kernel, or bias is not [1, K].</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size of <paramref name="input"/> or the kernel is below 1, stride below 1, padding negative, or the kernel larger than the padded input.</exception>
    [Differentiable(Backward = nameof(Conv2dBackward), Saves = SavedValues.Arguments, ResultShape = nameof(Conv2dResultShape),
        Notation = "conv2d({x}, {weight}, {bias})",
        Derivative = "∂L/∂{x} = col2im({weight}ᵀ·{dResult}), ∂L/∂{weight} = Σₙ {dResult}ₙ·im2col({x}ₙ)ᵀ, ∂L/∂{bias} = Σ {dResult} per channel")]
    [return: Shape("N", "KOHOW")]
    public static Matrix<T> Conv2d<T>([Shape("N", "CHW")] Matrix<T> x, [Shape("K", "CKK")] Matrix<T> weight, [Shape(1, "K")] Matrix<T> bias,
        ImageShape input, int kernel, int stride = 1, int padding = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = ConvGeometry.Of("Conv2d", x, weight, bias, input, kernel, stride, padding);
        var result = new Matrix<T>(x.Rows, g.K * g.OutputPixels);
        Conv2dCore(x, weight, bias, g, result);
        return result;
    }

    /// <summary>
    /// The shape of <see cref="Conv2d{T}(Matrix{T}, Matrix{T}, Matrix{T}, ImageShape, int, int, int)"/>'s result for these
    /// arguments, <c>[N, K·OH·OW]</c> (its descriptor's <c>ResultShape</c>: generated code sizes the tape buffer with it).
    /// </summary>
    /// <exception cref="ShapeMismatchException">An operand's shape is wrong.</exception>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="Conv2d{T}(Matrix{T}, Matrix{T}, Matrix{T}, ImageShape, int, int, int)"/>.</exception>
    public static (int Rows, int Cols) Conv2dResultShape<T>(Matrix<T> x, Matrix<T> weight, Matrix<T> bias, ImageShape input, int kernel, int stride, int padding)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = ConvGeometry.Of("Conv2d", x, weight, bias, input, kernel, stride, padding);
        return (x.Rows, g.K * g.OutputPixels);
    }

    /// <summary>result = <see cref="Conv2d{T}(Matrix{T}, Matrix{T}, Matrix{T}, ImageShape, int, int, int)"/>; allocates nothing after warm-up.</summary>
    /// <exception cref="ShapeMismatchException">An operand's shape is wrong, or result is not <c>[N, K·OH·OW]</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">As the allocating form.</exception>
    /// <exception cref="ArgumentException">result shares storage with an operand.</exception>
    public static void Conv2d<T>(Matrix<T> x, Matrix<T> weight, Matrix<T> bias, ImageShape input, int kernel, int stride, int padding, Matrix<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = ConvGeometry.Of("Conv2d", x, weight, bias, input, kernel, stride, padding);
        ArgumentNullException.ThrowIfNull(result);
        ShapeMismatchException.ThrowIfNotShape("Conv2d", "result", result, x.Rows, g.K * g.OutputPixels);
        ThrowIfAliased("Conv2d", "x", x, result);
        ThrowIfAliased("Conv2d", "weight", weight, result);
        ThrowIfAliased("Conv2d", "bias", bias, result);
        Conv2dCore(x, weight, bias, g, result);
    }

    /// <summary>
    /// Backward of <see cref="Conv2d{T}(Matrix{T}, Matrix{T}, Matrix{T}, ImageShape, int, int, int)"/>, as new matrices
    /// (the form a <c>[Forward]</c> layer's generated backward calls; it allocates the three gradients).
    /// </summary>
    /// <returns>∂L/∂x <c>[N, C·H·W]</c>, ∂L/∂weight <c>[K, C·kernel·kernel]</c>, ∂L/∂bias <c>[1, K]</c>.</returns>
    /// <exception cref="ShapeMismatchException">An operand's shape is wrong, or dOutput is not <c>[N, K·OH·OW]</c>.</exception>
    public static (Matrix<T> dX, Matrix<T> dWeight, Matrix<T> dBias) Conv2dBackward<T>(Matrix<T> x, Matrix<T> weight, Matrix<T> bias,
        ImageShape input, int kernel, int stride, int padding, Matrix<T> dOutput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = ConvGeometry.Of("Conv2dBackward", x, weight, bias, input, kernel, stride, padding);
        var dX = new Matrix<T>(x.Rows, x.Cols);
        var dWeight = new Matrix<T>(weight.Rows, weight.Cols);
        var dBias = new Matrix<T>(1, g.K);
        Conv2dBackward(x, weight, bias, input, kernel, stride, padding, dOutput, dX, false, dWeight, false, dBias, false);
        return (dX, dWeight, dBias);
    }

    /// <summary>
    /// Fused backward of <see cref="Conv2d{T}(Matrix{T}, Matrix{T}, Matrix{T}, ImageShape, int, int, int)"/>: for each
    /// image, one im2col of x gives dWeight (+)= dOutputₙ·colₙᵀ (a GEMM), dBias (+)= dOutputₙ's row sums, and dX (+)=
    /// col2im(weightᵀ·dOutputₙ) (a GEMM, then a scatter-add), each destination with its own accumulate flag (the
    /// descriptor's destination-passing backward: one destination and flag per differentiable operand, in order).
    /// Allocates nothing after warm-up.
    /// </summary>
    /// <param name="x">The forward's images.</param>
    /// <param name="weight">The forward's filters.</param>
    /// <param name="bias">The forward's bias (read only for its shape).</param>
    /// <param name="input">The layout of each image.</param>
    /// <param name="kernel">The filters' size.</param>
    /// <param name="stride">The forward's stride.</param>
    /// <param name="padding">The forward's padding.</param>
    /// <param name="dOutput">∂L/∂result, <c>[N, K·OH·OW]</c>.</param>
    /// <param name="dX">Where ∂L/∂x goes, or null when it is not needed (the first layer's input): it is then not computed.</param>
    /// <param name="accumulateX">Add into <paramref name="dX"/> instead of overwriting it.</param>
    /// <param name="dWeight">Where ∂L/∂weight goes, or null when it is not needed.</param>
    /// <param name="accumulateWeight">Add into <paramref name="dWeight"/> instead of overwriting it.</param>
    /// <param name="dBias">Where ∂L/∂bias goes, or null when it is not needed.</param>
    /// <param name="accumulateBias">Add into <paramref name="dBias"/> instead of overwriting it.</param>
    /// <exception cref="ShapeMismatchException">A shape is wrong.</exception>
    public static void Conv2dBackward<T>(Matrix<T> x, Matrix<T> weight, Matrix<T> bias, ImageShape input, int kernel, int stride, int padding,
        Matrix<T> dOutput, Matrix<T>? dX, bool accumulateX, Matrix<T>? dWeight, bool accumulateWeight, Matrix<T>? dBias, bool accumulateBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string op = "Conv2dBackward";
        var g = ConvGeometry.Of(op, x, weight, bias, input, kernel, stride, padding);
        ArgumentNullException.ThrowIfNull(dOutput);
        ShapeMismatchException.ThrowIfNotShape(op, "dOutput", dOutput, x.Rows, g.K * g.OutputPixels);
        if (dX is not null)
            ShapeMismatchException.ThrowIfNotShape(op, "dX", dX, x.Rows, x.Cols);
        if (dWeight is not null)
            ShapeMismatchException.ThrowIfNotShape(op, "dWeight", dWeight, weight.Rows, weight.Cols);
        if (dBias is not null)
            ShapeMismatchException.ThrowIfNotShape(op, "dBias", dBias, 1, g.K);
        ConvKernels<T>.Backward(x, weight, g, dOutput, dX, accumulateX, dWeight, accumulateWeight, dBias, accumulateBias);
    }

    private static void Conv2dCore<T>(Matrix<T> x, Matrix<T> weight, Matrix<T> bias, in ConvGeometry g, Matrix<T> result)
        where T : unmanaged, IFloatingPointIeee754<T> => ConvKernels<T>.Forward(x, weight, bias, g, result);

    // ---------------------------------------------------------------- MaxPool2d

    /// <summary>
    /// 2-D max pooling (PyTorch's <c>max_pool2d</c> without padding): each row of <paramref name="x"/> is one image laid out
    /// as <paramref name="input"/>; the result has one row per image, <c>C · OH · OW</c> columns in (C, OH, OW) order, with
    /// <c>OH = (H − kernel) / stride + 1</c> (rounded down) and likewise OW; each element the largest of its window.
    /// </summary>
    /// <exception cref="ShapeMismatchException">x's columns are not C·H·W.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size of <paramref name="input"/>, the kernel or the stride is below 1, or the kernel is larger than the input.</exception>
    [Differentiable(Backward = nameof(MaxPool2dBackward), Saves = SavedValues.Arguments, ResultShape = nameof(MaxPool2dResultShape),
        Notation = "maxpool2d({x})",
        Derivative = "∂L/∂{x} at each window's (first) largest element += {dResult}, 0 elsewhere")]
    [return: Shape("N", "COHOW")]
    public static Matrix<T> MaxPool2d<T>([Shape("N", "CHW")] Matrix<T> x, ImageShape input, int kernel, int stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = ConvGeometry.OfPool("MaxPool2d", x, input, kernel, stride);
        var result = new Matrix<T>(x.Rows, g.C * g.OutputPixels);
        PoolKernels<T>.Forward(x, g, result);
        return result;
    }

    /// <summary>
    /// The shape of <see cref="MaxPool2d{T}(Matrix{T}, ImageShape, int, int)"/>'s result for these arguments,
    /// <c>[N, C·OH·OW]</c> (its descriptor's <c>ResultShape</c>).
    /// </summary>
    /// <exception cref="ShapeMismatchException">x's columns are not C·H·W.</exception>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="MaxPool2d{T}(Matrix{T}, ImageShape, int, int)"/>.</exception>
    public static (int Rows, int Cols) MaxPool2dResultShape<T>(Matrix<T> x, ImageShape input, int kernel, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = ConvGeometry.OfPool("MaxPool2d", x, input, kernel, stride);
        return (x.Rows, g.C * g.OutputPixels);
    }

    /// <summary>result = <see cref="MaxPool2d{T}(Matrix{T}, ImageShape, int, int)"/>; allocates nothing.</summary>
    /// <exception cref="ShapeMismatchException">x's columns are not C·H·W, or result is not <c>[N, C·OH·OW]</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">As the allocating form.</exception>
    public static void MaxPool2d<T>(Matrix<T> x, ImageShape input, int kernel, int stride, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = ConvGeometry.OfPool("MaxPool2d", x, input, kernel, stride);
        ArgumentNullException.ThrowIfNull(result);
        ShapeMismatchException.ThrowIfNotShape("MaxPool2d", "result", result, x.Rows, g.C * g.OutputPixels);
        ThrowIfAliased("MaxPool2d", "x", x, result);
        PoolKernels<T>.Forward(x, g, result);
    }

    /// <summary>
    /// Backward of <see cref="MaxPool2d{T}(Matrix{T}, ImageShape, int, int)"/>: each window's gradient goes to the
    /// window's largest element of x (the first in row-major order when several tie, as PyTorch; a NaN counts as the
    /// largest); overlapping windows add up. dX (+)= that; allocates nothing.
    /// </summary>
    /// <exception cref="ShapeMismatchException">dOutput is not <c>[N, C·OH·OW]</c> or dX not x's shape.</exception>
    public static void MaxPool2dBackward<T>(Matrix<T> x, ImageShape input, int kernel, int stride, Matrix<T> dOutput, Matrix<T> dX, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string op = "MaxPool2dBackward";
        var g = ConvGeometry.OfPool(op, x, input, kernel, stride);
        ArgumentNullException.ThrowIfNull(dOutput);
        ArgumentNullException.ThrowIfNull(dX);
        ShapeMismatchException.ThrowIfNotShape(op, "dOutput", dOutput, x.Rows, g.C * g.OutputPixels);
        ShapeMismatchException.ThrowIfNotShape(op, "dX", dX, x.Rows, x.Cols);
        ThrowIfAliased(op, "x", x, dX);
        PoolKernels<T>.Backward(x, g, dOutput, dX, accumulate);
    }
}

/// <summary>The sizes of one convolution or pooling, checked: input (C, H, W), K filters of kernel², stride, padding, output (OH, OW).</summary>
internal readonly struct ConvGeometry
{
    public int C { get; init; }
    public int H { get; init; }
    public int W { get; init; }
    public int K { get; init; }
    public int Kernel { get; init; }
    public int Stride { get; init; }
    public int Padding { get; init; }
    public int OH { get; init; }
    public int OW { get; init; }

    /// <summary>H·W.</summary>
    public int InputPixels => H * W;

    /// <summary>OH·OW.</summary>
    public int OutputPixels => OH * OW;

    /// <summary>C·kernel·kernel: the rows of an image's im2col matrix.</summary>
    public int Patch => C * Kernel * Kernel;

    public static ConvGeometry Of<T>(string op, Matrix<T> x, Matrix<T> weight, Matrix<T> bias, ImageShape input, int kernel, int stride, int padding)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        CheckCommon(op, x, input, kernel, stride);
        if (padding < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{op}: padding is {padding} but must not be negative.");
        int patch = input.Channels * kernel * kernel;
        if (weight.Cols != patch)
            throw new ShapeMismatchException(op,
                $"weight is {weight.ShapeString} but its columns must be C·kernel·kernel = {input.Channels}·{kernel}·{kernel} = {patch} for input {input} and kernel {kernel}");
        if (bias.Rows != 1 || bias.Cols != weight.Rows)
            throw new ShapeMismatchException(op,
                $"bias is {bias.ShapeString} but must be [1, {weight.Rows}]: one value per output channel of weight {weight.ShapeString}");
        int paddedH = input.Height + 2 * padding, paddedW = input.Width + 2 * padding;
        if (kernel > paddedH || kernel > paddedW)
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel,
                $"{op}: kernel {kernel} is larger than the padded input {paddedH}×{paddedW} (input {input}, padding {padding}).");
        return new ConvGeometry
        {
            C = input.Channels, H = input.Height, W = input.Width, K = weight.Rows, Kernel = kernel, Stride = stride, Padding = padding,
            OH = (paddedH - kernel) / stride + 1, OW = (paddedW - kernel) / stride + 1,
        };
    }

    public static ConvGeometry OfPool<T>(string op, Matrix<T> x, ImageShape input, int kernel, int stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckCommon(op, x, input, kernel, stride);
        if (kernel > input.Height || kernel > input.Width)
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel,
                $"{op}: kernel {kernel} is larger than the input {input.Height}×{input.Width} (input {input}).");
        return new ConvGeometry
        {
            C = input.Channels, H = input.Height, W = input.Width, K = input.Channels, Kernel = kernel, Stride = stride,
            OH = (input.Height - kernel) / stride + 1, OW = (input.Width - kernel) / stride + 1,
        };
    }

    private static void CheckCommon<T>(string op, Matrix<T> x, ImageShape input, int kernel, int stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (input.Channels < 1 || input.Height < 1 || input.Width < 1)
            throw new ArgumentOutOfRangeException(nameof(input), input, $"{op}: input {input} must have every size at least 1.");
        if (kernel < 1)
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"{op}: kernel is {kernel} but must be at least 1.");
        if (stride < 1)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{op}: stride is {stride} but must be at least 1.");
        long size = (long)input.Channels * input.Height * input.Width;
        if (x.Cols != size)
            throw new ShapeMismatchException(op,
                $"x is {x.ShapeString} but its columns must be C·H·W = {input.Channels}·{input.Height}·{input.Width} = {size} for input {input}");
    }
}
