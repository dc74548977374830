/** @file outcomes.h
 *  @brief What the store still knows of a reporter's earlier updates'
 *         outcomes: the kept rejections (`rejects`, through its `rejby`
 *         index) of a range of seqs it had already taken, for the Ack of
 *         a batch that is partly a replay (collector/collector.c).
 *
 *  A replayed update was applied or rejected by an earlier transaction
 *  whose Ack the agent never recorded. Its rejection is found while the
 *  reporter's newest max_rejections keep it; an older one was trimmed,
 *  and then the store cannot tell a rejected update from an accepted one:
 *  every seq below the oldest kept rejection is "unknown" once any of the
 *  reporter's rejections was trimmed (its count of rejections, reporters,
 *  is above the rejections kept).
 *
 *  INVARIANTS
 *    1. Only reads: one read-only transaction, nothing written.
 *    2. The rejections handed out have seqs in [lo, hi), ascending.
 */
#ifndef HRSS_STORE_OUTCOMES_H
#define HRSS_STORE_OUTCOMES_H
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "store/store.h"

/** The kept rejections of @p reporter's seqs @p lo .. @p hi - 1.
 *  Writable handles only (the rejby index is opened by them).
 *  @param[out] out         its rejections (seq, reason, message), seq
 *                          order; NULL when none. Caller owns and must
 *                          free() it.
 *  @param[out] n           how many
 *  @param[out] known_from  the seqs below it whose rejection is not in
 *                          @p out may have been rejected (trimmed): their
 *                          outcome is unknown. 1 when nothing of the
 *                          reporter was ever trimmed; UINT64_MAX when
 *                          rejections were trimmed and none is kept.
 *  @return ERR_OK; ERR_INVAL (a bad reporter id, a read-only handle);
 *          ERR_CORRUPT (named in @p err); ERR_IO. On failure *out is
 *          NULL, *n 0 and *known_from UINT64_MAX. */
int store_replay_outcomes(store_t *self, const char *reporter, uint64_t lo,
                          uint64_t hi, store_rejection_t **out, size_t *n,
                          uint64_t *known_from, char err[ERR_LEN]);

#endif
