/** @file mem.h
 *  @brief Checked allocation: every allocation in hrss goes through here.
 *
 *  Running out of memory writes one line to stderr and aborts (dropbear
 *  m_malloc, Redis zmalloc), so callers carry no OOM branches. Size
 *  arithmetic is checked for overflow.
 *
 *  Owns nothing: the caller owns every block returned and must free() it.
 *
 *  INVARIANTS
 *    1. No function returns NULL; a size of 0 still gives a block to
 *       free().
 *    2. nmemb * size never wraps: an overflow aborts like exhaustion.
 *    3. xstrndup() copies exactly @p n bytes (it does not stop at a NUL,
 *       so @p s must hold @p n bytes) and adds a NUL.
 */
#ifndef HRSS_MEM_H
#define HRSS_MEM_H
#include <stddef.h>

/** malloc that never returns NULL (aborts instead). Caller owns the
 *  returned block and must free() it. */
void *xmalloc(size_t size);
/** calloc that checks nmemb * size for overflow and never returns NULL. */
void *xcalloc(size_t nmemb, size_t size);
/** realloc of nmemb * size bytes, overflow-checked, never NULL. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
/** strdup that never returns NULL. */
char *xstrdup(const char *s);
/** Copy of the first @p n bytes of @p s, NUL-terminated. */
char *xstrndup(const char *s, size_t n);

#endif
