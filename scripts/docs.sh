#!/usr/bin/env bash
# docs.sh - builds the HTML documentation with Doxygen (`make docs`).
#
# Reads docs/Doxyfile and writes to ${BUILDROOT:-build}/docs/html.  Every
# Doxygen warning is an error: the script prints the warnings and fails if
# there is even one, so an undocumented parameter or a snippet tag that no
# longer exists stops `make check`.  Prints where the docs open.
set -euo pipefail

cd "$(dirname "$0")/.."
root=${BUILDROOT:-build}
out=$root/docs

if ! command -v doxygen >/dev/null 2>&1; then
  echo "docs: doxygen is not installed; run 'make deps' (or: sudo apt-get install doxygen)" >&2
  exit 1
fi

mkdir -p "$out"
rm -rf "$out/html"
log=$out/doxygen-warnings.txt
rm -f "$log"

echo "docs: doxygen $(doxygen --version), docs/Doxyfile -> $out/html"
status=0
# Every stage directory is an include path, so that new stages need no edit.
incs="common $(ls -d stages/[0-9][0-9]-*/ | sed 's|/$||' | tr '\n' ' ')"
( cat docs/Doxyfile
  echo "OUTPUT_DIRECTORY = $out"
  echo "WARN_LOGFILE = $log"
  echo "INCLUDE_PATH = $incs"
  echo "STRIP_FROM_INC_PATH = $incs" ) \
  | doxygen - || status=$?

if [ -s "$log" ]; then
  echo "docs: Doxygen warnings (each one is an error):" >&2
  cat "$log" >&2
  status=1
fi
if [ "$status" -ne 0 ] || [ ! -f "$out/html/index.html" ]; then
  echo "docs: FAILED" >&2
  exit 1
fi

index=$(cd "$out/html" && pwd)/index.html
echo "docs: no warnings; open $index"
