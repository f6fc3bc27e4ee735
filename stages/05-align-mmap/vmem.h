/**
 * @file vmem.h
 * @brief Stage 05: a page source over reserved address space, the way real
 *        allocators take memory from the kernel.
 *
 * vmem_init() reserves a region of address space with one mmap(): nothing is
 * resident until it is touched.  Acquisitions are carved from the region and
 * released extents are reused; memory goes back to the kernel with
 * madvise(), never by unmapping, so the address space stays ours and no
 * system call is made per object.  Give vmem_source() to pool_config,
 * slabs_config or arena_config: stages 01 to 04 run on it unchanged.
 *
 * Reservation: the region is mapped PROT_READ | PROT_WRITE with
 * MAP_NORESERVE, not PROT_NONE.  Committing an extent is then free (the
 * first touch of each page faults it in); a PROT_NONE reservation would need
 * an mprotect() per commit, split the mapping into many, and stop the
 * kernel from backing a half-committed 2 MiB range with one huge page.  The
 * price: a stray write into reserved but unused space is not trapped, and
 * with vm.overcommit_memory = 2 the kernel charges the whole reservation at
 * once, so vmem_init() halves the reservation until the kernel (or ulimit -v)
 * accepts it; stats.reserved says what it got.
 *
 * Layout.  Every region is aligned to 2 MiB (VMEM_HUGE_PAGE) and divided into
 * 2 MiB pages.  An extent of up to 1 MiB (VMEM_SMALL_MAX) is "small": its
 * size is rounded up to one of 28 extent classes (4 KiB steps to 32 KiB,
 * then four classes per doubling, at most a quarter over the request) and it is carved from a 2 MiB page that holds
 * extents of that class only, at a multiple of the class size, so an extent
 * whose rounded size is a multiple of its alignment is aligned.  Extents of
 * different sizes never share a page: slabs trimmed together free whole
 * pages (one 4 KiB descriptor block between slabs would pin its page).  A
 * bigger extent takes a run of whole pages aligned to 2 MiB (or to its
 * alignment if bigger); one bigger than a region gets a region of its own.
 *
 * Release.  A 2 MiB page goes back to the kernel only when every extent in
 * it is free, so a huge page is never split by one freed slab; and not at
 * once: an emptied page (or a freed run) waits on a FIFO where the next
 * acquisition of its size takes it back without a system call.  The oldest
 * waiting page goes back (one madvise() for its 2 MiB or its run) when more
 * than VMEM_KEEP_PAGES pages wait, or when it has waited through
 * VMEM_DECAY_OPS acquisitions and releases.  So one slab cycling alone in a
 * page costs no system call per cycle, and the resident memory above what
 * is handed out is at most VMEM_KEEP_PAGES pages plus the free parts of
 * partly used pages.  The same 2 MiB unit is used without huge pages: each
 * madvise() then gives back a batch of up to 512 base pages.
 *
 * Costs: per region, one descriptor of 128 bytes per 2 MiB page (64 KiB of
 * address space for 1 GiB), mapped separately and left zero (a free page)
 * until its page is first used, so vmem_init() is O(1) whatever the
 * reservation.  Small acquisitions and releases are O(1)
 * (a bitmap of the page's extents); runs are found by a first-fit scan of
 * the pages, O(pages), and regions by a scan of the regions.
 *
 * Misuse: release() must get the size that acquire() got (the page source
 * contract).  An address that is no extent's start, an extent already free
 * or a size the extent cannot hold is reported to the misuse handler
 * (allocator "vmem", kinds "foreign-extent" and "bad-release") and changes
 * nothing; a smaller size than acquired is not detected (the extent does
 * not remember its size) and leaves stats.committed wrong.
 *
 * Not thread-safe: one vmem_t belongs to one thread at a time, like the
 * allocators that use it.
 */
#ifndef SLABCRAFT_VMEM_H
#define SLABCRAFT_VMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "page_source.h"

/** Bytes of a transparent huge page on x86-64 and the unit of release. */
#define VMEM_HUGE_PAGE ((size_t)2 << 20)
/** Bytes of a base page, the unit of rounding. */
#define VMEM_BASE_PAGE ((size_t)4096)
/** Largest small extent: at least two fit a 2 MiB page. */
#define VMEM_SMALL_MAX ((size_t)1 << 20)
/** Number of small extent classes (4 KiB .. 1 MiB). */
#define VMEM_CLASSES 28
/** Empty pages kept for reuse before the oldest goes back to the kernel. */
#define VMEM_KEEP_PAGES 4
/** An empty page that has waited through this many acquisitions and releases goes back. */
#define VMEM_DECAY_OPS 4096
/** Address space reserved per region when vmem_config::reserve is 0. */
#define VMEM_DEFAULT_RESERVE ((size_t)1 << 30)

/** Whether regions are backed by transparent huge pages. */
enum vmem_huge {
    VMEM_HUGE_AUTO = 0, /**< THP when the kernel offers it (enabled = always or madvise); base pages if MADV_HUGEPAGE fails */
    VMEM_HUGE_OFF,      /**< base pages only: regions are advised MADV_NOHUGEPAGE where the kernel has THP */
    VMEM_HUGE_THP,      /**< THP, or vmem_init() fails with -EOPNOTSUPP when the kernel has none */
};

/** How freed pages go back to the kernel. */
enum vmem_release {
    VMEM_RELEASE_DONTNEED = 0, /**< MADV_DONTNEED: RSS drops now; the next touch faults in zeroed pages */
    VMEM_RELEASE_FREE,         /**< MADV_FREE: the kernel takes the pages when it needs memory; cheaper if reused soon */
    VMEM_RELEASE_KEEP,         /**< never: freed pages stay resident, for reuse, until vmem_destroy() */
};

