#!/usr/bin/env python3
"""Safetensors interop fixtures for LayerGen.Tests/CheckpointInteropTests, with the standard library only.

Python's `safetensors` package cannot be installed on the build machines, so this script implements the
published format (https://github.com/huggingface/safetensors#format) directly:

    8 bytes        N, little-endian unsigned 64-bit: the length of the header
    N bytes        UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [..],
                   "data_offsets": [begin, end]}, ...}, padded with spaces to a multiple of 8 bytes
                   (as the reference implementation pads it)
    rest           the data section: each tensor row-major, little-endian, at its offsets (relative to the
                   start of the data section), contiguous, no holes, no overlaps

It does two things (both by default; the tests themselves never run Python):

1. write: reference_f32.safetensors and reference_f64.safetensors, laid out as the reference implementation
   lays them out (compact JSON, `__metadata__` first, tensors ordered by dtype alignment then name, offsets in
   that order), holding the tensors of REFERENCE_TENSORS with the values of value(t, k).
2. check: reads layergen_f32.safetensors and layergen_f64.safetensors, which LayerGen's Checkpoint.Save wrote
   (CheckpointInteropTests rewrites them when LAYERGEN_UPDATE_CHECKPOINTS=1), verifies every rule of the
   format and that each tensor holds value(t, k), and prints what it found.

Rerun from the repository root:

    /usr/bin/python3 tests/LayerGen.Tests/Checkpoints/safetensors_reference.py          # write + check
    /usr/bin/python3 tests/LayerGen.Tests/Checkpoints/safetensors_reference.py check    # check only
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> shape. The same names and shapes as CheckpointInteropTests.ModelTensors.
REFERENCE_TENSORS = [
    ("Hidden.W", (3, 4)),
    ("Hidden.B", (1, 4)),
    ("Output.W", (4, 2)),
    ("Output.B", (1, 2)),
]
# The state LayerGen's file carries besides the parameters (an Adam optimizer, PyTorch's state names).
OPTIMIZER_STATES = ["exp_avg", "exp_avg_sq"]

DTYPES = {"F32": ("f", 4), "F64": ("d", 8)}
SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
         "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def value(t, k):
    """Element k (row-major) of tensor number t: exactly representable in float32 and float64."""
    return ((k % 7) - 3) * 0.125 + t


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def write(path, dtype, tensors, metadata):
    """tensors: list of (name, shape, values). Writes the file as the reference implementation would."""
    fmt, size = DTYPES[dtype]
    # The reference implementation orders the data by dtype alignment (all equal here), then by name.
    ordered = sorted(tensors, key=lambda t: t[0])
    header = {"__metadata__": metadata}
    data = bytearray()
    for name, shape, values in ordered:
        begin = len(data)
        data += struct.pack("<%d%s" % (len(values), fmt), *values)
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [begin, len(data)]}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)
    print("wrote %s (%d bytes, header %d bytes)" % (os.path.relpath(path), 8 + len(text) + len(data), len(text)))


def read(path):
    """Reads and verifies a safetensors file; returns (metadata, {name: (dtype, shape, values)})."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("shorter than 8 bytes")
    (n,) = struct.unpack_from("<Q", blob, 0)
    if n == 0 or n > 100_000_000 or 8 + n > len(blob):
        raise ValueError("bad header length %d for a %d-byte file" % (n, len(blob)))
    if n % 8 != 0:
        raise ValueError("header length %d is not a multiple of 8" % n)
    raw = blob[8:8 + n]
    if raw[:1] != b"{":
        raise ValueError("header does not start with '{'")
    header = json.loads(raw.decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("__metadata__ is not str -> str")
    data = blob[8 + n:]
    spans = []
    tensors = {}
    for name, info in header.items():
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in SIZES:
            raise ValueError("%s: unknown dtype %s" % (name, dtype))
        if end - begin != count(shape) * SIZES[dtype] or not 0 <= begin <= end <= len(data):
            raise ValueError("%s: offsets [%d, %d] do not fit %s %s" % (name, begin, end, dtype, shape))
        spans.append((begin, end, name))
        fmt, _ = DTYPES[dtype]
        tensors[name] = (dtype, shape, list(struct.unpack_from("<%d%s" % (count(shape), fmt), data, begin)))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise ValueError("%s: data begins at %d, expected %d (hole or overlap)" % (name, begin, position))
        position = end
    if position != len(data):
        raise ValueError("%d trailing bytes after the tensors" % (len(data) - position))
    return metadata, tensors


def expected_tensors(with_optimizer):
    tensors = [(name, shape) for name, shape in REFERENCE_TENSORS]
    if with_optimizer:
        tensors += [("optimizer/%s/%s" % (name, state), shape) for name, shape in REFERENCE_TENSORS for state in OPTIMIZER_STATES]
    return tensors


def check(path, dtype):
    metadata, tensors = read(path)
    expected = expected_tensors(True)
    if sorted(tensors) != sorted(name for name, _ in expected):
        raise ValueError("%s: tensors %s, expected %s" % (path, sorted(tensors), sorted(n for n, _ in expected)))
    for t, (name, shape) in enumerate(expected):
        got_dtype, got_shape, values = tensors[name]
        if got_dtype != dtype or list(got_shape) != list(shape):
            raise ValueError("%s: %s is %s %s, expected %s %s" % (path, name, got_dtype, got_shape, dtype, list(shape)))
        want = [value(t, k) for k in range(count(shape))]
        if values != want:
            raise ValueError("%s: %s holds %s, expected %s" % (path, name, values, want))
    want_metadata = {"layergen.optimizer": "Adam", "layergen.optimizer.step_count": "7",
                     "layergen.optimizer.learning_rate": "0.001", "source": "CheckpointInteropTests"}
    for key, val in want_metadata.items():
        if metadata.get(key) != val:
            raise ValueError("%s: __metadata__[%r] is %r, expected %r" % (path, key, metadata.get(key), val))
    print("checked %s: %d tensors (%s), metadata %s" % (os.path.relpath(path), len(tensors), dtype, json.dumps(metadata, sort_keys=True)))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "all"
    if mode in ("all", "write"):
        for dtype in ("F32", "F64"):
            tensors = [(name, shape, [value(t, k) for k in range(count(shape))]) for t, (name, shape) in enumerate(REFERENCE_TENSORS)]
            write(os.path.join(HERE, "reference_%s.safetensors" % dtype.lower()), dtype, tensors,
                  {"format": "pt", "source": "safetensors_reference.py"})
    if mode in ("all", "check"):
        for dtype in ("F32", "F64"):
            check(os.path.join(HERE, "layergen_%s.safetensors" % dtype.lower()), dtype)


if __name__ == "__main__":
    main()
