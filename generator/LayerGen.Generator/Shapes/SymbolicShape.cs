using System;
using System.Collections.Generic;

namespace LayerGen.Generator.Shapes;

/// <summary>The inferred shape of a matrix value: two symbolic dimensions.</summary>
/// <param name="Rows">The number of rows.</param>
/// <param name="Cols">The number of columns.</param>
internal sealed record SymbolicShape(Dim Rows, Dim Cols)
{
    /// <summary>The shape with both dimensions mapped.</summary>
    public SymbolicShape Map(Func<Dim, Dim> map) => new(map(Rows), map(Cols));

    /// <summary>Rendered as in messages: <c>[N, D]</c>.</summary>
    public string Render(Func<string, string> name) => $"[{Rows.Render(name)}, {Cols.Render(name)}]";

    /// <inheritdoc/>
    public override string ToString() => $"[{Rows}, {Cols}]";
}

/// <summary>
/// A definite shape error (or a suggestion, LG1100) found by <see cref="ShapeInference"/>, as data: the analyzer turns it
/// into a diagnostic at the span of <see cref="Value"/>.
/// </summary>
/// <param name="Id">The diagnostic id (<c>LG1001</c>).</param>
/// <param name="Value">The value whose definition (or declaration) is the primary location; −1 for the method itself.</param>
/// <param name="Arguments">The message arguments, in order.</param>
/// <param name="Sites">Values whose definitions bound a symbol involved (additional locations).</param>
/// <param name="Symbols">The user's symbols involved; the analyzer adds the <c>[Shape]</c> attributes that declare them as additional locations.</param>
/// <param name="Properties">Facts for code fixes (<c>Transpose</c> → operand index, <c>Shape</c> → attribute arguments).</param>
internal sealed record ShapeProblem(
    string Id,
    int Value,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<int> Sites,
    IReadOnlyList<string> Symbols,
    IReadOnlyDictionary<string, string> Properties);

/// <summary>What <see cref="ShapeInference.Infer"/> returns.</summary>
/// <param name="Shapes">The inferred shape of every matrix value (by id), fully resolved; null for scalars and others.</param>
/// <param name="Problems">Definite errors and LG1100 suggestions, in instruction order.</param>
internal sealed record ShapeResult(IReadOnlyList<SymbolicShape?> Shapes, IReadOnlyList<ShapeProblem> Problems)
{
    /// <summary>
    /// The "definitely equal" query, the one a planner should use (to share a buffer, skip a broadcast, size a tape
    /// entry): whether values <paramref name="a"/> and <paramref name="b"/> have the same shape whenever the forward runs
    /// (every op that joined their dimensions checks them at run time, and the declared <c>[Shape]</c>s hold). False means
    /// "not proven" (unknown, or definitely different), never a guess; an id without a matrix shape is never equal.
    /// </summary>
    public bool DefinitelySameShape(int a, int b) =>
        ShapeOf(a) is { } x && ShapeOf(b) is { } y && Dim.DefinitelyEqual(x.Rows, y.Rows) && Dim.DefinitelyEqual(x.Cols, y.Cols);

    /// <summary>
    /// Whether the two values' shapes differ whenever the forward runs (a dimension of one is definitely different from
    /// the other's, see <see cref="Dim.DefinitelyDifferent"/>); false means "not proven".
    /// </summary>
    public bool DefinitelyDifferentShape(int a, int b) =>
        ShapeOf(a) is { } x && ShapeOf(b) is { } y && (Dim.DefinitelyDifferent(x.Rows, y.Rows) || Dim.DefinitelyDifferent(x.Cols, y.Cols));

    /// <summary>The inferred shape of value <paramref name="id"/>, or null (out of range, scalar, other).</summary>
    public SymbolicShape? ShapeOf(int id) => id >= 0 && id < Shapes.Count ? Shapes[id] : null;
}
