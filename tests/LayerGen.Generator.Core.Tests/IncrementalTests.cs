using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LayerGen.Generator.Core.Tests;

/// <summary>The pipeline's models are value-equatable and free of Roslyn objects, so unrelated edits stay cached.</summary>
public class IncrementalTests
{
    private const string Source = """
        using LayerGen;
        namespace Nn;
        public partial class Dense
        {
            public Matrix<double> W = Matrix<double>.Ones(2, 2);
            [Forward] public Matrix<double> Forward(Matrix<double> x) => Ops.Relu(x * W);
        }
        """;

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) Start(params string[] sources)
    {
        var result = TestCompiler.Run(sources);
        var compilation = (CSharpCompilation)result.Output.RemoveAllSyntaxTrees()
            .AddSyntaxTrees(sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, TestCompiler.ParseOptions, path: $"Layer{i}.cs")));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new LayerGenGenerator().AsSourceGenerator() },
            parseOptions: TestCompiler.ParseOptions, driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);
        return (driver, compilation);
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results[0].TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    [Fact]
    public void Unrelated_edit_keeps_every_step_cached()
    {
        var (driver, compilation) = Start(Source, "class Unrelated { }");
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("class Unrelated { int field; }", TestCompiler.ParseOptions, path: "Layer1.cs"));
        driver = driver.RunGenerators(edited);
        Assert.All(Reasons(driver, TrackingNames.ForwardMethods), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(driver, TrackingNames.Layers), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
    }

    [Fact]
    public void Relevant_edit_modifies_the_method_model()
    {
        var (driver, compilation) = Start(Source);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.First(),
            CSharpSyntaxTree.ParseText(Source.Replace("Ops.Relu", "Ops.Tanh"), TestCompiler.ParseOptions, path: "Layer0.cs"));
        driver = driver.RunGenerators(edited);
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(driver, TrackingNames.ForwardMethods));
        // the type's facts did not change: its Gradients model is unchanged
        Assert.DoesNotContain(IncrementalStepRunReason.Modified, Reasons(driver, TrackingNames.Layers));
    }

    [Fact]
    public void Models_hold_no_roslyn_objects()
    {
        var (driver, _) = Start(Source);
        var outputs = driver.GetRunResult().Results[0].TrackedSteps[TrackingNames.ForwardMethods]
            .Concat(driver.GetRunResult().Results[0].TrackedSteps[TrackingNames.Layers])
            .SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        Assert.NotEmpty(outputs);
        foreach (var output in outputs)
            Walk(output, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private static void Walk(object? value, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
            return;
        var type = value.GetType();
        Assert.False(type.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true
                     && !type.Namespace.StartsWith("Microsoft.CodeAnalysis.Text", StringComparison.Ordinal),
            $"Roslyn object {type} in a pipeline model");
        if (value is IEnumerable sequence)
        {
            foreach (var item in sequence)
                Walk(item, seen);
            return;
        }
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            Walk(field.GetValue(value), seen);
    }
}
