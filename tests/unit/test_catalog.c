/* test_catalog.c: loading and validating the indicator and region catalogs.
 *
 * The shipped files (HRSS_TEST_CATALOG_DIR) must load with the facts the
 * rest of hrss relies on. Malformed catalogs are made by copying the
 * shipped files into a fresh directory under /tmp and changing one line,
 * then checking the "FILE:LINE: reason" message.
 *
 * INVARIANTS
 *   1. Every catalog a test loads is destroyed in that test.
 *   2. Tests that write files use their own mkdtemp directory, removed by
 *      the fixture even when an assertion fails.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/catalog.h"
#include "common/csv.h"
#include "common/mem.h"

#ifndef HRSS_TEST_CATALOG_DIR
#error "HRSS_TEST_CATALOG_DIR must name the shipped catalog directory"
#endif

#define IND catalog_file_name(CATALOG_INDICATORS)
#define REG catalog_file_name(CATALOG_REGIONS)
#define PLAN catalog_file_name(CATALOG_PLAN)

static char tmpdir[64];

static char *path_in(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(len);
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

/* Whole file as a NUL-terminated string. Caller frees. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    cr_assert_geq(size, 0);
    cr_assert_eq(fseek(f, 0, SEEK_SET), 0);
    char *s = xmalloc((size_t)size + 1);
    cr_assert_eq(fread(s, 1, (size_t)size, f), (size_t)size);
    s[size] = '\0';
    fclose(f);
    return s;
}

static void write_tmp(const char *name, const char *text)
{
    char *p = path_in(tmpdir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "cannot create %s", p);
    cr_assert_eq(fputs(text, f) >= 0, 1);
    cr_assert_eq(fclose(f), 0);
    free(p);
}

static void copy_shipped(const char *name)
{
    char *src = path_in(HRSS_TEST_CATALOG_DIR, name);
    char *text = slurp(src);
    write_tmp(name, text);
    free(text);
    free(src);
}

static void mk_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hrss_cat_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    /* Not region-changes.csv: these tests rewrite regions.csv, and the
     * changes name regions of the shipped one (test_catalog_changes.c
     * tests that file). */
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        if (i != CATALOG_REGION_CHANGES) {
            copy_shipped(catalog_file_name((enum catalog_file)i));
        }
    }
}

static void rm_tmp(void)
{
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        char *p = path_in(tmpdir, catalog_file_name((enum catalog_file)i));
        unlink(p);
        free(p);
    }
    rmdir(tmpdir);
}

/* Replace line @p lineno (1-based) of tmp file @p name with @p text, or
 * append @p text as a new last line when lineno is 0. */
static void edit_line(const char *name, int lineno, const char *text)
{
    char *p = path_in(tmpdir, name);
    char *old = slurp(p);
    size_t cap = strlen(old) + strlen(text) + 2;
    char *out = xmalloc(cap);
    const char *s = old;
    int line = 1;
    int done = 0;
    out[0] = '\0';
    while (*s != '\0') {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        size_t used = strlen(out);
        if (line == lineno) {
            snprintf(out + used, cap - used, "%s\n", text);
            done = 1;
        } else {
            snprintf(out + used, cap - used, "%.*s\n", (int)len, s);
        }
        s += len + (nl ? 1 : 0);
        line++;
    }
    if (lineno == 0) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s\n", text);
        done = 1;
    }
    cr_assert_eq(done, 1, "%s has no line %d", name, lineno);
    write_tmp(name, out);
    free(out);
    free(old);
    free(p);
}

static catalog_t *load_shipped(void)
{
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    int rc = catalog_load_dir(&c, HRSS_TEST_CATALOG_DIR, err);
    cr_assert_eq(rc, ERR_OK, "load failed: %s", err);
    cr_assert_not_null(c);
    return c;
}

/* Load the tmp catalog, expect ERR_INVAL with "FILE:LINE:" and @p word in
 * the message, and *out left untouched. */
static void expect_invalid(const char *file, int line, const char *word)
{
    int sentinel = 0;
    catalog_t *const marker = (catalog_t *)(void *)&sentinel;
    catalog_t *c = marker;
    char err[ERR_LEN] = "";
    char where[160];
    int rc = catalog_load_dir(&c, tmpdir, err);
    cr_assert_eq(rc, ERR_INVAL, "rc %d, err '%s'", rc, err);
    cr_assert_eq(c, marker, "*out was written on failure");
    snprintf(where, sizeof where, "%s:%d:", file, line);
    cr_assert_not_null(strstr(err, where), "'%s' lacks '%s'", err, where);
    cr_assert_not_null(strstr(err, word), "'%s' lacks '%s'", err, word);
}

static const indicator_t *ind_by_code(const catalog_t *c, const char *code)
{
    int i = catalog_indicator_find(c, code);
    cr_assert_geq(i, 0, "no indicator %s", code);
    const indicator_t *ind = catalog_indicator(c, (size_t)i);
    cr_assert_not_null(ind);
    cr_assert_str_eq(ind->code, code);
    return ind;
}

static const region_t *reg_by_code(const catalog_t *c, uint32_t code,
                                   int *index)
{
    int i = catalog_region_find(c, code);
    cr_assert_geq(i, 0, "no region %u", (unsigned)code);
    const region_t *r = catalog_region(c, (size_t)i);
    cr_assert_not_null(r);
    cr_assert_eq(r->code, code);
    if (index != NULL) {
        *index = i;
    }
    return r;
}

/* --- the shipped catalog ---------------------------------------------- */

