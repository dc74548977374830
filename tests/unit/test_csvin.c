/* test_csvin.c: an office's CSV read into validated rows (agent/csvin.c).
 *
 * Every test runs against the shipped catalog (HRSS_TEST_CATALOG_DIR) as
 * the agent of 杭州市 (330100) in November 2026. In-memory inputs go
 * through csvin_parse() with the name "t.csv"; file tests write into
 * their own mkdtemp directory under /tmp and go through
 * csvin_read_file(). GBK input is produced from UTF-8 with iconv, so the
 * test source stays UTF-8.
 *
 * INVARIANTS
 *   1. Every rows array and error string a test receives is freed in that
 *      test; the catalog is destroyed by the fixture.
 *   2. File tests leave nothing behind in /tmp (fini unlinks the file and
 *      removes the directory, even after a failed assertion).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/csvin.h"
#include "common/catalog.h"
#include "common/mem.h"
#include "common/period.h"

#ifndef HRSS_TEST_CATALOG_DIR
#error "HRSS_TEST_CATALOG_DIR must name the shipped catalog directory"
#endif

#define HDR "indicator,period,value,numerator,denominator,region\n"

static catalog_t *cat;
static update_scope_t opts;
static char tmpdir[64];
static char tmpfile_path[128];

static void setup(void)
{
    char err[ERR_LEN] = "";
    int rc = catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err);
    cr_assert_eq(rc, ERR_OK, "catalog: %s", err);
    opts.cat = cat;
    opts.home = catalog_region_find(cat, 330100);
    cr_assert_geq(opts.home, 0);
    opts.current_month = month_make(2026, 11);
    tmpdir[0] = '\0';
}

static void teardown(void)
{
    catalog_destroy(&cat);
    if (tmpdir[0] != '\0') {
        unlink(tmpfile_path);
        rmdir(tmpdir);
    }
}

TestSuite(csvin, .init = setup, .fini = teardown);

static int ind(const char *code)
{
    int i = catalog_indicator_find(cat, code);
    cr_assert_geq(i, 0, "no indicator %s", code);
    return i;
}

/* Write @p len bytes to data.csv in a fresh directory; returns the path. */
static const char *write_file(const char *data, size_t len)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hrss_csvin_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(tmpfile_path, sizeof tmpfile_path, "%s/data.csv", tmpdir);
    FILE *f = fopen(tmpfile_path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return tmpfile_path;
}

/* GBK bytes of the UTF-8 string @p s. Caller frees. */
static char *to_gbk(const char *s, size_t *len)
{
    iconv_t cd = iconv_open("GBK", "UTF-8");
    cr_assert_neq(cd, (iconv_t)-1);
    size_t in_left = strlen(s);
    size_t cap = in_left + 1;
    char *in_copy = xstrdup(s);
    char *out = xmalloc(cap);
    char *in = in_copy;
    char *o = out;
    size_t out_left = cap;
    cr_assert_neq(iconv(cd, &in, &in_left, &o, &out_left), (size_t)-1,
                  "iconv: %s", strerror(errno));
    iconv_close(cd);
    free(in_copy);
    *len = cap - out_left;
    return out;
}

/* Parse @p text, expect ERR_OK; returns the rows (caller frees). */
static csvin_row_t *parse_ok(const char *text, size_t *n)
{
    csvin_row_t *rows = NULL;
    char *errors = NULL;
    int rc = csvin_parse("t.csv", text, strlen(text), &opts, &rows, n,
                         &errors);
    cr_assert_eq(rc, ERR_OK, "rc %d: %s", rc, errors ? errors : "");
    cr_assert_null(errors);
    cr_assert_not_null(rows);
    return rows;
}

/* Parse @p len bytes, expect ERR_INVAL with no rows; returns the error
 * list (caller frees). */
static char *parse_bad_len(const char *text, size_t len)
{
    csvin_row_t *rows = (csvin_row_t *)0x1;
    size_t n = 99;
    char *errors = NULL;
    int rc = csvin_parse("t.csv", text, len, &opts, &rows, &n, &errors);
    cr_assert_eq(rc, ERR_INVAL);
    cr_assert_null(rows);
    cr_assert_eq(n, 0);
    cr_assert_not_null(errors);
    return errors;
}

static char *parse_bad(const char *text)
{
    return parse_bad_len(text, strlen(text));
}

