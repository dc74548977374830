/* main.c: hrssctl, the admin CLI: totals, breakdowns, series, progress
 * against the plan, completeness, history, rejections, agents, violations,
 * backup and export.
 *
 * Every command builds protobuf query requests and hands them to the
 * client (admin/client.c), which either sends them to a collector's query
 * socket or answers them in this process from the store opened read-only;
 * so --connect and --data-dir give the same answers. Output is a table for
 * people (aligned with Chinese text, numbers right-aligned with thousands
 * separators), or --json / --csv for scripts (stable field names, raw
 * units).
 *
 * INVARIANTS
 *   1. Errors go to stderr with a non-zero exit; stdout holds only the
 *      answer.
 *   2. --json and --csv print raw units (persons; fractions for ratios).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/client.h"
#include "admin/numfmt.h"
#include "admin/progress.h"
#include "admin/table.h"
#include "common/buf.h"
#include "common/catalog.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/paths.h"
#include "common/period.h"
#include "store/store.h"

#define EX_USAGE 64
#define EX_UNAVAILABLE 69

enum out_fmt { OUT_TABLE, OUT_JSON, OUT_CSV };

typedef struct ctl {
    client_t *c;
    const catalog_t *cat;
    enum out_fmt fmt;
    long tz;
} ctl_t;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: hrssctl (--connect ENDPOINT [--insecure] | --data-dir DIR)\n"
        "               [--timeout S] [--catalog DIR] [--tz-offset-hours H]\n"
        "               COMMAND [ARGS] [--json | --csv]\n"
        "\n"
        "Ask a running collector (--connect, its --query endpoint) or read\n"
        "its store directly (--data-dir, read-only; works while it runs).\n"
        "The answers are the same either way.\n"
        "\n"
        "Commands:\n"
        "  indicators                      the plan's indicators\n"
        "  regions [--under CODE]          regions, or those below CODE\n"
        "  total IND --period P [--region CODE]\n"
        "  breakdown IND --period P [--region CODE]\n"
        "                                  the region's own report and each\n"
        "                                  child's total\n"
        "  series IND --from P --to P [--region CODE]\n"
        "         [--by month|quarter|year]\n"
        "  progress [--period P] [--region CODE]\n"
        "                                  each indicator against its 2025\n"
        "                                  target, in the plan's units\n"
        "  completeness --period P [--region CODE]\n"
        "                                  who has (not) reported what\n"
        "  history IND --region CODE --period YYYY-MM\n"
        "  rejections [--since TIME]       TIME: unix seconds or\n"
        "                                  YYYY-MM-DD[THH:MM[:SS]]\n"
        "  agents                          each agent's last contact and\n"
        "                                  next sequence number\n"
        "  violations [--period P] [--region CODE]\n"
        "                                  \"of which\" figures above their\n"
        "                                  whole\n"
        "  backup DEST                     hot, compacted copy of the store\n"
        "                                  (DEST on the collector's host)\n"
        "  export --format csv [--from P --to P]\n"
        "                                  every current value, as a CSV an\n"
        "                                  agent can submit again\n"
        "\n"
        "IND is an indicator code or its Chinese name; CODE a GB/T 2260\n"
        "region code or a region's Chinese name (default: the province).\n"
        "P is " PERIOD_FORMS ".\n"
        "Counts are whole persons; --json gives ratios as fractions (0.827).\n"
        "Times are shown in UTC+8 unless --tz-offset-hours says otherwise.\n"
        "\n"
        "Exit status: 0 done, 1 the query failed (unknown indicator, bad\n"
        "period, ...), 64 usage, 69 collector unreachable in time.\n");
}

static int fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hrssctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

/* ---------------------------------------------------------------------- */
/* asking                                                                  */

/* Send @p req; on any failure print why and return the exit status. */
static int ask(ctl_t *x, const Hrss__QueryRequest *req,
               Hrss__QueryResponse **resp)
{
    char err[ERR_LEN];
    int rc = client_call(x->c, req, resp, err);
    if (rc == ERR_TIMEOUT) {
        return fail(EX_UNAVAILABLE, "%s", err);
    }
    if (rc != ERR_OK) {
        return fail(1, "%s", err);
    }
    if ((*resp)->code != HRSS__QUERY_STATUS__QUERY_OK) {
        int st = fail(1, "%s", (*resp)->error != NULL ? (*resp)->error
                                                      : "query failed");
        hrss__query_response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return st;
    }
    return 0;
}

/* Region argument: a code, or a Chinese name; NULL means the root. */
static int region_arg(const ctl_t *x, const char *arg, uint32_t *code)
{
    if (arg == NULL) {
        *code = catalog_region(x->cat,
                               (size_t)catalog_region_root(x->cat))->code;
        return 0;
    }
    int i = catalog_region_find_str(x->cat, arg);
    if (i < 0) {
        for (size_t k = 0; k < catalog_region_count(x->cat); k++) {
            if (strcmp(catalog_region(x->cat, k)->name_zh, arg) == 0) {
                i = (int)k;
                break;
            }
        }
    }
    if (i < 0) {
        return fail(1, "unknown region '%s' (`hrssctl regions` lists them)",
                    arg);
    }
    *code = catalog_region(x->cat, (size_t)i)->code;
    return 0;
}

static int period_arg(const char *arg, const char *flag, period_t *p)
{
    char err[ERR_LEN];
    if (arg == NULL) {
        return fail(EX_USAGE, "%s is required", flag);
    }
    if (period_parse(arg, p, err) != ERR_OK) {
        return fail(1, "%s: %s", flag, err);
    }
    return 0;
}

static const char *region_name(const ctl_t *x, uint32_t code)
{
    int i = catalog_region_find(x->cat, code);
    return i >= 0 ? catalog_region(x->cat, (size_t)i)->name_zh : "?";
}

static const indicator_t *indicator_of(const ctl_t *x, const char *code)
{
    int i = catalog_indicator_find(x->cat, code);
    return i >= 0 ? catalog_indicator(x->cat, (size_t)i) : NULL;
}

/* ---------------------------------------------------------------------- */
/* formatting                                                              */

