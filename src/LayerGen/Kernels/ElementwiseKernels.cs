using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LayerGen;

/// <summary>
/// A fused element-wise function of two inputs, <c>f(x, y)</c>, in scalar and <see cref="Vector{T}"/> form: the body
/// of the backward kernels that <see cref="TensorPrimitives"/> has no single call for (e.g. the ReLU mask
/// <c>x &gt; 0 ? dy : 0</c>). Implemented by structs so that the JIT specialises and inlines each kernel.
/// </summary>
internal interface IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>f(x, y) for one element.</summary>
    T Invoke(T x, T y);

    /// <summary>f(x, y) lane by lane; must agree with the scalar form.</summary>
    Vector<T> Invoke(Vector<T> x, Vector<T> y);
}

/// <summary>A fused element-wise function of one input in scalar and <see cref="Vector{T}"/> form.</summary>
internal interface IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>f(x) for one element.</summary>
    T Invoke(T x);

    /// <summary>f(x) lane by lane; must agree with the scalar form.</summary>
    Vector<T> Invoke(Vector<T> x);
}

/// <summary>
/// A producer of element-wise values over a <c>rows × cols</c> grid, chunk by chunk; the input of
/// <see cref="ElementwiseKernels.Reduce{T, TSource}"/>, which sums it to a broadcast operand's shape.
/// </summary>
internal interface IChunkSource<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Writes the values at (<paramref name="row"/>, <paramref name="col"/> … <paramref name="col"/> + destination.Length − 1).</summary>
    void Compute(int row, int col, Span<T> destination);
}

/// <summary>
/// The drivers of the hand-written element-wise loops: one pass over memory, <see cref="Vector{T}"/> wide, with
/// an optional accumulate (<c>destination += f(…)</c>). Everything else in <see cref="Ops"/> calls
/// <see cref="TensorPrimitives"/> directly.
/// </summary>
internal static class ElementwiseKernels
{
    /// <summary>
    /// Length of the stack buffers used by chunked compositions of <see cref="TensorPrimitives"/> calls: small enough
    /// to stay in L1 (2 KiB of double), long enough that per-call overhead is amortised.
    /// </summary>
    internal const int ChunkLength = 256;