/* Expect the whole error list for @p text to be exactly @p want. */
static void expect_errors(const char *text, const char *want)
{
    char *errors = parse_bad(text);
    cr_assert_str_eq(errors, want);
    free(errors);
}

/* One data row under the full header: its error must be "t.csv:2: " +
 * @p tail. */
static void expect_row_error(const char *row, const char *tail)
{
    char text[1024];
    char want[1024];
    snprintf(text, sizeof text, HDR "%s\n", row);
    snprintf(want, sizeof want, "t.csv:2: %s", tail);
    expect_errors(text, want);
}

static void expect_row(const csvin_row_t *r, int indicator, uint32_t region,
                       uint32_t yyyymm, int is_ratio, int64_t num,
                       int64_t den, size_t line)
{
    cr_assert_eq(r->indicator, indicator);
    cr_assert_eq(r->update.region, region);
    cr_assert_eq(r->update.yyyymm, yyyymm);
    cr_assert_eq(r->update.value.is_ratio, is_ratio);
    cr_assert_eq(r->update.value.num, num);
    cr_assert_eq(r->update.value.den, den);
    cr_assert_eq(r->line, line);
}

Test(csvin, utf8_file_with_codes)
{
    static const char text[] =
        HDR
        "urban_new_jobs,2026-10,1234,,,330102\n"
        "dispute_mediation_success_rate,2026-09,,85,100,\n"
        "pension_insured,2026-11,5000000,,,330100\n"
        "e_social_security_card_coverage,2025-12,,7,10,330105\n";
    const char *path = write_file(text, sizeof text - 1);
    csvin_row_t *rows = NULL;
    size_t n = 0;
    char *errors = NULL;
    int rc = csvin_read_file(path, &opts, &rows, &n, &errors);
    cr_assert_eq(rc, ERR_OK, "%s", errors ? errors : "");
    cr_assert_null(errors);
    cr_assert_eq(n, 4);
    expect_row(&rows[0], ind("urban_new_jobs"), 330102, 202610, 0, 1234, 0,
               2);
    expect_row(&rows[1], ind("dispute_mediation_success_rate"), 330100,
               202609, 1, 85, 100, 3);
    expect_row(&rows[2], ind("pension_insured"), 330100, 202611, 0, 5000000,
               0, 4);
    expect_row(&rows[3], ind("e_social_security_card_coverage"), 330105,
               202512, 1, 7, 10, 5);
    free(rows);
}

Test(csvin, utf8_bom_crlf_with_chinese_names)
{
    static const char text[] =
        "\xEF\xBB\xBF"
        "指标,月份,数值,分子,分母\r\n"
        "城镇新增就业人数,2026/10,12,,\r\n"
        "\r\n"
        "劳动人事争议调解成功率,202609,,80,90\r\n"
        "其中:高级职称人才数量,2026-08-01,3,,\r\n"
        "高级职称人才数量,2026/7/31,4,,\r\n";
    const char *path = write_file(text, sizeof text - 1);
    csvin_row_t *rows = NULL;
    size_t n = 0;
    char *errors = NULL;
    int rc = csvin_read_file(path, &opts, &rows, &n, &errors);
    cr_assert_eq(rc, ERR_OK, "%s", errors ? errors : "");
    cr_assert_null(errors);
    cr_assert_eq(n, 4);
    expect_row(&rows[0], ind("urban_new_jobs"), 330100, 202610, 0, 12, 0, 2);
    /* The blank line 3 is skipped but still counted. */
    expect_row(&rows[1], ind("dispute_mediation_success_rate"), 330100,
               202609, 1, 80, 90, 4);
    expect_row(&rows[2], ind("senior_title_talent"), 330100, 202608, 0, 3, 0,
               5);
    expect_row(&rows[3], ind("senior_title_talent"), 330100, 202607, 0, 4, 0,
               6);
    free(rows);
}