static void fmt_time(int64_t t, long tz, char *buf, size_t len)
{
    time_t local = (time_t)(t + tz);
    struct tm tm;
    gmtime_r(&local, &tm);
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A figure for people: persons with separators, or "82.70% (91 / 110)". */
static void fmt_figure(int is_ratio, int64_t num, int64_t den, char *buf,
                       size_t len)
{
    char a[40];
    char b[40];
    if (!is_ratio) {
        numfmt_int(num, buf, len);
        return;
    }
    if (den <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    numfmt_int(num, a, sizeof a);
    numfmt_int(den, b, sizeof b);
    char pct[40];
    numfmt_fixed(100.0 * (double)num / (double)den, 2, pct, sizeof pct);
    snprintf(buf, len, "%s%% (%s / %s)", pct, a, b);
}

static void json_num(double v)
{
    if (isfinite(v)) {
        printf("%.10g", v);
    } else {
        printf("null");
    }
}

/* The JSON object of a total (the stable format of `total --json`). */
static void json_total(const Hrss__Total *t)
{
    printf("{\"indicator\": ");
    json_put_str(stdout, t->indicator);
    printf(", \"region\": \"%u\", \"period\": ", t->region);
    json_put_str(stdout, t->period);
    if (t->is_ratio) {
        printf(", \"kind\": \"ratio\", \"value\": ");
        if (t->denominator > 0) {
            json_num((double)t->numerator / (double)t->denominator);
        } else {
            printf("null");
        }
        printf(", \"numerator\": %lld, \"denominator\": %lld",
               (long long)t->numerator, (long long)t->denominator);
    } else {
        printf(", \"kind\": \"count\", \"value\": %lld",
               (long long)t->numerator);
    }
    printf(", \"reporting_regions\": %u, \"expected_regions\": %u}",
           t->reporting, t->expected);
}

static void csv_line(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            fputc(',', stdout);
        }
        csv_put_field(stdout, va_arg(ap, const char *));
    }
    fputc('\n', stdout);
    va_end(ap);
}

static const char *const total_csv_header[] = {
    "indicator", "region", "period", "kind", "value", "numerator",
    "denominator", "reporting_regions", "expected_regions"};

static void csv_total(const Hrss__Total *t)
{
    char value[40] = "";
    char num[32];
    char den[32] = "";
    char rep[16];
    char exp[16];
    char reg[16];
    snprintf(num, sizeof num, "%lld", (long long)t->numerator);
    if (t->is_ratio) {
        if (t->denominator > 0) {
            snprintf(value, sizeof value, "%.10g",
                     (double)t->numerator / (double)t->denominator);
        }
        snprintf(den, sizeof den, "%lld", (long long)t->denominator);
    } else {
        snprintf(value, sizeof value, "%s", num);
    }
    snprintf(rep, sizeof rep, "%u", t->reporting);
    snprintf(exp, sizeof exp, "%u", t->expected);
    snprintf(reg, sizeof reg, "%u", t->region);
    csv_line(9, t->indicator, reg, t->period,
             t->is_ratio ? "ratio" : "count", value, t->is_ratio ? num : "",
             den, rep, exp);
}

static void csv_total_header(void)
{
    for (int i = 0; i < 9; i++) {
        printf("%s%s", i ? "," : "", total_csv_header[i]);
    }
    printf("\n");
}

/* End a list answer: close the JSON array, or print the table as CSV or
 * for people (@p empty instead of a table without rows, when given). */
static void finish_list(const ctl_t *x, const table_t *t, size_t n,
                        const char *empty)
{
    if (x->fmt == OUT_JSON) {
        printf("\n]\n");
    } else if (x->fmt == OUT_CSV) {
        table_print_csv(t, stdout);
    } else if (n == 0 && empty != NULL) {
        printf("%s\n", empty);
    } else {
        table_print(t, stdout);
    }
}

/* ---------------------------------------------------------------------- */
/* commands                                                                */

typedef struct args {
    const char *pos[4];
    int npos;
    const char *period;
    const char *region;
    const char *from;
    const char *to;
    const char *by;
    const char *since;
    const char *under;
    const char *format;
} args_t;

static int cmd_indicators(ctl_t *x)
{
    static const char *const hdr[] = {"no", "code", "指标", "单位", "kind",
                                      "over time", "2020", "2025 目标",
                                      "basis", "direction"};
    static const enum table_align al[] = {
        TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT,
        TABLE_LEFT, TABLE_RIGHT, TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT};
    size_t n = catalog_indicator_count(x->cat);
    if (x->fmt == OUT_JSON) {
        printf("[");
    }
    table_t *t = table_new(10, hdr, al);
    for (size_t i = 0; i < n; i++) {
        const indicator_t *ind = catalog_indicator(x->cat, i);
        const char *basis = ind->basis == BASIS_CUMULATIVE ? "cumulative"
                            : ind->basis == BASIS_ANNUAL   ? "annual"
                                                           : "level";
        if (x->fmt == OUT_JSON) {
            printf("%s\n  {\"no\": %d, \"code\": ", i ? "," : "", ind->no);
            json_put_str(stdout, ind->code);
            printf(", \"name_zh\": ");
            json_put_str(stdout, ind->name_zh);
            printf(", \"name_en\": ");
            json_put_str(stdout, ind->name_en);
            printf(", \"unit\": ");
            json_put_str(stdout, ind->unit_zh);
            printf(", \"unit_scale\": %g, \"kind\": \"%s\", \"over_time\": "
                   "\"%s\", \"baseline\": ",
                   ind->unit_scale, ind->kind == IND_RATIO ? "ratio" : "count",
                   ind->over_time == OVER_SUM ? "sum" : "last");
            if (ind->has_baseline) {
                json_num(ind->baseline);
            } else {
                printf("null");
            }
            printf(", \"target\": ");
            json_num(ind->target);
            printf(", \"basis\": \"%s\", \"basis_from\": %d, \"basis_to\": "
                   "%d, \"direction\": \"%s\", \"part_of\": ",
                   basis, ind->basis_from, ind->basis_to,
                   ind->direction == DIR_AT_MOST ? "at_most" : "at_least");
            if (ind->part_of >= 0) {
                json_put_str(stdout,
                             catalog_indicator(x->cat,
                                               (size_t)ind->part_of)->code);
            } else {
                printf("null");
            }
            printf("}");
            continue;
        }
        char no[8];
        char base[32] = "";
        char target[32];
        snprintf(no, sizeof no, "%d", ind->no);
        if (ind->has_baseline) {
            snprintf(base, sizeof base, "%g", ind->baseline);
        }
        snprintf(target, sizeof target,
                 ind->basis == BASIS_CUMULATIVE ? "〔%g〕" : "%g",
                 ind->target);
        const char *row[] = {no, ind->code, ind->name_zh, ind->unit_zh,
                             ind->kind == IND_RATIO ? "ratio" : "count",
                             ind->over_time == OVER_SUM ? "sum" : "last",
                             base, target, basis,
                             ind->direction == DIR_AT_MOST ? "at most"
                                                           : "at least"};
        table_add_row(t, row);
    }
    finish_list(x, t, 1, NULL);
    table_destroy(&t);
    return 0;
}

