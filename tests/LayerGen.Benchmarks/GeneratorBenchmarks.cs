using System.Text;
using BenchmarkDotNet.Attributes;
using LayerGen.Generator;
using LayerGen.Generator.Emit;
using LayerGen.Generator.Model;
using LayerGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LayerGen.Benchmarks;

/// <summary>
/// What the generator costs in the IDE and per build (issue 7, item 6: target ≤ 100 ms per unrelated edit at 200
/// layers, ≤ 150 ms per compile of a 76-method app). Replaces the opt-in timing test: a measurement, not an assert.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>Cold200Layers</c> (baseline): a new driver on a fresh compilation of 200 layers (Dense, LayerNorm from
/// primitives, an MLP with a loss over two sublayers; 20 files): everything computed, binding the bodies included.</item>
/// <item><c>UnrelatedEdit200Layers</c>: the same driver rerun after an edit of a file without layers (an IDE keystroke
/// elsewhere). Its outputs are served from the cache (checked in setup, with a driver that tracks its steps; the measured
/// drivers do not track them, as in the IDE); Roslyn reruns every method's transform, which
/// the model cache (<c>ModelCache</c>) answers without binding. <c>UnrelatedEdit200LayersUncached</c>: the same with the
/// model cache switched off (every body bound again, as before it). <c>…Tracked</c> and <c>…TrackedUncached</c>: both
/// with a driver that tracks its steps, as this benchmark measured before the model cache.</item>
/// <item><c>ForwardBodyEdit200Layers</c>: a keystroke inside one <c>[Forward]</c> body (a constant of one LayerNorm,
/// alternating between two values): that method is bound again, the 199 others come from the model cache; setup checks
/// the outputs equal a fresh compilation's.</item>
/// <item><c>CompilationKey200Layers</c>: the model cache's key of a new compilation after the unrelated edit (one tree
/// re-hashed, 21 reused); <c>SurfaceHash200Layers</c>: the declaration surfaces of all 22 trees from scratch.</item>
/// <item><c>RoslynFloor200Layers</c>: the unrelated edit with a generator whose transform binds nothing (it reads the
/// method's name): what <c>ForAttributeWithMetadataName</c> itself costs on a new compilation, the floor of any cache.</item>
/// <item><c>Parse200Layers</c> and <c>Emit200Layers</c>: the generator's own code alone, from bound operations to models
/// and from models to text (differentiate, plan, emit); <c>TypeFacts200Layers</c>: of the parser, the type-level facts
/// (<c>Symbols.LayerType</c>) it captures for every method.</item>
/// <item><c>CompileApp76Methods</c>: a new driver on a fresh compilation of an app of 76 <c>[Forward]</c> methods (the
/// repository's own layers: every op layer, the golden-test layers, the samples, the training benchmarks, topped up
/// with Dense layers), as one <c>csc</c> run pays it.</item>
/// </list>
/// Run: <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- --filter '*GeneratorBenchmarks*' --job short</c>.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class GeneratorBenchmarks
{
    private const int Layers = 200;
    private const int Files = 20;
    private const int AppMethods = 76;

    private CSharpParseOptions _parseOptions = null!;
    private MetadataReference[] _references = [];
    private SyntaxTree[] _layerTrees = [];
    private SyntaxTree[] _appTrees = [];
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warm = null!;
    private CSharpCompilation _bodyEdited = null!;
    private GeneratorDriver _warmBody = null!;
    private int _bodyEdit;
    private CSharpCompilation _keyed = null!;
    private int _keyEdit;
    private CSharpCompilation _floorEdited = null!;
    private GeneratorDriver _floor = null!;
    private List<(IMethodSymbol Method, IOperation? Body)> _bound = [];
    private List<ForwardMethodModel> _models = [];
    private int _edit;

    [GlobalSetup]
    public void Setup()
    {
        _parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        _references = [.. platform.Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => MetadataReference.CreateFromFile(p)),
            MetadataReference.CreateFromFile(typeof(Matrix<float>).Assembly.Location)];
        var usings = CSharpSyntaxTree.ParseText("global using System; global using System.Collections.Generic; global using System.Linq;", _parseOptions, path: "Usings.cs");

        _layerTrees = [.. Enumerable.Range(0, Files).Select(f => CSharpSyntaxTree.ParseText(LayerSource(f), _parseOptions, path: $"Layers{f}.cs")),
            CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int Value => 0; }", _parseOptions, path: "Unrelated.cs"), usings];
        var layers = Compilation(_layerTrees);
        Require(layers, Layers, "200 layers");

        // The unrelated edit: after one run, the second one must serve every output from the cache. Checked with a
        // driver that tracks its steps; the measured driver does not (as in the IDE: tracking alone costs ~200 ms here).
        _edited = layers;
        _bodyEdit = 0;
        _warm = NewDriver(track: true).RunGenerators(layers);
        UnrelatedEdit200Layers();
        var steps = _warm.GetRunResult().Results[0].TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(s => s.Outputs);
        if (steps.Any(o => o.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged)))
            throw new InvalidOperationException("an unrelated edit changed a generator output");
        _warm = NewDriver().RunGenerators(_edited);

        // The keystroke in one [Forward] body: after two edits (there and back and there again), the outputs must be
        // exactly those of a fresh compilation that shares nothing with the cache.
        _bodyEdited = layers;
        _warmBody = NewDriver().RunGenerators(layers);
        ForwardBodyEdit200Layers();
        ForwardBodyEdit200Layers();
        ForwardBodyEdit200Layers();
        var fresh = NewDriver().RunGenerators(CSharpCompilation.Create("Fresh",
                _bodyEdited.SyntaxTrees.Select(t => CSharpSyntaxTree.ParseText(t.ToString(), _parseOptions, path: t.FilePath)), _references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true)))
            .GetRunResult().Results[0].GeneratedSources.ToDictionary(g => g.HintName, g => g.SourceText.ToString());
        var served = _warmBody.GetRunResult().Results[0].GeneratedSources;
        if (served.Length != fresh.Count || served.Any(g => !fresh.TryGetValue(g.HintName, out var text) || text != g.SourceText.ToString()))
            throw new InvalidOperationException("after a [Forward] body edit, the outputs differ from a fresh compilation's");
        if (!served.Any(g => g.SourceText.ToString().Contains("1E-06", StringComparison.OrdinalIgnoreCase) || g.SourceText.ToString().Contains("1e-6f", StringComparison.Ordinal)))
            throw new InvalidOperationException("the [Forward] body edit is not in the generated code");
        _keyed = layers;

        // The generator's own code: bound bodies → models → text.
        foreach (var tree in layers.SyntaxTrees)
        {
            var semanticModel = layers.GetSemanticModel(tree);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                if (method.AttributeLists.Count > 0 && semanticModel.GetDeclaredSymbol(method) is { } symbol && Symbols.IsForward(symbol))
                    _bound.Add((symbol, semanticModel.GetOperation((SyntaxNode?)method.Body ?? method.ExpressionBody!)));
            }
        }
        _models = [.. _bound.Select(b => ForwardParser.Parse(b.Method, b.Body, CancellationToken.None).Model!).Where(m => m.Body is not null)];
        if (_models.Count != Layers)
            throw new InvalidOperationException($"expected {Layers} models without errors, got {_models.Count}");

        _appTrees = [.. AppSources().Select(s => CSharpSyntaxTree.ParseText(s.Text, _parseOptions, path: s.Path)), usings];
        Require(Compilation(_appTrees), AppMethods, "the app");
    }

    /// <summary>A new driver on a fresh compilation of 200 layers: everything from scratch.</summary>
    [Benchmark(Baseline = true)]
    public GeneratorDriverRunResult Cold200Layers() => NewDriver().RunGenerators(Compilation(_layerTrees)).GetRunResult();

    /// <summary>The same driver after an edit of a file without layers.</summary>
    [Benchmark]
    public GeneratorDriverRunResult UnrelatedEdit200Layers()
    {
        var old = _edited.SyntaxTrees.First(t => t.FilePath == "Unrelated.cs");
        _edited = _edited.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(
            $"namespace Other; public class Unrelated {{ public int Value => {++_edit}; }}", _parseOptions, path: old.FilePath));
        _warm = _warm.RunGenerators(_edited);
        return _warm.GetRunResult();
    }

    /// <summary>As <see cref="UnrelatedEdit200Layers"/>, with the model cache off: every body bound again.</summary>
    [GlobalSetup(Target = nameof(UnrelatedEdit200LayersUncached))]
    public void SetupUncached()
    {
        Setup();
        ModelCache.Enabled = false;
        UnrelatedEdit200Layers();
    }

    /// <summary>The same driver after an edit of a file without layers, without the model cache.</summary>
    [Benchmark]
    public GeneratorDriverRunResult UnrelatedEdit200LayersUncached() => UnrelatedEdit200Layers();

    /// <summary>As <see cref="UnrelatedEdit200Layers"/>, with a driver that tracks its steps (as the earlier runs of this benchmark did).</summary>
    [GlobalSetup(Target = nameof(UnrelatedEdit200LayersTracked))]
    public void SetupTracked() => SetupTracked(cache: true);

    /// <summary>As <see cref="SetupTracked()"/>, with the model cache off.</summary>
    [GlobalSetup(Target = nameof(UnrelatedEdit200LayersTrackedUncached))]
    public void SetupTrackedUncached() => SetupTracked(cache: false);

    private void SetupTracked(bool cache)
    {
        Setup();
        ModelCache.Enabled = cache;
        _warm = NewDriver(track: true).RunGenerators(_edited);
        UnrelatedEdit200Layers();
    }

    /// <summary>The unrelated edit with a step-tracking driver.</summary>
    [Benchmark]
    public GeneratorDriverRunResult UnrelatedEdit200LayersTracked() => UnrelatedEdit200Layers();

    /// <summary>The unrelated edit with a step-tracking driver, without the model cache.</summary>
    [Benchmark]
    public GeneratorDriverRunResult UnrelatedEdit200LayersTrackedUncached() => UnrelatedEdit200Layers();

    /// <summary>The same driver after a keystroke inside one [Forward] body (LayerNorm L1 of file 0: 1e-5f ⇄ 1e-6f).</summary>
    [Benchmark]
    public GeneratorDriverRunResult ForwardBodyEdit200Layers()
    {
        var old = _bodyEdited.SyntaxTrees.First(t => t.FilePath == "Layers0.cs");
        string text = LayerSource(0);
        int at = text.IndexOf("1e-5f", StringComparison.Ordinal);
        if (++_bodyEdit % 2 == 1)
            text = text.Substring(0, at) + "1e-6f" + text.Substring(at + 5);
        _bodyEdited = _bodyEdited.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(text, _parseOptions, path: old.FilePath));
        _warmBody = _warmBody.RunGenerators(_bodyEdited);
        return _warmBody.GetRunResult();
    }

    /// <summary>
    /// The floor Roslyn sets for the unrelated edit: a generator with the same <c>ForAttributeWithMetadataName</c> whose
    /// transform only reads the method's name (no binding, no parse), rerun after the same edit.
    /// </summary>
    [GlobalSetup(Target = nameof(RoslynFloor200Layers))]
    public void SetupFloor()
    {
        Setup();
        _floorEdited = Compilation(_layerTrees);
        _floor = CSharpGeneratorDriver.Create([new FloorGenerator().AsSourceGenerator()], parseOptions: _parseOptions).RunGenerators(_floorEdited);
    }

    /// <summary>See <see cref="SetupFloor"/>.</summary>
    [Benchmark]
    public GeneratorDriverRunResult RoslynFloor200Layers()
    {
        var old = _floorEdited.SyntaxTrees.First(t => t.FilePath == "Unrelated.cs");
        _floorEdited = _floorEdited.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(
            $"namespace Other; public class Unrelated {{ public int Value => {++_edit}; }}", _parseOptions, path: old.FilePath));
        _floor = _floor.RunGenerators(_floorEdited);
        return _floor.GetRunResult();
    }

    /// <summary>The same candidates as LayerGen's generator; the transform reads only the method's name.</summary>
    private sealed class FloorGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var names = context.SyntaxProvider.ForAttributeWithMetadataName(Symbols.ForwardAttributeName,
                predicate: static (node, _) => node is MethodDeclarationSyntax { AttributeLists.Count: > 0 },
                transform: static (context, _) => context.TargetSymbol.ContainingType.Name + "." + context.TargetSymbol.Name);
            context.RegisterSourceOutput(names.Collect(), static (_, _) => { });
        }
    }

    /// <summary>The model cache's key of a new compilation after an unrelated edit: one tree re-hashed.</summary>
    [Benchmark]
    public bool CompilationKey200Layers()
    {
        var old = _keyed.SyntaxTrees.First(t => t.FilePath == "Unrelated.cs");
        _keyed = _keyed.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(
            $"namespace Other; public class Unrelated {{ public int Value => {++_keyEdit}; }}", _parseOptions, path: old.FilePath));
        return ModelCache.Prepare(_keyed);
    }

    /// <summary>The declaration surfaces of the 22 trees of the 200-layer project, from scratch.</summary>
    [Benchmark]
    public int SurfaceHash200Layers() => ModelCache.HashSurfaces(_layerTrees);

    /// <summary>The parser alone on the 200 bound methods (symbols + IOperation → models).</summary>
    [Benchmark]
    public int Parse200Layers()
    {
        int n = 0;
        foreach (var (method, body) in _bound)
            n += ForwardParser.Parse(method, body, CancellationToken.None).Model?.Body?.Instructions.Count ?? 0;
        return n;
    }

    /// <summary>Of the parser, the layer type's facts it captures per method (members, sublayers, partial declarations).</summary>
    [Benchmark]
    public int TypeFacts200Layers()
    {
        int n = 0;
        foreach (var (method, _) in _bound)
            n += Symbols.LayerType(method.ContainingType, Symbols.ElementTypeOf(method), CancellationToken.None).TrainableParameters.Count;
        return n;
    }

    /// <summary>Differentiate, plan and emit the 200 models (text of every method file).</summary>
    [Benchmark]
    public int Emit200Layers()
    {
        int n = 0;
        foreach (var model in _models)
            n += MethodPipeline.Run(model).Length;
        return n;
    }

    /// <summary>A new driver on a fresh compilation of the 76-method app: one command-line build's generator work.</summary>
    [Benchmark]
    public GeneratorDriverRunResult CompileApp76Methods() => NewDriver().RunGenerators(Compilation(_appTrees)).GetRunResult();

    private GeneratorDriver NewDriver(bool track = false) => CSharpGeneratorDriver.Create(
        [new LayerGenGenerator().AsSourceGenerator()], parseOptions: _parseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

    private CSharpCompilation Compilation(SyntaxTree[] trees) => CSharpCompilation.Create("GeneratorBenchmark", trees, _references,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));

    /// <summary>Fails setup unless the input compiles, has <paramref name="methods"/> [Forward] methods and all of them generate.</summary>
    private void Require(CSharpCompilation compilation, int methods, string what)
    {
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException($"{what} does not compile: " + string.Join("\n", errors.Take(5)));
        int found = compilation.SyntaxTrees.Sum(t => ForwardMethods(t.GetRoot()));
        if (found != methods)
            throw new InvalidOperationException($"{what} has {found} [Forward] methods, expected {methods}");
        var run = NewDriver().RunGenerators(compilation).GetRunResult();
        int files = run.Results[0].GeneratedSources.Count(s => !s.HintName.EndsWith(".Gradients.g.cs", StringComparison.Ordinal));
        if (files != methods || run.Results[0].Exception is { } e)
            throw new InvalidOperationException($"{what}: {files} method files generated for {methods} methods", run.Results[0].Exception);
    }

    /// <summary>How many method declarations carry <c>[Forward]</c> (comments that mention it do not count).</summary>
    private static int ForwardMethods(SyntaxNode root) => root.DescendantNodes().OfType<MethodDeclarationSyntax>()
        .Count(m => m.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() is "Forward" or "ForwardAttribute" or "LayerGen.Forward"));

    private static string LayerSource(int file) => LayerGen.TestShared.ScaleLayers.Source(file);

    /// <summary>The app: the repository's own layer sources, topped up with Dense layers to 76 methods.</summary>
    private static List<(string Path, string Text)> AppSources()
    {
        string root = RepositoryRoot();
        var files = new List<string> { Path.Combine(root, "tests", "LayerGen.Generated.Tests", "OpLayers.cs"),
            Path.Combine(root, "tests", "LayerGen.Benchmarks", "TrainingLayers.cs"),
            Path.Combine(root, "samples", "Spiral", "Layers.cs"),
            Path.Combine(root, "samples", "RuntimeDemo", "TwoLayerMlp.cs"),
            Path.Combine(root, "samples", "SoftmaxClassifier", "SoftmaxClassifier.cs") };
        files.AddRange(Directory.GetFiles(Path.Combine(root, "tests", "LayerGen.Generator.Tests", "TestLayers"), "*.cs").OrderBy(f => f, StringComparer.Ordinal));
        var sources = files.Select(f => (Path.GetRelativePath(root, f), File.ReadAllText(f))).ToList();
        int methods = sources.Sum(s => ForwardMethods(CSharpSyntaxTree.ParseText(s.Item2).GetRoot()));
        var extra = new StringBuilder("using LayerGen;\nnamespace App.Extra;\n");
        for (int i = 0; methods + i < AppMethods; i++)
        {
            extra.Append($$"""
                public partial class Dense{{i}}
                {
                    [Shape("D", "C")] public Matrix<float> W = new(4, 4);
                    [Shape(1, "C")] public Matrix<float> B = new(1, 4);
                    [Forward] public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
                }

                """);
        }
        sources.Add(("Extra.cs", extra.ToString()));
        return sources;
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "LayerGen.sln")))
                    return directory.FullName;
            }
        }
        throw new InvalidOperationException("run the benchmark from inside the repository (LayerGen.sln not found)");
    }
}
