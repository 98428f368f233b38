using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LayerGen;

/// <summary>
/// Saves and loads a model's parameters, and optionally an optimizer's state, as a
/// <see href="https://huggingface.co/docs/safetensors">safetensors</see> file: the format PyTorch and Hugging Face
/// users exchange weights in.
/// </summary>
/// <remarks>
/// <para>Layout (as the published format specifies it): 8 bytes, a little-endian unsigned 64-bit header length N;
/// N bytes of UTF-8 JSON, padded with spaces so that N is a multiple of 8, mapping each tensor name to
/// <c>{"dtype": "F32", "shape": [rows, cols], "data_offsets": [begin, end]}</c> (offsets into the data section that
/// follows the header) plus an optional <c>"__metadata__"</c> object of strings; then the data section, each
/// tensor row-major and little-endian, contiguous, with no holes or overlaps.</para>
/// <para>Tensor names are the parameters' dotted names (<c>Hidden.W</c>, <c>Blocks[0].B</c>), dtype <c>F32</c>
/// for <see cref="float"/>, <c>F64</c> for <see cref="double"/> and <c>F16</c> for <see cref="Half"/>, shape
/// <c>[Rows, Cols]</c>. An optimizer's per-parameter state is stored as <c>optimizer/{parameter}/{state}</c> with
/// PyTorch's state names (<c>optimizer/Hidden.W/exp_avg</c>), and its kind, step count and learning rate in
/// <c>__metadata__</c> under <c>layergen.optimizer</c>, <c>layergen.optimizer.step_count</c> and
/// <c>layergen.optimizer.learning_rate</c>; a resumed run then takes exactly the steps an uninterrupted one
/// would.</para>
/// <para>Saving is atomic: the file is written under a temporary name in the same directory, flushed to disk and
/// then renamed over <c>path</c>, so an interrupted save leaves the previous file intact. Saving allocates nothing
/// per element (the tensors' memory is written as it is).</para>
/// <para>Loading verifies the whole file against the model before it changes anything: header length and JSON,
/// every tensor's dtype, shape and offsets, and that the file holds exactly the expected tensors. A
/// <see cref="CheckpointException"/> names the tensor and both shapes (or dtypes); the model and the optimizer are
/// then untouched.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The prefix of optimizer state tensor names: <c>optimizer/{parameter}/{state}</c>.</summary>
    public const string OptimizerPrefix = "optimizer/";

    /// <summary>Metadata key of the optimizer's kind (<c>Adam</c>, <c>AdamW</c>, <c>Sgd</c>).</summary>
    public const string OptimizerKey = "layergen.optimizer";

    /// <summary>Metadata key of the optimizer's <see cref="Optimizer{T}.StepCount"/>.</summary>
    public const string StepCountKey = "layergen.optimizer.step_count";

    /// <summary>Metadata key of the optimizer's <see cref="Optimizer{T}.LearningRate"/> (round-trip format).</summary>
    public const string LearningRateKey = "layergen.optimizer.learning_rate";

    /// <summary>Metadata key of the layout version of LayerGen's names and metadata (<c>1</c>).</summary>
    public const string FormatKey = "layergen.format";

    /// <summary>The largest header the reference implementation accepts (100 MB).</summary>
    internal const long MaxHeaderLength = 100_000_000;

    private const string MetadataName = "__metadata__";

    /// <summary>
    /// Writes <paramref name="parameters"/> (and <paramref name="optimizer"/>'s state, when given) to
    /// <paramref name="path"/> as a safetensors file, atomically.
    /// </summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <param name="parameters">The parameters, e.g. from a generated <c>Parameters(gradients)</c>; names must be unique.</param>
    /// <param name="optimizer">The optimizer whose state to save for resuming, or <see langword="null"/> for weights only.</param>
    /// <param name="metadata">Extra <c>__metadata__</c> entries (keys must not start with <c>layergen.</c>).</param>
    /// <exception cref="ArgumentException">Two parameters share a name, or a metadata key is reserved.</exception>
    /// <exception cref="IOException">The file could not be written; an existing file at <paramref name="path"/> is unchanged.</exception>
    public static void Save<T>(string path, IReadOnlyList<Parameter<T>> parameters, Optimizer<T>? optimizer = null, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Save(path, parameters, optimizer, metadata, wrapStream: null);

    /// <summary>
    /// <see cref="Save{T}(string, IReadOnlyList{Parameter{T}}, Optimizer{T}?, IReadOnlyDictionary{string, string}?)"/>
    /// with a hook that wraps the file stream (tests use it to simulate a crash mid-write).
    /// </summary>
    internal static void Save<T>(string path, IReadOnlyList<Parameter<T>> parameters, Optimizer<T>? optimizer, IReadOnlyDictionary<string, string>? metadata, Func<Stream, Stream>? wrapStream)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(parameters);
        RequireLittleEndian();
        string dtype = DType<T>();
        var tensors = ExpectedTensors(parameters, optimizer);
        var header = WriteHeader(tensors, dtype, Unsafe.SizeOf<T>(), MetadataToWrite(optimizer, metadata));

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? ".";
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                var stream = wrapStream is null ? file : wrapStream(file);
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var tensor in tensors)
                    stream.Write(MemoryMarshal.AsBytes(tensor.Data(parameters, optimizer)));
                stream.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Reads <paramref name="path"/> into <paramref name="parameters"/> (and restores <paramref name="optimizer"/>'s
    /// state, when given), after verifying the whole file against them.
    /// </summary>
    /// <param name="path">A safetensors file, e.g. one <see cref="Save{T}(string, IReadOnlyList{Parameter{T}}, Optimizer{T}?, IReadOnlyDictionary{string, string}?)"/> wrote.</param>
    /// <param name="parameters">The parameters to overwrite; each must be in the file with the same shape and dtype.</param>
    /// <param name="optimizer">
    /// The optimizer to restore (state buffers, step count and learning rate), or <see langword="null"/> to load the
    /// weights only (the file's optimizer tensors are then ignored).
    /// </param>
    /// <param name="partial">
    /// Whether tensors the model has but the file lacks, and tensors the file has but the model lacks, are allowed
    /// (a missing parameter keeps its value). Without it, either is an error. Wrong shapes and dtypes are errors always.
    /// </param>
    /// <returns>What was loaded and, for a partial load, what was missing or unexpected, and the file's metadata.</returns>
    /// <exception cref="CheckpointException">The file is not valid safetensors or does not fit; nothing was changed.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static CheckpointLoadResult Load<T>(string path, IReadOnlyList<Parameter<T>> parameters, Optimizer<T>? optimizer = null, bool partial = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(parameters);
        RequireLittleEndian();
        string dtype = DType<T>();
        var expected = ExpectedTensors(parameters, optimizer);

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        var (entries, metadata, dataStart) = ReadHeader(path, file);

        // Match the model's tensors with the file's: dtype and shape must agree; missing and extra ones are collected.
        var missing = new List<string>();
        var matched = new List<(TensorSpec Spec, FileTensor Entry)>();
        foreach (var spec in expected)
        {
            if (!entries.TryGetValue(spec.Name, out var entry))
            {
                missing.Add(spec.Name);
                continue;
            }
            if (entry.DType != dtype)
                throw new CheckpointException(path, spec.Name, $"dtype in the file is {entry.DType} but the model's tensor is {typeof(T).Name} ({dtype}) {ShapeText(spec.Rows, spec.Cols)}; no conversion is made.");
            if (entry.Shape.Length != 2 || entry.Shape[0] != spec.Rows || entry.Shape[1] != spec.Cols)
                throw new CheckpointException(path, spec.Name, $"shape in the file is {ShapeText(entry.Shape)} but the model's tensor is {ShapeText(spec.Rows, spec.Cols)}.");
            matched.Add((spec, entry));
        }
        var expectedNames = new HashSet<string>(expected.Select(static t => t.Name), StringComparer.Ordinal);
        var unexpected = entries.Keys
            .Where(name => !expectedNames.Contains(name) && !(optimizer is null && name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)))
            .OrderBy(static name => name, StringComparer.Ordinal)
            .ToList();
        // The optimizer's scalars: its kind must match; step count and learning rate are restored with the buffers.
        long? stepCount = null;
        double? learningRate = null;
        if (optimizer is not null)
        {
            string kind = OptimizerKind(optimizer);
            if (metadata.TryGetValue(OptimizerKey, out var savedKind))
            {
                if (savedKind != kind)
                    throw new CheckpointException(path, null, $"the file holds the state of a {savedKind} optimizer but the optimizer to restore is {kind}.");
                stepCount = ParseMetadata(path, metadata, StepCountKey, static s => long.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture));
                learningRate = ParseMetadata(path, metadata, LearningRateKey, static s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));
                if (stepCount < 0 || !(learningRate >= 0) || double.IsInfinity(learningRate.Value))
                    throw new CheckpointException(path, null, $"the optimizer's step count ({stepCount}) or learning rate ({learningRate}) is out of range.");
            }
            else if (!partial)
            {
                throw new CheckpointException(path, null, $"the file holds no optimizer state ('{OptimizerKey}' is not in __metadata__) but a {kind} optimizer was given to restore. Load without the optimizer for the weights only.");
            }
            else
            {
                missing.Add(OptimizerKey);
            }
        }

        if (!partial && (missing.Count > 0 || unexpected.Count > 0))
        {
            var parts = new List<string>();
            if (missing.Count > 0)
                parts.Add($"the model's {Plural(missing.Count, "tensor")} {Join(missing)} {(missing.Count == 1 ? "is" : "are")} not in the file");
            if (unexpected.Count > 0)
                parts.Add($"the file's {Plural(unexpected.Count, "tensor")} {Join(unexpected)} {(unexpected.Count == 1 ? "is" : "are")} not in the model");
            throw new CheckpointException(path, missing.Count > 0 ? missing[0] : unexpected[0],
                string.Join("; ", parts) + ". Pass partial: true to load the tensors both have.");
        }

        // Read every matched tensor into staging memory first: an I/O error here leaves the model untouched.
        var staged = new T[matched.Count][];
        for (int i = 0; i < matched.Count; i++)
        {
            var (spec, entry) = matched[i];
            var buffer = new T[spec.Rows * spec.Cols];
            file.Position = dataStart + entry.Begin;
            try
            {
                file.ReadExactly(MemoryMarshal.AsBytes(buffer.AsSpan()));
            }
            catch (EndOfStreamException e)
            {
                throw new CheckpointException(path, spec.Name, "the file ended while reading the tensor's data (it changed while being read).", e);
            }
            staged[i] = buffer;
        }

        // Everything is verified and read: commit.
        var loaded = new List<string>();
        for (int i = 0; i < matched.Count; i++)
        {
            var spec = matched[i].Spec;
            staged[i].AsSpan().CopyTo(spec.Data(parameters, optimizer));
            if (spec.StateName is null)
                loaded.Add(spec.Name);
        }
        if (optimizer is not null && stepCount is not null)
        {
            optimizer.LearningRate = learningRate!.Value;
            optimizer.RestoreStepCount(stepCount.Value);
        }
        return new CheckpointLoadResult(loaded, missing, unexpected, metadata);
    }

    /// <summary>Reads and verifies the header: length, JSON, dtypes, shapes, and offsets that tile the data section.</summary>
    private static (Dictionary<string, FileTensor> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart) ReadHeader(string path, FileStream file)
    {
        long fileLength = file.Length;
        if (fileLength < 8)
            throw new CheckpointException(path, null, $"the file is {fileLength} bytes, shorter than the 8-byte header length that starts a safetensors file (truncated, or not a safetensors file).");
        Span<byte> lengthBytes = stackalloc byte[8];
        file.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength == 0 || headerLength > (ulong)MaxHeaderLength)
            throw new CheckpointException(path, null, $"the header length is {headerLength} bytes; it must be between 1 and {MaxHeaderLength} (not a safetensors file?).");
        if (headerLength > (ulong)(fileLength - 8))
            throw new CheckpointException(path, null, $"the header length is {headerLength} bytes but only {fileLength - 8} bytes follow it (the file is truncated, or the header length is wrong).");

        var headerBytes = new byte[(int)headerLength];
        file.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;
        if (headerBytes[0] != (byte)'{')
            throw new CheckpointException(path, null, "the header does not start with '{' (not a safetensors file?).");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, null, $"the header is not valid JSON: {e.Message}", e);
        }

        var entries = new Dictionary<string, FileTensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(path, null, $"the header is a JSON {document.RootElement.ValueKind}, not an object.");
            bool seenMetadata = false;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataName)
                {
                    if (seenMetadata)
                        throw new CheckpointException(path, null, "the header has __metadata__ twice.");
                    seenMetadata = true;
                    ReadMetadata(path, property.Value, metadata);
                    continue;
                }
                if (entries.ContainsKey(property.Name))
                    throw new CheckpointException(path, property.Name, "the header names the tensor twice.");
                entries.Add(property.Name, ReadTensor(path, property.Name, property.Value, dataLength));
            }
        }

        // The tensors must tile the data section exactly: sorted by offset, each begins where the previous ended.
        var byOffset = entries.OrderBy(static e => e.Value.Begin).ThenBy(static e => e.Value.End).ToList();
        long position = 0;
        string? previous = null;
        foreach (var (name, entry) in byOffset)
        {
            if (entry.Begin < position)
                throw new CheckpointException(path, name, $"data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous}', which ends at {position}.");
            if (entry.Begin > position)
                throw new CheckpointException(path, name, $"data_offsets [{entry.Begin}, {entry.End}] leave bytes [{position}, {entry.Begin}) of the data section unused{(previous is null ? "" : $" after tensor '{previous}'")}; the format allows no holes.");
            position = entry.End;
            previous = name;
        }
        if (position != dataLength)
            throw new CheckpointException(path, null, $"the tensors cover {position} bytes of data but the file has {dataLength} after the header; the format allows no trailing bytes.");
        return (entries, metadata, dataStart);
    }

    /// <summary>Reads <c>__metadata__</c>: an object whose values are all strings.</summary>
    private static void ReadMetadata(string path, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(path, null, $"__metadata__ is a JSON {element.ValueKind}, not an object of strings.");
        foreach (var item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointException(path, null, $"__metadata__ entry '{item.Name}' is a JSON {item.Value.ValueKind}, not a string.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new CheckpointException(path, null, $"__metadata__ has the key '{item.Name}' twice.");
        }
    }

    /// <summary>Reads one tensor entry and checks it against itself and the data section's length.</summary>
    private static FileTensor ReadTensor(string path, string name, JsonElement element, long dataLength)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(path, name, $"the entry is a JSON {element.ValueKind}, not an object with dtype, shape and data_offsets.");
        if (!element.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new CheckpointException(path, name, "the entry has no string 'dtype'.");
        string dtype = dtypeElement.GetString()!;
        int elementSize = DTypeSize(dtype);
        if (elementSize == 0)
            throw new CheckpointException(path, name, $"dtype '{dtype}' is not a safetensors dtype.");

        if (!element.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new CheckpointException(path, name, "the entry has no array 'shape'.");
        var shape = new long[shapeElement.GetArrayLength()];
        long count = 1;
        int d = 0;
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out long size) || size < 0)
                throw new CheckpointException(path, name, $"shape {shapeElement.GetRawText()} has an entry that is not a non-negative integer.");
            shape[d++] = size;
            count = size == 0 || count == 0 ? 0 : (count > long.MaxValue / size ? -1 : count * size);
            if (count < 0)
                throw new CheckpointException(path, name, $"shape {shapeElement.GetRawText()} has more elements than a file can hold.");
        }

        if (!element.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new CheckpointException(path, name, $"data_offsets {(element.TryGetProperty("data_offsets", out var raw) ? raw.GetRawText() : "(absent)")} is not a pair [begin, end] with 0 ≤ begin ≤ end.");
        if (end > dataLength)
            throw new CheckpointException(path, name, $"data_offsets [{begin}, {end}] extend past the end of the data section ({dataLength} bytes): the file is truncated or the offsets are wrong.");
        if (count > long.MaxValue / elementSize || end - begin != count * elementSize)
            throw new CheckpointException(path, name, $"data_offsets [{begin}, {end}] hold {end - begin} bytes but dtype {dtype} with shape {ShapeText(shape)} needs {count} × {elementSize} bytes.");
        return new FileTensor(dtype, shape, begin, end);
    }

    /// <summary>The tensors a model (and optimizer) has, in file order: parameters, then each parameter's state.</summary>
    private static List<TensorSpec> ExpectedTensors<T>(IReadOnlyList<Parameter<T>> parameters, Optimizer<T>? optimizer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var tensors = new List<TensorSpec>(parameters.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i] ?? throw new ArgumentNullException(nameof(parameters), $"Checkpoint: parameter {i} is null.");
            if (parameter.Name == MetadataName || parameter.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                throw new ArgumentException($"Checkpoint: parameter {i} is named '{parameter.Name}', a name the checkpoint format reserves.", nameof(parameters));
            if (!names.Add(parameter.Name))
                throw new ArgumentException($"Checkpoint: two parameters are named '{parameter.Name}'; tensor names must be unique.", nameof(parameters));
            tensors.Add(new TensorSpec(parameter.Name, parameter.Value.Rows, parameter.Value.Cols, i, null));
        }
        if (optimizer is not null)
        {
            var optimized = optimizer.Parameters;
            for (int i = 0; i < optimized.Count; i++)
            {
                foreach (var state in optimizer.StateNames)
                {
                    var value = optimized[i].Value;
                    int length = optimizer.GetState(state, i).Length;
                    if (length != value.Length)
                        throw new InvalidOperationException($"Checkpoint: {OptimizerKind(optimizer)} state '{state}' of '{optimized[i].Name}' has {length} elements but the parameter is {value.ShapeString}.");
                    tensors.Add(new TensorSpec($"{OptimizerPrefix}{optimized[i].Name}/{state}", value.Rows, value.Cols, i, state));
                }
            }
        }
        return tensors;
    }

    /// <summary>The header JSON, padded with spaces to a multiple of 8 bytes as the reference implementation writes it.</summary>
    private static byte[] WriteHeader(List<TensorSpec> tensors, string dtype, int elementSize, IReadOnlyDictionary<string, string> metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject(MetadataName);
            foreach (var (key, value) in metadata)
                json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var tensor in tensors)
            {
                long end = offset + (long)tensor.Rows * tensor.Cols * elementSize;
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                json.WriteNumberValue(tensor.Rows);
                json.WriteNumberValue(tensor.Cols);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        while (buffer.Length % 8 != 0)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    /// <summary>The metadata a save writes: the caller's entries, the writer, and the optimizer's scalars.</summary>
    private static SortedDictionary<string, string> MetadataToWrite<T>(Optimizer<T>? optimizer, IReadOnlyDictionary<string, string>? extra)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                ArgumentNullException.ThrowIfNull(value, nameof(metadata));
                if (key.StartsWith("layergen.", StringComparison.Ordinal))
                    throw new ArgumentException($"Checkpoint: metadata key '{key}' is reserved (keys starting with 'layergen.' are written by LayerGen).", nameof(metadata));
                metadata[key] = value;
            }
        }
        metadata[FormatKey] = "1";
        if (optimizer is not null)
        {
            metadata[OptimizerKey] = OptimizerKind(optimizer);
            metadata[StepCountKey] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
            metadata[LearningRateKey] = optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture);
        }
        return metadata;
    }

    private static TValue ParseMetadata<TValue>(string path, IReadOnlyDictionary<string, string> metadata, string key, Func<string, TValue> parse)
    {
        if (!metadata.TryGetValue(key, out var text))
            throw new CheckpointException(path, null, $"__metadata__ has '{OptimizerKey}' but not '{key}'.");
        try
        {
            return parse(text);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new CheckpointException(path, null, $"__metadata__ '{key}' is '{text}', not a number.", e);
        }
    }

    /// <summary>The optimizer's kind as saved: its type name without the generic arity (<c>Adam</c>, <c>Sgd</c>).</summary>
    private static string OptimizerKind<T>(Optimizer<T> optimizer)
        where T : unmanaged, IFloatingPointIeee754<T>
        => optimizer.GetType().Name.Split('`')[0];

    /// <summary>The safetensors dtype of <typeparamref name="T"/>.</summary>
    internal static string DType<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float) ? "F32"
            : typeof(T) == typeof(double) ? "F64"
            : typeof(T) == typeof(Half) ? "F16"
            : throw new NotSupportedException($"Checkpoint: element type {typeof(T).Name} has no safetensors dtype here (float, double and Half do).");

    /// <summary>Bytes per element of a safetensors dtype; 0 for a name the format does not define.</summary>
    private static int DTypeSize(string dtype) => dtype switch
    {
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" => 1,
        "I16" or "U16" or "F16" or "BF16" => 2,
        "I32" or "U32" or "F32" => 4,
        "I64" or "U64" or "F64" => 8,
        _ => 0,
    };

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Checkpoint: safetensors files are little-endian; this platform is big-endian.");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string ShapeText(int rows, int cols) => $"[{rows}, {cols}]";

    private static string ShapeText(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static string Plural(int count, string noun) => count == 1 ? noun : noun + "s";

    private static string Join(List<string> names)
    {
        const int shown = 8;
        var quoted = names.Take(shown).Select(static n => $"'{n}'");
        return string.Join(", ", quoted) + (names.Count > shown ? $" and {names.Count - shown} more" : "");
    }

    /// <summary>One tensor of the model: a parameter's value (<see cref="StateName"/> null) or an optimizer state buffer.</summary>
    private sealed record TensorSpec(string Name, int Rows, int Cols, int ParameterIndex, string? StateName)
    {
        /// <summary>The tensor's memory in the model or optimizer.</summary>
        public Span<T> Data<T>(IReadOnlyList<Parameter<T>> parameters, Optimizer<T>? optimizer)
            where T : unmanaged, IFloatingPointIeee754<T>
            => StateName is null ? parameters[ParameterIndex].Value.AsSpan() : optimizer!.GetState(StateName, ParameterIndex);
    }

    /// <summary>One tensor entry of a file's header, verified against itself and the data section's length.</summary>
    private sealed record FileTensor(string DType, long[] Shape, long Begin, long End);
}
