using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Xunit.Abstractions;

namespace LayerGen.Generator.Tests;

/// <summary>
/// The one <c>LayerGen</c> package works end to end: packed from a copy of the sources into a temporary feed, it is
/// restored by a fresh console project whose Dense layer gets its backward pass from the packaged generator, and
/// one training step prints the hand-computed numbers. Slow (~1–2 minutes: two SDK builds), so it carries
/// <c>Category=Package</c> for filtering, but it runs in CI.
/// </summary>
public sealed class PackageTests(ITestOutputHelper output)
{
    private const string ConsumerProgram = """
        using System.Globalization;
        using LayerGen;

        var layer = new Dense
        {
            W = Matrix<float>.FromRows([0.5f, -1f], [0.25f, 1f]),
            B = Matrix<float>.FromRows([0.1f, -0.2f]),
        };
        var x = Matrix<float>.FromRows([1f, 2f]);
        var tape = new Dense.Tape();
        var gradients = new Dense.Gradients(layer);

        Matrix<float> y = layer.Forward(x, tape);
        Matrix<float> dx = layer.Backward(tape, Matrix<float>.Ones(1, 2), gradients);
        foreach (var p in layer.Parameters(gradients))
            for (int i = 0; i < p.Value.Rows; i++)
                for (int j = 0; j < p.Value.Cols; j++)
                    p.Value[i, j] -= 0.1f * p.Gradient[i, j];

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"y={y[0, 0]:F3},{y[0, 1]:F3} dx={dx[0, 0]:F3},{dx[0, 1]:F3} dW={gradients.W[0, 0]:F3},{gradients.W[0, 1]:F3},{gradients.W[1, 0]:F3},{gradients.W[1, 1]:F3} dB={gradients.B[0, 0]:F3},{gradients.B[0, 1]:F3} W00={layer.W[0, 0]:F3}"));

        // A loop over a sequence: h = h·W + xs[t], backpropagated through time by the generated backward.
        var rnn = new Rnn { W = Matrix<float>.FromRows([0.5f]) };
        var rnnTape = new Rnn.Tape();
        var rnnGradients = new Rnn.Gradients(rnn);
        var h = rnn.Forward([Matrix<float>.FromRows([1f]), Matrix<float>.FromRows([2f])], Matrix<float>.FromRows([1f]), rnnTape);
        var (dXs, dH0) = rnn.Backward(rnnTape, Matrix<float>.FromRows([1f]), rnnGradients);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rnn={h[0, 0]:F3} dxs={dXs[0][0, 0]:F3},{dXs[1][0, 0]:F3} dh0={dH0[0, 0]:F3} dW={rnnGradients.W[0, 0]:F3}"));

        // A stack of blocks in an array, a branch on a flag, a state counter.
        var stack = new Stack { Blocks = [new Scale { W = Matrix<float>.FromRows([2f]) }, new Scale { W = Matrix<float>.FromRows([3f]) }] };
        var stackTape = new Stack.Tape();
        var stackGradients = new Stack.Gradients(stack);
        var s = stack.Forward(Matrix<float>.FromRows([1f]), true, stackTape);
        var ds = stack.Backward(stackTape, Matrix<float>.FromRows([1f]), stackGradients);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stack={s[0, 0]:F3} dW0={stackGradients.Blocks[0].W[0, 0]:F3} dW1={stackGradients.Blocks[1].W[0, 0]:F3} dx={ds[0, 0]:F3} calls={stack.Calls} names={string.Join(",", stack.Parameters(stackGradients).Select(p => p.Name))}"));

        public partial class Dense
        {
            [Shape("D", "C")] public Matrix<float> W = null!;
            [Shape(1, "C")] public Matrix<float> B = null!;

            [Forward]
            public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W + B);
        }

        public partial class Scale
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x) => x * W;
        }

        public partial class Stack
        {
            public Scale[] Blocks = null!;
            [NoGrad] public int Calls;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x, bool twice)
            {
                var h = x;
                foreach (var block in Blocks)
                    h = block.Forward(h);
                Calls++;
                return twice ? h + h : h;
            }
        }

        public partial class Rnn
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(System.Collections.Generic.IReadOnlyList<Matrix<float>> xs, Matrix<float> h0)
            {
                var h = h0;
                for (int t = 0; t < xs.Count; t++)
                    h = h * W + xs[t];
                return h;
            }
        }
        """;