Test(csvin, gbk_file_with_chinese_headers)
{
    static const char utf8[] =
        "指标,期间,值,分子,分母,地区代码\r\n"
        "城镇新增就业人数,2026-10,\"1,500\",,,330106\r\n"
        "劳动人事争议仲裁结案率,2026-10,,47,50,330182\r\n"
        "社会保障卡持卡人数,2026-11,8888,,,\r\n";
    size_t len = 0;
    char *gbk = to_gbk(utf8, &len);
    /* The bytes really are GBK, not UTF-8: 指 is D6 B8. */
    cr_assert_eq((unsigned char)gbk[0], 0xD6);
    cr_assert_eq((unsigned char)gbk[1], 0xB8);
    const char *path = write_file(gbk, len);
    free(gbk);
    csvin_row_t *rows = NULL;
    size_t n = 0;
    char *errors = NULL;
    int rc = csvin_read_file(path, &opts, &rows, &n, &errors);
    cr_assert_eq(rc, ERR_OK, "%s", errors ? errors : "");
    cr_assert_null(errors);
    cr_assert_eq(n, 3);
    expect_row(&rows[0], ind("urban_new_jobs"), 330106, 202610, 0, 1500, 0,
               2);
    expect_row(&rows[1], ind("arbitration_closure_rate"), 330182, 202610, 1,
               47, 50, 3);
    expect_row(&rows[2], ind("social_security_card_holders"), 330100, 202611,
               0, 8888, 0, 4);
    free(rows);
}

Test(csvin, gbk_error_messages_are_utf8)
{
    size_t len = 0;
    char *gbk = to_gbk("指标,月份,数值\n不存在的指标,2026-10,1\n", &len);
    char *errors = parse_bad_len(gbk, len);
    cr_assert_str_eq(errors,
                     "t.csv:2: indicator: unknown indicator '不存在的指标'");
    free(errors);
    free(gbk);
}

Test(csvin, one_bad_row_refuses_the_whole_file)
{
    static const char text[] =
        HDR
        "urban_new_jobs,2026-10,1,,,\n"
        "urban_new_jobs,2026-13,2,,,\n"
        "pension_insured,2026-10,3,,,\n";
    const char *path = write_file(text, sizeof text - 1);
    csvin_row_t *rows = (csvin_row_t *)0x1;
    size_t n = 99;
    char *errors = NULL;
    char want[512];
    int rc = csvin_read_file(path, &opts, &rows, &n, &errors);
    cr_assert_eq(rc, ERR_INVAL);
    cr_assert_null(rows);
    cr_assert_eq(n, 0);
    snprintf(want, sizeof want,
             "%s:3: period: '2026-13': month must be 1..12", path);
    cr_assert_str_eq(errors, want);
    free(errors);
}

Test(csvin, all_errors_are_listed)
{
    expect_errors(HDR
                  "urban_new_jobs,2026-10,1,,,\n"
                  "nosuch,2026-10,1,,,\n"
                  "urban_new_jobs,2026-12,-1,,,330203\n"
                  "urban_new_jobs,2026-10,5,,\n"
                  "dispute_mediation_success_rate,2026-10,,11,10,\n",
                  "t.csv:3: indicator: unknown indicator 'nosuch'" "\n"
                  "t.csv:4: period: 2026-12 is later than the current "
                  "month 2026-11\n"
                  "t.csv:4: region: 330203 is not 330100 or below it\n"
                  "t.csv:4: value: -1 is negative\n"
                  "t.csv:5: row has 5 fields, header has 6\n"
                  "t.csv:6: numerator: 11 > denominator 10");
}

Test(csvin, row_errors_indicator)
{
    expect_row_error("nosuch,2026-10,1,,,",
                     "indicator: unknown indicator 'nosuch'");
    expect_row_error(",2026-10,1,,,", "indicator: empty");
}

Test(csvin, row_errors_period)
{
    expect_row_error("urban_new_jobs,2026-13,1,,,",
                     "period: '2026-13': month must be 1..12");
    expect_row_error("urban_new_jobs,202600,1,,,",
                     "period: '202600': month must be 1..12");
    expect_row_error("urban_new_jobs,1899-12,1,,,",
                     "period: '1899-12': year must be 1900..9999");
    expect_row_error("urban_new_jobs,2026-10-32,1,,,",
                     "period: '2026-10-32': day must be 1..31");
    expect_row_error("urban_new_jobs,Oct 2026,1,,,",
                     "period: 'Oct 2026' is not a month (expected YYYY-MM, "
                     "YYYY/MM, YYYYMM or YYYY-MM-DD)");
    expect_row_error("urban_new_jobs,2026-10/01,1,,,",
                     "period: '2026-10/01' is not a month (expected "
                     "YYYY-MM, YYYY/MM, YYYYMM or YYYY-MM-DD)");
    expect_row_error("urban_new_jobs,,1,,,", "period: empty");
}

Test(csvin, row_errors_future_period)
{
    expect_row_error("urban_new_jobs,2026-12,1,,,",
                     "period: 2026-12 is later than the current month "
                     "2026-11");
    expect_row_error("urban_new_jobs,2027/1/1,1,,,",
                     "period: 2027-01 is later than the current month "
                     "2026-11");
}

