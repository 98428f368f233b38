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
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Load("Mlp.cs"), TestSources.Load("Dense.cs"));
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        AssertProducedOutput(driver);

        var second = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
            AssertAllReasons(second, step, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertSourceOutputs(second, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void UnrelatedEdit_OutputsAreCached()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Load("Mlp.cs"), TestSources.Load("Dense.cs"));
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        AssertProducedOutput(driver);

        // A new file with an unrelated class, and an edit of an existing file outside any layer.
        var edited = compilation
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText(
                "namespace Elsewhere; public class Unrelated { public int Count() => 42; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
            AssertAllReasons(result, step, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertSourceOutputs(result, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void CommentEditInsideLayerFile_OutputsAreCached()
    {
        string dense = TestSources.Load("Dense.cs");
        var compilation = GeneratorHarness.CreateCompilation(dense);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        AssertProducedOutput(driver);

        // A comment changes the syntax tree (and every location) but not the layer: the models must compare equal.
        var oldTree = compilation.SyntaxTrees.Single();
        var newTree = CSharpSyntaxTree.ParseText("// a comment that moves every line\n" + dense, GeneratorHarness.ParseOptions, path: oldTree.FilePath);
        var result = driver.RunGenerators(compilation.ReplaceSyntaxTree(oldTree, newTree)).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
            AssertAllReasons(result, step, IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached);
        AssertSourceOutputs(result, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void SublayerEditInAnotherFile_IsModified()
    {
        // Linear (the sublayer) and Mlp in two files.
        string mlpFile = TestSources.Load("Mlp.cs");
        int split = mlpFile.IndexOf("/// <summary>A two-hidden-layer", StringComparison.Ordinal);
        string linearSource = mlpFile[..split];
        string mlpSource = "using LayerGen;\n\nnamespace LayerGen.TestLayers;\n\n" + mlpFile[split..];
        var compilation = GeneratorHarness.CreateCompilation(linearSource, mlpSource);
        Assert.Empty(GeneratorHarness.Errors(compilation));
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        AssertProducedOutput(driver);

        // The sublayer gains an activation: its forward (and so its generated backward) changes.
        string editedLinear = linearSource.Replace("=> x * W + B;", "=> Ops.Tanh(x * W + B);", StringComparison.Ordinal);
        Assert.NotEqual(linearSource, editedLinear);
        var oldTree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(oldTree, CSharpSyntaxTree.ParseText(editedLinear, GeneratorHarness.ParseOptions, path: oldTree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[TrackingNames.ForwardMethods].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(result.TrackedSteps[TrackingNames.Layers].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        var sourceOutputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.Contains(sourceOutputs, o => o.Reason == IncrementalStepRunReason.Modified);
        // The unchanged Mlp's [Forward] model is not recomputed into something different.
        Assert.Contains(result.TrackedSteps[TrackingNames.ForwardMethods].SelectMany(s => s.Outputs),
            o => o.Reason is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached);
        Assert.Contains("Tanh", string.Concat(result.GeneratedSources.Select(s => s.SourceText.ToString())));
    }

    [Fact]
    public void NoStepOutputHoldsARoslynObject()
    {
        var compilation = GeneratorHarness.CreateCompilation([.. TestSources.All().Select(TestSources.Load)]);
        var result = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation).GetRunResult().Results.Single();

        var problems = new List<string>();
        int walked = 0;
        foreach (var (stepName, steps) in result.TrackedSteps)
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
