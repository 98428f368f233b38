using System;
using System.Collections.Generic;
using System.Linq;

namespace LayerGen.Generator.Shapes;

/// <summary>The outcome of comparing two dimensions.</summary>
internal enum Agreement
{
    /// <summary>Provably equal (possibly after binding a variable).</summary>
    Equal,

    /// <summary>Provably different.</summary>
    Different,

    /// <summary>Cannot be decided: the analyzer says nothing.</summary>
    Unknown,
}

/// <summary>
/// A substitution over dimension symbols, grown by unification.
/// </summary>
/// <remarks>
/// Two kinds of symbols:
/// <list type="bullet">
/// <item><b>Rigid</b>: the user's own names in the analysed layer and method (<c>N</c>, <c>D</c>). Two different rigid
/// names are different dimensions (that is what naming them differently declares); a rigid name may be bound to a
/// constant size (<c>[Shape("N", "D")] x</c> times <c>[Shape(784, "H")] W</c> fixes D = 784), and binding it to a
/// second size is LG1006.</item>
/// <item><b>Variables</b>: unknown shapes of unannotated values (<c>?3</c>), a sublayer's layer-scoped symbols
/// qualified by the member (<c>Hidden.D</c>: shared by every call of that sublayer) and a callee's call-scoped symbols
/// instantiated per call (<c>N@2</c>). A variable is bound to whatever it meets.</item>
/// </list>
/// Equality is decided on normal forms: a zero difference is equal; a difference that has one sign for every assignment
/// of the symbols to sizes ≥ 1 is different (a non-zero constant, <c>H</c> against <c>2*H</c>, <c>H+1</c> against
/// <c>H+2</c>: see <see cref="Dim.DefiniteSign"/>); two distinct rigid names are different, a rigid name is not 1;
/// anything else (<c>D</c> against <c>2*H</c>, <c>2*H</c> against <c>H+W</c>) is unknown and never reported.
/// </remarks>
internal sealed class Unifier
{
    private readonly Dictionary<string, Dim> _bindings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _sites = new(StringComparer.Ordinal);
    private readonly Func<string, Dim?> _lookupAll;
    private readonly Func<string, Dim?> _lookupVariables;
    private int _fresh;

    /// <summary>An empty substitution.</summary>
    public Unifier()
    {
        // Cached delegates: resolution runs for every operand of every op.
        _lookupAll = s => _bindings.TryGetValue(s, out var d) ? d : null;
        _lookupVariables = s => IsVariable(s) && _bindings.TryGetValue(s, out var d) ? d : null;
    }

    /// <summary>Whether a symbol is an inference variable (not one of the user's own names).</summary>
    public static bool IsVariable(string symbol) => symbol.IndexOf('?') >= 0 || symbol.IndexOf('@') >= 0 || symbol.IndexOf('.') >= 0;

    /// <summary>How a symbol appears in messages: variables of a callee's call scope lose their instance suffix.</summary>
    public static string Display(string symbol)
    {
        if (symbol.StartsWith("?", StringComparison.Ordinal))
            return "?";
        int at = symbol.IndexOf('@');
        return at >= 0 ? symbol.Substring(0, at) : symbol;
    }

