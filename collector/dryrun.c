/* dryrun.c: the collector's answer to a dry run (dryrun.h).
 *
 *   Batch (the run) -> update_t[] -> store_try() -> one Rejection per
 *   refused update, one note per update taken with a flag -> packed
 *   CollectorMsg{dry_run}
 *
 * INVARIANTS: see dryrun.h.
 */
#include "collector/dryrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/wire.h"

/* A Rejection for update @p seq into @p r; @p msg cut to the wire's
 * limit into @p text. */
static void fill(Hrss__Rejection *r, uint64_t seq, enum update_reason why,
                 const char *name, const char *msg,
                 char text[WIRE_REJECTION_MSG_MAX + 1])
{
    hrss__rejection__init(r);
    snprintf(text, WIRE_REJECTION_MSG_MAX + 1, "%s", msg);
    r->seq = seq;
    r->reason = wire_reason_to_proto(why);
    r->reason_name = (char *)(uintptr_t)name;
    r->message = text;
}

void dryrun_answer(store_t *st, const identity_t *who, int64_t now,
                   int32_t cur_month, const Hrss__Batch *run, buf_t *out)
{
    size_t n = run->n_updates;
    update_t *u = xcalloc(n ? n : 1, sizeof *u);
    store_try_item_t *it = xcalloc(n ? n : 1, sizeof *it);
    Hrss__Rejection *rj = xcalloc(n ? n : 1, sizeof *rj);
    Hrss__Rejection **rejs = xcalloc(n ? n : 1, sizeof *rejs);
    Hrss__Rejection **notes = xcalloc(n ? n : 1, sizeof *notes);
    char(*text)[WIRE_REJECTION_MSG_MAX + 1] =
        xcalloc(n ? n : 1, sizeof *text);
    for (size_t i = 0; i < n; i++) {
        wire_update_get(run->updates[i], &u[i]);
    }
    store_batch_t b = {who->reporter, who->region, now, cur_month, u, n,
                       who->allowed};
    Hrss__DryRunResult res = HRSS__DRY_RUN_RESULT__INIT;
    char err[ERR_LEN];
    if (store_try(st, &b, it, err) != ERR_OK) {
        log_err("dry run of %s: %s", who->reporter, err);
        res.message = err;
    } else {
        for (size_t i = 0; i < n; i++) {
            uint64_t seq = run->updates[i]->seq;
            if (it[i].rejected) {
                fill(&rj[i], seq, it[i].reason,
                     update_reason_name(it[i].reason), it[i].message,
                     text[i]);
                rejs[res.n_rejections++] = &rj[i];
            } else if (it[i].note[0] != '\0') {
                fill(&rj[i], seq, UPDATE_OK, "note", it[i].note, text[i]);
                notes[res.n_notes++] = &rj[i];
            }
        }
        res.rejections = rejs;
        res.notes = notes;
    }
    Hrss__CollectorMsg m = HRSS__COLLECTOR_MSG__INIT;
    m.body_case = HRSS__COLLECTOR_MSG__BODY_DRY_RUN;
    m.dry_run = &res;
    wire_pack(&m.base, out);
    free(text);
    free(notes);
    free(rejs);
    free(rj);
    free(it);
    free(u);
}
