/* test_table.c: display width and aligned tables in admin/table.c.
 *
 * Tables are printed into open_memstream() buffers and compared byte for
 * byte, so every expected string below spells out the padding exactly.
 * Chinese text is written as UTF-8 literals; the expected widths are
 * counted by hand (two columns per ideograph).
 *
 * INVARIANTS
 *   1. Every table a test makes is destroyed in that test, and every
 *      memstream buffer is freed (the suite runs under ASan).
 *   2. No test depends on the process locale.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/table.h"

/* Everything table_print() writes, as a NUL-terminated string that the
 * caller frees. */
static char *print_to_string(const table_t *t)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    table_print(t, f);
    cr_assert_eq(fclose(f), 0);
    cr_assert_not_null(out);
    return out;
}

/* Check that no line of @p text ends in a space. */
static void expect_no_trailing_spaces(const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n') {
            cr_expect(p == text || p[-1] != ' ',
                      "trailing space before offset %zu",
                      (size_t)(p - text));
        }
    }
}

/* ------------------------------------------------------------------ */

Test(table, width_ascii_and_cjk)
{
    cr_expect_eq(table_text_width(""), 0);
    cr_expect_eq(table_text_width("abc"), 3);
    cr_expect_eq(table_text_width("浙江省"), 6);
    cr_expect_eq(table_text_width("城镇新增就业人数"), 16);
    cr_expect_eq(table_text_width("万人"), 4);
    cr_expect_eq(table_text_width("A杭州B"), 6);
}

Test(table, width_fullwidth_and_punctuation)
{
    cr_expect_eq(table_text_width("％"), 2);              /* U+FF05 */
    cr_expect_eq(table_text_width("（万人）"), 8);        /* U+FF08, U+FF09 */
    cr_expect_eq(table_text_width("，。"), 4);            /* U+FF0C, U+3002 */
    cr_expect_eq(table_text_width("\xe3\x80\x80"), 2);    /* U+3000 space */
    cr_expect_eq(table_text_width("ｱ"), 1);               /* U+FF71 halfwidth */
    cr_expect_eq(table_text_width("한국"), 4);            /* hangul */
    cr_expect_eq(table_text_width("かな"), 4);            /* hiragana */
    cr_expect_eq(table_text_width("\xf0\xa0\x80\x80"), 2); /* U+20000 ext B */
    cr_expect_eq(table_text_width("\xf0\x9f\x98\x80"), 2); /* U+1F600 emoji */
    cr_expect_eq(table_text_width("é"), 1);               /* U+00E9 */
}

Test(table, width_zero_width)
{
    cr_expect_eq(table_text_width("e\xcc\x81"), 1);       /* e + U+0301 */
    cr_expect_eq(table_text_width("a\xe2\x80\x8d" "b"), 2); /* ZWJ U+200D */
    cr_expect_eq(table_text_width("a\xe2\x80\x8b" "b"), 2); /* ZWSP U+200B */
    cr_expect_eq(table_text_width("\xe2\x9c\x93\xef\xb8\x8f"), 1); /* VS16 */
    cr_expect_eq(table_text_width("a\tb\n"), 2);          /* controls */
    cr_expect_eq(table_text_width("\xc2\x85"), 0);        /* C1 NEL */
    cr_expect_eq(table_text_width(NULL), 0);
}

Test(table, width_invalid_bytes)
{
    cr_expect_eq(table_text_width("\xff"), 1);
    cr_expect_eq(table_text_width("a\xff" "b"), 3);
    cr_expect_eq(table_text_width("\x80\x80"), 2);        /* stray continuation */
    cr_expect_eq(table_text_width("\xc0\xaf"), 2);        /* overlong '/' */
    cr_expect_eq(table_text_width("\xed\xa0\x80"), 3);    /* surrogate D800 */
    cr_expect_eq(table_text_width("\xf4\x90\x80\x80"), 4); /* > U+10FFFF */
    /* Truncated 3-byte lead then ASCII: each bad byte one column. */
    cr_expect_eq(table_text_width("\xe6\xb5" "A"), 3);
    /* Truncated at the end of the string: no read past the NUL. */
    cr_expect_eq(table_text_width("\xe6\xb5"), 2);
}

/* ------------------------------------------------------------------ */

