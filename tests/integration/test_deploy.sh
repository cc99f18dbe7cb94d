#!/usr/bin/env bash
# Deployment files, checked as far as this machine allows (no docker daemon,
# no Kubernetes cluster, systemd is not PID 1):
#  - `make install DESTDIR PREFIX` installs the binary and the man page;
#  - the man page renders without warnings and is true to --help: the same
#    options per command, every cause id the rules can emit, exit codes;
#  - deploy/tcptriage.service passes `systemd-analyze verify`, and the agent
#    really works with exactly its CapabilityBoundingSet (setpriv);
#  - deploy/daemonset.yaml parses and has what the agent needs (hostPID,
#    hostNetwork, the same capabilities, BTF and cgroup mounts, run options
#    that exist);
#  - deploy/Dockerfile's runtime stage installs every shared library the
#    binary links, and its entrypoint is where its `make install` puts it.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require make groff python3 setpriv ldd dpkg
tt_init deploy
ta_require
A=$TT_AGENT
R=$TT_ROOT
MAN=$R/docs/tcptriage.8

# ------------------------------------------------------------- install
D=$TT_TMP/root
make -s -C "$R" install DESTDIR="$D" PREFIX=/usr >"$TT_TMP/install.out" 2>&1
tt_assert_eq "$?" 0 "make install DESTDIR PREFIX=/usr"
tt_assert_true "cmp -s '$A' '$D/usr/sbin/tcptriage' && [[ -x '$D/usr/sbin/tcptriage' ]]" \
	"binary installed in PREFIX/sbin"
tt_assert_true "cmp -s '$MAN' '$D/usr/share/man/man8/tcptriage.8'" "man page in PREFIX/share/man/man8"
make -s -C "$R" install DESTDIR="$TT_TMP/root2" >/dev/null 2>&1
tt_assert_true "[[ -x '$TT_TMP/root2/usr/local/sbin/tcptriage' ]]" "default PREFIX is /usr/local"

# ------------------------------------------------------------ man page
warn=$(groff -man -ww -z "$MAN" 2>&1)
tt_assert_eq "$warn" "" "man page renders without groff warnings"

man_opts() { # START_ERE END_ERE : long options (\-\-x) in the man page between them
	awk -v start="$1" -v end="$2" '
		on && $0 ~ end { exit }
		$0 ~ start { on = 1; next }
		on { while (match($0, /\\-\\-[a-z\\-]+/)) {
			o = substr($0, RSTART + 4, RLENGTH - 4); gsub(/\\/, "", o); print o
			$0 = substr($0, RSTART + RLENGTH) } }
	' "$MAN" | sort -u
}
help_opts() { # CMD : long options `tcptriage CMD --help` lists (but --help)
	"$A" "$1" --help | grep -oE -- '--[a-z][a-z-]+' | sed 's/^--//' | grep -vx help | sort -u
}
cmds=$("$A" --help | awk '/^Commands:/ { on = 1; next } on && NF { print $1 } on && !NF { exit }')
tt_assert_ge "$(wc -w <<<"$cmds")" 5 "tcptriage --help lists the commands (${cmds//$'\n'/ })"
for c in $cmds; do
	want=$(help_opts "$c" | tr '\n' ' ')
	tt_assert_eq "$(man_opts "^\\.B tcptriage $c\$" '^\\.(br|SH)' | tr '\n' ' ')" "$(help_opts "$c" | grep -vx verbose | tr '\n' ' ')" \
		"man synopsis of '$c' has the options of '$c --help' (-v for --verbose)"
	tt_assert_eq "$(man_opts "^\\.SS \"$c " '^\\.S[SH]' | tr '\n' ' ')" "$want" \
		"man page describes each option of '$c --help'"
	# every "-x, --long" pair of the help is spelled the same in the man page
	while read -r s l; do
		tt_assert_true "grep -qF -- '\\-$s \", \" \\-\\-$l' '$MAN'" "man page: -$s is --$l (as in '$c --help')"
	done < <("$A" "$c" --help | sed -nE 's/^ +-([a-zA-Z]), --([a-z-]+).*/\1 \2/p' | grep -v ' help$')
done
causes=$(grep -oE '\{ "[a-z0-9_]+", rule_' "$R/user/engine/rules.c" | cut -d'"' -f2 | sort -u)
tt_assert_ge "$(wc -w <<<"$causes")" 3 "rules found in user/engine/rules.c"
missing=
for c in $causes; do grep -qw -- "$c" "$MAN" || missing+="$c "; done
tt_assert_eq "$missing" "" "man page lists every cause id of user/engine/rules.c"
for code in 0 1 2; do
	tt_assert_true "awk '/^\\.SH EXIT STATUS/,/^\\.SH SIGNALS/' '$MAN' | grep -qx '\\.B $code'" \
		"man page: exit status $code"
done

# ----------------------------------------------------------- systemd unit
U=$R/deploy/tcptriage.service
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/sbin/tcptriage|$D/usr/sbin/tcptriage|" "$U" >"$TT_TMP/tcptriage.service"
	out=$(MANPATH=$D/usr/share/man systemd-analyze verify "$TT_TMP/tcptriage.service" 2>&1)
	tt_assert_eq "$?:$out" "0:" "systemd-analyze verify tcptriage.service"
else
	tt_skip "systemd-analyze not installed"
