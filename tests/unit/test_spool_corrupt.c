/* test_spool_corrupt.c: malformed records written straight into the
 * spool's LMDB databases (layout: agent/spool_rec.c, ARCHITECTURE.md),
 * with a valid seal so that their layout is what is checked, are reported
 * as ERR_CORRUPT (or another clean error) naming the file, table and key,
 * never crash a reader, and a write that meets one keeps nothing. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/spool.h"
#include "common/buf.h"
#include "common/lmdbh.h"

#define V1 0x01

static char dir[256];
static char sd[300];
static spool_t *sp;

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void fill(spool_update_t *u, size_t n, int64_t base)
{
    memset(u, 0, n * sizeof *u);
    for (size_t i = 0; i < n; i++) {
        snprintf(u[i].indicator, sizeof u[i].indicator, "urban_new_jobs");
        u[i].region = 330102;
        u[i].yyyymm = 202501 + (uint32_t)(i % 12);
        u[i].num = base + (int64_t)i;
        u[i].submitted_at = 1000 + (int64_t)i;
    }
}

/* Five updates queued (1..5), one rejection recorded, 1 acknowledged. */
static void setup(void)
{
    char err[ERR_LEN];
    snprintf(dir, sizeof dir, "/tmp/hrss-spoolc-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sd, sizeof sd, "%s/spool", dir);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    spool_update_t u[5];
    fill(u, 5, 10);
    cr_assert_eq(spool_append(sp, u, 5, NULL, NULL, err), ERR_OK, "%s",
                 err);
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rj.seq = 1;
    snprintf(rj.reason_name, sizeof rj.reason_name, "future_month");
    snprintf(rj.message, sizeof rj.message, "month is later");
    cr_assert_eq(spool_ack(sp, 2, &rj, 1, err), ERR_OK, "%s", err);
}

static void teardown(void)
{
    spool_close(&sp);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(spool_corrupt, .init = setup, .fini = teardown, .timeout = 30);

/* Close the spool, put one raw record, sealed as format 2 seals it (but
 * meta "format"), reopen it (when @p reopen). */
static void raw_put(const char *db, const buf_t *k, const buf_t *v,
                    int reopen)
{
    buf_t sealed;
    buf_init(&sealed);
    buf_put(&sealed, v->data, v->len);
    MDB_val key = {k->len, k->data};
    if (strcmp(db, "meta") != 0 || k->len != 6 ||
        memcmp(k->data, "format", 6) != 0) {
        lmdbh_seal(&sealed, &key);
    }
    v = &sealed;
    char err[ERR_LEN];
    spool_close(&sp);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, sd, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, db, 0, &dbi), 0, "%s", db);
    MDB_val kv = {k->len, k->data};
    MDB_val dv = {v->len, v->data};
    int rc = mdb_put(txn, dbi, &kv, &dv, 0);
    cr_assert_eq(rc, 0, "put into %s: %s", db, mdb_strerror(rc));
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    buf_fini(&sealed);
    if (reopen) {
        cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    }
}

static void key_seq(buf_t *k, uint64_t seq)
{
    buf_reset(k);
    buf_put_u8(k, V1);
    buf_put_u64(k, seq);
}

/* A valid queue record, cut to @p keep bytes (all when 0). */
static void queue_value(buf_t *v, size_t keep)
{
    buf_reset(v);
    buf_put_u8(v, V1);
    buf_put_str(v, "urban_new_jobs");
    buf_put_u32(v, 330102);
    buf_put_u32(v, 202503);
    buf_put_u8(v, 0);
    buf_put_i64(v, 7);
    buf_put_i64(v, 0);
    buf_put_i64(v, 1000);
    if (keep > 0) {
        v->len = keep;
    }
}

/* rc must be ERR_CORRUPT and err must say why (not "Successful", LMDB's
 * text for 0). */
