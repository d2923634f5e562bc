"""Times the relational-reasoning training step of METHOD.md 1 in PyTorch (CPU), for comparison with
`relreason bench`: the same backbones (tests/reference/models.py), pair construction, head, focal or BCE loss and
one Adam step per iteration, on synthetic views of the same shape.

    /usr/bin/python3 benchmarks/compare/torch_step.py --backbone resnet32 --size 32 --channels 3 --k 4 --m 32

Run it with Debian's interpreter (/usr/bin/python3 has torch); it prints the same table row as `relreason bench`
and, with --json, one JSON object as the last line.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

# libgomp's worker threads spin while they wait for work. On a machine with more runnable threads than cores (a
# shared one) the spinning threads steal the cores the working ones need, and a step takes 4-6 times longer than
# with sleeping waits (measured: ResNet-34 64x64, K=2 M=8, 6.3-9.0 s ACTIVE vs 1.2-1.5 s PASSIVE at load 13 on 2
# cores). It must be set before torch loads the OpenMP runtime; pass OMP_WAIT_POLICY=ACTIVE to measure spinning.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from torch import nn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))

import models  # noqa: E402  (the reference architectures, with RelReason's state-dict names)
import relation  # noqa: E402  (pair construction and losses of METHOD 1.2-1.4)

BACKBONES = ["conv4", "resnet8", "resnet20", "resnet32", "resnet56", "resnet18", "resnet34"]


def build(name, channels, stem):
    backbone = models.build_backbone(name, channels)
    if stem == "small":
        if name not in ("resnet18", "resnet34"):
            raise SystemExit(f"--stem applies to resnet18 and resnet34 only, not {name}")
        # The engine's "small" stem: conv 3x3 stride 1 pad 1, no max pool (a departure from the reference).
        backbone.conv1 = nn.Conv2d(channels, 64, 3, stride=1, padding=1, bias=False)
        models.he_fan_out_normal_(backbone.conv1)
        backbone.maxpool = nn.Identity()
    return backbone


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backbone", default="conv4", choices=BACKBONES)
    parser.add_argument("--stem", choices=["imagenet", "small"], default=None,
                        help="stem of resnet18/resnet34 (default: imagenet, the reference)")
    parser.add_argument("--k", type=int, default=16, help="views per image (K)")
    parser.add_argument("--m", type=int, default=64, help="images per step (M)")
    parser.add_argument("--size", type=int, default=32, help="input side in pixels")
    parser.add_argument("--channels", type=int, default=1, help="input channels")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch intra-op threads")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--loss", choices=sorted(relation.LOSSES), default="focal")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    if args.k < 2 or args.m < 2:
        raise SystemExit("--k and --m must be at least 2")

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    backbone = build(args.backbone, args.channels, args.stem)
    head = models.relation_head(backbone.feature_dim)
    backbone.train()
    head.train()
    optimizer = torch.optim.Adam([{"params": backbone.parameters()}, {"params": head.parameters()}], lr=1e-3)
    loss_fn = relation.LOSSES[args.loss]
    views = torch.randn(args.k * args.m, args.channels, args.size, args.size)

    times = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=False)
        features = backbone(views)
        pairs, targets = relation.build_pairs(features, args.k)
        value = loss_fn(head(pairs).squeeze(1), targets)
        value.backward()
        optimizer.step()
        value.item()
        if i >= args.warmup:
            times.append((time.perf_counter() - start) * 1000)

    times.sort()
    median = statistics.median(times)
    p90 = times[min(len(times) - 1, max(0, -(-9 * len(times) // 10) - 1))]
    views_per_second = args.k * args.m / (median / 1000)
    params = sum(p.numel() for p in backbone.parameters()) + sum(p.numel() for p in head.parameters())
    label = args.backbone if args.stem in (None, "imagenet") else f"{args.backbone}-{args.stem}"
    device = (f"torch {torch.__version__} cpu ({torch.get_num_threads()} threads, "
              f"mkldnn {'on' if torch.backends.mkldnn.is_available() else 'off'}, "
              f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']})")
    shape = f"{args.channels}x{args.size}x{args.size}"
    print("| backbone | params | K  | M  | input      | device | threads | median ms | p90 ms | views/s |")
    print(f"| {label:<8} | {params:6} | {args.k:2} | {args.m:2} | {shape:<10} | torch  | {args.threads:7} | "
          f"{median:9.1f} | {p90:6.1f} | {views_per_second:7.0f} |")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"backend: {device}; peak process memory {peak_mib:.0f} MiB")
    if args.json:
        print(json.dumps({"backbone": label, "parameters": params, "k": args.k, "m": args.m,
                          "input_shape": [args.channels, args.size, args.size], "device": "torch-cpu",
                          "threads": args.threads, "median_ms": median, "p90_ms": p90,
                          "views_per_second": views_per_second,
                          "peak_process_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                          "backend": device}))


if __name__ == "__main__":
    main()
