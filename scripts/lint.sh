#!/usr/bin/env bash
# Static analysis of the userspace C (make lint): clang-tidy (checks and the
# reasons for those turned off in .clang-tidy) and cppcheck, over user/*/*.c
# and tests/tools/*.c. Needs the BPF skeleton header (make builds it first).
# Any finding fails; suppress one in place with its reason:
#   // NOLINT(check): why              (clang-tidy)
#   // cppcheck-suppress id ; why      (cppcheck, on the line before)
# Usage: scripts/lint.sh [FILE...]   (CFLAGS for the parsers in LINT_CFLAGS)
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
OUT=${OUT:-build}
JOBS=${LINT_JOBS:-$(nproc)}
# the generated skeleton is a system header: bpftool's code is not ours to lint
incdirs=()
for d in user/*/; do incdirs+=("-I${d%/}"); done # headers are included by name, one folder per stage
read -ra cflags <<<"${LINT_CFLAGS:--std=gnu11 -D_GNU_SOURCE -Iinclude ${incdirs[*]} -isystem $OUT}"
files=("$@")
((${#files[@]})) || files=(user/*/*.c tests/tools/*.c)
fail=0

for t in clang-tidy cppcheck; do
	command -v "$t" >/dev/null || { echo "lint: $t not found (scripts/install-deps.sh)" >&2; exit 1; }
done

echo "# clang-tidy (${#files[@]} files)"
printf '%s\0' "${files[@]}" |
	xargs -0 -I{} -P "$JOBS" clang-tidy --quiet {} -- "${cflags[@]}" >"$OUT/lint-tidy.log" 2>&1
# Findings in bpftool's generated skeleton are not ours: it frees through
# libbpf (bpf_object__destroy_skeleton), which the analyzer cannot see, so it
# reports a leak on its error path.
grep -E 'warning:|error:' "$OUT/lint-tidy.log" | grep -v "^\(/.*/\)\?$OUT/[^/]*\.skel\.h:" \
	>"$OUT/lint-tidy.findings"
cat "$OUT/lint-tidy.findings"
n=$(wc -l <"$OUT/lint-tidy.findings")
((n)) && fail=1
echo "# clang-tidy: $n findings"

echo "# cppcheck"
# Style checks are not enabled. System headers and the generated skeleton
# ($OUT, an embedded ELF cppcheck cannot tokenize) are not parsed: the libbpf
# macros it needs are in scripts/cppcheck-libbpf.cfg instead.
cppcheck --quiet --enable=warning,performance,portability --std=c11 --inline-suppr \
	--library=scripts/cppcheck-libbpf.cfg --suppress=missingIncludeSystem \
	--error-exitcode=1 -j "$JOBS" -D_GNU_SOURCE -Iinclude "${incdirs[@]}" "${files[@]}" \
	>"$OUT/lint-cppcheck.log" 2>&1 || fail=1
cat "$OUT/lint-cppcheck.log"
echo "# cppcheck: $(grep -cE '(error|warning|performance|portability):' "$OUT/lint-cppcheck.log") findings"

# docs/ARCHITECTURE.md names every source file ("x.c/.h" names a pair).
echo "# architecture page"
missing=0
for f in user/*/*.[ch] bpf/*.[ch] include/*.h; do
	b=${f##*/} stem=${f##*/}
	stem=${stem%.[ch]}
	grep -qF -e "\`$b\`" -e "\`$stem.c/.h\`" -e " $b\`" docs/ARCHITECTURE.md && continue
	echo "docs/ARCHITECTURE.md does not name $f"
	missing=$((missing + 1))
done
((missing)) && fail=1
echo "# architecture page: $missing files not named"

if ((fail)); then
	echo "lint: findings above"
	echo "0 passed, 1 failed, 0 skipped" # .ci/run's last line is always a summary
	exit 1
fi
echo "lint: clean"
