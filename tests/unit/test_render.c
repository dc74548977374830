/* test_render.c: one result printed as a table, as CSV and as JSON
 * (admin/render.c): which column goes to which form under which header,
 * alignment by type, the display zone in time headers, CSV quoting, JSON
 * envelopes and key order.
 *
 * Output is printed into open_memstream() buffers and compared byte for
 * byte, so the expected strings spell out every space.
 *
 * INVARIANTS
 *   1. Every result and buffer a test makes is freed in that test (ASan).
 *   2. No test depends on TZ or the locale.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/render.h"
#include "admin/zone.h"

static char *print(const render_t *r, enum render_fmt fmt)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    render_print(r, fmt, f);
    cr_assert_eq(fclose(f), 0);
    cr_assert_not_null(out);
    return out;
}

static void expect_print(const render_t *r, enum render_fmt fmt,
                         const char *want)
{
    char *got = print(r, fmt);
    cr_expect_str_eq(got, want);
    free(got);
}

/* A small answer with one column of each visibility. */
enum { C_CODE, C_NAME, C_NAME_EN, C_VALUE, C_REP, C_NOTE, C_NCOLS };

static const render_col_t cols[C_NCOLS] = {
    [C_CODE] = {.type = CELL_TEXT, .head = "code", .csv = "region",
                .json = "region"},
    [C_NAME] = {.type = CELL_TEXT, .head = "地区", .json = "name_zh"},
    [C_NAME_EN] = {.type = CELL_TEXT, .json = "name_en"},
    [C_VALUE] = {.type = CELL_FIGURE, .head = "value", .json = "value"},
    [C_REP] = {.type = CELL_OF, .head = "reporting",
               .csv = "reporting_regions", .csv2 = "expected_regions",
               .json = "reporting_regions", .json2 = "expected_regions"},
    [C_NOTE] = {.type = CELL_TEXT, .head = "note", .flags = RENDER_NO_CSV},
};

static render_t *sample(void)
{
    render_t *r = render_new(cols, C_NCOLS, ZONE_DEFAULT_OFFSET);
    cell_t a[C_NCOLS] = {cell_text("330100"), cell_text("杭州市"),
                         cell_text("Hangzhou"),
                         cell_figure(1, 12181, 14873), cell_of(14, 14),
                         cell_text("a,b")};
    cell_t b[C_NCOLS] = {cell_text("330106"), cell_text("西湖区"),
                         cell_text("Xihu \"West Lake\""),
                         cell_figure(1, 0, 0), cell_of(0, 1), cell_absent()};
    render_add_row(r, a);
    render_add_row(r, b);
    cr_expect_eq(render_rows(r), 2);
    return r;
}

Test(render, table_aligns_numbers_right_text_left)
{
    render_t *r = sample();
    expect_print(r, RENDER_TABLE,
                 "code    地区                       value  reporting  note\n"
                 "------  ------  ------------------------  ---------  ----\n"
                 "330100  杭州市  81.90% (12,181 / 14,873)      14/14  a,b\n"
                 "330106  西湖区                         -        0/1\n");
    render_destroy(&r);
    cr_expect_null(r);
    render_destroy(&r);
    render_destroy(NULL);
}

Test(render, table_title_footer_and_empty_text)
{
    render_t *r = sample();
    render_title(r, "%s, %d", "title", 7);
    render_footer(r, "foot 1\nfoot %d", 2);
    expect_print(r, RENDER_TABLE,
                 "title, 7\n"
                 "\n"
                 "code    地区                       value  reporting  note\n"
                 "------  ------  ------------------------  ---------  ----\n"
                 "330100  杭州市  81.90% (12,181 / 14,873)      14/14  a,b\n"
                 "330106  西湖区                         -        0/1\n"
                 "\n"
                 "foot 1\n"
                 "foot 2\n");
    /* Title and footer are for people only. */
    char *got = print(r, RENDER_CSV);
    cr_expect_null(strstr(got, "title"));
    cr_expect_null(strstr(got, "foot"));
    free(got);
    render_destroy(&r);

    r = render_new(cols, C_NCOLS, 0);
    render_empty(r, "nothing here");
    expect_print(r, RENDER_TABLE, "nothing here\n");
    expect_print(r, RENDER_JSON, "[\n]\n");
    expect_print(r, RENDER_CSV, "region,地区,value,reporting_regions,"
                                "expected_regions\n");
    render_destroy(&r);
}

