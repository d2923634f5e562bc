"""Fixtures of single ops: losses at extreme logits, batch norm, and the SGD / Adam update rules.
All reference numbers are computed in float64 from float32 inputs and stored as float32."""

from collections import OrderedDict

import torch
import torch.nn.functional as F

import relation

D = torch.float64


def _grad_of(fn, x):
    """(value, d value / d x) for a scalar function of x, in float64."""
    x = x.detach().to(D).requires_grad_(True)
    value = fn(x)
    (grad,) = torch.autograd.grad(value, x)
    return value.detach(), grad


def losses():
    """BCE-with-logits and focal (gamma 2, alpha 0.5) at extreme logits with both targets, mean reduction;
    softmax cross-entropy (mean over rows) on a [5, 7] example that includes an extreme and a shifted row."""
    t = OrderedDict()
    points = torch.tensor([-100.0, -30.0, -5.0, -1.0, -0.25, 0.0, 0.25, 1.0, 5.0, 30.0, 100.0])
    logits = torch.cat([points, points])
    targets = torch.cat([torch.zeros_like(points), torch.ones_like(points)])
    for name, fn in relation.LOSSES.items():
        value, grad = _grad_of(lambda x: fn(x, targets.to(D)), logits)
        per_element = torch.stack([fn(logits[i:i + 1].to(D), targets[i:i + 1].to(D)) for i in range(len(logits))])
        t[f"{name}/logits"] = logits
        t[f"{name}/targets"] = targets
        t[f"{name}/elementwise"] = per_element
        t[f"{name}/loss"] = value.reshape(1)
        t[f"{name}/grad"] = grad

    gen = torch.Generator().manual_seed(7)
    x = 2.0 * torch.randn(5, 7, generator=gen)
    x[3] = torch.tensor([-100.0, 100.0, -100.0, 0.0, 30.0, -30.0, 100.0])  # two equal maxima, huge gaps
    x[4] = 500.0 + torch.randn(7, generator=gen)  # large common offset: needs the max subtracted
    labels = torch.tensor([0, 6, 3, 2, 5])
    value, grad = _grad_of(lambda z: F.cross_entropy(z, labels), x)
    per_row = F.cross_entropy(x.to(D), labels, reduction="none")
    t["softmax_ce/logits"] = x
    t["softmax_ce/labels"] = labels.float()
    t["softmax_ce/elementwise"] = per_row
    t["softmax_ce/loss"] = value.reshape(1)
    t["softmax_ce/grad"] = grad
    meta = {"kind": "losses", "torch": torch.__version__, "compute_dtype": "float64",
            "focal": "gamma=2 alpha=0.5, modulating factor not detached", "reduction": "mean",
            "softmax_ce": "labels stored as float class indices; loss = mean over rows of -log softmax[label]"}
    return t, meta


def _batchnorm_case(t, prefix, bn_cls, x_shape, gen):
    c = x_shape[1]
    x = 2.0 * torch.randn(*x_shape, generator=gen) + 0.5
    gamma = 1.0 + 0.5 * torch.randn(c, generator=gen)
    beta = 0.3 * torch.randn(c, generator=gen)
    running_mean = 0.2 * torch.randn(c, generator=gen)
    running_var = 0.5 + torch.rand(c, generator=gen)
    dy = torch.randn(*x_shape, generator=gen)
    for name, v in [("x", x), ("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                    ("running_var", running_var), ("dy", dy)]:
        t[f"{prefix}/{name}"] = v
    reduce_dims = [0] + list(range(2, len(x_shape)))
    for mode in ("train", "eval"):
        bn = bn_cls(c, eps=1e-5, momentum=0.1).to(D)
        with torch.no_grad():
            bn.weight.copy_(gamma)
            bn.bias.copy_(beta)
            bn.running_mean.copy_(running_mean)
            bn.running_var.copy_(running_var)
        bn.train(mode == "train")
        xd = x.to(D).requires_grad_(True)
        y = bn(xd)
        y.backward(dy.to(D))
        t[f"{prefix}/{mode}/y"] = y.detach()
        t[f"{prefix}/{mode}/dx"] = xd.grad
        t[f"{prefix}/{mode}/dgamma"] = bn.weight.grad
        t[f"{prefix}/{mode}/dbeta"] = bn.bias.grad
        t[f"{prefix}/{mode}/running_mean_after"] = bn.running_mean
        t[f"{prefix}/{mode}/running_var_after"] = bn.running_var
        if mode == "train":
            t[f"{prefix}/train/batch_mean"] = x.to(D).mean(dim=reduce_dims)
            t[f"{prefix}/train/batch_var_biased"] = x.to(D).var(dim=reduce_dims, unbiased=False)


def batchnorm():
    """BatchNorm2d on x [4,3,5,5] and BatchNorm1d on x [6,5], eps 1e-5, momentum 0.1, in train mode (batch
    statistics, running stats updated with the unbiased variance) and eval mode (running statistics)."""
    t = OrderedDict()
    gen = torch.Generator().manual_seed(11)
    _batchnorm_case(t, "bn2d", torch.nn.BatchNorm2d, (4, 3, 5, 5), gen)
    _batchnorm_case(t, "bn1d", torch.nn.BatchNorm1d, (6, 5), gen)
    meta = {"kind": "batchnorm", "torch": torch.__version__, "compute_dtype": "float64", "eps": "1e-5",
            "momentum": "0.1",
            "running_update": "new = (1 - momentum) * old + momentum * stat; var stat uses n/(n-1) (unbiased)",
            "dy": "upstream gradient; dx, dgamma, dbeta are the gradients of sum(y * dy)"}
    return t, meta


OPTIMIZERS = OrderedDict([
    ("sgd_momentum", (torch.optim.SGD, dict(lr=0.1, momentum=0.9))),
    ("sgd_nesterov", (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True))),
    ("sgd_momentum_wd", (torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.05))),
    ("sgd_nesterov_wd", (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05))),
    ("adam", (torch.optim.Adam, dict(lr=1e-3))),
    ("adam_wd", (torch.optim.Adam, dict(lr=1e-2, weight_decay=0.05))),
])