Test(csvin, row_errors_region)
{
    expect_row_error("urban_new_jobs,2026-10,1,,,330203",
                     "region: 330203 is not 330100 or below it");
    expect_row_error("urban_new_jobs,2026-10,1,,,330000",
                     "region: 330000 is not 330100 or below it");
    expect_row_error("urban_new_jobs,2026-10,1,,,339999",
                     "region: unknown region code 339999");
    expect_row_error("urban_new_jobs,2026-10,1,,,宁波市",
                     "region: 330200 is not 330100 or below it");
    expect_row_error("urban_new_jobs,2026-10,1,,,杭州",
                     "region: unknown region '杭州' (neither a code nor a "
                     "region name of the catalog; hrss-agent regions lists "
                     "them)");
}

Test(csvin, row_errors_value)
{
    expect_row_error("urban_new_jobs,2026-10,-5,,,",
                     "value: -5 is negative");
    expect_row_error("urban_new_jobs,2026-10,12.5,,,",
                     "value: '12.5' is not a whole number: counts are "
                     "whole persons, not 万人");
    expect_row_error("urban_new_jobs,2026-10,12.,,,",
                     "value: '12.' is not a whole number: counts are "
                     "whole persons, not 万人");
    expect_row_error("urban_new_jobs,2026-10,1e3,,,",
                     "value: '1e3' is not a whole number");
    expect_row_error("urban_new_jobs,2026-10,\"1,23\",,,",
                     "value: '1,23' has misplaced thousands separators");
    expect_row_error("urban_new_jobs,2026-10,\"1234,567\",,,",
                     "value: '1234,567' has misplaced thousands "
                     "separators");
    expect_row_error("urban_new_jobs,2026-10,1000000000001,,,",
                     "value: 1000000000001 exceeds 10^12");
    expect_row_error("urban_new_jobs,2026-10,,,,",
                     "value: empty (urban_new_jobs is a count)");
}

Test(csvin, row_errors_ratio)
{
    expect_row_error("dispute_mediation_success_rate,2026-10,,8,,",
                     "denominator: empty (dispute_mediation_success_rate "
                     "is a ratio)");
    expect_row_error("dispute_mediation_success_rate,2026-10,,,8,",
                     "numerator: empty (dispute_mediation_success_rate "
                     "is a ratio)");
    expect_row_error("dispute_mediation_success_rate,2026-10,,11,10,",
                     "numerator: 11 > denominator 10");
    expect_row_error("dispute_mediation_success_rate,2026-10,,0,0,",
                     "denominator: must be positive, not 0");
    expect_row_error("dispute_mediation_success_rate,2026-10,0.8,,,",
                     "value: dispute_mediation_success_rate is a ratio: "
                     "give numerator and denominator, not value");
    expect_row_error("dispute_mediation_success_rate,2026-10,8,8,10,",
                     "value: must be empty for a ratio "
                     "(dispute_mediation_success_rate)");
}

Test(csvin, row_errors_count_with_numerator)
{
    expect_row_error("urban_new_jobs,2026-10,,5,,",
                     "value: empty (urban_new_jobs is a count: give value, "
                     "not numerator and denominator)");
    expect_row_error("urban_new_jobs,2026-10,5,5,,",
                     "numerator: must be empty for a count "
                     "(urban_new_jobs)");
    expect_row_error("urban_new_jobs,2026-10,5,,5,",
                     "denominator: must be empty for a count "
                     "(urban_new_jobs)");
}

Test(csvin, row_errors_missing_columns_for_kind)
{
    expect_errors("indicator,period,value\n"
                  "dispute_mediation_success_rate,2026-10,5\n",
                  "t.csv:2: numerator: dispute_mediation_success_rate is a "
                  "ratio, but the file has no numerator and denominator "
                  "columns");
    expect_errors("indicator,period,numerator,denominator\n"
                  "urban_new_jobs,2026-10,5,\n",
                  "t.csv:2: value: urban_new_jobs is a count, but the file "
                  "has no value column");
}

Test(csvin, row_with_wrong_field_count)
{
    expect_row_error("urban_new_jobs,2026-10,1", "row has 3 fields, "
                                                 "header has 6");
    expect_row_error("urban_new_jobs,2026-10,1,,,,x",
                     "row has 7 fields, header has 6");
}