#define EXPECT_CORRUPT(call, what)                                          \
    do {                                                                    \
        char err_[ERR_LEN] = "";                                            \
        int rc_ = (call);                                                   \
        cr_expect_eq(rc_, ERR_CORRUPT, "%s: rc %d (%s), err '%s'", what,    \
                     rc_, err_str(rc_), err_);                              \
        cr_expect(err_[0] != '\0' && strstr(err_, "Successful") == NULL,    \
                  "%s: the message does not say why: '%s'", what, err_);    \
    } while (0)

static int on_rej(const spool_rejection_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

/* After a refused write, the queue still reads 2..5 as before. */
static void expect_queue_intact(void)
{
    char err[ERR_LEN];
    spool_update_t out[8];
    size_t n = 0;
    cr_assert_eq(spool_read(sp, 2, out, 8, &n, err), ERR_OK, "%s", err);
    cr_expect_eq(n, 4);
    cr_expect_eq(out[0].seq, 2);
    cr_expect_eq(out[0].num, 11);
}

Test(spool_corrupt, truncated_queue_record)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    key_seq(&k, 3);
    queue_value(&v, 12); /* inside the indicator: no NUL */
    raw_put("queue", &k, &v, 1);
    spool_update_t out[8];
    size_t n = 99;
    char err[ERR_LEN];
    /* What comes before the damage is handed out ... */
    cr_expect_eq(spool_read(sp, 1, out, 8, &n, err), ERR_OK, "%s", err);
    cr_expect_eq(n, 1);
    cr_expect_eq(out[0].seq, 2);
    /* ... and the read from it names the seq and what cannot be sent. */
    n = 99;
    cr_expect_eq(spool_read(sp, 3, out, 8, &n, err), ERR_CORRUPT);
    cr_expect_eq(n, 0, "updates handed out from a corrupt read");
    char want[ERR_LEN];
    snprintf(want, sizeof want, "spool %s/data.mdb: table queue, seq 3: "
                                "malformed record: updates 3..5 cannot be "
                                "sent", sd);
    cr_expect_str_eq(err, want);
    /* The first queued record is fine: stats still work. */
    spool_stats_t st;
    cr_expect_eq(spool_stats(sp, &st, err), ERR_OK, "%s", err);
    cr_expect_eq(st.queued, 4);
    /* Rejecting it keeps the rejection, without the unreadable update. */
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rj.seq = 3;
    cr_expect_eq(spool_ack(sp, 4, &rj, 1, err), ERR_OK, "%s", err);
    buf_fini(&k);
    buf_fini(&v);
}

Test(spool_corrupt, first_queue_record_of_another_version)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    key_seq(&k, 2);
    queue_value(&v, 0);
    v.data[0] = 0x7f;
    raw_put("queue", &k, &v, 1);
    spool_update_t out[8];
    size_t n = 0;
    spool_stats_t st;
    EXPECT_CORRUPT(spool_read(sp, 0, out, 8, &n, err_), "spool_read");
    EXPECT_CORRUPT(spool_stats(sp, &st, err_), "spool_stats");
    buf_fini(&k);
    buf_fini(&v);
}

Test(spool_corrupt, queue_key_of_the_wrong_size)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    key_seq(&k, 3);
    buf_put_u8(&k, 0); /* 10 bytes, between seq 3 and 4 */
    queue_value(&v, 0);
    raw_put("queue", &k, &v, 1);
    spool_update_t out[8];
    size_t n = 0;
    EXPECT_CORRUPT(spool_read(sp, 0, out, 8, &n, err_), "spool_read");
    /* An ack walks the queue from the start: refused, nothing deleted. */
    EXPECT_CORRUPT(spool_ack(sp, 5, NULL, 0, err_), "spool_ack");
    spool_stats_t st;
    char err[ERR_LEN];
    cr_assert_eq(spool_stats(sp, &st, err), ERR_OK, "%s", err);
    cr_expect_eq(st.queued, 5);
    cr_expect_eq(st.acked_next, 2);
    buf_fini(&k);
    buf_fini(&v);
}

