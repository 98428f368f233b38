using System.Linq;
using LayerGen.Generator.Emit;
using LayerGen.Generator.Model;
using LayerGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LayerGen.Generator;

/// <summary>
/// Writes the backward pass of every <c>[Forward]</c> method: a tape class, a training forward that records into it
/// and a backward that applies the chain rule; per layer type, the <c>Gradients</c> class and <c>Parameters</c>.
/// </summary>
/// <remarks>Reports no diagnostics: <see cref="ForwardAnalyzer"/> runs the same parser and reports them.</remarks>
[Generator(LanguageNames.CSharp)]
public sealed class LayerGenGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 1. Find [Forward] methods (cheap syntactic filter) and parse each into an equatable model: symbols and
        //    IOperation are read here and nowhere later, so unrelated edits leave the model equal and the rest cached.
        //    A method whose declarations and read bodies are unchanged gets its previous model without binding (ModelCache).
        var methods = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Symbols.ForwardAttributeName,
                predicate: static (node, _) => node is MethodDeclarationSyntax { AttributeLists.Count: > 0 },
                transform: static (context, cancellationToken) => ForwardParser.ParseForGenerator(context, cancellationToken))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.ForwardMethods);

        // 2. Per method, the pure passes in turn: Shapes → Differentiate → Plan → Emit its tape, training forward and
        //    backward (nothing for a method with errors or in a type that is not partial).
        context.RegisterSourceOutput(methods, static (output, method) =>
        {
            if (method.Body is not { } body || !method.Layer.CanEmit)
                return;
            output.AddSource(Emitter.MethodHintName(method), Emitter.Guard(method.Layer.FullName + "." + method.Name, () =>
            {
                var shapes = MethodPipeline.Shapes(method);
                var backward = MethodPipeline.Differentiate(body, shapes);
                var plan = MethodPipeline.Plan(method, body, backward, shapes);
                return MethodPipeline.Emit(plan);
            }));
        });

        // 3. Group the methods by containing type: one layer model per type (equal when the type's facts are equal).
        var layers = methods
            .Collect()
            .SelectMany(static (all, cancellationToken) => all
                .GroupBy(static method => method.Layer.FullName)
                .Select(static group => new LayerModel(group.First().Layer, group.Any(static method => !method.IsStatic)))
                .ToArray())
            .WithTrackingName(TrackingNames.Layers);

        // 4. Per layer type with an instance [Forward] method: the Gradients class and Parameters(Gradients).
        context.RegisterSourceOutput(layers, static (output, layer) =>
        {
            if (!layer.Type.CanEmit || layer.Type.IsStaticType || !layer.HasInstanceForward)
                return;
            output.AddSource(Emitter.GradientsHintName(layer.Type), Emitter.Guard(layer.Type.FullName + ".Gradients", () => Emitter.EmitGradients(layer)));
        });
    }
}
