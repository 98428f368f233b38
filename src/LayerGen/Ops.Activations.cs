using System.Numerics;
using System.Numerics.Tensors;

namespace LayerGen;

// Activations and unary functions, each followed by its backward kernel dInput (+)= dOutput ⊙ f'(·).
// Forward: one TensorPrimitives call where one exists; Gelu and Softplus are compositions over L1-sized stack
// chunks. Backward: a fused Vector<T> loop (ElementwiseKernels.Binary) for the algebraic derivatives, and a
// chunked TensorPrimitives composition for the transcendental ones (Gelu, Softplus), so every kernel reads each
// input once from memory and writes dInput once.
//
// Each op carries its descriptor for the generator: [Differentiable] names its backward kernel, what the forward saves
// for it and the derivative's notation; [Shape] on the op sizes the tape buffer its destination overload writes into.
// docs/adding-an-op.md is the recipe.
public static partial class Ops
{
    private static Matrix<T> NewLike<T>(Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        return new Matrix<T>(a.Rows, a.Cols);
    }

    /// <summary>Checks the shapes of a backward kernel: saved and dInput must have dOutput's shape.</summary>
    private static void CheckBackward<T>(string operation, string savedRole, Matrix<T> saved, Matrix<T> dOutput, Matrix<T> dInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(dOutput);
        ArgumentNullException.ThrowIfNull(dInput);
        ShapeMismatchException.ThrowIfNotShape(operation, savedRole, saved, dOutput.Rows, dOutput.Cols);
        ShapeMismatchException.ThrowIfNotShape(operation, "dInput", dInput, dOutput.Rows, dOutput.Cols);
    }

    private static void FusedBackward<T, TKernel>(string operation, string savedRole, TKernel kernel, Matrix<T> saved, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IBinaryKernel<T>
    {
        CheckBackward(operation, savedRole, saved, dOutput, dInput);
        ElementwiseKernels.Binary(kernel, saved.AsReadOnlySpan(), dOutput.AsReadOnlySpan(), dInput.AsSpan(), accumulate);
    }

    // ---------------------------------------------------------------- ReLU

    /// <summary>max(a, 0), element-wise.</summary>
    [Differentiable(Backward = nameof(ReluBackward), Saves = SavedValues.Arguments, Derivative = "{dResult} ⊙ [{a} > 0]")]
    [return: Shape("R", "C")]
    public static Matrix<T> Relu<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Relu(a, result);
        return result;
    }

