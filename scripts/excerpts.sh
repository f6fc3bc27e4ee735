#!/usr/bin/env bash
# excerpts.sh check|refresh [FILE.md ...] - the code and output that chapters
# quote, kept identical to their sources.
#
# A chapter shows tested code and real program output inline, so that it
# reads the same on GitHub as in the Doxygen HTML; this script makes sure
# every quoted block is still what its source says.  It works on docs/*.md,
# or on the files given.
#
# HOW TO QUOTE (conventions for chapter writers)
#
#   Code.  Mark a region of a source file with two identical comment lines,
#   `// [tag]` (any indentation, nothing else on the line), and put in the
#   chapter a marker line, immediately followed by a fenced block:
#
#       <!-- excerpt: stages/01-pool/pool.c freelist -->
#       ```c
#       ...the lines between the two markers, common indentation removed...
#       ```
#
#   Output.  Quote a saved output, docs/data/NAME.txt (the demos' outputs,
#   written by scripts/demo_outputs.sh; the benchmarks' outputs, written by
#   `make bench`), from the first line that starts with FROM to the first
#   later line that starts with TO, both included; without `to`, up to the
#   first empty line after FROM (a paragraph or table of the output).
#   Leading spaces and the width of runs of spaces do not count when lines
#   are compared with FROM and TO, so columns may be re-aligned:
#
#       <!-- output: demo-02 from "class chunk per slab" to "above " -->
#       ```text
#       ...
#       ```
#
#   The block is the fence right after the marker line, up to the next line
#   that is exactly ```.  Write only the marker line and run `refresh`: it
#   adds the block.  Never edit a block by hand; change the source instead.
#
#   Prose.  Numbers in prose drift silently, so avoid them; where prose must
#   rely on a value that a saved output prints (a default, a class count),
#   state the assumption where the prose uses it:
#
#       <!-- assume: demo-02 "slab 64 KiB" (the prose says 64 KiB slabs) -->
#
#   The check fails, naming the marker, when no line of docs/data/NAME.txt
#   contains the quoted text any more (spaces compared as for FROM/TO):
#   reread and correct the prose, then update the marker.
#
#   A region that an exercise replaces is the exercise's answer: it sits in
#   the #else branch of an `#ifdef SC_EX_...` in the source, or it defines a
#   function that an exercise stub (exercises/*/*.c) defines.  It may be
#   quoted only after the chapter's exercises heading (an anchor ending in
#   `_exercises}`), folded, each HTML line on its own line (GitHub needs the
#   empty line after </summary>; scripts/md_filter.sh adapts these lines for
#   Doxygen):
#
#       <details>
#       <summary>Solution: freelist_push() and freelist_pop() (01-freelist)</summary>
#
#       <!-- excerpt: stages/01-pool/pool.c freelist -->
#       ```c
#       ...
#       ```
#
#       </details>
#
# MODES
#
#   check    compares every block with its source; prints a diff for each
#            block that differs, and fails if any differs, if a tag or a FROM/
#            TO line is gone, if an assumption no longer holds, or if an
#            exercise's answer is quoted too early.
#            Run by `make docs` (scripts/docs.sh), so by `make check`.
#   refresh  rewrites every block from its source (the chapters' prose is
#            not touched: reread it when numbers in a block changed).
#            `make docs-refresh` runs scripts/demo_outputs.sh save first,
#            then this.
#
# Needs only bash, awk (POSIX: mawk will do), sed, diff, grep and comm.
set -euo pipefail

mode=${1:-}
case "$mode" in
check | refresh) ;;
*)
    echo "usage: scripts/excerpts.sh check|refresh [FILE.md ...]" >&2
    exit 2
    ;;
esac
shift

