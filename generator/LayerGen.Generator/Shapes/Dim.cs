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
    /// <summary>One monomial: sorted factors (empty for the constant term) and a non-zero coefficient.</summary>
    private readonly struct Term
    {
        public Term(string key, string[] factors, long coefficient)
        {
            Key = key;
            Factors = factors;
            Coefficient = coefficient;
        }

        public string Key { get; }

        public string[] Factors { get; }

        public long Coefficient { get; }
    }

    // Sorted by key (ordinal; "" is the constant term and sorts first); no zero coefficients. Inference builds and
    // compares many small dimensions, so this is a flat array rather than a dictionary.
    private readonly Term[] _terms;
    private string[]? _symbols;

    private Dim(Term[] terms) => _terms = terms;

    private static readonly string[] NoFactors = Array.Empty<string>();

    /// <summary>The constant <paramref name="value"/>.</summary>
    public static Dim Constant(long value) =>
        value == 0 ? Zero : new Dim(new[] { new Term("", NoFactors, value) });

    /// <summary>The constant 0.</summary>
    public static readonly Dim Zero = new(Array.Empty<Term>());

    /// <summary>The symbol <paramref name="name"/>.</summary>
    public static Dim Symbol(string name) => new(new[] { new Term(name, new[] { name }, 1) });

    /// <summary>The constant 1 (the broadcast dimension).</summary>
    public static readonly Dim One = Constant(1);

    /// <summary>The value when the dimension is a constant.</summary>
    public long? ConstantValue =>
        _terms.Length == 0 ? 0 : _terms.Length == 1 && _terms[0].Factors.Length == 0 ? _terms[0].Coefficient : null;

    /// <summary>The symbol when the dimension is exactly one symbol (coefficient 1, no constant).</summary>
    public string? SingleSymbol =>
        _terms.Length == 1 && _terms[0].Coefficient == 1 && _terms[0].Factors.Length == 1 ? _terms[0].Key : null;

    /// <summary>Every symbol that occurs.</summary>
    public IReadOnlyList<string> Symbols
    {
        get
        {
            if (_symbols is null)
            {
                var list = new List<string>();
                foreach (var term in _terms)
                {
                    foreach (var factor in term.Factors)
                    {
                        if (!list.Contains(factor))
                            list.Add(factor);
                    }
                }
                _symbols = list.ToArray();
            }
            return _symbols;
        }
    }

    /// <summary>The monomials with their coefficients ("" is the constant term).</summary>
    public IEnumerable<KeyValuePair<string, long>> Terms => _terms.Select(t => new KeyValuePair<string, long>(t.Key, t.Coefficient));

    /// <summary>a + b.</summary>
    public static Dim operator +(Dim a, Dim b)
    {
        if (b._terms.Length == 0)
            return a;
        if (a._terms.Length == 0)
            return b;
        // Merge two sorted term lists.
        var result = new List<Term>(a._terms.Length + b._terms.Length);
        int i = 0, j = 0;
        while (i < a._terms.Length || j < b._terms.Length)
        {
            int order = i == a._terms.Length ? 1 : j == b._terms.Length ? -1 : string.CompareOrdinal(a._terms[i].Key, b._terms[j].Key);
            if (order < 0)
            {
                result.Add(a._terms[i++]);
            }
            else if (order > 0)
            {
                result.Add(b._terms[j++]);
            }
            else
            {
                long sum = a._terms[i].Coefficient + b._terms[j].Coefficient;
                if (sum != 0)
                    result.Add(new Term(a._terms[i].Key, a._terms[i].Factors, sum));
                i++;
                j++;
            }
        }
        return result.Count == 0 ? Zero : new Dim(result.ToArray());
    }

    /// <summary>a − b.</summary>
    public static Dim operator -(Dim a, Dim b) => a + Scale(b, -1);

    private static Dim Scale(Dim d, long factor)
    {
        if (factor == 0)
            return Zero;
        var terms = new Term[d._terms.Length];
        for (int i = 0; i < terms.Length; i++)
            terms[i] = new Term(d._terms[i].Key, d._terms[i].Factors, checked(d._terms[i].Coefficient * factor));
        return new Dim(terms);
    }

    /// <summary>a · b.</summary>
    public static Dim operator *(Dim a, Dim b)
    {
        if (b.ConstantValue is { } cb)
            return Scale(a, cb);
        if (a.ConstantValue is { } ca)
            return Scale(b, ca);
        var result = Zero;
        foreach (var x in a._terms)
        {
            foreach (var y in b._terms)
            {
                var factors = new string[x.Factors.Length + y.Factors.Length];
                x.Factors.CopyTo(factors, 0);
                y.Factors.CopyTo(factors, x.Factors.Length);
                Array.Sort(factors, StringComparer.Ordinal);
                result += new Dim(new[] { new Term(string.Join("*", factors), factors, checked(x.Coefficient * y.Coefficient)) });
            }
        }
        return result;
    }

    /// <summary>Replaces symbols by dimensions (symbols the map lacks stay); returns this instance when nothing changes.</summary>
    public Dim Substitute(Func<string, Dim?> lookup)
    {
        // Fast path: most dimensions mention no bound symbol.
        bool any = false;
        foreach (var symbol in Symbols)
        {
            if (lookup(symbol) is not null)
            {
                any = true;
                break;
            }
        }
        if (!any)
            return this;
        var result = Zero;
        foreach (var t in _terms)
        {
            var term = Constant(t.Coefficient);
            foreach (var factor in t.Factors)
                term *= lookup(factor) ?? Symbol(factor);
            result += term;
        }
        return result;
    }

    /// <summary>The coefficient of the degree-1 monomial <paramref name="symbol"/> (0 when absent).</summary>
    public long LinearCoefficient(string symbol)
    {
        foreach (var t in _terms)
        {
            if (t.Factors.Length == 1 && t.Key == symbol)
                return t.Coefficient;
        }
        return 0;
    }

    /// <summary>Whether <paramref name="symbol"/> occurs only as its own degree-1 monomial.</summary>
    public bool OccursOnlyLinearly(string symbol) =>
        _terms.All(t => t.Factors.Length <= 1 || Array.IndexOf(t.Factors, symbol) < 0);

    /// <summary>Whether the dimension mentions no symbol for which <paramref name="isVariable"/> holds.</summary>
    public bool IsFreeOf(Func<string, bool> isVariable) => Symbols.All(s => !isVariable(s));

    /// <summary>
    /// The sign of the dimension for every assignment of its symbols to integers ≥ 1 (every dimension is at least 1):
    /// +1 when it is positive whatever the symbols are, −1 when it is negative whatever they are, 0 when that cannot be
    /// decided (or it is 0). Sound: each monomial is ≥ 1 and grows with its symbols, so a polynomial whose non-constant
    /// coefficients are all ≥ 0 is at least its value at all symbols = 1 (the sum of all coefficients), and symmetrically
    /// for ≤ 0. <c>H</c> (+1), <c>-H</c> (−1), <c>2*H - 1</c> (+1), <c>H - 1</c> (0: H may be 1), <c>H - W</c> (0).
    /// </summary>
    public int DefiniteSign
    {
        get
        {
            if (_terms.Length == 0)
                return 0;
            bool nonNegative = true, nonPositive = true;
            long atOnes = 0;
            try
            {
                foreach (var t in _terms)
                {
                    if (t.Factors.Length > 0)
                    {
                        nonNegative &= t.Coefficient > 0;
                        nonPositive &= t.Coefficient < 0;
                    }
                    atOnes = checked(atOnes + t.Coefficient);
                }
            }
            catch (OverflowException)
            {
                return 0; // absurd sizes: cannot decide rather than throw
            }
            return nonNegative && atOnes > 0 ? 1 : nonPositive && atOnes < 0 ? -1 : 0;
        }
    }

    /// <summary>
    /// Whether <paramref name="a"/> and <paramref name="b"/> are the same size for every assignment of the symbols: their
    /// normal forms are equal (<c>H+H</c> and <c>2*H</c>). This is the query a planner should use to decide that two
    /// values have the same shape; false means "not proven", never "different". Bindings found by inference are already
    /// applied to the shapes <see cref="ShapeInference.Infer"/> returns (see <see cref="ShapeResult.DefinitelySameShape"/>).
    /// </summary>
    public static bool DefinitelyEqual(Dim a, Dim b) => a.Equals(b);

    /// <summary>
    /// Whether <paramref name="a"/> and <paramref name="b"/> differ for every assignment of the symbols to integers ≥ 1:
    /// their difference has a <see cref="DefiniteSign"/> (<c>H</c> vs <c>2*H</c>, <c>H</c> vs <c>H+1</c>, <c>2*H</c> vs
    /// <c>3*H</c>). Different symbols (<c>H</c> vs <c>W</c>, <c>2*H</c> vs <c>H+W</c>) may be equal: false.
    /// </summary>
    public static bool DefinitelyDifferent(Dim a, Dim b)
    {
        try
        {
            return (a - b).DefiniteSign != 0;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

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
    public bool Equals(Dim? other)
    {
        if (ReferenceEquals(this, other))
            return true;
        if (other is null || _terms.Length != other._terms.Length)
            return false;
        for (int i = 0; i < _terms.Length; i++)
        {
            if (_terms[i].Coefficient != other._terms[i].Coefficient || !string.Equals(_terms[i].Key, other._terms[i].Key, StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Dim);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        int hash = 17;
        foreach (var t in _terms)
            hash = unchecked(hash * 31 + StringComparer.Ordinal.GetHashCode(t.Key) * 7 + t.Coefficient.GetHashCode());
        return hash;
    }

    /// <summary>As the user writes it: <c>2*H + 1</c>, symbols first, the constant last.</summary>
    public override string ToString() => Render(s => s);

    /// <summary>Renders with each symbol mapped by <paramref name="name"/>.</summary>
    public string Render(Func<string, string> name)
    {
        if (_terms.Length == 0)
            return "0";
        var builder = new StringBuilder();
        foreach (var t in _terms.Where(t => t.Factors.Length > 0).Concat(_terms.Where(t => t.Factors.Length == 0)))
        {
            long c = t.Coefficient;
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
            string monomial = string.Join("*", t.Factors.Select(name));
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
