#!/usr/bin/env bash
# install.sh PREFIX LIB HEADERS... - installs the static library to
# PREFIX/lib, the public headers to PREFIX/include/slabcraft (flat, so that
# `#include "pool.h"` works with the pkg-config flags), and a pkg-config file
# PREFIX/lib/pkgconfig/slabcraft.pc made from scripts/slabcraft.pc.in.
# Prints each file it installs.  DESTDIR, if set, is prepended to every path
# written (for packaging) but not to the prefix recorded in slabcraft.pc.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 PREFIX LIB [HEADER...]" >&2
  exit 2
fi
template=$(dirname "$0")/slabcraft.pc.in
prefix=$1; lib=$2; shift 2
case $prefix in
  /*) ;;
  *) prefix=$(realpath -m "$prefix") ;;   # slabcraft.pc needs an absolute path; relative to the caller's directory
esac
[ -f "$lib" ] || { echo "install: $lib does not exist (build it first: make MODE=release lib)" >&2; exit 1; }
dest=${DESTDIR:-}$prefix

put() {  # put MODE FILE DIR
  install -d "$3"
  install -m "$1" "$2" "$3/"
  echo "install: $3/$(basename "$2")"
}

put 644 "$lib" "$dest/lib"
for h in "$@"; do put 644 "$h" "$dest/include/slabcraft"; done
install -d "$dest/lib/pkgconfig"
sed -e "s|@PREFIX@|$prefix|" -e "/^#/d" "$template" > "$dest/lib/pkgconfig/slabcraft.pc"
chmod 644 "$dest/lib/pkgconfig/slabcraft.pc"
echo "install: $dest/lib/pkgconfig/slabcraft.pc"
