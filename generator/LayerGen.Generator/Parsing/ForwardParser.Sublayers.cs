using System.Linq;
using LayerGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LayerGen.Generator.Parsing;

// Collections of sublayers (DESIGN.md §7): a field or property Dense[] / List<Dense> of this layer. A call of one of
// its elements, Blocks[i].Forward(h) or block.Forward(h) inside foreach (var block in Blocks), is a call of that
// element's generated forward whose backward adds into gradients.Blocks[i]; the index is an operand of the call, saved
// on the tape for the backward.
internal static partial class ForwardParser
{
    private sealed partial class BodyParser
    {
        /// <summary>
        /// Whether <paramref name="instance"/> is an element of a collection of sublayers of this layer: its collection's
        /// name and the value of its index (−1 after an error, reported).
        /// </summary>
        private bool SublayerElement(IOperation? instance, out string collection, out int index)
        {
            collection = "";
            index = -1;
            while (instance is IConversionOperation { IsImplicit: true } c)
                instance = c.Operand;
            IOperation? member = null;
            IOperation? indexOperation = null;
            switch (instance)
            {
                case IArrayElementReferenceOperation { Indices.Length: 1 } element:
                    member = element.ArrayReference;
                    indexOperation = element.Indices[0];
                    break;
                case IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1 } item:
                    member = item.Instance;
                    indexOperation = item.Arguments[0].Value;
                    break;
                case ILocalReferenceOperation local when _region?.Elements is { } elements && elements.TryGetValue(local.Local, out var bound):
                    collection = bound.Collection;
                    index = bound.Index;
                    return true;
                default:
                    return false;
            }
            if (member is not IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } reference || !IsThis(reference.Instance)
                || Symbols.CollectionElement(reference.Type) is null)
                return false;
            collection = reference.Member.Name;
            index = Parse(indexOperation!);
            if (index >= 0 && _values[index].IsVaried)
                index = Unsupported(indexOperation!.Syntax, "an index of a sublayer collection that depends on a differentiable value");
            return true;
        }
    }
}
