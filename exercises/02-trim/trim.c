/*
 * exercises/02-trim/trim.c - giving empty slabs back (see README.md).
 *
 * This file is compiled into stages/02-slab/slabs.c in place of its own
 * trim_empty() and trim_empty_idle() when you run
 * `make exercise EX=02-trim`.  slabs_trim() and slabs_trim_idle() call
 * them once every slab with no live object is on its class's empty list.
 * This file sees everything slabs.c sees: list_last(), slab_release(),
 * SLAB_EMPTY, c->n[SLAB_EMPTY], d->emptied_at, ...
 */

/* Releases empty slabs beyond keep_empty per class; returns the bytes. */
static size_t trim_empty(slabs_t *s, size_t keep_empty)
{
    (void)s;
    (void)keep_empty;
    return 0; /* TODO: release empty slabs beyond keep_empty per class */
}

/* Releases the slabs empty for longer than idle_ns at now; returns the
 * bytes. */
static size_t trim_empty_idle(slabs_t *s, uint64_t now, uint64_t idle_ns)
{
    (void)s;
    (void)now;
    (void)idle_ns;
    return 0; /* TODO: release slabs empty for longer than idle_ns */
}
