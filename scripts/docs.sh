#!/usr/bin/env bash
# docs.sh [refresh] - checks the chapters against the code and builds the
# HTML documentation with Doxygen (`make docs`; `make docs-refresh`).
#
# First the chapters' quoted blocks are checked (each step reports every
# problem it finds; the script fails at the end if any did):
#   1. scripts/demo_outputs.sh check: the release demos still print what
#      docs/data/demo-NN.txt holds (builds them with make MODE=release);
#   2. scripts/excerpts.sh check: every code excerpt in docs/*.md is the
#      tagged region of its source, every quoted output block is what
#      docs/data/NAME.txt holds, and every value the prose assumes is still
#      printed there (the script's header explains the markers).
# With `refresh`, both are brought up to date first instead (demo outputs
# saved, blocks rewritten; docs/measurements.md's blocks come from the
# benchmark outputs that `make bench` wrote), and then checked as above.
#
# Then Doxygen reads docs/Doxyfile and writes to ${BUILDROOT:-build}/docs/html.
# Every Doxygen warning is an error: the script prints the warnings and fails
# if there is even one, so an undocumented parameter or a broken link stops
# `make check`.  Prints where the docs open.
set -euo pipefail

cd "$(dirname "$0")/.."
root=${BUILDROOT:-build}
out=$root/docs

case "${1:-}" in
"") ;;
refresh)
  bash scripts/demo_outputs.sh save
  bash scripts/excerpts.sh refresh
  ;;
*)
  echo "usage: scripts/docs.sh [refresh]" >&2
  exit 2
  ;;
esac

quoted=0
bash scripts/demo_outputs.sh check || quoted=1
bash scripts/excerpts.sh check || quoted=1

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
# Links in the pages made from Markdown must lead to pages Doxygen wrote (a
# link to a repository file that scripts/md_filter.sh did not translate
# would be a dead link in the HTML).
if [ -d "$out/html" ]; then
  dead=$(cd "$out/html" && for f in index.html md_*.html ch[0-9]*.html measurements.html; do
      [ -f "$f" ] || continue
      grep -o 'href="[^"#:]*[.][a-z]*"' "$f" | sed 's/^href="//; s/"$//' | sort -u |
        while read -r target; do [ -e "$target" ] || echo "  $f -> $target"; done
    done)
  if [ -n "$dead" ]; then
    echo "docs: links to pages that do not exist in the HTML:" >&2
    echo "$dead" >&2
    status=1
  fi
fi
if [ "$quoted" -ne 0 ]; then
  echo "docs: the chapters' quoted code or output is out of date (see above)" >&2
  status=1
fi
if [ "$status" -ne 0 ] || [ ! -f "$out/html/index.html" ]; then
  echo "docs: FAILED" >&2
  exit 1
fi

index=$(cd "$out/html" && pwd)/index.html
echo "docs: no warnings; open $index"
