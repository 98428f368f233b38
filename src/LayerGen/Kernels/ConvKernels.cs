using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

/// <summary>
/// Conv2d. Stride-1 convolutions with padding ≤ kernel − 1 take the direct path on AVX-512/AVX2 hardware
/// (<c>ConvKernels.Direct.cs</c>: no im2col matrix, no GEMM); the rest go through im2col and
/// <see cref="Gemm.Multiply{T}"/>, one image at a time: image n's im2col matrix
/// <c>col [C·k·k, OH·OW]</c> (row (c, i, j) holds the input pixel under filter tap (c, i, j) for every output pixel, 0 in
/// the padding) gives <c>yₙ [K, OH·OW] = weight [K, C·k·k] · col</c>, which is already the (K, OH, OW) layout of the
/// result row. The backward reuses one im2col per image for <c>dWeightᵀ += col·dYₙᵀ</c> (dot products when the filters
/// have few weights), and writes <c>dCol = weightᵀ·dYₙ</c>, which col2im adds back onto the input pixels. With stride 1
/// the im2col matrix is built in "wide rows" from a zero-padded copy of the image (one contiguous run per filter tap; see
/// <c>IsWide</c>).
/// </summary>
/// <remarks>
/// <para>Parallelism: above <see cref="ParallelThreshold"/> multiply-adds the images are split into contiguous ranges that
/// shrink towards the end (<see cref="Ranges"/>), which the parts running on the GEMM's persistent worker pool
/// (<see cref="GemmParallel.RunParts"/>: no allocation, the job on the caller's stack) claim in turn. Inside a part the
/// per-image GEMMs run on one thread; dWeight and dBias are summed per range and then reduced by the caller in range
/// order (so the result does not depend on which part ran which range). Small convolutions run on the calling thread,
/// where a large per-image GEMM may still use the pool itself.</para>
/// <para>Scratch: the im2col/col2im buffer (and the direct path's, 64-byte aligned: <c>AlignedScratch</c>) is a
/// <see cref="ThreadStaticAttribute"/> array per element type and thread, grown (once) to the largest image seen; the
/// per-range partial sums are a second such array on the calling thread. With kernel 1, stride 1 and no padding the
/// image itself is its im2col matrix and no scratch is used.</para>
/// </remarks>
internal static unsafe partial class ConvKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>At most this many filter weights (K·C·k·k): dWeight by dot products, not a GEMM.</summary>
    internal const int SmallWeights = 128;

    /// <summary>Convolutions with fewer multiply-adds (N·K·OH·OW·C·k·k) than this run on the calling thread.</summary>
    internal const long ParallelThreshold = 256L * 1024;

    [ThreadStatic] private static T[]? t_col;
    [ThreadStatic] private static T[]? t_partials;

    private struct Job
    {
        public T* X, Weight, Bias, Y, DY, DX, Partials;
        public T* Packed, PackedDx;
        public int* Offsets;
        public int Direct;
        public ConvGeometry G;
        public int N;
        public int Chunks, Claimed; // the images in Chunks ranges, claimed in order by the parts (Claimed: the next one)
        public int* Starts;         // the ranges' Chunks + 1 boundaries
        public bool NeedDx, NeedDWeight, NeedDBias, AccumulateX;
    }

    private static bool IsIdentityIm2Col(in ConvGeometry g) => g.Kernel == 1 && g.Stride == 1 && g.Padding == 0;

    private static int Parts(in ConvGeometry g, int n)
    {
        long work = (long)n * g.K * g.OutputPixels * g.Patch;
        int threads = GemmParallel.MaxThreads > 0 ? GemmParallel.MaxThreads : Environment.ProcessorCount;
        return work < ParallelThreshold || threads <= 1 ? 1 : Math.Min(threads, n);
    }

    /// <summary>
    /// The image ranges of a call on <paramref name="parts"/> threads, claimed in turn by the parts: one on one thread;
    /// otherwise guided: each range takes a 2·parts-th of the images left (<see cref="GemmParallel.GuidedShare"/>, the
    /// GEMM's rule for its row runs), so the ranges start large and shrink to single images at the end, and a part that
    /// runs slower (a core the machine shares) takes fewer and the parts finish close together. The ranges depend only
    /// on the image and part counts, and each has its own partial sums, so the result does not depend on timing.
    /// Returns the count; with <paramref name="starts"/>, writes the count + 1 boundaries there.
    /// </summary>
    private static int Ranges(int n, int parts, int* starts)
    {
        if (parts <= 1 || ChunksPerPart > 0)
        {
            int chunks = parts <= 1 ? 1 : Math.Min(n, parts * ChunksPerPart);
            if (starts != null)
                for (int c = 0; c <= chunks; c++)
                    starts[c] = (int)((long)n * c / chunks);
            return chunks;
        }
        int count = 0, first = 0;
        for (; first < n; count++)
        {
            if (starts != null)
                starts[count] = first;
            first += GemmParallel.GuidedShare(n - first, parts);
        }
        if (starts != null)
            starts[count] = n;
        return count;
    }

    /// <summary>
    /// 0: guided ranges (<see cref="Ranges"/>); above 0, that many equal ranges per part instead (settable for
    /// benchmarks: the scheme before the guided one, measured against it side by side by <c>conv-profile ab=chunks:4,0</c>).
    /// </summary>
    internal static int ChunksPerPart;

    public static void Forward(Matrix<T> x, Matrix<T> weight, Matrix<T> bias, in ConvGeometry g, Matrix<T> result)
    {
        int n = x.Rows;
        if (n == 0)
            return;
        fixed (T* px = x.AsReadOnlySpan())
        fixed (T* pw = weight.AsReadOnlySpan())
        fixed (T* pb = bias.AsReadOnlySpan())
        fixed (T* py = result.AsSpan())
        {
            int parts = Parts(g, n), chunks = Ranges(n, parts, null);
            int* starts = stackalloc int[chunks + 1];
            Ranges(n, parts, starts);
            var job = new Job { X = px, Weight = pw, Bias = pb, Y = py, G = g, N = n, Direct = DirectKind(g), Chunks = chunks, Starts = starts };
            if (job.Direct != NoDirect)
            {
                var (packedLength, offsetsLength) = PackLengths(job.Direct, g, forward: true, dx: false);
                var packed = Scratch(ref t_packed, packedLength);
                var offsets = Scratch(ref t_offsets, offsetsLength);
                PackDirect(job.Direct, pw, g, forward: true, dx: false, packed, offsets);
                fixed (T* pk = packed)
                fixed (int* po = offsets)
                {
                    job.Packed = pk;
                    job.Offsets = po;
                    if (parts <= 1)
                        ForwardPart(&job, 0, 1);
                    else
                        GemmParallel.RunParts(&ForwardPart, &job, parts);
                }
                return;
            }
            if (parts <= 1)
                ForwardPart(&job, 0, 1);
            else
                GemmParallel.RunParts(&ForwardPart, &job, parts);
        }
    }

    public static void Backward(Matrix<T> x, Matrix<T> weight, in ConvGeometry g, Matrix<T> dOutput,
        Matrix<T>? dX, bool accumulateX, Matrix<T>? dWeight, bool accumulateWeight, Matrix<T>? dBias, bool accumulateBias)
    {
        int n = x.Rows;
        int weights = g.K * g.Patch, stridePartial = weights + g.K;
        if (n == 0 || (dX is null && dWeight is null && dBias is null))
        {
            if (!accumulateWeight)
                dWeight?.AsSpan().Clear();
            if (!accumulateBias)
                dBias?.AsSpan().Clear();
            if (!accumulateX)
                dX?.AsSpan().Clear();
            return;
        }
        int parts = Parts(g, n), chunks = Ranges(n, parts, null);
        int* starts = stackalloc int[chunks + 1];
        Ranges(n, parts, starts);
        var partials = dWeight is null && dBias is null ? null : Scratch(ref t_partials, chunks * stridePartial);
        fixed (T* px = x.AsReadOnlySpan())
        fixed (T* pw = weight.AsReadOnlySpan())
        fixed (T* pdy = dOutput.AsReadOnlySpan())
        fixed (T* pdx = dX is null ? default : dX.AsSpan())
        fixed (T* pp = partials)
        {
            var job = new Job
            {
                X = px, Weight = pw, DY = pdy, DX = pdx, Partials = pp, G = g, N = n,
                NeedDx = dX is not null, NeedDWeight = dWeight is not null, NeedDBias = dBias is not null, AccumulateX = accumulateX,
                Direct = DirectKind(g), Chunks = chunks, Starts = starts,
            };
            if (job.Direct != NoDirect)
            {
                var (packedLength, offsetsLength) = PackLengths(job.Direct, g, forward: false, dx: job.NeedDx);
                var packed = Scratch(ref t_packed, packedLength);
                var offsets = Scratch(ref t_offsets, offsetsLength);
                PackDirect(job.Direct, pw, g, forward: false, dx: job.NeedDx, packed, offsets);
                fixed (T* pk = packed)
                fixed (int* po = offsets)
                {
                    job.PackedDx = pk;
                    job.Offsets = po;
                    if (parts <= 1)
                        BackwardPart(&job, 0, 1);
                    else
                        GemmParallel.RunParts(&BackwardPart, &job, parts);
                }
            }
            else if (parts <= 1)
                BackwardPart(&job, 0, 1);
            else
                GemmParallel.RunParts(&BackwardPart, &job, parts);

            // Reduce the ranges' sums in range order (deterministic); the direct path's are [K, patch], the im2col path's transposed.
            if (dWeight is not null && job.Direct != NoDirect)
                Reduce(pp, weights, stridePartial, chunks, dWeight.AsSpan(), accumulateWeight);
            else if (dWeight is not null)
                ReduceTransposed(pp, g.Patch, g.K, stridePartial, chunks, dWeight.AsSpan(), accumulateWeight);
            if (dBias is not null)
                Reduce(pp + weights, g.K, stridePartial, chunks, dBias.AsSpan(), accumulateBias);
        }
    }

    /// <summary>
    /// destination [K, patch] (+)= the sum of the parts' dWeightᵀ [patch, K] (the orientation whose GEMM is fastest:
    /// <c>dWᵀ = col·dYᵀ</c> has the long patch dimension as its rows).
    /// </summary>
    private static void ReduceTransposed(T* partials, int patch, int k, int stride, int parts, Span<T> destination, bool accumulate)
    {
        int length = patch * k;
        for (int p = 1; p < parts; p++)
            TensorPrimitives.Add(new ReadOnlySpan<T>(partials + (long)p * stride, length), new ReadOnlySpan<T>(partials, length), new Span<T>(partials, length));
        for (int r = 0; r < k; r++)
        {
            var row = destination.Slice(r * patch, patch);
            if (accumulate)
            {
                for (int t = 0; t < patch; t++)
                    row[t] += partials[(long)t * k + r];
            }
            else
            {
                for (int t = 0; t < patch; t++)
                    row[t] = partials[(long)t * k + r];
            }
        }
    }

    private static void Reduce(T* partials, int length, int stride, int parts, Span<T> destination, bool accumulate)
    {
        ElementwiseKernels.Store(new ReadOnlySpan<T>(partials, length), destination, accumulate);
        for (int p = 1; p < parts; p++)
            TensorPrimitives.Add(new ReadOnlySpan<T>(partials + (long)p * stride, length), destination, destination);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ForwardPart(void* state, int part, int parts)
    {
        Job* job = (Job*)state;
        int saved = GemmParallel.MaxThreads;
        if (parts > 1)
            GemmParallel.MaxThreads = 1; // the pool runs this part already
        try
        {
            while (GemmParallel.TryClaim(&job->Claimed, job->Chunks, out int chunk))
            {
                ForwardChunk(in *job, job->Starts[chunk], job->Starts[chunk + 1]);
            }
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ForwardChunk(in Job job, int first, int end)
    {
        var g = job.G;
        int pixels = g.OutputPixels, patch = g.Patch, imageIn = g.C * g.InputPixels, imageOut = g.K * pixels;
        bool identity = IsIdentityIm2Col(g);
        if (job.Direct == Direct512)
        {
            ForwardDirect<ConvTiles512<T>>(in job, first, end);
            return;
        }
        if (job.Direct == Direct256)
        {
            ForwardDirect<ConvTiles256<T>>(in job, first, end);
            return;
        }
        if (IsWide(g))
        {
            ForwardWide(in job, first, end);
            return;
        }
        var scratch = identity ? null : Scratch(ref t_col, patch * pixels);
        fixed (T* col = scratch)
        {
            var w = new ReadOnlySpan<T>(job.Weight, g.K * patch);
            for (int i = first; i < end; i++)
            {
                T* xi = job.X + (long)i * imageIn;
                T* yi = job.Y + (long)i * imageOut;
                if (!identity)
                    Im2Col(xi, col, g);
                Gemm.Multiply(false, false, g.K, pixels, patch, T.One, w, patch,
                    new ReadOnlySpan<T>(identity ? xi : col, patch * pixels), pixels, T.Zero, new Span<T>(yi, imageOut), pixels);
                for (int k = 0; k < g.K; k++)
                {
                    var row = new Span<T>(yi + (long)k * pixels, pixels);
                    TensorPrimitives.Add(row, job.Bias[k], row);
                }
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void BackwardPart(void* state, int part, int parts)
    {
        Job* job = (Job*)state;
        int saved = GemmParallel.MaxThreads;
        if (parts > 1)
            GemmParallel.MaxThreads = 1; // the pool runs this part already
        try
        {
            while (GemmParallel.TryClaim(&job->Claimed, job->Chunks, out int chunk))
            {
                BackwardChunk(in *job, chunk, job->Starts[chunk], job->Starts[chunk + 1]);
            }
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
        }
    }

    /// <summary>Images [first, end): dX written, dWeight and dBias summed into range <paramref name="chunk"/>'s partials.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void BackwardChunk(in Job job, int chunk, int first, int end)
    {
        var g = job.G;
        int pixels = g.OutputPixels, patch = g.Patch, imageIn = g.C * g.InputPixels, imageOut = g.K * pixels;
        int weights = g.K * patch;
        bool identity = IsIdentityIm2Col(g);
        T* dW = job.Partials + (long)chunk * (weights + g.K);
        T* dB = dW + weights;
        if (job.NeedDWeight || job.NeedDBias)
            new Span<T>(dW, weights + g.K).Clear();
        if (job.Direct == Direct512)
        {
            BackwardDirect<ConvTiles512<T>>(in job, first, end, dW, dB);
            return;
        }
        if (job.Direct == Direct256)
        {
            BackwardDirect<ConvTiles256<T>>(in job, first, end, dW, dB);
            return;
        }
        if (IsWide(g))
        {
            BackwardWide(in job, first, end, dW, dB);
            return;
        }
        // One buffer: col (for dWeight) then dCol (for dX).
        int colLength = identity ? 0 : patch * pixels;
        var scratch = identity ? null : Scratch(ref t_col, 2 * colLength);
        fixed (T* col = scratch)
        {
            T* dCol = col + colLength;
            var w = new ReadOnlySpan<T>(job.Weight, weights);
            for (int i = first; i < end; i++)
            {
                T* xi = job.X + (long)i * imageIn;
                T* dyi = job.DY + (long)i * imageOut;
                var dy = new ReadOnlySpan<T>(dyi, imageOut);
                if (job.NeedDBias)
                {
                    for (int k = 0; k < g.K; k++)
                        dB[k] += SumShort(dyi + (long)k * pixels, pixels);
                }
                if (job.NeedDWeight)
                {
                    // dW [K, patch] += dYᵢ [K, pixels] · colᵀ (col is [patch, pixels]).
                    if (!identity)
                        Im2Col(xi, col, g);
                    AddWeightGradient(identity ? xi : col, dyi, pixels, g, dW);
                }
                if (job.NeedDx)
                {
                    // dCol [patch, pixels] = weightᵀ · dYᵢ, then col2im adds it onto the pixels it was read from.
                    T* dxi = job.DX + (long)i * imageIn;
                    if (identity)
                    {
                        Gemm.Multiply(true, false, patch, pixels, g.K, T.One, w, patch, dy, pixels,
                            job.AccumulateX ? T.One : T.Zero, new Span<T>(dxi, imageIn), pixels);
                        continue;
                    }
                    Gemm.Multiply(true, false, patch, pixels, g.K, T.One, w, patch, dy, pixels, T.Zero, new Span<T>(dCol, colLength), pixels);
                    if (!job.AccumulateX)
                        new Span<T>(dxi, imageIn).Clear();
                    Col2Im(dCol, dxi, g);
                }
            }
        }
    }

    // ---------------------------------------------------------------- stride 1: wide rows
    //
    // With stride 1 the image is zero-padded once into xp [C, Hp·Wp] and each output pixel (y, x) gets the "wide" column
    // y·Wp + x of L = (OH − 1)·Wp + OW columns (the Wp − OW columns between two output rows are junk). Filter tap
    // (c, ki, kj)'s im2col row is then one contiguous run, xp[c] + ki·Wp + kj, L long: C·k² long copies instead of
    // C·k²·OH short ones, and col2im is C·k² long adds into a padded dX. The GEMMs run on L columns; junk columns of the
    // forward's product are dropped when it is written out, and dY's are zero, so they add nothing backward.

    private static bool IsWide(in ConvGeometry g) => g.Stride == 1 && !IsIdentityIm2Col(g);

    private static int PaddedWidth(in ConvGeometry g) => g.W + 2 * g.Padding;

    private static int PaddedPlane(in ConvGeometry g) => (g.H + 2 * g.Padding) * PaddedWidth(g);

    private static int WideLength(in ConvGeometry g) => (g.OH - 1) * PaddedWidth(g) + g.OW;

    /// <summary>colp [C·k², L]: tap (c, ki, kj)'s row is xp[c] + ki·Wp + kj.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void WideIm2Col(T* xp, T* colp, in ConvGeometry g, int length)
    {
        int wp = PaddedWidth(g), plane = PaddedPlane(g), k = g.Kernel;
        T* row = colp;
        for (int c = 0; c < g.C; c++)
            for (int ki = 0; ki < k; ki++)
                for (int kj = 0; kj < k; kj++, row += length)
                    new ReadOnlySpan<T>(xp + (long)c * plane + (long)ki * wp + kj, length).CopyTo(new Span<T>(row, length));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ForwardWide(in Job job, int first, int end)
    {
        var g = job.G;
        int pixels = g.OutputPixels, patch = g.Patch, imageIn = g.C * g.InputPixels, imageOut = g.K * pixels;
        int wp = PaddedWidth(g), length = WideLength(g), plane = PaddedPlane(g);
        var scratch = Scratch(ref t_col, g.C * plane + patch * length + g.K * length);
        fixed (T* xp = scratch)
        {
            T* colp = xp + (long)g.C * plane;
            T* yp = colp + (long)patch * length;
            var w = new ReadOnlySpan<T>(job.Weight, g.K * patch);
            for (int i = first; i < end; i++)
            {
                PadPlanes(job.X + (long)i * imageIn, g.C, g.H, g.W, g.Padding, xp, g.C * plane);
                WideIm2Col(xp, colp, g, length);
                Gemm.Multiply(false, false, g.K, length, patch, T.One, w, patch,
                    new ReadOnlySpan<T>(colp, patch * length), length, T.Zero, new Span<T>(yp, g.K * length), length);
                // y [K, OH·OW] = the wide product without its junk columns, plus the bias.
                T* yi = job.Y + (long)i * imageOut;
                for (int k = 0; k < g.K; k++)
                {
                    var bias = new Vector<T>(job.Bias[k]);
                    for (int y = 0; y < g.OH; y++)
                        AddShort(yp + (long)k * length + (long)y * wp, bias, job.Bias[k], yi + (long)k * pixels + (long)y * g.OW, g.OW);
                }
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void BackwardWide(in Job job, int first, int end, T* dW, T* dB)
    {
        var g = job.G;
        int pixels = g.OutputPixels, patch = g.Patch, imageIn = g.C * g.InputPixels, imageOut = g.K * pixels;
        int wp = PaddedWidth(g), length = WideLength(g), plane = PaddedPlane(g), weights = g.K * patch, k = g.Kernel;
        // xp (then the padded dX), colp (then dColp), dYp.
        var scratch = Scratch(ref t_col, g.C * plane + patch * length + g.K * length);
        fixed (T* xp = scratch)
        {
            T* colp = xp + (long)g.C * plane;
            T* dyp = colp + (long)patch * length;
            var w = new ReadOnlySpan<T>(job.Weight, weights);
            for (int i = first; i < end; i++)
            {
                T* dyi = job.DY + (long)i * imageOut;
                if (job.NeedDBias)
                {
                    for (int f = 0; f < g.K; f++)
                        dB[f] += SumShort(dyi + (long)f * pixels, pixels);
                }
                if (!job.NeedDWeight && !job.NeedDx)
                    continue;
                // dYp [K, L]: dYᵢ in wide columns, zero in the junk ones (rows L long: no rounded tail).
                WideRows(dyi, g.K, g.OH, g.OW, new WidePlan(plane, wp, length, length, g.C * plane), dyp);
                var dyWide = new ReadOnlySpan<T>(dyp, g.K * length);
                if (job.NeedDWeight)
                {
                    PadPlanes(job.X + (long)i * imageIn, g.C, g.H, g.W, g.Padding, xp, g.C * plane);
                    WideIm2Col(xp, colp, g, length);
                    AddWeightGradient(colp, dyp, length, g, dW);
                }
                if (job.NeedDx)
                {
                    // dColp [patch, L] = weightᵀ · dYp; each tap's row adds onto the padded dX where its im2col row was read.
                    Gemm.Multiply(true, false, patch, length, g.K, T.One, w, patch, dyWide, length, T.Zero,
                        new Span<T>(colp, patch * length), length);
                    new Span<T>(xp, g.C * plane).Clear();
                    T* row = colp;
                    for (int c = 0; c < g.C; c++)
                        for (int ki = 0; ki < k; ki++)
                            for (int kj = 0; kj < k; kj++, row += length)
                            {
                                var d = new Span<T>(xp + (long)c * plane + (long)ki * wp + kj, length);
                                TensorPrimitives.Add(d, new ReadOnlySpan<T>(row, length), d);
                            }
                    // dXᵢ (+)= the padded dX's interior.
                    T* dxi = job.DX + (long)i * imageIn;
                    for (int c = 0; c < g.C; c++)
                    {
                        T* src = xp + (long)c * plane + (long)g.Padding * wp + g.Padding;
                        T* dst = dxi + (long)c * g.InputPixels;
                        for (int y = 0; y < g.H; y++)
                        {
                            if (job.AccumulateX)
                                AddShort(src + (long)y * wp, dst + (long)y * g.W, g.W);
                            else
                                CopyShort(src + (long)y * wp, dst + (long)y * g.W, g.W);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The output columns [lo, hi) whose input column <c>ow·stride + tap − padding</c> is inside the image (the rest read
    /// the zero padding).
    /// </summary>
    private static (int Lo, int Hi) Inside(int tap, int size, int outSize, int stride, int padding)
    {
        int a = padding - tap;
        int lo = a <= 0 ? 0 : (a + stride - 1) / stride;
        int b = size - 1 + padding - tap;
        int hi = b < 0 ? 0 : Math.Min(outSize, b / stride + 1);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>col [C·k·k, OH·OW] = the image's pixel under each filter tap for each output pixel (0 in the padding).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void Im2Col(T* image, T* col, in ConvGeometry g)
    {
        int k = g.Kernel, s = g.Stride, p = g.Padding, ow = g.OW, oh = g.OH, pixels = g.OutputPixels;
        T* row = col;
        for (int c = 0; c < g.C; c++)
        {
            T* plane = image + (long)c * g.InputPixels;
            for (int ki = 0; ki < k; ki++)
            {
                for (int kj = 0; kj < k; kj++, row += pixels)
                {
                    var (lo, hi) = Inside(kj, g.W, ow, s, p);
                    int offset = kj - p; // input column of output column 0
                    for (int y = 0; y < oh; y++)
                    {
                        T* dst = row + (long)y * ow;
                        int ih = y * s + ki - p;
                        if ((uint)ih >= (uint)g.H)
                        {
                            ClearShort(dst, ow);
                            continue;
                        }
                        T* src = plane + (long)ih * g.W + offset;
                        for (int x = 0; x < lo; x++)
                            dst[x] = T.Zero;
                        if (s == 1)
                        {
                            CopyShort(src + lo, dst + lo, hi - lo);
                        }
                        else
                        {
                            for (int x = lo; x < hi; x++)
                                dst[x] = src[x * s];
                        }
                        for (int x = hi; x < ow; x++)
                            dst[x] = T.Zero;
                    }
                }
            }
        }
    }

    /// <summary>
    /// dWᵀ [patch, K] += col [patch, length] · dYᵀ, dY [K, length] (the partials are transposed; see ReduceTransposed):
    /// the im2col path's weight gradient for one image, over its plain (length = OH·OW) or wide columns.
    /// </summary>
    private static void AddWeightGradient(T* col, T* dy, int length, in ConvGeometry g, T* dW)
    {
        int patch = g.Patch, weights = g.K * patch;
        if (weights <= SmallWeights)
        {
            // Few filter weights over many pixels (a first layer: 8 filters of 1·3·3 over 28·28): one dot product per
            // weight is faster than a GEMM of 8 × 9 tiles.
            for (int k = 0; k < g.K; k++)
            {
                var dyk = new ReadOnlySpan<T>(dy + (long)k * length, length);
                for (int t = 0; t < patch; t++)
                    dW[t * g.K + k] += TensorPrimitives.Dot(dyk, new ReadOnlySpan<T>(col + (long)t * length, length));
            }
        }
        else
        {
            Gemm.Multiply(false, true, patch, g.K, length, T.One, new ReadOnlySpan<T>(col, patch * length), length,
                new ReadOnlySpan<T>(dy, g.K * length), length, T.One, new Span<T>(dW, weights), g.K);
        }
    }

    // An image row is short (14, 28 pixels): inline vector loops, not a call per row into memmove or TensorPrimitives.

    /// <summary>dst[0, n) = src[0, n); the last vector overlaps the one before it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(T* src, T* dst, int n)
    {
        int v = Vector<T>.Count;
        if (n < v)
        {
            for (int i = 0; i < n; i++)
                dst[i] = src[i];
            return;
        }
        int j = 0;
        for (; j <= n - v; j += v)
            System.Runtime.CompilerServices.Unsafe.Write(dst + j, System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + j));
        if (j < n)
            System.Runtime.CompilerServices.Unsafe.Write(dst + n - v, System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + n - v));
    }

    /// <summary>dst[0, n) = 0.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void ClearShort(T* dst, int n)
    {
        int v = Vector<T>.Count;
        if (n < v)
        {
            for (int i = 0; i < n; i++)
                dst[i] = T.Zero;
            return;
        }
        // Whole vectors, then one overlapping the last: no scalar tail.
        for (int j = 0; j < n - v; j += v)
            System.Runtime.CompilerServices.Unsafe.Write(dst + j, Vector<T>.Zero);
        System.Runtime.CompilerServices.Unsafe.Write(dst + n - v, Vector<T>.Zero);
    }

    /// <summary>
    /// dst[0, n) = src[0, n) + bias (<paramref name="biasVector"/> holds it in every lane); the last vector overlaps the one
    /// before it (src and dst are distinct buffers, so the overlap writes the same values twice).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void AddShort(T* src, Vector<T> biasVector, T bias, T* dst, int n)
    {
        int v = Vector<T>.Count;
        if (n < v)
        {
            for (int i = 0; i < n; i++)
                dst[i] = src[i] + bias;
            return;
        }
        int j = 0;
        for (; j <= n - v; j += v)
            System.Runtime.CompilerServices.Unsafe.Write(dst + j, System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + j) + biasVector);
        if (j < n)
            System.Runtime.CompilerServices.Unsafe.Write(dst + n - v, System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + n - v) + biasVector);
    }

    /// <summary>The sum of src[0, n) (an output plane: dBias's row sums, without a call per plane into TensorPrimitives).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static T SumShort(T* src, int n)
    {
        int v = Vector<T>.Count, j = 0;
        var acc = Vector<T>.Zero;
        for (; j <= n - v; j += v)
            acc += System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + j);
        T sum = Vector.Sum(acc);
        for (; j < n; j++)
            sum += src[j];
        return sum;
    }

    /// <summary>dst[0, n) += src[0, n).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void AddShort(T* src, T* dst, int n)
    {
        int v = Vector<T>.Count, j = 0;
        for (; j <= n - v; j += v)
            System.Runtime.CompilerServices.Unsafe.Write(dst + j,
                System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(dst + j) + System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + j));
        for (; j < n; j++)
            dst[j] += src[j];
    }

    /// <summary>image += col2im(dCol): each element of dCol goes back onto the pixel Im2Col read it from (padding drops).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void Col2Im(T* dCol, T* image, in ConvGeometry g)
    {
        int k = g.Kernel, s = g.Stride, p = g.Padding, ow = g.OW, oh = g.OH, pixels = g.OutputPixels;
        T* row = dCol;
        for (int c = 0; c < g.C; c++)
        {
            T* plane = image + (long)c * g.InputPixels;
            for (int ki = 0; ki < k; ki++)
            {
                for (int kj = 0; kj < k; kj++, row += pixels)
                {
                    var (lo, hi) = Inside(kj, g.W, ow, s, p);
                    if (hi <= lo)
                        continue;
                    int offset = kj - p;
                    for (int y = 0; y < oh; y++)
                    {
                        int ih = y * s + ki - p;
                        if ((uint)ih >= (uint)g.H)
                            continue;
                        T* src = row + (long)y * ow;
                        T* dst = plane + (long)ih * g.W + offset;
                        if (s == 1)
                        {
                            AddShort(src + lo, dst + lo, hi - lo);
                        }
                        else
                        {
                            for (int x = lo; x < hi; x++)
                                dst[x * s] += src[x];
                        }
                    }
                }
            }
        }
    }
}

