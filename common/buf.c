/* buf.c: growable byte buffers and a bounds-checked reader.
 *
 * INVARIANTS
 *   1. b->len <= b->cap; b->data is NULL only while cap == 0.
 *   2. A reader never reads outside [p, p + len); after a failed get,
 *      r->bad == 1 and r->off no longer moves.
 */
#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

void buf_init(buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_fini(buf_t *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(buf_t *b) { b->len = 0; }

unsigned char *buf_take(buf_t *b, size_t *len)
{
    unsigned char *p = NULL;
    *len = b->len;
    if (b->len > 0) {
        /* A block kept by its new owner should not carry the doubling's
         * slack (up to as much again). */
        p = xreallocarray(b->data, b->len, 1);
    } else {
        free(b->data);
    }
    buf_init(b);
    return p;
}

static void reserve(buf_t *b, size_t n)
{
    if (b->cap - b->len >= n) {
        return;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < n) {
        cap *= 2;
    }
    b->data = xreallocarray(b->data, cap, 1);
    b->cap = cap;
}

void buf_put(buf_t *b, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_put_u8(buf_t *b, uint8_t v) { buf_put(b, &v, 1); }

void buf_put_u32(buf_t *b, uint32_t v)
{
    unsigned char x[4];
    for (int i = 3; i >= 0; i--) {
        x[i] = (unsigned char)(v & 0xffu);
        v >>= 8;
    }
    buf_put(b, x, sizeof x);
}

void buf_put_u64(buf_t *b, uint64_t v)
{
    unsigned char x[8];
    for (int i = 7; i >= 0; i--) {
        x[i] = (unsigned char)(v & 0xffu);
        v >>= 8;
    }
    buf_put(b, x, sizeof x);
}

void buf_put_i64(buf_t *b, int64_t v) { buf_put_u64(b, (uint64_t)v); }

void buf_put_str(buf_t *b, const char *s) { buf_put(b, s, strlen(s) + 1); }

void buf_reader_init(buf_reader_t *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->bad = 0;
}

static const unsigned char *take(buf_reader_t *r, size_t n)
{
    if (r->bad || r->len - r->off < n) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *q = r->p + r->off;
    r->off += n;
    return q;
}

uint8_t buf_get_u8(buf_reader_t *r)
{
    const unsigned char *q = take(r, 1);
    return q ? q[0] : 0;
}

uint32_t buf_get_u32(buf_reader_t *r)
{
    const unsigned char *q = take(r, 4);
    uint32_t v = 0;
    for (int i = 0; q != NULL && i < 4; i++) {
        v = (v << 8) | q[i];
    }
    return v;
}

uint64_t buf_get_u64(buf_reader_t *r)
{
    const unsigned char *q = take(r, 8);
    uint64_t v = 0;
    for (int i = 0; q != NULL && i < 8; i++) {
        v = (v << 8) | q[i];
    }
    return v;
}

int64_t buf_get_i64(buf_reader_t *r) { return (int64_t)buf_get_u64(r); }

const char *buf_get_str(buf_reader_t *r)
{
    if (r->bad) {
        return "";
    }
    const unsigned char *start = r->p + r->off;
    const unsigned char *nul = memchr(start, 0, r->len - r->off);
    if (nul == NULL) {
        r->bad = 1;
        return "";
    }
    r->off += (size_t)(nul - start) + 1;
    return (const char *)start;
}

size_t buf_remaining(const buf_reader_t *r) { return r->len - r->off; }

int buf_done(const buf_reader_t *r) { return !r->bad && r->off == r->len; }
