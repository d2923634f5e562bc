#!/usr/bin/env bash
# Gathers what a GPU machine needs to check relreason into build/out/gpu-bundle/ (ignored by git): the published
# NativeAOT binary, the default dataset beside it (data/fashion-mnist-small) and gpu-check.sh. Copy the folder to
# the machine and run ./gpu-check.sh there; nothing else is needed besides the NVIDIA driver, cuBLAS and cuDNN.
# Runs build/publish.sh first when there is no published binary, or always with --publish. Fails over 64 MiB.
# Usage: build/gpu-bundle.sh [--publish]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
published="$root/build/out/publish"
bundle="$root/build/out/gpu-bundle"
limit_bytes=$((64 * 1024 * 1024))

publish=0
for arg in "$@"; do
    case "$arg" in
        --publish) publish=1 ;;
        *) echo "usage: build/gpu-bundle.sh [--publish]" >&2; exit 2 ;;
    esac
done
if [ "$publish" -eq 1 ] || [ ! -x "$published/relreason" ]; then
    bash "$root/build/publish.sh"
fi

# Build the new folder beside the old one and swap it in, so a failure never leaves half a bundle.
staging=$(mktemp -d "$root/build/out/gpu-bundle.XXXXXX")
trap 'rm -rf "$staging"' EXIT
chmod 755 "$staging"
cp "$published/relreason" "$staging/"
mkdir -p "$staging/data"
cp -r "$published/data/fashion-mnist-small" "$staging/data/"
cp "$root/build/gpu-check.sh" "$staging/"
chmod +x "$staging/relreason" "$staging/gpu-check.sh"
bytes=$(du -sb "$staging" | cut -f1)
if [ "$bytes" -ge "$limit_bytes" ]; then
    echo "gpu-bundle.sh: the bundle is $bytes bytes, over the 64 MiB limit" >&2
    exit 1
fi
rm -rf "$bundle"
mv "$staging" "$bundle"
trap - EXIT
echo "gpu-bundle.sh: $bundle ($bytes bytes):"
(cd "$bundle" && find . -type f | sort | sed 's/^/  /')
echo "gpu-bundle.sh: on the GPU machine: ./gpu-check.sh   (writes gpu-check-<date>.log beside it)"
