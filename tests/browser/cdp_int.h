/* cdp_int.h: internal to tests/browser/cdp*.c: the growable string and
 * the helpers cdp.c takes from cdp_json.c. */
#ifndef HRSS_TEST_CDP_INT_H
#define HRSS_TEST_CDP_INT_H
#include <stddef.h>

/* A growable string: s NUL-terminated once anything was added. */
typedef struct sbuf {
    char *s;
    size_t len;
    size_t cap;
} sbuf_t;

/* realloc() that aborts when out of memory. */
void *cdp_grow(void *p, size_t n);

/* Append @p n bytes at @p p (and keep a NUL after them). */
void cdp_sb_add(sbuf_t *b, const char *p, size_t n);

/* Append the string @p s. */
void cdp_sb_str(sbuf_t *b, const char *s);

/* Append @p s as a JSON string literal. */
void cdp_sb_quote(sbuf_t *b, const char *s);

/* The value at @p path of @p json (cdp_json_get), or NULL: for looking,
 * not for errors. Caller frees. */
char *cdp_jget(const char *json, const char *path);

#endif
