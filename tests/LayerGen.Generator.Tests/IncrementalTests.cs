using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LayerGen.Generator.Tests;

/// <summary>
/// The generator's incremental pipeline caches: unchanged input does no work, an unrelated edit leaves the
/// generated sources cached, an edit of a sublayer in another file is seen, and no step output holds a Roslyn
/// object (which would keep compilations alive and break equality).
/// </summary>
public sealed class IncrementalTests
{
    private static readonly string[] TrackedSteps = [TrackingNames.ForwardMethods, TrackingNames.Layers];

    [Fact]
    public void SameInputTwice_EveryTrackedStepIsCachedOrUnchanged()
    {
        var compilation = TestCompiler.RoslynFloor.Compile(TestSources.Load("Mlp.cs"), TestSources.Load("Dense.cs"));
        var driver = TestCompiler.RoslynFloor.CreateDriver(trackSteps: true).RunGenerators(compilation);
        AssertProducedOutput(driver);

        var second = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
            AssertAllReasons(second, step, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertSourceOutputs(second, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void UnrelatedEdit_OutputsAreCached()
    {
        var compilation = TestCompiler.RoslynFloor.Compile(TestSources.Load("Mlp.cs"), TestSources.Load("Dense.cs"));
        var driver = TestCompiler.RoslynFloor.CreateDriver(trackSteps: true).RunGenerators(compilation);
        AssertProducedOutput(driver);

        // A new file with an unrelated class, and an edit of an existing file outside any layer.
        var edited = compilation
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText(
                "namespace Elsewhere; public class Unrelated { public int Count() => 42; }", TestCompiler.RoslynFloor.ParseOptions, path: "Unrelated.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
            AssertAllReasons(result, step, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertSourceOutputs(result, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void CommentEditInsideLayerFile_OutputsAreCached()
    {
        string dense = TestSources.Load("Dense.cs");
        var compilation = TestCompiler.RoslynFloor.Compile(dense);
        var driver = TestCompiler.RoslynFloor.CreateDriver(trackSteps: true).RunGenerators(compilation);
        AssertProducedOutput(driver);

        // A comment after the class changes the syntax tree but not the layer: the models must compare equal.
        // (At the top it would move the lines that generated comments cite, a legitimate change of the output.)
        var oldTree = compilation.SyntaxTrees.Single();
        var newTree = CSharpSyntaxTree.ParseText(dense + "\n// a trailing comment\n", TestCompiler.RoslynFloor.ParseOptions, path: oldTree.FilePath);
        var result = driver.RunGenerators(compilation.ReplaceSyntaxTree(oldTree, newTree)).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
            AssertAllReasons(result, step, IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached);
        AssertSourceOutputs(result, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void SublayerBodyEditInAnotherFile_ModifiesItsMethodOnly()
    {
        var (compilation, driver) = MlpInTwoFiles();

        // The sublayer gains an activation: its forward model and generated backward change; the layer facts
        // (parameters, sublayers) that the Gradients output depends on do not.
        var result = driver.RunGenerators(EditLinear(compilation, "=> x * W + B;", "=> Ops.Tanh(x * W + B);")).GetRunResult().Results.Single();

        var methods = result.TrackedSteps[TrackingNames.ForwardMethods].SelectMany(s => s.Outputs).ToList();
        Assert.Contains(methods, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(methods, o => o.Reason is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached);   // Mlp.Loss
        AssertAllReasons(result, TrackingNames.Layers, IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached);
        var sources = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.Contains(sources, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(result.GeneratedSources, s => s.HintName.Contains("Linear.Forward", StringComparison.Ordinal) && s.SourceText.ToString().Contains("TanhBackward", StringComparison.Ordinal));
    }

    [Fact]
    public void SublayerParameterEditInAnotherFile_ModifiesTheLayerModel()
    {
        var (compilation, driver) = MlpInTwoFiles();

        // The sublayer gains a trainable parameter: its layer model (and so its Gradients class) changes.
        var edited = EditLinear(compilation,
            "[Forward]\n    public Matrix<double> Forward([Shape(\"N\", \"D\")] Matrix<double> x) => x * W + B;",
            "public Matrix<double> G = Matrix<double>.Ones(1, 1);\n\n    [Forward]\n    public Matrix<double> Forward([Shape(\"N\", \"D\")] Matrix<double> x) => Ops.Mul(x * W + B, G);");
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[TrackingNames.Layers].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(result.TrackedSteps[TrackingNames.ForwardMethods].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(result.GeneratedSources, s => s.HintName.Contains("Linear.Gradients", StringComparison.Ordinal) && s.SourceText.ToString().Contains(" G ", StringComparison.Ordinal));
    }

    /// <summary>Linear (the sublayer) and Mlp in two files, run once.</summary>
    private static (Compilation Compilation, GeneratorDriver Driver) MlpInTwoFiles()
    {
        string mlpFile = TestSources.Load("Mlp.cs");
        int split = mlpFile.IndexOf("/// <summary>A two-hidden-layer", StringComparison.Ordinal);
        string linearSource = mlpFile[..split];
        string mlpSource = "using LayerGen;\n\nnamespace LayerGen.TestLayers;\n\n" + mlpFile[split..];
        var compilation = TestCompiler.RoslynFloor.Compile(linearSource, mlpSource);
        Assert.Empty(InMemoryCompiler.Errors(compilation));
        var driver = TestCompiler.RoslynFloor.CreateDriver(trackSteps: true).RunGenerators(compilation);
        AssertProducedOutput(driver);
        return (compilation, driver);
    }

    private static Compilation EditLinear(Compilation compilation, string oldText, string newText)
    {
        var oldTree = compilation.SyntaxTrees.First();
        string source = oldTree.ToString();
        string edited = source.Replace(oldText, newText, StringComparison.Ordinal);
        Assert.NotEqual(source, edited);
        var result = compilation.ReplaceSyntaxTree(oldTree, CSharpSyntaxTree.ParseText(edited, TestCompiler.RoslynFloor.ParseOptions, path: oldTree.FilePath));
        Assert.Empty(InMemoryCompiler.Errors(result));
        return result;
    }

    [Fact]
    public void NoStepOutputHoldsARoslynObject()
    {
        var compilation = TestCompiler.RoslynFloor.Compile([.. TestSources.All().Select(TestSources.Load)]);
        var result = TestCompiler.RoslynFloor.CreateDriver(trackSteps: true).RunGenerators(compilation).GetRunResult().Results.Single();

        var problems = new List<string>();
        int walked = 0;
        // The generator's own steps (Roslyn's internal ForAttributeWithMetadataName steps hold syntax by design).
        var ownSteps = typeof(TrackingNames).GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet();
        foreach (var (stepName, steps) in result.TrackedSteps.Where(s => ownSteps.Contains(s.Key)))
        {
            foreach (var step in steps)
                foreach (var (value, _) in step.Outputs)
                {
                    walked++;
                    problems.AddRange(RoslynObjectWalker.FindRoslynObjects(value, stepName));
                }
        }
        Assert.True(result.TrackedSteps.ContainsKey(TrackingNames.ForwardMethods), "step ForwardMethods is not tracked");
        Assert.True(result.TrackedSteps.ContainsKey(TrackingNames.Layers), "step Layers is not tracked");
        Assert.True(walked >= 8, $"only {walked} step outputs were walked");
        Assert.True(problems.Count == 0, "Roslyn objects in pipeline outputs:\n" + string.Join("\n", problems.Distinct().Take(40)));
    }

    /// <summary>The walker itself finds a Roslyn object hidden in a record inside an immutable array (so the test above can fail).</summary>
    [Fact]
    public void Walker_FindsHiddenRoslynObjects()
    {
        var tree = CSharpSyntaxTree.ParseText("class C { }");
        var model = new Holder("x", [new Inner(tree.GetRoot().GetLocation())], new[] { (object)1, tree.GetRoot() });
        var found = RoslynObjectWalker.FindRoslynObjects(model);
        Assert.Contains(found, p => p.StartsWith("output.Items[0].Where", StringComparison.Ordinal));
        Assert.Contains(found, p => p.StartsWith("output.Objects[1]", StringComparison.Ordinal));
        Assert.Empty(RoslynObjectWalker.FindRoslynObjects(new Holder("y", [], [1, "two"])));
    }

    private sealed record Inner(Location Where);

    private sealed record Holder(string Name, ImmutableArray<Inner> Items, object[] Objects);

    private static void AssertProducedOutput(GeneratorDriver driver)
    {
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.NotEmpty(result.GeneratedSources);
    }

    private static void AssertAllReasons(GeneratorRunResult result, string stepName, params IncrementalStepRunReason[] allowed)
    {
        Assert.True(result.TrackedSteps.TryGetValue(stepName, out var steps), $"step '{stepName}' is not tracked (WithTrackingName missing?)");
        var outputs = steps.SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        foreach (var (value, reason) in outputs)
            Assert.True(allowed.Contains(reason), $"step '{stepName}' output {value} was {reason}, expected {string.Join(" or ", allowed)}");
    }

    private static void AssertSourceOutputs(GeneratorRunResult result, IncrementalStepRunReason expected)
    {
        var outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        foreach (var (value, reason) in outputs)
            Assert.True(reason == expected, $"source output {value} was {reason}, expected {expected}");
    }
}
