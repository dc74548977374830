/* codec.c: the byte layout of the store's keys and records.
 *
 * Design
 * ------
 * One encoder and one parser per key or record kind (the layout table is
 * in codec.h and ARCHITECTURE.md). Encoders write through buf_put_*,
 * parsers read through a buf_reader_t, whose sticky `bad` flag lets each
 * parser check once at the end: a record that is too short, too long or
 * lacks a NUL leaves the reader bad or unfinished and the parser returns
 * ERR_CORRUPT. Version bytes are checked first. These functions are the
 * only code in store/ that knows a field's position; the byte order and
 * widths are those of format 1, which format 2 seals (store/rec.c).
 *
 * INVARIANTS
 *   1. Every parser returns ERR_OK only when the version byte is V1 and
 *      every byte was consumed (buf_done), else ERR_CORRUPT.
 *   2. No parser asserts on its input or reads outside it.
 *   3. Every encoder resets its buffer and writes the version byte first.
 *   4. A cell key's month lies in PERIOD_MIN_YEAR..PERIOD_MAX_YEAR, as
 *      update_check() ensures for every stored one; others are corrupt.
 *   5. A fact's numerator and denominator lie in 0..UPDATE_MAX_VALUE, as
 *      update_check() ensures, so that no sum of them overflows; others
 *      are corrupt.
 */
#include "store/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "common/lmdbh.h"

/* A value as rejects hold it: kind, numerator, denominator. */
static void put_value(buf_t *b, const value_t *v)
{
    buf_put_u8(b, (uint8_t)(v->is_ratio ? 1 : 0));
    buf_put_i64(b, v->num);
    buf_put_i64(b, v->den);
}

value_t codec_get_full_value(buf_reader_t *r)
{
    value_t v;
    v.is_ratio = buf_get_u8(r) != 0;
    v.num = buf_get_i64(r);
    v.den = buf_get_i64(r);
    return v;
}

/* A value as facts and audit records hold it: a count without the
 * denominator it never has. */
static void put_cvalue(buf_t *b, const value_t *v)
{
    buf_put_u8(b, (uint8_t)(v->is_ratio ? 1 : 0));
    buf_put_i64(b, v->num);
    if (v->is_ratio) {
        buf_put_i64(b, v->den);
    }
}

static value_t get_cvalue(buf_reader_t *r)
{
    value_t v;
    uint8_t kind = buf_get_u8(r);
    v.is_ratio = kind == 1;
    v.num = buf_get_i64(r);
    v.den = v.is_ratio ? buf_get_i64(r) : 0;
    if (kind > 1) {
        r->bad = 1;
    }
    return v;
}

/* The indicators of the plan, in byte order: keys and records hold a
 * code of this list as its 1-based position (one byte, which sorts as the
 * code does), any other code as CODEC_IND_OTHER and the code with its
 * NUL. Frozen with the format: a new entry changes keys, so it comes with
 * a new format and its upgrade. */
static const char *const plan_codes[] = {
    "arbitration_closure_rate",
    "dispute_mediation_success_rate",
    "e_social_security_card_coverage",
    "highly_skilled_talent",
    "labour_inspection_closure_rate",
    "new_professional_qualifications",
    "new_senior_skill_certificates",
    "new_skill_certificates",
    "pension_insured",
    "postdoc_recruits",
    "professional_technical_talent",
    "senior_title_talent",
    "skilled_talent",
    "social_security_card_holders",
    "unemployment_insured",
    "urban_new_jobs",
    "urban_surveyed_unemployment_rate",
    "vocational_skill_training",
    "work_injury_insured",
};
#define N_PLAN_CODES (sizeof plan_codes / sizeof plan_codes[0])

