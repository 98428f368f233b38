using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LayerGen;

/// <summary>The per-step scalars of one Adam/AdamW update, in the element type.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct AdamConstants<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>1 − β₁, the weight of the new gradient in the first moment.</summary>
    public required T OneMinusBeta1 { get; init; }

    /// <summary>1 − β₂, the weight of the new squared gradient in the second moment.</summary>
    public required T OneMinusBeta2 { get; init; }

    /// <summary>√(1 − β₂ᵗ): the second moment's bias correction, divided out of √v.</summary>
    public required T SqrtBiasCorrection2 { get; init; }

    /// <summary>ε, added to the denominator.</summary>
    public required T Epsilon { get; init; }

    /// <summary>−η / (1 − β₁ᵗ), the signed step size.</summary>
    public required T NegativeStepSize { get; init; }

    /// <summary>Adam's L2 factor λ (the gradient becomes g + λ·p); zero when there is none.</summary>
    public required T L2 { get; init; }

    /// <summary>AdamW's decoupled decay: p ← p·(1 − η·λ) before the update.</summary>
    public required bool Decoupled { get; init; }

    /// <summary>1 − η·λ, the multiplier of the decoupled decay (read only when <see cref="Decoupled"/>).</summary>
    public required T DecayFactor { get; init; }
}

/// <summary>
/// The Adam/AdamW update of one parameter in a single pass over its value, gradient and moments.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Update{T}"/> computes exactly, bit for bit, what <see cref="UpdateByPasses{T}"/> computes with one
/// <see cref="TensorPrimitives"/> call per line of the update (the form the optimizer had first, kept as the
/// reference and as the path for tiny parameters and hardware without 256-bit vectors): every lane goes through
/// the same vector operations (<c>Vector256.Lerp</c> on .NET 9 and later, TensorPrimitives' own
/// fused <c>x·(1 − a) + y·a</c> on .NET 8; separate multiplies and adds, a true square root and true divisions), only without nine round trips through
/// memory. The tail of a parameter whose length is not a multiple of the vector width is computed in a zero-padded
/// vector, as <see cref="TensorPrimitives"/> computes its tails with a (masked or overlapping) full vector.
/// </para>
/// <para>
/// Below one <see cref="Vector256{T}"/> of elements <see cref="TensorPrimitives"/> takes its 128-bit or scalar
/// loops, whose scalar lerp rounds differently; those parameters (a bias of a few units) take the passes.
/// </para>
/// </remarks>
internal static class AdamKernel
{
    /// <summary>
    /// Parameters with at least this many elements are split over the GEMM worker pool: the update is bound by the
    /// divider and the square root (two divisions and a root per vector), not by memory, so a second core halves it.
    /// </summary>
    internal const int ParallelThreshold = 16 * 1024;

