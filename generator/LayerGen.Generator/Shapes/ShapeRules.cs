using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using LayerGen.Generator.Model;

namespace LayerGen.Generator.Shapes;

/// <summary>
/// The shape rule of every op, keyed by <see cref="OpKind"/> as the adjoint rules are
/// (<c>Differentiation/AdjointRules.cs</c>): each computes the result shape from the operands' shapes and unifies
/// what the op requires to agree, reporting definite clashes.
/// </summary>
internal static class ShapeRules
{
    private delegate SymbolicShape? Rule(ShapeContext c, Instruction i);

    private static readonly Dictionary<OpKind, Rule> Table = new()
    {
        // sources
        [OpKind.Input] = static (c, i) => c.Declared(c.Body.Values[i.Result].Shape, s => s),
        [OpKind.Parameter] = static (c, i) => c.Declared(c.Body.Values[i.Result].Shape, s => s),
        [OpKind.Constant] = static (c, i) => null,

        // linear algebra: op(a) [m, k] · op(b) [k, n] = [m, n]
        [OpKind.MatMul] = MatMul,
        [OpKind.Transpose] = static (c, i) => Transposed(c.ShapeOf(i.Operands[0]), true),

        // element-wise with broadcasting of a [1, C] row or [R, 1] column (never both ways)
        [OpKind.Add] = static (c, i) => Broadcast(c, i, "adds"),
        [OpKind.Sub] = static (c, i) => Broadcast(c, i, "subtracts"),
        [OpKind.Mul] = static (c, i) => Broadcast(c, i, "multiplies element-wise"),
        [OpKind.Maximum] = static (c, i) => Broadcast(c, i, "takes the element-wise maximum of"),
        [OpKind.Minimum] = static (c, i) => Broadcast(c, i, "takes the element-wise minimum of"),
        [OpKind.Div] = static (c, i) => Broadcast(c, i, "divides element-wise"),

        // same shape as the (first) operand
        [OpKind.AddScalar] = Same,
        [OpKind.Neg] = Same,
        [OpKind.Scale] = Same,

        // reductions: scalars, or [1, C] (axis 0) / [R, 1] (axis 1)
        [OpKind.Sum] = static (c, i) => null,
        [OpKind.Mean] = static (c, i) => null,
        [OpKind.SumOfSquares] = static (c, i) => null,
        [OpKind.SumAxis] = Reduce,
        [OpKind.MeanAxis] = Reduce,
        [OpKind.Dot] = static (c, i) =>
        {
            Equal(c, i, "LG1002", "takes the dot product of");
            return null;
        },

        // shape ops
        [OpKind.Concat] = Concat,
        [OpKind.SliceRows] = static (c, i) => Slice(c, i, rows: true),
        [OpKind.SliceColumns] = static (c, i) => Slice(c, i, rows: false),

        // losses: scalars whose targets must fit the prediction
        [OpKind.SoftmaxCrossEntropy] = SoftmaxCrossEntropy,
        [OpKind.MeanSquaredError] = static (c, i) =>
        {
            Equal(c, i, "LG1005", "compares");
            return null;
        },
        [OpKind.BinaryCrossEntropyWithLogits] = static (c, i) =>
        {
            Equal(c, i, "LG1005", "compares");
            return null;
        },

        // scalar arithmetic
        [OpKind.ScalarAdd] = static (c, i) => null,
        [OpKind.ScalarSub] = static (c, i) => null,
        [OpKind.ScalarMul] = static (c, i) => null,
        [OpKind.ScalarDiv] = static (c, i) => null,
        [OpKind.ScalarNeg] = static (c, i) => null,

        // calls of other [Forward] methods
        [OpKind.ForwardCall] = ForwardCall,

        // control flow: a loop's handle has no shape; a carried variable keeps its shape through every iteration (the
        // body's own inference checks its result against the carried input, LG1010)
        // a variable a branch assigns keeps its shape through either arm (each arm's inference checks it, LG1011); one
        // the arms define has no shape here (the ops after the branch check theirs at run time)
        [OpKind.DropoutMask] = Same,
        // state: a snapshot's shape is the member's at run time; an update has no value
        [OpKind.StateRead] = static (c, i) => null,
        [OpKind.StateUpdate] = static (c, i) => null,
        [OpKind.Loop] = static (c, i) => null,
        [OpKind.Branch] = static (c, i) => null,
        [OpKind.LoopResult] = LoopResult,
    };

