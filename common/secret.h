/**
 * @file secret.h
 * @brief Per-allocator secrets, mixed into block cookies so that one
 *        allocator's blocks are told from another's.
 */
#ifndef SLABCRAFT_SECRET_H
#define SLABCRAFT_SECRET_H

#include <stdint.h>

/**
 * @brief A value that differs between calls and between owners.
 *
 * Not cryptographic: it tells our headers from stray bytes and from other
 * allocators' headers, it does not resist an attacker.  Safe to call from
 * several threads at once (the counter behind it is atomic).
 * @param owner the allocator the secret is for (its address is mixed in)
 * @return a non-zero value
 */
uintptr_t secret_make(const void *owner);

#endif
