using System.Text;
using BenchmarkDotNet.Attributes;
using LayerGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LayerGen.Benchmarks;

/// <summary>
/// How long the generator takes on a project of 200 layers (Dense, LayerNorm-from-primitives and two-sublayer
/// MLP-with-loss variants, in 20 files): cold (a new driver and a fresh compilation each run, as for a command-line
/// build) and warm (an IDE-style rerun of the same driver after an edit of an unrelated file).
/// Run: <c>dotnet run -c Release --project tests/LayerGen.Benchmarks -- --filter '*TrainingGeneratorBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class TrainingGeneratorBenchmarks
{
    private const int Layers = 200;
    private SyntaxTree[] _trees = [];
    private MetadataReference[] _references = [];
    private CSharpParseOptions _parseOptions = null!;
    private GeneratorDriver _warmDriver = null!;
    private CSharpCompilation _compilation = null!;
    private int _edit;

    [GlobalSetup]
    public void Setup()
    {
        _parseOptions = new CSharpParseOptions(LanguageVersion.CSharp12);
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        _references = [.. platform.Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => MetadataReference.CreateFromFile(p)),
            MetadataReference.CreateFromFile(typeof(Matrix<float>).Assembly.Location)];
        _trees = [.. Enumerable.Range(0, 20).Select(file => CSharpSyntaxTree.ParseText(Source(file, Layers / 20), _parseOptions, path: $"Layers{file}.cs")),
            CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int Value => 0; }", _parseOptions, path: "Unrelated.cs")];
        _compilation = NewCompilation();
        var errors = _compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("benchmark input does not compile: " + string.Join("\n", errors.Take(5)));
        var run = Cold();
        if (run.GeneratedTrees.Length < Layers * 2)
            throw new InvalidOperationException($"expected ≥ {Layers * 2} generated files, got {run.GeneratedTrees.Length}");
        _warmDriver = NewDriver().RunGenerators(_compilation);
    }

    /// <summary>A fresh compilation and a new driver: everything computed from scratch.</summary>
    [Benchmark(Baseline = true)]
    public GeneratorDriverRunResult Cold() => NewDriver().RunGenerators(NewCompilation()).GetRunResult();

    /// <summary>The same driver after an edit of a file without layers: the pipeline should serve its cache.</summary>
    [Benchmark]
    public GeneratorDriverRunResult WarmAfterUnrelatedEdit()
    {
        var old = _compilation.SyntaxTrees.Last();
        var edited = _compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(
            $"namespace Other; public class Unrelated {{ public int Value => {++_edit}; }}", _parseOptions, path: old.FilePath));
        _compilation = edited;
        _warmDriver = _warmDriver.RunGenerators(edited);
        return _warmDriver.GetRunResult();
    }

    private GeneratorDriver NewDriver() =>
        CSharpGeneratorDriver.Create([new LayerGenGenerator().AsSourceGenerator()], parseOptions: _parseOptions);

    private CSharpCompilation NewCompilation() =>
        CSharpCompilation.Create("TwoHundredLayers", _trees, _references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>One file of <paramref name="count"/> layers, cycling through three kinds.</summary>
    private static string Source(int file, int count)
    {
        var text = new StringBuilder("using LayerGen;\n\nnamespace Generated.Layers" + file + ";\n\n");
        for (int i = 0; i < count; i++)
        {
            string name = $"L{file}_{i}";
            switch (i % 3)
            {
                case 0:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            [Shape("D", "C")] public Matrix<float> W = null!;
                            [Shape(1, "C")] public Matrix<float> B = null!;
                            [Forward] public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
                        }

                        """);
                    break;
                case 1:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            [Shape(1, "D")] public Matrix<float> Gamma = null!, Beta = null!;
                            [Forward]
                            public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x)
                            {
                                var centered = Ops.Sub(x, Ops.Mean(x, 1));
                                var deviation = Ops.Sqrt(Ops.Add(Ops.Mean(Ops.Square(centered), 1), 1e-5f));
                                return Ops.Add(Ops.Mul(Ops.Div(centered, deviation), Gamma), Beta);
                            }
                        }

                        """);
                    break;
                default:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            public L{{file}}_{{i - 2}} First = null!, Second = null!;
                            [Forward]
                            public float Loss([NoGrad] Matrix<float> x, int[] labels)
                                => Losses.SoftmaxCrossEntropy(Ops.Tanh(Second.Forward(First.Forward(x))), labels);
                        }

                        """);
                    break;
            }
        }
        return text.ToString();
    }
}
