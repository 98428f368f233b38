#!/usr/bin/env python3
"""The FashionMnist sample's model and training loop in PyTorch, for the epoch-time comparison.

Same data (Debian's dataset-fashion-mnist, pixels scaled to [0, 1] and standardized with mean 0.2860 and
standard deviation 0.3530), same MLP 784-256-128-10 (ReLU, ReLU, linear logits, mean softmax cross-entropy),
same optimizer (Adam, lr 1e-3 decayed along a cosine to 0 over all steps, set before each step as the C# sample
does; --constant-lr keeps it; PyTorch's defaults otherwise), same batch size (64, last partial batch kept),
a shuffled order per epoch. Prints per epoch: the training time (the loop over batches only: zero_grad, forward,
backward, step, exactly what the C# sample times) and the test accuracy.

    sudo apt-get install -y python3-torch libopenblas0-pthread dataset-fashion-mnist
    /usr/bin/python3 samples/FashionMnist/torch_epoch.py [--epochs 3] [--threads N] [--data DIR]

--threads defaults to torch.get_num_threads() (what a user gets without setting it).
"""
import argparse
import gzip
import math
import os
import struct
import sys
import time

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover
    print(f"error: PyTorch/NumPy are not installed for {sys.executable}: {e}\n"
          "install: sudo apt-get install -y python3-torch libopenblas0-pthread", file=sys.stderr)
    sys.exit(2)


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        blob = f.read()
    zero, dtype, rank = struct.unpack_from(">HBB", blob, 0)
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack_from(">%dI" % rank, blob, 4)
    return np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find(directory, name):
    for candidate in (os.path.join(directory, name + ".gz"), os.path.join(directory, name)):
        if os.path.exists(candidate):
            return candidate
    print(f"Fashion-MNIST was not found in {directory}; install it with: sudo apt-get install -y dataset-fashion-mnist",
          file=sys.stderr)
    sys.exit(3)


def load(directory):
    def images(name):
        x = torch.from_numpy(read_idx(find(directory, name)).reshape(-1, 784).astype(np.float32)) / 255.0
        return (x - 0.2860) / 0.3530

    def labels(name):
        return torch.from_numpy(read_idx(find(directory, name)).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--constant-lr", action="store_true")
    parser.add_argument("--data", default=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train_x, train_y, test_x, test_y = load(args.data)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = train_x.shape[0]
    total_steps = args.epochs * ((n + args.batch - 1) // args.batch)
    step_count = 0
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; MLP 784-256-128-10, Adam lr 1e-3, batch {args.batch}")
    times = []
    for epoch in range(args.epochs):
        order = torch.randperm(n)
        model.train()
        start = time.perf_counter()
        cpu_start = time.process_time()  # CPU seconds of all threads: less disturbed by other processes
        total = 0.0
        for b in range(0, n, args.batch):
            idx = order[b:b + args.batch]
            x, y = train_x[idx], train_y[idx]
            if not args.constant_lr:
                for group in optimizer.param_groups:
                    group["lr"] = 1e-3 * 0.5 * (1 + math.cos(math.pi * step_count / total_steps))
            step_count += 1
            optimizer.zero_grad(set_to_none=False)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        times.append(seconds)
        with torch.no_grad():
            accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
        steps = (n + args.batch - 1) // args.batch
        print(f"epoch {epoch + 1}: train loss {total / steps:.4f}, test accuracy {100 * accuracy:.2f} %, {seconds:.2f} s ({cpu_seconds:.2f} CPU-s, {steps} steps)")
    print(f"median epoch time {sorted(times)[len(times) // 2]:.2f} s")


if __name__ == "__main__":
    main()
