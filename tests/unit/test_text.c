/* test_text.c: common/text.c.
 *
 * INVARIANTS
 *   1. Every test works on its own stack buffers.
 */
#include <criterion/criterion.h>
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

/* ---------------------------------------------------------------------- */
/* text_check: valid UTF-8 without control characters                      */

static enum text_fault check(const char *s, size_t n, size_t *at)
{
    *at = (size_t)-1;
    return text_check(s, n, at);
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
        cr_expect_eq(check(ok[i], strlen(ok[i]), &at), TEXT_CLEAN, "#%zu",
                     i);
        cr_expect_eq(at, (size_t)-1, "#%zu: at written", i);
        cr_expect(text_is_clean(ok[i], strlen(ok[i])), "#%zu", i);
        cr_expect(text_valid_utf8(ok[i], strlen(ok[i])), "#%zu", i);
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
        size_t n = strlen(bad[i].s);
        cr_expect_eq(check(bad[i].s, n, &at), TEXT_BAD_UTF8, "#%zu", i);
        cr_expect_eq(at, bad[i].at, "#%zu: at %zu", i, at);
        cr_expect_not(text_is_clean(bad[i].s, n), "#%zu", i);
        cr_expect_not(text_valid_utf8(bad[i].s, n), "#%zu", i);
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
        size_t n = strlen(ctl[i].s);
        cr_expect_eq(check(ctl[i].s, n, &at), TEXT_CONTROL, "#%zu", i);
        cr_expect_eq(at, ctl[i].at, "#%zu: at %zu", i, at);
        cr_expect_not(text_is_clean(ctl[i].s, n), "#%zu", i);
        /* Valid UTF-8 all the same. */
        cr_expect(text_valid_utf8(ctl[i].s, n), "#%zu", i);
    }
}

Test(text, an_embedded_nul_is_a_control_character_not_an_end)
{
    const char s[] = "urban_new_jobs\0tail";
    size_t at;
    cr_expect_eq(check(s, sizeof s - 1, &at), TEXT_CONTROL);
    cr_expect_eq(at, 14);
    /* Only the bytes given are read: the prefix alone is clean. */
    cr_expect_eq(check(s, 14, &at), TEXT_CLEAN);
    cr_expect(text_valid_utf8(s, sizeof s - 1));
}

Test(text, the_first_fault_wins_and_has_a_name)
{
    size_t at;
    cr_expect_eq(check("a\x01\xFF", 3, &at), TEXT_CONTROL);
    cr_expect_eq(at, 1);
    cr_expect_eq(check("a\xFF\x01", 3, &at), TEXT_BAD_UTF8);
    cr_expect_eq(at, 1);
    cr_expect_str_eq(text_fault_str(TEXT_BAD_UTF8), "invalid UTF-8");
    cr_expect_str_eq(text_fault_str(TEXT_CONTROL), "a control character");
    cr_expect_not_null(text_fault_str((enum text_fault)99));
}
