/* test_chain.c: the audit chain (store/chain.h, issue 14): every accepted
 * update, approval action and comment gets a link in the transaction that
 * writes it; store_audit_verify() finds a record edited behind the
 * collector's back (checksum fixed too, so that only the chain can tell),
 * deleted or inserted, and names it; receipts catch a store restored from
 * an older backup. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/lmdbh.h"
#include "store/chain.h"
#include "store_fixture.h"

#define JOBS "urban_new_jobs"
#define AGENT "agent-x"
/* fx_apply's received_at, 1764000000, at +08:00 */
#define WHEN "2025-11-25T00:00:00+08:00"

TestSuite(chain, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

/* Problems store_audit_verify() reported, one per line. */
typedef struct lines {
    char text[4096];
    int n;
} lines_t;

static void collect(const char *line, void *arg)
{
    lines_t *l = arg;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof l->text - len, "%s\n", line);
    l->n++;
}

static int verify(lines_t *l, const store_receipt_t *r, size_t n,
                  store_audit_counts_t *c)
{
    char err[ERR_LEN];
    store_audit_opts_t o = {8 * 3600, r, n};
    memset(l, 0, sizeof *l);
    int rc = store_audit_verify(fx_store, &o, collect, l, c, err);
    cr_assert(rc == ERR_OK || rc == ERR_CORRUPT, "verify: %s", err);
    return rc;
}

static store_chain_head_t head(void)
{
    char err[ERR_LEN];
    store_chain_head_t h;
    cr_assert_eq(store_chain_head(fx_store, &h, err), ERR_OK, "%s", err);
    return h;
}

/* Three revisions (ids 1..3) in one batch, then an approval and a
 * comment: chain positions 1..5. */
static void populate(void)
{
    update_t u[] = {
        fx_count(1, JOBS, 330102, 202501, 100),
        fx_count(2, JOBS, 330102, 202502, 200),
        fx_count(3, JOBS, 330102, 202501, 130),
    };
    store_result_t r = fx_apply(AGENT, u, 3);
    cr_assert_eq(r.applied, 3);
    cr_assert_eq(r.audit_position, 3);
    store_chain_head_t h = head();
    cr_assert_eq(h.position, 3);
    cr_assert_eq(memcmp(h.head, r.audit_head, STORE_HASH_LEN), 0);
    cr_assert_eq(h.at, 1764000000);
    store_result_fini(&r);
    char err[ERR_LEN];
    store_approval_req_t ap = {STORE_APPROVE, 330102, 2025 * 12 + 2,
                               "clerk", 1764000100, NULL};
    cr_assert_eq(store_approval_act(fx_store, &ap, NULL, err), ERR_OK,
                 "%s", err);
    store_comment_req_t cm = {JOBS, 330102, 2025 * 12, "checked", STORE_NOTE,
                              "clerk", 1764000200, NULL};
    cr_assert_eq(store_comment_add(fx_store, &cm, NULL, err), ERR_OK, "%s",
                 err);
    h = head();
    cr_assert_eq(h.position, 5);
    cr_assert_eq(h.at, 1764000200);
}

/* ---------------------------------------------------------------------- */
/* raw LMDB, the store closed: what someone with the file could do         */

typedef struct raw {
    MDB_env *env;
    MDB_txn *txn;
} raw_t;

