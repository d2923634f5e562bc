#!/usr/bin/env bash
# Publishes `relreason` as one NativeAOT binary for linux-x64 (PTX embedded, invariant globalization, x86-64-v3
# unless --isa says otherwise)
# into build/out/publish/, with the shipped default dataset beside it, then checks and runs what was built:
#   - fails on any trimming/AOT warning (IL2xxx/IL3xxx); the only ones allowed are the two summary lines for
#     SixLabors.ImageSharp, which carries no trim annotations (see src/RelReason.Cli/RelReason.Cli.csproj);
#   - the folder must stay under 64 MiB; symbols (.dbg, .pdb) go to build/out/publish-symbols/;
#   - prints the newest glibc symbol version the binary needs and the libraries it links;
#   - copies the folder outside the source tree and runs info, data info, bench and pretrain from there, so the
#     dataset must be found beside the binary, not in the checkout.
# Ends with one line per phase and its seconds.
# Usage: build/publish.sh [--no-run] [--isa LEVEL]
#   --isa x86-64-v4 builds for AVX-512 CPUs: the CPU backend's direct convolution then runs on 512-bit registers
#   (a CPU ResNet-32 step about 1.15 times faster than the default x86-64-v3 build), and the binary refuses to start
#   on a CPU without AVX-512.
set -euo pipefail

usage="usage: build/publish.sh [--no-run] [--isa x86-64-v3|x86-64-v4]"
run_binary=1
isa=x86-64-v3
while [ $# -gt 0 ]; do
    case "$1" in
        --no-run) run_binary=0 ;;
        --isa)
            [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
            isa=$2
            shift ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done
case "$isa" in
    x86-64-v3|x86-64-v4) ;;
    *) echo "publish.sh: --isa must be x86-64-v3 or x86-64-v4, got '$isa'" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/build/out/publish"
symbols="$root/build/out/publish-symbols"
limit_bytes=$((64 * 1024 * 1024))
log=$(mktemp)
smoke=$(mktemp -d)
trap 'rm -rf "$log" "$smoke"' EXIT
cd "$root"

phase_start=$(date +%s)
timings=()
phase_done()
{
    local now
    now=$(date +%s)
    timings+=("$1: $((now - phase_start)) s")
    phase_start=$now
}
fail()
{
    echo "publish.sh: $*" >&2
    exit 1
}

# ---- publish ----------------------------------------------------------------------------------------------------
rm -rf "$out" "$symbols"
set +e
dotnet publish src/RelReason.Cli -c Release -r linux-x64 -p:PublishAot=true -p:RelReasonListAotSummaries=true \
    -p:IlcInstructionSet="$isa" -o "$out" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# MSBuild repeats each warning in its summary; one line per distinct message is enough.
allowed="warning (IL2104|IL3053): Assembly 'SixLabors.ImageSharp' produced (trim|AOT analysis) warnings"
unexpected=$(grep -E '(warning|error) IL[23][0-9]{3}' "$log" | grep -v -E "$allowed" | sort -u || true)
if ! grep -q -E "$allowed" "$log"; then
    # The exemption must not outlive its reason.
    fail "ImageSharp's two summary warnings did not appear: if it no longer produces them, drop AotSummaryCodes" \
        "from src/RelReason.Cli/RelReason.Cli.csproj and the exemption here"
fi
if [ -n "$unexpected" ]; then
    echo "$unexpected" >&2
    fail "trimming/AOT warnings besides ImageSharp's summary (above); fix them, do not suppress them"
fi
[ "$status" -eq 0 ] || fail "dotnet publish failed (exit $status)"
[ -x "$out/relreason" ] || fail "no binary at $out/relreason"
phase_done "dotnet publish (NativeAOT)"

# ---- what was built ---------------------------------------------------------------------------------------------
mkdir -p "$symbols"
find "$out" -maxdepth 1 \( -name '*.dbg' -o -name '*.pdb' \) -exec mv {} "$symbols"/ \;
[ -f "$out/data/fashion-mnist-small/train-images-idx3-ubyte.gz" ] ||
    fail "the default dataset was not published beside the binary ($out/data/fashion-mnist-small)"
strays=$(find "$out" -mindepth 1 -maxdepth 1 ! -name relreason ! -name data)
[ -z "$strays" ] || fail "unexpected files in the publish folder: $strays"
grep -q -a 'augment_pixels_kernel' "$out/relreason" || fail "the kernels' PTX is not embedded in the binary"
bytes=$(du -sb "$out" | cut -f1)
[ "$bytes" -lt "$limit_bytes" ] || fail "$out is $bytes bytes, over the 64 MiB limit"
glibc=$(objdump -T "$out/relreason" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -V | tail -n 1)
needed=$(objdump -p "$out/relreason" | awk '/NEEDED/ { printf "%s%s", sep, $2; sep = ", " }')
echo "publish.sh: $out/relreason: $(stat -c %s "$out/relreason") bytes; folder $bytes bytes (limit $limit_bytes)"
echo "publish.sh: needs glibc >= ${glibc#GLIBC_} (newest versioned symbol $glibc); links $needed"
phase_done "checks"

# ---- run it from outside the checkout ---------------------------------------------------------------------------
if [ "$run_binary" -eq 1 ]; then
    cp -r "$out" "$smoke/relreason"
    bin="$smoke/relreason/relreason"
    run()
    {
        echo "publish.sh: \$ relreason $*"
        (cd "$smoke" && env -u RELREASON_DATA "$bin" "$@") || fail "relreason $* failed (exit $?)"
    }
    run info --json
    info_json=$(cd "$smoke" && "$bin" info --json | tail -n 1)
    case "$info_json" in
        '{"runtime":'*'"native_aot":true'*'"cpu":{'*'"gpu":{'*) ;;
        *) fail "relreason info --json did not end with the report object: $info_json" ;;
    esac
    run data info
    (cd "$smoke" && env -u RELREASON_DATA "$bin" data info) | grep -q "folder   $smoke/relreason/data/" ||
        fail "data info did not find the dataset beside the binary"
    run bench --steps 2 --k 4 --m 16
    run pretrain --max-steps 5
    phase_done "run the binary (info, data info, bench, pretrain)"
fi

printf 'publish.sh: %s\n' "${timings[@]}"
echo "publish.sh: $out/relreason is ready (glibc >= ${glibc#GLIBC_})"
