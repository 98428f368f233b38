#!/usr/bin/env python3
"""libtorch GEMM reference for docs/benchmarks/gemm.md.

Times torch.matmul(op(A), op(B)) for square n x n matrices, the four transpose modes (a transposed operand is a
strided view, `x.t()`, so torch's BLAS gets a transpose flag as LayerGen's Gemm.Multiply does; nothing is
copied), float32 and float64, with torch.set_num_threads(THREADS) (default 2). Prints a table of GFLOP/s
(2 n^3 / median time), or one JSON object per line with --json (read by `LayerGen.Benchmarks gemm-report`).

Usage: /usr/bin/python3 gemm_bench.py [--json] [--threads 2] [--sizes 64,128,...] [--dtypes float32,float64]
Needs PyTorch (Debian: apt-get install python3-torch; tested with 1.13.1).
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
except ImportError as e:  # pragma: no cover - reported to the caller
    print(f"error: PyTorch is not installed for {sys.executable}: {e}", file=sys.stderr)
    sys.exit(2)


def time_one(fn, n):
    """Median seconds per call over several repeats, each long enough (>= ~20 ms) to time reliably, by wall
    clock and by CPU time of the process (all threads): the second is robust to other processes sharing the
    machine."""
    flops = 2.0 * n ** 3
    reps = max(1, int(1.5e9 / flops))
    for _ in range(max(2, reps // 4)):  # warm-up: thread pool, caches, allocator
        fn()
    times = []
    cpu_times = []
    for _ in range(7 if n < 2048 else 5):
        start = time.perf_counter()
        cpu_start = time.process_time()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - start) / reps)
        cpu_times.append((time.process_time() - cpu_start) / reps)
    return statistics.median(times), statistics.median(cpu_times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="one JSON object per result line")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", default="64,128,256,512,1024,2048")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--modes", default="NN,NT,TN,TT")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sizes = [int(s) for s in args.sizes.split(",")]
    dtypes = args.dtypes.split(",")
    modes = args.modes.split(",")
    if not args.json:
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
              f"BLAS: {'mkl' if torch.backends.mkl.is_available() else 'non-MKL'}")
        print(f"{'dtype':>8} {'n':>5} {'mode':>4} {'ms':>10} {'GFLOP/s':>9} {'GFLOP/cpu-s':>11}")
    with torch.no_grad():
        for dtype_name in dtypes:
            dtype = getattr(torch, dtype_name)
            for n in sizes:
                for mode in modes:
                    a = torch.rand(n, n, dtype=dtype) * 2 - 1
                    b = torch.rand(n, n, dtype=dtype) * 2 - 1
                    c = torch.empty(n, n, dtype=dtype)
                    op_a = a.t() if mode[0] == "T" else a
                    op_b = b.t() if mode[1] == "T" else b
                    seconds, cpu_seconds = time_one(lambda: torch.matmul(op_a, op_b, out=c), n)
                    gflops = 2.0 * n ** 3 / seconds / 1e9
                    cpu_gflops = 2.0 * n ** 3 / cpu_seconds / 1e9 if cpu_seconds > 0 else float("nan")
                    if args.json:
                        print(json.dumps({"dtype": dtype_name, "n": n, "mode": mode, "seconds": seconds,
                                          "gflops": gflops, "cpu_gflops": cpu_gflops}), flush=True)
                    else:
                        print(f"{dtype_name:>8} {n:>5} {mode:>4} {seconds * 1e3:>10.4f} {gflops:>9.1f} {cpu_gflops:>11.1f}",
                              flush=True)


if __name__ == "__main__":
    main()
