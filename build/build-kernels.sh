#!/usr/bin/env bash
# Builds the kernels (CMakeLists.txt) into build/out/: the PTX (build/out/ptx) and the host library the tests use
# (build/out/host/librelreason_hostkernels.so). Then either copies the PTX into kernels/ptx/ (committed and
# embedded in the assembly), or with --check fails when the committed PTX differs from what the sources give (CI).
# Needs cmake, g++ and nvcc (build/install-deps.sh); without nvcc only --host-only works.
set -euo pipefail

mode=copy
for arg in "$@"; do
    case "$arg" in
        --check) mode=check ;;
        --host-only) mode=host ;;
        *) echo "usage: build/build-kernels.sh [--check | --host-only]" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/build/out"
committed="$root/kernels/ptx"

cmake_args=(-S "$root" -B "$out" -DCMAKE_BUILD_TYPE=Release)
if [ "$mode" = host ]; then
    cmake_args+=(-DRELREASON_BUILD_PTX=OFF)
else
    cmake_args+=(-DRELREASON_BUILD_PTX=ON -DRELREASON_REQUIRE_PTX=ON)
    if command -v clang-14 >/dev/null 2>&1; then
        cmake_args+=(-DCMAKE_CUDA_HOST_COMPILER="$(command -v clang-14)")
    fi
fi

cmake "${cmake_args[@]}" >/dev/null
cmake --build "$out" --parallel "$(nproc)"
echo "build-kernels.sh: host library $out/host/librelreason_hostkernels.so"

if [ "$mode" = host ]; then
    exit 0
fi

# The driver JIT-compiles the PTX on the GPU host; ptxas (the same back end, offline) proves now that every module
# assembles for the oldest target (sm_80) and for the H200's sm_90, without a GPU.
ptxas=$(dirname "$(command -v nvcc)")/ptxas
for arch in sm_80 sm_90; do
    for ptx in "$out"/ptx/*.ptx; do
        if ! "$ptxas" -arch="$arch" "$ptx" -o /dev/null; then
            echo "build-kernels.sh: $(basename "$ptx") does not assemble for $arch" >&2
            exit 1
        fi
    done
done
echo "build-kernels.sh: every PTX module assembles for sm_80 and sm_90"

mkdir -p "$committed"
if [ "$mode" = check ]; then
    # Same set of files, same bytes.
    if ! diff -r -q "$out/ptx" "$committed"; then
        echo "build-kernels.sh: kernels/ptx/ is out of date with kernels/*.cu;" \
            "run build/build-kernels.sh and commit the PTX" >&2
        exit 1
    fi
    echo "build-kernels.sh: kernels/ptx/ is up to date"
else
    # Replace the committed set: a kernel file that was removed loses its PTX too.
    rm -f "$committed"/*.ptx
    cp "$out"/ptx/*.ptx "$committed"/
    echo "build-kernels.sh: PTX copied to $committed ($(ls "$committed" | wc -l) files)"
fi
