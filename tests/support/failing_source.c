/* failing_source.c - see failing_source.h. */
#include "failing_source.h"

#include <string.h>

static void *fs_acquire(void *ctx, size_t size, size_t align)
{
    failing_source_t *fs = ctx;
    bool over = fs->byte_limit && fs->live_bytes + size > fs->byte_limit;
    if (fs->fail_after == 0 || over) {
        fs->failures++;
        return NULL;
    }
    size_t extra = fs->misaligned ? align : 0;
    fs->misaligned_extra = extra;
    char *p = fs->inner->acquire(fs->inner->ctx, size + extra, align);
    if (p == NULL) {
        fs->failures++;
        return NULL;
    }
    if (fs->fail_after > 0)
        fs->fail_after--;
    fs->acquisitions++;
    fs->live_acquisitions++;
    fs->live_bytes += size;
    if (fs->live_bytes > fs->peak_bytes)
        fs->peak_bytes = fs->live_bytes;
    return p + (fs->misaligned ? 16 : 0);
}

static void fs_release(void *ctx, void *addr, size_t size)
{
    failing_source_t *fs = ctx;
    char *p = (char *)addr - (fs->misaligned ? 16 : 0);
    fs->inner->release(fs->inner->ctx, p, size + (fs->misaligned ? fs->misaligned_extra : 0));
    fs->releases++;
    fs->live_acquisitions--;
    fs->live_bytes -= size;
}

void failing_source_init(failing_source_t *fs, const page_source_t *inner)
{
    memset(fs, 0, sizeof *fs);
    fs->inner = inner ? inner : page_source_default();
    fs->fail_after = -1;
    fs->base.acquire = fs_acquire;
    fs->base.release = fs_release;
    fs->base.ctx = fs;
    fs->base.name = "failing";
}

void failing_source_fail_after(failing_source_t *fs, long n)
{
    fs->fail_after = n;
}

void failing_source_recover(failing_source_t *fs)
{
    fs->fail_after = -1;
    fs->byte_limit = 0;
}
