using System.ComponentModel;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace LayerGen;

/// <summary>
/// Anomaly detection for generated training code, like PyTorch's <c>torch.autograd.detect_anomaly</c>: while it is on,
/// every generated training forward checks the result of each op, and every generated backward the result of each
/// adjoint step, for NaN and ±∞, and throws <see cref="AnomalyException"/> naming the first one that turned non-finite
/// (the user's source text and line), e.g. <c>Dense.Forward: 'Ops.Log(x)' (line 12) produced NaN at [0, 3]</c>.
/// </summary>
/// <remarks>
/// <para>
/// Off by default. Turn it on for a debugging run with <c>Anomaly.Enabled = true</c>, or for a block with
/// <c>using (Anomaly.Detect()) { … }</c>, which restores the previous setting when it ends.
/// </para>
/// <para>
/// The switch is <b>process-wide</b> (a static field, not thread-static): a training loop that hops threads (tasks,
/// <c>Parallel.For</c> over a batch) is checked wherever it runs, and reading it costs one load and one well-predicted
/// branch per op when off. Turn it on and off from one place (it is a debugging switch, not a per-thread mode); a
/// <see cref="Detect"/> scope on one thread is seen by every thread.
/// </para>
/// <para>When on, each check is one vectorized pass over the op's result (<see cref="TensorPrimitives.IsFiniteAll{T}(System.ReadOnlySpan{T})"/>); nothing is allocated unless it throws.</para>
/// </remarks>
public static class Anomaly
{
    private static bool _enabled;

    /// <summary>Whether generated training code checks every op and adjoint step for NaN/∞ (process-wide; off by default).</summary>
    public static bool Enabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _enabled;
        set => _enabled = value;
    }

    /// <summary>Turns anomaly detection on until the returned scope is disposed, then restores the previous setting.</summary>
    /// <returns>The scope; dispose it (<c>using</c>) to end detection.</returns>
    public static Scope Detect()
    {
        var scope = new Scope(_enabled);
        _enabled = true;
        return scope;
    }

    /// <summary>A <see cref="Detect"/> block: restores the previous <see cref="Enabled"/> when disposed.</summary>
    public readonly struct Scope : System.IDisposable
    {
        private readonly bool _previous;

        internal Scope(bool previous) => _previous = previous;

        /// <summary>Restores the setting that was in force when the scope began.</summary>
        public void Dispose() => _enabled = _previous;
    }

    /// <summary>
    /// Called by generated code after an op or adjoint step while detection is on: throws <see cref="AnomalyException"/>
    /// when <paramref name="value"/> holds a NaN or an infinity.
    /// </summary>
    /// <param name="value">The op's (or step's) result.</param>
    /// <param name="method">The generated method, e.g. <c>Dense.Forward</c>.</param>
    /// <param name="operation">The user's source text of the op, or the adjoint step in the derivation's notation.</param>
    /// <param name="line">The line of the user's source it comes from.</param>
    /// <exception cref="AnomalyException">An element is not finite.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Check<T>(Matrix<T> value, string method, string operation, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (value is null || TensorPrimitives.IsFiniteAll(value.AsReadOnlySpan()))
            return;
        // Cold path: the first bad element (a scalar scan, once, before throwing).
        var span = value.AsReadOnlySpan();
        int index = 0;
        while (T.IsFinite(span[index]))
            index++;
        throw new AnomalyException(method, operation, line, Format(span[index]), index / value.Cols, index % value.Cols);
    }

    /// <summary>Called by generated code after a scalar op or adjoint step while detection is on (see the matrix overload).</summary>
    /// <param name="value">The scalar result.</param>
    /// <param name="method">The generated method.</param>
    /// <param name="operation">The op's source text or the adjoint step.</param>
    /// <param name="line">The user's line.</param>
    /// <exception cref="AnomalyException"><paramref name="value"/> is not finite.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Check<T>(T value, string method, string operation, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!T.IsFinite(value))
            throw new AnomalyException(method, operation, line, Format(value), -1, -1);
    }

    private static string Format<T>(T value) where T : unmanaged, IFloatingPointIeee754<T> =>
        value.ToString(null, CultureInfo.InvariantCulture);
}

/// <summary>
/// Thrown while <see cref="Anomaly.Enabled"/> when a generated training forward's op or a backward's adjoint step
/// produced a NaN or an infinity: <c>Dense.Forward: 'Ops.Log(x)' (line 12) produced NaN at [0, 3]</c>.
/// </summary>
public sealed class AnomalyException : System.ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="method">The generated method, e.g. <c>Dense.Forward</c> or <c>Dense.Backward</c>.</param>
    /// <param name="operation">The op's source text, or the adjoint step.</param>
    /// <param name="line">The user's line.</param>
    /// <param name="value">The first non-finite value, formatted (<c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>).</param>
    /// <param name="row">Its row, or −1 for a scalar.</param>
    /// <param name="column">Its column, or −1 for a scalar.</param>
    public AnomalyException(string method, string operation, int line, string value, int row, int column)
        : base($"{method}: '{operation}' (line {line}) produced {value}{(row >= 0 ? $" at [{row}, {column}]" : "")}")
    {
        Method = method;
        Operation = operation;
        Line = line;
        Value = value;
        Row = row;
        Column = column;
    }

    /// <summary>The generated method that detected it (<c>Dense.Forward</c>, <c>Dense.Backward</c>).</summary>
    public string Method { get; }

    /// <summary>The op's source text (forward) or the adjoint step (backward).</summary>
    public string Operation { get; }

    /// <summary>The line of the user's source.</summary>
    public int Line { get; }

    /// <summary>The first non-finite value as text.</summary>
    public string Value { get; }

    /// <summary>Row of the first non-finite element; −1 for a scalar.</summary>
    public int Row { get; }

    /// <summary>Column of the first non-finite element; −1 for a scalar.</summary>
    public int Column { get; }
}
