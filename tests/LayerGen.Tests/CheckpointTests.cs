using System.Buffers.Binary;
using System.Text;

namespace LayerGen.Tests;

/// <summary>
/// <see cref="Checkpoint"/>: round trips in float and double with optimizer state, the exact byte layout, atomic
/// saves (a simulated crash leaves the old file), no per-element allocation, and every corrupt or mismatched file
/// rejected with a message naming the tensor, leaving the model untouched.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("layergen-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>A two-layer model's parameters, shaped as a generated <c>Parameters(gradients)</c> list.</summary>
    internal static List<Parameter<T>> Model<T>(int seed, int inputs = 3, int hidden = 4, int outputs = 2)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        (string Name, int Rows, int Cols)[] shapes = [("Hidden.W", inputs, hidden), ("Hidden.B", 1, hidden), ("Output.W", hidden, outputs), ("Output.B", 1, outputs)];
        return shapes.Select((s, i) => new Parameter<T>(s.Name, Matrix<T>.RandomNormal(s.Rows, s.Cols, seed + i), new Matrix<T>(s.Rows, s.Cols))).ToList();
    }

    private static T[][] Snapshot<T>(IEnumerable<Parameter<T>> parameters)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => parameters.Select(p => p.Value.ToArray()).ToArray();

    private static void TakeSteps<T>(List<Parameter<T>> parameters, Optimizer<T> optimizer, int steps, int seed)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < parameters.Count; i++)
                Matrix<T>.RandomNormal(parameters[i].Value.Rows, parameters[i].Value.Cols, seed + 100 * s + i).CopyTo(parameters[i].Gradient);
            optimizer.Step();
        }
    }

    [Fact]
    public void RoundTrip_Float_RestoresParametersAndAdamState()
    {
        var source = Model<float>(1);
        var adam = new Adam<float>(source, learningRate: 0.01);
        TakeSteps(source, adam, 3, 7);
        string path = PathOf("model.safetensors");
        Checkpoint.Save(path, source, adam, new Dictionary<string, string> { ["epoch"] = "3" });

        var target = Model<float>(50);
        var restored = new Adam<float>(target, learningRate: 0.5);
        var result = Checkpoint.Load(path, target, restored);

        Assert.Equal(Snapshot(source), Snapshot(target));
        Assert.Equal(3, restored.StepCount);
        Assert.Equal(0.01, restored.LearningRate);
        for (int i = 0; i < source.Count; i++)
        {
            Assert.Equal(adam.GetState("exp_avg", i).ToArray(), restored.GetState("exp_avg", i).ToArray());
            Assert.Equal(adam.GetState("exp_avg_sq", i).ToArray(), restored.GetState("exp_avg_sq", i).ToArray());
        }
        Assert.Equal(["Hidden.W", "Hidden.B", "Output.W", "Output.B"], result.Loaded);
        Assert.Empty(result.Missing);
        Assert.Empty(result.Unexpected);
        Assert.Equal("3", result.Metadata["epoch"]);
        Assert.Equal("Adam", result.Metadata[Checkpoint.OptimizerKey]);
    }

    [Fact]
    public void RoundTrip_Double_RestoresParametersAndSgdMomentum_AndTheNextStepsAgree()
    {
        var source = Model<double>(2);
        var sgd = new Sgd<double>(source, learningRate: 0.1, momentum: 0.9, nesterov: true);
        TakeSteps(source, sgd, 2, 11);
        string path = PathOf("model.safetensors");
        Checkpoint.Save(path, source, sgd);

        var target = Model<double>(60);
        var restored = new Sgd<double>(target, learningRate: 0.1, momentum: 0.9, nesterov: true);
        Checkpoint.Load(path, target, restored);
        Assert.Equal(2, restored.StepCount);

        // The next steps of the restored optimizer equal those of the original, bit for bit.
        TakeSteps(source, sgd, 3, 99);
        TakeSteps(target, restored, 3, 99);
        Assert.Equal(Bits(source), Bits(target));
    }

    private static long[][] Bits(List<Parameter<double>> parameters)
        => parameters.Select(p => p.Value.ToArray().Select(BitConverter.DoubleToInt64Bits).ToArray()).ToArray();

    [Fact]
    public void Load_WithoutOptimizer_ReadsTheWeightsAndIgnoresTheOptimizerTensors()
    {
        var source = Model<float>(3);
        var adam = new AdamW<float>(source);
        TakeSteps(source, adam, 1, 5);
        string path = PathOf("model.safetensors");
        Checkpoint.Save(path, source, adam);

        var target = Model<float>(70);
        var result = Checkpoint.Load(path, target);
        Assert.Equal(Snapshot(source), Snapshot(target));
        Assert.Empty(result.Unexpected);
    }

    [Fact]
    public void Save_WritesThePublishedLayout()
    {
        var parameters = Model<double>(4);
        string path = PathOf("layout.safetensors");
        Checkpoint.Save(path, parameters);
        byte[] bytes = File.ReadAllBytes(path);

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("{\"__metadata__\":{", header);
        Assert.Contains("\"Hidden.W\":{\"dtype\":\"F64\",\"shape\":[3,4],\"data_offsets\":[0,96]}", header);
        Assert.Contains("\"Hidden.B\":{\"dtype\":\"F64\",\"shape\":[1,4],\"data_offsets\":[96,128]}", header);
        Assert.EndsWith("}", header.TrimEnd(' '));
        int data = 8 + (int)headerLength;
        Assert.Equal(data + 8 * (12 + 4 + 8 + 2), bytes.Length);
        // Row-major little-endian: the first element of Hidden.W, then its second.
        Assert.Equal(parameters[0].Value[0, 0], BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(data)));
        Assert.Equal(parameters[0].Value[0, 1], BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(data + 8)));
    }

    [Fact]
    public void Save_InterruptedMidWrite_LeavesTheOldFileIntactAndNoTemporaryFile()
    {
        string path = PathOf("model.safetensors");
        var first = Model<float>(5);
        Checkpoint.Save(path, first);
        byte[] before = File.ReadAllBytes(path);

        var second = Model<float>(6);
        Assert.Throws<IOException>(() => Checkpoint.Save(path, second, null, null, wrapStream: s => new FailingStream(s, failAfter: 100)));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Save_ReplacesAnExistingFile()
    {
        string path = PathOf("model.safetensors");
        Checkpoint.Save(path, Model<float>(5));
        var second = Model<float>(6);
        Checkpoint.Save(path, second);
        var target = Model<float>(7);
        Checkpoint.Load(path, target);
        Assert.Equal(Snapshot(second), Snapshot(target));
    }

    [Fact]
    public void Save_DoesNotAllocatePerElement()
    {
        long Allocated(int size)
        {
            var parameters = new List<Parameter<float>> { new("W", new Matrix<float>(size, size), new Matrix<float>(size, size)) };
            string path = PathOf($"size{size}.safetensors");
            Checkpoint.Save(path, parameters);   // warm-up (JIT, file-system caches)
            long before = GC.GetAllocatedBytesForCurrentThread();
            Checkpoint.Save(path, parameters);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        long small = Allocated(4);
        long large = Allocated(1024);   // 4 MiB of data
        Assert.True(large - small < 4096, $"a 1024×1024 save allocated {large} B, a 4×4 save {small} B");
    }

    [Fact]
    public void Save_RejectsDuplicateNamesAndReservedMetadata()
    {
        var parameters = Model<float>(1);
        parameters.Add(new Parameter<float>("Hidden.W", new Matrix<float>(1, 1), new Matrix<float>(1, 1)));
        var duplicate = Assert.Throws<ArgumentException>(() => Checkpoint.Save(PathOf("x"), parameters));
        Assert.Contains("'Hidden.W'", duplicate.Message);

        var reserved = Assert.Throws<ArgumentException>(() => Checkpoint.Save(PathOf("x"), Model<float>(1), null, new Dictionary<string, string> { ["layergen.optimizer"] = "x" }));
        Assert.Contains("reserved", reserved.Message);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    // ---- corrupt files: each is rejected before anything changes ----

    /// <summary>Loads <paramref name="path"/> into a fresh model (and an Adam optimizer when asked), expects a
    /// <see cref="CheckpointException"/>, and checks that neither the model nor the optimizer changed.</summary>
    private static CheckpointException RejectsUntouched<T>(string path, List<Parameter<T>>? model = null, bool withOptimizer = false, bool partial = false)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        model ??= Model<T>(40);
        var optimizer = withOptimizer ? new Adam<T>(model, learningRate: 0.25) : null;
        var before = Snapshot(model);
        var exception = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, model, optimizer, partial));
        Assert.Equal(before, Snapshot(model));
        if (optimizer is not null)
        {
            Assert.Equal(0, optimizer.StepCount);
            Assert.Equal(0.25, optimizer.LearningRate);
            for (int i = 0; i < model.Count; i++)
                Assert.All(optimizer.GetState("exp_avg", i).ToArray(), v => Assert.Equal(T.Zero, v));
        }
        Assert.Equal(path, exception.FilePath);
        return exception;
    }

    private string SavedFile(string name = "good.safetensors", Optimizer<float>? optimizer = null, List<Parameter<float>>? model = null)
    {
        string path = PathOf(name);
        Checkpoint.Save(path, model ?? Model<float>(8), optimizer);
        return path;
    }

    /// <summary>Writes a file from a header (padded to 8 bytes) and a data section, optionally lying about the header length.</summary>
    private string RawFile(string header, byte[] data, ulong? headerLength = null, string name = "raw.safetensors")
    {
        var text = Encoding.UTF8.GetBytes(header);
        var padded = new byte[(text.Length + 7) / 8 * 8];
        padded.AsSpan().Fill((byte)' ');
        text.CopyTo(padded, 0);
        var bytes = new byte[8 + padded.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)padded.Length);
        padded.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + padded.Length);
        string path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The header of a one-tensor model <c>W</c> [2, 3] (F32, 24 bytes), with replaceable fields.</summary>
    private static string OneTensor(string dtype = "F32", string shape = "[2,3]", string offsets = "[0,24]")
        => "{\"W\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";

    private static List<Parameter<float>> OneTensorModel() => [new("W", Matrix<float>.RandomNormal(2, 3, 9), new Matrix<float>(2, 3))];

    [Fact]
    public void Load_AcceptsAHandWrittenFile()
    {
        var values = Enumerable.Range(1, 6).Select(i => (float)i).ToArray();
        string path = RawFile(OneTensor(), values.SelectMany(BitConverter.GetBytes).ToArray());
        var model = OneTensorModel();
        Checkpoint.Load(path, model);
        Assert.Equal(values, model[0].Value.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Load_FileShorterThanTheHeaderLength_IsRejected(int length)
    {
        string path = SavedFile();
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..length]);
        var e = RejectsUntouched<float>(path);
        Assert.Contains("shorter than the 8-byte header length", e.Message);
    }

    [Fact]
    public void Load_TruncatedInTheHeader_IsRejected()
    {
        string path = SavedFile();
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..40]);
        var e = RejectsUntouched<float>(path);
        Assert.Contains("only 32 bytes follow it", e.Message);
    }

    [Fact]
    public void Load_TruncatedInTheData_IsRejectedNamingTheTensor()
    {
        string path = SavedFile();
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        var e = RejectsUntouched<float>(path);
        Assert.Equal("Output.B", e.TensorName);
        Assert.Contains("extend past the end of the data section", e.Message);
    }

    [Fact]
    public void Load_TrailingBytes_AreRejected()
    {
        string path = SavedFile();
        File.WriteAllBytes(path, [.. File.ReadAllBytes(path), 0, 0, 0, 0]);
        var e = RejectsUntouched<float>(path);
        Assert.Contains("no trailing bytes", e.Message);
    }

    [Theory]
    [InlineData(0UL, "must be between 1 and")]
    [InlineData(100_000_008UL, "must be between 1 and")]
    [InlineData(4096UL, "only")]
    public void Load_BadHeaderLength_IsRejected(ulong headerLength, string expected)
    {
        string path = RawFile(OneTensor(), new byte[24], headerLength);
        var e = RejectsUntouched(path, OneTensorModel());
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("{\"W\":{\"dtype\":\"F32\"", "not valid JSON")]
    [InlineData("{\"W\": nonsense}", "not valid JSON")]
    [InlineData("[1, 2, 3]", "does not start with '{'")]
    [InlineData("{\"W\":[1,2]}", "not an object with dtype, shape and data_offsets")]
    [InlineData("{\"W\":{\"shape\":[2,3],\"data_offsets\":[0,24]}}", "no string 'dtype'")]
    [InlineData("{\"W\":{\"dtype\":\"F32\",\"data_offsets\":[0,24]}}", "no array 'shape'")]
    [InlineData("{\"W\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,24]}}", "not a non-negative integer")]
    [InlineData("{\"W\":{\"dtype\":\"F32\",\"shape\":[2,3]}}", "is not a pair [begin, end]")]
    [InlineData("{\"W\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[24,0]}}", "is not a pair [begin, end]")]
    [InlineData("{\"__metadata__\":{\"a\":1},\"W\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", "not a string")]
    [InlineData("{\"__metadata__\":[],\"W\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", "not an object of strings")]
    [InlineData("{\"W\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"W\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", "names the tensor twice")]
    public void Load_BadHeader_IsRejected(string header, string expected)
    {
        string path = RawFile(header, new byte[24]);
        var e = RejectsUntouched(path, OneTensorModel());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Load_OffsetsOutsideTheFile_AreRejected()
    {
        string path = RawFile(OneTensor(offsets: "[24,48]"), new byte[24]);
        var e = RejectsUntouched(path, OneTensorModel());
        Assert.Equal("W", e.TensorName);
        Assert.Contains("data_offsets [24, 48] extend past the end of the data section (24 bytes)", e.Message);
    }

    [Fact]
    public void Load_OffsetsThatDoNotMatchTheShape_AreRejected()
    {
        string path = RawFile(OneTensor(offsets: "[0,20]"), new byte[24]);
        var e = RejectsUntouched(path, OneTensorModel());
        Assert.Contains("hold 20 bytes but dtype F32 with shape [2, 3] needs 6 × 4 bytes", e.Message);
    }

    [Fact]
    public void Load_OverlappingOffsets_AreRejected()
    {
        string header = """{"A":{"dtype":"F32","shape":[1,4],"data_offsets":[0,16]},"W":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}""";
        string path = RawFile(header, new byte[32]);
        var e = RejectsUntouched(path, OneTensorModel());
        Assert.Equal("W", e.TensorName);
        Assert.Contains("overlap tensor 'A'", e.Message);
    }

    [Fact]
    public void Load_AHoleBetweenTensors_IsRejected()
    {
        string header = """{"A":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"W":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}""";
        string path = RawFile(header, new byte[32]);
        var e = RejectsUntouched(path, OneTensorModel());
        Assert.Contains("leave bytes [4, 8) of the data section unused", e.Message);
    }

    [Fact]
    public void Load_WrongDtype_IsRejectedNamingBothTypes()
    {
        string path = PathOf("double.safetensors");
        Checkpoint.Save(path, Model<double>(8));
        var e = RejectsUntouched<float>(path);
        Assert.Equal("Hidden.W", e.TensorName);
        Assert.Contains("dtype in the file is F64 but the model's tensor is Single (F32) [3, 4]", e.Message);
    }

    [Fact]
    public void Load_UnknownDtype_IsRejected()
    {
        string path = RawFile(OneTensor(dtype: "F33"), new byte[24]);
        var e = RejectsUntouched(path, OneTensorModel());
        Assert.Contains("dtype 'F33' is not a safetensors dtype", e.Message);
    }

    [Fact]
    public void Load_WrongShape_IsRejectedNamingTheTensorAndBothShapes()
    {
        string path = SavedFile(model: Model<float>(8, inputs: 5));
        var e = RejectsUntouched<float>(path);
        Assert.Equal("Hidden.W", e.TensorName);
        Assert.Contains("tensor 'Hidden.W': shape in the file is [5, 4] but the model's tensor is [3, 4]", e.Message);
    }

    [Fact]
    public void Load_TransposedShape_IsRejected()
    {
        string path = RawFile(OneTensor(shape: "[3,2]"), new byte[24]);
        var e = RejectsUntouched(path, OneTensorModel());
        Assert.Contains("shape in the file is [3, 2] but the model's tensor is [2, 3]", e.Message);
    }

    [Fact]
    public void Load_MissingTensor_IsRejectedUnlessPartial()
    {
        var small = Model<float>(8).Take(3).ToList();
        string path = SavedFile(model: small);
        var e = RejectsUntouched<float>(path);
        Assert.Equal("Output.B", e.TensorName);
        Assert.Contains("the model's tensor 'Output.B' is not in the file", e.Message);

        var model = Model<float>(40);
        var outputB = model[3].Value.ToArray();
        var result = Checkpoint.Load(path, model, partial: true);
        Assert.Equal(["Output.B"], result.Missing);
        Assert.Equal(["Hidden.W", "Hidden.B", "Output.W"], result.Loaded);
        Assert.Equal(Snapshot(small), Snapshot(model.Take(3)));
        Assert.Equal(outputB, model[3].Value.ToArray());
    }

    [Fact]
    public void Load_ExtraTensor_IsRejectedUnlessPartial()
    {
        var big = Model<float>(8);
        big.Add(new Parameter<float>("Extra.W", new Matrix<float>(2, 2), new Matrix<float>(2, 2)));
        string path = SavedFile(model: big);
        var e = RejectsUntouched<float>(path);
        Assert.Equal("Extra.W", e.TensorName);
        Assert.Contains("the file's tensor 'Extra.W' is not in the model", e.Message);
        Assert.Contains("partial: true", e.Message);

        var model = Model<float>(40);
        var result = Checkpoint.Load(path, model, partial: true);
        Assert.Equal(["Extra.W"], result.Unexpected);
        Assert.Equal(Snapshot(big.Take(4)), Snapshot(model));
    }

    [Fact]
    public void Load_OptimizerStateAskedForButAbsent_IsRejected()
    {
        string path = SavedFile();
        var e = RejectsUntouched<float>(path, withOptimizer: true);
        Assert.Contains("holds no optimizer state", e.Message);
    }

    [Fact]
    public void Load_OtherOptimizerKind_IsRejected()
    {
        var source = Model<float>(8);
        string path = SavedFile(optimizer: new Sgd<float>(source, 0.1, momentum: 0.5), model: source);
        var e = RejectsUntouched<float>(path, withOptimizer: true);
        Assert.Contains("the file holds the state of a Sgd optimizer but the optimizer to restore is Adam", e.Message);
    }

    [Fact]
    public void Load_ABadTensorAfterGoodOnes_ChangesNothing()
    {
        // Hidden.W .. Output.W fit; only the last tensor has the wrong shape: the first three must not be loaded.
        var other = Model<float>(8);
        other[3] = new Parameter<float>("Output.B", new Matrix<float>(1, 3), new Matrix<float>(1, 3));
        string path = SavedFile(model: other);
        var e = RejectsUntouched<float>(path, partial: true);
        Assert.Equal("Output.B", e.TensorName);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
        => Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(PathOf("absent.safetensors"), Model<float>(1)));

    /// <summary>Fails every write after <paramref name="failAfter"/> bytes: a crash in the middle of a save.</summary>
    private sealed class FailingStream(Stream inner, long failAfter) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            long allowed = Math.Max(0, failAfter - _written);
            inner.Write(buffer[..(int)Math.Min(allowed, buffer.Length)]);
            _written += buffer.Length;
            if (_written > failAfter)
                throw new IOException("simulated crash: the disk went away mid-save");
        }
    }
}
