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
