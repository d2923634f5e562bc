"""Regenerate the PyTorch reference fixtures in tests/reference/fixtures (see README.md beside this file).

Run with Debian's interpreter (torch 1.13 CPU):  /usr/bin/python3 tests/reference/make_fixtures.py
Options: --only NAME (repeatable) to rebuild some fixtures, --check to re-read and validate what is on disk.
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hashinit  # noqa: E402
import models  # noqa: E402
import relation  # noqa: E402
import safetensors_io  # noqa: E402
import small_fixtures  # noqa: E402
import step_fixtures  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
BUDGET_BYTES = 15 * 1024 * 1024

# name -> (backbone, channels, size, M, K, loss, seed, storage)
STEPS = {
    "conv4_c1_bce": ("conv4", 1, 32, 4, 3, "bce", 101, "full"),
    "conv4_c1_focal": ("conv4", 1, 32, 4, 3, "focal", 102, "full"),
    "conv4_c3_bce": ("conv4", 3, 32, 4, 3, "bce", 103, "full"),
    "conv4_c3_focal": ("conv4", 3, 32, 4, 3, "focal", 104, "full"),
    "resnet8_c3_focal": ("resnet8", 3, 32, 4, 3, "focal", 105, "full"),
    "resnet18_c3_bce": ("resnet18", 3, 64, 4, 3, "bce", 106, "sampled"),
}

SMALL = {
    "losses": small_fixtures.losses,
    "batchnorm": small_fixtures.batchnorm,
    "optimizers": small_fixtures.optimizers,
    "resample": small_fixtures.resample,
}

# Parameter counts from METHOD.md 2.1-2.3 (backbone parameters, buffers excluded).
PARAM_COUNTS = {("conv4", 3): 24_648, ("resnet8", 3): 77_392, ("resnet32", 3): 466_256,
                ("resnet56", 3): 855_120, ("resnet34", 3): 21_284_672}


def check_models():
    for (name, channels), expected in PARAM_COUNTS.items():
        got = sum(p.numel() for p in models.build_backbone(name, channels).parameters())
        assert got == expected, f"{name}: {got} parameters, METHOD.md says {expected}"
    for name, size, dim in [("conv4", 32, 64), ("resnet8", 32, 64), ("resnet18", 64, 512)]:
        out = models.build_backbone(name, 3)(torch.randn(2, 3, size, size))
        assert tuple(out.shape) == (2, dim), (name, out.shape)


def torchvision_names():
    """Check ImageNetResNet's state dict against torchvision's resnet18/34 (fc removed) and write the ResNet-34
    name list. Returns False when torchvision is not installed."""
    try:
        import torchvision
    except ImportError:
        print("torchvision not installed: skipped the name check and resnet34_torchvision_names.txt")
        return False
    for depth, ctor in [(18, torchvision.models.resnet18), (34, torchvision.models.resnet34)]:
        theirs = {k: tuple(v.shape) for k, v in ctor().state_dict().items() if not k.startswith("fc.")}
        ours = {k: tuple(v.shape) for k, v in models.build_backbone(f"resnet{depth}", 3).state_dict().items()}
        if theirs != ours:
            missing = sorted(set(theirs) ^ set(ours))
            wrong = sorted(k for k in set(theirs) & set(ours) if theirs[k] != ours[k])
            raise AssertionError(f"resnet{depth} differs from torchvision: names {missing[:5]}, shapes {wrong[:5]}")
        assert list(theirs) == list(ours), f"resnet{depth}: same names, different order"
    lines = [f"{k} {'x'.join(str(d) for d in v.shape) or 'scalar'}"
             for k, v in torchvision.models.resnet34().state_dict().items() if not k.startswith("fc.")]
    write_text(os.path.join(OUT, "resnet34_torchvision_names.txt"),
               f"# torchvision {torchvision.__version__} resnet34() state dict without fc: name shape "
               "(dims joined by x; scalar for a 0-d tensor)\n" + "\n".join(lines) + "\n")
    print(f"torchvision {torchvision.__version__}: resnet18/resnet34 names, order and shapes match")
    return True


def write_text(path, text):
    temp = path + ".tmp"
    with open(temp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temp, path)


def check_generated_init(path, tensors, meta):
    """In sampled fixtures, initsample/<name> must equal hashinit's output at the sample indices, bit for bit."""
    for key, (kind, seed, scale) in ((k, v) for k, v in tensors.items() if k.startswith("initgen/")):
        name = key[len("initgen/"):]
        dims = [int(d) for d in meta["shape/" + name].split(",") if d]
        count = int(np.prod(dims, dtype=np.int64))
        sample = tensors["initsample/" + name]
        values = hashinit.generate(int(kind), int(seed), scale, count)
        index = (np.arange(len(sample), dtype=np.int64) * count) // len(sample)
        assert np.array_equal(values[index], sample), f"{path}: initsample/{name} does not match hashinit"


def check_files():
    """Re-read every fixture and print its size; fail over the size budget."""
    total = 0
    for name in sorted(os.listdir(OUT)):
        path = os.path.join(OUT, name)
        size = os.path.getsize(path)
        total += size
        if name.endswith(".safetensors"):
            tensors, meta = safetensors_io.read(path)
            bad = [k for k, v in tensors.items() if not np.all(np.isfinite(v))]
            assert not bad, f"{path}: non-finite values in {bad[:3]}"
            check_generated_init(path, tensors, meta)
            print(f"{name:32s} {size / 1024:9.1f} KiB  {len(tensors):4d} tensors  {meta.get('kind')}")
        else:
            print(f"{name:32s} {size / 1024:9.1f} KiB")
    print(f"total {total / 1024 / 1024:.2f} MiB")
    assert total <= BUDGET_BYTES, f"fixtures take {total} bytes, over the {BUDGET_BYTES}-byte budget"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--only", action="append", help="fixture name (repeatable)")
    parser.add_argument("--check", action="store_true", help="only re-read and validate the files")
    args = parser.parse_args()
    if args.check:
        check_files()
        return
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    os.makedirs(OUT, exist_ok=True)
    unknown = set(args.only or []) - set(STEPS) - set(SMALL) - {"names"}
    if unknown:
        parser.error(f"unknown fixture(s) {sorted(unknown)}; known: {sorted(STEPS) + sorted(SMALL) + ['names']}")
    wanted = lambda name: not args.only or name in args.only  # noqa: E731

    relation.check_pair_construction()
    check_models()
    print("pair construction and model shapes check out")
    if wanted("names"):
        torchvision_names()
    for name, build in SMALL.items():
        if wanted(name):
            tensors, meta = build()
            safetensors_io.write(os.path.join(OUT, name + ".safetensors"), tensors, meta)
            print(f"wrote {name}")
    for name, spec in STEPS.items():
        if wanted(name):
            tensors, meta = step_fixtures.build(*spec)
            safetensors_io.write(os.path.join(OUT, name + ".safetensors"), tensors, meta)
            print(f"wrote {name}: loss {tensors['loss'].item():.6f}; float32 vs float64: "
                  f"grad {meta['f32_relerr_grad_worst']}, after {meta['f32_maxabs_after_worst']}")
    check_files()


if __name__ == "__main__":
    main()
