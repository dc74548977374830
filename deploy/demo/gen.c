/* gen.c: hrss-demo-gen, plausible monthly figures for every office.
 *
 * The demo needs five years of figures from every office (103 with the
 * shipped catalog) that look like the plan being carried out: province
 * totals that start near the 2020 baselines and move towards the 2025
 * targets, some indicators on track and some short of them. The catalog
 * gives the codes, kinds, baselines, targets and unit scales; the
 * calibration of each shipped indicator is the table `calibs` below, and
 * an indicator the table does not know gets a generic model from its
 * kind, so that another catalog still yields valid files.
 *
 * Model, for indicator I, office O (every region but the root) and month
 * m = 0..59 (2021-01..2025-12):
 *
 *   weight w(I,O)      office base weight (a county 0.6..1.6, a city's own
 *                      units 0.3..0.8) times 0.85..1.15 per indicator,
 *                      normalised so that the offices of I sum to 1
 *   factor f(I)        1.03..1.10 on track, 0.85..0.95 short (calibs)
 *   flows              province(m) = target per year * f * year(m) *
 *                      season(m) / 12; office = province * w * (1 +- 5%)
 *   stocks             province(m) = base + (target - base) * f *
 *                      (m + 1) / 60; office = province * w * (1 +- 0.2%)
 *   "of which" child   parent's office value * province ratio child /
 *                      parent at m * a fixed office share 0.9..1.1
 *                      (normalised over the parent's weights) * noise,
 *                      at most the parent's value
 *   ratios             denominator = a volume (labour force, cases,
 *                      population) * w; numerator = rate * denominator,
 *                      the rate following its calibrated path +- noise
 *
 * Every draw hashes (seed, region code, indicator code, salt, month)
 * through splitmix64, so a figure does not depend on the order in which
 * anything is generated.
 *
 * A change of the map (Hangzhou's in 2021-04: 下城区 and 江干区 end in
 * 2021-03, 临平区 and 钱塘区 begin) must not show in the totals. The
 * model runs as if every office existed in every month; then a region
 * that ends during the demo and a sibling that begins the month after
 * are partners (the k-th ending with the k-th beginning under the same
 * parent, in catalog order: 下城区 with 临平区, 江干区 with 钱塘区), and
 * in each month the one that exists reports both model rows, summed
 * (counts, numerators and denominators), while the other writes
 * nothing:
 *
 *   month       2021-01..2021-03          2021-04..2025-12
 *   下城区      下城区 + 临平区            (no row)
 *   临平区      (no row)                   临平区 + 下城区
 *
 * so every ancestor's total in every month is the model's, what it
 * would be without the change (the real territory moved otherwise, see
 * region-changes.csv; the demo only keeps the totals whole).
 *
 * INVARIANTS
 *   1. No global PRNG state: every random number is a pure function of
 *      the seed, the region code, the indicator code, a salt and a month.
 *   2. For every indicator the office weights are > 0 and sum to 1.
 *   3. Every count is 0..VALUE_MAX; every ratio has den > 0 and
 *      0 <= num <= den.
 *   4. In every row a part_of child is at most its parent, except the one
 *      DEMO_VIOLATION_* cell, where it is greater.
 *   5. An office writes rows only for the months its region exists; with
 *      its partner's rows added in those months, the sum over any
 *      ancestor's offices of every indicator and month is the model's.
 */
#include "deploy/demo/gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/file.h"
#include "common/mem.h"
#include "common/version.h"

_Static_assert(DEMO_MONTHS == 60, "the year and season tables assume "
                                  "five years of months");

/* The store refuses larger values (10^12). */
#define VALUE_MAX 1000000000000.0

enum model {
    M_FLOW,         /* count summed over months */
    M_POSTDOC,      /* small flow in whole persons, many zeros */
    M_STOCK,        /* count whose value is the month-end level */
    M_UNEMPLOYMENT, /* flow ratio: unemployed / urban labour force */
    M_CASES,        /* flow ratio: cases closed / cases of the month */
    M_COVERAGE,     /* level ratio: card holders / resident population */
};

