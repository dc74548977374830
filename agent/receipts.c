/* receipts.c: `hrss-agent receipts` (receipts.h): the spool's receipts
 * read in one pass (spool_receipts), filtered by month, then printed.
 *
 *   table  per month of the period that has receipts: month, submitted
 *          (acknowledged), accepted, rejected, unknown (only when some
 *          receipt is: a replay whose outcome the collector no longer
 *          keeps; submitted = accepted + rejected + unknown), and the
 *          newest receipt's audit position and head ("-" when the
 *          collector sent none)
 *   csv    the receipts file: reporter,seq,indicator,region,month,value,
 *          outcome,position,head,acked_at (empty position and head: the
 *          collector sent none)
 *   json   {"reporter", "receipts": [...], "months": [...]} (months
 *          with submitted, accepted, rejected and unknown)
 *
 * A month outside PERIOD_MIN_YEAR..MAX (a rejected `bad_month` figure)
 * lies in no period; it is listed only without --period, under what it
 * carried ("2025-13").
 *
 * INVARIANTS
 *   1. Every form counts the same receipts (in_period()).
 *   2. Collector text reaches a terminal through table_print only, JSON
 *      through json_put_str only; CSV fields are quoted when they hold a
 *      comma, a quote or a line break.
 */
#include "agent/receipts.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/table.h"
#include "common/json.h"
#include "common/mem.h"

typedef struct month_sum {
    uint32_t yyyymm;
    uint64_t submitted;
    uint64_t accepted;
    uint64_t rejected;
    uint64_t unknown;  /* replays whose outcome the collector lost */
    const spool_receipt_t *newest; /* the highest seq with a position */
} month_sum_t;

typedef struct collect {
    const period_t *period;
    spool_receipt_t *r;
    size_t n;
    size_t cap;
} collect_t;

void receipts_iso_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, cap, "%s", "");
    }
}

static int in_period(const period_t *p, uint32_t yyyymm)
{
    int32_t m = 0;
    if (p == NULL) {
        return 1;
    }
    return month_from_yyyymm(yyyymm, &m) && m >= p->first && m <= p->last;
}

static int take(const spool_receipt_t *r, void *arg)
{
    collect_t *c = arg;
    if (!in_period(c->period, r->update.yyyymm)) {
        return 0;
    }
    if (c->n == c->cap) {
        c->cap = c->cap != 0 ? c->cap * 2 : 256;
        c->r = xreallocarray(c->r, c->cap, sizeof *c->r);
    }
    c->r[c->n++] = *r;
    return 0;
}

static void value_text(const spool_update_t *u, char *out, size_t cap)
{
    if (u->is_ratio) {
        snprintf(out, cap, "%" PRId64 "/%" PRId64, u->num, u->den);
    } else {
        snprintf(out, cap, "%" PRId64, u->num);
    }
}

static void head_hex(const spool_receipt_t *r, char out[65])
{
    out[0] = '\0';
    for (size_t i = 0; r->has_head && i < sizeof r->head; i++) {
        snprintf(out + 2 * i, 3, "%02x", r->head[i]);
    }
}

static int is_accepted(const spool_receipt_t *r)
{
    return strcmp(r->outcome, SPOOL_OUTCOME_ACCEPTED) == 0;
}

static int is_unknown(const spool_receipt_t *r)
{
    return strcmp(r->outcome, SPOOL_OUTCOME_UNKNOWN) == 0;
}

static int by_month(const void *a, const void *b)
{
    const month_sum_t *x = a;
    const month_sum_t *y = b;
    return (x->yyyymm > y->yyyymm) - (x->yyyymm < y->yyyymm);
}

/* The receipts summed per month, in month order. Caller frees. */
static month_sum_t *sum_months(const collect_t *c, size_t *n)
{
    month_sum_t *m = c->n > 0 ? xcalloc(c->n, sizeof *m) : NULL;
    *n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const spool_receipt_t *r = &c->r[i];
        size_t j = 0;
        while (j < *n && m[j].yyyymm != r->update.yyyymm) {
            j++;
        }
        if (j == *n) {
            m[(*n)++].yyyymm = r->update.yyyymm;
        }
        m[j].submitted++;
        if (is_accepted(r)) {
            m[j].accepted++;
        } else if (is_unknown(r)) {
            m[j].unknown++;
        } else {
            m[j].rejected++;
        }
        if (r->has_position) { /* seq order: the last one is the newest */
            m[j].newest = r;
        }
    }
    if (*n > 1) {
        qsort(m, *n, sizeof *m, by_month);
    }
    return m;
}

