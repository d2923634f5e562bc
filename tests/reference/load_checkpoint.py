"""Load a RelReason checkpoint into the PyTorch models of models.py, as a user of PyTorch would.

    /usr/bin/python3 tests/reference/load_checkpoint.py CHECKPOINT.safetensors

Reads the file with its own safetensors reader (F32 and I64; Debian ships no python3-safetensors), checks the
RelReason metadata, builds the backbone the metadata names, loads every backbone.* tensor with strict=True
(num_batches_tracked included, which must arrive as int64), does the same for relation.* when present, runs the
backbone once in eval mode and prints OK. Any mismatch raises with the file and tensor named.
"""

import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

DTYPES = {"F32": ("<f4", 4), "I64": ("<i8", 8)}


def read_safetensors(path):
    """Returns (dict name -> ndarray, metadata dict). Offsets must tile the data section exactly."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: {len(blob)} bytes, too short for the header length")
    (n,) = struct.unpack_from("<Q", blob, 0)
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the {len(blob)}-byte file")
    if (8 + n) % 8 != 0:
        raise ValueError(f"{path}: data starts at byte {8 + n}, not on an 8-byte boundary")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = memoryview(blob)[8 + n:]
    spans = sorted((entry["data_offsets"], name) for name, entry in header.items())
    covered = 0
    for (begin, end), name in spans:
        if begin != covered:
            raise ValueError(f"{path}: tensor {name} starts at {begin}, expected {covered}")
        covered = end
    if covered != len(data):
        raise ValueError(f"{path}: tensors cover {covered} of {len(data)} data bytes")
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}")
        numpy_type, size = DTYPES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        if end - begin != size * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor {name} offsets [{begin},{end}) do not fit shape {shape}")
        tensors[name] = np.frombuffer(data[begin:end], dtype=numpy_type).reshape(shape).copy()
    return tensors, metadata


def load_strict(path, module, tensors, prefix):
    """load_state_dict(strict=True) of the tensors under `prefix`, after checking dtypes and shapes."""
    state = {k[len(prefix):]: torch.from_numpy(v) for k, v in tensors.items() if k.startswith(prefix)}
    own = module.state_dict()
    for name, value in state.items():
        if name in own and (own[name].dtype != value.dtype or tuple(own[name].shape) != tuple(value.shape)):
            raise ValueError(f"{path}: {prefix}{name} is {value.dtype} {tuple(value.shape)}, PyTorch has "
                             f"{own[name].dtype} {tuple(own[name].shape)}")
    module.load_state_dict(state, strict=True)
    for name, value in module.state_dict().items():
        if not torch.equal(value, state[name]):
            raise ValueError(f"{path}: {prefix}{name} changed while loading")
    return len(state)


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    path = argv[1]
    tensors, meta = read_safetensors(path)
    if meta.get("format") != "relreason-checkpoint":
        raise ValueError(f"{path}: not a RelReason checkpoint (format {meta.get('format')!r})")
    channels = int(meta["in_channels"])
    backbone = models.build_backbone(meta["backbone"], channels)
    loaded = load_strict(path, backbone, tensors, "backbone.")
    counters = {k: int(v) for k, v in tensors.items() if k.endswith("num_batches_tracked")}
    report = [f"{loaded} backbone tensors"]
    if meta.get("head") == "relation":
        head = models.relation_head(backbone.feature_dim)
        report.append(f"{load_strict(path, head, tensors, 'relation.')} relation tensors")
    optimizer = [k for k in tensors if k.startswith("optimizer.")]
    backbone.eval()
    side = max(int(meta.get("input_size", "0")), 32)
    with torch.no_grad():
        features = backbone(torch.zeros(2, channels, side, side))
    if not torch.isfinite(features).all():
        raise ValueError(f"{path}: the loaded backbone gives non-finite features")
    print(f"OK {path}: {meta['backbone']} ({channels} channels), " + ", ".join(report) +
          f", {len(optimizer)} optimizer tensors, num_batches_tracked {sorted(set(counters.values()))}, "
          f"epoch {meta['epoch']} step {meta['step']}, features {tuple(features.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
