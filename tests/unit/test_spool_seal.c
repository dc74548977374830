/* test_spool_seal.c: every value of the spool carries a seal (format 2,
 * agent/spool_rec.c). A byte changed anywhere in a record's key or value,
 * in the file itself, under an open spool, is never read as data: each
 * read returns exactly what was queued, or fails ERR_CORRUPT with a
 * message naming the file, the table and the key.
 *
 * The records are found where LMDB keeps them (the key and value
 * pointers of a read-only environment, less its map's address, are their
 * offsets in data.mdb), and changed there with pwrite(): the spool's own
 * map shows the change at once, as it would show a damaged sector. */
#define _XOPEN_SOURCE 700 /* nftw, pread, pwrite */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/spool.h"
#include "common/lmdbh.h"

static char dir[256];
static char sd[300];
static char file[400];
static spool_t *sp;
static spool_update_t queued[5]; /* seqs 2..5 stay queued: [1..4] */

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Five updates queued (1..5), 1 acknowledged with a rejection, one
 * source: a record in every table. */
static void setup(void)
{
    char err[ERR_LEN];
    snprintf(dir, sizeof dir, "/tmp/hrss-spools-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sd, sizeof sd, "%s/spool", dir);
    snprintf(file, sizeof file, "%s/data.mdb", sd);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    memset(queued, 0, sizeof queued);
    for (int i = 0; i < 5; i++) {
        snprintf(queued[i].indicator, sizeof queued[i].indicator,
                 i % 2 ? "urban_new_jobs" : "pension_insured");
        queued[i].region = 330102 + (uint32_t)i;
        queued[i].yyyymm = 202501 + (uint32_t)i;
        queued[i].is_ratio = i == 3;
        queued[i].num = 1001615 + i;
        queued[i].den = i == 3 ? 2000000 : 0;
        queued[i].submitted_at = 1700000000 + i;
    }
    cr_assert_eq(spool_append(sp, queued, 5, "inbox:a.csv:10:20", NULL, err),
                 ERR_OK, "%s", err);
    cr_assert_eq(spool_claim(sp, "office", 330100, err), ERR_OK, "%s", err);
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rj.seq = 1;
    rj.at = 77;
    snprintf(rj.reason_name, sizeof rj.reason_name, "future_month");
    snprintf(rj.message, sizeof rj.message, "month is later");
    cr_assert_eq(spool_ack(sp, 2, &rj, 1, err), ERR_OK, "%s", err);
    spool_close(&sp);
}

static void teardown(void)
{
    spool_close(&sp);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(spool_seal, .init = setup, .fini = teardown, .timeout = 120);

/* Where one record lies in data.mdb. */
typedef struct where {
    char table[16];
    size_t key_off, key_len, val_off, val_len;
    uint64_t seq; /* queue and rejects */
} where_t;

/* The offset in data.mdb of @p p, a pointer into LMDB's map: pages are
 * aligned to the page size (4096 here), and each begins with its own
 * number (LMDB's page header: mp_pgno, a size_t). */
static size_t file_offset(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    uintptr_t page = a & ~(uintptr_t)4095;
    size_t pgno;
    memcpy(&pgno, (const void *)page, sizeof pgno);
    return pgno * 4096 + (size_t)(a - page);
}

/* The live records of @p table, found through a read-only environment
 * (closed before the spool is opened: one environment per file). */
static size_t locate(const char *table, where_t *w, size_t max)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_dbi dbi;
    MDB_stat ms;
    MDB_val k;
    MDB_val d;
    size_t n = 0;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, sd, MDB_RDONLY | MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_env_stat(env, &ms), 0);
    cr_assert_eq(ms.ms_psize, 4096);
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, table, 0, &dbi), 0);
    cr_assert_eq(mdb_cursor_open(txn, dbi, &cur), 0);
    while (n < max && mdb_cursor_get(cur, &k, &d, n ? MDB_NEXT : MDB_FIRST) ==
                          0) {
        snprintf(w[n].table, sizeof w[n].table, "%s", table);
        w[n].key_off = file_offset(k.mv_data);
        w[n].key_len = k.mv_size;
        w[n].val_off = file_offset(d.mv_data);
        w[n].val_len = d.mv_size;
        w[n].seq = 0;
        lmdbh_id_parse(&k, 0x01, &w[n].seq);
        n++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return n;
}

static int fd = -1;

static unsigned char flip(size_t off, unsigned char mask)
{
    unsigned char b;
    cr_assert_eq(pread(fd, &b, 1, (off_t)off), 1);
    unsigned char nb = (unsigned char)(b ^ mask);
    cr_assert_eq(pwrite(fd, &nb, 1, (off_t)off), 1);
    return b;
}

