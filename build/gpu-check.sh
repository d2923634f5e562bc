#!/usr/bin/env bash
# The check of a published relreason on a GPU machine that has the binary and nothing else (no .NET SDK):
#   1. relreason info       the CPU, OpenBLAS, the GPU and the cuBLAS/cuDNN files it found, or why not;
#   2. relreason selftest   every CUDA op, one Conv-4 + relation-head step and 20 training steps against the CPU;
#   3. relreason bench      Conv-4, K 4 and 16, M 64, 3x32x32 and 3x96x96, on cuda (20 steps) and cpu (2 steps);
#   4. relreason pretrain   two epochs of the shipped subset on cuda (K 16) with the k-NN monitor, into a
#                           temporary folder: the whole training loop, checkpoints and evaluation on the GPU;
# then a table of views/s per configuration. Takes under 5 minutes; everything is also written to a log file.
#
# Usage: gpu-check.sh [LOG]        LOG defaults to gpu-check-<date>.log beside this script.
# The binary is ./relreason beside this script unless $RELREASON_BIN names another. The CUDA libraries come from
# the machine: libcuda.so.1 from the driver; cuBLAS and cuDNN 9 from the loader path, from the Python wheels'
# site-packages/nvidia/*/lib folders of the usual prefixes, or from the folders listed in $RELREASON_CUDA_LIBS.
# $GPU_CHECK_SIZES and $GPU_CHECK_KS (space-separated) replace the sides "32 96" and the K values "4 16".
# Exit status: 0 all passed, 1 a check failed or a bench did not finish, 3 no usable GPU.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${RELREASON_BIN:-$here/relreason}
log=${1:-$here/gpu-check-$(date +%Y%m%d-%H%M%S).log}
exec > >(tee -a "$log") 2>&1
start=$(date +%s)
status=0

if [ ! -x "$bin" ]; then
    echo "gpu-check: no relreason binary at $bin (set RELREASON_BIN)"
    exit 1
fi
echo "gpu-check: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), binary $bin, log $log"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null ||
    echo "gpu-check: nvidia-smi not available"

echo
echo "== relreason info"
"$bin" info

echo
echo "== relreason selftest"
timeout 240 "$bin" selftest
selftest=$?
case "$selftest" in
    0) ;;
    3) echo "gpu-check: no usable GPU; the CPU benches still run"; status=3 ;;
    *) echo "gpu-check: selftest exit status $selftest"; status=1 ;;
esac

# One bench; prints its output and appends "device k size json" to $results.
results=$(mktemp)
trap 'rm -f "$results"' EXIT
bench()
{
    local device=$1 k=$2 size=$3 steps=$4 warmup=$5 limit=$6 output code
    echo
    echo "== relreason bench --device $device --k $k --m 64 --size $size --channels 3"
    output=$(timeout "$limit" "$bin" bench --backbone conv4 --device "$device" --k "$k" --m 64 --size "$size" \
        --channels 3 --steps "$steps" --warmup "$warmup" --json 2>&1)
    code=$?
    echo "$output"
    if [ "$code" -ne 0 ]; then
        if [ "$code" -eq 124 ]; then
            echo "gpu-check: bench stopped at its time limit of $limit s"
        else
            echo "gpu-check: bench exit status $code"
        fi
        [ "$status" -eq 3 ] || status=1
        echo "$device $k $size -" >> "$results"
        return
    fi
    echo "$device $k $size $(tail -n 1 <<<"$output")" >> "$results"
}

for size in ${GPU_CHECK_SIZES:-32 96}; do
    for k in ${GPU_CHECK_KS:-4 16}; do
        if [ "$selftest" -ne 3 ]; then
            bench cuda "$k" "$size" 20 3 60
        fi
        bench cpu "$k" "$size" 2 1 120
    done
done

if [ "$selftest" -ne 3 ]; then
    echo
    echo "== relreason pretrain --device cuda --k 16 --epochs 2 --knn-every 1 (shipped subset)"
    runs=$(mktemp -d)
    trap 'rm -f "$results"; rm -rf "$runs"' EXIT
    timeout 180 "$bin" pretrain --device cuda --k 16 --epochs 2 --knn-every 1 --log-every 20 --out "$runs" \
        --run gpu --json
    code=$?
    if [ "$code" -ne 0 ]; then
        echo "gpu-check: pretrain exit status $code"
        status=1
    fi
fi

# "key":number out of a one-line JSON object (no jq on a bare machine).
field()
{
    sed -nE "s/.*\"$1\":([-0-9.eE+]+).*/\1/p" <<<"$2"
}

echo
echo "== views per second (Conv-4, M 64, 3 channels; step = forward, backward and Adam; augment = the op alone)"
printf '| %-6s | %-2s | %-7s | %9s | %9s | %10s | %9s | %12s |\n' device K input "step ms" "views/s" \
    "augment/s" "peak MiB" "module load"
printf '|%s|\n' "--------|----|---------|-----------|-----------|------------|-----------|--------------"
while read -r device k size json; do
    if [ "$json" = "-" ]; then
        printf '| %-6s | %2s | %-7s | %9s | %9s | %10s | %9s | %12s |\n' "$device" "$k" "${size}x$size" failed - - - -
        continue
    fi
    load=-
    if [ "$device" = cuda ]; then
        load="$(printf '%.0f' "$(field module_load_ms "$json")") ms"
    fi
    printf '| %-6s | %2s | %-7s | %9.1f | %9.0f | %10.0f | %9.0f | %12s |\n' "$device" "$k" "${size}x$size" \
        "$(field median_ms "$json")" "$(field views_per_second "$json")" "$(field augment_views_per_second "$json")" \
        "$(awk -v b="$(field peak_tensor_bytes "$json")" 'BEGIN { print b / 1048576 }')" "$load"
done < "$results"

echo
echo "gpu-check: finished in $(( $(date +%s) - start )) s, exit status $status; log $log"
exit "$status"
