#!/usr/bin/env python3
"""PyTorch autograd reference for docs/benchmarks/training.md: the same cases as TrainingBenchmarks.cs.

- Dense ReLU training forward + backward, float32, (N, D, C) = (1,16,16), (32,128,128), (64,512,512),
  (256,1024,1024): y = relu(x @ W + B); y.backward(dy) into accumulating .grad (as LayerGen's += gradients).
- One SGD step of the 784-256-128-10 MLP at batch 64 (ReLU, ReLU, linear logits, cross-entropy), float32:
  zero_grad, forward, backward, optimizer.step().

torch.set_num_threads(THREADS) (default 2, the same cores LayerGen's single-threaded kernels get at most).
Prints one line per case: median microseconds per call over several timed repeats.

Usage: /usr/bin/python3 tests/LayerGen.Benchmarks/torch/train_bench.py [--threads 2] [--json]
Needs PyTorch (Debian: apt-get install python3-torch).
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
except ImportError as e:  # pragma: no cover
    print(f"error: PyTorch is not installed for {sys.executable}: {e}", file=sys.stderr)
    sys.exit(2)


def median_us(fn, min_seconds=0.2, repeats=7):
    """Median microseconds per call; each repeat runs enough calls to last about min_seconds / repeats."""
    for _ in range(5):
        fn()
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < 0.05:
        fn()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    inner = max(1, int(min_seconds / repeats / per_call))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner * 1e6)
    return statistics.median(samples)


def dense_case(n, d, c):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, d, generator=g)
    w = (torch.randn(d, c, generator=g) * (2.0 / d) ** 0.5).requires_grad_(True)
    b = torch.full((1, c), 0.01).requires_grad_(True)
    dy = torch.randn(n, c, generator=g)

    def step():
        y = torch.relu(x @ w + b)
        y.backward(dy)

    return step


def mlp_case(batch=64):
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(batch, 784)
    labels = torch.arange(batch) % 10

    def step():
        optimizer.zero_grad(set_to_none=False)
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()

    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    cases = [(f"Dense {n},{d},{c} fwd+bwd", dense_case(n, d, c)) for n, d, c in
             [(1, 16, 16), (32, 128, 128), (64, 512, 512), (256, 1024, 1024)]]
    cases.append(("MLP 784-256-128-10 batch 64 SGD step", mlp_case()))
    for name, fn in cases:
        us = median_us(fn)
        if args.json:
            print(json.dumps({"case": name, "us": us, "torch": torch.__version__, "threads": args.threads}))
        else:
            print(f"{name:40s} {us:12.1f} us")


if __name__ == "__main__":
    main()