/* One per kind of draw, so that two kinds never share a number. */
enum salt {
    S_FACTOR = 1,
    S_BASE_WEIGHT,
    S_WEIGHT,
    S_SHARE,
    S_NOISE,
    S_RATE,
    S_OFFSET,
    S_POSTDOC,
    S_ROUND,
};

typedef struct calib {
    const char *code;
    enum model model;
    int short_of_target; /* factor 0.85..0.95 instead of 1.03..1.10 */
    double volume; /* province per month: M_UNEMPLOYMENT labour force,
                      M_CASES cases, M_COVERAGE population */
    double from;   /* rate at 2021-01 (display units); M_POSTDOC: fewest
                      recruits per year */
    double to;     /* rate at 2025-12 (display units); M_POSTDOC: most */
    double offset; /* +- fixed per office (display units) */
    double spread; /* +- per office and month (display units) */
} calib_t;

/* The calibration of the shipped catalog. A rate's path is given here;
 * M_COVERAGE runs from the catalog's baseline to its target times the
 * factor. Short of target: work_injury_insured, senior_title_talent,
 * new_professional_qualifications, highly_skilled_talent,
 * new_senior_skill_certificates, arbitration_closure_rate (6 of 19). */
static const calib_t calibs[] = {
    {"urban_new_jobs", M_FLOW, 0, 0, 0, 0, 0, 0},
    {"urban_surveyed_unemployment_rate", M_UNEMPLOYMENT, 0, 39.0e6, 5.1,
     4.8, 0.4, 0.1},
    {"vocational_skill_training", M_FLOW, 0, 0, 0, 0, 0, 0},
    {"pension_insured", M_STOCK, 0, 0, 0, 0, 0, 0},
    {"unemployment_insured", M_STOCK, 0, 0, 0, 0, 0, 0},
    {"work_injury_insured", M_STOCK, 1, 0, 0, 0, 0, 0},
    {"professional_technical_talent", M_STOCK, 0, 0, 0, 0, 0, 0},
    {"senior_title_talent", M_STOCK, 1, 0, 0, 0, 0, 0},
    {"new_professional_qualifications", M_FLOW, 1, 0, 0, 0, 0, 0},
    {"postdoc_recruits", M_POSTDOC, 0, 0, 1500, 1700, 0, 0},
    {"skilled_talent", M_STOCK, 0, 0, 0, 0, 0, 0},
    {"highly_skilled_talent", M_STOCK, 1, 0, 0, 0, 0, 0},
    {"new_skill_certificates", M_FLOW, 0, 0, 0, 0, 0, 0},
    {"new_senior_skill_certificates", M_FLOW, 1, 0, 0, 0, 0, 0},
    {"dispute_mediation_success_rate", M_CASES, 0, 9000, 80.0, 82.0, 0,
     1.5},
    {"arbitration_closure_rate", M_CASES, 1, 5000, 94.0, 91.0, 0, 1.5},
    {"labour_inspection_closure_rate", M_CASES, 0, 3500, 99.9, 99.5, 0,
     0.4},
    {"social_security_card_holders", M_STOCK, 0, 0, 0, 0, 0, 0},
    {"e_social_security_card_coverage", M_COVERAGE, 0, 65.4e6, 0, 0, 4.0,
     0.2},
};

/* Share of each year in a flow's five-year total (sums to 5). */
static const double year_share[5] = {0.97, 0.96, 1.00, 1.03, 1.04};
/* Share of each month in a flow's year (sums to 12): slow around the
 * Spring Festival, busy in spring. */
static const double season[12] = {0.80, 0.75, 1.15, 1.10, 1.05, 1.10,
                                  1.00, 0.95, 1.05, 1.00, 0.95, 1.10};
/* Unemployment rate by month of year, added to the trend (sums to 0). */
static const double unemp_season[12] = {
    0.0015, 0.0025, 0.0010, 0.0, -0.0005, -0.0005,
    0.0005, 0.0005, -0.0005, -0.0010, -0.0015, -0.0020};

