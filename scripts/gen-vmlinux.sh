#!/usr/bin/env bash
# Regenerate include/vmlinux/<arch>/vmlinux.h from this host's kernel BTF.
# The result is committed so that builds are reproducible on hosts without BTF.
set -euo pipefail
arch=${1:-$(uname -m)}
btf=${BTF:-/sys/kernel/btf/vmlinux}
out="$(cd "$(dirname "$0")/.." && pwd)/include/vmlinux/$arch/vmlinux.h"
[ -r "$btf" ] || { echo "gen-vmlinux: $btf not readable (kernel without BTF?)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -l < "$out") lines) from $btf ($(uname -r))"
