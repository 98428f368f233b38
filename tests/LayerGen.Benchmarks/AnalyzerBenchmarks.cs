using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using LayerGen.Generator;
using LayerGen.Generator.Model;
using LayerGen.Generator.Parsing;
using LayerGen.Generator.Shapes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LayerGen.Benchmarks;

/// <summary>
/// What shape checking costs per <c>[Forward]</c> method while typing: a realistic 20-op layer (a GRU step as PyTorch
/// defines it: 6 products, 8 broadcasting adds and subtractions, 3 activations, 2 element-wise gates). Target: median ≤ 1 ms per method.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>ParseAndInfer</c>: the analyzer's own work for one method (the generator's parser over IOperation plus
/// shape inference), on an already-bound method: what an edit costs beyond Roslyn's binding.</item>
/// <item><c>Infer</c>: shape inference alone, from the equatable model.</item>
/// <item><c>ShapeAnalyzer</c> vs <c>EmptyAnalyzer</c> (baseline): the whole analyzer driver over a fresh compilation of the
/// layer (binding included); the difference is the shape analyzer's share.</item>
/// </list>
/// Run: <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- --filter '*AnalyzerBenchmarks*'</c>.
/// </remarks>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
[MemoryDiagnoser]
[MedianColumn]
public class AnalyzerBenchmarks
{
    /// <summary>The benchmarked layer: 20 ops over declared shapes.</summary>
    public const string GruStep = """
        using LayerGen;

        public partial class GruCell
        {
            [Shape("D", "H")] public Matrix<float> Wz = null!, Wr = null!, Wn = null!;
            [Shape("H", "H")] public Matrix<float> Uz = null!, Ur = null!, Un = null!;
            [Shape(1, "H")] public Matrix<float> Bz = null!, Br = null!, Bn = null!, Bhn = null!;

            [Forward]
            [return: Shape("N", "H")]
            public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x, [Shape("N", "H")] Matrix<float> h)
            {
                var z = Ops.Sigmoid(x * Wz + h * Uz + Bz);
                var r = Ops.Sigmoid(x * Wr + h * Ur + Br);
                var n = Ops.Tanh(x * Wn + Bn + Ops.Mul(r, h * Un + Bhn));
                return n + Ops.Mul(z, h - n);
            }
        }
        """;

    private CSharpCompilation _compilation = null!;
    private IMethodSymbol _method = null!;
    private IOperation _body = null!;
    private ForwardMethodModel _model = null!;
    private ImmutableArray<DiagnosticAnalyzer> _shapeAnalyzer;
    private ImmutableArray<DiagnosticAnalyzer> _emptyAnalyzer;

    [GlobalSetup]
    public void Setup()
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(Matrix<>).Assembly.Location));
        _compilation = CSharpCompilation.Create("Bench", new[] { CSharpSyntaxTree.ParseText(GruStep) }, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = _compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException(string.Join("\n", errors));
        var tree = _compilation.SyntaxTrees[0];
        var semanticModel = _compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Single();
        _method = semanticModel.GetDeclaredSymbol(declaration)!;
        _body = semanticModel.GetOperation(declaration.Body!)!;
        _model = ForwardParser.Parse(_method, _body, CancellationToken.None).Model!;
        int ops = _model.Body!.Instructions.Count(i => i.Op is not (OpKind.Input or OpKind.Parameter or OpKind.Constant));
        if (ops < 20)
            throw new InvalidOperationException($"the layer has {ops} ops, fewer than 20");
        if (ShapeInference.Infer(_model).Problems.Any(p => p.Id != "LG1100"))
            throw new InvalidOperationException("the benchmarked layer must be free of shape errors");
        _shapeAnalyzer = ImmutableArray.Create<DiagnosticAnalyzer>(new ShapeAnalyzer());
        _emptyAnalyzer = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyOperationBlockAnalyzer());
    }

    [Benchmark]
    public int ParseAndInfer()
    {
        var parsed = ForwardParser.Parse(_method, _body, CancellationToken.None);
        return ShapeInference.Infer(parsed.Model!).Problems.Count;
    }

    [Benchmark]
    public int Infer() => ShapeInference.Infer(_model).Problems.Count;

    [Benchmark(Baseline = true)]
    public int EmptyAnalyzer() => Analyze(_emptyAnalyzer);

    [Benchmark]
    public int ShapeAnalyzer() => Analyze(_shapeAnalyzer);

    private int Analyze(ImmutableArray<DiagnosticAnalyzer> analyzers) =>
        // A fresh clone each time: nothing bound, as after an edit.
        _compilation.Clone().WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult().Length;

    // A measuring stick that is never shipped or loaded by a compiler: the rules for shipped analyzers do not apply.
#pragma warning disable RS1001, RS1036, RS1041, RS2008
    /// <summary>The baseline: an analyzer that asks for the same operation blocks and does nothing with them.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class EmptyOperationBlockAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Never = new("BENCH0001", "never", "never", "bench", DiagnosticSeverity.Hidden, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterOperationBlockAction(static _ => { });
        }
    }
#pragma warning restore RS1001, RS1036, RS1041, RS2008
}