/* One indicator's model, resolved from the catalog and `calibs`. Counts
 * are in persons, rates are fractions. */
typedef struct spec {
    enum model model;
    uint64_t key;    /* hash of the code, for the draws */
    double factor;   /* > 1 beats the target */
    double per_year; /* M_FLOW: persons per year at factor 1 */
    double base;     /* M_STOCK: level at 2020-12; rates: at 2021-01 */
    double goal;     /* M_STOCK: 2025-12 at factor 1; rates: at 2025-12 */
    double volume;
    double lo, hi;   /* M_POSTDOC: recruits per year */
    double offset;
    double spread;
} spec_t;

typedef struct gen {
    const catalog_t *cat;
    uint64_t seed;
    size_t n_ind;
    size_t n_off;
    spec_t *spec;    /* n_ind */
    int *office;     /* n_off region indexes */
    int *partner;    /* n_off: the partner's office index, or -1 */
    double *w;       /* n_ind x n_off, each row sums to 1 */
    double *share;   /* n_ind x n_off, part_of children only */
    int *order;      /* n_ind indicator indexes, parents first */
    int64_t *num;    /* n_ind x DEMO_MONTHS, the office being written */
    int64_t *den;
    int64_t *pnum;   /* n_ind x DEMO_MONTHS, its partner's model rows */
    int64_t *pden;
    int viol_child;  /* indicator indexes, or -1 */
    int viol_parent;
} gen_t;

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001B3ull;
    }
    return h;
}

