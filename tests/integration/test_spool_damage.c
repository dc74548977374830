/* test_spool_damage.c: a damaged spool with the real hrss-agent (issue 9,
 * "reliability"). `hrss-agent check` says sound (exit 0) or lists the
 * damage, one line per problem naming the file, the table and the key
 * (exit 1); flush and status say what cannot be sent instead of "nothing
 * is lost". And the finding that started it: of 120 single-byte flips of
 * a spool's data.mdb, 25 were delivered as a wrong value or a record the
 * collector refused while `flush` exited 0. Now every flip is harmless
 * (the queue reads back identical) or reported (check exits 1 naming the
 * file, and a read fails naming the file and the seq, or the open refuses
 * the file naming it): never a different value read as good. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/spool.h"
#include "harness.h"

TestSuite(spool_damage, .init = hx_setup, .fini = hx_teardown,
          .timeout = 240);

static int agent(const char *state, const char *c1, const char *c2,
                 char *out, size_t len)
{
    const char *argv[] = {"hrss-agent", "--state-dir", state, "--catalog",
                          HRSS_TEST_CATALOG_DIR, "--region", "330100",
                          "--collector", "tcp://127.0.0.1:1", "--insecure",
                          c1, c2, NULL};
    return hx_run(argv, 60000, out, len);
}

/* A spool of @p n updates under @p state, queued by three submits (a
 * file of n - 1 rows, then one figure, so that the file also holds the
 * stale pages of earlier commits). */
static void make_spool(const char *state, int n)
{
    static char out[8192];
    char path[400];
    snprintf(path, sizeof path, "%s/figures.csv", hx_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    /* Each cell once (a file may give a cell only once): 48 months of
     * 2021..2024 in one county, then the next county. */
    static const int county[] = {330102, 330105, 330106, 330108,
                                 330109, 330110, 330111, 330112};
    fputs("indicator,period,value,region\n", f);
    for (int i = 0; i < n - 1; i++) {
        fprintf(f, "urban_new_jobs,%d-%02d,%d,%d\n", 2021 + i / 12 % 4,
                i % 12 + 1, 1000 + 37 * i, county[i / 48 % 8]);
    }
    fclose(f);
    cr_assert_eq(agent(state, "submit", path, out, sizeof out), 0, "%s", out);
    const char *one[] = {"hrss-agent", "--state-dir", state, "--catalog",
                         HRSS_TEST_CATALOG_DIR, "--region", "330100",
                         "submit", "--indicator", "urban_new_jobs",
                         "--period", "2024-12", "--value", "424242", NULL};
    cr_assert_eq(hx_run(one, 60000, out, sizeof out), 0, "%s", out);
}

/* Every queued update of the spool in @p spool_dir, read as the sender
 * reads them (batches from acked_next), into @p out (at most @p max).
 * @return how many, or -1 with @p err set when a read failed. */
static int read_queue(const char *spool_dir, spool_update_t *out, size_t max,
                      char err[ERR_LEN])
{
    spool_t *sp = NULL;
    spool_stats_t st;
    size_t total = 0;
    size_t n = 0;
    int rc = spool_open_readonly(&sp, spool_dir, err);
    if (rc == ERR_OK) {
        rc = spool_stats(sp, &st, err);
    }
    while (rc == ERR_OK && total < max) {
        rc = spool_read(sp, st.acked_next + total, out + total,
                        max - total < 100 ? max - total : 100, &n, err);
        if (rc != ERR_OK || n == 0) {
            break;
        }
        total += n;
    }
    spool_close(&sp);
    return rc == ERR_OK ? (int)total : -1;
}

/* ------------------------------------------------------ check: sound */

static int count_lines(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

Test(spool_damage, check_of_a_sound_spool_exits_0)
{
    static char out[16384];
    char state[300];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    make_spool(state, 40);
    int st = agent(state, "check", NULL, out, sizeof out);
    cr_expect_eq(st, 0, "%s", out);
    char want[400];
    snprintf(want, sizeof want, "spool %s/spool/data.mdb: sound; format 2, "
                                "40 queued", state);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    cr_expect_eq(count_lines(out, "\n"), 1, "%s", out);
    st = agent(state, "check", "--json", out, sizeof out);
    cr_expect_eq(st, 0, "%s", out);
    cr_expect(strstr(out, "\"sound\": true") != NULL &&
                  strstr(out, "\"queue\": 40") != NULL &&
                  strstr(out, "\"problems\": []") != NULL, "%s", out);
    const char *bad[] = {"hrss-agent", "--state-dir", state, "check",
                         "--frobnicate", NULL};
    cr_expect_eq(hx_run(bad, 30000, out, sizeof out), 64, "%s", out);
}

/* The offset in data.mdb of @p p, a pointer into LMDB's map (a page
 * begins with its own number: LMDB's page header). */
static size_t file_offset(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    uintptr_t page = a & ~(uintptr_t)4095;
    size_t pgno;
    memcpy(&pgno, (const void *)page, sizeof pgno);
    return pgno * 4096 + (size_t)(a - page);
}

/* Flip one bit in the middle of the stored record of queue seq @p seq. */
static void damage_record(const char *spool_dir, uint64_t seq)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    unsigned char key[9] = {0x01};
    for (int i = 0; i < 8; i++) {
        key[1 + i] = (unsigned char)(seq >> (56 - 8 * i));
    }
    MDB_val kv = {sizeof key, key};
    MDB_val dv;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, spool_dir, MDB_RDONLY | MDB_NOTLS, 0640),
                 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "queue", 0, &dbi), 0);
    cr_assert_eq(mdb_get(txn, dbi, &kv, &dv), 0);
    size_t off = file_offset(dv.mv_data) + dv.mv_size / 2;
    mdb_txn_abort(txn);
    mdb_env_close(env);
    char path[400];
    snprintf(path, sizeof path, "%s/data.mdb", spool_dir);
    int fd = open(path, O_RDWR);
    cr_assert(fd >= 0);
    unsigned char b;
    cr_assert_eq(pread(fd, &b, 1, (off_t)off), 1);
    b ^= 0x08;
    cr_assert_eq(pwrite(fd, &b, 1, (off_t)off), 1);
    close(fd);
}

