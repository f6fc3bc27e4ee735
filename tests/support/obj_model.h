/*
 * obj_model.h - the model an allocator test checks itself against: which
 * objects are live, and what each one must hold.
 *
 * Every object added gets a fresh stamp (a counter) and is filled from end
 * to end with a pattern derived from that stamp, so two live objects never
 * hold the same bytes.  If the allocator ever hands out memory that is still
 * live, lets its own bookkeeping overlap an object, or loses a byte, some
 * object no longer matches its stamp.
 *
 * The live objects sit in a ring, oldest first, so a workload can free in
 * FIFO order (model_take(m, 0)), LIFO order (model_take(m, count - 1)) or at
 * random.  Taking from the middle moves the oldest object into the hole:
 * O(1), at the price of the age order, which random workloads do not need.
 */
#ifndef SLABCRAFT_OBJ_MODEL_H
#define SLABCRAFT_OBJ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct obj_model {
    void **obj;          /* ring of live objects; slot (head + i) & (cap - 1) is the i-th oldest */
    uint64_t *stamp;     /* stamp[slot]: the stamp obj[slot] was filled from */
    size_t cap;          /* slots in the ring, a power of two */
    size_t head;         /* slot of the oldest live object */
    size_t count;        /* live objects, <= cap */
    size_t obj_size;     /* bytes of each object the model fills and verifies */
    uint64_t next_stamp; /* stamp for the next object added; never reused */
} obj_model_t;

/* Makes an empty model for at least max_live objects of obj_size bytes.
 * Returns false if memory for the ring cannot be had. */
bool model_init(obj_model_t *m, size_t max_live, size_t obj_size);

/* Frees the ring (not the objects). */
void model_fini(obj_model_t *m);

/* Forgets every object, as after a reset of the allocator. */
void model_clear(obj_model_t *m);

/* Fills n bytes at obj with the pattern of stamp. */
void model_fill(void *obj, size_t n, uint64_t stamp);

/* Offset of the first of n bytes at obj that differs from stamp's pattern,
 * or n if all match. */
size_t model_find_damage(const void *obj, size_t n, uint64_t stamp);

/* Stamps obj, fills it, and adds it as the newest live object.  The caller
 * checks model_full() first. */
void model_add(obj_model_t *m, void *obj);

/* True if no object can be added. */
static inline bool model_full(const obj_model_t *m)
{
    return m->count == m->cap;
}

/* The i-th oldest live object (i < count). */
void *model_get(const obj_model_t *m, size_t i);

/* Offset of the first damaged byte of the i-th oldest object, or obj_size
 * if it is intact. */
size_t model_damage(const obj_model_t *m, size_t i);

/* Number of live objects that are damaged. */
size_t model_damaged_count(const obj_model_t *m);

/* Removes the i-th oldest live object (i < count) and returns it; *intact
 * receives whether it still held its pattern. */
void *model_take(obj_model_t *m, size_t i, bool *intact);

#endif
