using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using LayerGen.Generator.Model;

namespace LayerGen.Generator.Shapes;

/// <summary>
/// Infers the symbolic shape of every value of a forward body and finds definite shape errors. A pure function of the
/// equatable model (no Roslyn object), shared by <see cref="ShapeAnalyzer"/> and the runtime asserts, so what the IDE
/// reports and what the generated code checks come from the same declarations.
/// </summary>
/// <remarks>
/// One pass in instruction order: each op's rule (<see cref="ShapeRules"/>, keyed by <see cref="OpKind"/> like the
/// adjoint rules) computes its result shape from its operands' and unifies what must agree. Cost: linear in the number
/// of instructions (each unification works on dimensions with a handful of terms).
/// </remarks>
internal static class ShapeInference
{
    /// <summary>Infers shapes for one method.</summary>
    /// <param name="method">The parsed method (its body must be non-null to find anything).</param>
    /// <param name="operandText">How to name an instruction's operand in messages (the analyzer passes the source text); by default the value's name.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static ShapeResult Infer(ForwardMethodModel method, Func<Instruction, int, string?>? operandText = null,
        CancellationToken cancellationToken = default)
    {
        if (method.Body is not { } body)
            return new ShapeResult(Array.Empty<SymbolicShape?>(), Array.Empty<ShapeProblem>());
        var context = new ShapeContext(method, body, operandText);
        foreach (var instruction in body.Instructions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (instruction.Result < 0 || instruction.Result >= body.Values.Count)
                continue;
            var value = body.Values[instruction.Result];
            int problemsBefore = context.Problems.Count;
            var shape = value.Kind == ValueKind.Other
                // Labels declared [Shape("N")] are an [N, 1] column of indices (see MethodParameter.Shape).
                ? instruction.Op == OpKind.Input ? context.Declared(value.Shape, s => s) : null
                : ShapeRules.Apply(context, instruction);
            // After an error the result's shape is unknown, so one mistake is reported once, not again downstream.
            if (value.Kind == ValueKind.Matrix && (shape is null || context.Problems.Count != problemsBefore))
                shape = context.Unifier.FreshShape();
            context.Shapes[instruction.Result] = shape;
        }
        context.CheckReturn();
        context.SuggestDeclarations();
        var resolved = context.Shapes.Select(s => s is null ? null : context.Unifier.Resolve(s)).ToArray();
        return new ShapeResult(resolved, context.Problems);
    }
}

/// <summary>The state of one inference run: shapes so far, the substitution, the problems found.</summary>
internal sealed class ShapeContext
{
    private readonly Func<Instruction, int, string?>? _operandText;
    private readonly Dictionary<int, Instruction> _definitions = new();
    private int _calls;

    public ShapeContext(ForwardMethodModel method, ForwardBody body, Func<Instruction, int, string?>? operandText)
    {
        Method = method;
        Body = body;
        _operandText = operandText;
        Shapes = new SymbolicShape?[body.Values.Count];
        foreach (var instruction in body.Instructions)
            _definitions[instruction.Result] = instruction;
    }

    public ForwardMethodModel Method { get; }

    public ForwardBody Body { get; }

    public Unifier Unifier { get; } = new();

    public SymbolicShape?[] Shapes { get; }

    public List<ShapeProblem> Problems { get; } = new();

    /// <summary>The shape of value <paramref name="id"/> (a fresh unknown when it has none yet).</summary>
    public SymbolicShape ShapeOf(int id) => id >= 0 && id < Shapes.Length && Shapes[id] is { } s ? s : (Shapes[id] = Unifier.FreshShape());

    /// <summary>Whether value <paramref name="id"/> has a shape (is a matrix or declared labels).</summary>
    public bool HasShape(int id) => id >= 0 && id < Shapes.Length && Shapes[id] is not null;

    /// <summary>A declared shape with its symbols renamed; a dimension that does not parse (LG1007) is unknown.</summary>
    public SymbolicShape? Declared(Shape? shape, Func<string, string> rename)
    {
        if (shape is null)
            return null;
        Dim Parse(string text) => Dim.Parse(text) is { } d ? d.Substitute(s => Dim.Symbol(rename(s))) : Unifier.Fresh();
        return new SymbolicShape(Parse(shape.Rows), Parse(shape.Cols));
    }

    /// <summary>The instruction that defines value <paramref name="id"/>.</summary>
    public bool TryGetDefinition(int id, out Instruction instruction) => _definitions.TryGetValue(id, out instruction!);

    /// <summary>A fresh call index, for instantiating a callee's call-scoped symbols.</summary>
    public int NextCall() => ++_calls;

