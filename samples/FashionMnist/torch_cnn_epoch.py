#!/usr/bin/env python3
"""The FashionMnist sample's CNN (--model cnn) and training loop in PyTorch, for the epoch-time comparison.

Same data and loop as torch_epoch.py (the MLP's script, whose loader this reuses): pixels scaled to [0, 1] and
standardized, Adam (lr 3e-3, the C# CNN's default) on a cosine to 0 (set before each step; --constant-lr keeps it), batch 64 with the last
partial batch kept, a shuffled order per epoch. Same model as samples/FashionMnist/Cnn.cs: conv 3x3 pad 1 (1 -> 8)
-> ReLU -> 2x2 max pool -> conv 3x3 pad 1 (8 -> 16) -> ReLU -> 2x2 max pool -> linear 784 -> 10, mean softmax
cross-entropy. Prints per epoch the training time (the loop over batches only, what the C# sample times), wall and
CPU seconds, and the test accuracy.

    /usr/bin/python3 samples/FashionMnist/torch_cnn_epoch.py [--epochs 3] [--threads N] [--data DIR]
"""
import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_epoch import load  # noqa: E402  (exits with the install hint when PyTorch is missing)
import torch  # noqa: E402


def model():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 7 * 7, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lr", type=float, default=3e-3)  # the C# CNN's default
    parser.add_argument("--constant-lr", action="store_true")
    parser.add_argument("--data", default=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train_x, train_y, test_x, test_y = load(args.data)
    train_x = train_x.reshape(-1, 1, 28, 28)
    test_x = test_x.reshape(-1, 1, 28, 28)
    net = model()
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    n = train_x.shape[0]
    steps = (n + args.batch - 1) // args.batch
    total_steps = args.epochs * steps
    step_count = 0
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}; "
          f"CNN conv8-pool-conv16-pool-linear, Adam lr {args.lr}, batch {args.batch}")
    times = []
    for epoch in range(args.epochs):
        order = torch.randperm(n)
        net.train()
        start = time.perf_counter()
        cpu_start = time.process_time()
        total = 0.0
        for b in range(0, n, args.batch):
            idx = order[b:b + args.batch]
            x, y = train_x[idx], train_y[idx]
            if not args.constant_lr:
                for group in optimizer.param_groups:
                    group["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * step_count / total_steps))
            step_count += 1
            optimizer.zero_grad(set_to_none=False)
            loss = torch.nn.functional.cross_entropy(net(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        times.append(seconds)
        net.eval()
        with torch.no_grad():
            correct = sum((net(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item() for i in range(0, test_x.shape[0], 1000))
        accuracy = correct / test_x.shape[0]
        print(f"epoch {epoch + 1}: train loss {total / steps:.4f}, test accuracy {100 * accuracy:.2f} %, {seconds:.2f} s ({cpu_seconds:.2f} CPU-s, {steps} steps)")
    print(f"median epoch time {sorted(times)[len(times) // 2]:.2f} s")


if __name__ == "__main__":
    main()
