#include "heap_in_use.h"
#include <stdlib.h>  // defines __GLIBC__
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>

void heap_use_one_arena(void) { mallopt(M_ARENA_MAX, 1); }

size_t heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}
#else
void heap_use_one_arena(void) {}
size_t heap_in_use(void) { return 0; }
#endif
