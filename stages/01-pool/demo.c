/* demo.c - stage 01 narrated walk-through (placeholder, filled in below). */
#include <stdio.h>

#include "pool.h"

int main(void)
{
    pool_t p;
    pool_config_t cfg = {.obj_size = 32};
    if (pool_init(&p, &cfg) != 0)
        return 1;
    void *a = pool_alloc(&p);
    pool_free(&p, a);
    pool_destroy(&p);
    puts("stage 01 demo");
    return 0;
}