    /// <summary>How an operand is named in messages.</summary>
    public string OperandName(Instruction instruction, int position)
    {
        if (_operandText?.Invoke(instruction, position) is { Length: > 0 } text)
            return text;
        int id = instruction.Operands[position];
        return NameOf(id);
    }

    /// <summary>The name of a value: the parameter or member for sources, the source text of its expression, or its local name.</summary>
    public string NameOf(int id)
    {
        if (_definitions.TryGetValue(id, out var definition))
        {
            if (definition.Op is OpKind.Input or OpKind.Parameter && definition.Text is { } text)
                return text;
            if (definition.Op == OpKind.Constant && definition.Source.Length > 0)
                return definition.Source;
        }
        return Body.Values[id].Name;
    }

    /// <summary>The shape as shown in messages: the user's names kept, variables resolved.</summary>
    public string Show(SymbolicShape shape) => shape.Map(Unifier.ResolveVariables).Render(Unifier.Display);

    /// <summary>A dimension as shown in messages.</summary>
    public string Show(Dim dim) => Unifier.ResolveVariables(dim).Render(Unifier.Display);

    /// <summary>Unifies two dimensions; on a definite clash reports LG1006 when a symbol was fixed to another size earlier, else <paramref name="report"/>.</summary>
    /// <returns>Whether no error was reported.</returns>
    public bool Agree(Dim a, Dim b, int site, Action report)
    {
        if (Unifier.Unify(a, b, site) != Agreement.Different)
            return true;
        // A definite clash binds nothing, so the substitution still shows which earlier operation fixed a size.
        if (Unifier.Rebinding(a, b) is { } r)
        {
            string source = _definitions.TryGetValue(site, out var i) ? i.Source : NameOf(site);
            int first = Unifier.SiteOf(r.Symbol);
            string firstSource = _definitions.TryGetValue(first, out var f) ? f.Source : NameOf(first);
            Report("LG1006", site, new[] { Unifier.Display(r.Symbol), r.Bound.ToString(CultureInfo.InvariantCulture), firstSource,
                r.Other.ToString(CultureInfo.InvariantCulture), source }, new[] { first }, new[] { r.Symbol });
        }
        else
        {
            report();
        }
        return false;
    }

    /// <summary>Adds a problem.</summary>
    public void Report(string id, int value, IReadOnlyList<string> arguments, IEnumerable<int>? sites = null,
        IEnumerable<string>? symbols = null, IReadOnlyDictionary<string, string>? properties = null)
    {
        var siteList = (sites ?? Array.Empty<int>()).Where(s => s >= 0 && s != value).Distinct().ToList();
        Problems.Add(new ShapeProblem(id, value, arguments, siteList,
            (symbols ?? Array.Empty<string>()).Distinct().ToList(),
            properties ?? new Dictionary<string, string>()));
    }

    /// <summary>Sites that bound any variable or symbol mentioned by <paramref name="dims"/>.</summary>
    public IEnumerable<int> SitesOf(params Dim[] dims) =>
        dims.SelectMany(d => d.Symbols.Concat(Unifier.ResolveVariables(d).Symbols)).Select(Unifier.SiteOf).Where(s => s >= 0);

    /// <summary>LG1003: the inferred result against <c>[return: Shape]</c>.</summary>
    public void CheckReturn()
    {
        if (Method.IsRegion)
        {
            CheckCarried();
            return;
        }
        if (Method.ReturnKind != ValueKind.Matrix || Method.ReturnShape is null || !HasShape(Body.Result))
            return;
        var declared = Declared(Method.ReturnShape, s => s)!;
        var actual = ShapeOf(Body.Result);
        string? clash = null;
        var a = Unifier.Resolve(actual);
        var d = Unifier.Resolve(declared);
        Agree(actual.Rows, declared.Rows, Body.Result, () => clash = $"rows {Show(a.Rows)} ≠ {Show(d.Rows)}");
        if (clash is null)
            Agree(actual.Cols, declared.Cols, Body.Result, () => clash = $"columns {Show(a.Cols)} ≠ {Show(d.Cols)}");
        if (clash is not null)
        {
            Report("LG1003", Body.Result, new[] { Method.Name, Show(actual), Show(declared), clash },
                SitesOf(actual.Rows, actual.Cols), Unifier.SymbolsOf(actual.Rows, actual.Cols, declared.Rows, declared.Cols));
        }
    }

