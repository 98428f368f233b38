using System.Diagnostics;

namespace LayerGen.Generator.Tests;

/// <summary>The samples as a newcomer runs them, where that needs no data the machine may lack.</summary>
public sealed class SampleTests
{
    [Fact]
    public async Task FashionMnist_without_the_data_says_how_to_get_it_and_exits_non_zero()
    {
        string root = TestSources.Metadata("RepositoryRoot");
        // The sample is built in this test project's configuration (…/bin/Release/net10.0/).
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        string sample = Path.Combine(root, "samples", "FashionMnist", "bin", output.Parent!.Name, output.Name, "FashionMnist.dll");
        Assert.True(File.Exists(sample), $"not built: {sample}");
        string empty = Directory.CreateTempSubdirectory("layergen-no-data-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { sample, "--data", empty })
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            string text = await stdout + await stderr;
            Assert.Equal(3, process.ExitCode);
            Assert.Contains("apt-get install -y dataset-fashion-mnist", text);
            Assert.Contains("--data DIR", text);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
