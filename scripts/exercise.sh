#!/usr/bin/env bash
# exercise.sh - builds, runs and validates the exercises in exercises/.
#
#   exercise.sh run EX MAKE CC
#       `make exercise EX=NN-name`: builds the stage with exercise EX's stub
#       compiled in (MODE=ex-EX), runs the tests tagged EX, and prints
#       "EX: P of N tests pass", the first failure (with a word on the usual
#       cause when a test crashed), and what each test printed, under its
#       name (misuse reports; the scores of measured exercises).  When all
#       pass, runs them again under Valgrind memcheck (if installed), with
#       the `tool` test cases tagged EX too.  Exit 0 iff all pass, in both
#       rounds.
#   exercise.sh validate-all "" MAKE CC
#       `make check-exercises`: for every exercises/NN-name/, proves that the
#       stub compiles, that its tagged tests fail against the stub, and that
#       they pass against the stage's own code (MODE=debug).  One line per
#       exercise, details only when something is wrong.  Exit 0 iff all ok.
#
# An exercise is a directory exercises/NN-name/ with a README.md and a stub
# (*.c); it belongs to the stage stages/NN-*/.  The stub is #included under
# #ifdef SC_EX_NN_NAME by the stage's source or, for a measured exercise
# that replaces nothing in the stage, by its scorer tests/NN-*/test_ex_*.c
# (which prints its score when SC_SCORE is set).  Tests select themselves with
# the Check TCase tag NN-name.  Test cases tagged `tool` are left out except
# in the memcheck round: they mean something only under Valgrind or ASan.
# MAKE and CC come from the Makefile; BUILDROOT (exported by it) moves the
# build tree, as everywhere else (default build/).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

mode=${1:-}
ex_arg=${2:-}
MAKE=${3:-make}
CC=${4:-cc}
ROOT=${BUILDROOT:-build}

# The compiler's name, as the Makefile spells it: $(notdir $(firstword $(CC))).
read -r -a cc_words <<<"$CC"
CCNAME=$(basename "${cc_words[0]:-cc}")

# ---- helpers -----------------------------------------------------------------

# Prints every exercise name (exercises/NN-name/ directories), one a line.
list_exercises() {
    local d
    for d in exercises/[0-9][0-9]-*/; do
        [ -d "$d" ] && basename "$d"
    done
}

# The title of an exercise: its README's first heading, without "# ".
ex_title() {
    sed -n 's/^# *//p' "exercises/$1/README.md" 2>/dev/null | head -n 1 |
        sed -E "s/^Exercise $1: *//"
}

# The stub files of exercise $1 (space-separated), or nothing.
ex_stubs() {
    local f out=""
    for f in "exercises/$1"/*.c; do
        [ -f "$f" ] && out="$out${out:+ }$f"
    done
    printf '%s' "$out"
}

# The stage directory name (e.g. 01-pool) that exercise $1 belongs to;
# fails if there is not exactly one.
ex_stage() {
    local nn=${1%%-*} s found=()
    for s in stages/"$nn"-*/; do
        [ -d "$s" ] && found+=("$(basename "$s")")
    done
    [ "${#found[@]}" -eq 1 ] || return 1
    printf '%s' "${found[0]}"
}

# The preprocessor switch of exercise $1: 01-freelist -> SC_EX_01_FREELIST.
ex_macro() {
    printf 'SC_EX_%s' "$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')"
}

# Builds the test runner of stage $2 in mode $1 (and so the library it
# links), all output to file $3.  Only that runner: a stage being written
# elsewhere in the tree does not stop an exercise of another stage.
build_runner() {
    "$MAKE" -s --no-print-directory "MODE=$1" "CC=$CC" "$ROOT/$CCNAME/$1/tests/$2/run" >"$3" 2>&1
}

