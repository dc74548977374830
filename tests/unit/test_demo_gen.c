/* test_demo_gen.c: the demo generator's files, read back.
 *
 * demo_gen_write() runs against the shipped catalog (HRSS_TEST_CATALOG_DIR)
 * into mkdtemp directories; the files are parsed back with common/csv and
 * checked for shape (one file per office, one row per indicator and
 * month), validity (what an agent would accept), calibration (province
 * totals near the plan's baselines and targets, some indicators short),
 * the "of which" rules (exactly the one deliberate violation),
 * determinism (byte-identical files on a second run) and the map change
 * (Hangzhou's 2021 districts: every total per month is what a catalog
 * without the change gives).
 *
 * INVARIANTS
 *   1. Every test's directories are created by the fixture and removed by
 *      it, files included, even when an assertion fails.
 *   2. The catalog the fixture loads is destroyed by the fixture.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/catalog.h"
#include "common/csv.h"
#include "common/mem.h"
#include "common/period.h"
#include "deploy/demo/gen.h"

#ifndef HRSS_TEST_CATALOG_DIR
#error "HRSS_TEST_CATALOG_DIR must name the shipped catalog directory"
#endif

/* A cell the file did not contain. */
#define MISSING INT64_MIN

static catalog_t *cat;
static catalog_t *flat; /* the shipped catalog without validity */
static char dir_a[64];
static char dir_b[64];
static char dir_c[64];

static void rm_dir(const char *dir)
{
    if (dir[0] == '\0') {
        return;
    }
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        for (e = readdir(d); e != NULL; e = readdir(d)) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void setup(void)
{
    char err[ERR_LEN] = "";
    int rc = catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err);
    cr_assert_eq(rc, ERR_OK, "catalog: %s", err);
    snprintf(dir_a, sizeof dir_a, "/tmp/hrss_demo_a_XXXXXX");
    snprintf(dir_b, sizeof dir_b, "/tmp/hrss_demo_b_XXXXXX");
    snprintf(dir_c, sizeof dir_c, "/tmp/hrss_demo_c_XXXXXX");
    cr_assert_not_null(mkdtemp(dir_a));
    cr_assert_not_null(mkdtemp(dir_b));
    cr_assert_not_null(mkdtemp(dir_c));
}

static void teardown(void)
{
    rm_dir(dir_a);
    rm_dir(dir_b);
    rm_dir(dir_c);
    dir_a[0] = '\0';
    dir_b[0] = '\0';
    dir_c[0] = '\0';
    catalog_destroy(&flat);
    catalog_destroy(&cat);
}

TestSuite(demo_gen, .init = setup, .fini = teardown);

/* One office's file: num/den per (indicator, month); den 0 for counts. */
typedef struct office {
    uint32_t code;
    int64_t *num; /* n_ind x DEMO_MONTHS */
    int64_t *den;
} office_t;

typedef struct figures {
    size_t n_ind;
    size_t n_off;
    office_t *off;
} figures_t;

static size_t cell(size_t i, size_t m)
{
    return i * DEMO_MONTHS + m;
}

static void generate(const char *dir, uint64_t seed)
{
    char err[ERR_LEN] = "";
    int rc = demo_gen_write(cat, dir, seed, err);
    cr_assert_eq(rc, ERR_OK, "demo_gen_write: %s", err);
}