Test(spool_corrupt, truncated_rejection)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    key_seq(&k, 1);
    buf_put_u8(&v, V1);
    buf_put_i64(&v, 77);
    buf_put_u32(&v, 5);
    buf_put(&v, "future", 6); /* reason_name without its NUL */
    raw_put("rejects", &k, &v, 1);
    int n = 0;
    EXPECT_CORRUPT(spool_rejections(sp, on_rej, &n, err_),
                   "spool_rejections");
    cr_expect_eq(n, 0, "a corrupt rejection was handed out");
    buf_fini(&k);
    buf_fini(&v);
}

Test(spool_corrupt, rejection_with_a_truncated_update)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    key_seq(&k, 1);
    buf_put_u8(&v, V1);
    buf_put_i64(&v, 77);
    buf_put_u32(&v, 5);
    buf_put_str(&v, "future_month");
    buf_put_str(&v, "month is later");
    buf_put_u8(&v, 1); /* has an update ... */
    buf_put_str(&v, "urban_new_jobs");
    buf_put_u32(&v, 330102); /* ... cut short */
    raw_put("rejects", &k, &v, 1);
    int n = 0;
    EXPECT_CORRUPT(spool_rejections(sp, on_rej, &n, err_),
                   "spool_rejections");
    buf_fini(&k);
    buf_fini(&v);
}

static void meta_put(const char *name, size_t len, int reopen)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    buf_put(&k, name, strlen(name));
    for (size_t i = 0; i < len; i++) {
        buf_put_u8(&v, 0x11);
    }
    raw_put("meta", &k, &v, reopen);
    buf_fini(&k);
    buf_fini(&v);
}

Test(spool_corrupt, unreadable_next_assign)
{
    meta_put("next_assign", 3, 1);
    spool_stats_t st;
    EXPECT_CORRUPT(spool_stats(sp, &st, err_), "spool_stats");
    spool_update_t u[2];
    fill(u, 2, 90);
    uint64_t first = 9;
    EXPECT_CORRUPT(spool_append(sp, u, 2, "inbox:x.csv:1:1", &first, err_),
                   "spool_append");
    cr_expect_eq(first, 0);
    cr_expect(!spool_has_source(sp, "inbox:x.csv:1:1"));
    expect_queue_intact();
}

Test(spool_corrupt, unreadable_acked_next)
{
    meta_put("acked_next", 5, 1);
    EXPECT_CORRUPT(spool_ack(sp, 4, NULL, 0, err_), "spool_ack");
    expect_queue_intact();
}

Test(spool_corrupt, unreadable_format_refuses_to_open)
{
    meta_put("format", 2, 0);
    spool_t *s = NULL;
    char err[ERR_LEN] = "";
    cr_expect_eq(spool_open(&s, sd, err), ERR_CORRUPT, "%s", err);
    cr_expect_null(s);
    cr_expect(strstr(err, "table meta, key format") != NULL &&
                  strstr(err, sd) != NULL, "err: %s", err);
}

Test(spool_corrupt, format_of_another_version_refuses_to_open)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    buf_put(&k, "format", 6);
    buf_put_u32(&v, 3);
    raw_put("meta", &k, &v, 0);
    spool_t *s = NULL;
    char err[ERR_LEN] = "";
    cr_expect_eq(spool_open(&s, sd, err), ERR_VERSION, "%s", err);
    cr_expect_null(s);
    cr_expect(strstr(err, "format 3") != NULL, "err: %s", err);
    buf_fini(&k);
    buf_fini(&v);
}

/* ---------------------------------------------------------------------- */
/* damaged files (issue 9): refused at open, naming the file, never a     */
/* crash and never taken for a new spool                                   */

static off_t file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s", path);
    return st.st_size;
}

/* spool_open refuses @p d with @p want and a message naming D/data.mdb and
 * containing @p says; the file keeps its size (or stays absent). */
