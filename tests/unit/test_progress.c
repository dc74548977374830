/* test_progress.c: the plan's arithmetic (admin/progress.c) on numbers
 * alone, and the progress answer laid out for a plan (admin/cmd_plan.c).
 *
 * The shipped catalog is the 2021-2025 plan (baseline 2020): targets
 * at least and at most, five-year cumulative 〔〕, annual, and levels of
 * stocks and of ratios. A second catalog, written into a temp directory,
 * is a 2026-2030 plan with another title, and a third a three-year plan:
 * the pace, the year headers, the title and the footer must follow them.
 *
 * Expected values are worked out by hand in the comments: a 60-month plan
 * makes the elapsed shares 3/60, 24/60, 30/60, 48/60 and 60/60 at
 * 2021-03, 2022, 2023-06, 2024-Q4 and 2025.
 *
 * INVARIANTS
 *   1. Every catalog and buffer a test makes is freed, every temp
 *      directory removed, in that test.
 *   2. No test depends on the clock, TZ or the locale.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/cmd_plan.h"
#include "admin/progress.h"
#include "admin/zone.h"

static catalog_t *cat;

static void load_shipped(void)
{
    char err[ERR_LEN];
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
}

static void unload(void)
{
    catalog_destroy(&cat);
}

TestSuite(progress, .init = load_shipped, .fini = unload);

static const indicator_t *ind(const char *code)
{
    int i = catalog_indicator_find(cat, code);
    cr_assert_geq(i, 0, "%s", code);
    return catalog_indicator(cat, (size_t)i);
}

static period_t per(const char *s)
{
    period_t p;
    char err[ERR_LEN];
    cr_assert_eq(period_parse(s, &p, err), ERR_OK, "%s", err);
    return p;
}

static store_total_t count(int64_t v, uint32_t reporting, uint32_t expected)
{
    store_total_t t = {0, v, 0, reporting, expected, 0, 0};
    return t;
}

static store_total_t ratio(int64_t n, int64_t d, uint32_t reporting)
{
    store_total_t t = {1, n, d, reporting, 102, 0, 0};
    return t;
}

static progress_row_t row_at(const char *code, const char *p,
                             store_total_t t)
{
    period_t q = per(p);
    progress_row_t r;
    progress_row(ind(code), catalog_plan(cat), &q, &t, &r);
    cr_expect_eq(r.ind, ind(code));
    return r;
}

/* The covered period as text, and the elapsed share. */
static void expect_span(const char *code, const char *p, const char *cov,
                        double elapsed)
{
    period_t q = per(p);
    progress_span_t s = progress_span(ind(code), catalog_plan(cat), &q);
    char buf[PERIOD_STR_LEN];
    period_format(&s.covered, buf, sizeof buf);
    cr_expect_str_eq(buf, cov, "%s at %s", code, p);
    cr_expect_float_eq(s.elapsed, elapsed, 1e-12, "%s at %s: %.17g", code,
                       p, s.elapsed);
}

/* ------------------------------------------------------------------ */
/* which period a value is taken over                                  */

Test(progress, cumulative_spans_from_the_plans_start_through_p)
{
    const char *c = "urban_new_jobs"; /* cumulative_2021_2025 */
    expect_span(c, "2021-03", "2021-01..2021-03", 3.0 / 60);
    expect_span(c, "2022", "2021..2022", 24.0 / 60);
    expect_span(c, "2023-06", "2021-01..2023-06", 30.0 / 60);
    expect_span(c, "2024-Q4", "2021..2024", 48.0 / 60);
    expect_span(c, "2025", "2021..2025", 1.0);
    /* Cut at the span's end; nothing to ask before it starts. */
    expect_span(c, "2026-03", "2021..2025", 1.0);
    period_t early = per("2020-06");
    progress_span_t s = progress_span(ind(c), catalog_plan(cat), &early);
    cr_expect_lt(s.covered.last, s.covered.first);
    cr_expect_eq(s.elapsed, 0.0);
}

Test(progress, annual_spans_ps_year_through_p)
{
    const char *c = "postdoc_recruits"; /* annual_2025 */
    expect_span(c, "2021-03", "2021-01..2021-03", 3.0 / 12);
    expect_span(c, "2022", "2022..2022", 1.0);
    expect_span(c, "2023-06", "2023-01..2023-06", 6.0 / 12);
    expect_span(c, "2024-Q4", "2024..2024", 1.0);
    expect_span(c, "2025", "2025..2025", 1.0);
}

