/* fuzz_query.c: libFuzzer target for the query server: one raw
 * QueryRequest, answered by query_answer() from a store that holds a few
 * hundred figures (counts and ratios, several months and regions,
 * revisions, rejections, one "of which" violation, and an agent whose
 * name and rejected indicator are odd bytes), built once per
 * process in an unlinked temporary directory (fuzz_common.c).
 *
 * The asker is an admin of a collector without --backup-dir, so every
 * request is answered and a backup (the one request that writes files)
 * is refused before it touches the file system. The answer cap and page
 * size are small, so that short inputs reach paging and QUERY_FULL.
 *
 * query_answer() is called on one line (answer()), to follow its
 * signature when it changes.
 *
 * INVARIANTS (checked; a break aborts, and libFuzzer keeps the input)
 *   1. Every call appends exactly one QueryResponse that unpacks.
 *   2. Code QUERY_OK comes with a payload and no error; any other code
 *      with an error message and no payload (query.h invariant 1).
 *   3. Indicators and regions in totals, breakdowns, series, history,
 *      violations, facts and completeness are catalog codes (query.h
 *      invariant 3).
 *   4. No answer is larger than the cap (query.h invariant 8).
 *
 * A list answered in pages is followed: the same request is asked again
 * with `after` set to the answer's `next`, for up to MAX_PAGES pages, so
 * that valid page positions are decoded too, not only mutated ones.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/period.h"
#include "common/wire.h"
#include "fuzz_common.h"
#include "proto/hrss.pb-c.h"
#include "store/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Most pages of one list followed per input. */
#define MAX_PAGES 6

static store_t *store;

/* --- the fixed data ---------------------------------------------------- */

static const uint32_t regions[] = {330000, 330100, 330102, 330106, 330200,
                                   330203};

static void apply(const char *reporter, uint32_t home, int64_t at,
                  const update_t *u, size_t n)
{
    char err[ERR_LEN] = "";
    const catalog_t *cat = fuzz_catalog();
    store_batch_t b = {reporter, catalog_region_find(cat, home), at,
                       month_make(2025, 12), u, n, NULL};
    store_result_t r;
    if (store_apply(store, &b, 1, &r, err) != ERR_OK) {
        fuzz_fail("query data: store_apply: %s", err);
    }
    if (r.status != STORE_BATCH_OK) {
        fuzz_fail("query data: batch of %s refused (%d)", reporter,
                  (int)r.status);
    }
    store_result_fini(&r);
}

/* One reporter per region: counts and ratios for 2025-01..2025-08, then
 * revisions and a few figures the store rejects. */
static void build_data(void)
{
    update_t u[64];
    for (size_t ri = 0; ri < sizeof regions / sizeof regions[0]; ri++) {
        char reporter[32];
        uint32_t reg = regions[ri];
        uint64_t seq = 1;
        snprintf(reporter, sizeof reporter, "office-%u", reg);
        for (uint32_t mo = 1; mo <= 8; mo++) {
            size_t n = 0;
            uint32_t ym = 202500 + mo;
            int64_t k = (int64_t)(ri + 1) * 1000 + mo;
            u[n++] = (update_t){seq++, "urban_new_jobs", reg, ym,
                                {0, k * 3, 0}};
            u[n++] = (update_t){seq++, "pension_insured", reg, ym,
                                {0, k * 100, 0}};
            u[n++] = (update_t){seq++, "professional_technical_talent",
                                reg, ym, {0, k * 10, 0}};
            /* 330106 in 2025-06 breaks the "of which" rule. */
            int64_t senior = reg == 330106 && mo == 6 ? k * 11 : k * 2;
            u[n++] = (update_t){seq++, "senior_title_talent", reg, ym,
                                {0, senior, 0}};
            u[n++] = (update_t){seq++, "dispute_mediation_success_rate",
                                reg, ym, {1, 40 + mo, 50}};
            u[n++] = (update_t){seq++, "e_social_security_card_coverage",
                                reg, ym, {1, k, k * 2}};
            u[n++] = (update_t){seq++, "postdoc_recruits", reg, ym,
                                {0, (int64_t)mo, 0}};
            apply(reporter, reg, 1735689600 + (int64_t)mo * 2592000, u, n);
        }
        /* Revisions (history) and rejections: a future month, a ratio
         * for a count, a numerator above its denominator, a region
         * outside the office's. */
        size_t n = 0;
        u[n++] = (update_t){seq++, "urban_new_jobs", reg, 202503,
                            {0, 777, 0}};
        u[n++] = (update_t){seq++, "urban_new_jobs", reg, 202503,
                            {0, 778, 0}};
        u[n++] = (update_t){seq++, "urban_new_jobs", reg, 202601,
                            {0, 1, 0}};
        u[n++] = (update_t){seq++, "pension_insured", reg, 202504,
                            {1, 1, 2}};
        u[n++] = (update_t){seq++, "arbitration_closure_rate", reg, 202504,
                            {1, 9, 8}};
        u[n++] = (update_t){seq++, "skilled_talent",
                            reg == 330000 ? 330000 : 330300, 202504,
                            {0, 5, 0}};
        apply(reporter, reg, 1760000000, u, n);
    }
    /* What a hostile agent may leave in the audit trail: a name of the
     * longest size the wire takes, an indicator of bytes that are neither
     * a code nor UTF-8, with control characters. */
    static const char longest[] = "a123456789b123456789c123456789"
                                  "d123456789e123456789f123456789g12~";
    update_t odd[2] = {
        {1, "\xff\xfe\x01\x7f" "bad\tcode\n\x1b[0m", 330100, 202505,
         {0, 1, 0}},
        {2, "urban_new_jobs", 330100, 202505, {0, 5, 0}},
    };
    apply(longest, 330100, 1761000000, odd, 2);
}

