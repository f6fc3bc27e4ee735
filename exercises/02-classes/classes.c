/*
 * exercises/02-classes/classes.c - your class table (see README.md).
 *
 * This file is compiled into stages/02-slab/slabs.c in place of its own
 * class table builder when you run `make exercise EX=02-classes`.  It sees
 * everything slabs.c sees: align_up(), SLABS_GRANULE, ...
 */

/* Writes the class sizes from min to max (both multiples of SLABS_GRANULE,
 * min <= max) into out, if out is not NULL, and returns how many there are;
 * 0 if there would be more than cap.
 *
 * Rules: the first class is min; each next class is the previous one times
 * growth, rounded up to a multiple of SLABS_GRANULE, and at least one
 * granule bigger than the previous one; the last class is exactly max. */
static size_t classes_from_growth(size_t min, size_t max, double growth,
                                  size_t *out, size_t cap)
{
    (void)min;
    (void)max;
    (void)growth;
    (void)out;
    (void)cap;
    return 0; /* TODO: build the table */
}