Test(spool_damage, check_of_a_damaged_spool_exits_1_naming_the_record)
{
    static char out[16384];
    char state[300];
    char spool[400];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    snprintf(spool, sizeof spool, "%s/spool", state);
    make_spool(state, 40);
    damage_record(spool, 17);
    int st = agent(state, "check", NULL, out, sizeof out);
    cr_expect_eq(st, 1, "%s", out);
    char want[500];
    snprintf(want, sizeof want, "spool %s/data.mdb: table queue, seq 17: "
                                "checksum mismatch\n", spool);
    cr_expect(strncmp(out, want, strlen(want)) == 0, "%s", out);
    cr_expect(strstr(out, ": DAMAGED: 1 problem;") != NULL, "%s", out);
    st = agent(state, "check", "--json", out, sizeof out);
    cr_expect_eq(st, 1, "%s", out);
    cr_expect(strstr(out, "\"sound\": false") != NULL &&
                  strstr(out, "\"key\": \"seq 17\"") != NULL &&
                  strstr(out, "\"what\": \"checksum mismatch\"") != NULL,
              "%s", out);

    /* status names it; flush, with no collector to reach, does not say
     * that nothing is lost. */
    st = agent(state, "status", NULL, out, sizeof out);
    cr_expect_eq(st, 0, "%s", out);
    st = agent(state, "flush", "--timeout=1", out, sizeof out);
    cr_expect_eq(st, 69, "%s", out);
    cr_expect(strstr(out, "nothing is lost") == NULL, "%s", out);
    snprintf(want, sizeof want, "but spool %s/data.mdb: table queue, seq 17: "
                                "checksum mismatch", spool);
    cr_expect(strstr(out, want) != NULL, "%s", out);
}

/* The first queued record damaged: status cannot show the queue and says
 * which record, and where to look. */