static void print_table(const char *reporter, const collect_t *c,
                        uint64_t queued, FILE *f)
{
    static const char *const head[] = {"month",    "submitted", "accepted",
                                       "rejected", "unknown",   "position",
                                       "head"};
    static const enum table_align align[] = {
        TABLE_LEFT,  TABLE_RIGHT, TABLE_RIGHT, TABLE_RIGHT,
        TABLE_RIGHT, TABLE_RIGHT, TABLE_LEFT};
    size_t nm = 0;
    month_sum_t *m = sum_months(c, &nm);
    uint64_t without = 0;
    uint64_t unknown = 0;
    for (size_t i = 0; i < c->n; i++) {
        without += !c->r[i].has_position;
        unknown += is_unknown(&c->r[i]) ? 1u : 0u;
    }
    /* The unknown column only when there is one: most offices never
     * see it. */
    const char *const *hd = head;
    const enum table_align *al = align;
    static const char *const head6[] = {"month",    "submitted", "accepted",
                                        "rejected", "position",  "head"};
    static const enum table_align align6[] = {TABLE_LEFT,  TABLE_RIGHT,
                                              TABLE_RIGHT, TABLE_RIGHT,
                                              TABLE_RIGHT, TABLE_LEFT};
    size_t cols = 7;
    if (unknown == 0) {
        hd = head6;
        al = align6;
        cols = 6;
    }
    table_t *t = table_new(cols, hd, al);
    for (size_t i = 0; i < nm; i++) {
        char month[PERIOD_STR_LEN];
        char sub[24];
        char acc[24];
        char rej[24];
        char unk[24];
        char pos[24] = "-";
        char hex[65] = "-";
        month_format_yyyymm(m[i].yyyymm, month, sizeof month);
        snprintf(sub, sizeof sub, "%" PRIu64, m[i].submitted);
        snprintf(acc, sizeof acc, "%" PRIu64, m[i].accepted);
        snprintf(rej, sizeof rej, "%" PRIu64, m[i].rejected);
        snprintf(unk, sizeof unk, "%" PRIu64, m[i].unknown);
        if (m[i].newest != NULL) {
            snprintf(pos, sizeof pos, "%" PRIu64, m[i].newest->position);
            if (m[i].newest->has_head) {
                head_hex(m[i].newest, hex);
            }
        }
        const char *row7[] = {month, sub, acc, rej, unk, pos, hex};
        const char *row6[] = {month, sub, acc, rej, pos, hex};
        table_add_row(t, cols == 7 ? row7 : row6);
    }
    fprintf(f, "Receipts of %s: %zu update%s acknowledged by the "
               "collector\n\n",
            reporter[0] != '\0' ? reporter : "this agent", c->n,
            c->n == 1 ? "" : "s");
    if (nm > 0) {
        table_print(t, f);
        fputc('\n', f);
    }
    if (unknown > 0) {
        fprintf(f, "%" PRIu64 " update%s with an unknown outcome: the "
                   "collector applied %s before its answer was recorded, "
                   "and no longer keeps whether %s rejected (its "
                   "--max-rejections); counted apart, neither accepted "
                   "nor rejected (hrssctl rejections may still list "
                   "%s).\n",
                unknown, unknown == 1 ? "" : "s",
                unknown == 1 ? "it" : "them",
                unknown == 1 ? "it was" : "they were",
                unknown == 1 ? "it" : "them");
    }
    if (without > 0) {
        fprintf(f, "%" PRIu64 " receipt%s without an audit position (the "
                   "collector sent none).\n",
                without, without == 1 ? "" : "s");
    }
    if (queued > 0) {
        fprintf(f, "%" PRIu64 " update%s still wait%s for the collector's "
                   "answer (not counted).\n",
                queued, queued == 1 ? "" : "s", queued == 1 ? "s" : "");
    }
    table_destroy(&t);
    free(m);
}

/* One CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
    } else {
        fputc('"', f);
        for (const char *p = s; *p != '\0'; p++) {
            if (*p == '"') {
                fputc('"', f);
            }
            fputc(*p, f);
        }
        fputc('"', f);
    }
    fputc(last ? '\n' : ',', f);
}

/* The fields of receipt @p r as text, in the receipts file's order. */
typedef struct fields {
    char seq[24];
    char region[16];
    char month[PERIOD_STR_LEN];
    char value[48];
    char pos[24];
    char head[65];
    char at[32];
} fields_t;

