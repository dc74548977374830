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

/* text_trim_len() is text_trim() told the length: same pointer, same
 * bytes written, on every case above. */
Test(text, trim_len_is_trim)
{
    static const char *const cases[] = {
        " \t a b\t \t", "x\t y", "plain", "", " \t\t ", "\r\n a \r\n",
        "\xE3\x80\x80" "a ", " ", "a",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char a[32];
        char b[32];
        snprintf(a, sizeof a, "%s", cases[i]);
        memcpy(b, a, sizeof b);
        char *ta = text_trim(a);
        char *tb = text_trim_len(b, strlen(b));
        cr_assert_eq(ta - a, tb - b, "case %zu", i);
        cr_assert(memcmp(a, b, sizeof a) == 0, "case %zu", i);
    }
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

/* ---------------------------------------------------------------------- */
/* text_check: valid UTF-8 without control characters                      */

static enum text_fault check(const char *s, size_t *at)
{
    *at = (size_t)-1;
    return text_check(s, at);
}

Test(text, clean_text_passes)
{
    static const char *ok[] = {
        "",
        "urban_new_jobs",
        "office-330102",
        "杭州市上城区",                    /* 3-byte sequences */
        "\xC2\xA0 \xC2\xBF \xDF\xBF",     /* U+00A0 (first after C1), U+07FF */
        "\xE0\xA0\x80 \xED\x9F\xBF",      /* U+0800, U+D7FF */
        "\xEE\x80\x80 \xEF\xBF\xBF",      /* U+E000, U+FFFF */
        "\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF", /* U+10000, U+10FFFF */
        "😀 ~",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t at;
        cr_expect_eq(check(ok[i], &at), TEXT_CLEAN, "#%zu", i);
        cr_expect_eq(at, (size_t)-1, "#%zu: at written", i);
        cr_expect(text_is_clean(ok[i]), "#%zu", i);
        cr_expect(text_valid_utf8(ok[i]), "#%zu", i);
    }
}

Test(text, invalid_utf8_is_found_where_it_starts)
{
    static const struct {
        const char *s;
        size_t at;
    } bad[] = {
        {"ab\x80", 2},              /* a stray continuation byte */
        {"\xC0\xAF", 0},            /* overlong '/' */
        {"\xC1\xBF", 0},            /* overlong */
        {"x\xE0\x9F\xBF", 1},       /* overlong 3-byte */
        {"\xF0\x8F\xBF\xBF", 0},    /* overlong 4-byte */
        {"\xED\xA0\x80", 0},        /* U+D800, a surrogate */
        {"\xED\xBF\xBF", 0},        /* U+DFFF */
        {"\xF4\x90\x80\x80", 0},    /* U+110000 */
        {"\xF5\x80\x80\x80", 0},
        {"\xFF", 0},
        {"\xFE", 0},
        {"ok\xE6\x9D", 2},          /* cut short at the end */
        {"\xE6\x9Dx", 0},           /* cut short before ASCII */
        {"\xC3", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t at;
        cr_expect_eq(check(bad[i].s, &at), TEXT_BAD_UTF8, "#%zu", i);
        cr_expect_eq(at, bad[i].at, "#%zu: at %zu", i, at);
        cr_expect_not(text_is_clean(bad[i].s), "#%zu", i);
        cr_expect_not(text_valid_utf8(bad[i].s), "#%zu", i);
    }
}

Test(text, control_characters_are_not_clean)
{
    static const struct {
        const char *s;
        size_t at;
    } ctl[] = {
        {"a\x01", 1}, {"\x1F", 0}, {"tab\there", 3}, {"nl\n", 2},
        {"cr\r", 2},  {"del\x7F", 3},
        {"c1 \xC2\x80", 3},         /* U+0080 */
        {"\xC2\x85", 0},            /* U+0085 NEXT LINE */
        {"\xC2\x9F", 0},            /* U+009F */
        {"\xE2\x80\x8B" "\x1B[31m", 3}, /* ESC after U+200B */
    };
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++) {
        size_t at;
        cr_expect_eq(check(ctl[i].s, &at), TEXT_CONTROL, "#%zu", i);
        cr_expect_eq(at, ctl[i].at, "#%zu: at %zu", i, at);
        cr_expect_not(text_is_clean(ctl[i].s), "#%zu", i);
        /* Valid UTF-8 all the same. */
        cr_expect(text_valid_utf8(ctl[i].s), "#%zu", i);
    }
}

/* INVARIANT 4: text_check refuses exactly what text_clean would change,
 * over every string of up to two bytes and a sample of longer ones. */
Test(text, check_refuses_exactly_what_clean_changes)
{
    char s[5] = {0};
    char out[32];
    for (unsigned a = 1; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            s[0] = (char)a;
            s[1] = (char)b;
            s[2] = '\0';
            text_clean(out, sizeof out, s, 0);
            cr_expect_eq(text_is_clean(s), strcmp(out, s) == 0,
                         "%02x %02x", a, b);
        }
    }
    static const char *longer[] = {"\xE6\x9D\xAD", "\xE6\x9D",
                                   "\xF0\x9F\x98\x80", "\xF0\x9F\x98",
                                   "\xED\xA0\x80", "a\xC2\x9F"};
    for (size_t i = 0; i < sizeof longer / sizeof longer[0]; i++) {
        text_clean(out, sizeof out, longer[i], 0);
        cr_expect_eq(text_is_clean(longer[i]),
                     strcmp(out, longer[i]) == 0, "#%zu", i);
    }
}

/* A C string ends at its NUL: what follows is not seen (a caller whose
 * bytes may hold a NUL checks their length; common/wire does). */
Test(text, check_sees_a_string_up_to_its_nul)
{
    const char s[] = "urban_new_jobs\0\x1b[2J";
    size_t at;
    cr_expect_eq(check(s, &at), TEXT_CLEAN);
    cr_expect_eq(check("ok\xE6\x9D", &at), TEXT_BAD_UTF8,
                 "a sequence cut by the NUL");
    cr_expect_eq(at, 2);
}

Test(text, the_first_fault_wins_and_has_a_name)
{
    size_t at;
    cr_expect_eq(check("a\x01\xFF", &at), TEXT_CONTROL);
    cr_expect_eq(at, 1);
    cr_expect_eq(check("a\xFF\x01", &at), TEXT_BAD_UTF8);
    cr_expect_eq(at, 1);
    cr_expect_str_eq(text_fault_str(TEXT_BAD_UTF8), "invalid UTF-8");
    cr_expect_str_eq(text_fault_str(TEXT_CONTROL), "a control character");
    cr_expect_not_null(text_fault_str((enum text_fault)99));
}
