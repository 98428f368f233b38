using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.ExceptionServices;
using LayerGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace LayerGen.TestSupport;

/// <summary>
/// Compiles C# sources in memory against the .NET 10 reference assemblies and the LayerGen runtime, runs the
/// <see cref="LayerGenGenerator"/> over them the way the compiler does (and, on request, the analyzers), and loads
/// the result. Its settings are the compilation's: language version, documentation mode, optimization, unsafe code,
/// file and assembly names. <see cref="TestCompiler.Default"/> and <see cref="TestCompiler.RoslynFloor"/> are the two
/// the test projects use.
/// </summary>
/// <remarks>
/// Set the environment variable <c>LAYERGEN_DUMP</c> to a folder to have <see cref="CompileResult.Load"/> write every
/// generated file there (and append the compile errors to <c>errors.txt</c>).
/// </remarks>
public sealed class InMemoryCompiler
{
    private static int _assemblyCounter;

    /// <summary>The .NET 10 reference assemblies, the LayerGen runtime and this assembly (whose
    /// <see cref="NumericalGradient"/> in-memory check code may call).</summary>
    public static readonly ImmutableArray<MetadataReference> References =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(Matrix<>).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(InMemoryCompiler).Assembly.Location),
    ];

    /// <summary>The C# language version of the sources and of the generated code.</summary>
    public LanguageVersion LanguageVersion { get; init; } = LanguageVersion.Latest;

    /// <summary><see cref="DocumentationMode.Diagnose"/> also reports malformed XML doc comments (as warnings).</summary>
    public DocumentationMode DocumentationMode { get; init; } = DocumentationMode.Diagnose;

    /// <summary>The optimization level of the compiled assembly.</summary>
    public OptimizationLevel OptimizationLevel { get; init; } = OptimizationLevel.Release;

    /// <summary>Whether the sources may contain unsafe code.</summary>
    public bool AllowUnsafe { get; init; }

    /// <summary>Source file i is named <c>{FileNamePrefix}{i}.cs</c>.</summary>
    public string FileNamePrefix { get; init; } = "Layer";

    /// <summary>The assembly name; null: a fresh name per compilation (<c>Layers1</c>, <c>Layers2</c>, …), so that
    /// several compiled assemblies can be loaded into one process.</summary>
    public string? AssemblyName { get; init; }

    /// <summary>The parse options of the sources (also the generator driver's).</summary>
    public CSharpParseOptions ParseOptions => _parseOptions ??= new CSharpParseOptions(LanguageVersion, DocumentationMode);

    private CSharpParseOptions? _parseOptions;

    /// <summary>A library compilation of <paramref name="sources"/> (nullable enabled), not yet run through the generator.</summary>
    public CSharpCompilation Compile(params string[] sources) => Compile([], sources);

    /// <summary>As <see cref="Compile(string[])"/>, with more assemblies referenced (an op library compiled separately).</summary>
    public CSharpCompilation Compile(IEnumerable<MetadataReference> extraReferences, params string[] sources) =>
        CSharpCompilation.Create(
            AssemblyName ?? "Layers" + Interlocked.Increment(ref _assemblyCounter),
            sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"{FileNamePrefix}{i}.cs")),
            References.Concat(extraReferences),
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel,
                allowUnsafe: AllowUnsafe));

    /// <summary>A driver for the generator; <paramref name="trackSteps"/> records every step for caching tests.</summary>
    public GeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            [new LayerGenGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator once over <paramref name="compilation"/> (no analyzers).</summary>
    public CompileResult Generate(Compilation compilation) => Generate(compilation, analyzers: []);

    /// <summary>Compiles <paramref name="sources"/>, runs the generator and the <see cref="ForwardAnalyzer"/>.</summary>
    public CompileResult Run(params string[] sources) => Run([], sources);

    /// <summary>As <see cref="Run(string[])"/>, with more assemblies referenced (an op library compiled separately).</summary>
    public CompileResult Run(IEnumerable<MetadataReference> extraReferences, params string[] sources) =>
        Generate(Compile(extraReferences, sources), [new ForwardAnalyzer()]);

    /// <summary>Generates, compiles without errors (else fails with the generated code) and loads the assembly.</summary>
    public Assembly Load(params string[] sources) => Run(sources).Load();

    /// <summary>
    /// The diagnostics of <paramref name="analyzers"/> (default: the <see cref="ShapeAnalyzer"/> and the
    /// <see cref="ForwardAnalyzer"/>) on <paramref name="source"/>, which must compile; hidden LG1100 suggestions are
    /// left out unless <paramref name="includeSuggestions"/>. Ordered by position.
    /// </summary>
    public IReadOnlyList<Diagnostic> Analyze(string source, bool includeSuggestions = false, params DiagnosticAnalyzer[] analyzers)
    {
        var compilation = Compile(source);
        var compileErrors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(compileErrors.Count == 0, string.Join("\n", compileErrors));
        if (analyzers.Length == 0)
            analyzers = [new ShapeAnalyzer(), new ForwardAnalyzer()];
        return compilation.WithAnalyzers([.. analyzers]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => includeSuggestions || d.Id != "LG1100")
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToList();
    }

    /// <summary>The errors of a compilation, one per line, with their locations (empty when there are none).</summary>
    public static string Errors(Compilation compilation) =>
        string.Join(Environment.NewLine, compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => $"{d.Location.SourceTree?.FilePath}{d.Location.GetLineSpan().StartLinePosition}: {d.Id} {d.GetMessage()}"));

    /// <summary>Invokes a public static parameterless method of a loaded assembly, rethrowing what the method threw.</summary>
    public static object? Invoke(Assembly assembly, string type, string method)
    {
        var t = assembly.GetType(type) ?? throw new InvalidOperationException($"no type {type}");
        try
        {
            return t.GetMethod(method)!.Invoke(null, null);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private CompileResult Generate(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var analyzerDiagnostics = analyzers.IsEmpty
            ? []
            : compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        return new CompileResult(driver.GetRunResult(), output, generatorDiagnostics, analyzerDiagnostics);
    }
}

/// <summary>
/// One generator run over a compilation: the driver's result, the compilation with the generated trees added, the
/// driver's and (when asked for) the analyzers' diagnostics.
/// </summary>
public sealed record CompileResult(
    GeneratorDriverRunResult RunResult,
    Compilation Output,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    ImmutableArray<Diagnostic> AnalyzerDiagnostics)
{
    /// <summary>The generated files, by hint name.</summary>
    public IReadOnlyDictionary<string, string> Generated { get; } =
        RunResult.Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString(), StringComparer.Ordinal);

    /// <summary>The errors of <see cref="Output"/>, and its warnings in generated files (users build with warnings as errors).</summary>
    public IReadOnlyList<Diagnostic> CompileErrors => _compileErrors ??= Output.GetDiagnostics()
        .Where(d => d.Severity == DiagnosticSeverity.Error
                    || (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true))
        .ToList();

    private IReadOnlyList<Diagnostic>? _compileErrors;

    /// <summary>All generated files and the compile errors, for assertion messages.</summary>
    public string Dump() => string.Join("\n", Generated.Select(kv => $"==== {kv.Key}\n{kv.Value}")) + "\n==== errors\n"
        + string.Join("\n", CompileErrors.Select(e => e.ToString()));

    /// <summary>Asserts that <see cref="Output"/> compiles without <see cref="CompileErrors"/> (else fails with the generated
    /// code), emits it and loads it. Honours <c>LAYERGEN_DUMP</c> (see <see cref="InMemoryCompiler"/>).</summary>
    public Assembly Load()
    {
        if (Environment.GetEnvironmentVariable("LAYERGEN_DUMP") is { Length: > 0 } dump)
        {
            Directory.CreateDirectory(dump);
            foreach (var (name, text) in Generated)
                File.WriteAllText(Path.Combine(dump, name), text);
            File.AppendAllText(Path.Combine(dump, "errors.txt"), string.Join("\n", CompileErrors) + "\n");
        }
        Assert.True(CompileErrors.Count == 0, Dump());
        using var stream = new MemoryStream();
        var emit = Output.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }
}