static void raw_open(raw_t *w)
{
    char db[300];
    char err[ERR_LEN];
    (void)err;
    store_close(&fx_store);
    snprintf(db, sizeof db, "%s/db", fx_dir);
    cr_assert_eq(mdb_env_create(&w->env), 0);
    mdb_env_set_maxdbs(w->env, 32);
    cr_assert_eq(mdb_env_open(w->env, db, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(w->env, NULL, 0, &w->txn), 0);
}

static MDB_dbi raw_dbi(raw_t *w, const char *name)
{
    MDB_dbi dbi;
    cr_assert_eq(mdb_dbi_open(w->txn, name, 0, &dbi), 0, "%s", name);
    return dbi;
}

/* Commit and open the store again (writable, as the collector would). */
static void raw_close(raw_t *w)
{
    char db[300];
    char err[ERR_LEN];
    cr_assert_eq(mdb_txn_commit(w->txn), 0);
    mdb_env_close(w->env);
    snprintf(db, sizeof db, "%s/db", fx_dir);
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
}

/* Record @p id of @p table, unsealed, into @p out. */
static void raw_get(raw_t *w, MDB_dbi dbi, uint64_t id, buf_t *out)
{
    buf_t kb;
    buf_init(&kb);
    lmdbh_id_key(&kb, 0x01, id);
    MDB_val k = lmdbh_val(&kb);
    MDB_val d;
    cr_assert_eq(mdb_get(w->txn, dbi, &k, &d), 0);
    buf_reset(out);
    buf_put(out, d.mv_data, d.mv_size - LMDBH_SEAL_LEN);
    buf_fini(&kb);
}

/* Put @p rec under id @p id, sealed as the store seals (lmdbh_seal). */
static void raw_put_sealed(raw_t *w, MDB_dbi dbi, uint64_t id, buf_t *rec)
{
    buf_t kb;
    buf_init(&kb);
    lmdbh_id_key(&kb, 0x01, id);
    MDB_val k = lmdbh_val(&kb);
    lmdbh_seal(rec, &k);
    MDB_val d = lmdbh_val(rec);
    cr_assert_eq(mdb_put(w->txn, dbi, &k, &d, 0), 0);
    buf_fini(&kb);
}

Test(chain, every_write_is_linked_and_a_sound_store_verifies)
{
    populate();
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_OK, "%s", l.text);
    cr_assert_eq(l.n, 0);
    cr_assert_eq(c.links, 5);
    cr_assert_eq(c.chain_records, 3); /* the batch's 3, the approval, the
                                         comment */
    cr_assert_eq(c.records, 5);
    cr_assert_eq(c.facts, 2);
    cr_assert_eq(c.position, 5);
    cr_assert(c.derived_checked);
}

Test(chain, a_dry_run_adds_no_link)
{
    populate();
    store_chain_head_t before = head();
    update_t u[] = {fx_count(1, JOBS, 330105, 202503, 5)};
    store_batch_t b = {AGENT, -1, 1764000300, FX_NOW_MONTH, u, 1, NULL};
    store_try_item_t it[1];
    char err[ERR_LEN];
    cr_assert_eq(store_try(fx_store, &b, it, err), ERR_OK, "%s", err);
    store_chain_head_t after = head();
    cr_assert_eq(after.position, before.position);
    cr_assert_eq(memcmp(after.head, before.head, STORE_HASH_LEN), 0);
}

Test(chain, a_replayed_batch_reports_the_head_unchanged)
{
    populate();
    update_t u[] = {fx_count(1, JOBS, 330102, 202501, 100)};
    store_result_t r = fx_apply(AGENT, u, 1);
    cr_assert_eq(r.replayed, 1);
    cr_assert_eq(r.audit_position, 5);
    store_result_fini(&r);
}

Test(chain, an_audit_record_edited_and_resealed_is_named)
{
    populate();
    raw_t w;
    raw_open(&w);
    MDB_dbi audit = raw_dbi(&w, "audit");
    buf_t rec;
    buf_init(&rec);
    raw_get(&w, audit, 2, &rec);
    rec.data[rec.len - 1] ^= 0x01; /* the new value's low byte: 200 -> 201 */
    raw_put_sealed(&w, audit, 2, &rec);
    buf_fini(&rec);
    raw_close(&w);
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text,
                     "chain position 2 (audit record 2: 城镇新增就业人数 "
                     "330102 2025-02, from agent-x at " WHEN "): hash does "
                     "not match\n"
                     "audit record 2: 城镇新增就业人数 330102 2025-02, from "
                     "agent-x at " WHEN ": its cell's fact does not hold "
                     "its value\n"
                     "fact urban_new_jobs 330102 2025-02: not the value of "
                     "its audit record 2\n");
}

Test(chain, a_deleted_audit_record_is_named)
{
    populate();
    raw_t w;
    raw_open(&w);
    MDB_dbi audit = raw_dbi(&w, "audit");
    buf_t kb;
    buf_init(&kb);
    lmdbh_id_key(&kb, 0x01, 1);
    MDB_val k = lmdbh_val(&kb);
    cr_assert_eq(mdb_del(w.txn, audit, &k, NULL), 0);
    buf_fini(&kb);
    raw_close(&w);
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text, "chain position 1 (audit record 1): the record "
                             "is missing\n");
}

