/*
 * slabs_stats.c - stage 02's counters and the per-class table.
 *
 * A class's slabs are the lengths of its three lists; its live objects are
 * the sum of its slabs' stage-01 live counts (kept by the pools, so the
 * allocation fast path counts nothing twice); its free chunks are what
 * those slabs can hold minus what is live.  O(slabs).
 */
#include <errno.h>

#include "slabs_internal.h"

/* The live objects of class c's slabs, and the chunks stage 01's checked
 * mode withholds there (damaged after they were freed, they are neither
 * live nor free; 0 unchecked).  O(slabs of the class). */
static void class_count(const slabs_class_t *c, size_t *used, size_t *withheld)
{
    *used = *withheld = 0;
    for (int l = 0; l < SLAB_LISTS; l++)
        for (const slab_link_t *k = c->lists[l].next; k != &c->lists[l]; k = k->next) {
            *used += slabs_slab_used(slabs_slab_of_link(k));
            *withheld += slabs_slab_of_link(k)->pool.quarantined;
        }
}

int slabs_class_stats(const slabs_t *s, size_t cls, slabs_class_stats_t *out)
{
    if (s == NULL || out == NULL || cls >= s->n_classes)
        return -EINVAL;
    const slabs_class_t *c = &s->classes[cls];
    out->chunk_size = c->size;
    out->chunks_per_slab = c->chunks - c->table_chunks;
    out->slabs = (size_t)c->n[SLAB_PARTIAL] + c->n[SLAB_FULL] + c->n[SLAB_EMPTY];
    size_t withheld;
    class_count(c, &out->used, &withheld);
    out->used -= c->cached; /* freed, waiting on the class's cache */
    out->free = out->slabs * out->chunks_per_slab - out->used - withheld;
    out->requested_bytes = slabs_tracks_sizes(s) ? c->requested : out->used * c->size;
    return 0;
}

void slabs_stats(const slabs_t *s, slabs_stats_t *out)
{
    if (out == NULL)
        return;
    *out = (slabs_stats_t){0};
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_classes; i++) {
        slabs_class_stats_t cs;
        slabs_class_stats(s, i, &cs);
        out->live_objects += cs.used;
        out->live_requested_bytes += cs.requested_bytes;
    }
    out->live_objects += s->large_count;
    out->live_requested_bytes += s->large_requested;
    out->bytes_from_source = s->bytes_from_source;
    out->peak_bytes_from_source = s->peak_bytes_from_source;
    out->large_objects = s->large_count;
    out->large_bytes = s->large_bytes;
}

/* Waste as a share of the bytes in used chunks, in tenths of a percent. */
static unsigned long permille(size_t waste, size_t of)
{
    return of ? (unsigned long)((waste * 1000.0) / (double)of + 0.5) : 0;
}

// [print-stats]
void slabs_print_stats(const slabs_t *s, FILE *out)
{
    if (s == NULL || out == NULL)
        return;
    fprintf(out, "%5s %8s %6s %6s %9s %9s %12s %10s %6s\n", "class", "chunk", "/slab",
            "slabs", "used", "free", "requested", "waste", "waste%");
    size_t slabs = 0, used = 0, requested = 0, waste = 0;
    bool tracked = slabs_tracks_sizes(s); /* else requested and waste are unknown */
    for (size_t i = 0; i < s->n_classes; i++) {
        slabs_class_stats_t cs;
        slabs_class_stats(s, i, &cs);
        if (cs.slabs == 0)
            continue;
        size_t w = cs.used * cs.chunk_size - cs.requested_bytes;
        unsigned long pm = permille(w, cs.used * cs.chunk_size);
        fprintf(out, "%5zu %8zu %6zu %6zu %9zu %9zu ", i, cs.chunk_size, cs.chunks_per_slab,
                cs.slabs, cs.used, cs.free);
        if (tracked)
            fprintf(out, "%12zu %10zu %4lu.%lu\n", cs.requested_bytes, w, pm / 10, pm % 10);
        else
            fprintf(out, "%12s %10s %6s\n", "-", "-", "-");
        slabs += cs.slabs;
        used += cs.used;
        requested += cs.requested_bytes;
        waste += w;
    }
    if (tracked)
        fprintf(out, "%5s %8s %6s %6zu %9zu %9s %12zu %10zu\n", "all", "", "", slabs, used, "",
                requested, waste);
    else
        fprintf(out, "%5s %8s %6s %6zu %9zu %9s %12s %10s\n", "all", "", "", slabs, used, "",
                "-", "-");
    fprintf(out, "large objects: %zu, %zu bytes asked for, %zu bytes held\n", s->large_count,
            s->large_requested, s->large_bytes);
    fprintf(out, "bytes from source: %zu now (%zu in %zu slabs of %zu), peak %zu\n",
            s->bytes_from_source, slabs * s->slab_size, slabs, s->slab_size,
            s->peak_bytes_from_source);
}
// [print-stats]
