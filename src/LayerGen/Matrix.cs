using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace LayerGen;

/// <summary>
/// A dense, row-major matrix of <c>float</c> or <c>double</c>: the one value type that layers, generated
/// backward passes and the kernels in <see cref="Ops"/> exchange.
/// </summary>
/// <typeparam name="TElement">
/// The element type: <see cref="float"/> or <see cref="double"/>. (It is not called <c>T</c> because
/// <see cref="T"/> is the transpose.)
/// </typeparam>
/// <remarks>
/// <para>Storage is one contiguous array; element (r, c) is at <c>r * Cols + c</c>. The backing array may be
/// larger than <c>Rows * Cols</c> so that a reusable buffer (see <see cref="EnsureShape(ref Matrix{TElement}?, int, int)"/>) can change shape
/// without allocating; <see cref="AsSpan"/> always covers exactly <c>Rows * Cols</c> elements.</para>
/// <para><c>*</c> between two matrices is the matrix product, as in the seed article's <c>Y = XW</c>;
/// the element-wise product is <see cref="Ops.Mul{T}(Matrix{T}, Matrix{T})"/>. <c>+</c> and <c>-</c>
/// broadcast a 1×C row or an R×1 column over the other operand, never both ways.</para>
/// </remarks>
public sealed class Matrix<TElement> where TElement : unmanaged, IFloatingPointIeee754<TElement>
{
    private TElement[] _data;

    /// <summary>Creates a zeroed <paramref name="rows"/>×<paramref name="cols"/> matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public Matrix(int rows, int cols)
    {
        CheckDimensions(rows, cols);
        Rows = rows;
        Cols = cols;
        _data = rows * cols == 0 ? [] : new TElement[checked(rows * cols)];
    }

    /// <summary>
    /// Wraps <paramref name="data"/> (row-major, not copied) as a <paramref name="rows"/>×<paramref name="cols"/>
    /// matrix. The array may be longer than <c>rows * cols</c>; the extra elements are ignored.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> is shorter than <c>rows * cols</c>.</exception>
    public Matrix(int rows, int cols, TElement[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckDimensions(rows, cols);
        if (data.Length < (long)rows * cols)
            throw new ArgumentException($"Matrix: a [{rows}, {cols}] matrix needs {(long)rows * cols} elements but the array has {data.Length}.", nameof(data));
        Rows = rows;
        Cols = cols;
        _data = data;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; private set; }

    /// <summary>Number of columns.</summary>
    public int Cols { get; private set; }

    /// <summary>Number of elements, <c>Rows * Cols</c>.</summary>
    public int Length => Rows * Cols;

    /// <summary>The shape as a tuple, for pattern matching and messages.</summary>
    public (int Rows, int Cols) Shape => (Rows, Cols);

    /// <summary>The shape written as in error messages, e.g. <c>[32, 784]</c>.</summary>
    public string ShapeString => $"[{Rows}, {Cols}]";

    /// <summary>The element at (<paramref name="row"/>, <paramref name="col"/>), by reference (assignable).</summary>
    /// <exception cref="IndexOutOfRangeException">The index is outside the matrix.</exception>
    public ref TElement this[int row, int col]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)row >= (uint)Rows || (uint)col >= (uint)Cols)
                ThrowIndexOutOfRange(row, col);
            return ref _data[row * Cols + col];
        }
    }

    /// <summary>The elements, row-major, exactly <see cref="Length"/> long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<TElement> AsSpan() => new(_data, 0, Rows * Cols);

    /// <summary>The elements, row-major, read-only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<TElement> AsReadOnlySpan() => new(_data, 0, Rows * Cols);

    /// <summary>Row <paramref name="row"/> as a span of <see cref="Cols"/> elements.</summary>
    public Span<TElement> Row(int row)
    {
        if ((uint)row >= (uint)Rows)
            throw new IndexOutOfRangeException($"Matrix.Row: row {row} is outside a {ShapeString} matrix.");
        return new Span<TElement>(_data, row * Cols, Cols);
    }

    /// <summary>A reference to the first element (for kernels); undefined for an empty matrix.</summary>
    internal ref TElement First => ref MemoryMarshal.GetArrayDataReference(_data);

    /// <summary>The transpose, as a new matrix. In a <c>[Forward]</c> method, <c>x * W.T</c> is generated as one
    /// matrix product with a transposed operand, without materialising the transpose.</summary>
