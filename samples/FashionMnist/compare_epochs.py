#!/usr/bin/env python3
"""Epoch time of the FashionMnist sample against torch_epoch.py, side by side on a shared machine.

Runs ROUNDS times, interleaved: PyTorch (torch_epoch.py, torch's default threads), then each LayerGen build given
(the sample's FashionMnist.dll; more than one to compare builds, e.g. before/after a change), 3 epochs each, and
records the load average before each run. Summarises the steady-state epochs (2 and 3; epoch 1 includes JIT and tape
sizing): best, median and worst wall time, median CPU seconds (all of the process's threads), and PyTorch's median
and best over each build's.

    dotnet build -c Release samples/FashionMnist
    /usr/bin/python3 samples/FashionMnist/compare_epochs.py [--rounds 3] [NAME=PATH/FashionMnist.dll ...]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = re.compile(r"epoch (\d+): .*?, ([\d.]+) s \(([\d.]+) CPU-s")


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def epochs(command):
    out = subprocess.run(command, capture_output=True, text=True).stdout
    return [(float(m.group(2)), float(m.group(3))) for m in EPOCH.finditer(out) if m.group(1) != "1"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("builds", nargs="*", help="NAME=PATH of a FashionMnist.dll (default: this sample's Release build)")
    args = parser.parse_args()
    builds = [b.split("=", 1) for b in args.builds] or [["LayerGen", os.path.join(HERE, "bin/Release/net10.0/FashionMnist.dll")]]
    runs = {"PyTorch": []}
    runs.update({name: [] for name, _ in builds})
    for r in range(args.rounds):
        print(f"round {r + 1}: PyTorch (load {load()})", flush=True)
        runs["PyTorch"] += epochs([sys.executable, os.path.join(HERE, "torch_epoch.py")])
        for name, path in builds:
            print(f"round {r + 1}: {name} (load {load()})", flush=True)
            runs[name] += epochs(["dotnet", path, "--epochs", "3", "--quiet", "--plot", os.path.join(tempfile.gettempdir(), "fashion-mnist-compare.png")])
    print(f"end (load {load()})")
    print(f"{'program':10} {'epochs':>6} {'best s':>7} {'median s':>9} {'worst s':>8} {'median CPU-s':>13}")
    for name, values in runs.items():
        wall = sorted(v[0] for v in values)
        cpu = sorted(v[1] for v in values)
        if wall:
            print(f"{name:10} {len(wall):6} {wall[0]:7.2f} {statistics.median(wall):9.2f} {wall[-1]:8.2f} {statistics.median(cpu):13.2f}")
    torch = runs["PyTorch"]
    for name, values in runs.items():
        if name != "PyTorch" and values and torch:
            med = statistics.median(v[0] for v in torch) / statistics.median(v[0] for v in values)
            best = min(v[0] for v in torch) / min(v[0] for v in values)
            cpu = statistics.median(v[1] for v in torch) / statistics.median(v[1] for v in values)
            print(f"{name} faster than PyTorch: {med:.2f}x median wall, {best:.2f}x best wall, {cpu:.2f}x median CPU time")


if __name__ == "__main__":
    main()
