/*
 * exercises/02-trim/trim.c - giving empty slabs back (see README.md).
 *
 * This file is compiled into stages/02-slab/slabs.c in place of its own
 * slabs_trim() and slabs_trim_idle() when you run
 * `make exercise EX=02-trim`.  It sees everything slabs.c sees:
 * list_last(), slab_release(), slabs_now(), SLAB_EMPTY, c->n[SLAB_EMPTY],
 * d->emptied_at, ...
 */

size_t slabs_trim(slabs_t *s, size_t keep_empty)
{
    (void)s;
    (void)keep_empty;
    return 0; /* TODO: release empty slabs beyond keep_empty per class */
}

size_t slabs_trim_idle(slabs_t *s, uint64_t idle_ns)
{
    (void)s;
    (void)idle_ns;
    return 0; /* TODO: release slabs empty for longer than idle_ns */
}
