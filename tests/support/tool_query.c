/* tool_query.c - see tool_query.h. */
#include "tool_query.h"

#include "tool.h"

bool tq_under_valgrind(void)
{
#ifdef TOOL_VALGRIND
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

bool tq_asan(void)
{
#ifdef TOOL_ASAN
    return true;
#else
    return false;
#endif
}

bool tq_inaccessible(const void *p)
{
#if defined(TOOL_ASAN)
    return __asan_address_is_poisoned(p) != 0;
#elif defined(TOOL_VALGRIND)
    unsigned char vbits;
    /* 3 = some byte of the range is not addressable */
    return RUNNING_ON_VALGRIND && VALGRIND_GET_VBITS(p, &vbits, 1) == 3;
#else
    (void)p;
    return false;
#endif
}