    /// <summary>A fresh unknown dimension.</summary>
    public Dim Fresh() => Dim.Symbol("?" + (++_fresh).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A fresh unknown shape.</summary>
    public SymbolicShape FreshShape() => new(Fresh(), Fresh());

    /// <summary>The value whose definition bound <paramref name="symbol"/>, or −1.</summary>
    public int SiteOf(string symbol) => _sites.TryGetValue(symbol, out int site) ? site : -1;

    /// <summary>The constant a symbol is bound to, if any.</summary>
    public long? ConstantOf(string symbol) =>
        _bindings.ContainsKey(symbol) ? Resolve(Dim.Symbol(symbol)).ConstantValue : null;

    /// <summary>Applies the substitution to a fixpoint.</summary>
    public Dim Resolve(Dim dim)
    {
        if (_bindings.Count == 0)
            return dim;
        for (int i = 0; i < 32; i++)
        {
            var next = dim.Substitute(_lookupAll);
            if (next.Equals(dim))
                return next;
            dim = next;
        }
        return dim;
    }

    /// <summary>Applies only the variables' bindings: the user's names stay as written (for messages).</summary>
    public Dim ResolveVariables(Dim dim)
    {
        for (int i = 0; i < 32; i++)
        {
            var next = dim.Substitute(_lookupVariables);
            if (next.Equals(dim))
                return next;
            dim = next;
        }
        return dim;
    }

    /// <summary>The fully resolved shape.</summary>
    public SymbolicShape Resolve(SymbolicShape shape) => shape.Map(Resolve);

    /// <summary>Compares without binding anything.</summary>
    public Agreement Decide(Dim a, Dim b)
    {
        a = Resolve(a);
        b = Resolve(b);
        Dim difference;
        try
        {
            difference = a - b;
        }
        catch (OverflowException)
        {
            return Agreement.Unknown;
        }
        if (difference.ConstantValue is { } c)
            return c == 0 ? Agreement.Equal : Agreement.Different;
        // Every dimension is ≥ 1, so a difference of one sign whatever the symbols are is a definite clash: H vs 2*H,
        // H vs H+1, 2*H vs 3*H. Distinct symbols (H vs W, 2*H vs H+W) are left to the rules below or stay unknown.
        if (difference.DefiniteSign != 0)
            return Agreement.Different;
        if (a.SingleSymbol is { } x && b.SingleSymbol is { } y && !IsVariable(x) && !IsVariable(y))
            return Agreement.Different;
        // A named dimension is not 1: a dimension of size 1 is written 1 (the broadcast rules rely on the same convention).
        if ((a.SingleSymbol is { } s && !IsVariable(s) && b.ConstantValue == 1) || (b.SingleSymbol is { } t && !IsVariable(t) && a.ConstantValue == 1))
            return Agreement.Different;
        return Agreement.Unknown;
    }

    /// <summary>Makes <paramref name="a"/> and <paramref name="b"/> equal where that is possible, recording <paramref name="site"/>.</summary>
    public Agreement Unify(Dim a, Dim b, int site)
    {
        var decided = Decide(a, b);
        if (decided != Agreement.Unknown)
            return decided;
        Dim difference;
        try
        {
            difference = Resolve(a) - Resolve(b);
        }
        catch (OverflowException)
        {
            return Agreement.Unknown;
        }

        // A variable that occurs once, linearly, with coefficient ±1 is solved for: v := v − d (or v + d).
        // A call's instance of a callee symbol (N@2) is solved first: it only stands for what its arguments bring, so the
        // caller's own unknowns keep the names suggestions are made from.
        foreach (var symbol in difference.Symbols.Where(IsVariable).OrderBy(s => s.IndexOf('@') >= 0 ? 0 : s.StartsWith("?", StringComparison.Ordinal) ? 1 : 2))
        {
            long c = difference.LinearCoefficient(symbol);
            if (c is 1 or -1 && difference.OccursOnlyLinearly(symbol))
            {
                var v = Dim.Symbol(symbol);
                Bind(symbol, c == 1 ? v - difference : difference + v, site);
                return Agreement.Equal;
            }
        }

        // A rigid name against a constant: the name denotes that size in this layer.
        var symbols = difference.Symbols.ToList();
        if (symbols.Count == 1 && difference.LinearCoefficient(symbols[0]) is 1 or -1 && difference.OccursOnlyLinearly(symbols[0]))
        {
            string symbol = symbols[0];
            long c = difference.LinearCoefficient(symbol);
            var v = Dim.Symbol(symbol);
            var value = c == 1 ? v - difference : difference + v;
            if (value.ConstantValue is > 0)
            {
                Bind(symbol, value, site);
                return Agreement.Equal;
            }
        }
        return Agreement.Unknown;
    }

    private void Bind(string symbol, Dim value, int site)
    {
        _bindings[symbol] = Resolve(value);
        _sites[symbol] = site;
    }

    /// <summary>
    /// When <paramref name="a"/> and <paramref name="b"/> differ because a symbol was bound to a constant by an earlier
    /// operation and the other side is another constant: that symbol, its size and the other size (LG1006).
    /// </summary>
    public (string Symbol, long Bound, long Other)? Rebinding(Dim a, Dim b)
    {
        foreach (var (x, y) in new[] { (a, b), (b, a) })
        {
            if (Resolve(y).ConstantValue is not { } other)
                continue;
            // Follow the chain of single-symbol bindings (?1 := Hidden.D := 4) to the first named symbol fixed to a constant.
            string? symbol = x.SingleSymbol;
            for (int i = 0; symbol is not null && i < 32; i++)
            {
                if (!_bindings.TryGetValue(symbol, out var bound))
                    break;
                if (!symbol.StartsWith("?", StringComparison.Ordinal) && Resolve(bound).ConstantValue is { } size && size != other)
                    return (symbol, size, other);
                symbol = bound.SingleSymbol;
            }
        }
        return null;
    }

    /// <summary>The user's symbols (and sublayer symbols) mentioned by dimensions, for additional locations.</summary>
    public IEnumerable<string> SymbolsOf(params Dim[] dims) =>
        dims.SelectMany(d => ResolveVariables(d).Symbols).Where(s => !s.StartsWith("?", StringComparison.Ordinal)).Distinct();
}
