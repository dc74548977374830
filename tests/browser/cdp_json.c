/* cdp_json.c: what tests/browser/cdp.c builds on: a growable string, and
 * the JSON reader and base64 decoder (cdp.h) that read the browser's
 * messages.
 *
 * The JSON reader is a skipper, not a parser: it walks the text to the
 * value a path names and decodes only that value. CDP messages are
 * machine-written, but the walk still checks every byte it passes, so a
 * truncated or garbled message is ERR_INVAL, never a read past the end.
 *
 * INVARIANTS
 *   1. An sbuf_t's text is NUL-terminated once anything was added.
 *   2. No read goes past the NUL that ends the JSON text.
 */
#include "cdp.h"
#include "cdp_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* small things                                                            */

void *cdp_grow(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) {
        abort(); /* a test helper: out of memory ends the test */
    }
    return q;
}


void cdp_sb_add(sbuf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        b->s = cdp_grow(b->s, cap);
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void cdp_sb_str(sbuf_t *b, const char *s)
{
    cdp_sb_add(b, s, strlen(s));
}

/* @p s as a JSON string literal. */
void cdp_sb_quote(sbuf_t *b, const char *s)
{
    cdp_sb_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            cdp_sb_add(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            cdp_sb_add(b, esc, 6);
        } else {
            cdp_sb_add(b, (const char *)p, 1);
        }
    }
    cdp_sb_add(b, "\"", 1);
}

/* ---------------------------------------------------------------------- */
/* JSON reader                                                             */

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
        p++;
    }
    return p;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') {
            v |= (unsigned)(ch - '0');
        } else if (ch >= 'a' && ch <= 'f') {
            v |= (unsigned)(ch - 'a' + 10);
        } else if (ch >= 'A' && ch <= 'F') {
            v |= (unsigned)(ch - 'A' + 10);
        } else {
            return 0;
        }
    }
    *out = v;
    return 1;
}

static void put_utf8(sbuf_t *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    cdp_sb_add(b, u, n);
}

/* Walk the string literal at @p p (its opening quote); decode it into
 * @p b when not NULL. @return the byte after the closing quote, or NULL
 * when it is not a string. */
static const char *str_end(const char *p, sbuf_t *b)
{
    if (*p != '"') {
        return NULL;
    }
    p++;
    for (;;) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"') {
            return p + 1;
        }
        if (ch < 0x20) { /* the NUL at the end, or a raw control */
            return NULL;
        }
        if (ch != '\\') {
            if (b != NULL) {
                cdp_sb_add(b, p, 1);
            }
            p++;
            continue;
        }
        char e = p[1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e != '\0' && simple != NULL) {
            static const char out[] = "\"\\/\b\f\n\r\t";
            if (b != NULL) {
                cdp_sb_add(b, &out[simple - "\"\\/bfnrt"], 1);
            }
            p += 2;
            continue;
        }
        unsigned cp = 0;
        if (e != 'u' || !hex4(p + 2, &cp)) {
            return NULL;
        }
        p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            if (p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &lo) &&
                lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            } else {
                cp = 0xFFFD;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        if (b != NULL) {
            put_utf8(b, cp);
        }
    }
}

static const char *value_end(const char *p, int depth);

/* The members of an object or the items of an array. */
static const char *compound_end(const char *p, int depth)
{
    char close = *p == '{' ? '}' : ']';
    int object = *p == '{';
    p = ws(p + 1);
    if (*p == close) {
        return p + 1;
    }
    for (;;) {
        if (object) {
            p = str_end(p, NULL);
            if (p == NULL) {
                return NULL;
            }
            p = ws(p);
            if (*p != ':') {
                return NULL;
            }
            p = ws(p + 1);
        }
        p = value_end(p, depth + 1);
        if (p == NULL) {
            return NULL;
        }
        p = ws(p);
        if (*p == close) {
            return p + 1;
        }
        if (*p != ',') {
            return NULL;
        }
        p = ws(p + 1);
    }
}

/* @return the byte after the value at @p p, or NULL when none is there. */
static const char *value_end(const char *p, int depth)
{
    if (depth > 64) {
        return NULL;
    }
    switch (*p) {
    case '"':
        return str_end(p, NULL);
    case '{':
    case '[':
        return compound_end(p, depth);
    case 't':
        return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        break;
    }
    const char *q = p;
    if (*q == '-') {
        q++;
    }
    if (*q < '0' || *q > '9') {
        return NULL;
    }
    while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
           *q == 'E' || *q == '+' || *q == '-') {
        q++;
    }
    return q;
}