#pragma warning disable CA1720 // Identifier contains type name: .T is the established name for a transpose.
    public Matrix<TElement> T
    {
        [Differentiable(Rule = BuiltInRule.Transpose)]
        get => Ops.Transpose(this);
    }
#pragma warning restore CA1720

    /// <summary>Whether both matrices have the same shape.</summary>
    public bool SameShape(Matrix<TElement> other) => Rows == other.Rows && Cols == other.Cols;

    /// <summary>
    /// Stores <paramref name="value"/> in a member: copies it into <paramref name="target"/> when that has the same shape
    /// (allocating nothing) and returns <paramref name="target"/>; otherwise returns a copy of <paramref name="value"/>.
    /// Generated state updates (<c>RunningMean = …</c> in a <c>[Forward]</c>) assign through it, so that a member never
    /// aliases a tape buffer the next training step overwrites.
    /// </summary>
    public static Matrix<TElement> Store(Matrix<TElement>? target, Matrix<TElement> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (target is null || !target.SameShape(value))
            return value.Clone();
        if (!ReferenceEquals(target, value))
            value.CopyTo(target);
        return target;
    }

    /// <summary>A deep copy.</summary>
    public Matrix<TElement> Clone()
    {
        var copy = new Matrix<TElement>(Rows, Cols);
        AsReadOnlySpan().CopyTo(copy.AsSpan());
        return copy;
    }

    /// <summary>Copies the elements into <paramref name="destination"/>, which must have the same shape.</summary>
    public void CopyTo(Matrix<TElement> destination)
    {
        ShapeMismatchException.ThrowIfDifferent("CopyTo", this, destination);
        AsReadOnlySpan().CopyTo(destination.AsSpan());
    }

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public void Fill(TElement value) => AsSpan().Fill(value);

    /// <summary>Sets every element to zero (a matrix of several MiB, such as an embedding table's gradient, on every core).</summary>
    public void Clear() => ParallelClear.Clear(AsSpan());

    /// <summary>The elements as a new row-major array.</summary>
    public TElement[] ToArray() => AsReadOnlySpan().ToArray();

    /// <summary>The elements as a new two-dimensional array.</summary>
    public TElement[,] To2DArray()
    {
        var result = new TElement[Rows, Cols];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Cols; c++)
                result[r, c] = _data[r * Cols + c];
        return result;
    }

    /// <summary>
    /// Makes <paramref name="buffer"/> a <paramref name="rows"/>×<paramref name="cols"/> matrix, reusing its storage
    /// when it is large enough: the reusable-buffer primitive of generated tapes. Contents are unspecified after a
    /// shape change (not cleared). Allocates only when the buffer is null or too small.
    /// </summary>
    public static Matrix<TElement> EnsureShape(ref Matrix<TElement>? buffer, int rows, int cols)
    {
        if (buffer is null)
            return buffer = new Matrix<TElement>(rows, cols);
        if (buffer.Rows != rows || buffer.Cols != cols)
        {
            CheckDimensions(rows, cols);
            if (buffer._data.Length < (long)rows * cols)
                buffer._data = new TElement[checked(rows * cols)];
            buffer.Rows = rows;
            buffer.Cols = cols;
        }
        return buffer;
    }

    /// <summary>
    /// <see cref="EnsureShape(ref Matrix{TElement}?, int, int)"/> with the shape as an op's <c>ResultShape</c> method
    /// returns it.
    /// </summary>
    public static Matrix<TElement> EnsureShape(ref Matrix<TElement>? buffer, (int Rows, int Cols) shape) =>
        EnsureShape(ref buffer, shape.Rows, shape.Cols);

    // ---------------------------------------------------------------- factories

    /// <summary>A zeroed matrix.</summary>
    public static Matrix<TElement> Zeros(int rows, int cols) => new(rows, cols);

    /// <summary>A matrix of ones.</summary>
    public static Matrix<TElement> Ones(int rows, int cols) => Filled(rows, cols, TElement.One);

    /// <summary>A matrix with every element equal to <paramref name="value"/>.</summary>
    public static Matrix<TElement> Filled(int rows, int cols, TElement value)
    {
        var m = new Matrix<TElement>(rows, cols);
        m.Fill(value);
        return m;
    }

    /// <summary>The <paramref name="size"/>×<paramref name="size"/> identity matrix.</summary>
    public static Matrix<TElement> Identity(int size)
    {
        var m = new Matrix<TElement>(size, size);
        for (int i = 0; i < size; i++)
            m._data[i * size + i] = TElement.One;
        return m;
    }

    /// <summary>A copy of a two-dimensional array.</summary>
    public static Matrix<TElement> FromArray(TElement[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), cols = values.GetLength(1);
        var m = new Matrix<TElement>(rows, cols);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                m._data[r * cols + c] = values[r, c];
        return m;
    }

    /// <summary>A matrix whose rows are copies of <paramref name="rows"/>, which must all have the same length.</summary>
    /// <exception cref="ArgumentException">The rows have different lengths.</exception>
    public static Matrix<TElement> FromRows(params TElement[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        var m = new Matrix<TElement>(rows.Length, cols);
        for (int r = 0; r < rows.Length; r++)
        {
            if (rows[r].Length != cols)
                throw new ArgumentException($"Matrix.FromRows: row {r} has {rows[r].Length} elements but row 0 has {cols}.", nameof(rows));
            rows[r].CopyTo(m._data, r * cols);
        }
        return m;
    }

    /// <summary>A copy of a flat row-major sequence.</summary>
    public static Matrix<TElement> FromSpan(int rows, int cols, ReadOnlySpan<TElement> values)
    {
        var m = new Matrix<TElement>(rows, cols);
        if (values.Length != m.Length)
            throw new ArgumentException($"Matrix.FromSpan: a [{rows}, {cols}] matrix needs {m.Length} elements but {values.Length} were given.", nameof(values));
        values.CopyTo(m.AsSpan());
        return m;
    }

    /// <summary>Elements drawn from a normal distribution, reproducibly from <paramref name="seed"/>.</summary>
    public static Matrix<TElement> RandomNormal(int rows, int cols, int seed, double mean = 0, double standardDeviation = 1)
    {
        var m = new Matrix<TElement>(rows, cols);
        var random = new Random(seed);
        var span = m.AsSpan();
        for (int i = 0; i < span.Length; i++)
            span[i] = TElement.CreateChecked(mean + standardDeviation * NextGaussian(random));
        return m;
    }

    /// <summary>Elements drawn uniformly from [<paramref name="low"/>, <paramref name="high"/>), reproducibly from <paramref name="seed"/>.</summary>
    public static Matrix<TElement> RandomUniform(int rows, int cols, int seed, double low = 0, double high = 1)
    {
        var m = new Matrix<TElement>(rows, cols);
        var random = new Random(seed);
        var span = m.AsSpan();
        for (int i = 0; i < span.Length; i++)
            span[i] = TElement.CreateChecked(low + (high - low) * random.NextDouble());
        return m;
    }

    /// <summary>
    /// He (Kaiming) initialisation for a <paramref name="fanIn"/>×<paramref name="fanOut"/> weight used as
    /// <c>x · W</c> before a ReLU: normal with standard deviation √(2 / fanIn).
    /// </summary>
    public static Matrix<TElement> He(int fanIn, int fanOut, int seed)
        => RandomNormal(fanIn, fanOut, seed, 0, Math.Sqrt(2.0 / Math.Max(1, fanIn)));

    /// <summary>
    /// Xavier (Glorot) uniform initialisation for a <paramref name="fanIn"/>×<paramref name="fanOut"/> weight:
    /// uniform on ±√(6 / (fanIn + fanOut)).
    /// </summary>
    public static Matrix<TElement> Xavier(int fanIn, int fanOut, int seed)
    {
        double limit = Math.Sqrt(6.0 / Math.Max(1, fanIn + fanOut));
        return RandomUniform(fanIn, fanOut, seed, -limit, limit);
    }

    /// <summary>Xavier (Glorot) normal initialisation: standard deviation √(2 / (fanIn + fanOut)).</summary>
    public static Matrix<TElement> XavierNormal(int fanIn, int fanOut, int seed)
        => RandomNormal(fanIn, fanOut, seed, 0, Math.Sqrt(2.0 / Math.Max(1, fanIn + fanOut)));

    private static double NextGaussian(Random random)
    {
        // Box–Muller; 1 - NextDouble() is in (0, 1] so the logarithm is finite.
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    // ---------------------------------------------------------------- comparison and display

    /// <summary>
    /// Whether both matrices have the same shape and every pair of elements satisfies
    /// <c>|a − b| ≤ absoluteTolerance + relativeTolerance · max(|a|, |b|)</c>. NaN never equals anything.
    /// </summary>
    public bool ApproximatelyEquals(Matrix<TElement> other, double relativeTolerance = 1e-5, double absoluteTolerance = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!SameShape(other))
            return false;
        var a = AsReadOnlySpan();
        var b = other.AsReadOnlySpan();
        for (int i = 0; i < a.Length; i++)
        {
            double x = double.CreateTruncating(a[i]), y = double.CreateTruncating(b[i]);
            if (!(Math.Abs(x - y) <= absoluteTolerance + relativeTolerance * Math.Max(Math.Abs(x), Math.Abs(y))))
                return false;
        }
        return true;
    }

    /// <summary>The shape and a preview of at most 6 rows and 8 columns, e.g. <c>Matrix&lt;float&gt; [2, 3]</c> then the rows.</summary>
    public override string ToString()
    {
        const int maxRows = 6, maxCols = 8;
        var text = new StringBuilder();
        text.Append("Matrix<").Append(typeof(TElement) == typeof(float) ? "float" : typeof(TElement) == typeof(double) ? "double" : typeof(TElement).Name)
            .Append("> ").Append(ShapeString);
        for (int r = 0; r < Rows; r++)
        {
            if (r == maxRows - 1 && Rows > maxRows)
            {
                text.Append("\n  ...");
                r = Rows - 1;
            }
            text.Append("\n  [");
            for (int c = 0; c < Cols; c++)
            {
                if (c == maxCols - 1 && Cols > maxCols)
                {
                    text.Append(" ...,");
                    c = Cols - 1;
                }
                text.Append(c == 0 ? "" : ", ").Append(_data[r * Cols + c].ToString("G4", System.Globalization.CultureInfo.InvariantCulture));
            }
            text.Append(']');
        }
        return text.ToString();
    }

    // ---------------------------------------------------------------- operators (allocating; see Ops for destination forms)

    /// <summary>Element-wise sum, broadcasting a 1×C row or an R×1 column over the other operand.</summary>
    [Differentiable(Rule = BuiltInRule.Add)]
    public static Matrix<TElement> operator +(Matrix<TElement> a, Matrix<TElement> b) => Ops.Add(a, b);

    /// <summary>Element-wise difference, broadcasting a 1×C row or an R×1 column over the other operand.</summary>
    [Differentiable(Rule = BuiltInRule.Sub)]
    public static Matrix<TElement> operator -(Matrix<TElement> a, Matrix<TElement> b) => Ops.Sub(a, b);

    /// <summary>Element-wise negation.</summary>
    [Differentiable(Rule = BuiltInRule.Neg)]
    public static Matrix<TElement> operator -(Matrix<TElement> a) => Ops.Neg(a);

    /// <summary>The matrix product <c>a · b</c> (not element-wise: that is <see cref="Ops.Mul{T}(Matrix{T}, Matrix{T})"/>).</summary>
    [Differentiable(Rule = BuiltInRule.MatMul)]
    public static Matrix<TElement> operator *(Matrix<TElement> a, Matrix<TElement> b) => Ops.MatMul(a, b);

    /// <summary>Every element times <paramref name="s"/>.</summary>
    [Differentiable(Rule = BuiltInRule.Scale)]
    public static Matrix<TElement> operator *(Matrix<TElement> a, TElement s) => Ops.Scale(a, s);

    /// <summary>Every element times <paramref name="s"/>.</summary>
    [Differentiable(Rule = BuiltInRule.Scale)]
    public static Matrix<TElement> operator *(TElement s, Matrix<TElement> a) => Ops.Scale(a, s);

    /// <summary>Every element divided by <paramref name="s"/>.</summary>
    [Differentiable(Rule = BuiltInRule.DivideByScalar)]
    public static Matrix<TElement> operator /(Matrix<TElement> a, TElement s) => Ops.Scale(a, TElement.One / s);

    // ---------------------------------------------------------------- helpers

    private static void CheckDimensions(int rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentOutOfRangeException(rows < 0 ? nameof(rows) : nameof(cols), $"Matrix: dimensions must not be negative, got [{rows}, {cols}].");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowIndexOutOfRange(int row, int col)
        => throw new IndexOutOfRangeException($"Matrix: index [{row}, {col}] is outside a {ShapeString} matrix.");
}
