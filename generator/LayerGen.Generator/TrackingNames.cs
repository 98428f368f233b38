namespace LayerGen.Generator;

/// <summary>Names of the pipeline steps, for <c>WithTrackingName</c> and the incremental-caching tests.</summary>
internal static class TrackingNames
{
    /// <summary>The <c>ForAttributeWithMetadataName</c> transform: one equatable model per <c>[Forward]</c> method.</summary>
    public const string ForwardMethods = "ForwardMethods";

    /// <summary>The models grouped per containing type: the input of the per-type emitter.</summary>
    public const string Layers = "Layers";
}
