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
 * Mutation: protobuf-c is not instrumented, so byte mutations rarely make
 * a batch that unpacks and says something new to the store. Half of the
 * mutations are therefore structural (LLVMFuzzerCustomMutator): the input
 * is unpacked, one field or update is changed to a plausible value
 * (catalog codes, a region within the sender's, months around the
 * collector's clock, boundary values, consecutive numbering) and it is
 * packed again; the other half are libFuzzer's own.
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
 *   5. A dry run (AgentMsg dry_run) is answered with a collector message
 *      that unpacks, and changes nothing: the sender's next number stays.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/update.h"

#include "collector/dryrun.h"
#include "collector/identity.h"
#include "common/period.h"
#include "common/wire.h"
#include "fuzz_common.h"

#define STORE_MAP ((size_t)4 << 20)
#define RESET_AFTER 64
/* The collector's clock, fixed: December 2025. */
#define NOW_UNIX INT64_C(1764547200)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static identity_ctx_t *ident;
static store_t *store;
static unsigned changed_since_reset;

static void init_once(void)
{
    char err[ERR_LEN] = "";
    if (ident != NULL) {
        return;
    }
    if (identity_new(&ident, fuzz_catalog(), NULL, err) != ERR_OK) {
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

/* A dry run: its answer unpacks, and nothing moved (INVARIANT 5). */
static void dry_run(const Hrss__Batch *run, const identity_t *who)
{
    char err[ERR_LEN] = "";
    uint64_t before = 0;
    uint64_t after = 0;
    if (store_next_seq(store, who->reporter, &before, err) != ERR_OK) {
        fuzz_fail("store_next_seq: %s", err);
    }
    buf_t out;
    buf_init(&out);
    dryrun_answer(store, who, NOW_UNIX, month_make(2025, 12), run, &out);
    Hrss__CollectorMsg *m = NULL;
    if (wire_collector_unpack(out.data, out.len, &m, err) != ERR_OK ||
        m->body_case != HRSS__COLLECTOR_MSG__BODY_DRY_RUN) {
        fuzz_fail("the dry run's answer does not unpack: %s", err);
    }
    hrss__collector_msg__free_unpacked(m, NULL);
    buf_fini(&out);
    if (store_next_seq(store, who->reporter, &after, err) != ERR_OK ||
        after != before) {
        fuzz_fail("a dry run moved %s's next number", who->reporter);
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
        wire_update_get(wb->updates[i], &u[i]);
    }
    store_batch_t b = {who->reporter, who->region, NOW_UNIX,
                       month_make(2025, 12), u, wb->n_updates, who->allowed};
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
    identity_t who = {NULL, -1, NULL};
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
    case HRSS__AGENT_MSG__BODY_DRY_RUN:
        name = m->dry_run->name;
        region = m->dry_run->region;
        break;
    default:
        fuzz_fail("unpacked a message without a body");
    }
    /* The routing id frame it came with: plain mode does not read it. */
    zmq_msg_init(&frame);
    int is_batch = m->body_case == HRSS__AGENT_MSG__BODY_BATCH;
    int is_dry = m->body_case == HRSS__AGENT_MSG__BODY_DRY_RUN;
    int rc = identity_resolve(ident, &frame, name, region,
                              is_batch || is_dry, &who, err);
    if (rc == ERR_OK && is_dry) {
        dry_run(m->dry_run, &who);
    } else if (rc == ERR_OK && is_batch) {
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

/* --- structural mutation ------------------------------------------------ */

/* Most updates a structural mutation builds. */
#define MUT_MAX 64

typedef struct rng {
    uint64_t s;
} rng_t;

static uint32_t pick(rng_t *r, uint32_t n)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return n ? (uint32_t)(r->s % n) : 0;
}

static const char *const names[] = {"office-330100", "office-330102",
                                    "office-330000", "a", "office-1"};

static uint32_t any_region(rng_t *r)
{
    const catalog_t *cat = fuzz_catalog();
    switch (pick(r, 16)) {
    case 0: return 0;
    case 1: return 999999;
    case 2: return pick(r, 1000000000);
    default:
        return catalog_region(cat, pick(r, (uint32_t)catalog_region_count(
                                               cat)))->code;
    }
}

/* A region at or below @p home (a code) most of the time. */
static uint32_t region_within(rng_t *r, uint32_t home)
{
    const catalog_t *cat = fuzz_catalog();
    int h = catalog_region_find(cat, home);
    if (h < 0 || pick(r, 8) == 0) {
        return any_region(r);
    }
    for (int tries = 0; tries < 8; tries++) {
        int i = (int)pick(r, (uint32_t)catalog_region_count(cat));
        if (catalog_region_within(cat, i, h)) {
            return catalog_region(cat, (size_t)i)->code;
        }
    }
    return home;
}

static uint32_t any_month(rng_t *r)
{
    switch (pick(r, 12)) {
    case 0: return 202513;
    case 1: return 202601; /* the collector's next month: the future */
    case 2: return pick(r, 300000);
    default: return 202400 + 100 * pick(r, 2) + 1 + pick(r, 12);
    }
}

static int64_t any_value(rng_t *r)
{
    static const int64_t edge[] = {0, 1, -1, UPDATE_MAX_VALUE,
                                   UPDATE_MAX_VALUE + 1, INT64_MAX,
                                   INT64_MIN};
    if (pick(r, 4) == 0) {
        return edge[pick(r, sizeof edge / sizeof edge[0])];
    }
    return (int64_t)pick(r, 100000);
}

static const char *any_indicator(rng_t *r)
{
    const catalog_t *cat = fuzz_catalog();
    if (pick(r, 16) == 0) {
        return "no_such_indicator";
    }
    return catalog_indicator(cat, pick(r, (uint32_t)catalog_indicator_count(
                                              cat)))->code;
}

/* A fresh value for update @p u, of the kind its indicator wants most of
 * the time. */
static void set_value(rng_t *r, Hrss__Update *u, Hrss__Ratio *ratio)
{
    const catalog_t *cat = fuzz_catalog();
    int i = catalog_indicator_find(cat, u->indicator);
    int want_ratio = i >= 0 && catalog_indicator(cat, (size_t)i)->kind ==
                                   IND_RATIO;
    if (pick(r, 8) == 0) {
        want_ratio = !want_ratio;
    }
    if (want_ratio) {
        hrss__ratio__init(ratio);
        ratio->denominator = any_value(r);
        ratio->numerator = pick(r, 2) && ratio->denominator > 0
                               ? ratio->denominator / 2
                               : any_value(r);
        u->value_case = HRSS__UPDATE__VALUE_RATIO;
        u->ratio = ratio;
    } else {
        u->value_case = HRSS__UPDATE__VALUE_COUNT;
        u->count = any_value(r);
        u->ratio = NULL;
    }
}

static void random_update(rng_t *r, uint32_t home, Hrss__Update *u,
                          Hrss__Ratio *ratio)
{
    hrss__update__init(u);
    u->indicator = (char *)(uintptr_t)any_indicator(r);
    u->region = region_within(r, home);
    u->month = any_month(r);
    set_value(r, u, ratio);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed)
{
    rng_t r = {(uint64_t)seed * 0x9E3779B97F4A7C15u + 1};
    if (pick(&r, 2) == 0) {
        return LLVMFuzzerMutate(data, size, max_size);
    }
    Hrss__AgentMsg *in = hrss__agent_msg__unpack(NULL, size, data);
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    Hrss__Batch b = HRSS__BATCH__INIT;
    Hrss__Hello h = HRSS__HELLO__INIT;
    Hrss__Ping p = HRSS__PING__INIT;
    Hrss__Update u[MUT_MAX];
    Hrss__Update *up[MUT_MAX];
    Hrss__Ratio ratio[MUT_MAX];
    size_t n = 0;

    /* Start from the input's batch (strings borrowed from `in`), or from
     * an empty batch of the input's sender. */
    b.name = (char *)(uintptr_t)names[pick(&r, 5)];
    b.region = any_region(&r);
    if (in != NULL && in->body_case == HRSS__AGENT_MSG__BODY_BATCH &&
        in->batch != NULL) {
        if (in->batch->name != NULL) {
            b.name = in->batch->name;
        }
        b.region = in->batch->region;
        for (size_t i = 0; i < in->batch->n_updates && n < MUT_MAX; i++) {
            const Hrss__Update *w = in->batch->updates[i];
            if (w == NULL || w->indicator == NULL) {
                continue;
            }
            u[n] = *w;
            if (w->value_case == HRSS__UPDATE__VALUE_RATIO &&
                w->ratio != NULL) {
                ratio[n] = *w->ratio;
                u[n].ratio = &ratio[n];
            } else {
                u[n].value_case = HRSS__UPDATE__VALUE_COUNT;
                u[n].ratio = NULL;
            }
            n++;
        }
    } else if (in != NULL && in->body_case == HRSS__AGENT_MSG__BODY_HELLO &&
               in->hello != NULL && in->hello->name != NULL) {
        b.name = in->hello->name;
        b.region = in->hello->region;
    }

    size_t i = n ? pick(&r, (uint32_t)n) : 0;
    switch (n ? pick(&r, 12) : 0) {
    case 0: /* add an update */
        if (n < MUT_MAX) {
            random_update(&r, b.region, &u[n], &ratio[n]);
            u[n].seq = n ? u[n - 1].seq + 1 : 1 + pick(&r, 3);
            n++;
        }
        break;
    case 1: /* drop one */
        memmove(&u[i], &u[i + 1], (n - i - 1) * sizeof u[0]);
        memmove(&ratio[i], &ratio[i + 1], (n - i - 1) * sizeof ratio[0]);
        n--;
        for (size_t k = 0; k < n; k++) {
            if (u[k].value_case == HRSS__UPDATE__VALUE_RATIO) {
                u[k].ratio = &ratio[k];
            }
        }
        break;
    case 2: /* a copy of one, as a revision */
        if (n < MUT_MAX) {
            u[n] = u[i];
            ratio[n] = ratio[i];
            if (u[n].value_case == HRSS__UPDATE__VALUE_RATIO) {
                u[n].ratio = &ratio[n];
            }
            set_value(&r, &u[n], &ratio[n]);
            u[n].seq = u[n - 1].seq + 1;
            n++;
        }
        break;
    case 3: /* number consecutively from a small start */
    {
        uint64_t s = 1 + pick(&r, 4);
        for (size_t k = 0; k < n; k++) {
            u[k].seq = s + k;
        }
        break;
    }
    case 4:
        u[i].seq = pick(&r, 2) ? u[i].seq + 1 : (uint64_t)any_value(&r);
        break;
    case 5:
        u[i].indicator = (char *)(uintptr_t)any_indicator(&r);
        set_value(&r, &u[i], &ratio[i]);
        break;
    case 6:
        u[i].region = region_within(&r, b.region);
        break;
    case 7:
        u[i].month = any_month(&r);
        break;
    case 8:
        set_value(&r, &u[i], &ratio[i]);
        break;
    case 9: /* another sender */
        b.region = any_region(&r);
        b.name = (char *)(uintptr_t)names[pick(&r, 5)];
        break;
    case 10: /* the same update for every region of a subtree */
        for (size_t k = 1; k < n; k++) {
            u[k].indicator = u[0].indicator;
            u[k].month = u[0].month;
        }
        break;
    default: /* a hello or a ping from the sender */
        break;
    }

    for (size_t k = 0; k < n; k++) {
        up[k] = &u[k];
    }
    b.n_updates = n;
    b.updates = up;
    if (n > 0 && pick(&r, 16) != 0) {
        m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
        m.batch = &b;
    } else if (pick(&r, 2)) {
        h.version = WIRE_VERSION;
        h.name = b.name;
        h.region = b.region;
        m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
        m.hello = &h;
    } else {
        p.name = b.name;
        m.body_case = HRSS__AGENT_MSG__BODY_PING;
        m.ping = &p;
    }
    size_t len = hrss__agent_msg__get_packed_size(&m);
    if (len <= max_size) {
        hrss__agent_msg__pack(&m, data);
    }
    if (in != NULL) {
        hrss__agent_msg__free_unpacked(in, NULL);
    }
    return len <= max_size ? len : LLVMFuzzerMutate(data, size, max_size);
}