Test(progress, level_is_p_itself_paced_over_the_plan)
{
    const char *c = "pension_insured"; /* level_2025 */
    expect_span(c, "2021-03", "2021-03", 3.0 / 60);
    expect_span(c, "2022", "2022", 24.0 / 60);
    expect_span(c, "2023-06", "2023-06", 30.0 / 60);
    expect_span(c, "2024-Q4", "2024-Q4", 48.0 / 60);
    expect_span(c, "2025", "2025", 1.0);
    expect_span("urban_surveyed_unemployment_rate", "2023-06", "2023-06",
                0.5);
}

/* ------------------------------------------------------------------ */
/* standing                                                            */

Test(progress, cumulative_at_least)
{
    /* 500万 over 60 months: 2,000,000 due by the end of 2022. */
    progress_row_t r = row_at("urban_new_jobs", "2022",
                              count(2000000, 101, 102));
    cr_expect(r.has_value);
    cr_expect_eq(r.value, 2000000.0);
    cr_expect_eq(r.target, 5000000.0);
    cr_expect_float_eq(r.expected, 2000000.0, 1e-6);
    cr_expect_float_eq(r.share, 0.4, 1e-12);
    cr_expect(r.on_track);
    cr_expect_eq(r.reporting, 101);
    cr_expect_eq(r.expected_regions, 102);
    /* 2023-06: 2,500,000 due; 2,400,000 is behind. */
    r = row_at("urban_new_jobs", "2023-06", count(2400000, 101, 102));
    cr_expect_float_eq(r.expected, 2500000.0, 1e-6);
    cr_expect_float_eq(r.share, 0.48, 1e-12);
    cr_expect_not(r.on_track);
    /* 2021-03: 250,000 due. */
    r = row_at("urban_new_jobs", "2021-03", count(250000, 101, 102));
    cr_expect_float_eq(r.expected, 250000.0, 1e-6);
    cr_expect(r.on_track);
    /* 2025: the whole target. */
    r = row_at("urban_new_jobs", "2025", count(5484613, 101, 102));
    cr_expect_eq(r.expected, 5000000.0);
    cr_expect_float_eq(r.share, 1.0969226, 1e-12);
    cr_expect(r.on_track);
}

Test(progress, level_stock_from_baseline_to_target)
{
    /* 4355万 -> 4500万: +1,450,000 over 60 months. */
    progress_row_t r = row_at("pension_insured", "2023-06",
                              count(44275000, 101, 102));
    cr_expect_eq(r.baseline, 43550000.0);
    cr_expect_eq(r.target, 45000000.0);
    cr_expect_eq(r.expected, 44275000.0); /* + 1,450,000 × 30/60 */
    cr_expect(r.on_track);
    r = row_at("pension_insured", "2023-06", count(44274999, 101, 102));
    cr_expect_not(r.on_track);
    r = row_at("pension_insured", "2021-03", count(43600000, 14, 14));
    cr_expect_float_eq(r.expected, 43622500.0, 1e-6); /* × 3/60 */
    cr_expect_not(r.on_track);
    r = row_at("pension_insured", "2024-Q4", count(44800000, 101, 102));
    cr_expect_float_eq(r.expected, 44710000.0, 1e-6); /* × 48/60 */
    cr_expect_float_eq(r.share, 44800000.0 / 45000000.0, 1e-12);
    cr_expect(r.on_track);
    r = row_at("pension_insured", "2022", count(44130000, 101, 102));
    cr_expect_float_eq(r.expected, 44130000.0, 1e-6); /* × 24/60 */
    cr_expect(r.on_track);
}

Test(progress, annual_target_paced_over_the_year)
{
    /* 1100 a year: 550 due by the end of June. */
    progress_row_t r = row_at("postdoc_recruits", "2023-06",
                              count(600, 101, 102));
    cr_expect_eq(r.target, 1100.0);
    cr_expect_eq(r.expected, 550.0);
    cr_expect(r.on_track);
    r = row_at("postdoc_recruits", "2023-06", count(549, 101, 102));
    cr_expect_not(r.on_track);
    r = row_at("postdoc_recruits", "2024-Q4", count(1710, 101, 102));
    cr_expect_eq(r.expected, 1100.0);
    cr_expect_float_eq(r.share, 1710.0 / 1100.0, 1e-12);
    cr_expect(r.on_track);
}