Test(catalog, shipped_counts_and_root)
{
    catalog_t *c = load_shipped();
    cr_assert_eq(catalog_indicator_count(c), 19);
    cr_assert_eq(catalog_region_count(c), 104); /* 102 today + 2 abolished */
    int root = catalog_region_root(c);
    cr_assert_geq(root, 0);
    const region_t *r = catalog_region(c, (size_t)root);
    cr_assert_eq(r->code, 330000u);
    cr_assert_str_eq(r->code_str, "330000");
    cr_assert_str_eq(r->name_zh, "浙江省");
    cr_assert_str_eq(r->level, "province");
    cr_assert_eq(r->parent, -1);
    cr_assert_eq(r->depth, 0);
    cr_assert_eq(r->subtree_size, 104);
    cr_assert_eq(r->n_children, 11);
    /* Children in file order: Hangzhou first, Lishui last. */
    cr_assert_eq(catalog_region(c, (size_t)r->children[0])->code, 330100u);
    cr_assert_eq(catalog_region(c, (size_t)r->children[10])->code, 331100u);
    size_t sum = 1;
    for (size_t k = 0; k < r->n_children; k++) {
        const region_t *city = catalog_region(c, (size_t)r->children[k]);
        cr_assert_str_eq(city->level, "city");
        cr_assert_eq(city->parent, root);
        sum += city->subtree_size;
    }
    cr_assert_eq(sum, 104);
    catalog_destroy(&c);
    cr_assert_null(c);
    catalog_destroy(&c); /* harmless twice */
}

Test(catalog, shipped_tree_shape)
{
    catalog_t *c = load_shipped();
    int hz = -1;
    int county = -1;
    int nb_county = -1;
    const region_t *h = reg_by_code(c, 330100, &hz);
    cr_assert_eq(h->subtree_size, 16); /* 下城区 and 江干区 included */
    cr_assert_eq(h->n_children, 15);
    cr_assert_eq(h->depth, 1);
    cr_assert_eq(h->parent, catalog_region_root(c));
    const region_t *k = reg_by_code(c, 330102, &county);
    cr_assert_str_eq(k->name_zh, "上城区");
    cr_assert_eq(k->subtree_size, 1);
    cr_assert_eq(k->depth, 2);
    cr_assert_eq(k->n_children, 0);
    cr_assert_eq(k->parent, hz);
    cr_assert_eq(h->children[0], county);
    (void)reg_by_code(c, 330203, &nb_county);

    cr_assert_eq(catalog_region_within(c, county, hz), 1);
    cr_assert_eq(catalog_region_within(c, county, catalog_region_root(c)),
                 1);
    cr_assert_eq(catalog_region_within(c, hz, hz), 1);
    cr_assert_eq(catalog_region_within(c, hz, county), 0);
    cr_assert_eq(catalog_region_within(c, nb_county, hz), 0);
    cr_assert_eq(catalog_region_within(c, -1, hz), 0);
    cr_assert_eq(catalog_region_within(c, county, 1000), 0);

    cr_assert_eq(catalog_region_find_str(c, "330100"), hz);
    cr_assert_eq(catalog_region_find_str(c, "0330100"), -1);
    cr_assert_eq(catalog_region_find_str(c, "33010x"), -1);
    cr_assert_eq(catalog_region_find_str(c, ""), -1);
    cr_assert_eq(catalog_region_find(c, 339999), -1);

    /* Every county is at depth 2 with a city parent. */
    for (size_t i = 0; i < catalog_region_count(c); i++) {
        const region_t *r = catalog_region(c, i);
        if (strcmp(r->level, "county") == 0) {
            cr_assert_eq(r->depth, 2, "%s", r->code_str);
            cr_assert_eq(r->subtree_size, 1);
        }
    }
    catalog_destroy(&c);
}

Test(catalog, shipped_indicators)
{
    catalog_t *c = load_shipped();
    const indicator_t *first = catalog_indicator(c, 0);
    cr_assert_str_eq(first->code, "urban_new_jobs");
    cr_assert_eq(first->no, 1);

    const indicator_t *senior = ind_by_code(c, "senior_title_talent");
    cr_assert_eq(senior->part_of,
                 catalog_indicator_find(c, "professional_technical_talent"));
    cr_assert_eq(ind_by_code(c, "professional_technical_talent")->part_of,
                 -1);

    const indicator_t *med = ind_by_code(c, "dispute_mediation_success_rate");
    cr_assert_eq(med->kind, IND_RATIO);
    cr_assert_eq(med->over_time, OVER_SUM);
    cr_assert_str_eq(med->numerator_zh, "调解成功案件数");
    cr_assert_str_eq(med->denominator_zh, "调解案件数");
    cr_assert_eq(med->unit_scale, 100.0);

    const indicator_t *card = ind_by_code(c, "e_social_security_card_coverage");
    cr_assert_eq(card->kind, IND_RATIO);
    cr_assert_eq(card->over_time, OVER_LAST);
    cr_assert_eq(card->part_of, -1);

    const indicator_t *pen = ind_by_code(c, "pension_insured");
    cr_assert_eq(pen->kind, IND_COUNT);
    cr_assert_eq(pen->over_time, OVER_LAST);
    cr_assert_eq(pen->has_baseline, 1);
    cr_assert_eq(pen->baseline, 4355.0);
    cr_assert_eq(pen->has_target, 1);
    cr_assert_eq(pen->target, 4500.0);
    cr_assert_eq(pen->unit_scale, 10000.0);
    cr_assert_eq(pen->basis, BASIS_LEVEL);
    cr_assert_eq(pen->basis_from, 2025);
    cr_assert_eq(pen->basis_to, 2025);
    cr_assert_str_eq(pen->unit_zh, "万人");
    cr_assert_str_eq(pen->attribute, "expected");
    cr_assert_str_eq(pen->numerator_zh, "");

    const indicator_t *jobs = ind_by_code(c, "urban_new_jobs");
    cr_assert_eq(jobs->basis, BASIS_CUMULATIVE);
    cr_assert_eq(jobs->basis_from, 2021);
    cr_assert_eq(jobs->basis_to, 2025);
    cr_assert_eq(jobs->has_baseline, 0);
    cr_assert_eq(jobs->target, 500.0);
    cr_assert_eq(jobs->over_time, OVER_SUM);

    const indicator_t *pd = ind_by_code(c, "postdoc_recruits");
    cr_assert_eq(pd->basis, BASIS_ANNUAL);
    cr_assert_eq(pd->basis_from, 2025);
    cr_assert_eq(pd->basis_to, 2025);
    cr_assert_eq(pd->unit_scale, 1.0);
    cr_assert_eq(pd->baseline, 1612.0);

    const indicator_t *unemp =
        ind_by_code(c, "urban_surveyed_unemployment_rate");
    cr_assert_eq(unemp->direction, DIR_AT_MOST);
    cr_assert_eq(unemp->target, 5.5);
    cr_assert_eq(ind_by_code(c, "highly_skilled_talent")->baseline, 321.8);
    cr_assert_eq(ind_by_code(c, "social_security_card_holders")->unit_scale,
                 10000.0);
    catalog_destroy(&c);
}

