"""The relational reasoning step of METHOD.md 1.2-1.5: pairs, losses, one Adam step."""

import torch
import torch.nn.functional as F


def build_pairs(features, k):
    """METHOD 1.2, "cat" aggregation. features [K*M, D] in augmentation-major order (row k*M + m = view k of
    image m). Returns (pairs [M*K*(K-1), 2D], targets [M*K*(K-1)]): per block pair i<j in lexicographic order,
    M positives cat(F_i[m], F_j[m]) then M negatives cat(F_i[m], F_j[(m - s) mod M]); s starts at 1, grows by
    one per block pair and wraps from M back to 1."""
    rows = features.shape[0]
    if rows % k != 0:
        raise ValueError(f"feature rows {rows} are not a multiple of K={k}")
    m = rows // k
    blocks = torch.split(features, m, dim=0)
    pairs, targets = [], []
    shift = 1
    for i in range(k - 1):
        for j in range(i + 1, k):
            pairs.append(torch.cat([blocks[i], blocks[j]], dim=1))
            targets.append(torch.ones(m, dtype=features.dtype))
            # torch.roll(x, s, 0)[m] = x[(m - s) mod M], the R_s of METHOD 1.2.
            pairs.append(torch.cat([blocks[i], torch.roll(blocks[j], shifts=shift, dims=0)], dim=1))
            targets.append(torch.zeros(m, dtype=features.dtype))
            shift += 1
            if shift >= m:
                shift = 1
    return torch.cat(pairs, dim=0), torch.cat(targets, dim=0)


def pair_rows(k, m):
    """The feature rows each pair reads, obtained by running `build_pairs` on a column of row numbers, so the
    index lists come from the same code as the pairs themselves. Returns (left [P], right [P], targets [P])."""
    index = torch.arange(k * m, dtype=torch.float64).unsqueeze(1)
    pairs, targets = build_pairs(index, k)
    return pairs[:, 0].long(), pairs[:, 1].long(), targets


def check_pair_construction():
    """Counts and balance (M*K*(K-1) pairs, half positive) and the row rules, for a few (K, M)."""
    for k, m in [(2, 2), (3, 4), (4, 5), (5, 3), (16, 64)]:
        left, right, targets = pair_rows(k, m)
        count = m * k * (k - 1)
        assert left.numel() == count, (k, m, left.numel(), count)
        assert int(targets.sum().item()) == count // 2, (k, m)
        assert bool(torch.all(left // m < right // m)), "left must be the earlier augmentation block"
        same_image = (left % m) == (right % m)
        assert bool(torch.all(same_image == (targets == 1))), "positives pair one image, negatives two"
        # Shift of block pair b is 1 + (b mod (M-1)).
        for b in range(k * (k - 1) // 2):
            neg = slice(b * 2 * m + m, (b + 1) * 2 * m)
            s = 1 + b % (m - 1)
            expected = (torch.arange(m) - s) % m
            assert bool(torch.all(right[neg] % m == expected)), (k, m, b)


def bce_loss(logits, targets):
    """Mean BCE-with-logits (essential_script.py / notebook form)."""
    return F.binary_cross_entropy_with_logits(logits, targets, reduction="mean")


def focal_loss(logits, targets, gamma=2.0, alpha=0.5):
    """METHOD 1.4 sigmoid focal loss: mean of alpha_t * (1 - p_t)^gamma * bce, modulating factor not detached."""
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p = torch.sigmoid(logits)
    p_t = targets * p + (1 - targets) * (1 - p)
    alpha_t = targets * alpha + (1 - targets) * (1 - alpha)
    return (alpha_t * (1 - p_t) ** gamma * bce).mean()


LOSSES = {"bce": bce_loss, "focal": focal_loss}


def relation_step(backbone, head, views, k, loss, lr=1e-3):
    """One training step: backbone (train mode) over views [K*M, C, H, W] -> features [K*M, D] -> pairs ->
    head -> loss -> backward -> one Adam step (lr, default betas/eps, no weight decay) over backbone + head.
    Returns dict with features, logits, targets, loss (all detached) and leaves .grad on the parameters."""
    backbone.train()
    head.train()
    optimizer = torch.optim.Adam(
        [{"params": backbone.parameters()}, {"params": head.parameters()}], lr=lr)
    optimizer.zero_grad()
    features = backbone(views)
    pairs, targets = build_pairs(features, k)
    logits = head(pairs).squeeze(1)
    value = LOSSES[loss](logits, targets)
    value.backward()
    optimizer.step()
    return {"features": features.detach(), "logits": logits.detach(), "targets": targets,
            "loss": value.detach().reshape(1)}