    private static SymbolicShape? LoopResult(ShapeContext c, Instruction i)
    {
        foreach (var owner in c.Body.Instructions)
        {
            if (owner.Result == i.Operands[0] && owner.Op is OpKind.Loop or OpKind.Branch && i.Axis < owner.ResultCount)
            {
                int before = owner.CarriedOperand(i.Axis);
                return before >= 0 ? c.ShapeOf(owner.Operands[before]) : null;
            }
        }
        return null;
    }

    /// <summary>Whether every op has a shape rule (a test holds the table to that).</summary>
    public static bool Covers(OpKind op) => Table.ContainsKey(op);

    /// <summary>Applies the rule of <paramref name="instruction"/>'s op; null for scalars (and ops without a rule).</summary>
    public static SymbolicShape? Apply(ShapeContext context, Instruction instruction) =>
        Table.TryGetValue(instruction.Op, out var rule) ? rule(context, instruction) : null;

    private static SymbolicShape? Same(ShapeContext c, Instruction i) =>
        i.Operands.Count > 0 && c.HasShape(i.Operands[0]) ? c.ShapeOf(i.Operands[0]) : null;

    private static SymbolicShape Transposed(SymbolicShape shape, bool transposed) =>
        transposed ? new SymbolicShape(shape.Cols, shape.Rows) : shape;

    private static string Operand(ShapeContext c, Instruction i, int position, bool transposed)
    {
        string name = c.OperandName(i, position);
        // The analyzer's source text already includes a folded '.T'; the fallback value name does not.
        return transposed && !name.EndsWith(".T", StringComparison.Ordinal) ? name + ".T" : name;
    }

    private static SymbolicShape? MatMul(ShapeContext c, Instruction i)
    {
        var a = Transposed(c.ShapeOf(i.Operands[0]), i.TransposeA);
        var b = Transposed(c.ShapeOf(i.Operands[1]), i.TransposeB);
        c.Agree(a.Cols, b.Rows, i.Result, () =>
        {
            // Names and shapes are rendered only for a report: the analyzer's names come from syntax lookups.
            string aName = Operand(c, i, 0, i.TransposeA), bName = Operand(c, i, 1, i.TransposeB);
            string aShape = c.Show(a), bShape = c.Show(b);
            // The hint: transposing one operand makes the inner dimensions agree.
            var properties = new Dictionary<string, string>();
            string hint = "";
            if (c.Unifier.Decide(a.Cols, b.Cols) == Agreement.Equal)
            {
                properties["Transpose"] = "1";
                hint = Hint(i.Source, aName, Toggle(bName), aName, bName) ?? $" Did you mean to transpose {bName}?";
            }
            else if (c.Unifier.Decide(a.Rows, b.Rows) == Agreement.Equal)
            {
                properties["Transpose"] = "0";
                hint = Hint(i.Source, Toggle(aName), bName, aName, bName) ?? $" Did you mean to transpose {aName}?";
            }
            c.Report("LG1001", i.Result, new[] { i.Source, aShape, bShape, aName, c.Show(a.Cols), bName, c.Show(b.Rows), hint },
                c.SitesOf(a.Cols, b.Rows), c.Unifier.SymbolsOf(a.Cols, b.Rows), properties);
        });
        return new SymbolicShape(a.Rows, b.Cols);
    }

    private static string? Hint(string source, string newA, string newB, string a, string b) =>
        source == $"{a} * {b}" ? $" Did you mean '{newA} * {newB}'?" : null;

    /// <summary>Adds or removes a trailing <c>.T</c>.</summary>
    public static string Toggle(string operand) =>
        operand.EndsWith(".T", StringComparison.Ordinal) ? operand.Substring(0, operand.Length - 2)
        : operand.All(ch => char.IsLetterOrDigit(ch) || ch is '_' or '.' or '@') ? operand + ".T" : $"({operand}).T";

