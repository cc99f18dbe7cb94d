#!/usr/bin/env bash
# scripts/kmatrix/fetch.sh [VERSION...]: download (apt-get download, never install) and unpack
# (dpkg-deb -x) Debian kernel image packages into the kmatrix cache, plus a static busybox, for
# scripts/kmatrix/boot.sh. Idempotent: what is unpacked already is skipped.
#
# VERSION is a kernel release as in linux-image-VERSION (5.10.0-46-amd64). Without arguments:
# the matrix's default list, plus the newest 7.x -amd64 image when KMATRIX_NEWEST=1.
# Suites this host's apt does not list (bullseye, trixie, sid, ...) are read through a private
# apt config in $KMATRIX_DIR/apt, used only for `apt-get update`, `apt-get download` and
# apt-cache: it names an empty dpkg status and /bin/false as dpkg, so it cannot change the host.
# qemu-system-x86, when missing, is installed with the host's own apt.
set -euo pipefail
# shellcheck source=scripts/kmatrix/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEFAULT_KERNELS=(5.10.0-46-amd64 6.1.0-57-amd64 6.12.117+deb13-amd64 6.16.12+deb13-amd64
	6.18.15+deb13-amd64)
WANT_SUITES=(bullseye bullseye-security trixie trixie-security trixie-updates trixie-backports sid)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
APT_DIR=$KMATRIX_DIR/apt
DEBS=$KMATRIX_DIR/debs
PRIV_READY=0

# ---- apt: the host's own, or the private config (read-only uses only) ----

host_apt() { env -u APT_CONFIG "$@"; }

# priv_apt CMD...: apt-get update/download or apt-cache with the private config, nothing else
priv_apt() {
	case "$1 ${2:-}" in
	"apt-get update" | "apt-get download" | "apt-cache "*) ;;
	*) kmx_die "refusing '$*' with the private apt config" ;;
	esac
	APT_CONFIG=$APT_DIR/apt.conf "$@"
}

# host_sources FIELD: the URIs (FIELD=uri) or suites (FIELD=suite) of this host's apt sources,
# one-line (sources.list, *.list) and deb822 (*.sources) formats
host_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		awk -v want="$1" '$1 == "deb" {
			sub(/^deb[ \t]+(\[[^]]*\][ \t]+)?/, ""); print (want == "uri" ? $1 : $2) }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		awk -v key="$([[ $1 == uri ]] && echo uris: || echo suites:)" '
			tolower($1) == key { for (i = 2; i <= NF; i++) print $i }' "$f"
	done
}

# host_mirror SUFFIX DEFAULT: the host's Debian mirror ending in /SUFFIX, else DEFAULT
host_mirror() {
	local u
	while read -r u; do
		[[ ${u%/} == */"$1" ]] && { echo "${u%/}"; return; }
	done < <(host_sources uri)
	echo "$2"
}

# priv_sources: one line per suite this host's apt lacks
priv_sources() {
	local main sec s have signed=''
	main=$(host_mirror debian http://deb.debian.org/debian)
	sec=$(host_mirror debian-security http://deb.debian.org/debian-security)
	have=$(host_sources suite)
	[[ -r $KEYRING ]] && signed="[signed-by=$KEYRING] "
	for s in "${WANT_SUITES[@]}"; do
		grep -qFx -- "$s" <<<"$have" && continue
		if [[ $s == *-security ]]; then echo "deb $signed$sec $s main"
		else echo "deb $signed$main $s main"; fi
	done
}

# priv_setup: write the private config and refresh its lists (at most once a day)
priv_setup() {
	((PRIV_READY)) && return 0
	mkdir -p "$APT_DIR"/{lists/partial,archives/partial,sources.list.d,preferences.d}
	: >"$APT_DIR/status"
	priv_sources >"$APT_DIR/sources.list"
	cat >"$APT_DIR/apt.conf" <<-CONF
		Dir::State "$APT_DIR";
		Dir::State::Lists "$APT_DIR/lists";
		Dir::State::status "$APT_DIR/status";
		Dir::Cache "$APT_DIR";
		Dir::Cache::Archives "$APT_DIR/archives";
		Dir::Etc::SourceList "$APT_DIR/sources.list";
		Dir::Etc::SourceParts "$APT_DIR/sources.list.d";
		Dir::Etc::Preferences "$APT_DIR/preferences";
		Dir::Etc::PreferencesParts "$APT_DIR/preferences.d";
		Dir::Bin::dpkg "/bin/false";
		APT::Architecture "amd64";
		APT::Architectures { "amd64"; };
	CONF
	if [[ -z $(find "$APT_DIR/updated" -mmin -1440 2>/dev/null) ]]; then
		kmx_log "apt-get update (private config: $(awk '{ printf "%s ", $(NF - 1) }' "$APT_DIR/sources.list"))"
		priv_apt apt-get update -qq || kmx_log "warning: apt-get update reported errors"
		touch "$APT_DIR/updated"
	fi
	PRIV_READY=1
}

# has_candidate APT PKG: does apt (host_apt or priv_apt) have a version of PKG to download?
has_candidate() {
	local out
	out=$("$1" apt-cache show --no-all-versions "$2" 2>/dev/null)
	[[ $'\n'$out == *$'\nPackage: '* ]]
}

known_by_host() { has_candidate host_apt "$1"; }

# known PKG: is PKG downloadable at all (host apt first, then the private config)?
known() {
	known_by_host "$1" && return 0
	priv_setup
	has_candidate priv_apt "$1"
}

# download DIR PKG...: apt-get download each PKG not already in DIR
download() {
	local dir=$1 p
	shift
	mkdir -p "$dir"
	chown _apt "$dir" 2>/dev/null || true # apt downloads as _apt when it can
	for p in "$@"; do
		compgen -G "$dir/${p}_*.deb" >/dev/null && continue
		kmx_log "download $p"
		if known_by_host "$p"; then (cd "$dir" && host_apt apt-get download -qq "$p") || return 1
		else priv_setup; (cd "$dir" && priv_apt apt-get download -qq "$p") || return 1; fi
	done
}

# ---- kernels ----

# image_parts VER: linux-image-VER and the packages of VER it depends on (7.x splits the image
# into linux-binary-VER and linux-modules-VER); names no suite has are left out
image_parts() {
	local pkg=linux-image-$1 apt=host_apt
	known_by_host "$pkg" || apt=priv_apt
	echo "$pkg"
	$apt apt-cache show --no-all-versions "$pkg" | awk -v ver="$1" '/^(Pre-)?Depends:/ {
		gsub(/\([^)]*\)/, ""); gsub(/[,|]/, " ")
		for (i = 2; i <= NF; i++) {
			n = $i; sub(/^linux-[a-z]+-/, "", n)
			if ($i ~ /^linux-/ && n == ver && !seen[$i]++) print $i
		} }'
}

