using System.Globalization;
using System.Text;
using GeneratorRule = LayerGen.Generator.Model.BuiltInRule;
using LayerGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LayerGen.Generator.Core.Tests;

/// <summary>
/// The op catalogue is complete: every public op of the runtime (<c>Ops</c>, <c>Losses</c>) that returns a value is
/// differentiated by the generator and exact against central differences, and every op described by a
/// <c>[Differentiable]</c> descriptor has all its parts (a fitting backward that writes into a buffer, a destination
/// overload the tape buffer can be sized for, the derivative's notation). Adding an op without one of them fails here.
/// See <c>docs/adding-an-op.md</c>.
/// </summary>
public sealed class OpCatalogueTests
{
    private static readonly Compilation Runtime = CSharpCompilation.Create("Catalogue", references: TestCompiler.References);

    /// <summary>The runtime's op methods: public static, value-returning, at least one matrix parameter.</summary>
    private static IEnumerable<IMethodSymbol> Ops()
    {
        foreach (var typeName in new[] { "LayerGen.Ops", "LayerGen.Losses" })
        {
            var type = Runtime.GetTypeByMetadataName(typeName) ?? throw new InvalidOperationException(typeName);
            foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
            {
                if (method.MethodKind == MethodKind.Ordinary && method.IsStatic && method.DeclaredAccessibility == Accessibility.Public
                    && !method.ReturnsVoid && method.ReturnType.SpecialType != SpecialType.System_Boolean
                    && method.Parameters.Any(p => p.Type.Name == "Matrix") && !IsRegisteredBackward(method))
                    yield return method;
            }
        }
    }

    /// <summary>
    /// A method a descriptor names: a backward that returns its gradients (Conv2dBackward's tuple form), or a ResultShape
    /// method (Conv2dResultShape): part of an op, not an op.
    /// </summary>
    private static bool IsRegisteredBackward(IMethodSymbol method) =>
        method.ContainingType.GetMembers().OfType<IMethodSymbol>().Any(o => RegisteredOps.AttributeOf(o) is { } attribute
            && attribute.NamedArguments.Any(a => a.Key is "Backward" or "ResultShape" && a.Value.Value as string == method.Name));

    /// <summary>A destination-passing form: a same-named overload with fewer parameters exists (it allocates instead).</summary>
    private static bool IsDestinationForm(IMethodSymbol method) =>
        method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>()
            .Any(o => !o.ReturnsVoid && o.Parameters.Length < method.Parameters.Length
                      && o.Parameters.Count(p => p.Type.Name == "Matrix") < method.Parameters.Count(p => p.Type.Name == "Matrix"));

    /// <summary>Whether the op's descriptor names a rule of the generator's table (a structural op) rather than a backward.</summary>
    private static bool HasRule(IMethodSymbol op) =>
        RegisteredOps.AttributeOf(op)!.NamedArguments.Any(a => a.Key == "Rule" && a.Value.Value is int v && v != 0);

    private static string Key(IMethodSymbol op) => RegisteredOps.Show(op);

    /// <summary>
    /// Image ops (<c>Conv2d</c>, <c>MaxPool2d</c>): their inputs are images, not the 3×3 matrices of the catalogue layer, so
    /// they are differentiated through the generator and gradient-checked in <c>LayerGen.Generated.Tests</c>
    /// (<c>OpGradientTests</c>, <c>TrainingTests</c>) instead. Their descriptors have all the parts (a <c>ResultShape</c>
    /// method sizes the result's buffer; Conv2dBackward writes its three gradients into destinations).
    /// </summary>
    private static bool TakesAnImage(IMethodSymbol op) => op.Parameters.Any(p => p.Type.Name == "ImageShape");

    public static TheoryData<string> Descriptors()
    {
        var data = new TheoryData<string>();
        foreach (var op in Ops().Where(o => RegisteredOps.AttributeOf(o) is not null && !HasRule(o)))
            data.Add(Key(op));
        return data;
    }

