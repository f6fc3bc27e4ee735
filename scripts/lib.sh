# lib.sh - what the scripts run by the Makefile share; source it, don't run it.
# shellcheck shell=bash

# usage_check ARG USAGE WORD...: exits 2 with USAGE unless ARG is one of the
# WORDs.
usage_check() {
    local arg=$1 usage=$2 w
    shift 2
    for w in "$@"; do
        [[ "$arg" == "$w" ]] && return 0
    done
    echo "usage: $usage" >&2
    exit 2
}

# release_dir SUBDIR: the release build's SUBDIR for the compiler the
# Makefile uses, from BUILDROOT (default build) and CC (default cc; only its
# first word, and only its name, count: "ccache clang" is clang).
release_dir() {
    local cc=${CC:-cc}
    cc=${cc%% *}
    echo "${BUILDROOT:-build}/${cc##*/}/release/$1"
}
