#!/usr/bin/env bash
# Regenerate the seed corpus tests/fuzz/corpus/<target>/seed-* from this
# machine's own /proc files and kernel log lines (crash-* regression inputs
# found by fuzzing are kept as they are). Run as root for /proc/net/stat.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")"
C=corpus

seed() { # TARGET NAME < data
	mkdir -p "$C/$1"
	cat >"$C/$1/seed-$2"
}
u32() { # little-endian 32-bit value as raw bytes
	printf '%b' "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"
}
zeros() { head -c "$1" /dev/zero; }

seed counters netstat </proc/net/netstat
seed counters snmp </proc/net/snmp
# two texts split at a NUL: parse the second into the set of the first
{ cat /proc/net/netstat; printf '\0'; cat /proc/net/snmp; } | seed counters netstat-then-snmp
seed sockstat sockstat </proc/net/sockstat
seed sockstat sockstat6 </proc/net/sockstat6
# first byte: number of slots
for f in tcp_mem tcp_rmem tcp_wmem ip_local_port_range; do
	{ printf '\3'; cat "/proc/sys/net/ipv4/$f"; } | seed sysctl "$f"
done
[[ -r /proc/net/stat/nf_conntrack ]] && seed conntrack nf_conntrack </proc/net/stat/nf_conntrack

n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s\n' "$line" | seed console "line$n"
done <<'LINES'
[  551.276529] TCP: out of memory -- consider tuning tcp_mem
<4>TCP: too many orphaned sockets
6,1234,5678901,-;nf_conntrack: nf_conntrack: table full in netns 4026531840, dropping packet
[T1234] TCP: request_sock_TCP: Possible SYN flooding on port 127.0.0.1:8080. Sending cookies.
TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:443. Dropping request.  Check SNMP counters.
TCP: time wait bucket table overflow
[    0.356690] TCP: Hash tables configured (established 262144 bind 65536)
LINES

# ring buffer records (layout: include/tcptriage.h): console 264 bytes, reset 104
msg='TCP: out of memory -- consider tuning tcp_mem'
{ u32 1; u32 264; zeros 8; u32 $((${#msg} + 1)); u32 0; printf '%s\n' "$msg"
  zeros $((240 - ${#msg} - 1)); } | seed records console
{ u32 2; u32 104; zeros 8; zeros 10; printf '\377\377\177\0\0\1'; zeros 10
  printf '\377\377\177\0\0\1\037\220\300\001\002\0\0\0'; u32 4026531840
  zeros 4; u32 42; u32 4026531840; zeros 8; printf 'curl\0\0\0\0\0\0\0\0\0\0\0\0'
  u32 3; u32 1; } | seed records reset

# JSON writer ops (tests/fuzz/fuzz_json.c): guided and raw
printf '\1\0\14\3key\5quote"\\\n\7\0\0\0\0\0\0\0\52\15' | seed json guided
printf '\0\0\4\1k\5\3\"}{\1\15' | seed json raw
printf '\0\0%s\1' "$(printf 'caf\303\251 \342\200\250 \377\\"')" | seed sanitize utf8
printf '\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0' | seed rfc3339 zero
printf '\0\0\0\0\0\0\0\0\377\311\232\73\0\0\0\0' | seed rfc3339 max-nsec
