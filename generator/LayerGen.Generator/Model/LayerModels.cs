namespace LayerGen.Generator.Model;

/// <summary>One <c>[Forward]</c> method as the transform sees it: the output of the <c>ForwardMethods</c> step.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Layer">The containing type (identical for every method of that type).</param>
/// <param name="Name">The method name.</param>
/// <param name="IsStatic">A static helper (no <c>Gradients</c> argument).</param>
/// <param name="Accessibility">C# accessibility keywords of the user's method (<c>public</c>).</param>
/// <param name="Parameters">The method's parameters.</param>
/// <param name="ReturnKind">Matrix or scalar.</param>
/// <param name="ReturnShape">From <c>[return: Shape]</c>, if any.</param>
/// <param name="Body">The IR, or null when the method has errors (the analyzer reports them; nothing is emitted).</param>
/// <param name="ReturnElements">
/// A tuple-returning method (<c>(Matrix&lt;T&gt; h, Matrix&lt;T&gt; c) Step(…)</c>): its elements, in order (name, type,
/// kind); <see cref="ReturnKind"/> is then <see cref="ValueKind.Other"/>. Empty for a single result.
/// </param>
/// <param name="Regions">
/// The loop bodies of this method (and, nested, of theirs): each a private method of the layer, generated through the
/// same passes, whose parameters are the loop variable and the outer values the body reads and whose results are the
/// variables it assigns. Empty for straight-line code.
/// </param>
/// <param name="IsRegion">This model is a loop body (a region), not a user's method: only its training forward and backward exist.</param>
/// <param name="Carried">
/// A region: per result, the position of the parameter it carries over to the next iteration (a loop body) or whose value
/// it had before the branch (an arm; −1 for a variable the arm defines).
/// </param>
/// <param name="ArmOf">A branch arm: the branch's header and which arm (<c>if (training)</c>, <c>then</c>); null for a loop body.</param>
internal sealed record ForwardMethodModel(
    LayerTypeModel Layer,
    string Name,
    bool IsStatic,
    string Accessibility,
    EquatableArray<MethodParameter> Parameters,
    ValueKind ReturnKind,
    Shape? ReturnShape,
    ForwardBody? Body,
    EquatableArray<MethodParameter> ReturnElements = default,
    EquatableArray<ForwardMethodModel> Regions = default,
    bool IsRegion = false,
    EquatableArray<int> Carried = default,
    (string Header, string Arm)? ArmOf = null)
{
    /// <summary>The region named <paramref name="name"/> (a loop body of this method).</summary>
    public ForwardMethodModel RegionNamed(string name)
    {
        foreach (var region in Regions)
        {
            if (region.Name == name)
                return region;
        }
        throw new System.InvalidOperationException($"no region '{name}' in '{Name}'");
    }

    /// <summary>The method returns a tuple: Backward takes one ∂L/∂element per element.</summary>
    public bool ReturnsTuple => ReturnElements.Count > 0;
}

/// <summary>The IR of one forward body: SSA values and the straight-line instruction list that defines them.</summary>
/// <remarks>
/// A model type: holds no Roslyn symbol, syntax node, location or compilation. Branches and loops (a later issue)
/// turn <see cref="Instructions"/> into blocks with block parameters; the value table stays as is.
/// </remarks>
/// <param name="Values">Every value, indexed by id.</param>
/// <param name="Instructions">In forward order; instruction i defines exactly one value.</param>
/// <param name="Result">The returned value.</param>
/// <param name="ReservedNames">Identifiers the user's constant expressions mention; generated locals avoid them.</param>
/// <param name="Results">A tuple-returning method: the value of each element (<paramref name="Result"/> is the first); else empty.</param>
internal sealed record ForwardBody(
    EquatableArray<ValueInfo> Values,
    EquatableArray<Instruction> Instructions,
    int Result,
    EquatableArray<string> ReservedNames,
    EquatableArray<int> Results = default)
{
    /// <summary>Every returned value: the tuple's elements, or the one result.</summary>
    public System.Collections.Generic.IReadOnlyList<int> AllResults => Results.Count > 0 ? System.Linq.Enumerable.ToArray(Results) : new[] { Result };
}