/* In the object or array at @p p, the value of member (or index) @p key
 * of @p n bytes. @return its start, NULL when absent, and *bad = 1 when
 * the text is not JSON. */
static const char *child(const char *p, const char *key, size_t n, int *bad)
{
    int object = *p == '{';
    if (!object && *p != '[') {
        return NULL; /* a scalar has no members */
    }
    char *end = NULL;
    long index = -1;
    if (!object) {
        index = strtol(key, &end, 10);
        if (n == 0 || end != key + n || index < 0) {
            return NULL;
        }
    }
    char close = object ? '}' : ']';
    p = ws(p + 1);
    if (*p == close) {
        return NULL;
    }
    for (long i = 0;; i++) {
        int match = 0;
        if (object) {
            sbuf_t name = {0};
            const char *q = str_end(p, &name);
            if (q != NULL) {
                match = name.len == n && memcmp(name.s ? name.s : "", key,
                                                n) == 0;
            }
            free(name.s);
            if (q == NULL) {
                *bad = 1;
                return NULL;
            }
            p = ws(q);
            if (*p != ':') {
                *bad = 1;
                return NULL;
            }
            p = ws(p + 1);
        } else {
            match = i == index;
        }
        if (match) {
            return p;
        }
        p = value_end(p, 1);
        if (p == NULL) {
            *bad = 1;
            return NULL;
        }
        p = ws(p);
        if (*p == close) {
            return NULL;
        }
        if (*p != ',') {
            *bad = 1;
            return NULL;
        }
        p = ws(p + 1);
    }
}

int cdp_json_get(const char *json, const char *path, char **value,
                 char *type)
{
    *value = NULL;
    const char *p = ws(json);
    int bad = 0;
    while (*path != '\0') {
        size_t n = strcspn(path, ".");
        p = child(p, path, n, &bad);
        if (p == NULL) {
            return bad ? ERR_INVAL : ERR_NOTFOUND;
        }
        path += n;
        if (*path == '.') {
            path++;
        }
    }
    const char *end = value_end(p, 0);
    if (end == NULL) {
        return ERR_INVAL;
    }
    sbuf_t b = {0};
    char t = 'n';
    switch (*p) {
    case '"':
        t = 's';
        break;
    case '{':
        t = 'o';
        break;
    case '[':
        t = 'a';
        break;
    case 't':
        t = 't';
        break;
    case 'f':
        t = 'f';
        break;
    case 'n':
        t = 'z';
        break;
    default:
        break;
    }
    if (t == 's') {
        str_end(p, &b);
    } else {
        cdp_sb_add(&b, p, (size_t)(end - p));
    }
    if (b.s == NULL) {
        cdp_sb_add(&b, "", 0);
    }
    *value = b.s;
    if (type != NULL) {
        *type = t;
    }
    return ERR_OK;
}

/* The value at @p path, or NULL: for looking, not for errors. */
char *cdp_jget(const char *json, const char *path)
{
    char *v = NULL;
    if (cdp_json_get(json, path, &v, NULL) != ERR_OK) {
        return NULL;
    }
    return v;
}

/* ---------------------------------------------------------------------- */
/* base64                                                                  */

static int b64(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }
    if (ch == '+') {
        return 62;
    }
    if (ch == '/') {
        return 63;
    }
    return -1;
}

long cdp_base64_decode(const char *in, size_t len, unsigned char *out,
                       size_t cap)
{
    /* Padding: at most two '=', only at the end, and only where the
     * length (with it) is a multiple of 4. */
    size_t pad = 0;
    while (pad < 2 && len > pad && in[len - 1 - pad] == '=') {
        pad++;
    }
    if (pad > 0 && len % 4 != 0) {
        return -1;
    }
    size_t n = len - pad;
    if (n % 4 == 1) {
        return -1;
    }
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64((unsigned char)in[i]);
        if (v < 0) {
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap) {
                return -1;
            }
            out[o++] = (unsigned char)((acc >> bits) & 0xFF);
        }
    }
    /* The bits left over must be zero (canonical encoding). */
    if ((acc & ((1u << bits) - 1)) != 0) {
        return -1;
    }
    return (long)o;
}