cd "$(dirname "$0")/.."
if (($# == 0)); then
    set -- docs/*.md
fi
refresh_cmd="make docs-refresh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Lists the markers of a chapter, one per line, fields separated by \037:
#   line kind source arg1 arg2 has_to fence_open fence_close in_details after_exercises
# kind is excerpt, output, or bad (arg1 then says why).  fence_open and
# fence_close are 0 when no fenced block follows the marker.
parse() {
    awk '
    function emit(kind, src, a1, a2, hasto) {
        pend = 1; pline = NR; pkind = kind; psrc = src; pa1 = a1; pa2 = a2
        phasto = hasto; pdet = (details > 0); pex = exercises
    }
    function flush(fo, fc) {
        printf "%d\037%s\037%s\037%s\037%s\037%d\037%d\037%d\037%d\037%d\n", pline, pkind, psrc, pa1, pa2, phasto, fo, fc, pdet, pex
        pend = 0
    }
    # inside a fenced block that follows a marker: look for its end
    infence {
        if ($0 == "```") { flush(fopen, NR); infence = 0 }
        next
    }
    pend {
        if ($0 ~ /^```/) { infence = 1; fopen = NR; next }
        flush(0, 0)
    }
    /^<!-- excerpt: / {
        s = $0; sub(/^<!-- excerpt: */, "", s)
        if (sub(/ *-->[ \t]*$/, "", s) != 1) { emit("bad", "", "marker not closed by -->", "", 0); next }
        n = split(s, w, " ")
        if (n != 2) { emit("bad", "", "expected <!-- excerpt: PATH TAG -->", "", 0); next }
        emit("excerpt", w[1], w[2], "", 0); next
    }
    /^<!-- assume: / {
        s = $0; sub(/^<!-- assume: */, "", s)
        name = s; sub(/ .*/, "", name)
        text = ""
        if (match(s, / "[^"]*"/)) text = substr(s, RSTART + 2, RLENGTH - 3)
        if (name == "" || text == "") { emit("bad", "", "expected <!-- assume: NAME \"TEXT\" [note] -->", "", 0); next }
        emit("assume", name, text, "", 0); flush(0, 0); next
    }
    /^<!-- output: / {
        s = $0; sub(/^<!-- output: */, "", s)
        if (sub(/ *-->[ \t]*$/, "", s) != 1) { emit("bad", "", "marker not closed by -->", "", 0); next }
        name = s; sub(/ .*/, "", name)
        from = ""; to = ""; hasto = 0
        if (match(s, / from "[^"]*"/)) from = substr(s, RSTART + 7, RLENGTH - 8)
        if (match(s, / to "[^"]*"/)) { to = substr(s, RSTART + 5, RLENGTH - 6); hasto = 1 }
        if (name == "" || from == "") { emit("bad", "", "expected <!-- output: NAME from \"PREFIX\" [to \"PREFIX\"] -->", "", 0); next }
        emit("output", name, from, to, hasto); next
    }
    /^```/ { fenced = !fenced; next }
    fenced { next }
    /<details>/ { details++ }
    /<\/details>/ { details-- }
    /^#+ .*_exercises\}/ { exercises = 1 }
    END {
        if (infence) flush(fopen, 0)
        else if (pend) flush(0, 0)
    }' "$1"
}

# The lines between the two `// [tag]` lines of a file, common indentation
# removed.  Exit status 2: no such tag; 3: not exactly two marker lines.
region() {
    awk -v tag="$2" '
    { t = $0; gsub(/^[ \t]+|[ \t]+$/, "", t) }
    t == "// [" tag "]" { n++; next }
    n == 1 {
        k++; line[k] = $0
        if ($0 ~ /[^ \t]/) {
            match($0, /^[ \t]*/)
            if (ind == "" || RLENGTH < ind) ind = RLENGTH
        }
    }
    END {
        if (n == 0) exit 2
        if (n != 2) exit 3
        for (i = 1; i <= k; i++) print substr(line[i], ind + 1)
    }' "$1"
}

# Names of the functions defined (at the start of a line) in C text on stdin.
defined_functions() {
    awk '/^[A-Za-z_][^;]*\(/ && !/^#/ {
        s = $0; sub(/\(.*/, "", s); n = split(s, w, /[^A-Za-z0-9_]+/)
        for (i = n; i > 0; i--) if (w[i] != "") { print w[i]; break }
    }' | sort -u
}

# True if the region of tag in file is an exercise's answer: it lies in an
# exercise branch (#ifdef SC_EX_... / #else / #endif), or it defines a
# function that an exercise stub (exercises/*/*.c) defines too.
in_exercise() {
    if awk -v tag="$2" '
        { t = $0; gsub(/^[ \t]+|[ \t]+$/, "", t) }
        /^#ifdef SC_EX_/ { ex = 1 }
        /^#endif/ { ex = 0 }
        t == "// [" tag "]" { found = 1; exit }
        END { exit !(found && ex) }' "$1"; then
        return 0
    fi
    [[ -n "$(comm -12 <(region "$1" "$2" 2>/dev/null | defined_functions) \
        <(cat exercises/*/*.c 2>/dev/null | defined_functions))" ]]
}

# The lines of a saved output from the first line starting with from to the
# first later line starting with to (or to the line before the first empty
# line); spaces do not count in the comparison (column widths change).
# Exit status 2: from not found; 3: to not found.
output_range() {
    awk -v from="$2" -v to="$3" -v hasto="$4" '
    function squeeze(t) { gsub(/[ \t]+/, " ", t); sub(/^ /, "", t); return t }
    BEGIN { from = squeeze(from); to = squeeze(to) }
    !on && index(squeeze($0), from) == 1 { on = 1; print; next }
    on && hasto { print; if (index(squeeze($0), to) == 1) { done = 1; exit } next }
    on && $0 == "" { done = 1; exit }
    on { print }
    END {
        if (!on) exit 2
        if (hasto && !done) exit 3
    }' "$1"
}

# True if a line of a saved output contains text (runs of spaces squeezed).
output_contains() {
    awk -v text="$2" '
    function squeeze(t) { gsub(/[ \t]+/, " ", t); sub(/^ /, "", t); return t }
    BEGIN { text = squeeze(text) }
    index(squeeze($0), text) { found = 1; exit }
    END { exit !found }' "$1"
}

# Writes the expected content of a marker to $tmp/want; on failure prints why
# and returns 1.
expected() {
    local md=$1 line=$2 kind=$3 src=$4 a1=$5 a2=$6 hasto=$7 rc=0
    case "$kind" in
    excerpt)
        if [[ ! -f "$src" ]]; then
            echo "$md:$line: excerpt source $src does not exist" >&2
            hint_tag "$a1"
            return 1
        fi
        region "$src" "$a1" >"$tmp/want" || rc=$?
        if ((rc == 2)); then
            echo "$md:$line: $src has no region marked // [$a1]" >&2
            hint_tag "$a1"
            return 1
        elif ((rc != 0)); then
            echo "$md:$line: $src must mark region [$a1] with exactly two // [$a1] lines" >&2
            return 1
        fi
        ;;
    output)
        local data=docs/data/$src.txt
        if [[ ! -f "$data" ]]; then
            echo "$md:$line: saved output $data does not exist (run '$refresh_cmd', or make bench for bench_*)" >&2
            return 1
        fi
        output_range "$data" "$a1" "$a2" "$hasto" >"$tmp/want" || rc=$?
        if ((rc == 2)); then
            echo "$md:$line: no line of $data starts with \"$a1\"; update the marker" >&2
            return 1
        elif ((rc != 0)); then
            echo "$md:$line: no line of $data after \"$a1\" starts with \"$a2\"; update the marker" >&2
            return 1
        fi
        ;;
    esac
}

# Says where a tag lives now, if it moved to another file.
hint_tag() {
    local found
    found=$(grep -rlE -- "^[[:space:]]*// \[$1\][[:space:]]*$" stages common 2>/dev/null | tr '\n' ' ' || true)
    if [[ -n "$found" ]]; then
        echo "    the tag [$1] is now in: $found- update the marker's path, then run '$refresh_cmd'" >&2
    fi
}

fence_lang() {
    case "$1" in
    excerpt) case "$2" in *.c | *.h) echo c ;; *) echo text ;; esac ;;
    *) echo text ;;
    esac
}

