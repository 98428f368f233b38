using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace LayerGen.Generator.Shapes;

/// <summary>
/// A symbolic dimension in normal form: an integer polynomial <c>c₀ + Σ cᵢ·mᵢ</c> where each monomial <c>mᵢ</c> is a
/// sorted product of symbols. Two dimensions are equal exactly when their normal forms are, so <c>H+H</c> equals
/// <c>2*H</c> and <c>(H+1)*2</c> equals <c>2*H+2</c>.
/// </summary>
/// <remarks>
/// Immutable and value-equatable. Symbols are plain strings: the user's names (<c>D</c>), a sublayer's names
/// qualified by the member (<c>Hidden.D</c>) and inference variables (<c>?3</c>, <c>N@2</c>).
/// </remarks>
internal sealed class Dim : IEquatable<Dim>
{
    // Monomial key (symbols joined by '*', sorted; "" is the constant term) → coefficient, never zero.
    private readonly SortedDictionary<string, long> _terms;

    private Dim(SortedDictionary<string, long> terms) => _terms = terms;

    /// <summary>The constant <paramref name="value"/>.</summary>
    public static Dim Constant(long value)
    {
        var terms = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (value != 0)
            terms[""] = value;
        return new Dim(terms);
    }

    /// <summary>The symbol <paramref name="name"/>.</summary>
    public static Dim Symbol(string name) =>
        new(new SortedDictionary<string, long>(StringComparer.Ordinal) { [name] = 1 });

    /// <summary>The constant 1 (the broadcast dimension).</summary>
    public static readonly Dim One = Constant(1);

    /// <summary>The value when the dimension is a constant.</summary>
    public long? ConstantValue =>
        _terms.Count == 0 ? 0 : _terms.Count == 1 && _terms.TryGetValue("", out long c) ? c : null;

    /// <summary>The symbol when the dimension is exactly one symbol (coefficient 1, no constant).</summary>
    public string? SingleSymbol =>
        _terms.Count == 1 && _terms.First() is { Value: 1 } t && t.Key.Length > 0 && t.Key.IndexOf('*') < 0 ? t.Key : null;

    /// <summary>Every symbol that occurs.</summary>
    public IEnumerable<string> Symbols =>
        _terms.Keys.Where(k => k.Length > 0).SelectMany(k => k.Split('*')).Distinct();

    /// <summary>The monomials with their coefficients ("" is the constant term).</summary>
    public IEnumerable<KeyValuePair<string, long>> Terms => _terms;

    /// <summary>a + b.</summary>
    public static Dim operator +(Dim a, Dim b)
    {
        var terms = new SortedDictionary<string, long>(a._terms, StringComparer.Ordinal);
        foreach (var t in b._terms)
            AddTerm(terms, t.Key, t.Value);
        return new Dim(terms);
    }

    /// <summary>a − b.</summary>
    public static Dim operator -(Dim a, Dim b) => a + b * Constant(-1);