Test(chain, an_inserted_audit_record_is_named)
{
    populate();
    raw_t w;
    raw_open(&w);
    MDB_dbi audit = raw_dbi(&w, "audit");
    buf_t rec;
    buf_init(&rec);
    raw_get(&w, audit, 3, &rec); /* the cell's newest, as a new id */
    raw_put_sealed(&w, audit, 4, &rec);
    buf_fini(&rec);
    raw_close(&w);
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text,
                     "audit record 4: 城镇新增就业人数 330102 2025-01, from "
                     "agent-x at " WHEN ": in no link of the chain (written "
                     "behind the collector's back)\n"
                     "audit record 4: 城镇新增就业人数 330102 2025-01, from "
                     "agent-x at " WHEN ": its cell's fact is older (audit "
                     "record 3)\n");
}

Test(chain, an_approval_action_edited_is_named)
{
    populate();
    raw_t w;
    raw_open(&w);
    MDB_dbi log = raw_dbi(&w, "approvals_log");
    buf_t rec;
    buf_init(&rec);
    raw_get(&w, log, 1, &rec);
    rec.data[rec.len - 2] = 'X'; /* "clerk" -> "clerX" */
    raw_put_sealed(&w, log, 1, &rec);
    buf_fini(&rec);
    raw_close(&w);
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text,
                     "chain position 4 (approvals_log entry 1: approve "
                     "330102 2025-03, by clerX at 2025-11-25T00:01:40+08:00)"
                     ": hash does not match\n");
}

Test(chain, a_store_from_before_the_chain_gets_it_at_a_writable_open)
{
    populate();
    raw_t w;
    raw_open(&w);
    cr_assert_eq(mdb_drop(w.txn, raw_dbi(&w, "chain"), 1), 0);
    cr_assert_eq(mdb_txn_commit(w.txn), 0);
    mdb_env_close(w.env);
    char db[300];
    char err[ERR_LEN];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    store_opts_t chk = {.check = 1};
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &chk, err), ERR_OK, "%s",
                 err);
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text, "the audit chain is missing: a store from "
                             "before it (start the collector on it once to "
                             "build it)\n");
    store_close(&fx_store);
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_OK, "%s", l.text);
    cr_assert_eq(c.position, 5);
    cr_assert_eq(head().at, 1764000200); /* the comment, built last */
    /* The head says so for ever: these 5 were chained as found (a chain
     * table dropped behind the collector's back would otherwise be
     * rebuilt unseen over edited records). */
    cr_assert_eq(head().built_over, 5);
    update_t u[] = {fx_count(4, JOBS, 330102, 202504, 300)};
    store_result_t r = fx_apply(AGENT, u, 1);
    cr_assert_eq(r.applied, 1, "applied %zu", (size_t)r.applied);
    cr_assert_eq(r.audit_position, 6, "position %llu",
                 (unsigned long long)r.audit_position);
    store_result_fini(&r);
    cr_assert_eq(head().position, 6);
    cr_assert_eq(head().built_over, 5, "later records are chained as "
                                       "written");
}

/* A store chained from its first write says nothing was chained as
 * found. */
Test(chain, a_chain_written_from_the_start_was_built_over_nothing)
{
    populate();
    cr_assert_eq(head().position, 5);
    cr_assert_eq(head().built_over, 0);
}

