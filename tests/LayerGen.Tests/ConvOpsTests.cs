using System.Numerics;
using LayerGen;
using static LayerGen.Tests.ReferenceGradient;

namespace LayerGen.Tests;

/// <summary>
/// Conv2d and MaxPool2d: forwards against direct loops at odd sizes, strides and paddings (float and double), backwards
/// against central differences in double, the parallel split against the single-threaded run, 0 B per destination call,
/// and errors that name the op and the shapes.
/// </summary>
public sealed class ConvOpsTests
{
    /// <summary>(C, H, W, K, kernel, stride, padding): odd sizes, non-square images, strides that do not divide, padding ≥ kernel/2.</summary>
    public static TheoryData<int, int, int, int, int, int, int> Geometries() => new()
    {
        { 1, 5, 5, 1, 3, 1, 0 },
        { 2, 7, 5, 3, 3, 1, 1 },
        { 3, 6, 9, 2, 2, 2, 0 },
        { 2, 9, 7, 4, 3, 2, 1 },
        { 1, 8, 8, 3, 5, 3, 2 },
        { 3, 5, 4, 2, 1, 1, 0 },  // kernel 1: the image is its own im2col
        { 2, 4, 6, 3, 1, 2, 1 },
        { 2, 3, 3, 2, 3, 1, 2 },  // padding 2 with a 3×3 kernel: whole rows and columns of padding
    };