Test(render, csv_raw_units_codes_apart_and_quoting)
{
    render_t *r = sample();
    expect_print(r, RENDER_CSV,
                 "region,地区,value,reporting_regions,expected_regions\n"
                 "330100,杭州市,0.8190008741,14,14\n"
                 "330106,西湖区,,0,1\n");
    render_destroy(&r);

    const render_col_t two[] = {
        {.type = CELL_TEXT, .head = "地区"},
        {.type = CELL_TEXT, .head = "备注"},
        {.type = CELL_REGION, .head = "where", .csv = "code"},
    };
    r = render_new(two, 3, 0);
    cell_t r1[] = {cell_text("浙江省"), cell_text("a,b"),
                   cell_region("330000", "浙江省")};
    cell_t r2[] = {cell_text("杭州"), cell_text("他说\"好\"\n第二行"),
                   cell_region("330100", "杭,州")};
    cell_t r3[] = {cell_none(NULL), cell_text("  raw  "),
                   cell_none("-")};
    render_add_row(r, r1);
    render_add_row(r, r2);
    render_add_row(r, r3);
    /* Raw text, no padding, LF line ends, newlines kept inside quotes. */
    expect_print(r, RENDER_CSV,
                 "地区,备注,code,where\n"
                 "浙江省,\"a,b\",330000,浙江省\n"
                 "杭州,\"他说\"\"好\"\"\n第二行\",330100,\"杭,州\"\n"
                 ",  raw  ,,\n");
    render_destroy(&r);
}

Test(render, csv_single_empty_field_is_not_a_blank_line)
{
    const render_col_t one[] = {{.type = CELL_TEXT, .head = "x"}};
    render_t *r = render_new(one, 1, 0);
    cell_t a[] = {cell_text("")};
    cell_t b[] = {cell_text("y")};
    render_add_row(r, a);
    render_add_row(r, b);
    expect_print(r, RENDER_CSV, "x\n\"\"\ny\n");
    render_destroy(&r);
}

/* An export prints page by page and forgets each: the pieces are the
 * CSV of all the rows, the header once. */
Test(render, csv_in_pieces_is_the_csv_of_all_rows)
{
    const render_col_t two[] = {{.type = CELL_TEXT, .head = "x"},
                                 {.type = CELL_INT, .head = "n"}};
    render_t *all = render_new(two, 2, 0);
    render_t *r = render_new(two, 2, 0);
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    render_csv_flush(r, f); /* no rows yet: the header */
    for (int page = 0; page < 3; page++) {
        for (int i = 0; i < 4; i++) {
            char t[16];
            snprintf(t, sizeof t, "p%d,%d", page, i);
            cell_t row[] = {cell_text(t), cell_int(page * 10 + i)};
            render_add_row(r, row);
            render_add_row(all, row);
        }
        render_csv_flush(r, f);
        cr_expect_eq(render_rows(r), 0);
    }
    cr_assert_eq(fclose(f), 0);
    char *want = print(all, RENDER_CSV);
    cr_expect_str_eq(out, want);
    free(want);
    free(out);
    render_destroy(&r);
    render_destroy(&all);
}

/* Rows of a list too long to hold, added in pages of @p page to @p r
 * (and all to @p all), each page handed to @p each. */