static void fields_of(const spool_receipt_t *r, fields_t *x)
{
    snprintf(x->seq, sizeof x->seq, "%" PRIu64, r->update.seq);
    snprintf(x->region, sizeof x->region, "%u", r->update.region);
    month_format_yyyymm(r->update.yyyymm, x->month, sizeof x->month);
    value_text(&r->update, x->value, sizeof x->value);
    x->pos[0] = '\0';
    if (r->has_position) {
        snprintf(x->pos, sizeof x->pos, "%" PRIu64, r->position);
    }
    head_hex(r, x->head);
    receipts_iso_time(r->acked_at, x->at, sizeof x->at);
}

static void print_csv(const char *reporter, const collect_t *c, FILE *f)
{
    fputs("reporter,seq,indicator,region,month,value,outcome,position,head,"
          "acked_at\n",
          f);
    for (size_t i = 0; i < c->n; i++) {
        const spool_receipt_t *r = &c->r[i];
        fields_t x;
        fields_of(r, &x);
        csv_field(f, reporter, 0);
        csv_field(f, x.seq, 0);
        csv_field(f, r->update.indicator, 0);
        csv_field(f, x.region, 0);
        csv_field(f, x.month, 0);
        csv_field(f, x.value, 0);
        csv_field(f, r->outcome, 0);
        csv_field(f, x.pos, 0);
        csv_field(f, x.head, 0);
        csv_field(f, x.at, 1);
    }
}

static void print_json(const char *reporter, const collect_t *c, FILE *f)
{
    fputs("{\"reporter\":", f);
    json_put_str(f, reporter);
    fputs(",\"receipts\":[", f);
    for (size_t i = 0; i < c->n; i++) {
        const spool_receipt_t *r = &c->r[i];
        fields_t x;
        fields_of(r, &x);
        fprintf(f, "%s{\"seq\":%s,\"indicator\":", i > 0 ? "," : "", x.seq);
        json_put_str(f, r->update.indicator);
        fprintf(f, ",\"region\":\"%s\",\"month\":\"%s\",\"value\":\"%s\","
                   "\"outcome\":",
                x.region, x.month, x.value);
        json_put_str(f, r->outcome);
        if (r->has_position) {
            fprintf(f, ",\"position\":%s", x.pos);
        } else {
            fputs(",\"position\":null", f);
        }
        if (r->has_head) {
            fprintf(f, ",\"head\":\"%s\"", x.head);
        } else {
            fputs(",\"head\":null", f);
        }
        fprintf(f, ",\"acked_at\":\"%s\"}", x.at);
    }
    fputs("],\"months\":[", f);
    size_t nm = 0;
    month_sum_t *m = sum_months(c, &nm);
    for (size_t i = 0; i < nm; i++) {
        char month[PERIOD_STR_LEN];
        month_format_yyyymm(m[i].yyyymm, month, sizeof month);
        fprintf(f, "%s{\"month\":\"%s\",\"submitted\":%" PRIu64
                   ",\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64
                   ",\"unknown\":%" PRIu64 "}",
                i > 0 ? "," : "", month, m[i].submitted, m[i].accepted,
                m[i].rejected, m[i].unknown);
    }
    fputs("]}\n", f);
    free(m);
}

int receipts_print(spool_t *sp, const char *reporter, const period_t *period,
                   uint64_t queued, enum receipts_form form, FILE *f,
                   char err[ERR_LEN])
{
    collect_t c = {period, NULL, 0, 0};
    int rc = spool_receipts(sp, take, &c, err);
    if (rc == ERR_OK) {
        switch (form) {
        case RECEIPTS_TABLE:
            print_table(reporter, &c, queued, f);
            break;
        case RECEIPTS_CSV:
            print_csv(reporter, &c, f);
            break;
        case RECEIPTS_JSON:
            print_json(reporter, &c, f);
            break;
        }
    }
    free(c.r);
    return rc;
}

int receipts_command(spool_t *sp, const char *name_opt,
                     const period_t *period, enum receipts_form form,
                     FILE *f)
{
    char err[ERR_LEN];
    /* The reporter: the name the spool is bound to (what the agent says
     * in Hello), else --name. */
    char name[128];
    spool_stats_t st;
    int rc = spool_identity_name(sp, name, sizeof name, err);
    if (rc == ERR_OK && name[0] == '\0' && name_opt != NULL) {
        snprintf(name, sizeof name, "%s", name_opt);
    }
    if (rc == ERR_OK) {
        rc = spool_stats(sp, &st, err);
    }
    if (rc == ERR_OK) {
        rc = receipts_print(sp, name, period, st.queued, form, f, err);
    }
    if (rc != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return 1;
    }
    return 0;
}