    /// <summary>LG1010: a loop-carried matrix must have the same shape after an iteration as before it; LG1011: a matrix a branch arm assigns, after the arm as before the branch.</summary>
    private void CheckCarried()
    {
        var results = Body.AllResults;
        for (int k = 0; k < Method.Carried.Count && k < results.Count; k++)
        {
            if (Method.Carried[k] < 0)
                continue; // defined by a branch arm: no value before it
            var parameter = Method.Parameters[Method.Carried[k]];
            int input = -1;
            foreach (var instruction in Body.Instructions)
            {
                if (instruction.Op == OpKind.Input && instruction.Text == parameter.Name)
                    input = instruction.Result;
            }
            int result = results[k];
            if (input < 0 || parameter.Kind != ValueKind.Matrix || !HasShape(input) || !HasShape(result) || result == input)
                continue;
            var before = ShapeOf(input);
            var after = ShapeOf(result);
            string? clash = null;
            var a = Unifier.Resolve(after);
            var b = Unifier.Resolve(before);
            Agree(after.Rows, before.Rows, result, () => clash = $"rows {Show(a.Rows)} ≠ {Show(b.Rows)}");
            if (clash is null)
                Agree(after.Cols, before.Cols, result, () => clash = $"columns {Show(a.Cols)} ≠ {Show(b.Cols)}");
            if (clash is not null)
            {
                if (Method.ArmOf is { } arm)
                    Report("LG1011", result, new[] { parameter.Name, Show(before), arm.Header, Show(after), arm.Arm, clash },
                        SitesOf(after.Rows, after.Cols), Unifier.SymbolsOf(after.Rows, after.Cols, before.Rows, before.Cols));
                else
                    Report("LG1010", result, new[] { parameter.Name, Show(before), Show(after), clash },
                        SitesOf(after.Rows, after.Cols), Unifier.SymbolsOf(after.Rows, after.Cols, before.Rows, before.Cols));
            }
        }
    }

    /// <summary>
    /// LG1100 (hidden): an unannotated matrix parameter or return value whose shape inference determined; the
    /// <c>Shape</c> property carries the attribute arguments for the code fix. A dimension nothing constrains gets a
    /// fresh name (the batch <c>N</c> first), which adds no constraint.
    /// </summary>
    public void SuggestDeclarations()
    {
        if (Problems.Any(p => p.Id != "LG1100"))
            return; // a layer with shape errors gets no suggestions built on them
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var shape in Shapes.Where(s => s is not null))
        {
            foreach (var symbol in Unifier.Resolve(shape!).Rows.Symbols.Concat(Unifier.Resolve(shape!).Cols.Symbols))
                used.Add(symbol);
        }
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        string NameFor(string variable)
        {
            if (names.TryGetValue(variable, out var name))
                return name;
            foreach (var candidate in new[] { "N", "M", "K", "L", "P", "Q" })
            {
                if (used.Add(candidate))
                    return names[variable] = candidate;
            }
            return names[variable] = "";
        }
        string? Arguments(SymbolicShape shape)
        {
            var resolved = Unifier.Resolve(shape);
            var parts = new List<string>();
            foreach (var dim in new[] { resolved.Rows, resolved.Cols })
            {
                // Only rigid names, constants or an entirely unconstrained dimension can be written down.
                if (dim.SingleSymbol is { } v && Unifier.IsVariable(v))
                {
                    if (!v.StartsWith("?", StringComparison.Ordinal) || NameFor(v) is not { Length: > 0 } fresh)
                        return null;
                    parts.Add($"\"{fresh}\"");
                }
                else if (dim.Symbols.Any(Unifier.IsVariable))
                {
                    return null;
                }
                else if (dim.ConstantValue is { } c)
                {
                    parts.Add(c.ToString(CultureInfo.InvariantCulture));
                }
                else
                {
                    parts.Add($"\"{dim.Render(s => s).Replace(" ", "")}\"");
                }
            }
            // A shape with nothing determined says nothing worth declaring.
            return parts.All(p => p.StartsWith("\"", StringComparison.Ordinal) && names.ContainsValue(p.Trim('"'))) ? null : string.Join(", ", parts);
        }

        foreach (var instruction in Body.Instructions)
        {
            if (instruction.Op != OpKind.Input || Body.Values[instruction.Result] is not { Kind: ValueKind.Matrix, Shape: null })
                continue;
            if (Arguments(ShapeOf(instruction.Result)) is { } arguments)
            {
                Report("LG1100", instruction.Result, new[] { instruction.Text ?? "", arguments }, properties: new Dictionary<string, string>
                {
                    ["Shape"] = arguments,
                    ["Target"] = "parameter",
                    ["Name"] = instruction.Text ?? "",
                });
            }
        }
        if (Method.ReturnKind == ValueKind.Matrix && Method.ReturnShape is null && HasShape(Body.Result)
            && Arguments(ShapeOf(Body.Result)) is { } returned)
        {
            Report("LG1100", -1, new[] { "return value of " + Method.Name, returned }, properties: new Dictionary<string, string>
            {
                ["Shape"] = returned,
                ["Target"] = "return",
                ["Name"] = Method.Name,
            });
        }
    }
}