static void add_pages(render_t *r, render_t *all, int page,
                      void (*each)(render_t *, FILE *), FILE *f)
{
    static const char *const names[] = {"杭州市", "景宁畲族自治县", "舟山",
                                        "Zhoushan", "西湖区"};
    for (int i = 0; i < 11; i++) {
        char code[16];
        snprintf(code, sizeof code, "3301%02d", i);
        cell_t row[C_NCOLS] = {cell_text(code), cell_text(names[i % 5]),
                               cell_text("x"), cell_figure(0, i * 997, 0),
                               cell_of((uint64_t)i, 19),
                               i == 3 ? cell_absent() : cell_text("n")};
        render_add_row(r, row);
        if (all != NULL) {
            render_add_row(all, row);
        }
        if ((i + 1) % page == 0 || i == 10) {
            each(r, f);
            cr_expect_eq(render_rows(r), 0);
        }
    }
}

static void fit(render_t *r, FILE *f)
{
    (void)f;
    render_table_fit(r);
}

/* A completeness prints its table in two passes over the same rows,
 * holding one page: the same lines as the table of all the rows, the
 * title first, Chinese names lined up; and its JSON in pieces. */
Test(render, table_and_json_in_pieces_are_those_of_all_rows)
{
    for (int page = 1; page <= 12; page += 5) {
        render_t *all = render_new(cols, C_NCOLS, 0);
        render_t *r = render_new(cols, C_NCOLS, 0);
        render_title(all, "title %d", page);
        render_footer(all, "foot");
        render_title(r, "title %d", page);
        render_footer(r, "foot");
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        cr_assert_not_null(f);
        add_pages(r, all, page, fit, f);
        add_pages(r, NULL, page, render_table_flush, f);
        render_table_end(r, f);
        cr_assert_eq(fclose(f), 0);
        char *want = print(all, RENDER_TABLE);
        cr_expect_str_eq(out, want, "pages of %d", page);
        cr_expect(strstr(want, "330101  景宁畲族自治县    997") != NULL &&
                      strstr(want, "330100  杭州市              0") != NULL,
                  "%s", want);
        free(want);
        free(out);
        render_destroy(&r);

        r = render_new(cols, C_NCOLS, 0);
        out = NULL;
        f = open_memstream(&out, &size);
        cr_assert_not_null(f);
        add_pages(r, NULL, page, render_json_flush, f);
        render_json_end(r, f);
        fputc('\n', f);
        cr_assert_eq(fclose(f), 0);
        want = print(all, RENDER_JSON);
        cr_expect_str_eq(out, want, "pages of %d", page);
        free(want);
        free(out);
        render_destroy(&r);
        render_destroy(&all);
    }
}

/* Nothing fit: the empty text (and no header), as render_print() does;
 * no rows but some fit (they went between the passes): the header. */
Test(render, table_in_pieces_of_no_rows)
{
    render_t *r = render_new(cols, C_NCOLS, 0);
    render_empty(r, "nothing here");
    render_title(r, "t");
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    render_table_fit(r);
    render_table_flush(r, f);
    render_table_end(r, f);
    cr_assert_eq(fclose(f), 0);
    cr_expect_str_eq(out, "t\n\nnothing here\n");
    free(out);
    render_destroy(&r);

    r = render_new(cols, C_NCOLS, 0);
    render_empty(r, "nothing here");
    add_pages(r, NULL, 4, fit, NULL);
    f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    render_table_end(r, f);
    render_json_end(r, f);
    cr_assert_eq(fclose(f), 0);
    cr_expect_str_eq(out,
                     "code    地区            value  reporting  note\n"
                     "------  --------------  -----  ---------  ----\n"
                     "[\n]");
    free(out);
    render_destroy(&r);
}