    [Theory]
    [MemberData(nameof(Descriptors))]
    public void Every_descriptor_has_all_its_parts(string name)
    {
        var op = Ops().Single(o => Key(o) == name);
        var registration = RegisteredOps.Resolve(op);
        Assert.Null(registration.Error);
        Assert.True(registration.BackwardInto, $"{name}: a runtime op's backward writes into a buffer (0 B per step)");
        Assert.True(registration.HasDestinationOverload, $"{name}: needs a destination overload (the forward writes into a tape buffer)");
        Assert.True((registration.ResultRows is not null && registration.ResultCols is not null) || registration.ResultShapeMethod is not null,
            $"{name}: needs [Shape]s on the op, or a ResultShape method, from which the result's buffer is sized");
        Assert.False(string.IsNullOrEmpty(registration.Derivative), $"{name}: the descriptor needs Derivative for the generated comments");
        Assert.Equal(Accessibility.Public, registration.Backward!.DeclaredAccessibility);
    }

    /// <summary>
    /// The image ops resolve to their allocation-free forms: the result sized by a ResultShape method (their [return: Shape]
    /// cannot give K·OH·OW), a backward that writes into buffers, one destination and accumulate flag per gradient.
    /// </summary>
    [Fact]
    public void Image_op_descriptors_resolve()
    {
        var image = Ops().Where(TakesAnImage).ToList();
        Assert.Equal(["Ops.Conv2d(Matrix<T> x, Matrix<T> weight, Matrix<T> bias, ImageShape input, int kernel, int stride, int padding)",
            "Ops.MaxPool2d(Matrix<T> x, ImageShape input, int kernel, int stride)"],
            image.Where(o => RegisteredOps.AttributeOf(o) is not null).Select(Key).Order());
        foreach (var op in image.Where(o => RegisteredOps.AttributeOf(o) is not null))
        {
            var registration = RegisteredOps.Resolve(op);
            Assert.Null(registration.Error);
            Assert.False(string.IsNullOrEmpty(registration.Derivative));
            Assert.True(registration.BackwardInto, op.Name);
            Assert.True(registration.HasDestinationOverload, op.Name);
            Assert.Equal(op.Name + "ResultShape", registration.ResultShapeMethod);
            Assert.Null(registration.ResultRows);
            Assert.Equal(op.Name == "Conv2d" ? ["accumulateX", "accumulateWeight", "accumulateBias"] : ["accumulate"], registration.AccumulateNames);
        }
    }