static int plan_code_cmp(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

/* The place of @p code in plan_codes (0: not there). One update's keys
 * all name its indicator: the last one found is tried first, with one
 * comparison, before the search. */
static uint8_t plan_place(const char *code)
{
    static _Thread_local uint8_t last = 1;
    if (strcmp(code, plan_codes[last - 1]) == 0) {
        return last;
    }
    const char *const *at = bsearch(code, plan_codes, N_PLAN_CODES,
                                    sizeof plan_codes[0], plan_code_cmp);
    if (at == NULL) {
        return 0;
    }
    last = (uint8_t)(at - plan_codes + 1);
    return last;
}

void codec_put_ind(buf_t *b, const char *code)
{
    uint8_t place = plan_place(code);
    if (place != 0) {
        buf_put_u8(b, place);
    } else {
        buf_put_u8(b, CODEC_IND_OTHER);
        buf_put_str(b, code);
    }
}

const char *codec_get_ind(buf_reader_t *r)
{
    uint8_t id = buf_get_u8(r);
    if (id >= 1 && id <= N_PLAN_CODES) {
        return plan_codes[id - 1];
    }
    if (id == CODEC_IND_OTHER) {
        const char *code = buf_get_str(r);
        if (code != NULL && code[0] != '\0' &&
            bsearch(code, plan_codes, N_PLAN_CODES, sizeof plan_codes[0],
                    plan_code_cmp) == NULL) {
            return code;
        }
    }
    r->bad = 1; /* unknown id, or a plan code spelt out: not ours */
    return "";
}

/* Start reading a record: 1 when its version byte is REC_V1. */
static int rec_open(buf_reader_t *r, const MDB_val *d)
{
    buf_reader_init(r, d->mv_data, d->mv_size);
    return buf_get_u8(r) == CODEC_REC_V1;
}

static int done(const buf_reader_t *r)
{
    return buf_done(r) ? ERR_OK : ERR_CORRUPT;
}

/* --- keys ---------------------------------------------------------------- */

void codec_key_cell(buf_t *b, const char *code, uint32_t region,
                    int32_t month)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_KEY_V1);
    codec_put_ind(b, code);
    buf_put_u32(b, region);
    buf_put_u32(b, (uint32_t)month);
}

/* The cell fields of a facts, violations or cellhist key; the caller
 * reads what follows and checks the end. */
static int get_cell(buf_reader_t *r, const MDB_val *k, const char **code,
                    uint32_t *region, int32_t *month)
{
    buf_reader_init(r, k->mv_data, k->mv_size);
    if (buf_get_u8(r) != CODEC_KEY_V1) {
        return ERR_CORRUPT;
    }
    *code = codec_get_ind(r);
    *region = buf_get_u32(r);
    *month = (int32_t)buf_get_u32(r);
    if (r->bad) {
        return ERR_CORRUPT;
    }
    /* update_check() never stores another month; one would index outside
     * the 12 slots of a year (derive). */
    if (*month < month_make(PERIOD_MIN_YEAR, 1) ||
        *month > month_make(PERIOD_MAX_YEAR, 12)) {
        return ERR_CORRUPT;
    }
    return ERR_OK;
}

int codec_parse_cell_key(const MDB_val *k, const char **code,
                         uint32_t *region, int32_t *month)
{
    buf_reader_t r;
    int rc = get_cell(&r, k, code, region, month);
    return rc == ERR_OK ? done(&r) : rc;
}

void codec_key_agg(buf_t *b, enum codec_agg_kind kind, const char *code,
                   uint32_t region, int32_t start)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_KEY_V1);
    buf_put_u8(b, (uint8_t)kind);
    codec_put_ind(b, code);
    buf_put_u32(b, region);
    buf_put_u32(b, (uint32_t)start);
}

void codec_key_span(buf_t *b, enum codec_agg_kind kind, const char *code,
                    uint32_t region, int32_t ystart, int32_t other)
{
    codec_key_agg(b, kind, code, region, ystart);
    buf_put_u32(b, other == CODEC_SPAN_NONE ? UINT32_MAX : (uint32_t)other);
}

/* The fields of an agg or span key; *other is left alone for an agg key.
 * ERR_CORRUPT unless the key is whole, of a known kind and in range. */
