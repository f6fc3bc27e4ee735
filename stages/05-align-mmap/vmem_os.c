/*
 * vmem_os.c - the system calls of stage 05, and what the kernel says of
 * transparent huge pages.  Every call vmem makes goes through v->os and is
 * counted in stats.syscalls, so tests can make any of them fail and the
 * benchmarks can show that no per-object path makes one.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "vmem_internal.h"

// [map]
static void *real_map(size_t len, int prot)
{
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
// [map]

static int real_unmap(void *addr, size_t len)
{
    return munmap(addr, len);
}

static int real_advise(void *addr, size_t len, int advice)
{
    return madvise(addr, len, advice);
}

const vmem_os_t vmem_os_real = {.map = real_map, .unmap = real_unmap, .advise = real_advise};

void *vmem_sys_map(vmem_t *v, size_t len, int prot)
{
    v->st.syscalls++;
    return v->os.map(len, prot);
}

int vmem_sys_unmap(vmem_t *v, void *addr, size_t len)
{
    v->st.syscalls++;
    return v->os.unmap(addr, len);
}

int vmem_sys_advise(vmem_t *v, void *addr, size_t len, int advice)
{
    v->st.syscalls++;
    return v->os.advise(addr, len, advice);
}

/* The bracketed word of a /sys/kernel/mm/transparent_hugepage file
 * ("always [madvise] never" -> "madvise"), or "" when it cannot be read. */
static void thp_setting(const char *file, char *out, size_t n)
{
    char path[128], line[256];
    snprintf(path, sizeof path, "/sys/kernel/mm/transparent_hugepage/%s", file);
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return; /* LCOV_EXCL_LINE: a kernel without THP has no such file */
    if (fgets(line, sizeof line, f)) {
        char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
        if (a && b && (size_t)(b - a - 1) < n) {
            memcpy(out, a + 1, (size_t)(b - a - 1));
            out[b - a - 1] = '\0';
        }
    }
    fclose(f);
}

int vmem_thp_mode(bool *defrag_never)
{
    char enabled[32], defrag[32];
    thp_setting("enabled", enabled, sizeof enabled);
    thp_setting("defrag", defrag, sizeof defrag);
    if (defrag_never)
        *defrag_never = strcmp(defrag, "never") == 0;
    if (enabled[0] == '\0')
        return -1; /* LCOV_EXCL_LINE: a kernel without THP only */
    return strcmp(enabled, "never") != 0;
}
