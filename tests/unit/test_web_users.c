/* test_web_users.c: hrss-web's sign-in checks (admin/web_users.h
 * INVARIANT 3): argon2id verifications are rationed, so wrong passwords
 * cannot hold the server's one thread; a remembered pair is answered
 * while they are; a name not in the file costs what a known one does.
 *
 * The clock is the test's: "now" does not move unless the test moves it,
 * so the budget only refills when the test says so.
 *
 * INVARIANTS
 *   1. Every loop is bounded; every expectation is an exact outcome.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/web_users.h"

static char dir[256];
static char path[300];
static web_users_t *users;

static void setup(void)
{
    char err[ERR_LEN];
    snprintf(dir, sizeof dir, "/tmp/hrss-webusers-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/users", dir);
    char hash[256];
    cr_assert_eq(web_users_hash("s3cret pass", hash, sizeof hash), ERR_OK);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "# users\nalice:%s\n", hash);
    fclose(f);
    cr_assert_eq(chmod(path, 0600), 0);
    cr_assert_eq(web_users_load(&users, path, err), ERR_OK, "%s", err);
}

static void teardown(void)
{
    web_users_destroy(&users);
    unlink(path);
    rmdir(dir);
}

TestSuite(web_users, .init = setup, .fini = teardown, .timeout = 120);

/* Check @p user / @p pass at @p now until the budget is spent; @return
 * how many checks said 0 before the first WEB_USERS_BUSY (-1: never). */
static int until_busy(const char *user, const char *pass, double now)
{
    for (int i = 0; i < 1000; i++) {
        int r = web_users_check(users, user, pass, now);
        if (r == WEB_USERS_BUSY) {
            return i;
        }
        cr_assert_eq(r, 0, "check %d of %s said %d", i, user, r);
    }
    return -1;
}

Test(web_users, wrong_passwords_are_rationed_and_a_remembered_pair_is_not)
{
    cr_expect_eq(web_users_check(users, "alice", "s3cret pass", 100.0), 1);
    int n = until_busy("alice", "wrong", 100.0);
    cr_assert_gt(n, 0, "wrong passwords were never rationed (%d)", n);
    /* Spent: a remembered pair still passes at once... */
    cr_expect_eq(web_users_check(users, "alice", "s3cret pass", 100.0), 1);
    /* ... anything that needs a verification waits, named or not. */
    cr_expect_eq(web_users_check(users, "alice", "other", 100.0),
                 WEB_USERS_BUSY);
    cr_expect_eq(web_users_check(users, "bob", "x", 100.0), WEB_USERS_BUSY);
    /* Later the budget is back: a wrong password is checked (and
     * wrong) again. */
    cr_expect_eq(web_users_check(users, "alice", "wrong", 110.0), 0);
}

Test(web_users, a_name_not_in_the_file_costs_a_verification_too)
{
    /* Before, an unknown name answered at once: no budget was spent, and
     * how fast the answer came said which names exist. */
    int n = until_busy("mallory", "x", 200.0);
    cr_expect_gt(n, 0, "unknown names were never rationed (%d)", n);
    cr_expect_eq(web_users_check(users, "alice", "s3cret pass", 200.0),
                 WEB_USERS_BUSY);
    cr_expect_eq(web_users_check(users, "alice", "s3cret pass", 210.0), 1);
}