    /// <summary>
    /// <see cref="Update{T}"/>, split into contiguous, vector-aligned ranges over the cores (the GEMM pool's workers)
    /// when the parameter is large and the pool is free. Each element is updated by exactly the same operations
    /// whichever part computes it, so the result does not depend on the split.
    /// </summary>
    public static unsafe void UpdateParallel<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in AdamConstants<T> c, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = p.Length;
        int threads = GemmParallel.MaxThreads > 0 ? GemmParallel.MaxThreads : Environment.ProcessorCount;
        if (n < ParallelThreshold || threads <= 1 || g.Length != n || m.Length != n || v.Length != n
            || !Vector256.IsHardwareAccelerated || !GemmParallel.TryAcquire())
        {
            Update(p, g, m, v, c, scratch);
            return;
        }
        try
        {
            fixed (T* pp = p)
            fixed (T* pg = g)
            fixed (T* pm = m)
            fixed (T* pv = v)
            {
                int parts = Math.Min(threads, n / (ParallelThreshold / 2));
                var job = new Job<T> { P = pp, G = pg, M = pm, V = pv, Length = n, Constants = c };
                GemmParallel.Run(&RunPart<T>, &job, parts);
            }
        }
        finally
        {
            GemmParallel.Release();
        }
    }

    /// <summary>The arguments of a split update, on the caller's stack (the caller waits for every part).</summary>
    private unsafe struct Job<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* P, G, M, V;
        public int Length;
        public AdamConstants<T> Constants;
    }

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/>: a contiguous range whose start is a whole
    /// number of vectors, so only the last part has a tail.</summary>
    private static unsafe void RunPart<T>(void* job, int part, int parts) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var j = ref *(Job<T>*)job;
        int width = Vector256<T>.Count;
        int per = (j.Length / parts + width - 1) / width * width;
        int start = Math.Min(j.Length, part * per);
        int end = part == parts - 1 ? j.Length : Math.Min(j.Length, start + per);
        int count = end - start;
        if (count <= 0)
            return;
        Update(new Span<T>(j.P + start, count), new ReadOnlySpan<T>(j.G + start, count), new Span<T>(j.M + start, count),
            new Span<T>(j.V + start, count), j.Constants, []);
    }

    /// <summary>p, m, v updated in place from g (which is read only); <paramref name="scratch"/> (at least p.Length
    /// elements) is used only by the passes' fallback.</summary>
    public static void Update<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in AdamConstants<T> c, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = p.Length;
        if (g.Length != n || m.Length != n || v.Length != n)
            throw new ArgumentException($"Adam: value, gradient and moments must have one length, got {n}, {g.Length}, {m.Length}, {v.Length}.");
        if (!Vector256.IsHardwareAccelerated || n < Vector256<T>.Count || !(typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            UpdateByPasses(p, g, m, v, c, scratch);
            return;
        }

        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T mr = ref MemoryMarshal.GetReference(m);
        ref T vr = ref MemoryMarshal.GetReference(v);
        var k = new VectorConstants<T>(c);
        int width = Vector256<T>.Count;
        int i = 0;
        for (; i <= n - width; i += width)
        {
            var pv = Vector256.LoadUnsafe(ref pr, (nuint)i);
            var mv = Vector256.LoadUnsafe(ref mr, (nuint)i);
            var vv = Vector256.LoadUnsafe(ref vr, (nuint)i);
            Step(ref pv, Vector256.LoadUnsafe(ref gr, (nuint)i), ref mv, ref vv, k);
            pv.StoreUnsafe(ref pr, (nuint)i);
            mv.StoreUnsafe(ref mr, (nuint)i);
            vv.StoreUnsafe(ref vr, (nuint)i);
        }
        if (i < n)
        {
            // The tail in zero-padded vectors (the padding lanes compute 0 / ε and are dropped).
            Span<T> lanes = stackalloc T[4 * Vector256<T>.Count];
            lanes.Clear();
            int rest = n - i;
            Span<T> tp = lanes[..width], tg = lanes.Slice(width, width), tm = lanes.Slice(2 * width, width), tv = lanes.Slice(3 * width, width);
            p[i..].CopyTo(tp);
            g[i..].CopyTo(tg);
            m[i..].CopyTo(tm);
            v[i..].CopyTo(tv);
            var pv = Vector256.Create<T>(tp);
            var mv = Vector256.Create<T>(tm);
            var vv = Vector256.Create<T>(tv);
            Step(ref pv, Vector256.Create<T>(tg), ref mv, ref vv, k);
            pv.CopyTo(tp);
            mv.CopyTo(tm);
            vv.CopyTo(tv);
            tp[..rest].CopyTo(p[i..]);
            tm[..rest].CopyTo(m[i..]);
            tv[..rest].CopyTo(v[i..]);
        }
    }

    /// <summary>The update of one vector of lanes, in the order of <see cref="UpdateByPasses{T}"/>'s calls.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<T>(ref Vector256<T> p, Vector256<T> g, ref Vector256<T> m, ref Vector256<T> v, in VectorConstants<T> k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (k.Decoupled)
            p *= k.DecayFactor;
        else if (k.HasL2)
            g = p * k.L2 + g;
        m = Lerp(m, g, k.OneMinusBeta1);
        v = Lerp(v, g * g, k.OneMinusBeta2);
        var denominator = Vector256.Sqrt(v) / k.SqrtBiasCorrection2 + k.Epsilon;
        p = m / denominator * k.NegativeStepSize + p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Lerp<T>(Vector256<T> x, Vector256<T> y, Vector256<T> amount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
#if NET9_0_OR_GREATER
        // What TensorPrimitives.Lerp calls per vector on .NET 9 and later.
        if (typeof(T) == typeof(float))
            return Vector256.Lerp(x.AsSingle(), y.AsSingle(), amount.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.Lerp(x.AsDouble(), y.AsDouble(), amount.AsDouble()).As<double, T>();
        throw new NotSupportedException();
#else
        // TensorPrimitives' .NET 8 build: x·(1 − a) + y·a with the last add fused where FMA exists (what
        // Vector256.Lerp does later), else unfused.
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            if (typeof(T) == typeof(float))
                return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x.AsSingle(), (Vector256<float>.One - amount.AsSingle()), (y * amount).AsSingle()).As<float, T>();
            if (typeof(T) == typeof(double))
                return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x.AsDouble(), (Vector256<double>.One - amount.AsDouble()), (y * amount).AsDouble()).As<double, T>();
        }
        return (x * (Vector256<T>.One - amount)) + (y * amount);
