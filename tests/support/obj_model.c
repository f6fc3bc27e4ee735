/* obj_model.c - see obj_model.h. */
#include "obj_model.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* The 8 pattern bytes for word w of an object with this stamp (splitmix64
 * finaliser: neighbouring stamps and words give unrelated bytes). */
static uint64_t pattern_word(uint64_t stamp, size_t w)
{
    return rng_mix(stamp * RNG_GAMMA + (uint64_t)w + 1);
}

static size_t slot(const obj_model_t *m, size_t i)
{
    return (m->head + i) & (m->cap - 1);
}

bool model_init(obj_model_t *m, size_t max_live, size_t obj_size)
{
    memset(m, 0, sizeof *m);
    size_t cap = 1;
    while (cap < max_live)
        cap <<= 1;
    m->obj = calloc(cap, sizeof *m->obj);
    m->stamp = calloc(cap, sizeof *m->stamp);
    if (m->obj == NULL || m->stamp == NULL) {
        model_fini(m);
        return false;
    }
    m->cap = cap;
    m->obj_size = obj_size;
    m->next_stamp = 1;
    return true;
}

void model_fini(obj_model_t *m)
{
    free(m->obj);
    free(m->stamp);
    memset(m, 0, sizeof *m);
}

void model_clear(obj_model_t *m)
{
    m->head = 0;
    m->count = 0;
}

/* Whole words are compared with memcmp, the tail byte by byte; the pattern
 * is defined by the bytes of pattern_word() as stored, whatever the
 * machine's byte order. */
void model_fill(void *obj, size_t n, uint64_t stamp)
{
    unsigned char *b = obj;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = pattern_word(stamp, i / 8);
        memcpy(b + i, &w, n - i < 8 ? n - i : 8);
    }
}

size_t model_find_damage(const void *obj, size_t n, uint64_t stamp)
{
    const unsigned char *b = obj;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = pattern_word(stamp, i / 8);
        size_t k = n - i < 8 ? n - i : 8;
        if (memcmp(b + i, &w, k) == 0)
            continue;
        const unsigned char *want = (const unsigned char *)&w;
        for (size_t j = 0; j < k; j++)
            if (b[i + j] != want[j])
                return i + j;
    }
    return n;
}

void model_add(obj_model_t *m, void *obj)
{
    size_t s = slot(m, m->count);
    m->obj[s] = obj;
    m->stamp[s] = m->next_stamp++;
    model_fill(obj, m->obj_size, m->stamp[s]);
    m->count++;
}

void *model_get(const obj_model_t *m, size_t i)
{
    return m->obj[slot(m, i)];
}

size_t model_damage(const obj_model_t *m, size_t i)
{
    size_t s = slot(m, i);
    return model_find_damage(m->obj[s], m->obj_size, m->stamp[s]);
}

size_t model_damaged_count(const obj_model_t *m)
{
    size_t bad = 0;
    for (size_t i = 0; i < m->count; i++)
        bad += (model_damage(m, i) != m->obj_size);
    return bad;
}

void *model_take(obj_model_t *m, size_t i, bool *intact)
{
    size_t s = slot(m, i);
    void *obj = m->obj[s];
    *intact = (model_find_damage(obj, m->obj_size, m->stamp[s]) == m->obj_size);
    if (i == m->count - 1) {             /* newest: LIFO */
        m->count--;
        return obj;
    }
    size_t h = m->head;                  /* elsewhere: the oldest fills the hole */
    m->obj[s] = m->obj[h];
    m->stamp[s] = m->stamp[h];
    m->head = (h + 1) & (m->cap - 1);
    m->count--;
    return obj;
}
