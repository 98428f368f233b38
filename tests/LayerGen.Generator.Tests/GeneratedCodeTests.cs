using Microsoft.CodeAnalysis;

namespace LayerGen.Generator.Tests;

/// <summary>
/// The generated code of every layer the run-time tests use (the shared test layers and the one-op layers of
/// LayerGen.Generated.Tests) compiles without an error and without a warning: users build with warnings as errors.
/// </summary>
public sealed class GeneratedCodeTests
{
    [Fact]
    public void OpLayers_GeneratedCodeCompilesWithoutErrorsOrWarnings() =>
        // The op layers use one shared test layer (Linear) as a sublayer.
        AssertCompilesCleanly(TestCompiler.RoslynFloor.Compile([TestSources.LoadOpLayers("OpLayers.cs"), .. TestSources.All().Select(TestSources.Load)]));

    [Fact]
    public void TestLayers_GeneratedCodeCompilesWithoutErrorsOrWarnings() =>
        AssertCompilesCleanly(TestCompiler.RoslynFloor.Compile([.. TestSources.All().Select(TestSources.Load)]));

    private static void AssertCompilesCleanly(Compilation input)
    {
        var inputProblems = input.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(inputProblems.Count == 0, "the input itself has problems:\n" + string.Join("\n", inputProblems));

        var run = TestCompiler.RoslynFloor.Generate(input);
        Assert.Null(run.RunResult.Results.Single().Exception);
        Assert.NotEmpty(run.Generated);
        var problems = run.Output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => $"{Path.GetFileName(d.Location.SourceTree?.FilePath)}{d.Location.GetLineSpan().StartLinePosition}: {d.Id} {d.GetMessage()}")
            .ToList();
        Assert.True(problems.Count == 0, $"{problems.Count} problem(s) in the generated code:\n" + string.Join("\n", problems.Take(30)));
    }
}