def optimizers(steps=3):
    """Each optimizer of OPTIMIZERS from the same param0 [2,5] with the same given grads grad1..grad3;
    param<n> is the parameter after step n. The optimizer state after the last step is kept too."""
    t = OrderedDict()
    gen = torch.Generator().manual_seed(13)
    param0 = torch.randn(2, 5, generator=gen)
    grads = [torch.randn(2, 5, generator=gen) for _ in range(steps)]
    t["param0"] = param0
    for s, g in enumerate(grads, start=1):
        t[f"grad{s}"] = g
    meta = {"kind": "optimizers", "torch": torch.__version__, "compute_dtype": "float64", "steps": steps,
            "layout": "param0, grad1..gradN shared; <config>/param<n> after step n; <config>/<state> after step N"}
    for name, (cls, kwargs) in OPTIMIZERS.items():
        p = torch.nn.Parameter(param0.to(D).clone())
        opt = cls([p], **kwargs)
        for s, g in enumerate(grads, start=1):
            p.grad = g.to(D).clone()
            opt.step()
            t[f"{name}/param{s}"] = p.detach().clone()
        for key, value in opt.state[p].items():
            if torch.is_tensor(value) and value.numel() > 1:
                t[f"{name}/{key}"] = value
        meta[name] = f"{cls.__name__} " + " ".join(f"{k}={v}" for k, v in sorted(opt.defaults.items())
                                                    if not isinstance(v, (type(None),)))
    return t, meta


# (height, width, channels, crop top, crop left, crop height, crop width, side): both axes down, both up, one of
# each, an exact 3x reduction, odd factors.
RESAMPLE_CASES = [
    (24, 20, 3, 2, 1, 21, 17, 8),
    (24, 20, 1, 0, 0, 24, 20, 32),
    (30, 30, 3, 3, 5, 25, 9, 12),
    (96, 96, 3, 0, 0, 96, 96, 32),
    (17, 23, 1, 4, 2, 13, 19, 5),
]


def resample():
    """The view resampler's reference: a crop of a random uint8 image resized to side x side by
    interpolate(mode="bilinear", align_corners=False, antialias=True) in float64, which is plain bilinear where an
    axis is resized up and PIL's widened triangle filter where it is resized down. Images are stored HWC as float
    byte values, outputs CHW in [0, 1]."""
    t = OrderedDict()
    gen = torch.Generator().manual_seed(11)
    for i, (h, w, c, top, left, ch, cw, side) in enumerate(RESAMPLE_CASES):
        image = torch.randint(0, 256, (h, w, c), generator=gen, dtype=torch.uint8)
        crop = image[top:top + ch, left:left + cw].permute(2, 0, 1).to(D).unsqueeze(0) / 255.0
        out = F.interpolate(crop, size=(side, side), mode="bilinear", align_corners=False, antialias=True)
        t[f"case{i}/image"] = image.float()
        t[f"case{i}/box"] = torch.tensor([h, w, c, top, left, ch, cw, side], dtype=torch.float32)
        t[f"case{i}/expected"] = out[0]
    meta = {"kind": "resample", "torch": torch.__version__, "compute_dtype": "float64",
            "cases": str(len(RESAMPLE_CASES)),
            "box": "height, width, channels, crop top, crop left, crop height, crop width, side"}
    return t, meta
