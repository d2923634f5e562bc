#!/usr/bin/env bash
# Installs the native tool chain the CUDA kernels need on Debian 12 (bookworm): nvcc 11.8 from Debian's
# nvidia-cuda-toolkit (contrib/non-free), cmake, g++ and clang-14 (nvcc 11.8 refuses gcc 12 as host compiler).
# Idempotent: a tool that is already present is not reinstalled, the apt source is written only once.
# Used by CI before build/build-kernels.sh and by a fresh development machine. Needs root (or sudo).
set -euo pipefail

SOURCES_FILE=/etc/apt/sources.list.d/relreason-contrib-non-free.sources
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

as_root()
{
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -r /etc/os-release ] || ! grep -q '^VERSION_CODENAME=bookworm' /etc/os-release; then
    found=$(grep '^PRETTY_NAME=' /etc/os-release || echo unknown)
    echo "install-deps.sh: expected Debian 12 (bookworm); found: $found" >&2
    exit 1
fi

missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v clang-14 >/dev/null 2>&1 || missing+=(clang-14)
# nvcc alone is not enough: the probe tests also want libcuda.so.1 (libcuda1), which the toolkit pulls in.
if ! command -v nvcc >/dev/null 2>&1 || ! dpkg -s libcuda1 >/dev/null 2>&1; then
    missing+=(nvidia-cuda-toolkit libcuda1)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps.sh: nothing to do ($(nvcc --version | tail -n 2 | head -n 1))"
    exit 0
fi

if [ ! -f "$SOURCES_FILE" ]; then
    echo "install-deps.sh: adding $SOURCES_FILE (bookworm contrib non-free)"
    tmp=$(mktemp)
    cat > "$tmp" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: contrib non-free
Signed-By: $KEYRING
SRC
    as_root install -m 0644 "$tmp" "$SOURCES_FILE"
    rm -f "$tmp"
fi

export DEBIAN_FRONTEND=noninteractive
# Several users may share the machine: wait for the dpkg lock instead of failing at once.
APT=(apt-get -o DPkg::Lock::Timeout=900 -y -q)
as_root "${APT[@]}" update
# --no-install-recommends keeps the kernel module (nvidia-kernel-dkms) and the docs out: only the compiler,
# headers and the driver's user-space library are needed.
echo "install-deps.sh: installing ${missing[*]}"
as_root "${APT[@]}" install --no-install-recommends "${missing[@]}"
nvcc --version | tail -n 2
