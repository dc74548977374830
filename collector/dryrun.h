/** @file dryrun.h
 *  @brief The collector's answer to an agent's dry run (AgentMsg
 *         dry_run): what store_try() says each figure would meet, as a
 *         DryRunResult. Nothing is stored.
 *
 *  Owns nothing beyond the call. Borrows the store, the sender's identity
 *  and the message.
 *
 *  INVARIANTS
 *    1. Every update of the run is in the answer at most once: refused
 *       (rejections) or taken with a flag (notes); one taken plainly is
 *       in neither. Each carries the run's own seq.
 *    2. The answer fits WIRE_MAX_COLLECTOR_MSG: a run holds at most
 *       WIRE_MAX_BATCH updates, each message is cut to
 *       WIRE_REJECTION_MSG_MAX bytes.
 */
#ifndef HRSS_COLLECTOR_DRYRUN_H
#define HRSS_COLLECTOR_DRYRUN_H
#include <stdint.h>

#include "collector/identity.h"
#include "common/buf.h"
#include "proto/hrss.pb-c.h"
#include "store/store.h"

/** Try @p run (from @p who, received at @p now, in month @p cur_month)
 *  and put the packed CollectorMsg with its DryRunResult into @p out. */
void dryrun_answer(store_t *st, const identity_t *who, int64_t now,
                   int32_t cur_month, const Hrss__Batch *run, buf_t *out);

#endif
