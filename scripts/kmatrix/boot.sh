#!/usr/bin/env bash
# scripts/kmatrix/boot.sh VMLINUZ|VERSION COMMAND...: boot a Debian kernel under qemu (software
# emulation, no KVM needed) with this host's root filesystem shared read-only over 9p under a
# tmpfs overlay, run COMMAND with bash as root in the guest, in the caller's directory, print
# its output and exit with its status. The guest can write anywhere; the host is untouched.
#
# VMLINUZ comes from a kernel unpacked by fetch.sh (lib/modules/VER beside it); a VERSION names
# one in the cache. Exit status: COMMAND's own, 125 when the guest reported none (no boot,
# panic, timeout: see the log), 2 on a usage error. One boot at a time on this machine (a lock).
# Env: KMATRIX_MEM (2G), KMATRIX_SMP (2), KMATRIX_TIMEOUT (900 s), KMATRIX_LOG (console log,
#      default $KMATRIX_DIR/logs/VER.log), KMATRIX_VERBOSE=1 (all output, then the console),
#      KMATRIX_LOGLEVEL (console loglevel, 4), KMATRIX_APPEND (kernel arguments),
#      KMATRIX_MODULES (more modules loaded at boot).
set -eEuo pipefail
trap 'echo "boot.sh: setup failed (line $LINENO)" >&2; exit 125' ERR # no guest status
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/kmatrix/common.sh
. "$HERE/common.sh"
BOOTMODS="virtio_pci 9pnet_virtio 9p overlay ${KMATRIX_MODULES:-}"

die() { echo "boot.sh: $*" >&2; exit 125; }