/* Uniform in [0, 1). */
static double draw(const gen_t *g, uint32_t region, uint64_t key,
                   enum salt salt, int month)
{
    uint64_t h = mix64(g->seed);
    h = mix64(h ^ region);
    h = mix64(h ^ key);
    h = mix64(h ^ ((uint64_t)salt << 32) ^ (uint64_t)(uint32_t)month);
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

static double uniform(const gen_t *g, uint32_t region, uint64_t key,
                      enum salt salt, int month, double lo, double hi)
{
    return lo + (hi - lo) * draw(g, region, key, salt, month);
}

/* Nearest whole number of a value that cannot be negative. */
static int64_t whole(double x)
{
    if (!(x > 0)) {
        return 0;
    }
    if (x >= VALUE_MAX) {
        return (int64_t)VALUE_MAX;
    }
    return (int64_t)(x + 0.5);
}

static double clamp01(double x)
{
    if (!(x > 0)) {
        return 0;
    }
    return x < 1 ? x : 1;
}

static const calib_t *find_calib(const char *code)
{
    for (size_t i = 0; i < sizeof calibs / sizeof calibs[0]; i++) {
        if (strcmp(calibs[i].code, code) == 0) {
            return &calibs[i];
        }
    }
    return NULL;
}

/* Model of an indicator `calibs` does not know, from its kind alone. */
static enum model generic_model(const indicator_t *ind)
{
    if (ind->kind == IND_COUNT) {
        return ind->over_time == OVER_SUM ? M_FLOW : M_STOCK;
    }
    return ind->over_time == OVER_SUM ? M_CASES : M_COVERAGE;
}

static void resolve_spec(const gen_t *g, const indicator_t *ind, spec_t *s)
{
    const calib_t *c = find_calib(ind->code);
    double scale = ind->unit_scale > 0 ? ind->unit_scale : 1;
    double target = ind->has_target ? ind->target
                    : ind->has_baseline ? ind->baseline : 100;
    double baseline = ind->has_baseline ? ind->baseline : target;

    memset(s, 0, sizeof *s);
    s->model = c != NULL ? c->model : generic_model(ind);
    s->key = hash_str(ind->code);
    if (c != NULL && c->short_of_target) {
        s->factor = uniform(g, 0, s->key, S_FACTOR, 0, 0.85, 0.95);
    } else {
        s->factor = uniform(g, 0, s->key, S_FACTOR, 0, 1.03, 1.10);
    }
    switch (s->model) {
    case M_FLOW: {
        int years = 1;
        if (ind->basis == BASIS_CUMULATIVE &&
            ind->basis_to >= ind->basis_from) {
            years = ind->basis_to - ind->basis_from + 1;
        }
        s->per_year = target * scale / years;
        break;
    }
    case M_POSTDOC:
        s->lo = c->from;
        s->hi = c->to;
        break;
    case M_STOCK:
        s->goal = target * scale;
        s->base = ind->has_baseline ? baseline * scale : s->goal / 1.1;
        break;
    case M_UNEMPLOYMENT:
    case M_CASES:
        s->volume = c != NULL ? c->volume : 5000;
        s->base = clamp01((c != NULL ? c->from : baseline) / scale);
        s->goal = clamp01((c != NULL ? c->to : target) / scale);
        s->offset = (c != NULL ? c->offset : 0) / scale;
        s->spread = (c != NULL ? c->spread : 1) / scale;
        break;
    case M_COVERAGE:
        s->volume = c != NULL ? c->volume : 50.0e6;
        s->base = clamp01(baseline / scale);
        s->goal = clamp01(s->base + (target / scale - s->base) * s->factor);
        s->offset = (c != NULL ? c->offset : 0) / scale;
        s->spread = (c != NULL ? c->spread : 0) / scale;
        break;
    }
}

/* Province total of a count indicator in month @p m (persons, not
 * rounded): the path every office's figure is a share of. */
static double province_count(const gen_t *g, size_t i, int m)
{
    const spec_t *s = &g->spec[i];
    int y = m / 12;
    int moy = m % 12;
    switch (s->model) {
    case M_FLOW:
        return s->per_year * s->factor * year_share[y] * season[moy] / 12;
    case M_POSTDOC: {
        double annual = s->lo + (s->hi - s->lo) *
                                    draw(g, 0, s->key, S_POSTDOC, y);
        return annual * season[moy] / 12;
    }
    case M_STOCK:
        return s->base + (s->goal - s->base) * s->factor * (m + 1) /
                             DEMO_MONTHS;
    default:
        return 0;
    }
}

/* Relative noise of a count, per office and month. */
static double count_noise(const spec_t *s)
{
    return s->model == M_STOCK ? 0.002 : 0.05;
}

/* Each office's fixed weight per indicator, normalised (INVARIANT 2), and
 * the share multipliers of part_of children. */
static void make_weights(gen_t *g)
{
    double *base = xcalloc(g->n_off, sizeof *base);
    for (size_t o = 0; o < g->n_off; o++) {
        const region_t *r = catalog_region(g->cat, (size_t)g->office[o]);
        if (r->n_children > 0) {
            base[o] = uniform(g, r->code, 0, S_BASE_WEIGHT, 0, 0.3, 0.8);
        } else {
            base[o] = uniform(g, r->code, 0, S_BASE_WEIGHT, 0, 0.6, 1.6);
        }
    }
    for (size_t i = 0; i < g->n_ind; i++) {
        double *w = &g->w[i * g->n_off];
        double sum = 0;
        for (size_t o = 0; o < g->n_off; o++) {
            const region_t *r = catalog_region(g->cat, (size_t)g->office[o]);
            w[o] = base[o] * uniform(g, r->code, g->spec[i].key, S_WEIGHT,
                                     0, 0.85, 1.15);
            sum += w[o];
        }
        for (size_t o = 0; o < g->n_off; o++) {
            w[o] /= sum;
        }
    }
    for (size_t i = 0; i < g->n_ind; i++) {
        int p = catalog_indicator(g->cat, i)->part_of;
        if (p < 0) {
            continue;
        }
        double *sh = &g->share[i * g->n_off];
        const double *wp = &g->w[(size_t)p * g->n_off];
        double sum = 0;
        for (size_t o = 0; o < g->n_off; o++) {
            const region_t *r = catalog_region(g->cat, (size_t)g->office[o]);
            sh[o] = uniform(g, r->code, g->spec[i].key, S_SHARE, 0, 0.9,
                            1.1);
            sum += wp[o] * sh[o];
        }
        for (size_t o = 0; o < g->n_off; o++) {
            sh[o] /= sum;
        }
    }
    free(base);
}

/* Indicators in an order where every part_of parent comes before its
 * children. A parent chain that never resolves (impossible with a
 * validated catalog) is appended as is. */
static void make_order(gen_t *g)
{
    char *done = xcalloc(g->n_ind ? g->n_ind : 1, 1);
    size_t n = 0;
    int progress = 1;
    while (n < g->n_ind && progress) {
        progress = 0;
        for (size_t i = 0; i < g->n_ind; i++) {
            int p = catalog_indicator(g->cat, i)->part_of;
            if (done[i] || (p >= 0 && !done[p])) {
                continue;
            }
            done[i] = 1;
            g->order[n++] = (int)i;
            progress = 1;
        }
    }
    for (size_t i = 0; i < g->n_ind && n < g->n_ind; i++) {
        if (!done[i]) {
            g->order[n++] = (int)i;
        }
    }
    free(done);
}

static void gen_count(gen_t *g, size_t o, size_t i)
{
    const region_t *r = catalog_region(g->cat, (size_t)g->office[o]);
    const spec_t *s = &g->spec[i];
    int p = catalog_indicator(g->cat, i)->part_of;
    double w = g->w[i * g->n_off + o];
    double amp = count_noise(s);
    for (int m = 0; m < DEMO_MONTHS; m++) {
        double noise = uniform(g, r->code, s->key, S_NOISE, m, -amp, amp);
        int64_t v;
        if (p >= 0) {
            /* A share of the parent's own row keeps the rule per row. */
            int64_t pv = g->num[(size_t)p * DEMO_MONTHS + (size_t)m];
            double pp = province_count(g, (size_t)p, m);
            double ratio = pp > 0 ? province_count(g, i, m) / pp : 0;
            v = whole((double)pv * ratio * g->share[i * g->n_off + o] *
                      (1 + noise));
            if (v > pv) {
                v = pv;
            }
        } else if (s->model == M_POSTDOC) {
            /* Few persons per office and month: round at random so that
             * the totals keep their expected value. */
            double x = province_count(g, i, m) * w;
            double u = draw(g, r->code, s->key, S_ROUND, m);
            v = whole(x + u - 0.5);
        } else {
            v = whole(province_count(g, i, m) * w * (1 + noise));
        }
        g->num[i * DEMO_MONTHS + (size_t)m] = v;
        g->den[i * DEMO_MONTHS + (size_t)m] = 0;
    }
}

static void gen_ratio(gen_t *g, size_t o, size_t i)
{
    const region_t *r = catalog_region(g->cat, (size_t)g->office[o]);
    const spec_t *s = &g->spec[i];
    double w = g->w[i * g->n_off + o];
    double off = uniform(g, r->code, s->key, S_OFFSET, 0, -s->offset,
                         s->offset);
    for (int m = 0; m < DEMO_MONTHS; m++) {
        double t = (double)(m + 1) / DEMO_MONTHS;
        double rate = s->base + (s->goal - s->base) * t + off +
                      uniform(g, r->code, s->key, S_RATE, m, -s->spread,
                              s->spread);
        double volume = s->volume * w;
        if (s->model == M_CASES) {
            volume *= (1 + (season[m % 12] - 1) / 2) *
                      uniform(g, r->code, s->key, S_NOISE, m, 0.8, 1.2);
        } else {
            /* Labour force and population grow slowly. */
            volume *= 1 + 0.004 * m / 12.0;
            if (s->model == M_UNEMPLOYMENT) {
                rate += unemp_season[m % 12];
            }
        }
        int64_t den = whole(volume);
        if (den < 1) {
            den = 1;
        }
        /* Round at random: small case counts would otherwise round a
         * 99.6% rate up to 100% in nearly every office. */
        double u = draw(g, r->code, s->key, S_ROUND, m);
        int64_t num = whole((double)den * clamp01(rate) + u - 0.5);
        if (num > den) {
            num = den;
        }
        g->num[i * DEMO_MONTHS + (size_t)m] = num;
        g->den[i * DEMO_MONTHS + (size_t)m] = den;
    }
}

/* The deliberate data-entry error: the office typed its professional
 * and technical talent total, plus a little, as senior titles. */
static void inject_violation(gen_t *g, size_t o)
{
    const region_t *r = catalog_region(g->cat, (size_t)g->office[o]);
    if (r->code != DEMO_VIOLATION_REGION || g->viol_child < 0 ||
        g->viol_parent < 0) {
        return;
    }
    size_t m = (size_t)((DEMO_VIOLATION_YEAR - DEMO_FIRST_YEAR) * 12 +
                        DEMO_VIOLATION_MONTH - 1);
    int64_t pv = g->num[(size_t)g->viol_parent * DEMO_MONTHS + m];
    g->num[(size_t)g->viol_child * DEMO_MONTHS + m] = pv + pv / 50 + 1;
}

/* Month index of demo month @p m (0 = DEMO_FIRST_YEAR-01). */
static int32_t demo_month(int m)
{
    return (int32_t)DEMO_FIRST_YEAR * 12 + m;
}

/* Pair each office whose region ends during the demo with a sibling
 * that begins the month after (INVARIANT 5): the k-th such ending
 * office under a parent with the k-th beginning one, in catalog order.
 * An office without a partner only loses its rows outside its months. */
static void make_partners(gen_t *g)
{
    int32_t first = demo_month(0);
    int32_t last = demo_month(DEMO_MONTHS - 1);
    for (size_t o = 0; o < g->n_off; o++) {
        g->partner[o] = -1;
    }
    for (size_t a = 0; a < g->n_off; a++) {
        const region_t *ra = catalog_region(g->cat, (size_t)g->office[a]);
        /* A region that both begins and ends during the demo, paired
         * already with its predecessor, keeps that one partner. */
        if (ra->valid_to < first || ra->valid_to >= last ||
            g->partner[a] >= 0) {
            continue;
        }
        for (size_t b = 0; b < g->n_off; b++) {
            const region_t *rb =
                catalog_region(g->cat, (size_t)g->office[b]);
            if (g->partner[b] < 0 && rb->parent == ra->parent &&
                rb->valid_from == ra->valid_to + 1) {
                g->partner[a] = (int)b;
                g->partner[b] = (int)a;
                break;
            }
        }
    }
}

/* Office @p o's model rows, every month, into g->num and g->den. */
static void gen_office(gen_t *g, size_t o)
{
    for (size_t k = 0; k < g->n_ind; k++) {
        size_t i = (size_t)g->order[k];
        if (catalog_indicator(g->cat, i)->kind == IND_COUNT) {
            gen_count(g, o, i);
        } else {
            gen_ratio(g, o, i);
        }
    }
    inject_violation(g, o);
}

/* Office @p o's rows: its model, plus its partner's in the months the
 * partner's region does not exist (INVARIANT 5). */
static void gen_reported(gen_t *g, size_t o)
{
    int p = g->partner[o];
    if (p >= 0) {
        int64_t *num = g->num;
        int64_t *den = g->den;
        g->num = g->pnum;
        g->den = g->pden;
        gen_office(g, (size_t)p);
        g->num = num;
        g->den = den;
    }
    gen_office(g, o);
    if (p < 0) {
        return;
    }
    for (int m = 0; m < DEMO_MONTHS; m++) {
        if (catalog_region_valid(g->cat, g->office[p], demo_month(m))) {
            continue;
        }
        for (size_t i = 0; i < g->n_ind; i++) {
            size_t c = i * DEMO_MONTHS + (size_t)m;
            g->num[c] += g->pnum[c];
            g->den[c] += g->pden[c];
            if (g->den[c] == 0 && g->num[c] > (int64_t)VALUE_MAX) {
                g->num[c] = (int64_t)VALUE_MAX; /* INVARIANT 3 */
            }
        }
    }
}

static int write_office(gen_t *g, size_t o, const char *out_dir,
                        char err[ERR_LEN])
{
    const region_t *r = catalog_region(g->cat, (size_t)g->office[o]);
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s.csv", out_dir, r->code_str);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(err, ERR_LEN, "%s: path too long", out_dir);
        return ERR_INVAL;
    }
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        snprintf(err, ERR_LEN, "%.400s: %s", path, strerror(errno));
        return ERR_IO;
    }
    fprintf(f, "%s\n", DEMO_CSV_HEADER);
    for (size_t i = 0; i < g->n_ind; i++) {
        const indicator_t *ind = catalog_indicator(g->cat, i);
        for (int m = 0; m < DEMO_MONTHS; m++) {
            int year = DEMO_FIRST_YEAR + m / 12;
            int month = m % 12 + 1;
            /* Only the months the office's region exists (a district
             * abolished or created by a change of the map): another
             * month's figure would be refused as region_not_valid. */
            if (!catalog_region_valid(g->cat, g->office[o], demo_month(m))) {
                continue;
            }
            long long num = (long long)g->num[i * DEMO_MONTHS + (size_t)m];
            long long den = (long long)g->den[i * DEMO_MONTHS + (size_t)m];
            if (ind->kind == IND_COUNT) {
                fprintf(f, "%s,%04d-%02d,%lld,,\n", ind->code, year, month,
                        num);
            } else {
                fprintf(f, "%s,%04d-%02d,,%lld,%lld\n", ind->code, year,
                        month, num, den);
            }
        }
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(err, ERR_LEN, "%.400s: write failed: %s", path,
                 strerror(errno));
        return ERR_IO;
    }
    return ERR_OK;
}