Test(catalog, find_indicator_by_name)
{
    catalog_t *c = load_shipped();
    int jobs = catalog_indicator_find(c, "urban_new_jobs");
    cr_assert_eq(jobs, 0);
    cr_assert_eq(catalog_indicator_find(c, "城镇新增就业人数"), jobs);
    int senior = catalog_indicator_find(c, "senior_title_talent");
    cr_assert_geq(senior, 0);
    cr_assert_eq(catalog_indicator_find(c, "其中:高级职称人才数量"), senior);
    cr_assert_eq(catalog_indicator_find(c, "高级职称人才数量"), senior);
    cr_assert_eq(catalog_indicator_find(c, "申领电子社保卡人口覆盖率"),
                 catalog_indicator_find(c, "e_social_security_card_coverage"));
    cr_assert_eq(catalog_indicator_find(c, "no_such_code"), -1);
    cr_assert_eq(catalog_indicator_find(c, "其中:"), -1);
    cr_assert_eq(catalog_indicator_find(c, ""), -1);
    cr_assert_eq(catalog_indicator_find(c, NULL), -1);
    catalog_destroy(&c);
}

Test(catalog, fingerprint_tracks_tree, .init = mk_tmp, .fini = rm_tmp)
{
    catalog_t *a = load_shipped();
    catalog_t *b = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&b, tmpdir, err), ERR_OK, "%s", err);
    cr_assert_eq(catalog_region_fingerprint(a),
                 catalog_region_fingerprint(b));
    catalog_destroy(&b);

    /* Move 上城区 from Hangzhou to Ningbo: a valid but different tree. */
    edit_line(REG, 4, "330102,上城区,Shangcheng District,county,330200,,");
    cr_assert_eq(catalog_load_dir(&b, tmpdir, err), ERR_OK, "%s", err);
    cr_assert_neq(catalog_region_fingerprint(a),
                  catalog_region_fingerprint(b));
    cr_assert_eq(reg_by_code(b, 330100, NULL)->subtree_size, 15);
    cr_assert_eq(reg_by_code(b, 330200, NULL)->subtree_size, 12);
    catalog_destroy(&b);
    catalog_destroy(&a);
}

Test(catalog, columns_any_order_and_trimmed, .init = mk_tmp, .fini = rm_tmp)
{
    write_tmp(REG, "parent_code, level ,code,name_en,name_zh\r\n"
                   ",province,330000,Zhejiang,浙江省\r\n"
                   "330000,city, 330100 ,Hangzhou,杭州市\r\n");
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&c, tmpdir, err), ERR_OK, "%s", err);
    cr_assert_eq(catalog_region_count(c), 2);
    const region_t *h = reg_by_code(c, 330100, NULL);
    cr_assert_str_eq(h->code_str, "330100");
    cr_assert_str_eq(h->name_zh, "杭州市");
    cr_assert_eq(reg_by_code(c, 330000, NULL)->subtree_size, 2);
    catalog_destroy(&c);
}

Test(catalog, ambiguous_short_name_not_found, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 9,
              "8,senior_title_talent,其中:高级职称人才数量,x,人才队伍,万人,"
              "count,last,45.3,55,level_2025,at_least,expected,"
              "professional_technical_talent,,");
    edit_line(IND, 0,
              "20,other_senior,其中：高级职称人才数量,y,人才队伍,万人,"
              "count,last,,1,level_2025,at_least,binding,skilled_talent,,");
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&c, tmpdir, err), ERR_OK, "%s", err);
    cr_assert_eq(catalog_indicator_count(c), 20);
    cr_assert_eq(catalog_indicator_find(c, "高级职称人才数量"), -1);
    cr_assert_eq(catalog_indicator_find(c, "其中：高级职称人才数量"), 19);
    cr_assert_str_eq(catalog_indicator(c, 19)->attribute, "binding");
    catalog_destroy(&c);
}

/* --- malformed indicator files ---------------------------------------- */

static const char ind_header[] =
    "no,code,name_zh,name_en,group_zh,unit_zh,kind,over_time,baseline_2020,"
    "target_2025,target_basis,direction,attribute,part_of,numerator_zh,"
    "denominator_zh";

Test(catalog, missing_column, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 1,
              "no,code,name_zh,name_en,group_zh,unit_zh,kind,over_time,"
              "baseline_2020,target_2025,target_basis,attribute,part_of,"
              "numerator_zh,denominator_zh");
    expect_invalid(IND, 1, "missing column 'direction'");
}

Test(catalog, unknown_column, .init = mk_tmp, .fini = rm_tmp)
{
    char h[400];
    snprintf(h, sizeof h, "%s,remarks", ind_header);
    edit_line(IND, 1, h);
    expect_invalid(IND, 1, "unknown column 'remarks'");
}

Test(catalog, duplicate_column, .init = mk_tmp, .fini = rm_tmp)
{
    char h[400];
    snprintf(h, sizeof h, "%s,target_2030", ind_header);
    edit_line(IND, 1, h);
    expect_invalid(IND, 1, "duplicate column 'target_2030'");
}

