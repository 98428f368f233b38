using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LayerGen.TestSupport;

/// <summary>
/// The in-memory compilers the tests use, and shortcuts to <see cref="Default"/>:
/// <c>TestCompiler.Load(layer, check)</c>, <c>TestCompiler.Run(source).AnalyzerDiagnostics</c>,
/// <c>TestCompiler.RoslynFloor.Compile(source)</c>.
/// </summary>
public static class TestCompiler
{
    /// <summary>The newest C#, malformed doc comments reported, optimized; files <c>Layer{i}.cs</c>.</summary>
    public static InMemoryCompiler Default { get; } = new();

    /// <summary>
    /// C# 12, the newest language version that Roslyn 4.8 (the generator's host floor) knows, so that the generated code
    /// is proven to compile there; doc comments only parsed, unoptimized, unsafe code allowed; files <c>Source{i}.cs</c>
    /// of the assembly <c>LayerGenTestInput</c>. The generator tests (golden files, caching, never-throws) use it.
    /// </summary>
    public static InMemoryCompiler RoslynFloor { get; } = new()
    {
        LanguageVersion = LanguageVersion.CSharp12,
        DocumentationMode = DocumentationMode.Parse,
        OptimizationLevel = OptimizationLevel.Debug,
        AllowUnsafe = true,
        FileNamePrefix = "Source",
        AssemblyName = "LayerGenTestInput",
    };

    /// <inheritdoc cref="InMemoryCompiler.References"/>
    public static ImmutableArray<MetadataReference> References => InMemoryCompiler.References;

    /// <inheritdoc cref="InMemoryCompiler.ParseOptions"/>
    public static CSharpParseOptions ParseOptions => Default.ParseOptions;

    /// <inheritdoc cref="InMemoryCompiler.Compile(string[])"/>
    public static CSharpCompilation Compile(params string[] sources) => Default.Compile(sources);

    /// <inheritdoc cref="InMemoryCompiler.Run(string[])"/>
    public static CompileResult Run(params string[] sources) => Default.Run(sources);

    /// <inheritdoc cref="InMemoryCompiler.Run(IEnumerable{MetadataReference}, string[])"/>
    public static CompileResult Run(IEnumerable<MetadataReference> extraReferences, params string[] sources) => Default.Run(extraReferences, sources);

    /// <inheritdoc cref="InMemoryCompiler.Load(string[])"/>
    public static Assembly Load(params string[] sources) => Default.Load(sources);

    /// <inheritdoc cref="InMemoryCompiler.Analyze(string, bool, DiagnosticAnalyzer[])"/>
    public static IReadOnlyList<Diagnostic> Analyze(string source, bool includeSuggestions = false, params DiagnosticAnalyzer[] analyzers) =>
        Default.Analyze(source, includeSuggestions, analyzers);

    /// <inheritdoc cref="InMemoryCompiler.Invoke(Assembly, string, string)"/>
    public static object? Invoke(Assembly assembly, string type, string method) => InMemoryCompiler.Invoke(assembly, type, method);
}
