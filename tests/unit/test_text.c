/* test_text.c: common/text.c.
 *
 * INVARIANTS
 *   1. Every test works on its own buffers and frees what it allocates.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

Test(text, trim_both_ends)
{
    char s[] = " \t a b\t \t";
    char *t = text_trim(s);
    cr_assert_str_eq(t, "a b");
    cr_assert(t >= s && t < s + sizeof s);
    /* The trailing blanks were overwritten in place. */
    cr_assert_eq(s[sizeof s - 2], '\0');
}

Test(text, trim_keeps_inner_blanks_and_untouched_text)
{
    char a[] = "x\t y";
    cr_assert_eq(text_trim(a), a);
    cr_assert_str_eq(a, "x\t y");
    char b[] = "plain";
    cr_assert_eq(text_trim(b), b);
    cr_assert_str_eq(b, "plain");
}

Test(text, trim_empty_and_all_blank)
{
    char e[] = "";
    cr_assert_str_eq(text_trim(e), "");
    char blank[] = " \t\t ";
    char *t = text_trim(blank);
    cr_assert_str_eq(t, "");
    cr_assert(t >= blank && t <= blank + strlen(" \t\t "));
}

Test(text, trim_only_space_and_tab)
{
    char s[] = "\r\n a \r\n";
    cr_assert_str_eq(text_trim(s), "\r\n a \r\n");
    /* U+3000 IDEOGRAPHIC SPACE is not trimmed. */
    char w[] = "\xE3\x80\x80" "a ";
    cr_assert_str_eq(text_trim(w), "\xE3\x80\x80" "a");
}

/* ------------------------------------------------------------------ */
/* text_clean / text_put_clean: text from the wire or from files made  */
/* safe to show (item 7).                                              */

#define FFFD "\xEF\xBF\xBD"

/* text_clean() of @p s with @p flags, into a buffer the test frees. */
static char *clean(const char *s, unsigned flags)
{
    size_t need = text_clean(NULL, 0, s, flags);
    char *out = malloc(need + 1);
    cr_assert_not_null(out);
    cr_assert_eq(text_clean(out, need + 1, s, flags), need);
    cr_assert_eq(strlen(out), need);
    cr_assert_leq(need, 3 * strlen(s), "longer than the bound");
    return out;
}

static void expect_clean(const char *s, unsigned flags, const char *want)
{
    char *got = clean(s, flags);
    cr_expect_str_eq(got, want, "input '%s'", s);
    free(got);
}

Test(text, clean_keeps_text_without_controls)
{
    expect_clean("", 0, "");
    expect_clean("plain ASCII, \"quotes\" and \\ ~", 0,
                 "plain ASCII, \"quotes\" and \\ ~");
    expect_clean("西湖区 330106 ％ 〔500〕 é €", 0,
                 "西湖区 330106 ％ 〔500〕 é €");
    /* U+FFFD itself, the last code point, a 4-byte one. */
    expect_clean(FFFD "\xF4\x8F\xBF\xBF" "\xF0\x9F\x98\x80", 0,
                 FFFD "\xF4\x8F\xBF\xBF" "\xF0\x9F\x98\x80");
    /* U+00A0 is the first code point after C1: kept. */
    expect_clean("\xC2\xA0", 0, "\xC2\xA0");
}

Test(text, clean_replaces_every_control)
{
    /* A terminal title, a colour, 8-bit CSI (C1 U+009B), DEL. */
    expect_clean("a\x1b]0;owned\x07z", 0, "a" FFFD "]0;owned" FFFD "z");
    expect_clean("\x1b[31mred", 0, FFFD "[31mred");
    expect_clean("\xC2\x9B" "2J", 0, FFFD "2J");
    expect_clean("\xC2\x80\xC2\x9F", 0, FFFD FFFD);
    expect_clean("x\x7fy", 0, "x" FFFD "y");
    /* TAB, CR and LF too: one field, one line. */
    expect_clean("a\tb\r\nc", 0, "a" FFFD "b" FFFD FFFD "c");
    expect_clean("\x01\x1f", 0, FFFD FFFD);
}

Test(text, clean_keeps_line_feeds_when_asked)
{
    expect_clean("line 1\nline 2\r\n\x1b", TEXT_KEEP_LF,
                 "line 1\nline 2" FFFD "\n" FFFD);
}

Test(text, clean_replaces_each_invalid_sequence_once)
{
    /* Lone continuation bytes, bytes never in UTF-8, a raw 8-bit CSI. */
    expect_clean("\x80", 0, FFFD);
    expect_clean("a\x9b" "b", 0, "a" FFFD "b");
    expect_clean("\xC0\xC1\xF5\xFF", 0, FFFD FFFD FFFD FFFD);
    /* Truncated sequences: one U+FFFD for the maximal subpart. */
    expect_clean("\xE4\xB8" "A", 0, FFFD "A");
    expect_clean("\xF0\x9F\x98", 0, FFFD);
    expect_clean("\xE4", 0, FFFD);
    /* Overlong forms and surrogates are not UTF-8: the lead byte goes,
     * then each byte that cannot follow it. */
    expect_clean("\xC0\xAF", 0, FFFD FFFD);
    expect_clean("\xE0\x80\xAF", 0, FFFD FFFD FFFD);
    expect_clean("\xED\xA0\x80", 0, FFFD FFFD FFFD);
    expect_clean("\xF4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD);
    /* GBK bytes read as UTF-8. */
    expect_clean("\xCE\xF7\xBA\xFE", 0, FFFD FFFD FFFD FFFD);
}

Test(text, clean_is_cut_like_snprintf_never_inside_a_character)
{
    char buf[8];
    /* "西湖区" is 9 bytes: 7 fit, but only 6 make whole characters. */
    cr_expect_eq(text_clean(buf, sizeof buf, "西湖区", 0), 9);
    cr_expect_str_eq(buf, "西湖");
    cr_expect_eq(text_clean(buf, 4, "\x1b\x1b", 0), 6);
    cr_expect_str_eq(buf, FFFD);
    cr_expect_eq(text_clean(buf, 1, "abc", 0), 3);
    cr_expect_str_eq(buf, "");
    cr_expect_eq(text_clean(NULL, 0, "abc", 0), 3);
}

Test(text, put_clean_writes_the_same_text)
{
    static const char *const in[] = {
        "plain", "西湖区\x1b[2J", "\xE4\xB8" "A\x7f", "a\nb\tc\xC2\x9B",
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        for (unsigned flags = 0; flags <= TEXT_KEEP_LF; flags++) {
            char *out = NULL;
            size_t size = 0;
            FILE *f = open_memstream(&out, &size);
            cr_assert_not_null(f);
            text_put_clean(f, in[i], flags);
            cr_assert_eq(fclose(f), 0);
            char *want = clean(in[i], flags);
            cr_expect_str_eq(out, want);
            free(want);
            free(out);
        }
    }
}
