/*
 * slabs_config.c - stage 02's configuration: the counting page source, the
 * class table, validating a configuration, and slabs_init().
 *
 * Classes: from the smallest size, each next class is the previous one
 * times the growth factor, rounded up to the granule (16 bytes), and at
 * least one granule more; the last class is exactly max_size.  A request of
 * n bytes in class c wastes under (growth - 1) of the chunk plus one
 * granule, and never more than the gap to the previous class.
 *
 * Each class takes its geometry (alignment, offset of chunk 0, chunks per
 * slab) from a stage-01 pool configured for it, laid out and thrown away:
 * pool_init() acquires nothing, so this costs no memory.
 *
 * Every byte the allocator holds comes through slabs_t::source, a wrapper
 * around the caller's source that counts bytes_from_source and its peak and
 * refuses past max_bytes; every stage-01 pool of the allocator and the side
 * table are given that wrapper.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "clock.h"
#include "debug.h"
#include "slabs_internal.h"

/* ---- the counting, limiting page source --------------------------------- */

/* Forwards to the caller's source, unless max_bytes would be passed.  A block
 * that comes back misaligned breaks masking, so it is returned and refused. */
static void *src_acquire(void *ctx, size_t size, size_t align)
{
    slabs_t *s = ctx;
    if (s->max_bytes && s->max_bytes - s->bytes_from_source < size) {
        s->cap_refused = true;
        return NULL;
    }
    void *p = s->upstream->acquire(s->upstream->ctx, size, align);
    if (p == NULL)
        return NULL;
    if (!align_ptr_is(p, align)) {
        s->upstream->release(s->upstream->ctx, p, size);
        return NULL;
    }
    s->bytes_from_source += size;
    if (s->bytes_from_source > s->peak_bytes_from_source)
        s->peak_bytes_from_source = s->bytes_from_source;
    return p;
}

static void src_release(void *ctx, void *addr, size_t size)
{
    slabs_t *s = ctx;
    SC_ASSERT(s->bytes_from_source >= size);
    s->bytes_from_source -= size;
    s->upstream->release(s->upstream->ctx, addr, size);
}

/* ---- building the class table ----------------------------- exercise 02-classes */

#ifdef SC_EX_02_CLASSES
#include "02-classes/classes.c"
#else
// [classes]
/* The class after prev (prev < max): prev * growth rounded up to the
 * granule, at least one granule more than prev, at most max. */
static size_t class_next(size_t prev, size_t max, double growth)
{
    double want = (double)prev * growth;
    if (want >= (double)max)
        return max;
    size_t next = (size_t)want;
    if ((double)next < want)
        next++;
    next = align_up(next, SLABS_GRANULE);
    if (next < prev + SLABS_GRANULE)
        next = prev + SLABS_GRANULE;
    return next < max ? next : max;
}

/* Writes the class sizes from min to max (multiples of the granule,
 * min <= max) into out, if out is not NULL, and returns how many there are;
 * 0 if there would be more than cap. */
static size_t classes_from_growth(size_t min, size_t max, double growth,
                                  size_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t size = min;; size = class_next(size, max, growth)) {
        if (n == cap)
            return 0;
        if (out != NULL)
            out[n] = size;
        n++;
        if (size == max)
            return n;
    }
}
// [classes]
#endif

/* ---- configuration ------------------------------------------------------ */

/* A configuration with its defaults resolved and validated: what slabs_init()
 * needs before it acquires anything. */
typedef struct plan {
    size_t min;            /* first class */
    size_t max;            /* last class */
    double growth;         /* factor, when sizes is NULL */
    const size_t *sizes;   /* explicit list, or NULL */
    size_t n_classes;      /* classes */
    size_t slab_size;      /* bytes per slab */
    size_t meta_bytes;     /* classes + sizes + lookup */
    unsigned flags;        /* SLABS_* */
} plan_t;

/* The stage-01 configuration of a slab of a class of size bytes. */
static pool_config_t class_pool_config(const slabs_t *s, size_t size, size_t align,
                                       size_t slab_size, unsigned flags)
{
    pool_config_t pc = {
        .obj_size = size,
        .align = align,
        .block_size = slab_size,
        .max_bytes = slab_size,
        .source = s ? &s->source : page_source_default(),
        .flags = ((flags & SLABS_ZERO) ? POOL_ZERO : 0u) |
                 ((flags & SLABS_CHECKED) ? POOL_CHECKED : 0u),
    };
    return pc;
}

pool_config_t slabs_class_pool_config(const slabs_t *s, const slabs_class_t *c)
{
    return class_pool_config(s, c->size, c->align, s->slab_size, s->flags);
}

/* Lays out a stage-01 pool for a class in *scratch (nothing is acquired):
 * naturally aligned if size is a power of two and that fits, else aligned
 * to the granule.  Returns the alignment used, 0 if no chunk fits. */
