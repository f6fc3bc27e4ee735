/* demo.c - stage 05 (being written) */
#include <stdio.h>

#include "vmem.h"

int main(void)
{
    vmem_t v;
    int rc = vmem_init(&v, &(vmem_config_t){0});
    printf("vmem_init: %d, %zu MiB reserved\n", rc, v.st.reserved >> 20);
    vmem_destroy(&v);
    return rc != 0;
}