# unpack_kernel VER: every .deb of VER into kernels/VER, made ready for boot.sh
unpack_kernel() {
	local ver=$1 dest=$KMATRIX_DIR/kernels/$1 tmp deb
	tmp=$dest.tmp
	rm -rf "$tmp" && mkdir -p "$tmp" || return 1
	for deb in "$DEBS/$ver"/*.deb; do dpkg-deb -x "$deb" "$tmp" || return 1; done
	# merged /usr packages ship usr/lib/modules: boot.sh and depmod look in lib/modules
	[[ -e $tmp/lib ]] || ln -s usr/lib "$tmp/lib"
	[[ -d $tmp/lib/modules/$ver ]] || { kmx_log "error: $ver: no lib/modules/$ver"; return 1; }
	"$KMATRIX_BUSYBOX" depmod -b "$tmp" "$ver" || { kmx_log "error: $ver: depmod failed"; return 1; }
	rm -rf "$dest" && mv "$tmp" "$dest" && rm -rf "${DEBS:?}/$ver"
}

# fetch_kernel VER: download and unpack VER unless the cache has it
fetch_kernel() {
	local ver=$1 p parts=()
	if kmx_vmlinuz "$ver" >/dev/null; then
		kmx_log "$ver: in the cache"
		return 0
	fi
	known "linux-image-$ver" || { kmx_log "error: no package linux-image-$ver"; return 1; }
	for p in $(image_parts "$ver"); do
		if known "$p"; then parts+=("$p"); else kmx_log "$ver: $p is in no suite, left out"; fi
	done
	download "$DEBS/$ver" "${parts[@]}" || { kmx_log "error: $ver: download failed"; return 1; }
	unpack_kernel "$ver" || return 1
	kmx_log "$ver: unpacked into $KMATRIX_DIR/kernels/$ver ($(du -sh "$KMATRIX_DIR/kernels/$ver" | cut -f1))"
}

# newest_7x: the newest linux-image-7.x -amd64 (not rt, not cloud) any suite offers
newest_7x() {
	priv_setup
	{ host_apt apt-cache search --names-only '^linux-image-7\.'; priv_apt apt-cache search --names-only '^linux-image-7\.'; } |
		awk '$1 ~ /^linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64$/ { sub(/^linux-image-/, "", $1); print $1 }' |
		sort -uV | tail -n 1
}

# ---- tools ----

# fetch_busybox: a static busybox for the guest's initramfs (the host's busybox-static when
# installed, else its .deb downloaded and unpacked)
fetch_busybox() {
	local tmp
	[[ -x $KMATRIX_BUSYBOX ]] && return 0
	mkdir -p "$(dirname "$KMATRIX_BUSYBOX")"
	if [[ $(dpkg-query -W -f '${Status}' busybox-static 2>/dev/null) == *" ok installed" ]]; then
		cp /bin/busybox "$KMATRIX_BUSYBOX"
	else
		download "$DEBS/busybox" busybox-static
		tmp=$(mktemp -d)
		dpkg-deb -x "$DEBS"/busybox/busybox-static_*.deb "$tmp"
		cp "$tmp/bin/busybox" "$KMATRIX_BUSYBOX"
		rm -rf "$tmp" "${DEBS:?}/busybox"
	fi
	kmx_log "busybox: $KMATRIX_BUSYBOX"
}

# ensure_qemu: qemu-system-x86 through the host's own apt (its own suites, nothing else)
ensure_qemu() {
	command -v qemu-system-x86_64 >/dev/null && return 0
	[[ $(id -u) -eq 0 ]] || kmx_die "qemu-system-x86_64 missing (run scripts/install-deps.sh as root)"
	kmx_log "installing qemu-system-x86 (host apt)"
	host_apt env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends qemu-system-x86 ||
		kmx_die "apt-get install qemu-system-x86 failed"
}

main() {
	local kernels=("$@") v newest failed=0
	command -v dpkg-deb >/dev/null || kmx_die "dpkg-deb missing (Debian/Ubuntu only)"
	mkdir -p "$KMATRIX_DIR/kernels" "$DEBS"
	if ((${#kernels[@]} == 0)); then
		kernels=("${DEFAULT_KERNELS[@]}")
		if [[ ${KMATRIX_NEWEST:-0} == 1 ]]; then
			newest=$(newest_7x)
			if [[ -n $newest ]]; then kernels+=("$newest")
			else kmx_log "warning: no linux-image-7.x-amd64 in any suite"; fi
		fi
	fi
	ensure_qemu
	fetch_busybox
	for v in "${kernels[@]}"; do fetch_kernel "${v#linux-image-}" || failed=1; done
	return "$failed"
}

main "$@"