static int cmd_regions(ctl_t *x, const args_t *a)
{
    int under = -1;
    if (a->under != NULL) {
        uint32_t code;
        int st = region_arg(x, a->under, &code);
        if (st != 0) {
            return st;
        }
        under = catalog_region_find(x->cat, code);
    }
    static const char *const hdr[] = {"code", "名称", "name", "level",
                                      "parent"};
    static const enum table_align al[] = {TABLE_LEFT, TABLE_LEFT, TABLE_LEFT,
                                          TABLE_LEFT, TABLE_LEFT};
    table_t *t = table_new(5, hdr, al);
    int first = 1;
    if (x->fmt == OUT_JSON) {
        printf("[");
    }
    for (size_t i = 0; i < catalog_region_count(x->cat); i++) {
        const region_t *r = catalog_region(x->cat, i);
        if (under >= 0 && !catalog_region_within(x->cat, (int)i, under)) {
            continue;
        }
        const char *parent = r->parent >= 0
                                 ? catalog_region(x->cat, (size_t)r->parent)
                                       ->code_str
                                 : "";
        if (x->fmt == OUT_JSON) {
            printf("%s\n  {\"code\": ", first ? "" : ",");
            json_put_str(stdout, r->code_str);
            printf(", \"name_zh\": ");
            json_put_str(stdout, r->name_zh);
            printf(", \"name_en\": ");
            json_put_str(stdout, r->name_en);
            printf(", \"level\": ");
            json_put_str(stdout, r->level);
            printf(", \"parent\": ");
            if (parent[0]) {
                json_put_str(stdout, parent);
            } else {
                printf("null");
            }
            printf(", \"expected_regions\": %zu}", r->subtree_size);
        }
        const char *row[] = {r->code_str, r->name_zh, r->name_en, r->level,
                             parent};
        table_add_row(t, row);
        first = 0;
    }
    finish_list(x, t, 1, NULL);
    table_destroy(&t);
    return 0;
}

static void print_total_human(const ctl_t *x, const Hrss__Total *t)
{
    const indicator_t *ind = indicator_of(x, t->indicator);
    char fig[128];
    fmt_figure(t->is_ratio, t->numerator, t->denominator, fig, sizeof fig);
    printf("%s (%s)\n", ind ? ind->name_zh : t->indicator, t->indicator);
    printf("region:    %s %u\n", region_name(x, t->region), t->region);
    printf("period:    %s\n", t->period);
    printf("value:     %s%s", fig, t->is_ratio ? "" : " 人");
    if (!t->is_ratio && ind != NULL && ind->unit_scale > 1) {
        char disp[40];
        numfmt_fixed((double)t->numerator / ind->unit_scale, 2, disp,
                  sizeof disp);
        printf(" (%s %s)", disp, ind->unit_zh);
    }
    printf("\nreporting: %u of %u regions%s\n", t->reporting, t->expected,
           t->reporting < t->expected ? " (partial)" : "");
}

/* total and breakdown: INDICATOR --period P [--region CODE], one TotalQ
 * sent as @p kind. On success *r holds the answer. */
static int ask_total(ctl_t *x, const args_t *a, const char *cmd,
                     Hrss__QueryRequest__QCase kind,
                     Hrss__QueryResponse **r)
{
    if (a->npos != 1) {
        return fail(EX_USAGE, "%s takes one INDICATOR", cmd);
    }
    period_t p;
    uint32_t region;
    int st = period_arg(a->period, "--period", &p);
    if (st == 0) {
        st = region_arg(x, a->region, &region);
    }
    if (st != 0) {
        return st;
    }
    Hrss__TotalQ q = HRSS__TOTAL_Q__INIT;
    q.indicator = (char *)(uintptr_t)a->pos[0];
    q.region = region;
    q.period = (char *)(uintptr_t)a->period;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = kind;
    if (kind == HRSS__QUERY_REQUEST__Q_TOTAL) {
        req.total = &q;
    } else {
        req.breakdown = &q;
    }
    return ask(x, &req, r);
}

static int cmd_total(ctl_t *x, const args_t *a)
{
    Hrss__QueryResponse *r = NULL;
    int st = ask_total(x, a, "total", HRSS__QUERY_REQUEST__Q_TOTAL, &r);
    if (st != 0) {
        return st;
    }
    if (x->fmt == OUT_JSON) {
        json_total(r->total);
        printf("\n");
    } else if (x->fmt == OUT_CSV) {
        csv_total_header();
        csv_total(r->total);
    } else {
        print_total_human(x, r->total);
    }
    hrss__query_response__free_unpacked(r, NULL);
    return 0;
}

static void total_row(const ctl_t *x, table_t *t, const char *label,
                      const Hrss__Total *tot)
{
    char fig[128];
    char rep[32];
    char code[16];
    fmt_figure(tot->is_ratio, tot->numerator, tot->denominator, fig,
               sizeof fig);
    snprintf(rep, sizeof rep, "%u/%u", tot->reporting, tot->expected);
    snprintf(code, sizeof code, "%u", tot->region);
    const char *row[] = {code, label != NULL ? label
                                             : region_name(x, tot->region),
                         fig, rep};
    table_add_row(t, row);
}

static int cmd_breakdown(ctl_t *x, const args_t *a)
{
    Hrss__QueryResponse *r = NULL;
    int st = ask_total(x, a, "breakdown", HRSS__QUERY_REQUEST__Q_BREAKDOWN,
                       &r);
    if (st != 0) {
        return st;
    }
    const Hrss__Breakdown *b = r->breakdown;
    if (x->fmt == OUT_JSON) {
        printf("{\"own\": ");
        json_total(b->own);
        printf(",\n \"children\": [");
        for (size_t i = 0; i < b->n_children; i++) {
            printf("%s\n  ", i ? "," : "");
            json_total(b->children[i]);
        }
        printf("],\n \"total\": ");
        json_total(b->total);
        printf("}\n");
    } else if (x->fmt == OUT_CSV) {
        printf("part,");
        csv_total_header();
        printf("own,");
        csv_total(b->own);
        for (size_t i = 0; i < b->n_children; i++) {
            printf("child,");
            csv_total(b->children[i]);
        }
        printf("total,");
        csv_total(b->total);
    } else {
        const indicator_t *ind = indicator_of(x, b->total->indicator);
        printf("%s (%s), %s\n\n", ind ? ind->name_zh : b->total->indicator,
               b->total->indicator, b->total->period);
        static const char *const hdr[] = {"code", "地区", "value",
                                          "reporting"};
        static const enum table_align al[] = {TABLE_LEFT, TABLE_LEFT,
                                              TABLE_RIGHT, TABLE_RIGHT};
        table_t *t = table_new(4, hdr, al);
        char own[128];
        snprintf(own, sizeof own, "%s 本级 (own report)",
                 region_name(x, b->own->region));
        total_row(x, t, own, b->own);
        for (size_t i = 0; i < b->n_children; i++) {
            total_row(x, t, NULL, b->children[i]);
        }
        char tot[128];
        snprintf(tot, sizeof tot, "%s 合计 (total)",
                 region_name(x, b->total->region));
        total_row(x, t, tot, b->total);
        table_print(t, stdout);
        table_destroy(&t);
    }
    hrss__query_response__free_unpacked(r, NULL);
    return 0;
}

