/*
 * smoke.c - the installed library, used the way a stranger would: headers
 * and link flags from `pkg-config slabcraft`, nothing from the source tree.
 * Allocates, writes, frees and reuses a few objects; exits 0 and prints one
 * line if everything holds, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "misuse.h"
#include "pool.h"

int main(void)
{
    pool_t pool;
    pool_config_t cfg = {.obj_size = 48, .flags = POOL_CHECKED};
    misuse_set_handler(NULL, NULL);
    if (pool_init(&pool, &cfg) != 0) {
        fprintf(stderr, "install smoke: pool_init failed\n");
        return 1;
    }
    char *obj[100];
    for (int i = 0; i < 100; i++) {
        obj[i] = pool_alloc(&pool);
        if (obj[i] == NULL) {
            fprintf(stderr, "install smoke: pool_alloc failed\n");
            return 1;
        }
        memset(obj[i], i, 48);
    }
    int bad = 0;
    for (int i = 0; i < 100; i++)
        bad += obj[i][0] != (char)i || obj[i][47] != (char)i;
    pool_free(&pool, obj[42]);
    bad += pool_alloc(&pool) != obj[42]; /* the freed object comes back first */
    pool_stats_t s;
    pool_stats(&pool, &s);
    bad += s.live != 100;
    bad += pool_check(&pool) != 0;
    pool_destroy(&pool);
    if (bad) {
        fprintf(stderr, "install smoke: %d check(s) failed\n", bad);
        return 1;
    }
    printf("install smoke: the installed slabcraft builds, links and runs\n");
    return 0;
}
