# shellcheck shell=bash
# scripts/kmatrix/common.sh: what fetch.sh, boot.sh, run.sh and smoke.sh share.
# Cache layout under KMATRIX_DIR (default /var/cache/tcptriage/kmatrix):
#   kernels/VER/      an unpacked linux-image .deb (boot/vmlinuz-VER, lib/modules/VER)
#   busybox/busybox   a static busybox, the guest's init tools
#   apt/ debs/        private apt state and downloads (fetch.sh)
#   initrd/ logs/     cached base initramfs per kernel, guest console logs (boot.sh)

KMATRIX_DIR=${KMATRIX_DIR:-/var/cache/tcptriage/kmatrix}
KMATRIX_BUSYBOX=${KMATRIX_BUSYBOX:-$KMATRIX_DIR/busybox/busybox}
# The oldest supported kernel: the smoke run in `make test` boots it.
# shellcheck disable=SC2034 # used by the scripts that source this
KMATRIX_OLDEST=5.10.0-46-amd64

kmx_log() { echo "kmatrix: $*" >&2; }
kmx_die() { kmx_log "error: $*"; exit 2; }

# kmx_vmlinuz VER: the kernel image of an unpacked VER (both package layouts)
kmx_vmlinuz() {
	local d=$KMATRIX_DIR/kernels/$1 f
	for f in "$d/boot/vmlinuz-$1" "$d/usr/lib/modules/$1/vmlinuz" "$d/lib/modules/$1/vmlinuz"; do
		[[ -f $f ]] && { echo "$f"; return 0; }
	done
	return 1
}

# kmx_kernels: every unpacked kernel in the cache, oldest first
kmx_kernels() {
	local d
	for d in "$KMATRIX_DIR"/kernels/*/; do
		d=${d%/}
		kmx_vmlinuz "${d##*/}" >/dev/null && echo "${d##*/}"
	done | sort -V
}

# kmx_now: seconds since the epoch, with microseconds
kmx_now() { echo "${EPOCHREALTIME/,/.}"; }

# kmx_elapsed START: seconds since START (kmx_now), one decimal
kmx_elapsed() { awk -v s="$1" -v e="$(kmx_now)" 'BEGIN { printf "%.1f", e - s }'; }