/* Empty gives MISSING; anything but a whole number fails the test. */
static int64_t number(const char *s, const char *where)
{
    if (s[0] == '\0') {
        return MISSING;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    cr_assert(end != s && *end == '\0' && errno == 0,
              "%s: '%s' is not a whole number", where, s);
    return (int64_t)v;
}

/* Parse @p path into @p o, checking the header, the row count (one per
 * indicator and month, each exactly once) and what an agent validates. */
static void read_office(const catalog_t *rc, const char *path,
                        office_t *o, size_t n_ind)
{
    char err[ERR_LEN] = "";
    csv_reader_t *r = NULL;
    cr_assert_eq(csv_open_file(&r, path, err), ERR_OK, "%s", err);
    size_t nf = 0;
    char **f = NULL;
    size_t line = 0;
    int got = csv_next(r, &nf, &f, &line, err);
    cr_assert_eq(got, 1, "%s: no header (%s)", path, err);
    cr_assert_eq(nf, 5, "%s: header has %zu fields", path, nf);
    char header[256];
    snprintf(header, sizeof header, "%s,%s,%s,%s,%s", f[0], f[1], f[2], f[3],
             f[4]);
    cr_assert_str_eq(header, DEMO_CSV_HEADER);

    o->num = xcalloc(n_ind * DEMO_MONTHS, sizeof *o->num);
    o->den = xcalloc(n_ind * DEMO_MONTHS, sizeof *o->den);
    for (size_t k = 0; k < n_ind * DEMO_MONTHS; k++) {
        o->num[k] = MISSING;
    }
    int32_t first = month_make(DEMO_FIRST_YEAR, 1);
    size_t rows = 0;
    for (got = csv_next(r, &nf, &f, &line, err); got == 1;
         got = csv_next(r, &nf, &f, &line, err)) {
        char where[600];
        snprintf(where, sizeof where, "%s:%zu", path, line);
        cr_assert_eq(nf, 5, "%s: %zu fields", where, nf);
        int i = catalog_indicator_find(cat, f[0]);
        cr_assert_geq(i, 0, "%s: unknown indicator '%s'", where, f[0]);
        int32_t mi = 0;
        cr_assert_eq(period_parse_month(f[1], &mi, err), ERR_OK, "%s: %s",
                     where, err);
        cr_assert(mi >= first && mi < first + DEMO_MONTHS,
                  "%s: month %s outside the demo's years", where, f[1]);
        size_t c = cell((size_t)i, (size_t)(mi - first));
        cr_assert_eq(o->num[c], MISSING, "%s: duplicate row", where);
        int64_t v = number(f[2], where);
        int64_t num = number(f[3], where);
        int64_t den = number(f[4], where);
        if (catalog_indicator(cat, (size_t)i)->kind == IND_COUNT) {
            cr_assert(v != MISSING && v >= 0, "%s: bad count", where);
            cr_assert(num == MISSING && den == MISSING,
                      "%s: count with a numerator or denominator", where);
            o->num[c] = v;
            o->den[c] = 0;
        } else {
            cr_assert_eq(v, MISSING, "%s: ratio with a value", where);
            cr_assert(num != MISSING && den != MISSING, "%s: ratio without "
                      "numerator or denominator", where);
            cr_assert(den > 0 && num >= 0 && num <= den,
                      "%s: ratio %lld/%lld", where, (long long)num,
                      (long long)den);
            o->num[c] = num;
            o->den[c] = den;
        }
        rows++;
    }
    cr_assert_eq(got, 0, "%s", err);
    /* One row per indicator and month the region exists (下城区 and
     * 江干区 until 2021-03, 临平区 and 钱塘区 from 2021-04). */
    const char *base = strrchr(path, '/');
    char code[16];
    snprintf(code, sizeof code, "%.*s", (int)strcspn(base + 1, "."),
             base + 1);
    int ri = catalog_region_find_str(rc, code);
    cr_assert_geq(ri, 0, "%s: no region %s", path, code);
    size_t months = 0;
    for (int m = 0; m < DEMO_MONTHS; m++) {
        months += (size_t)catalog_region_valid(rc, ri, first + m);
    }
    cr_assert_eq(rows, n_ind * months, "%s: %zu data rows", path, rows);
    csv_destroy(&r);
}

/* Read every office's file of @p dir, written with the catalog @p rc;
 * the directory must hold exactly one .csv per region below the root
 * and nothing else. */
static void read_all_of(const catalog_t *rc, const char *dir,
                        figures_t *fg)
{
    size_t n_reg = catalog_region_count(rc);
    int root = catalog_region_root(rc);
    fg->n_ind = catalog_indicator_count(rc);
    fg->n_off = 0;
    fg->off = xcalloc(n_reg, sizeof *fg->off);
    for (size_t k = 0; k < n_reg; k++) {
        if ((int)k == root) {
            continue;
        }
        const region_t *r = catalog_region(rc, k);
        char path[256];
        snprintf(path, sizeof path, "%s/%s.csv", dir, r->code_str);
        fg->off[fg->n_off].code = r->code;
        read_office(rc, path, &fg->off[fg->n_off], fg->n_ind);
        fg->n_off++;
    }
    size_t files = 0;
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    for (e = readdir(d); e != NULL; e = readdir(d)) {
        if (e->d_name[0] != '.') {
            files++;
        }
    }
    closedir(d);
    cr_assert_eq(files, fg->n_off, "%zu files for %zu offices", files,
                 fg->n_off);
}

static void read_all(const char *dir, figures_t *fg)
{
    read_all_of(cat, dir, fg);
}

static void free_all(figures_t *fg)
{
    for (size_t o = 0; o < fg->n_off; o++) {
        free(fg->off[o].num);
        free(fg->off[o].den);
    }
    free(fg->off);
    fg->off = NULL;
}

static size_t ind_index(const char *code)
{
    int i = catalog_indicator_find(cat, code);
    cr_assert_geq(i, 0, "no indicator %s", code);
    return (size_t)i;
}

/* Province sums of indicator @p i over months [m0, m1]. */
static void province(const figures_t *fg, size_t i, size_t m0, size_t m1,
                     double *num, double *den)
{
    *num = 0;
    *den = 0;
    for (size_t o = 0; o < fg->n_off; o++) {
        for (size_t m = m0; m <= m1; m++) {
            if (fg->off[o].num[cell(i, m)] == MISSING) {
                continue; /* a month the office's region did not exist */
            }
            *num += (double)fg->off[o].num[cell(i, m)];
            *den += (double)fg->off[o].den[cell(i, m)];
        }
    }
}

/* The 2025 figure compared with the target: the cumulative total, the
 * 2025 total, or the 2025 level (December for a stock), in display
 * units. */
static double achieved(const figures_t *fg, size_t i)
{
    const indicator_t *ind = catalog_indicator(cat, i);
    size_t last = DEMO_MONTHS - 1;
    size_t m0 = last - 11;
    double num = 0;
    double den = 0;
    if (ind->basis == BASIS_CUMULATIVE) {
        m0 = (size_t)(ind->basis_from - DEMO_FIRST_YEAR) * 12;
    } else if (ind->over_time == OVER_LAST) {
        m0 = last;
    }
    province(fg, i, m0, last, &num, &den);
    if (ind->kind == IND_RATIO) {
        return num / den * ind->unit_scale;
    }
    return num / ind->unit_scale;
}

static int on_track(const figures_t *fg, size_t i)
{
    const indicator_t *ind = catalog_indicator(cat, i);
    double v = achieved(fg, i);
    return ind->direction == DIR_AT_LEAST ? v >= ind->target
                                          : v <= ind->target;
}

Test(demo_gen, one_valid_file_per_office)
{
    generate(dir_a, DEMO_DEFAULT_SEED);
    figures_t fg;
    read_all(dir_a, &fg);
    cr_assert_eq(fg.n_off, 103); /* 104 regions but the province */
    cr_assert_eq(fg.n_ind * DEMO_MONTHS, 1140);
    free_all(&fg);
}

Test(demo_gen, province_totals_follow_the_plan)
{
    generate(dir_a, DEMO_DEFAULT_SEED);
    figures_t fg;
    read_all(dir_a, &fg);
    double num = 0;
    double den = 0;

    province(&fg, ind_index("urban_new_jobs"), 0, DEMO_MONTHS - 1, &num,
             &den);
    cr_assert(num > 5000000 * 0.85 && num < 5000000 * 1.15,
              "urban_new_jobs 2021..2025: %.0f", num);

    size_t pen = ind_index("pension_insured");
    province(&fg, pen, 0, 0, &num, &den);
    cr_assert(num > 43550000 * 0.97 && num < 43550000 * 1.03,
              "pension_insured 2021-01: %.0f", num);
    province(&fg, pen, DEMO_MONTHS - 1, DEMO_MONTHS - 1, &num, &den);
    cr_assert(num > 45000000 * 0.95 && num < 45000000 * 1.05,
              "pension_insured 2025-12: %.0f", num);

    size_t ur = ind_index("urban_surveyed_unemployment_rate");
    for (size_t m = 0; m < DEMO_MONTHS; m++) {
        province(&fg, ur, m, m, &num, &den);
        cr_assert_lt(num / den, 0.055, "unemployment month %zu: %.4f", m,
                     num / den);
    }

    size_t pd = ind_index("postdoc_recruits");
    for (size_t y = 0; y < DEMO_MONTHS / 12; y++) {
        province(&fg, pd, y * 12, y * 12 + 11, &num, &den);
        cr_assert(num >= 1400 && num <= 1800, "postdocs year %zu: %.0f",
                  y, num);
    }

    size_t on = 0;
    for (size_t i = 0; i < fg.n_ind; i++) {
        on += (size_t)on_track(&fg, i);
    }
    cr_assert(on_track(&fg, ind_index("urban_new_jobs")));
    cr_assert(on_track(&fg, pen));
    cr_assert_geq(fg.n_ind - on, 4, "only %zu short of target",
                  fg.n_ind - on);
    cr_assert_geq(on, fg.n_ind / 2, "only %zu on track", on);
    free_all(&fg);
}

Test(demo_gen, of_which_rules_hold_but_one)
{
    generate(dir_a, DEMO_DEFAULT_SEED);
    figures_t fg;
    read_all(dir_a, &fg);
    size_t child = ind_index(DEMO_VIOLATION_CHILD);
    size_t parent = ind_index(DEMO_VIOLATION_PARENT);
    cr_assert_eq(catalog_indicator(cat, child)->part_of, (int)parent);
    size_t vm = (size_t)((DEMO_VIOLATION_YEAR - DEMO_FIRST_YEAR) * 12 +
                         DEMO_VIOLATION_MONTH - 1);
    size_t found = 0;
    size_t pairs = 0;
    for (size_t i = 0; i < fg.n_ind; i++) {
        int p = catalog_indicator(cat, i)->part_of;
        if (p < 0) {
            continue;
        }
        pairs++;
        for (size_t o = 0; o < fg.n_off; o++) {
            for (size_t m = 0; m < DEMO_MONTHS; m++) {
                int64_t c = fg.off[o].num[cell(i, m)];
                int64_t pv = fg.off[o].num[cell((size_t)p, m)];
                if (c <= pv) {
                    continue;
                }
                found++;
                cr_assert(fg.off[o].code == DEMO_VIOLATION_REGION &&
                              i == child && m == vm,
                          "unexpected violation: %s > %s, region %u, "
                          "month %zu", catalog_indicator(cat, i)->code,
                          catalog_indicator(cat, (size_t)p)->code,
                          (unsigned)fg.off[o].code, m);
            }
        }
    }
    cr_assert_eq(pairs, 3);
    cr_assert_eq(found, 1, "%zu violations", found);
    free_all(&fg);
}

/* Whole file as bytes; *len receives the size. Caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    cr_assert_geq(size, 0);
    cr_assert_eq(fseek(f, 0, SEEK_SET), 0);
    char *s = xmalloc((size_t)size + 1);
    cr_assert_eq(fread(s, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return s;
}

/* Number of office files that differ between dir_a and dir_b. */
static size_t files_differing(void)
{
    size_t differ = 0;
    int root = catalog_region_root(cat);
    for (size_t k = 0; k < catalog_region_count(cat); k++) {
        if ((int)k == root) {
            continue;
        }
        const char *code = catalog_region(cat, k)->code_str;
        char pa[256];
        char pb[256];
        snprintf(pa, sizeof pa, "%s/%s.csv", dir_a, code);
        snprintf(pb, sizeof pb, "%s/%s.csv", dir_b, code);
        size_t la = 0;
        size_t lb = 0;
        char *a = slurp(pa, &la);
        char *b = slurp(pb, &lb);
        differ += (size_t)(la != lb || memcmp(a, b, la) != 0);
        free(a);
        free(b);
    }
    return differ;
}

Test(demo_gen, same_seed_same_bytes)
{
    generate(dir_a, DEMO_DEFAULT_SEED);
    generate(dir_b, DEMO_DEFAULT_SEED);
    cr_assert_eq(files_differing(), 0);
    /* Overwriting in place gives the same bytes too. */
    generate(dir_a, DEMO_DEFAULT_SEED);
    cr_assert_eq(files_differing(), 0);
}

Test(demo_gen, other_seed_other_figures)
{
    generate(dir_a, DEMO_DEFAULT_SEED);
    generate(dir_b, DEMO_DEFAULT_SEED + 1);
    cr_assert_eq(files_differing(), catalog_region_count(cat) - 1);
}

Test(demo_gen, unwritable_directory_fails)
{
    char err[ERR_LEN] = "";
    char path[128];
    snprintf(path, sizeof path, "%s/no/such/dir", dir_a);
    int rc = demo_gen_write(cat, path, DEMO_DEFAULT_SEED, err);
    cr_assert_eq(rc, ERR_IO);
    cr_assert_not_null(strstr(err, path), "'%s' lacks the path", err);
}

/* ------------------------------------------------ the map that changes */

/* @p name of the shipped catalog copied into dir_c. */
static void copy_catalog_file(const char *name)
{
    char from[512];
    char to[512];
    snprintf(from, sizeof from, "%s/%s", HRSS_TEST_CATALOG_DIR, name);
    snprintf(to, sizeof to, "%s/%s", dir_c, name);
    size_t len = 0;
    char *text = slurp(from, &len);
    FILE *f = fopen(to, "wb");
    cr_assert_not_null(f, "%s", to);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    free(text);
}

/* `flat`: the shipped catalog in dir_c with every region's valid_from and
 * valid_to emptied (the last two columns of regions.csv) and no
 * region-changes.csv: the same regions, each existing in every month. */
static void load_flat_catalog(void)
{
    copy_catalog_file("indicators.csv");
    copy_catalog_file("plan.csv");
    copy_catalog_file("targets.csv");
    char from[512];
    char to[512];
    snprintf(from, sizeof from, "%s/regions.csv", HRSS_TEST_CATALOG_DIR);
    snprintf(to, sizeof to, "%s/regions.csv", dir_c);
    size_t len = 0;
    char *text = slurp(from, &len);
    text[len] = '\0';
    FILE *f = fopen(to, "wb");
    cr_assert_not_null(f, "%s", to);
    size_t lines = 0;
    size_t bounded = 0;
    for (char *line = text; *line != '\0';) {
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl, "regions.csv ends without a newline");
        *nl = '\0';
        char *last = strrchr(line, ',');
        cr_assert_not_null(last);
        *last = '\0';
        char *before = strrchr(line, ',');
        cr_assert_not_null(before);
        if (lines == 0) {
            *last = ',';
            fprintf(f, "%s\n", line); /* the header as it is */
        } else {
            bounded += (size_t)(before[1] != '\0' || last[1] != '\0');
            *before = '\0';
            fprintf(f, "%s,,\n", line);
        }
        lines++;
        line = nl + 1;
    }
    cr_assert_eq(fclose(f), 0);
    free(text);
    cr_assert_eq(lines, 1 + catalog_region_count(cat));
    cr_assert_eq(bounded, 4, "下城区 江干区 临平区 钱塘区");
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&flat, dir_c, err), ERR_OK, "%s", err);
    cr_assert_eq(catalog_region_count(flat), catalog_region_count(cat));
    size_t nb = 0;
    catalog_region_bounded(flat, &nb);
    cr_assert_eq(nb, 0);
}