Test(render, json_rows_keys_and_absent_members)
{
    render_t *r = sample();
    expect_print(r, RENDER_JSON,
                 "[\n"
                 "  {\"region\": \"330100\", \"name_zh\": \"杭州市\", "
                 "\"name_en\": \"Hangzhou\", \"value\": 0.8190008741, "
                 "\"reporting_regions\": 14, \"expected_regions\": 14},\n"
                 "  {\"region\": \"330106\", \"name_zh\": \"西湖区\", "
                 "\"name_en\": \"Xihu \\\"West Lake\\\"\", \"value\": null, "
                 "\"reporting_regions\": 0, \"expected_regions\": 1}\n"
                 "]\n");
    /* A command's own envelope: one object at a time. */
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    render_json_row(r, 1, f);
    fclose(f);
    cr_expect(strncmp(out, "{\"region\": \"330106\"", 19) == 0, "%s", out);
    cr_expect_eq(out[strlen(out) - 1], '}');
    free(out);
    render_destroy(&r);

    const render_col_t opt[] = {
        {.type = CELL_TEXT, .head = "a", .json = "a"},
        {.type = CELL_INT, .json = "numerator"},
        {.type = CELL_TEXT, .head = "b", .json = "b"},
    };
    r = render_new(opt, 3, 0);
    cell_t x[] = {cell_text("1"), cell_absent(), cell_text("2")};
    cell_t y[] = {cell_none(NULL), cell_int(5), cell_text("3")};
    render_add_row(r, x);
    render_add_row(r, y);
    expect_print(r, RENDER_JSON,
                 "[\n  {\"a\": \"1\", \"b\": \"2\"},\n"
                 "  {\"a\": null, \"numerator\": 5, \"b\": \"3\"}\n]\n");
    /* Keys may keep an order other than the table's. */
    const size_t order[] = {2, 0, 1};
    render_order_json(r, order);
    expect_print(r, RENDER_JSON,
                 "[\n  {\"b\": \"2\", \"a\": \"1\"},\n"
                 "  {\"b\": \"3\", \"a\": null, \"numerator\": 5}\n]\n");
    render_destroy(&r);
}

Test(render, time_headers_name_the_display_zone)
{
    const render_col_t t[] = {
        {.type = CELL_TIME, .head = "received", .json = "received_at"},
        {.type = CELL_ID, .head = "seq", .json = "seq"},
    };
    long offsets[] = {ZONE_DEFAULT_OFFSET, 0, -5 * 3600};
    const char *want[] = {
        "received (UTC+8)     seq\n"
        "-------------------  ---\n"
        "2025-11-25 00:00:00  474\n",
        "received (UTC)       seq\n"
        "-------------------  ---\n"
        "2025-11-24 16:00:00  474\n",
        "received (UTC-5)     seq\n"
        "-------------------  ---\n"
        "2025-11-24 11:00:00  474\n"};
    for (size_t i = 0; i < 3; i++) {
        render_t *r = render_new(t, 2, offsets[i]);
        cell_t row[] = {cell_time(1764000000), cell_id(474)};
        render_add_row(r, row);
        expect_print(r, RENDER_TABLE, want[i]);
        if (i == 0) {
            expect_print(r, RENDER_CSV, "received (UTC+8),seq\n"
                                        "2025-11-25 00:00:00,474\n");
            expect_print(r, RENDER_JSON, "[\n  {\"received_at\": "
                                         "1764000000, \"seq\": 474}\n]\n");
        }
        render_destroy(&r);
    }
}

Test(render, many_rows_and_copied_cells)
{
    const render_col_t one[] = {{.type = CELL_INT, .head = "n",
                                 .json = "n"}};
    render_t *r = render_new(one, 1, 0);
    for (int i = 0; i < 1000; i++) {
        cell_t c[] = {cell_int(i * 1000)};
        render_add_row(r, c);
    }
    cr_expect_eq(render_rows(r), 1000);
    char *got = print(r, RENDER_TABLE);
    cr_expect(strncmp(got, "      n\n-------\n      0\n", 24) == 0, "%s",
              got);
    cr_expect_neq(strstr(got, "\n999,000\n"), NULL);
    free(got);
    render_destroy(&r);

    char text[] = "杭州";
    const render_col_t c1[] = {{.type = CELL_TEXT, .head = "名称"}};
    r = render_new(c1, 1, 0);
    cell_t c[] = {cell_text(text)};
    render_add_row(r, c);
    memset(text, 'y', sizeof text - 1);
    expect_print(r, RENDER_TABLE, "名称\n----\n杭州\n");
    render_destroy(&r);
}