static size_t class_layout(const slabs_t *s, size_t size, size_t slab_size,
                           unsigned flags, pool_t *scratch)
{
    size_t align = align_is_pow2(size) ? size : SLABS_GRANULE;
    for (;;) {
        pool_config_t pc = class_pool_config(s, size, align, slab_size, flags);
        if (pool_init(scratch, &pc) == 0)
            return align;
        if (align == SLABS_GRANULE)
            return 0;
        align = SLABS_GRANULE;
    }
}

/* Checks an explicit list: not empty, sizes > 0, multiples of the granule,
 * strictly ascending, not too many. */
static bool plan_list(plan_t *pl, const slabs_config_t *cfg)
{
    if (cfg->n_sizes == 0 || cfg->n_sizes > SLABS_MAX_CLASSES)
        return false;
    for (size_t i = 0; i < cfg->n_sizes; i++) {
        size_t z = cfg->sizes[i];
        if (z == 0 || z % SLABS_GRANULE != 0 || (i > 0 && z <= cfg->sizes[i - 1]))
            return false;
    }
    pl->sizes = cfg->sizes;
    pl->n_classes = cfg->n_sizes;
    pl->min = cfg->sizes[0];
    pl->max = cfg->sizes[cfg->n_sizes - 1];
    return true;
}

/* The default slab for a largest class of max bytes: SLABS_DEFAULT_SLAB_SIZE, or the
 * smallest power of two that holds 8 such chunks.  0 if that is too big. */
static size_t default_slab_for(size_t max)
{
    if (max > SLABS_MAX_SLAB_SIZE / 8)
        return 0;
    size_t want = align_next_pow2(8 * max);
    return want > SLABS_DEFAULT_SLAB_SIZE ? want : SLABS_DEFAULT_SLAB_SIZE;
}

/* Resolves min and max for a growth-built table (slab_size may still be 0
 * when max_size is given: it then follows from max). */
static bool plan_growth(plan_t *pl, const slabs_config_t *cfg)
{
    pl->growth = cfg->growth == 0 ? SLABS_DEFAULT_GROWTH : cfg->growth;
    if (!(pl->growth > 1.0) || !isfinite(pl->growth))
        return false;
    size_t min = cfg->min_size ? cfg->min_size : SLABS_DEFAULT_MIN_SIZE;
    if (!align_up_checked(min, SLABS_GRANULE, &pl->min))
        return false;
    if (cfg->max_size) {
        if (!align_up_checked(cfg->max_size, SLABS_GRANULE, &pl->max))
            return false;
    } else {
        pl->max = pl->slab_size / 8 > pl->min ? pl->slab_size / 8 : pl->min;
    }
    return pl->min <= pl->max;
}

/* Validates cfg into pl; false (nothing acquired) if it is unusable. */
static bool plan_make(plan_t *pl, const slabs_config_t *cfg)
{
    memset(pl, 0, sizeof *pl);
    if (cfg->flags & ~(unsigned)(SLABS_ZERO | SLABS_CHECKED | SLABS_STATS))
        return false;
    if (cfg->slab_size && (!align_is_pow2(cfg->slab_size) || cfg->slab_size > SLABS_MAX_SLAB_SIZE))
        return false;
    if ((cfg->sizes == NULL) != (cfg->n_sizes == 0))
        return false;
    pl->flags = cfg->flags;
    pl->slab_size = cfg->slab_size;
    if (pl->slab_size == 0 && cfg->sizes == NULL && cfg->max_size == 0)
        pl->slab_size = SLABS_DEFAULT_SLAB_SIZE;
    if (cfg->sizes ? !plan_list(pl, cfg) : !plan_growth(pl, cfg))
        return false;
    if (pl->slab_size == 0 && (pl->slab_size = default_slab_for(pl->max)) == 0)
        return false;
    if (pl->slab_size <= SLABS_LARGE_OFFSET)
        return false; /* a large object would not mask back to its header */
    pool_t scratch;
    if (pl->max > pl->slab_size || class_layout(NULL, pl->max, pl->slab_size, pl->flags, &scratch) == 0)
        return false; /* the slab cannot hold one chunk of the largest class */
    if (!cfg->sizes) {
        pl->n_classes = classes_from_growth(pl->min, pl->max, pl->growth, NULL, SLABS_MAX_CLASSES);
        if (pl->n_classes == 0)
            return false;
    }
    pl->meta_bytes = align_up(pl->n_classes * sizeof(slabs_class_t), 8) +
                     pl->n_classes * sizeof(size_t) +
                     align_up((pl->max / SLABS_GRANULE + 1) * sizeof(uint16_t), 8);
    /* max_bytes must allow the metadata, one descriptor block, one slab and
     * the first side table */
    size_t least = pl->meta_bytes + SLABS_DESC_BLOCK_SIZE + pl->slab_size +
                   ADDRMAP_MIN * sizeof(addrmap_slot_t);
    return cfg->max_bytes == 0 || cfg->max_bytes >= least;
}

/* ---- filling in the classes --------------------------------------------- */

/* Bits needed for entries up to v. */
static unsigned delta_shift_for(size_t v)
{
    return v < 16 ? 2 : v < 256 ? 3 : v < 65536 ? 4 : 5;
}