static int get_agg_key(const MDB_val *k, uint8_t *kind, const char **code,
                       uint32_t *region, int32_t *start, int32_t *other)
{
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    int ok = buf_get_u8(&r) == CODEC_KEY_V1;
    *kind = buf_get_u8(&r);
    *code = codec_get_ind(&r);
    *region = buf_get_u32(&r);
    *start = (int32_t)buf_get_u32(&r);
    int span = *kind == CODEC_AGG_PREV || *kind == CODEC_AGG_NEXT;
    if (span) {
        uint32_t o = buf_get_u32(&r);
        *other = o == UINT32_MAX ? CODEC_SPAN_NONE : (int32_t)o;
    }
    int32_t lo = month_make(PERIOD_MIN_YEAR, 1);
    int32_t hi = month_make(PERIOD_MAX_YEAR, 12);
    if (!ok || !buf_done(&r) || (!span && *kind != CODEC_AGG_MONTH &&
                                 *kind != CODEC_AGG_QUARTER &&
                                 *kind != CODEC_AGG_YEAR) ||
        *start < lo || *start > hi ||
        (span && (*start % 12 != 0 ||
                  (*other != CODEC_SPAN_NONE &&
                   (*other < lo || *other > hi || *other % 12 != 0))))) {
        return ERR_CORRUPT;
    }
    return ERR_OK;
}

int codec_parse_span_other(const MDB_val *k, int32_t *other)
{
    uint8_t kind;
    const char *code;
    uint32_t region;
    int32_t start;
    *other = CODEC_SPAN_NONE - 1; /* an agg key leaves it so: refused */
    int rc = get_agg_key(k, &kind, &code, &region, &start, other);
    return rc == ERR_OK && *other >= CODEC_SPAN_NONE ? ERR_OK : ERR_CORRUPT;
}

void codec_key_id(buf_t *b, uint64_t id)
{
    lmdbh_id_key(b, CODEC_KEY_V1, id);
}

int codec_reporter_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > STORE_REPORTER_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c < 0x20 || c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

void codec_key_reporter(buf_t *b, const char *id)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_KEY_V1);
    buf_put(b, id, strlen(id));
}

int codec_parse_reporter_key(const MDB_val *k,
                             char id[STORE_REPORTER_MAX + 1])
{
    id[0] = '\0';
    if (k->mv_size < 2 || k->mv_size > STORE_REPORTER_MAX + 1) {
        return ERR_CORRUPT;
    }
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    if (buf_get_u8(&r) != CODEC_KEY_V1) {
        return ERR_CORRUPT;
    }
    size_t n = k->mv_size - 1;
    for (size_t i = 0; i < n; i++) {
        id[i] = (char)buf_get_u8(&r);
    }
    id[n] = '\0';
    return done(&r);
}

/* A cell key's "CODE REGION YYYY-MM". */
static int cell_text(const MDB_val *k, char *out, size_t cap)
{
    const char *code;
    uint32_t region;
    int32_t month;
    int rc = codec_parse_cell_key(k, &code, &region, &month);
    if (rc != ERR_OK) {
        return rc;
    }
    snprintf(out, cap, "%.32s %u %04d-%02d", code, region, month_year(month),
             month_of_year(month));
    return ERR_OK;
}

/* An agg key's "KIND CODE REGION YYYY-MM"; a span's adds " < YYYY"
 * (P: the year before) or " > YYYY" (N: the year after), "-" for none. */
static int agg_text(const MDB_val *k, char *out, size_t cap)
{
    uint8_t kind;
    const char *code;
    uint32_t region;
    int32_t start;
    int32_t other = 0;
    int rc = get_agg_key(k, &kind, &code, &region, &start, &other);
    if (rc != ERR_OK) {
        return rc;
    }
    int n = snprintf(out, cap, "%c %.32s %u %04d-%02d", kind, code, region,
                     month_year(start), month_of_year(start));
    if ((kind == CODEC_AGG_PREV || kind == CODEC_AGG_NEXT) && n >= 0 &&
        (size_t)n < cap) {
        char y[16] = "-";
        if (other != CODEC_SPAN_NONE) {
            snprintf(y, sizeof y, "%04d", month_year(other));
        }
        snprintf(out + n, cap - (size_t)n, " %c %s",
                 kind == CODEC_AGG_PREV ? '<' : '>', y);
    }
    return ERR_OK;
}

