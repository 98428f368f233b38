using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LayerGen.Generator.Core.Tests;

/// <summary>Runs the generator (and the analyzer) on in-memory sources and compiles the result.</summary>
internal static class TestCompiler
{
    private static int _counter;

    public static readonly ImmutableArray<MetadataReference> References =
        Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(Matrix<>).Assembly.Location))
            .ToImmutableArray();

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    /// <summary>The result of generating and compiling.</summary>
    public sealed record Result(
        Compilation Output,
        IReadOnlyDictionary<string, string> Generated,
        IReadOnlyList<Diagnostic> CompileErrors,
        IReadOnlyList<Diagnostic> AnalyzerDiagnostics,
        IReadOnlyList<Diagnostic> GeneratorDiagnostics)
    {
        /// <summary>All generated files, for assertion messages.</summary>
        public string Dump() => string.Join("\n", Generated.Select(kv => $"==== {kv.Key}\n{kv.Value}")) + "\n==== errors\n"
            + string.Join("\n", CompileErrors.Select(e => e.ToString()));
    }

    public static Result Run(params string[] sources) => Run(Array.Empty<MetadataReference>(), sources);

    /// <summary>As <see cref="Run(string[])"/>, with more assemblies referenced (an op library compiled separately).</summary>
    public static Result Run(IEnumerable<MetadataReference> extraReferences, params string[] sources)
    {
        var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Layer{i}.cs")).ToArray();
        var compilation = CSharpCompilation.Create(
            "Layers" + Interlocked.Increment(ref _counter),
            trees,
            References.Concat(extraReferences),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release));

        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new LayerGenGenerator().AsSourceGenerator() }, parseOptions: ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var run = driver.GetRunResult();
        var generated = run.Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs") == true)).ToList();

        var analyzerDiagnostics = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ForwardAnalyzer()))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        return new Result(output, generated, errors, analyzerDiagnostics, generatorDiagnostics);
    }

    /// <summary>Generates, compiles without errors (else fails with the generated code) and loads the assembly.</summary>
    public static Assembly Load(params string[] sources)
    {
        var result = Run(sources);
        if (Environment.GetEnvironmentVariable("LAYERGEN_DUMP") is { Length: > 0 } dump)
        {
            Directory.CreateDirectory(dump);
            foreach (var (name, text) in result.Generated)
                File.WriteAllText(Path.Combine(dump, name), text);
            File.AppendAllText(Path.Combine(dump, "errors.txt"), string.Join("\n", result.CompileErrors) + "\n");
        }
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        using var stream = new MemoryStream();
        var emit = result.Output.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }

    /// <summary>Invokes a public static method without arguments.</summary>
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
}
