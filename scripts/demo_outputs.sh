#!/usr/bin/env bash
# demo_outputs.sh check|save - the saved demo outputs that the chapters quote.
#
# Every stage's demo (stages/NN-name/demo.c) prints a narrated walk-through
# with real numbers.  Chapters quote those numbers only from a saved copy,
# docs/data/demo-NN.txt, through checked output blocks (see
# scripts/excerpts.sh).  This script keeps the saved copies true:
#
#   check  builds the release demos (make MODE=release demos), runs each one
#          and compares its masked output with docs/data/demo-NN.txt; fails
#          with a diff when they differ or a saved file is missing.  Run by
#          `make docs`.
#   save   runs each demo twice, fails if the masked outputs of the two runs
#          differ (a line that changes from run to run needs a mask rule,
#          below), and writes docs/data/demo-NN.txt.  Run by
#          `make docs-refresh`.
#
# Masking.  A demo's output is deterministic except for three kinds of
# figure, which are masked before any comparison, so the saved files hold the
# masked text:
#   - addresses: every 0x... hexadecimal number becomes 0xADDR;
#   - timings: on a line that holds a time (a number followed by ns, us, µs
#     or ms) or a speed ratio (a number followed by x or ×), every number
#     becomes # and every run of spaces one space (column widths vary), and
#     "faster" or "slower" becomes "faster-or-slower";
#   - the kernel's figures: a number written right after a ~ (stage 05
#     prints resident bytes, bytes in huge pages and page faults so, since
#     they depend on what the kernel had at hand) becomes ~#, and on such a
#     line every run of spaces after the indentation becomes one space.
# If a demo gains another kind of varying line, `save` refuses to write and
# shows the lines; add a rule to mask() below.
#
# Needs bash, make, a C compiler, sed and diff.  Build settings come from the
# environment as for the Makefile: BUILDROOT (default build), CC (default cc,
# as given on make's command line), MAKE (default make).
set -euo pipefail

mode=${1:-}
cd "$(dirname "$0")/.."
. scripts/lib.sh
usage_check "$mode" "scripts/demo_outputs.sh check|save" check save
bindir=$(release_dir stages)
refresh_cmd="make docs-refresh"

mask() {
    sed -E \
        -e 's/0x[0-9a-fA-F]+/0xADDR/g' \
        -e '/[0-9] ?(ns|us|µs|ms)([^A-Za-z]|$)|[0-9](x|×)([^A-Za-z0-9]|$)/{s/[0-9][0-9.,]*/#/g; s/ +/ /g; s/(faster|slower)/faster-or-slower/g;}' \
        -e '/~[0-9]/{s/~[0-9][0-9.,]*/~#/g; s/([^ ])  +/\1 /g;}'
}

# The stage number of stages/NN-name: NN.
stages=()
for d in stages/[0-9][0-9]-*/; do
    [[ -f "$d/demo.c" ]] && stages+=("$(basename "$d")")
done

if ! ${MAKE:-make} --no-print-directory -s MODE=release demos >/dev/null; then
    echo "demo_outputs: building the release demos failed (make MODE=release demos)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# differs WHY OLD NEW OLD_LABEL NEW_LABEL: if the files differ, prints WHY,
# the diff, and fails.
differs() {
    diff -u --label "$4" --label "$5" "$2" "$3" >"$tmp/diff" && return 1
    echo "$1" >&2
    cat "$tmp/diff" >&2
}
for s in "${stages[@]}"; do
    nn=${s%%-*}
    saved=docs/data/demo-$nn.txt
    demo=$bindir/$s/demo
    if ! "$demo" | mask >"$tmp/run1"; then
        echo "demo_outputs: $demo failed" >&2
        status=1
        continue
    fi
    if [[ "$mode" == save ]]; then
        "$demo" | mask >"$tmp/run2"
        if differs "demo_outputs: $demo prints lines that change from run to run; add a rule to mask() in scripts/demo_outputs.sh:" \
            "$tmp/run1" "$tmp/run2" "run 1" "run 2"; then
            status=1
            continue
        fi
        if cmp -s "$tmp/run1" "$saved"; then
            echo "demo_outputs: $saved unchanged"
        else
            cp "$tmp/run1" "$saved"
            echo "demo_outputs: wrote $saved"
        fi
    elif [[ ! -f "$saved" ]]; then
        echo "demo_outputs: $saved is missing; run '$refresh_cmd'" >&2
        status=1
    elif differs "demo_outputs: the output of $demo has changed since $saved was saved:" \
        "$saved" "$tmp/run1" "$saved (saved)" "$demo (now, masked)"; then
        echo "demo_outputs: if the change is intended, run '$refresh_cmd' and review the chapters' output blocks" >&2
        status=1
    fi
done
if [[ "$mode" == check && "$status" -eq 0 ]]; then
    echo "demo_outputs: ${#stages[@]} demo outputs match docs/data/demo-NN.txt"
fi
exit "$status"
