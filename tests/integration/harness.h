/* harness.h: start and stop the real daemons from Criterion tests.
 *
 * Every process a test starts is recorded and killed by hx_teardown (and
 * by the kernel if the test process dies: PR_SET_PDEATHSIG), so no test
 * leaves a process behind. Binaries come from HRSS_BIN_DIR.
 *
 * Tests never sleep for a fixed time to let something happen: they wait
 * for an observable condition with a deadline (hx_wait_until). Ports are
 * never guessed: the kernel picks every one, either for the collector
 * (tcp://127.0.0.1:*, read back from DATA_DIR/endpoints) or for a socket
 * the test binds and keeps (hx_port_hold). Criterion runs tests in
 * parallel workers, so a port that is released and bound again later
 * could be taken in between. */
#ifndef HRSS_HARNESS_H
#define HRSS_HARNESS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/catalog.h"
#include "store/store.h"

extern char hx_dir[256];

void hx_setup(void);
void hx_teardown(void);

/* A condition polled by hx_wait_until: nonzero when it holds. */
typedef int (*hx_cond_fn)(void *arg);

/* Poll cond(arg) every few milliseconds until it holds or timeout_ms
 * pass. @return 1 when it held, 0 at the deadline. */
int hx_wait_until(hx_cond_fn cond, void *arg, int timeout_ms);

/* Milliseconds on the monotonic clock, for reporting how long a wait
 * took. */
int64_t hx_now_ms(void);

/* A TCP port on 127.0.0.1 held by the test: bound with SO_REUSEADDR and
 * never listening. Connections to it are refused (nothing answers there),
 * no bind to port 0 and no outgoing connection can take it while it is
 * held, and a collector (libzmq binds with SO_REUSEADDR) can still bind
 * and listen on it. */
typedef struct hx_port {
    int fd;   /* -1 when not held */
    int port;
} hx_port_t;

/* Hold @p port, or a port the kernel picks when @p port is 0. */
void hx_port_hold(hx_port_t *p, int port);
/* Close the socket; no-op when not held. */
void hx_port_release(hx_port_t *p);

/* The port number of "tcp://HOST:PORT". */
int hx_endpoint_port(const char *endpoint);

/* Bytes received on 127.0.0.1:@p port's established connections that
 * the owning process has not read yet (/proc/net/tcp): traffic waiting
 * in a stopped collector's sockets. */
long hx_tcp_unread(int port);

/* How many established IPv4 connections have local port @p port (a
 * server's accepted connections on its port). */
int hx_tcp_established(int port);

/* Start a program from HRSS_BIN_DIR with its output appended to LOG
 * (a path under hx_dir). argv[0] is the program name. */
pid_t hx_spawn(const char *log, const char *const argv[]);

/* hx_spawn() with the program's stdout into a new pipe, whose read end
 * (close-on-exec) goes to *out_fd; stderr goes to LOG. The caller reads
 * the pipe and closes it. */
pid_t hx_spawn_pipe(const char *log, const char *const argv[], int *out_fd);

/* hx_spawn() inside the network namespace @p netns (a name `ip netns
 * add` made: /run/netns/NAME), entered in the child before exec. When
 * the namespace cannot be entered the child exits 127 and says why in
 * LOG. */
pid_t hx_spawn_netns(const char *netns, const char *log,
                     const char *const argv[]);

/* Run a program to completion (at most timeout_ms, then SIGKILL) and
 * return its exit status (128 + signal when killed); stdout and stderr
 * into out (NUL-terminated, may be NULL). */
int hx_run(const char *const argv[], int timeout_ms, char *out, size_t len);

/* hx_run() with stdout written to @p stdout_path (e.g. "/dev/full");
 * only stderr goes into out. With a NULL path, hx_run(). */
int hx_run_to(const char *const argv[], const char *stdout_path,
              int timeout_ms, char *out, size_t len);

/* hrssctl asking a collector (mode 0: --connect @p query --insecure) or
 * its store (mode 1: --data-dir @p db, and --catalog @p cat unless NULL),
 * then the NULL-terminated arguments (at most 16); hx_run()'s result. */
int hx_ctl(const char *query, const char *db, const char *cat, int mode,
           char *out, size_t len, ...);

/* The same question both ways: each must succeed and the answers must be
 * the same; the --connect one is left in @p out (an array). */
