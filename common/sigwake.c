/* sigwake.c: signal flag plus self-pipe (see sigwake.h).
 *
 * The handler's state has to be global: a signal handler gets no context.
 * It is written only by sigwake_install() before threads start, and read
 * by the handler.
 *
 * INVARIANTS
 *   1. The handler calls only async-signal-safe functions (write, _exit).
 *   2. Both pipe ends are non-blocking: a full pipe drops the byte, which
 *      is fine (one pending byte is enough to wake the poll).
 */
#include "common/sigwake.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t *wake_flag;
static volatile sig_atomic_t *hup_flag;
static int wake_pipe[2] = {-1, -1};
static int wake_exit_second;

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (*wake_flag && wake_exit_second) {
        _exit(2); /* second signal: acks already follow commits */
    }
    *wake_flag = 1;
    ssize_t w = write(wake_pipe[1], "x", 1);
    (void)w;
    errno = saved;
}

int sigwake_install(volatile sig_atomic_t *flag, int exit_on_second)
{
    if (pipe(wake_pipe) != 0) {
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    wake_flag = flag;
    wake_exit_second = exit_on_second;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigaddset(&term, SIGINT);
    sigprocmask(SIG_UNBLOCK, &term, NULL);
    return 0;
}

static void on_hup(int sig)
{
    (void)sig;
    int saved = errno;
    *hup_flag = 1;
    ssize_t w = write(wake_pipe[1], "h", 1);
    (void)w;
    errno = saved;
}

void sigwake_on_hup(volatile sig_atomic_t *flag)
{
    hup_flag = flag;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(SIG_UNBLOCK, &hup, NULL);
}

void sigwake_drain(void)
{
    char buf[64];
    while (wake_pipe[0] >= 0 && read(wake_pipe[0], buf, sizeof buf) > 0) {
    }
}

int sigwake_fd(void) { return wake_pipe[0]; }

void sigwake_block(int block)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}
