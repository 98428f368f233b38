using LayerGen.Generator.Differentiation;
using LayerGen.Generator.Emit;
using LayerGen.Generator.Model;
using LayerGen.Generator.Planning;
using LayerGen.Generator.Shapes;

namespace LayerGen.Generator;

/// <summary>
/// The passes after parsing, each a pure function of the previous one's result:
/// <c>Shapes → Differentiate → Plan → Emit</c>. <see cref="LayerGenGenerator"/> runs them in turn per method (parsing is
/// its transform); tests and benchmarks call the same passes.
/// </summary>
internal static class MethodPipeline
{
    /// <summary>Shapes: symbolic shape inference over the parsed body (the planner asks only its definitely-equal query).</summary>
    public static ShapeResult Shapes(ForwardMethodModel method)
    {
        try
        {
            return ShapeInference.Infer(method);
        }
        catch (System.OverflowException)
        {
            // Absurd declared sizes: nothing is proven equal (every buffer is its own), never a crash.
            return new ShapeResult(System.Array.Empty<SymbolicShape?>(), System.Array.Empty<ShapeProblem>());
        }
    }

    /// <summary>Differentiate: the reverse sweep over the body, with the shapes that decide shared adjoints.</summary>
    public static BackwardProgram Differentiate(ForwardBody body, ShapeResult shapes) => Differentiator.Differentiate(body, shapes);

    /// <summary>Plan: names, saved values, buffers and their sizes (from the shapes' definitely-equal query), need flags.</summary>
    public static MethodPlan Plan(ForwardMethodModel method, ForwardBody body, BackwardProgram backward, ShapeResult shapes) =>
        MethodPlan.Create(method, body, backward, shapes);

    /// <summary>Emit: the plan printed as C#, with the plans of its loop bodies (regions), each through the same passes.</summary>
    public static string Emit(MethodPlan plan)
    {
        var regions = new System.Collections.Generic.List<MethodPlan>();
        foreach (var region in Emitter.AllRegions(plan.Method))
        {
            var shapes = Shapes(region);
            var backward = Differentiate(region.Body!, shapes);
            regions.Add(Plan(region, region.Body!, backward, shapes));
        }
        return Emitter.EmitMethod(plan, regions);
    }

    /// <summary>All four passes for a method whose model has a body.</summary>
    public static string Run(ForwardMethodModel method)
    {
        var body = method.Body ?? throw new System.ArgumentException("the method has no body to generate from", nameof(method));
        var shapes = Shapes(method);
        var backward = Differentiate(body, shapes);
        var plan = Plan(method, body, backward, shapes);
        return Emit(plan);
    }
}
