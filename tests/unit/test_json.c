/* test_json.c: common/json.c, JSON string literals.
 *
 * Whatever bytes a string holds (it may come from the wire or from an
 * old store), the literal is valid JSON in valid UTF-8: C0, DEL and C1
 * controls escaped, ill-formed UTF-8 replaced by U+FFFD. The rule is
 * common/text's (text_clean), with the same decoder (text_next_char):
 * json_agrees_with_text_clean checks the two agree on many generated
 * strings.
 *
 * INVARIANTS
 *   1. Every buffer a test makes is freed in that test (ASan).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/text.h"

#define FFFD "\xEF\xBF\xBD"

static char *literal(const char *s)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    json_put_str(f, s);
    cr_assert_eq(fclose(f), 0);
    return out;
}

static void expect_literal(const char *s, const char *want)
{
    char *got = literal(s);
    cr_expect_str_eq(got, want);
    free(got);
}

Test(json, plain_and_utf8_text_unchanged)
{
    expect_literal("", "\"\"");
    expect_literal("urban_new_jobs", "\"urban_new_jobs\"");
    expect_literal("西湖区 〔500〕 € " FFFD,
                   "\"西湖区 〔500〕 € " FFFD "\"");
    expect_literal("\xF0\x9F\x98\x80 \xC2\xA0",
                   "\"\xF0\x9F\x98\x80 \xC2\xA0\"");
}

Test(json, quotes_backslashes_and_c0_escaped)
{
    expect_literal("a\"b\\c", "\"a\\\"b\\\\c\"");
    expect_literal("1\n2\r3\t4", "\"1\\n2\\r3\\t4\"");
    expect_literal("\x01\x08\x0c\x1f", "\"\\u0001\\u0008\\u000c\\u001f\"");
    expect_literal("\x1b]0;owned\x07", "\"\\u001b]0;owned\\u0007\"");
}

/* Item 7: DEL and C1 controls used to pass through raw (an 8-bit CSI,
 * U+009B, is an escape to some terminals). */
Test(json, del_and_c1_controls_escaped)
{
    expect_literal("x\x7fy", "\"x\\u007fy\"");
    expect_literal("\xC2\x80\xC2\x9B" "2J\xC2\x9F",
                   "\"\\u0080\\u009b2J\\u009f\"");
}

/* Item 7: ill-formed UTF-8 used to be copied, making the whole output
 * invalid UTF-8, which JSON parsers refuse. */
Test(json, invalid_utf8_replaced)
{
    expect_literal("a\xFF" "b", "\"a\\ufffdb\"");
    expect_literal("\x9b" "2J", "\"\\ufffd2J\"");
    expect_literal("\xE4\xB8" "A", "\"\\ufffdA\"");
    expect_literal("\xC0\xAF", "\"\\ufffd\\ufffd\"");
    expect_literal("\xED\xA0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
    expect_literal("\xF4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    expect_literal("\xCE\xF7\xBA\xFE", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    expect_literal("\xF0\x9F\x98", "\"\\ufffd\"");
}

/* UTF-8 of code point @p cp (< 0x10000) appended at *o. */
static void put_utf8(uint32_t cp, char **o)
{
    unsigned char *p = (unsigned char *)*o;
    if (cp < 0x80) {
        *p++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *p++ = (unsigned char)(0xC0 | (cp >> 6));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *p++ = (unsigned char)(0xE0 | (cp >> 12));
        *p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)p;
}

/* Read back the literal @p lit as text_clean(s, 0) would show it: every
 * escaped control as U+FFFD, everything else as it stands. Checks on the
 * way that the literal holds no raw control byte. Caller frees. */
static char *shown(const char *lit)
{
    size_t n = strlen(lit);
    cr_assert(n >= 2 && lit[0] == '"' && lit[n - 1] == '"', "%s", lit);
    char *out = malloc(3 * n + 1);
    cr_assert_not_null(out);
    char *o = out;
    for (size_t i = 1; i < n - 1; i++) {
        unsigned char c = (unsigned char)lit[i];
        cr_assert(c >= 0x20 && c != 0x7F && c != '"', "raw byte %02x", c);
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        char e = lit[++i];
        uint32_t cp = 0;
        if (e == 'u') {
            cr_assert(i + 4 < n - 1);
            char hex[5];
            memcpy(hex, lit + i + 1, 4);
            hex[4] = '\0';
            cp = (uint32_t)strtoul(hex, NULL, 16);
            i += 4;
        } else {
            const char *from = "\"\\nrt";
            const char *to = "\"\\\n\r\t";
            const char *k = strchr(from, e);
            cr_assert(e != '\0' && k != NULL, "bad escape \\%c", e);
            cp = (unsigned char)to[k - from];
        }
        int control = cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
        put_utf8(control ? 0xFFFD : cp, &o);
    }
    *o = '\0';
    return out;
}

/* Generated strings of every kind of byte: the JSON literal holds no raw
 * control, is valid UTF-8, and says what text_clean() shows. */
Test(json, json_agrees_with_text_clean)
{
    static const unsigned char pool[] = {
        'a', ' ', '"', '\\', '\n', '\r', '\t', 0x01, 0x1b, 0x7f, 0x80, 0x9b,
        0xBF, 0xC0, 0xC2, 0xC3, 0xDF, 0xE0, 0xE4, 0xED, 0xEF, 0xF0, 0xF4,
        0xF5, 0xFF, 0xA0, 0x8F, 0x90, 0x9F, 0xB8, 0xAD,
    };
    uint32_t x = 12345;
    for (int k = 0; k < 20000; k++) {
        char s[16];
        x = x * 1103515245u + 12345u;
        size_t len = (x >> 16) % sizeof s;
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            s[i] = (char)pool[(x >> 16) % sizeof pool];
        }
        s[len] = '\0';
        char *lit = literal(s);
        size_t need = text_clean(NULL, 0, lit, 0);
        char *again = malloc(need + 1);
        cr_assert_not_null(again);
        text_clean(again, need + 1, lit, 0);
        cr_assert_str_eq(again, lit, "not valid UTF-8 without controls");
        char *got = shown(lit);
        need = text_clean(NULL, 0, s, 0);
        char *want = malloc(need + 1);
        cr_assert_not_null(want);
        text_clean(want, need + 1, s, 0);
        cr_assert_str_eq(got, want, "case %d: %s", k, lit);
        free(want);
        free(got);
        free(again);
        free(lit);
    }
}