    private const string ShapeBugProgram = """
        using LayerGen;

        Console.WriteLine(new Dense().W is null);

        public partial class Dense
        {
            [Shape("C", "D")] public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward([Shape("N", "D")] Matrix<float> x) => Ops.Relu(x * W);
        }
        """;

    /// <summary>A user op whose backward is missing: LG0008 at the attribute, LG0009 at the call, until the code fix runs.</summary>
    private const string UserOpProgram = """
        using LayerGen;

        var layer = new Scaled { W = Matrix<float>.FromRows([2f]) };
        var tape = new Scaled.Tape();
        var gradients = new Scaled.Gradients(layer);
        layer.Forward(Matrix<float>.FromRows([3f]), tape);
        Console.WriteLine(layer.Backward(tape, Matrix<float>.FromRows([1f]), gradients)[0, 0]);

        public static class MyOps
        {
            [Differentiable(Backward = "CubeBackward")]
            public static Matrix<float> Cube(Matrix<float> x)
            {
                var y = new Matrix<float>(x.Rows, x.Cols);
                for (int r = 0; r < x.Rows; r++)
                    for (int c = 0; c < x.Cols; c++)
                        y[r, c] = x[r, c] * x[r, c] * x[r, c];
                return y;
            }
        }

        public partial class Scaled
        {
            public Matrix<float> W = null!;

            [Forward]
            public Matrix<float> Forward(Matrix<float> x) => MyOps.Cube(x * W);
        }
        """;