# Runs runner $1 on the tests tagged $2 in summary mode; output to file $3.
# Returns the runner's status.  With a 4th argument `log` (make exercise),
# Check also writes each test's result line to stdout as the test ends
# (CK_LOG_FILE_NAME=-), line-buffered, so whatever a test printed (a misuse
# report on stderr, the score of a measured exercise on stdout) comes just
# before its result line and can be shown under its name; and SC_SCORE asks
# the measured exercises to print their scores.
run_tagged() {
    local vars=(CK_INCLUDE_TAGS="$2" CK_EXCLUDE_TAGS=tool CK_FORK=yes) buf=()
    if [ "${4:-}" = log ]; then
        vars+=(CK_LOG_FILE_NAME=- SC_SCORE=1)
        command -v stdbuf >/dev/null 2>&1 && buf=(stdbuf -oL -eL)
    fi
    env "${vars[@]}" "${buf[@]}" "$1" --summary "$2" >"$3" 2>&1
}

# Reads "P N" from the summary line of tag $1 in file $2; fails if absent.
read_counts() {
    local line
    line=$(grep -E "^$1: [0-9]+ of [0-9]+ tests pass" "$2" | head -n 1)
    [ -n "$line" ] || return 1
    printf '%s' "$line" | sed -E 's/^[^:]*: ([0-9]+) of ([0-9]+) tests pass.*/\1 \2/'
}

# Shows the first lines of file $1, indented; says where the rest is.
show_log() {
    local file=$1 max=${2:-40} n
    n=$(wc -l <"$file")
    sed -n "1,${max}p" "$file" | sed 's/^/    | /'
    if [ "$n" -gt "$max" ]; then
        echo "    | ... $((n - max)) more lines in $file"
    fi
}

# Check names only the test case of a failure; when the failing line is
# inside a START_TEST body, names the test too.  Reads runner output $1.
failing_test_name() {
    local where file line name
    where=$(sed -nE 's/^first failure: .* \(([^()]+):([0-9]+)\)$/\1 \2/p' "$1" | head -n 1)
    [ -n "$where" ] || return 0
    read -r file line <<<"$where"
    [ -f "$file" ] || return 0
    name=$(awk -v L="$line" 'NR <= L && /^[A-Za-z_]/ { last = $0 } END { print last }' "$file" |
        sed -nE 's/^START_TEST\(([A-Za-z0-9_]+)\).*/\1/p')
    [ -n "$name" ] && echo "  in test $name"
    return 0
}

# After a test that died of a signal or a timeout (runner output $1), one
# line on the usual cause.
crash_hint() {
    local msg
    msg=$(sed -n '/^first failure: /{n;p;q}' "$1")
    case $msg in
    *"Received signal 11"* | *"Received signal 7 "*)
        echo "  (a signal 11 or 7 in a test usually means a NULL, freed or stray pointer was"
        echo "   followed: a link read from the wrong word, a pointer not set yet, or a list"
        echo "   that does not end in NULL; the lines printed by the test, below, may say where)" ;;
    *"Received signal 6 "*)
        echo "  (a signal 6 means the program stopped itself: the misuse handler found damage"
        echo "   the code did, or an assertion in the stage's code failed; its message is"
        echo "   printed by the test, below)" ;;
    *"Received signal 8 "*)
        echo "  (a signal 8 is an arithmetic fault: usually a division by zero)" ;;
    *"Received signal"*)
        echo "  (the test was killed by a signal, so it could not report an assertion)" ;;
    *"timeout expired"*)
        echo "  (a test that runs out of time is usually in a loop that never ends: a list"
        echo "   with a cycle, or an index that does not move)" ;;
    esac
}

# What the tests printed (runner output $1, run with `log`), grouped under
# the test that printed it: each line goes with the next result line.  Shows
# at most 4 tests and 24 lines of each; the whole output stays in $1.
test_output() {
    awk -v tag="$2" -v file="$1" '
        function flush_test(name, res,   k) {
            if (n == 0) return
            if (shown == 4) { more++; n = 0; return }
            shown++
            printf "\nprinted by test %s%s:\n", name, res == "P" ? "" : ", which failed"
            for (k = 1; k <= n && k <= 24; k++) print "    " line[k]
            if (n > 24) printf "    ... %d more lines in %s\n", n - 24, file
            n = 0
        }
        /^[^ :]+:[0-9]+:[PFE]:[^:]*:[^:]*:[0-9]+: / {
            split($0, f, ":")
            flush_test(f[5] (f[6] > 0 ? " (loop run " f[6] ")" : ""), f[3]); next
        }
        /^Running suite / || /^Results for all suites run:/ || /^[0-9]+%: Checks: / { next }
        index($0, tag ": ") == 1 || / no test ran / { next }
        /^first failure: / { getline; next }
        { line[++n] = $0 }
        END {
            if (n > 0) { printf "\nprinted outside any test:\n"; for (k = 1; k <= n; k++) print "    " line[k] }
            if (more) printf "\n(%d more tests printed something: see %s)\n", more, file
        }' "$1"
}

