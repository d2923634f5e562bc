"""The networks of METHOD.md section 1.3 and 2, written out in PyTorch with the state-dict names the C# engine
uses for checkpoints (the names the reference code's modules produce)."""

import math
from collections import OrderedDict

import torch
from torch import nn


def he_fan_out_normal_(conv):
    """Normal(0, sqrt(2 / (kh * kw * out_channels))), the init METHOD 2.1-2.3 give for every conv weight."""
    kh, kw = conv.kernel_size
    std = math.sqrt(2.0 / (kh * kw * conv.out_channels))
    with torch.no_grad():
        conv.weight.normal_(0.0, std)


def init_backbone_(model):
    """Convs He fan-out normal, BN gamma 1 and beta 0, in module order (so a seed fixes every value)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            he_fan_out_normal_(module)
        elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class ConvBlock(nn.Module):
    """conv 3x3 (stride 1, pad 1, no bias) -> BN -> ReLU -> pool."""

    def __init__(self, cin, cout, pool):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.pool = pool

    def forward(self, x):
        return self.pool(self.relu(self.bn(self.conv(x))))


class Conv4(nn.Module):
    """METHOD 2.1: channels C->8->16->32->64, avg-pool 2x2 after blocks 1-3, global average pool after block 4.
    Input [N, C, H, W], output [N, 64]."""

    feature_dim = 64

    def __init__(self, in_channels=3):
        super().__init__()
        widths = [in_channels, 8, 16, 32, 64]
        for n in range(1, 5):
            pool = nn.AvgPool2d(2, 2) if n < 4 else nn.AdaptiveAvgPool2d(1)
            setattr(self, f"layer{n}", ConvBlock(widths[n - 1], widths[n], pool))
        init_backbone_(self)

    def forward(self, x):
        for n in range(1, 5):
            x = getattr(self, f"layer{n}")(x)
        return torch.flatten(x, 1)


class BasicBlock(nn.Module):
    """conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN, plus shortcut, then ReLU. The shortcut is a 1x1 conv
    (stride, no bias) + BN when the stride or the width changes ("option B"), else the identity."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + shortcut)


class CifarResNet(nn.Module):
    """METHOD 2.2: stem conv3x3 (C->16) -> BN -> ReLU, three stages of n BasicBlocks (16/32/64 wide, strides
    1/2/2), global average pool. depth = 6n + 2 (ResNet-8: n=1). Output [N, 64]."""

    feature_dim = 64

    def __init__(self, depth, in_channels=3):
        super().__init__()
        if (depth - 2) % 6 != 0:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2, got {depth}")
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        cin = 16
        for stage, (width, stride) in enumerate([(16, 1), (32, 2), (64, 2)], start=1):
            blocks = []
            for b in range(n):
                blocks.append(BasicBlock(cin, width, stride if b == 0 else 1))
                cin = width
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        init_backbone_(self)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return torch.flatten(self.avgpool(x), 1)


class ImageNetResNet(nn.Module):
    """METHOD 2.3: torchvision's ImageNet ResNet with BasicBlocks and the fc layer removed.
    conv 7x7/2 (C->64) -> BN -> ReLU -> maxpool 3x3/2 pad 1 -> stages of 64/128/256/512 (strides 1/2/2/2)
    -> global average pool. blocks = [2,2,2,2] for ResNet-18, [3,4,6,3] for ResNet-34. Output [N, 512]."""

    feature_dim = 512

    def __init__(self, blocks, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin = 64
        for stage, (count, width, stride) in enumerate(zip(blocks, [64, 128, 256, 512], [1, 2, 2, 2]), start=1):
            layer = []
            for b in range(count):
                layer.append(BasicBlock(cin, width, stride if b == 0 else 1))
                cin = width
            setattr(self, f"layer{stage}", nn.Sequential(*layer))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        init_backbone_(self)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)


def relation_head(feature_dim, hidden=256):
    """METHOD 1.3: Linear(2D, 256) -> BatchNorm1d(256) -> LeakyReLU(0.01) -> Linear(256, 1), PyTorch default
    init (uses the global RNG, in this module order). Input [P, 2D], output [P, 1]."""
    return nn.Sequential(OrderedDict([
        ("linear1", nn.Linear(2 * feature_dim, hidden)),
        ("bn1", nn.BatchNorm1d(hidden)),
        ("relu", nn.LeakyReLU(0.01)),
        ("linear2", nn.Linear(hidden, 1)),
    ]))


def build_backbone(name, in_channels):
    if name == "conv4":
        return Conv4(in_channels)
    if name.startswith("resnet") and name[6:].isdigit():
        depth = int(name[6:])
        if depth == 18:
            return ImageNetResNet([2, 2, 2, 2], in_channels)
        if depth == 34:
            return ImageNetResNet([3, 4, 6, 3], in_channels)
        return CifarResNet(depth, in_channels)
    raise ValueError(f"unknown backbone {name!r}")
