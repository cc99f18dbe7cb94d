#!/usr/bin/env bash
# Install the Debian packages tcptriage needs to build and test, then fetch the
# kernel of the smoke run in `make test` (scripts/kmatrix/fetch.sh: downloaded and
# unpacked into its cache, never installed). Idempotent: only missing packages are
# installed (one apt-get update, one install), a cached kernel is not fetched again.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PKGS=(clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config make gcc
      libc6-dev iproute2 nftables conntrack jq libncurses-dev tmux
      iputils-ping # test_harness_selfcheck pings across the test's veth pair
      curl python3-prometheus-client # tests scrape /metrics and parse the exposition
      libclang-rt-14-dev clang-tidy cppcheck # sanitizers + libFuzzer runtime, make lint
      util-linux groff-base python3-yaml systemd # flock/setpriv/nsenter/prlimit; man page, manifests and unit checks
      qemu-system-x86 busybox-static) # the kernel smoke run and make kmatrix boot Debian kernels in qemu

die() { echo "install-deps: error: $*" >&2; exit 1; }

# A package counts as present only if `dpkg -s` reports "install ok installed"
# (dpkg -s also succeeds for removed packages whose config files remain).
is_installed() {
    local out
    out=$(dpkg -s "$1" 2>/dev/null) || return 1
    [[ $'\n'"$out" == *$'\nStatus: install ok installed'* ]]
}

# The smoke run's kernel (oldest supported), when fetch.sh is here (the Dockerfile's
# build stage copies this script alone): a failure leaves the smoke run a counted skip.
fetch_smoke_kernel() {
    local fetch=$HERE/kmatrix/fetch.sh
    [[ -x $fetch ]] || { echo "install-deps: $fetch not here, no kernel for the smoke run"; return 0; }
    "${SUDO[@]}" "$fetch" 5.10.0-46-amd64 ||
        echo "install-deps: warning: kernel fetch failed; make test will skip the smoke run" >&2
}

command -v dpkg >/dev/null 2>&1 || die "dpkg not found (this script supports Debian/Ubuntu only)"

missing=()
for p in "${PKGS[@]}"; do
    if ! is_installed "$p"; then
        missing+=("$p")
    fi
done

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        die "not root and sudo is not available${missing[*]:+; missing packages: ${missing[*]}}"
    fi
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all dependencies present"
    fetch_smoke_kernel
    exit 0
fi

echo "install-deps: missing: ${missing[*]}"
"${SUDO[@]}" apt-get update || die "apt-get update failed"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"

# Verify.
still=()
for p in "${missing[@]}"; do
    is_installed "$p" || still+=("$p")
done
[[ ${#still[@]} -eq 0 ]] || die "still missing after install: ${still[*]}"

echo "install-deps: installed: ${missing[*]}"
fetch_smoke_kernel