Test(progress, at_most_ratio_against_its_ceiling)
{
    /* Unemployment at most 5.5%, whatever the period. */
    progress_row_t r = row_at("urban_surveyed_unemployment_rate", "2024-Q4",
                              ratio(23016946, 474473984, 101));
    cr_expect(r.has_value);
    cr_expect_eq(r.num, 23016946);
    cr_expect_eq(r.den, 474473984);
    cr_expect_float_eq(r.value, 0.04851044899, 1e-11);
    cr_expect_float_eq(r.target, 0.055, 1e-15);
    cr_expect_float_eq(r.expected, 0.055, 1e-15);
    cr_expect_float_eq(r.share, 0.04851044899 / 0.055, 1e-9);
    cr_expect(r.on_track);
    r = row_at("urban_surveyed_unemployment_rate", "2021-03",
               ratio(56, 1000, 1));
    cr_expect_not(r.on_track);
    /* Exactly at the ceiling is on track. */
    r = row_at("urban_surveyed_unemployment_rate", "2025",
               ratio(55, 1000, 1));
    cr_expect(r.on_track);
}

Test(progress, level_ratios_with_and_without_a_rising_baseline)
{
    /* E-card coverage 50% -> 70%: 60% due half-way. */
    progress_row_t r = row_at("e_social_security_card_coverage", "2023-06",
                              ratio(60, 100, 101));
    cr_expect_float_eq(r.baseline, 0.5, 1e-15);
    cr_expect_float_eq(r.expected, 0.6, 1e-12);
    cr_expect(r.on_track);
    r = row_at("e_social_security_card_coverage", "2023-06",
               ratio(59, 100, 101));
    cr_expect_not(r.on_track);
    /* Mediation 80% -> 80% and arbitration 94% -> 92%: the target
     * itself from the start. */
    r = row_at("dispute_mediation_success_rate", "2021-03",
               ratio(96, 120, 3));
    cr_expect_float_eq(r.expected, 0.8, 1e-15);
    cr_expect_float_eq(r.share, 1.0, 1e-12);
    cr_expect(r.on_track);
    r = row_at("arbitration_closure_rate", "2022", ratio(91, 100, 3));
    cr_expect_float_eq(r.expected, 0.92, 1e-15);
    cr_expect_not(r.on_track);
}

Test(progress, no_data_is_not_zero)
{
    progress_row_t r = row_at("pension_insured", "2023-06",
                              count(0, 0, 102));
    cr_expect_not(r.has_value);
    cr_expect_not(r.on_track);
    cr_expect_eq(r.expected_regions, 102);
    /* A ratio reported with nothing in its denominator has no value. */
    r = row_at("dispute_mediation_success_rate", "2023-06", ratio(0, 0, 5));
    cr_expect_not(r.has_value);
    cr_expect_not(r.on_track);
    cr_expect_eq(r.value, 0.0);
    /* Before a cumulative span starts nothing is asked: all zero. */
    r = row_at("urban_new_jobs", "2020-06", count(0, 0, 0));
    cr_expect_not(r.has_value);
    cr_expect_eq(r.elapsed, 0.0);
    cr_expect_eq(r.expected, 0.0);
}

/* ------------------------------------------------------------------ */
/* the default period                                                  */

static time_t utc(int y, int mo, int d, int h)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    return timegm(&tm);
}

static void expect_default(const catalog_plan_t *plan, time_t now, long tz,
                           const char *want)
{
    period_t p = progress_default_period(plan, now, tz);
    char buf[PERIOD_STR_LEN];
    period_format(&p, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "at %lld, offset %ld", (long long)now, tz);
}

Test(progress, default_period_is_now_within_the_plan)
{
    const catalog_plan_t *plan = catalog_plan(cat);
    long cst = ZONE_DEFAULT_OFFSET;
    expect_default(plan, utc(2023, 6, 15, 12), cst, "2023-06");
    expect_default(plan, utc(2021, 1, 1, 0), cst, "2021-01");
    /* Before the plan: its first month; after it: its last year. */
    expect_default(plan, utc(2020, 7, 1, 0), cst, "2021-01");
    expect_default(plan, utc(2026, 3, 1, 0), cst, "2025");
    /* The month changes at midnight in the display zone: 20:00 UTC on
     * 31 December 2025 is already 2026 in UTC+8. */
    expect_default(plan, utc(2025, 12, 31, 20), cst, "2025");
    expect_default(plan, utc(2025, 12, 31, 20), 0, "2025-12");
}