char *codec_key_text(const char *table, const MDB_val *k, char *out,
                     size_t cap)
{
    int rc = ERR_CORRUPT;
    uint64_t id = 0;
    char who[STORE_REPORTER_MAX + 1];
    if (strcmp(table, "facts") == 0 || strcmp(table, "violations") == 0 ||
        strcmp(table, "outliers") == 0) {
        rc = cell_text(k, out, cap);
    } else if (strcmp(table, "agg") == 0) {
        rc = agg_text(k, out, cap);
    } else if (strcmp(table, "audit") == 0 || strcmp(table, "rejects") == 0 ||
               strcmp(table, "chain") == 0 ||
               strcmp(table, "approvals_log") == 0) {
        rc = lmdbh_id_parse(k, CODEC_KEY_V1, &id);
        if (rc == ERR_OK) {
            snprintf(out, cap, "%llu", (unsigned long long)id);
        }
    } else if (strcmp(table, "reporters") == 0 ||
               strcmp(table, "rejby") == 0) {
        rc = codec_parse_reporter_key(k, who);
        if (rc == ERR_OK) {
            snprintf(out, cap, "'%s'", who);
        }
    }
    if (rc != ERR_OK) { /* meta's names, and keys too damaged to read */
        size_t n = cap > 2 ? cap - 2 : 0;
        char raw[256];
        lmdbh_key_text(k, raw, n < sizeof raw ? n : sizeof raw);
        snprintf(out, cap, "\"%s\"", raw);
    }
    return out;
}

/* --- records ------------------------------------------------------------- */

void codec_put_fact(buf_t *b, const codec_fact_t *f)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    put_cvalue(b, &f->v);
    buf_put_i64(b, f->received_at);
    buf_put_u64(b, f->audit_id);
}

int codec_parse_fact(const MDB_val *d, codec_fact_t *f)
{
    buf_reader_t r;
    if (!rec_open(&r, d)) {
        return ERR_CORRUPT;
    }
    f->v = get_cvalue(&r);
    f->received_at = buf_get_i64(&r);
    f->audit_id = buf_get_u64(&r);
    if (f->v.num < 0 || f->v.num > UPDATE_MAX_VALUE || f->v.den < 0 ||
        f->v.den > UPDATE_MAX_VALUE) {
        return ERR_CORRUPT; /* invariant 5: no sum of them can overflow */
    }
    return done(&r);
}

void codec_put_agg(buf_t *b, const codec_agg_t *a)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_i64(b, a->num);
    buf_put_i64(b, a->den);
    buf_put_u32(b, a->reporting);
}

int codec_parse_agg(const MDB_val *d, codec_agg_t *a)
{
    buf_reader_t r;
    if (!rec_open(&r, d)) {
        return ERR_CORRUPT;
    }
    a->num = buf_get_i64(&r);
    a->den = buf_get_i64(&r);
    a->reporting = buf_get_u32(&r);
    return done(&r);
}

void codec_put_reporter(buf_t *b, const codec_reporter_t *p)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_u64(b, p->next_seq);
    buf_put_i64(b, p->first_seen);
    buf_put_i64(b, p->last_contact);
    buf_put_u64(b, p->applied);
    buf_put_u64(b, p->rejected);
}

int codec_parse_reporter(const MDB_val *d, codec_reporter_t *p)
{
    buf_reader_t r;
    if (!rec_open(&r, d)) {
        return ERR_CORRUPT;
    }
    p->next_seq = buf_get_u64(&r);
    p->first_seen = buf_get_i64(&r);
    p->last_contact = buf_get_i64(&r);
    p->applied = buf_get_u64(&r);
    p->rejected = buf_get_u64(&r);
    return done(&r);
}

void codec_put_audit(buf_t *b, const store_revision_t *rev)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_i64(b, rev->received_at);
    buf_put_str(b, rev->reporter);
    buf_put_u64(b, rev->seq);
    codec_put_ind(b, rev->indicator);
    buf_put_u32(b, rev->region);
    buf_put_u32(b, (uint32_t)rev->month);
    buf_put_u64(b, rev->prev_id);
    buf_put_u8(b, (uint8_t)(rev->has_old ? 1 : 0));
    if (rev->has_old) {
        put_cvalue(b, &rev->old_value);
    }
    put_cvalue(b, &rev->new_value);
}

