using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LayerGen;

/// <summary>
/// A register-tile micro-kernel and the tile it computes: the packed driver (<see cref="GemmBlocked{T, TKernel}"/>)
/// is specialised by the JIT for each implementation (a struct), so <see cref="MR"/> and <see cref="NR"/> are
/// constants in every loop and packing routine.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IGemmKernel<T> where T : unmanaged
{
    /// <summary>Rows of the register tile (of op(A) per packed micro-panel).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile (of op(B) per packed micro-panel).</summary>
    static abstract int NR { get; }

    /// <summary>Whether this machine has the instructions the kernel uses.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>C[MR×NR] = alpha·(Ã·B̃) + beta·C over kc steps; beta = 0 never reads C.</summary>
    static abstract unsafe void Tile(int kc, T* a, T* b, T* c, int ldc, T alpha, T beta);
}

/// <summary>The AVX2/FMA kernels: 6×16 floats or 6×8 doubles (<see cref="GemmKernels"/>).</summary>
internal readonly struct Avx2Kernel<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 6;
    }

    public static int NR
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2 * Vector256<T>.Count;
    }

    public static bool IsSupported
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Avx2.IsSupported && Fma.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Tile(int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        if (typeof(T) == typeof(float))
            GemmKernels.Float6x16(kc, (float*)a, (float*)b, (float*)c, ldc, Unsafe.As<T, float>(ref alpha), Unsafe.As<T, float>(ref beta));
        else if (typeof(T) == typeof(double))
            GemmKernels.Double6x8(kc, (double*)a, (double*)b, (double*)c, ldc, Unsafe.As<T, double>(ref alpha), Unsafe.As<T, double>(ref beta));
        else
            throw new NotSupportedException();
    }
}

/// <summary>The AVX-512 kernels: 12×32 floats or 12×16 doubles (<see cref="GemmKernels512"/>).</summary>
internal readonly struct Avx512Kernel<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 12;
    }

    public static int NR
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2 * Vector512<T>.Count;
    }

    /// <summary>
    /// AVX-512 present and <see cref="Vector512.IsHardwareAccelerated"/>: the runtime reports false where 512-bit
    /// code would lower the clock (first-generation AVX-512, such as Skylake-X) or lacks part of the baseline set, and
    /// the AVX2 kernel is the safer choice there.
    /// </summary>
    public static bool IsSupported
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Avx512F.IsSupported && Vector512.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported
               && (typeof(T) == typeof(float) || typeof(T) == typeof(double));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Tile(int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        if (typeof(T) == typeof(float))
            GemmKernels512.Float12x32(kc, (float*)a, (float*)b, (float*)c, ldc, Unsafe.As<T, float>(ref alpha), Unsafe.As<T, float>(ref beta));
        else if (typeof(T) == typeof(double))
            GemmKernels512.Double12x16(kc, (double*)a, (double*)b, (double*)c, ldc, Unsafe.As<T, double>(ref alpha), Unsafe.As<T, double>(ref beta));
        else
            throw new NotSupportedException();
    }
}