#endif
    }

    /// <summary>The scalars broadcast to vectors once per parameter.</summary>
    private readonly struct VectorConstants<T>(in AdamConstants<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly Vector256<T> OneMinusBeta1 = Vector256.Create(c.OneMinusBeta1);
        public readonly Vector256<T> OneMinusBeta2 = Vector256.Create(c.OneMinusBeta2);
        public readonly Vector256<T> SqrtBiasCorrection2 = Vector256.Create(c.SqrtBiasCorrection2);
        public readonly Vector256<T> Epsilon = Vector256.Create(c.Epsilon);
        public readonly Vector256<T> NegativeStepSize = Vector256.Create(c.NegativeStepSize);
        public readonly Vector256<T> L2 = Vector256.Create(c.L2);
        public readonly Vector256<T> DecayFactor = Vector256.Create(c.DecayFactor);
        public readonly bool HasL2 = c.L2 != T.Zero;
        public readonly bool Decoupled = c.Decoupled;
    }

    /// <summary>
    /// The same update as one <see cref="TensorPrimitives"/> call per line (ten passes over memory); the reference of
    /// <see cref="Update{T}"/>. <paramref name="scratch"/> holds at least p.Length elements.
    /// </summary>
    internal static void UpdateByPasses<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in AdamConstants<T> c, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        scratch = scratch[..p.Length];
        if (c.Decoupled)
        {
            TensorPrimitives.Multiply(p, c.DecayFactor, p);
        }
        else if (c.L2 != T.Zero)
        {
            // The L2 term joins the gradient; the scratch holds g + λp so the gradient stays untouched.
            TensorPrimitives.MultiplyAdd(p, c.L2, g, scratch);
            g = scratch;
        }
        // m ← m + (1 − β₁)(g − m) = β₁m + (1 − β₁)g (PyTorch's lerp form).
        TensorPrimitives.Lerp(m, g, c.OneMinusBeta1, m);
        // v ← v + (1 − β₂)(g² − v); g² goes into the scratch (which may already hold g: squared in place).
        TensorPrimitives.Multiply(g, g, scratch);
        TensorPrimitives.Lerp(v, scratch, c.OneMinusBeta2, v);
        // denominator = √v / √(1 − β₂ᵗ) + ε, then p ← p − stepSize · m / denominator.
        TensorPrimitives.Sqrt(v, scratch);
        TensorPrimitives.Divide(scratch, c.SqrtBiasCorrection2, scratch);
        TensorPrimitives.Add(scratch, c.Epsilon, scratch);
        TensorPrimitives.Divide(m, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, c.NegativeStepSize, p, p);
    }
}
