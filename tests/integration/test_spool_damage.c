/* test_spool_damage.c: a damaged spool with the real hrss-agent (issue 9,
 * "reliability"). `hrss-agent check` says sound (exit 0) or lists the
 * damage, one line per problem naming the file, the table and the key
 * (exit 1); flush and status say what cannot be sent instead of "nothing
 * is lost". */
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
    fputs("indicator,period,value,region\n", f);
    for (int i = 0; i < n - 1; i++) {
        fprintf(f, "urban_new_jobs,%d-%02d,%d,%d\n", 2021 + i / 12 % 4,
                i % 12 + 1, 1000 + 37 * i, i % 2 ? 330102 : 330105);
    }
    fclose(f);
    cr_assert_eq(agent(state, "submit", path, out, sizeof out), 0, "%s", out);
    const char *one[] = {"hrss-agent", "--state-dir", state, "--catalog",
                         HRSS_TEST_CATALOG_DIR, "--region", "330100",
                         "submit", "--indicator", "urban_new_jobs",
                         "--period", "2024-12", "--value", "424242", NULL};
    cr_assert_eq(hx_run(one, 60000, out, sizeof out), 0, "%s", out);
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