static void expect_refused(const char *d, int want, const char *says)
{
    char path[400];
    snprintf(path, sizeof path, "%s/data.mdb", d);
    struct stat before;
    int had = stat(path, &before) == 0;
    spool_t *s = NULL;
    char err[ERR_LEN] = "";
    int rc = spool_open(&s, d, err);
    cr_expect_eq(rc, want, "open of %s: rc %d (%s), err '%s'", d, rc,
                 err_str(rc), err);
    cr_expect_null(s);
    if (s != NULL) {
        spool_close(&s);
    }
    cr_expect(strstr(err, path) != NULL && strstr(err, says) != NULL,
              "the message names neither %s nor '%s': %s", path, says, err);
    struct stat after;
    if (had) {
        cr_expect_eq(stat(path, &after), 0);
        cr_expect_eq(after.st_size, before.st_size, "%s changed size", path);
    } else {
        cr_expect_neq(stat(path, &after), 0, "%s was created", path);
    }
}

/* A copy of the closed spool's data.mdb as D/data.mdb, cut to @p size. */
static void copy_cut(const char *d, off_t size)
{
    char from[400];
    char to[400];
    snprintf(from, sizeof from, "%s/data.mdb", sd);
    snprintf(to, sizeof to, "%s/data.mdb", d);
    cr_assert_eq(mkdir(d, 0750), 0, "%s", d);
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    cr_assert(in != NULL && out != NULL);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        cr_assert_eq(fwrite(chunk, 1, n, out), n);
    }
    fclose(in);
    cr_assert_eq(fclose(out), 0);
    cr_assert_eq(truncate(to, size), 0);
}

Test(spool_corrupt, an_empty_data_file_is_refused_not_taken_for_new)
{
    spool_close(&sp);
    char path[400];
    snprintf(path, sizeof path, "%s/data.mdb", sd);
    cr_assert_eq(truncate(path, 0), 0);
    expect_refused(sd, ERR_CORRUPT, "0 bytes");
}

Test(spool_corrupt, a_truncated_data_file_is_refused_before_any_read)
{
    /* 600 queued updates in many commits, an ack in between: pages of
     * every kind anywhere in the file. */
    char err[ERR_LEN];
    spool_update_t u[60];
    for (int b = 0; b < 10; b++) {
        fill(u, 60, 100 * b);
        cr_assert_eq(spool_append(sp, u, 60, NULL, NULL, err), ERR_OK, "%s",
                     err);
    }
    cr_assert_eq(spool_ack(sp, 100, NULL, 0, err), ERR_OK, "%s", err);
    spool_close(&sp);
    char path[400];
    snprintf(path, sizeof path, "%s/data.mdb", sd);
    off_t size = file_size(path);
    cr_assert_gt(size, 20 * 4096, "too few pages: %lld", (long long)size);
    const off_t cuts[] = {size / 2, size / 10 * 9, size - 1000,
                          size - 4096, 3 * 4096, 4096 + 1000};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char d[300];
        snprintf(d, sizeof d, "%s/cut%zu", dir, i);
        copy_cut(d, cuts[i]);
        expect_refused(d, ERR_CORRUPT, "truncated");
    }
    char d[300];
    snprintf(d, sizeof d, "%s/whole", dir);
    copy_cut(d, size);
    cr_assert_eq(spool_open(&sp, d, err), ERR_OK, "%s", err);
}

Test(spool_corrupt, a_missing_data_file_beside_its_lock_file_is_refused)
{
    spool_close(&sp);
    char path[400];
    snprintf(path, sizeof path, "%s/data.mdb", sd);
    cr_assert_eq(unlink(path), 0);
    expect_refused(sd, ERR_CORRUPT, "lock.mdb");
}

