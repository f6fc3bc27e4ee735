/**
 * @file misuse.h
 * @brief One replaceable handler for misuse that means memory is already
 *        corrupt.
 *
 * Ordinary errors (no memory, bad arguments) are return values.  Misuse is
 * different: a double free, a pointer the allocator never handed out, a
 * write after free.  The caller's program is already broken, so by default
 * slabcraft prints what happened and aborts.  Tests and tools install their
 * own handler to count reports instead.
 *
 * When an installed handler returns, the call that detected the misuse has no
 * effect: the allocator is left exactly as it was.  The one exception is an
 * allocation that finds a free object damaged (written after it was freed):
 * the damaged memory is withheld from reuse, so that it is never handed out,
 * and the allocation goes on with the next free object.
 */
#ifndef SLABCRAFT_MISUSE_H
#define SLABCRAFT_MISUSE_H

/** What was found, passed to the handler. */
typedef struct misuse_report {
    const char *allocator;  /**< the module that found it, e.g. "pool" */
    const char *kind;       /**< "double-free", "foreign-pointer", "interior-pointer", ... */
    const void *addr;       /**< the pointer concerned */
    const char *message;    /**< one human sentence */
} misuse_report_t;

/** A misuse handler; @p ctx is the value given to misuse_set_handler(). */
typedef void (*misuse_fn)(const misuse_report_t *r, void *ctx);

/**
 * @brief Installs @p fn as the process-wide misuse handler.
 * @param fn  the handler, or NULL to restore the default (print to stderr, abort)
 * @param ctx passed to every call of @p fn
 */
void misuse_set_handler(misuse_fn fn, void *ctx);

/**
 * @brief Reports misuse to the installed handler.
 *
 * Allocators call this; it returns only if a non-default handler returns.
 * @param r the report; its strings must stay valid during the call
 */
void misuse_report(const misuse_report_t *r);

#endif
