/* test_screen.c: the width hrssctl fits its tables to (admin/screen.c):
 * COLUMNS first, then the terminal's own width, else none.
 *
 * The terminal is a pseudo-terminal the test opens and sizes itself
 * (TIOCSWINSZ on its master), so no real terminal and no tmux is needed.
 *
 * INVARIANTS
 *   1. Every descriptor a test opens is closed in that test.
 */
#define _XOPEN_SOURCE 600
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "admin/screen.h"

/* A pseudo-terminal @p cols wide: *master and the slave's descriptor. */
static int open_pty(unsigned short cols, int *master)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(*master, 0);
    cr_assert_eq(grantpt(*master), 0);
    cr_assert_eq(unlockpt(*master), 0);
    const char *name = ptsname(*master);
    cr_assert_not_null(name);
    int slave = open(name, O_RDWR | O_NOCTTY);
    cr_assert_geq(slave, 0);
    struct winsize ws = {.ws_row = 24, .ws_col = cols};
    cr_assert_eq(ioctl(*master, TIOCSWINSZ, &ws), 0);
    return slave;
}

/* A pipe has no width of its own: only COLUMNS gives it one. */
Test(screen, a_pipe_is_whole_unless_columns_says)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_expect_eq(screen_width(p[1], NULL), 0);
    cr_expect_eq(screen_width(p[1], "80"), 80);
    cr_expect_eq(screen_width(p[1], "120"), 120);
    cr_expect_eq(screen_width(p[1], "1"), 1);
    cr_expect_eq(screen_width(p[1], "10000"), 10000);
    close(p[0]);
    close(p[1]);
}

/* What is not a width is ignored, never an error. */
Test(screen, columns_that_is_not_a_width_is_ignored)
{
    static const char *const bad[] = {"",     "0",     "-80",  "+80",
                                      " 80",  "80 ",   "80x",  "abc",
                                      "1e2",  "10001", "99999999999999999999"};
    int p[2];
    cr_assert_eq(pipe(p), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(screen_width(p[1], bad[i]), 0, "COLUMNS='%s'", bad[i]);
    }
    close(p[0]);
    close(p[1]);
}

/* A terminal gives its width; COLUMNS, when a width, overrides it. */
Test(screen, a_terminal_gives_its_width_and_columns_overrides_it)
{
    int master = -1;
    int slave = open_pty(77, &master);
    cr_expect_eq(screen_width(slave, NULL), 77);
    cr_expect_eq(screen_width(slave, "junk"), 77);
    cr_expect_eq(screen_width(slave, "120"), 120);
    struct winsize ws = {.ws_row = 24, .ws_col = 0};
    cr_assert_eq(ioctl(master, TIOCSWINSZ, &ws), 0);
    cr_expect_eq(screen_width(slave, NULL), 0, "0 columns: no screen");
    close(slave);
    close(master);
}

/* A regular file is no terminal. */
Test(screen, a_file_is_whole)
{
    int fd = open("/dev/null", O_WRONLY);
    cr_assert_geq(fd, 0);
    cr_expect_eq(screen_width(fd, NULL), 0);
    close(fd);
}