/* Sizes the requested-size table of class c's slabs (when sizes are
 * tracked): entries just wide enough for size - smallest, in the
 * descriptor if they fit, else in the slab's first chunks. */
static void class_table(const slabs_t *s, slabs_class_t *c, size_t per_block)
{
    c->delta_shift = (uint8_t)delta_shift_for(c->size - c->smallest);
    c->delta_bits = (uint8_t)(1u << c->delta_shift);
    c->delta_mask = (uint32_t)(((uint64_t)1 << c->delta_bits) - 1);
    if (!slabs_tracks_sizes(s))
        return; /* table_bytes and table_chunks stay 0 */
    c->table_bytes = (uint32_t)((per_block * c->delta_bits + 7) / 8 + SLABS_TABLE_SLACK);
    c->table_chunks = c->table_bytes <= SLAB_INLINE_TABLE ? 0
                    : (uint32_t)((c->table_bytes + c->size - 1) / c->size);
}

/* Fills in class c from its size and the stage-01 geometry.  False if no
 * chunk is left for objects once the table has its chunks. */
static bool class_fill(slabs_t *s, slabs_class_t *c, size_t size, size_t prev)
{
    pool_t scratch;
    c->size = size;
    c->smallest = (uint32_t)(prev + 1);
    size_t align = class_layout(s, size, s->slab_size, s->flags, &scratch);
    if (align == 0)
        return false;
    c->align = (uint32_t)align;
    SC_ASSERT(scratch.stride == size);
    c->div_magic = (uint32_t)(((uint64_t)1 << 32) / size + 1);
    c->first_offset = (uint32_t)scratch.first_offset;
    class_table(s, c, scratch.per_block);
    if (c->table_chunks >= scratch.per_block)
        return false;
    c->chunks = (uint32_t)scratch.per_block;
    size_t n = SLABS_CACHE_BYTES / size;
    c->cache_max = (uint32_t)(n < 4 ? 4 : n > 64 ? 64 : n);
    for (int l = 0; l < SLAB_LISTS; l++)
        c->lists[l].prev = c->lists[l].next = &c->lists[l];
    return true;
}

/* Carves the metadata block into classes, sizes and lookup, and fills them. */
static bool meta_fill(slabs_t *s, const plan_t *pl)
{
    char *m = s->meta;
    s->classes = (slabs_class_t *)(void *)m;
    size_t *sizes = (size_t *)(void *)(m + align_up(pl->n_classes * sizeof(slabs_class_t), 8));
    uint16_t *lookup = (uint16_t *)(void *)(sizes + pl->n_classes);
    if (pl->sizes)
        memcpy(sizes, pl->sizes, pl->n_classes * sizeof *sizes);
    else
        classes_from_growth(pl->min, pl->max, pl->growth, sizes, pl->n_classes);
    for (size_t i = 0; i < pl->n_classes; i++)
        if (!class_fill(s, &s->classes[i], sizes[i], i ? sizes[i - 1] : 0))
            return false;
    slabs_build_lookup(s, lookup);
    s->lookup = lookup;
    return true;
}

/* ---- init --------------------------------------------------------------- */

/* Everything of s that does not depend on the class table. */
static void init_fields(slabs_t *s, const slabs_config_t *cfg, const plan_t *pl)
{
    s->flags = pl->flags;
    s->slab_size = pl->slab_size;
    s->max_size = pl->max;
    s->n_classes = pl->n_classes;
    s->max_bytes = cfg->max_bytes;
    s->upstream = cfg->source ? cfg->source : page_source_default();
    s->source = (page_source_t){src_acquire, src_release, s, "slabs"};
    s->now_ns = cfg->now_ns ? cfg->now_ns : clock_coarse_ns;
    addrmap_init(&s->map, s->slab_size, &s->source);
}

int slabs_init(slabs_t *s, const slabs_config_t *cfg)
{
    plan_t pl;
    if (s == NULL)
        return -EINVAL;
    memset(s, 0, sizeof *s);
    if (cfg == NULL || !plan_make(&pl, cfg))
        return -EINVAL;
    init_fields(s, cfg, &pl);
    pool_config_t dc = {
        .obj_size = slabs_desc_size(pl.flags),
        .align = SLAB_DESC_ALIGN,
        .block_size = SLABS_DESC_BLOCK_SIZE,
        .source = &s->source,
        .flags = (pl.flags & SLABS_CHECKED) ? POOL_CHECKED : 0u,
    };
    if (pool_init(&s->descs, &dc) != 0) {
        memset(s, 0, sizeof *s);
        return -EINVAL;
    }
    s->meta = s->source.acquire(s, pl.meta_bytes, 64);
    if (s->meta == NULL) {
        memset(s, 0, sizeof *s);
        return -ENOMEM;
    }
    s->meta_bytes = pl.meta_bytes;
    memset(s->meta, 0, pl.meta_bytes);
    if (!meta_fill(s, &pl)) {
        s->source.release(s, s->meta, s->meta_bytes);
        memset(s, 0, sizeof *s);
        return -EINVAL;
    }
    SC_ASSERT_EXPENSIVE(slabs_check(s) == 0);
    return 0;
}

