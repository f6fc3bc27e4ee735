#!/usr/bin/env bash
# md_filter.sh FILE.md - what Doxygen reads instead of a Markdown file.
#
# docs/Doxyfile runs every *.md file through this filter (FILTER_PATTERNS),
# from the repository root, so that Markdown written for GitHub renders the
# same in the HTML.  It changes lines one for one, so Doxygen's warnings keep
# their line numbers, and it never changes the files themselves:
#
#   - Folded blocks.  A line that is only <details>, only </details> or only
#     <summary>...</summary> is passed as raw HTML (\htmlonly[block]):
#     Doxygen 1.9.4 otherwise closes <details> at the first paragraph break,
#     and a folded block holds paragraphs and code.
#   - Links to source files.  A link such as [demo.c](../stages/01-pool/demo.c)
#     (relative to the Markdown file, as GitHub resolves it) to a .c or .h
#     file under common/ or stages/ is pointed at Doxygen's page for that
#     file's source.  Doxygen names that page after the file's shortest
#     unique path: pool.c is pool_8c_source.html, but the two demo.c files
#     are 01-pool_2demo_8c_source.html and 02-slab_2demo_8c_source.html.
#     scripts/docs.sh fails if a page of the chapters links to a page that
#     Doxygen did not write, so a wrong guess here is caught.
set -euo pipefail

md=$1
dir=$(dirname "$md")
dir=${dir#"$PWD"}   # Doxygen passes absolute paths; links are relative to the root
dir=${dir#/}
# every source file Doxygen documents, one path a line, for the uniqueness test
files=$(find common stages -name '*.[ch]' 2>/dev/null | sort)

awk -v dir="$dir" -v files="$files" '
function norm(path,    n, i, k, part, out) {
    # resolve "." and ".." in a relative path
    n = split(path, part, "/")
    k = 0
    for (i = 1; i <= n; i++) {
        if (part[i] == "." || part[i] == "") continue
        if (part[i] == "..") { if (k > 0) k--; continue }
        stack[++k] = part[i]
    }
    out = ""
    for (i = 1; i <= k; i++) out = out (i > 1 ? "/" : "") stack[i]
    return out
}
function mangle(name,    out, i, c) {
    out = ""
    for (i = 1; i <= length(name); i++) {
        c = substr(name, i, 1)
        if (c == "_") c = "__"
        else if (c == "/") c = "_2"
        else if (c == ".") c = "_8"
        out = out c
    }
    return out
}
# the shortest path suffix of f that no other file shares
function page(f,    n, p, suffix, i, j, count, m, g) {
    n = split(f, p, "/")
    for (i = n; i >= 1; i--) {
        suffix = p[i]
        for (j = i + 1; j <= n; j++) suffix = suffix "/" p[j]
        count = 0
        for (g = 1; g <= nfiles; g++) {
            m = all[g]
            if (m == suffix || substr(m, length(m) - length(suffix)) == "/" suffix) count++
        }
        if (count <= 1) return mangle(suffix) "_source.html"
    }
    return mangle(f) "_source.html"
}
BEGIN { nfiles = split(files, all, "\n") }
/^```/ { fenced = !fenced }
!fenced && /^[ \t]*(<details>|<\/details>|<summary>.*<\/summary>)[ \t]*$/ {
    line = $0; gsub(/^[ \t]+|[ \t]+$/, "", line)
    print "\\htmlonly[block]" line "\\endhtmlonly"
    next
}
!fenced && /\]\([^)]*\.[ch]\)/ {
    out = ""; rest = $0
    while (match(rest, /\]\([^)]*\.[ch]\)/)) {
        target = substr(rest, RSTART + 2, RLENGTH - 3)
        path = (target ~ /^\//) ? substr(target, 2) : norm(dir "/" target)
        if (path ~ /^(common|stages)\//) target = page(path)
        out = out substr(rest, 1, RSTART - 1) "](" target ")"
        rest = substr(rest, RSTART + RLENGTH)
    }
    print out rest
    next
}
{ print }
' "$md"