Test(spool_damage, status_names_a_damaged_first_record)
{
    static char out[16384];
    char state[300];
    char spool[400];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    snprintf(spool, sizeof spool, "%s/spool", state);
    make_spool(state, 5);
    damage_record(spool, 1);
    int st = agent(state, "status", NULL, out, sizeof out);
    cr_expect_eq(st, 1, "%s", out);
    char want[500];
    snprintf(want, sizeof want, "spool %s/data.mdb: table queue, seq 1: "
                                "checksum mismatch", spool);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    cr_expect(strstr(out, "hrss-agent check") != NULL, "%s", out);
}

/* A node offset of the page of queue seq 1 pointed 64 KiB past the page:
 * past the end of this small file, where LMDB, which trusts its pages,
 * reads it and dies (SIGBUS; under ASan, its report). check walks in a
 * child process and reports that as damage where the walk was. */
Test(spool_damage, check_survives_a_page_that_crashes_lmdb)
{
    static char out[16384];
    char state[300];
    char spool[400];
    char path[500];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    snprintf(spool, sizeof spool, "%s/spool", state);
    make_spool(state, 5);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    unsigned char key[9] = {0x01, 0, 0, 0, 0, 0, 0, 0, 1};
    MDB_val kv = {sizeof key, key};
    MDB_val dv;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    cr_assert_eq(mdb_env_open(env, spool, MDB_RDONLY | MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "queue", 0, &dbi), 0);
    cr_assert_eq(mdb_get(txn, dbi, &kv, &dv), 0);
    size_t page = file_offset(dv.mv_data) / 4096 * 4096;
    mdb_txn_abort(txn);
    mdb_env_close(env);
    struct stat sb;
    snprintf(path, sizeof path, "%s/data.mdb", spool);
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_lt(sb.st_size, (off_t)page + 65000, "the file is too long");
    int fd = open(path, O_RDWR);
    cr_assert(fd >= 0);
    unsigned char ptr[2] = {0xf0, 0xff}; /* mp_ptrs[0], after the header */
    cr_assert_eq(pwrite(fd, ptr, 2, (off_t)page + 16), 2);
    close(fd);

    int st = agent(state, "check", NULL, out, sizeof out);
    cr_expect_eq(st, 1, "%s", out);
    char want[600];
    snprintf(want, sizeof want, "spool %s: table queue", path);
    cr_expect(strstr(out, want) != NULL &&
                  strstr(out, "the walk crashed") != NULL &&
                  strstr(out, "DAMAGED") != NULL, "%s", out);
}

typedef struct run_env {
    const char *state;
} run_env_t;

static int check_sound(void *arg)
{
    static char out[16384];
    const run_env_t *r = arg;
    return agent(r->state, "check", NULL, out, sizeof out) == 0;
}

/* check opens the spool read-only: beside a running agent (here one
 * whose collector does not answer) it reads a sound spool. */
Test(spool_damage, check_works_beside_a_running_agent)
{
    char state[300];
    char log[300];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    snprintf(log, sizeof log, "%s/agent.log", hx_dir);
    make_spool(state, 20);
    const char *run[] = {"hrss-agent", "--state-dir", state, "--catalog",
                         HRSS_TEST_CATALOG_DIR, "--region", "330100",
                         "--collector", "tcp://127.0.0.1:1", "--insecure",
                         "run", NULL};
    pid_t pid = hx_spawn(log, run);
    run_env_t r = {state};
    cr_expect(hx_wait_until(check_sound, &r, 20000), "check failed");
    cr_expect_eq(kill(pid, 0), 0, "the agent stopped");
}

/* ------------------------------------------------- random byte flips */

#define FLIP_UPDATES 300
#define FLIP_DEFAULT 80

/* What reading the queue of a damaged copy gave, in a child process
 * (LMDB may read outside its map on a damaged page). */
enum read_result {
    READ_SAME = 0,     /* every update, identical */
    READ_REFUSED = 1,  /* an error naming the file */
    READ_OTHER = 2,    /* a different update, read as good */
    READ_FEWER = 3,    /* fewer updates, without an error */
    READ_UNNAMED = 4,  /* an error that does not name the file */
};