Test(csvin, header_errors)
{
    expect_errors("indicator,value\nurban_new_jobs,1\n",
                  "t.csv:1: header: missing column 'period'");
    expect_errors("indcator,period,value,xyz\nurban_new_jobs,2026-10,1,2\n",
                  "t.csv:1: header: unknown column 'indcator' (expected "
                  "indicator, period, value, numerator, denominator, "
                  "region)\n"
                  "t.csv:1: header: unknown column 'xyz' (expected "
                  "indicator, period, value, numerator, denominator, "
                  "region)\n"
                  "t.csv:1: header: missing column 'indicator'");
    expect_errors("indicator,period,value,数值\n",
                  "t.csv:1: header: duplicate column '数值' (another name "
                  "for value)");
    expect_errors("indicator,period,Period,value\n",
                  "t.csv:1: header: duplicate column 'Period'");
    expect_errors("indicator,period\n",
                  "t.csv:1: header: missing column 'value' (or 'numerator' "
                  "and 'denominator')");
    expect_errors("indicator,period,numerator\n",
                  "t.csv:1: header: missing column 'denominator' "
                  "(numerator needs it)");
    /* Every header problem is listed. */
    expect_errors("\n\nfoo,value,bar\n",
                  "t.csv:3: header: unknown column 'foo' (expected "
                  "indicator, period, value, numerator, denominator, "
                  "region)\n"
                  "t.csv:3: header: unknown column 'bar' (expected "
                  "indicator, period, value, numerator, denominator, "
                  "region)\n"
                  "t.csv:3: header: missing column 'indicator'\n"
                  "t.csv:3: header: missing column 'period'");
}

Test(csvin, header_names_case_insensitive_and_trimmed)
{
    size_t n = 0;
    csvin_row_t *rows = parse_ok(" Region ,PERIOD,\tValue ,Indicator\n"
                                 "330102,2026-10,5,urban_new_jobs\n",
                                 &n);
    cr_assert_eq(n, 1);
    expect_row(&rows[0], ind("urban_new_jobs"), 330102, 202610, 0, 5, 0, 2);
    free(rows);
}

Test(csvin, thousands_separators_and_dot_zero)
{
    size_t n = 0;
    csvin_row_t *rows = parse_ok(
        HDR
        "urban_new_jobs,2026-10,\"1,234,567\",,,\n"
        "urban_new_jobs,2026-09,\" 42 \",,,\n"
        "urban_new_jobs,2026-08,7.0,,,\n"
        "urban_new_jobs,2026-07,\"1,000.00\",,,\n"
        "urban_new_jobs,2026-06,1000000000000,,,\n"
        "urban_new_jobs,2026-05,0,,,\n"
        "dispute_mediation_success_rate,2026-10,,\"9,999\",\"10,000.0\",\n",
        &n);
    cr_assert_eq(n, 7);
    cr_assert_eq(rows[0].update.value.num, 1234567);
    cr_assert_eq(rows[1].update.value.num, 42);
    cr_assert_eq(rows[2].update.value.num, 7);
    cr_assert_eq(rows[3].update.value.num, 1000);
    cr_assert_eq(rows[4].update.value.num, 1000000000000LL);
    cr_assert_eq(rows[5].update.value.num, 0);
    cr_assert_eq(rows[6].update.value.num, 9999);
    cr_assert_eq(rows[6].update.value.den, 10000);
    cr_assert_eq(rows[6].update.value.is_ratio, 1);
    free(rows);
}

Test(csvin, period_forms)
{
    size_t n = 0;
    csvin_row_t *rows = parse_ok("indicator,period,value\n"
                                 "urban_new_jobs,2026-10,1\n"
                                 "urban_new_jobs,2026/1,1\n"
                                 "urban_new_jobs,2026/02,1\n"
                                 "urban_new_jobs,202603,1\n"
                                 "urban_new_jobs,2026-04-15,1\n"
                                 "urban_new_jobs,2026/5/31,1\n"
                                 "urban_new_jobs,2021-01,1\n",
                                 &n);
    cr_assert_eq(n, 7);
    cr_assert_eq(rows[0].update.yyyymm, 202610);
    cr_assert_eq(rows[1].update.yyyymm, 202601);
    cr_assert_eq(rows[2].update.yyyymm, 202602);
    cr_assert_eq(rows[3].update.yyyymm, 202603);
    cr_assert_eq(rows[4].update.yyyymm, 202604);
    cr_assert_eq(rows[5].update.yyyymm, 202605);
    cr_assert_eq(rows[6].update.yyyymm, 202101);
    cr_assert_eq(rows[0].update.region, 330100);
    free(rows);
}

