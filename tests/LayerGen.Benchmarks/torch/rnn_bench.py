#!/usr/bin/env python3
"""PyTorch autograd reference for RecurrentBenchmarks.cs (issue 8): the same Python loop over time under autograd.

- tanh RNN, T = 32, batch 32, D = H = 256: h = tanh(x_t @ Wx + h @ Wh + b); loss = sum_t <h_t, y_t>.
- LSTM, T = 32, batch 32, D = H = 128: z = x_t @ Wx + h @ Wh + b; i, f, g, o gates; c = f*c + i*g; h = o*tanh(c).
Cases: forward alone (no_grad off, graph built), forward + backward, whole step (zero_grad, forward, backward, SGD).
torch.set_num_threads(THREADS) (default 2). Prints median microseconds per call.

Usage: /usr/bin/python3 tests/LayerGen.Benchmarks/torch/rnn_bench.py [--threads 2]
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

T, BATCH = 32, 32


def median_us(fn, repeats=9):
    for _ in range(3):
        fn()
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < 0.3:
        fn()
        calls += 1
    inner = max(1, calls // 3)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner * 1e6)
    return statistics.median(samples)


def rnn(d=256, h=256):
    g = torch.Generator().manual_seed(1)
    wx = (torch.randn(d, h, generator=g) * (2.0 / (d + h)) ** 0.5).requires_grad_(True)
    wh = (torch.randn(h, h, generator=g) * (1.0 / h) ** 0.5).requires_grad_(True)
    b = torch.zeros(1, h, requires_grad=True)
    xs = [torch.randn(BATCH, d, generator=g) for _ in range(T)]
    ys = [torch.randn(BATCH, h, generator=g) * 0.01 for _ in range(T)]
    h0 = torch.zeros(BATCH, h)
    params = [wx, wh, b]
    opt = torch.optim.SGD(params, lr=0.01)

    def forward():
        hh = h0
        loss = 0.0
        for t in range(T):
            hh = torch.tanh(xs[t] @ wx + hh @ wh + b)
            loss = loss + (hh * ys[t]).sum()
        return loss

    def fb():
        forward().backward()

    def step():
        opt.zero_grad(set_to_none=False)
        forward().backward()
        opt.step()

    return forward, fb, step


def lstm(d=128, h=128):
    g = torch.Generator().manual_seed(2)
    wx = (torch.randn(d, 4 * h, generator=g) * (2.0 / (d + 4 * h)) ** 0.5).requires_grad_(True)
    wh = (torch.randn(h, 4 * h, generator=g) * (2.0 / (5 * h)) ** 0.5).requires_grad_(True)
    b = torch.zeros(1, 4 * h, requires_grad=True)
    xs = [torch.randn(BATCH, d, generator=g) for _ in range(T)]
    ys = [torch.randn(BATCH, h, generator=g) * 0.01 for _ in range(T)]
    h0 = torch.zeros(BATCH, h)
    c0 = torch.zeros(BATCH, h)
    opt = torch.optim.SGD([wx, wh, b], lr=0.01)

    def forward():
        hh, cc = h0, c0
        loss = 0.0
        for t in range(T):
            z = xs[t] @ wx + hh @ wh + b
            i = torch.sigmoid(z[:, 0:h])
            f = torch.sigmoid(z[:, h:2 * h])
            gg = torch.tanh(z[:, 2 * h:3 * h])
            o = torch.sigmoid(z[:, 3 * h:4 * h])
            cc = f * cc + i * gg
            hh = o * torch.tanh(cc)
            loss = loss + (hh * ys[t]).sum()
        return loss

    def step():
        opt.zero_grad(set_to_none=False)
        forward().backward()
        opt.step()

    return forward, step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    forward, fb, step = rnn()
    print(f"RnnForward          {median_us(forward):10.1f} us")
    print(f"RnnForwardBackward  {median_us(fb):10.1f} us")
    print(f"RnnStep             {median_us(step):10.1f} us")
    forward, step = lstm()
    print(f"LstmForward         {median_us(forward):10.1f} us")
    print(f"LstmStep            {median_us(step):10.1f} us")


if __name__ == "__main__":
    main()
