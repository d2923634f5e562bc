#!/usr/bin/env bash
# The main job on a fresh machine: installs OpenBLAS if missing, builds relreason, pretrains Conv-4 by relational
# reasoning on the shipped Fashion-MNIST subset (data/fashion-mnist-small), then linear-evaluates the pretrained
# backbone and a randomly initialised one and prints both accuracies; k-NN accuracy is logged every 5 epochs.
# Extra arguments go to `relreason pretrain`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 ]; then
    sudo_if() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
    sudo_if apt-get -o DPkg::Lock::Timeout=900 -q update
    DEBIAN_FRONTEND=noninteractive sudo_if apt-get -o DPkg::Lock::Timeout=900 -y -q install libopenblas0-pthread
fi
dotnet build src/RelReason.Cli -c Release -v quiet -nologo
exec src/RelReason.Cli/bin/Release/net10.0/relreason pretrain --knn-every 5 --linear-eval "$@"