Test(csvin, value_and_ratio_columns_in_one_file)
{
    size_t n = 0;
    csvin_row_t *rows = parse_ok(
        "indicator,period,value,numerator,denominator\n"
        "urban_new_jobs,2026-10,3,,\n"
        "labour_inspection_closure_rate,2026-10,,10,10\n",
        &n);
    cr_assert_eq(n, 2);
    expect_row(&rows[0], ind("urban_new_jobs"), 330100, 202610, 0, 3, 0, 2);
    expect_row(&rows[1], ind("labour_inspection_closure_rate"), 330100,
               202610, 1, 10, 10, 3);
    free(rows);
}

Test(csvin, not_utf8_and_not_gb18030_is_refused)
{
    /* 0xFF is no GB18030 lead byte, so iconv stops at the first one. */
    static const char text[] = "indicator,period,value\n\xff\xff\xff\n";
    char *errors = parse_bad_len(text, sizeof text - 1);
    cr_assert_str_eq(errors,
                     "t.csv: not UTF-8 and not GBK/GB18030 text (byte "
                     "offset 23)");
    free(errors);
    /* A GBK lead byte cut off by the end of the file. */
    static const char cut[] = "indicator,period,value\n\xb3";
    errors = parse_bad_len(cut, sizeof cut - 1);
    cr_assert_str_eq(errors,
                     "t.csv: not UTF-8 and not GBK/GB18030 text (byte "
                     "offset 23)");
    free(errors);
}

Test(csvin, too_many_errors_are_counted)
{
    size_t cap = 64 * 200;
    char *text = xmalloc(cap);
    size_t len = (size_t)snprintf(text, cap, "indicator,period,value\n");
    for (int i = 0; i < CSVIN_MAX_ERRORS + 5; i++) {
        len += (size_t)snprintf(text + len, cap - len,
                                "urban_new_jobs%d,2026-10,1\n", i);
    }
    char *errors = parse_bad_len(text, len);
    size_t lines = 1;
    for (const char *p = errors; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    cr_assert_eq(lines, CSVIN_MAX_ERRORS + 1);
    static const char first[] =
        "t.csv:2: indicator: unknown indicator 'urban_new_jobs0'; did you "
        "mean: urban_new_jobs?";
    cr_assert(strncmp(errors, first, strlen(first)) == 0, "%s", errors);
    cr_assert_not_null(strstr(errors, "\nt.csv:101: indicator: unknown "
                                      "indicator 'urban_new_jobs99';"));
    cr_assert_not_null(strstr(errors, "?\nt.csv: 5 more errors"));
    const char *last = strrchr(errors, '\n');
    cr_assert_str_eq(last, "\nt.csv: 5 more errors");
    free(errors);
    free(text);
}

Test(csvin, empty_inputs)
{
    expect_errors(HDR, "t.csv: no data rows");
    expect_errors(HDR "\n\r\n\n", "t.csv: no data rows");
    expect_errors("", "t.csv: empty file (no header row)");
    expect_errors("\xEF\xBB\xBF", "t.csv: empty file (no header row)");
}

Test(csvin, malformed_csv)
{
    expect_errors(HDR "urban_new_jobs,2026-10,\"1,,,\n",
                  "t.csv:2: unterminated quoted field");
    /* Earlier row errors are kept. */
    expect_errors(HDR "nosuch,2026-10,1,,,\n"
                      "urban_new_jobs,2026-10,1\"2,,,\n",
                  "t.csv:2: indicator: unknown indicator 'nosuch'\n"
                  "t.csv:3: quote inside an unquoted field");
}

Test(csvin, control_bytes_are_not_copied_into_messages)
{
    expect_row_error("\"no\nsuch\",2026-10,1,,,",
                     "indicator: unknown indicator 'no?such'");
}

Test(csvin, missing_file_is_io_error)
{
    csvin_row_t *rows = (csvin_row_t *)0x1;
    size_t n = 99;
    char *errors = NULL;
    int rc = csvin_read_file("/nonexistent/hrss/data.csv", &opts, &rows, &n,
                             &errors);
    cr_assert_eq(rc, ERR_IO);
    cr_assert_null(rows);
    cr_assert_eq(n, 0);
    cr_assert_str_eq(errors,
                     "/nonexistent/hrss/data.csv: No such file or directory");
    free(errors);
}