static int read_copy(const char *spool_dir, const spool_update_t *want,
                     size_t nwant)
{
    static spool_update_t got[FLIP_UPDATES + 10];
    char err[ERR_LEN] = "";
    char file[400];
    snprintf(file, sizeof file, "%.380s/data.mdb", spool_dir);
    int n = read_queue(spool_dir, got, FLIP_UPDATES + 10, err);
    if (n < 0) {
        fprintf(stderr, "read: %s\n", err);
        return strstr(err, file) != NULL ? READ_REFUSED : READ_UNNAMED;
    }
    for (int i = 0; i < n; i++) {
        const spool_update_t *a = &got[i];
        const spool_update_t *b = (size_t)i < nwant ? &want[i] : NULL;
        if (b == NULL || a->seq != b->seq ||
            strcmp(a->indicator, b->indicator) != 0 ||
            a->region != b->region || a->yyyymm != b->yyyymm ||
            a->is_ratio != b->is_ratio || a->num != b->num ||
            a->den != b->den || a->submitted_at != b->submitted_at) {
            fprintf(stderr, "read: seq %llu differs\n",
                    (unsigned long long)a->seq);
            return READ_OTHER;
        }
    }
    return (size_t)n == nwant ? READ_SAME : READ_FEWER;
}

/* read_copy() in a child. @return its result, or 100 + signal. */
static int read_copy_isolated(const char *spool_dir,
                              const spool_update_t *want, size_t nwant)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        _exit(read_copy(spool_dir, want, nwant));
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void copy_file(const char *from, const char *to)
{
    static char buf[1 << 16];
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    cr_assert(in != NULL && out != NULL, "%s -> %s", from, to);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    }
    fclose(in);
    cr_assert_eq(fclose(out), 0);
}

/* A fresh copy of @p spool's data.mdb as @p state/spool/data.mdb with
 * byte @p off changed by @p mask. */