errors=0
stale=0
blocks=0
assumptions=0
for md in "$@"; do
    parse "$md" >"$tmp/markers"
    out=$tmp/new.md
    : >"$out"
    cursor=1
    changed=0
    while IFS=$'\037' read -r line kind src a1 a2 hasto open close details after_ex; do
        blocks=$((blocks + 1))
        if [[ "$kind" == bad ]]; then
            echo "$md:$line: bad marker: $a1" >&2
            errors=$((errors + 1))
            continue
        fi
        if [[ "$kind" == assume ]]; then
            blocks=$((blocks - 1))
            assumptions=$((assumptions + 1))
            if [[ ! -f docs/data/$src.txt ]] || ! output_contains "docs/data/$src.txt" "$a1"; then
                echo "$md:$line: docs/data/$src.txt no longer says \"$a1\"; the prose that assumes it must change:" >&2
                sed -n "${line}p" "$md" >&2
                errors=$((errors + 1))
            fi
            continue
        fi
        if [[ "$kind" == excerpt && -f "$src" ]] && in_exercise "$src" "$a1" &&
            { [[ "$after_ex" != 1 ]] || [[ "$details" != 1 ]]; }; then
            echo "$md:$line: [$a1] in $src is an exercise's answer: quote it only after the exercises heading, inside <details>" >&2
            errors=$((errors + 1))
        fi
        if ((open > 0 && close == 0)); then
            echo "$md:$line: the fenced block after the marker is not closed by a line \`\`\`" >&2
            errors=$((errors + 1))
            continue
        fi
        if ! expected "$md" "$line" "$kind" "$src" "$a1" "$a2" "$hasto"; then
            errors=$((errors + 1))
            continue
        fi
        if ((open > 0)); then
            if ((close > open + 1)); then
                sed -n "$((open + 1)),$((close - 1))p" "$md" >"$tmp/have"
            else
                : >"$tmp/have"
            fi
        fi
        if ((open > 0)) && cmp -s "$tmp/have" "$tmp/want"; then
            continue
        fi
        if [[ "$mode" == check ]]; then
            stale=$((stale + 1))
            if ((open == 0)); then
                echo "$md:$line: no fenced block follows the marker" >&2
            else
                if [[ "$kind" == excerpt ]]; then what="$src [$a1]"; else what=docs/data/$src.txt; fi
                echo "$md:$line: the quoted block differs from $what:" >&2
                diff -u --label "$md (quoted)" --label "$what" "$tmp/have" "$tmp/want" >&2 || true
            fi
            continue
        fi
        # refresh: copy up to the marker (or the opening fence), then the
        # new content, and continue from the closing fence
        if ((open > 0)); then
            sed -n "${cursor},${open}p" "$md" >>"$out"
            cat "$tmp/want" >>"$out"
            cursor=$close
        else
            sed -n "${cursor},${line}p" "$md" >>"$out"
            { echo "\`\`\`$(fence_lang "$kind" "$src")"; cat "$tmp/want"; echo "\`\`\`"; } >>"$out"
            cursor=$((line + 1))
        fi
        changed=1
    done <"$tmp/markers"
    if [[ "$mode" == refresh && "$changed" == 1 ]]; then
        sed -n "${cursor},\$p" "$md" >>"$out"
        cp "$out" "$md"
        echo "excerpts: refreshed $md"
    fi
done

if ((errors > 0 || stale > 0)); then
    ((stale > 0)) && echo "excerpts: $stale quoted block(s) out of date; run '$refresh_cmd' (it saves the demo outputs, then rewrites every block), then reread the prose around them" >&2
    ((errors > 0)) && echo "excerpts: $errors problem(s) with markers; fix them by hand (see above)" >&2
    exit 1
fi
[[ "$mode" == check ]] && echo "excerpts: $blocks quoted blocks match their sources; $assumptions assumptions of the prose hold"
exit 0
