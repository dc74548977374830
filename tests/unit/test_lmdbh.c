/* test_lmdbh.c: the LMDB helpers shared by store and spool
 * (common/lmdbh): code translation, error text, meta integers of either
 * width, named databases, lookups, id keys and the next id. */
#define _XOPEN_SOURCE 700 /* nftw */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/lmdbh.h"

static char dir[256];
static MDB_env *env;
static MDB_txn *txn;
static MDB_dbi meta;
static MDB_dbi ids;

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
    char err[ERR_LEN];
    snprintf(dir, sizeof dir, "/tmp/hrss-lmdbh-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    lmdbh_env_opts_t o = {"test", 4, (size_t)1 << 20, 0};
    int created = 0;
    cr_assert_eq(lmdbh_env_open(&env, dir, &o, &created, err), ERR_OK, "%s",
                 err);
    cr_assert_eq(created, 1, "an empty directory holds a new environment");
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), MDB_SUCCESS);
    const lmdbh_db_t dbs[] = {{"meta", &meta}, {"ids", &ids}};
    cr_assert_eq(lmdbh_open_dbs(txn, dbs, 2, MDB_CREATE, err), ERR_OK, "%s",
                 err);
}

static void teardown(void)
{
    if (txn != NULL) {
        mdb_txn_abort(txn);
        txn = NULL;
    }
    if (env != NULL) {
        mdb_env_close(env);
        env = NULL;
    }
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(lmdbh, .init = setup, .fini = teardown, .timeout = 30);

Test(lmdbh, codes_translate_and_only_success_is_ok)
{
    cr_expect_eq(lmdbh_code(MDB_SUCCESS), ERR_OK);
    cr_expect_eq(lmdbh_code(MDB_NOTFOUND), ERR_NOTFOUND);
    cr_expect_eq(lmdbh_code(MDB_MAP_FULL), ERR_FULL);
    cr_expect_eq(lmdbh_code(MDB_VERSION_MISMATCH), ERR_VERSION);
    cr_expect_eq(lmdbh_code(MDB_INVALID), ERR_VERSION);
    cr_expect_eq(lmdbh_code(MDB_CORRUPTED), ERR_CORRUPT);
    cr_expect_eq(lmdbh_code(MDB_PAGE_NOTFOUND), ERR_CORRUPT);
    cr_expect_eq(lmdbh_code(ENOMEM), ERR_NOMEM);
    cr_expect_eq(lmdbh_code(EIO), ERR_IO);
    cr_expect_eq(lmdbh_code(MDB_READERS_FULL), ERR_IO);
}

Test(lmdbh, fail_says_what_and_why)
{
    char err[ERR_LEN];
    cr_expect_eq(lmdbh_fail(MDB_MAP_FULL, "cannot commit", err), ERR_FULL);
    cr_expect(strncmp(err, "cannot commit: ", 15) == 0, "%s", err);
    cr_expect(strstr(err, mdb_strerror(MDB_MAP_FULL)) != NULL, "%s", err);
}

/* A full disk used to read "Input/output error" or only the system's
 * words; operators search logs for "disk full". */
Test(lmdbh, a_full_disk_says_disk_full)
{
    char err[ERR_LEN];
    cr_expect_eq(lmdbh_fail(ENOSPC, "commit", err), ERR_IO);
    cr_expect_str_eq(err, "commit: disk full (No space left on device)");
    cr_expect_eq(lmdbh_fail(EDQUOT, "commit", err), ERR_IO);
    cr_expect(strstr(err, "commit: disk full (") == err, "%s", err);
    cr_expect_eq(lmdbh_fail(EIO, "commit", err), ERR_IO);
    cr_expect_str_eq(err, "commit: Input/output error");
}

Test(lmdbh, meta_reads_u32_and_u64_and_absent)
{
    uint64_t v = 0;
    int found = -1;
    cr_assert_eq(lmdbh_meta_put(txn, meta, "small", 7, 4), ERR_OK);
    cr_assert_eq(lmdbh_meta_put(txn, meta, "big", 0x1122334455667788ull, 8),
                 ERR_OK);
    cr_assert_eq(lmdbh_meta_get(txn, meta, "small", 0, &v, &found), ERR_OK);
    cr_expect_eq(v, 7);
    cr_expect_eq(found, 1);
    cr_assert_eq(lmdbh_meta_get(txn, meta, "big", 0, &v, &found), ERR_OK);
    cr_expect_eq(v, 0x1122334455667788ull);
    cr_assert_eq(lmdbh_meta_get(txn, meta, "none", 99, &v, &found), ERR_OK);
    cr_expect_eq(v, 99, "the default when absent");
    cr_expect_eq(found, 0);
    cr_assert_eq(lmdbh_meta_get(txn, meta, "none", 5, &v, NULL), ERR_OK);
    cr_expect_eq(v, 5);

    /* The widths on disk: 4 and 8 big-endian bytes. */
    MDB_val k = {5, "small"};
    MDB_val d;
    cr_assert_eq(mdb_get(txn, meta, &k, &d), MDB_SUCCESS);
    cr_expect_eq(d.mv_size, 4);
    cr_expect_eq(((unsigned char *)d.mv_data)[3], 7);
}

Test(lmdbh, meta_of_another_size_is_corrupt)
{
    MDB_val k = {3, "odd"};
    MDB_val d = {5, "abcde"};
    cr_assert_eq(mdb_put(txn, meta, &k, &d, 0), MDB_SUCCESS);
    uint64_t v = 0;
    int found = 0;
    cr_expect_eq(lmdbh_meta_get(txn, meta, "odd", 0, &v, &found),
                 ERR_CORRUPT);
    cr_expect_eq(found, 0);
    d.mv_size = 0;
    cr_assert_eq(mdb_put(txn, meta, &k, &d, 0), MDB_SUCCESS);
    cr_expect_eq(lmdbh_meta_get(txn, meta, "odd", 0, &v, &found),
                 ERR_CORRUPT);
}

Test(lmdbh, get_tells_absent_from_failure)
{
    MDB_val k = {1, "k"};
    MDB_val d = {2, "v1"};
    MDB_val out;
    int found = -1;
    cr_assert_eq(lmdbh_get(txn, meta, &k, &out, &found), ERR_OK);
    cr_expect_eq(found, 0);
    cr_assert_eq(mdb_put(txn, meta, &k, &d, 0), MDB_SUCCESS);
    cr_assert_eq(lmdbh_get(txn, meta, &k, &out, &found), ERR_OK);
    cr_expect_eq(found, 1);
    cr_expect_eq(out.mv_size, 2);
    cr_expect(memcmp(out.mv_data, "v1", 2) == 0);
}

Test(lmdbh, id_keys_sort_and_next_id_follows_the_last)
{
    uint64_t next = 0;
    cr_assert_eq(lmdbh_next_id(txn, ids, 0x01, &next), ERR_OK);
    cr_expect_eq(next, 1, "an empty table starts at 1");
    buf_t b;
    buf_init(&b);
    uint64_t put[] = {3, 256, 1};
    for (size_t i = 0; i < 3; i++) {
        lmdbh_id_key(&b, 0x01, put[i]);
        MDB_val k = lmdbh_val(&b);
        MDB_val d = {0, NULL};
        cr_assert_eq(mdb_put(txn, ids, &k, &d, 0), MDB_SUCCESS);
    }
    cr_assert_eq(lmdbh_next_id(txn, ids, 0x01, &next), ERR_OK);
    cr_expect_eq(next, 257, "big-endian keys sort numerically");

    lmdbh_id_key(&b, 0x01, 42);
    MDB_val k = lmdbh_val(&b);
    uint64_t id = 0;
    cr_expect_eq(lmdbh_id_parse(&k, 0x01, &id), ERR_OK);
    cr_expect_eq(id, 42);
    cr_expect_eq(lmdbh_id_parse(&k, 0x02, &id), ERR_CORRUPT);
    k.mv_size--;
    cr_expect_eq(lmdbh_id_parse(&k, 0x01, &id), ERR_CORRUPT);

    /* A last key of another shape is corrupt, not a crash. */
    MDB_val bad = {3, "\xff\xff\xff"};
    MDB_val d = {0, NULL};
    cr_assert_eq(mdb_put(txn, ids, &bad, &d, 0), MDB_SUCCESS);
    cr_expect_eq(lmdbh_next_id(txn, ids, 0x01, &next), ERR_CORRUPT);
    buf_fini(&b);
}

Test(lmdbh, open_dbs_without_create_reports_the_missing_one)
{
    char err[ERR_LEN];
    MDB_dbi x;
    const lmdbh_db_t dbs[] = {{"meta", &meta}, {"nosuch", &x}};
    cr_expect_eq(lmdbh_open_dbs(txn, dbs, 2, 0, err), ERR_NOTFOUND);
    cr_expect(strstr(err, "'nosuch'") != NULL, "%s", err);
}

Test(lmdbh, cursor_end_closes_and_keeps_the_first_failure)
{
    MDB_cursor *cur = NULL;
    cr_assert_eq(mdb_cursor_open(txn, meta, &cur), MDB_SUCCESS);
    cr_expect_eq(lmdbh_cursor_end(&cur, ERR_OK, MDB_NOTFOUND), ERR_OK);
    cr_expect_null(cur);
    cr_assert_eq(mdb_cursor_open(txn, meta, &cur), MDB_SUCCESS);
    cr_expect_eq(lmdbh_cursor_end(&cur, ERR_OK, MDB_CORRUPTED), ERR_CORRUPT);
    cr_expect_eq(lmdbh_cursor_end(&cur, ERR_CORRUPT, MDB_SUCCESS),
                 ERR_CORRUPT, "NULL cursor, failure kept");
}

Test(lmdbh, env_open_of_a_missing_directory_fails_clearly)
{
    char err[ERR_LEN];
    char missing[300];
    MDB_env *e = NULL;
    snprintf(missing, sizeof missing, "%s/none", dir);
    lmdbh_env_opts_t o = {"spool", 4, (size_t)1 << 20, 0};
    int created = 7;
    cr_expect_neq(lmdbh_env_open(&e, missing, &o, &created, err), ERR_OK);
    cr_expect_null(e, "untouched on failure");
    cr_expect_eq(created, 7, "untouched on failure");
    cr_expect(strstr(err, "cannot open spool") != NULL, "%s", err);
}

/* Only an environment made now, or one in which nothing was ever
 * committed, is new: the caller may then take absent metadata for a new
 * store. */
Test(lmdbh, env_open_says_whether_the_environment_is_new)
{
    char err[ERR_LEN];
    lmdbh_env_opts_t o = {"test", 4, (size_t)1 << 20, 0};
    MDB_env *e = NULL;
    int created = 7;
    /* setup() made it and has not committed yet: still new. */
    mdb_txn_abort(txn);
    txn = NULL;
    mdb_env_close(env);
    env = NULL;
    cr_assert_eq(lmdbh_env_open(&e, dir, &o, &created, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(created, 1);
    MDB_txn *t = NULL;
    cr_assert_eq(mdb_txn_begin(e, NULL, 0, &t), MDB_SUCCESS);
    cr_assert_eq(lmdbh_open_dbs(t, (lmdbh_db_t[]){{"meta", &meta}}, 1,
                                MDB_CREATE, err),
                 ERR_OK, "%s", err);
    cr_assert_eq(mdb_txn_commit(t), MDB_SUCCESS);
    mdb_env_close(e);
    e = NULL;
    created = 7;
    cr_assert_eq(lmdbh_env_open(&e, dir, &o, &created, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(created, 0, "a committed environment is not new");
    mdb_env_close(e);
    o.readonly = 1;
    created = 7;
    cr_assert_eq(lmdbh_env_open(&e, dir, &o, &created, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(created, 0);
    mdb_env_close(e);
}

/* Two processes opening one new environment at the same moment (an
 * agent's `run` and a `submit`): the second used to find the empty
 * data.mdb the first had just made, before LMDB wrote its meta pages, and
 * refuse it as a file cut to nothing. */
Test(lmdbh, simultaneous_first_opens_of_a_new_environment_all_succeed)
{
    lmdbh_env_opts_t o = {"spool", 4, (size_t)1 << 20, 0};
    for (int round = 0; round < 40; round++) {
        char fresh[300];
        snprintf(fresh, sizeof fresh, "%s/new-%d", dir, round);
        cr_assert_eq(mkdir(fresh, 0750), 0);
        int go[2];
        cr_assert_eq(pipe(go), 0);
        pid_t kids[4];
        for (int k = 0; k < 4; k++) {
            kids[k] = fork();
            cr_assert_neq(kids[k], -1);
            if (kids[k] == 0) {
                char c;
                close(go[1]);
                if (read(go[0], &c, 1) != 0) {
                    _exit(3);
                }
                char err[ERR_LEN];
                MDB_env *e = NULL;
                int created = 0;
                int rc = lmdbh_env_open(&e, fresh, &o, &created, err);
                if (rc != ERR_OK) {
                    fprintf(stderr, "open %d: %s\n", k, err);
                    _exit(1);
                }
                mdb_env_close(e);
                _exit(0);
            }
        }
        close(go[0]);
        close(go[1]); /* every child reads EOF: go */
        for (int k = 0; k < 4; k++) {
            int st = 0;
            cr_assert_eq(waitpid(kids[k], &st, 0), kids[k]);
            cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "round %d: opener %d failed (status %d)", round, k, st);
        }
    }
}

/* A seal covers the key and every byte of the value: unseal gives the
 * record back, and refuses any flipped bit, another key, or a cut value. */
Test(lmdbh, seal_covers_key_and_value)
{
    buf_t v;
    buf_init(&v);
    buf_put_str(&v, "E01");
    buf_put_u64(&v, 1001615);
    size_t len = v.len;
    char kb[] = "\x01key\x00\x01\x02";
    MDB_val k = {sizeof kb - 1, kb};
    lmdbh_seal(&v, &k);
    cr_assert_eq(v.len, len + LMDBH_SEAL_LEN);
    MDB_val d = {v.len, v.data};
    cr_assert_eq(lmdbh_unseal(&k, &d), ERR_OK);
    cr_assert_eq(d.mv_size, len, "the seal is cut off");
    for (size_t bit = 0; bit < v.len * 8; bit++) {
        v.data[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        MDB_val f = {v.len, v.data};
        cr_assert_eq(lmdbh_unseal(&k, &f), ERR_CORRUPT, "value bit %zu", bit);
        cr_assert_eq(f.mv_size, v.len, "untouched on failure");
        v.data[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
    for (size_t bit = 0; bit < k.mv_size * 8; bit++) {
        kb[bit / 8] ^= (char)(1u << (bit % 8));
        MDB_val f = {v.len, v.data};
        cr_assert_eq(lmdbh_unseal(&k, &f), ERR_CORRUPT, "key bit %zu", bit);
        kb[bit / 8] ^= (char)(1u << (bit % 8));
    }
    MDB_val cut = {v.len - 1, v.data};
    cr_assert_eq(lmdbh_unseal(&k, &cut), ERR_CORRUPT);
    MDB_val tiny = {LMDBH_SEAL_LEN - 1, v.data};
    cr_assert_eq(lmdbh_unseal(&k, &tiny), ERR_CORRUPT);
    /* An empty record seals to the checksum of its key alone. */
    buf_reset(&v);
    lmdbh_seal(&v, &k);
    MDB_val e = {v.len, v.data};
    cr_assert_eq(lmdbh_unseal(&k, &e), ERR_OK);
    cr_assert_eq(e.mv_size, 0u);
    buf_fini(&v);
}

Test(lmdbh, key_text_is_printable_and_bounded)
{
    char out[32];
    MDB_val k = {9, "\x01" "E01\x00\x00\x05\\z"};
    cr_assert_str_eq(lmdbh_key_text(&k, out, sizeof out),
                     "\\x01E01\\x00\\x00\\x05\\x5cz");
    char longk[100];
    memset(longk, 'a', sizeof longk);
    MDB_val l = {sizeof longk, longk};
    lmdbh_key_text(&l, out, sizeof out);
    cr_assert_eq(strlen(out), 31u);
    cr_assert_str_eq(out + 28, "...");
    MDB_val nk = {1, "\x80"};
    cr_assert_str_eq(lmdbh_key_text(&nk, out, 5), "...");
}

/* A flipped node flag (F_DUPDATA on a record of a plain table) makes
 * LMDB use a sub-cursor such a table never has: a write near address 0,
 * outside the map, from LMDB's own code. The guard says the file is
 * damaged and exits 1 instead of a crash (the random flips of
 * test_store_damage found it: hrssctl export died of SIGSEGV). */
Test(lmdbh, guard_turns_a_fault_in_lmdb_on_a_damaged_node_into_exit_1)
{
    static const char key[] = "hrss-guard-node-flag-test";
    MDB_val k = {sizeof key - 1, (void *)(uintptr_t)key};
    MDB_val v = {5, "value"};
    cr_assert_eq(mdb_put(txn, ids, &k, &v, 0), MDB_SUCCESS);
    cr_assert_eq(mdb_txn_commit(txn), MDB_SUCCESS);
    txn = NULL;
    mdb_env_close(env);
    env = NULL;
    /* The node header ends with flags:u16 ksize:u16 (little-endian on
     * this platform) right before the key's bytes. */
    char file[300];
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    FILE *f = fopen(file, "r+b");
    cr_assert_not_null(f);
    static unsigned char page[1 << 20];
    size_t n = fread(page, 1, sizeof page, f);
    unsigned char *at = memmem(page, n, key, sizeof key - 1);
    cr_assert_not_null(at, "the key is in the file");
    at[-4] |= 0x04; /* F_DUPDATA */
    cr_assert_eq(fseek(f, (long)(at - 4 - page), SEEK_SET), 0);
    cr_assert_eq(fwrite(at - 4, 1, 1, f), 1);
    cr_assert_eq(fclose(f), 0);

    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        MDB_env *e = NULL;
        MDB_txn *t = NULL;
        MDB_dbi d;
        MDB_val got;
        if (mdb_env_create(&e) || mdb_env_set_maxdbs(e, 4) ||
            mdb_env_open(e, dir, MDB_RDONLY, 0640)) {
            _exit(3);
        }
        lmdbh_guard(e, file);
        if (mdb_txn_begin(e, NULL, MDB_RDONLY, &t) ||
            mdb_dbi_open(t, "ids", 0, &d)) {
            _exit(4);
        }
        int rc = mdb_get(t, d, &k, &got);
        _exit(rc == MDB_SUCCESS ? 0 : 5);
    }
    close(fds[1]);
    char out[1024] = "";
    size_t len = 0;
    ssize_t r;
    while ((r = read(fds[0], out + len, sizeof out - 1 - len)) > 0) {
        len += (size_t)r;
    }
    out[len] = '\0';
    close(fds[0]);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1,
              "the reader ended with status 0x%x: %s", st, out);
    cr_expect(strstr(out, "is damaged") != NULL && strstr(out, file) != NULL,
              "%s", out);
}
