using BenchmarkDotNet.Running;
using LayerGen.Benchmarks;

// `gemm-report` (GEMM suite + libtorch, one combined table), `gemm-quick` (a fast Stopwatch sweep) and `peak`
// (FMA peak) are commands of their own; anything else goes to BenchmarkDotNet, e.g. `-- --filter '*Gemm*'`.
switch (args.FirstOrDefault())
{
    case "gemm-report":
        return GemmReport.Run(args[1..]);
    case "gemm-quick":
        GemmQuick.Run(args[1..]);
        return 0;
    case "conv":
        return ConvBenchmarks.Report(args[1..]);
    case "conv-tile":
        ConvTileProbe.Run();
        return 0;
    case "conv-profile":
        return ConvProfile.Run(args[1..]);
    case "embedding":
        return EmbeddingBenchmarks.Report(args[1..]);
    case "mlp-profile":
        return MlpProfile.Run(args[1..]);
    case "gemm-kernel":
        GemmKernelProbe.Run();
        return 0;
    case "peak":
        PeakBenchmarks.Report();
        return 0;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
}
