#!/usr/bin/env bash
# coverage.sh COV_MIN - line and branch coverage of the library (common/ and
# stages/, demos excluded) by the whole test suite; fails if the lines covered
# are below COV_MIN percent.
#
# Always gcc (gcov's data format is gcc's, whatever CC says): builds
# MODE=cov into ${BUILDROOT:-build}/gcc/cov, clears old counters, runs the
# all-stages runner without the tool tests (fork mode: each child adds its
# counters to the .gcda files when it exits; a death test's child aborts and
# adds nothing), captures with lcov, merges a zero baseline so that a file no
# test reaches still counts, and prints per file the lines and branches hit,
# the totals, and the lines never run.  HTML report:
# ${BUILDROOT:-build}/coverage/html/index.html.
#
# STAGE=NN (as for `make test STAGE=NN`) measures one stage: only its runner
# is built and run, and only common/ and stages/NN-*/ are reported and gated.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
min=${1:-95}
case $min in ''|*[!0-9.]*) echo "usage: $0 COV_MIN (percent)" >&2; exit 2 ;; esac
buildroot=${BUILDROOT:-build}
cov_build=$buildroot/gcc/cov
out=$buildroot/coverage
scope=all                      # the runner: tests/<scope>/run
measured=("$root/common/*" "$root/stages/*")
if [ -n "${STAGE:-}" ]; then
  dirs=(stages/"$STAGE"-*/)
  [ -d "${dirs[0]}" ] || { echo "coverage: no stage $STAGE in stages/" >&2; exit 2; }
  scope=$(basename "${dirs[0]}")
  measured=("$root/common/*" "$root/stages/$scope/*")
fi
runner=$cov_build/tests/$scope/run

for tool in gcc gcov lcov genhtml; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "coverage: $tool is not installed; run 'make deps' (installs lcov), then try again" >&2
    exit 1
  }
done

# ---- build and run ----------------------------------------------------------
"${MAKE:-make}" -s --no-print-directory CC=gcc MODE=cov "$runner"
mkdir -p "$out"
find "$cov_build" -name '*.gcda' -delete
echo "coverage: running $runner (CK_EXCLUDE_TAGS=tool)"
tests_rc=0
CK_EXCLUDE_TAGS="tool" "$runner" || tests_rc=$?

# ---- capture ----------------------------------------------------------------
rc=(--quiet --rc lcov_branch_coverage=1)
{
  lcov "${rc[@]}" --capture --initial --directory "$cov_build" --base-directory "$root" \
    --no-external --output-file "$out/base.info"
  lcov "${rc[@]}" --capture --directory "$cov_build" --base-directory "$root" \
    --no-external --output-file "$out/run.info"
  lcov "${rc[@]}" --add-tracefile "$out/base.info" --add-tracefile "$out/run.info" \
    --output-file "$out/all.info"
  lcov "${rc[@]}" --extract "$out/all.info" "${measured[@]}" \
    --output-file "$out/lib.info"
  lcov "${rc[@]}" --remove "$out/lib.info" "*/demo.c" --output-file "$out/lib.info"
} 2>"$out/lcov.log" || { cat "$out/lcov.log" >&2; echo "coverage: lcov failed" >&2; exit 1; }

