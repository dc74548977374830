/* text.c: text helpers: trimming for the file readers, and the check
 * that bytes from outside are clean text.
 *
 * Hand-edited CSV and INI files often carry "a, b" or "key = value "; the
 * catalog, the office CSV reader and the config reader all trim the same
 * two bytes, space and tab, so one definition keeps them in agreement.
 *
 * text_check() decodes UTF-8 by the table of RFC 3629 section 4: the
 * second byte's range depends on the first (E0 needs A0..BF, ED 80..9F,
 * F0 90..BF, F4 80..8F), which refuses overlong forms, surrogates and
 * code points above U+10FFFF without decoding them first. C0 and DEL are
 * single bytes; C1 (U+0080..U+009F) is exactly C2 80..C2 9F.
 *
 * INVARIANTS
 *   1. text_trim never writes outside the string it was given and never
 *      returns a pointer past its terminating NUL.
 *   2. utf8_len() reads at most the n - i bytes from i and returns 0 for
 *      anything RFC 3629 does not allow, so text_check() never reads
 *      outside the n bytes.
 */
#include "common/text.h"

#include <assert.h>
#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t'; }

char *text_trim(char *s)
{
    size_t n = 0;

    assert(s != NULL);
    while (is_blank(*s)) {
        s++;
    }
    n = strlen(s);
    while (n > 0 && is_blank(s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

/* The length of the UTF-8 sequence at s[i], 1..4, or 0 when the bytes
 * from i do not start a valid one (RFC 3629 section 4). */
static size_t utf8_len(const unsigned char *s, size_t n, size_t i)
{
    unsigned char c = s[i];
    size_t len;
    unsigned char lo = 0x80; /* the second byte's range */
    unsigned char hi = 0xBF;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) {
            lo = 0xA0; /* below: overlong */
        } else if (c == 0xED) {
            hi = 0x9F; /* above: surrogates */
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) {
            lo = 0x90; /* below: overlong */
        } else if (c == 0xF4) {
            hi = 0x8F; /* above: beyond U+10FFFF */
        }
    } else {
        return 0; /* a continuation byte, C0, C1 or F5..FF */
    }
    if (n - i < len) {
        return 0;
    }
    if (s[i + 1] < lo || s[i + 1] > hi) {
        return 0;
    }
    for (size_t k = 2; k < len; k++) {
        if (s[i + k] < 0x80 || s[i + k] > 0xBF) {
            return 0;
        }
    }
    return len;
}

/* 1 when the sequence of @p len bytes at @p p is a control character:
 * C0, DEL, or C1 (U+0080..U+009F, encoded C2 80..C2 9F). */
static int is_control(const unsigned char *p, size_t len)
{
    if (len == 1) {
        return p[0] < 0x20 || p[0] == 0x7F;
    }
    return len == 2 && p[0] == 0xC2 && p[1] <= 0x9F;
}

enum text_fault text_check(const char *s, size_t n, size_t *at)
{
    const unsigned char *u = (const unsigned char *)s;
    assert(s != NULL || n == 0);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(u, n, i);
        enum text_fault f = len == 0                ? TEXT_BAD_UTF8
                            : is_control(u + i, len) ? TEXT_CONTROL
                                                     : TEXT_CLEAN;
        if (f != TEXT_CLEAN) {
            if (at != NULL) {
                *at = i;
            }
            return f;
        }
        i += len;
    }
    return TEXT_CLEAN;
}

int text_valid_utf8(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    assert(s != NULL || n == 0);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(u, n, i);
        if (len == 0) {
            return 0;
        }
        i += len;
    }
    return 1;
}

int text_is_clean(const char *s, size_t n)
{
    return text_check(s, n, NULL) == TEXT_CLEAN;
}

const char *text_fault_str(enum text_fault f)
{
    switch (f) {
    case TEXT_CLEAN: return "clean text";
    case TEXT_BAD_UTF8: return "invalid UTF-8";
    case TEXT_CONTROL: return "a control character";
    }
    return "not text";
}
