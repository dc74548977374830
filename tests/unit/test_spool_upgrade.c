/* test_spool_upgrade.c: a format-1 spool (tests/unit/spool_v1.c writes
 * the old layout straight through LMDB) is upgraded to format 2 in place
 * at the first writable open, in one transaction, losing nothing: every
 * queued update, rejection, source and the identity read back as they
 * were. A read-only open reads format 1 as it is and writes nothing. A
 * failed upgrade leaves the file as it was. (The LMDB fault shim is
 * linked for the last; unarmed, it calls LMDB.) */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/spool.h"
#include "common/crc32c.h"
#include "common/lmdbh.h"
#include "mdbfault.h"
#include "spool_v1.h"

static char dir[256];
static char sd[300];

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    mdbfault_reset();
    snprintf(dir, sizeof dir, "/tmp/hrss-spoolu-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sd, sizeof sd, "%s/spool", dir);
}

static void teardown(void)
{
    mdbfault_reset();
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(spool_upgrade, .init = setup, .fini = teardown, .timeout = 120);

/* What the file holds, seen through LMDB: the format, the last txn, a
 * CRC of every key and value of every table, how many records, and
 * whether every value but the format carries its seal. */
typedef struct raw {
    uint64_t format;
    size_t txnid;
    uint32_t crc;
    size_t records;
    size_t sealed;
    int depth; /* of the queue's B-tree */
} raw_t;

static raw_t raw_look(const char *d)
{
    static const char *const tables[] = {"meta", "queue", "rejects",
                                         "sources"};
    raw_t r;
    memset(&r, 0, sizeof r);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_envinfo info;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, d, MDB_RDONLY | MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_env_info(env, &info), 0);
    r.txnid = info.me_last_txnid;
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    for (size_t t = 0; t < 4; t++) {
        MDB_dbi dbi;
        MDB_cursor *cur = NULL;
        MDB_stat st;
        MDB_val k;
        MDB_val v;
        cr_assert_eq(mdb_dbi_open(txn, tables[t], 0, &dbi), 0);
        cr_assert_eq(mdb_stat(txn, dbi, &st), 0);
        if (t == 1) {
            r.depth = (int)st.ms_depth;
        }
        cr_assert_eq(mdb_cursor_open(txn, dbi, &cur), 0);
        for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0;
             op = MDB_NEXT) {
            r.crc = crc32c(r.crc, k.mv_data, k.mv_size);
            r.crc = crc32c(r.crc, v.mv_data, v.mv_size);
            r.records++;
            if (t == 0 && k.mv_size == 6 && !memcmp(k.mv_data, "format", 6)) {
                r.format = ((const unsigned char *)v.mv_data)[v.mv_size - 1];
                continue;
            }
            MDB_val sv = v;
            r.sealed += lmdbh_unseal(&k, &sv) == ERR_OK;
        }
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return r;
}

static void same_update(const spool_update_t *a, const spool_update_t *b)
{
    cr_assert(a->seq == b->seq && strcmp(a->indicator, b->indicator) == 0 &&
                  a->region == b->region && a->yyyymm == b->yyyymm &&
                  a->is_ratio == b->is_ratio && a->num == b->num &&
                  a->den == b->den && a->submitted_at == b->submitted_at,
              "seq %llu differs from what format 1 held",
              (unsigned long long)a->seq);
}

/* Every queued update from @p first, read back one batch at a time, as
 * the sender reads them: exactly what format 1 held, @p n of them. */
static void expect_queue(spool_t *sp, uint64_t first, size_t n)
{
    static spool_update_t out[500];
    char err[ERR_LEN];
    size_t total = 0;
    size_t got = 0;
    do {
        cr_assert_eq(spool_read(sp, first + total, out, 500, &got, err),
                     ERR_OK, "%s", err);
        for (size_t i = 0; i < got; i++) {
            spool_update_t want;
            spool_v1_update(first + total + i, &want);
            same_update(&out[i], &want);
        }
        total += got;
    } while (got > 0);
    cr_assert_eq(total, n, "read back %zu of %zu", total, n);
}

typedef struct rej_seen {
    size_t n;
} rej_seen_t;

static int check_rejection(const spool_rejection_t *r, void *arg)
{
    rej_seen_t *s = arg;
    spool_rejection_t want;
    spool_v1_rejection(++s->n, &want);
    cr_assert_eq(r->seq, want.seq);
    cr_assert_eq(r->at, want.at);
    cr_assert_eq(r->reason, want.reason);
    cr_assert_str_eq(r->reason_name, want.reason_name);
    cr_assert_str_eq(r->message, want.message);
    if (want.update.seq != 0) {
        same_update(&r->update, &want.update);
    } else {
        cr_assert_eq(r->update.indicator[0], '\0');
    }
    return 0;
}