typedef struct vmem vmem_t;               /**< a page source over reserved address space */
typedef struct vmem_page vmem_page_t;     /**< one 2 MiB page's descriptor (private) */
typedef struct vmem_region vmem_region_t; /**< one reservation (private) */

/** The system calls, replaceable so that tests can make them fail. */
typedef struct vmem_os {
    void *(*map)(size_t len, int prot);                  /**< mmap of anonymous private memory (MAP_NORESERVE), or NULL */
    int (*unmap)(void *addr, size_t len);                /**< munmap: 0 or -1 */
    int (*advise)(void *addr, size_t len, int advice);   /**< madvise: 0 or -1 */
} vmem_os_t;

/** How to build a vmem_t; zero every field you do not set. */
typedef struct vmem_config {
    size_t reserve;            /**< address space per region, rounded up to 2 MiB; 0 = 1 GiB; more regions are reserved as needed */
    size_t max_bytes;          /**< cap on committed bytes; 0 = none */
    enum vmem_huge huge;       /**< huge pages or not */
    enum vmem_release release; /**< how freed pages go back */
    bool populate;             /**< prefault extents when acquired (each base page is written once) */
    const vmem_os_t *os;       /**< NULL = the real system calls; copied */
} vmem_config_t;

/** Counters, as vmem_stats() reports them. */
typedef struct vmem_stats {
    size_t reserved;       /**< bytes of address space reserved (regions) */
    size_t committed;      /**< bytes handed out now: the sum of the sizes acquired and not released */
    size_t peak_committed; /**< highest committed since vmem_init() */
    size_t released;       /**< bytes given back to the kernel so far (madvise) */
    size_t regions;        /**< regions reserved */
    size_t syscalls;       /**< mmap, munmap and madvise calls made */
} vmem_stats_t;

/** What the kernel says of this source's memory. */
typedef struct vmem_residency {
    size_t rss;          /**< resident bytes of the regions, from /proc/self/smaps */
    size_t anon_huge;    /**< of which in transparent huge pages (AnonHugePages) */
    size_t minor_faults; /**< minor page faults of the process since vmem_init() (getrusage) */
} vmem_residency_t;

/**
 * @brief The source.  Defined here so it can live on the stack or inside
 *        other structs; read it through the functions below.  Never moved
 *        or copied after vmem_init(): its page source points to it.
 */
struct vmem {
    page_source_t source;           /**< what vmem_source() returns; ctx is this vmem_t */
    vmem_os_t os;                   /**< the system calls in use */
    vmem_region_t *regions;         /**< every region, newest first; NULL only when zeroed */
    vmem_page_t *partial[VMEM_CLASSES]; /**< per class, its pages with a free extent: partly used first, empty ones last */
    vmem_page_t *fifo_head;         /**< oldest empty page or freed run not given back yet; NULL = none */
    vmem_page_t *fifo_tail;         /**< newest of them */
    size_t fifo_pages;              /**< 2 MiB pages on the FIFO */
    uint64_t clock;                 /**< acquisitions and releases so far: the FIFO's time */
    size_t reserve;                 /**< bytes per region (2 MiB multiple); may be less than asked (see the file comment) */
    size_t max_bytes;               /**< cap on stats.committed; 0 = none */
    bool thp;                       /**< regions are advised MADV_HUGEPAGE */
    bool thp_required;              /**< huge = VMEM_HUGE_THP: a region the kernel will not advise is refused */
    bool nohuge;                    /**< regions are advised MADV_NOHUGEPAGE (huge = OFF on a kernel with THP) */
    bool populate;                  /**< prefault extents */
    enum vmem_release release;      /**< the release policy */
    vmem_stats_t st;                /**< the counters */
    long minflt_at_init;            /**< ru_minflt at vmem_init() */
};

/**
 * @brief Reserves the first region.
 * @param v   the source to initialise
 * @param cfg the configuration (copied)
 * @return 0; -EINVAL for a NULL argument or an unknown enum value;
 *         -EOPNOTSUPP for VMEM_HUGE_THP on a kernel without THP (or when
 *         madvise(MADV_HUGEPAGE) fails); -ENOMEM when not even 2 MiB of
 *         address space can be reserved.
 * @post on failure nothing is reserved and @p v is zeroed (vmem_destroy()
 *       on it is a no-op).
 */
int vmem_init(vmem_t *v, const vmem_config_t *cfg);

/**
 * @brief The page source to give to pool_config, slabs_config and
 *        arena_config.  Its acquire() returns NULL (errno ENOMEM) past
 *        max_bytes or when the kernel refuses a new region, and EINVAL for
 *        size 0 or an alignment that is not a power of two.
 * @param v an initialised source
 * @return its page source (valid until vmem_destroy()); NULL for NULL
 */
const page_source_t *vmem_source(vmem_t *v);

/**
 * @brief Reads the counters.
 * @param v   the source (NULL: @p out is zeroed)
 * @param out receives them
 */
void vmem_stats(const vmem_t *v, vmem_stats_t *out);

/**
 * @brief Asks the kernel how much of the regions is resident, and how much
 *        of that in huge pages.  Reads /proc/self/smaps: O(mappings of the
 *        process).  A mapping the kernel merged with a neighbour outside
 *        the regions is counted in proportion to its overlap.
 * @param v   the source
 * @param out receives the figures
 * @return 0; -EINVAL for NULL; -errno when /proc/self/smaps is unreadable
 */
int vmem_residency(const vmem_t *v, vmem_residency_t *out);

/**
 * @brief Unmaps every region, extents still handed out included, and zeroes
 *        @p v.  Destroying a zeroed vmem_t is a no-op.
 * @param v the source
 */
void vmem_destroy(vmem_t *v);

#endif