static void put_back(size_t off, unsigned char b)
{
    cr_assert_eq(pwrite(fd, &b, 1, (off_t)off), 1);
}

static void same_update(const spool_update_t *a, const spool_update_t *b,
                        const char *what)
{
    cr_assert(a->seq == b->seq && strcmp(a->indicator, b->indicator) == 0 &&
                  a->region == b->region && a->yyyymm == b->yyyymm &&
                  a->is_ratio == b->is_ratio && a->num == b->num &&
                  a->den == b->den && a->submitted_at == b->submitted_at,
              "%s: seq %llu read as different data (%s %u %u %lld/%lld)",
              what, (unsigned long long)a->seq, a->indicator, a->region,
              a->yyyymm, (long long)a->num, (long long)a->den);
}

/* A read from @p from: exactly the queued updates, or ERR_CORRUPT naming
 * the file and a seq of the queue. */
static void read_is_true(uint64_t from, const char *what)
{
    spool_update_t out[16];
    size_t n = 99;
    char err[ERR_LEN] = "";
    int rc = spool_read(sp, from, out, 16, &n, err);
    if (rc == ERR_OK) {
        for (size_t i = 0; i < n; i++) {
            cr_assert(out[i].seq >= 2 && out[i].seq <= 5, "%s: seq %llu",
                      what, (unsigned long long)out[i].seq);
            same_update(&out[i], &queued[out[i].seq - 1], what);
        }
        return;
    }
    char want[500];
    char after[500];
    snprintf(want, sizeof want, "spool %s: table queue, seq ", file);
    snprintf(after, sizeof after, "spool %s: table queue, after seq ", file);
    cr_assert_eq(rc, ERR_CORRUPT, "%s: rc %d: %s", what, rc, err);
    cr_assert_eq(n, 0, "%s: updates handed out with an error", what);
    cr_assert(strncmp(err, want, strlen(want)) == 0 ||
                  strncmp(err, after, strlen(after)) == 0,
              "%s: the message names neither file nor seq: %s", what, err);
}

/* Every single-bit and whole-byte change of every byte of the key and
 * value of every queued record. */
Test(spool_seal, a_changed_byte_in_a_queued_record_is_never_read_as_data)
{
    static const unsigned char masks[] = {0x01, 0x02, 0x04, 0x08, 0x10,
                                          0x20, 0x40, 0x80, 0xff};
    where_t w[8];
    size_t nw = locate("queue", w, 8);
    cr_assert_eq(nw, 4);
    char err[ERR_LEN];
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    fd = open(file, O_RDWR);
    cr_assert(fd >= 0);
    unsigned long corrupt_reads = 0;
    for (size_t r = 0; r < nw; r++) {
        size_t from = w[r].key_off;
        size_t to = w[r].val_off + w[r].val_len;
        for (size_t off = from; off < to; off++) {
            for (size_t m = 0; m < sizeof masks; m++) {
                char what[128];
                snprintf(what, sizeof what, "seq %llu, byte %zu of %s, ^%02x",
                         (unsigned long long)w[r].seq,
                         off - from, off < w[r].val_off ? "key" : "record",
                         masks[m]);
                unsigned char b = flip(off, masks[m]);
                read_is_true(2, what);
                read_is_true(w[r].seq, what);
                spool_update_t one;
                size_t n = 0;
                int rc = spool_read(sp, w[r].seq, &one, 1, &n, err);
                corrupt_reads += rc == ERR_CORRUPT;
                if (off >= w[r].val_off) {
                    /* A changed value: its own seq is named. */
                    char want[500];
                    snprintf(want, sizeof want,
                             "spool %s: table queue, seq %llu: checksum "
                             "mismatch", file,
                             (unsigned long long)w[r].seq);
                    cr_assert_eq(rc, ERR_CORRUPT, "%s", what);
                    cr_assert(strncmp(err, want, strlen(want)) == 0,
                              "%s: %s", what, err);
                }
                put_back(off, b);
            }
        }
    }
    close(fd);
    cr_expect_gt(corrupt_reads, 0);
    read_is_true(2, "after putting every byte back");
}

static int keep_rejection(const spool_rejection_t *r, void *arg)
{
    *(spool_rejection_t *)arg = *r;
    return 0;
}

/* The stats, the identity and the rejection after a change in a meta or
 * rejects value: as before, or ERR_CORRUPT naming the table and key. */
