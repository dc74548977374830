/* replays.c: the Rejections of an Ack (replays.h): those of the batch's
 * replayed seqs, from the store's kept rejections
 * (store_replay_outcomes), then the batch's new ones (replays_ack), so
 * that collector.c's send_ack only attaches them.
 *
 * A seq in [lo, hi) is, in order of the checks:
 *   kept rejected .............. its Rejection (reason, name, message)
 *   below known_from ........... REJ_NONE "unknown" (maybe trimmed)
 *   otherwise .................. accepted: nothing
 *
 * INVARIANTS
 *   1. At most hi - lo entries, seqs ascending (the kept ones come in
 *      seq order and the walk is by seq).
 *   2. A failed read makes every seq "unknown".
 */
#include "collector/replays.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

#include "common/update.h"
#include "common/wire.h"
#include "store/outcomes.h"

static const char UNKNOWN_MSG[] =
    "outcome: no longer kept by the collector (--max-rejections); it may "
    "have been rejected";

size_t replays_rejections(store_t *st, const char *reporter, uint64_t lo,
                          uint64_t hi, Hrss__Rejection *rej, void **hold,
                          char err[ERR_LEN])
{
    store_rejection_t *kept = NULL;
    size_t nk = 0;
    uint64_t known_from = UINT64_MAX;
    err[0] = '\0';
    *hold = NULL;
    if (store_replay_outcomes(st, reporter, lo, hi, &kept, &nk, &known_from,
                              err) != ERR_OK) {
        known_from = UINT64_MAX; /* INVARIANT 2 */
        nk = 0;
    }
    size_t n = 0;
    size_t k = 0;
    for (uint64_t seq = lo; seq < hi; seq++) {
        while (k < nk && kept[k].seq < seq) {
            k++;
        }
        if (k < nk && kept[k].seq == seq) {
            hrss__rejection__init(&rej[n]);
            rej[n].seq = seq;
            rej[n].reason = wire_reason_to_proto(kept[k].reason);
            rej[n].reason_name =
                (char *)(uintptr_t)update_reason_name(kept[k].reason);
            rej[n].message = kept[k].message;
            n++;
        } else if (seq < known_from) {
            hrss__rejection__init(&rej[n]);
            rej[n].seq = seq;
            rej[n].reason = HRSS__REJECT_REASON__REJ_NONE;
            rej[n].reason_name = (char *)REPLAYS_UNKNOWN;
            rej[n].message = (char *)(uintptr_t)UNKNOWN_MSG;
            n++;
        }
    }
    *hold = kept;
    return n;
}

void replays_ack(store_t *st, const char *reporter, uint64_t first_seq,
                 const store_result_t *r, replays_ack_t *out)
{
    memset(out, 0, sizeof *out);
    /* The replayed seqs lead the batch (they are below the next seq). */
    size_t replayed = r->status == STORE_BATCH_OK ? r->replayed : 0;
    if (r->rejected + replayed == 0) {
        return;
    }
    out->rej = xcalloc(r->rejected + replayed, sizeof *out->rej);
    out->rejp = xcalloc(r->rejected + replayed, sizeof *out->rejp);
    size_t n = 0;
    if (replayed > 0) {
        n = replays_rejections(st, reporter, first_seq, first_seq + replayed,
                               out->rej, &out->hold, out->err);
    }
    for (size_t i = 0; i < r->rejected; i++, n++) {
        Hrss__Rejection *x = &out->rej[n];
        hrss__rejection__init(x);
        x->seq = r->rejections[i].seq;
        x->reason = wire_reason_to_proto(r->rejections[i].reason);
        x->reason_name =
            (char *)(uintptr_t)update_reason_name(r->rejections[i].reason);
        x->message = (char *)(uintptr_t)r->rejections[i].message;
    }
    for (size_t i = 0; i < n; i++) {
        out->rejp[i] = &out->rej[i];
    }
    out->n = n;
}

void replays_ack_fini(replays_ack_t *a)
{
    free(a->rej);
    free(a->rejp);
    free(a->hold);
    memset(a, 0, sizeof *a);
}
