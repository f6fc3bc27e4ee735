/*
 * vmem_proc.c - what the kernel says of a vmem source's memory: resident
 * bytes and bytes in huge pages from /proc/self/smaps, minor faults from
 * getrusage().
 *
 * /proc/self/smaps lists every mapping ("start-end perms ..." lines) with
 * its counters below it ("Rss:  1234 kB", "AnonHugePages:  2048 kB").  A
 * region is one mapping unless the kernel merged it with a neighbour of the
 * same kind; a mapping that reaches outside the regions is counted in
 * proportion to the part inside them.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "vmem_internal.h"

/* Bytes of [lo, hi) inside the regions of v. */
static size_t overlap(const vmem_t *v, uintptr_t lo, uintptr_t hi)
{
    size_t in = 0;
    for (const vmem_region_t *r = v->regions; r; r = r->next) {
        uintptr_t a = (uintptr_t)r->base, b = a + r->len;
        uintptr_t s = lo > a ? lo : a, e = hi < b ? hi : b;
        if (s < e)
            in += e - s;
    }
    return in;
}

/* kB of a counter line "Name:   N kB" scaled by in / len. */
static size_t scaled(const char *line, size_t in, size_t len)
{
    unsigned long long kb = 0;
    const char *c = strchr(line, ':');
    if (!c || sscanf(c + 1, "%llu", &kb) != 1)
        return 0; /* LCOV_EXCL_LINE: the kernel writes a number after every counter's colon */
    return (size_t)((double)kb * 1024.0 * ((double)in / (double)len) + 0.5);
}

int vmem_residency(const vmem_t *v, vmem_residency_t *out)
{
    if (!v || !out)
        return -EINVAL;
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -errno;
    vmem_residency_t res = {0};
    char line[512];
    size_t in = 0, len = 1;
    while (fgets(line, sizeof line, f)) {
        uintptr_t lo, hi;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2 && hi > lo) {
            in = overlap(v, lo, hi);
            len = hi - lo;
        } else if (in && strncmp(line, "Rss:", 4) == 0) {
            res.rss += scaled(line, in, len);
        } else if (in && strncmp(line, "AnonHugePages:", 14) == 0) {
            res.anon_huge += scaled(line, in, len);
        }
    }
    fclose(f);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    res.minor_faults = (size_t)(ru.ru_minflt - v->minflt_at_init);
    *out = res;
    return 0;
}
