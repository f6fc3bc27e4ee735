/*
 * fmt.c - byte counts for people (see fmt.h).
 */
#include "fmt.h"

#include <stdio.h>

char *fmt_bytes(char *buf, size_t n)
{
    char digits[24], *o = buf;
    int len = snprintf(digits, sizeof digits, "%zu", n), unit = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            *o++ = ',';
        *o++ = digits[i];
    }
    double v = (double)n;
    for (; v >= 1024; v /= 1024)
        unit++;
    if (unit)
        snprintf(o, FMT_BYTES_LEN - (size_t)(o - buf), " bytes (%.1f %ciB)", v, " KMGTPE"[unit]);
    else
        snprintf(o, FMT_BYTES_LEN - (size_t)(o - buf), " bytes");
    return buf;
}
