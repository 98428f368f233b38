using Microsoft.CodeAnalysis;

namespace LayerGen.Generator.Tests;

/// <summary>
/// The generated code of every layer the run-time tests use (the shared test layers and the one-op layers of
/// LayerGen.Generated.Tests) compiles without an error and without a warning: users build with warnings as errors.
/// </summary>
public sealed class GeneratedCodeTests
{
    [Theory]
    [InlineData("OpLayers.cs")]
    [InlineData("KnownGeneratorBugs.cs")]
    public void OpLayers_GeneratedCodeCompilesWithoutErrorsOrWarnings(string file)
    {
        // The op layers use one shared sublayer type (Linear) and xunit-free code only, except the test class in
        // KnownGeneratorBugs.cs, which is cut off here.
        string source = TestSources.LoadOpLayers(file);
        int tests = source.IndexOf("namespace LayerGen.Generated.Tests\n{", StringComparison.Ordinal);
        if (tests >= 0)
            source = source[..tests].Replace("using static LayerGen.Generated.Tests.GradientHarness;", "", StringComparison.Ordinal);
        AssertCompilesCleanly(GeneratorHarness.CreateCompilation([source, .. TestSources.All().Select(TestSources.Load)]));
    }

    [Fact]
    public void TestLayers_GeneratedCodeCompilesWithoutErrorsOrWarnings() =>
        AssertCompilesCleanly(GeneratorHarness.CreateCompilation([.. TestSources.All().Select(TestSources.Load)]));

    private static void AssertCompilesCleanly(Compilation input)
    {
        var inputProblems = input.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(inputProblems.Count == 0, "the input itself has problems:\n" + string.Join("\n", inputProblems));

        var run = GeneratorHarness.Run(input);
        Assert.Null(run.Result.Results.Single().Exception);
        Assert.NotEmpty(run.Files);
        var problems = run.Output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => $"{Path.GetFileName(d.Location.SourceTree?.FilePath)}{d.Location.GetLineSpan().StartLinePosition}: {d.Id} {d.GetMessage()}")
            .ToList();
        Assert.True(problems.Count == 0, $"{problems.Count} problem(s) in the generated code:\n" + string.Join("\n", problems.Take(30)));
    }
}