/* Everything of @p spec readable through @p sp. */
static void expect_all(spool_t *sp, const spool_v1_t *spec)
{
    char err[ERR_LEN];
    spool_stats_t st;
    cr_assert_eq(spool_stats(sp, &st, err), ERR_OK, "%s", err);
    cr_expect_eq(st.queued, spec->queued);
    cr_expect_eq(st.acked_next, spec->acked_next ? spec->acked_next : 1);
    cr_expect_eq(st.last_assigned,
                 (spec->acked_next ? spec->acked_next : 1) + spec->queued -
                     1);
    cr_expect_eq(st.rejections, spec->rejections);
    expect_queue(sp, spec->acked_next ? spec->acked_next : 1, spec->queued);
    rej_seen_t seen = {0};
    cr_assert_eq(spool_rejections(sp, check_rejection, &seen, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(seen.n, spec->rejections);
    for (size_t i = 1; i <= spec->sources; i++) {
        char key[64];
        snprintf(key, sizeof key, "inbox:f%zu.csv:%zu:%zu", i, i, i);
        cr_expect(spool_has_source(sp, key), "source %s lost", key);
    }
}

/* Enough updates for a queue three pages deep, every table used. */
static const spool_v1_t big = {101, 20000, 50, 30, "office 330100", 0};

Test(spool_upgrade, a_format_1_spool_is_upgraded_in_place_losing_nothing)
{
    spool_v1_write(sd, &big);
    raw_t before = raw_look(sd);
    cr_assert_eq(before.format, 1);
    cr_assert_geq(before.depth, 2, "no page splits: depth %d", before.depth);
    cr_assert_eq(before.sealed, 0);

    char err[ERR_LEN];
    spool_t *sp = NULL;
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    raw_t after = raw_look(sd);
    cr_expect_eq(after.format, 2);
    cr_expect_eq(after.txnid, before.txnid + 1, "not one transaction");
    cr_expect_eq(after.records, before.records);
    cr_expect_eq(after.sealed, after.records - 1, "a value left unsealed");
    expect_all(sp, &big);
    cr_expect_eq(spool_claim(sp, "office", 330100, err), ERR_OK, "%s", err);
    cr_expect_eq(spool_claim(sp, "other", 330100, err), ERR_INVAL);
    spool_verify_t v;
    cr_assert_eq(spool_verify(sp, NULL, NULL, &v, err), ERR_OK, "%s", err);
    cr_expect_eq(v.problems, 0);
    cr_expect_eq(v.format, 2);
    cr_expect(v.complete);
    spool_close(&sp);

    /* Once is enough: the next open finds format 2 and writes nothing. */
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    cr_expect_eq(raw_look(sd).txnid, after.txnid);
    expect_queue(sp, 101, 20000);
    spool_close(&sp);
}

/* A format-1 spool that never acknowledged anything has no acked_next
 * key; format 2 keeps both counters always, so the upgrade adds it. */
Test(spool_upgrade, counters_format_1_had_not_written_are_added)
{
    const spool_v1_t young = {0, 3, 0, 0, NULL, 0};
    spool_v1_write(sd, &young);
    char err[ERR_LEN];
    spool_t *sp = NULL;
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    expect_all(sp, &young);
    spool_update_t u;
    spool_v1_update(4, &u);
    uint64_t first = 0;
    cr_assert_eq(spool_append(sp, &u, 1, NULL, &first, err), ERR_OK);
    cr_expect_eq(first, 4);
    /* format, next_assign, acked_next; 4 queued; the appended update's
     * cell and "cells:since" (the updates format 1 queued have no cell
     * records: spool_cells) */
    cr_expect_eq(raw_look(sd).records, 3 + 4 + 2);
    spool_close(&sp);
}

/* The upgrade copies every page: in a map the size of the spool's limit
 * it does not fit, and the map is grown for it. */
Test(spool_upgrade, an_upgrade_that_needs_more_room_grows_the_map)
{
    const spool_v1_t full = {1, 12000, 0, 0, NULL, 2 << 20};
    spool_v1_write(sd, &full);
    struct stat st;
    char path[400];
    snprintf(path, sizeof path, "%s/data.mdb", sd);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_gt(st.st_size, 600 * 1024, "too small: %lld",
                 (long long)st.st_size);
    char err[ERR_LEN];
    spool_t *sp = NULL;
    cr_assert_eq(spool_open_max(&sp, sd, (size_t)1 << 20, err), ERR_OK, "%s",
                 err);
    /* the open's, the growth, the limit put back */
    cr_assert_geq(mdbfault_calls(MDBFAULT_SET_MAPSIZE), 3, "no growth");
    cr_expect_eq(raw_look(sd).format, 2);
    expect_all(sp, &full);
    spool_close(&sp);
}

/* The upgrade is one transaction: a commit that fails (a full disk)
 * leaves format 1 as it was, byte for byte; the next open upgrades. */
Test(spool_upgrade, a_failed_upgrade_leaves_the_format_1_spool_as_it_was)
{
    spool_v1_write(sd, &big);
    raw_t before = raw_look(sd);
    char err[ERR_LEN] = "";
    spool_t *sp = NULL;
    mdbfault_arm(MDBFAULT_COMMIT, 2, ENOSPC); /* 1: the tables' */
    int rc = spool_open(&sp, sd, err);
    cr_assert_eq(mdbfault_failures(MDBFAULT_COMMIT), 1);
    cr_expect_neq(rc, ERR_OK);
    cr_expect_null(sp);
    cr_expect(strstr(err, "cannot upgrade spool") != NULL &&
                  strstr(err, "disk full") != NULL && strstr(err, sd),
              "%s", err);
    raw_t after = raw_look(sd);
    cr_expect_eq(after.format, 1);
    cr_expect_eq(after.crc, before.crc, "the file changed");
    cr_expect_eq(after.records, before.records);
    mdbfault_reset();
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    expect_all(sp, &big);
    spool_close(&sp);
}

/* Read-only (`hrss-agent check`): format 1 is read as it is, nothing is
 * written, and the walk says format 1. */
Test(spool_upgrade, a_read_only_open_reads_format_1_and_writes_nothing)
{
    spool_v1_write(sd, &big);
    raw_t before = raw_look(sd);
    char err[ERR_LEN];
    spool_t *sp = NULL;
    cr_assert_eq(spool_open_readonly(&sp, sd, err), ERR_OK, "%s", err);
    expect_all(sp, &big);
    spool_verify_t v;
    cr_assert_eq(spool_verify(sp, NULL, NULL, &v, err), ERR_OK, "%s", err);
    cr_expect_eq(v.format, 1);
    cr_expect_eq(v.problems, 0);
    cr_expect_eq(v.records[1], big.queued);
    spool_close(&sp);
    raw_t after = raw_look(sd);
    cr_expect_eq(after.txnid, before.txnid);
    cr_expect_eq(after.crc, before.crc);
}

/* A damaged record of format 1 is not blessed by its new seal, nor
 * dropped: it still reads as damaged, naming its seq. */
Test(spool_upgrade, a_damaged_format_1_record_stays_damaged)
{
    const spool_v1_t small = {1, 5, 0, 0, NULL, 0};
    spool_v1_write(sd, &small);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, sd, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "queue", 0, &dbi), 0);
    unsigned char key[9] = {1, 0, 0, 0, 0, 0, 0, 0, 3};
    MDB_val kv = {9, key};
    MDB_val dv = {10, "\x01urban_ne"}; /* cut inside the indicator */
    cr_assert_eq(mdb_put(txn, dbi, &kv, &dv, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    char err[ERR_LEN];
    spool_t *sp = NULL;
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    spool_update_t out[8];
    size_t n = 0;
    cr_expect_eq(spool_read(sp, 1, out, 8, &n, err), ERR_OK, "%s", err);
    cr_expect_eq(n, 2);
    cr_expect_eq(spool_read(sp, 3, out, 8, &n, err), ERR_CORRUPT);
    cr_expect(strstr(err, "table queue, seq 3: malformed record") != NULL,
              "%s", err);
    spool_close(&sp);
}

/* A format-2 spool whose format value was damaged into 1: sealing it
 * again would make every record unreadable, so it is refused. */
Test(spool_upgrade, sealed_records_under_format_1_are_refused)
{
    char err[ERR_LEN];
    spool_t *sp = NULL;
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    spool_update_t u[3];
    for (int i = 0; i < 3; i++) {
        spool_v1_update((uint64_t)i + 1, &u[i]);
    }
    cr_assert_eq(spool_append(sp, u, 3, NULL, NULL, err), ERR_OK);
    spool_close(&sp);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, sd, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    MDB_val kv = {6, "format"};
    MDB_val dv = {8, "\0\0\0\0\0\0\0\1"};
    cr_assert_eq(mdb_put(txn, dbi, &kv, &dv, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    raw_t before = raw_look(sd);
    cr_expect_eq(spool_open(&sp, sd, err), ERR_CORRUPT, "%s", err);
    cr_expect_null(sp);
    cr_expect(strstr(err, "table meta, key format") != NULL &&
                  strstr(err, "not upgrading") != NULL, "%s", err);
    cr_expect_eq(raw_look(sd).crc, before.crc);
}