Test(catalog, bad_year_column, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 1,
              "no,code,name_zh,name_en,group_zh,unit_zh,kind,over_time,"
              "baseline_20,target_2025,target_basis,direction,attribute,"
              "part_of,numerator_zh,denominator_zh");
    expect_invalid(IND, 1, "baseline_YYYY");
}

Test(catalog, empty_indicator_file, .init = mk_tmp, .fini = rm_tmp)
{
    write_tmp(IND, "");
    expect_invalid(IND, 1, "empty");
    write_tmp(IND, ind_header);
    expect_invalid(IND, 1, "no indicator");
}

Test(catalog, indicator_wrong_field_count, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 4,
              "3,vocational_skill_training,职业技能培训人次,x,就业,万人次,"
              "count,sum,,500,cumulative_2021_2025,at_least,expected,,");
    expect_invalid(IND, 4, "fields");
}

Test(catalog, duplicate_indicator_code, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 5,
              "4,urban_new_jobs,基本养老保险参保人数,x,社会保障,万人,count,"
              "last,4355,4500,level_2025,at_least,expected,,,");
    expect_invalid(IND, 5, "duplicate code 'urban_new_jobs'");
}

/* An indicator is found by its code or its name: a name that is another
 * indicator's code (found by the fuzz target) made the name find the
 * other one. */
Test(catalog, indicator_name_that_is_another_code, .init = mk_tmp,
     .fini = rm_tmp)
{
    edit_line(IND, 4,
              "3,vocational_skill_training,urban_new_jobs,x,就业,万人次,"
              "count,sum,,500,cumulative_2021_2025,at_least,expected,,,");
    expect_invalid(IND, 4, "name_zh 'urban_new_jobs' is the code of the "
                           "indicator on line 2");
}

Test(catalog, indicator_code_that_is_another_name, .init = mk_tmp,
     .fini = rm_tmp)
{
    edit_line(IND, 2,
              "1,urban_new_jobs,pension_insured,New urban jobs,就业,万人,"
              "count,sum,,500,cumulative_2021_2025,at_least,expected,,,");
    expect_invalid(IND, 5, "code 'pension_insured' is the name_zh of the "
                           "indicator on line 2");
}

Test(catalog, duplicate_indicator_name, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 6,
              "5,unemployment_insured,基本养老保险参保人数,x,社会保障,万人,"
              "count,last,1687,1800,level_2025,at_least,expected,,,");
    expect_invalid(IND, 6, "duplicate name_zh");
}

Test(catalog, bad_indicator_code, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 2,
              "1,Urban-Jobs,城镇新增就业人数,x,就业,万人,count,sum,,500,"
              "cumulative_2021_2025,at_least,expected,,,");
    expect_invalid(IND, 2, "bad code");
    char line[400];
    char code[CATALOG_CODE_MAX + 2];
    memset(code, 'a', sizeof code - 1);
    code[sizeof code - 1] = '\0';
    snprintf(line, sizeof line,
             "1,%s,城镇新增就业人数,x,就业,万人,count,sum,,500,"
             "cumulative_2021_2025,at_least,expected,,,", code);
    edit_line(IND, 2, line);
    expect_invalid(IND, 2, "bad code");
}

Test(catalog, empty_required_field, .init = mk_tmp, .fini = rm_tmp)
{
    /* An empty target_2025 is not one: the target is in targets.csv
     * (test_catalog_targets); direction is required. */
    edit_line(IND, 3,
              "2,urban_surveyed_unemployment_rate,城镇调查失业率,x,就业,%,"
              "ratio,sum,,,level_2025,,expected,,城镇调查失业人数,"
              "城镇劳动力人数");
    expect_invalid(IND, 3, "empty field 'direction'");
    edit_line(IND, 3,
              "2,urban_surveyed_unemployment_rate,城镇调查失业率,x,就业,%,"
              "ratio,sum,,5.5,level_2025,at_most,,,城镇调查失业人数,"
              "城镇劳动力人数");
    expect_invalid(IND, 3, "empty field 'attribute'");
}

Test(catalog, bad_kind, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 3,
              "2,urban_surveyed_unemployment_rate,城镇调查失业率,x,就业,%,"
              "rate,sum,,5.5,level_2025,at_most,expected,,城镇调查失业人数,"
              "城镇劳动力人数");
    expect_invalid(IND, 3, "bad kind 'rate'");
}

Test(catalog, bad_enums, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 2,
              "1,urban_new_jobs,城镇新增就业人数,x,就业,万人,count,avg,,500,"
              "cumulative_2021_2025,at_least,expected,,,");
    expect_invalid(IND, 2, "over_time");
    edit_line(IND, 2,
              "1,urban_new_jobs,城镇新增就业人数,x,就业,万人,count,sum,,500,"
              "cumulative_2021_2025,above,expected,,,");
    expect_invalid(IND, 2, "direction");
    edit_line(IND, 2,
              "1,urban_new_jobs,城镇新增就业人数,x,就业,万人,count,sum,,500,"
              "cumulative_2021_2025,at_least,hoped,,,");
    expect_invalid(IND, 2, "attribute");
}

Test(catalog, bad_target_basis, .init = mk_tmp, .fini = rm_tmp)
{
    static const char *const bases[] = {
        "cumulative_2025_2021", "cumulative_2021", "level_25",
        "annual_1899", "total_2025", "level_2025x",
    };
    for (size_t i = 0; i < sizeof bases / sizeof *bases; i++) {
        char line[400];
        snprintf(line, sizeof line,
                 "1,urban_new_jobs,城镇新增就业人数,x,就业,万人,count,sum,,"
                 "500,%s,at_least,expected,,,", bases[i]);
        edit_line(IND, 2, line);
        expect_invalid(IND, 2, "target_basis");
    }
}

