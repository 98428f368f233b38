namespace LayerGen.Tests;

/// <summary>
/// Interop with the published safetensors format in both directions, through files checked in under
/// <c>Checkpoints/</c>: <c>reference_*.safetensors</c> were written by <c>safetensors_reference.py</c> (standard
/// library only, from the format's specification, laid out as the reference implementation lays files out) and
/// must load here; <c>layergen_*.safetensors</c> were written by <see cref="Checkpoint.Save{T}"/> and are read
/// back and verified by the same script (<c>python3 tests/LayerGen.Tests/Checkpoints/safetensors_reference.py</c>).
/// This test fails when LayerGen's output stops being byte-identical to them; rewrite them with
/// <c>LAYERGEN_UPDATE_CHECKPOINTS=1</c> and rerun the script's check.
/// </summary>
public sealed class CheckpointInteropTests
{
    private static readonly (string Name, int Rows, int Cols)[] ModelTensors = [("Hidden.W", 3, 4), ("Hidden.B", 1, 4), ("Output.W", 4, 2), ("Output.B", 1, 2)];

    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Checkpoints", name);

    /// <summary>Element k of tensor t, as <c>value(t, k)</c> in the script: exact in float and double.</summary>
    private static double Value(int t, int k) => (k % 7 - 3) * 0.125 + t;

    private static List<Parameter<T>> Model<T>(bool filled)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => ModelTensors.Select((s, t) =>
        {
            var value = new Matrix<T>(s.Rows, s.Cols);
            if (filled)
                Fill(value.AsSpan(), t);
            else
                value.Fill(T.CreateChecked(-99));
            return new Parameter<T>(s.Name, value, new Matrix<T>(s.Rows, s.Cols));
        }).ToList();

    private static void Fill<T>(Span<T> span, int t)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int k = 0; k < span.Length; k++)
            span[k] = T.CreateChecked(Value(t, k));
    }

    [Theory]
    [InlineData("reference_f32.safetensors")]
    public void ReferenceFile_Float_Loads(string file) => LoadsReference<float>(file);

    [Theory]
    [InlineData("reference_f64.safetensors")]
    public void ReferenceFile_Double_Loads(string file) => LoadsReference<double>(file);

    private static void LoadsReference<T>(string file)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var model = Model<T>(filled: false);
        var result = Checkpoint.Load(FixturePath(file), model);
        Assert.Equal(Model<T>(filled: true).Select(p => p.Value.ToArray()), model.Select(p => p.Value.ToArray()));
        Assert.Equal("pt", result.Metadata["format"]);
    }

    [Fact]
    public void LayerGenFile_Float_IsByteIdenticalToTheOneThePythonScriptVerified() => WritesFixture<float>("layergen_f32.safetensors");

    [Fact]
    public void LayerGenFile_Double_IsByteIdenticalToTheOneThePythonScriptVerified() => WritesFixture<double>("layergen_f64.safetensors");

    private static void WritesFixture<T>(string file)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        // Parameters hold value(t, k) for t = 0..3; the Adam state tensors continue the numbering (t = 4..11) in the
        // order the file lists them: each parameter's exp_avg, then its exp_avg_sq.
        var model = Model<T>(filled: true);
        var adam = new Adam<T>(model, learningRate: 0.001);
        int t = model.Count;
        for (int i = 0; i < model.Count; i++)
        {
            foreach (var state in adam.StateNames)
                Fill(adam.GetState(state, i), t++);
        }
        adam.RestoreStepCount(7);

        string written = Path.Combine(Path.GetTempPath(), $"layergen-interop-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(written, model, adam, new Dictionary<string, string> { ["source"] = "CheckpointInteropTests" });
            string source = Path.Combine(SourceDirectory(), "Checkpoints", file);
            if (Environment.GetEnvironmentVariable("LAYERGEN_UPDATE_CHECKPOINTS") == "1")
                File.Copy(written, source, overwrite: true);
            Assert.Equal(File.ReadAllBytes(FixturePath(file)), File.ReadAllBytes(written));

            // And it loads back into a fresh model and optimizer.
            var fresh = Model<T>(filled: false);
            var restored = new Adam<T>(fresh, learningRate: 0.5);
            Checkpoint.Load(written, fresh, restored);
            Assert.Equal(model.Select(p => p.Value.ToArray()), fresh.Select(p => p.Value.ToArray()));
            Assert.Equal(7, restored.StepCount);
        }
        finally
        {
            File.Delete(written);
        }
    }

    /// <summary>This test project's source directory (where the fixtures are checked in).</summary>
    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
