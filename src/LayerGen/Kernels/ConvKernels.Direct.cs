using System.Numerics;

namespace LayerGen;

// ---------------------------------------------------------------- stride 1: the direct (implicit im2col) path
//
// The wide-rows layout of ConvKernels.cs makes filter tap (c, ki, kj)'s im2col row one contiguous run of the padded
// image, xp[c] + ki·Wp + kj. The im2col path copies those runs into a matrix that the GEMM then packs again, and runs
// GEMMs whose sizes (16 filters × 222 columns × 72 taps for 8→16 channels at 14×14) are too small for its blocking.
// The direct path reads the runs in place instead: one register tile of output channels × wide columns loads each
// tap's vectors from its offset in the padded image and broadcasts the tap's (pre-packed) weights (IConvTiles.Tile).
//
//   forward   yw [K, Lr] = Σₜ w[:, t] ⊗ xp[off(t) ..]                (then the junk columns dropped, the bias added)
//   dX        the same kernel over dY padded by k − 1 − p, with the filters flipped and their channels swapped:
//             dx[c, i, j] = Σ_{f, a, b} w[f, c, k−1−a, k−1−b] · dYpad[f, i + a, j + b]
//   dWeight   dW[f, t] = Σᵢ Σₗ dYwᵢ[f, l] · xpᵢ[off(t) + l], dot products along the wide columns of a group of images
//             (dYw is dY in xp's wide layout, zero in the junk columns; IConvTiles.GradTile)
//
// Wide rows are rounded up to a whole vector (Lr ≥ L; whole tiles of columns, then a narrower tail tile of the vectors
// left: IConvTiles.TailTile); each padded image has Lr − L zeros of slack after its last plane so the last vector's
// loads stay inside the buffer and read finite values (dYw is zero there, and 0 · x must be 0). The path needs stride 1
// and padding ≤ kernel − 1 (so dY's padding k − 1 − p is not negative).