static int cmd_series(ctl_t *x, const args_t *a)
{
    if (a->npos != 1) {
        return fail(EX_USAGE, "series takes one INDICATOR");
    }
    period_t p;
    uint32_t region;
    int st = period_arg(a->from, "--from", &p);
    if (st == 0) {
        st = period_arg(a->to, "--to", &p);
    }
    if (st == 0) {
        st = region_arg(x, a->region, &region);
    }
    if (st != 0) {
        return st;
    }
    Hrss__SeriesQ q = HRSS__SERIES_Q__INIT;
    q.indicator = (char *)(uintptr_t)a->pos[0];
    q.region = region;
    q.from = (char *)(uintptr_t)a->from;
    q.to = (char *)(uintptr_t)a->to;
    q.by = (char *)(uintptr_t)(a->by != NULL ? a->by : "month");
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_SERIES;
    req.series = &q;
    Hrss__QueryResponse *r = NULL;
    st = ask(x, &req, &r);
    if (st != 0) {
        return st;
    }
    const Hrss__TotalList *l = r->series;
    if (x->fmt == OUT_JSON) {
        printf("[");
        for (size_t i = 0; i < l->n_totals; i++) {
            printf("%s\n  ", i ? "," : "");
            json_total(l->totals[i]);
        }
        printf("\n]\n");
    } else if (x->fmt == OUT_CSV) {
        csv_total_header();
        for (size_t i = 0; i < l->n_totals; i++) {
            csv_total(l->totals[i]);
        }
    } else {
        static const char *const hdr[] = {"period", "value", "reporting"};
        static const enum table_align al[] = {TABLE_LEFT, TABLE_RIGHT,
                                              TABLE_RIGHT};
        table_t *t = table_new(3, hdr, al);
        for (size_t i = 0; i < l->n_totals; i++) {
            const Hrss__Total *tot = l->totals[i];
            char fig[128];
            char rep[32];
            fmt_figure(tot->is_ratio, tot->numerator, tot->denominator, fig,
                       sizeof fig);
            snprintf(rep, sizeof rep, "%u/%u", tot->reporting,
                     tot->expected);
            const char *row[] = {tot->period, fig, rep};
            table_add_row(t, row);
        }
        const indicator_t *ind = indicator_of(x, a->pos[0]);
        printf("%s, %s %u\n\n", ind ? ind->name_zh : a->pos[0],
               region_name(x, region), region);
        table_print(t, stdout);
        table_destroy(&t);
    }
    hrss__query_response__free_unpacked(r, NULL);
    return 0;
}

/* A raw value in the plan's display unit: 万人 -> value / 10000, % ->
 * fraction * 100. */
static double display(const indicator_t *ind, double raw)
{
    return ind->kind == IND_RATIO ? raw * ind->unit_scale
                                  : raw / ind->unit_scale;
}

static int display_decimals(const indicator_t *ind)
{
    return ind->kind == IND_RATIO ? 1 : ind->unit_scale > 1 ? 2 : 0;
}

static int cmd_progress(ctl_t *x, const args_t *a)
{
    period_t p;
    uint32_t region;
    int st = 0;
    if (a->period != NULL) {
        st = period_arg(a->period, "--period", &p);
    } else {
        p = progress_default_period(x->cat, time(NULL), x->tz);
    }
    if (st == 0) {
        st = region_arg(x, a->region, &region);
    }
    if (st != 0) {
        return st;
    }
    size_t n = catalog_indicator_count(x->cat);
    progress_row_t *rows = xcalloc(n, sizeof *rows);
    char err[ERR_LEN];
    int rc = progress_compute(x->c, x->cat, &p, region, rows, err);
    if (rc != ERR_OK) {
        free(rows);
        return fail(rc == ERR_TIMEOUT ? EX_UNAVAILABLE : 1, "%s", err);
    }
    char per[PERIOD_STR_LEN];
    period_format(&p, per, sizeof per);
    if (x->fmt == OUT_JSON) {
        printf("{\"region\": \"%u\", \"period\": ", region);
        json_put_str(stdout, per);
        printf(", \"indicators\": [");
        for (size_t i = 0; i < n; i++) {
            const progress_row_t *r = &rows[i];
            const indicator_t *ind = r->ind;
            char cov[PERIOD_STR_LEN];
            period_format(&r->covered, cov, sizeof cov);
            printf("%s\n  {\"indicator\": ", i ? "," : "");
            json_put_str(stdout, ind->code);
            printf(", \"name_zh\": ");
            json_put_str(stdout, ind->name_zh);
            printf(", \"kind\": \"%s\", \"display_unit\": ",
                   ind->kind == IND_RATIO ? "ratio" : "count");
            json_put_str(stdout, ind->unit_zh);
            printf(", \"unit_scale\": %g, \"basis\": \"%s\", \"period\": ",
                   ind->unit_scale,
                   ind->basis == BASIS_CUMULATIVE ? "cumulative"
                   : ind->basis == BASIS_ANNUAL   ? "annual"
                                                  : "level");
            json_put_str(stdout, cov);
            printf(", \"baseline\": ");
            if (ind->has_baseline) {
                json_num(r->baseline);
            } else {
                printf("null");
            }
            printf(", \"target\": ");
            json_num(r->target);
            printf(", \"direction\": \"%s\", \"value\": ",
                   ind->direction == DIR_AT_MOST ? "at_most" : "at_least");
            if (r->has_value) {
                json_num(r->value);
            } else {
                printf("null");
            }
            if (ind->kind == IND_RATIO) {
                printf(", \"numerator\": %lld, \"denominator\": %lld",
                       (long long)r->num, (long long)r->den);
            }
            printf(", \"share\": ");
            if (r->has_value) {
                json_num(r->share);
            } else {
                printf("null");
            }
            printf(", \"expected\": ");
            json_num(r->expected);
            printf(", \"elapsed\": ");
            json_num(r->elapsed);
            printf(", \"on_track\": %s, \"reporting_regions\": %u, "
                   "\"expected_regions\": %u}",
                   r->on_track ? "true" : "false", r->reporting,
                   r->expected_regions);
        }
        printf("\n]}\n");
        free(rows);
        return 0;
    }
    static const char *const hdr[] = {
        "指标 indicator", "单位", "2020 基期", "2025 目标", "现值 value",
        "完成 share", "进度 status", "regions"};
    static const enum table_align al[] = {
        TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT, TABLE_RIGHT,
        TABLE_RIGHT, TABLE_RIGHT, TABLE_LEFT, TABLE_RIGHT};
    table_t *t = table_new(8, hdr, al);
    for (size_t i = 0; i < n; i++) {
        const progress_row_t *r = &rows[i];
        const indicator_t *ind = r->ind;
        int dec = display_decimals(ind);
        char base[40] = "";
        char target[48];
        char value[40] = "-";
        char share[24] = "-";
        char regions[24];
        char tgt[40];
        if (ind->has_baseline) {
            numfmt_fixed(ind->baseline, ind->baseline == floor(ind->baseline)
                                         ? 0 : 1, base, sizeof base);
        }
        numfmt_fixed(ind->target, ind->target == floor(ind->target) ? 0 : 1,
                  tgt, sizeof tgt);
        snprintf(target, sizeof target,
                 ind->basis == BASIS_CUMULATIVE ? "〔%s〕" : "%s", tgt);
        if (r->has_value) {
            numfmt_fixed(display(ind, r->value), dec, value, sizeof value);
            numfmt_fixed(100.0 * r->share, 1, share, sizeof share);
            size_t sl = strlen(share);
            snprintf(share + sl, sizeof share - sl, "%%");
        }
        const char *status = !r->has_value ? "no data"
                             : r->on_track ? "on track"
                                           : "behind";
        snprintf(regions, sizeof regions, "%u/%u", r->reporting,
                 r->expected_regions);
        const char *row[] = {ind->name_zh, ind->unit_zh, base, target,
                             value, share, status, regions};
        table_add_row(t, row);
    }
    if (x->fmt == OUT_CSV) {
        table_print_csv(t, stdout);
    } else {
        printf("浙江省人力资源和社会保障“十四五”规划 progress — %s %u, "
               "period %s\n\n",
               region_name(x, region), region, per);
        table_print(t, stdout);
        printf("\n〔〕 five-year cumulative target (2021-2025); value = "
               "cumulative through %s.\n"
               "on track = at or above a straight line from the 2020 "
               "baseline (or from 0) to the target.\n",
               per);
    }
    table_destroy(&t);
    free(rows);
    return 0;
}