static void init_once(void)
{
    if (store != NULL) {
        return;
    }
    store = fuzz_store_new(fuzz_catalog(), (size_t)8 << 20);
    build_data();
}

/* --- checking answers -------------------------------------------------- */

static void check_indicator(const char *code)
{
    const catalog_t *cat = fuzz_catalog();
    int i = code != NULL ? catalog_indicator_find(cat, code) : -1;
    if (i < 0 || strcmp(catalog_indicator(cat, (size_t)i)->code, code) != 0) {
        fuzz_fail("answer names indicator '%s', not a catalog code",
                  code != NULL ? code : "(null)");
    }
}

static void check_region(uint32_t code)
{
    if (catalog_region_find(fuzz_catalog(), code) < 0) {
        fuzz_fail("answer names region %u, not in the catalog", code);
    }
}

static void check_total(const Hrss__Total *t)
{
    if (t == NULL || t->period == NULL) {
        fuzz_fail("total without its fields");
    }
    check_indicator(t->indicator);
    check_region(t->region);
}

static void check_comments(Hrss__Comment *const *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        check_indicator(c[i]->indicator);
        check_region(c[i]->region);
    }
}

static void check_payload(const Hrss__QueryResponse *r)
{
    switch (r->r_case) {
    case HRSS__QUERY_RESPONSE__R_TOTAL:
        check_total(r->total);
        break;
    case HRSS__QUERY_RESPONSE__R_BREAKDOWN:
        check_total(r->breakdown->own);
        check_total(r->breakdown->total);
        for (size_t i = 0; i < r->breakdown->n_children; i++) {
            check_total(r->breakdown->children[i]);
        }
        break;
    case HRSS__QUERY_RESPONSE__R_SERIES:
        for (size_t i = 0; i < r->series->n_totals; i++) {
            check_total(r->series->totals[i]);
        }
        break;
    case HRSS__QUERY_RESPONSE__R_HISTORY:
        for (size_t i = 0; i < r->history->n_revisions; i++) {
            check_indicator(r->history->revisions[i]->indicator);
            check_region(r->history->revisions[i]->region);
        }
        check_comments(r->history->comments, r->history->n_comments);
        break;
    case HRSS__QUERY_RESPONSE__R_COMMENTS:
        /* The fuzz context has no name: a comment is refused, so only
         * FollowupsQ answers here. */
        if (r->comments->n_comments != 0) {
            fuzz_fail("a comment was taken without a name");
        }
        for (size_t i = 0; i < r->comments->n_followups; i++) {
            check_comments(&r->comments->followups[i]->marked, 1);
            check_comments(&r->comments->followups[i]->newest, 1);
        }
        break;
    case HRSS__QUERY_RESPONSE__R_VIOLATIONS:
        for (size_t i = 0; i < r->violations->n_violations; i++) {
            check_indicator(r->violations->violations[i]->indicator);
            check_indicator(r->violations->violations[i]->parent);
            check_region(r->violations->violations[i]->region);
        }
        break;
    case HRSS__QUERY_RESPONSE__R_FACTS:
        for (size_t i = 0; i < r->facts->n_facts; i++) {
            check_indicator(r->facts->facts[i]->indicator);
            check_region(r->facts->facts[i]->region);
        }
        break;
    case HRSS__QUERY_RESPONSE__R_COMPLETENESS:
        check_region(r->completeness->region);
        for (size_t i = 0; i < r->completeness->n_regions; i++) {
            const Hrss__RegionCompleteness *rc = r->completeness->regions[i];
            check_region(rc->region);
            for (size_t j = 0; j < rc->n_reported; j++) {
                check_indicator(rc->reported[j]);
            }
            for (size_t j = 0; j < rc->n_missing; j++) {
                check_indicator(rc->missing[j]);
            }
        }
        break;
    case HRSS__QUERY_RESPONSE__R_OUTLIERS:
        for (size_t i = 0; i < r->outliers->n_outliers; i++) {
            const Hrss__Outlier *o = r->outliers->outliers[i];
            check_indicator(o->indicator);
            check_region(o->region);
            if (o->reasons == 0 || (o->reasons & ~7u) != 0 ||
                o->seasonal == NULL || o->recent == NULL) {
                fuzz_fail("outlier with reasons %u or without its tests",
                          o->reasons);
            }
        }
        break;
    case HRSS__QUERY_RESPONSE__R_APPROVALS:
        for (size_t i = 0; i < r->approvals->n_approvals; i++) {
            check_region(r->approvals->approvals[i]->region);
        }
        break;
    case HRSS__QUERY_RESPONSE__R_DIFF:
        for (size_t i = 0; i < r->diff->n_cells; i++) {
            const Hrss__DiffCell *c = r->diff->cells[i];
            check_indicator(c->indicator);
            check_region(c->region);
            if (!c->has_from && !c->has_to) {
                fuzz_fail("a diff cell that existed at neither moment");
            }
        }
        for (size_t i = 0; i < r->diff->n_totals; i++) {
            check_total(r->diff->totals[i]->from);
            check_total(r->diff->totals[i]->to);
        }
        break;
    case HRSS__QUERY_RESPONSE__R_AUDIT_HEAD:
        if (r->audit_head->head.len != 32) {
            fuzz_fail("an audit head of %zu bytes", r->audit_head->head.len);
        }
        break;
    case HRSS__QUERY_RESPONSE__R_RECONCILE:
        for (size_t i = 0; i < r->reconcile->n_rows; i++) {
            const Hrss__ReconcileRow *w = r->reconcile->rows[i];
            if (w->reporter == NULL || w->reporter[0] == '\0' ||
                w->accepted + w->rejected == 0) {
                fuzz_fail("a reconcile row without a reporter or counts");
            }
        }
        break;
    case HRSS__QUERY_RESPONSE__R_REJECTIONS:
    case HRSS__QUERY_RESPONSE__R_AGENTS:
    case HRSS__QUERY_RESPONSE__R_CATALOG:
        break;
    case HRSS__QUERY_RESPONSE__R__NOT_SET:
    default:
        fuzz_fail("QUERY_OK without a payload");
    }
}