/* ------------------------------------------------------------------ */
/* another plan                                                        */

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fputs(text, f) >= 0, 1);
    cr_assert_eq(fclose(f), 0);
}

static const char regions_csv[] =
    "code,name_zh,name_en,level,parent_code\n"
    "330000,浙江省,Zhejiang,province,\n"
    "330100,杭州市,Hangzhou,city,330000\n";

static const char header_2030[] =
    "no,code,name_zh,name_en,group_zh,unit_zh,kind,over_time,"
    "baseline_2025,target_2030,target_basis,direction,attribute,part_of,"
    "numerator_zh,denominator_zh\n";

/* A 2026-2030 plan: cumulative, level, ratio and annual targets. */
static void load_2030(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hrss_prog_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    char ind_csv[2048];
    snprintf(ind_csv, sizeof ind_csv, "%s%s", header_2030,
             "1,jobs,新增就业,New jobs,就业,万人,count,sum,,600,"
             "cumulative_2026_2030,at_least,expected,,,\n"
             "2,insured,参保人数,Insured,社保,万人,count,last,4600,4900,"
             "level_2030,at_least,expected,,,\n"
             "3,jobless,失业率,Unemployment,就业,%,ratio,sum,,5,level_2030,"
             "at_most,expected,,失业人数,劳动力\n"
             "4,postdocs,博士后招收,Postdocs,人才,人,count,sum,1500,1600,"
             "annual_2030,at_least,expected,,,\n");
    write_file("indicators.csv", ind_csv);
    write_file("regions.csv", regions_csv);
    write_file("plan.csv", "key,value\ntitle_zh,某省“十五五”规划\n");
    char err[ERR_LEN];
    cr_assert_eq(catalog_load_dir(&cat, tmpdir, err), ERR_OK, "%s", err);
}

