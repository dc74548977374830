/* mem.c: checked allocation that aborts on exhaustion.
 *
 * A daemon that cannot allocate a few hundred bytes cannot make progress
 * safely either; aborting keeps every caller free of OOM branches, and the
 * durable state (LMDB, spool) is crash-safe by design.
 *
 * INVARIANTS
 *   1. No function here returns NULL.
 *   2. nmemb * size never wraps: overflow is treated as exhaustion.
 */
#include "common/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
    fprintf(stderr, "hrss: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL) {
        oom(size);
    }
    return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size) {
        oom(SIZE_MAX);
    }
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (p == NULL) {
        oom(nmemb * size);
    }
    return p;
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size) {
        oom(SIZE_MAX);
    }
    size_t total = nmemb * size;
    void *p = realloc(ptr, total ? total : 1);
    if (p == NULL) {
        oom(total);
    }
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }
