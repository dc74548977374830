/* query.c: the protobuf query server: a packed hrss.QueryRequest in, one
 * packed hrss.QueryResponse out, answered from the store. Used by the
 * collector's query socket (collector/qserve.c) and by
 * `hrssctl --data-dir` (admin/client.c), so both give the same answers.
 *
 * Design
 * ------
 * query_answer() is the single entry point: it bounds and unpacks the
 * request, dispatches on the oneof case to one answer_*() function per
 * query kind (answer.c), and packs exactly one response onto the caller's
 * buffer. Every failure, from garbage bytes to an unknown region or a
 * store I/O error, becomes a response with a negative ERR_* code and a
 * message; query_answer() itself cannot fail. Unpacking goes through a
 * capping allocator so that a small request cannot expand without bound
 * (LIBRARY-NOTES); a request that hits the cap is malformed.
 *
 * Files: query.c (entry, dispatch), answer.c (the answers), reply.c (the
 * response under construction and its memory), resolve.c (request fields
 * against the catalog).
 *
 *   query_answer --unpack--> dispatch --> answer_*() --> pack --> free
 *        | (NULL, no case, too big)          | (rc != ERR_OK)
 *        +-------------> reply_error() <-----+
 *
 * Who asks is the caller's knowledge (query_ctx_t: the collector's query
 * thread reads the ZAP User-Id of the request, hrssctl --data-dir is a
 * local operator); this module only applies it: a backup needs the admin
 * role and goes into the backup directory under a plain name.
 *
 * INVARIANTS
 *   1. Each call appends exactly one packed QueryResponse to `out`, with
 *      code == ERR_OK and the payload of the request's kind (none for
 *      backup), or code < 0, `error` set and no payload.
 *   2. Every protobuf-c structure built for the response, and every string
 *      it points to, is owned by the reply_t and freed by reply_fini()
 *      before query_answer() returns; the unpacked request is freed with
 *      hrss__query_request__free_unpacked() in the same call.
 *   3. No required string in a response is NULL (reply.h).
 *   4. Every indicator in a response is a catalog code (never a Chinese
 *      name) and every region is a catalog code (0 resolved to the root).
 *   5. Unpacking one request allocates at most UNPACK_BUDGET bytes.
 *   6. Pointers into the reply's items are taken only after the last push
 *      of the answer (reply.h).
 *   7. A backup is made only for QUERY_ROLE_ADMIN, and only where ctx
 *      allows (answer_backup; query.h INVARIANT 5).
 *   8. No response is packed larger than the cap (ctx->max_answer, else
 *      QUERY_MAX_ANSWER): a larger one becomes ERR_FULL, and a list that
 *      would be stops growing at its budget first (reply.h).
 */
#include "store/query.h"

#include <stdio.h>

#include "common/wire.h"
#include "proto/hrss.pb-c.h"
#include "store/answer.h"
#include "store/asof.h"
#include "store/reply.h"

/** Most bytes unpacking one request may allocate. */
#define UNPACK_BUDGET ((size_t)16 * QUERY_MAX_REQUEST)

/* 1 when the request's oneof case is set and its message is present. */
static int has_payload(const Hrss__QueryRequest *q)
{
    switch (q->q_case) {
    case HRSS__QUERY_REQUEST__Q_TOTAL: return q->total != NULL;
    case HRSS__QUERY_REQUEST__Q_BREAKDOWN: return q->breakdown != NULL;
    case HRSS__QUERY_REQUEST__Q_SERIES: return q->series != NULL;
    case HRSS__QUERY_REQUEST__Q_HISTORY: return q->history != NULL;
    case HRSS__QUERY_REQUEST__Q_REJECTIONS: return q->rejections != NULL;
    case HRSS__QUERY_REQUEST__Q_AGENTS: return q->agents != NULL;
    case HRSS__QUERY_REQUEST__Q_VIOLATIONS: return q->violations != NULL;
    case HRSS__QUERY_REQUEST__Q_FACTS: return q->facts != NULL;
    case HRSS__QUERY_REQUEST__Q_BACKUP: return q->backup != NULL;
    case HRSS__QUERY_REQUEST__Q_CATALOG: return q->catalog != NULL;
    case HRSS__QUERY_REQUEST__Q_COMPLETENESS:
        return q->completeness != NULL;
    case HRSS__QUERY_REQUEST__Q_APPROVE: return q->approve != NULL;
    case HRSS__QUERY_REQUEST__Q_APPROVALS: return q->approvals != NULL;
    case HRSS__QUERY_REQUEST__Q_OUTLIERS: return q->outliers != NULL;
    case HRSS__QUERY_REQUEST__Q_COMMENT: return q->comment != NULL;
    case HRSS__QUERY_REQUEST__Q_FOLLOWUPS: return q->followups != NULL;
    case HRSS__QUERY_REQUEST__Q_RECONCILE: return q->reconcile != NULL;
    case HRSS__QUERY_REQUEST__Q_DIFF: return q->diff != NULL;
    case HRSS__QUERY_REQUEST__Q_AUDIT_HEAD: return q->audit_head != NULL;
    case HRSS__QUERY_REQUEST__Q__NOT_SET:
    default: return 0;
    }
}