Test(chain, receipts_expose_a_store_restored_from_an_older_backup)
{
    populate();
    store_chain_head_t h5 = head();
    char err[ERR_LEN];
    char bak[300];
    char db[300];
    snprintf(bak, sizeof bak, "%s/bak", fx_dir);
    snprintf(db, sizeof db, "%s/db", fx_dir);
    cr_assert_eq(store_backup(fx_store, bak, err), ERR_OK, "%s", err);
    update_t u[] = {fx_count(4, JOBS, 330105, 202504, 50)};
    store_result_t r = fx_apply(AGENT, u, 1);
    cr_assert_eq(r.applied, 1, "applied %zu", (size_t)r.applied);
    cr_assert_eq(r.audit_position, 6, "position %llu",
                 (unsigned long long)r.audit_position);
    store_receipt_t rc[3] = {
        {5, {0}, 2, AGENT, "2026-12-01T05:10:00Z"},
        {6, {0}, 3, AGENT, "2026-12-01T05:11:00Z"},
        {6, {0}, 4, AGENT, "2026-12-01T05:11:00Z"}, /* same: once */
    };
    memcpy(rc[0].head, h5.head, STORE_HASH_LEN);
    memcpy(rc[1].head, r.audit_head, STORE_HASH_LEN);
    memcpy(rc[2].head, r.audit_head, STORE_HASH_LEN);
    store_result_fini(&r);
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, rc, 3, &c), ERR_OK, "%s", l.text);
    cr_assert_eq(c.receipts, 2);
    /* Restore the older backup in place of the store. */
    store_close(&fx_store);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp %s/data.mdb %s/data.mdb && rm -f "
             "%s/lock.mdb", bak, db, db);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
    cr_assert_eq(verify(&l, rc, 3, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text,
                     "receipt line 3 (agent-x, acked 2026-12-01T05:11:00Z): "
                     "position 6 is beyond the chain's length 5: the store "
                     "lost records the collector had acknowledged "
                     "(restored from an older backup?)\n");
    /* ... and once the restored store has taken other figures. */
    update_t u2[] = {fx_count(4, JOBS, 330105, 202504, 51)};
    r = fx_apply(AGENT, u2, 1);
    cr_assert_eq(r.applied, 1, "applied %zu", (size_t)r.applied);
    cr_assert_eq(r.audit_position, 6, "position %llu",
                 (unsigned long long)r.audit_position);
    store_result_fini(&r);
    cr_assert_eq(verify(&l, rc, 3, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text,
                     "receipt line 3 (agent-x, acked 2026-12-01T05:11:00Z): "
                     "position 6 has another hash than the collector "
                     "acknowledged: the chain was rewritten (edited, or "
                     "restored and written since)\n");
}

Test(chain, a_comment_edited_is_named)
{
    populate();
    raw_t w;
    raw_open(&w);
    MDB_dbi cm = raw_dbi(&w, "comments");
    MDB_cursor *cur = NULL;
    MDB_val k;
    MDB_val d;
    cr_assert_eq(mdb_cursor_open(w.txn, cm, &cur), 0);
    cr_assert_eq(mdb_cursor_get(cur, &k, &d, MDB_FIRST), 0);
    buf_t kb;
    buf_t rec;
    buf_init(&kb);
    buf_init(&rec);
    buf_put(&kb, k.mv_data, k.mv_size);
    buf_put(&rec, d.mv_data, d.mv_size - LMDBH_SEAL_LEN);
    mdb_cursor_close(cur);
    rec.data[rec.len - 2] = 'D'; /* "checked" -> "checkeD" */
    MDB_val key = lmdbh_val(&kb);
    lmdbh_seal(&rec, &key);
    MDB_val val = lmdbh_val(&rec);
    cr_assert_eq(mdb_put(w.txn, cm, &key, &val, 0), 0);
    buf_fini(&kb);
    buf_fini(&rec);
    raw_close(&w);
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text, "chain position 5 (comment on urban_new_jobs "
                             "330102 2025-01 #1): hash does not match\n");
}

Test(chain, check_reads_every_chain_record_and_its_seal)
{
    populate();
    char err[ERR_LEN];
    store_check_counts_t n;
    lines_t l;
    memset(&l, 0, sizeof l);
    cr_assert_eq(store_check(fx_store, collect, &l, &n, err), ERR_OK, "%s",
                 l.text);
    uint64_t sound = n.records;
    raw_t w;
    raw_open(&w);
    MDB_dbi ch = raw_dbi(&w, "chain");
    buf_t kb;
    buf_init(&kb);
    lmdbh_id_key(&kb, 0x01, 3);
    MDB_val k = lmdbh_val(&kb);
    MDB_val d;
    cr_assert_eq(mdb_get(w.txn, ch, &k, &d), 0);
    buf_t rec;
    buf_init(&rec);
    buf_put(&rec, d.mv_data, d.mv_size);
    rec.data[5] ^= 0x40; /* a flipped bit, seal left as it was */
    MDB_val v = lmdbh_val(&rec);
    cr_assert_eq(mdb_put(w.txn, ch, &k, &v, 0), 0);
    buf_fini(&kb);
    buf_fini(&rec);
    raw_close(&w);
    memset(&l, 0, sizeof l);
    cr_assert_eq(store_check(fx_store, collect, &l, &n, err), ERR_CORRUPT);
    cr_assert_eq(n.records, sound);
    cr_assert(strstr(l.text, "table chain, key 3: checksum mismatch") != NULL,
              "%s", l.text);
    cr_assert_eq(l.n, 1, "%s", l.text);
}

