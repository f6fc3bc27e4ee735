/*
 * vmem_internal.h - what the files of vmem share (vmem.c, vmem_os.c,
 * vmem_proc.c).  Not part of the API.
 *
 * A region is one reservation, 2 MiB-aligned, cut into 2 MiB pages; each
 * page has a descriptor in an array mapped beside the region (the region's
 * own record sits at the start of that mapping).  A page is in one of three
 * states:
 *  - FREE:  no extent in it; resident only if `dirty`;
 *  - SMALL: carved into extents of one class; `used` of its `slots` are
 *           handed out; on its class's partial list while one is free, and
 *           on the FIFO while none is used;
 *  - RUN / RUN_TAIL: the first and the other pages of a run of `run` pages
 *           for one big extent; a freed run keeps its state and waits on
 *           the FIFO (`in_use` false) until it is reused or given back.
 */
#ifndef SLABCRAFT_VMEM_INTERNAL_H
#define SLABCRAFT_VMEM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmem.h"

enum vmem_page_state { VMEM_PG_FREE = 0, VMEM_PG_SMALL, VMEM_PG_RUN, VMEM_PG_RUN_TAIL };

/* Words of a small page's bitmap: one bit per possible extent (512 of 4 KiB). */
#define VMEM_BITMAP_WORDS (VMEM_HUGE_PAGE / VMEM_BASE_PAGE / 64)

/** A 2 MiB page's descriptor. */
struct vmem_page {
    vmem_page_t *prev;          /**< previous on its class's circular partial list (SMALL with a free extent), else NULL */
    vmem_page_t *next;          /**< next on that list, else NULL */
    vmem_page_t *fprev;         /**< previous (older) on the FIFO, NULL for the oldest or off it */
    vmem_page_t *fnext;         /**< next (newer) on the FIFO, NULL for the newest or off it */
    vmem_region_t *region;      /**< the region it belongs to; set when the page is first used */
    uint64_t free[VMEM_BITMAP_WORDS]; /**< SMALL: bit i set = extent i free; bits >= slots clear */
    uint64_t stamp;             /**< vmem_t::clock when it joined the FIFO */
    uint32_t run;               /**< RUN: pages in the run; otherwise 1 */
    uint16_t used;              /**< SMALL: extents handed out, <= slots */
    uint16_t slots;             /**< SMALL: extents the page holds: 2 MiB / class size */
    uint8_t state;              /**< enum vmem_page_state */
    uint8_t cls;                /**< SMALL: its extent class */
    bool on_fifo;               /**< on the FIFO: an empty SMALL page or a freed RUN */
    bool in_use;                /**< RUN: its extent is handed out */
    bool dirty;                 /**< touched since it was reserved or last given back: may be resident */
};

/** One reservation, and the descriptors of its pages. */
struct vmem_region {
    vmem_region_t *next;   /**< next older region; NULL for the first */
    char *base;            /**< start, 2 MiB-aligned (or aligned to the run it was made for) */
    size_t len;            /**< bytes, a multiple of 2 MiB */
    size_t pages;          /**< len / 2 MiB */
    size_t hint;           /**< no FREE page below this index (a lower bound only) */
    size_t top;            /**< pages [top, pages) were never used: their descriptors are still the mapping's zeroes (a zero descriptor is a FREE, clean page) */
    size_t meta_bytes;     /**< bytes of the mapping that holds this record and pages */
    vmem_page_t pages_[];  /**< the descriptors, pages of them */
};

/* ---- vmem_os.c: the real system calls, and counted calls through v->os ---- */
extern const vmem_os_t vmem_os_real;
void *vmem_sys_map(vmem_t *v, size_t len, int prot);
int vmem_sys_unmap(vmem_t *v, void *addr, size_t len);
int vmem_sys_advise(vmem_t *v, void *addr, size_t len, int advice);
/* What the kernel says of THP: 1 = always or madvise, 0 = never, -1 = no THP
 * (no /sys file).  defrag_never is set when .../defrag says never. */
int vmem_thp_mode(bool *defrag_never);

/* ---- vmem.c ---- */
/* Extent class of a small size (bytes, 1 .. VMEM_SMALL_MAX) and its bytes. */
unsigned vmem_class_of(size_t bytes);
size_t vmem_class_size(unsigned cls);
/* Maps len bytes (a multiple of 2 MiB) at an address aligned to align (a
 * power of two >= 2 MiB), through v->os; nothing else stays mapped.  NULL
 * if the kernel refuses or len + align overflows. */
char *vmem_map_aligned(vmem_t *v, size_t len, size_t align);

#endif