static void flipped_copy(const char *spool, const char *state, long off,
                         unsigned char mask)
{
    char from[400];
    char to[400];
    snprintf(to, sizeof to, "%s", state);
    cr_assert_eq(mkdir(to, 0750), 0, "%s", to);
    snprintf(to, sizeof to, "%s/spool", state);
    cr_assert_eq(mkdir(to, 0750), 0, "%s", to);
    snprintf(from, sizeof from, "%.380s/data.mdb", spool);
    snprintf(to, sizeof to, "%s/spool/data.mdb", state);
    copy_file(from, to);
    int fd = open(to, O_RDWR);
    cr_assert(fd >= 0);
    unsigned char b;
    cr_assert_eq(pread(fd, &b, 1, off), 1);
    b ^= mask;
    cr_assert_eq(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

typedef struct tally {
    int flips, harmless, reported, refused, crashed_reads;
} tally_t;

/* Byte @p off of a copy changed by @p mask: check, then read; the two
 * must agree (see the top). */
static void flip_at(const char *spool, const spool_update_t *want,
                    size_t nwant, long off, unsigned char mask, int k,
                    tally_t *t)
{
    static char out[65536];
    char state[300];
    char file[400];
    snprintf(state, sizeof state, "%s/flip%d", hx_dir, k);
    snprintf(file, sizeof file, "%s/spool/data.mdb", state);
    flipped_copy(spool, state, off, mask);
    const char *argv[] = {"hrss-agent", "--state-dir", state, "check", NULL};
    int st = hx_run(argv, 60000, out, sizeof out);
    char sd[400];
    snprintf(sd, sizeof sd, "%s/spool", state);
    int rd = read_copy_isolated(sd, want, nwant);
    cr_log_info("flip %d: byte %ld ^ 0x%02x: check %d, read %d", k, off,
                mask, st, rd);
    cr_assert(st == 0 || st == 1, "flip %d (byte %ld ^ 0x%02x): check "
              "ended %d: %s", k, off, mask, st, out);
    cr_assert(st == 0 || strstr(out, file) != NULL,
              "flip %d: check's output names no file: %s", k, out);
    cr_assert(rd != READ_OTHER && rd != READ_UNNAMED,
              "flip %d (byte %ld ^ 0x%02x): read %d: check %d: %s", k, off,
              mask, rd, st, out);
    cr_assert(rd == READ_SAME || st == 1,
              "flip %d (byte %ld ^ 0x%02x): the queue does not read back "
              "(%d) but check found nothing: %s", k, off, mask, rd, out);
    t->flips++;
    t->harmless += rd == READ_SAME && st == 0;
    t->reported += st == 1;
    t->refused += rd == READ_REFUSED;
    t->crashed_reads += rd >= 100;
}

static void one_flip(const char *spool, const spool_update_t *want,
                     size_t nwant, long size, unsigned *seed, int k,
                     tally_t *t)
{
    long off = (long)((unsigned)rand_r(seed) % (unsigned)size);
    unsigned char mask = (unsigned char)(1 + (unsigned)rand_r(seed) % 255);
    flip_at(spool, want, nwant, off, mask, k, t);
}

/* Flips that random runs found, kept so that they stay fixed. */
Test(spool_damage, flips_found_before_are_reported)
{
    static const struct {
        long off;
        unsigned char mask;
    } found[] = {
        /* the queue's table record: mdb_stat() hides the failed read of
         * its root, the next read is MDB_BAD_TXN, and spool_stats()
         * said "cannot read spool state" without the file (CI, 2026-11) */
        {12223, 0x98},
        /* the older meta page's transaction id made the newest: LMDB
         * opened the previous commit, one update short, and check said
         * "sound" (CI, 2026-11) */
        {144, 0xaf},
        /* a branch page's key: a seek for seq 225 lands past 225 and 226,
         * which check finds unreachable (HRSS_TEST_SEED=6, flip 974) */
        {16316, 0xbb},
    };
    char state[300];
    char spool[400];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    snprintf(spool, sizeof spool, "%s/spool", state);
    make_spool(state, FLIP_UPDATES);
    static spool_update_t want[FLIP_UPDATES + 10];
    char err[ERR_LEN];
    int nwant = read_queue(spool, want, FLIP_UPDATES + 10, err);
    cr_assert_eq(nwant, FLIP_UPDATES, "%s", err);
    tally_t t;
    memset(&t, 0, sizeof t);
    for (size_t k = 0; k < sizeof found / sizeof found[0]; k++) {
        flip_at(spool, want, (size_t)nwant, found[k].off, found[k].mask,
                (int)k, &t);
    }
    cr_expect_eq(t.flips, (int)(sizeof found / sizeof found[0]));
}

Test(spool_damage, no_flipped_byte_is_read_as_a_good_value)
{
    char state[300];
    char spool[400];
    char path[500];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    snprintf(spool, sizeof spool, "%s/spool", state);
    make_spool(state, FLIP_UPDATES);
    static spool_update_t want[FLIP_UPDATES + 10];
    char err[ERR_LEN];
    int nwant = read_queue(spool, want, FLIP_UPDATES + 10, err);
    cr_assert_eq(nwant, FLIP_UPDATES, "%s", err);
    struct stat sb;
    snprintf(path, sizeof path, "%s/data.mdb", spool);
    cr_assert_eq(stat(path, &sb), 0);

    const char *env = getenv("HRSS_TEST_SEED");
    unsigned seed = env != NULL ? (unsigned)strtoul(env, NULL, 10)
                                : (unsigned)hx_now_ms();
    const char *m = getenv("HRSS_TEST_FLIPS");
    int flips = m != NULL ? atoi(m) : FLIP_DEFAULT;
    cr_log_info("flip seed %u (HRSS_TEST_SEED), %d flips of %lld bytes",
                seed, flips, (long long)sb.st_size);
    tally_t t;
    memset(&t, 0, sizeof t);
    for (int k = 0; k < flips; k++) {
        one_flip(spool, want, (size_t)nwant, (long)sb.st_size, &seed, k, &t);
    }
    cr_log_info("%d flips: %d harmless, %d reported by check (%d refused "
                "by a read, %d reads crashed)", t.flips, t.harmless,
                t.reported, t.refused, t.crashed_reads);
}