    private static bool IsOne(ShapeContext c, Dim d) => c.Unifier.Resolve(d).ConstantValue == 1;

    /// <summary>Definitely not 1: a constant other than 1 or a named dimension (a dimension of size 1 is written 1).</summary>
    private static bool NotOne(ShapeContext c, Dim d)
    {
        var r = c.Unifier.Resolve(d);
        return r.ConstantValue is { } v ? v != 1 : r.Symbols.All(s => !Unifier.IsVariable(s));
    }

    private static SymbolicShape? Broadcast(ShapeContext c, Instruction i, string verb)
    {
        if (!c.HasShape(i.Operands[0]) || !c.HasShape(i.Operands[1]))
            return null;
        var a = c.ShapeOf(i.Operands[0]);
        var b = c.ShapeOf(i.Operands[1]);
        void Fail(string why, params Dim[] dims) =>
            c.Report("LG1002", i.Result, new[] { i.Source, verb, c.OperandName(i, 0), c.Show(a), c.OperandName(i, 1), c.Show(b), why },
                c.SitesOf(dims), c.Unifier.SymbolsOf(dims));

        // No outer product: an [R, 1] column against a [1, C] row would broadcast both ways.
        if ((IsOne(c, a.Cols) && IsOne(c, b.Rows) && NotOne(c, a.Rows) && NotOne(c, b.Cols))
            || (IsOne(c, a.Rows) && IsOne(c, b.Cols) && NotOne(c, a.Cols) && NotOne(c, b.Rows)))
        {
            Fail("a column vector against a row vector would broadcast both ways (an outer product); transpose one operand, or use a matrix product for an outer product",
                a.Rows, a.Cols, b.Rows, b.Cols);
            return c.Unifier.FreshShape();
        }

        Dim? Axis(Dim x, Dim y, string axis)
        {
            if (IsOne(c, x))
                return y;
            if (IsOne(c, y))
                return x;
            var rx = c.Unifier.Resolve(x);
            var ry = c.Unifier.Resolve(y);
            switch (c.Unifier.Decide(x, y))
            {
                case Agreement.Equal:
                    return x;
                case Agreement.Different:
                    c.Agree(x, y, i.Result, () => Fail($"{axis} {c.Show(x)} ≠ {c.Show(y)} (each dimension must be equal or 1)", x, y));
                    return null;
                default:
                    // One side unknown: it may be 1 (broadcast) or equal; either way the result has the other side's size.
                    if (rx.SingleSymbol is { } vx && Unifier.IsVariable(vx))
                        return NotOne(c, y) ? y : null;
                    if (ry.SingleSymbol is { } vy && Unifier.IsVariable(vy))
                        return NotOne(c, x) ? x : null;
                    return null;
            }
        }
        var rows = Axis(a.Rows, b.Rows, "rows");
        var cols = Axis(a.Cols, b.Cols, "columns");
        return new SymbolicShape(rows ?? c.Unifier.Fresh(), cols ?? c.Unifier.Fresh());
    }

    /// <summary>Both operands must have exactly the same shape (no broadcasting).</summary>
    private static void Equal(ShapeContext c, Instruction i, string id, string verb)
    {
        if (!c.HasShape(i.Operands[0]) || !c.HasShape(i.Operands[1]))
            return;
        var a = c.ShapeOf(i.Operands[0]);
        var b = c.ShapeOf(i.Operands[1]);
        bool reported = false;
        foreach (var (x, y, axis) in new[] { (a.Rows, b.Rows, "rows"), (a.Cols, b.Cols, "columns") })
        {
            if (reported)
                break;
            c.Agree(x, y, i.Result, () =>
            {
                reported = true;
                string aName = c.OperandName(i, 0), bName = c.OperandName(i, 1);
                string aShape = c.Show(a), bShape = c.Show(b);
                string why = $"{axis} {c.Show(x)} ≠ {c.Show(y)} (the shapes must be equal)";
                c.Report(id, i.Result, id == "LG1002"
                    ? new[] { i.Source, verb, aName, aShape, bName, bShape, why }
                    : new[] { i.Source, $"{aName} is {aShape} but {bName} is {bShape}: {why}" },
                    c.SitesOf(x, y), c.Unifier.SymbolsOf(x, y));
            });
        }
    }

