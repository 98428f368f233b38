namespace LayerGen;

/// <summary>
/// The shape of one image in a row of a matrix, as PyTorch's NCHW without the N: a row of
/// <c>Channels · Height · Width</c> elements holds channel 0's <c>Height × Width</c> pixels row by row, then channel 1's,
/// and so on. <see cref="Ops.Conv2d{T}(Matrix{T}, Matrix{T}, Matrix{T}, ImageShape, int, int, int)"/> and
/// <see cref="Ops.MaxPool2d{T}(Matrix{T}, ImageShape, int, int)"/> read their input rows in this layout.
/// </summary>
/// <param name="Channels">C, the number of channels (feature maps).</param>
/// <param name="Height">H, the number of pixel rows.</param>
/// <param name="Width">W, the number of pixel columns.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary><c>Channels · Height · Width</c>: the columns of a matrix with one such image per row.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>As messages write it: <c>(C, H, W) = (3, 28, 28)</c>.</summary>
    public override string ToString() => $"(C, H, W) = ({Channels}, {Height}, {Width})";
}
