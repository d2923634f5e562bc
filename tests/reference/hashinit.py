"""A counter-based initialiser that C# reproduces bit for bit, used where a fixture is too large to store its
initial weights (the ImageNet ResNet-18 one).

For the tensor with generator seed s (its 1-based position in state-dict order) and flat element index i:
    h = mix32(i XOR mix32(s))                       all arithmetic on uint32, wrapping
    u = h >> 8                                      24-bit integer, exact in float32
    value = (float32(u) * 2^-23 - 1) * scale        float32 arithmetic; only the last product rounds
mix32(x): x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16.
So values are uniform on [-scale, scale). Constants (BN gamma/beta and running stats) use kind 0: value = scale.
"""

import math

import numpy as np

KIND_CONSTANT = 0
KIND_UNIFORM = 1


def mix32(x):
    x = np.asarray(x, dtype=np.uint32).copy()
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def generate(kind, seed, scale, count):
    """`count` float32 values of one tensor (flat, row-major)."""
    scale = np.float32(scale)
    if kind == KIND_CONSTANT:
        return np.full(count, scale, dtype=np.float32)
    if kind != KIND_UNIFORM:
        raise ValueError(f"unknown generator kind {kind}")
    index = np.arange(count, dtype=np.uint32)
    h = mix32(index ^ mix32(np.uint32(seed)))
    u = (h >> np.uint32(8)).astype(np.float32)
    return (u * np.float32(2.0 ** -23) - np.float32(1.0)) * scale


def plan(name, shapes):
    """(kind, scale) for the state-dict tensor `name`; `shapes` maps every state-dict name to its shape.
    Uniform bounds keep each tensor's variance equal to that of the model's own init: conv weight He fan-out
    normal (std sqrt(2/fan_out)) -> bound sqrt(6/fan_out); Linear weight and bias PyTorch default -> bound
    1/sqrt(fan_in). BN weight and running_var are 1, every other BN tensor 0."""
    shape = shapes[name]
    prefix, leaf = name.rsplit(".", 1)
    if len(shape) == 4:
        fan_out = shape[0] * shape[2] * shape[3]
        return KIND_UNIFORM, math.sqrt(6.0 / fan_out)
    if len(shape) == 2:
        return KIND_UNIFORM, 1.0 / math.sqrt(shape[1])
    weight = shapes.get(prefix + ".weight")
    if leaf == "bias" and weight is not None and len(weight) == 2:
        return KIND_UNIFORM, 1.0 / math.sqrt(weight[1])
    if leaf in ("weight", "running_var"):
        return KIND_CONSTANT, 1.0
    return KIND_CONSTANT, 0.0
