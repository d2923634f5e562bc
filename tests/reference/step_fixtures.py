"""Fixtures of one relational reasoning training step (METHOD 1.2-1.5) for a given backbone."""

import copy
from collections import OrderedDict

import numpy as np
import torch

import hashinit
import models
import relation

SAMPLE = 512  # elements kept per tensor in "sampled" fixtures


def full_state(backbone, head):
    """Backbone and head state dicts with the "backbone." / "relation." prefixes of a RelReason checkpoint."""
    state = OrderedDict()
    for prefix, module in (("backbone.", backbone), ("relation.", head)):
        for name, value in module.state_dict().items():
            state[prefix + name] = value.detach().clone()
    return state


def full_grads(backbone, head):
    grads = OrderedDict()
    for prefix, module in (("backbone.", backbone), ("relation.", head)):
        for name, p in module.named_parameters():
            if p.grad is None:
                raise RuntimeError(f"parameter {prefix + name} got no gradient")
            grads[prefix + name] = p.grad.detach().clone()
    return grads


def load_full_state(backbone, head, state):
    for prefix, module in (("backbone.", backbone), ("relation.", head)):
        module.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})


def hash_init_(backbone, head):
    """Overwrite every state-dict tensor with hashinit values. Returns name -> (kind, seed, scale)."""
    state = full_state(backbone, head)
    shapes = {name: tuple(v.shape) for name, v in state.items()}
    generators = OrderedDict()
    for seed, (name, value) in enumerate(state.items(), start=1):
        kind, scale = hashinit.plan(name, shapes)
        data = hashinit.generate(kind, seed, scale, value.numel())
        state[name] = torch.from_numpy(data.reshape(value.shape)).to(value.dtype)
        generators[name] = (kind, seed, float(np.float32(scale)))
    load_full_state(backbone, head, state)
    return generators


def run(backbone, head, views, k, loss, lr, dtype):
    """Copy the modules to `dtype`, run the step, and return (outputs, state before, grads, state after)."""
    b, h = copy.deepcopy(backbone).to(dtype), copy.deepcopy(head).to(dtype)
    before = full_state(b, h)
    out = relation.relation_step(b, h, views.to(dtype), k, loss, lr)
    return out, before, full_grads(b, h), full_state(b, h)


def rel_err(a, b):
    """||a - b|| / ||b|| in float64 (0 when both are 0)."""
    a, b = a.double(), b.double()
    denom = b.norm().item()
    diff = (a - b).norm().item()
    return diff / denom if denom > 0 else diff


def sample(value):
    """Elements at flat indices (j * n) // S, j = 0..S-1, S = min(n, SAMPLE): the whole tensor when n <= S."""
    flat = value.reshape(-1)
    n = flat.numel()
    s = min(n, SAMPLE)
    index = (torch.arange(s, dtype=torch.int64) * n) // s
    return flat[index]


def build(backbone_name, channels, size, m, k, loss, seed, storage, lr=1e-3):
    """Returns (tensors, metadata) for one step fixture. storage "full" keeps every tensor whole; "sampled"
    replaces the init by hashinit generators and keeps samples and norms of gradients and updates."""
    torch.manual_seed(seed)
    backbone = models.build_backbone(backbone_name, channels)
    head = models.relation_head(backbone.feature_dim)
    generators = hash_init_(backbone, head) if storage == "sampled" else None
    gen = torch.Generator().manual_seed(seed + 1)
    views = torch.randn(k * m, channels, size, size, generator=gen, dtype=torch.float32)

    # The reference numbers come from float64 (initial values and inputs are float32, so exact in both); a
    # float32 run of the same step is kept only to report how far an exact float32 implementation lands.
    out, before, grads, after = run(backbone, head, views, k, loss, lr, torch.float64)
    out32, _, grads32, after32 = run(backbone, head, views, k, loss, lr, torch.float32)

    left, right, targets = relation.pair_rows(k, m)
    assert torch.equal(targets, out["targets"])
    t = OrderedDict()
    t["input"] = views
    t["features"] = out["features"]
    t["logits"] = out["logits"]
    t["targets"] = targets
    t["pairs/left"] = left
    t["pairs/right"] = right
    t["loss"] = out["loss"]

    meta = OrderedDict(kind="relation_step", backbone=backbone_name, K=k, M=m, channels=channels, size=size,
                       loss=loss, lr=lr, torch=torch.__version__, compute_dtype="float64", seed=seed,
                       storage=storage, feature_dim=backbone.feature_dim, pairs=left.numel(),
                       optimizer="Adam betas=(0.9,0.999) eps=1e-8 weight_decay=0, one step",
                       focal="gamma=2 alpha=0.5" if loss == "focal" else "none",
                       head="Linear(2D,256)-BatchNorm1d(256)-LeakyReLU(0.01)-Linear(256,1)")
    if storage == "full":
        for name, value in before.items():
            t["init/" + name] = value
        for name, value in grads.items():
            t["grad/" + name] = value
        for name, value in after.items():
            t["after/" + name] = value
    else:
        meta["sample_size"] = SAMPLE
        meta["init_generator"] = "hashinit (see README): initgen/<name> = [kind, seed, scale]"
        for name, value in before.items():
            kind, gseed, scale = generators[name]
            t["initgen/" + name] = [kind, gseed, scale]
            t["initsample/" + name] = sample(value)
            meta["shape/" + name] = ",".join(str(d) for d in value.shape)
        for name, value in grads.items():
            t["gradsample/" + name] = sample(value)
            t["gradnorm/" + name] = value.norm().reshape(1)
        for name, value in after.items():
            t["aftersample/" + name] = sample(value)
            t["deltanorm/" + name] = (value.double() - before[name].double()).norm().reshape(1)

    # How a float32 PyTorch run differs from these float64 numbers: a yardstick for C# tolerances.
    meta["f32_relerr_features"] = f"{rel_err(out32['features'], out['features']):.3g}"
    meta["f32_relerr_logits"] = f"{rel_err(out32['logits'], out['logits']):.3g}"
    meta["f32_relerr_loss"] = f"{rel_err(out32['loss'], out['loss']):.3g}"
    # linear1's bias feeds BatchNorm1d, which removes any per-channel shift: its exact gradient is 0 and what
    # any implementation computes for it is rounding noise. It is reported apart and left out of the worst case.
    noise = "relation.linear1.bias"
    meta["zero_grad_tensor"] = noise
    meta["f32_maxabs_grad_" + noise] = f"{grads32[noise].abs().max().item():.3g}"
    meta["f64_maxabs_grad_" + noise] = f"{grads[noise].abs().max().item():.3g}"
    checked = [n for n in grads if n != noise]
    worst = max(checked, key=lambda n: rel_err(grads32[n], grads[n]))
    meta["f32_relerr_grad_worst"] = f"{rel_err(grads32[worst], grads[worst]):.3g} ({worst})"
    diffs = {n: (after32[n].double() - after[n].double()).abs().max().item() for n in checked}
    worst = max(diffs, key=diffs.get)
    meta["f32_maxabs_after_worst"] = f"{diffs[worst]:.3g} ({worst})"
    return t, meta