internal static unsafe partial class ConvKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Elements of scratch a backward part fills with a group of padded images and their wide dY (the weight gradient's
    /// tiles run over a whole group before their lane sums are taken; settable for benchmarks).
    /// </summary>
    internal static int GroupBudget = 96 * 1024;

    [ThreadStatic] private static T[]? t_packed;
    [ThreadStatic] private static int[]? t_offsets;
    [ThreadStatic] private static T[]? t_direct;

    /// <summary>Elements of one cache line: the direct path's buffers and image strides are whole lines.</summary>
    private static int Line => 64 / sizeof(T);

    /// <summary>
    /// The thread's direct-path scratch: at least <paramref name="length"/> elements from a 64-byte boundary, in a pinned
    /// array (grown, never shrunk). An aligned base keeps the tiles' vectors at tap offset 0 and their stores inside one
    /// cache line each; a managed array's start is only 8-byte aligned, so which loads split lines would change from
    /// one allocation to the next.
    /// </summary>
    private static T* AlignedScratch(int length)
    {
        var buffer = t_direct;
        if (buffer is null || buffer.Length < length + Line)
            t_direct = buffer = GC.AllocateArray<T>(Math.Max(length + Line, buffer is null ? 0 : buffer.Length * 2), pinned: true);
        nint address = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref buffer[0]);
        return (T*)((address + 63) & ~(nint)63);
    }

    private const int NoDirect = 0, Direct512 = 1, Direct256 = 2;

    /// <summary>Which tiles run this convolution on this thread: none (the im2col path), AVX-512 or AVX2.</summary>
    private static int DirectKind(in ConvGeometry g)
    {
        if (!IsWide(g) || g.Padding > g.Kernel - 1 || Gemm.ForcePortable)
            return NoDirect;
        if (ConvTiles512<T>.IsSupported && !Gemm.ForceAvx2)
            return Direct512;
        return ConvTiles256<T>.IsSupported ? Direct256 : NoDirect;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>
    /// One padded input of a direct pass: its plane, padded width, wide length L and rounded length Lr, the elements one
    /// image takes (its planes plus the slack), and the whole cache lines its slot in a buffer takes (at least
    /// <see cref="Image"/>).
    /// </summary>
    private readonly record struct WidePlan(int Plane, int Width, int Length, int Rounded, int Image, int Stride = 0);

    /// <summary>The plan of <paramref name="channels"/> planes padded by <paramref name="pad"/>, its slot at least
    /// <paramref name="minImage"/> elements long.</summary>
    private static WidePlan Plan(int channels, int h, int w, int pad, int oh, int ow, int lanes, int minImage)
    {
        int wp = w + 2 * pad, plane = (h + 2 * pad) * wp, length = (oh - 1) * wp + ow, rounded = RoundUp(length, lanes);
        int image = channels * plane + (rounded - length);
        return new WidePlan(plane, wp, length, rounded, image, RoundUp(Math.Max(image, minImage), Line));
    }

    /// <summary>The forward's (and dWeight's) plan: x [C, H, W] padded by p.</summary>
    private static WidePlan ForwardPlan(in ConvGeometry g, int lanes) => Plan(g.C, g.H, g.W, g.Padding, g.OH, g.OW, lanes, 0);

    /// <summary>
    /// dX's plan: dY [K, OH, OW] padded by k − 1 − p gives back H × W; its slot long enough for the weight gradient's
    /// tiles to read whole tiles of rows (K rounded up to <paramref name="gradRows"/>) from it too.
    /// </summary>
    private static WidePlan DxPlan(in ConvGeometry g, int lanes, int gradRows)
    {
        int pd = g.Kernel - 1 - g.Padding;
        return Plan(g.K, g.OH, g.OW, pd, g.H, g.W, lanes, RoundUp(g.K, gradRows) * (g.OH + 2 * pd) * (g.OW + 2 * pd));
    }

    private static (int Rows, int Lanes, int GradRows, int GradTaps) Tiles(int kind) => kind == Direct512
        ? (ConvTiles512<T>.Rows, ConvTiles512<T>.Lanes, ConvTiles512<T>.GradRows, ConvTiles512<T>.GradTaps)
        : (ConvTiles256<T>.Rows, ConvTiles256<T>.Lanes, ConvTiles256<T>.GradRows, ConvTiles256<T>.GradTaps);

    /// <summary>The thread's scratch array of at least <paramref name="length"/> elements (grown, never shrunk).</summary>
    private static TElement[] Scratch<TElement>(ref TElement[]? slot, int length)
    {
        var buffer = slot;
        if (buffer is null || buffer.Length < length)
            slot = buffer = new TElement[Math.Max(length, buffer is null ? 0 : buffer.Length * 2)];
        return buffer;
    }

    /// <summary>
    /// Packs the filters and the tap offsets a direct pass reads on the calling thread's scratch (the parts only read
    /// them): the forward's (and dWeight's) offsets into a padded image, padded with zeros to whole gradient tiles, the
    /// filters as [K/Rows][patch][Rows] with zero rows past K; for dX (<paramref name="dx"/>), the flipped, channel-swapped
    /// filters as [C/Rows][K·k²][Rows] and their offsets into the padded dY.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackDirect(int kind, T* weight, in ConvGeometry g, bool forward, bool dx, T[] packed, int[] offsets)
    {
        var (rows, lanes, gradRows, gradTaps) = Tiles(kind);
        int k = g.Kernel, patch = g.Patch, kr = RoundUp(g.K, rows), cr = RoundUp(g.C, rows), taps = RoundUp(patch, gradTaps);
        var f = ForwardPlan(g, lanes);
        fixed (int* po = offsets)
        {
            for (int c = 0, t = 0; c < g.C; c++)
                for (int ki = 0; ki < k; ki++)
                    for (int kj = 0; kj < k; kj++, t++)
                        po[t] = c * f.Plane + ki * f.Width + kj;
            for (int t = patch; t < taps; t++)
                po[t] = 0; // whole gradient tiles: these taps' sums are computed and dropped
            if (dx)
            {
                var d = DxPlan(g, lanes, gradRows);
                for (int ch = 0, t = 0; ch < g.K; ch++)
                    for (int a = 0; a < k; a++)
                        for (int b = 0; b < k; b++, t++)
                            po[taps + t] = ch * d.Plane + a * d.Width + b;
            }
        }
        if (forward)
        {
            for (int rt = 0; rt < kr / rows; rt++)
                for (int t = 0; t < patch; t++)
                    for (int r = 0; r < rows; r++)
                    {
                        int filter = rt * rows + r;
                        packed[(rt * patch + t) * rows + r] = filter < g.K ? weight[(long)filter * patch + t] : T.Zero;
                    }
        }
        if (dx)
        {
            int tapsDx = g.K * k * k, start = forward ? kr * patch : 0;
            for (int ct = 0; ct < cr / rows; ct++)
                for (int ch = 0, t = 0; ch < g.K; ch++)
                    for (int a = 0; a < k; a++)
                        for (int b = 0; b < k; b++, t++)
                            for (int r = 0; r < rows; r++)
                            {
                                int c = ct * rows + r;
                                packed[start + (ct * tapsDx + t) * rows + r] =
                                    c < g.C ? weight[(long)ch * patch + (c * k + (k - 1 - a)) * k + (k - 1 - b)] : T.Zero;
                            }
        }
    }

    /// <summary>Scratch lengths for <see cref="PackDirect"/>: packed filters and offsets.</summary>
    private static (int Packed, int Offsets) PackLengths(int kind, in ConvGeometry g, bool forward, bool dx)
    {
        var (rows, _, _, gradTaps) = Tiles(kind);
        int k2 = g.Kernel * g.Kernel;
        int packed = (forward ? RoundUp(g.K, rows) * g.Patch : 0) + (dx ? RoundUp(g.C, rows) * g.K * k2 : 0);
        return (Math.Max(packed, 1), RoundUp(g.Patch, gradTaps) + (dx ? g.K * k2 : 0));
    }

    /// <summary>
    /// dst [channels, (h + 2·pad)·(w + 2·pad)] = the planes with a zero border, then <c>image − planes</c> zeros of slack.
    /// Each element is written once or, where a vector of zeros runs on into what is written next, overwritten: the
    /// border rows are cleared whole, each image row copied in vectors, and its right border with the next row's left
    /// border (2·pad zeros) is one vector of zeros.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PadPlanes(T* src, int channels, int h, int w, int pad, T* dst, int image)
    {
        int wp = w + 2 * pad, plane = (h + 2 * pad) * wp, v = Vector<T>.Count;
        if (w < v || 2 * pad > v || h == 0)
        {
            PadPlanesScalarRows(src, channels, h, w, pad, dst);
        }
        else
        {
            // Rows of at least one vector. Every row but the last is followed by one vector of zeros: its right border
            // and the next row's left border, running on into the next row's pixels, which are copied after it. The
            // last row's right border is cleared on its own, so no store can pass the buffer's end. (Guarding each
            // row's vector instead, with scalar tails in the clears, made the whole 8→16 conv step 5–6 % slower in
            // alternating windows, and the 1→8 step 8–11 %.)
            for (int c = 0; c < channels; c++)
            {
                T* s = src + (long)c * h * w;
                T* d = dst + (long)c * plane;
                ClearShort(d, pad * wp + pad);                   // top border rows, and the first row's left border
                T* row = d + (long)pad * wp + pad;
                for (int y = 0; y < h - 1; y++, s += w, row += wp)
                {
                    CopyRow(s, row, w);
                    System.Runtime.CompilerServices.Unsafe.Write(row + w, Vector<T>.Zero);
                }
                CopyRow(s, row, w);
                ClearShort(row + w, pad);
                ClearShort(d + (long)(pad + h) * wp, pad * wp); // bottom border rows
            }
        }
        ClearShort(dst + (long)channels * plane, image - channels * plane);
    }

    /// <summary>dst[0, w) = src[0, w) for w ≥ one vector: whole vectors, then one overlapping the last.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(T* src, T* dst, int w)
    {
        int v = Vector<T>.Count, last = w - v;
        for (int j = 0; j < last; j += v)
            System.Runtime.CompilerServices.Unsafe.Write(dst + j, System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + j));
        System.Runtime.CompilerServices.Unsafe.Write(dst + last, System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + last));
    }

    /// <summary><see cref="PadPlanes"/>'s planes for rows narrower than a vector or borders wider than one.</summary>
    private static void PadPlanesScalarRows(T* src, int channels, int h, int w, int pad, T* dst)
    {
        int wp = w + 2 * pad, plane = (h + 2 * pad) * wp;
        for (int c = 0; c < channels; c++)
        {
            T* s = src + (long)c * h * w;
            T* d = dst + (long)c * plane;
            ClearShort(d, pad * wp + pad);
            for (int y = 0; y < h; y++)
            {
                T* row = d + (long)(pad + y) * wp + pad;
                CopyShort(s + (long)y * w, row, w);
                ClearShort(row + w, y + 1 < h ? 2 * pad : pad);
            }
            ClearShort(d + (long)(pad + h) * wp, pad * wp);
        }
    }

    /// <summary>
    /// output [rowTiles·Rows, Lr] = the direct convolution of a padded input, one tile of columns at a time, then one
    /// tail tile of the vectors left (Lr is a whole number of vectors, not of tiles).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void WideConv<TK>(T* input, int* offsets, int taps, T* packed, int rowTiles, T* output, int rounded)
        where TK : IConvTiles<T>
    {
        int l = 0;
        for (; l + TK.Columns <= rounded; l += TK.Columns)
            for (int rt = 0; rt < rowTiles; rt++)
                TK.Tile(input + l, offsets, taps, packed + (long)rt * taps * TK.Rows, output + (long)rt * TK.Rows * rounded + l, rounded);
        if (l < rounded)
            for (int rt = 0; rt < rowTiles; rt++)
                TK.TailTile(input + l, offsets, taps, packed + (long)rt * taps * TK.Rows, output + (long)rt * TK.Rows * rounded + l, rounded, (rounded - l) / TK.Lanes);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ForwardDirect<TK>(in Job job, int first, int end) where TK : IConvTiles<T>
    {
        var g = job.G;
        var f = ForwardPlan(g, TK.Lanes);
        int kr = RoundUp(g.K, TK.Rows), pixels = g.OutputPixels, imageIn = g.C * g.InputPixels, imageOut = g.K * pixels;
        T* xp = AlignedScratch(f.Stride + kr * f.Rounded);
        T* yw = xp + f.Stride;
        for (int i = first; i < end; i++)
        {
            PadPlanes(job.X + (long)i * imageIn, g.C, g.H, g.W, g.Padding, xp, f.Image);
            WideConv<TK>(xp, job.Offsets, g.Patch, job.Packed, kr / TK.Rows, yw, f.Rounded);
            T* yi = job.Y + (long)i * imageOut;
            for (int k = 0; k < g.K; k++)
                CropRows(yw + (long)k * f.Rounded, f.Width, yi + (long)k * pixels, g.OW, g.OH, job.Bias[k], addBias: true);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void BackwardDirect<TK>(in Job job, int first, int end, T* dW, T* dB) where TK : IConvTiles<T>
    {
        var g = job.G;
        var f = ForwardPlan(g, TK.Lanes);
        var d = DxPlan(g, TK.Lanes, TK.GradRows);
        int pixels = g.OutputPixels, patch = g.Patch, imageIn = g.C * g.InputPixels, imageOut = g.K * pixels;
        int krGrad = RoundUp(g.K, TK.GradRows), taps = RoundUp(patch, TK.GradTaps), cr = RoundUp(g.C, TK.Rows);
        // A "same" convolution (2p = k − 1) pads dY for dX to exactly the forward's wide layout: dYw is then the padded
        // dY read from its first interior pixel, its junk columns the zero borders (and its rounded tail too, when the
        // bottom border is long enough), so one padded copy per image serves both dX and dWeight.
        int pd = g.Kernel - 1 - g.Padding;
        bool shared = job.NeedDx && job.NeedDWeight && pd == g.Padding && f.Rounded - f.Length <= pd * f.Width + pd;
        // Each image's slot of the group: the padded x, then its dY, which the weight gradient reads on whole vectors:
        // the wide rows (WideRows: whole vectors apart), or the shared padded dY from its first interior pixel
        // pd·Wp + pd, written dyShift elements into the slot so that this pixel falls on a whole vector (the dX pass's
        // tap loads are unaligned either way). Slots are whole cache lines, from an aligned base.
        int dyStart = pd * f.Width + pd;
        int dyShift = shared ? (TK.Lanes - dyStart % TK.Lanes) % TK.Lanes : 0;
        int dyRead = shared ? dyShift + dyStart : 0, dyRow = shared ? d.Plane : f.Rounded;
        int dySlot = RoundUp(shared ? dyShift + d.Stride : krGrad * f.Rounded, Line);
        int group = job.NeedDWeight ? Math.Clamp(GroupBudget / (f.Stride + dySlot), 1, end - first) : 1;
        int groupLength = job.NeedDWeight ? group * (f.Stride + dySlot) : 0;
        int dyPadded = shared ? 0 : d.Stride; // dX's padded dY when it is not in the group
        T* xg = AlignedScratch(groupLength + (job.NeedDx ? dyPadded + cr * d.Rounded : 0));
        T* dyg = xg + (long)group * f.Stride;
        T* dyp = xg + groupLength;
        T* dxw = dyp + dyPadded;
        T* sums = stackalloc T[TK.GradRows * TK.GradTaps];
        for (int first0 = first; first0 < end; first0 += group)
        {
            int count = Math.Min(group, end - first0);
            for (int j = 0; j < count; j++)
            {
                int i = first0 + j;
                T* dyi = job.DY + (long)i * imageOut;
                if (job.NeedDBias)
                {
                    for (int k = 0; k < g.K; k++)
                        dB[k] += SumShort(dyi + (long)k * pixels, pixels);
                }
                if (job.NeedDWeight)
                {
                    T* xj = xg + (long)j * f.Stride;
                    PadPlanes(job.X + (long)i * imageIn, g.C, g.H, g.W, g.Padding, xj, f.Image);
                    if (!shared)
                        WideRows(dyi, g.K, g.OH, g.OW, f, dyg + (long)j * dySlot);
                }
                if (job.NeedDx)
                {
                    T* padded = shared ? dyg + (long)j * dySlot + dyShift : dyp;
                    PadPlanes(dyi, g.K, g.OH, g.OW, pd, padded, d.Image);
                    WideConv<TK>(padded, job.Offsets + taps, g.K * g.Kernel * g.Kernel, job.PackedDx, cr / TK.Rows, dxw, d.Rounded);
                    T* dxi = job.DX + (long)i * imageIn;
                    for (int c = 0; c < g.C; c++)
                    {
                        T* src = dxw + (long)c * d.Rounded, dst = dxi + (long)c * g.InputPixels;
                        if (job.AccumulateX)
                        {
                            for (int y = 0; y < g.H; y++)
                                AddShort(src + (long)y * d.Width, dst + (long)y * g.W, g.W);
                        }
                        else
                        {
                            CropRows(src, d.Width, dst, g.W, g.H, T.Zero, addBias: false);
                        }
                    }
                }
            }
            if (!job.NeedDWeight)
                continue;
            for (int rt = 0; rt < krGrad; rt += TK.GradRows)
                for (int tt = 0; tt < taps; tt += TK.GradTaps)
                {
                    TK.GradTile(dyg + dyRead + (long)rt * dyRow, dyRow, dySlot, xg, f.Stride, job.Offsets + tt, f.Rounded, count, sums);
                    for (int r = 0; r < TK.GradRows && rt + r < g.K; r++)
                        for (int t = 0; t < TK.GradTaps && tt + t < patch; t++)
                            dW[(long)(rt + r) * patch + tt + t] += sums[r * TK.GradTaps + t];
                }
        }
    }

    /// <summary>
    /// dst [rows, width] (contiguous) = the first <paramref name="width"/> elements of each of <paramref name="rows"/> rows
    /// <paramref name="stride"/> apart in src (a wide plane without its junk columns), plus <paramref name="bias"/> when
    /// <paramref name="addBias"/>. Rows of a vector or more: whole vectors, then one overlapping the last (src and dst
    /// are distinct, so the overlap writes the same values twice).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void CropRows(T* src, int stride, T* dst, int width, int rows, T bias, bool addBias)
    {
        int v = Vector<T>.Count;
        if (width < v)
        {
            for (int y = 0; y < rows; y++, src += stride, dst += width)
                for (int j = 0; j < width; j++)
                    dst[j] = addBias ? src[j] + bias : src[j];
            return;
        }
        var b = new Vector<T>(bias);
        int last = width - v;
        for (int y = 0; y < rows; y++, src += stride, dst += width)
        {
            for (int j = 0; j < last; j += v)
            {
                var x = System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + j);
                System.Runtime.CompilerServices.Unsafe.Write(dst + j, addBias ? x + b : x);
            }
            var tail = System.Runtime.CompilerServices.Unsafe.Read<Vector<T>>(src + last);
            System.Runtime.CompilerServices.Unsafe.Write(dst + last, addBias ? tail + b : tail);
        }
    }

    /// <summary>dst [K, Lr] = dY's planes in the forward's wide columns (row y at y·Wp), zero in the junk columns and the tail.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void WideRows(T* dy, int k, int oh, int ow, in WidePlan f, T* dst)
    {
        for (int r = 0; r < k; r++)
        {
            T* src = dy + (long)r * oh * ow;
            T* row = dst + (long)r * f.Rounded;
            for (int y = 0; y < oh; y++)
            {
                CopyShort(src + (long)y * ow, row + (long)y * f.Width, ow);
                if (y + 1 < oh)
                    ClearShort(row + (long)y * f.Width + ow, f.Width - ow);
            }
            new Span<T>(row + f.Length, f.Rounded - f.Length).Clear();
        }
    }
}
