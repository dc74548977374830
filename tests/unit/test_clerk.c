/* test_clerk.c: files as offices' clerks save them (issue 11): the
 * committed fixtures of tests/fixtures/clerk/ (GBK from Excel with a
 * title and remarks, UTF-16 both ways, workbooks under a .csv name, the
 * rules about rows together), the field forms clerks type, the shared
 * "did you mean", the inbox keeping a file's warnings, and the listing
 * commands' tables.
 *
 * Every test runs as the agent of 杭州市 (330100) in November 2026 with
 * the shipped catalog (plan 2021..2025), unless it builds its own.
 *
 * INVARIANTS
 *   1. Every rows array, error and warning text a test receives is freed
 *      in that test; the fixture frees the catalog and removes its
 *      directory (spool, inbox, done, failed) even after a failure.
 *   2. Fixtures are read, never written.
 */
#define _XOPEN_SOURCE 700 /* nftw, open_memstream */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/table.h"
#include "agent/csvin.h"
#include "agent/csvin_fields.h"
#include "agent/intake.h"
#include "agent/listing.h"
#include "common/file.h"
#include "common/period.h"
#include "common/suggest.h"
#include "common/text.h"

#ifndef HRSS_TEST_CATALOG_DIR
#error "HRSS_TEST_CATALOG_DIR must name the shipped catalog directory"
#endif
#ifndef HRSS_TEST_FIXTURES_DIR
#error "HRSS_TEST_FIXTURES_DIR must name tests/fixtures"
#endif

static catalog_t *cat;
static update_scope_t scope;
static char dir[256];

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
    scope.cat = cat;
    scope.home = catalog_region_find(cat, 330100);
    scope.current_month = month_make(2026, 11);
    dir[0] = '\0';
}