Test(table, print_aligned_chinese)
{
    const char *headers[] = {"地区", "City", "人数"};
    const enum table_align align[] = {TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT};
    table_t *t = table_new(3, headers, align);
    cr_assert_not_null(t);
    cr_expect_eq(table_rows(t), 0);

    const char *r1[] = {"杭州市", "Hangzhou", "35.12"};
    const char *r2[] = {"舟山", "Zhoushan", "2.07"};
    const char *r3[] = {"浙江省", "Zhejiang", "128.50"};
    table_add_row(t, r1);
    table_add_row(t, r2);
    table_add_row(t, r3);
    cr_expect_eq(table_rows(t), 3);

    /* Widths: 6 (浙江省), 8 (Hangzhou), 6 (128.50). */
    const char *want = "地区    City        人数\n"
                       "------  --------  ------\n"
                       "杭州市  Hangzhou   35.12\n"
                       "舟山    Zhoushan    2.07\n"
                       "浙江省  Zhejiang  128.50\n";
    char *got = print_to_string(t);
    cr_expect_str_eq(got, want);
    expect_no_trailing_spaces(got);

    /* Right-aligned last column: every line ends at the same column. */
    size_t lines = 0;
    for (char *line = got; *line != '\0'; lines++) {
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        cr_expect_eq(table_text_width(line), 6 + 2 + 8 + 2 + 6, "line '%s'",
                     line);
        line = nl + 1;
    }
    cr_expect_eq(lines, 5);

    free(got);
    table_destroy(&t);
    cr_expect_null(t);
}

Test(table, print_left_last_column_has_no_trailing_spaces)
{
    const char *headers[] = {"指标", "说明"};
    /* NULL align: every column left-aligned. */
    table_t *t = table_new(2, headers, NULL);
    const char *r1[] = {"城镇新增就业人数", "万人"};
    const char *r2[] = {"失业率", NULL};
    const char *r3[] = {"a\nb", "x\ty "};
    table_add_row(t, r1);
    table_add_row(t, r2);
    table_add_row(t, r3);

    /* Widths 16 and 4; newline and tab print as one space each, and the
     * padding of the last column (and its own trailing blank) is cut. */
    const char *want = "指标              说明\n"
                       "----------------  ----\n"
                       "城镇新增就业人数  万人\n"
                       "失业率\n"
                       "a b               x y\n";
    char *got = print_to_string(t);
    cr_expect_str_eq(got, want);
    expect_no_trailing_spaces(got);
    free(got);
    table_destroy(&t);
}

Test(table, print_sanitises_controls_and_invalid_bytes)
{
    const char *headers[] = {"k", "v"};
    const enum table_align align[] = {TABLE_LEFT, TABLE_RIGHT};
    table_t *t = table_new(2, headers, align);
    /* ESC must not reach the terminal; an invalid byte shows as '?'. */
    const char *r1[] = {"\x1b[2J", "\xff"};
    table_add_row(t, r1);
    const char *want = "k     v\n"
                       "----  -\n"
                       " [2J  ?\n";
    char *got = print_to_string(t);
    cr_expect_str_eq(got, want);
    cr_expect_null(strchr(got, '\x1b'));
    free(got);
    table_destroy(&t);
}

Test(table, print_header_only_and_empty_cells)
{
    const char *headers[] = {"年份", "", "值"};
    const enum table_align align[] = {TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT};
    table_t *t = table_new(3, headers, align);
    char *got = print_to_string(t);
    /* The empty middle column is zero wide but keeps its separators. */
    cr_expect_str_eq(got, "年份    值\n"
                          "----    --\n");
    free(got);

    const char *r1[] = {"2025", NULL, NULL};
    table_add_row(t, r1);
    got = print_to_string(t);
    cr_expect_str_eq(got, "年份    值\n"
                          "----    --\n"
                          "2025\n");
    expect_no_trailing_spaces(got);
    free(got);
    table_destroy(&t);
}

