namespace LayerGen;

/// <summary>
/// Thrown by <see cref="Checkpoint.Load{T}"/> when a file is not a valid safetensors file or does not fit the
/// model: the message names the file, the tensor (where there is one) and, for a shape or dtype mismatch, both
/// sides. When it is thrown, nothing in the model or the optimizer has been changed.
/// </summary>
public sealed class CheckpointException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="tensorName">The tensor the problem is about, or <see langword="null"/> for the file as a whole.</param>
    /// <param name="message">What is wrong; prefixed with the file (and the tensor) in <see cref="Exception.Message"/>.</param>
    /// <param name="innerException">The underlying error, e.g. a JSON parse error.</param>
    public CheckpointException(string path, string? tensorName, string message, Exception? innerException = null)
        : base(tensorName is null ? $"Checkpoint '{path}': {message}" : $"Checkpoint '{path}', tensor '{tensorName}': {message}", innerException)
    {
        FilePath = path;
        TensorName = tensorName;
    }

    /// <summary>The checkpoint file.</summary>
    public string FilePath { get; }

    /// <summary>The tensor the problem is about, or <see langword="null"/> when it concerns the whole file.</summary>
    public string? TensorName { get; }
}
