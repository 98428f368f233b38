#!/usr/bin/env python3
"""Interleaved epoch-time comparison of the FashionMnist CNN: LayerGen (samples/FashionMnist --model cnn) against
PyTorch (torch_cnn_epoch.py), same model, data, optimizer and batch size. The machine may be shared, so the runs
alternate (round 1: every configuration once, round 2: again, ...) and each epoch's wall and CPU seconds are kept;
the summary gives each configuration's median epoch (epochs 2..N: the first includes .NET's JIT warm-up, reported
separately) and the best test accuracy reached.

    dotnet build -c Release samples/FashionMnist
    /usr/bin/python3 samples/FashionMnist/compare_cnn.py [--rounds 2] [--epochs 3]

Configurations: LayerGen on all cores (the default) and on one (DOTNET_PROCESSOR_COUNT=1); PyTorch with its default
thread count (torch.get_num_threads()) and with as many threads as cores.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DLL = os.path.join(HERE, "bin", "Release", "net10.0", "FashionMnist.dll")
EPOCH = re.compile(r"epoch (\d+): train loss ([\d.]+), test accuracy ([\d.]+) ?%, ([\d.]+) s \(([\d.]+) CPU-s")


def configurations(epochs):
    cores = str(os.cpu_count())
    layergen = ["dotnet", DLL, "--model", "cnn", "--epochs", str(epochs), "--quiet", "--plot", "/tmp/compare_cnn.png"]
    torch = ["/usr/bin/python3", os.path.join(HERE, "torch_cnn_epoch.py"), "--epochs", str(epochs)]
    return [
        ("LayerGen, " + cores + " threads", layergen, {}),
        ("LayerGen, 1 thread", layergen, {"DOTNET_PROCESSOR_COUNT": "1"}),
        ("PyTorch, default threads", torch, {}),
        ("PyTorch, " + cores + " threads", torch + ["--threads", cores], {}),
    ]


def run(command, extra_env):
    env = dict(os.environ, **extra_env)
    output = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT).stdout
    # Spectre.Console wraps long lines: join them before matching.
    text = " ".join(output.split())
    return [(int(m[0]), float(m[2]), float(m[3]), float(m[4])) for m in EPOCH.findall(text)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--skip", action="append", default=[], help="leave out configurations whose name contains this")
    args = parser.parse_args()
    if not os.path.exists(DLL):
        sys.exit(f"build first: dotnet build -c Release samples/FashionMnist ({DLL} is missing)")
    configs = [c for c in configurations(args.epochs) if not any(skip in c[0] for skip in args.skip)]
    results = {name: [] for name, _, _ in configs}
    for r in range(args.rounds):
        for name, command, env in configs:
            load = os.getloadavg()[0]
            epochs = run(command, env)
            results[name].extend(epochs)
            cells = ", ".join(f"e{e}: {w:.2f} s wall / {c:.2f} CPU-s ({a:.2f} %)" for e, a, w, c in epochs)
            print(f"round {r + 1}, load {load:.1f}: {name}: {cells}", flush=True)
    print()
    print("| configuration | epoch 1 wall (s) | median epoch ≥ 2 wall (s) | median epoch ≥ 2 CPU (s) | best test accuracy |")
    print("|---|---|---|---|---|")
    for name, _, _ in configs:
        rows = results[name]
        first = [w for e, a, w, c in rows if e == 1]
        later = [(w, c) for e, a, w, c in rows if e > 1] or [(w, c) for e, a, w, c in rows]
        print(f"| {name} | {statistics.median(first):.2f} | {statistics.median(w for w, _ in later):.2f} | "
              f"{statistics.median(c for _, c in later):.2f} | {max(a for _, a, _, _ in rows):.2f} % |")


if __name__ == "__main__":
    main()
