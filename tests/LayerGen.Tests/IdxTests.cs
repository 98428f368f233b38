using System.Buffers.Binary;
using System.IO.Compression;

namespace LayerGen.Tests;

/// <summary><see cref="Idx"/> on small IDX files the test writes, plain and gzip, and on broken ones.</summary>
public sealed class IdxTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("layergen-idx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An unsigned-byte IDX file: header, big-endian sizes, data.</summary>
    private static byte[] IdxBytes(int[] dimensions, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dimensions.Length;
        for (int i = 0; i < dimensions.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dimensions[i]);
        data.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    private string Write(string name, byte[] bytes, bool gzip)
    {
        string path = Path.Combine(_directory, name);
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }
        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(bytes);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesAndLabels(bool gzip)
    {
        // Three 2×2 images, pixel values 0, 51, …; labels 7, 0, 9.
        var pixels = Enumerable.Range(0, 12).Select(i => (byte)(i * 51 % 256)).ToArray();
        string images = Write("images.idx3", IdxBytes([3, 2, 2], pixels), gzip);
        string labels = Write("labels.idx1", IdxBytes([3], [7, 0, 9]), gzip);

        var x = Idx.ReadImages<float>(images);
        Assert.Equal((3, 4), x.Shape);
        Assert.Equal(pixels.Select(p => p / 255f), x.ToArray());
        Assert.Equal([7, 0, 9], Idx.ReadLabels(labels));
        var raw = Idx.Read(images);
        Assert.Equal([3, 2, 2], raw.Dimensions);
        Assert.Equal(pixels, raw.Data);
    }

    [Fact]
    public void Double_AndAScale()
    {
        string images = Write("images.idx3", IdxBytes([1, 1, 2], [10, 20]), gzip: true);
        Assert.Equal([1.0, 2.0], Idx.ReadImages<double>(images, scale: 0.1).ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 8, 1, 0, 0, 0, 1, 5 }, "two zero bytes")]
    [InlineData(new byte[] { 0, 0, 0x0D, 1, 0, 0, 0, 1, 5, 5, 5, 5 }, "element type 0x0D is not supported")]
    [InlineData(new byte[] { 0, 0, 8 }, "truncated")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0 }, "truncated")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 3, 1, 2 }, "the file ends after 2 of the 3 bytes")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 1, 1, 2 }, "bytes follow")]
    [InlineData(new byte[] { 0, 0, 8, 0 }, "0 dimensions")]
    public void BrokenFiles_AreRejected(byte[] bytes, string expected)
    {
        string path = Write("broken.idx", bytes, gzip: true);
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void LabelsOfRankTwo_AreRejected()
    {
        string path = Write("labels.idx", IdxBytes([1, 2], [1, 2]), gzip: false);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Contains("labels need 1 dimension", e.Message);
    }
}
