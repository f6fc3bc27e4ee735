/*
 * exercises/05-reserve/reserve.c - exercise 05-reserve: reserving address
 * space at an aligned address (see README.md).
 *
 * `make exercise EX=05-reserve` compiles stage 05 with this file in place
 * of vmem_map_aligned() in stages/05-align-mmap/vmem.c (which #includes
 * it), then runs the tests tagged 05-reserve.  This file sees what vmem.c
 * sees: vmem_sys_map() and vmem_sys_unmap() (the system calls, through
 * v->os, counted), align_up(), align_ptr_down(), align_ptr_is(), PROT_READ,
 * PROT_WRITE, SIZE_MAX.
 *
 * This stub maps exactly len bytes and hopes: the kernel gives an address
 * aligned to 4 KiB, rarely to 2 MiB, almost never to 1 GiB.
 */

/* Maps len bytes (a multiple of 2 MiB) at an address aligned to align (a
 * power of two >= 2 MiB); nothing else stays mapped.  NULL if the kernel
 * refuses or len + align overflows. */
char *vmem_map_aligned(vmem_t *v, size_t len, size_t align)
{
    (void)align;
    /* TODO 1: refuse a len + align that does not fit a size_t. */
    /* TODO 2: map enough that an aligned start with len bytes after it
     *         must lie inside. */
    /* TODO 3: give back what lies before that start and after its len
     *         bytes: at most three system calls in all. */
    return vmem_sys_map(v, len, PROT_READ | PROT_WRITE);
}