static void teardown(void)
{
    catalog_destroy(&cat);
    if (dir[0] != '\0') {
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

TestSuite(clerk, .init = setup, .fini = teardown, .timeout = 30);

/* The outcome of reading one fixture. */
typedef struct got {
    int rc;
    csvin_row_t *rows;
    size_t n;
    char *errors;
    char *warnings;
} got_t;

static got_t read_fixture(const char *name, int allow_before_plan)
{
    char path[512];
    got_t g;
    csvin_opts_t opts = {allow_before_plan};
    memset(&g, 0, sizeof g);
    /* Messages name the file as given: run from the fixtures' folder. */
    cr_assert_eq(chdir(HRSS_TEST_FIXTURES_DIR "/clerk"), 0);
    snprintf(path, sizeof path, "%s", name);
    g.rc = csvin_read_file_ex(path, &scope, &opts, &g.rows, &g.n, &g.errors,
                              &g.warnings);
    return g;
}

static void got_free(got_t *g)
{
    free(g->rows);
    free(g->errors);
    free(g->warnings);
}

static void expect_row(const csvin_row_t *r, const char *code,
                       uint32_t region, uint32_t yyyymm, int64_t num,
                       int64_t den)
{
    cr_expect_str_eq(r->update.indicator, code);
    cr_expect_eq(r->update.region, region, "%s: region %u", code,
                 r->update.region);
    cr_expect_eq(r->update.yyyymm, yyyymm, "%s: month %u", code,
                 r->update.yyyymm);
    cr_expect_eq(r->update.value.num, num, "%s: %lld", code,
                 (long long)r->update.value.num);
    cr_expect_eq(r->update.value.den, den);
    cr_expect_eq(r->update.value.is_ratio, den != 0);
}

/* --- text_fold_width, suggest_indicators ------------------------------ */

Test(clerk, full_width_forms_fold_to_ascii)
{
    char s[] = "其中：（Ａｂ１２）　x，。％";
    size_t n = text_fold_width(s);
    cr_expect_str_eq(s, "其中:(Ab12) x,。%");
    cr_expect_eq(n, strlen(s));
    char plain[] = "urban_new_jobs";
    cr_expect_eq(text_fold_width(plain), 14);
    cr_expect_str_eq(plain, "urban_new_jobs");
    /* A cut sequence is left alone, never read past the NUL. */
    char cut[] = "a\xEF\xBC";
    cr_expect_eq(text_fold_width(cut), 3);
}

Test(clerk, suggestions_codes_for_codes_names_for_names)
{
    char msg[ERR_LEN] = "x";
    suggest_indicators(cat, "urban_new_job", msg, sizeof msg);
    cr_expect_str_eq(msg, "x; did you mean: urban_new_jobs?");
    snprintf(msg, sizeof msg, "x");
    suggest_indicators(cat, "城镇新增就业人", msg, sizeof msg);
    cr_expect_str_eq(msg, "x; did you mean: 城镇新增就业人数?");
    /* Only what is near (2/5 of the key may differ) or holds the key:
     * before, every key got the three nearest, however far. */
    snprintf(msg, sizeof msg, "x");
    suggest_indicators(cat, "qqqqqqq", msg, sizeof msg);
    cr_expect_str_eq(msg, "x");
    snprintf(msg, sizeof msg, "x");
    suggest_indicators(cat, "nope", msg, sizeof msg);
    cr_expect_str_eq(msg, "x");
    snprintf(msg, sizeof msg, "x");
    suggest_indicators(cat, "pension", msg, sizeof msg);
    cr_expect_str_eq(msg, "x; did you mean: pension_insured?");
    snprintf(msg, sizeof msg, "x");
    suggest_indicators(cat, "unemployment_rate", msg, sizeof msg);
    cr_expect_str_eq(msg, "x; did you mean: unemployment_insured, "
                          "urban_surveyed_unemployment_rate?");
    snprintf(msg, sizeof msg, "x");
    suggest_indicators(cat, "社保卡", msg, sizeof msg);
    cr_expect_str_eq(msg, "x; did you mean: 其中:申领电子社保卡人口覆盖率?");
    /* Full-width forms are folded before comparing: the nearest is the
     * name itself, less the (含...) part typed in full width. */
    snprintf(msg, sizeof msg, "x");
    suggest_indicators(cat, "专业技术人才总量（含在管理岗位的专技人员）", msg,
                       sizeof msg);
    cr_expect_str_eq(msg, "x; did you mean: 专业技术人才总量(含在管理岗位"
                          "的专技人才)?");
    /* Too long: nothing; a small buffer: cut whole. */
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(msg, sizeof msg, "x");
    suggest_indicators(cat, big, msg, sizeof msg);
    cr_expect_str_eq(msg, "x");
    char small[24] = "x";
    suggest_indicators(cat, "城镇新增就业人", small, sizeof small);
    cr_expect_str_eq(small, "x; did you mean: 城镇"); /* whole characters */
}

/* --- fixtures: what offices save ---------------------------------------- */

Test(clerk, excel_gbk_with_title_remarks_and_blank_rows)
{
    got_t g = read_fixture("excel_gbk.csv", 0);
    cr_assert_eq(g.rc, ERR_OK, "%s", g.errors);
    cr_assert_eq(g.n, 4);
    expect_row(&g.rows[0], "urban_new_jobs", 330102, 202510, 1234, 0);
    expect_row(&g.rows[1], "senior_title_talent", 330102, 202510, 456, 0);
    expect_row(&g.rows[2], "professional_technical_talent", 330102, 202510,
               7890, 0);
    expect_row(&g.rows[3], "urban_new_jobs", 330105, 202509, 1200, 0);
    cr_expect_eq(g.rows[0].line, 4);
    cr_expect_str_eq(g.warnings,
                     "excel_gbk.csv:1: note: 1 row above the header (line "
                     "3) skipped as a title\n"
                     "excel_gbk.csv:3: note: header: column '备注' ignored "
                     "(not one of indicator, period, value, numerator, "
                     "denominator, region)");
    got_free(&g);
}

Test(clerk, utf16_with_bom_both_byte_orders)
{
    const char *names[] = {"utf16le.csv", "utf16be.csv"};
    for (size_t i = 0; i < 2; i++) {
        got_t g = read_fixture(names[i], 0);
        cr_assert_eq(g.rc, ERR_OK, "%s: %s", names[i], g.errors);
        cr_assert_eq(g.n, 2);
        expect_row(&g.rows[0], "dispute_mediation_success_rate", 330102,
                   202510, 45, 50);
        expect_row(&g.rows[1], "arbitration_closure_rate", 330105, 202510,
                   1200, 1300);
        cr_expect_null(g.warnings);
        got_free(&g);
    }
}

/* A refused fixture: no rows, exactly @p want as errors. */
static void expect_refused(const char *name, const char *want)
{
    got_t g = read_fixture(name, 0);
    cr_expect_eq(g.rc, ERR_INVAL, "%s", name);
    cr_expect_null(g.rows);
    cr_expect_eq(g.n, 0);
    cr_expect_str_eq(g.errors, want);
    got_free(&g);
}

Test(clerk, workbooks_and_undecodable_files_say_what_they_are)
{
    expect_refused("workbook_xlsx.csv",
                   "workbook_xlsx.csv: this is an Excel workbook: save it "
                   "as CSV (UTF-8 or GBK)");
    expect_refused("workbook_xls.csv",
                   "workbook_xls.csv: this is an Excel workbook: save it "
                   "as CSV (UTF-8 or GBK)");
    expect_refused("utf16_no_bom.csv",
                   "utf16_no_bom.csv: this looks like UTF-16 text without a "
                   "byte order mark: save it as CSV (UTF-8 or GBK)");
}

Test(clerk, other_signatures_and_binary_data)
{
    static const struct {
        const char *data;
        size_t len;
        const char *want;
    } cases[] = {
        {"%PDF-1.7\n", 9, "t.csv: this is a PDF document, not a table: "
                          "save it as CSV (UTF-8 or GBK) from the "
                          "spreadsheet it came from"},
        {"<?xml version=\"1.0\"?>\n<Workbook>\n", 33,
         "t.csv: this is an XML file (Excel's \"XML Spreadsheet\"?): save "
         "it as CSV (UTF-8 or GBK)"},
        {"\x1F\x8B\x08\x00", 4,
         "t.csv: this is a gzip-compressed file: unpack it first"},
        {"\xFF\xFF\x00\x01\x00\x00\xFF", 7,
         "t.csv: not UTF-8 and not GBK/GB18030 text (byte offset 0): it "
         "holds NUL bytes, so it looks like binary data, not a table saved "
         "as CSV"},
        {"\xFF\xFE\x00\xD8", 4,
         "t.csv: starts like UTF-16LE text (a byte order mark) but is not "
         "(byte offset 2)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        csvin_row_t *rows = NULL;
        size_t n = 0;
        char *errors = NULL;
        int rc = csvin_parse("t.csv", cases[i].data, cases[i].len, &scope,
                             &rows, &n, &errors);
        cr_expect_eq(rc, ERR_INVAL, "case %zu", i);
        cr_expect_str_eq(errors, cases[i].want, "case %zu", i);
        free(errors);
        free(rows);
    }
}

/* --- the rules about rows together ------------------------------------- */

Test(clerk, same_cell_twice_refuses_or_warns)
{
    got_t g = read_fixture("duplicate_cells.csv", 0);
    cr_expect_eq(g.rc, ERR_INVAL);
    cr_expect_null(g.rows);
    cr_expect_str_eq(g.errors,
                     "duplicate_cells.csv:3: value: 1300, but line 2 gives "
                     "1200 for the same figure (urban_new_jobs, 330102, "
                     "2025-10): keep the right one");
    cr_expect_str_eq(g.warnings,
                     "duplicate_cells.csv:5: warning: the same figure "
                     "(urban_new_jobs, 330105, 2025-10) as line 4, with the "
                     "same value 1200");
    got_free(&g);
}

Test(clerk, ratio_given_twice_differently_is_refused)
{
    static const char text[] =
        "indicator,period,numerator,denominator\n"
        "dispute_mediation_success_rate,2025-10,45,50\n"
        "dispute_mediation_success_rate,2025-10,45,60\n";
    csvin_row_t *rows = NULL;
    size_t n = 0;
    char *errors = NULL;
    cr_expect_eq(csvin_parse("t.csv", text, strlen(text), &scope, &rows, &n,
                             &errors),
                 ERR_INVAL);
    cr_expect_str_eq(errors, "t.csv:3: numerator: 45/60, but line 2 gives "
                             "45/50 for the same figure "
                             "(dispute_mediation_success_rate, 330100, "
                             "2025-10): keep the right one");
    free(errors);
    free(rows);
}

Test(clerk, a_count_1000_times_its_previous_month_is_a_warning)
{
    got_t g = read_fixture("wan_jump.csv", 0);
    cr_assert_eq(g.rc, ERR_OK, "%s", g.errors);
    cr_expect_eq(g.n, 3);
    cr_expect_str_eq(g.warnings,
                     "wan_jump.csv:3: warning: value: 123 is about 1/10036 "
                     "of 1234500 in 2025-09 (line 2): was it typed in 万人? "
                     "counts are whole persons\n"
                     "wan_jump.csv:4: warning: value: 1234600 is about "
                     "10037 times 123 in 2025-10 (line 3): was that one "
                     "typed in 万人? counts are whole persons");
    got_free(&g);
    /* 999 times, a gap of a month, or a zero: no warning. */
    static const char quiet[] = "indicator,period,value\n"
                                "pension_insured,2025-06,999000\n"
                                "pension_insured,2025-07,1000\n"
                                "pension_insured,2025-09,1\n"
                                "pension_insured,2025-10,0\n"
                                "pension_insured,2025-11,5000\n";
    csvin_row_t *rows = NULL;
    size_t n = 0;
    char *errors = NULL;
    char *warnings = NULL;
    cr_expect_eq(csvin_parse_ex("t.csv", quiet, strlen(quiet), &scope, NULL,
                                &rows, &n, &errors, &warnings),
                 ERR_OK, "%s", errors);
    cr_expect_null(warnings, "%s", warnings);
    free(rows);
    free(warnings);
}

Test(clerk, an_of_which_above_its_whole_is_a_warning)
{
    got_t g = read_fixture("part_above_whole.csv", 0);
    cr_assert_eq(g.rc, ERR_OK, "%s", g.errors);
    cr_expect_eq(g.n, 3);
    cr_expect_str_eq(g.warnings,
                     "part_above_whole.csv:3: warning: value: 6000 for "
                     "senior_title_talent is above its whole, 5000 for "
                     "professional_technical_talent (line 2), in 330102, "
                     "2025-10: an \"of which\" figure is a part of it");
    got_free(&g);
}

Test(clerk, months_before_the_plan_need_the_flag)
{
    got_t g = read_fixture("before_plan.csv", 0);
    cr_expect_eq(g.rc, ERR_INVAL);
    cr_expect_str_eq(g.errors,
                     "before_plan.csv:2: period: 2020-12 is before the plan "
                     "(2021-01..2025-12); to send it anyway: hrss-agent "
                     "submit --allow-before-plan");
    got_free(&g);
    g = read_fixture("before_plan.csv", 1);
    cr_assert_eq(g.rc, ERR_OK, "%s", g.errors);
    cr_expect_eq(g.n, 2);
    expect_row(&g.rows[0], "urban_new_jobs", 330100, 202012, 100, 0);
    got_free(&g);
}

Test(clerk, clerk_mistakes_are_explained)
{
    expect_refused("clerk_errors.csv",
                   "clerk_errors.csv:2: value: '246.88' is not a whole "
                   "number: counts are whole persons, not 万人\n"
                   "clerk_errors.csv:3: indicator: unknown indicator "
                   "'城镇新增就业人'; did you mean: 城镇新增就业人数?\n"
                   "clerk_errors.csv:3: period: '2025.1' is ambiguous: Excel "
                   "writes 2025.10 as 2025.1; write 2025-01 or 2025-10");
}

/* --- field forms ------------------------------------------------------ */

Test(clerk, months_as_clerks_write_them)
{
    static const struct {
        const char *s;
        int form;
        uint32_t ym;
    } cases[] = {
        {"2025年10月", 1, 202510}, {"2025年1月", 1, 202501},
        {"2025年10月份", 1, 202510}, {"2025.10", 1, 202510},
        {"2025.2", 1, 202502},     {"2025.01", 1, 202501},
        {"2025.1", -1, 0},         {"2025-10", 0, 0},
        {"2025年10", 0, 0},        {"2025年10月x", 0, 0},
        {"2025.", 0, 0},           {"25年10月", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t ym = 0;
        int form = csvin_fields_month(cases[i].s, &ym);
        cr_expect_eq(form, cases[i].form, "%s: %d", cases[i].s, form);
        if (form == 1) {
            cr_expect_eq(ym, cases[i].ym, "%s: %u", cases[i].s, ym);
        }
    }
    static const char text[] = "indicator,period,value\n"
                               "urban_new_jobs,2025年13月,1\n";
    csvin_row_t *rows = NULL;
    size_t n = 0;
    char *errors = NULL;
    cr_expect_eq(csvin_parse("t.csv", text, strlen(text), &scope, &rows, &n,
                             &errors),
                 ERR_INVAL);
    cr_expect_str_eq(errors, "t.csv:2: period: '2025年13月': month must be "
                             "1..12");
    free(errors);
    free(rows);
}

/* The shipped catalog and one more 上城区, under 宁波市. */
static catalog_t *catalog_with_twin(void)
{
    static const char *const names[CATALOG_NFILES] = {
        "indicators.csv", "regions.csv", "plan.csv", "targets.csv",
        "region-changes.csv"};
    char *data[CATALOG_NFILES];
    size_t len[CATALOG_NFILES];
    catalog_bytes_t files[CATALOG_NFILES];
    char err[ERR_LEN] = "";
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", HRSS_TEST_CATALOG_DIR, names[i]);
        cr_assert_eq(file_read(path, 1 << 20, &data[i], &len[i], err),
                     ERR_OK, "%s", err);
    }
    static const char twin[] = "339901,上城区,Twin,county,330200,,\n";
    data[1] = realloc(data[1], len[1] + sizeof twin);
    cr_assert_not_null(data[1]);
    memcpy(data[1] + len[1], twin, sizeof twin);
    len[1] += sizeof twin - 1;
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        files[i] = (catalog_bytes_t){names[i], data[i], len[i]};
    }
    catalog_t *c = NULL;
    cr_assert_eq(catalog_load_mem(&c, files, err), ERR_OK, "%s", err);
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        free(data[i]);
    }
    return c;
}

Test(clerk, region_names_exact_and_ambiguous)
{
    catalog_t *twin = catalog_with_twin();
    update_scope_t sc = scope;
    char why[ERR_LEN] = "";
    uint32_t code = 0;
    sc.cat = twin;
    /* 杭州市's office: only one 上城区 is its own. */
    sc.home = catalog_region_find(twin, 330100);
    cr_expect_eq(csvin_fields_region(&sc, "上城区", &code, why), ERR_OK,
                 "%s", why);
    cr_expect_eq(code, 330102);
    /* The province's: both are, so it must be told which. */
    sc.home = catalog_region_find(twin, 330000);
    cr_expect_eq(csvin_fields_region(&sc, "上城区", &code, why), ERR_INVAL);
    cr_expect_str_eq(why, "'上城区' is the name of 2 regions: 330102 "
                          "(杭州市), 339901 (宁波市); give the code");
    static const char text[] = "indicator,period,value,region\n"
                               "urban_new_jobs,2025-10,1,上城区\n"
                               "urban_new_jobs,2025-10,1,拱墅区\n";
    csvin_row_t *rows = NULL;
    size_t n = 0;
    char *errors = NULL;
    cr_expect_eq(csvin_parse("t.csv", text, strlen(text), &sc, &rows, &n,
                             &errors),
                 ERR_INVAL);
    cr_expect_str_eq(errors, "t.csv:2: region: '上城区' is the name of 2 "
                             "regions: 330102 (杭州市), 339901 (宁波市); "
                             "give the code");
    free(errors);
    free(rows);
    /* Exact names only: a near one is unknown. */
    cr_expect_eq(csvin_fields_region(&sc, "上城", &code, why), ERR_INVAL);
    catalog_destroy(&twin);
}

Test(clerk, header_search_blank_rows_and_extra_columns)
{
    size_t n = 0;
    csvin_row_t *rows = NULL;
    char *errors = NULL;
    char *warnings = NULL;
    /* Four title rows, then the header (the fifth row): found. Blank rows
     * between figures, blank extra fields, an unnamed column. */
    static const char ok[] = "t1\nt2\nt3\nt4\n"
                             "指标,期间,值,\n"
                             "urban_new_jobs,2025-10,5,\n"
                             ",,,\n"
                             "pension_insured,2025-10,7,,,\n";
    cr_assert_eq(csvin_parse_ex("t.csv", ok, strlen(ok), &scope, NULL, &rows,
                                &n, &errors, &warnings),
                 ERR_OK, "%s", errors);
    cr_expect_eq(n, 2);
    cr_expect_eq(rows[1].line, 8);
    cr_expect_str_eq(warnings, "t.csv:1: note: 4 rows above the header "
                               "(line 5) skipped as a title");
    free(rows);
    free(warnings);
    /* Five title rows: the header is not looked for further. */
    static const char far[] = "t1\nt2\nt3\nt4\nt5\n"
                              "indicator,period,value\n"
                              "urban_new_jobs,2025-10,5\n";
    cr_expect_eq(csvin_parse("t.csv", far, strlen(far), &scope, &rows, &n,
                             &errors),
                 ERR_INVAL);
    cr_expect_str_eq(errors,
                     "t.csv:1: header: unknown column 't1' (expected "
                     "indicator, period, value, numerator, denominator, "
                     "region)\n"
                     "t.csv:1: header: missing column 'indicator'\n"
                     "t.csv:1: header: missing column 'period'\n"
                     "t.csv:1: header: missing column 'value' (or "
                     "'numerator' and 'denominator')");
    free(errors);
}

/* --- the inbox keeps a file's warnings ---------------------------------- */

static void put_inbox(const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/inbox/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_geq(fputs(text, f), 0);
    cr_assert_eq(fclose(f), 0);
}

static char *slurp(const char *sub)
{
    char path[400];
    char err[ERR_LEN];
    char *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    cr_assert_eq(file_read(path, 1 << 20, &text, &len, err), ERR_OK, "%s",
                 err);
    return text;
}

Test(clerk, inbox_keeps_warnings_beside_the_file)
{
    char err[ERR_LEN] = "";
    char sd[300];
    spool_t *sp = NULL;
    intake_stats_t st;
    snprintf(dir, sizeof dir, "/tmp/hrss-clerk-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(intake_dirs(dir, err), ERR_OK, "%s", err);
    snprintf(sd, sizeof sd, "%s/spool", dir);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);

    put_inbox("ok.csv", "indicator,period,value,备注\n"
                        "urban_new_jobs,2025-10,5,x\n"
                        "urban_new_jobs,2025-10,5,y\n");
    cr_expect_eq(intake_inbox_file(sp, &scope, dir, "ok.csv", NULL, &st,
                                   err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done, 1);
    cr_expect_eq(st.files_warned, 1);
    cr_expect_eq(st.rows, 2);
    char *w = slurp("done/ok.csv.warnings");
    char want[1024];
    snprintf(want, sizeof want,
             "%s/done/ok.csv:1: note: header: column '备注' ignored (not "
             "one of indicator, period, value, numerator, denominator, "
             "region)\n"
             "%s/done/ok.csv:3: warning: the same figure (urban_new_jobs, "
             "330100, 2025-10) as line 2, with the same value 5\n",
             dir, dir);
    cr_expect_str_eq(w, want);
    free(w);

    /* Refused: the warnings follow the errors in failed/NAME.errors. Both
     * cite the file where it went, not the inbox. */
    put_inbox("bad.csv", "indicator,period,value,备注\n"
                         "urban_new_jobs,2025-10,5.5,x\n");
    cr_expect_eq(intake_inbox_file(sp, &scope, dir, "bad.csv", NULL, &st,
                                   err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_failed, 1);
    char *e = slurp("failed/bad.csv.errors");
    snprintf(want, sizeof want,
             "%s/failed/bad.csv:2: value: '5.5' is not a whole number: "
             "counts are whole persons, not 万人\n"
             "%s/failed/bad.csv:1: note: header: column '备注' ignored (not "
             "one of indicator, period, value, numerator, denominator, "
             "region)\n",
             dir, dir);
    cr_expect_str_eq(e, want);
    free(e);

    /* No warnings: no .warnings file. */
    put_inbox("plain.csv", "indicator,period,value\nurban_new_jobs,2025-09,5\n");
    cr_expect_eq(intake_inbox_file(sp, &scope, dir, "plain.csv", NULL, &st,
                                   err),
                 ERR_OK, "%s", err);
    char path[400];
    snprintf(path, sizeof path, "%s/done/plain.csv.warnings", dir);
    cr_expect_neq(access(path, F_OK), 0);
    spool_close(&sp);
}

/* --- hrss-agent indicators, regions -------------------------------------- */

/* The display column where @p needle starts in @p line, or -1. */
static long column_of(const char *line, const char *needle)
{
    const char *at = strstr(line, needle);
    if (at == NULL) {
        return -1;
    }
    char prefix[1024];
    size_t n = (size_t)(at - line);
    cr_assert_lt(n, sizeof prefix);
    memcpy(prefix, line, n);
    prefix[n] = '\0';
    return (long)table_text_width(prefix);
}

Test(clerk, indicators_table_lines_up_chinese_names)
{
    char *text = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    cr_assert_eq(listing_print(LISTING_INDICATORS, HRSS_TEST_CATALOG_DIR,
                               NULL, f, err),
                 ERR_OK, "%s", err);
    cr_assert_eq(fclose(f), 0);
    /* The kind column starts at the same display column on every row,
     * whatever the width of the Chinese name before it. */
    long kind_col = -1;
    size_t rows = 0;
    for (char *line = text; *line != '\0';) {
        char *end = strchr(line, '\n');
        cr_assert_not_null(end);
        *end = '\0';
        if (line[0] != '-') {
            const char *key = strstr(line, "  kind") != NULL    ? "  kind"
                              : strstr(line, "  ratio") != NULL ? "  ratio"
                                                                : "  count";
            long c = column_of(line, key);
            cr_assert_geq(c, 0, "%s", line);
            if (kind_col < 0) {
                kind_col = c;
            }
            cr_expect_eq(c, kind_col, "%s", line);
            rows++;
        }
        line = end + 1;
    }
    cr_expect_eq(rows, 1 + catalog_indicator_count(cat));
    free(text);
}

Test(clerk, regions_at_and_below_the_office)
{
    char *text = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    cr_assert_eq(listing_print(LISTING_REGIONS, HRSS_TEST_CATALOG_DIR,
                               "330100", f, err),
                 ERR_OK, "%s", err);
    cr_assert_eq(fclose(f), 0);
    size_t lines = 0;
    for (const char *p = text; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    const region_t *hz =
        catalog_region(cat, (size_t)catalog_region_find(cat, 330100));
    cr_expect_eq(lines, 2 + hz->subtree_size, "%s", text);
    cr_expect_not_null(strstr(text, "\n330102  上城区"), "%s", text);
    cr_expect_null(strstr(text, "330200"), "%s", text);
    free(text);
    f = open_memstream(&text, &len);
    cr_expect_eq(listing_print(LISTING_REGIONS, HRSS_TEST_CATALOG_DIR,
                               "999999", f, err),
                 ERR_NOTFOUND);
    fclose(f);
    free(text);
}
