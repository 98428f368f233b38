using System.Diagnostics;
using System.Text;
using LayerGen.Generator.Emit;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit.Abstractions;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// The generator on a project of 200 layers (Dense, LayerNorm from primitives, MLP with a loss over two sublayers;
/// 20 files), with the cost split into what any semantic generator pays (building the compilation and binding the
/// method bodies) and the generator's own work (parse → model, differentiate + plan + emit).
/// Always checks that every layer is generated; prints the timings, and with <c>LAYERGEN_TIMING=1</c> also asserts
/// the budget (the generator's own code, parser + differentiate/plan/emit, ≤ 300 ms) — timing asserts are opt-in because CI machines are shared.
/// Run: <c>LAYERGEN_TIMING=1 dotnet test tests/LayerGen.Generator.Core.Tests -c Release --filter GeneratorTiming --logger "console;verbosity=detailed"</c>.
/// </summary>
public class GeneratorTimingTests(ITestOutputHelper output)
{
    private const int Layers = 200;
    private const int Files = 20;

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private static string Source(int file)
    {
        var text = new StringBuilder("using LayerGen;\nnamespace Timing" + file + ";\n");
        for (int i = 0; i < Layers / Files; i++)
        {
            string name = "L" + i;
            switch (i % 3)
            {
                case 0:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            [Shape("D", "C")] public Matrix<float> W = new(4, 4);
                            [Shape(1, "C")] public Matrix<float> B = new(1, 4);
                            [Forward] public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
                        }

                        """);
                    break;
                case 1:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            public Matrix<float> Gain = new(1, 4);
                            public Matrix<float> Bias = new(1, 4);
                            [Forward]
                            public Matrix<float> Forward(Matrix<float> x)
                            {
                                var centered = Ops.Sub(x, Ops.Mean(x, 1));
                                var variance = Ops.Mean(Ops.Square(centered), 1);
                                var normalized = Ops.Div(centered, Ops.Sqrt(Ops.Add(variance, 1e-5f)));
                                return Ops.Add(Ops.Mul(normalized, Gain), Bias);
                            }
                        }

                        """);
                    break;
                default:
                    text.Append($$"""
                        public partial class {{name}}
                        {
                            public L0 Hidden = new();
                            public L0 Output = new();
                            [Forward]
                            public float Loss([NoGrad] Matrix<float> x, [NoGrad] int[] labels)
                                => Losses.SoftmaxCrossEntropy(Output.Forward(Ops.Tanh(Hidden.Forward(x))), labels);
                        }

                        """);
                    break;
            }
        }
        return text.ToString();
    }

    private static readonly SyntaxTree[] Trees =
        Enumerable.Range(0, Files).Select(f => CSharpSyntaxTree.ParseText(Source(f), Parse, path: $"Timing{f}.cs")).ToArray();

    private static CSharpCompilation NewCompilation() => CSharpCompilation.Create("Timing", Trees,
        Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(Matrix<>).Assembly.Location)),
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    private static GeneratorDriver NewDriver(bool track = false) => CSharpGeneratorDriver.Create(
        new[] { new LayerGenGenerator().AsSourceGenerator() }, parseOptions: Parse,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

    private static double Ms(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }

    [Fact]
    public void Generator_on_200_layers()
    {
        // First run in this process: JIT of Roslyn's binder and of the generator included.
        double first = Ms(() => NewDriver().RunGenerators(NewCompilation()));

        var run = NewDriver().RunGenerators(NewCompilation()).GetRunResult();
        Assert.Empty(run.Diagnostics);
        var generated = run.Results[0].GeneratedSources;
        Assert.True(generated.Length >= Layers * 2, $"expected ≥ {Layers * 2} files, got {generated.Length}");
        Assert.DoesNotContain(generated, s => s.SourceText.ToString().Contains("#error"));

        const int runs = 7;
        // (a) what any semantic generator pays: a fresh compilation with every method body bound.
        double bind = Median(Enumerable.Range(0, runs).Select(_ => Ms(() => NewCompilation().GetDiagnostics())));
        // cold: a new driver on a fresh compilation (the generator binds the [Forward] bodies itself).
        double cold = Median(Enumerable.Range(0, runs).Select(_ => Ms(() => NewDriver().RunGenerators(NewCompilation()))));
        // (b) the generator's own work: a new driver on a compilation whose bodies are already bound.
        var samples = new List<(double Total, double Parse)>();
        var models = new List<ForwardMethodModel>();
        for (int r = 0; r < runs; r++)
        {
            var compilation = NewCompilation();
            compilation.GetDiagnostics();
            GeneratorDriver driver = NewDriver(track: true);
            double total = Ms(() => driver = driver.RunGenerators(compilation));
            var result = driver.GetRunResult().Results[0];
            // Every tracked step (the attribute search's own steps included), not only the named ones.
            double parse = result.TrackedSteps.Where(kv => kv.Key != TrackingNames.Layers).Sum(kv => kv.Value.Sum(s => s.ElapsedTime.TotalMilliseconds));
            if (r == 0)
                output.WriteLine(string.Join("\n", result.TrackedSteps.Select(kv => $"  step {kv.Key}: {kv.Value.Sum(s => s.ElapsedTime.TotalMilliseconds):F1} ms")));
            samples.Add((total, parse));
            if (r == 0)
                models.AddRange(result.TrackedSteps[TrackingNames.ForwardMethods].SelectMany(s => s.Outputs).Select(o => (ForwardMethodModel)o.Value));
        }
        double own = Median(samples.Select(s => s.Total));
        double parseStep = Median(samples.Select(s => s.Parse));
        // Of (b), what the semantic model pays to bind the [Forward] bodies (GetOperation), which the parser needs.
        double operations = Median(Enumerable.Range(0, runs).Select(_ =>
        {
            var compilation = NewCompilation();
            compilation.GetDiagnostics();
            return Ms(() =>
            {
                foreach (var tree in compilation.SyntaxTrees)
                {
                    var semanticModel = compilation.GetSemanticModel(tree);
                    foreach (var method in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>())
                    {
                        semanticModel.GetDeclaredSymbol(method);
                        semanticModel.GetOperation((SyntaxNode?)method.Body ?? method.ExpressionBody!);
                    }
                }
            });
        }));
        // The parser alone (symbols + bound operations → model), and the type-level facts it captures per method.
        var bound = new List<(IMethodSymbol Method, IOperation? Body)>();
        {
            var compilation = NewCompilation();
            foreach (var tree in compilation.SyntaxTrees)
            {
                var semanticModel = compilation.GetSemanticModel(tree);
                foreach (var method in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>())
                {
                    if (method.AttributeLists.Count > 0 && semanticModel.GetDeclaredSymbol(method) is { } symbol)
                        bound.Add((symbol, semanticModel.GetOperation((SyntaxNode?)method.Body ?? method.ExpressionBody!)));
                }
            }
        }
        double parser = Median(Enumerable.Range(0, runs).Select(_ => Ms(() =>
        {
            foreach (var (method, body) in bound)
                Parsing.ForwardParser.Parse(method, body, CancellationToken.None);
        })));
        double typeFacts = Median(Enumerable.Range(0, runs).Select(_ => Ms(() =>
        {
            foreach (var (method, _) in bound)
                Parsing.Symbols.LayerType(method.ContainingType, Parsing.Symbols.ElementTypeOf(method), CancellationToken.None);
        })));
        // Differentiate + plan + emit alone, from the models.
        double emit = Median(Enumerable.Range(0, runs).Select(_ => Ms(() =>
        {
            foreach (var model in models)
                Emitter.EmitMethod(model, model.Body!);
        })));

        double plan = Median(Enumerable.Range(0, runs).Select(_ => Ms(() =>
        {
            foreach (var model in models)
                Planning.MethodPlan.Create(model, model.Body!);
        })));

        double shapeAsserts = Median(Enumerable.Range(0, runs).Select(_ => Ms(() =>
        {
            foreach (var model in models)
                Emit.ShapeAssertEmitter.Emit(new SourceWriter(), model, model.Body!);
        })));

        string report = $"""
            LayerGen generator, {Layers} layers in {Files} files ({models.Count} [Forward] methods), median of {runs}; load average {LoadAverage()}; {Environment.ProcessorCount} cores
              first run in process (JIT cold), new driver + fresh compilation:            {first,8:F1} ms
              (a) fresh compilation + bind all bodies (GetDiagnostics), no generator:     {bind,8:F1} ms
              cold: new driver + fresh compilation:                                      {cold,8:F1} ms
              new driver on a compilation already bound by GetDiagnostics:               {own,8:F1} ms
                (Roslyn does not share bound bodies between GetDiagnostics and a generator's SemanticModel, so this still binds)
                tracked steps before grouping (find [Forward], bind, parse → model):     {parseStep,8:F1} ms
                binding the [Forward] bodies alone (GetOperation, any semantic generator): {operations,8:F1} ms
              (b) the generator's own code:                                              {parser + emit,8:F1} ms
                parser (bound symbols + operations → model):                             {parser,8:F1} ms
                  of which the layer type's facts (members, sublayers, partial):         {typeFacts,8:F1} ms
                differentiate + plan + emit (from the models):                           {emit,8:F1} ms
                  of which differentiate + plan:                                         {plan,8:F1} ms
                  of which the runtime shape asserts (shape inference per method):       {shapeAsserts,8:F1} ms
            """;
        output.WriteLine(report);
        if (Environment.GetEnvironmentVariable("LAYERGEN_TIMING") is { Length: > 0 } timing)
        {
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "layergen-timing.txt"), report);
            Assert.True(parser + emit <= 300, report);
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => a + " " + b);
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}