/* ------------------------------------------------------------------ */
/* Item 7: text from the wire or an old store, shown safely.           */

#define FFFD "\xEF\xBF\xBD"

/* One text column of hostile strings: a terminal title and bell, a
 * colour, an 8-bit CSI as C1 (C2 9B) and as a raw byte, DEL, ill-formed
 * UTF-8, a CR, a TAB and a LF. */
static render_t *hostile(void)
{
    static const render_col_t tc[] = {
        {.type = CELL_TEXT, .head = "agent", .json = "agent"},
        {.type = CELL_INT, .head = "n", .json = "n"},
    };
    render_t *r = render_new(tc, 2, 0);
    cell_t a[] = {cell_text("x\x1b]0;owned\x07y"), cell_int(1)};
    cell_t b[] = {cell_text("\x1b[31mred\xC2\x9B" "2J\x9b" "K\x7f"),
                  cell_int(22)};
    cell_t c[] = {cell_text("\xE4\xB8" "A\xFF" "西"), cell_int(333)};
    cell_t d[] = {cell_text("a\rb\tc\nd"), cell_int(4)};
    render_add_row(r, a);
    render_add_row(r, b);
    render_add_row(r, c);
    render_add_row(r, d);
    return r;
}

/* CSV used to carry every byte: escapes reached the terminal of whoever
 * looked at `hrssctl rejections --csv`. Now only LF (quoted, RFC 4180)
 * is kept of the controls. */
Test(render, csv_shows_no_control_and_no_invalid_utf8)
{
    render_t *r = hostile();
    expect_print(r, RENDER_CSV,
                 "agent,n\n"
                 "x" FFFD "]0;owned" FFFD "y,1\n"
                 FFFD "[31mred" FFFD "2J" FFFD "K" FFFD ",22\n"
                 FFFD "A" FFFD "西,333\n"
                 "\"a" FFFD "b" FFFD "c\nd\",4\n");
    render_destroy(&r);
}

/* The table replaces each control and bad sequence with one U+FFFD, one
 * column wide, so the numbers still line up. */
Test(render, table_shows_no_control_and_lines_up)
{
    render_t *r = hostile();
    expect_print(r, RENDER_TABLE,
                 "agent             n\n"
                 "--------------  ---\n"
                 "x" FFFD "]0;owned" FFFD "y      1\n"
                 FFFD "[31mred" FFFD "2J" FFFD "K" FFFD "   22\n"
                 FFFD "A" FFFD "西           333\n"
                 "a" FFFD "b" FFFD "c" FFFD "d           4\n");
    render_destroy(&r);
}

/* JSON stays valid JSON in valid UTF-8: controls escaped, bad bytes
 * \ufffd. */
Test(render, json_escapes_controls_and_replaces_invalid_utf8)
{
    render_t *r = hostile();
    expect_print(r, RENDER_JSON,
                 "[\n"
                 "  {\"agent\": \"x\\u001b]0;owned\\u0007y\", \"n\": 1},\n"
                 "  {\"agent\": \"\\u001b[31mred\\u009b2J\\ufffdK\\u007f\", "
                 "\"n\": 22},\n"
                 "  {\"agent\": \"\\ufffdA\\ufffd西\", \"n\": 333},\n"
                 "  {\"agent\": \"a\\rb\\tc\\nd\", \"n\": 4}\n"
                 "]\n");
    render_destroy(&r);
}

/* A title may quote what the collector said (a period, a code): it is
 * cleaned too; its own line breaks stay. */