Test(table, many_rows_grow)
{
    const char *headers[] = {"n"};
    const enum table_align align[] = {TABLE_RIGHT};
    table_t *t = table_new(1, headers, align);
    char cell[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(cell, sizeof cell, "%d", i);
        const char *row[] = {cell};
        table_add_row(t, row);
    }
    cr_expect_eq(table_rows(t), 1000);
    char *got = print_to_string(t);
    cr_expect_eq(strncmp(got, "  n\n---\n  0\n  1\n", 16), 0);
    cr_expect_neq(strstr(got, "\n 99\n100\n"), NULL);
    size_t len = strlen(got);
    cr_assert_geq(len, 8);
    cr_expect_str_eq(got + len - 8, "998\n999\n");
    free(got);
    table_destroy(&t);
}

Test(table, destroy_null_and_twice)
{
    table_t *t = NULL;
    table_destroy(&t);
    table_destroy(NULL);
    const char *headers[] = {"a"};
    t = table_new(1, headers, NULL);
    table_destroy(&t);
    cr_expect_null(t);
    table_destroy(&t);
    cr_expect_null(t);
}

Test(table, cells_are_copied)
{
    char header[] = "名称";
    char cell[] = "杭州";
    const char *headers[] = {header};
    table_t *t = table_new(1, headers, NULL);
    const char *row[] = {cell};
    table_add_row(t, row);
    memset(header, 'x', sizeof header - 1);
    memset(cell, 'y', sizeof cell - 1);
    char *got = print_to_string(t);
    cr_expect_str_eq(got, "名称\n----\n杭州\n");
    free(got);
    table_destroy(&t);
}

/* A table too long to hold: fit every row, then print the head and each
 * row again. The lines are those of table_print() with the rows added,
 * Chinese names lined up by display width. */
Test(table, two_passes_print_what_table_print_prints)
{
    const char *headers[] = {"code", "地区", "人数", "note"};
    const enum table_align align[] = {TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT,
                                      TABLE_LEFT};
    const char *rows[][4] = {
        {"330100", "杭州市", "35.12", "a"},
        {"330127", "淳安县", "2.07", NULL},
        {"331127", "景宁畲族自治县", "128.50", "long note, the last"},
        {"330000", "浙江省", "1", ""},
    };
    size_t n = sizeof rows / sizeof rows[0];
    table_t *whole = table_new(4, headers, align);
    table_t *t = table_new(4, headers, align);
    for (size_t i = 0; i < n; i++) {
        table_add_row(whole, rows[i]);
        table_fit(t, rows[i]);
    }
    cr_expect_eq(table_rows(t), 0, "a row fit is not kept");
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    table_print_head(t, f);
    for (size_t i = 0; i < n; i++) {
        table_print_row(t, rows[i], f);
    }
    cr_assert_eq(fclose(f), 0);
    char *want = print_to_string(whole);
    cr_expect_str_eq(out, want);
    cr_expect(strstr(want, "景宁畲族自治县  128.50  long note, the last\n"
                           "330000  浙江省               1\n") != NULL,
              "%s", want);
    expect_no_trailing_spaces(out);
    free(want);
    free(out);
    table_destroy(&whole);
    table_destroy(&t);
}

/* A row of the second pass wider than those fit is printed whole. */
Test(table, a_row_wider_than_fit_is_printed_whole)
{
    const char *headers[] = {"a", "b"};
    table_t *t = table_new(2, headers, NULL);
    const char *fit[] = {"xy", "z"};
    table_fit(t, fit);
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    table_print_head(t, f);
    const char *wide[] = {"杭州市", "z"};
    table_print_row(t, wide, f);
    table_print_row(t, fit, f);
    cr_assert_eq(fclose(f), 0);
    cr_expect_str_eq(out, "a   b\n"
                          "--  -\n"
                          "杭州市  z\n"
                          "xy  z\n");
    free(out);
    table_destroy(&t);
}

/* ------------------------------------------------------------------ */
/* Fitting a screen (issue 11)                                         */

/* The widest line of @p text, by display width. */
static size_t widest_line(const char *text)
{
    size_t widest = 0;
    const char *p = text;
    while (*p != '\0') {
        size_t n = strcspn(p, "\n");
        char *line = strndup(p, n);
        cr_assert_not_null(line);
        size_t w = table_text_width(line);
        widest = w > widest ? w : widest;
        free(line);
        p += n + (p[n] == '\n');
    }
    return widest;
}

