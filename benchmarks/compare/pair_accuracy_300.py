#!/usr/bin/python3
"""Relational reasoning on Fashion-MNIST in PyTorch, for comparison with `relreason pretrain`.

Same method and shapes as RelReason's default CPU run: Conv-4 (8/16/32/64, avg pools), relation head
Linear(128, 256) -> BatchNorm1d -> LeakyReLU -> Linear(256, 1), K views of M images per step (augmentation-major),
positives and rolled negatives with the cycling shift, focal (gamma 2, alpha 0.5) or BCE loss, Adam 1e-3.
Augmentation: RandomResizedCrop(28, scale crop_min-1), flip, p 0.8 brightness/contrast jitter 0.8 (saturation,
hue and grayscale make no sense on one channel), normalise. Prints the loss and the mean training pair accuracy of each
block of 50 steps.

The third argument is the smallest crop as a fraction of the area (relreason's --crop-min; default 0.08, the
reference's).

usage: /usr/bin/python3 pair_accuracy_300.py [focal|bce] [steps] [crop_min]
"""
import gzip
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision.transforms as T

IMAGES = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
K, M = 4, 64


def read_idx(path):
    raw = gzip.open(path).read()
    count = int.from_bytes(raw[4:8], "big")
    return np.frombuffer(raw, np.uint8, offset=16).reshape(count, 28, 28)


def block(cin, cout, last=False):
    pool = nn.AdaptiveAvgPool2d(1) if last else nn.AvgPool2d(2, 2)
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), pool)


def main():
    loss_kind = sys.argv[1] if len(sys.argv) > 1 else "focal"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    crop_min = float(sys.argv[3]) if len(sys.argv) > 3 else 0.08
    torch.manual_seed(1)
    torch.set_num_threads(2)
    images = torch.from_numpy(read_idx(IMAGES).copy()).float().div(255).unsqueeze(1)
    augment = T.Compose([
        T.RandomResizedCrop(28, scale=(crop_min, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.8, 0.8)], p=0.8),
        T.Normalize([0.286], [0.353]),
    ])
    backbone = nn.Sequential(block(1, 8), block(8, 16), block(16, 32), block(32, 64, last=True), nn.Flatten())
    head = nn.Sequential(nn.Linear(128, 256), nn.BatchNorm1d(256), nn.LeakyReLU(), nn.Linear(256, 1))
    optimiser = torch.optim.Adam(list(backbone.parameters()) + list(head.parameters()), 1e-3)
    order = torch.randperm(len(images))
    accuracies = []
    for step in range(steps):
        batch = images[order[step * M:(step + 1) * M]]
        views = torch.cat([torch.stack([augment(im) for im in batch]) for _ in range(K)])
        features = backbone(views)
        pairs, targets, shift = [], [], 1
        for i in range(K - 1):
            for j in range(i + 1, K):
                fi, fj = features[i * M:(i + 1) * M], features[j * M:(j + 1) * M]
                pairs += [torch.cat([fi, fj], 1), torch.cat([fi, torch.roll(fj, shift, 0)], 1)]
                targets += [torch.ones(M), torch.zeros(M)]
                shift = shift + 1 if shift + 1 < M else 1
        logits = head(torch.cat(pairs)).squeeze(1)
        y = torch.cat(targets)
        bce = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
        if loss_kind == "focal":
            p = torch.sigmoid(logits)
            p_t = y * p + (1 - y) * (1 - p)
            loss = (0.5 * (1 - p_t) ** 2 * bce).mean()
        else:
            loss = bce.mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        accuracies.append(((logits > 0).float() == y).float().mean().item())
        if (step + 1) % 50 == 0:
            print(f"step {step + 1:5d} | loss {loss.item():.4f} | pair acc {100 * np.mean(accuracies[-50:]):.2f}%",
                  flush=True)


if __name__ == "__main__":
    main()