static const office_t *office_of(const figures_t *fg, uint32_t code)
{
    for (size_t o = 0; o < fg->n_off; o++) {
        if (fg->off[o].code == code) {
            return &fg->off[o];
        }
    }
    cr_assert_fail("no office %u", code);
    return NULL;
}

/* Sum of indicator @p i in month @p m over the offices of @p fg within
 * region @p top of @p rc (top's own office included when @p with_top),
 * the months an office wrote nothing left out. */
static void subtree_sum(const catalog_t *rc, const figures_t *fg,
                        uint32_t top, int with_top, size_t i, size_t m,
                        int64_t *num, int64_t *den)
{
    int t = catalog_region_find(rc, top);
    cr_assert_geq(t, 0);
    *num = 0;
    *den = 0;
    for (size_t o = 0; o < fg->n_off; o++) {
        int r = catalog_region_find(rc, fg->off[o].code);
        if (!catalog_region_within(rc, r, t) || (r == t && !with_top) ||
            fg->off[o].num[cell(i, m)] == MISSING) {
            continue;
        }
        *num += fg->off[o].num[cell(i, m)];
        *den += fg->off[o].den[cell(i, m)];
    }
}

/* Was: the abolished districts kept their share after 2021-03 and the
 * new ones had none before 2021-04, so Hangzhou's and the province's
 * totals jumped at the change (pension_insured fell short of the plan).
 * Now every total of every indicator in every month is the one the
 * same generator gives when every region exists in every month; each
 * pair reports both shares in the months its partner does not exist;
 * every other office's figures are the same. */
