namespace LayerGen;

/// <summary>What <see cref="Checkpoint.Load{T}"/> did: the tensors it loaded and, for a partial load, what it skipped.</summary>
/// <param name="Loaded">Names of the parameters whose values were overwritten, in the model's order.</param>
/// <param name="Missing">Parameters and optimizer state tensors the model expects that the file lacks (and <c>layergen.optimizer</c> when an optimizer was given but the file holds no optimizer state); empty unless the load was partial.</param>
/// <param name="Unexpected">Tensors in the file that the model does not have; empty unless the load was partial.</param>
/// <param name="Metadata">The file's <c>__metadata__</c> (string to string), empty when it has none.</param>
public sealed record CheckpointLoadResult(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyDictionary<string, string> Metadata);