static int ensure_dir(const char *dir, char err[ERR_LEN])
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, ERR_LEN, "%s: %s", dir, strerror(errno));
        return ERR_IO;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, ERR_LEN, "%s: not a directory", dir);
        return ERR_IO;
    }
    return ERR_OK;
}

int demo_gen_write(const catalog_t *cat, const char *out_dir, uint64_t seed,
                   char err[ERR_LEN])
{
    int rc = ERR_OK;
    gen_t g;
    memset(&g, 0, sizeof g);
    g.cat = cat;
    g.seed = seed;
    g.n_ind = catalog_indicator_count(cat);
    size_t n_reg = catalog_region_count(cat);
    int root = catalog_region_root(cat);

    g.office = xcalloc(n_reg, sizeof *g.office);
    g.partner = xcalloc(n_reg, sizeof *g.partner);
    for (size_t k = 0; k < n_reg; k++) {
        if ((int)k != root) {
            g.office[g.n_off++] = (int)k;
        }
    }
    if (g.n_off == 0) {
        snprintf(err, ERR_LEN, "the region catalog has no office below "
                               "its root");
        rc = ERR_INVAL;
        goto out;
    }
    rc = ensure_dir(out_dir, err);
    if (rc != ERR_OK) {
        goto out;
    }
    size_t n_ind = g.n_ind ? g.n_ind : 1;
    g.spec = xcalloc(n_ind, sizeof *g.spec);
    g.order = xcalloc(n_ind, sizeof *g.order);
    g.w = xcalloc(n_ind * g.n_off, sizeof *g.w);
    g.share = xcalloc(n_ind * g.n_off, sizeof *g.share);
    g.num = xcalloc(n_ind * DEMO_MONTHS, sizeof *g.num);
    g.den = xcalloc(n_ind * DEMO_MONTHS, sizeof *g.den);
    g.pnum = xcalloc(n_ind * DEMO_MONTHS, sizeof *g.pnum);
    g.pden = xcalloc(n_ind * DEMO_MONTHS, sizeof *g.pden);
    for (size_t i = 0; i < g.n_ind; i++) {
        resolve_spec(&g, catalog_indicator(cat, i), &g.spec[i]);
    }
    g.viol_child = catalog_indicator_find(cat, DEMO_VIOLATION_CHILD);
    g.viol_parent = catalog_indicator_find(cat, DEMO_VIOLATION_PARENT);
    if (g.viol_child >= 0 && g.viol_parent >= 0 &&
        (catalog_indicator(cat, (size_t)g.viol_child)->kind != IND_COUNT ||
         catalog_indicator(cat, (size_t)g.viol_parent)->kind != IND_COUNT)) {
        g.viol_child = -1;
    }
    make_weights(&g);
    make_order(&g);
    make_partners(&g);
    for (size_t o = 0; o < g.n_off && rc == ERR_OK; o++) {
        gen_reported(&g, o);
        rc = write_office(&g, o, out_dir, err);
    }
out:
    free(g.pden);
    free(g.pnum);
    free(g.den);
    free(g.num);
    free(g.share);
    free(g.w);
    free(g.order);
    free(g.spec);
    free(g.partner);
    free(g.office);
    return rc;
}