    private static SymbolicShape? Reduce(ShapeContext c, Instruction i)
    {
        var a = c.ShapeOf(i.Operands[0]);
        return i.Axis == 0 ? new SymbolicShape(Dim.One, a.Cols) : new SymbolicShape(a.Rows, Dim.One);
    }

    private static SymbolicShape? Concat(ShapeContext c, Instruction i)
    {
        var a = c.ShapeOf(i.Operands[0]);
        var b = c.ShapeOf(i.Operands[1]);
        bool byRows = i.Axis == 0;
        var (x, y) = byRows ? (a.Cols, b.Cols) : (a.Rows, b.Rows);
        c.Agree(x, y, i.Result, () =>
        {
            string aName = c.OperandName(i, 0), bName = c.OperandName(i, 1);
            string aShape = c.Show(a), bShape = c.Show(b);
            string along = byRows ? "stacks the rows of" : "joins the columns of";
            string keep = byRows ? "columns" : "rows";
            c.Report("LG1008", i.Result, new[] { i.Source, along, aName, aShape, bName, bShape, $"{keep} {c.Show(x)} ≠ {c.Show(y)}" },
                c.SitesOf(x, y), c.Unifier.SymbolsOf(x, y));
        });
        return byRows ? new SymbolicShape(a.Rows + b.Rows, a.Cols) : new SymbolicShape(a.Rows, a.Cols + b.Cols);
    }

    /// <summary>A reference to a member or a qualified name in a constant's re-rendered text (<c>this.Hidden</c>, <c>x.Cols</c>).</summary>
    private static readonly Regex NameInText = new(@"(?:global::)?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", RegexOptions.CultureInvariant);

    /// <summary>
    /// The size an <c>int</c> operand denotes: an integer literal, a layer member that holds a dimension
    /// (<c>[Shape("H")] public int Hidden;</c>, see <see cref="SizeMember"/>), or an expression of those with
    /// <c>+ - *</c> and parentheses (<c>2 * Hidden + 1</c>). Null when anything else is involved (a local, an
    /// unannotated member, a division, a call): cannot decide, never a guess.
    /// </summary>
    internal static Dim? SizeOf(ShapeContext c, int value)
    {
        if (!c.TryGetDefinition(value, out var instruction) || instruction is not { Op: OpKind.Constant, Text: { } text })
            return null;
        var sizes = c.Method.Layer.SizeMembers;
        bool unknown = false;
        string replaced = NameInText.Replace(text, m =>
        {
            if (m.Value.StartsWith("this.", StringComparison.Ordinal))
            {
                string member = m.Value.Substring("this.".Length);
                foreach (var size in sizes)
                {
                    if (size.Name == member)
                        return "(" + size.Dimension + ")";
                }
            }
            unknown = true;
            return m.Value;
        });
        return unknown ? null : Dim.Parse(replaced);
    }

    private static SymbolicShape? Slice(ShapeContext c, Instruction i, bool rows)
    {
        var a = c.ShapeOf(i.Operands[0]);
        var start = i.Operands.Count > 1 ? SizeOf(c, i.Operands[1]) : null;
        var count = i.Operands.Count > 2 ? SizeOf(c, i.Operands[2]) : null;
        var extent = rows ? a.Rows : a.Cols;
        if (start is { } s && count is { } n)
        {
            // Negative when start or count is negative whatever the sizes are; past the end when start + count − extent
            // is positive whatever they are (H + 1 columns of an [N, H] matrix); otherwise undecidable.
            Dim end, excess;
            try
            {
                end = s + n;
                excess = c.Unifier.Resolve(end - extent);
            }
            catch (OverflowException)
            {
                end = excess = Dim.Zero; // absurd sizes: undecidable, never a crash
            }
            if (s.DefiniteSign < 0 || n.DefiniteSign < 0 || excess.DefiniteSign > 0)
            {
                string what = rows ? "rows" : "columns";
                c.Report("LG1009", i.Result, new[] { i.Source, what, c.Show(s), c.Show(end), c.OperandName(i, 0), c.Show(a), c.Show(extent) },
                    c.SitesOf(extent), c.Unifier.SymbolsOf(extent, s, n));
            }
        }
        var size = count ?? c.Unifier.Fresh();
        return rows ? new SymbolicShape(size, a.Cols) : new SymbolicShape(a.Rows, size);
    }

