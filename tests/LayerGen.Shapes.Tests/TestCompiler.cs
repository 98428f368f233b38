using System.Collections.Immutable;
using System.Reflection;
using LayerGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LayerGen.Shapes.Tests;

/// <summary>Runs the generator on in-memory sources, compiles and loads the result; runs the analyzers (adapted from the core tests).</summary>
internal static class TestCompiler
{
    private static int _counter;

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "ShapeLayers" + Interlocked.Increment(ref _counter),
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Layer{i}.cs")),
        TestReferences.All,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Generates, compiles (failing with the generated code on errors) and loads.</summary>
    public static (Assembly Assembly, IReadOnlyDictionary<string, string> Generated) Load(params string[] sources)
    {
        var compilation = Compile(sources);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new LayerGenGenerator().AsSourceGenerator() }, parseOptions: ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var generated = driver.GetRunResult().Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors) + "\n" + string.Join("\n", generated.Select(g => $"==== {g.Key}\n{g.Value}")));
        using var stream = new MemoryStream();
        var emit = output.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return (Assembly.Load(stream.ToArray()), generated);
    }

    /// <summary>Invokes a public static parameterless method, unwrapping the reflection exception.</summary>
    public static object? Invoke(Assembly assembly, string type, string method)
    {
        var t = assembly.GetType(type) ?? throw new InvalidOperationException($"no type {type}");
        try
        {
            return t.GetMethod(method)!.Invoke(null, null);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    /// <summary>The diagnostics of the given analyzers (hidden LG1100 suggestions excluded unless asked for).</summary>
    public static IReadOnlyList<Diagnostic> Analyze(string source, bool includeSuggestions = false, params DiagnosticAnalyzer[] analyzers)
    {
        var compilation = Compile(source);
        var compileErrors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(compileErrors.Count == 0, string.Join("\n", compileErrors));
        if (analyzers.Length == 0)
            analyzers = new DiagnosticAnalyzer[] { new ShapeAnalyzer(), new ForwardAnalyzer() };
        return compilation.WithAnalyzers(analyzers.ToImmutableArray()).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => includeSuggestions || d.Id != "LG1100")
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToList();
    }
}
