using Microsoft.CodeAnalysis;

namespace LayerGen.Generator;

/// <summary>Writes the backward pass of every <c>[Forward]</c> method (work in progress).</summary>
[Generator(LanguageNames.CSharp)]
public sealed class LayerGenGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
