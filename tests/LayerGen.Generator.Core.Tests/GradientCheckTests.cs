namespace LayerGen.Generator.Core.Tests;

/// <summary>Generate, compile, load and compare the generated backward with central differences (double).</summary>
public class GradientCheckTests
{
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData(nameof(Layers.Dense))]
    [InlineData(nameof(Layers.Classifier))]
    [InlineData(nameof(Layers.Mlp))]
    [InlineData(nameof(Layers.GenericDense))]
    [InlineData(nameof(Layers.MultiInput))]
    [InlineData(nameof(Layers.Composite))]
    [InlineData(nameof(Layers.EdgeCases))]
    [InlineData(nameof(Layers.ShapeOps))]
    public void Backward_matches_central_differences(string layer)
    {
        string source = (string)typeof(Layers).GetField(layer)!.GetValue(null)!;
        string check = (string)typeof(Layers).GetField(layer + "Check")!.GetValue(null)!;
        var assembly = TestCompiler.Load(source, check);
        double error = (double)TestCompiler.Invoke(assembly, "Check", "Run")!;
        Assert.True(error < Tolerance, $"{layer}: max relative error {error:E3}");
    }

    [Theory]
    [InlineData(nameof(Layers.Dense))]
    [InlineData(nameof(Layers.Mlp))]
    public void Training_step_allocates_nothing_after_the_first(string layer)
    {
        string source = (string)typeof(Layers).GetField(layer)!.GetValue(null)!;
        string check = (string)typeof(Layers).GetField(layer + "Check")!.GetValue(null)!;
        var assembly = TestCompiler.Load(source, check);
        long allocated = (long)TestCompiler.Invoke(assembly, "Check", "AllocatedOnSecondStep")!;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Composite_training_step_allocates_nothing_after_the_first()
    {
        var assembly = TestCompiler.Load(Layers.Composite, Layers.CompositeCheck);
        long allocated = (long)TestCompiler.Invoke(assembly, "Check", "AllocatedOnSecondStep")!;
        Assert.Equal(0, allocated);
    }
}
