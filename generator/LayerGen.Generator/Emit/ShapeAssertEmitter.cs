using System;
using System.Collections.Generic;
using System.Linq;
using LayerGen.Generator.Model;
using LayerGen.Generator.Shapes;
using Microsoft.CodeAnalysis.CSharp;

namespace LayerGen.Generator.Emit;

/// <summary>
/// Writes the shape checks at the top of a generated training forward: the actual sizes of the inputs and of the
/// parameters the method reads must agree with their <c>[Shape]</c> declarations, so a layer fails fast with a
/// <c>ShapeMismatchException</c> that names the symbol, both operands and their sizes, never deep inside a kernel.
/// </summary>
/// <remarks>
/// Written shape (for <c>x [N, D]</c>, <c>W [D, C]</c>, <c>B [1, C]</c>):
/// <code>
/// // Shapes on entry: x [N, D], W [D, C], B [1, C]
/// int shapeD = x.Cols;
/// if (this.W.Rows != shapeD) throw new ShapeMismatchException("Dense.Forward",
///     $"symbol D: x is [{x.Rows}, {x.Cols}] (D = {shapeD}) but W is [{this.W.Rows}, {this.W.Cols}] (D = {this.W.Rows})");
/// if (this.B.Rows != 1) throw …;
/// </code>
/// A symbol that occurs once constrains nothing and gets no local; a dimension expression (<c>2*H</c>) is checked once
/// its symbols are known. Costs a few integer compares per call; the messages are built only when throwing.
/// </remarks>
internal static class ShapeAssertEmitter
{
    private sealed record Operand(string Name, string Access, string RowsAccess, string? ColsAccess, Shape Shape, bool IsLabels, bool IsSize = false);