# ---- report -----------------------------------------------------------------
# Per file: lines hit/found, branches hit/found, and the never-run lines as
# ranges; then the totals; then the files below COV_MIN.  Last line of the
# awk output is "TOTAL <line percent>" for the gate.
report=$(awk -v root="$root/" -v min="$min" '
  function pct(h, f) { return f ? sprintf("%6.1f%%", 100 * h / f) : "     - " }
  function ranges(list,    n, a, i, s, lo, hi) {
    n = split(list, a, " "); s = ""
    for (i = 1; i <= n; i++) {
      if (i == 1) { lo = hi = a[i]; continue }
      if (a[i] == hi + 1) { hi = a[i]; continue }
      s = s (s ? "," : "") (lo == hi ? lo : lo "-" hi); lo = hi = a[i]
    }
    if (n) s = s (s ? "," : "") (lo == hi ? lo : lo "-" hi)
    return s
  }
  /^SF:/   { file = substr($0, 4); sub("^" root, "", file); lf = lh = brf = brh = 0; miss = "" }
  /^DA:/   { split(substr($0, 4), d, ","); if (d[2] == 0) miss = miss " " d[1] }
  /^LF:/   { lf = substr($0, 4) }
  /^LH:/   { lh = substr($0, 4) }
  /^BRF:/  { brf = substr($0, 5) }
  /^BRH:/  { brh = substr($0, 5) }
  /^end_of_record/ {
    n++; name[n] = file; LF[n] = lf; LH[n] = lh; BF[n] = brf; BH[n] = brh; M[n] = miss
    tlf += lf; tlh += lh; tbf += brf; tbh += brh
  }
  END {
    # sort by name (insertion sort: a handful of files)
    for (i = 2; i <= n; i++) for (j = i; j > 1 && name[j] < name[j-1]; j--) {
      t = name[j]; name[j] = name[j-1]; name[j-1] = t; t = LF[j]; LF[j] = LF[j-1]; LF[j-1] = t
      t = LH[j]; LH[j] = LH[j-1]; LH[j-1] = t; t = BF[j]; BF[j] = BF[j-1]; BF[j-1] = t
      t = BH[j]; BH[j] = BH[j-1]; BH[j-1] = t; t = M[j]; M[j] = M[j-1]; M[j-1] = t
    }
    printf "%-34s %15s %7s %15s %7s\n", "file", "lines", "", "branches", ""
    for (i = 1; i <= n; i++)
      printf "%-34s %7d/%-7d %s %7d/%-7d %s\n", name[i], LH[i], LF[i], pct(LH[i], LF[i]), BH[i], BF[i], pct(BH[i], BF[i])
    printf "%-34s %7d/%-7d %s %7d/%-7d %s\n", "TOTAL", tlh, tlf, pct(tlh, tlf), tbh, tbf, pct(tbh, tbf)
    # subtotals per directory (common, each stage), in order of appearance
    nd = 0
    for (i = 1; i <= n; i++) {
      dir = name[i]; sub("/[^/]*$", "", dir)
      if (!(dir in DLF)) { dirs[++nd] = dir; DLF[dir] = DLH[dir] = DBF[dir] = DBH[dir] = 0 }
      DLF[dir] += LF[i]; DLH[dir] += LH[i]; DBF[dir] += BF[i]; DBH[dir] += BH[i]
    }
    print ""
    for (k = 1; k <= nd; k++)
      printf "%-34s %7d/%-7d %s %7d/%-7d %s\n", dirs[k] "/", DLH[dirs[k]], DLF[dirs[k]], pct(DLH[dirs[k]], DLF[dirs[k]]), DBH[dirs[k]], DBF[dirs[k]], pct(DBH[dirs[k]], DBF[dirs[k]])
    header = 0
    for (i = 1; i <= n; i++) if (M[i] != "") {
      if (!header++) print "\nlines never run:"
      printf "  %s: %s\n", name[i], ranges(M[i])
    }
    header = 0
    for (i = 1; i <= n; i++) if (LF[i] && 100 * LH[i] / LF[i] < min) {
      if (!header++) printf "\nfiles below %s%% of lines:\n", min
      printf "  %-32s %s\n", name[i], pct(LH[i], LF[i])
    }
    printf "TOTAL %.2f\n", tlf ? 100 * tlh / tlf : 0
  }' "$out/lib.info")
total=$(tail -n 1 <<<"$report" | cut -d' ' -f2)
sed '$d' <<<"$report"

genhtml --quiet --branch-coverage --rc genhtml_branch_coverage=1 --title slabcraft \
  --prefix "$root" --output-directory "$out/html" "$out/lib.info" 2>>"$out/lcov.log"
echo
echo "coverage: HTML report in $out/html/index.html"

status=0
if [ "$tests_rc" -ne 0 ]; then
  echo "coverage: FAILED: the test suite failed (exit $tests_rc), so the numbers above are not a gate" >&2
  status=1
fi
if awk -v t="$total" -v m="$min" 'BEGIN { exit !(t < m) }'; then
  echo "coverage: FAILED: ${total}% of the measured lines run, below the required ${min}%" >&2
  status=1
else
  echo "coverage: ${total}% of the measured lines run (required: ${min}%)"
fi
exit $status