static int cmd_completeness(ctl_t *x, const args_t *a)
{
    period_t p;
    uint32_t region;
    int st = period_arg(a->period, "--period", &p);
    if (st == 0) {
        st = region_arg(x, a->region, &region);
    }
    if (st != 0) {
        return st;
    }
    Hrss__CompletenessQ q = HRSS__COMPLETENESS_Q__INIT;
    q.period = (char *)(uintptr_t)a->period;
    q.has_region = 1;
    q.region = region;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_COMPLETENESS;
    req.completeness = &q;
    Hrss__QueryResponse *r = NULL;
    st = ask(x, &req, &r);
    if (st != 0) {
        return st;
    }
    const Hrss__Completeness *c = r->completeness;
    size_t complete = 0;
    size_t silent = 0;
    for (size_t i = 0; i < c->n_regions; i++) {
        complete += c->regions[i]->n_missing == 0;
        silent += c->regions[i]->n_reported == 0;
    }
    size_t nind = catalog_indicator_count(x->cat);
    if (x->fmt == OUT_JSON) {
        printf("{\"period\": ");
        json_put_str(stdout, c->period);
        printf(", \"region\": \"%u\", \"expected_regions\": %zu, "
               "\"complete_regions\": %zu, \"silent_regions\": %zu, "
               "\"indicators\": %zu, \"regions\": [",
               c->region, c->n_regions, complete, silent, nind);
        for (size_t i = 0; i < c->n_regions; i++) {
            const Hrss__RegionCompleteness *rc = c->regions[i];
            printf("%s\n  {\"region\": \"%u\", \"name_zh\": ", i ? "," : "",
                   rc->region);
            json_put_str(stdout, region_name(x, rc->region));
            printf(", \"reported\": [");
            for (size_t k = 0; k < rc->n_reported; k++) {
                printf("%s", k ? ", " : "");
                json_put_str(stdout, rc->reported[k]);
            }
            printf("], \"missing\": [");
            for (size_t k = 0; k < rc->n_missing; k++) {
                printf("%s", k ? ", " : "");
                json_put_str(stdout, rc->missing[k]);
            }
            printf("]}");
        }
        printf("\n]}\n");
    } else {
        static const char *const hdr[] = {"code", "地区", "reported",
                                          "missing"};
        static const enum table_align al[] = {TABLE_LEFT, TABLE_LEFT,
                                              TABLE_RIGHT, TABLE_LEFT};
        table_t *t = table_new(4, hdr, al);
        for (size_t i = 0; i < c->n_regions; i++) {
            const Hrss__RegionCompleteness *rc = c->regions[i];
            char code[16];
            char rep[24];
            buf_t miss;
            buf_init(&miss);
            snprintf(code, sizeof code, "%u", rc->region);
            snprintf(rep, sizeof rep, "%zu/%zu", rc->n_reported, nind);
            if (rc->n_reported == 0) {
                buf_put_str(&miss, "all (nothing reported)");
            } else {
                for (size_t k = 0; k < rc->n_missing; k++) {
                    if (k > 0) {
                        buf_put(&miss, x->fmt == OUT_CSV ? " " : ", ", 
                                x->fmt == OUT_CSV ? 1 : 2);
                    }
                    buf_put(&miss, rc->missing[k], strlen(rc->missing[k]));
                }
                buf_put_u8(&miss, 0);
            }
            const char *row[] = {code, region_name(x, rc->region), rep,
                                 miss.data != NULL ? (char *)miss.data : ""};
            table_add_row(t, row);
            buf_fini(&miss);
        }
        if (x->fmt == OUT_CSV) {
            table_print_csv(t, stdout);
        } else {
            printf("%s: %zu of %zu regions reported every indicator, %zu "
                   "reported nothing\n\n",
                   c->period, complete, c->n_regions, silent);
            table_print(t, stdout);
        }
        table_destroy(&t);
    }
    hrss__query_response__free_unpacked(r, NULL);
    return 0;
}