/* Check the answer in @p out and return it unpacked; caller frees it with
 * hrss__query_response__free_unpacked(r, NULL). */
static Hrss__QueryResponse *check_response(const buf_t *out)
{
    Hrss__QueryResponse *r =
        hrss__query_response__unpack(NULL, out->len, out->data);
    if (r == NULL) {
        fuzz_fail("the response (%zu bytes) does not unpack", out->len);
    }
    if (r->code == HRSS__QUERY_STATUS__QUERY_OK) {
        if (r->error != NULL) {
            fuzz_fail("QUERY_OK with an error: %s", r->error);
        }
        check_payload(r);
    } else if (r->error == NULL || r->error[0] == '\0' ||
               r->r_case != HRSS__QUERY_RESPONSE__R__NOT_SET) {
        fuzz_fail("code %d: error '%s', payload case %d", (int)r->code,
                  r->error != NULL ? r->error : "(null)", (int)r->r_case);
    }
    return r;
}

/* --- following pages ------------------------------------------------------ */

/* The `next` of a list answer, when it has one. */
static const ProtobufCBinaryData *next_of(const Hrss__QueryResponse *r)
{
    protobuf_c_boolean has = 0;
    const ProtobufCBinaryData *next = NULL;
    if (r->code != HRSS__QUERY_STATUS__QUERY_OK) {
        return NULL;
    }
    switch (r->r_case) {
    case HRSS__QUERY_RESPONSE__R_HISTORY:
        has = r->history->has_next;
        next = &r->history->next;
        break;
    case HRSS__QUERY_RESPONSE__R_REJECTIONS:
        has = r->rejections->has_next;
        next = &r->rejections->next;
        break;
    case HRSS__QUERY_RESPONSE__R_AGENTS:
        has = r->agents->has_next;
        next = &r->agents->next;
        break;
    case HRSS__QUERY_RESPONSE__R_VIOLATIONS:
        has = r->violations->has_next;
        next = &r->violations->next;
        break;
    case HRSS__QUERY_RESPONSE__R_FACTS:
        has = r->facts->has_next;
        next = &r->facts->next;
        break;
    case HRSS__QUERY_RESPONSE__R_COMPLETENESS:
        has = r->completeness->has_next;
        next = &r->completeness->next;
        break;
    case HRSS__QUERY_RESPONSE__R_OUTLIERS:
        has = r->outliers->has_next;
        next = &r->outliers->next;
        break;
    case HRSS__QUERY_RESPONSE__R_COMMENTS:
        has = r->comments->has_next;
        next = &r->comments->next;
        break;
    default:
        break;
    }
    return has ? next : NULL;
}