/* A progress-like table: a long Chinese name, a unit, figures. */
static table_t *progress_like(void)
{
    const char *headers[] = {"指标 indicator", "单位", "2025 目标",
                             "现值 value", "regions"};
    const enum table_align align[] = {TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT,
                                      TABLE_RIGHT, TABLE_RIGHT};
    table_t *t = table_new(5, headers, align);
    const char *rows[][5] = {
        {"城镇新增就业人数", "万人", "〔500〕", "548.47", "101/102"},
        {"其中:新增取得高级工以上职业资格证书或职业技能等级证书人数", "万人",
         "〔100〕", "86.09", "101/102"},
        {"专业技术人才总量(含在管理岗位的专技人才)", "万人", "680",
         "4,682.91", "99/102"},
    };
    for (size_t i = 0; i < 3; i++) {
        table_add_row(t, rows[i]);
    }
    table_give_t name = {"指标", 16, 0};
    table_give_t value = {"现值", 0, 0};
    table_set_give(t, 0, &name);
    table_set_give(t, 3, &value);
    return t;
}

/* Without a screen, and on a screen wide enough, the table is what it
 * always was: no narrow header, no wrapped line. */
Test(table, a_table_that_fits_is_printed_unchanged)
{
    table_t *t = progress_like();
    char *whole = print_to_string(t);
    size_t natural = widest_line(whole);
    cr_expect_gt(natural, 80, "the test table must not fit 80: %zu",
                 natural);
    table_set_width(t, natural);
    char *fits = print_to_string(t);
    cr_expect_str_eq(fits, whole);
    table_set_width(t, natural - 1);
    char *narrower = print_to_string(t);
    cr_expect_str_neq(narrower, whole);
    free(narrower);
    free(fits);
    free(whole);
    table_destroy(&t);
}

/* At 40, 60 and 80 columns: no line wider than the screen, the figures
 * whole and right-aligned at the line's end, the name wrapped onto
 * continuation lines that carry no figure. */
Test(table, a_narrow_screen_wraps_the_name_and_keeps_the_numbers)
{
    static const size_t widths[] = {40, 60, 80};
    for (size_t i = 0; i < 3; i++) {
        table_t *t = progress_like();
        table_set_width(t, widths[i]);
        char *out = print_to_string(t);
        cr_expect_leq(widest_line(out), widths[i], "at %zu:\n%s", widths[i],
                      out);
        cr_expect(strncmp(out, "指标 ", strlen("指标 ")) == 0 &&
                      strstr(out, "indicator") == NULL,
                  "narrow header at %zu:\n%s", widths[i], out);
        cr_expect(strstr(out, "  〔100〕     86.09  101/102\n") != NULL,
                  "figures whole at %zu:\n%s", widths[i], out);
        cr_expect(strstr(out, "4,682.91   99/102\n") != NULL, "%s", out);
        cr_expect(strstr(out, widths[i] > 40 ? "证书人数\n" : "\n人数\n") !=
                      NULL,
                  "the name's last line at %zu:\n%s", widths[i], out);
        for (size_t c = 0; c < 5; c++) {
            cr_expect(table_shown(t, c), "column %zu shown at %zu", c,
                      widths[i]);
        }
        expect_no_trailing_spaces(out);
        free(out);
        table_destroy(&t);
    }
}

/* Columns are left out by rank, lowest first, and only when wrapping
 * down to wrap_min is not enough; the rule never runs past the screen. */