Test(render, title_footer_and_empty_text_show_no_control)
{
    render_t *r = hostile();
    render_title(r, "%s: 1\nline 2", "2025-12\x1b[2J");
    render_footer(r, "%s", "foot\x9b");
    char *got = print(r, RENDER_TABLE);
    const char *head = "2025-12" FFFD "[2J: 1\nline 2\n\nagent ";
    cr_expect(strncmp(got, head, strlen(head)) == 0, "%s", got);
    cr_expect(strstr(got, "\nfoot" FFFD "\n") != NULL, "%s", got);
    cr_expect_null(strchr(got, '\x1b'));
    free(got);
    render_destroy(&r);
    const render_col_t one[] = {{.type = CELL_TEXT, .head = "x"}};
    r = render_new(one, 1, 0);
    render_empty(r, "none for \x1b[5m");
    expect_print(r, RENDER_TABLE, "none for " FFFD "[5m\n");
    render_destroy(&r);
}

/* ------------------------------------------------------------------ */
/* A screen's width (issue 11)                                         */

/* The sample's columns, with ways to give way: the note may go, the
 * name wraps and has a short header. */
static render_t *sample_giving_way(size_t width)
{
    render_col_t c[C_NCOLS];
    memcpy(c, cols, sizeof c);
    c[C_NAME].flags |= RENDER_WRAP;
    c[C_NAME].narrow = "名";
    c[C_NOTE].drop = 1;
    render_t *r = render_new(c, C_NCOLS, 0);
    cell_t a[C_NCOLS] = {cell_text("330100"),
                         cell_text("杭州市上城区西湖区滨江区萧山区余杭区"),
                         cell_text("Hangzhou"),
                         cell_figure(1, 12181, 14873), cell_of(14, 14),
                         cell_text("a,b")};
    render_add_row(r, a);
    render_title(r, "a title that is longer than the screen is wide");
    render_footer(r, "a footer");
    render_width(r, width);
    return r;
}

/* Too narrow even with the name at RENDER_WRAP_MIN: the note goes, the
 * name wraps (below RENDER_WRAP_MIN once nothing else can go), the title
 * wraps, and a note says what was left out. */
Test(render, a_narrow_screen_leaves_out_by_rank_and_says_so)
{
    render_t *r = sample_giving_way(60);
    expect_print(r, RENDER_TABLE,
                 "a title that is longer than the screen is wide\n"
                 "\n"
                 "code    名                                  value  "
                 "reporting\n"
                 "------  ---------------  ------------------------  "
                 "---------\n"
                 "330100  杭州市上城区西   81.90% (12,181 / 14,873)      "
                 "14/14\n"
                 "        湖区滨江区萧山\n"
                 "        区余杭区\n"
                 "\n"
                 "a footer\n"
                 "\n"
                 "note left out to fit 60 columns; --wide shows it.\n");
    render_destroy(&r);
    r = sample_giving_way(30);
    char *got = print(r, RENDER_TABLE);
    cr_expect(strncmp(got, "a title that is longer than\nthe screen is "
                           "wide\n",
                      strlen("a title that is longer than\nthe screen is "
                             "wide\n")) == 0,
              "%s", got);
    cr_expect(strstr(got, "81.90% (12,181 / 14,873)") != NULL, "%s", got);
    free(got);
    render_destroy(&r);
}

/* A table that fits is printed as without a screen; CSV and JSON never
 * change with the width. */
Test(render, the_width_changes_only_a_table_too_wide)
{
    render_t *r0 = sample_giving_way(0);
    render_t *r = sample_giving_way(20);
    render_t *wide = sample_giving_way(1000);
    char *want = print(r0, RENDER_TABLE);
    char *got = print(wide, RENDER_TABLE);
    cr_expect_str_eq(got, want);
    free(got);
    free(want);
    static const enum render_fmt fmts[] = {RENDER_CSV, RENDER_JSON};
    for (size_t i = 0; i < 2; i++) {
        want = print(r0, fmts[i]);
        got = print(r, fmts[i]);
        cr_expect_str_eq(got, want);
        free(got);
        free(want);
    }
    render_destroy(&r0);
    render_destroy(&r);
    render_destroy(&wide);
}