    private static SymbolicShape? SoftmaxCrossEntropy(ShapeContext c, Instruction i)
    {
        if (i.Operands.Count < 2 || !c.HasShape(i.Operands[1]))
            return null; // labels without [Shape("N")]: their length is only known at run time
        var logits = c.ShapeOf(i.Operands[0]);
        var labels = c.ShapeOf(i.Operands[1]);
        c.Agree(labels.Rows, logits.Rows, i.Result, () =>
            c.Report("LG1005", i.Result, new[] { i.Source,
                $"{c.OperandName(i, 1)} has {c.Show(labels.Rows)} labels but {c.OperandName(i, 0)} {c.Show(logits)} has {c.Show(logits.Rows)} rows (one label per row)" },
                c.SitesOf(labels.Rows, logits.Rows), c.Unifier.SymbolsOf(labels.Rows, logits.Rows)));
        return null;
    }

    private static SymbolicShape? ForwardCall(ShapeContext c, Instruction i)
    {
        var call = i.Call;
        if (call is null)
            return null;
        int index = c.NextCall();
        var layerSymbols = new HashSet<string>(call.LayerSymbols, StringComparer.Ordinal);
        // Layer-scoped symbols: the sublayer's own (qualified by the member, shared by its calls) or, for a call of this
        // layer's own method, this layer's. Call-scoped symbols: fresh for this call.
        string Rename(string symbol) => layerSymbols.Contains(symbol)
            ? call.Kind switch
            {
                CalleeKind.Sublayer => call.Receiver + "." + symbol,
                CalleeKind.Self => symbol,
                _ => symbol + "@" + index.ToString(CultureInfo.InvariantCulture),
            }
            : symbol + "@" + index.ToString(CultureInfo.InvariantCulture);

        string callee = (call.Kind == CalleeKind.Sublayer ? call.Receiver + "." : call.Kind == CalleeKind.SublayerElement ? call.Receiver + "[…]." : "") + call.MethodName;
        for (int p = 0; p < call.Parameters.Count && p < i.Operands.Count; p++)
        {
            var parameter = call.Parameters[p];
            if (c.Declared(parameter.Shape, Rename) is not { } expected || !c.HasShape(i.Operands[p]))
                continue;
            var actual = c.ShapeOf(i.Operands[p]);
            bool reported = false;
            foreach (var (x, y, axis) in new[] { (actual.Rows, expected.Rows, "rows"), (actual.Cols, expected.Cols, "columns") })
            {
                if (reported)
                    break;
                c.Agree(x, y, i.Result, () =>
                {
                    reported = true;
                    c.Report("LG1004", i.Result, new[] { i.Source, c.OperandName(i, p), c.Show(actual), parameter.Name, callee, c.Show(expected),
                        $"{axis} {c.Show(x)} ≠ {c.Show(y)}" },
                        c.SitesOf(x, y), c.Unifier.SymbolsOf(x, y));
                });
            }
        }
        // A declared [return: Shape] wins; otherwise what inference found in the callee's body (in the callee's symbols,
        // instantiated for this call like a declared shape), with its undetermined dimensions unknown.
        if (call.ReturnsScalar || c.Declared(call.Registered?.ReturnShape ?? c.Body.Values[i.Result].Shape ?? call.InferredReturnShape, Rename) is not { } result)
            return null;
        // In the caller's terms where the arguments bound the callee's symbols: Relu of an [N, 128] is [N, 128], not [R@1, C@1].
        return c.Unifier.Resolve(result);
    }
}
