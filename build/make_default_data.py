"""Builds data/fashion-mnist-small: a balanced, deterministic subset of Fashion-MNIST in gzipped IDX form.

Selection rule (reproducible without this script): within each split and class, source records are ordered
by SHA-256 of the ASCII text "<seed>:<prefix>:<index>" (prefix "train" or "t10k", index 0-based in the source
file) and the first N per class are taken; the chosen records keep their source order in the output.
The source index of each output record is also written to <prefix>-source-indices.txt.
Uses only the Python standard library.
"""
import gzip
import hashlib
import os
import struct
import sys

SEED = 20170828
PER_CLASS = {"train": 400, "t10k": 100}
CLASSES = 10


def read_idx(path, dims):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">i", data[:4])[0]
    if magic != 0x0800 | dims:
        sys.exit(f"{path}: magic {magic}, expected {0x0800 | dims}")
    shape = struct.unpack(">" + "i" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def choose(prefix, labels, per_class):
    def key(i):
        return hashlib.sha256(f"{SEED}:{prefix}:{i}".encode("ascii")).digest()

    chosen = []
    for c in range(CLASSES):
        members = [i for i, y in enumerate(labels) if y == c]
        if len(members) < per_class:
            sys.exit(f"{prefix}: class {c} has {len(members)} records, need {per_class}")
        chosen.extend(sorted(members, key=key)[:per_class])
    return sorted(chosen)


def write_atomic(path, payload, gz):
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw:
        if gz:
            # mtime=0 and an empty name keep the output byte-identical between runs.
            with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as f:
                f.write(payload)
        else:
            raw.write(payload)
    os.replace(tmp, path)


def main(source, target):
    os.makedirs(target, exist_ok=True)
    for prefix, per_class in PER_CLASS.items():
        (count, rows, cols), pixels = read_idx(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz"), 3)
        (nlab,), labels = read_idx(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz"), 1)
        if nlab != count:
            sys.exit(f"{prefix}: {nlab} labels for {count} images")
        picked = choose(prefix, labels, per_class)
        size = rows * cols
        out_pixels = b"".join(pixels[i * size:(i + 1) * size] for i in picked)
        out_labels = bytes(labels[i] for i in picked)
        n = len(picked)
        write_atomic(os.path.join(target, f"{prefix}-images-idx3-ubyte.gz"),
                     struct.pack(">iiii", 0x0803, n, rows, cols) + out_pixels, True)
        write_atomic(os.path.join(target, f"{prefix}-labels-idx1-ubyte.gz"),
                     struct.pack(">ii", 0x0801, n) + out_labels, True)
        write_atomic(os.path.join(target, f"{prefix}-source-indices.txt"),
                     "".join(f"{i}\n" for i in picked).encode("ascii"), False)
        print(f"{prefix}: {n} records ({per_class} per class) from {count}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_default_data.py SOURCE_FOLDER TARGET_FOLDER")
    main(sys.argv[1], sys.argv[2])