/// <summary>The type that declares <c>[Forward]</c> methods: its declaration chain, element type, parameters and sublayers.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Namespace">The namespace (empty for the global namespace).</param>
/// <param name="Declarations">The containing types, outermost first, the layer type last.</param>
/// <param name="FullName">The layer type, <c>global::</c>-qualified with its type parameters.</param>
/// <param name="HintPrefix">Deterministic file-name prefix (<c>Ns.Outer.Dense_TElement_</c>).</param>
/// <param name="ElementType">The matrix element type as C# (<c>float</c>, <c>double</c> or a type parameter name).</param>
/// <param name="ElementIsTypeParameter">The element type is a type parameter (generic math).</param>
/// <param name="CanEmit">Every declaration in the chain is partial (LG0001 otherwise) and the type is not an interface.</param>
/// <param name="IsStaticType">A static class: no Gradients or Parameters.</param>
/// <param name="TrainableParameters">Instance <c>Matrix&lt;T&gt;</c> fields and properties not marked <c>[NoGrad]</c>.</param>
/// <param name="Sublayers">Fields and properties whose type has a <c>[Forward]</c> method.</param>
/// <param name="SizeMembers">Instance <c>int</c> fields and properties marked <c>[Shape("H")]</c>: they hold that dimension.</param>
internal sealed record LayerTypeModel(
    string Namespace,
    EquatableArray<TypeDeclaration> Declarations,
    string FullName,
    string HintPrefix,
    string ElementType,
    bool ElementIsTypeParameter,
    bool CanEmit,
    bool IsStaticType,
    EquatableArray<TrainableParameter> TrainableParameters,
    EquatableArray<SublayerModel> Sublayers,
    EquatableArray<SizeMember> SizeMembers = default);

/// <summary>One type in the declaration chain, as it must be re-declared in the generated partial.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Keyword"><c>class</c>, <c>struct</c>, <c>record</c> or <c>record struct</c>.</param>
/// <param name="Name">The name.</param>
/// <param name="TypeParameters">Its type parameter list (<c>&lt;TElement&gt;</c>) or empty.</param>
internal sealed record TypeDeclaration(string Keyword, string Name, string TypeParameters);

/// <summary>A trainable parameter of a layer.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
internal sealed record TrainableParameter(string Name, Shape? Shape);

/// <summary>
/// An <c>int</c> member of a layer that holds a dimension: <c>[Shape("H")] public int Hidden;</c> says that
/// <c>Hidden</c> is the size H, so <c>Ops.SliceColumns(z, 0, Hidden)</c> is <c>[N, H]</c>.
/// </summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Name">The member name.</param>
/// <param name="Dimension">The declared dimension as written (<c>H</c>, <c>2*H</c>, <c>64</c>).</param>
internal sealed record SizeMember(string Name, string Dimension);

/// <summary>A sublayer of a layer: a member whose type has a <c>[Forward]</c> method, or a collection of such.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Name">The member name.</param>
/// <param name="TypeName">Its type (a collection's element type), <c>global::</c>-qualified.</param>
/// <param name="Collection">Whether the member is one sublayer or an array or list of them.</param>
internal sealed record SublayerModel(string Name, string TypeName, SublayerCollection Collection = SublayerCollection.None)
{
    /// <summary>How many sublayers the collection holds, as C# on the layer (<c>Blocks.Length</c>).</summary>
    public string CountText => Collection == SublayerCollection.Array ? "Length" : "Count";
}

/// <summary>How a sublayer member holds its sublayers.</summary>
internal enum SublayerCollection
{
    /// <summary>One sublayer (<c>Dense Hidden</c>).</summary>
    None,
    /// <summary>An array (<c>Dense[] Blocks</c>).</summary>
    Array,
    /// <summary>A list (<c>List&lt;Dense&gt;</c>, <c>IReadOnlyList&lt;Dense&gt;</c>, <c>IList&lt;Dense&gt;</c>).</summary>
    List,
}

/// <summary>All <c>[Forward]</c> methods of one type, grouped: the output of the <c>Layers</c> step.</summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Type">The type.</param>
/// <param name="HasInstanceForward">At least one instance <c>[Forward]</c> method (else no Gradients are written).</param>
internal sealed record LayerModel(LayerTypeModel Type, bool HasInstanceForward);
