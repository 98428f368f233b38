using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace LayerGen.Shapes.Tests;

/// <summary>References for the analyzer-testing framework: those of <see cref="TestCompiler"/> (.NET 10 reference
/// assemblies, offline, plus the LayerGen runtime).</summary>
internal static class TestReferences
{
    /// <summary>No reference package to download: the references come from <see cref="TestCompiler.References"/>.</summary>
    public static readonly ReferenceAssemblies None = new("net10.0");

    public static void Configure(SolutionState state)
    {
        state.AdditionalReferences.AddRange(TestCompiler.References);
    }
}

/// <summary>Runs an analyzer on markup sources (<c>{|LG1001:x * W|}</c>) and compares diagnostics exactly.</summary>
internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpAnalyzerVerifier<TAnalyzer, DefaultVerifier>.Diagnostic(id);

    public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected) => AnalyzerAsync(source, includeSuggestions: false, expected);

    public static async Task AnalyzerAsync(string source, bool includeSuggestions, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        {
            TestCode = source,
            ReferenceAssemblies = TestReferences.None,
        };
        TestReferences.Configure(test.TestState);
        if (!includeSuggestions)
            test.DisabledDiagnostics.Add("LG1100");
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }
}

/// <summary>Runs an analyzer and a code fix on markup sources, including Fix All.</summary>
internal static class VerifyFix<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpCodeFixVerifier<TAnalyzer, TCodeFix, DefaultVerifier>.Diagnostic(id);

    public static Task FixAsync(string source, string fixedSource, int? iterations = null, params string[] disabled) =>
        FixAsync(source, fixedSource, iterations, CodeFixTestBehaviors.None, disabled);

    public static async Task FixAsync(string source, string fixedSource, int? iterations, CodeFixTestBehaviors behaviors, params string[] disabled)
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = TestReferences.None,
            CodeFixTestBehaviors = behaviors,
        };
        TestReferences.Configure(test.TestState);
        TestReferences.Configure(test.FixedState);
        foreach (var id in disabled)
            test.DisabledDiagnostics.Add(id);
        if (iterations is { } n)
        {
            test.NumberOfIncrementalIterations = n;
            test.NumberOfFixAllIterations = 1;
        }
        await test.RunAsync();
    }
}
