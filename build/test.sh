#!/usr/bin/env bash
# Runs every test, as CI does: installs what the tests need when it is missing (OpenBLAS, the Fashion-MNIST
# package, the CUDA tool chain for the kernels), builds the kernels' host library and checks the committed PTX,
# then runs the NUnit suite and ends with one line "N passed, N failed, N skipped".
# Usage: build/test.sh [extra dotnet test arguments, e.g. --filter "FullyQualifiedName~Engine"]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

as_root()
{
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

packages=()
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 ] || packages+=(libopenblas0-pthread)
[ -d /usr/share/datasets/fashion-mnist ] || packages+=(dataset-fashion-mnist)
if [ "${#packages[@]}" -gt 0 ]; then
    echo "test.sh: installing ${packages[*]}"
    as_root apt-get -o DPkg::Lock::Timeout=900 -q update
    DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=900 -y -q install "${packages[@]}"
fi
bash build/install-deps.sh
bash build/build-kernels.sh --check

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test tests/RelReason.Tests -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# dotnet prints "Passed!  - Failed: F, Passed: P, Skipped: S, Total: T" (or "Failed!  - ...").
summary=$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+' "$log" | tail -n 1 || true)
if [ -z "$summary" ]; then
    echo "test.sh: the test run printed no summary (build failure?)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
failed=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")
passed=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")
skipped=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
