/** @file write_int.h
 *  @brief Internal to store/write.c and store/try.c: the state of one
 *         write transaction, and the two steps of store_apply() that the
 *         dry run (try.c) runs too.
 */
#ifndef HRSS_STORE_WRITE_INT_H
#define HRSS_STORE_WRITE_INT_H
#include <lmdb.h>
#include <stdint.h>

#include "common/buf.h"
#include "store/aggacc.h"
#include "store/tally.h"
#include "store/chain.h"
#include "store/codec.h"
#include "store/derive.h"
#include "store/store.h"

/* State of one write transaction. */
typedef struct wctx {
    store_t *s;
    MDB_txn *txn;
    uint64_t next_audit;
    int64_t audit_floor; /* the newest audit record's received_at: no
                            record gets an earlier one (write.c,
                            INVARIANT 7); 0 in a dry run */
    uint64_t next_rej;
    int rejected;       /* a rejection was stored: move rejidx_next */
    buf_t key;
    buf_t val;
    buf_t key2;
    aggacc_t acc;       /* the transaction's aggregate changes (aggacc.h) */
    tally_t *tally;     /* its tally moves (tally.h); NULL: count nothing
                           (a dry run, try.c) */
    chain_tip_t tip;    /* the audit chain's head in this transaction
                           and the link it builds: read at its start,
                           moved by each audit record, written before
                           the commit (chain.h) */
    /* The year of facts the last update left, as this transaction wrote
     * it: the next update of the same (indicator, region, year), the
     * usual order of an office's sheet, need not read it again. */
    struct {
        int valid;
        int ii;
        uint32_t region;
        int32_t ystart;
        derive_slot_t slots[12];
        derive_around_t around; /* other years: the same after a write
                                   inside this one */
    } year;
} wctx_t;

/** Reporter @p id's record in @p txn; *found 0 and a new record's
 *  defaults when there is none. */
int write_get_reporter(MDB_txn *txn, MDB_dbi dbi, buf_t *kb, const char *id,
                       codec_reporter_t *out, int *found);

/** Apply or reject each update of @p b at or past @p rep's next number,
 *  moving @p rep and filling @p res (write.c). */
int write_apply_updates(wctx_t *w, const store_batch_t *b,
                        codec_reporter_t *rep, store_result_t *res);

#endif