    [Fact]
    [Trait("Category", "Package")]
    public void PackedLayerGen_GeneratesAndTrains_InAFreshProject()
    {
        string root = Path.Combine(Path.GetTempPath(), "layergen-package-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // 1. Pack from a copy of the sources, so this test never rewrites the build output other tests load.
            string repository = TestSources.Metadata("RepositoryRoot");
            string copy = Path.Combine(root, "repo");
            foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", ".editorconfig" })
                if (File.Exists(Path.Combine(repository, file)))
                    CopyFile(Path.Combine(repository, file), Path.Combine(copy, file));
            CopyDirectory(Path.Combine(repository, "src", "LayerGen"), Path.Combine(copy, "src", "LayerGen"));
            CopyDirectory(Path.Combine(repository, "generator", "LayerGen.Generator"), Path.Combine(copy, "generator", "LayerGen.Generator"));
            CopyDirectory(Path.Combine(repository, "generator", "LayerGen.CodeFixes"), Path.Combine(copy, "generator", "LayerGen.CodeFixes"));

            // A unique version: the NuGet cache never serves an older package of the same number.
            string version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Environment.ProcessId;
            string feed = Path.Combine(root, "feed");
            Run("dotnet", $"pack src/LayerGen/LayerGen.csproj -c Release -o \"{feed}\" -p:Version={version}", copy);

            string package = Path.Combine(feed, $"LayerGen.{version}.nupkg");
            Assert.True(File.Exists(package), $"{package} was not created");
            using (var zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("lib/net8.0/LayerGen.dll", entries);
                Assert.Contains("lib/net10.0/LayerGen.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/LayerGen.Generator.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/LayerGen.CodeFixes.dll", entries);
                Assert.DoesNotContain(entries, e => e.StartsWith("lib/netstandard", StringComparison.Ordinal));
                using var nuspec = new StreamReader(zip.GetEntry("LayerGen.nuspec")!.Open());
                string metadata = nuspec.ReadToEnd();
                Assert.Contains("System.Numerics.Tensors", metadata);
                Assert.DoesNotContain("LayerGen.Generator", metadata);   // not a package dependency
                Assert.Contains("<readme>README.md</readme>", metadata);
                Assert.Contains("README.md", entries);
            }
            Assert.Single(Directory.GetFiles(feed, "*.nupkg"));

            // 2. A fresh console project that knows LayerGen only through the package.
            string app = Path.Combine(root, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="layergen-under-test" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <!-- Generated code must compile without a single warning. -->
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="LayerGen" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);

            // 3. Build and run: y = relu(x·W + B) = (1.1, 0.8); dx = 1·Wᵀ rows summed = (−0.5, 1.25);
            //    dW = xᵀ·1 = ((1, 1), (2, 2)); dB = (1, 1); W00 after SGD(0.1) = 0.5 − 0.1 = 0.4.
            string result = Run("dotnet", "run -c Release", app);
            Assert.Contains("y=1.100,0.800 dx=-0.500,1.250 dW=1.000,1.000,2.000,2.000 dB=1.000,1.000 W00=0.400", result);
            // h1 = 1·0.5 + 1 = 1.5, h2 = 1.5·0.5 + 2 = 2.75; dxs = (0.5, 1), dh0 = 0.25, dW = h1 + 0.5·h0 = 2.
            Assert.Contains("rnn=2.750 dxs=0.500,1.000 dh0=0.250 dW=2.000", result);
            // h = 1·2·3 = 6, result 2h = 12; dh = 2: dW1 = 2·2 = 4, dW0 = 1·(2·3) = 6, dx = 2·3·2 = 12; one state update.
            Assert.Contains("stack=12.000 dW0=6.000 dW1=4.000 dx=12.000 calls=1 names=Blocks[0].W,Blocks[1].W", result);
            //    The generated files are where README.md says, stamped with the package's version (pre-release suffix included).
            var generated = Directory.GetFiles(Path.Combine(app, "obj"), "*.g.cs", SearchOption.AllDirectories)
                .Where(f => f.Contains(Path.Combine("generated", "LayerGen.Generator", "LayerGen.Generator.LayerGenGenerator"), StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(generated);
            Assert.All(generated, f => Assert.Contains($"GeneratedCode(\"LayerGen\", \"{version}\")", File.ReadAllText(f)));

            // 4. The analyzers run in the consumer's build: a weight stored [out, in] is a build error with the
            //    promised message, at the product, and the build fails.
            File.WriteAllText(Path.Combine(app, "Program.cs"), ShapeBugProgram);
            string build = Run("dotnet", "build -c Release", app, expectSuccess: false);
            Assert.Contains("error LG1001", build);
            Assert.Contains("'x * W' multiplies [N, D] by [C, D]: columns of x (D) ≠ rows of W (C). Did you mean 'x * W.T'?", build);

            // 5. A user op without its backward: the consumer's build fails at the attribute and at the call, and
            //    `dotnet format analyzers` applies the packaged code fix, which writes the stub with the expected signature.
            File.WriteAllText(Path.Combine(app, "Program.cs"), UserOpProgram);
            build = Run("dotnet", "build -c Release", app, expectSuccess: false);
            Assert.Contains("error LG0008", build);
            Assert.Contains("Expected: public static Matrix<float> CubeBackward(Matrix<float> x, Matrix<float> dResult)", build);
            Assert.Contains("error LG0009", build);
            Run("dotnet", "format analyzers --diagnostics LG0008 --severity error", app);
            string fixedProgram = File.ReadAllText(Path.Combine(app, "Program.cs"));
            Assert.Contains("public static Matrix<float> CubeBackward(Matrix<float> x, Matrix<float> dResult)", fixedProgram);
            // The stub compiles and the layer is generated; writing the derivative makes it train.
            fixedProgram = fixedProgram.Replace(
                "throw new System.NotImplementedException(\"∂L/∂x of Cube, from dResult = ∂L/∂result\");",
                "var d = new Matrix<float>(x.Rows, x.Cols); for (int r = 0; r < x.Rows; r++) for (int c = 0; c < x.Cols; c++) d[r, c] = 3 * x[r, c] * x[r, c] * dResult[r, c]; return d;");
            File.WriteAllText(Path.Combine(app, "Program.cs"), fixedProgram);
            // y = (x·W)³ with x = 3, W = 2: dy/dx = 3·(xW)²·W = 3·36·2 = 216.
            Assert.Contains("216", Run("dotnet", "run -c Release", app));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private string Run(string fileName, string arguments, string workingDirectory, bool expectSuccess = true)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The test host runs under `dotnet test`: MSBuild's own variables would leak into the nested SDK build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        using var process = Process.Start(start)!;
        var text = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {arguments} did not finish in 5 minutes:\n{text}");
        }
        process.WaitForExit();
        string all = text.ToString();
        output.WriteLine($"$ {fileName} {arguments}\n{all}");
        if (expectSuccess)
            Assert.True(process.ExitCode == 0, $"{fileName} {arguments} exited with {process.ExitCode}:\n{all}");
        else
            Assert.True(process.ExitCode != 0, $"{fileName} {arguments} was expected to fail but exited with 0:\n{all}");
        return all;
    }

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            string first = relative.Split(Path.DirectorySeparatorChar)[0];
            if (first is "bin" or "obj")
                continue;
            CopyFile(file, Path.Combine(destination, relative));
        }
    }

    private static void CopyFile(string source, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.Copy(source, destination);
    }
}
