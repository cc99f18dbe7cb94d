#!/usr/bin/env bash
# Container attribution, for real: two clients, each moved into a cgroup v2 of
# its own before it makes a reset storm (80 SO_LINGER 0 closes) in a
# namespace: one in a docker-style scope (.../docker-<64hex>.scope), one in a
# Kubernetes cgroupfs-style path (.../kubepods/burstable/pod<uid>/<64hex>).
# The reset_storm finding's culprits carry each client's cgroup id (== the
# directory's inode), its cgroup_path, container id and runtime, and the pod
# UID; the text report names the container too.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid sha256sum
tt_init container
ta_require
tt_ttload || tt_bail "build ttload"

# The cgroup2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts.
CG_ROOT=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
	/proc/self/mountinfo)
[[ -n $CG_ROOT && -w $CG_ROOT/cgroup.procs ]] || tt_bail "no writable cgroup2 mount"
tt_diag "cgroup2 at $CG_ROOT"

hex64() { printf '%s' "$*" | sha256sum | cut -c1-64; }
DOCKER_ID=$(hex64 "$TT_PREFIX docker")
CRI_ID=$(hex64 "$TT_PREFIX cri")
POD_UID=$(hex64 "$TT_PREFIX pod" | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
TOP=$TT_PREFIX                        # one test-owned directory holds both
DOCKER_REL=/$TOP/docker-$DOCKER_ID.scope
CRI_REL=/$TOP/kubepods/burstable/pod$POD_UID/$CRI_ID

# Registered before any process enters it, so it runs after they are killed;
# self-contained (no function of this script): the runner replays it after a kill.
tt_cleanup_add "for _i in {1..50}; do find $(printf %q "$CG_ROOT/$TOP") -depth -type d -exec rmdir {} + 2>/dev/null; \
	[[ -d $(printf %q "$CG_ROOT/$TOP") ]] || break; sleep 0.1; done"
mkdir -p "$CG_ROOT$DOCKER_REL" "$CG_ROOT$CRI_REL" || tt_bail "mkdir cgroups"

tt_netns_single ctr || tt_bail "create namespace"
NS=$TT_NS
PORT=5402
tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"

client_in() { # CGROUP_REL OUTFILE : a reset-storm client inside the cgroup
	# shellcheck disable=SC2016  # expanded by sh
	tt_bg -o "$2" sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$CG_ROOT$1" \
		ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port $PORT \
		--conns 80 --bytes 1 --linger0 --close --seconds 15 >/dev/null
}
client_in "$DOCKER_REL" "$TT_TMP/docker.out"
docker_pid=$TT_BG_PID
client_in "$CRI_REL" "$TT_TMP/cri.out"
cri_pid=$TT_BG_PID
tt_wait_for_line "$TT_TMP/docker.out" '^connected=' 18 || tt_diag "docker client did not finish"
tt_wait_for_line "$TT_TMP/cri.out" '^connected=' 18 || tt_diag "cri client did not finish"
ta_stop || tt_bail "agent end line"
ta_show "$AG"

f=$(ta_findings "$AG" reset_storm | tail -n 1)
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final reset_storm finding"
culprit() { jq -c --argjson p "$1" '[.culprits[] | select(.pid == $p)][0] // empty' <<<"$f"; }
d=$(culprit "$docker_pid")
c=$(culprit "$cri_pid")
tt_diag "docker culprit: $d"
tt_diag "cri culprit: $c"

tt_assert_eq "$(jq -r .cgroup <<<"$d")" "$(stat -c %i "$CG_ROOT$DOCKER_REL")" \
	"docker client: cgroup id is its scope's inode"
tt_assert_eq "$(jq -r .cgroup_path <<<"$d")" "$DOCKER_REL" "docker client: cgroup_path"
tt_assert_eq "$(jq -r .container <<<"$d")" "$DOCKER_ID" "docker client: container id"
tt_assert_eq "$(jq -r .container_runtime <<<"$d")" docker "docker client: runtime docker"

tt_assert_eq "$(jq -r .cgroup <<<"$c")" "$(stat -c %i "$CG_ROOT$CRI_REL")" \
	"kubepods client: cgroup id is its directory's inode"
tt_assert_eq "$(jq -r .cgroup_path <<<"$c")" "$CRI_REL" "kubepods client: cgroup_path"
tt_assert_eq "$(jq -r .container <<<"$c")" "$CRI_ID" "kubepods client: container id"
tt_assert_eq "$(jq -r .container_runtime <<<"$c")" cri "kubepods client: runtime cri"
tt_assert_eq "$(jq -r .pod <<<"$c")" "$POD_UID" "kubepods client: pod UID"

# The text report says the same in words.
T=$TT_TMP/agent.txt
tt_bg -o "$T" "$TT_AGENT" diagnose --duration 60 >/dev/null
agent=$TT_BG_PID
tt_wait_for_line "$T" 'hooks attached' 20 || tt_bail "text agent start"
client_in "$DOCKER_REL" "$TT_TMP/docker2.out"
tt_wait_for_line "$TT_TMP/docker2.out" '^connected=' 18 || tt_diag "docker client did not finish"
kill -INT "$agent"
tt_wait_for_line "$T" 'findings?; agent lost' 10 || tt_diag "text agent did not end"
tt_assert_true "grep -q 'culprit: pid $TT_BG_PID (ttload) .* in ${DOCKER_ID:0:12} docker' '$T'" \
	"text report: culprit in ${DOCKER_ID:0:12} docker"

tt_finish
