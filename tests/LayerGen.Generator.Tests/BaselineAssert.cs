using System.Text;
using Xunit.Sdk;

namespace LayerGen.Generator.Tests;

/// <summary>
/// Golden-file comparison: each generated file must equal <c>Baselines/&lt;test&gt;/&lt;hint name&gt;</c> exactly.
/// With <c>LAYERGEN_UPDATE_BASELINES=1</c> the baselines are rewritten instead; a missing or different baseline
/// otherwise fails and leaves the actual text beside it as <c>&lt;hint name&gt;.received</c> for inspection.
/// </summary>
internal static class BaselineAssert
{
    public static bool Updating => Environment.GetEnvironmentVariable("LAYERGEN_UPDATE_BASELINES") == "1";

    public static string BaselineDirectory(string testName) =>
        Path.Combine(TestSources.Metadata("ProjectDirectory"), "Baselines", testName);

    /// <summary>Compares every generated file, and the set of files, with the checked-in baselines of <paramref name="testName"/>.</summary>
    public static void Matches(string testName, IReadOnlyDictionary<string, string> generated)
    {
        string directory = BaselineDirectory(testName);
        Directory.CreateDirectory(directory);
        foreach (var stale in Directory.EnumerateFiles(directory, "*.received"))
            File.Delete(stale);

        var failures = new StringBuilder();
        foreach (var (hintName, actual) in generated.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            string path = Path.Combine(directory, hintName);
            if (Updating)
            {
                File.WriteAllText(path, actual);
                continue;
            }
            if (!File.Exists(path))
            {
                File.WriteAllText(path + ".received", actual);
                failures.AppendLine($"Missing baseline {Relative(path)}; the generated text is in {Relative(path)}.received " +
                    "(rerun with LAYERGEN_UPDATE_BASELINES=1 to accept it).");
                continue;
            }
            string expected = File.ReadAllText(path);
            if (expected != actual)
            {
                File.WriteAllText(path + ".received", actual);
                failures.AppendLine($"{Relative(path)} differs from the generated text (- baseline, + generated):");
                failures.AppendLine(LineDiff.Unified(expected, actual));
            }
        }

        foreach (var path in Directory.EnumerateFiles(directory).Where(p => !p.EndsWith(".received", StringComparison.Ordinal)))
        {
            if (generated.ContainsKey(Path.GetFileName(path)))
                continue;
            if (Updating)
                File.Delete(path);
            else
                failures.AppendLine($"Baseline {Relative(path)} was not generated (generated: {string.Join(", ", generated.Keys)}).");
        }

        if (failures.Length > 0)
            throw new XunitException(failures.ToString());
    }

    private static string Relative(string path) => Path.GetRelativePath(TestSources.Metadata("RepositoryRoot"), path);
}

/// <summary>A small line diff (longest common subsequence) printed in unified style with 3 lines of context.</summary>
internal static class LineDiff
{
    public static string Unified(string expected, string actual, int context = 3)
    {
        string[] a = Split(expected), b = Split(actual);
        // lcs[i, j] = length of the LCS of a[i..] and b[j..]; files are a few hundred lines, so O(n·m) is fine.
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var lines = new List<(char Kind, string Text, int Line)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { lines.Add((' ', a[x], x + 1)); x++; y++; }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y])) { lines.Add(('+', b[y], y + 1)); y++; }
            else { lines.Add(('-', a[x], x + 1)); x++; }
        }

        var text = new StringBuilder();
        int last = -1;
        for (int k = 0; k < lines.Count; k++)
        {
            bool near = false;
            for (int d = Math.Max(0, k - context); d <= Math.Min(lines.Count - 1, k + context) && !near; d++)
                near = lines[d].Kind != ' ';
            if (!near)
                continue;
            if (last >= 0 && k != last + 1)
                text.AppendLine("@@ ... @@");
            text.Append(lines[k].Kind).Append(' ').Append(lines[k].Line.ToString().PadLeft(4)).Append(" | ").AppendLine(Visible(lines[k].Text));
            last = k;
        }
        if (expected.EndsWith('\n') != actual.EndsWith('\n'))
            text.AppendLine("(the files differ in the final newline)");
        if (expected.Contains('\r') != actual.Contains('\r'))
            text.AppendLine("(the files differ in line endings: CRLF vs LF)");
        return text.ToString();
    }

    private static string[] Split(string s) => s.Replace("\r\n", "\n").Split('\n');

    // Trailing whitespace is invisible in a terminal; mark it so a whitespace-only difference can be seen.
    private static string Visible(string line) => line.Length > 0 && char.IsWhiteSpace(line[^1]) ? line + "⏎" : line;
}
