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

static unsigned long fail_countdown; /* test hook; 0 = off */

static void oom(size_t size)
{
    fprintf(stderr, "hrss: out of memory allocating %zu bytes\n", size);
    abort();
}

static void check_hook(size_t size)
{
    if (fail_countdown > 0 && --fail_countdown == 0) {
        oom(size);
    }
}

void mem_fail_after(unsigned long n) { fail_countdown = n; }

void *xmalloc(size_t size)
{
    check_hook(size);
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
    check_hook(nmemb * size);
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
    check_hook(total);
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
