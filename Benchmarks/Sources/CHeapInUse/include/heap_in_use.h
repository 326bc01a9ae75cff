#ifndef HEAP_IN_USE_H
#define HEAP_IN_USE_H
#include <stddef.h>

/// glibc's mallinfo2 counts the main arena only: call this before any thread starts, so that every thread
/// allocates there and `heap_in_use` sees the whole process.
void heap_use_one_arena(void);

/// Bytes malloc has handed out and not had back (mallinfo2: uordblks + hblkhd), or 0 where there is no
/// mallinfo2. Swift's Glibc module does not import <malloc.h>, hence this C target.
size_t heap_in_use(void);

#endif