    /// <summary>a · b.</summary>
    public static Dim operator *(Dim a, Dim b)
    {
        var terms = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var x in a._terms)
        {
            foreach (var y in b._terms)
                AddTerm(terms, MultiplyMonomials(x.Key, y.Key), x.Value * y.Value);
        }
        return new Dim(terms);
    }

    private static void AddTerm(SortedDictionary<string, long> terms, string key, long coefficient)
    {
        terms.TryGetValue(key, out long old);
        long sum = old + coefficient;
        if (sum == 0)
            terms.Remove(key);
        else
            terms[key] = sum;
    }

    private static string MultiplyMonomials(string a, string b)
    {
        if (a.Length == 0)
            return b;
        if (b.Length == 0)
            return a;
        var factors = a.Split('*').Concat(b.Split('*')).ToList();
        factors.Sort(StringComparer.Ordinal);
        return string.Join("*", factors);
    }

    /// <summary>Replaces symbols by dimensions (symbols the map lacks stay).</summary>
    public Dim Substitute(Func<string, Dim?> lookup)
    {
        var result = Constant(0);
        foreach (var t in _terms)
        {
            var term = Constant(t.Value);
            if (t.Key.Length > 0)
            {
                foreach (var factor in t.Key.Split('*'))
                    term *= lookup(factor) ?? Symbol(factor);
            }
            result += term;
        }
        return result;
    }

    /// <summary>The coefficient of the degree-1 monomial <paramref name="symbol"/> (0 when absent).</summary>
    public long LinearCoefficient(string symbol) => _terms.TryGetValue(symbol, out long c) ? c : 0;

    /// <summary>Whether <paramref name="symbol"/> occurs only as its own degree-1 monomial.</summary>
    public bool OccursOnlyLinearly(string symbol) =>
        _terms.Keys.All(k => k == symbol || k.Length == 0 || Array.IndexOf(k.Split('*'), symbol) < 0);

    /// <summary>Whether the dimension mentions no symbol for which <paramref name="isVariable"/> holds.</summary>
    public bool IsFreeOf(Func<string, bool> isVariable) => Symbols.All(s => !isVariable(s));

    /// <summary>Parses <c>[Shape]</c> dimension text: integers, symbols, <c>+ - *</c> and parentheses; null if invalid.</summary>
    public static Dim? Parse(string text)
    {
        var parser = new ExpressionParser(text);
        try
        {
            var result = parser.Sum();
            return parser.AtEnd ? result : null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public bool Equals(Dim? other) =>
        other is not null && _terms.Count == other._terms.Count && _terms.All(t => other._terms.TryGetValue(t.Key, out long c) && c == t.Value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Dim);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        int hash = 17;
        foreach (var t in _terms)
            hash = unchecked(hash * 31 + StringComparer.Ordinal.GetHashCode(t.Key) * 7 + t.Value.GetHashCode());
        return hash;
    }

    /// <summary>As the user writes it: <c>2*H + 1</c>, symbols first, the constant last.</summary>
    public override string ToString() => Render(s => s);

    /// <summary>Renders with each symbol mapped by <paramref name="name"/>.</summary>
    public string Render(Func<string, string> name)
    {
        if (_terms.Count == 0)
            return "0";
        var builder = new StringBuilder();
        foreach (var t in _terms.Where(t => t.Key.Length > 0).Concat(_terms.Where(t => t.Key.Length == 0)))
        {
            long c = t.Value;
            if (builder.Length == 0)
            {
                if (c < 0)
                    builder.Append('-');
            }
            else
            {
                builder.Append(c < 0 ? " - " : " + ");
            }
            long magnitude = Math.Abs(c);
            string monomial = string.Join("*", t.Key.Split('*').Where(f => f.Length > 0).Select(name));
            if (monomial.Length == 0)
                builder.Append(magnitude.ToString(CultureInfo.InvariantCulture));
            else if (magnitude == 1)
                builder.Append(monomial);
            else
                builder.Append(magnitude.ToString(CultureInfo.InvariantCulture)).Append('*').Append(monomial);
        }
        return builder.ToString();
    }

    /// <summary>Recursive descent over <c>sum := product (('+'|'-') product)*; product := atom ('*' atom)*</c>.</summary>
    private sealed class ExpressionParser
    {
        private readonly string _text;
        private int _position;

        public ExpressionParser(string text) => _text = text ?? "";

        public bool AtEnd
        {
            get
            {
                SkipSpaces();
                return _position >= _text.Length;
            }
        }

        public Dim Sum()
        {
            var result = Product();
            while (true)
            {
                SkipSpaces();
                if (Peek('+'))
                {
                    _position++;
                    result += Product();
                }
                else if (Peek('-'))
                {
                    _position++;
                    result -= Product();
                }
                else
                {
                    return result;
                }
            }
        }

        private Dim Product()
        {
            var result = Atom();
            while (true)
            {
                SkipSpaces();
                if (!Peek('*'))
                    return result;
                _position++;
                result *= Atom();
            }
        }

        private Dim Atom()
        {
            SkipSpaces();
            if (_position >= _text.Length)
                throw new FormatException();
            char c = _text[_position];
            if (c == '(')
            {
                _position++;
                var inner = Sum();
                SkipSpaces();
                if (!Peek(')'))
                    throw new FormatException();
                _position++;
                return inner;
            }
            if (c == '-')
            {
                _position++;
                return Constant(-1) * Atom();
            }
            int start = _position;
            if (char.IsDigit(c))
            {
                while (_position < _text.Length && char.IsDigit(_text[_position]))
                    _position++;
                return Constant(long.Parse(_text.Substring(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture));
            }
            if (char.IsLetter(c) || c == '_')
            {
                while (_position < _text.Length && (char.IsLetterOrDigit(_text[_position]) || _text[_position] == '_'))
                    _position++;
                return Symbol(_text.Substring(start, _position - start));
            }
            throw new FormatException();
        }

        private bool Peek(char c) => _position < _text.Length && _text[_position] == c;

        private void SkipSpaces()
        {
            while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
                _position++;
        }
    }
}