Test(catalog, bad_numbers, .init = mk_tmp, .fini = rm_tmp)
{
    static const char *const nums[] = {"5OO", "inf", "nan", "0x10", "1e999",
                                       "1,5"};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        char line[400];
        snprintf(line, sizeof line,
                 "4,pension_insured,基本养老保险参保人数,x,社会保障,万人,"
                 "count,last,\"%s\",4500,level_2025,at_least,expected,,,",
                 nums[i]);
        edit_line(IND, 5, line);
        expect_invalid(IND, 5, "baseline_2020");
    }
    edit_line(IND, 5,
              "4,pension_insured,基本养老保险参保人数,x,社会保障,万人,"
              "count,last,4355,-,level_2025,at_least,expected,,,");
    expect_invalid(IND, 5, "bad number");
}

Test(catalog, unknown_part_of, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 9,
              "8,senior_title_talent,其中:高级职称人才数量,x,人才队伍,万人,"
              "count,last,45.3,55,level_2025,at_least,expected,"
              "no_such_indicator,,");
    expect_invalid(IND, 9, "part_of 'no_such_indicator'");
}

Test(catalog, part_of_itself, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 9,
              "8,senior_title_talent,其中:高级职称人才数量,x,人才队伍,万人,"
              "count,last,45.3,55,level_2025,at_least,expected,"
              "senior_title_talent,,");
    expect_invalid(IND, 9, "itself");
}

Test(catalog, part_of_wrong_kinds, .init = mk_tmp, .fini = rm_tmp)
{
    /* Parent is a ratio. */
    edit_line(IND, 9,
              "8,senior_title_talent,其中:高级职称人才数量,x,人才队伍,万人,"
              "count,last,45.3,55,level_2025,at_least,expected,"
              "e_social_security_card_coverage,,");
    expect_invalid(IND, 9, "not a count");
    /* Parent sums over time, the child is a stock. */
    edit_line(IND, 9,
              "8,senior_title_talent,其中:高级职称人才数量,x,人才队伍,万人,"
              "count,last,45.3,55,level_2025,at_least,expected,"
              "urban_new_jobs,,");
    expect_invalid(IND, 9, "over_time");
    /* Child is a ratio. */
    edit_line(IND, 9,
              "8,senior_title_talent,其中:高级职称人才数量,x,人才队伍,%,"
              "ratio,last,45.3,55,level_2025,at_least,expected,"
              "professional_technical_talent,a,b");
    expect_invalid(IND, 9, "not a count");
}

Test(catalog, part_of_cycle, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 8,
              "7,professional_technical_talent,专业技术人才总量,x,人才队伍,"
              "万人,count,last,610,680,level_2025,at_least,expected,"
              "senior_title_talent,,");
    expect_invalid(IND, 8, "cycle");
}

Test(catalog, ratio_needs_parts, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 16,
              "15,dispute_mediation_success_rate,劳动人事争议调解成功率,x,"
              "劳动关系,%,ratio,sum,80,80,level_2025,at_least,expected,,"
              "调解成功案件数,");
    expect_invalid(IND, 16, "denominator_zh");
    edit_line(IND, 16,
              "15,dispute_mediation_success_rate,劳动人事争议调解成功率,x,"
              "劳动关系,%,count,sum,80,80,level_2025,at_least,expected,,"
              "调解成功案件数,调解案件数");
    expect_invalid(IND, 16, "numerator_zh");
}

Test(catalog, csv_syntax_error_reported, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 7, "6,\"work_injury_insured");
    expect_invalid(IND, 7, "unterminated");
}

Test(catalog, missing_file_is_io_error, .init = mk_tmp, .fini = rm_tmp)
{
    char *ip = path_in(tmpdir, IND);
    char *rp = path_in(tmpdir, REG);
    char *pp = path_in(tmpdir, PLAN);
    const char *paths[CATALOG_NFILES] = {ip, rp, pp};
    cr_assert_eq(unlink(rp), 0);
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load(&c, paths, err), ERR_IO);
    cr_assert_null(c);
    cr_assert_not_null(strstr(err, rp), "err: %s", err);
    free(pp);
    free(rp);
    free(ip);
}

/* A catalog file past CSV_MAX_FILE is refused as malformed (ERR_INVAL),
 * with the file's name; a sparse file costs no disk. */