static void remove_tmp(void)
{
    const char *names[] = {"indicators.csv", "regions.csv", "plan.csv"};
    for (size_t i = 0; i < 3; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
}

static void unload_2030(void)
{
    catalog_destroy(&cat);
    remove_tmp();
}

Test(progress, another_plan_sets_the_pace, .init = load_2030,
     .fini = unload_2030)
{
    const catalog_plan_t *plan = catalog_plan(cat);
    cr_assert_eq(plan->first_year, 2026);
    /* 2027-06 is month 18 of 60. */
    expect_span("insured", "2027-06", "2027-06", 18.0 / 60);
    expect_span("jobs", "2027-06", "2026-01..2027-06", 18.0 / 60);
    expect_span("postdocs", "2027-06", "2027-01..2027-06", 0.5);
    progress_row_t r = row_at("insured", "2027-06",
                              count(46900000, 2, 2));
    cr_expect_float_eq(r.expected, 46900000.0, 1e-6); /* + 3,000,000 × 0.3 */
    cr_expect(r.on_track);
    r = row_at("jobs", "2027-06", count(1700000, 2, 2));
    cr_expect_float_eq(r.expected, 1800000.0, 1e-6); /* 6,000,000 × 0.3 */
    cr_expect_not(r.on_track);
    /* A level in the shipped plan's years is outside this one: the pace
     * has not started. */
    r = row_at("insured", "2025", count(46000000, 2, 2));
    cr_expect_eq(r.elapsed, 0.0);
    cr_expect_eq(r.expected, 46000000.0);
    expect_default(plan, utc(2028, 2, 10, 0), 0, "2028-02");
    expect_default(plan, utc(2025, 6, 1, 0), 0, "2026-01");
    expect_default(plan, utc(2031, 1, 5, 0), 0, "2030");
}

/* Everything cmd_plan_print() writes in form @p fmt for rows at @p p. */
static char *print_progress(enum render_fmt fmt, const char *p,
                            const store_total_t *totals)
{
    size_t n = catalog_indicator_count(cat);
    progress_row_t *rows = calloc(n, sizeof *rows);
    cr_assert_not_null(rows);
    period_t q = per(p);
    for (size_t i = 0; i < n; i++) {
        progress_row(catalog_indicator(cat, i), catalog_plan(cat), &q,
                     &totals[i], &rows[i]);
    }
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    cmd_plan_print(f, fmt, cat, 330000, "浙江省", &q, rows,
                   ZONE_DEFAULT_OFFSET, 0);
    cr_assert_eq(fclose(f), 0);
    free(rows);
    return out;
}

Test(progress, another_plan_titles_the_table, .init = load_2030,
     .fini = unload_2030)
{
    const store_total_t totals[] = {
        count(1700000, 2, 2), count(46900000, 2, 2),
        {1, 45, 1000, 2, 2, 0, 0}, count(0, 0, 2)};
    char *got = print_progress(RENDER_TABLE, "2027-06", totals);
    cr_expect_str_eq(
        got,
        "某省“十五五”规划 progress — 浙江省 330000, period 2027-06\n"
        "\n"
        "指标 indicator  单位  2025 基期  2030 目标  现值 value  "
        "完成 share  进度 status  regions\n"
        "--------------  ----  ---------  ---------  ----------  "
        "----------  -----------  -------\n"
        "新增就业        万人               〔600〕      170.00       "
        "28.3%  behind           2/2\n"
        "参保人数        万人      4,600      4,900    4,690.00       "
        "95.7%  on track         2/2\n"
        "失业率          %                        5         4.5       "
        "90.0%  on track         2/2\n"
        "博士后招收      人        1,500      1,600           -       "
        "    -  no data          0/2\n"
        "\n"
        "〔〕 five-year cumulative target (2026-2030); value = cumulative "
        "through 2027-06.\n"
        "on track = at or above a straight line from the 2025 baseline (or "
        "from 0) to the target.\n"
        "approved regions (every month of the period approved): 0/2 over "
        "2026-01..2027-06, 0/2 over 2027-06, 0/2 over 2027-01..2027-06.\n");
    free(got);

    got = print_progress(RENDER_CSV, "2027-06", totals);
    cr_expect_str_eq(
        got,
        "indicator,指标 indicator,单位,2025 基期,2030 目标,现值 value,"
        "完成 share,进度 status,reporting_regions,expected_regions,"
        "approved_regions\n"
        "jobs,新增就业,万人,,6000000,1700000,0.2833333333,behind,2,2,0\n"
        "insured,参保人数,万人,46000000,49000000,46900000,0.9571428571,"
        "on track,2,2,0\n"
        "jobless,失业率,%,,0.05,0.045,0.9,on track,2,2,0\n"
        "postdocs,博士后招收,人,1500,1600,,,no data,0,2,0\n");
    free(got);

    got = print_progress(RENDER_JSON, "2027-06", totals);
    const char *head =
        "{\"region\": \"330000\", \"period\": \"2027-06\", "
        "\"province\": \"330000\", \"targets\": \"own\", "
        "\"approved_only\": false, \"indicators\": [\n";
    cr_expect(strncmp(got, head, strlen(head)) == 0, "%s", got);
    const char *first =
        "  {\"indicator\": "
        "\"jobs\", \"name_zh\": \"新增就业\", \"kind\": "
        "\"count\", \"display_unit\": \"万人\", "
        "\"unit_scale\": 10000, \"basis\": \"cumulative\", "
        "\"period\": \"2026-01..2027-06\", \"baseline\": "
        "null, \"target\": 6000000, \"direction\": "
        "\"at_least\", \"value\": 1700000, \"share\": "
        "0.2833333333, \"expected\": 1800000, \"elapsed\": "
        "0.3, \"on_track\": false, \"reporting_regions\": 2, "
        "\"expected_regions\": 2, \"approved_regions\": 0, "
        "\"target_source\": \"own\", \"target_region\": \"330000\", "
        "\"target_year\": 2030},\n";
    cr_expect(strncmp(got + strlen(head), first, strlen(first)) == 0, "%s",
              got);
    cr_expect(strstr(got, "\"value\": 0.045, \"numerator\": 45, "
                          "\"denominator\": 1000, \"share\": 0.9,") != NULL,
              "%s", got);
    cr_expect(strstr(got, "\"value\": null, \"share\": null,") != NULL, "%s",
              got);
    cr_expect_str_eq(got + strlen(got) - 4, "\n]}\n");
    free(got);
}

/* A three-year plan says so. */
static void load_2023(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hrss_prog_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    write_file("indicators.csv",
               "no,code,name_zh,name_en,group_zh,unit_zh,kind,over_time,"
               "baseline_2020,target_2023,target_basis,direction,attribute,"
               "part_of,numerator_zh,denominator_zh\n"
               "1,jobs,新增就业,New jobs,就业,万人,count,sum,,300,"
               "cumulative_2021_2023,at_least,expected,,,\n");
    write_file("regions.csv", regions_csv);
    write_file("plan.csv", "key,value\ntitle_zh,三年行动计划\n"
                           "title_en,Three-year action plan\n");
    char err[ERR_LEN];
    cr_assert_eq(catalog_load_dir(&cat, tmpdir, err), ERR_OK, "%s", err);
}

Test(progress, a_three_year_plan, .init = load_2023, .fini = unload_2030)
{
    const store_total_t totals[] = {count(1500000, 2, 2)};
    char *got = print_progress(RENDER_TABLE, "2022", totals);
    cr_expect(strncmp(got, "三年行动计划 progress — 浙江省 330000, period "
                           "2022\n\n",
                      strlen("三年行动计划 progress — 浙江省 330000, period "
                             "2022\n\n")) == 0,
              "%s", got);
    cr_expect(strstr(got, "2020 基期  2023 目标") != NULL, "%s", got);
    /* 300万 over 36 months: 24/36 due by the end of 2022, 200万. */
    cr_expect(strstr(got, "〔300〕      150.00       50.0%  behind") != NULL,
              "%s", got);
    cr_expect(strstr(got, "\n〔〕 three-year cumulative target (2021-2023); "
                          "value = cumulative through 2022.\n"
                          "on track = at or above a straight line from the "
                          "2020 baseline (or from 0) to the target.\n") !=
                  NULL,
              "%s", got);
    free(got);
}

Test(progress, the_shipped_plan_reads_as_before)
{
    size_t n = catalog_indicator_count(cat);
    store_total_t *totals = calloc(n, sizeof *totals);
    cr_assert_not_null(totals);
    char *got = print_progress(RENDER_TABLE, "2023-06", totals);
    cr_expect(strncmp(got, "浙江省人力资源和社会保障“十四五”规划 progress — "
                           "浙江省 330000, period 2023-06\n\n"
                           "指标 indicator",
                      strlen("浙江省人力资源和社会保障“十四五”规划 progress — "
                             "浙江省 330000, period 2023-06\n\n"
                             "指标 indicator")) == 0,
              "%s", got);
    cr_expect(strstr(got, "  2020 基期  2025 目标  ") != NULL, "%s", got);
    cr_expect(strstr(got, "\n\n〔〕 five-year cumulative target (2021-2025); "
                          "value = cumulative through 2023-06.\n"
                          "on track = at or above a straight line from the "
                          "2020 baseline (or from 0) to the target.\n") !=
                  NULL,
              "%s", got);
    free(got);
    free(totals);
}

/* ------------------------------------------------------------------ */
/* targets per region: tests/fixtures/targets/targets.csv gives 杭州市 */
/* urban_new_jobs 〔120〕 with a 2023 milestone 〔70〕, pension_insured */
/* 620 and the mediation rate 82%; the province keeps the plan's.     */

static void load_city_targets(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hrss_prog_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cp %s/indicators.csv %s/regions.csv %s/plan.csv %s/ && "
             "cp %s/targets/targets.csv %s/",
             HRSS_TEST_CATALOG_DIR, HRSS_TEST_CATALOG_DIR,
             HRSS_TEST_CATALOG_DIR, tmpdir, HRSS_TEST_FIXTURES_DIR, tmpdir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char err[ERR_LEN];
    catalog_destroy(&cat);
    cr_assert_eq(catalog_load_dir(&cat, tmpdir, err), ERR_OK, "%s", err);
}

static void unload_city_targets(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/targets.csv", tmpdir);
    unlink(path);
    unload_2030();
}

static int region_index(uint32_t code)
{
    int r = catalog_region_find(cat, code);
    cr_assert_geq(r, 0);
    return r;
}

/* @p code's row for region @p region at @p p, as cmd_plan asks it. */
static progress_row_t city_row(const char *code, uint32_t region,
                               const char *p, store_total_t t)
{
    period_t q = per(p);
    size_t i = (size_t)catalog_indicator_find(cat, code);
    int ri = region_index(region);
    const catalog_target_t *tg =
        catalog_target_at(cat, i, ri, month_year(q.last));
    progress_row_t r;
    progress_row_for(ind(code), tg, ri == catalog_region_root(cat),
                     catalog_plan(cat), &q, &t, &r);
    return r;
}

Test(progress, a_city_is_measured_against_its_own_milestone,
     .init = load_city_targets, .fini = unload_city_targets)
{
    /* 2023-06: the milestone 〔70〕 through 2023, 30 of its 36 months:
     * 700,000 × 30/36 = 583,333.3 due. */
    progress_row_t r = city_row("urban_new_jobs", 330100, "2023-06",
                                count(600000, 14, 14));
    cr_expect(r.has_target);
    cr_expect_eq(r.target_year, 2023);
    cr_expect_eq(r.target, 700000.0);
    cr_expect_float_eq(r.elapsed, 30.0 / 36, 1e-12);
    cr_expect_float_eq(r.expected, 700000.0 * 30 / 36, 1e-6);
    cr_expect(r.on_track);
    cr_expect_float_eq(r.share, 600000.0 / 700000, 1e-12);
    /* 2024: no milestone, the 2025 target 〔120〕 over 60 months. */
    r = city_row("urban_new_jobs", 330100, "2024", count(900000, 14, 14));
    cr_expect_eq(r.target_year, 2025);
    cr_expect_float_eq(r.expected, 1200000.0 * 48 / 60, 1e-6);
    cr_expect_not(r.on_track);
    /* A level without a baseline of its own: the target itself, never
     * paced from the province's 2020 baseline (4,355万). */
    r = city_row("pension_insured", 330100, "2023-06",
                 count(6000000, 14, 14));
    cr_expect_eq(r.baseline, 0.0);
    cr_expect_eq(r.expected, 6200000.0);
    cr_expect_not(r.on_track);
    /* The province is as before. */
    r = city_row("pension_insured", 330000, "2023-06",
                 count(44500000, 102, 102));
    progress_row_t before = row_at("pension_insured", "2023-06",
                                   count(44500000, 102, 102));
    cr_expect_eq(r.expected, before.expected);
    cr_expect_eq(r.baseline, 43550000.0);
}

Test(progress, without_a_target_a_city_shows_its_share_of_the_province,
     .init = load_city_targets, .fini = unload_city_targets)
{
    progress_row_t r = city_row("skilled_talent", 330100, "2025",
                                count(2300000, 14, 14));
    cr_expect_not(r.has_target);
    cr_expect_not(r.on_track);
    cr_expect(isnan(r.target));
    cr_expect(isnan(r.share));
    cr_expect_eq(r.value, 2300000.0);
    store_total_t prov = count(11500000, 102, 102);
    progress_province(&r, &prov);
    cr_expect(r.has_province);
    cr_expect_float_eq(r.province_share, 0.2, 1e-12);
    /* A province without a report gives no share. */
    store_total_t none = count(0, 0, 102);
    progress_province(&r, &none);
    cr_expect_not(r.has_province);
    cr_expect(isnan(r.province_share));
}

/* The table line of @p got that starts with @p name holds @p a and
 * @p b, in that order (whatever the columns' widths). */
static void expect_in_line(const char *got, const char *name, const char *a,
                           const char *b)
{
    const char *l = strstr(got, name);
    cr_assert_not_null(l, "%s: %s", name, got);
    const char *end = strchr(l, '\n');
    cr_assert_not_null(end);
    const char *pa = strstr(l, a);
    cr_expect(pa != NULL && pa < end, "%s lacks '%s': %s", name, a, got);
    const char *pb = pa != NULL ? strstr(pa + strlen(a), b) : NULL;
    cr_expect(pb != NULL && pb < end, "%s lacks '%s': %s", name, b, got);
}

/* cmd_plan_print() of region @p region at @p p in form @p fmt, every
 * indicator at @p t, the province at 5 × @p t. */
static char *print_region(enum render_fmt fmt, uint32_t region,
                          const char *name, const char *p, store_total_t t)
{
    size_t n = catalog_indicator_count(cat);
    progress_row_t *rows = calloc(n, sizeof *rows);
    cr_assert_not_null(rows);
    period_t q = per(p);
    int ri = region_index(region);
    for (size_t i = 0; i < n; i++) {
        const indicator_t *in = catalog_indicator(cat, i);
        store_total_t mine = t;
        store_total_t prov = t;
        if (in->kind == IND_RATIO) {
            mine = ratio(80, 100, t.reporting);
            prov = ratio(400, 500, 102);
        } else {
            prov.num = 5 * t.num;
            prov.reporting = 102;
        }
        const catalog_target_t *tg =
            catalog_target_at(cat, i, ri, month_year(q.last));
        progress_row_for(in, tg, 0, catalog_plan(cat), &q, &mine, &rows[i]);
        progress_province(&rows[i], &prov);
    }
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    cmd_plan_print(f, fmt, cat, region, name, &q, rows, ZONE_DEFAULT_OFFSET,
                   0);
    cr_assert_eq(fclose(f), 0);
    free(rows);
    return out;
}

Test(progress, a_city_table_says_whose_targets_and_no_target,
     .init = load_city_targets, .fini = unload_city_targets)
{
    char *got = print_region(RENDER_TABLE, 330100, "杭州市", "2023-06",
                             count(6000000, 14, 14));
    cr_expect(strstr(got, "2020 基期  目标 target  年 year") != NULL, "%s",
              got);
    cr_expect(strstr(got, "完成 share  占全省 of province  进度 status") !=
                  NULL,
              "%s", got);
    /* Its own milestone and target; no target elsewhere, never 4,500. */
    expect_in_line(got, "城镇新增就业人数 ", "〔70〕", " 2023 ");
    expect_in_line(got, "基本养老保险参保人数 ", " 620 ", " 2025 ");
    expect_in_line(got, "技能人才总量 ", " - ", "no target");
    cr_expect(strstr(got, "4,500") == NULL, "%s", got);
    cr_expect(strstr(got, "4,355") == NULL, "%s", got);
    cr_expect(strstr(got, "20.0%  no target") != NULL, "%s", got);
    cr_expect(strstr(got, "\n年 year: the target's; before 2025 a "
                          "milestone, paced to the end of that year.\n"
                          "on track = at or above a straight line from 0 to "
                          "a cumulative target, at or above a level target "
                          "(the 2020 baselines are 浙江省's).\n"
                          "targets: 杭州市's own (targets.csv); \"no "
                          "target\": 杭州市 has none of its own for it.\n"
                          "占全省 = 杭州市's share of 浙江省's total.\n") !=
                  NULL,
              "%s", got);
    free(got);

    got = print_region(RENDER_JSON, 330100, "杭州市", "2023-06",
                       count(6000000, 14, 14));
    const char *head = "{\"region\": \"330100\", \"period\": \"2023-06\", "
                       "\"province\": \"330000\", \"targets\": "
                       "\"partial\", ";
    cr_expect(strncmp(got, head, strlen(head)) == 0, "%s", got);
    cr_expect(strstr(got, "\"target\": 700000, \"direction\"") != NULL, "%s",
              got);
    cr_expect(strstr(got, "\"target_source\": \"own\", \"target_region\": "
                          "\"330100\", \"target_year\": 2023, "
                          "\"province_value\": 30000000, "
                          "\"share_of_province\": 0.2}") != NULL,
              "%s", got);
    cr_expect(strstr(got, "\"baseline\": null, \"target\": null, "
                          "\"direction\": \"at_least\", \"value\": 6000000, "
                          "\"share\": null, \"expected\": null, \"elapsed\": "
                          "0.5, \"on_track\": null, \"reporting_regions\": "
                          "14, \"expected_regions\": 14, "
                          "\"approved_regions\": 0, \"target_source\": "
                          "\"none\", \"target_region\": null, "
                          "\"target_year\": null, \"province_value\": "
                          "30000000, \"share_of_province\": 0.2}") != NULL,
              "%s", got);
    free(got);
}

Test(progress, a_city_without_targets_is_not_measured_against_the_province,
     .init = load_city_targets, .fini = unload_city_targets)
{
    char *got = print_region(RENDER_TABLE, 330200, "宁波市", "2025",
                             count(6000000, 11, 11));
    cr_expect(strstr(got, "4,500") == NULL, "%s", got);
    cr_expect(strstr(got, "on track") == NULL, "%s", got);
    cr_expect(strstr(got, "behind") == NULL, "%s", got);
    cr_expect(strstr(got, "no target") != NULL, "%s", got);
    cr_expect(strstr(got, "\nno target for 宁波市 330200: the plan's targets "
                          "are 浙江省's, and 宁波市 has none of its own in "
                          "targets.csv.\n"
                          "占全省 = 宁波市's share of 浙江省's total.\n") !=
                  NULL,
              "%s", got);
    /* No pace line without a target. */
    cr_expect(strstr(got, "on track =") == NULL, "%s", got);
    free(got);
    got = print_region(RENDER_JSON, 330200, "宁波市", "2025",
                       count(6000000, 11, 11));
    cr_expect(strstr(got, "\"targets\": \"none\"") != NULL, "%s", got);
    cr_expect(strstr(got, "\"target_source\": \"own\"") == NULL, "%s", got);
    free(got);
}