static int cmd_history(ctl_t *x, const args_t *a)
{
    if (a->npos != 1 || a->region == NULL || a->period == NULL) {
        return fail(EX_USAGE, "history takes INDICATOR --region CODE "
                              "--period YYYY-MM");
    }
    uint32_t region;
    int st = region_arg(x, a->region, &region);
    if (st != 0) {
        return st;
    }
    Hrss__HistoryQ q = HRSS__HISTORY_Q__INIT;
    q.indicator = (char *)(uintptr_t)a->pos[0];
    q.region = region;
    q.month = (char *)(uintptr_t)a->period;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_HISTORY;
    req.history = &q;
    Hrss__QueryResponse *r = NULL;
    st = ask(x, &req, &r);
    if (st != 0) {
        return st;
    }
    const Hrss__RevisionList *l = r->history;
    static const char *const hdr[] = {"received (UTC+8)", "agent", "seq",
                                      "old", "new"};
    static const enum table_align al[] = {TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT,
                                          TABLE_RIGHT, TABLE_RIGHT};
    table_t *t = table_new(5, hdr, al);
    if (x->fmt == OUT_JSON) {
        printf("[");
    }
    for (size_t i = 0; i < l->n_revisions; i++) {
        const Hrss__Revision *v = l->revisions[i];
        if (x->fmt == OUT_JSON) {
            printf("%s\n  {\"audit_id\": %llu, \"received_at\": %lld, "
                   "\"agent\": ",
                   i ? "," : "", (unsigned long long)v->audit_id,
                   (long long)v->received_at);
            json_put_str(stdout, v->agent);
            printf(", \"seq\": %llu, \"indicator\": ",
                   (unsigned long long)v->seq);
            json_put_str(stdout, v->indicator);
            char month[PERIOD_STR_LEN];
            month_format_yyyymm(v->month, month, sizeof month);
            printf(", \"region\": \"%u\", \"period\": \"%s\", "
                   "\"kind\": \"%s\", \"old\": ",
                   v->region, month, v->is_ratio ? "ratio" : "count");
            if (!v->has_old) {
                printf("null");
            } else if (v->is_ratio) {
                printf("{\"numerator\": %lld, \"denominator\": %lld}",
                       (long long)v->old_numerator,
                       (long long)v->old_denominator);
            } else {
                printf("%lld", (long long)v->old_numerator);
            }
            printf(", \"new\": ");
            if (v->is_ratio) {
                printf("{\"numerator\": %lld, \"denominator\": %lld}}",
                       (long long)v->new_numerator,
                       (long long)v->new_denominator);
            } else {
                printf("%lld}", (long long)v->new_numerator);
            }
            continue;
        }
        char when[40];
        char seq[24];
        char old[128] = "-";
        char neu[128];
        fmt_time(v->received_at, x->tz, when, sizeof when);
        snprintf(seq, sizeof seq, "%llu", (unsigned long long)v->seq);
        if (v->has_old) {
            fmt_figure(v->is_ratio, v->old_numerator, v->old_denominator,
                       old, sizeof old);
        }
        fmt_figure(v->is_ratio, v->new_numerator, v->new_denominator, neu,
                   sizeof neu);
        const char *row[] = {when, v->agent, seq, old, neu};
        table_add_row(t, row);
    }
    finish_list(x, t, l->n_revisions,
                "no value was ever received for this cell");
    table_destroy(&t);
    hrss__query_response__free_unpacked(r, NULL);
    return 0;
}

/* TIME: unix seconds, or YYYY-MM-DD[(T| )HH:MM[:SS]] in the display zone. */
static int parse_time(const char *s, long tz, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end != s && *end == '\0' && errno == 0 && strlen(s) != 10) {
        *out = v;
        return 0;
    }
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    int n = 0;
    char sep = 0;
    int k = sscanf(s, "%4d-%2d-%2d%n%c%2d:%2d%n:%2d%n", &y, &mo, &d, &n,
                   &sep, &h, &mi, &n, &se, &n);
    if (k < 3 || s[n] != '\0' || (k > 3 && sep != 'T' && sep != ' ') ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60) {
        return -1;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *out = (int64_t)timegm(&tm) - tz;
    return 0;
}