/* Flip one bit of the first record of @p table (its seal left as it
 * was) and return the record as it was, to be put back by unflip(). */
static void flip_first(const char *table, buf_t *key, buf_t *was)
{
    raw_t w;
    raw_open(&w);
    MDB_dbi dbi = raw_dbi(&w, table);
    MDB_cursor *cur;
    cr_assert_eq(mdb_cursor_open(w.txn, dbi, &cur), 0);
    MDB_val k;
    MDB_val d;
    cr_assert_eq(mdb_cursor_get(cur, &k, &d, MDB_FIRST), 0, "%s is empty",
                 table);
    buf_reset(key);
    buf_put(key, k.mv_data, k.mv_size);
    buf_reset(was);
    buf_put(was, d.mv_data, d.mv_size);
    mdb_cursor_close(cur);
    buf_t rec;
    buf_init(&rec);
    buf_put(&rec, was->data, was->len);
    rec.data[1] ^= 0x40;
    MDB_val kk = lmdbh_val(key);
    MDB_val v = lmdbh_val(&rec);
    cr_assert_eq(mdb_put(w.txn, dbi, &kk, &v, 0), 0);
    buf_fini(&rec);
    raw_close(&w);
}

static void unflip(const char *table, buf_t *key, buf_t *was)
{
    raw_t w;
    raw_open(&w);
    MDB_dbi dbi = raw_dbi(&w, table);
    MDB_val k = lmdbh_val(key);
    MDB_val v = lmdbh_val(was);
    cr_assert_eq(mdb_put(w.txn, dbi, &k, &v, 0), 0);
    raw_close(&w);
}

/* `hrssctl check` reads the approvals, their log, the exceptions, the
 * comments and the follow-ups too (their seals and layouts): a flipped
 * bit in any of them is named by its table. */
Test(chain, check_reads_approvals_exceptions_comments_and_followups)
{
    populate();
    char err[ERR_LEN];
    store_comment_req_t fu = {JOBS, 330102, 2025 * 12 + 1, "ask again",
                              STORE_FOLLOW_UP, "clerk", 1764000300, NULL};
    cr_assert_eq(store_comment_add(fx_store, &fu, NULL, err), ERR_OK, "%s",
                 err);
    store_approval_req_t ex = {STORE_EXCEPT, 330102, 2025 * 12 + 3,
                               "province", 1764000400, NULL};
    cr_assert_eq(store_approval_act(fx_store, &ex, NULL, err), ERR_OK, "%s",
                 err);
    store_check_counts_t n;
    lines_t l;
    memset(&l, 0, sizeof l);
    cr_assert_eq(store_check(fx_store, collect, &l, &n, err), ERR_OK, "%s",
                 l.text);
    static const char *const tables[] = {"approvals", "approvals_log",
                                         "exceptions", "comments",
                                         "followups"};
    buf_t key;
    buf_t was;
    buf_init(&key);
    buf_init(&was);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        flip_first(tables[i], &key, &was);
        memset(&l, 0, sizeof l);
        cr_expect_eq(store_check(fx_store, collect, &l, &n, err),
                     ERR_CORRUPT, "%s: %s", tables[i], l.text);
        char want[64];
        snprintf(want, sizeof want, "table %s, key ", tables[i]);
        cr_expect(strstr(l.text, want) != NULL &&
                      strstr(l.text, "checksum mismatch") != NULL,
                  "%s: %s", tables[i], l.text);
        unflip(tables[i], &key, &was);
    }
    memset(&l, 0, sizeof l);
    cr_expect_eq(store_check(fx_store, collect, &l, &n, err), ERR_OK, "%s",
                 l.text);
    buf_fini(&key);
    buf_fini(&was);
}

/* A full map aborts the transaction and replays the whole call in a
 * grown one: the replay reads the head again, so the chain has exactly
 * one link per record, and the results carry the committed head. */