static int dispatch(store_t *st, const query_ctx_t *ctx,
                    const Hrss__QueryRequest *q, reply_t *rp)
{
    int rc = ERR_OK;
    if (!has_payload(q)) {
        snprintf(rp->err, sizeof rp->err,
                 "malformed query request: no query kind set");
        rc = ERR_PROTO;
        goto out;
    }
    switch (q->q_case) {
    case HRSS__QUERY_REQUEST__Q_TOTAL:
        rc = answer_total(st, q->total, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_BREAKDOWN:
        rc = answer_breakdown(st, q->breakdown, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_SERIES:
        rc = answer_series(st, q->series, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_HISTORY:
        rc = answer_history(st, q->history, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_REJECTIONS:
        rc = answer_rejections(st, q->rejections, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_AGENTS:
        rc = answer_agents(st, q->agents, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_VIOLATIONS:
        rc = answer_violations(st, q->violations, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_FACTS:
        rc = answer_facts(st, q->facts, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_BACKUP:
        rc = answer_backup(st, ctx, q->backup, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_CATALOG:
        rc = answer_catalog(st, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_COMPLETENESS:
        rc = answer_completeness(st, q->completeness, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_APPROVE:
        rc = answer_approve(st, ctx, q->approve, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_APPROVALS:
        rc = answer_approvals(st, q->approvals, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_OUTLIERS:
        rc = answer_outliers(st, q->outliers, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_COMMENT:
        rc = answer_comment(st, ctx, q->comment, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_FOLLOWUPS:
        rc = answer_followups(st, q->followups, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_RECONCILE:
        rc = answer_reconcile(st, q->reconcile, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_DIFF:
        rc = answer_diff(st, q->diff, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_AUDIT_HEAD:
        rc = answer_audit_head(st, rp);
        break;
    case HRSS__QUERY_REQUEST__Q__NOT_SET:
    default:
        rc = ERR_PROTO; /* has_payload() said no */
        break;
    }
out:
    return rc;
}

void query_answer(store_t *st, const query_ctx_t *ctx, const uint8_t *req,
                  size_t len, buf_t *out)
{
    static const query_ctx_t reader = {.role = QUERY_ROLE_READ};
    int rc = ERR_OK;
    reply_t rp;
    wire_cap_t ca;
    Hrss__QueryRequest *q = NULL;
    wire_cap_init(&ca, UNPACK_BUDGET);
    reply_init(&rp);
    if (ctx == NULL) {
        ctx = &reader;
    }
    rp.max_answer = ctx->max_answer > 0 ? ctx->max_answer : QUERY_MAX_ANSWER;
    rp.page_bytes = ctx->page_bytes > 0 ? ctx->page_bytes : QUERY_PAGE_BYTES;
    if (req == NULL || len == 0) {
        snprintf(rp.err, sizeof rp.err,
                 "malformed query request: empty message");
        rc = ERR_PROTO;
        goto out;
    }
    if (len > QUERY_MAX_REQUEST) {
        snprintf(rp.err, sizeof rp.err,
                 "malformed query request: %zu bytes, limit %d", len,
                 QUERY_MAX_REQUEST);
        rc = ERR_PROTO;
        goto out;
    }
    q = hrss__query_request__unpack(&ca.base, len, req);
    if (q == NULL) {
        snprintf(rp.err, sizeof rp.err, "malformed query request");
        rc = ERR_PROTO;
        goto out;
    }
    if (q->has_as_of && has_payload(q)) {
        /* One as-of view for the answer (answer_diff.c). */
        rc = answer_as_of_begin(st, q, &rp);
        if (rc == ERR_OK) {
            rc = dispatch(st, ctx, q, &rp);
            store_asof_end(st);
        }
    } else {
        rc = dispatch(st, ctx, q, &rp);
    }
    if (rc == ERR_OK) {
        size_t size = hrss__query_response__get_packed_size(&rp.msg);
        if (size > rp.max_answer) {
            snprintf(rp.err, sizeof rp.err,
                     "the answer would be %zu bytes, over the limit of %zu "
                     "bytes",
                     size, rp.max_answer);
            rc = ERR_FULL;
        }
    }
out:
    if (rc != ERR_OK) {
        reply_error(&rp, rc);
    } else {
        rp.msg.code = HRSS__QUERY_STATUS__QUERY_OK;
        rp.msg.error = NULL;
    }
    reply_pack(&rp, out);
    if (q != NULL) {
        hrss__query_request__free_unpacked(q, &ca.base);
    }
    reply_fini(&rp);
}
