using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LayerGen;

/// <summary>
/// The cache-blocked, packed GEMM driver (Goto/BLIS loop order) for one part of a product.
/// </summary>
/// <typeparam name="T">float or double; the JIT specialises each and removes the other type's branches.</typeparam>
/// <typeparam name="TKernel">The register-tile micro-kernel (<see cref="Avx2Kernel{T}"/> 6×16 floats,
/// <see cref="Avx512Kernel{T}"/> 12×32): MR and NR are constants of each specialisation.</typeparam>
/// <remarks>
/// Loops: jc (NC columns of C; the packed B block KC×NC lives in L3) → pc (KC of the inner dimension) → ic (MC
/// rows; the packed A block MC×KC lives in L2) → jr (NR-wide B micro-panel, KC×NR, stays in L1) → ir (MR-high A
/// micro-panel) → micro-kernel. Sizes for Zen 3 (32 KiB L1d, 512 KiB L2 per core): KC = 256 so a B micro-panel
/// is 16 KiB and an A micro-panel 6 or 12 KiB (both fit L1 together); MC·KC·sizeof(T) = 144 KiB (float) or
/// 144 KiB (double), a comfortable share of L2; NC·KC·sizeof(T) = 4 MiB of the shared L3. With the AVX-512 kernel
/// (48 KiB L1d, 2 MiB L2 on Sapphire Rapids) a B micro-panel is 32 KiB and an A micro-panel 12 KiB; the same KC keeps
/// the order of every element's sum, so both kernels give the same bits.
/// Partial tiles are packed with zero padding and the micro-kernel writes them through a small stack tile.
/// </remarks>
internal static unsafe class GemmBlocked<T, TKernel>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TKernel : struct, IGemmKernel<T>
{
    /// <summary>Rows of the register tile.</summary>
    public static int MR
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TKernel.MR;
    }

    /// <summary>Columns of the register tile: two vectors of the kernel's width.</summary>
    public static int NR
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TKernel.NR;
    }

    private static int KC
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 256;
    }

    private static int MC
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? 144 : 72;
    }

    private static int NC
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? 4080 : 2040;
    }

    /// <summary>Whether this machine and element type have the micro-kernel.</summary>
    public static bool IsSupported
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TKernel.IsSupported;
    }

    // Packing buffers: per thread (the caller and each worker), pinned so they need no `fixed`, grown on demand.
    [ThreadStatic] private static byte[]? t_packA;
    [ThreadStatic] private static byte[]? t_packB;

    /// <summary>The pool's entry point: one part of the product in <paramref name="job"/>.</summary>
    public static void RunPart(void* job, int part, int parts)
    {
        var j = (GemmJob<T>*)job;
        if (parts > 1 && j->SplitRows)
            SharedB(j, part, parts);
        else
            Run(in *j, part, parts);
    }

    /// <summary>Computes part <paramref name="part"/> of <paramref name="parts"/> (rows or columns of C).</summary>
    public static void Run(in GemmJob<T> job, int part, int parts)
    {
        T* a = job.A, b = job.B, c = job.C;
        int m = job.M, n = job.N;
        if (parts > 1)
        {
            if (job.SplitRows)
            {
                // The job lives on the calling thread's stack (never moved): its counters are addressed directly.
                SharedB((GemmJob<T>*)Unsafe.AsPointer(ref Unsafe.AsRef(in job)), part, parts);
                return;
            }
            else
            {
                int tiles = (n + NR - 1) / NR, per = (tiles + parts - 1) / parts;
                int n0 = part * per * NR;
                if (n0 >= n)
                    return;
                n = Math.Min(n - n0, per * NR);
                b += job.TransposeB ? (long)n0 * job.Ldb : n0;
                c += n0;
            }
        }
        Blocked(job.TransposeA, job.TransposeB, m, n, job.K, job.Alpha, a, job.Lda, b, job.Ldb, job.Beta, c, job.Ldc);
    }

    /// <summary>
    /// Sets the shared packing buffers of a row-split product in <paramref name="job"/>: two packed B blocks (one
    /// per KC slice, alternating) and one packed A block per part. Called on the calling thread while it holds the
    /// pool (<see cref="GemmParallel.TryAcquire"/>), so the buffer is the pool's and no worker allocates.
    /// </summary>
    public static void Prepare(ref GemmJob<T> job, int parts)
    {
        if (!job.SplitRows)
            return;
        int kcMax = Math.Min(KC, job.K);
        int ncMax = Math.Min(NC, RoundUp(job.N, NR));
        int tiles = (job.M + MR - 1) / MR;
        // A slice's first (largest) run of row tiles, at most an MC block: see GemmParallel.TryClaimGuided.
        job.MaxRunTiles = Math.Clamp((tiles + 2 * parts - 1) / (2 * parts), 1, MC / MR);
        int mcMax = job.MaxRunTiles * MR;
        job.PackClaimed = job.PackDone = job.TileClaimed = job.TileDone = 0;
        // Whole cache lines per block (16 floats or 8 doubles), plus a line of slack after each A block for the
        // 2-lane spill of the float A packing.
        long lineElements = 64 / sizeof(T);
        long bStride = RoundUp64((long)ncMax * kcMax, lineElements);
        long aStride = RoundUp64((long)mcMax * kcMax, lineElements) + 2 * lineElements;
        T* buffer = (T*)GemmParallel.SharedBuffer((2 * bStride + parts * aStride) * sizeof(T));
        job.PackB = buffer;
        job.PackBStride = bStride;
        job.PackA = buffer + 2 * bStride;
        job.PackAStride = aStride;
    }

    private static long RoundUp64(long x, long unit) => (x + unit - 1) / unit * unit;

    /// <summary>
    /// One part of a row-split product with op(B) packed once and shared. For every (NC, KC) slice in order: the
    /// parts claim groups of B's NR-wide panels and pack them into the slice's shared buffer; wait until the whole
    /// slice is packed and every row tile of the slice before is computed; then claim runs of MR-high row tiles (guided:
    /// large first, single tiles at the end, see <see cref="GemmParallel.TryClaimGuided"/>), pack their op(A) and
    /// multiply them with the whole shared block. Slices alternate between two B buffers: a part packs slice s + 1 into
    /// the buffer of slice s − 1 only after it has seen every row tile of s − 1 computed.
    /// </summary>
    /// <remarks>
    /// Nothing waits for a part to arrive: a part waits only for groups and row tiles that another part has claimed and
    /// not yet finished, so a part that starts late (a worker the machine has not scheduled, or a withdrawn part run
    /// by the caller afterwards) finds everything claimed and returns, and the caller alone computes what nobody took.
    /// The claim and completion counters count across slices (each slice's items follow the previous slice's), and a
    /// claim never moves a counter past the end of the claimer's own slice. Every element of C still adds its KC
    /// slices in order (slice s of a row tile starts after all of slice s − 1), so the result does not depend on which
    /// part computes what, nor on how the runs were cut.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the edge tile is always written by the kernel before it is read
    private static void SharedB(GemmJob<T>* job, int part, int parts)
    {
        bool transposeA = job->TransposeA, transposeB = job->TransposeB;
        int m = job->M, n = job->N, k = job->K, lda = job->Lda, ldb = job->Ldb, ldc = job->Ldc;
        T alpha = job->Alpha, beta = job->Beta;
        T* a = job->A, b = job->B, c = job->C;
        int tiles = (m + MR - 1) / MR;
        T* packA = job->PackA + part * job->PackAStride;
        T* edge = stackalloc T[MR * NR];
        int* packClaimed = &job->PackClaimed, packDone = &job->PackDone;
        int* tileClaimed = &job->TileClaimed, tileDone = &job->TileDone;
        int slice = 0, packBase = 0, tileBase = 0;
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int panels = (nc + NR - 1) / NR;
            int groupPanels = Math.Max(1, (panels + 2 * parts - 1) / (2 * parts));
            int groups = (panels + groupPanels - 1) / groupPanels;
            for (int pc = 0; pc < k; pc += KC, slice++)
            {
                int kc = Math.Min(KC, k - pc);
                T betaSlice = pc == 0 ? beta : T.One;
                T* packB = job->PackB + (slice & 1) * job->PackBStride;
                int packEnd = packBase + groups, tileEnd = tileBase + tiles;
                while (GemmParallel.TryClaim(packClaimed, packEnd, out int item))
                {
                    int j0 = (item - packBase) * groupPanels * NR, j1 = Math.Min(nc, j0 + groupPanels * NR);
                    if (transposeB)
                        PackBTransposed(b + (long)(jc + j0) * ldb + pc, ldb, kc, j1 - j0, packB + (long)j0 * kc);
                    else
                        PackB(b + (long)pc * ldb + jc + j0, ldb, kc, j1 - j0, packB + (long)j0 * kc);
                    Interlocked.Increment(ref *packDone);
                }
                // This slice packed, and the slice before computed (its rows get this slice added next).
                GemmParallel.WaitFor(packDone, packEnd, tileDone, tileBase);
                while (GemmParallel.TryClaimGuided(tileClaimed, tileEnd, job->MaxRunTiles, parts, out int first, out int run))
                {
                    int ic = (first - tileBase) * MR;
                    int mc = Math.Min(run * MR, m - ic);
                    if (transposeA)
                        PackATransposed(a + (long)pc * lda + ic, lda, kc, mc, packA);
                    else
                        PackA(a + (long)ic * lda + pc, lda, kc, mc, packA);
                    MacroKernel(mc, nc, kc, packA, packB, c + (long)ic * ldc + jc, ldc, alpha, betaSlice, edge);
                    Interlocked.Add(ref *tileDone, run);
                }
                packBase = packEnd;
                tileBase = tileEnd;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the edge tile is always written by the kernel before it is read
    private static void Blocked(bool transposeA, bool transposeB, int m, int n, int k,
        T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
    {
        int kcMax = Math.Min(KC, k);
        int mcMax = Math.Min(MC, RoundUp(m, MR));
        int ncMax = Math.Min(NC, RoundUp(n, NR));
        T* packA = Buffer(ref t_packA, (long)mcMax * kcMax);
        T* packB = Buffer(ref t_packB, (long)ncMax * kcMax);
        T* edge = stackalloc T[MR * NR];

        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                // Later slices of the inner dimension add to what the first one wrote.
                T betaSlice = pc == 0 ? beta : T.One;
                if (transposeB)
                    PackBTransposed(b + (long)jc * ldb + pc, ldb, kc, nc, packB);
                else
                    PackB(b + (long)pc * ldb + jc, ldb, kc, nc, packB);

                for (int ic = 0; ic < m; ic += MC)
                {
                    int mc = Math.Min(MC, m - ic);
                    if (transposeA)
                        PackATransposed(a + (long)pc * lda + ic, lda, kc, mc, packA);
                    else
                        PackA(a + (long)ic * lda + pc, lda, kc, mc, packA);

                    MacroKernel(mc, nc, kc, packA, packB, c + (long)ic * ldc + jc, ldc, alpha, betaSlice, edge);
                }
            }
        }
    }

    /// <summary>C block (mc×nc at <paramref name="c"/>) = alpha·Ã·B̃ + beta·C over a packed A block and a packed B block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel(int mc, int nc, int kc, T* packA, T* packB, T* c, int ldc, T alpha, T beta, T* edge)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            T* bPanel = packB + (long)jr * kc;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int mr = Math.Min(MR, mc - ir);
                T* aPanel = packA + (long)ir * kc;
                T* cTile = c + (long)ir * ldc + jr;
                if (mr == MR && nr == NR)
                {
                    Kernel(kc, aPanel, bPanel, cTile, ldc, alpha, beta);
                }
                else
                {
                    Kernel(kc, aPanel, bPanel, edge, NR, T.One, T.Zero);
                    MergeEdge(edge, mr, nr, cTile, ldc, alpha, beta);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RoundUp(int x, int unit) => (x + unit - 1) / unit * unit;

    /// <summary>A 64-byte-aligned thread-local buffer of at least <paramref name="count"/> elements.</summary>
    private static T* Buffer(ref byte[]? buffer, long count)
    {
        // 64 bytes for alignment, 64 more for the 2-lane spill of the float A packing past the last panel.
        long bytes = count * sizeof(T) + 128;
        if (buffer is null || buffer.Length < bytes)
            buffer = GC.AllocateUninitializedArray<byte>(checked((int)Math.Max(bytes, 64 * 1024)), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref buffer[0]);
        return (T*)((address + 63) & ~(nint)63);
    }

    /// <summary>C tile (mr×nr) = alpha·tile + beta·C, for partial tiles computed into <paramref name="tile"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeEdge(T* tile, int mr, int nr, T* c, int ldc, T alpha, T beta)
    {
        for (int i = 0; i < mr; i++)
        {
            T* t = tile + i * NR;
            T* ci = c + (long)i * ldc;
            for (int j = 0; j < nr; j++)
                ci[j] = beta == T.Zero ? alpha * t[j] : alpha * t[j] + beta * ci[j];
        }
    }

    // ------------------------------------------------------------------ packing

    /// <summary>Packs op(B) = B (kc×nc at <paramref name="b"/>) into NR-wide panels, each kc×NR, k-major, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(T* b, int ldb, int kc, int nc, T* dst)
    {
        int nr = NR;
        int j = 0;
        for (; j + nr <= nc; j += nr)
        {
            T* src = b + j;
            if (nr == 2 * Vector512<T>.Count)
            {
                for (int p = 0; p < kc; p++)
                {
                    Vector512.Store(Vector512.Load(src), dst);
                    Vector512.Store(Vector512.Load(src + Vector512<T>.Count), dst + Vector512<T>.Count);
                    src += ldb;
                    dst += nr;
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    Vector256.Store(Vector256.Load(src), dst);
                    Vector256.Store(Vector256.Load(src + Vector256<T>.Count), dst + Vector256<T>.Count);
                    src += ldb;
                    dst += nr;
                }
            }
        }
        if (j < nc)
        {
            int rest = nc - j;
            T* src = b + j;
            for (int p = 0; p < kc; p++)
            {
                int q = 0;
                for (; q < rest; q++)
                    dst[q] = src[q];
                for (; q < nr; q++)
                    dst[q] = T.Zero;
                src += ldb;
                dst += nr;
            }
        }
    }

    /// <summary>Packs op(B) = Bᵀ, where B is stored nc×kc at <paramref name="b"/>: column j of op(B) is row j of B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBTransposed(T* b, int ldb, int kc, int nc, T* dst)
    {
        int nr = NR;
        for (int j = 0; j < nc; j += nr)
        {
            int cols = Math.Min(nr, nc - j);
            // Walk 8×8 (float) or 4×4 (double) blocks with in-register transposes where they fit.
            int p = 0;
            if (cols == nr)
            {
                for (; p + Vector256<T>.Count <= kc; p += Vector256<T>.Count)
                    for (int part = 0; part < nr; part += Vector256<T>.Count)
                        TransposeBlock(b + (long)(j + part) * ldb + p, ldb, dst + p * nr + part, nr);
            }
            for (; p < kc; p++)
            {
                T* d = dst + p * nr;
                int q = 0;
                for (; q < cols; q++)
                    d[q] = b[(long)(j + q) * ldb + p];
                for (; q < nr; q++)
                    d[q] = T.Zero;
            }
            dst += (long)nr * kc;
        }
    }

    /// <summary>Packs op(A) = A (mc×kc at <paramref name="a"/>) into MR-high panels, each MR×kc stored k-major, zero-padded.</summary>
    /// <remarks>
    /// Full panels go through register transposes: float reads 8 columns of the 6 rows (plus two zero rows),
    /// transposes 8×8 and stores each 8-wide result row at its 6-element slot, letting the 2 extra lanes spill
    /// into the next slot, which a later store overwrites (the buffer has slack for the last one); double
    /// transposes rows 0–3 as 4×4 blocks and copies rows 4–5 with 128-bit loads.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(T* a, int lda, int kc, int mc, T* dst)
    {
        for (int i = 0; i < mc; i += MR)
        {
            int rows = Math.Min(MR, mc - i);
            T* r0 = a + (long)i * lda;
            if (rows == MR && MR == 12)
            {
                PackAPanel12(r0, lda, kc, dst);
            }
            else if (rows == MR)
            {
                T* r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda, r5 = r4 + lda;
                int p = 0;
                if (typeof(T) == typeof(float))
                {
                    for (; p + 8 <= kc; p += 8)
                        Transpose6x8((float*)r0 + p, lda, (float*)dst + p * MR);
                }
                else if (typeof(T) == typeof(double))
                {
                    for (; p + 4 <= kc; p += 4)
                    {
                        T* d = dst + p * MR;
                        TransposeBlock(r0 + p, lda, d, MR);
                        double* d4 = (double*)d + 4;
                        var lo = Sse2.LoadVector128((double*)r4 + p);      // r4[p], r4[p+1]
                        var hi = Sse2.LoadVector128((double*)r5 + p);      // r5[p], r5[p+1]
                        Sse2.Store(d4, Sse2.UnpackLow(lo, hi));
                        Sse2.Store(d4 + 6, Sse2.UnpackHigh(lo, hi));
                        lo = Sse2.LoadVector128((double*)r4 + p + 2);
                        hi = Sse2.LoadVector128((double*)r5 + p + 2);
                        Sse2.Store(d4 + 12, Sse2.UnpackLow(lo, hi));
                        Sse2.Store(d4 + 18, Sse2.UnpackHigh(lo, hi));
                    }
                }
                for (; p < kc; p++)
                {
                    T* d = dst + p * MR;
                    d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    T* d = dst + p * MR;
                    int q = 0;
                    for (; q < rows; q++)
                        d[q] = r0[(long)q * lda + p];
                    for (; q < MR; q++)
                        d[q] = T.Zero;
                }
            }
            dst += MR * kc;
        }
    }

    /// <summary>
    /// One full 12-row panel of op(A) = A (rows <paramref name="lda"/> apart) → kc k-steps of 12 values. Float: rows
    /// 0–7 as an 8×8 register transpose, rows 8–11 as a 4×8 one (128-bit stores); double: three 4×4 transposes.
    /// No store spills past its k-step's 12 values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackAPanel12(T* r0, int lda, int kc, T* dst)
    {
        int p = 0;
        if (typeof(T) == typeof(float))
        {
            for (; p + 8 <= kc; p += 8)
            {
                T* d = dst + p * 12;
                TransposeBlock(r0 + p, lda, d, 12);
                Transpose4x8((float*)r0 + 8L * lda + p, lda, (float*)d + 8);
            }
        }
        else if (typeof(T) == typeof(double))
        {
            for (; p + 4 <= kc; p += 4)
            {
                T* d = dst + p * 12;
                TransposeBlock(r0 + p, lda, d, 12);
                TransposeBlock(r0 + 4L * lda + p, lda, d + 4, 12);
                TransposeBlock(r0 + 8L * lda + p, lda, d + 8, 12);
            }
        }
        for (; p < kc; p++)
        {
            T* d = dst + p * 12;
            T* src = r0 + p;
            for (int q = 0; q < 12; q++)
                d[q] = src[(long)q * lda];
        }
    }

    /// <summary>Rows 0–3 × columns 0–7 at <paramref name="s"/> → 8 k-steps of 4 values, 12 apart, at <paramref name="d"/>.</summary>
    // Also AggressiveOptimization: where the inliner declines (its budget is spent in a large packing loop) the call
    // must not run tier-0 code, which the runtime can keep for hundreds of calls before it recompiles.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Transpose4x8(float* s, long lds, float* d)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + 2 * lds);
        var r3 = Avx.LoadVector256(s + 3 * lds);
        var t0 = Avx.UnpackLow(r0, r1);   // a0 b0 a1 b1 | a4 b4 a5 b5
        var t1 = Avx.UnpackHigh(r0, r1);  // a2 b2 a3 b3 | a6 b6 a7 b7
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var u0 = Avx.Shuffle(t0, t2, 0x44); // column 0 | column 4
        var u1 = Avx.Shuffle(t0, t2, 0xEE); // column 1 | column 5
        var u2 = Avx.Shuffle(t1, t3, 0x44); // column 2 | column 6
        var u3 = Avx.Shuffle(t1, t3, 0xEE); // column 3 | column 7
        Sse.Store(d, u0.GetLower());
        Sse.Store(d + 12, u1.GetLower());
        Sse.Store(d + 24, u2.GetLower());
        Sse.Store(d + 36, u3.GetLower());
        Sse.Store(d + 48, u0.GetUpper());
        Sse.Store(d + 60, u1.GetUpper());
        Sse.Store(d + 72, u2.GetUpper());
        Sse.Store(d + 84, u3.GetUpper());
    }

    /// <summary>Rows 0–5 × columns 0–7 at <paramref name="s"/> → 8 k-steps of 6 values at <paramref name="d"/>.</summary>
    // Also AggressiveOptimization: where the inliner declines (its budget is spent in a large packing loop) the call
    // must not run tier-0 code, which the runtime can keep for hundreds of calls before it recompiles.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Transpose6x8(float* s, long lds, float* d)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + 2 * lds);
        var r3 = Avx.LoadVector256(s + 3 * lds);
        var r4 = Avx.LoadVector256(s + 4 * lds);
        var r5 = Avx.LoadVector256(s + 5 * lds);
        var zero = Vector256<float>.Zero;
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, zero, 0x44);
        var u5 = Avx.Shuffle(t4, zero, 0xEE);
        var u6 = Avx.Shuffle(t5, zero, 0x44);
        var u7 = Avx.Shuffle(t5, zero, 0xEE);
        // In increasing address order, so each store's 2 spilled lanes are overwritten by the next one.
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + 6, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 12, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 18, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 24, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 30, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 36, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 42, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>Packs op(A) = Aᵀ, where A is stored kc×mc at <paramref name="a"/>: row i of op(A) is column i of A.</summary>
    /// <remarks>The 6 values of a k-step are contiguous in A: one 8-wide float load and store (2 lanes spill
    /// into the next slot, overwritten next), or a 4-wide and a 2-wide double copy.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackATransposed(T* a, int lda, int kc, int mc, T* dst)
    {
        for (int i = 0; i < mc; i += MR)
        {
            int rows = Math.Min(MR, mc - i);
            T* src = a + i;
            if (rows == MR && MR == 12)
            {
                // The 12 values of a k-step are contiguous in A: 8 + 4 floats, or 3 × 4 doubles.
                for (int p = 0; p < kc; p++)
                {
                    T* d = dst + p * 12;
                    if (typeof(T) == typeof(float))
                    {
                        Avx.Store((float*)d, Avx.LoadVector256((float*)src));
                        Sse.Store((float*)d + 8, Sse.LoadVector128((float*)src + 8));
                    }
                    else if (typeof(T) == typeof(double))
                    {
                        Avx.Store((double*)d, Avx.LoadVector256((double*)src));
                        Avx.Store((double*)d + 4, Avx.LoadVector256((double*)src + 4));
                        Avx.Store((double*)d + 8, Avx.LoadVector256((double*)src + 8));
                    }
                    else
                    {
                        for (int q = 0; q < 12; q++)
                            d[q] = src[q];
                    }
                    src += lda;
                }
            }
            else if (rows == MR)
            {
                // The 8-wide float load reads 2 values past the panel: only safe while they are inside the block.
                if (typeof(T) == typeof(float) && i + 8 <= mc)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        Avx.Store((float*)dst + p * MR, Avx.LoadVector256((float*)src));
                        src += lda;
                    }
                }
                else if (typeof(T) == typeof(double))
                {
                    for (int p = 0; p < kc; p++)
                    {
                        double* d = (double*)dst + p * MR;
                        Avx.Store(d, Avx.LoadVector256((double*)src));
                        Sse2.Store(d + 4, Sse2.LoadVector128((double*)src + 4));
                        src += lda;
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        T* d = dst + p * MR;
                        d[0] = src[0]; d[1] = src[1]; d[2] = src[2]; d[3] = src[3]; d[4] = src[4]; d[5] = src[5];
                        src += lda;
                    }
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    T* d = dst + p * MR;
                    int q = 0;
                    for (; q < rows; q++)
                        d[q] = src[q];
                    for (; q < MR; q++)
                        d[q] = T.Zero;
                    src += lda;
                }
            }
            dst += MR * kc;
        }
    }

    /// <summary>
    /// Writes the transpose of the W×W block at <paramref name="src"/> (W = Vector256 count: 8 floats or 4
    /// doubles; rows <paramref name="lds"/> apart) to <paramref name="dst"/> (rows <paramref name="ldd"/> apart).
    /// </summary>
    // Also AggressiveOptimization: where the inliner declines (its budget is spent in a large packing loop) the call
    // must not run tier-0 code, which the runtime can keep for hundreds of calls before it recompiles.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TransposeBlock(T* src, long lds, T* dst, int ldd)
    {
        if (typeof(T) == typeof(float))
        {
            float* s = (float*)src;
            float* d = (float*)dst;
            var r0 = Avx.LoadVector256(s);
            var r1 = Avx.LoadVector256(s + lds);
            var r2 = Avx.LoadVector256(s + 2 * lds);
            var r3 = Avx.LoadVector256(s + 3 * lds);
            var r4 = Avx.LoadVector256(s + 4 * lds);
            var r5 = Avx.LoadVector256(s + 5 * lds);
            var r6 = Avx.LoadVector256(s + 6 * lds);
            var r7 = Avx.LoadVector256(s + 7 * lds);
            var t0 = Avx.UnpackLow(r0, r1);
            var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3);
            var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5);
            var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7);
            var t7 = Avx.UnpackHigh(r6, r7);
            var u0 = Avx.Shuffle(t0, t2, 0x44);
            var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44);
            var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44);
            var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44);
            var u7 = Avx.Shuffle(t5, t7, 0xEE);
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
        }
        else if (typeof(T) == typeof(double))
        {
            double* s = (double*)src;
            double* d = (double*)dst;
            var r0 = Avx.LoadVector256(s);
            var r1 = Avx.LoadVector256(s + lds);
            var r2 = Avx.LoadVector256(s + 2 * lds);
            var r3 = Avx.LoadVector256(s + 3 * lds);
            var t0 = Avx.UnpackLow(r0, r1);   // a0 b0 a2 b2
            var t1 = Avx.UnpackHigh(r0, r1);  // a1 b1 a3 b3
            var t2 = Avx.UnpackLow(r2, r3);   // c0 d0 c2 d2
            var t3 = Avx.UnpackHigh(r2, r3);  // c1 d1 c3 d3
            Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
            Avx.Store(d + ldd, Avx.Permute2x128(t1, t3, 0x20));
            Avx.Store(d + 2 * ldd, Avx.Permute2x128(t0, t2, 0x31));
            Avx.Store(d + 3 * ldd, Avx.Permute2x128(t1, t3, 0x31));
        }
    }

    // ------------------------------------------------------------------ micro-kernels

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
        => TKernel.Tile(kc, a, b, c, ldc, alpha, beta);
}
