/** @file replays.h
 *  @brief The outcomes an Ack carries for the replayed part of a batch:
 *         updates the store had taken before (an Ack the agent never
 *         recorded: it was lost, or the agent stopped before its spool
 *         kept it), whose rejections the agent would otherwise never
 *         learn (ARCHITECTURE.md, Delivery guarantee).
 *
 *  Each replayed seq the store still holds a rejection for gets that
 *  Rejection; each one whose rejection may have been trimmed by
 *  --max-rejections (store/outcomes.h) gets a Rejection with reason
 *  REJ_NONE and reason_name "unknown": the collector cannot say whether
 *  it was accepted. The others were accepted and get nothing, as in any
 *  Ack. So an Ack carries at most one Rejection per update of its batch:
 *  the wire's bound (common/wire.h, WIRE_MAX_COLLECTOR_MSG) holds.
 *
 *  INVARIANTS
 *    1. At most hi - lo entries, one per seq at most, seqs in [lo, hi)
 *       ascending.
 *    2. A store that cannot be read makes every replayed seq "unknown",
 *       never "accepted".
 */
#ifndef HRSS_COLLECTOR_REPLAYS_H
#define HRSS_COLLECTOR_REPLAYS_H
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "proto/hrss.pb-c.h"
#include "store/store.h"

/** reason_name of a replayed update whose outcome is no longer kept. */
#define REPLAYS_UNKNOWN "unknown"

/** Fill @p rej (room for @p hi - @p lo) with the Rejections of
 *  @p reporter's replayed seqs @p lo .. @p hi - 1.
 *  @param[out] hold  what the entries borrow: free() it after the Ack is
 *                    packed (may be NULL).
 *  @param[out] err   why the store could not say (then every seq is
 *                    "unknown"), else "".
 *  @return how many entries were written. */
size_t replays_rejections(store_t *st, const char *reporter, uint64_t lo,
                          uint64_t hi, Hrss__Rejection *rej, void **hold,
                          char err[ERR_LEN]);

/** An Ack's rejections (replays_ack): owned arrays and what they
 *  borrow. */
typedef struct replays_ack {
    Hrss__Rejection *rej;
    Hrss__Rejection **rejp; /**< rej's entries, for Ack.rejections */
    size_t n;
    void *hold;             /**< replays_rejections()' */
    char err[ERR_LEN];      /**< the store could not say: "" when it did */
} replays_ack_t;

/** Every Rejection of the Ack of a batch the store took (@p r, whose
 *  first seq is @p first_seq): for an ACK_OK, the replayed seqs' first
 *  (replays_rejections), then @p r's new ones. Borrows from @p r until
 *  replays_ack_fini(). */
void replays_ack(store_t *st, const char *reporter, uint64_t first_seq,
                 const store_result_t *r, replays_ack_t *out);

/** Free what replays_ack() made; harmless on a zeroed struct. */
void replays_ack_fini(replays_ack_t *a);

#endif