    /// <summary>Writes the checks (nothing when no two declarations share a symbol and no size is fixed).</summary>
    public static void Emit(SourceWriter w, ForwardMethodModel method, ForwardBody body)
    {
        var operands = new List<Operand>();
        foreach (var instruction in body.Instructions)
        {
            var value = body.Values[instruction.Result];
            if (value.Shape is not { } shape || instruction.Text is not { } name)
                continue;
            if (instruction.Op == OpKind.Input && value.Kind == ValueKind.Matrix)
                operands.Add(new Operand(name, Escape(name), $"{Escape(name)}.Rows", $"{Escape(name)}.Cols", shape, false));
            else if (instruction.Op == OpKind.Input && value.Kind == ValueKind.Other)
                operands.Add(new Operand(name, Escape(name), $"{Escape(name)}.Length", null, shape, true));
            else if (instruction.Op == OpKind.Parameter && !method.IsStatic)
                operands.Add(new Operand(name, "this." + Escape(name), $"this.{Escape(name)}.Rows", $"this.{Escape(name)}.Cols", shape, false));
        }
        // An int member that holds a dimension ([Shape("H")] int Hidden) and that the body reads: shape inference took
        // its value to be H, so the training forward checks that it is.
        if (!method.IsStatic)
        {
            foreach (var size in method.Layer.SizeMembers)
            {
                string access = "this." + size.Name;
                bool read = body.Instructions.Any(i => i is { Op: OpKind.Constant, Text: { } text }
                    && System.Text.RegularExpressions.Regex.IsMatch(text, @"(?<![A-Za-z0-9_.])this\." + size.Name + @"(?![A-Za-z0-9_])"));
                if (read)
                    operands.Add(new Operand(size.Name, "this." + Escape(size.Name), "this." + Escape(size.Name), null, new Shape(size.Dimension, "1"), true, IsSize: true));
            }
        }

        // Each dimension: (operand, rows?, parsed dimension). A declaration with an unparsable dimension is LG1007 and
        // not checked at all; the others are re-rendered from their normal form, so no user text reaches the output.
        var dims = new List<(Operand Operand, bool IsRows, Dim Dim)>();
        var valid = new List<Operand>();
        foreach (var operand in operands)
        {
            if (Dim.Parse(operand.Shape.Rows) is not { } rows)
                continue;
            Dim? cols = operand.IsLabels ? Dim.One : Dim.Parse(operand.Shape.Cols);
            if (cols is null)
                continue;
            var normal = operand with { Shape = new Shape(rows.ToString(), cols.ToString()) };
            valid.Add(normal);
            dims.Add((normal, true, rows));
            if (!operand.IsLabels)
                dims.Add((normal, false, cols));
        }
        operands = valid;
        var occurrences = dims.SelectMany(d => d.Dim.Symbols).GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        bool anything = dims.Any(d => d.Dim.ConstantValue is not null || d.Dim.SingleSymbol is null || occurrences[d.Dim.SingleSymbol] > 1);
        if (!anything)
            return;

        string prefix = LocalPrefix(method, body);
        string operation = $"{method.Layer.Declarations[method.Layer.Declarations.Count - 1].Name}.{method.Name}";
        string Throw(string message) => $"throw new global::LayerGen.ShapeMismatchException(\"{operation}\", $\"{message}\");";
        string Shown(Operand o) => o.IsSize ? $"{{{o.RowsAccess}}}" : o.IsLabels ? $"{{{o.RowsAccess}}} labels" : $"[{{{o.RowsAccess}}}, {{{o.ColsAccess}}}]";
        string Is(Operand o) => o.IsLabels && !o.IsSize ? $"{o.Name} has {Shown(o)}" : $"{o.Name} is {Shown(o)}";
        string Access((Operand Operand, bool IsRows, Dim Dim) d) => d.IsRows ? d.Operand.RowsAccess : d.Operand.ColsAccess!;
        string Declared(Operand o) => o.IsLabels ? $"[Shape(\\\"{o.Shape.Rows}\\\")]" : $"[{o.Shape.Rows}, {o.Shape.Cols}]";
        string Axis((Operand Operand, bool IsRows, Dim Dim) d) => d.Operand.IsSize ? "value" : d.IsRows ? (d.Operand.IsLabels ? "count" : "rows") : "columns";

        w.Line($"// Shapes on entry: {string.Join(", ", operands.Select(o => o.IsSize ? $"{o.Name} = {o.Shape.Rows}" : o.IsLabels ? $"{o.Name} [{o.Shape.Rows}]" : $"{o.Name} [{o.Shape.Rows}, {o.Shape.Cols}]"))}");
        foreach (var operand in operands.Where(o => !o.Access.StartsWith("this.", StringComparison.Ordinal)).Select(o => o.Access).Distinct())
            w.Line($"global::System.ArgumentNullException.ThrowIfNull({operand});");

        // Pass 1: the first occurrence of a single symbol binds it; later ones, and constants, are checked against it.
        var bound = new Dictionary<string, (Operand Operand, bool IsRows, Dim Dim)>(StringComparer.Ordinal);
        var deferred = new List<(Operand Operand, bool IsRows, Dim Dim)>();
        foreach (var d in dims)
        {
            string axis = Axis(d);
            if (d.Dim.ConstantValue is { } size)
            {
                w.Line($"if ({Access(d)} != {size}) {Throw($"{Is(d.Operand)} but is declared {Declared(d.Operand)}: its {axis} must be {size}")}");
            }
            else if (d.Dim.SingleSymbol is { } symbol)
            {
                if (occurrences[symbol] < 2)
                    continue;
                if (!bound.TryGetValue(symbol, out var first))
                {
                    bound[symbol] = d;
                    w.Line($"int {prefix}{symbol} = {Access(d)};");
                }
                else
                {
                    w.Line($"if ({Access(d)} != {prefix}{symbol}) {Throw($"symbol {symbol}: {Is(first.Operand)} ({symbol} = {{{prefix}{symbol}}}) but {Is(d.Operand)} ({symbol} = {{{Access(d)}}})")}");
                }
            }
            else
            {
                deferred.Add(d);
            }
        }

        // Pass 2: expressions (2*H, H+1) whose symbols are all known by now; the others cannot be checked.
        foreach (var d in deferred)
        {
            if (!d.Dim.Symbols.All(bound.ContainsKey))
                continue;
            string axis = Axis(d);
            string expression = "(" + d.Dim.Render(s => prefix + s) + ")";
            string known = string.Join(", ", d.Dim.Symbols.Select(s => $"{s} = {{{prefix}{s}}} from {bound[s].Operand.Name}"));
            w.Line($"if ({Access(d)} != {expression}) {Throw($"{Is(d.Operand)} but is declared {Declared(d.Operand)} with {known}: its {axis} must be {d.Dim} = {{{expression}}}")}");
        }
    }

    private static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>A prefix for the symbol locals that no user or generated name in the method starts with.</summary>
    private static string LocalPrefix(ForwardMethodModel method, ForwardBody body)
    {
        var taken = body.Values.Select(v => v.Name).Concat(method.Parameters.Select(p => p.Name)).Concat(body.ReservedNames).ToList();
        string prefix = "shape";
        while (taken.Any(n => n.StartsWith(prefix, StringComparison.Ordinal)))
            prefix += "_";
        return prefix;
    }
}
