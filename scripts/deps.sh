#!/usr/bin/env bash
# deps.sh - installs what slabcraft's checks, docs, fuzzing, coverage and
# benchmarks need, on Debian or Ubuntu; prints what it does.  `make run`
# needs none of it (only a C compiler and make).
#
# Installs only what is missing; uses sudo when not root.  When it cannot
# install, it prints the exact command to run and fails.
set -euo pipefail

# package -> a file that shows it is installed
declare -A probe=(
  [check]=/usr/include/check.h
  [pkg-config]=/usr/bin/pkg-config
  [doxygen]=/usr/bin/doxygen
  [valgrind]=/usr/include/valgrind/memcheck.h
  [clang]=/usr/bin/clang
  [libclang-rt-dev]='(the libFuzzer runtime, any LLVM version and architecture)'
  [lcov]=/usr/bin/lcov
  [libjemalloc-dev]=/usr/include/jemalloc/jemalloc.h
  [libmimalloc-dev]=/usr/include/mimalloc.h
  [libgoogle-perftools-dev]=/usr/include/gperftools/tcmalloc.h
  [libglib2.0-dev]=/usr/include/glib-2.0/glib.h
  [libxxhash-dev]=/usr/include/xxhash.h
  # the hash maps bench_amap measures the arena map against (the C++ ones
  # through bench/amap_shim.cc)
  [uthash-dev]=/usr/include/uthash.h
  [g++]=/usr/bin/g++
  [libabsl-dev]=/usr/include/absl/container/flat_hash_map.h
  [libboost1.81-dev]=/usr/include/boost/unordered/unordered_flat_map.hpp
)
order=(check pkg-config doxygen valgrind clang libclang-rt-dev lcov
       libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev libglib2.0-dev libxxhash-dev
       uthash-dev g++ libabsl-dev libboost1.81-dev)

missing=()
for pkg in "${order[@]}"; do
  f=${probe[$pkg]}
  # the libFuzzer runtime lives under a versioned path: accept any version
  if [ "$pkg" = libclang-rt-dev ]; then
    compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a' >/dev/null && continue
  elif [ -e "$f" ]; then
    continue
  fi
  missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: everything needed is installed"
  exit 0
fi

echo "deps: installing ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: no apt-get here. Install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "deps: not root and no sudo. Run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
cmd_update="$sudo apt-get update -qq"
cmd_install="$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing[*]}"
echo "deps: + $cmd_update"
echo "deps: + $cmd_install"
log=$(mktemp "${TMPDIR:-/tmp}/slabcraft-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
if ! { $cmd_update && $cmd_install; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "deps: installation failed. Run this yourself, then make check again:" >&2
  echo "  $cmd_update && $cmd_install" >&2
  exit 1
fi
echo "deps: installed ${missing[*]}"
