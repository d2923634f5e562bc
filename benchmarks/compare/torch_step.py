"""Time one full CPU training step of Conv-4 + relation head in PyTorch, as a yardstick for the C# engine.

One step = zero_grad, backbone forward over K*M views (train mode), pair construction (METHOD 1.2), head, loss,
backward, Adam step (lr 1e-3). Data loading and augmentation are not timed: the views are a fixed random tensor.

    /usr/bin/python3 benchmarks/compare/torch_step.py                       # K = 4 and 16, table
    /usr/bin/python3 benchmarks/compare/torch_step.py --json                # one JSON object per line
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas /usr/bin/python3 ...      # force the reference BLAS

See README.md beside this file for which BLAS torch picks up and recorded numbers.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time


def parse_args():
    parser = argparse.ArgumentParser(description="PyTorch CPU step time of Conv-4 + relation head")
    parser.add_argument("--m", type=int, default=64, help="images per batch (M)")
    parser.add_argument("--k", type=int, nargs="+", default=[4, 16], help="views per image (K), one run each")
    parser.add_argument("--size", type=int, default=32, help="image side")
    parser.add_argument("--channels", type=int, default=1, help="input channels")
    parser.add_argument("--loss", choices=["bce", "focal"], default="focal")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads and OPENBLAS_NUM_THREADS")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument("--json", action="store_true", help="print one JSON object per configuration")
    return parser.parse_args()


ARGS = parse_args()
# OpenBLAS reads its thread count when the library loads, i.e. when torch is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))

import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import models  # noqa: E402
import relation  # noqa: E402


def loaded_blas():
    """Paths of the BLAS libraries mapped into this process (which libblas.so.3 the loader resolved)."""
    paths = set()
    with open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in os.path.basename(path) or "lapack" in os.path.basename(path):
                paths.add(os.path.realpath(path))
    return sorted(paths)


def matmul_gflops(n=1024, repeats=5):
    """Best-of float32 n x n matmul throughput: goes through the BLAS sgemm that nn.Linear uses."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2.0 * n ** 3 / best / 1e9


def time_steps(k):
    torch.manual_seed(0)
    backbone = models.Conv4(ARGS.channels)
    head = models.relation_head(backbone.feature_dim)
    optimizer = torch.optim.Adam(
        [{"params": backbone.parameters()}, {"params": head.parameters()}], lr=1e-3)
    views = torch.randn(k * ARGS.m, ARGS.channels, ARGS.size, ARGS.size)
    loss_fn = relation.LOSSES[ARGS.loss]
    backbone.train()
    head.train()
    times = []
    for step in range(ARGS.warmup + ARGS.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        pairs, targets = relation.build_pairs(backbone(views), k)
        loss = loss_fn(head(pairs).squeeze(1), targets)
        loss.backward()
        optimizer.step()
        elapsed = time.perf_counter() - start
        if step >= ARGS.warmup:
            times.append(elapsed * 1e3)
    times.sort()
    median = statistics.median(times)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return {"backbone": "conv4", "M": ARGS.m, "K": k, "views": k * ARGS.m, "pairs": ARGS.m * k * (k - 1),
            "input": f"{ARGS.channels}x{ARGS.size}x{ARGS.size}", "loss": ARGS.loss, "threads": ARGS.threads,
            "warmup": ARGS.warmup, "steps": ARGS.steps, "min_ms": round(times[0], 2), "median_ms": round(median, 2), "p90_ms": round(p90, 2),
            "views_per_s": round(k * ARGS.m / (median / 1e3), 1), "final_loss": round(loss.item(), 5)}


def main():
    torch.set_num_threads(ARGS.threads)
    blas = loaded_blas()
    gflops = matmul_gflops()
    env = {"torch": torch.__version__, "blas_libraries": blas, "sgemm_1024_gflops": round(gflops, 1),
           "torch_threads": torch.get_num_threads(), "openblas_threads_env": os.environ.get("OPENBLAS_NUM_THREADS"),
           "ld_library_path": os.environ.get("LD_LIBRARY_PATH", ""), "cpu": platform.processor() or platform.machine(),
           "mkldnn": torch.backends.mkldnn.is_available()}
    if not ARGS.json:
        print(f"torch {env['torch']}, {env['torch_threads']} threads, mkldnn {env['mkldnn']}")
        print(f"BLAS mapped: {', '.join(blas) or 'none found'}")
        print(f"sgemm 1024^3: {gflops:.1f} GFLOP/s")
        print(f"{'K':>3} {'M':>4} {'views':>6} {'pairs':>7} {'min ms':>8} {'median ms':>10} {'p90 ms':>9} "
              f"{'views/s':>9}")
    for k in ARGS.k:
        row = time_steps(k)
        if ARGS.json:
            print(json.dumps({**row, **env}))
        else:
            print(f"{row['K']:>3} {row['M']:>4} {row['views']:>6} {row['pairs']:>7} {row['min_ms']:>8.1f} "
                  f"{row['median_ms']:>10.1f} "
                  f"{row['p90_ms']:>9.1f} {row['views_per_s']:>9.1f}")


if __name__ == "__main__":
    main()
