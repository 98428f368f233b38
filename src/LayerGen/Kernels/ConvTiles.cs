using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LayerGen;

/// <summary>
/// The register tiles of the direct stride-1 convolution (<c>ConvKernels.Direct.cs</c>): an implicit im2col that reads
/// each filter tap's operand straight out of the zero-padded image instead of copying it into a matrix and packing
/// it for a GEMM. Like <see cref="IGemmKernel{T}"/>, each implementation is a struct so the driver is specialised
/// by the JIT and the tile sizes are constants.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal unsafe interface IConvTiles<T> where T : unmanaged
{
    /// <summary>Output channels per forward tile.</summary>
    static abstract int Rows { get; }

    /// <summary>Wide output columns per forward tile (a whole number of vectors).</summary>
    static abstract int Columns { get; }

    /// <summary>Lanes of one vector.</summary>
    static abstract int Lanes { get; }

    /// <summary>Output channels per weight-gradient tile.</summary>
    static abstract int GradRows { get; }

    /// <summary>Filter taps per weight-gradient tile.</summary>
    static abstract int GradTaps { get; }

    /// <summary>
    /// <c>output[r·ldo + j] = Σₜ packed[t·Rows + r] · input[offsets[t] + j]</c> for r &lt; Rows, j &lt; Columns: one
    /// tile of output channels × wide columns, its operands read at each tap's offset in the padded image.
    /// </summary>
    static abstract void Tile(T* input, int* offsets, int taps, T* packed, T* output, int ldo);

    /// <summary>
    /// <see cref="Tile"/> for the last <paramref name="vectors"/> vectors of a wide row (fewer than a tile's
    /// <see cref="Columns"/>), one vector at a time.
    /// </summary>
    static abstract void TailTile(T* input, int* offsets, int taps, T* packed, T* output, int ldo, int vectors);

    /// <summary>
    /// <c>sums[r·GradTaps + j] = Σᵢ Σₗ dy[i·dyImage + r·ldDy + l] · x[i·xImage + offsets[j] + l]</c> over
    /// <paramref name="images"/> images and l &lt; <paramref name="length"/> (a multiple of <see cref="Lanes"/>): one tile
    /// of output channels × filter taps of the weight gradient, each a dot product along the wide columns.
    /// </summary>
    static abstract void GradTile(T* dy, int ldDy, long dyImage, T* x, long xImage, int* offsets, int length, int images, T* sums);
}