Test(table, columns_are_left_out_by_rank_when_wrapping_is_not_enough)
{
    const char *headers[] = {"name", "aaaaaaaaaa", "bbbbbbbbbb", "n"};
    const enum table_align align[] = {TABLE_LEFT, TABLE_LEFT, TABLE_LEFT,
                                      TABLE_RIGHT};
    table_t *t = table_new(4, headers, align);
    const char *row[] = {"one two three four five six seven eight nine",
                         "x", "y", "12,345"};
    table_add_row(t, row);
    table_give_t wrap = {NULL, 10, 0};
    table_give_t first = {NULL, 0, 1};
    table_give_t second = {NULL, 0, 2};
    table_set_give(t, 0, &wrap);
    table_set_give(t, 1, &second);
    table_set_give(t, 2, &first);
    /* 10 + 10 + 10 + 6 + 6: everything fits with the name at 10. */
    table_set_width(t, 42);
    cr_expect(table_shown(t, 1) && table_shown(t, 2));
    /* One less: b (rank 1) goes, a stays, the name gets the room back. */
    table_set_width(t, 41);
    cr_expect(table_shown(t, 0) && table_shown(t, 1) && table_shown(t, 3));
    cr_expect_not(table_shown(t, 2));
    char *out = print_to_string(t);
    cr_expect_str_eq(out, "name                   aaaaaaaaaa       n\n"
                          "---------------------  ----------  ------\n"
                          "one two three four     x           12,345\n"
                          "five six seven eight\n"
                          "nine\n");
    free(out);
    /* Too narrow for anything that can go: a is left out too, the name
     * wraps below wrap_min, the number stays whole, the rule is cut. */
    table_set_width(t, 12);
    cr_expect_not(table_shown(t, 1));
    out = print_to_string(t);
    cr_expect_str_eq(out, "name       n\n"
                          "----  ------\n"
                          "one   12,345\n"
                          "two\n"
                          "thre\n"
                          "e\n"
                          "four\n"
                          "five\n"
                          "six\n"
                          "seve\n"
                          "n\n"
                          "eigh\n"
                          "t\n"
                          "nine\n");
    free(out);
    table_set_width(t, 5);
    out = print_to_string(t);
    const char *rule = strstr(out, "\n--");
    cr_assert_not_null(rule, "%s", out);
    cr_expect_eq(strcspn(rule + 1, "\n"), 5, "the rule is cut:\n%s", out);
    free(out);
    table_destroy(&t);
}

/* The two-pass print lays rows out as table_print() does on a screen. */
Test(table, two_passes_on_a_screen_print_what_table_print_prints)
{
    table_t *whole = progress_like();
    table_set_width(whole, 50);
    const char *headers[] = {"指标 indicator", "单位", "2025 目标",
                             "现值 value", "regions"};
    const enum table_align align[] = {TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT,
                                      TABLE_RIGHT, TABLE_RIGHT};
    table_t *t = table_new(5, headers, align);
    table_give_t name = {"指标", 16, 0};
    table_give_t value = {"现值", 0, 0};
    table_set_give(t, 0, &name);
    table_set_give(t, 3, &value);
    table_set_width(t, 50);
    const char *rows[][5] = {
        {"城镇新增就业人数", "万人", "〔500〕", "548.47", "101/102"},
        {"其中:新增取得高级工以上职业资格证书或职业技能等级证书人数", "万人",
         "〔100〕", "86.09", "101/102"},
        {"专业技术人才总量(含在管理岗位的专技人才)", "万人", "680",
         "4,682.91", "99/102"},
    };
    for (size_t i = 0; i < 3; i++) {
        table_fit(t, rows[i]);
    }
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    table_print_head(t, f);
    for (size_t i = 0; i < 3; i++) {
        table_print_row(t, rows[i], f);
    }
    cr_assert_eq(fclose(f), 0);
    char *want = print_to_string(whole);
    cr_expect_str_eq(out, want);
    free(want);
    free(out);
    table_destroy(&whole);
    table_destroy(&t);
}

/* Text wraps at spaces, between Chinese characters (never before a
 * closing mark), after '_' in a code, after '-' in an id but not in a
 * period; a line that fits is left alone. */
Test(table, text_wraps_at_spaces_cjk_and_underscores)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    table_print_text("on track = at or above a line\nshort", 12, f);
    table_print_text("浙江省人力资源和社会保障，规划", 10, f);
    table_print_text("urban_surveyed_unemployment_rate", 16, f);
    table_print_text("office-330102-hangzhou through 2025-01.", 16, f);
    table_print_text("left alone  ", 0, f);
    cr_assert_eq(fclose(f), 0);
    cr_expect_str_eq(out, "on track =\n"
                          "at or above\n"
                          "a line\n"
                          "short\n"
                          "浙江省人力\n"
                          "资源和社会\n"
                          "保障，规划\n"
                          "urban_surveyed_\n"
                          "unemployment_\n"
                          "rate\n"
                          "office-330102-\n"
                          "hangzhou through\n"
                          "2025-01.\n"
                          "left alone\n");
    free(out);
}
