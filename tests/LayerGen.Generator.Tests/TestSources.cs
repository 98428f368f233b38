using System.Reflection;

namespace LayerGen.Generator.Tests;

/// <summary>
/// The shared layer sources under <c>TestLayers/</c>: embedded here as generator input, compiled as real code by
/// <c>LayerGen.Generated.Tests</c>.
/// </summary>
internal static class TestSources
{
    /// <summary>The text of <c>TestLayers/<paramref name="fileName"/></c>.</summary>
    public static string Load(string fileName)
    {
        using var stream = typeof(TestSources).Assembly.GetManifestResourceStream("TestLayers." + fileName)
            ?? throw new FileNotFoundException($"Embedded test layer 'TestLayers/{fileName}' not found.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The text of the run-time tests' <c>LayerGen.Generated.Tests/<paramref name="fileName"/></c>.</summary>
    public static string LoadOpLayers(string fileName)
    {
        using var stream = typeof(TestSources).Assembly.GetManifestResourceStream("OpLayers." + fileName)
            ?? throw new FileNotFoundException($"Embedded 'LayerGen.Generated.Tests/{fileName}' not found.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Every embedded test layer file name.</summary>
    public static IEnumerable<string> All() =>
        typeof(TestSources).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("TestLayers.", StringComparison.Ordinal))
            .Select(n => n["TestLayers.".Length..])
            .Order(StringComparer.Ordinal);

    /// <summary>A value of the test assembly's <see cref="AssemblyMetadataAttribute"/> (set in the csproj).</summary>
    public static string Metadata(string key) =>
        typeof(TestSources).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
            ?? throw new InvalidOperationException($"Assembly metadata '{key}' is empty.");
}