#ifndef HRSS_DEMO_GEN_NO_MAIN
#include <getopt.h>

#define EX_USAGE 64

static void usage(FILE *f)
{
    fprintf(f,
        "usage: hrss-demo-gen --catalog DIR --out DIR [--seed N]\n"
        "       hrss-demo-gen --help | --version\n"
        "\n"
        "Writes OUT/<region code>.csv for every city and county of the\n"
        "catalog: one row per indicator and month, %d-01..%d-12 (the\n"
        "months its region exists), with plausible figures that start\n"
        "near the plan's baselines and move towards its targets; the\n"
        "province's and each city's totals go on across a change of the\n"
        "map. The same seed (default %u) gives the same\n"
        "files. One figure breaks an \"of which\" rule on purpose:\n"
        "%s > %s for region %u in %s.\n",
        DEMO_FIRST_YEAR, DEMO_LAST_YEAR, DEMO_DEFAULT_SEED,
        DEMO_VIOLATION_CHILD, DEMO_VIOLATION_PARENT, DEMO_VIOLATION_REGION,
        DEMO_VIOLATION_PERIOD);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"catalog", required_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *catdir = NULL;
    const char *out = NULL;
    uint64_t seed = DEMO_DEFAULT_SEED;
    char err[ERR_LEN];
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            catdir = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 's': {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (end == optarg || *end != '\0' || errno != 0 ||
                optarg[0] == '-') {
                fprintf(stderr, "hrss-demo-gen: --seed: '%s' is not a "
                                "whole number\n", optarg);
                return EX_USAGE;
            }
            seed = (uint64_t)v;
            break;
        }
        case 'h':
        case 'V':
            if (opt == 'h') {
                usage(stdout);
            } else {
                version_print(stdout, "hrss-demo-gen");
            }
            if (file_flush_stdout(err) != ERR_OK) {
                fprintf(stderr, "hrss-demo-gen: %s\n", err);
                return 74;
            }
            return 0;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind < argc || catdir == NULL || out == NULL) {
        usage(stderr);
        return EX_USAGE;
    }
    catalog_t *cat = NULL;
    if (catalog_load_dir(&cat, catdir, err) != ERR_OK) {
        fprintf(stderr, "hrss-demo-gen: %s\n", err);
        return 1;
    }
    int rc = demo_gen_write(cat, out, seed, err);
    if (rc != ERR_OK) {
        fprintf(stderr, "hrss-demo-gen: %s\n", err);
    } else {
        size_t n = catalog_region_count(cat) - 1;
        printf("hrss-demo-gen: %zu offices x up to %zu rows in %s "
               "(seed %llu)\n",
               n, catalog_indicator_count(cat) * DEMO_MONTHS, out,
               (unsigned long long)seed);
    }
    catalog_destroy(&cat);
    return rc == ERR_OK ? 0 : 1;
}
#endif