    /// <summary>result = max(a, 0); result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Relu<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Relu", "result", a, result);
        TensorPrimitives.Max(a.AsReadOnlySpan(), T.Zero, result.AsSpan());
    }

    /// <summary>dInput (+)= dOutput where saved &gt; 0, else 0. <paramref name="saved"/> may be ReLU's input or output (same sign mask).</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void ReluBackward<T>(Matrix<T> saved, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => FusedBackward("ReluBackward", "saved", new ReluMask<T>(), saved, dOutput, dInput, accumulate);

    private readonly struct ReluMask<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy) => x > T.Zero ? dy : T.Zero;
        public Vector<T> Invoke(Vector<T> x, Vector<T> dy) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), dy, Vector<T>.Zero);
    }

    // ---------------------------------------------------------------- Leaky ReLU

    /// <summary>a where a &gt; 0, else negativeSlope · a.</summary>
    [Differentiable(Backward = nameof(LeakyReluBackward), Saves = SavedValues.Arguments, Derivative = "{dResult} ⊙ [{a} > 0 ? 1 : {negativeSlope}]")]
    [return: Shape("R", "C")]
    public static Matrix<T> LeakyRelu<T>([Shape("R", "C")] Matrix<T> a, [NoGrad] T negativeSlope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        LeakyRelu(a, negativeSlope, result);
        return result;
    }

    /// <summary>result = a where a &gt; 0, else negativeSlope · a; result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void LeakyRelu<T>(Matrix<T> a, T negativeSlope, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("LeakyRelu", "result", a, result);
        ElementwiseKernels.Unary(new LeakyReluKernel<T>(negativeSlope), a.AsReadOnlySpan(), result.AsSpan());
    }

    /// <summary>
    /// dInput (+)= dOutput where saved &gt; 0, else negativeSlope · dOutput. <paramref name="saved"/> may be the input
    /// or, for a positive slope, the output (same sign).
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void LeakyReluBackward<T>(Matrix<T> saved, T negativeSlope, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => FusedBackward("LeakyReluBackward", "saved", new LeakyReluMask<T>(negativeSlope), saved, dOutput, dInput, accumulate);

    private readonly struct LeakyReluKernel<T>(T slope) : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x) => x > T.Zero ? x : slope * x;
        public Vector<T> Invoke(Vector<T> x) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, x * slope);
    }

    private readonly struct LeakyReluMask<T>(T slope) : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy) => x > T.Zero ? dy : slope * dy;
        public Vector<T> Invoke(Vector<T> x, Vector<T> dy) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), dy, dy * slope);
    }

    // ---------------------------------------------------------------- Sigmoid, Tanh

    /// <summary>The logistic function 1 / (1 + e^−a), element-wise.</summary>
    [Differentiable(Backward = nameof(SigmoidBackward), Saves = SavedValues.Result, Derivative = "{dResult} ⊙ {result}(1 − {result})")]
    [return: Shape("R", "C")]
    public static Matrix<T> Sigmoid<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Sigmoid(a, result);
        return result;
    }

    /// <summary>result = 1 / (1 + e^−a); result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Sigmoid<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Sigmoid", "result", a, result);
        TensorPrimitives.Sigmoid(a.AsReadOnlySpan(), result.AsSpan());
    }

    /// <summary>dInput (+)= dOutput ⊙ y ⊙ (1 − y), with y = sigmoid's output.</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void SigmoidBackward<T>(Matrix<T> output, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => FusedBackward("SigmoidBackward", "output", new SigmoidDerivative<T>(), output, dOutput, dInput, accumulate);

    private readonly struct SigmoidDerivative<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T y, T dy) => dy * y * (T.One - y);
        public Vector<T> Invoke(Vector<T> y, Vector<T> dy) => dy * y * (Vector<T>.One - y);
    }

    /// <summary>The hyperbolic tangent, element-wise.</summary>
    [Differentiable(Backward = nameof(TanhBackward), Saves = SavedValues.Result, Derivative = "{dResult} ⊙ (1 − {result}²)")]
    [return: Shape("R", "C")]
    public static Matrix<T> Tanh<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Tanh(a, result);
        return result;
    }

    /// <summary>result = tanh(a); result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Tanh<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Tanh", "result", a, result);
        TensorPrimitives.Tanh(a.AsReadOnlySpan(), result.AsSpan());
    }

    /// <summary>dInput (+)= dOutput ⊙ (1 − y²), with y = tanh's output.</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void TanhBackward<T>(Matrix<T> output, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => FusedBackward("TanhBackward", "output", new TanhDerivative<T>(), output, dOutput, dInput, accumulate);

    private readonly struct TanhDerivative<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T y, T dy) => dy * (T.One - y * y);
        public Vector<T> Invoke(Vector<T> y, Vector<T> dy) => dy * (Vector<T>.One - y * y);
    }

    // ---------------------------------------------------------------- GELU (tanh approximation)

    /// <summary>√(2/π) as T.</summary>
    private static T GeluScale<T>() where T : unmanaged, IFloatingPointIeee754<T> => T.CreateTruncating(0.7978845608028654);

    /// <summary>The cubic coefficient of the GELU tanh approximation.</summary>
    private static T GeluCubic<T>() where T : unmanaged, IFloatingPointIeee754<T> => T.CreateTruncating(0.044715);

    /// <summary>GELU, tanh approximation: 0.5·a·(1 + tanh(√(2/π)·(a + 0.044715·a³))).</summary>
    [Differentiable(Backward = nameof(GeluBackward), Saves = SavedValues.Arguments, Derivative = "{dResult} ⊙ gelu′({a})")]
    [return: Shape("R", "C")]
    public static Matrix<T> Gelu<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Gelu(a, result);
        return result;
    }

    /// <summary>result = GELU(a) (tanh approximation); result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Gelu<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Gelu", "result", a, result);
        ReadOnlySpan<T> x = a.AsReadOnlySpan();
        Span<T> d = result.AsSpan();
        Span<T> buffer = stackalloc T[ElementwiseKernels.ChunkLength];
        T k = GeluScale<T>(), c = GeluCubic<T>(), half = T.CreateTruncating(0.5);
        for (int i = 0; i < x.Length; i += ElementwiseKernels.ChunkLength)
        {
            int n = Math.Min(ElementwiseKernels.ChunkLength, x.Length - i);
            var xs = x.Slice(i, n);
            var t = buffer[..n];
            // t = tanh(k·x·(1 + c·x²)); then y = 0.5·x·(1 + t). The last call reads x and writes d, so d may alias x.
            TensorPrimitives.Multiply(xs, xs, t);
            TensorPrimitives.Multiply<T>(t, c, t);
            TensorPrimitives.Add<T>(t, T.One, t);
            TensorPrimitives.Multiply(t, xs, t);
            TensorPrimitives.Multiply(t, k, t);
            TensorPrimitives.Tanh<T>(t, t);
            TensorPrimitives.Add<T>(t, T.One, t);
            TensorPrimitives.Multiply<T>(t, half, t);
            TensorPrimitives.Multiply(t, xs, d.Slice(i, n));
        }
    }

    /// <summary>
    /// dInput (+)= dOutput ⊙ GELU'(input), with GELU'(x) = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)
    /// and t = tanh(√(2/π)·(x + 0.044715·x³)).
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void GeluBackward<T>(Matrix<T> input, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward("GeluBackward", "input", input, dOutput, dInput);
        ReadOnlySpan<T> x = input.AsReadOnlySpan(), dy = dOutput.AsReadOnlySpan();
        Span<T> dx = dInput.AsSpan();
        Span<T> tBuffer = stackalloc T[ElementwiseKernels.ChunkLength];
        Span<T> wBuffer = stackalloc T[ElementwiseKernels.ChunkLength];
        T k = GeluScale<T>(), c = GeluCubic<T>(), half = T.CreateTruncating(0.5);
        T threeCk = T.CreateTruncating(3) * c * k;
        for (int i = 0; i < x.Length; i += ElementwiseKernels.ChunkLength)
        {
            int n = Math.Min(ElementwiseKernels.ChunkLength, x.Length - i);
            var xs = x.Slice(i, n);
            var t = tBuffer[..n];
            var w = wBuffer[..n];
            // With u = x², t = tanh(k·x·(1 + c·u)) and w = 0.5·x·k·(1 + 3c·u):
            // GELU'(x) = 0.5(1 + t) + w(1 − t)(1 + t) = (1 + t)·(0.5 + w·(1 − t)).
            TensorPrimitives.Multiply(xs, xs, w);                 // w = u
            TensorPrimitives.Multiply<T>(w, c, t);
            TensorPrimitives.Add<T>(t, T.One, t);                 // t = 1 + c·u
            TensorPrimitives.Multiply(t, xs, t);
            TensorPrimitives.Multiply(t, k, t);
            TensorPrimitives.Tanh<T>(t, t);                       // t = tanh(k(x + c·x³))
            TensorPrimitives.Multiply<T>(w, threeCk, w);
            TensorPrimitives.Add<T>(w, k, w);                     // w = k(1 + 3c·u)
            TensorPrimitives.Multiply(w, xs, w);
            TensorPrimitives.Multiply(w, half, w);                // w = 0.5·x·k(1 + 3c·u)
            TensorPrimitives.Negate<T>(t, t);                     // t = −t
            TensorPrimitives.MultiplyAdd(w, t, w, w);             // w = w(1 − t)
            TensorPrimitives.Add(w, half, w);                     // w = 0.5 + w(1 − t)
            TensorPrimitives.Subtract(T.One, t, t);               // t = 1 + t
            TensorPrimitives.Multiply(t, w, t);                   // t = GELU'(x)
            var dxs = dx.Slice(i, n);
            ElementwiseKernels.StoreProduct(dy.Slice(i, n), t, dxs, accumulate);
        }
    }

    // ---------------------------------------------------------------- Softplus

    /// <summary>softplus(a) = log(1 + e^a), computed stably as log1p(e^−|a|) + max(a, 0).</summary>
    [Differentiable(Backward = nameof(SoftplusBackward), Saves = SavedValues.Arguments, Derivative = "{dResult} ⊙ σ({a})")]
    [return: Shape("R", "C")]
    public static Matrix<T> Softplus<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Softplus(a, result);
        return result;
    }

    /// <summary>result = log1p(e^−|a|) + max(a, 0) (no overflow for large |a|); result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Softplus<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Softplus", "result", a, result);
        ReadOnlySpan<T> x = a.AsReadOnlySpan();
        Span<T> d = result.AsSpan();
        Span<T> buffer = stackalloc T[ElementwiseKernels.ChunkLength];
        Span<T> scratch = stackalloc T[ElementwiseKernels.ChunkLength];
        for (int i = 0; i < x.Length; i += ElementwiseKernels.ChunkLength)
        {
            int n = Math.Min(ElementwiseKernels.ChunkLength, x.Length - i);
            var xs = x.Slice(i, n);
            var b = buffer[..n];
            var ds = d.Slice(i, n);
            ElementwiseKernels.LogOnePlusExpNegAbs(xs, b, scratch);
            TensorPrimitives.Max(xs, T.Zero, ds);                 // reads x before writing d: alias-safe
            TensorPrimitives.Add<T>(ds, b, ds);
        }
    }

    /// <summary>dInput (+)= dOutput ⊙ sigmoid(input) (the derivative of softplus).</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void SoftplusBackward<T>(Matrix<T> input, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward("SoftplusBackward", "input", input, dOutput, dInput);
        ReadOnlySpan<T> x = input.AsReadOnlySpan(), dy = dOutput.AsReadOnlySpan();
        Span<T> dx = dInput.AsSpan();
        Span<T> buffer = stackalloc T[ElementwiseKernels.ChunkLength];
        for (int i = 0; i < x.Length; i += ElementwiseKernels.ChunkLength)
        {
            int n = Math.Min(ElementwiseKernels.ChunkLength, x.Length - i);
            var s = buffer[..n];
            TensorPrimitives.Sigmoid(x.Slice(i, n), s);
            var dxs = dx.Slice(i, n);
            ElementwiseKernels.StoreProduct(dy.Slice(i, n), s, dxs, accumulate);
        }
    }

    // ---------------------------------------------------------------- SiLU (swish)

    /// <summary>silu(a) = a·σ(a), element-wise.</summary>
    [Differentiable(Backward = nameof(SiluBackward), Saves = SavedValues.Arguments, Derivative = "{dResult} ⊙ σ({a})(1 + {a}(1 − σ({a})))")]
    [return: Shape("R", "C")]
    public static Matrix<T> Silu<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Silu(a, result);
        return result;
    }

    /// <summary>result = a·σ(a); result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Silu<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Silu", "result", a, result);
        ReadOnlySpan<T> x = a.AsReadOnlySpan();
        Span<T> y = result.AsSpan();
        Span<T> buffer = stackalloc T[ElementwiseKernels.ChunkLength];
        for (int i = 0; i < x.Length; i += ElementwiseKernels.ChunkLength)
        {
            int n = Math.Min(ElementwiseKernels.ChunkLength, x.Length - i);
            var s = buffer[..n];
            TensorPrimitives.Sigmoid(x.Slice(i, n), s);           // reads x before writing y: alias-safe
            TensorPrimitives.Multiply(x.Slice(i, n), s, y.Slice(i, n));
        }
    }

    /// <summary>dInput (+)= dOutput ⊙ σ(input)·(1 + input·(1 − σ(input))).</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void SiluBackward<T>(Matrix<T> input, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward("SiluBackward", "input", input, dOutput, dInput);
        ReadOnlySpan<T> x = input.AsReadOnlySpan(), dy = dOutput.AsReadOnlySpan();
        Span<T> dx = dInput.AsSpan();
        Span<T> sigma = stackalloc T[ElementwiseKernels.ChunkLength];
        Span<T> derivative = stackalloc T[ElementwiseKernels.ChunkLength];
        for (int i = 0; i < x.Length; i += ElementwiseKernels.ChunkLength)
        {
            int n = Math.Min(ElementwiseKernels.ChunkLength, x.Length - i);
            var xs = x.Slice(i, n);
            var s = sigma[..n];
            var d = derivative[..n];
            TensorPrimitives.Sigmoid(xs, s);                      // s = σ(x)
            TensorPrimitives.Subtract(T.One, s, d);               // d = 1 − s
            TensorPrimitives.MultiplyAdd(xs, d, T.One, d);        // d = 1 + x(1 − s)
            TensorPrimitives.Multiply(s, d, d);                   // d = s(1 + x(1 − s))
            ElementwiseKernels.StoreProduct(dy.Slice(i, n), d, dx.Slice(i, n), accumulate);
        }
    }

    // ---------------------------------------------------------------- ELU

    /// <summary>elu(a) = a where a &gt; 0, else α(e^a − 1), element-wise.</summary>
    [Differentiable(Backward = nameof(EluBackward), Saves = SavedValues.Arguments, Derivative = "{dResult} ⊙ [{a} > 0 ? 1 : {alpha}·e^{a}]")]
    [return: Shape("R", "C")]
    public static Matrix<T> Elu<T>([Shape("R", "C")] Matrix<T> a, [NoGrad] T alpha) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Elu(a, alpha, result);
        return result;
    }

    /// <summary>result = a where a &gt; 0, else α(e^a − 1); result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Elu<T>(Matrix<T> a, T alpha, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Elu", "result", a, result);
        ReadOnlySpan<T> x = a.AsReadOnlySpan();
        Span<T> y = result.AsSpan();
        Span<T> buffer = stackalloc T[ElementwiseKernels.ChunkLength];
        for (int i = 0; i < x.Length; i += ElementwiseKernels.ChunkLength)
        {
            int n = Math.Min(ElementwiseKernels.ChunkLength, x.Length - i);
            var e = buffer[..n];
            TensorPrimitives.Min(x.Slice(i, n), T.Zero, e);       // e^min(a, 0): never overflows
            TensorPrimitives.Exp<T>(e, e);
            for (int j = 0; j < n; j++)                           // no library select: one pass by hand
                y[i + j] = x[i + j] > T.Zero ? x[i + j] : alpha * (e[j] - T.One);
        }
    }

    /// <summary>dInput (+)= dOutput ⊙ (1 where input &gt; 0, else α·e^input).</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void EluBackward<T>(Matrix<T> input, T alpha, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward("EluBackward", "input", input, dOutput, dInput);
        ReadOnlySpan<T> x = input.AsReadOnlySpan(), dy = dOutput.AsReadOnlySpan();
        Span<T> dx = dInput.AsSpan();
        Span<T> buffer = stackalloc T[ElementwiseKernels.ChunkLength];
        for (int i = 0; i < x.Length; i += ElementwiseKernels.ChunkLength)
        {
            int n = Math.Min(ElementwiseKernels.ChunkLength, x.Length - i);
            var d = buffer[..n];
            TensorPrimitives.Min(x.Slice(i, n), T.Zero, d);
            TensorPrimitives.Exp<T>(d, d);
            for (int j = 0; j < n; j++)
                d[j] = x[i + j] > T.Zero ? T.One : alpha * d[j];
            ElementwiseKernels.StoreProduct(dy.Slice(i, n), d, dx.Slice(i, n), accumulate);
        }
    }

    // ---------------------------------------------------------------- Exp, Log, Sqrt, Square, Abs

    /// <summary>e^a, element-wise.</summary>
    [Differentiable(Backward = nameof(ExpBackward), Saves = SavedValues.Result, Derivative = "{dResult} ⊙ {result}")]
    [return: Shape("R", "C")]
    public static Matrix<T> Exp<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Exp(a, result);
        return result;
    }

    /// <summary>result = e^a; result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Exp<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Exp", "result", a, result);
        TensorPrimitives.Exp(a.AsReadOnlySpan(), result.AsSpan());
    }

    /// <summary>dInput (+)= dOutput ⊙ y, with y = exp's output.</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void ExpBackward<T>(Matrix<T> output, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward("ExpBackward", "output", output, dOutput, dInput);
        var dx = dInput.AsSpan();
        ElementwiseKernels.StoreProduct(dOutput.AsReadOnlySpan(), output.AsReadOnlySpan(), dx, accumulate);
    }

    /// <summary>The natural logarithm, element-wise (NaN for negative elements, −∞ for zero).</summary>
    [Differentiable(Backward = nameof(LogBackward), Saves = SavedValues.Arguments, Derivative = "{dResult} ⊘ {a}")]
    [return: Shape("R", "C")]
    public static Matrix<T> Log<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Log(a, result);
        return result;
    }

    /// <summary>result = ln(a); result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Log<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Log", "result", a, result);
        TensorPrimitives.Log(a.AsReadOnlySpan(), result.AsSpan());
    }

    /// <summary>dInput (+)= dOutput / input.</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void LogBackward<T>(Matrix<T> input, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => FusedBackward("LogBackward", "input", new LogDerivative<T>(), input, dOutput, dInput, accumulate);

    private readonly struct LogDerivative<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy) => dy / x;
        public Vector<T> Invoke(Vector<T> x, Vector<T> dy) => dy / x;
    }

    /// <summary>The square root, element-wise.</summary>
    [Differentiable(Backward = nameof(SqrtBackward), Saves = SavedValues.Result, Derivative = "{dResult} ⊘ 2{result}")]
    [return: Shape("R", "C")]
    public static Matrix<T> Sqrt<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Sqrt(a, result);
        return result;
    }

    /// <summary>result = √a; result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Sqrt<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Sqrt", "result", a, result);
        TensorPrimitives.Sqrt(a.AsReadOnlySpan(), result.AsSpan());
    }

    /// <summary>dInput (+)= dOutput / (2y), with y = sqrt's output.</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void SqrtBackward<T>(Matrix<T> output, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => FusedBackward("SqrtBackward", "output", new SqrtDerivative<T>(), output, dOutput, dInput, accumulate);

    private readonly struct SqrtDerivative<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T y, T dy) => dy / (y + y);
        public Vector<T> Invoke(Vector<T> y, Vector<T> dy) => dy / (y + y);
    }

    /// <summary>a², element-wise.</summary>
    [Differentiable(Backward = nameof(SquareBackward), Saves = SavedValues.Arguments, Derivative = "2{a} ⊙ {dResult}")]
    [return: Shape("R", "C")]
    public static Matrix<T> Square<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Square(a, result);
        return result;
    }

    /// <summary>result = a²; result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Square<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Square", "result", a, result);
        TensorPrimitives.Multiply(a.AsReadOnlySpan(), a.AsReadOnlySpan(), result.AsSpan());
    }

    /// <summary>dInput (+)= 2 · input ⊙ dOutput.</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void SquareBackward<T>(Matrix<T> input, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => FusedBackward("SquareBackward", "input", new SquareDerivative<T>(), input, dOutput, dInput, accumulate);

    private readonly struct SquareDerivative<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy) => (x + x) * dy;
        public Vector<T> Invoke(Vector<T> x, Vector<T> dy) => (x + x) * dy;
    }

    /// <summary>|a|, element-wise.</summary>
    [Differentiable(Backward = nameof(AbsBackward), Saves = SavedValues.Arguments, Derivative = "sign({a}) ⊙ {dResult}")]
    [return: Shape("R", "C")]
    public static Matrix<T> Abs<T>([Shape("R", "C")] Matrix<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = NewLike(a);
        Abs(a, result);
        return result;
    }

    /// <summary>result = |a|; result may alias a.</summary>
    /// <exception cref="ShapeMismatchException">result's shape differs from a's.</exception>
    public static void Abs<T>(Matrix<T> a, Matrix<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape("Abs", "result", a, result);
        TensorPrimitives.Abs(a.AsReadOnlySpan(), result.AsSpan());
    }

    /// <summary>dInput (+)= sign(input) ⊙ dOutput (sign(0) = 0, the subgradient PyTorch uses).</summary>
    /// <exception cref="ShapeMismatchException">The shapes differ.</exception>
    public static void AbsBackward<T>(Matrix<T> input, Matrix<T> dOutput, Matrix<T> dInput, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => FusedBackward("AbsBackward", "input", new AbsDerivative<T>(), input, dOutput, dInput, accumulate);

    private readonly struct AbsDerivative<T> : IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Invoke(T x, T dy) => x > T.Zero ? dy : x < T.Zero ? -dy : T.Zero;

        public Vector<T> Invoke(Vector<T> x, Vector<T> dy)
            => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), dy,
                Vector.ConditionalSelect(Vector.LessThan(x, Vector<T>.Zero), -dy, Vector<T>.Zero));
    }
}