# locate_kernel ARG: set VMLINUZ, VER and MODDIR from a vmlinuz path or a cached version
locate_kernel() {
	local base
	VMLINUZ=$1
	[[ -f $VMLINUZ ]] || VMLINUZ=$(kmx_vmlinuz "$1") || die "no kernel image $1"
	VMLINUZ=$(readlink -f "$VMLINUZ")
	if [[ ${VMLINUZ##*/} == vmlinuz ]]; then # usr/lib/modules/VER/vmlinuz
		MODDIR=${VMLINUZ%/vmlinuz}
		VER=${MODDIR##*/}
	else # boot/vmlinuz-VER
		VER=${VMLINUZ##*/vmlinuz-}
		base=${VMLINUZ%/boot/*}
		MODDIR=$base/lib/modules/$VER
		[[ -d $MODDIR ]] || MODDIR=$base/usr/lib/modules/$VER
	fi
	[[ -d $MODDIR/kernel ]] || die "no modules for $VER beside $VMLINUZ"
}

# ---- the base initramfs: busybox, guest/init, guest/stage2, boot modules (cached) ----

# stage_module NAME: NAME and its dependencies, decompressed into $STAGE/mod, deps first
stage_module() {
	local m=${1//-/_} f out d
	[[ -n ${STAGED[$m]:-} ]] && return 0
	STAGED[$m]=1
	f=${KO[$m]:-}
	if [[ -z $f ]]; then # built into this kernel, or absent
		grep -q "/${m//_/[-_]}\.ko" "$MODDIR/modules.builtin" 2>/dev/null ||
			echo "boot.sh: $VER: module $m not found" >&2
		return 0
	fi
	out=$STAGE/mod/$m.ko
	case $f in
	*.xz) xz -dc "$f" >"$out" ;;
	*.zst) zstd -qdc "$f" >"$out" ;;
	*.gz) gzip -dc "$f" >"$out" ;;
	*) cp "$f" "$out" ;;
	esac
	for d in $(tr '\0' '\n' <"$out" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
		stage_module "$d"
	done
	echo "$m" >>"$STAGE/modules.order"
}

# build_base_initrd OUT: the part of the initramfs that is the same for every run
build_base_initrd() {
	local f n m STAGE
	local -A KO=() STAGED=() # module name -> .ko path; staged already
	STAGE=$(mktemp -d)
	mkdir -p "$STAGE"/{bin,dev,proc,sys,mod,lower,upper,newroot}
	cp "$KMATRIX_BUSYBOX" "$STAGE/bin/busybox"
	cp "$HERE/guest/init" "$HERE/guest/stage2" "$STAGE/"
	: >"$STAGE/modules.order"
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		KO[${n//-/_}]=$f
	done < <(find "$MODDIR/kernel" -name '*.ko*')
	for m in $BOOTMODS; do stage_module "$m"; done
	(cd "$STAGE" && find . | "$KMATRIX_BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) >"$1.tmp"
	mv "$1.tmp" "$1"
	rm -rf "$STAGE"
}

# base_initrd: path of this kernel's base initramfs, built when missing or out of date
base_initrd() {
	local key out
	key=$(cat "$HERE/guest/init" "$HERE/guest/stage2" "$HERE/boot.sh" <(echo "$BOOTMODS") | md5sum | cut -c1-8)
	out=$KMATRIX_DIR/initrd/$VER-$key.cpio.gz
	if [[ ! -s $out ]]; then
		mkdir -p "${out%/*}"
		rm -f "$KMATRIX_DIR/initrd/$VER"-*.cpio.gz
		build_base_initrd "$out"
	fi
	echo "$out"
}

# ---- one run ----

# run_initrd DIR COMMAND: DIR/initrd.gz = the base + this run's command and environment
run_initrd() {
	local dir=$1 base
	base=$(base_initrd)
	printf '%s\n' "$2" >"$dir/cmd.sh"
	{
		printf 'KM_CWD=%q\n' "$PWD"
		printf 'KM_MODDIR=%q\n' "$MODDIR"
	} >"$dir/kmatrix.env"
	(cd "$dir" && printf 'cmd.sh\nkmatrix.env\n' | "$KMATRIX_BUSYBOX" cpio -o -H newc 2>/dev/null |
		gzip -1) >"$dir/run.cpio.gz"
	cat "$base" "$dir/run.cpio.gz" >"$dir/initrd.gz"
}

# run_qemu DIR: boot DIR/initrd.gz. The kernel's console (ttyS0) goes to $LOG, the guest
# command's output (ttyS1) to DIR/out and, between the markers, to stdout. The console
# loglevel is Debian's default (kernel.printk 4 4 1 7): older kernels fire printk:console only
# for what reaches a console.
run_qemu() {
	# shellcheck disable=SC2054 # commas inside qemu's arguments
	local qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp "${KMATRIX_SMP:-2}"
		-m "${KMATRIX_MEM:-2G}" -machine pc -nodefaults -no-user-config -display none -no-reboot
		-chardev "file,id=console,path=$LOG" -serial chardev:console -serial stdio
		-kernel "$VMLINUZ" -initrd "$1/initrd.gz"
		-append "console=ttyS0 loglevel=${KMATRIX_LOGLEVEL:-4} panic=-1 oops=panic mitigations=off random.trust_cpu=on tsc=reliable rdinit=/init ${KMATRIX_APPEND:-}"
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap)
	timeout "${KMATRIX_TIMEOUT:-900}" "${qemu[@]}" </dev/null 2>"$1/qemu.err" | tr -d '\r' |
		tee "$1/out" | awk -v all="${KMATRIX_VERBOSE:-0}" '
			/^KMATRIX-RC=/ { on = 0 }
			all == 1 || on { print; fflush() }
			/^KMATRIX-BOOTED/ { on = 1 }' || true
	printf '\n==== qemu stderr\n%s\n==== guest output (ttyS1)\n' "$(cat "$1/qemu.err")" >>"$LOG"
	cat "$1/out" >>"$LOG"
	[[ ${KMATRIX_VERBOSE:-0} != 1 ]] || cat "$LOG" >&2
}

# report DIR START: one line on stderr; exit with the guest's status
report() {
	local booted rc
	booted=$(grep -m1 '^KMATRIX-BOOTED' "$1/out" | sed -n 's/.*uptime=/booted in /p') || true
	rc=$(grep -m1 '^KMATRIX-RC=' "$1/out") || true
	echo "boot.sh: $VER: ${booted:-no boot}${booted:+ s}, ${rc:-no status}, wall $(kmx_elapsed "$2") s, log $LOG" >&2
	if [[ -z $rc ]]; then
		tail -n 30 "$LOG" >&2
		exit 125
	fi
	rc=${rc#KMATRIX-RC=}
	exit "${rc%% *}"
}

main() {
	local start tmp
	(($# >= 2)) || { echo "usage: $0 VMLINUZ|VERSION COMMAND..." >&2; exit 2; }
	start=$(kmx_now)
	locate_kernel "$1"
	shift
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (scripts/kmatrix/fetch.sh installs it)"
	[[ -x $KMATRIX_BUSYBOX ]] || die "no static busybox at $KMATRIX_BUSYBOX (scripts/kmatrix/fetch.sh)"
	[[ -s $MODDIR/modules.dep ]] || "$KMATRIX_BUSYBOX" depmod -b "${MODDIR%/lib/modules/*}" "$VER" || true
	LOG=${KMATRIX_LOG:-$KMATRIX_DIR/logs/$VER.log}
	mkdir -p "${LOG%/*}"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	run_initrd "$tmp" "$*"
	exec {lock}>"$KMATRIX_DIR/boot.lock" || die "cannot open $KMATRIX_DIR/boot.lock"
	flock -n "$lock" || { echo "boot.sh: waiting for another boot to end" >&2; flock "$lock"; }
	run_qemu "$tmp"
	report "$tmp" "$start"
}

main "$@"