# True if Check can be found the way the Makefile looks for it.
have_check() {
    command -v pkg-config >/dev/null 2>&1 && pkg-config --exists check
}

no_check_message() {
    echo "The unit-test library Check is not installed (pkg-config cannot find it)."
    echo "Run \`make deps\` once, then try again."
}

# ---- make exercise EX=... --------------------------------------------------

cmd_run() {
    local ex=$1
    ex=${ex#./}
    ex=${ex#exercises/}
    ex=${ex%/}
    if ! [[ $ex =~ ^[0-9][0-9]-[a-z0-9-]+$ ]] || [ ! -f "exercises/$ex/README.md" ]; then
        echo "make exercise: there is no exercise '$1'.  The exercises are:"
        local e
        for e in $(list_exercises); do
            printf '  %-14s %s\n' "$e" "$(ex_title "$e")"
        done
        echo "Run one with: make exercise EX=NN-name   (read exercises/README.md first)"
        exit 2
    fi
    local stage stubs
    if ! stage=$(ex_stage "$ex"); then
        echo "make exercise: exercise $ex belongs to no stage (no single stages/${ex%%-*}-*/)"
        exit 2
    fi
    stubs=$(ex_stubs "$ex")
    if ! have_check; then
        no_check_message
        exit 2
    fi

    local dir="$ROOT/$CCNAME/ex-$ex"
    local log="$dir/build.log"
    mkdir -p "$dir" || exit 2
    echo "exercise $ex: building stage $stage with ${stubs:-exercises/$ex/} compiled in ($CCNAME)"
    if ! build_runner "ex-$ex" "$stage" "$log"; then
        grep -Ev '^g?make(\[[0-9]+\])?: \*\*\*' "$log" >"$log.short"
        show_log "$log.short" 40
        echo
        echo "Your stub ${stubs:-in exercises/$ex/} does not compile: fix the first error above"
        echo "(warnings count as errors; an error reported in stages/$stage/ usually means an"
        echo "unclosed brace or parenthesis in the stub).  Then run make exercise EX=$ex again."
        exit 1
    fi
    local runner="$dir/tests/$stage/run"
    if [ ! -x "$runner" ]; then
        echo "make exercise: the build made no test runner $runner"
        exit 2
    fi

    echo "exercise $ex: running the tests tagged $ex"
    echo
    local out="$dir/tests.log" status counts
    run_tagged "$runner" "$ex" "$out" log
    status=$?
    awk -v tag="$ex" 'index($0, tag ": ") == 1 && / tests pass$/ { print; next }
        /^first failure: / { print; getline; print }' "$out"
    failing_test_name "$out"
    crash_hint "$out"
    test_output "$out" "$ex"
    echo
    if counts=$(read_counts "$ex" "$out") && [ "${counts#* }" = 0 ]; then
        echo "make exercise: no test in tests/$stage/ is tagged $ex yet, so there is nothing to pass."
        exit 2
    fi
    if [ "$status" -ne 0 ]; then
        echo "keep going: read the failure above, then exercises/$ex/README.md"
        exit 1
    fi
    if ! memcheck_pass "$ex" "$runner" "$dir/memcheck.log"; then
        echo "keep going: read the report above, then the rules about Valgrind and ASan in"
        echo "exercises/$ex/README.md"
        exit 1
    fi
    echo "done: move on to the next exercise"
    unchecked_rules "$ex"
    exit 0
}

# The README's paragraph that starts "**Not checked by the tests:**", if it
# has one: rules the tests cannot see, which the learner checks by reading.
unchecked_rules() {
    awk '/^\*\*Not checked by the tests:\*\*/ { on = 1 } on && /^ *$/ { exit } on' \
        "exercises/$1/README.md" | sed -e 's/\*\*//g' -e 's/`//g' -e 's/^/  /'
}

# The second round of `make exercise`, once every test passes: the same tests
# under Valgrind memcheck, plus the test cases tagged both `tool` and $1 (they
# check what the code tells the tools: which bytes are off limits).  As in
# `make memcheck`: no fork, no death tests.  Runner $2, output to file $3.
# Returns 0 if memcheck is happy, or if Valgrind is not installed.
memcheck_pass() {
    local ex=$1 runner=$2 out=$3
    if ! command -v valgrind >/dev/null 2>&1; then
        echo "(Valgrind is not installed, so what your code tells Valgrind and ASan was not"
        echo " checked; make deps installs it.)"
        echo
        return 0
    fi
    echo "exercise $ex: every test passes; now the same under Valgrind memcheck, which also"
    echo "checks what your code tells the tools"
    echo
    CK_INCLUDE_TAGS="$ex" CK_EXCLUDE_TAGS=misuse CK_FORK=no \
        valgrind --quiet --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        "$runner" --summary "$ex" >"$out" 2>&1
    local status=$?
    if [ "$status" -eq 0 ]; then
        grep -E "^$ex: [0-9]+ of [0-9]+ tests pass" "$out" | sed 's/$/ under memcheck/'
        echo
        return 0
    fi
    if grep -q "debuginfo reader: Possibly corrupted" "$out"; then
        # Not the learner's fault: this Valgrind cannot read the compiler's
        # debug information (clang's DWARF 5 and Valgrind < 3.20).
        echo "(this Valgrind cannot read the debug information $CCNAME wrote, so the memcheck"
        echo " round was skipped; with gcc it runs.)"
        echo
        return 0
    fi
    if [ "$status" -eq 99 ]; then
        # The first report only: memcheck ends each with a bare "==pid==" line.
        awk '/^==[0-9]+== *$/ { exit } { print }' "$out" | head -n 40 | sed 's/^/    | /'
    fi
    # The runner's summary, and its first failure with its message line.
    awk -v tag="$ex" '
        index($0, tag ": ") == 1 && / tests pass$/ { print; next }
        /^first failure: / { print; getline; print }' "$out" |
        sed -E "s/ tests pass\$/ tests pass under memcheck$([ "$status" -eq 99 ] && echo ', which reported errors')/"
    failing_test_name "$out"
    echo
    if [ "$status" -eq 99 ]; then
        echo "memcheck found an error: the first is above, read its stack from the top"
        echo "(every report: $out)."
    fi
    return 1
}

# ---- make check-exercises ------------------------------------------------------

# Validates exercise $1, with scratch files in directory $2 and its name
# padded to $3 columns.  Prints its line (and details when not ok); returns
# 0 iff it is ok.
# judge EX LOG WANT: prints what the tagged run in LOG shows ("P of N pass"
# and, when it is not what WANT asks, why); fails unless the run is as
# wanted: WANT=fail, some test failed; WANT=pass, every test passed.
judge() {
    local counts p n
    if ! counts=$(read_counts "$1" "$2"); then
        echo "no summary from the runner"; return 1
    fi
    read -r p n <<<"$counts"
    if [ "$n" -eq 0 ]; then
        echo "no test ran"; return 1
    fi
    if [ "$3" = fail ]; then
        [ "$p" -lt "$n" ] && { echo "$p of $n pass (fails, as it must)"; return 0; }
        echo "$p of $n pass (stub passes!)"; return 1
    fi
    [ "$p" -eq "$n" ] && { echo "$p of $n pass"; return 0; }
    echo "$p of $n pass (REFERENCE FAILS)"; return 1
}

validate_one() {
    local ex=$1 tmp=$2 width=$3
    local stage stubs label
    label=$(printf '%-*s' "$width" "$ex")
    if [ ! -f "exercises/$ex/README.md" ]; then
        echo "$label   NOT OK: no exercises/$ex/README.md"
        return 1
    fi
    stubs=$(ex_stubs "$ex")
    if [ -z "$stubs" ]; then
        echo "$label   NOT OK: no stub (*.c) in exercises/$ex/"
        return 1
    fi
    if ! stage=$(ex_stage "$ex"); then
        echo "$label   NOT OK: no single stage stages/${ex%%-*}-*/ for it"
        return 1
    fi

    # The reference: the stage's own code, built as `make test` builds it.
    if ! build_runner debug "$stage" "$tmp/$ex.refbuild"; then
        echo "$label   reference: the stage's own code DOES NOT BUILD (MODE=debug)   NOT OK"
        show_log "$tmp/$ex.refbuild" 30
        return 1
    fi

    # (a) the stub compiles
    local blog="$tmp/$ex.build"
    if ! build_runner "ex-$ex" "$stage" "$blog"; then
        echo "$label   stub: DOES NOT COMPILE   NOT OK"
        show_log "$blog" 30
        return 1
    fi

    # (b) its tagged tests fail against the stub
    local slog="$tmp/$ex.stub" rlog="$tmp/$ex.ref" stub_text ref_text ok=0
    run_tagged "$ROOT/$CCNAME/ex-$ex/tests/$stage/run" "$ex" "$slog"
    stub_text=$(judge "$ex" "$slog" fail) || ok=1

    # (c) the same tests pass against the stage's own code
    run_tagged "$ROOT/$CCNAME/debug/tests/$stage/run" "$ex" "$rlog"
    ref_text=$(judge "$ex" "$rlog" pass) || ok=1

    printf '%s   stub: %-32s   reference: %-14s   %s\n' "$label" "$stub_text" "$ref_text" \
        "$([ "$ok" -eq 0 ] && echo ok || echo 'NOT OK')"
    [ "$ok" -eq 0 ] && return 0

    # Only now, details.
    case $stub_text in
    *"stub passes"*)
        if ! grep -qs "$(ex_macro "$ex")" "stages/$stage"/*.[ch] "tests/$stage"/*.c; then
            echo "    nothing compiles the stub in: no #ifdef $(ex_macro "$ex") in stages/$stage/ or tests/$stage/"
        else
            echo "    the stub must fail its tests: either they do not catch it, or it has been solved"
            echo "    (expected in a learner's copy; git diff --stat exercises/ shows the edited stubs)"
        fi ;;
    "no test ran")
        echo "    no test case in tests/$stage/ is tagged $ex (tcase_set_tags)" ;;
    "no summary"*)
        echo "    the stub's runner said:"
        show_log "$slog" 20 ;;
    esac
    case $ref_text in
    *"REFERENCE FAILS"* | "no summary"*)
        echo "    against the stage's own code ($ROOT/$CCNAME/debug/tests/$stage/run):"
        show_log "$rlog" 20 ;;
    esac
    return 1
}

cmd_validate_all() {
    local exes=() e width=0
    for e in $(list_exercises); do
        exes+=("$e")
        [ "${#e}" -gt "$width" ] && width=${#e}
    done
    if [ "${#exes[@]}" -eq 0 ]; then
        echo "check-exercises: no exercises in exercises/"
        exit 0
    fi
    if ! have_check; then
        no_check_message
        exit 2
    fi

    local tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/slabcraft-ex.XXXXXX") || exit 2
    trap 'rm -rf "$tmp"' EXIT

    echo "check-exercises: ${#exes[@]} exercises, compiler $CCNAME"
    local bad=()
    for e in "${exes[@]}"; do
        validate_one "$e" "$tmp" "$width" || bad+=("$e")
    done
    if [ "${#bad[@]}" -eq 0 ]; then
        echo "check-exercises: all ${#exes[@]} exercises ok"
        exit 0
    fi
    echo "check-exercises: ${#bad[@]} of ${#exes[@]} exercises NOT OK: ${bad[*]}"
    exit 1
}

case $mode in
run) cmd_run "$ex_arg" ;;
validate-all) cmd_validate_all ;;
*)
    echo "usage: $0 run EX MAKE CC | validate-all \"\" MAKE CC" >&2
    exit 2 ;;
esac
