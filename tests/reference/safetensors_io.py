"""Minimal safetensors writer and reader (float32 only), written with struct, json and numpy.

Layout of a file:
    bytes 0..8    : unsigned 64-bit little-endian N, the length of the JSON header
    bytes 8..8+N  : UTF-8 JSON object {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
                    "__metadata__": {str: str}}, padded with spaces so that 8 + N is a multiple of 8
    bytes 8+N..   : the tensors' raw little-endian bytes, back to back in header order; offsets are relative
                    to the start of this data section.
"""

import json
import os
import struct
import tempfile

import numpy as np


def write(path, tensors, metadata):
    """Write `tensors` (an ordered dict name -> array-like) and `metadata` (str -> str) to `path`.

    Every tensor is stored as float32. The file is written to a temporary file in the same folder and then
    renamed, so a crash never leaves a torn fixture behind.
    """
    header = {}
    blobs = []
    offset = 0
    for name, value in tensors.items():
        # np.array, not np.ascontiguousarray: the latter turns a 0-d scalar into shape [1].
        array = np.array(value, dtype="<f4", order="C")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{path}: tensor {name} holds a non-finite value")
        raw = array.tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    meta = {str(k): str(v) for k, v in metadata.items()}
    header["__metadata__"] = meta
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # 8 header-length bytes + header must end on an 8-byte boundary so the float data is aligned.
    text += b" " * ((-(8 + len(text))) % 8)

    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for raw in blobs:
                f.write(raw)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise


def read(path):
    """Read a file written by `write`: returns (dict name -> float32 ndarray, metadata dict)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: {len(blob)} bytes, expected at least the 8-byte header length")
    (n,) = struct.unpack_from("<Q", blob, 0)
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} runs past the end of the {len(blob)}-byte file")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = memoryview(blob)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != 4 * count or end > len(data):
            raise ValueError(f"{path}: tensor {name} offsets [{begin},{end}) do not fit shape {shape}")
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(shape).copy()
    return tensors, metadata