Test(chain, a_call_replayed_after_a_full_map_links_each_record_once)
{
    store_close(&fx_store);
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/small", fx_dir);
    store_opts_t o = {.map_size = 1 << 20, .map_max = 64 << 20};
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &o, err), ERR_OK, "%s",
                 err);
    enum { N = 2000, ROUNDS = 6 };
    /* The regions that exist in every month written (2000..2009: not the
     * districts created in 2021). */
    uint32_t regs[128];
    size_t nr = 0;
    for (size_t i = 0; i < catalog_region_count(fx_cat) && nr < 128; i++) {
        const region_t *rg = catalog_region(fx_cat, i);
        if (rg->valid_from <= 2000 * 12 && rg->valid_to >= 2010 * 12) {
            regs[nr++] = rg->code;
        }
    }
    cr_assert_eq(nr, 102);
    update_t *u = calloc(N, sizeof *u);
    uint64_t seq = 1;
    store_space_t before;
    cr_assert_eq(store_space(fx_store, &before, err), ERR_OK);
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < N; i++) {
            int k = round * N + i;
            u[i] = fx_count(seq + (uint64_t)i, JOBS,
                            regs[k % 102],
                            (uint32_t)((2000 + (k / 102) / 12) * 100 +
                                       (k / 102) % 12 + 1),
                            1);
        }
        store_batch_t b = {"big", -1, 1, FX_NOW_MONTH, u, N, NULL};
        store_result_t r;
        cr_assert_eq(store_apply(fx_store, &b, 1, &r, err), ERR_OK, "%s",
                     err);
        cr_assert_eq(r.applied, N);
        cr_assert_eq(r.audit_position, (uint64_t)(round + 1) * N);
        cr_assert_eq(memcmp(head().head, r.audit_head, STORE_HASH_LEN), 0);
        store_result_fini(&r);
        seq += N;
    }
    free(u);
    store_space_t after;
    cr_assert_eq(store_space(fx_store, &after, err), ERR_OK);
    cr_assert_gt(after.map_bytes, before.map_bytes, "the map must grow");
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_OK, "%s", l.text);
    cr_assert_eq(c.links, (uint64_t)ROUNDS * N);
    cr_assert_eq(c.records, (uint64_t)ROUNDS * N);
    /* One link per run: each call's 2,000 records make 8 links of 240
     * and one of 80, whatever the replays. */
    cr_assert_eq(c.chain_records, (uint64_t)ROUNDS * 9);
}

/* ---------------------------------------------------------------------- */
/* the links: runs of a transaction's records                              */

/* 100 revisions of one region in one batch (ids 1..100, value i, month
 * 2000-01 + i - 1): one link of positions 1..100. */
static void populate_run(void)
{
    update_t u[100];
    for (int i = 0; i < 100; i++) {
        u[i] = fx_count((uint64_t)i + 1, JOBS, 330102,
                        (uint32_t)((2000 + i / 12) * 100 + i % 12 + 1),
                        (uint64_t)i + 1);
    }
    store_result_t r = fx_apply(AGENT, u, 100);
    cr_assert_eq(r.applied, 100);
    cr_assert_eq(r.audit_position, 100);
    store_result_fini(&r);
}

Test(chain, a_record_changed_in_the_middle_of_a_link_is_named)
{
    populate_run();
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_OK, "%s", l.text);
    cr_assert_eq(c.chain_records, 1);
    cr_assert_eq(c.links, 100);
    raw_t w;
    raw_open(&w);
    MDB_dbi audit = raw_dbi(&w, "audit");
    buf_t rec;
    buf_init(&rec);
    raw_get(&w, audit, 50, &rec);
    rec.data[rec.len - 1] ^= 0x01; /* the new value: 50 -> 51 */
    raw_put_sealed(&w, audit, 50, &rec);
    buf_fini(&rec);
    raw_close(&w);
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text,
                     "chain position 50 (audit record 50: 城镇新增就业人数 "
                     "330102 2004-02, from agent-x at " WHEN "): hash does "
                     "not match\n"
                     "audit record 50: 城镇新增就业人数 330102 2004-02, "
                     "from agent-x at " WHEN ": its cell's fact does not "
                     "hold its value\n"
                     "fact urban_new_jobs 330102 2004-02: not the value of "
                     "its audit record 50\n");
}

