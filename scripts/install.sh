#!/usr/bin/env bash
# install.sh PREFIX VERSION STATIC SHARED HEADER... - installs slabcraft:
#
#   PREFIX/lib/libslabcraft.a                  STATIC
#   PREFIX/lib/libslabcraft.so.X.Y.Z           SHARED (its soname is libslabcraft.so.X)
#   PREFIX/lib/libslabcraft.so.X  -> libslabcraft.so.X.Y.Z   what programs load
#   PREFIX/lib/libslabcraft.so    -> libslabcraft.so.X       what -lslabcraft links
#   PREFIX/include/slabcraft/*.h               the HEADERs
#   PREFIX/lib/pkgconfig/slabcraft.pc          from scripts/slabcraft.pc.in
#
# The headers go into a directory of their own, reached as
# <slabcraft/pool.h>: pkg-config's Cflags name PREFIX/include, never the
# directory itself, so that generic names (pool.h, misuse.h) cannot collide
# with another library's.  The headers include each other with quotes
# ("page_source.h"), which the compiler looks up beside the including
# header first, so they find each other there; a header that includes one
# not in the list (by its bare name: they are installed side by side) is an
# error.  Prints each file it installs.  DESTDIR, if set, is prepended to
# every path written (for packaging) but not to the prefix recorded in
# slabcraft.pc.
set -euo pipefail

if [ $# -lt 4 ]; then
  echo "usage: $0 PREFIX VERSION STATIC SHARED [HEADER...]" >&2
  exit 2
fi
template=$(dirname "$0")/slabcraft.pc.in
prefix=$1; version=$2; static=$3; shared=$4; shift 4
case $prefix in
  /*) ;;
  *) prefix=$(realpath -m "$prefix") ;;   # slabcraft.pc needs an absolute path; relative to the caller's directory
esac
for f in "$static" "$shared"; do
  [ -f "$f" ] || { echo "install: $f does not exist (make install builds it)" >&2; exit 1; }
done
real=$(basename "$shared")                      # libslabcraft.so.0.1.0
soname=${real%.so.*}.so.${version%%.*}          # libslabcraft.so.0
dest=${DESTDIR:-}$prefix

names=" "
for h in "$@"; do names+="$(basename "$h") "; done
for h in "$@"; do
  while read -r inc; do
    case $inc in   # an exercise stub: only `make exercise` builds (SC_EX_*) include it
      [0-9][0-9]-*/*.c) continue ;;
    esac
    case $names in
      *" $inc "*) ;;
      *) echo "install: $h includes \"$inc\", which is not installed beside it" >&2; exit 1 ;;
    esac
  done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$h")
done

put() {  # put MODE FILE DIR
  install -d "$3"
  install -m "$1" "$2" "$3/"
  echo "install: $3/$(basename "$2")"
}
link() {  # link TARGET NAME: NAME -> TARGET, both in $dest/lib
  ln -sfn "$1" "$dest/lib/$2"
  echo "install: $dest/lib/$2 -> $1"
}

put 644 "$static" "$dest/lib"
put 755 "$shared" "$dest/lib"
link "$real" "$soname"
link "$soname" libslabcraft.so
for h in "$@"; do put 644 "$h" "$dest/include/slabcraft"; done
install -d "$dest/lib/pkgconfig"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" -e "/^#/d" "$template" \
  > "$dest/lib/pkgconfig/slabcraft.pc"
chmod 644 "$dest/lib/pkgconfig/slabcraft.pc"
echo "install: $dest/lib/pkgconfig/slabcraft.pc"
