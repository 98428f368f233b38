#!/usr/bin/env python3
"""PyTorch reference for LayerGen's Embedding benchmark (`LayerGen.Benchmarks embedding`, which runs this script in
the same session): torch.nn.functional.embedding forward + backward, float32, a 50,000 x 128 table, 256 ids per step
(uniform in [0, 50000), fixed seed), sparse=False: the backward produces the dense 50,000 x 128 gradient of the table,
as PyTorch does by default. Prints one line per case, `name median_ms cpu_ms`: the median of several timed batches by
wall clock, and the process's CPU time per step over all of them (time.process_time: every thread).

The cases differ only in how the dense gradient is zeroed between steps (PyTorch must start every step from zero):
  grad=None   weight.grad = None before each step (zero_grad(set_to_none=True), PyTorch 2's default): the backward
              allocates a fresh zero-filled 50,000 x 128 gradient, index-adds the 256 rows into it and stores it in
              .grad. One full write of the table-sized gradient per step.
  zero_()     weight.grad.zero_() before each step (zero_grad(set_to_none=False), PyTorch 1.13's default): the zeroing
              pass over .grad, then the backward's fresh zero-filled gradient with the 256 rows index-added, then
              AccumulateGrad adds it into .grad. Three full passes over table-sized memory per step.

Usage: /usr/bin/python3 embedding_bench.py [--threads N] [--reps 50]
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

VOCABULARY, WIDTH, BATCH = 50_000, 128, 256


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    parser.add_argument("--reps", type=int, default=50)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    weight = torch.randn(VOCABULARY, WIDTH, requires_grad=True)
    ids = torch.randint(0, VOCABULARY, (BATCH,))
    dy = torch.randn(BATCH, WIDTH)

    def set_to_none():
        weight.grad = None
        y = torch.nn.functional.embedding(ids, weight)
        y.backward(dy)

    def zero_in_place():
        if weight.grad is not None:
            weight.grad.zero_()
        y = torch.nn.functional.embedding(ids, weight)
        y.backward(dy)

    print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    for name, step in (("grad=None", set_to_none), ("zero_()", zero_in_place)):
        for _ in range(10):
            step()
        times = []
        cpu0 = time.process_time()
        for _ in range(7):
            t0 = time.perf_counter()
            for _ in range(args.reps):
                step()
            times.append((time.perf_counter() - t0) / args.reps)
        cpu = (time.process_time() - cpu0) / (7 * args.reps)
        print(f"{name} {statistics.median(times) * 1e3:.4f} {cpu * 1e3:.4f}", flush=True)


if __name__ == "__main__":
    main()