/* Link @p end's value, unsealed, into @p out. */
static void raw_link(raw_t *w, MDB_dbi ch, uint64_t end, buf_t *out)
{
    raw_get(w, ch, end, out);
}

Test(chain, a_link_whose_hash_was_changed_is_named)
{
    populate();
    store_chain_head_t h5 = head();
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_OK, "%s", l.text);
    uint8_t h3[STORE_HASH_LEN];
    raw_t w;
    raw_open(&w);
    MDB_dbi ch = raw_dbi(&w, "chain");
    buf_t rec;
    buf_init(&rec);
    raw_link(&w, ch, 3, &rec);
    memcpy(h3, rec.data + rec.len - STORE_HASH_LEN, STORE_HASH_LEN);
    rec.data[rec.len - 1] ^= 0x01; /* the full hash's last byte */
    raw_put_sealed(&w, ch, 3, &rec);
    buf_fini(&rec);
    raw_close(&w);
    store_receipt_t rc[2] = {
        {3, {0}, 2, AGENT, "2026-12-01T05:10:00Z"},
        {5, {0}, 3, AGENT, "2026-12-01T05:11:00Z"},
    };
    memcpy(rc[0].head, h3, STORE_HASH_LEN);
    memcpy(rc[1].head, h5.head, STORE_HASH_LEN);
    cr_assert_eq(verify(&l, rc, 2, &c), ERR_CORRUPT);
    /* The records still make the hash the next link was chained to and
     * the receipt holds: only that link is named, and the receipt. */
    cr_assert_str_eq(l.text,
                     "chain positions 1..3: the link's hash is not its "
                     "records' (every record matches its digest: the hash "
                     "was changed)\n"
                     "receipt line 2 (agent-x, acked 2026-12-01T05:10:00Z)"
                     ": position 3 has another hash than the collector "
                     "acknowledged: the chain was rewritten (edited, or "
                     "restored and written since)\n");
}

Test(chain, a_deleted_link_is_named_with_its_records)
{
    populate();
    raw_t w;
    raw_open(&w);
    MDB_dbi ch = raw_dbi(&w, "chain");
    buf_t kb;
    buf_init(&kb);
    lmdbh_id_key(&kb, 0x01, 3);
    MDB_val k = lmdbh_val(&kb);
    cr_assert_eq(mdb_del(w.txn, ch, &k, NULL), 0);
    buf_fini(&kb);
    raw_close(&w);
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text,
                     "chain position 4: positions 1..3 are missing\n"
                     "audit record 1: 城镇新增就业人数 330102 2025-01, from "
                     "agent-x at " WHEN ": in no link of the chain (written "
                     "behind the collector's back)\n"
                     "audit record 2: 城镇新增就业人数 330102 2025-02, from "
                     "agent-x at " WHEN ": in no link of the chain (written "
                     "behind the collector's back)\n"
                     "audit record 3: 城镇新增就业人数 330102 2025-01, from "
                     "agent-x at " WHEN ": in no link of the chain (written "
                     "behind the collector's back)\n");
}

/* Rewrite the chain in the first layout, one record a position (chain.h:
 * `01 type reflen:u16 ref hash[32]`), hashing the records as stored: a
 * store written by the first chain commits. */