Test(demo_gen, totals_go_on_across_the_map_change)
{
    load_flat_catalog();
    generate(dir_a, DEMO_DEFAULT_SEED);
    char err[ERR_LEN] = "";
    cr_assert_eq(demo_gen_write(flat, dir_b, DEMO_DEFAULT_SEED, err),
                 ERR_OK, "%s", err);
    figures_t fa;
    figures_t fb;
    read_all(dir_a, &fa);
    read_all_of(flat, dir_b, &fb);
    cr_assert_eq(fa.n_off, fb.n_off);

    /* Hangzhou's districts, Hangzhou, the province: equal sums. */
    static const struct {
        uint32_t top;
        int with_top;
    } sums[] = {{330100, 0}, {330100, 1}, {330000, 1}};
    size_t cells = 0;
    for (size_t s = 0; s < sizeof sums / sizeof sums[0]; s++) {
        for (size_t i = 0; i < fa.n_ind; i++) {
            for (size_t m = 0; m < DEMO_MONTHS; m++) {
                int64_t na = 0;
                int64_t da = 0;
                int64_t nb = 0;
                int64_t db = 0;
                subtree_sum(cat, &fa, sums[s].top, sums[s].with_top, i, m,
                            &na, &da);
                subtree_sum(flat, &fb, sums[s].top, sums[s].with_top, i, m,
                            &nb, &db);
                cr_expect(na == nb && da == db,
                          "%u%s %s month %zu: %lld/%lld, without the "
                          "change %lld/%lld", (unsigned)sums[s].top,
                          sums[s].with_top ? "" : "'s districts",
                          catalog_indicator(cat, i)->code, m,
                          (long long)na, (long long)da, (long long)nb,
                          (long long)db);
                cells++;
            }
        }
    }
    cr_assert_eq(cells, 3u * 19 * DEMO_MONTHS);

    /* The pairs: the one that exists reports both. */
    static const uint32_t pairs[][2] = {{330103, 330113},
                                        {330104, 330114}};
    size_t change = (size_t)(2021 - DEMO_FIRST_YEAR) * 12 + 3; /* 2021-04 */
    for (size_t k = 0; k < 2; k++) {
        const office_t *old_a = office_of(&fa, pairs[k][0]);
        const office_t *new_a = office_of(&fa, pairs[k][1]);
        const office_t *old_b = office_of(&fb, pairs[k][0]);
        const office_t *new_b = office_of(&fb, pairs[k][1]);
        for (size_t i = 0; i < fa.n_ind; i++) {
            for (size_t m = 0; m < DEMO_MONTHS; m++) {
                size_t c = cell(i, m);
                const office_t *has = m < change ? old_a : new_a;
                const office_t *none = m < change ? new_a : old_a;
                cr_expect_eq(none->num[c], MISSING, "%u month %zu",
                             (unsigned)none->code, m);
                cr_expect_eq(has->num[c], old_b->num[c] + new_b->num[c],
                             "%u %s month %zu", (unsigned)has->code,
                             catalog_indicator(cat, i)->code, m);
                cr_expect_eq(has->den[c], old_b->den[c] + new_b->den[c],
                             "%u %s month %zu", (unsigned)has->code,
                             catalog_indicator(cat, i)->code, m);
            }
        }
    }

    /* Every other office: the same figures. */
    size_t same = 0;
    for (size_t o = 0; o < fa.n_off; o++) {
        uint32_t code = fa.off[o].code;
        if (code == 330103 || code == 330104 || code == 330113 ||
            code == 330114) {
            continue;
        }
        size_t n = fa.n_ind * DEMO_MONTHS;
        cr_expect(memcmp(fa.off[o].num, fb.off[o].num,
                         n * sizeof *fa.off[o].num) == 0 &&
                      memcmp(fa.off[o].den, fb.off[o].den,
                             n * sizeof *fa.off[o].den) == 0,
                  "office %u differs", (unsigned)code);
        same++;
    }
    cr_assert_eq(same, 103 - 4);
    free_all(&fa);
    free_all(&fb);
}
