using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace LayerGen;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed (detected from the content).
/// </summary>
/// <remarks>
/// An IDX file is: two zero bytes, a type byte (<c>0x08</c> = unsigned byte, the type of the image and label files),
/// the number of dimensions d, then d big-endian 32-bit sizes, then the elements row-major. Only unsigned-byte
/// files are read here; another type is a <see cref="InvalidDataException"/> naming it.
/// </remarks>
public static class Idx
{
    /// <summary>Reads an unsigned-byte IDX file (gzip or not).</summary>
    /// <param name="path">The file, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <returns>The dimensions (e.g. [60000, 28, 28]) and the elements, row-major.</returns>
    /// <exception cref="InvalidDataException">The file is not an unsigned-byte IDX file, or it is truncated or too long.</exception>
    public static IdxArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        bool gzip = got == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        using var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        return Read(stream, path);
    }

    /// <summary>Reads an unsigned-byte IDX array from <paramref name="stream"/> (already decompressed).</summary>
    /// <param name="stream">The stream, positioned at the IDX header; read to its end.</param>
    /// <param name="name">The source's name for messages.</param>
    /// <exception cref="InvalidDataException">The stream is not an unsigned-byte IDX array, or it is truncated or too long.</exception>
    public static IdxArray Read(Stream stream, string name = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[4];
        ReadExactly(stream, header, name, "the 4-byte header");
        if (header[0] != 0 || header[1] != 0)
            throw new InvalidDataException($"IDX '{name}': the file does not start with two zero bytes (0x{header[0]:X2} 0x{header[1]:X2}); not an IDX file.");
        if (header[2] != 0x08)
            throw new InvalidDataException($"IDX '{name}': element type 0x{header[2]:X2} is not supported; only unsigned bytes (0x08) are.");
        int rank = header[3];
        if (rank == 0)
            throw new InvalidDataException($"IDX '{name}': the file declares 0 dimensions.");

        var dimensions = new int[rank];
        Span<byte> size = stackalloc byte[4];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            ReadExactly(stream, size, name, $"the size of dimension {i}");
            int n = BinaryPrimitives.ReadInt32BigEndian(size);
            if (n < 0)
                throw new InvalidDataException($"IDX '{name}': dimension {i} has negative size {n}.");
            dimensions[i] = n;
            count *= n;
            if (count > Array.MaxLength)
                throw new InvalidDataException($"IDX '{name}': dimensions [{string.Join(", ", dimensions[..(i + 1)])}] hold more elements than an array can.");
        }

        var data = new byte[count];
        ReadExactly(stream, data, name, $"{count} elements of shape [{string.Join(", ", dimensions)}]");
        if (stream.ReadByte() != -1)
            throw new InvalidDataException($"IDX '{name}': bytes follow the {count} elements of shape [{string.Join(", ", dimensions)}].");
        return new IdxArray(dimensions, data);
    }

    /// <summary>
    /// Reads an image file (dimensions [count, height, width]) as a [count, height·width] matrix, each pixel
    /// multiplied by <paramref name="scale"/> (by default 1/255, so pixels lie in [0, 1]).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not an unsigned-byte IDX file of rank ≥ 2.</exception>
    public static Matrix<T> ReadImages<T>(string path, double scale = 1.0 / 255)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var array = Read(path);
        if (array.Dimensions.Length < 2)
            throw new InvalidDataException($"IDX '{path}': images need at least 2 dimensions (count, pixels…) but the file has [{string.Join(", ", array.Dimensions)}].");
        int count = array.Dimensions[0];
        int pixels = array.Data.Length / Math.Max(count, 1);
        var images = new Matrix<T>(count, count == 0 ? 0 : pixels);
        var destination = images.AsSpan();
        // One rounding per pixel value: byte · scale in double, then to T (so 51/255 is the float nearest 0.2).
        Span<T> table = stackalloc T[256];
        for (int b = 0; b < table.Length; b++)
            table[b] = T.CreateChecked(b * scale);
        for (int i = 0; i < destination.Length; i++)
            destination[i] = table[array.Data[i]];
        return images;
    }

    /// <summary>Reads a label file (dimensions [count]) as one integer per example.</summary>
    /// <exception cref="InvalidDataException">The file is not an unsigned-byte IDX file of rank 1.</exception>
    public static int[] ReadLabels(string path)
    {
        var array = Read(path);
        if (array.Dimensions.Length != 1)
            throw new InvalidDataException($"IDX '{path}': labels need 1 dimension but the file has [{string.Join(", ", array.Dimensions)}].");
        var labels = new int[array.Data.Length];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = array.Data[i];
        return labels;
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string name, string what)
    {
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new InvalidDataException($"IDX '{name}': the file ends after {read} of the {buffer.Length} bytes of {what} (truncated).");
    }
}

/// <summary>An unsigned-byte IDX array: its dimensions and its elements, row-major.</summary>
/// <param name="Dimensions">The size of each dimension, outermost first, e.g. [60000, 28, 28].</param>
/// <param name="Data">The elements, row-major; as many as the product of <paramref name="Dimensions"/>.</param>
public sealed record IdxArray(int[] Dimensions, byte[] Data);