int codec_parse_audit(const MDB_val *k, const MDB_val *d,
                      store_revision_t *rev)
{
    buf_reader_t r;
    if (lmdbh_id_parse(k, CODEC_KEY_V1, &rev->audit_id) != ERR_OK ||
        !rec_open(&r, d)) {
        return ERR_CORRUPT;
    }
    rev->received_at = buf_get_i64(&r);
    rev->reporter = buf_get_str(&r);
    rev->seq = buf_get_u64(&r);
    rev->indicator = codec_get_ind(&r);
    rev->region = buf_get_u32(&r);
    rev->month = (int32_t)buf_get_u32(&r);
    rev->prev_id = buf_get_u64(&r);
    uint8_t has_old = buf_get_u8(&r);
    rev->has_old = has_old == 1;
    memset(&rev->old_value, 0, sizeof rev->old_value);
    if (rev->has_old) {
        rev->old_value = get_cvalue(&r);
    }
    rev->new_value = get_cvalue(&r);
    /* A chain goes back in time; a first revision has no old value. */
    if (has_old > 1 || rev->prev_id >= rev->audit_id ||
        (rev->prev_id != 0) != rev->has_old) {
        return ERR_CORRUPT;
    }
    return done(&r);
}

void codec_put_reject(buf_t *b, const store_rejected_t *rj)
{
    /* The code came off the wire: keep it bounded and NUL-free. */
    char code[CATALOG_CODE_MAX + 2];
    snprintf(code, sizeof code, "%s", rj->indicator);
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_i64(b, rj->received_at);
    buf_put_str(b, rj->reporter);
    buf_put_u64(b, rj->seq);
    buf_put_str(b, code);
    buf_put_u32(b, rj->region);
    buf_put_u32(b, rj->yyyymm);
    put_value(b, &rj->value);
    buf_put_u8(b, (uint8_t)rj->reason);
    buf_put_str(b, rj->message);
}

int codec_parse_reject(const MDB_val *k, const MDB_val *d,
                       store_rejected_t *rj)
{
    buf_reader_t r;
    if (lmdbh_id_parse(k, CODEC_KEY_V1, &rj->id) != ERR_OK ||
        !rec_open(&r, d)) {
        return ERR_CORRUPT;
    }
    rj->received_at = buf_get_i64(&r);
    rj->reporter = buf_get_str(&r);
    rj->seq = buf_get_u64(&r);
    rj->indicator = buf_get_str(&r);
    rj->region = buf_get_u32(&r);
    rj->yyyymm = buf_get_u32(&r);
    rj->value = codec_get_full_value(&r);
    uint8_t reason = buf_get_u8(&r);
    rj->reason = (enum update_reason)reason;
    rj->message = buf_get_str(&r);
    if (reason == UPDATE_OK || reason > UPDATE_REASON_MAX) {
        return ERR_CORRUPT;
    }
    return done(&r);
}

void codec_put_rejidx(buf_t *b, uint64_t id)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_u64(b, id);
}

int codec_parse_rejidx(const MDB_val *d, uint64_t *id)
{
    buf_reader_t r;
    *id = 0;
    if (!rec_open(&r, d)) {
        return ERR_CORRUPT;
    }
    *id = buf_get_u64(&r);
    return done(&r);
}

void codec_put_violation(buf_t *b, const char *parent, int64_t value,
                         int64_t parent_value)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    codec_put_ind(b, parent);
    buf_put_i64(b, value);
    buf_put_i64(b, parent_value);
}

int codec_parse_violation(const MDB_val *k, const MDB_val *d,
                          codec_violation_t *v)
{
    buf_reader_t r;
    if (codec_parse_cell_key(k, &v->code, &v->region, &v->month) != ERR_OK ||
        !rec_open(&r, d)) {
        return ERR_CORRUPT;
    }
    v->parent = codec_get_ind(&r);
    v->value = buf_get_i64(&r);
    v->parent_value = buf_get_i64(&r);
    return done(&r);
}