Test(spool_corrupt, an_environment_without_the_format_key_is_refused)
{
    char d[300];
    snprintf(d, sizeof d, "%s/other", dir);
    cr_assert_eq(mkdir(d, 0750), 0);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, d, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi), 0);
    MDB_val k = {11, (void *)(uintptr_t)"next_assign"};
    MDB_val v = {8, (void *)(uintptr_t)"\0\0\0\0\0\0\0\7"};
    cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    MDB_envinfo before;
    cr_assert_eq(mdb_env_info(env, &before), 0);
    mdb_env_close(env);
    expect_refused(d, ERR_CORRUPT, "not an hrss spool");
    MDB_envinfo after;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_open(env, d, MDB_NOTLS | MDB_RDONLY, 0640), 0);
    cr_assert_eq(mdb_env_info(env, &after), 0);
    mdb_env_close(env);
    cr_expect_eq(after.me_last_txnid, before.me_last_txnid,
                 "the refused open wrote");
}

/* A new spool where there was none: no directory, an empty one, one with
 * only the notify file. */
Test(spool_corrupt, a_new_spool_only_where_there_was_none)
{
    char err[ERR_LEN];
    char d[300];
    char path[400];
    spool_t *s = NULL;
    snprintf(d, sizeof d, "%s/new", dir);
    cr_expect_eq(spool_open(&s, d, err), ERR_OK, "%s", err);
    spool_close(&s);
    snprintf(d, sizeof d, "%s/empty", dir);
    cr_assert_eq(mkdir(d, 0750), 0);
    cr_expect_eq(spool_open(&s, d, err), ERR_OK, "%s", err);
    spool_close(&s);
    snprintf(d, sizeof d, "%s/notified", dir);
    cr_assert_eq(mkdir(d, 0750), 0);
    snprintf(path, sizeof path, "%s/%s", d, SPOOL_NOTIFY_FILE);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_expect_eq(spool_open(&s, d, err), ERR_OK, "%s", err);
    spool_close(&s);
}

/* A damaged key sorts elsewhere: seq 3 is not where it belongs. Reading
 * from 3 used to hand out 4.. instead, the collector answered "gap, send
 * 3", and the agent sent one-update batches in a tight loop. */
Test(spool_corrupt, a_missing_seq_is_damage_not_a_gap)
{
    char err[ERR_LEN];
    spool_close(&sp);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, sd, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "queue", 0, &dbi), 0);
    buf_t k;
    buf_init(&k);
    key_seq(&k, 3);
    MDB_val kv = {k.len, k.data};
    MDB_val dv;
    cr_assert_eq(mdb_get(txn, dbi, &kv, &dv), 0);
    buf_t v;
    buf_init(&v);
    buf_put(&v, dv.mv_data, dv.mv_size);
    cr_assert_eq(mdb_del(txn, dbi, &kv, NULL), 0);
    key_seq(&k, 3 | (1ull << 40)); /* one flipped bit */
    kv = (MDB_val){k.len, k.data};
    dv = (MDB_val){v.len, v.data};
    cr_assert_eq(mdb_put(txn, dbi, &kv, &dv, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);

    spool_update_t out[8];
    size_t n = 99;
    cr_expect_eq(spool_read(sp, 2, out, 8, &n, err), ERR_OK, "%s", err);
    cr_expect_eq(n, 1, "2, then the hole");
    n = 99;
    cr_expect_eq(spool_read(sp, 3, out, 8, &n, err), ERR_CORRUPT,
                 "read from the missing seq: %zu updates", n);
    cr_expect_eq(n, 0);
    char want[ERR_LEN];
    snprintf(want, sizeof want, "spool %s/data.mdb: table queue, seq 3: no "
                                "record (a damaged key or index page): "
                                "updates 3..5 cannot be sent", sd);
    cr_expect_str_eq(err, want);
    /* Past the queue, the moved record is no update to send. */
    n = 99;
    cr_expect_eq(spool_read(sp, 6, out, 8, &n, err), ERR_CORRUPT);
    cr_expect_eq(n, 0);
    cr_expect(strstr(err, "table queue, seq 1099511627779: beyond the last "
                          "assigned seq 5") != NULL, "%s", err);
    buf_fini(&k);
    buf_fini(&v);
}
