namespace LayerGen;

/// <summary>
/// The operations on <see cref="Matrix{TElement}"/>: each in an allocating form for users and a
/// destination-passing form (<c>…, result</c>) that allocates nothing, for generated code. Backward kernels sit
/// next to the op they differentiate, one file per family (<c>Ops.Linear.cs</c>, <c>Ops.Elementwise.cs</c>, …).
/// The contract is <c>docs/runtime-api.md</c>.
/// </summary>
public static partial class Ops
{
}