Test(catalog, file_too_large_is_invalid, .init = mk_tmp, .fini = rm_tmp)
{
    char *rp = path_in(tmpdir, REG);
    FILE *f = fopen(rp, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(ftruncate(fileno(f), (off_t)CSV_MAX_FILE + 1), 0);
    cr_assert_eq(fclose(f), 0);
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    char want[ERR_LEN];
    cr_assert_eq(catalog_load_dir(&c, tmpdir, err), ERR_INVAL);
    cr_assert_null(c);
    snprintf(want, sizeof want, "%s: file larger than %zu bytes", rp,
             CSV_MAX_FILE);
    cr_assert_str_eq(err, want);
    free(rp);
}

/* --- malformed region files ------------------------------------------- */

Test(catalog, region_missing_column, .init = mk_tmp, .fini = rm_tmp)
{
    write_tmp(REG, "code,name_zh,level,parent_code\n"
                   "330000,浙江省,province,\n");
    expect_invalid(REG, 1, "missing column 'name_en'");
}

Test(catalog, region_duplicate_code, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(REG, 0, "330102,另一个区,Another,county,330100,,");
    expect_invalid(REG, 106, "duplicate region code 330102");
}

Test(catalog, region_unknown_parent, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(REG, 4, "330102,上城区,Shangcheng District,county,339999,,");
    expect_invalid(REG, 4, "unknown parent_code 339999");
}

Test(catalog, region_cycle, .init = mk_tmp, .fini = rm_tmp)
{
    write_tmp(REG, "code,name_zh,name_en,level,parent_code\n"
                   "330000,浙江省,Zhejiang,province,\n"
                   "330100,杭州市,Hangzhou,city,330000\n"
                   "330200,宁波市,Ningbo,city,330300\n"
                   "330300,温州市,Wenzhou,city,330200\n"
                   "330302,鹿城区,Lucheng District,county,330300\n");
    expect_invalid(REG, 4, "parent cycle: 330200 -> 330300 -> 330200");
}

Test(catalog, region_self_parent, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(REG, 4, "330102,上城区,Shangcheng District,county,330102,,");
    expect_invalid(REG, 4, "parent cycle: 330102 -> 330102");
}

Test(catalog, region_two_roots, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(REG, 19, "330200,宁波市,Ningbo,city,,,");
    expect_invalid(REG, 19, "root");
}

Test(catalog, region_no_root, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(REG, 2, "330000,浙江省,Zhejiang,province,100000,,");
    expect_invalid(REG, 1, "no root");
}

Test(catalog, region_wrong_field_count, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(REG, 6, "330106,西湖区,Xihu District,county,330100,extra");
    expect_invalid(REG, 6, "fields");
}

Test(catalog, region_bad_values, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(REG, 5, "3301O5,拱墅区,Gongshu District,county,330100,,");
    expect_invalid(REG, 5, "bad code");
    edit_line(REG, 5, "1234567890,拱墅区,Gongshu District,county,330100,,");
    expect_invalid(REG, 5, "bad code");
    edit_line(REG, 5, "330105,拱墅区,Gongshu District,district,330100,,");
    expect_invalid(REG, 5, "bad level 'district'");
    edit_line(REG, 5, "330105,,Gongshu District,county,330100,,");
    expect_invalid(REG, 5, "name_zh");
    edit_line(REG, 5, "330105,拱墅区,Gongshu District,county,33O100,,");
    expect_invalid(REG, 5, "parent_code");
}

/* A catalog received from a collector loads from its bytes, and
 * catalog_source() gives back exactly the bytes it was loaded from. */
Test(catalog_mem, load_from_bytes_and_source_round_trip)
{
    char err[ERR_LEN];
    catalog_t *a = NULL;
    cr_assert_eq(catalog_load_dir(&a, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
    catalog_bytes_t files[CATALOG_NFILES] = {
        {"x:indicators.csv", NULL, 0},
        {"x:regions.csv", NULL, 0},
        {"x:plan.csv", NULL, 0},
        {"x:targets.csv", NULL, 0},
        {"x:region-changes.csv", NULL, 0},
    };
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        const char *data;
        catalog_source(a, (enum catalog_file)i, &data, &files[i].len);
        files[i].data = data;
        cr_assert_gt(files[i].len, 40);
    }
    const char *ind = files[CATALOG_INDICATORS].data;
    size_t ni = files[CATALOG_INDICATORS].len;
    catalog_t *b = NULL;
    cr_assert_eq(catalog_load_mem(&b, files, err), ERR_OK, "%s", err);
    cr_expect_str_eq(catalog_plan(b)->title_zh, catalog_plan(a)->title_zh);
    cr_expect_eq(catalog_indicator_count(b), 19);
    cr_expect_eq(catalog_region_count(b), 104);
    cr_expect_eq(catalog_region_fingerprint(b),
                 catalog_region_fingerprint(a));
    const char *ind2;
    size_t ni2;
    catalog_source(b, CATALOG_INDICATORS, &ind2, &ni2);
    cr_expect_eq(ni2, ni);
    cr_expect(memcmp(ind2, ind, ni) == 0);

    /* Broken bytes are refused with the given name and a line. */
    catalog_t *c = NULL;
    const char bad[] = "code,name_zh,name_en,level,parent_code\n"
                       "330000,浙江省,Zhejiang,province,\n"
                       "330100,杭州市,Hangzhou,city,999999\n";
    files[CATALOG_REGIONS].data = bad;
    files[CATALOG_REGIONS].len = sizeof bad - 1;
    cr_expect_eq(catalog_load_mem(&c, files, err), ERR_INVAL);
    cr_expect_null(c);
    cr_expect(strstr(err, "x:regions.csv:3") != NULL, "%s", err);
    catalog_destroy(&b);
    catalog_destroy(&a);
}

/* --- the plan: title and years come from the files --------------------- */

Test(catalog, shipped_plan)
{
    catalog_t *c = load_shipped();
    const catalog_plan_t *p = catalog_plan(c);
    cr_expect_str_eq(p->title_zh, "浙江省人力资源和社会保障“十四五”规划");
    cr_expect_neq(p->title_en[0], '\0');
    cr_expect_eq(p->baseline_year, 2020);
    cr_expect_eq(p->target_year, 2025);
    cr_expect_eq(p->first_year, 2021);
    cr_expect_eq(p->last_year, 2025);
    catalog_destroy(&c);
}

/* Another plan: other years and another title, no recompile. */
Test(catalog, another_plan_loads, .init = mk_tmp, .fini = rm_tmp)
{
    write_tmp(IND,
              "no,code,name_zh,name_en,group_zh,unit_zh,kind,over_time,"
              "baseline_2025,target_2030,target_basis,direction,attribute,"
              "part_of,numerator_zh,denominator_zh\n"
              "1,jobs,新增就业,New jobs,就业,万人,count,sum,,600,"
              "cumulative_2026_2030,at_least,expected,,,\n"
              "2,insured,参保人数,Insured,社保,万人,count,last,4600,4900,"
              "level_2030,at_least,expected,,,\n");
    write_tmp(PLAN, "key,value\n"
                    "title_zh,某省“十五五”规划\n");
    /* Another plan's targets are its own: without targets.csv, those of
     * indicators.csv. */
    char *tp = path_in(tmpdir, catalog_file_name(CATALOG_TARGETS));
    cr_assert_eq(unlink(tp), 0);
    free(tp);
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&c, tmpdir, err), ERR_OK, "%s", err);
    const catalog_plan_t *p = catalog_plan(c);
    cr_expect_str_eq(p->title_zh, "某省“十五五”规划");
    cr_expect_str_eq(p->title_en, "");
    cr_expect_eq(p->baseline_year, 2025);
    cr_expect_eq(p->first_year, 2026);
    cr_expect_eq(p->last_year, 2030);
    catalog_destroy(&c);
}