fi
tt_assert_true "grep -q '^ExecStart=/usr/local/sbin/tcptriage run ' '$U'" "the unit runs 'tcptriage run' where make install puts it"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$U")
tt_assert_eq "$caps" "CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_SYS_PTRACE" "the unit's capability bounding set"
tt_assert_true "grep -qx 'NoNewPrivileges=yes' '$U' && grep -qx 'ProtectSystem=strict' '$U'" \
	"NoNewPrivileges=yes, ProtectSystem=strict"
# The agent, as the unit starts it: uid 0 with only these capabilities.
bset=$(tr ' ' '\n' <<<"$caps" | sed 's/^CAP_/+/' | tr '[:upper:]' '[:lower:]' | paste -sd,)
LIMITED=(setpriv "--bounding-set=-all,$bset" --inh-caps=-all --no-new-privs)
# ... and the unit's LimitMEMLOCK=infinity (kernels before 5.11 charge BPF maps to it), where
# this test may raise it (not without CAP_SYS_RESOURCE, which those kernels' hosts have)
prlimit --memlock=unlimited:unlimited true 2>/dev/null &&
	LIMITED=(prlimit --memlock=unlimited:unlimited -- "${LIMITED[@]}")
timeout 60 "${LIMITED[@]}" "$A" check >"$TT_TMP/check.out" 2>&1
tt_assert_eq "$?" 0 "'tcptriage check' works with only the unit's capabilities"
timeout 60 "${LIMITED[@]}" "$A" run --interval 1 >"$TT_TMP/run.json" 2>"$TT_TMP/run.err" &
run=$!
tt_wait_for_line "$TT_TMP/run.json" '"type":"stats"' 20
kill -TERM "$run"
wait "$run"
tt_assert_eq "$?" 0 "'tcptriage run' with only the unit's capabilities: stats, then exit 0 on SIGTERM"
tt_assert_true "grep -q '\"type\":\"end\"' '$TT_TMP/run.json'" "... and its end line"
tt_diag_file "$TT_TMP/run.err" 5

# --------------------------------------------------------------- DaemonSet
if python3 -c 'import yaml' 2>/dev/null; then
	out=$(python3 - "$R/deploy/daemonset.yaml" "$caps" "$(help_opts run | tr '\n' ' ')" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
unit_caps = [c[len("CAP_"):] for c in sys.argv[2].split()]
run_opts = sys.argv[3].split()
ds = [d for d in docs if d["kind"] == "DaemonSet"][0]
pod = ds["spec"]["template"]["spec"]
c = pod["containers"][0]
sc = c["securityContext"]
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
vols = {v["name"] for v in pod["volumes"]}
args = c["args"]
port = args[args.index("--metrics") + 1].rsplit(":", 1)[1]
checks = {
    "selector matches the pod labels": ds["spec"]["selector"]["matchLabels"].items()
        <= ds["spec"]["template"]["metadata"]["labels"].items(),
    "hostPID and hostNetwork": pod.get("hostPID") is True and pod.get("hostNetwork") is True,
    "capabilities: drop ALL, add the unit's": sc["capabilities"]["drop"] == ["ALL"]
        and sorted(sc["capabilities"]["add"]) == sorted(unit_caps),
    "not privileged": sc.get("privileged") is False,
    "BTF and cgroup mounted read-only": all(mounts.get(p, {}).get("readOnly")
        for p in ("/sys/kernel/btf", "/sys/fs/cgroup")),
    "every mount has a volume": all(m["name"] in vols for m in c["volumeMounts"]),
    "runs 'tcptriage run' with options run has": args[0] == "run"
        and all(a[2:] in run_opts for a in args if a.startswith("--")),
    "metrics port is the container port": int(port) == c["ports"][0]["containerPort"],
}
for name, ok in checks.items():
    print(("ok " if ok else "FAIL ") + name)
EOF
)
	while IFS= read -r l; do
		tt_assert_eq "${l%% *}" ok "daemonset.yaml: ${l#* }"
	done <<<"$out"
else
	tt_skip "python3 yaml missing: daemonset.yaml not parsed"
fi

# -------------------------------------------------------------- Dockerfile
F=$R/deploy/Dockerfile
runtime=$(awk '/^FROM /{ stage++ } stage == 2' "$F" | grep -oE 'install -y --no-install-recommends [^&]*' |
	cut -d' ' -f4-)
missing=
for lib in $(ldd "$A" | awk '/=>/ { print $3 }'); do
	# dpkg knows a file by the path its package ships: /lib or /usr/lib (merged /usr)
	pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
		dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null)
	pkg=${pkg%%:*}
	[[ $pkg == libc6 ]] && continue # in every Debian image
	[[ " $runtime " == *" ${pkg:-?} "* ]] || missing+="$lib(${pkg:-?}) "
done
tt_assert_eq "$missing" "" "Dockerfile runtime stage installs every library the binary links ($runtime)"
tt_assert_true "grep -q 'make install .*DESTDIR=/pkg PREFIX=/usr' '$F' && grep -qF 'ENTRYPOINT [\"/usr/sbin/tcptriage\"]' '$F'" \
	"Dockerfile entrypoint is where its make install puts the binary"
tt_assert_true "grep -q '^FROM debian:12 AS build' '$F' && grep -q '^FROM debian:12-slim' '$F'" \
	"Dockerfile: Debian 12 multi-stage"
tt_assert_true "grep -q '^RUN scripts/install-deps.sh' '$F' && [[ -x '$R/scripts/install-deps.sh' ]]" \
	"Dockerfile builds with scripts/install-deps.sh"

tt_finish