    /// <summary>The direct definition: y[n, k, oh, ow] = b[k] + Σ_c Σ_i Σ_j w[k, c, i, j] · x[n, c, oh·s + i − p, ow·s + j − p].</summary>
    internal static double[,] NaiveConv(double[,] x, double[,] w, double[,] b, ImageShape input, int kernel, int stride, int padding)
    {
        int n = x.GetLength(0), kOut = w.GetLength(0), c = input.Channels, h = input.Height, wd = input.Width;
        int oh = (h + 2 * padding - kernel) / stride + 1, ow = (wd + 2 * padding - kernel) / stride + 1;
        var y = new double[n, kOut * oh * ow];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < kOut; k++)
                for (int r = 0; r < oh; r++)
                    for (int q = 0; q < ow; q++)
                    {
                        double s = b[0, k];
                        for (int ch = 0; ch < c; ch++)
                            for (int ki = 0; ki < kernel; ki++)
                                for (int kj = 0; kj < kernel; kj++)
                                {
                                    int ih = r * stride + ki - padding, iw = q * stride + kj - padding;
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < wd)
                                        s += w[k, (ch * kernel + ki) * kernel + kj] * x[i, (ch * h + ih) * wd + iw];
                                }
                        y[i, (k * oh + r) * ow + q] = s;
                    }
        return y;
    }

    /// <summary>The direct definition of max pooling: the largest element of each window.</summary>
    internal static double[,] NaivePool(double[,] x, ImageShape input, int kernel, int stride)
    {
        int n = x.GetLength(0), c = input.Channels, h = input.Height, wd = input.Width;
        int oh = (h - kernel) / stride + 1, ow = (wd - kernel) / stride + 1;
        var y = new double[n, c * oh * ow];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int r = 0; r < oh; r++)
                    for (int q = 0; q < ow; q++)
                    {
                        double m = double.NegativeInfinity;
                        for (int ki = 0; ki < kernel; ki++)
                            for (int kj = 0; kj < kernel; kj++)
                                m = Math.Max(m, x[i, (ch * h + r * stride + ki) * wd + q * stride + kj]);
                        y[i, (ch * oh + r) * ow + q] = m;
                    }
        return y;
    }

    private static void ForwardMatches<T>(int c, int h, int w, int k, int kernel, int stride, int padding, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = new ImageShape(c, h, w);
        var x = Matrix<T>.RandomNormal(3, c * h * w, 1);
        var weight = Matrix<T>.RandomNormal(k, c * kernel * kernel, 2);
        var bias = Matrix<T>.RandomNormal(1, k, 3);
        var expected = NaiveConv(Reference.ToDouble(x), Reference.ToDouble(weight), Reference.ToDouble(bias), input, kernel, stride, padding);
        var y = Ops.Conv2d(x, weight, bias, input, kernel, stride, padding);
        Reference.AssertClose(expected, y, tolerance, tolerance, "Conv2d");
        var into = Matrix<T>.Filled(y.Rows, y.Cols, T.NaN);
        Ops.Conv2d(x, weight, bias, input, kernel, stride, padding, into);
        Reference.AssertClose(expected, into, tolerance, tolerance, "Conv2d into");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Conv2d_matches_the_direct_loops_in_float_and_double(int c, int h, int w, int k, int kernel, int stride, int padding)
    {
        ForwardMatches<double>(c, h, w, k, kernel, stride, padding, 1e-12);
        ForwardMatches<float>(c, h, w, k, kernel, stride, padding, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Conv2d_backward_matches_central_differences(int c, int h, int w, int k, int kernel, int stride, int padding)
    {
        var input = new ImageShape(c, h, w);
        var x = Matrix<double>.RandomNormal(2, c * h * w, 4);
        var weight = Matrix<double>.RandomNormal(k, c * kernel * kernel, 5);
        var bias = Matrix<double>.RandomNormal(1, k, 6);
        var y = Ops.Conv2d(x, weight, bias, input, kernel, stride, padding);
        var dy = Matrix<double>.RandomNormal(y.Rows, y.Cols, 7);

        Check("Conv2dBackward dX", Numeric(m => Ops.Conv2d(m, weight, bias, input, kernel, stride, padding), x, dy),
            (dx, acc) => Ops.Conv2dBackward(x, weight, bias, input, kernel, stride, padding, dy, dx, acc, null, false, null, false));
        Check("Conv2dBackward dWeight", Numeric(m => Ops.Conv2d(x, m, bias, input, kernel, stride, padding), weight, dy),
            (dw, acc) => Ops.Conv2dBackward(x, weight, bias, input, kernel, stride, padding, dy, null, false, dw, acc, null, false));
        Check("Conv2dBackward dBias", Numeric(m => Ops.Conv2d(x, weight, m, input, kernel, stride, padding), bias, dy),
            (db, acc) => Ops.Conv2dBackward(x, weight, bias, input, kernel, stride, padding, dy, null, false, null, false, db, acc));

        // The fused form writes all three at once, and the allocating form returns the same.
        var (dX, dW, dB) = Ops.Conv2dBackward(x, weight, bias, input, kernel, stride, padding, dy);
        var dX2 = new Matrix<double>(dX.Rows, dX.Cols);
        var dW2 = new Matrix<double>(dW.Rows, dW.Cols);
        var dB2 = new Matrix<double>(1, k);
        Ops.Conv2dBackward(x, weight, bias, input, kernel, stride, padding, dy, dX2, false, null, false, null, false);
        Ops.Conv2dBackward(x, weight, bias, input, kernel, stride, padding, dy, null, false, dW2, false, dB2, false);
        Reference.AssertClose(Reference.ToDouble(dX2), dX, 1e-12, 1e-12, "dX");
        Reference.AssertClose(Reference.ToDouble(dW2), dW, 1e-12, 1e-12, "dWeight");
        Reference.AssertClose(Reference.ToDouble(dB2), dB, 1e-12, 1e-12, "dBias");
    }

    /// <summary>
    /// Each way a convolution can run on this machine gives the same results in double: the direct stride-1 path with
    /// its AVX-512 tiles (where the hardware has them) and with its AVX2 tiles, and the im2col path (forced through the
    /// portable GEMM); the forward also against the direct loops. Row counts (filters, channels) and tap counts that are
    /// not whole tiles, paddings 0 to kernel − 1 and beyond, and sizes whose wide rows end mid-tile.
    /// </summary>
    [Theory]
    [MemberData(nameof(AgreementCases))]
    public void Conv2d_direct_tiles_and_the_im2col_path_agree(int c, int h, int w, int k, int kernel, int padding)
        => DirectAndIm2colAgree<double>(c, h, w, k, kernel, padding, 1e-12);

    /// <summary>
    /// The same in float, where a vector holds twice the elements: other rows of the padding and crop loops take their
    /// whole-vector paths (and 2·padding fits a vector more often). Against the double reference at float precision.
    /// </summary>
    [Theory]
    [MemberData(nameof(AgreementCases))]
    public void Conv2d_direct_tiles_and_the_im2col_path_agree_in_float(int c, int h, int w, int k, int kernel, int padding)
        => DirectAndIm2colAgree<float>(c, h, w, k, kernel, padding, 2e-5);

    /// <summary>
    /// The same agreement on 40 seeded random stride-1 geometries per element type: 1–4 channels, 1–13 filters, kernels
    /// 1–5, paddings 0 to kernel − 1 (the direct path) and images 1–20 pixels a side, so rows shorter than a vector,
    /// exactly one, and several and a part all meet the tiles, the tail tiles, the padding and the crops.
    /// </summary>
    [Fact]
    public void Conv2d_direct_path_agrees_on_random_small_geometries()
    {
        var random = new Random(1809);
        for (int i = 0; i < 40; i++)
        {
            int kernel = random.Next(1, 6), padding = random.Next(0, kernel);
            int low = Math.Max(1, kernel - 2 * padding);
            int c = random.Next(1, 5), k = random.Next(1, 14), h = random.Next(low, 21), w = random.Next(low, 21);
            foreach (bool single in new[] { false, true })
            {
                try
                {
                    if (single)
                        DirectAndIm2colAgree<float>(c, h, w, k, kernel, padding, 2e-5);
                    else
                        DirectAndIm2colAgree<double>(c, h, w, k, kernel, padding, 1e-12);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw new Xunit.Sdk.XunitException($"{(single ? "float" : "double")} c {c}, h {h}, w {w}, filters {k}, kernel {kernel}, padding {padding}: {e.Message}");
                }
            }
        }
    }

    public static TheoryData<int, int, int, int, int, int> AgreementCases => new()
    {
        { 1, 5, 5, 1, 3, 0 },
        { 2, 7, 5, 3, 3, 1 },
        { 3, 9, 11, 9, 3, 2 },
        { 5, 6, 8, 17, 3, 1 },
        { 2, 8, 7, 5, 5, 2 },
        { 3, 6, 6, 4, 2, 1 },
        { 2, 5, 17, 3, 3, 1 },  // rows of two vectors and a part (float), four and a part (double)
        { 3, 4, 16, 2, 3, 0 },  // whole-vector rows without a border: the zeros run on into the next row
        { 2, 6, 9, 3, 5, 3 },   // 2·padding wider than a double vector, not a float one
        { 2, 5, 9, 3, 5, 4 },   // 2·padding exactly a float vector
        { 2, 4, 4, 3, 3, 3 },   // padding above kernel − 1: the im2col path in every mode
        { 8, 14, 14, 16, 3, 1 }, // the benchmark's 8→16 layer: padded rows of whole vectors, the shared dY shifted
        { 3, 12, 12, 5, 5, 2 },  // padded rows of 16, the shared dY's first interior pixel 34 elements in
    };

    private static void DirectAndIm2colAgree<T>(int c, int h, int w, int k, int kernel, int padding, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = new ImageShape(c, h, w);
        var x = Matrix<T>.RandomNormal(3, input.Size, 21);
        var weight = Matrix<T>.RandomNormal(k, c * kernel * kernel, 22);
        var bias = Matrix<T>.RandomNormal(1, k, 23);
        var expected = NaiveConv(Reference.ToDouble(x), Reference.ToDouble(weight), Reference.ToDouble(bias), input, kernel, 1, padding);
        var dy = Matrix<T>.RandomNormal(x.Rows, expected.GetLength(1), 24);

        (Matrix<T> Y, Matrix<T> DX, Matrix<T> DW, Matrix<T> DB, Matrix<T> DXAlone, Matrix<T> DWAlone) Run(bool avx2, bool portable)
        {
            bool savedAvx2 = Gemm.ForceAvx2, savedPortable = Gemm.ForcePortable;
            Gemm.ForceAvx2 = avx2;
            Gemm.ForcePortable = portable;
            try
            {
                var y = Ops.Conv2d(x, weight, bias, input, kernel, 1, padding);
                // Accumulating into ones checks the accumulate flags of every path too.
                var dx = Matrix<T>.Filled(x.Rows, x.Cols, T.One);
                var dw = Matrix<T>.Filled(weight.Rows, weight.Cols, T.One);
                var db = Matrix<T>.Filled(1, k, T.One);
                Ops.Conv2dBackward(x, weight, bias, input, kernel, 1, padding, dy, dx, true, dw, true, db, true);
                // dX alone and dWeight alone: the passes that do not share one padded dY.
                var dxAlone = new Matrix<T>(x.Rows, x.Cols);
                var dwAlone = new Matrix<T>(weight.Rows, weight.Cols);
                Ops.Conv2dBackward(x, weight, bias, input, kernel, 1, padding, dy, dxAlone, false, null, false, null, false);
                Ops.Conv2dBackward(x, weight, bias, input, kernel, 1, padding, dy, null, false, dwAlone, false, null, false);
                return (y, dx, dw, db, dxAlone, dwAlone);
            }
            finally
            {
                Gemm.ForceAvx2 = savedAvx2;
                Gemm.ForcePortable = savedPortable;
            }
        }

        var im2col = Run(avx2: false, portable: true);
        Reference.AssertClose(expected, im2col.Y, tolerance, tolerance, "im2col y");
        foreach (var (name, run) in new[] { ("default", Run(false, false)), ("AVX2 tiles", Run(true, false)) })
        {
            Reference.AssertClose(expected, run.Y, tolerance, tolerance, name + " y");
            Reference.AssertClose(Reference.ToDouble(im2col.DX), run.DX, tolerance, tolerance, name + " dX");
            Reference.AssertClose(Reference.ToDouble(im2col.DW), run.DW, tolerance, tolerance, name + " dWeight");
            Reference.AssertClose(Reference.ToDouble(im2col.DB), run.DB, tolerance, tolerance, name + " dBias");
            Reference.AssertClose(Reference.ToDouble(im2col.DXAlone), run.DXAlone, tolerance, tolerance, name + " dX alone");
            Reference.AssertClose(Reference.ToDouble(im2col.DWAlone), run.DWAlone, tolerance, tolerance, name + " dWeight alone");
        }
    }

    [Fact]
    public void Conv2d_split_over_threads_matches_one_thread()
    {
        // Big enough for the image split (above ConvKernels.ParallelThreshold), with an odd image count.
        var input = new ImageShape(3, 15, 13);
        var x = Matrix<float>.RandomNormal(13, input.Size, 8);
        var weight = Matrix<float>.RandomNormal(16, 27, 9);
        var bias = Matrix<float>.RandomNormal(1, 16, 10);
        var dy = Matrix<float>.RandomNormal(13, 16 * 15 * 13, 11);
        Assert.True(13L * 16 * 15 * 13 * 27 > ConvKernels<float>.ParallelThreshold);

        (Matrix<float> Y, Matrix<float> DX, Matrix<float> DW, Matrix<float> DB) Run(int threads)
        {
            int saved = GemmParallel.MaxThreads;
            GemmParallel.MaxThreads = threads;
            try
            {
                var y = Ops.Conv2d(x, weight, bias, input, 3, 1, 1);
                var (dx, dw, db) = Ops.Conv2dBackward(x, weight, bias, input, 3, 1, 1, dy);
                return (y, dx, dw, db);
            }
            finally
            {
                GemmParallel.MaxThreads = saved;
            }
        }

        var one = Run(1);
        var three = Run(3);
        Reference.AssertClose(Reference.ToDouble(one.Y), three.Y, 1e-5, 1e-5, "y");
        Reference.AssertClose(Reference.ToDouble(one.DX), three.DX, 1e-5, 1e-5, "dX");
        Reference.AssertClose(Reference.ToDouble(one.DW), three.DW, 1e-4, 1e-4, "dWeight");
        Reference.AssertClose(Reference.ToDouble(one.DB), three.DB, 1e-4, 1e-4, "dBias");
        var expected = NaiveConv(Reference.ToDouble(x), Reference.ToDouble(weight), Reference.ToDouble(bias), input, 3, 1, 1);
        Reference.AssertClose(expected, three.Y, 1e-4, 1e-4, "y against the direct loops");
    }

    public static TheoryData<int, int, int, int, int> PoolGeometries() => new()
    {
        { 1, 4, 4, 2, 2 },
        { 2, 7, 5, 2, 2 },  // odd sizes: the last row and column are dropped
        { 3, 6, 7, 3, 2 },  // overlapping windows
        { 2, 5, 5, 3, 1 },
        { 1, 9, 8, 2, 3 },  // stride larger than the kernel: gaps
    };

    [Theory]
    [MemberData(nameof(PoolGeometries))]
    public void MaxPool2d_matches_the_direct_loops_and_its_backward_central_differences(int c, int h, int w, int kernel, int stride)
    {
        var input = new ImageShape(c, h, w);
        var xf = Matrix<float>.RandomNormal(3, input.Size, 12);
        Reference.AssertClose(NaivePool(Reference.ToDouble(xf), input, kernel, stride), Ops.MaxPool2d(xf, input, kernel, stride), 0, 0, "MaxPool2d float");

        var x = Matrix<double>.RandomNormal(3, input.Size, 13);
        var y = Ops.MaxPool2d(x, input, kernel, stride);
        Reference.AssertClose(NaivePool(Reference.ToDouble(x), input, kernel, stride), y, 0, 0, "MaxPool2d");
        var into = Matrix<double>.Filled(y.Rows, y.Cols, double.NaN);
        Ops.MaxPool2d(x, input, kernel, stride, into);
        Reference.AssertClose(Reference.ToDouble(y), into, 0, 0, "MaxPool2d into");

        var dy = Matrix<double>.RandomNormal(y.Rows, y.Cols, 14);
        Check("MaxPool2dBackward", Numeric(m => Ops.MaxPool2d(m, input, kernel, stride), x, dy),
            (dx, acc) => Ops.MaxPool2dBackward(x, input, kernel, stride, dy, dx, acc));
    }

    [Fact]
    public void MaxPool2d_backward_routes_a_tie_to_the_first_largest_element_as_PyTorch()
    {
        // One 1×2×3 image, windows 2×2 stride 1: both windows see two 5s.
        var input = new ImageShape(1, 2, 3);
        var x = Matrix<float>.FromRows([[5f, 5f, 1f, 0f, 5f, 5f]]);
        var y = Ops.MaxPool2d(x, input, 2, 1);
        Assert.Equal([5f, 5f], y.AsSpan().ToArray());
        var dx = Matrix<float>.Filled(1, 6, float.NaN);
        Ops.MaxPool2dBackward(x, input, 2, 1, Matrix<float>.FromRows([[1f, 10f]]), dx);
        // Window 0 covers indices 0, 1, 3, 4: first 5 at 0. Window 1 covers 1, 2, 4, 5: first 5 at 1.
        Assert.Equal([1f, 10f, 0f, 0f, 0f, 0f], dx.AsSpan().ToArray());
    }

    /// <summary>
    /// The 2×2 stride-2 loops pick the same element as the general window scan: the first largest in row-major order, the
    /// first NaN, over every pattern of ties and NaNs in a window; windows that do not tile the plane (5×5) leave zeros.
    /// </summary>
    [Fact]
    public void MaxPool2d_two_by_two_stride_two_routes_ties_and_NaNs_as_the_general_scan()
    {
        float[] values = [1f, 2f, 2f, float.NaN, -0f, 0f];
        var input = new ImageShape(1, 2, 2);
        foreach (float a in values)
        foreach (float b in values)
        foreach (float c in values)
        foreach (float d in values)
        {
            var window = new[] { a, b, c, d };
            int expected = -1;
            for (int i = 0; i < 4 && expected < 0; i++)
                if (float.IsNaN(window[i]))
                    expected = i;
            if (expected < 0)
            {
                expected = 0;
                for (int i = 1; i < 4; i++)
                    if (window[i] > window[expected])
                        expected = i;
            }
            var x = Matrix<float>.FromRows([window]);
            var y = Ops.MaxPool2d(x, input, 2, 2);
            Assert.Equal(float.IsNaN(window[expected]), float.IsNaN(y[0, 0]));
            if (!float.IsNaN(window[expected]))
                Assert.Equal(window[expected], y[0, 0]);
            var dx = Matrix<float>.Filled(1, 4, float.NaN);
            Ops.MaxPool2dBackward(x, input, 2, 2, Matrix<float>.FromRows([[3f]]), dx);
            Assert.Equal(Enumerable.Range(0, 4).Select(i => i == expected ? 3f : 0f), dx.AsSpan().ToArray());
            Ops.MaxPool2dBackward(x, input, 2, 2, Matrix<float>.FromRows([[3f]]), dx, accumulate: true);
            Assert.Equal(Enumerable.Range(0, 4).Select(i => i == expected ? 6f : 0f), dx.AsSpan().ToArray());
        }

        var odd = new ImageShape(1, 5, 5);
        var image = Matrix<float>.RandomNormal(1, 25, 3);
        var grad = Matrix<float>.Filled(1, 25, float.NaN);
        Ops.MaxPool2dBackward(image, odd, 2, 2, Matrix<float>.Filled(1, 4, 1f), grad);
        Assert.Equal(4f, grad.AsSpan().ToArray().Sum());
        for (int i = 0; i < 5; i++)
            Assert.True(grad[0, 4 * 5 + i] == 0 && grad[0, i * 5 + 4] == 0, "the last row and column are in no window");
    }

    /// <summary>
    /// The vector blocks of the 2×2 stride-2 loops (four float or two double windows at a time) against the definition, on
    /// rows long enough for blocks and a scalar tail (widths 4 to 19), with many ties, ±0 and a few NaNs: the value of each
    /// window, the element its gradient reaches (written and added) and the zeros everywhere else.
    /// </summary>
    [Theory]
    [InlineData(4, 6)]
    [InlineData(9, 16)]
    [InlineData(14, 14)]
    [InlineData(19, 7)]
    public void MaxPool2d_two_by_two_vector_blocks_match_the_definition(int width, int height)
    {
        PoolBlocksMatch<float>(width, height);
        PoolBlocksMatch<double>(width, height);
    }

    private static void PoolBlocksMatch<T>(int width, int height) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = new ImageShape(2, height, width);
        int oh = height / 2, ow = width / 2;
        var random = new Random(width * 100 + height);
        T[] pool = [T.One, T.CreateChecked(2), T.CreateChecked(2), T.Zero, T.NegativeZero, T.CreateChecked(-1), T.NaN];
        var x = new Matrix<T>(3, input.Size);
        var xs = x.AsSpan();
        for (int i = 0; i < xs.Length; i++)
            xs[i] = random.Next(40) == 0 ? T.NaN : pool[random.Next(pool.Length - 1)];
        var dy = Matrix<T>.RandomNormal(3, 2 * oh * ow, 5);
        var y = Ops.MaxPool2d(x, input, 2, 2);
        var dx = Matrix<T>.Filled(3, input.Size, T.NaN);
        Ops.MaxPool2dBackward(x, input, 2, 2, dy, dx);
        var dxAdded = Matrix<T>.Filled(3, input.Size, T.One);
        Ops.MaxPool2dBackward(x, input, 2, 2, dy, dxAdded, accumulate: true);

        var expectedDx = new T[3 * input.Size];
        for (int n = 0; n < 3; n++)
            for (int c = 0; c < 2; c++)
                for (int r = 0; r < oh; r++)
                    for (int q = 0; q < ow; q++)
                    {
                        int bestIndex = -1;
                        for (int i = 0; i < 2 && bestIndex < 0; i++)
                            for (int j = 0; j < 2 && bestIndex < 0; j++)
                            {
                                int index = (c * height + 2 * r + i) * width + 2 * q + j;
                                if (T.IsNaN(x[n, index]))
                                    bestIndex = index;
                            }
                        if (bestIndex < 0)
                        {
                            bestIndex = (c * height + 2 * r) * width + 2 * q;
                            for (int i = 0; i < 2; i++)
                                for (int j = 0; j < 2; j++)
                                {
                                    int index = (c * height + 2 * r + i) * width + 2 * q + j;
                                    if (x[n, index] > x[n, bestIndex])
                                        bestIndex = index;
                                }
                        }
                        int output = (c * oh + r) * ow + q;
                        T value = x[n, bestIndex], got = y[n, output];
                        Assert.True(T.IsNaN(value) ? T.IsNaN(got) : got == value, $"{typeof(T).Name} {width}×{height} image {n} window {output}: {got}, expected {value}");
                        expectedDx[n * input.Size + bestIndex] = dy[n, output];
                    }
        for (int i = 0; i < expectedDx.Length; i++)
        {
            int n = i / input.Size, e = i % input.Size;
            Assert.True(dx[n, e] == expectedDx[i], $"{typeof(T).Name} {width}×{height} dX[{n}, {e}] = {dx[n, e]}, expected {expectedDx[i]}");
            Assert.True(dxAdded[n, e] == expectedDx[i] + T.One, $"{typeof(T).Name} {width}×{height} accumulated dX[{n}, {e}] = {dxAdded[n, e]}, expected {expectedDx[i] + T.One}");
        }
    }

    private static IEnumerable<(string Name, Action Run)> DestinationCalls<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (n, input, k, kernel, stride, padding) in new[]
        {
            (3, new ImageShape(2, 7, 5), 3, 3, 2, 1),     // one thread, strided
            (16, new ImageShape(4, 14, 14), 8, 3, 1, 1),  // split over the threads
            (4, new ImageShape(3, 6, 6), 2, 1, 1, 0),     // kernel 1: no im2col
        })
        {
            var x = Matrix<T>.RandomNormal(n, input.Size, 1);
            var w = Matrix<T>.RandomNormal(k, input.Channels * kernel * kernel, 2);
            var b = Matrix<T>.RandomNormal(1, k, 3);
            var y = Ops.Conv2d(x, w, b, input, kernel, stride, padding);
            var dx = NewLike(x);
            var dw = NewLike(w);
            var db = NewLike(b);
            string name = $"{typeof(T).Name} {input} k{kernel} s{stride} p{padding}";
            yield return ("Conv2d " + name, () => Ops.Conv2d(x, w, b, input, kernel, stride, padding, y));
            yield return ("Conv2dBackward " + name, () => Ops.Conv2dBackward(x, w, b, input, kernel, stride, padding, y, dx, false, dw, false, db, false));
            yield return ("Conv2dBackward acc " + name, () => Ops.Conv2dBackward(x, w, b, input, kernel, stride, padding, y, dx, true, dw, true, db, true));
            yield return ("Conv2dBackward no dX " + name, () => Ops.Conv2dBackward(x, w, b, input, kernel, stride, padding, y, null, false, dw, false, db, false));
            var pooled = Ops.MaxPool2d(x, input, 2, 2);
            yield return ("MaxPool2d " + name, () => Ops.MaxPool2d(x, input, 2, 2, pooled));
            yield return ("MaxPool2dBackward " + name, () => Ops.MaxPool2dBackward(x, input, 2, 2, pooled, dx, accumulate: true));
        }
    }

    private static Matrix<T> NewLike<T>(Matrix<T> m) where T : unmanaged, IFloatingPointIeee754<T> => new(m.Rows, m.Cols);

    [Fact]
    public void Destination_forms_allocate_nothing_after_warm_up()
    {
        var failures = new List<string>();
        foreach (var (name, run) in DestinationCalls<float>().Concat(DestinationCalls<double>()))
        {
            run(); // JIT, the thread's scratch, the GEMM's pool
            run();
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated != 0)
                failures.Add($"{name}: {allocated} bytes");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    [Fact]
    public void Errors_name_the_op_and_the_shapes()
    {
        var input = new ImageShape(3, 5, 5);
        var x = new Matrix<float>(4, 75);
        var w = new Matrix<float>(8, 27);
        var b = new Matrix<float>(1, 8);

        string Shape(Action a) => Assert.Throws<ShapeMismatchException>(a).Message;
        string Range(Action a) => Assert.Throws<ArgumentOutOfRangeException>(a).Message;

        Assert.Equal("Conv2d: x is [4, 30] but its columns must be C·H·W = 3·5·5 = 75 for input (C, H, W) = (3, 5, 5)",
            Shape(() => Ops.Conv2d(new Matrix<float>(4, 30), w, b, input, 3)));
        Assert.Equal("Conv2d: weight is [8, 20] but its columns must be C·kernel·kernel = 3·3·3 = 27 for input (C, H, W) = (3, 5, 5) and kernel 3",
            Shape(() => Ops.Conv2d(x, new Matrix<float>(8, 20), b, input, 3)));
        Assert.Equal("Conv2d: bias is [8, 1] but must be [1, 8]: one value per output channel of weight [8, 27]",
            Shape(() => Ops.Conv2d(x, w, new Matrix<float>(8, 1), input, 3)));
        Assert.StartsWith("Conv2d: stride is 0 but must be at least 1.", Range(() => Ops.Conv2d(x, w, b, input, 3, stride: 0)));
        Assert.StartsWith("Conv2d: padding is -1 but must not be negative.", Range(() => Ops.Conv2d(x, w, b, input, 3, padding: -1)));
        Assert.StartsWith("Conv2d: kernel 9 is larger than the padded input 7×7 (input (C, H, W) = (3, 5, 5), padding 1).",
            Range(() => Ops.Conv2d(x, new Matrix<float>(8, 243), b, input, 9, 1, 1)));
        Assert.StartsWith("Conv2d: kernel is 0 but must be at least 1.", Range(() => Ops.Conv2d(x, new Matrix<float>(8, 0), b, input, 0)));
        Assert.StartsWith("Conv2d: input (C, H, W) = (0, 5, 5) must have every size at least 1.",
            Range(() => Ops.Conv2d(new Matrix<float>(4, 0), w, b, new ImageShape(0, 5, 5), 3)));
        Assert.Equal("Conv2d: result is [4, 8] but must be [4, 200]", Shape(() => Ops.Conv2d(x, w, b, input, 3, 1, 1, new Matrix<float>(4, 8))));
        Assert.Equal("Conv2dBackward: dOutput is [4, 72] but must be [4, 200]",
            Shape(() => Ops.Conv2dBackward(x, w, b, input, 3, 1, 1, new Matrix<float>(4, 72), null, false, w, false, b, false)));
        Assert.Equal("Conv2dBackward: dWeight is [8, 26] but must be [8, 27]",
            Shape(() => Ops.Conv2dBackward(x, w, b, input, 3, 1, 1, new Matrix<float>(4, 200), null, false, new Matrix<float>(8, 26), false, b, false)));
        Assert.Contains("Conv2d", Assert.Throws<ArgumentException>(() => Ops.Conv2d(x, new Matrix<float>(3, 3), new Matrix<float>(1, 3), input, 1, 1, 0, x)).Message);

        Assert.Equal("MaxPool2d: x is [4, 30] but its columns must be C·H·W = 3·5·5 = 75 for input (C, H, W) = (3, 5, 5)",
            Shape(() => Ops.MaxPool2d(new Matrix<float>(4, 30), input, 2, 2)));
        Assert.StartsWith("MaxPool2d: stride is 0 but must be at least 1.", Range(() => Ops.MaxPool2d(x, input, 2, 0)));
        Assert.StartsWith("MaxPool2d: kernel 6 is larger than the input 5×5 (input (C, H, W) = (3, 5, 5)).", Range(() => Ops.MaxPool2d(x, input, 6, 1)));
        Assert.Equal("MaxPool2dBackward: dX is [4, 74] but must be [4, 75]",
            Shape(() => Ops.MaxPool2dBackward(x, input, 2, 2, new Matrix<float>(4, 12), new Matrix<float>(4, 74))));
    }
}
