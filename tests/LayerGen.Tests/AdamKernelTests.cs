using System.Numerics;
using LayerGen;

namespace LayerGen.Tests;

/// <summary>
/// The fused one-pass Adam/AdamW update against the reference: one <c>TensorPrimitives</c> call per line of the
/// update (<see cref="AdamKernel.UpdateByPasses{T}"/>), compared bit for bit, and both against the update written
/// out in double, element by element.
/// </summary>
public class AdamKernelTests
{
    public static TheoryData<string> Variants => new() { "adam", "adam+l2", "adamw" };

    private static AdamConstants<T> Constants<T>(string variant, int t, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double wd = variant == "adam" ? 0 : 0.01;
        T tLr = T.CreateChecked(lr), tWd = T.CreateChecked(wd);
        return new AdamConstants<T>
        {
            OneMinusBeta1 = T.One - T.CreateChecked(beta1),
            OneMinusBeta2 = T.One - T.CreateChecked(beta2),
            SqrtBiasCorrection2 = T.CreateChecked(Math.Sqrt(1 - Math.Pow(beta2, t))),
            Epsilon = T.CreateChecked(eps),
            NegativeStepSize = -T.CreateChecked(lr / (1 - Math.Pow(beta1, t))),
            L2 = variant == "adam+l2" ? tWd : T.Zero,
            Decoupled = variant == "adamw",
            DecayFactor = T.One - tLr * tWd,
        };
    }

    /// <summary>Random value, gradient and moments (v ≥ 0, some exactly 0, some tiny so ε matters).</summary>
    private static (T[] P, T[] G, T[] M, T[] V) State<T>(int n, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        T Next(double scale) => T.CreateChecked((random.NextDouble() * 2 - 1) * scale);
        var p = new T[n];
        var g = new T[n];
        var m = new T[n];
        var v = new T[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = Next(1);
            g[i] = Next(i % 7 == 0 ? 1e-6 : 0.1);
            m[i] = Next(0.01);
            v[i] = i % 11 == 0 ? T.Zero : T.Abs(Next(i % 5 == 0 ? 1e-14 : 1e-3));
        }
        return (p, g, m, v);
    }

    private static void FusedEqualsPasses<T>(string variant) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] lengths = [.. Enumerable.Range(1, 40), 63, 64, 65, 127, 128, 129, 1000, 2571];
        foreach (int n in lengths)
        {
            var (p1, g, m1, v1) = State<T>(n, n);
            var (p2, m2, v2) = ((T[])p1.Clone(), (T[])m1.Clone(), (T[])v1.Clone());
            var scratch = new T[n];
            for (int t = 1; t <= 3; t++)
            {
                var c = Constants<T>(variant, t);
                AdamKernel.Update<T>(p1, g, m1, v1, c, scratch);
                AdamKernel.UpdateByPasses<T>(p2, g, m2, v2, c, scratch);
            }
            for (int i = 0; i < n; i++)
            {
                Assert.True(p1[i].Equals(p2[i]), $"{typeof(T).Name} {variant} n={n}: p[{i}] fused {p1[i]:R} ≠ passes {p2[i]:R}");
                Assert.True(m1[i].Equals(m2[i]), $"{typeof(T).Name} {variant} n={n}: m[{i}] fused {m1[i]:R} ≠ passes {m2[i]:R}");
                Assert.True(v1[i].Equals(v2[i]), $"{typeof(T).Name} {variant} n={n}: v[{i}] fused {v1[i]:R} ≠ passes {v2[i]:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Fused_EqualsThePassesBitForBit_Float(string variant) => FusedEqualsPasses<float>(variant);

    [Theory]
    [MemberData(nameof(Variants))]
    public void Fused_EqualsThePassesBitForBit_Double(string variant) => FusedEqualsPasses<double>(variant);

    [Theory]
    [MemberData(nameof(Variants))]
    public void Fused_FollowsTheUpdateWrittenOutInDouble(string variant)
    {
        const int n = 37;
        var (p, g, m, v) = State<double>(n, 5);
        var (ep, em, ev) = ((double[])p.Clone(), (double[])m.Clone(), (double[])v.Clone());
        for (int t = 1; t <= 4; t++)
        {
            AdamKernel.Update<double>(p, g, m, v, Constants<double>(variant, t), new double[n]);
            double wd = variant == "adam" ? 0 : 0.01, lr = 1e-3;
            for (int i = 0; i < n; i++)
            {
                if (variant == "adamw")
                    ep[i] *= 1 - lr * wd;
                double gi = g[i] + (variant == "adam+l2" ? wd * ep[i] : 0);
                em[i] = 0.9 * em[i] + 0.1 * gi;
                ev[i] = 0.999 * ev[i] + 0.001 * gi * gi;
                ep[i] -= lr / (1 - Math.Pow(0.9, t)) * em[i] / (Math.Sqrt(ev[i]) / Math.Sqrt(1 - Math.Pow(0.999, t)) + 1e-8);
            }
        }
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(ep[i], p[i], 1e-12);
            Assert.Equal(em[i], m[i], 1e-15);
            Assert.Equal(ev[i], v[i], 1e-15);
        }
    }

    [Theory]
    [InlineData(AdamKernel.ParallelThreshold, "adam")]
    [InlineData(3 * AdamKernel.ParallelThreshold + 13, "adam+l2")]
    [InlineData(200_704, "adamw")]
    public void Parallel_EqualsOneThreadBitForBit_AndAllocatesNothing(int n, string variant)
    {
        int saved = GemmParallel.MaxThreads;
        GemmParallel.MaxThreads = 2;   // split even on a one-core machine
        try
        {
            var (p1, g, m1, v1) = State<float>(n, 7);
            var (p2, m2, v2) = ((float[])p1.Clone(), (float[])m1.Clone(), (float[])v1.Clone());
            var scratch = new float[n];
            AdamKernel.UpdateParallel<float>(p1, g, m1, v1, Constants<float>(variant, 1), scratch);   // warm-up: starts the pool
            AdamKernel.Update<float>(p2, g, m2, v2, Constants<float>(variant, 1), scratch);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int t = 2; t <= 3; t++)
                AdamKernel.UpdateParallel<float>(p1, g, m1, v1, Constants<float>(variant, t), scratch);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            for (int t = 2; t <= 3; t++)
                AdamKernel.Update<float>(p2, g, m2, v2, Constants<float>(variant, t), scratch);
            Assert.Equal(p2, p1);
            Assert.Equal(m2, m1);
            Assert.Equal(v2, v1);
        }
        finally
        {
            GemmParallel.MaxThreads = saved;
        }
    }

    [Fact]
    public void Update_RejectsSpansOfDifferentLengths()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            AdamKernel.Update<float>(new float[8], new float[8], new float[7], new float[8], Constants<float>("adam", 1), new float[8]));
        Assert.Contains("Adam", error.Message);
    }
}
