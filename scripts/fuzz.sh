#!/usr/bin/env bash
# fuzz.sh SECONDS - builds every libFuzzer target tests/fuzz/fuzz_<x>.c and
# runs each for its share of SECONDS (at least 1 s each).
#
# Always clang, whatever CC says: libFuzzer is clang's.  Each target is
# linked with the whole library (common/*.c and every stage's .c files but
# demo.c, as the Makefile builds it) and the test support code (every
# tests/support/*.c except the Check runner and files that include check.h:
# the failing page source and the like), with ASan and UBSan, into
# ${BUILDROOT:-build}/fuzz/.  Its corpus lives in
# ${BUILDROOT:-build}/fuzz/corpus-<x>/ and grows from run to run; it is seeded
# from tests/fuzz/seeds/<x>/*.hex (hex digits; blanks and #-comments
# ignored).  A crash leaves its input in ${BUILDROOT:-build}/fuzz/crash-<x>/
# and makes the script fail; rerun it with `<binary> <input>`.
#
# FUZZ_TARGETS="pool ..." limits the run to some targets.
set -euo pipefail
shopt -s nullglob

cd "$(dirname "$0")/.."
seconds=${1:-60}
case $seconds in ''|*[!0-9]*) echo "usage: $0 SECONDS" >&2; exit 2 ;; esac
out=${BUILDROOT:-build}/fuzz

# ---- tools ------------------------------------------------------------------
need_deps() {
  echo "fuzz: $1" >&2
  echo "fuzz: run 'make deps' (installs clang and libclang-rt-dev), then try again" >&2
  exit 1
}
command -v clang >/dev/null 2>&1 || need_deps "clang is not installed"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$probe/t.c"
clang -fsanitize=fuzzer,address,undefined "$probe/t.c" -o "$probe/t" >/dev/null 2>&1 ||
  need_deps "clang cannot link a fuzz target: the libFuzzer runtime (libclang-rt-dev) is missing"

# ---- build ------------------------------------------------------------------
stages=(stages/[0-9][0-9]-*/)
stages=("${stages[@]%/}")
lib_src=(common/*.c)
for s in "${stages[@]}"; do
  for f in "$s"/*.c; do [ "$(basename "$f")" = demo.c ] || lib_src+=("$f"); done
done
support_src=()
for f in tests/support/*.c; do
  [ "$(basename "$f")" = runner_main.c ] || grep -q '<check.h>' "$f" || support_src+=("$f")
done
includes=(-Icommon -Itests/support)
for s in "${stages[@]}"; do includes+=("-I$s"); done
cflags=(-std=c11 -g -O1 -fno-omit-frame-pointer "-fsanitize=fuzzer,address,undefined"
        -fno-sanitize-recover=all -Wall -Wextra -Wpedantic -Werror -Wshadow
        -Wstrict-prototypes)

targets=()
for f in tests/fuzz/fuzz_*.c; do
  [ -e "$f" ] || continue
  x=$(basename "$f" .c); x=${x#fuzz_}
  if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $x "* ]]; then continue; fi
  targets+=("$x")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets (tests/fuzz/fuzz_*.c)" >&2; exit 1; }

mkdir -p "$out"
build() {  # build TARGET: rebuilds when any source is newer than the binary
  local x=$1 bin=$out/fuzz_$1
  if [ -x "$bin" ] && [ -z "$(find common stages tests/support tests/fuzz scripts/fuzz.sh -name '*.[ch]' -newer "$bin" -o -name fuzz.sh -newer "$bin" | head -n 1)" ]; then
    return 0
  fi
  echo "fuzz: building $bin"
  clang "${cflags[@]}" "${includes[@]}" tests/fuzz/fuzz_"$x".c "${lib_src[@]}" \
    "${support_src[@]}" -o "$bin"
}

# Writes each seed tests/fuzz/seeds/X/NAME.hex as corpus-X/seed-NAME.
seed() {
  local x=$1 corpus=$out/corpus-$1 f hex i bytes
  mkdir -p "$corpus"
  for f in tests/fuzz/seeds/"$x"/*.hex; do
    [ -e "$f" ] || continue
    hex=$(sed 's/#.*//' "$f" | tr -d ' \t\n\r')
    bytes=""
    for ((i = 0; i < ${#hex}; i += 2)); do bytes+="\\x${hex:i:2}"; done
    printf '%b' "$bytes" > "$corpus/seed-$(basename "$f" .hex)"
  done
}

# ---- run --------------------------------------------------------------------
share=$(( seconds / ${#targets[@]} ))
[ "$share" -ge 1 ] || share=1
status=0
for x in "${targets[@]}"; do
  build "$x"
  seed "$x"
  bin=$out/fuzz_$x
  log=$out/fuzz_$x.log
  crash=$out/crash-$x
  mkdir -p "$crash"
  echo "fuzz: $x for ${share}s (corpus $out/corpus-$x)"
  rc=0
  "$bin" "$out/corpus-$x" -max_total_time="$share" -timeout=20 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$crash/" > "$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
  corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -n 1 | sed 's/corp: //' || true)
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "fuzz: $x FAILED (exit $rc) after ${execs:-?} execs; the end of $log:" >&2
    tail -n 40 "$log" >&2
    art=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
    [ -n "$art" ] && echo "fuzz: reproduce with: $bin $art" >&2
  else
    echo "fuzz: $x: ${execs:-?} execs in ${share}s, ${cov:-cov: ?}, corpus ${corp:-?} inputs, no crash"
  fi
done
exit $status