static void meta_is_true(const spool_stats_t *st0,
                         const spool_rejection_t *rj0, const char *what)
{
    char err[ERR_LEN] = "";
    char want[500];
    spool_stats_t st;
    int rc = spool_stats(sp, &st, err);
    snprintf(want, sizeof want, "spool %s: table meta, key ", file);
    if (rc == ERR_OK) {
        cr_assert(memcmp(&st, st0, sizeof st) == 0, "%s: other stats", what);
    } else {
        cr_assert(rc == ERR_CORRUPT && strncmp(err, want, strlen(want)) == 0,
                  "%s: rc %d: %s", what, rc, err);
    }
    rc = spool_claim(sp, "office", 330100, err);
    cr_assert(rc == ERR_OK ||
                  (rc == ERR_CORRUPT &&
                   strncmp(err, want, strlen(want)) == 0),
              "%s: claim: rc %d: %s", what, rc, err);
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rc = spool_rejections(sp, keep_rejection, &rj, err);
    /* "seq 1", or the key's bytes when it no longer parses */
    snprintf(want, sizeof want, "spool %s: table rejects, ", file);
    if (rc == ERR_OK) {
        cr_assert(memcmp(&rj, rj0, sizeof rj) == 0, "%s: other rejection",
                  what);
    } else {
        cr_assert(rc == ERR_CORRUPT && strncmp(err, want, strlen(want)) == 0,
                  "%s: rc %d: %s", what, rc, err);
    }
}

/* Meta values (the counters, the identity) and rejections: read back
 * exactly, or refused naming the table and key. */
Test(spool_seal, a_changed_byte_in_meta_or_a_rejection_is_never_read)
{
    where_t w[12];
    size_t nm = locate("meta", w, 8);
    size_t nr = locate("rejects", w + nm, 4);
    cr_assert_eq(nm, 4); /* format, next_assign, acked_next, identity */
    cr_assert_eq(nr, 1);
    char err[ERR_LEN];
    spool_stats_t st0;
    spool_rejection_t rj0;
    memset(&rj0, 0, sizeof rj0);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    cr_assert_eq(spool_stats(sp, &st0, err), ERR_OK, "%s", err);
    cr_assert_eq(spool_rejections(sp, keep_rejection, &rj0, err), ERR_OK);
    cr_assert_str_eq(rj0.reason_name, "future_month");
    fd = open(file, O_RDWR);
    cr_assert(fd >= 0);
    for (size_t r = 0; r < nm + nr; r++) {
        size_t end = w[r].val_off + w[r].val_len;
        for (size_t off = w[r].key_off; off < end; off++) {
            for (unsigned mask = 0x01; mask <= 0x80; mask <<= 1) {
                char what[96];
                snprintf(what, sizeof what, "%.32s record %zu, byte %zu, ^%02x",
                         w[r].table, r, off - w[r].key_off, mask);
                unsigned char b = flip(off, (unsigned char)mask);
                meta_is_true(&st0, &rj0, what);
                put_back(off, b);
            }
        }
    }
    close(fd);
}

/* Every value on disk but meta "format" carries its seal. */
Test(spool_seal, every_value_but_the_format_is_sealed)
{
    static const char *const tables[] = {"meta", "queue", "rejects",
                                         "sources"};
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, sd, MDB_RDONLY | MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    size_t n = 0;
    for (size_t t = 0; t < 4; t++) {
        MDB_dbi dbi;
        MDB_cursor *cur = NULL;
        MDB_val k;
        MDB_val d;
        cr_assert_eq(mdb_dbi_open(txn, tables[t], 0, &dbi), 0);
        cr_assert_eq(mdb_cursor_open(txn, dbi, &cur), 0);
        for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &d, op) == 0;
             op = MDB_NEXT) {
            int format = t == 0 && k.mv_size == 6 &&
                         memcmp(k.mv_data, "format", 6) == 0;
            cr_expect_eq(lmdbh_unseal(&k, &d), format ? ERR_CORRUPT : ERR_OK,
                         "%s: %.*s", tables[t], (int)k.mv_size,
                         (const char *)k.mv_data);
            if (format) {
                cr_expect_eq(d.mv_size, 8);
                cr_expect_eq(((const unsigned char *)d.mv_data)[7], 2);
            }
            n++;
        }
        mdb_cursor_close(cur);
    }
    /* meta 4, queue 4, rejects 1, sources: the file, its 5 cells and
     * "cells:since" (spool_cells). */
    cr_expect_eq(n, 4 + 4 + 1 + 1 + 5 + 1);
    mdb_txn_abort(txn);
    mdb_env_close(env);
}