Test(catalog, plan_file_errors, .init = mk_tmp, .fini = rm_tmp)
{
    write_tmp(PLAN, "key,value\ntitle_en,English only\n");
    expect_invalid(PLAN, 1, "missing key 'title_zh'");
    write_tmp(PLAN, "key,value\ntitle_zh,a\ntitle_zh,b\n");
    expect_invalid(PLAN, 3, "duplicate key 'title_zh' (first on line 2)");
    write_tmp(PLAN, "key,value\ntitle_zh,a\nsubtitle,b\n");
    expect_invalid(PLAN, 3, "unknown key 'subtitle'");
    write_tmp(PLAN, "key,value\ntitle_zh,\n");
    expect_invalid(PLAN, 2, "empty title_zh");
    write_tmp(PLAN, "name,value\ntitle_zh,a\n");
    expect_invalid(PLAN, 1, "unknown column 'name'");
}

Test(catalog, plan_years_must_hold_every_target, .init = mk_tmp,
     .fini = rm_tmp)
{
    /* A target after the plan's last year. */
    edit_line(IND, 2, "1,urban_new_jobs,城镇新增就业人数,New urban jobs,就业,"
                      "万人,count,sum,,500,cumulative_2021_2026,at_least,"
                      "expected,,,");
    expect_invalid(IND, 2, "lies outside the plan's years 2021-2025");
    /* Target year not after the baseline year. */
    copy_shipped(IND);
    char *p = path_in(tmpdir, IND);
    char *text = slurp(p);
    char *hdr = strstr(text, "target_2025");
    cr_assert_not_null(hdr);
    memcpy(hdr, "target_2020", 11);
    write_tmp(IND, text);
    free(text);
    free(p);
    expect_invalid(IND, 1, "must name a year after 'baseline_2020'");
}

/* The plan file is read like the others: columns in any order, fields
 * trimmed, field counts and empty files reported with their line. */
Test(catalog, plan_file_columns_and_rows, .init = mk_tmp, .fini = rm_tmp)
{
    write_tmp(PLAN, " value , key\n 某省规划 , title_zh \nSome plan,title_en\n");
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&c, tmpdir, err), ERR_OK, "%s", err);
    cr_expect_str_eq(catalog_plan(c)->title_zh, "某省规划");
    cr_expect_str_eq(catalog_plan(c)->title_en, "Some plan");
    catalog_destroy(&c);
    write_tmp(PLAN, "key,value\ntitle_zh,a,b\n");
    expect_invalid(PLAN, 2, "3 fields, header has 2");
    write_tmp(PLAN, "");
    expect_invalid(PLAN, 1, "empty file, expected a header row");
    write_tmp(PLAN, "key,value,value\ntitle_zh,a,b\n");
    expect_invalid(PLAN, 1, "duplicate column 'value'");
}

/* A row with several bad fields reports the first in the documented
 * order: kind, over_time, baseline, target, target_basis, direction,
 * attribute, then numerator/denominator. */
Test(catalog, first_bad_field_is_reported, .init = mk_tmp, .fini = rm_tmp)
{
    edit_line(IND, 2,
              "1,urban_new_jobs,城镇新增就业人数,x,就业,万人,count,sum,abc,"
              "500,cumulative_2021_2025,above,hoped,,n,");
    expect_invalid(IND, 2, "bad number 'abc' in baseline_2020");
    edit_line(IND, 2,
              "1,urban_new_jobs,城镇新增就业人数,x,就业,万人,count,sum,,500,"
              "cumulative_2021_2025,above,hoped,,n,");
    expect_invalid(IND, 2, "bad direction 'above'");
    edit_line(IND, 2,
              "1,urban_new_jobs,城镇新增就业人数,x,就业,万人,count,sum,,500,"
              "cumulative_2021_2025,at_least,hoped,,n,");
    expect_invalid(IND, 2,
                   "bad attribute 'hoped': expected expected or binding");
    edit_line(IND, 2,
              "1,urban_new_jobs,城镇新增就业人数,x,就业,万人,count,sum,,500,"
              "cumulative_2021_2025,at_least,expected,,n,");
    expect_invalid(IND, 2, "count 'urban_new_jobs' must leave numerator_zh");
    edit_line(IND, 2,
              "1,urban_new_jobs,城镇新增就业人数,x,就业,万人,ratio,last,,500,"
              "cumulative_2021_2025,at_least,expected,,n,");
    expect_invalid(IND, 2, "ratio 'urban_new_jobs' needs numerator_zh");
}

/* --- deadlines (plan.csv keys, optional indicator columns) ------------ */

Test(catalog, shipped_deadlines)
{
    catalog_t *c = load_shipped();
    const catalog_plan_t *p = catalog_plan(c);
    cr_expect_str_eq(p->time_zone, "Asia/Shanghai");
    cr_expect_eq(p->tz_offset, 8 * 3600);
    cr_expect_eq(p->deadline_day, 10);
    cr_expect_eq(p->deadline_months_after, 1);
    for (size_t i = 0; i < catalog_indicator_count(c); i++) {
        const indicator_t *ind = catalog_indicator(c, i);
        cr_expect_eq(ind->frequency, FREQ_MONTHLY, "%s", ind->code);
        cr_expect_eq(ind->due_day, 10, "%s", ind->code);
        cr_expect_eq(ind->due_months_after, 1, "%s", ind->code);
    }
    catalog_destroy(&c);
}

/* A plan file from before the deadline keys loads with the defaults. */
Test(catalog, plan_without_deadline_keys_has_defaults, .init = mk_tmp,
     .fini = rm_tmp)
{
    write_tmp(PLAN, "key,value\ntitle_zh,某省规划\n");
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&c, tmpdir, err), ERR_OK, "%s", err);
    cr_expect_str_eq(catalog_plan(c)->time_zone, "Asia/Shanghai");
    cr_expect_eq(catalog_plan(c)->tz_offset, 8 * 3600);
    cr_expect_eq(catalog_plan(c)->deadline_day, 10);
    cr_expect_eq(catalog_plan(c)->deadline_months_after, 1);
    catalog_destroy(&c);
}

