#!/usr/bin/env bash
# bench.sh MODE [STAGE] - builds the benchmarks (MODE=release) and runs them.
#
#   MODE  quick: a seconds-long smoke run of each benchmark (part of
#                `make check`); its CSV and SVG go to the build tree, so the
#                writers are exercised without touching docs/
#         full:  the real run; writes docs/data/bench_NAME.csv,
#                docs/data/bench_NAME.txt (everything printed) and
#                docs/images/bench_NAME.svg
#   STAGE a stage number (01) or name (01-pool): runs bench/bench_NAME for
#         stage NN-NAME (or else the one bench/bench_NAME*.c, such as
#         bench_slabs for 02-slab, or else the one named after a public
#         header of the stage, such as bench_amap for 04-arena-map's
#         amap.h); empty: every bench/bench_*.c
#
# Builds the benchmarks and tools/ in release mode first.
# Build settings come from the environment: BUILDROOT (exported by the
# Makefile) and CC (when given on make's command line); MAKE names the make
# program (default make).  Exits non-zero if the build or any benchmark fails.
set -euo pipefail

mode=${1:-}
stage=${2:-}
cd "$(dirname "$0")/.."
. scripts/lib.sh
usage_check "$mode" "scripts/bench.sh quick|full [STAGE]" quick full
bindir=$(release_dir bench)

# Which benchmarks: bench/bench_NAME.c for stage NN-NAME, or all of them.
names=()
if [[ -n "$stage" ]]; then
    dirs=(stages/"$stage" stages/"$stage"-*)
    dir=
    for d in "${dirs[@]}"; do
        [[ -d "$d" ]] && dir=$d && break
    done
    if [[ -z "$dir" ]]; then
        echo "bench.sh: no stage matches '$stage' (see stages/)" >&2
        exit 2
    fi
    name=${dir#stages/}
    name=${name#[0-9][0-9]-}
    # bench/bench_NAME.c, or else the one bench/bench_NAME*.c (bench_slabs.c
    # for stage 02-slab), or else the one named after a public header of the
    # stage (bench_amap.c for stages/04-arena-map/amap.h)
    if [[ ! -f bench/bench_$name.c ]]; then
        found=()
        for f in bench/bench_"$name"*.c; do
            [[ -e "$f" && "$f" != *_lib.c ]] && found+=("$f")
        done
        if ((${#found[@]} == 0)); then
            for h in "$dir"/*.h; do
                h=${h##*/}
                f=bench/bench_${h%.h}.c
                [[ "$h" != *_internal.h && -f "$f" ]] && found+=("$f")
            done
        fi
        if ((${#found[@]} != 1)); then
            echo "bench.sh: stage ${dir#stages/} has no benchmark (bench/bench_$name.c)"
            exit 0
        fi
        name=${found[0]#bench/bench_}
        name=${name%.c}
    fi
    names=("$name")
else
    for f in bench/bench_*.c; do
        [[ -e "$f" && "$f" != *_lib.c ]] || continue
        f=${f#bench/bench_}
        names+=("${f%.c}")
    done
fi
if ((${#names[@]} == 0)); then
    echo "bench.sh: no benchmarks in bench/"
    exit 0
fi

# Build in release mode.  The sub-make gets a clean MAKEFLAGS: this script
# runs outside the parent's job server, and BUILDROOT and CC travel in the
# environment anyway.
ccarg=()
[[ -n "${CC:-}" ]] && ccarg=("CC=$CC")
# The tools too: bench_slabs runs tools/replay for the utilisation figures.
# Every benchmark is built even for one stage: bench_vmem (stage 05) runs
# bench_slabs' workers on its page source.
MAKEFLAGS='' MFLAGS='' "${MAKE:-make}" -s --no-print-directory MODE=release "${ccarg[@]}" benches tools

for name in "${names[@]}"; do
    prog=$bindir/bench_$name
    if [[ ! -x "$prog" ]]; then
        echo "bench.sh: $prog was not built" >&2
        exit 1
    fi
    if [[ "$mode" == quick ]]; then
        echo "== bench-quick: bench_$name"
        "$prog" --quick --csv "$bindir/bench_$name.quick.csv" --svg "$bindir/bench_$name.quick.svg"
    else
        mkdir -p docs/data docs/images
        echo "== bench: bench_$name (writes docs/data/bench_$name.{csv,txt}, docs/images/bench_$name.svg)"
        if ! "$prog" --csv "docs/data/bench_$name.csv" --svg "docs/images/bench_$name.svg" |
            tee "docs/data/bench_$name.txt.tmp"; then
            rm -f "docs/data/bench_$name.txt.tmp"
            echo "bench.sh: bench_$name failed" >&2
            exit 1
        fi
        mv "docs/data/bench_$name.txt.tmp" "docs/data/bench_$name.txt"
    fi
done
