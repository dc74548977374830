/* fuzz_ingest.c: libFuzzer target for the collector's ingest path: one raw
 * frame from an agent, as collector/collector.c takes it.
 *
 *   frame --wire_agent_unpack--> AgentMsg --identity_resolve (plain mode,
 *   shipped catalog)--> identity --> batch: store_apply (common/update
 *   validates each figure) / hello, ping: store_next_seq / bye: nothing
 *
 * The store is a real LMDB store, small (STORE_MAP bytes, no growth), in
 * an unlinked temporary directory (fuzz_common.c), kept from one input to
 * the next so that replays, gaps and revisions are reached. It is
 * replaced by a fresh one when it is full and after RESET_AFTER inputs
 * that changed it, so a crash rarely depends on more than a few earlier
 * inputs. After every input that changed it, store_verify() recomputes
 * the aggregates from the facts (store invariant 2).
 *
 * INVARIANTS (checked; a break aborts, and libFuzzer keeps the input)
 *   1. wire_agent_unpack() gives a message or ERR_PROTO with a message,
 *      never both.
 *   2. A resolved batch has a catalog region (identity invariant 2).
 *   3. For a batch the store took: applied + replayed + rejected ==
 *      n_updates unless it was refused whole, `rejected` rejections are
 *      listed, each with a reason the wire can carry, and next_seq is
 *      what store_next_seq() then says.
 *   4. store_verify() finds the aggregates equal to the facts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "collector/identity.h"
#include "common/period.h"
#include "common/wire.h"
#include "fuzz_common.h"

#define STORE_MAP ((size_t)4 << 20)
#define RESET_AFTER 64
/* The collector's clock, fixed: December 2025. */
#define NOW_UNIX INT64_C(1764547200)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static identity_ctx_t *ident;
static store_t *store;
static unsigned changed_since_reset;

static void init_once(void)
{
    char err[ERR_LEN] = "";
    if (ident != NULL) {
        return;
    }
    if (identity_new(&ident, fuzz_catalog(), 1, err) != ERR_OK) {
        fuzz_fail("identity_new: %s", err);
    }
    store = fuzz_store_new(fuzz_catalog(), STORE_MAP);
}

static void reset_store(void)
{
    store_close(&store);
    store = fuzz_store_new(fuzz_catalog(), STORE_MAP);
    changed_since_reset = 0;
}

/* The update of wire update @p w, as the collector builds it. */
static void to_update(const Hrss__Update *w, update_t *u)
{
    u->seq = w->seq;
    u->indicator = w->indicator;
    u->region = w->region;
    u->yyyymm = w->month;
    if (w->value_case == HRSS__UPDATE__VALUE_RATIO) {
        u->value.is_ratio = 1;
        u->value.num = w->ratio->numerator;
        u->value.den = w->ratio->denominator;
    } else {
        u->value.is_ratio = 0;
        u->value.num = w->count;
        u->value.den = 0;
    }
}

static void check_result(const store_batch_t *b, const store_result_t *r)
{
    char err[ERR_LEN] = "";
    if (r->status == STORE_BATCH_OK &&
        r->applied + r->replayed + r->rejected != b->n_updates) {
        fuzz_fail("batch of %zu: %zu applied, %zu replayed, %zu rejected",
                  b->n_updates, r->applied, r->replayed, r->rejected);
    }
    if (r->rejected > 0 && r->rejections == NULL) {
        fuzz_fail("%zu rejected but no list", r->rejected);
    }
    for (size_t i = 0; i < r->rejected; i++) {
        enum update_reason back;
        Hrss__RejectReason p = wire_reason_to_proto(r->rejections[i].reason);
        if (!wire_reason_from_proto(p, &back) ||
            back != r->rejections[i].reason) {
            fuzz_fail("rejection reason %d does not travel",
                      (int)r->rejections[i].reason);
        }
        if (memchr(r->rejections[i].message, '\0', STORE_MSG_LEN) == NULL) {
            fuzz_fail("rejection message not terminated");
        }
    }
    uint64_t next = 0;
    if (store_next_seq(store, b->reporter, &next, err) != ERR_OK) {
        fuzz_fail("store_next_seq: %s", err);
    }
    if (next != r->next_seq) {
        fuzz_fail("next_seq %llu in the result, %llu in the store",
                  (unsigned long long)r->next_seq,
                  (unsigned long long)next);
    }
}

static void apply_batch(const Hrss__Batch *wb, const identity_t *who)
{
    char err[ERR_LEN] = "";
    update_t *u = calloc(wb->n_updates ? wb->n_updates : 1, sizeof *u);
    if (u == NULL) {
        abort();
    }
    for (size_t i = 0; i < wb->n_updates; i++) {
        to_update(wb->updates[i], &u[i]);
    }
    store_batch_t b = {who->reporter, who->region, NOW_UNIX,
                       month_make(2025, 12), u, wb->n_updates};
    store_result_t r;
    int rc = store_apply(store, &b, 1, &r, err);
    if (rc == ERR_FULL) {
        /* Full: start afresh and try once more; a batch too big for an
         * empty store is simply refused. */
        reset_store();
        rc = store_apply(store, &b, 1, &r, err);
    }
    if (rc == ERR_OK) {
        check_result(&b, &r);
        if (r.applied + r.rejected > 0) {
            changed_since_reset++;
            if (store_verify(store, err) != ERR_OK) {
                fuzz_fail("store_verify: %s", err);
            }
        }
        store_result_fini(&r);
    } else if (rc != ERR_FULL) {
        fuzz_fail("store_apply: %s", err);
    }
    free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[ERR_LEN] = "";
    Hrss__AgentMsg *m = NULL;
    const char *name = NULL;
    uint32_t region = 0;
    identity_t who = {NULL, -1};
    zmq_msg_t frame;

    init_once();
    if (changed_since_reset >= RESET_AFTER) {
        reset_store();
    }
    if (wire_agent_unpack(data, size, &m, err) != ERR_OK) {
        if (m != NULL || err[0] == '\0') {
            fuzz_fail("wire_agent_unpack failed without saying why");
        }
        return 0;
    }
    switch (m->body_case) {
    case HRSS__AGENT_MSG__BODY_HELLO:
        name = m->hello->name;
        region = m->hello->region;
        break;
    case HRSS__AGENT_MSG__BODY_BATCH:
        name = m->batch->name;
        region = m->batch->region;
        break;
    case HRSS__AGENT_MSG__BODY_PING:
        name = m->ping->name;
        break;
    case HRSS__AGENT_MSG__BODY_BYE:
        name = m->bye->name;
        break;
    default:
        fuzz_fail("unpacked a message without a body");
    }
    /* The routing id frame it came with: plain mode does not read it. */
    zmq_msg_init(&frame);
    int is_batch = m->body_case == HRSS__AGENT_MSG__BODY_BATCH;
    int rc = identity_resolve(ident, &frame, name, region, is_batch, &who,
                              err);
    if (rc == ERR_OK && is_batch) {
        if (who.region < 0 ||
            (size_t)who.region >= catalog_region_count(fuzz_catalog())) {
            fuzz_fail("batch resolved to region index %d", who.region);
        }
        apply_batch(m->batch, &who);
    } else if (rc == ERR_OK && m->body_case != HRSS__AGENT_MSG__BODY_BYE) {
        uint64_t next = 0;
        if (store_next_seq(store, who.reporter, &next, err) != ERR_OK) {
            fuzz_fail("store_next_seq: %s", err);
        }
    }
    zmq_msg_close(&frame);
    hrss__agent_msg__free_unpacked(m, NULL);
    return 0;
}