static void raw_to_first_layout(raw_t *w)
{
    MDB_dbi ch = raw_dbi(w, "chain");
    MDB_cursor *cur = NULL;
    MDB_val k;
    MDB_val d;
    buf_t links;
    buf_init(&links); /* the links' values, unsealed, one after another */
    size_t sizes[16];
    size_t n_links = 0;
    cr_assert_eq(mdb_cursor_open(w->txn, ch, &cur), 0);
    while (mdb_cursor_get(cur, &k, &d, n_links ? MDB_NEXT : MDB_FIRST) == 0) {
        cr_assert_lt(n_links, 16);
        buf_put(&links, k.mv_data, k.mv_size);
        buf_put(&links, d.mv_data, d.mv_size - LMDBH_SEAL_LEN);
        sizes[n_links++] = d.mv_size - LMDBH_SEAL_LEN;
    }
    mdb_cursor_close(cur);
    cr_assert_eq(mdb_drop(w->txn, ch, 0), 0);
    uint8_t h[CHAIN_HASH_LEN] = {0};
    size_t off = 0;
    buf_t kb;
    buf_t vb;
    buf_init(&kb);
    buf_init(&vb);
    for (size_t i = 0; i < n_links; i++) {
        MDB_val lk = {9, links.data + off};
        MDB_val lv = {sizes[i], links.data + off + 9};
        off += 9 + sizes[i];
        chain_link_t l;
        cr_assert_eq(chain_link_parse(&lk, &lv, &l), ERR_OK);
        cr_assert_eq(l.layout, CHAIN_LAYOUT_LINK);
        chain_refs_t it;
        enum chain_type type;
        MDB_val ref;
        chain_refs_begin(&it, &l);
        for (uint64_t pos = l.first; chain_refs_next(&it, &type, &ref);
             pos++) {
            MDB_dbi t = raw_dbi(w, chain_table_name(type));
            MDB_val rd;
            cr_assert_eq(mdb_get(w->txn, t, &ref, &rd), 0);
            chain_hash(h, pos, type, &ref, &rd, h);
            buf_reset(&vb);
            buf_put_u8(&vb, CHAIN_LAYOUT_ONE);
            buf_put_u8(&vb, (uint8_t)type);
            buf_put_u8(&vb, 0);
            buf_put_u8(&vb, (uint8_t)ref.mv_size);
            buf_put(&vb, ref.mv_data, ref.mv_size);
            buf_put(&vb, h, sizeof h);
            raw_put_sealed(w, ch, pos, &vb);
        }
        cr_assert_eq(memcmp(h, l.hash, CHAIN_HASH_LEN), 0);
    }
    buf_fini(&kb);
    buf_fini(&vb);
    buf_fini(&links);
}

Test(chain, a_chain_in_the_first_layout_is_read_and_continued)
{
    populate();
    store_chain_head_t h5 = head();
    raw_t w;
    raw_open(&w);
    raw_to_first_layout(&w);
    raw_close(&w); /* a writable open: the records stay as they are */
    store_chain_head_t h = head();
    cr_assert_eq(h.position, 5);
    cr_assert_eq(memcmp(h.head, h5.head, STORE_HASH_LEN), 0);
    cr_assert_eq(h.at, 1764000200);
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, NULL, 0, &c), ERR_OK, "%s", l.text);
    cr_assert_eq(c.chain_records, 5);
    char err[ERR_LEN];
    store_check_counts_t n;
    cr_assert_eq(store_check(fx_store, collect, &l, &n, err), ERR_OK, "%s",
                 l.text);
    update_t u[] = {
        fx_count(4, JOBS, 330105, 202504, 50),
        fx_count(5, JOBS, 330105, 202505, 60),
    };
    store_result_t r = fx_apply(AGENT, u, 2);
    cr_assert_eq(r.audit_position, 7);
    cr_assert_eq(memcmp(head().head, r.audit_head, STORE_HASH_LEN), 0);
    store_receipt_t rc[2] = {
        {5, {0}, 2, AGENT, "2026-12-01T05:10:00Z"},
        {7, {0}, 3, AGENT, "2026-12-01T05:11:00Z"},
    };
    memcpy(rc[0].head, h5.head, STORE_HASH_LEN);
    memcpy(rc[1].head, r.audit_head, STORE_HASH_LEN);
    store_result_fini(&r);
    cr_assert_eq(verify(&l, rc, 2, &c), ERR_OK, "%s", l.text);
    cr_assert_eq(c.chain_records, 6); /* five old, one link of two */
    cr_assert_eq(c.links, 7);
    cr_assert_eq(c.receipts, 2);
}

Test(chain, a_receipt_inside_a_link_is_no_acknowledged_position)
{
    populate();
    store_receipt_t rc[1] = {{2, {0}, 2, AGENT, "2026-12-01T05:10:00Z"}};
    lines_t l;
    store_audit_counts_t c;
    cr_assert_eq(verify(&l, rc, 1, &c), ERR_CORRUPT);
    cr_assert_str_eq(l.text,
                     "receipt line 2 (agent-x, acked 2026-12-01T05:10:00Z)"
                     ": position 2 is inside the link of positions 1..3, "
                     "where no commit ended: not a position the collector "
                     "acknowledged\n");
}