    /// <summary>
    /// Through the generator the image ops write into tape buffers sized by their ResultShape methods (defaults of the
    /// call included), and Conv2d's three gradients come from one destination-passing backward call.
    /// </summary>
    [Fact]
    public void Image_ops_are_generated_allocation_free_through_their_ResultShape_and_destination_backward()
    {
        var result = TestCompiler.Run("""
            using LayerGen;

            public partial class Net
            {
                public Matrix<double> W = Matrix<double>.RandomNormal(4, 2 * 3 * 3, 1);
                public Matrix<double> B = new(1, 4);
                public ImageShape Image = new(2, 6, 6);
                public ImageShape Features = new(4, 4, 4);

                [Forward]
                public double Loss([NoGrad] Matrix<double> x) => Ops.SumOfSquares(Ops.MaxPool2d(Ops.Conv2d(x, W, B, Image, 3), Features, 2, 2));
            }
            """);
        Assert.Empty(result.AnalyzerDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        string generated = result.Generated.Single(g => g.Key.EndsWith("Net.Loss.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("global::LayerGen.Ops.Conv2dResultShape(x, this.W, this.B, image, 3, 1, 0))", generated);
        Assert.Contains("global::LayerGen.Ops.Conv2d(x, this.W, this.B, image, 3, 1, 0, conv2d);", generated);
        Assert.Contains("global::LayerGen.Ops.MaxPool2dResultShape(conv2d, features, 2, 2))", generated);
        Assert.Contains("global::LayerGen.Ops.Conv2dBackward(x, this.W, this.B, image, 3, 1, 0, dConv2d, null, accumulateX: false, gradients.W, accumulateWeight: true, gradients.B, accumulateBias: true);", generated);
        Assert.DoesNotContain("Conv2dGradients", generated);
    }

    [Fact]
    public void The_runtime_describes_its_element_wise_functions_with_descriptors()
    {
        // Not a list the generator holds: a floor for this test, so that descriptors cannot silently disappear.
        int count = Ops().Count(o => RegisteredOps.AttributeOf(o) is not null && !HasRule(o));
        Assert.True(count >= 13, $"only {count} descriptors");
    }

    /// <summary>Every public op of <c>Ops</c> and <c>Losses</c> has a descriptor, or is the destination form of one.</summary>
    [Fact]
    public void Every_public_op_has_a_descriptor_or_is_a_destination_form()
    {
        var missing = Ops().Where(o => RegisteredOps.AttributeOf(o) is null && RegisteredOps.AllocatingFormOf(o) is null).Select(Key).ToList();
        Assert.True(missing.Count == 0, "no [Differentiable] descriptor: " + string.Join("; ", missing));
        // The relation is by symbols (an overload with a descriptor whose parameters it has, plus a destination), so it
        // holds for void forms and for forms with flags after the destination.
        var ops = Runtime.GetTypeByMetadataName("LayerGen.Ops")!;
        var losses = Runtime.GetTypeByMetadataName("LayerGen.Losses")!;
        string AllocatingOf(INamedTypeSymbol type, string name, int parameters) =>
            Key(RegisteredOps.AllocatingFormOf(type.GetMembers(name).OfType<IMethodSymbol>().Single(m => m.Parameters.Length == parameters))!);
        Assert.Equal("Ops.Relu(Matrix<T> a)", AllocatingOf(ops, "Relu", 2));
        Assert.Equal("Ops.MatMul(Matrix<T> a, Matrix<T> b, bool transposeA, bool transposeB)", AllocatingOf(ops, "MatMul", 6));
        Assert.Equal("Losses.SoftmaxCrossEntropy(Matrix<T> logits, int[] labels)", AllocatingOf(losses, "SoftmaxCrossEntropy", 3));
        Assert.Null(RegisteredOps.AllocatingFormOf(ops.GetMembers("SumToShape").OfType<IMethodSymbol>().First()));
    }

    /// <summary>The structural ops bind by their descriptor's rule: each rule resolves, and the operators of Matrix carry one.</summary>
    [Fact]
    public void Structural_ops_and_matrix_operators_name_a_rule_the_generator_knows()
    {
        var structural = Ops().Where(o => RegisteredOps.AttributeOf(o) is not null && HasRule(o)).ToList();
        Assert.True(structural.Count >= 20, $"only {structural.Count} structural descriptors");
        foreach (var op in structural)
        {
            Assert.True(RegisteredOps.BuiltInRuleOf(op) is not null, Key(op));
            Assert.Null(RegisteredOps.Resolve(op).Error);
        }
        var matrix = Runtime.GetTypeByMetadataName("LayerGen.Matrix`1")!;
        var operators = matrix.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.UserDefinedOperator).ToList();
        Assert.True(operators.Count >= 7, $"only {operators.Count} operators");
        Assert.All(operators, o => Assert.True(RegisteredOps.BuiltInRuleOf(o) is not null, $"operator {o.ToDisplayString()} has no rule"));
        var transpose = matrix.GetMembers("T").OfType<IPropertySymbol>().Single();
        Assert.Equal(GeneratorRule.Transpose, RegisteredOps.BuiltInRuleOf(transpose.GetMethod));
    }

    /// <summary>The generator's rule enum mirrors the runtime's, member for member (bound by name), and each rule has a kind.</summary>
    [Fact]
    public void The_generators_rules_mirror_the_runtimes()
    {
        var runtime = Enum.GetNames(typeof(LayerGen.BuiltInRule));
        Assert.Equal(runtime, Enum.GetNames(typeof(GeneratorRule)));
        foreach (var rule in Enum.GetValues<GeneratorRule>().Where(r => r is not (GeneratorRule.None or GeneratorRule.DivideByScalar)))
            Assert.True(RegisteredOps.OpKindOf(rule) is not null, rule.ToString());
    }

    [Fact]
    public void Every_public_op_is_differentiated_by_the_generator_and_exact()
    {
        var ops = Ops().Where(o => !IsDestinationForm(o) && !TakesAnImage(o)).ToList();
        Assert.True(ops.Count >= 30, $"only {ops.Count} ops found");
        var source = new StringBuilder("""
            using System;
            using System.Collections.Generic;
            using LayerGen;

            """);
        var checks = new StringBuilder("""
            using System;
            using System.Collections.Generic;
            using LayerGen;
            using LayerGen.TestSupport;

            public static class CatalogueCheck
            {
                public static string Run()
                {
                    var failures = new List<string>();
            """);
        for (int k = 0; k < ops.Count; k++)
        {
            var op = ops[k];
            var inputs = new List<string>();
            var arguments = new List<string>();
            foreach (var parameter in op.Parameters)
            {
                if (parameter.Type.Name == "Matrix")
                {
                    string input = "x" + inputs.Count.ToString(CultureInfo.InvariantCulture);
                    inputs.Add(input);
                    arguments.Add(input);
                }
                else if (parameter.Type.SpecialType == SpecialType.System_Int32)
                {
                    // A 3×3 input: slices of 2, axis 1, reshaped to 9×1.
                    arguments.Add(parameter.Name switch { "count" => "2", "axis" => "1", "rows" => "9", _ => "1" });
                }
                else if (parameter.Type.SpecialType == SpecialType.System_Boolean)
                {
                    arguments.Add("false");
                }
                else if (parameter.Type is IArrayTypeSymbol)
                {
                    arguments.Add("new[] { 0, 2, 1 }");
                }
                else if (parameter.Type.Name == "Random")
                {
                    // Seeded inside the forward: every evaluation of the loss draws the same mask.
                    arguments.Add("new Random(7)");
                }
                else
                {
                    // A T: a constant (slope, shift, scale; bounds inside the inputs' range [1.2, 2])
                    arguments.Add(parameter.Name switch { "min" => "1.4", "max" => "1.8", _ => "0.3" });
                }
            }
            string call = $"{op.ContainingType.Name}.{op.Name}({string.Join(", ", arguments)})";
            string body = op.ReturnType.Name == "Matrix" ? $"Ops.SumOfSquares(Ops.Mul({call}, {call}))" : $"{call} * {call}";
            string layer = "Op" + k.ToString(CultureInfo.InvariantCulture);
            source.AppendLine($$"""
                public partial class {{layer}}
                {
                    [Forward]
                    public double Loss({{string.Join(", ", inputs.Select(i => "Matrix<double> " + i))}}) => {{body}};
                }
                """);
            string names = inputs.Count == 1 ? $"var d0 = r;" : $"var ({string.Join(", ", inputs.Select((_, i) => "d" + i))}) = r;";
            checks.AppendLine($$"""
                        {
                            var layer = new {{layer}}();
                            {{string.Join("\n", inputs.Select((input, i) => $"var {input} = Matrix<double>.RandomUniform(3, 3, {k * 10 + i}, 1.2, 2.0);"))}}
                            var tape = new {{layer}}.LossTape();
                            layer.Loss({{string.Join(", ", inputs)}}, tape);
                            var r = layer.LossBackward(tape, new {{layer}}.Gradients(layer));
                            {{names}}
                            Func<double> loss = () => layer.Loss({{string.Join(", ", inputs)}});
                            double worst = 0;
                            {{string.Join("\n", inputs.Select((input, i) => $"worst = Math.Max(worst, NumericalGradient.MaxRelativeError({input}, d{i}, loss));"))}}
                            if (!(worst < 1e-6)) failures.Add("{{call}}: " + worst);
                        }
                """);
        }
        checks.AppendLine("""
                    return string.Join("; ", failures);
                }
            }
            """);

        var result = TestCompiler.Run(source.ToString(), checks.ToString());
        var unsupported = result.AnalyzerDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(unsupported.Count == 0, "ops the generator cannot differentiate:\n" + string.Join("\n", unsupported));
        Assert.True(result.CompileErrors.Count == 0, result.Dump());
        using var stream = new MemoryStream();
        Assert.True(result.Output.Emit(stream).Success);
        var assembly = System.Reflection.Assembly.Load(stream.ToArray());
        Assert.Equal("", TestCompiler.Invoke(assembly, "CatalogueCheck", "Run"));
    }
}
