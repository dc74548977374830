/* replays.c: the Rejections of a batch's replayed seqs (replays.h), from
 * the store's kept rejections (store_replay_outcomes).
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