static long tz_of(const char *zone)
{
    char text[128];
    snprintf(text, sizeof text, "key,value\ntitle_zh,a\ntime_zone,%s\n",
             zone);
    write_tmp(PLAN, text);
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&c, tmpdir, err), ERR_OK, "%s", err);
    long off = catalog_plan(c)->tz_offset;
    cr_expect_str_eq(catalog_plan(c)->time_zone, zone);
    catalog_destroy(&c);
    return off;
}

Test(catalog, plan_time_zones, .init = mk_tmp, .fini = rm_tmp)
{
    cr_expect_eq(tz_of("Asia/Shanghai"), 28800);
    cr_expect_eq(tz_of("Asia/Chongqing"), 28800);
    cr_expect_eq(tz_of("UTC"), 0);
    cr_expect_eq(tz_of("UTC+08:00"), 28800);
    cr_expect_eq(tz_of("UTC+8"), 28800);
    cr_expect_eq(tz_of("UTC-05:30"), -19800);
    cr_expect_eq(tz_of("UTC+14"), 50400);
    const char *bad[] = {"Europe/Berlin", "UTC+15", "UTC+08:20",
                         "UTC+8:00x", "GMT+8", "utc+8", "UTC+", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[128];
        snprintf(text, sizeof text, "key,value\ntitle_zh,a\ntime_zone,%s\n",
                 bad[i]);
        write_tmp(PLAN, text);
        expect_invalid(PLAN, 3, "time_zone: '");
    }
}

Test(catalog, plan_deadline_errors, .init = mk_tmp, .fini = rm_tmp)
{
    write_tmp(PLAN, "key,value\ntitle_zh,a\ndeadline_day,0\n");
    expect_invalid(PLAN, 3, "deadline_day: '0' is not a day 1..31");
    write_tmp(PLAN, "key,value\ntitle_zh,a\ndeadline_day,32\n");
    expect_invalid(PLAN, 3, "deadline_day: '32' is not a day 1..31");
    write_tmp(PLAN, "key,value\ntitle_zh,a\ndeadline_day,\n");
    expect_invalid(PLAN, 3, "deadline_day: '' is not a day 1..31");
    write_tmp(PLAN, "key,value\ntitle_zh,a\ndeadline_months_after,13\n");
    expect_invalid(PLAN, 3, "deadline_months_after: '13' is not a number "
                            "of months 0..12");
    write_tmp(PLAN, "key,value\ntitle_zh,a\ntime_zone,UTC\n"
                    "time_zone,UTC\n");
    expect_invalid(PLAN, 4, "duplicate key 'time_zone' (first on line 3)");
}

#define IND_HEAD                                                             \
    "no,code,name_zh,name_en,group_zh,unit_zh,kind,over_time,"               \
    "baseline_2020,target_2025,target_basis,direction,attribute,part_of,"    \
    "numerator_zh,denominator_zh"

static void write_two_indicators(const char *extra_head, const char *r1,
                                 const char *r2)
{
    char text[1024];
    snprintf(text, sizeof text,
             IND_HEAD "%s\n"
             "1,jobs,新增就业,Jobs,就业,万人,count,sum,,500,"
             "cumulative_2021_2025,at_least,expected,,,%s\n"
             "2,insured,参保人数,Insured,社保,万人,count,last,4355,4500,"
             "level_2025,at_least,expected,,,%s\n",
             extra_head, r1, r2);
    write_tmp(IND, text);
    char *tp = path_in(tmpdir, catalog_file_name(CATALOG_TARGETS));
    unlink(tp);
    free(tp);
}

/* The optional columns, in any order, override the plan's rule per
 * indicator; empty fields take the plan's. */
Test(catalog, indicator_deadline_columns, .init = mk_tmp, .fini = rm_tmp)
{
    write_tmp(PLAN, "key,value\ntitle_zh,a\ndeadline_day,15\n"
                    "deadline_months_after,2\n");
    write_two_indicators(",due_day,frequency,due_months_after",
                         ",20,quarterly,0", ",,,");
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&c, tmpdir, err), ERR_OK, "%s", err);
    const indicator_t *a = ind_by_code(c, "jobs");
    const indicator_t *b = ind_by_code(c, "insured");
    cr_expect_eq(a->frequency, FREQ_QUARTERLY);
    cr_expect_eq(a->due_day, 20);
    cr_expect_eq(a->due_months_after, 0);
    cr_expect_eq(b->frequency, FREQ_MONTHLY);
    cr_expect_eq(b->due_day, 15);
    cr_expect_eq(b->due_months_after, 2);
    catalog_destroy(&c);
    /* Only one of them. */
    write_two_indicators(",frequency", ",yearly", ",monthly");
    cr_assert_eq(catalog_load_dir(&c, tmpdir, err), ERR_OK, "%s", err);
    cr_expect_eq(ind_by_code(c, "jobs")->frequency, FREQ_YEARLY);
    cr_expect_eq(ind_by_code(c, "jobs")->due_day, 15);
    catalog_destroy(&c);
}

Test(catalog, indicator_deadline_errors, .init = mk_tmp, .fini = rm_tmp)
{
    write_two_indicators(",frequency", ",weekly", ",");
    expect_invalid(IND, 2, "frequency: 'weekly' is not monthly, quarterly "
                           "or yearly");
    write_two_indicators(",due_day", ",", ",0");
    expect_invalid(IND, 3, "due_day: '0' is not a day 1..31");
    write_two_indicators(",due_months_after", ",-1", ",");
    expect_invalid(IND, 2, "due_months_after: '-1' is not a number of "
                           "months 0..12");
    write_two_indicators(",frequency,frequency", ",,", ",,");
    expect_invalid(IND, 1, "duplicate column 'frequency'");
    /* A row still needs as many fields as the header has. */
    write_two_indicators(",frequency", "", ",");
    expect_invalid(IND, 2, "16 fields, header has 17");
}
