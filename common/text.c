/* text.c: in-place text helpers shared by the file readers.
 *
 * Hand-edited CSV and INI files often carry "a, b" or "key = value "; the
 * catalog, the office CSV reader and the config reader all trim the same
 * two bytes, space and tab, so one definition keeps them in agreement.
 *
 * text_clean, text_put_clean and text_check share one decoder,
 * text_next_char(), which
 * follows Unicode's table of well-formed UTF-8 (3.9, Table 3-7): the
 * second byte's range depends on the lead (E0: A0..BF, ED: 80..9F, F0:
 * 90..BF, F4: 80..8F), which rules out overlong forms, surrogates and code
 * points past U+10FFFF without decoding them. An ill-formed sequence
 * ends at the first byte that cannot continue it (its maximal subpart)
 * and is replaced by one U+FFFD; decoding resumes at that byte.
 *
 * text_fold_width() folds only what an input method types where ASCII was
 * meant (full-width punctuation, digits, letters, the ideographic space):
 * the NFKC mappings of that block, without the rest of NFKC's tables,
 * which an office's file never needs. It works in place because every
 * folded character is three bytes of UTF-8 and its twin one.
 *
 * INVARIANTS
 *   1. text_trim never writes outside the string it was given and never
 *      returns a pointer past its terminating NUL.
 *   2. text_next_char() consumes at least one byte and never the NUL: a
 *      NUL is no continuation byte, so a truncated sequence stops before
 *      it.
 *   3. text_clean writes at most cap bytes, the NUL included, and only
 *      whole characters.
 *   4. text_check and clean_each decode alike and share is_control(), so
 *      text_check finds nothing exactly where text_clean changes nothing.
 *   5. text_fold_width never reads past the NUL (a lead byte's followers
 *      are compared one at a time, and a NUL matches none of them) and
 *      never writes past where it read.
 */
#include "common/text.h"

#include <assert.h>
#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t'; }

char *text_trim(char *s)
{
    assert(s != NULL);
    return text_trim_len(s, strlen(s));
}

char *text_trim_len(char *s, size_t len)
{
    assert(s != NULL && s[len] == '\0');
    while (len > 0 && is_blank(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1])) {
        s[--len] = '\0';
    }
    return s;
}

size_t text_fold_width(char *s)
{
    unsigned char *u = (unsigned char *)s;
    size_t r = 0;
    size_t w = 0;
    assert(s != NULL);
    while (u[r] != '\0') {
        /* U+FF01..U+FF3F is EF BC 81..BF, U+FF40..U+FF5E is EF BD 80..9E,
         * U+3000 is E3 80 80. */
        if (u[r] == 0xEF && (u[r + 1] == 0xBC || u[r + 1] == 0xBD) &&
            u[r + 2] >= 0x80 && u[r + 2] <= 0xBF) {
            unsigned cp = 0xFF00u + ((u[r + 1] & 0x03u) << 6) +
                          (u[r + 2] & 0x3Fu);
            if (cp >= 0xFF01u && cp <= 0xFF5Eu) {
                u[w++] = (unsigned char)(cp - 0xFF01u + 0x21u);
                r += 3;
                continue;
            }
        }
        if (u[r] == 0xE3 && u[r + 1] == 0x80 && u[r + 2] == 0x80) {
            u[w++] = ' ';
            r += 3;
            continue;
        }
        u[w++] = u[r++];
    }
    u[w] = '\0';
    return w;
}

/* ------------------------------------------------------------------ */
/* Text safe to show                                                   */

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */
#define REPLACEMENT_LEN 3

size_t text_next_char(const unsigned char *s, int *ok)
{
    unsigned char b = s[0];
    size_t len = 0;
    unsigned char lo = 0x80; /* the second byte's range */
    unsigned char hi = 0xBF;

    *ok = 1;
    if (b < 0x80) {
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        lo = b == 0xE0 ? 0xA0 : 0x80;
        hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        lo = b == 0xF0 ? 0x90 : 0x80;
        hi = b == 0xF4 ? 0x8F : 0xBF;
    } else {
        *ok = 0; /* 80..C1, F5..FF: never a lead byte */
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if (s[i] < lo || s[i] > hi) {
            *ok = 0;
            return i;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return len;
}

/* Whether the well-formed character at @p s (of @p n bytes) is a
 * control: C0, DEL, or C1 (U+0080..U+009F is C2 80..C2 9F). */
static int is_control(const unsigned char *s, size_t n)
{
    return (n == 1 && (s[0] < 0x20 || s[0] == 0x7F)) ||
           (n == 2 && s[0] == 0xC2 && s[1] < 0xA0);
}

/* Call @p put for each piece of the cleaned text of @p s. */
typedef void (*put_fn)(const char *p, size_t n, void *arg);

static void clean_each(const char *s, unsigned flags, put_fn put, void *arg)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (u[i] != '\0') {
        int ok = 0;
        size_t n = text_next_char(u + i, &ok);
        int keep = ok && (!is_control(u + i, n) ||
                          (u[i] == '\n' && (flags & TEXT_KEEP_LF)));
        if (keep) {
            put(s + i, n, arg);
        } else {
            put(REPLACEMENT, REPLACEMENT_LEN, arg);
        }
        i += n;
    }
}

/* text_clean's destination: pieces are copied while they fit whole. */
struct clean_buf {
    char *dst;
    size_t cap;
    size_t written; /* bytes copied to dst */
    size_t len;     /* of the whole cleaned text */
};

static void put_buf(const char *p, size_t n, void *arg)
{
    struct clean_buf *b = arg;
    /* Once a piece is cut, nothing after it is copied (written < len). */
    if (b->written == b->len && b->cap > 0 && b->len + n < b->cap) {
        memcpy(b->dst + b->written, p, n);
        b->written += n;
    }
    b->len += n;
}

size_t text_clean(char *dst, size_t cap, const char *s, unsigned flags)
{
    struct clean_buf b = {dst, cap, 0, 0};

    assert(s != NULL && (dst != NULL || cap == 0));
    clean_each(s, flags, put_buf, &b);
    if (cap > 0) {
        dst[b.written] = '\0';
    }
    return b.len;
}

static void put_file(const char *p, size_t n, void *arg)
{
    fwrite(p, 1, n, (FILE *)arg);
}

void text_put_clean(FILE *f, const char *s, unsigned flags)
{
    assert(f != NULL && s != NULL);
    clean_each(s, flags, put_file, f);
}

/* ------------------------------------------------------------------ */
/* Text to refuse                                                      */

enum text_fault text_check(const char *s, size_t *at)
{
    const unsigned char *u = (const unsigned char *)s;
    assert(s != NULL);
    for (size_t i = 0; u[i] != '\0';) {
        int ok = 0;
        size_t n = text_next_char(u + i, &ok);
        enum text_fault f = !ok                    ? TEXT_BAD_UTF8
                            : is_control(u + i, n) ? TEXT_CONTROL
                                                   : TEXT_CLEAN;
        if (f != TEXT_CLEAN) {
            if (at != NULL) {
                *at = i;
            }
            return f;
        }
        i += n;
    }
    return TEXT_CLEAN;
}

int text_valid_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    assert(s != NULL);
    for (size_t i = 0; u[i] != '\0';) {
        int ok = 0;
        i += text_next_char(u + i, &ok);
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

int text_is_clean(const char *s)
{
    return text_check(s, NULL) == TEXT_CLEAN;
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
