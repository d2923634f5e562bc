#!/usr/bin/env bash
# Regenerates data/fashion-mnist-small (the dataset shipped with the repository) from a full Fashion-MNIST copy.
# Usage: build/make-default-data.sh [SOURCE_FOLDER]   (default: Debian's dataset-fashion-mnist location)
# The output is deterministic: rerunning it leaves the committed files byte-identical.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_folder="${1:-/usr/share/datasets/fashion-mnist}"
target="$here/../data/fashion-mnist-small"
if [[ ! -f "$source_folder/train-images-idx3-ubyte.gz" ]]; then
    echo "make-default-data: $source_folder has no train-images-idx3-ubyte.gz" \
         "(install Debian's dataset-fashion-mnist or pass the folder)" >&2
    exit 1
fi
/usr/bin/python3 "$here/make_default_data.py" "$source_folder" "$target"
