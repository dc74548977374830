/* test_sigwake.c: SIGTERM/SIGINT set the flag and wake a poll at once. */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "common/sigwake.h"

static volatile sig_atomic_t flag;

Test(sigwake, signal_sets_flag_and_wakes_poll)
{
    cr_assert_eq(sigwake_install(&flag, 0), 0);
    int fd = sigwake_fd();
    cr_assert_geq(fd, 0);
    struct pollfd p = {fd, POLLIN, 0};
    cr_expect_eq(poll(&p, 1, 0), 0, "nothing pending yet");
    cr_expect_eq(flag, 0);
    /* Blocked while we are not polling, delivered later: the byte in the
     * pipe still wakes the next poll (the race a flag alone loses). */
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);
    raise(SIGTERM);
    cr_expect_eq(flag, 0);
    sigprocmask(SIG_UNBLOCK, &term, NULL);
    cr_expect_eq(flag, 1);
    cr_expect_eq(poll(&p, 1, 1000), 1);
    cr_expect(p.revents & POLLIN);
}

Test(sigwake, sigint_too)
{
    flag = 0;
    cr_assert_eq(sigwake_install(&flag, 0), 0);
    raise(SIGINT);
    cr_expect_eq(flag, 1);
    struct pollfd p = {sigwake_fd(), POLLIN, 0};
    cr_expect_eq(poll(&p, 1, 1000), 1);
}
