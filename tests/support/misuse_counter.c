/* misuse_counter.c - see misuse_counter.h. */
#include "misuse_counter.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void count_report(const misuse_report_t *r, void *ctx)
{
    misuse_counter_t *mc = ctx;
    mc->count++;
    mc->last = *r;
}

void misuse_counter_install(misuse_counter_t *mc)
{
    memset(mc, 0, sizeof *mc);
    misuse_set_handler(count_report, mc);
}

void misuse_counter_remove(void)
{
    misuse_set_handler(NULL, NULL);
}

void misuse_silence_stderr(void)
{
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
}
