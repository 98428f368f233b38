using System.Text.RegularExpressions;

namespace LayerGen.Shapes.Tests;

/// <summary>Every corpus bug is flagged exactly where marked (and nothing else is); every correct layer is clean.</summary>
public class CorpusTests
{
    private static readonly Regex Marker = new(@"\{\|(LG\d{4}):", RegexOptions.Compiled);

    /// <summary>Strips <c>{|ID:text|}</c> markers (not nested) and returns the expected (id, start, length).</summary>
    internal static (string Source, List<(string Id, int Start, int Length)> Expected) ParseMarkup(string markup)
    {
        var expected = new List<(string, int, int)>();
        var builder = new System.Text.StringBuilder();
        int i = 0;
        while (i < markup.Length)
        {
            var m = Marker.Match(markup, i);
            if (!m.Success)
            {
                builder.Append(markup, i, markup.Length - i);
                break;
            }
            builder.Append(markup, i, m.Index - i);
            int close = markup.IndexOf("|}", m.Index + m.Length, StringComparison.Ordinal);
            string text = markup.Substring(m.Index + m.Length, close - m.Index - m.Length);
            expected.Add((m.Groups[1].Value, builder.Length, text.Length));
            builder.Append(text);
            i = close + 2;
        }
        return (builder.ToString(), expected);
    }

    [Theory]
    [MemberData(nameof(Corpus.Bugs), MemberType = typeof(Corpus))]
    public void Bug_is_flagged_at_the_right_span(string name, string markup)
    {
        var (source, expected) = ParseMarkup(markup);
        Assert.NotEmpty(expected);
        var actual = TestCompiler.Analyze(source)
            .Select(d => (d.Id, d.Location.SourceSpan.Start, d.Location.SourceSpan.Length))
            .ToList();
        string Show(IEnumerable<(string Id, int Start, int Length)> list) =>
            string.Join("; ", list.Select(e => $"{e.Id} '{source.Substring(e.Start, e.Length)}'"));
        Assert.True(expected.OrderBy(e => e.Start).SequenceEqual(actual.OrderBy(e => e.Start)),
            $"{name}: expected {Show(expected)} but got {Show(actual)}\n"
            + string.Join("\n", TestCompiler.Analyze(source).Select(d => d.ToString())));
    }

    [Theory]
    [MemberData(nameof(Corpus.Correct), MemberType = typeof(Corpus))]
    public void Correct_layer_has_no_diagnostic(string name, string source)
    {
        var diagnostics = TestCompiler.Analyze(source);
        Assert.True(diagnostics.Count == 0, name + ":\n" + string.Join("\n", diagnostics));
    }

    [Fact]
    public void Corpus_is_large_enough()
    {
        Assert.True(Corpus.Bugs.Count >= 20);
        Assert.True(Corpus.Correct.Count >= 20);
    }
}
