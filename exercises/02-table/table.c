/*
 * exercises/02-table/table.c - exercise 02-table: a class table of your own
 * design, scored by space utilisation on the shipped traces.
 *
 * `make exercise EX=02-table` compiles tests/02-slab/test_ex_table.c with
 * this file in place of its reference table, replays every trace of
 * tools/traces/ on slabs with your classes and 64 KiB slabs, and prints U
 * = peak payload / peak bytes from the source for each.  Read README.md in
 * this directory first.
 *
 * The table: class sizes in bytes, ascending, each a multiple of
 * SLABS_GRANULE (16), the last exactly 8192.  It is handed to slabs_init()
 * as slabs_config_t::sizes.
 *
 * What is here now is the stage's default table (16 B to 8 KiB, growth
 * 1.25, memcached's rule) written out.  It misses the target on grow.rep.
 */
static const size_t class_table[] = {
    16, 32, 48, 64, 80, 112, 144, 192, 240, 304, 384, 480, 608, 768, 960,
    1200, 1504, 1888, 2368, 2960, 3712, 4640, 5808, 7264, 8192,
};