#define HX_CTL_BOTH(query, db, cat, out, ...)                               \
    do {                                                                    \
        static char other_[sizeof out];                                    \
        cr_assert_eq(hx_ctl(query, db, cat, 0, out, sizeof out,            \
                            __VA_ARGS__, NULL),                             \
                     0, "%s", out);                                         \
        cr_assert_eq(hx_ctl(query, db, cat, 1, other_, sizeof other_,      \
                            __VA_ARGS__, NULL),                             \
                     0, "%s", other_);                                      \
        cr_expect_str_eq(out, other_, "--connect and --data-dir differ");   \
    } while (0)

/* Send a signal; with SIGKILL or SIGTERM also reap it (waiting at most
 * timeout_ms). Returns the exit status or -1. */
int hx_stop(pid_t pid, int sig, int timeout_ms);

/* Wait at most timeout_ms for a process started here to exit, and reap
 * it. @return its exit status (128 + signal), or -1 at the deadline. */
int hx_wait_exit(pid_t pid, int timeout_ms);

/* The TCP ports (IPv4 and IPv6) on which process @p pid listens, into
 * ports[max]: from the sockets among its descriptors (/proc/PID/fd) in
 * state LISTEN in /proc/net/tcp and tcp6. @return how many (at most
 * max). */
int hx_listening_ports(pid_t pid, int *ports, int max);

/* A "Name:   N kB" line of /proc/PID/status (e.g. "VmRSS", "RssAnon"),
 * in KiB; -1 when the process or the line is not there. */
long hx_proc_kib(pid_t pid, const char *name);

/* How many times the text file @p path contains @p needle. */
int hx_file_count(const char *path, const char *needle);

/* Whether the text file @p path (under hx_dir) contains @p needle. */
int hx_file_contains(const char *path, const char *needle);

/* A collector process and the endpoints it bound. */
typedef struct hx_coll {
    pid_t pid;          /* 0 while it is not running */
    char dir[300];      /* its --data-dir */
    char log[300];
    char ingest[64];    /* tcp://127.0.0.1:PORT, as bound */
    char query[64];
    char metrics[128];  /* http://127.0.0.1:PORT/metrics with --metrics,
                           else "" (DIR/endpoints' metrics= line) */
    hx_port_t held[2];  /* ingest, query: held while it is down */
    char netns[64];     /* its network namespace; "" for the test's own */
} hx_coll_t;

/* Start a collector with its store in @p dir on ports the kernel picks
 * (tcp://127.0.0.1:* for ingest and query) and wait until it has bound
 * them (DIR/endpoints). */
void hx_collector_start(hx_coll_t *c, const char *dir, const char *log);

/* Start a collector with a caller's command line (argv[0] is
 * "hrss-collector"; its data dir must be @p dir) and wait for
 * DIR/endpoints. */
void hx_collector_exec(hx_coll_t *c, const char *dir, const char *log,
                       const char *const argv[]);

/* hx_collector_exec() inside the network namespace @p netns (see
 * hx_spawn_netns). The endpoints it bound are in that namespace. */
void hx_collector_exec_netns(hx_coll_t *c, const char *netns,
                             const char *dir, const char *log,
                             const char *const argv[]);

/* Hold two ports the kernel picks and record them as the collector's
 * endpoints without starting it: agents can be pointed at a collector
 * that is not there yet (connections are refused); hx_collector_restart
 * starts it on these ports. */
void hx_collector_reserve(hx_coll_t *c, const char *dir, const char *log);

/* SIGKILL the collector (also when SIGSTOPped), reap it, and hold its
 * ports until hx_collector_restart. */
void hx_collector_kill(hx_coll_t *c);

/* Start the collector again on the endpoints it had (or was reserved),
 * wait until it has bound them, then release the held ports. */
void hx_collector_restart(hx_coll_t *c);

/* SIGTERM the collector and reap it. @return its exit status or -1. */
int hx_collector_stop(hx_coll_t *c, int timeout_ms);

/* Write a file (creating directories of the path is the caller's job). */
void hx_write(const char *path, const char *data, size_t len);

/* Open the collector's store read-only (writable when rw) with the
 * shipped catalog; the caller closes both. */
void hx_open_store(const char *dir, int rw, catalog_t **cat, store_t **st);

#endif
