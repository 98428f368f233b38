#!/usr/bin/env python3
"""Writes reference.json: PyTorch autograd gradients of the shared test layers for fixed, seeded inputs.

LayerGen.Generated.Tests/TorchAgreementTests reads the file (the tests need no Python). Regenerate with
Debian's torch (apt-get install -y python3-torch):

    /usr/bin/python3 tests/LayerGen.Generated.Tests/torch/make_reference.py

Every layer is written with the same primitives as its C# twin in tests/LayerGen.Generator.Tests/TestLayers,
so the two compute the same function (not merely an equivalent library call). Dense runs in float32 as its
C# twin does; the others run in float64.
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
gen = torch.Generator().manual_seed(20251130)


def rand(rows, cols, dtype=torch.float64, scale=1.0):
    return (torch.randn(rows, cols, generator=gen, dtype=torch.float64) * scale).to(dtype).requires_grad_(True)


def mat(t):
    t = t.detach().to(torch.float64)
    return {"rows": t.shape[0], "cols": t.shape[1], "data": [float(v) for v in t.reshape(-1)]}


def dense():
    x, w, b = rand(4, 5, torch.float32), rand(5, 3, torch.float32), rand(1, 3, torch.float32, 0.1)
    dy = rand(4, 3, torch.float32)
    y = torch.relu(x @ w + b)
    y.backward(dy)
    return {"x": mat(x), "W": mat(w), "B": mat(b), "dy": mat(dy),
            "y": mat(y), "dx": mat(x.grad), "dW": mat(w.grad), "dB": mat(b.grad)}


def softmax_cross_entropy(logits, labels):
    return torch.nn.functional.cross_entropy(logits, labels, reduction="mean")


def softmax_classifier():
    x, w, b = rand(6, 4), rand(4, 3, scale=0.5), rand(1, 3, scale=0.1)
    labels = torch.tensor([0, 1, 2, 2, 1, 0])
    lam = 0.1
    loss = softmax_cross_entropy(x @ w + b, labels) + 0.5 * lam * (w * w).sum()
    loss.backward()
    return {"x": mat(x), "W": mat(w), "B": mat(b), "labels": labels.tolist(), "lambda": lam,
            "loss": float(loss), "dx": mat(x.grad), "dW": mat(w.grad), "dB": mat(b.grad)}


def mlp():
    x = rand(5, 4).detach()  # [NoGrad] in the C# layer
    w1, b1 = rand(4, 6, scale=0.5), rand(1, 6, scale=0.1)
    w2, b2 = rand(6, 5, scale=0.5), rand(1, 5, scale=0.1)
    w3, b3 = rand(5, 3, scale=0.5), rand(1, 3, scale=0.1)
    labels = torch.tensor([2, 0, 1, 1, 2])
    h1 = torch.relu(x @ w1 + b1)
    h2 = torch.tanh(h1 @ w2 + b2)
    loss = softmax_cross_entropy(h2 @ w3 + b3, labels)
    loss.backward()
    out = {"x": mat(x), "labels": labels.tolist(), "loss": float(loss)}
    for name, p in [("Hidden1.W", w1), ("Hidden1.B", b1), ("Hidden2.W", w2), ("Hidden2.B", b2), ("Output.W", w3), ("Output.B", b3)]:
        out[name] = mat(p)
        out["d" + name] = mat(p.grad)
    return out


def layer_norm():
    x, gamma, beta, dy = rand(4, 5), rand(1, 5), rand(1, 5, scale=0.1), rand(4, 5)
    eps = 1e-5
    mean = x.mean(dim=1, keepdim=True)
    centered = x - mean
    variance = (centered * centered).mean(dim=1, keepdim=True)
    y = centered / torch.sqrt(variance + eps) * gamma + beta
    y.backward(dy)
    return {"x": mat(x), "Gamma": mat(gamma), "Beta": mat(beta), "Epsilon": eps, "dy": mat(dy),
            "y": mat(y), "dx": mat(x.grad), "dGamma": mat(gamma.grad), "dBeta": mat(beta.grad)}


def attention():
    x, wq, wk, wv, dy = rand(5, 4), rand(4, 3, scale=0.5), rand(4, 3, scale=0.5), rand(4, 2, scale=0.5), rand(5, 2)
    scale = 1.0 / math.sqrt(3)
    q, k, v = x @ wq, x @ wk, x @ wv
    y = torch.softmax(q @ k.T * scale, dim=1) @ v
    y.backward(dy)
    return {"x": mat(x), "Wq": mat(wq), "Wk": mat(wk), "Wv": mat(wv), "Scale": scale, "dy": mat(dy),
            "y": mat(y), "dx": mat(x.grad), "dWq": mat(wq.grad), "dWk": mat(wk.grad), "dWv": mat(wv.grad)}


def gru():
    x, h = rand(2, 3), rand(2, 4)
    p = {n: rand(3, 4, scale=0.5) for n in ["Wz", "Wr", "Wh"]}
    p.update({n: rand(4, 4, scale=0.5) for n in ["Uz", "Ur", "Uh"]})
    p.update({n: rand(1, 4, scale=0.1) for n in ["Bz", "Br", "Bh"]})
    dy = rand(2, 4)
    z = torch.sigmoid(x @ p["Wz"] + h @ p["Uz"] + p["Bz"])
    r = torch.sigmoid(x @ p["Wr"] + h @ p["Ur"] + p["Br"])
    candidate = torch.tanh(x @ p["Wh"] + (r * h) @ p["Uh"] + p["Bh"])
    y = (1 - z) * h + z * candidate
    y.backward(dy)
    out = {"x": mat(x), "h": mat(h), "dy": mat(dy), "y": mat(y), "dx": mat(x.grad), "dh": mat(h.grad)}
    for n, t in p.items():
        out[n] = mat(t)
        out["d" + n] = mat(t.grad)
    return out


def embedding_classifier():
    # OpLayers.EmbeddingClassifier: cross-entropy of tanh(Table[ids])·W + B; repeated ids add up in dTable.
    table, w, b = rand(6, 4), rand(4, 3), rand(1, 3, scale=0.1)
    ids = torch.tensor([4, 0, 4, 2, 4])
    labels = torch.tensor([2, 0, 1, 1, 0])
    loss = softmax_cross_entropy(torch.tanh(torch.nn.functional.embedding(ids, table)) @ w + b, labels)
    loss.backward()
    return {"Table": mat(table), "W": mat(w), "B": mat(b), "ids": ids.tolist(), "labels": labels.tolist(),
            "loss": float(loss), "dTable": mat(table.grad), "dW": mat(w.grad), "dB": mat(b.grad)}


def maximum_with_row():
    # OpLayers.MaximumWithRow: min(max(x, Floor), y), with exact ties so that the shared gradient (½ each) is pinned.
    x, floor, y = rand(3, 4), rand(1, 4), rand(3, 4)
    with torch.no_grad():
        x[0, 1] = floor[0, 1]          # max tie
        y[1, 2] = max(x[1, 2], floor[0, 2])  # min tie
    dy = rand(3, 4)
    out = torch.minimum(torch.maximum(x, floor), y)
    out.backward(dy)
    return {"x": mat(x), "Floor": mat(floor), "y": mat(y), "dy": mat(dy), "out": mat(out),
            "dx": mat(x.grad), "dFloor": mat(floor.grad), "dY": mat(y.grad)}


def clamp():
    # OpLayers.ClampOp: clamp(x, -0.6, 0.9); elements exactly at a bound pass the gradient.
    x = rand(3, 4)
    with torch.no_grad():
        x[0, 0] = -0.6
        x[2, 3] = 0.9
    dy = rand(3, 4)
    out = torch.clamp(x, -0.6, 0.9)
    out.backward(dy)
    return {"x": mat(x), "dy": mat(dy), "out": mat(out), "dx": mat(x.grad)}


def conv2d_strided():
    # OpLayers.Conv2dOp: conv2d over (2, 5, 4) images, 3 filters 3x3, stride 2, padding 1; rows are NCHW images.
    x, w, b = rand(3, 2 * 5 * 4), rand(3, 2 * 9), rand(1, 3)
    y = torch.nn.functional.conv2d(x.view(3, 2, 5, 4), w.view(3, 2, 3, 3), b.view(3), stride=2, padding=1).reshape(3, -1)
    dy = rand(y.shape[0], y.shape[1])
    y.backward(dy)
    return {"x": mat(x), "W": mat(w), "B": mat(b), "dy": mat(dy), "y": mat(y), "dx": mat(x.grad), "dW": mat(w.grad), "dB": mat(b.grad)}


def max_pool2d_overlapping():
    # OpLayers.MaxPool2dOp: 2x2 windows, stride 1, over (2, 5, 4) images.
    x = rand(3, 2 * 5 * 4)
    y = torch.nn.functional.max_pool2d(x.view(3, 2, 5, 4), 2, 1).reshape(3, -1)
    dy = rand(y.shape[0], y.shape[1])
    y.backward(dy)
    return {"x": mat(x), "dy": mat(dy), "y": mat(y), "dx": mat(x.grad)}


def small_cnn():
    # OpLayers.SmallCnn: conv 3x3 pad 1 (2 -> 3 channels at 6x6), relu, 2x2 max pool, dense, softmax cross-entropy.
    x, f, fb = rand(4, 72), rand(3, 18, scale=0.5), rand(1, 3, scale=0.1)
    w, b = rand(27, 4, scale=0.5), rand(1, 4, scale=0.1)
    labels = torch.tensor([0, 3, 1, 2])
    h = torch.relu(torch.nn.functional.conv2d(x.view(4, 2, 6, 6), f.view(3, 2, 3, 3), fb.view(3), padding=1))
    p = torch.nn.functional.max_pool2d(h, 2, 2).reshape(4, 27)
    loss = softmax_cross_entropy(p @ w + b, labels)
    loss.backward()
    return {"x": mat(x), "Filters": mat(f), "FilterBias": mat(fb), "W": mat(w), "B": mat(b), "labels": labels.tolist(),
            "loss": float(loss), "dx": mat(x.grad), "dFilters": mat(f.grad), "dFilterBias": mat(fb.grad), "dW": mat(w.grad), "dB": mat(b.grad)}


def main():
    cases = {"torch": torch.__version__, "dense": dense(), "softmax_classifier": softmax_classifier(), "mlp": mlp(),
             "layer_norm": layer_norm(), "attention": attention(), "gru": gru(),
             "embedding_classifier": embedding_classifier(), "maximum_with_row": maximum_with_row(), "clamp": clamp(),
             "conv2d_strided": conv2d_strided(), "max_pool2d_overlapping": max_pool2d_overlapping(), "small_cnn": small_cnn()}
    with open(OUT, "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
