#!/usr/bin/env python3
"""PyTorch reference for LayerGen's Conv2d benchmark (`LayerGen.Benchmarks conv`, which runs this script in the same
session): conv2d forward + backward (dX, dWeight, dBias), float32, batch 64, kernel 3, padding 1, for 1->8 channels at
28x28 and 8->16 channels at 14x14, torch.set_num_threads(THREADS) (default 2). Prints one line per case:
`name median_ms` (the median of several timed batches by wall clock).

With --serve it times on request instead, so that LayerGen's and PyTorch's batches can alternate in the same seconds
of a shared machine: it prints `ready` once every case is set up and warm, then for each line `INDEX REPS` read from
stdin it runs a few untimed steps of case INDEX, times REPS steps and prints the milliseconds per step.

Usage: /usr/bin/python3 conv_bench.py [--threads 2] [--serve]
"""
import argparse
import statistics
import sys
import time

try:
    import torch
except ImportError as e:  # pragma: no cover
    print(f"error: PyTorch is not installed for {sys.executable}: {e}", file=sys.stderr)
    sys.exit(2)

CASES = [("1->8 @28x28", 1, 8, 28), ("8->16 @14x14", 8, 16, 14)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.serve:
        serve()
        return
    for name, c, k, hw in CASES:
        step = make_step(c, k, hw)
        for _ in range(20):
            step()
        reps = 50
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            for _ in range(reps):
                step()
            times.append((time.perf_counter() - t0) / reps)
        print(f"{name} {statistics.median(times) * 1e3:.4f}", flush=True)


def make_step(c, k, hw):
    x = torch.randn(64, c, hw, hw, requires_grad=True)
    w = torch.randn(k, c, 3, 3, requires_grad=True)
    b = torch.randn(k, requires_grad=True)
    dy = torch.randn(64, k, hw, hw)

    def step():
        x.grad = w.grad = b.grad = None
        y = torch.nn.functional.conv2d(x, w, b, stride=1, padding=1)
        y.backward(dy)

    return step


def serve():
    steps = [make_step(c, k, hw) for _, c, k, hw in CASES]
    for step in steps:
        for _ in range(20):
            step()
    print("ready", flush=True)
    for line in sys.stdin:
        index, reps = (int(v) for v in line.split())
        step = steps[index]
        for _ in range(5):
            step()
        t0 = time.perf_counter()
        for _ in range(reps):
            step()
        print(f"{(time.perf_counter() - t0) / reps * 1e3:.4f}", flush=True)


if __name__ == "__main__":
    main()