/* Where request @p q keeps its page position, or NULL for a kind that
 * has no pages. */
static ProtobufCBinaryData *after_of(Hrss__QueryRequest *q,
                                     protobuf_c_boolean **has)
{
    switch (q->q_case) {
    case HRSS__QUERY_REQUEST__Q_HISTORY:
        if (q->history == NULL) {
            return NULL;
        }
        *has = &q->history->has_after;
        return &q->history->after;
    case HRSS__QUERY_REQUEST__Q_REJECTIONS:
        if (q->rejections == NULL) {
            return NULL;
        }
        *has = &q->rejections->has_after;
        return &q->rejections->after;
    case HRSS__QUERY_REQUEST__Q_AGENTS:
        if (q->agents == NULL) {
            return NULL;
        }
        *has = &q->agents->has_after;
        return &q->agents->after;
    case HRSS__QUERY_REQUEST__Q_VIOLATIONS:
        if (q->violations == NULL) {
            return NULL;
        }
        *has = &q->violations->has_after;
        return &q->violations->after;
    case HRSS__QUERY_REQUEST__Q_FACTS:
        if (q->facts == NULL) {
            return NULL;
        }
        *has = &q->facts->has_after;
        return &q->facts->after;
    case HRSS__QUERY_REQUEST__Q_COMPLETENESS:
        if (q->completeness == NULL) {
            return NULL;
        }
        *has = &q->completeness->has_after;
        return &q->completeness->after;
    case HRSS__QUERY_REQUEST__Q_OUTLIERS:
        if (q->outliers == NULL) {
            return NULL;
        }
        *has = &q->outliers->has_after;
        return &q->outliers->after;
    case HRSS__QUERY_REQUEST__Q_FOLLOWUPS:
        if (q->followups == NULL) {
            return NULL;
        }
        *has = &q->followups->has_after;
        return &q->followups->after;
    default:
        return NULL;
    }
}

/* The request @p data asking for the page after @p next, packed into
 * @p req; 0 when that cannot be built (the answer was not to this
 * request's kind). */
static int next_request(const uint8_t *data, size_t size,
                        const ProtobufCBinaryData *next, buf_t *req)
{
    Hrss__QueryRequest *q = hrss__query_request__unpack(NULL, size, data);
    protobuf_c_boolean *has = NULL;
    ProtobufCBinaryData *after = q != NULL ? after_of(q, &has) : NULL;
    if (after == NULL) {
        if (q != NULL) {
            hrss__query_request__free_unpacked(q, NULL);
        }
        return 0;
    }
    /* Borrow `next` for the pack; the request's own bytes go back before
     * it is freed. */
    ProtobufCBinaryData mine = *after;
    protobuf_c_boolean had = *has;
    *after = *next;
    *has = 1;
    buf_reset(req);
    wire_pack(&q->base, req);
    *after = mine;
    *has = had;
    hrss__query_request__free_unpacked(q, NULL);
    return 1;
}

/* An admin without a backup directory: every query is answered and a
 * backup is refused without touching the file system. Small limits, so
 * that short inputs reach the paging and answer-cap paths. */
static const query_ctx_t ctx = {.role = QUERY_ROLE_ADMIN,
                                .max_answer = 64 << 10,
                                .page_bytes = 4 << 10};

/* The one call to the code under test. */
static void answer(const uint8_t *data, size_t size, buf_t *out)
{
    query_answer(store, &ctx, data, size, out);
    if (out->len > ctx.max_answer) {
        fuzz_fail("an answer of %zu bytes, above the cap of %zu", out->len,
                  ctx.max_answer);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    buf_t out;
    buf_t req;
    init_once();
    buf_init(&out);
    buf_init(&req);
    answer(size > 0 ? data : NULL, size, &out);
    Hrss__QueryResponse *r = check_response(&out);
    /* Follow a paged answer for a few pages, with the positions the
     * server itself handed out. */
    for (int page = 1; page < MAX_PAGES && next_of(r) != NULL; page++) {
        const uint8_t *q = page == 1 ? data : req.data;
        size_t qlen = page == 1 ? size : req.len;
        buf_t asked;
        buf_init(&asked);
        buf_put(&asked, q, qlen);
        int ok = next_request(asked.data, asked.len, next_of(r), &req);
        buf_fini(&asked);
        if (!ok) {
            break;
        }
        hrss__query_response__free_unpacked(r, NULL);
        buf_reset(&out);
        answer(req.data, req.len, &out);
        r = check_response(&out);
    }
    hrss__query_response__free_unpacked(r, NULL);
    buf_fini(&req);
    buf_fini(&out);
    return 0;
}
