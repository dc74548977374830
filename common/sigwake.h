/** @file sigwake.h
 *  @brief SIGTERM and SIGINT for the daemons: set a flag and wake the poll.
 *
 *  A flag alone is not enough: a signal that lands after the loop checked
 *  the flag but before it sleeps in zmq_poll would be noticed only when the
 *  poll times out (a minute later for an idle agent). The handler also
 *  writes a byte to a pipe whose read end the loop polls (the self-pipe
 *  trick), so the poll returns at once.
 *
 *  Owns the self-pipe: process-wide, close-on-exec, open until the process
 *  exits. Borrows the flag given to sigwake_install(), which the handler
 *  writes until exit: give it static storage duration.
 *
 *  INVARIANTS
 *    1. The handler only sets the flag and writes one byte to the pipe
 *       (or, with exit_on_second, calls _exit(2) on a second signal): only
 *       async-signal-safe calls, and errno is preserved.
 *    2. Both pipe ends are non-blocking: a full pipe drops the byte, which
 *       is fine, one pending byte is enough to wake the poll.
 *    3. Nothing drains the pipe: once a signal arrived, sigwake_fd() stays
 *       readable, so the loop must check the flag.
 *    4. sigwake_fd() is -1 until sigwake_install() succeeds.
 *    5. Threads started between sigwake_block(1) and sigwake_block(0)
 *       never run the handlers.
 */
#ifndef HRSS_SIGWAKE_H
#define HRSS_SIGWAKE_H
#include <signal.h>

/** Install handlers for SIGTERM and SIGINT that set *@p flag to 1 and
 *  wake sigwake_fd(). With @p exit_on_second, a second signal ends the
 *  process at once with _exit(2). Also unblocks both signals (whatever
 *  mask was inherited) and ignores SIGPIPE. Call once, from main, before
 *  any thread starts. @return 0, or -1 when the pipe cannot be made. */
int sigwake_install(volatile sig_atomic_t *flag, int exit_on_second);

/** Also take SIGHUP: set *@p flag to 1 and wake sigwake_fd() (a
 *  collector rereads its key lists). Call after sigwake_install(). */
void sigwake_on_hup(volatile sig_atomic_t *flag);

/** Read away the bytes signals wrote to the pipe, so that a poll sleeps
 *  again after a signal that does not stop the loop (SIGHUP). Checks of
 *  the flags must follow it. */
void sigwake_drain(void);

/** Block (@p block 1) or unblock (0) SIGTERM, SIGINT and SIGHUP in the
 *  calling thread. A thread inherits the mask of the one that starts it:
 *  start every other thread (libzmq's, which its first zmq_socket() starts,
 *  the query, ZAP and HTTP threads) between sigwake_block(1) and
 *  sigwake_block(0), so that the handlers run only on the thread that
 *  reads the flags (another thread's write to them races with its reads).
 *  Async-signal-safe; errors are impossible for these arguments. */
void sigwake_block(int block);

/** File descriptor that becomes readable when a signal arrived; poll it
 *  for input (zmq_pollitem_t.fd). -1 before sigwake_install(). */
int sigwake_fd(void);

#endif