    /// <summary>destination (+)= f(x, y), element by element. Spans have equal length; destination may alias an input.</summary>
    internal static void Binary<T, TKernel>(TKernel kernel, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IBinaryKernel<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            // Reinterpreting the spans as vectors keeps the loop free of per-lane bounds checks; the tail is scalar.
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var yv = MemoryMarshal.Cast<T, Vector<T>>(y);
            var dv = MemoryMarshal.Cast<T, Vector<T>>(destination);
            int n = xv.Length;
            yv = yv[..n];
            dv = dv[..n];
            if (accumulate)
            {
                for (int v = 0; v < n; v++)
                    dv[v] += kernel.Invoke(xv[v], yv[v]);
            }
            else
            {
                for (int v = 0; v < n; v++)
                    dv[v] = kernel.Invoke(xv[v], yv[v]);
            }
            i = n * Vector<T>.Count;
        }
        if (accumulate)
        {
            for (; i < x.Length; i++)
                destination[i] += kernel.Invoke(x[i], y[i]);
        }
        else
        {
            for (; i < x.Length; i++)
                destination[i] = kernel.Invoke(x[i], y[i]);
        }
    }

    /// <summary>destination = f(x), element by element; destination may alias x.</summary>
    internal static void Unary<T, TKernel>(TKernel kernel, ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IUnaryKernel<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var dv = MemoryMarshal.Cast<T, Vector<T>>(destination)[..xv.Length];
            for (int v = 0; v < xv.Length; v++)
                dv[v] = kernel.Invoke(xv[v]);
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++)
            destination[i] = kernel.Invoke(x[i]);
    }

    /// <summary>
    /// destination = log(1 + e^−|x|), the bounded part of softplus and of the logistic losses, accurate for every
    /// x (TensorPrimitives.LogP1 computes log(1 + u) as written, which loses all digits once u is below the
    /// precision of 1). Uses log1p(u) = log(w)·u/(w − 1) with w = 1 + u (Goldberg), and u itself where w rounds to 1.
    /// destination may alias x; scratch must be as long as x and alias neither.
    /// </summary>
    internal static void LogOnePlusExpNegAbs<T>(ReadOnlySpan<T> x, Span<T> destination, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var u = scratch[..x.Length];
        TensorPrimitives.Abs(x, u);
        TensorPrimitives.Negate<T>(u, u);
        TensorPrimitives.Exp<T>(u, u);                          // u = e^−|x| in (0, 1]
        TensorPrimitives.Add<T>(u, T.One, destination);
        TensorPrimitives.Log<T>(destination, destination);     // log(w), w = 1 + u rounded
        Binary(new Log1pCorrection<T>(), u, destination, destination, accumulate: false);
    }

    /// <summary>(u, log w) ↦ log w · u / (w − 1), or u where w − 1 rounds to 0: the rounding-error-free log1p.</summary>
    private readonly struct Log1pCorrection<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T u, T logW)
        {
            T d = (T.One + u) - T.One;
            return d == T.Zero ? u : logW * u / d;
        }

        public Vector<T> Invoke(Vector<T> u, Vector<T> logW)
        {
            var d = (Vector<T>.One + u) - Vector<T>.One;
            return Vector.ConditionalSelect(Vector.Equals(d, Vector<T>.Zero), u, logW * u / d);
        }
    }

    /// <summary>destination = values (overwrite) or destination += values (accumulate).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store<T>(ReadOnlySpan<T> values, Span<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate)
            TensorPrimitives.Add(values, destination, destination);
        else
            values.CopyTo(destination);
    }

    /// <summary>destination = x ⊙ y (overwrite) or destination += x ⊙ y (accumulate): the tail of most backward kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreProduct<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate)
            TensorPrimitives.MultiplyAdd(x, y, destination, destination);
        else
            TensorPrimitives.Multiply(x, y, destination);
    }

    /// <summary>destination = s·x (overwrite) or destination += s·x (accumulate).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreProduct<T>(ReadOnlySpan<T> x, T s, Span<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate)
            TensorPrimitives.MultiplyAdd(x, s, destination, destination);
        else
            TensorPrimitives.Multiply(x, s, destination);
    }

    /// <summary>
    /// result (+)= scale · reduce(f), where f is a <c>rows × cols</c> grid produced chunk by chunk by
    /// <paramref name="source"/> and reduce sums it to result's shape: <c>[rows, cols]</c> (no reduction),
    /// <c>[1, cols]</c> (column sums), <c>[rows, 1]</c> (row sums) or <c>[1, 1]</c> (total). The caller has
    /// checked result's shape. Allocates nothing (one stack buffer of <see cref="ChunkLength"/> elements); the
    /// source computes into that buffer, so it may read matrices that alias result.
    /// </summary>
    internal static void Reduce<T, TSource>(ref TSource source, int rows, int cols, T scale, Matrix<T> result, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSource : struct, IChunkSource<T>
    {
        Span<T> buffer = stackalloc T[ChunkLength];
        bool sumRows = result.Rows != rows;
        bool sumCols = result.Cols != cols;
        var res = result.AsSpan();
        if (!accumulate && (sumRows || sumCols))
            res.Clear();
        T total = T.Zero;
        for (int r = 0; r < rows; r++)
        {
            T rowTotal = T.Zero;
            for (int c = 0; c < cols; c += ChunkLength)
            {
                var chunk = buffer[..Math.Min(ChunkLength, cols - c)];
                source.Compute(r, c, chunk);
                if (sumCols)
                {
                    rowTotal += TensorPrimitives.Sum<T>(chunk);
                    continue;
                }
                var target = res.Slice(sumRows ? c : r * cols + c, chunk.Length);
                if (!accumulate && !sumRows)
                {
                    if (scale == T.One)
                        chunk.CopyTo(target);
                    else
                        TensorPrimitives.Multiply<T>(chunk, scale, target);
                }
                else if (scale == T.One)
                {
                    TensorPrimitives.Add<T>(chunk, target, target);
                }
                else
                {
                    TensorPrimitives.MultiplyAdd<T>(chunk, scale, target, target);
                }
            }
            if (sumCols)
            {
                if (sumRows)
                    total += rowTotal;
                else
                    res[r] += scale * rowTotal;
            }
        }
        if (sumRows && sumCols)
            res[0] += scale * total;
    }
}

