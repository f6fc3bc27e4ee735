/*
 * arena_report.c - stage 03: the leak report and the counters.
 */
#include "arena.h"

#include <ctype.h>
#include <inttypes.h>

#include "arena_internal.h"

/* Bytes of an object shown in its report line. */
#define REPORT_BYTES 16u

/* One line: "slot.gen size N refs R interned|- hex |printable|". */
static void report_one(const arena_t *a, uint32_t i, FILE *out)
{
    const arena_slot_t *s = arena_slot_(a, i);
    uint32_t w = s->word, size = *arena_size_of(a, i);
    size_t n = size < REPORT_BYTES ? size : REPORT_BYTES;
    const unsigned char *b = s->obj;
    char hex[3 * REPORT_BYTES + 1] = "", text[REPORT_BYTES + 1] = "";
    for (size_t k = 0; k < n; k++) {
        snprintf(hex + 3 * k, 4, "%02x ", b[k]);
        text[k] = isprint(b[k]) ? (char)b[k] : '.';
    }
    fprintf(out, "%" PRIu32 ".%" PRIu32 " size %" PRIu32 " refs %" PRIu32 " %s %s|%s|%s\n", i,
            handle_gen(a, s->handle), size, w & ARENA_W_REFS, (w & ARENA_W_INTERNED) ? "interned" : "-",
            hex, text, size > REPORT_BYTES ? "..." : "");
}

size_t arena_report_live(const arena_t *a, FILE *out)
{
    size_t n = 0;
    for (uint32_t i = 1; i < a->used; i++) {
        const arena_slot_t *s = arena_slot_(a, i);
        if (s->obj && handle_slot(a, s->handle) == i && (s->word & ARENA_W_REFS) > 0) {
            report_one(a, i, out);
            n++;
        }
    }
    return n;
}

void arena_stats(const arena_t *a, arena_stats_t *out)
{
    *out = (arena_stats_t){
        .live = arena_live(a),
        .slots = arena_in_use(a),
        .free_slots = a->free_count,
        .retired = a->retired,
        .interned = a->intern.count,
        .intern_hits = a->intern_hits,
        .cleanups = a->cleanups,
        .bytes_from_source = a->bytes_from_source,
    };
}
