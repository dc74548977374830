/* json.c: JSON string literals.
 *
 * Strings written here may come from the wire, from office files or from
 * an old store, so they may hold any bytes. The literal is made valid JSON
 * in valid UTF-8 by common/text's rule (text_clean), applied in JSON's
 * way: a control (C0, DEL, C1) is escaped rather than replaced, so
 * nothing is lost, and an ill-formed UTF-8 sequence becomes \ufffd, one
 * per maximal subpart. hrss_json links nothing, so the decoder below
 * mirrors text.c's next_char(); test_json checks that the two agree.
 *
 * INVARIANTS
 *   1. The output is always a complete, valid JSON string literal.
 *   2. The output is valid UTF-8 and holds no byte below 0x20, no DEL and
 *      no C1 control: those are written as \uXXXX escapes.
 */
#include "common/json.h"

#include <stddef.h>

/* The length of the character at s[0] (not NUL), or of its maximal
 * ill-formed subpart; *ok says which. Mirrors common/text.c next_char(). */
static size_t next_char(const unsigned char *s, int *ok)
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

void json_put_str(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    fputc('"', f);
    while (u[i] != '\0') {
        int ok = 0;
        size_t n = next_char(u + i, &ok);
        unsigned c = u[i];
        if (!ok) {
            fputs("\\ufffd", f);
        } else if (c == '"') {
            fputs("\\\"", f);
        } else if (c == '\\') {
            fputs("\\\\", f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\r') {
            fputs("\\r", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(f, "\\u%04x", c);
        } else if (n == 2 && c == 0xC2 && u[i + 1] < 0xA0) {
            fprintf(f, "\\u%04x", (unsigned)u[i + 1]); /* C1: C2 80..9F */
        } else {
            fwrite(u + i, 1, n, f);
        }
        i += n;
    }
    fputc('"', f);
}