/// <summary>Clears large buffers with every core: one contiguous range per part on the GEMM pool.</summary>
/// <remarks>
/// A single core does not reach the memory bandwidth of a large fill (the 25.6 MB dense gradient of a 50,000 × 128
/// embedding table, cleared every step); two ranges written at once come closer, and streaming (non-temporal)
/// stores halve the traffic (no read of each line before it is overwritten). Below <see cref="ParallelThreshold"/>
/// bytes it is one <see cref="Span{T}.Clear"/>.
/// </remarks>
internal static unsafe class ParallelClear
{
    /// <summary>Buffers of at least this many bytes are split (smaller ones stay in cache and clear in microseconds).</summary>
    internal const long ParallelThreshold = 4L * 1024 * 1024;

    private struct Job
    {
        public byte* Start;
        public long Bytes;
    }

    /// <summary>Sets every element of <paramref name="destination"/> to zero.</summary>
    public static void Clear<T>(Span<T> destination) where T : unmanaged
    {
        long bytes = (long)destination.Length * sizeof(T);
        int threads = GemmParallel.MaxThreads > 0 ? GemmParallel.MaxThreads : Environment.ProcessorCount;
        if (bytes < ParallelThreshold)
        {
            destination.Clear();
            return;
        }
        fixed (T* start = destination)
        {
            var job = new Job { Start = (byte*)start, Bytes = bytes };
            GemmParallel.RunParts(&ClearPart, &job, (int)Math.Clamp(bytes / (ParallelThreshold / 2), 1, threads));
        }
    }

    private static void ClearPart(void* state, int part, int parts)
    {
        var job = (Job*)state;
        // Ranges on 4 KiB boundaries (whole pages and cache lines for each part).
        long per = (job->Bytes / parts + 4095) & ~4095L;
        long first = Math.Min(job->Bytes, part * per);
        long end = part == parts - 1 ? job->Bytes : Math.Min(job->Bytes, first + per);
        if (end > first)
            ClearRange(job->Start + first, end - first);
    }

    /// <summary>
    /// Zeroes <paramref name="bytes"/> bytes: non-temporal 256-bit stores over the 32-byte-aligned middle where AVX is
    /// available (a buffer this large does not fit the caches anyway, and streaming stores skip reading each line
    /// before overwriting it), ordinary clears for the ends.
    /// </summary>
    private static void ClearRange(byte* start, long bytes)
    {
        if (!System.Runtime.Intrinsics.X86.Avx.IsSupported || bytes < 4096)
        {
            ClearBytes(start, bytes);
            return;
        }
        byte* aligned = (byte*)(((nint)start + 31) & ~(nint)31);
        byte* end = start + bytes;
        byte* alignedEnd = (byte*)((nint)end & ~(nint)127);
        ClearBytes(start, aligned - start);
        var zero = System.Runtime.Intrinsics.Vector256<byte>.Zero;
        byte* at = aligned;
        for (; at + 128 <= alignedEnd; at += 128)
        {
            System.Runtime.Intrinsics.X86.Avx.StoreAlignedNonTemporal(at, zero);
            System.Runtime.Intrinsics.X86.Avx.StoreAlignedNonTemporal(at + 32, zero);
            System.Runtime.Intrinsics.X86.Avx.StoreAlignedNonTemporal(at + 64, zero);
            System.Runtime.Intrinsics.X86.Avx.StoreAlignedNonTemporal(at + 96, zero);
        }
        System.Runtime.Intrinsics.X86.Sse.StoreFence();   // streaming stores are weakly ordered: visible before the part reports done
        ClearBytes(at, end - at);
    }

    private static void ClearBytes(byte* start, long bytes)
    {
        for (long at = 0; at < bytes; at += int.MaxValue)
            new Span<byte>(start + at, (int)Math.Min(int.MaxValue, bytes - at)).Clear();
    }
}

