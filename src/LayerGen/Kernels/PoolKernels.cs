using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LayerGen;

/// <summary>
/// Max pooling without padding, plane by plane; the backward recomputes each window's argmax (first largest in
/// row-major order; the first NaN wins). The common 2×2 window with stride 2 has its own loops: 128-bit vectors over
/// four (float) or two (double) windows at a time, which split each input row pair into the windows' four corners
/// (even and odd columns of both rows), and scalar code for the rest of a row and for any block holding a NaN. Other
/// windows go through <see cref="ArgMax"/>. Above <see cref="ParallelThreshold"/> input elements the planes are split
/// over the GEMM's worker pool (every plane is independent, so the result does not depend on the split).
/// </summary>
internal static unsafe class PoolKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Poolings over fewer input elements than this run on the calling thread.</summary>
    internal const long ParallelThreshold = 64 * 1024;

    private struct Job
    {
        public T* X, Y, DY, DX;
        public ConvGeometry G;
        public int Planes;
        public bool Accumulate, Tiles;
    }

    private static int Parts(long elements, int planes)
    {
        int threads = GemmParallel.MaxThreads > 0 ? GemmParallel.MaxThreads : Environment.ProcessorCount;
        return elements < ParallelThreshold || threads <= 1 ? 1 : Math.Min(threads, planes);
    }

    private static (int First, int End) Range(int planes, int part, int parts) =>
        ((int)((long)planes * part / parts), (int)((long)planes * (part + 1) / parts));

    /// <summary>Whether the 128-bit blocks of the 2×2 loops run (SSE2 on x86; elsewhere the scalar loops do all).</summary>
    private static bool Vectorized => Sse2.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    public static void Forward(Matrix<T> x, in ConvGeometry g, Matrix<T> result)
    {
        int planes = x.Rows * g.C;
        fixed (T* px = x.AsReadOnlySpan())
        fixed (T* py = result.AsSpan())
        {
            var job = new Job { X = px, Y = py, G = g, Planes = planes };
            int parts = Parts((long)planes * g.InputPixels, planes);
            if (parts <= 1)
                ForwardPart(&job, 0, 1);
            else
                GemmParallel.RunParts(&ForwardPart, &job, parts);
        }
    }

    public static void Backward(Matrix<T> x, in ConvGeometry g, Matrix<T> dOutput, Matrix<T> dX, bool accumulate)
    {
        int planes = x.Rows * g.C;
        bool twoByTwo = g.Kernel == 2 && g.Stride == 2;
        // Non-overlapping windows that tile the plane write every element of dX once: no clearing pass.
        bool tiles = twoByTwo && g.H == 2 * g.OH && g.W == 2 * g.OW;
        if (!accumulate && !tiles)
            dX.AsSpan().Clear();
        fixed (T* px = x.AsReadOnlySpan())
        fixed (T* pdy = dOutput.AsReadOnlySpan())
        fixed (T* pdx = dX.AsSpan())
        {
            var job = new Job { X = px, DY = pdy, DX = pdx, G = g, Planes = planes, Accumulate = accumulate, Tiles = tiles };
            int parts = Parts((long)planes * g.InputPixels, planes);
            if (parts <= 1)
                BackwardPart(&job, 0, 1);
            else
                GemmParallel.RunParts(&BackwardPart, &job, parts);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardPart(void* state, int part, int parts)
    {
        ref readonly Job job = ref *(Job*)state;
        var g = job.G;
        var (first, end) = Range(job.Planes, part, parts);
        int oh = g.OH, ow = g.OW, inputPixels = g.InputPixels, outputPixels = g.OutputPixels, w = g.W;
        bool twoByTwo = g.Kernel == 2 && g.Stride == 2;
        for (int q = first; q < end; q++)
        {
            T* plane = job.X + (long)q * inputPixels;
            T* output = job.Y + (long)q * outputPixels;
            if (twoByTwo)
            {
                for (int y = 0; y < oh; y++)
                {
                    T* r0 = plane + (long)(2 * y) * w;
                    ForwardRow(r0, r0 + w, output + (long)y * ow, ow);
                }
                continue;
            }
            for (int y = 0; y < oh; y++)
                for (int xo = 0; xo < ow; xo++)
                    output[y * ow + xo] = plane[ArgMax(plane, g, y, xo)];
        }
    }

    /// <summary>o[0, n) = the largest of each 2×2 window of the row pair r0, r1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardRow(T* r0, T* r1, T* o, int n)
    {
        int xo = 0;
        if (Vectorized)
        {
            int v = Vector128<T>.Count;
            for (; xo <= n - v; xo += v)
            {
                var a0 = Vector128.Load(r0 + 2 * xo);
                var a1 = Vector128.Load(r0 + 2 * xo + v);
                var b0 = Vector128.Load(r1 + 2 * xo);
                var b1 = Vector128.Load(r1 + 2 * xo + v);
                if (HasNaN(a0, a1, b0, b1))
                {
                    ForwardScalar(r0, r1, o, xo, xo + v);
                    continue;
                }
                var lo = Max(a0, b0);    // each column's larger element, then the larger of adjacent columns
                var hi = Max(a1, b1);
                Max(Evens(lo, hi), Odds(lo, hi)).Store(o + xo);
            }
        }
        ForwardScalar(r0, r1, o, xo, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardScalar(T* r0, T* r1, T* o, int from, int to)
    {
        for (int xo = from; xo < to; xo++)
        {
            // Max propagates NaN, as the window's first NaN wins; on ties the value is the same.
            o[xo] = T.Max(T.Max(r0[2 * xo], r0[2 * xo + 1]), T.Max(r1[2 * xo], r1[2 * xo + 1]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardPart(void* state, int part, int parts)
    {
        ref readonly Job job = ref *(Job*)state;
        var g = job.G;
        var (first, end) = Range(job.Planes, part, parts);
        int oh = g.OH, ow = g.OW, inputPixels = g.InputPixels, outputPixels = g.OutputPixels, w = g.W;
        bool twoByTwo = g.Kernel == 2 && g.Stride == 2;
        bool write = !job.Accumulate && job.Tiles;
        for (int q = first; q < end; q++)
        {
            T* plane = job.X + (long)q * inputPixels;
            T* dPlane = job.DX + (long)q * inputPixels;
            T* dy = job.DY + (long)q * outputPixels;
            if (twoByTwo)
            {
                for (int y = 0; y < oh; y++)
                {
                    T* r0 = plane + (long)(2 * y) * w;
                    T* d0 = dPlane + (long)(2 * y) * w;
                    BackwardRow(r0, r0 + w, d0, d0 + w, dy + (long)y * ow, ow, write);
                }
                continue;
            }
            for (int y = 0; y < oh; y++)
                for (int xo = 0; xo < ow; xo++)
                    dPlane[ArgMax(plane, g, y, xo)] += dy[y * ow + xo];
        }
    }

    /// <summary>
    /// Routes g[0, n) to each 2×2 window's first largest element of the row pair r0, r1 in d0, d1: written (with zeros
    /// at the other three) when <paramref name="write"/>, otherwise added.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardRow(T* r0, T* r1, T* d0, T* d1, T* g, int n, bool write)
    {
        int xo = 0;
        if (Vectorized)
        {
            int v = Vector128<T>.Count;
            for (; xo <= n - v; xo += v)
            {
                int j = 2 * xo;
                var a0 = Vector128.Load(r0 + j);
                var a1 = Vector128.Load(r0 + j + v);
                var b0 = Vector128.Load(r1 + j);
                var b1 = Vector128.Load(r1 + j + v);
                if (HasNaN(a0, a1, b0, b1))
                {
                    BackwardScalar(r0, r1, d0, d1, g, xo, xo + v, write);
                    continue;
                }
                // The windows' corners, row-major: a b / c d. The first largest takes the gradient: a on any tie with a,
                // then b, then c; d only when none of the others is the largest.
                var a = Evens(a0, a1);
                var b = Odds(a0, a1);
                var c = Evens(b0, b1);
                var d = Odds(b0, b1);
                var m = Max(Max(a, b), Max(c, d));
                var isA = Vector128.Equals(a, m);
                var isB = Vector128.AndNot(Vector128.Equals(b, m), isA);
                var taken = isA | isB;
                var isC = Vector128.AndNot(Vector128.Equals(c, m), taken);
                var isD = ~(taken | isC);
                var gv = Vector128.Load(g + xo);
                var ga = gv & isA;
                var gb = gv & isB;
                var gc = gv & isC;
                var gd = gv & isD;
                Put(d0 + j, InterleaveLow(ga, gb), write);
                Put(d0 + j + v, InterleaveHigh(ga, gb), write);
                Put(d1 + j, InterleaveLow(gc, gd), write);
                Put(d1 + j + v, InterleaveHigh(gc, gd), write);
            }
        }
        BackwardScalar(r0, r1, d0, d1, g, xo, n, write);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(T* destination, Vector128<T> value, bool write)
    {
        if (write)
            value.Store(destination);
        else
            (Vector128.Load(destination) + value).Store(destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardScalar(T* r0, T* r1, T* d0, T* d1, T* g, int from, int to, bool write)
    {
        int w = (int)(r1 - r0);
        for (int xo = from; xo < to; xo++)
        {
            int j = 2 * xo;
            T a = r0[j], b = r0[j + 1], c = r1[j], d = r1[j + 1];
            // The first largest without data-dependent branches (the winner is random): pairwise, then the rows; strict
            // compares keep the earlier element on ties. A NaN takes the exact path.
            T top = T.Max(a, b), bottom = T.Max(c, d);
            int best;
            if (T.IsNaN(top) || T.IsNaN(bottom))
                best = Best(a, b, c, d);
            else
            {
                bool right = b > a, rightBelow = d > c, below = bottom > top;
                int first = Bit(right), second = 2 + Bit(rightBelow);
                best = first ^ ((first ^ second) & -Bit(below));
            }
            T v = g[xo];
            T* target = d0 + j + (best & 1) + (best >> 1) * w;
            if (write)
            {
                d0[j] = T.Zero;
                d0[j + 1] = T.Zero;
                d1[j] = T.Zero;
                d1[j + 1] = T.Zero;
                *target = v;
            }
            else
            {
                *target += v;
            }
        }
    }

    // 128-bit helpers: float lanes hold four windows (eight columns in two vectors), double lanes two.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HasNaN(Vector128<T> a, Vector128<T> b, Vector128<T> c, Vector128<T> d)
        => ((Vector128.Equals(a, a) & Vector128.Equals(b, b)) & (Vector128.Equals(c, c) & Vector128.Equals(d, d))).ExtractMostSignificantBits()
           != (1u << Vector128<T>.Count) - 1; // a lane is not equal to itself only when it is NaN (the mask compared as bits, not as floats)

    /// <summary>maxps/maxpd (the blocks hold no NaN; on ±0 ties either zero is the window's value).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => typeof(T) == typeof(float)
        ? Sse.Max(a.AsSingle(), b.AsSingle()).As<float, T>()
        : Sse2.Max(a.AsDouble(), b.AsDouble()).As<double, T>();

    /// <summary>The even lanes of the pair (lo, hi) in order: the windows' left columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Evens(Vector128<T> lo, Vector128<T> hi) => typeof(T) == typeof(float)
        ? Sse.Shuffle(lo.AsSingle(), hi.AsSingle(), 0b10_00_10_00).As<float, T>()
        : Sse2.UnpackLow(lo.AsDouble(), hi.AsDouble()).As<double, T>();

    /// <summary>The odd lanes of the pair (lo, hi) in order: the windows' right columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Odds(Vector128<T> lo, Vector128<T> hi) => typeof(T) == typeof(float)
        ? Sse.Shuffle(lo.AsSingle(), hi.AsSingle(), 0b11_01_11_01).As<float, T>()
        : Sse2.UnpackHigh(lo.AsDouble(), hi.AsDouble()).As<double, T>();

    /// <summary>The first half of the columns a₀ b₀ a₁ b₁ … (the inverse of <see cref="Evens"/> and <see cref="Odds"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> InterleaveLow(Vector128<T> a, Vector128<T> b) => typeof(T) == typeof(float)
        ? Sse.UnpackLow(a.AsSingle(), b.AsSingle()).As<float, T>()
        : Sse2.UnpackLow(a.AsDouble(), b.AsDouble()).As<double, T>();

    /// <summary>The second half of the columns a b a b ….</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> InterleaveHigh(Vector128<T> a, Vector128<T> b) => typeof(T) == typeof(float)
        ? Sse.UnpackHigh(a.AsSingle(), b.AsSingle()).As<float, T>()
        : Sse2.UnpackHigh(a.AsDouble(), b.AsDouble()).As<double, T>();

    /// <summary>1 for true, 0 for false, without a branch.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int Bit(bool value) => System.Runtime.CompilerServices.Unsafe.As<bool, byte>(ref value);

    /// <summary>Which of a 2×2 window's elements (row-major a, b, c, d) is the first largest; the first NaN wins.</summary>
    private static int Best(T a, T b, T c, T d)
    {
        if (T.IsNaN(a))
            return 0;
        int best = 0;
        T max = a;
        if (b > max) { max = b; best = 1; } else if (T.IsNaN(b)) return 1;
        if (c > max) { max = c; best = 2; } else if (T.IsNaN(c)) return 2;
        if (d > max) { best = 3; } else if (T.IsNaN(d)) return 3;
        return best;
    }

    /// <summary>The index in the plane of window (y, x)'s largest element: the first in row-major order on ties; a NaN wins (the first NaN).</summary>
    private static int ArgMax(T* plane, in ConvGeometry g, int y, int x)
    {
        int top = y * g.Stride, left = x * g.Stride;
        int best = top * g.W + left;
        T max = plane[best];
        if (T.IsNaN(max))
            return best;
        for (int i = 0; i < g.Kernel; i++)
        {
            T* row = plane + (long)(top + i) * g.W + left;
            for (int j = 0; j < g.Kernel; j++)
            {
                T v = row[j];
                if (v > max)
                {
                    max = v;
                    best = (top + i) * g.W + left + j;
                }
                else if (T.IsNaN(v))
                {
                    return (top + i) * g.W + left + j;
                }
            }
        }
        return best;
    }
}
