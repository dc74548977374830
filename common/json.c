/* json.c: JSON string literals.
 *
 * Strings written here may come from the wire, from office files or from
 * an old store, so they may hold any bytes. The literal is made valid JSON
 * in valid UTF-8 by common/text's rule (text_clean), applied in JSON's
 * way: a control (C0, DEL, C1) is escaped rather than replaced, so
 * nothing is lost, and an ill-formed UTF-8 sequence becomes \ufffd, one
 * per maximal subpart, read with text_next_char(), the decoder that
 * text_clean() uses too.
 *
 * INVARIANTS
 *   1. The output is always a complete, valid JSON string literal.
 *   2. The output is valid UTF-8 and holds no byte below 0x20, no DEL and
 *      no C1 control: those are written as \uXXXX escapes.
 */
#include "common/json.h"

#include <stddef.h>

#include "common/text.h"

void json_put_str(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    fputc('"', f);
    while (u[i] != '\0') {
        int ok = 0;
        size_t n = text_next_char(u + i, &ok);
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
