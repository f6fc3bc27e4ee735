/* secret.c - per-allocator secrets: an atomic counter and the owner's
 * address, mixed by a multiplication with an odd constant. */
#include "secret.h"

#include <stdatomic.h>

uintptr_t secret_make(const void *owner)
{
    static atomic_uintptr_t made;
    uintptr_t n = atomic_fetch_add_explicit(&made, 1, memory_order_relaxed) + 1;
    uintptr_t s = ((uintptr_t)owner ^ (n << 17)) * (uintptr_t)0x9E3779B97F4A7C15u;
    return s ? s : 1;
}
