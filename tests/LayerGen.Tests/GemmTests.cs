using System.Numerics;
using CsCheck;

namespace LayerGen.Tests;

/// <summary>
/// <see cref="Gemm.Multiply{T}"/> against a naive double-precision reference: every transpose combination,
/// accumulate or not, float and double, square and mixed shapes (edge tiles, k = 1, the multithreading threshold),
/// leading dimensions wider than the matrices, alpha/beta, NaN in C with beta = 0, on the packed path and the
/// portable one. The packed path takes the machine's widest micro-kernel (AVX-512 where it has it);
/// <see cref="GemmTestsOnTheAvx2Kernel"/> runs every test again with the AVX2 kernel forced.
/// </summary>
[Collection(GemmGlobals.Name)]
public class GemmTests : IDisposable
{
    private readonly bool _savedForceAvx2 = Gemm.ForceAvx2;

    /// <summary>Whether this class's tests force the AVX2 micro-kernel (on this thread: xunit runs the constructor,
    /// the test and <see cref="Dispose"/> on one thread, which <see cref="TheKernelUnderTest_IsTheOneThisClassNames"/>
    /// checks).</summary>
    protected virtual bool Avx2Only => false;

    public GemmTests() => Gemm.ForceAvx2 = Avx2Only;

    public void Dispose()
    {
        Gemm.ForceAvx2 = _savedForceAvx2;
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void TheKernelUnderTest_IsTheOneThisClassNames()
    {
        Assert.Equal(Avx2Only, Gemm.ForceAvx2);
        Assert.Equal(!Avx2Only && Avx512Kernel<float>.IsSupported, Gemm.UseAvx512<float>());
        Assert.Equal(!Avx2Only && Avx512Kernel<double>.IsSupported, Gemm.UseAvx512<double>());
    }

    /// <summary>
    /// The AVX-512 and AVX2 kernels add every element's k terms in the same order (one lane of one accumulator,
    /// KC slices in order), so they give bit-identical products, split over threads or not. (On a machine without
    /// AVX-512 both sides take the AVX2 kernel and this test compares it with itself.)
    /// </summary>
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 33, 17)]
    [InlineData(64, 256, 784)]
    [InlineData(784, 256, 64)]
    [InlineData(301, 130, 517)]
    [InlineData(256, 256, 256)]
    public void Avx512AndAvx2Kernels_AreBitIdentical(int m, int n, int k)
    {
        int savedThreads = GemmParallel.MaxThreads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                GemmParallel.MaxThreads = threads;
                for (int mode = 0; mode < 4; mode++)
                {
                    Same<float>(mode, m, n, k, seed: 40 + mode);
                    Same<double>(mode, m, n, k, seed: 50 + mode);
                }
            }
        }
        finally
        {
            GemmParallel.MaxThreads = savedThreads;
        }

        void Same<T>(int mode, int m, int n, int k, int seed) where T : unmanaged, IFloatingPointIeee754<T>
        {
            bool ta = mode >= 2, tb = (mode & 1) != 0;
            var a = Random<T>(ta ? k : m, ta ? m : k, seed);
            var b = Random<T>(tb ? n : k, tb ? k : n, seed + 1);
            var wide = Random<T>(m, n, seed + 2);
            var narrow = (T[])wide.Clone();
            T alpha = T.CreateChecked(0.75), beta = T.CreateChecked(mode == 1 ? 0 : 0.5);
            Gemm.ForceAvx2 = false;
            Gemm.Multiply(ta, tb, m, n, k, alpha, a, ta ? m : k, b, tb ? k : n, beta, wide, n);
            Gemm.ForceAvx2 = true;
            Gemm.Multiply(ta, tb, m, n, k, alpha, a, ta ? m : k, b, tb ? k : n, beta, narrow, n);
            Gemm.ForceAvx2 = Avx2Only;
            Assert.Equal(narrow, wide);
        }
    }

    public static TheoryData<int> SquareSizes => [1, 3, 7, 17, 33, 65, 129, 257];

    /// <summary>(m, n, k) with all three different: edge tiles in every direction, k = 1, k crossing KC = 256,
    /// and products above <see cref="GemmParallel.Threshold"/> split by rows or by columns.</summary>
    public static TheoryData<int, int, int> MixedShapes => new()
    {
        { 1, 40, 3 }, { 40, 1, 3 }, { 5, 9, 1 }, { 13, 100, 1 }, { 6, 16, 2 }, { 12, 32, 300 }, { 7, 17, 513 },
        { 31, 47, 61 }, { 100, 3, 70 }, { 3, 100, 70 }, { 150, 97, 64 }, { 97, 150, 64 }, { 301, 45, 90 },
        { 45, 301, 90 }, { 160, 170, 40 }, { 500, 20, 100 }, { 20, 500, 100 },
    };

    [Theory]
    [MemberData(nameof(SquareSizes))]
    public void Square_AllModes_Float(int size) => AllModes<float>(size, size, size, portable: false);

    [Theory]
    [MemberData(nameof(SquareSizes))]
    public void Square_AllModes_Double(int size) => AllModes<double>(size, size, size, portable: false);

    [Theory]
    [MemberData(nameof(MixedShapes))]
    public void Mixed_AllModes_Float(int m, int n, int k) => AllModes<float>(m, n, k, portable: false);

    [Theory]
    [MemberData(nameof(MixedShapes))]
    public void Mixed_AllModes_Double(int m, int n, int k) => AllModes<double>(m, n, k, portable: false);

    [Theory]
    [MemberData(nameof(SquareSizes))]
    public void Square_AllModes_Portable(int size)
    {
        AllModes<float>(size, size, size, portable: true);
        AllModes<double>(size, size, size, portable: true);
    }

    [Theory]
    [MemberData(nameof(MixedShapes))]
    public void Mixed_AllModes_Portable(int m, int n, int k)
    {
        AllModes<float>(m, n, k, portable: true);
        AllModes<double>(m, n, k, portable: true);
    }

    [Theory]
    [InlineData(2.5, 0.0)]
    [InlineData(-1.0, 1.0)]
    [InlineData(0.5, -0.75)]
    [InlineData(1.0, 2.0)]
    [InlineData(0.0, 0.5)]
    [InlineData(0.0, 0.0)]
    public void AlphaBeta(double alpha, double beta)
    {
        foreach (bool portable in new[] { false, true })
            foreach (var (m, n, k) in new[] { (7, 9, 5), (70, 90, 300), (130, 40, 20) })
                for (int mode = 0; mode < 4; mode++)
                {
                    Check<float>(mode >= 2, (mode & 1) != 0, m, n, k, alpha, beta, extraLd: 0, portable, seed: mode);
                    Check<double>(mode >= 2, (mode & 1) != 0, m, n, k, alpha, beta, extraLd: 0, portable, seed: mode);
                }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LeadingDimensionsWiderThanTheMatrices_OnlyTheViewIsReadAndWritten(bool portable)
    {
        foreach (var (m, n, k) in new[] { (1, 1, 1), (5, 7, 3), (33, 20, 17), (64, 64, 64), (100, 150, 40) })
            for (int mode = 0; mode < 4; mode++)
            {
                Check<float>(mode >= 2, (mode & 1) != 0, m, n, k, 1.0, 1.0, extraLd: 5, portable, seed: 7);
                Check<double>(mode >= 2, (mode & 1) != 0, m, n, k, -2.0, 0.0, extraLd: 3, portable, seed: 8);
            }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BetaZero_IgnoresNaNAndInfinityInC(bool portable)
    {
        foreach (var (m, n, k) in new[] { (1, 1, 1), (6, 16, 4), (17, 33, 65), (129, 40, 300) })
            for (int mode = 0; mode < 4; mode++)
            {
                bool ta = mode >= 2, tb = (mode & 1) != 0;
                var a = Random<float>(ta ? k : m, ta ? m : k, 1);
                var b = Random<float>(tb ? n : k, tb ? k : n, 2);
                var c = new float[m * n];
                c.AsSpan().Fill(float.NaN);
                c[0] = float.PositiveInfinity;
                var expected = Reference(ta, tb, m, n, k, 1.0, a, ta ? m : k, b, tb ? k : n, 0.0, c, n);
                bool saved = Gemm.ForcePortable;
                Gemm.ForcePortable = portable;
                try
                {
                    Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n);
                }
                finally
                {
                    Gemm.ForcePortable = saved;
                }
                Assert.All(c, x => Assert.True(float.IsFinite(x)));
                AssertClose(expected, c, m, n, n, Bound(ta, tb, m, n, k, 1.0, a, ta ? m : k, b, tb ? k : n, 0.0, c, n), k);
            }
    }

    [Fact]
    public void ZeroInnerDimension_ScalesC()
    {
        var c = new double[] { 1, 2, 3, 4, 5, 6 };
        Gemm.Multiply(false, false, 2, 3, 0, 1.0, ReadOnlySpan<double>.Empty, 1, ReadOnlySpan<double>.Empty, 3, 2.0, c, 3);
        Assert.Equal([2.0, 4, 6, 8, 10, 12], c);
        c[1] = double.NaN;
        Gemm.Multiply(false, false, 2, 3, 0, 1.0, ReadOnlySpan<double>.Empty, 1, ReadOnlySpan<double>.Empty, 3, 0.0, c, 3);
        Assert.Equal(new double[6], c);
    }

    [Fact]
    public void AlphaZero_DoesNotReadAOrB()
    {
        var a = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(false, false, 2, 2, 2, 0f, a, 2, a, 2, 3f, c, 2);
        Assert.Equal([3f, 6, 9, 12], c);
    }

    [Fact]
    public void MultiThreadedSplit_MatchesSingleThreaded_ByRowsAndByColumns()
    {
        // Forced to 2 and 3 parts so the split runs even on a one-core machine; results must be bit-identical to
        // one thread (each element is computed by the same kernel in the same k order).
        foreach (var (m, n, k) in new[] { (300, 61, 70), (61, 300, 70), (257, 257, 257) })
            for (int mode = 0; mode < 4; mode++)
            {
                bool ta = mode >= 2, tb = (mode & 1) != 0;
                var a = Random<float>(ta ? k : m, ta ? m : k, 3);
                var b = Random<float>(tb ? n : k, tb ? k : n, 4);
                var one = new float[m * n];
                var many = new float[m * n];
                int saved = GemmParallel.MaxThreads;
                try
                {
                    GemmParallel.MaxThreads = 1;
                    Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, one, n);
                    foreach (int threads in new[] { 2, 3 })
                    {
                        GemmParallel.MaxThreads = threads;
                        Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, many, n);
                        Assert.Equal(one, many);
                    }
                }
                finally
                {
                    GemmParallel.MaxThreads = saved;
                }
            }
    }

    /// <summary>
    /// The row split with a shared packed op(B): 2 and 3 parts against the naive reference, for sizes that are not
    /// multiples of the tiles (MR = 6 or 12, NR = 16/8 or 32/16, the row chunks, KC = 256 slices so several double-buffered
    /// slices and barriers run), every transpose mode, overwrite and accumulate, and wider leading dimensions.
    /// </summary>
    [Theory]
    [InlineData(97, 95, 97)]
    [InlineData(301, 130, 517)]
    [InlineData(200, 33, 600)]
    [InlineData(145, 145, 257)]
    [InlineData(1000, 20, 100)]
    public void RowSplit_SharedPackedB_MatchesReference(int m, int n, int k)
    {
        int saved = GemmParallel.MaxThreads;
        try
        {
            foreach (int threads in new[] { 2, 3 })
            {
                GemmParallel.MaxThreads = threads;
                Assert.True(GemmParallel.ChooseParts(m, n, k, MR, NR, out bool rows) > 1 && rows);
                for (int mode = 0; mode < 4; mode++)
                    foreach (double beta in new[] { 0.0, 1.0, -0.5 })
                    {
                        Check<float>(mode >= 2, (mode & 1) != 0, m, n, k, 1.0, beta, extraLd: mode, portable: false, seed: m + 7 * mode);
                        Check<double>(mode >= 2, (mode & 1) != 0, m, n, k, 0.75, beta, extraLd: 3 - mode, portable: false, seed: n + 5 * mode);
                    }
            }
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
        }
    }

    /// <summary>
    /// Parts that no worker takes (the caller withdraws the offers and runs every part itself, one after another, as
    /// when the machine gives the workers no core in time): the row split's late parts find all the shared work
    /// claimed and return; the column split's are computed by the caller. Bit-identical to one thread.
    /// </summary>
    [Theory]
    [InlineData(784, 256, 64)]     // row split, the MLP's dW1 = xᵀ·dz1 shape (transposed A)
    [InlineData(300, 61, 700)]     // row split, three KC slices alternating the two shared B buffers
    [InlineData(64, 256, 784)]     // column split, the MLP's first forward product
    public void WithdrawnParts_RunOnTheCaller_BitIdenticalToOneThread(int m, int n, int k)
    {
        int saved = GemmParallel.MaxThreads;
        try
        {
            for (int mode = 0; mode < 4; mode++)
            {
                bool ta = mode >= 2, tb = (mode & 1) != 0;
                var a = Random<float>(ta ? k : m, ta ? m : k, 21 + mode);
                var b = Random<float>(tb ? n : k, tb ? k : n, 22 + mode);
                var c0 = Random<float>(m, n, 23);
                var one = (float[])c0.Clone();
                GemmParallel.MaxThreads = 1;
                Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 1f, one, n);
                foreach (int threads in new[] { 2, 3 })
                {
                    GemmParallel.MaxThreads = threads;
                    Assert.True(GemmParallel.ChooseParts(m, n, k, MR, NR, out _) > 1);
                    foreach (bool withdraw in new[] { true, false })
                    {
                        var many = (float[])c0.Clone();
                        GemmParallel.WithdrawOffers = withdraw;
                        try
                        {
                            Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 1f, many, n);
                        }
                        finally
                        {
                            GemmParallel.WithdrawOffers = false;
                        }
                        Assert.Equal(one, many);
                    }
                }
            }
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
        }
    }

    /// <summary>Back-to-back split products (the workers' spin hand-off) and long pauses (their blocking hand-off) give the same results.</summary>
    [Fact]
    public void RepeatedSplitProducts_SpinAndBlockingHandOff_StayCorrect()
    {
        const int m = 130, n = 120, k = 300;
        var a = Random<float>(m, k, 11);
        var b = Random<float>(k, n, 12);
        var expected = Reference(false, false, m, n, k, 1.0, a, k, b, n, 0.0, new float[m * n], n);
        var bound = Bound(false, false, m, n, k, 1.0, a, k, b, n, 0.0, new float[m * n], n);
        int saved = GemmParallel.MaxThreads;
        GemmParallel.MaxThreads = 2;
        try
        {
            for (int repeat = 0; repeat < 60; repeat++)
            {
                if (repeat % 20 == 19)
                    Thread.Sleep(5); // longer than the spin: the worker blocks and must be woken
                var c = new float[m * n];
                Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
                AssertClose(expected, c, m, n, n, bound, k, $"repeat {repeat}");
            }
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
        }
    }

    [Fact]
    public void ConcurrentCallers_AllGetCorrectResults()
    {
        // Several threads multiply at once: one gets the worker pool, the others run on their own thread.
        const int m = 150, n = 140, k = 90;
        var a = Random<double>(m, k, 5);
        var b = Random<double>(k, n, 6);
        var expected = Reference(false, false, m, n, k, 1.0, a, k, b, n, 0.0, new double[m * n], n);
        var bound = Bound(false, false, m, n, k, 1.0, a, k, b, n, 0.0, new double[m * n], n);
        Parallel.For(0, 8, _ =>
        {
            for (int repeat = 0; repeat < 5; repeat++)
            {
                var c = new double[m * n];
                Gemm.Multiply(false, false, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
                AssertClose(expected, c, m, n, n, bound, k);
            }
        });
    }

    [Fact]
    public void RandomShapes_Property()
    {
        var gen =
            from m in Gen.Int[1, 70]
            from n in Gen.Int[1, 70]
            from k in Gen.Int[1, 300]
            from mode in Gen.Int[0, 3]
            from extra in Gen.Int[0, 3]
            from beta in Gen.OneOf(0.0, 1.0, -0.5)
            from portable in Gen.Bool
            from isFloat in Gen.Bool
            select (m, n, k, mode, extra, beta, portable, isFloat);
        gen.Sample(t =>
        {
            if (t.isFloat)
                Check<float>(t.mode >= 2, (t.mode & 1) != 0, t.m, t.n, t.k, 1.5, t.beta, t.extra, t.portable, seed: t.m * 31 + t.n);
            else
                Check<double>(t.mode >= 2, (t.mode & 1) != 0, t.m, t.n, t.k, 1.5, t.beta, t.extra, t.portable, seed: t.k);
        }, iter: 300, threads: 1);
    }

    [Fact]
    public void InvalidArguments_NameTheProblem()
    {
        var a = new float[6];
        var c = new float[4];
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, -1, 2, 3, 1f, a, 3, a, 2, 0f, c, 2));
        Assert.Contains("Gemm.Multiply", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 2, a, 2, 0f, c, 2));
        Assert.Contains("lda = 2 is less than the stored width 3 of A ([2, 3])", ex.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 3, a, 2, 0f, c.AsSpan(0, 3), 2));
        Assert.Contains("C is [2, 2] with leading dimension 2, which needs 4 elements, but the span has 3", e2.Message);
        e2 = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, true, 2, 2, 4, 1f, a, 4, a, 4, 0f, c, 2));
        Assert.Contains("A is [2, 4]", e2.Message);
    }

    [Fact]
    public void SingleThreadedProducts_AllocateNothing_AfterWarmUp()
    {
        foreach (bool portable in new[] { false, true })
            foreach (var (m, n, k) in new[] { (1, 1, 1), (4, 4, 4), (32, 32, 32), (64, 10, 784), (95, 95, 95) })
            {
                var a = Random<float>(m, k, 1);
                var b = Random<float>(n, k, 2);
                var c = new float[m * n];
                bool saved = Gemm.ForcePortable;
                int savedThreads = GemmParallel.MaxThreads;
                Gemm.ForcePortable = portable;
                GemmParallel.MaxThreads = 1;
                try
                {
                    for (int mode = 0; mode < 2; mode++)
                        Gemm.Multiply(false, mode == 1, m, n, k, 1f, a, k, b, mode == 1 ? k : n, 0f, c, n);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int repeat = 0; repeat < 10; repeat++)
                        for (int mode = 0; mode < 2; mode++)
                            Gemm.Multiply(false, mode == 1, m, n, k, 1f, a, k, b, mode == 1 ? k : n, 1f, c, n);
                    Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
                }
                finally
                {
                    Gemm.ForcePortable = saved;
                    GemmParallel.MaxThreads = savedThreads;
                }
            }
    }

    [Fact]
    public void MultiThreadedProducts_AllocateNothingOnTheCallingThread_AfterWarmUp()
    {
        MultiThreadedAllocations<double>(200, 200, 200);
        MultiThreadedAllocations<float>(256, 256, 256);
        MultiThreadedAllocations<float>(520, 300, 700);
        MultiThreadedAllocations<float>(40, 500, 300);
    }

    private static void MultiThreadedAllocations<T>(int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = Random<T>(m, k, 1);
        var b = Random<T>(k, n, 2);
        var c = new T[m * n];
        int saved = GemmParallel.MaxThreads;
        GemmParallel.MaxThreads = 2;
        try
        {
            Gemm.Multiply(false, false, m, n, k, T.One, a, k, b, n, T.Zero, c, n);
            // Up to three measured runs of five products, passing on the first that allocates nothing: an allocation per
            // product shows in every run, but the suite has seen a one-time 7–8 KB on this thread in one run out of
            // many (stops 15 and 17, both times right after other tests, with the worker waking from its semaphore
            // rather than spinning), which a single warm-up product does not always reach.
            var runs = new List<long>();
            for (int attempt = 0; attempt < 3 && (runs.Count == 0 || runs[^1] != 0); attempt++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int repeat = 0; repeat < 5; repeat++)
                    Gemm.Multiply(false, false, m, n, k, T.One, a, k, b, n, T.Zero, c, n);
                runs.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.True(runs[^1] == 0, $"{typeof(T).Name} {m}×{n}×{k}: bytes allocated per run of five products: {string.Join(", ", runs)}");
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
        }
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>The register tile of the kernel float products on this thread take.</summary>
    private static int MR => Gemm.UseAvx512<float>() ? Avx512Kernel<float>.MR : Avx2Kernel<float>.MR;

    private static int NR => Gemm.UseAvx512<float>() ? Avx512Kernel<float>.NR : Avx2Kernel<float>.NR;

    private static void AllModes<T>(int m, int n, int k, bool portable) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int mode = 0; mode < 4; mode++)
            foreach (bool accumulate in new[] { false, true })
                Check<T>(mode >= 2, (mode & 1) != 0, m, n, k, 1.0, accumulate ? 1.0 : 0.0, extraLd: 0, portable, seed: m + 13 * mode);
    }

    /// <summary>Runs one product and compares it (and the untouched padding of C) with the reference.</summary>
    private static void Check<T>(bool ta, bool tb, int m, int n, int k, double alpha, double beta, int extraLd, bool portable, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lda = (ta ? m : k) + extraLd, ldb = (tb ? k : n) + extraLd, ldc = n + extraLd;
        var a = Random<T>(ta ? k : m, lda, seed);
        var b = Random<T>(tb ? n : k, ldb, seed + 1);
        var c = Random<T>(m, ldc, seed + 2);
        var original = (T[])c.Clone();
        var expected = Reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        var bound = Bound(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        bool saved = Gemm.ForcePortable;
        Gemm.ForcePortable = portable;
        try
        {
            Gemm.Multiply(ta, tb, m, n, k, T.CreateChecked(alpha), a, lda, b, ldb, T.CreateChecked(beta), c, ldc);
        }
        finally
        {
            Gemm.ForcePortable = saved;
        }
        AssertClose(expected, c, m, n, ldc, bound, k,
            $"{typeof(T).Name} {(ta ? "Aᵀ" : "A")}·{(tb ? "Bᵀ" : "B")} m={m} n={n} k={k} alpha={alpha} beta={beta} ld+{extraLd} portable={portable}");
        // The padding between rows of C (columns n..ldc) is outside the view and must be untouched.
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++)
                Assert.Equal(original[i * ldc + j], c[i * ldc + j]);
    }

    private static T[] Random<T>(int rows, int cols, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var data = new T[Math.Max(1, rows * cols)];
        for (int i = 0; i < data.Length; i++)
            data[i] = T.CreateChecked(random.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>The product in double, from the same (rounded) inputs.</summary>
    private static double[] Reference<T>(bool ta, bool tb, int m, int n, int k, double alpha, T[] a, int lda, T[] b, int ldb, double beta, T[] c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += double.CreateTruncating(ta ? a[p * lda + i] : a[i * lda + p]) * double.CreateTruncating(tb ? b[j * ldb + p] : b[p * ldb + j]);
                result[i * n + j] = alpha * sum + (beta == 0 ? 0 : beta * double.CreateTruncating(c[i * ldc + j]));
            }
        return result;
    }

    /// <summary>|alpha|·Σ|a||b| + |beta|·|c|: the magnitude that floating-point error of the product scales with.</summary>
    private static double[] Bound<T>(bool ta, bool tb, int m, int n, int k, double alpha, T[] a, int lda, T[] b, int ldb, double beta, T[] c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += Math.Abs(double.CreateTruncating(ta ? a[p * lda + i] : a[i * lda + p]) * double.CreateTruncating(tb ? b[j * ldb + p] : b[p * ldb + j]));
                result[i * n + j] = Math.Abs(alpha) * sum + (beta == 0 ? 0 : Math.Abs(beta * double.CreateTruncating(c[i * ldc + j])));
            }
        return result;
    }

    /// <summary>
    /// Each element within the standard error bound of a k-term dot product, (k + 3)·ε·magnitude, which is about
    /// 3e-5 relative at k = 257 for float.
    /// </summary>
    private static void AssertClose<T>(double[] expected, T[] actual, int m, int n, int ldc, double[] bound, int k, string? what = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double epsilon = typeof(T) == typeof(float) ? 1.2e-7 : 2.3e-16;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double e = expected[i * n + j], x = double.CreateTruncating(actual[i * ldc + j]);
                double tolerance = (k + 3) * epsilon * bound[i * n + j] + 1e-30;
                if (!(Math.Abs(e - x) <= tolerance))
                    Assert.Fail($"{what} C[{i}, {j}] = {x}, expected {e} (±{tolerance:G3})");
            }
    }
}

/// <summary>Every <see cref="GemmTests"/> test again, with the AVX2 micro-kernel forced on AVX-512 hardware. In the
/// same non-parallel collection (xunit does not inherit the attribute).</summary>
[Collection(GemmGlobals.Name)]
public sealed class GemmTestsOnTheAvx2Kernel : GemmTests
{
    protected override bool Avx2Only => true;
}

/// <summary>
/// GemmTests switch process-wide GEMM settings (the portable path, the thread count) and count allocations: they run
/// alone, never beside the tests that multiply matrices on other threads (CI once saw 5312 B in the allocation check while
/// the checkpoint and training tests ran GEMMs in parallel).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GemmGlobals
{
    public const string Name = "GEMM globals";
}

