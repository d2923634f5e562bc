#!/usr/bin/env bash
# One CPU training step of Conv-4 + relation head (M=64, 1x32x32 views, focal loss, Adam) in RelReason and in
# PyTorch, at K=4 and K=16, interleaved so both see the same machine state. PyTorch runs with OpenBLAS
# (openblas-pthread's libblas.so.3, with the Haswell kernels RelReason also picks) and oneDNN convolutions;
# both use 2 threads.
# Prints each run's median ms/step and, last, the median of the runs per side and K.
# Usage: benchmarks/compare/conv4_vs_torch.sh [rounds=3]   (after dotnet build src/RelReason.Cli -c Release)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
relreason="$root/src/RelReason.Cli/bin/Release/net10.0/relreason"
rounds=${1:-3}
[ -x "$relreason" ] || { echo "build first: dotnet build src/RelReason.Cli -c Release" >&2; exit 1; }
declare -A results
for round in $(seq "$rounds"); do
    for k in 4 16; do
        steps=$(( k == 4 ? 10 : 5 ))
        ours=$("$relreason" bench --backbone conv4 --k "$k" --m 64 --size 32 --channels 1 --device cpu --threads 2 \
            --warmup 2 --steps "$steps" --json 2>/dev/null | tail -n 1 | sed -E 's/.*"median_ms":([0-9.]+).*/\1/')
        theirs=$(OPENBLAS_CORETYPE=Haswell LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 \
            "$root/benchmarks/compare/torch_step.py" --backbone conv4 --k "$k" --m 64 --size 32 --channels 1 \
            --threads 2 --warmup 2 --steps "$steps" --json 2>/dev/null | tail -n 1 |
            sed -E 's/.*"median_ms": ?([0-9.]+).*/\1/')
        echo "round $round K=$k: relreason $ours ms, pytorch $theirs ms"
        results[ours$k]+="$ours "
        results[torch$k]+="$theirs "
    done
done
median()
{
    tr ' ' '\n' | grep -v '^$' | sort -g |
        awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
for k in 4 16; do
    o=$(echo "${results[ours$k]}" | median)
    t=$(echo "${results[torch$k]}" | median)
    echo "K=$k M=64: relreason $o ms/step ($(awk -v m="$o" -v k="$k" 'BEGIN{printf "%.0f", k*64/m*1000}') views/s)," \
        "pytorch $t ms/step ($(awk -v m="$t" -v k="$k" 'BEGIN{printf "%.0f", k*64/m*1000}') views/s)," \
        "ratio $(awk -v a="$t" -v b="$o" 'BEGIN{printf "%.2f", a/b}')"
done