static int cmd_rejections(ctl_t *x, const args_t *a)
{
    Hrss__RejectionsQ q = HRSS__REJECTIONS_Q__INIT;
    if (a->since != NULL) {
        int64_t t;
        if (parse_time(a->since, x->tz, &t) != 0) {
            return fail(EX_USAGE, "--since: '%s' is not unix seconds or "
                                  "YYYY-MM-DD[THH:MM[:SS]]", a->since);
        }
        q.has_since = 1;
        q.since = t;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_REJECTIONS;
    req.rejections = &q;
    Hrss__QueryResponse *r = NULL;
    int st = ask(x, &req, &r);
    if (st != 0) {
        return st;
    }
    const Hrss__RejectionList *l = r->rejections;
    static const char *const hdr[] = {"received (UTC+8)", "agent", "seq",
                                      "indicator", "region", "period",
                                      "reason", "message"};
    static const enum table_align al[] = {
        TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT, TABLE_LEFT,
        TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT};
    table_t *t = table_new(8, hdr, al);
    if (x->fmt == OUT_JSON) {
        printf("[");
    }
    for (size_t i = 0; i < l->n_rejections; i++) {
        const Hrss__RejectedUpdate *v = l->rejections[i];
        char month[16];
        month_format_yyyymm(v->update->month, month, sizeof month);
        if (x->fmt == OUT_JSON) {
            printf("%s\n  {\"id\": %llu, \"received_at\": %lld, \"agent\": ",
                   i ? "," : "", (unsigned long long)v->id,
                   (long long)v->received_at);
            json_put_str(stdout, v->agent);
            printf(", \"seq\": %llu, \"indicator\": ",
                   (unsigned long long)v->update->seq);
            json_put_str(stdout, v->update->indicator);
            printf(", \"region\": \"%u\", \"period\": ", v->update->region);
            json_put_str(stdout, month);
            printf(", \"reason\": ");
            json_put_str(stdout, v->reason_name);
            printf(", \"message\": ");
            json_put_str(stdout, v->message);
            printf("}");
            continue;
        }
        char when[40];
        char seq[24];
        char reg[16];
        fmt_time(v->received_at, x->tz, when, sizeof when);
        snprintf(seq, sizeof seq, "%llu", (unsigned long long)v->update->seq);
        snprintf(reg, sizeof reg, "%u", v->update->region);
        const char *row[] = {when, v->agent, seq, v->update->indicator, reg,
                             month, v->reason_name, v->message};
        table_add_row(t, row);
    }
    finish_list(x, t, l->n_rejections, "no rejected updates");
    table_destroy(&t);
    hrss__query_response__free_unpacked(r, NULL);
    return 0;
}

static int cmd_agents(ctl_t *x)
{
    Hrss__AgentsQ q = HRSS__AGENTS_Q__INIT;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    req.agents = &q;
    Hrss__QueryResponse *r = NULL;
    int st = ask(x, &req, &r);
    if (st != 0) {
        return st;
    }
    const Hrss__AgentList *l = r->agents;
    static const char *const hdr[] = {"agent", "next seq", "applied",
                                      "rejected", "first seen (UTC+8)",
                                      "last contact (UTC+8)"};
    static const enum table_align al[] = {TABLE_LEFT, TABLE_RIGHT,
                                          TABLE_RIGHT, TABLE_RIGHT,
                                          TABLE_LEFT, TABLE_LEFT};
    table_t *t = table_new(6, hdr, al);
    if (x->fmt == OUT_JSON) {
        printf("[");
    }
    for (size_t i = 0; i < l->n_agents; i++) {
        const Hrss__AgentState *v = l->agents[i];
        if (x->fmt == OUT_JSON) {
            printf("%s\n  {\"agent\": ", i ? "," : "");
            json_put_str(stdout, v->id);
            printf(", \"next_seq\": %llu, \"applied\": %llu, \"rejected\": "
                   "%llu, \"first_seen\": %lld, \"last_contact\": %lld}",
                   (unsigned long long)v->next_seq,
                   (unsigned long long)v->applied,
                   (unsigned long long)v->rejected,
                   (long long)v->first_seen, (long long)v->last_contact);
            continue;
        }
        char next[32];
        char app[32];
        char rej[32];
        char first[40];
        char last[40];
        numfmt_int((int64_t)v->next_seq, next, sizeof next);
        numfmt_int((int64_t)v->applied, app, sizeof app);
        numfmt_int((int64_t)v->rejected, rej, sizeof rej);
        fmt_time(v->first_seen, x->tz, first, sizeof first);
        fmt_time(v->last_contact, x->tz, last, sizeof last);
        const char *row[] = {v->id, next, app, rej, first, last};
        table_add_row(t, row);
    }
    finish_list(x, t, 1, NULL);
    table_destroy(&t);
    hrss__query_response__free_unpacked(r, NULL);
    return 0;
}

static int cmd_violations(ctl_t *x, const args_t *a)
{
    Hrss__ViolationsQ q = HRSS__VIOLATIONS_Q__INIT;
    period_t p;
    uint32_t region = 0;
    int st = 0;
    if (a->period != NULL) {
        st = period_arg(a->period, "--period", &p);
        q.period = (char *)(uintptr_t)a->period;
    }
    if (st == 0 && a->region != NULL) {
        st = region_arg(x, a->region, &region);
        q.has_region = 1;
        q.region = region;
    }
    if (st != 0) {
        return st;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_VIOLATIONS;
    req.violations = &q;
    Hrss__QueryResponse *r = NULL;
    st = ask(x, &req, &r);
    if (st != 0) {
        return st;
    }
    const Hrss__ViolationList *l = r->violations;
    static const char *const hdr[] = {"其中 indicator", "value", "parent",
                                      "parent value", "地区", "period"};
    static const enum table_align al[] = {TABLE_LEFT, TABLE_RIGHT,
                                          TABLE_LEFT, TABLE_RIGHT,
                                          TABLE_LEFT, TABLE_LEFT};
    table_t *t = table_new(6, hdr, al);
    if (x->fmt == OUT_JSON) {
        printf("[");
    }
    for (size_t i = 0; i < l->n_violations; i++) {
        const Hrss__Violation *v = l->violations[i];
        char month[16];
        month_format_yyyymm(v->month, month, sizeof month);
        if (x->fmt == OUT_JSON) {
            printf("%s\n  {\"indicator\": ", i ? "," : "");
            json_put_str(stdout, v->indicator);
            printf(", \"parent\": ");
            json_put_str(stdout, v->parent);
            printf(", \"region\": \"%u\", \"period\": ", v->region);
            json_put_str(stdout, month);
            printf(", \"value\": %lld, \"parent_value\": %lld}",
                   (long long)v->value, (long long)v->parent_value);
            continue;
        }
        const indicator_t *ci = indicator_of(x, v->indicator);
        const indicator_t *pi = indicator_of(x, v->parent);
        char val[32];
        char pval[32];
        char where[96];
        numfmt_int(v->value, val, sizeof val);
        numfmt_int(v->parent_value, pval, sizeof pval);
        snprintf(where, sizeof where, "%s %u", region_name(x, v->region),
                 v->region);
        const char *row[] = {ci ? ci->name_zh : v->indicator, val,
                             pi ? pi->name_zh : v->parent, pval, where,
                             month};
        table_add_row(t, row);
    }
    finish_list(x, t, l->n_violations,
                "no stored figure breaks an \"of which\" rule");
    table_destroy(&t);
    hrss__query_response__free_unpacked(r, NULL);
    return 0;
}

static int cmd_backup(ctl_t *x, const args_t *a)
{
    if (a->npos != 1) {
        return fail(EX_USAGE, "backup takes one DEST directory");
    }
    Hrss__BackupQ q = HRSS__BACKUP_Q__INIT;
    q.dest = (char *)(uintptr_t)a->pos[0];
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_BACKUP;
    req.backup = &q;
    Hrss__QueryResponse *r = NULL;
    int st = ask(x, &req, &r);
    if (st != 0) {
        return st;
    }
    hrss__query_response__free_unpacked(r, NULL);
    if (x->fmt == OUT_JSON) {
        printf("{\"backup\": ");
        json_put_str(stdout, a->pos[0]);
        printf("}\n");
    } else {
        printf("backup written to %s/data.mdb\n", a->pos[0]);
    }
    return 0;
}

static int cmd_export(ctl_t *x, const args_t *a)
{
    if (a->format == NULL || strcmp(a->format, "csv") != 0) {
        return fail(EX_USAGE, "export needs --format csv");
    }
    Hrss__FactsQ q = HRSS__FACTS_Q__INIT;
    period_t p;
    int st = 0;
    if (a->from != NULL) {
        st = period_arg(a->from, "--from", &p);
        q.from = (char *)(uintptr_t)a->from;
    }
    if (st == 0 && a->to != NULL) {
        st = period_arg(a->to, "--to", &p);
        q.to = (char *)(uintptr_t)a->to;
    }
    if (st != 0) {
        return st;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    req.facts = &q;
    Hrss__QueryResponse *r = NULL;
    st = ask(x, &req, &r);
    if (st != 0) {
        return st;
    }
    /* The agent's CSV columns, so a sheet can be corrected and sent back. */
    printf("indicator,period,value,numerator,denominator,region\n");
    for (size_t i = 0; i < r->facts->n_facts; i++) {
        const Hrss__Fact *f = r->facts->facts[i];
        char month[PERIOD_STR_LEN];
        month_format_yyyymm(f->month, month, sizeof month);
        if (f->is_ratio) {
            printf("%s,%s,,%lld,%lld,%u\n", f->indicator, month,
                   (long long)f->numerator, (long long)f->denominator,
                   f->region);
        } else {
            printf("%s,%s,%lld,,,%u\n", f->indicator, month,
                   (long long)f->numerator, f->region);
        }
    }
    hrss__query_response__free_unpacked(r, NULL);
    return 0;
}

/* ---------------------------------------------------------------------- */

enum { G_CONNECT = 256, G_INSECURE, G_DATA, G_TIMEOUT, G_CATALOG, G_TZ,
       G_JSON, G_CSV, G_HELP, A_PERIOD, A_REGION, A_FROM, A_TO, A_BY,
       A_SINCE, A_UNDER, A_FORMAT };

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"connect", required_argument, NULL, G_CONNECT},
        {"insecure", no_argument, NULL, G_INSECURE},
        {"data-dir", required_argument, NULL, G_DATA},
        {"timeout", required_argument, NULL, G_TIMEOUT},
        {"catalog", required_argument, NULL, G_CATALOG},
        {"tz-offset-hours", required_argument, NULL, G_TZ},
        {"json", no_argument, NULL, G_JSON},
        {"csv", no_argument, NULL, G_CSV},
        {"help", no_argument, NULL, G_HELP},
        {"period", required_argument, NULL, A_PERIOD},
        {"region", required_argument, NULL, A_REGION},
        {"from", required_argument, NULL, A_FROM},
        {"to", required_argument, NULL, A_TO},
        {"by", required_argument, NULL, A_BY},
        {"since", required_argument, NULL, A_SINCE},
        {"under", required_argument, NULL, A_UNDER},
        {"format", required_argument, NULL, A_FORMAT},
        {NULL, 0, NULL, 0},
    };
    const char *connect = NULL;
    const char *data_dir = NULL;
    const char *catalog = NULL;
    int insecure = 0;
    double timeout = 10;
    ctl_t x;
    args_t a;
    memset(&x, 0, sizeof x);
    memset(&a, 0, sizeof a);
    x.tz = 8 * 3600;
    const char *cmd = NULL;
    int opt;
    /* One pass: options may come before or after the command. */
    while ((opt = getopt_long(argc, argv, "-h", opts, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 1:
            if (cmd == NULL) {
                cmd = optarg;
            } else if (a.npos < 4) {
                a.pos[a.npos++] = optarg;
            } else {
                return fail(EX_USAGE, "too many arguments");
            }
            break;
        case G_CONNECT: connect = optarg; break;
        case G_INSECURE: insecure = 1; break;
        case G_DATA: data_dir = optarg; break;
        case G_CATALOG: catalog = optarg; break;
        case G_TIMEOUT:
            timeout = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(timeout > 0) ||
                timeout > 3600) {
                return fail(EX_USAGE, "--timeout: '%s' is not seconds",
                            optarg);
            }
            break;
        case G_TZ: {
            long h = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || h < -12 || h > 14) {
                return fail(EX_USAGE, "--tz-offset-hours: '%s' is not "
                                      "-12..14", optarg);
            }
            x.tz = h * 3600;
            break;
        }
        case G_JSON: x.fmt = OUT_JSON; break;
        case G_CSV: x.fmt = OUT_CSV; break;
        case 'h':
        case G_HELP:
            usage(stdout);
            return 0;
        case A_PERIOD: a.period = optarg; break;
        case A_REGION: a.region = optarg; break;
        case A_FROM: a.from = optarg; break;
        case A_TO: a.to = optarg; break;
        case A_BY: a.by = optarg; break;
        case A_SINCE: a.since = optarg; break;
        case A_UNDER: a.under = optarg; break;
        case A_FORMAT: a.format = optarg; break;
        default:
            fprintf(stderr, "(hrssctl --help tells more)\n");
            return EX_USAGE;
        }
    }
    if (cmd == NULL) {
        usage(stderr);
        return EX_USAGE;
    }
    if ((connect == NULL) == (data_dir == NULL)) {
        return fail(EX_USAGE, "give either --connect ENDPOINT or --data-dir "
                              "DIR");
    }
    if (connect != NULL && !insecure) {
        return fail(EX_USAGE, "authentication (CurveZMQ) is not implemented "
                              "yet: pass --insecure to query in plain mode");
    }
    static const char *const known[] = {
        "indicators", "regions", "total", "breakdown", "series",
        "progress", "completeness", "history", "rejections", "agents",
        "violations", "backup", "export", NULL};
    int valid = 0;
    for (int i = 0; known[i] != NULL; i++) {
        valid |= strcmp(cmd, known[i]) == 0;
    }
    if (!valid) {
        return fail(EX_USAGE, "unknown command '%s' (hrssctl --help lists "
                              "them)", cmd);
    }
    char err[ERR_LEN];
    int rc;
    if (connect != NULL) {
        rc = client_connect(&x.c, connect, (int)(timeout * 1000), err);
    } else {
        char catdir[4096];
        if (catalog != NULL) {
            snprintf(catdir, sizeof catdir, "%s", catalog);
        } else {
            paths_catalog_dir(catdir, sizeof catdir);
        }
        rc = client_open_local(&x.c, data_dir, catdir, err);
    }
    if (rc != ERR_OK) {
        return fail(1, "%s", err);
    }
    int st = 0;
    x.cat = client_catalog(x.c, err);
    if (x.cat == NULL) {
        st = fail(strstr(err, "did not answer") != NULL ? EX_UNAVAILABLE : 1,
                  "%s", err);
    } else if (strcmp(cmd, "indicators") == 0) {
        st = cmd_indicators(&x);
    } else if (strcmp(cmd, "regions") == 0) {
        st = cmd_regions(&x, &a);
    } else if (strcmp(cmd, "total") == 0) {
        st = cmd_total(&x, &a);
    } else if (strcmp(cmd, "breakdown") == 0) {
        st = cmd_breakdown(&x, &a);
    } else if (strcmp(cmd, "series") == 0) {
        st = cmd_series(&x, &a);
    } else if (strcmp(cmd, "progress") == 0) {
        st = cmd_progress(&x, &a);
    } else if (strcmp(cmd, "completeness") == 0) {
        st = cmd_completeness(&x, &a);
    } else if (strcmp(cmd, "history") == 0) {
        st = cmd_history(&x, &a);
    } else if (strcmp(cmd, "rejections") == 0) {
        st = cmd_rejections(&x, &a);
    } else if (strcmp(cmd, "agents") == 0) {
        st = cmd_agents(&x);
    } else if (strcmp(cmd, "violations") == 0) {
        st = cmd_violations(&x, &a);
    } else if (strcmp(cmd, "backup") == 0) {
        st = cmd_backup(&x, &a);
    } else {
        st = cmd_export(&x, &a);
    }
    client_destroy(&x.c);
    return st;
}