/// <summary>
/// AVX-512: forward tiles of 8 channels × 2 vectors (16 accumulators; two vectors, not three, round a 14-pixel image's
/// wide rows up less), gradient tiles of 4 channels × 6 taps (24).
/// </summary>
internal readonly unsafe struct ConvTiles512<T> : IConvTiles<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 8;
    }

    public static int Columns
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2 * Vector512<T>.Count;
    }

    public static int Lanes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<T>.Count;
    }

    public static int GradRows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }

    public static int GradTaps
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 6;
    }

    public static bool IsSupported => Avx512Kernel<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
            return Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(T* input, int* offsets, int taps, T* packed, T* output, int ldo)
    {
        int v = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        T* w = packed;
        for (int t = 0; t < taps; t++, w += 8)
        {
            T* src = input + offsets[t];
            var b0 = Vector512.Load(src);
            var b1 = Vector512.Load(src + v);
            var a = Vector512.Create(w[0]);
            c00 = Fma(a, b0, c00); c01 = Fma(a, b1, c01);
            a = Vector512.Create(w[1]);
            c10 = Fma(a, b0, c10); c11 = Fma(a, b1, c11);
            a = Vector512.Create(w[2]);
            c20 = Fma(a, b0, c20); c21 = Fma(a, b1, c21);
            a = Vector512.Create(w[3]);
            c30 = Fma(a, b0, c30); c31 = Fma(a, b1, c31);
            a = Vector512.Create(w[4]);
            c40 = Fma(a, b0, c40); c41 = Fma(a, b1, c41);
            a = Vector512.Create(w[5]);
            c50 = Fma(a, b0, c50); c51 = Fma(a, b1, c51);
            a = Vector512.Create(w[6]);
            c60 = Fma(a, b0, c60); c61 = Fma(a, b1, c61);
            a = Vector512.Create(w[7]);
            c70 = Fma(a, b0, c70); c71 = Fma(a, b1, c71);
        }
        Store(output, v, c00, c01);
        Store(output + ldo, v, c10, c11);
        Store(output + 2L * ldo, v, c20, c21);
        Store(output + 3L * ldo, v, c30, c31);
        Store(output + 4L * ldo, v, c40, c41);
        Store(output + 5L * ldo, v, c50, c51);
        Store(output + 6L * ldo, v, c60, c61);
        Store(output + 7L * ldo, v, c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TailTile(T* input, int* offsets, int taps, T* packed, T* output, int ldo, int vectors)
    {
        int v = Vector512<T>.Count;
        for (int j = 0; j < vectors; j++, input += v, output += v)
        {
            Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            T* w = packed;
            for (int t = 0; t < taps; t++, w += 8)
            {
                var b = Vector512.Load(input + offsets[t]);
                c0 = Fma(Vector512.Create(w[0]), b, c0); c1 = Fma(Vector512.Create(w[1]), b, c1);
                c2 = Fma(Vector512.Create(w[2]), b, c2); c3 = Fma(Vector512.Create(w[3]), b, c3);
                c4 = Fma(Vector512.Create(w[4]), b, c4); c5 = Fma(Vector512.Create(w[5]), b, c5);
                c6 = Fma(Vector512.Create(w[6]), b, c6); c7 = Fma(Vector512.Create(w[7]), b, c7);
            }
            c0.Store(output); c1.Store(output + ldo); c2.Store(output + 2L * ldo); c3.Store(output + 3L * ldo);
            c4.Store(output + 4L * ldo); c5.Store(output + 5L * ldo); c6.Store(output + 6L * ldo); c7.Store(output + 7L * ldo);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* row, int v, Vector512<T> a, Vector512<T> b)
    {
        a.Store(row);
        b.Store(row + v);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradTile(T* dy, int ldDy, long dyImage, T* x, long xImage, int* offsets, int length, int images, T* sums)
    {
        int v = Vector512<T>.Count;
        Vector512<T> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default;
        Vector512<T> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        Vector512<T> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default;
        Vector512<T> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default, a35 = default;
        int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5];
        for (int i = 0; i < images; i++, dy += dyImage, x += xImage)
        {
            T* d0 = dy, d1 = dy + ldDy, d2 = dy + 2L * ldDy, d3 = dy + 3L * ldDy;
            for (int l = 0; l < length; l += v)
            {
                var y0 = Vector512.Load(d0 + l);
                var y1 = Vector512.Load(d1 + l);
                var y2 = Vector512.Load(d2 + l);
                var y3 = Vector512.Load(d3 + l);
                T* xl = x + l;
                var s = Vector512.Load(xl + o0);
                a00 = Fma(y0, s, a00); a10 = Fma(y1, s, a10); a20 = Fma(y2, s, a20); a30 = Fma(y3, s, a30);
                s = Vector512.Load(xl + o1);
                a01 = Fma(y0, s, a01); a11 = Fma(y1, s, a11); a21 = Fma(y2, s, a21); a31 = Fma(y3, s, a31);
                s = Vector512.Load(xl + o2);
                a02 = Fma(y0, s, a02); a12 = Fma(y1, s, a12); a22 = Fma(y2, s, a22); a32 = Fma(y3, s, a32);
                s = Vector512.Load(xl + o3);
                a03 = Fma(y0, s, a03); a13 = Fma(y1, s, a13); a23 = Fma(y2, s, a23); a33 = Fma(y3, s, a33);
                s = Vector512.Load(xl + o4);
                a04 = Fma(y0, s, a04); a14 = Fma(y1, s, a14); a24 = Fma(y2, s, a24); a34 = Fma(y3, s, a34);
                s = Vector512.Load(xl + o5);
                a05 = Fma(y0, s, a05); a15 = Fma(y1, s, a15); a25 = Fma(y2, s, a25); a35 = Fma(y3, s, a35);
            }
        }
        // sums is row-major [4, 6]: six runs of four consecutive sums.
        Sum4(sums, a00, a01, a02, a03);
        Sum4(sums + 4, a04, a05, a10, a11);
        Sum4(sums + 8, a12, a13, a14, a15);
        Sum4(sums + 12, a20, a21, a22, a23);
        Sum4(sums + 16, a24, a25, a30, a31);
        Sum4(sums + 20, a32, a33, a34, a35);
    }

    /// <summary>
    /// dst[0..4) = the lane sums of a, b, c, d: halves added down to 128 bits, then horizontal adds across the four
    /// (a transposing reduction: a dozen instructions for four sums instead of a full tree per vector).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sum4(T* dst, Vector512<T> a, Vector512<T> b, Vector512<T> c, Vector512<T> d)
        => ConvTiles256<T>.Sum4(dst, a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper(), c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper());
}

/// <summary>
/// AVX2/FMA: forward tiles of 4 channels × 3 vectors, gradient tiles of 2 channels × 6 taps: twelve accumulators each,
/// which with the operands take 15–16 of the 16 ymm registers. Twelve FMAs per step cover the FMA latency with room to
/// spare (8 would only just), and a step costs 7–8 loads for 12 FMAs instead of 6–7 for 8, so the tiles are bound by
/// their FMAs rather than by the two 256-bit loads a cycle of a Zen 3 core. Output-channel counts that are multiples of
/// 4, and tap counts that are multiples of 6 (8 input channels × 9 taps = 72), fill the tiles exactly.
/// </summary>
internal readonly unsafe struct ConvTiles256<T> : IConvTiles<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }

    public static int Columns
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 3 * Vector256<T>.Count;
    }

    public static int Lanes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<T>.Count;
    }

    public static int GradRows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2;
    }

    public static int GradTaps
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 6;
    }

    public static bool IsSupported => Avx2Kernel<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float))
            return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(T* input, int* offsets, int taps, T* packed, T* output, int ldo)
    {
        int v = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector256<T> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        T* w = packed;
        for (int t = 0; t < taps; t++, w += 4)
        {
            T* src = input + offsets[t];
            var b0 = Vector256.Load(src);
            var b1 = Vector256.Load(src + v);
            var b2 = Vector256.Load(src + 2 * v);
            var a = Vector256.Create(w[0]);
            c00 = Fma(a, b0, c00); c01 = Fma(a, b1, c01); c02 = Fma(a, b2, c02);
            a = Vector256.Create(w[1]);
            c10 = Fma(a, b0, c10); c11 = Fma(a, b1, c11); c12 = Fma(a, b2, c12);
            a = Vector256.Create(w[2]);
            c20 = Fma(a, b0, c20); c21 = Fma(a, b1, c21); c22 = Fma(a, b2, c22);
            a = Vector256.Create(w[3]);
            c30 = Fma(a, b0, c30); c31 = Fma(a, b1, c31); c32 = Fma(a, b2, c32);
        }
        Store(output, v, c00, c01, c02);
        Store(output + ldo, v, c10, c11, c12);
        Store(output + 2L * ldo, v, c20, c21, c22);
        Store(output + 3L * ldo, v, c30, c31, c32);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TailTile(T* input, int* offsets, int taps, T* packed, T* output, int ldo, int vectors)
    {
        int v = Vector256<T>.Count;
        for (int j = 0; j < vectors; j++, input += v, output += v)
        {
            Vector256<T> c0 = default, c1 = default, c2 = default, c3 = default;
            T* w = packed;
            for (int t = 0; t < taps; t++, w += 4)
            {
                var b = Vector256.Load(input + offsets[t]);
                c0 = Fma(Vector256.Create(w[0]), b, c0); c1 = Fma(Vector256.Create(w[1]), b, c1);
                c2 = Fma(Vector256.Create(w[2]), b, c2); c3 = Fma(Vector256.Create(w[3]), b, c3);
            }
            c0.Store(output); c1.Store(output + ldo); c2.Store(output + 2L * ldo); c3.Store(output + 3L * ldo);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* row, int v, Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        a.Store(row);
        b.Store(row + v);
        c.Store(row + 2 * v);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradTile(T* dy, int ldDy, long dyImage, T* x, long xImage, int* offsets, int length, int images, T* sums)
    {
        int v = Vector256<T>.Count;
        Vector256<T> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default;
        Vector256<T> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        // Native-sized offsets: no sign extension per load.
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5];
        for (int i = 0; i < images; i++, dy += dyImage, x += xImage)
        {
            T* d0 = dy, d1 = dy + ldDy;
            for (int l = 0; l < length; l += v)
            {
                var y0 = Vector256.Load(d0 + l);
                var y1 = Vector256.Load(d1 + l);
                T* xl = x + l;
                var s = Vector256.Load(xl + o0);
                a00 = Fma(y0, s, a00); a10 = Fma(y1, s, a10);
                s = Vector256.Load(xl + o1);
                a01 = Fma(y0, s, a01); a11 = Fma(y1, s, a11);
                s = Vector256.Load(xl + o2);
                a02 = Fma(y0, s, a02); a12 = Fma(y1, s, a12);
                s = Vector256.Load(xl + o3);
                a03 = Fma(y0, s, a03); a13 = Fma(y1, s, a13);
                s = Vector256.Load(xl + o4);
                a04 = Fma(y0, s, a04); a14 = Fma(y1, s, a14);
                s = Vector256.Load(xl + o5);
                a05 = Fma(y0, s, a05); a15 = Fma(y1, s, a15);
            }
        }
        // sums is row-major [2, 6]: three runs of four consecutive sums.
        Sum4(sums, a00, a01, a02, a03);
        Sum4(sums + 4, a04, a05, a10, a11);
        Sum4(sums + 8, a12, a13, a14, a15);
    }

    /// <summary>dst[0..4) = the lane sums of a, b, c, d (halves added down to 128 bits, then horizontal adds across the four).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Sum4(T* dst, Vector256<T> a, Vector256<T> b, Vector256<T> c, Vector256<T> d)
    {
        var xa = a.GetLower() + a.GetUpper();
        var xb = b.GetLower() + b.GetUpper();
        var xc = c.GetLower() + c.GetUpper();
        var xd = d.GetLower() + d.GetUpper();
        if (typeof(T) == typeof(float))
        {
            var ab = Sse3.HorizontalAdd(xa.AsSingle(), xb.AsSingle()); // a01 a23 b01 b23
            var cd = Sse3.HorizontalAdd(xc.AsSingle(), xd.AsSingle());
            Sse3.HorizontalAdd(ab, cd).As<float, T>().Store(dst);
        }
        else
        {
            Sse3.HorizontalAdd(xa.AsDouble(), xb.AsDouble()).As<double, T>().Store(dst);
            Sse3.HorizontalAdd(xc.AsDouble(), xd.AsDouble()).As<double, T>().Store(dst + 2);
        }
    }
}
