/* harness.c: see harness.h. */
#define _GNU_SOURCE /* nftw, setns */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 64
#define POLL_MS 5
/* How long a collector may take to open its store and bind (ASan, a
 * loaded machine): a bound, not an expected duration. */
#define COLLECTOR_START_MS 30000

char hx_dir[256];
static pid_t pids[MAX_PIDS];
static int n_pids;

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void hx_setup(void)
{
    snprintf(hx_dir, sizeof hx_dir, "/tmp/hrss-it-XXXXXX");
    cr_assert_not_null(mkdtemp(hx_dir));
    n_pids = 0;
}

void hx_teardown(void)
{
    for (int i = 0; i < n_pids; i++) {
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
        }
    }
    n_pids = 0;
    if (getenv("HRSS_KEEP_TEST_DIRS") == NULL) {
        nftw(hx_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

/* The poll interval of the waits below; never used to wait for an event
 * by itself. */
static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int64_t hx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hx_wait_until(hx_cond_fn cond, void *arg, int timeout_ms)
{
    int64_t deadline = hx_now_ms() + timeout_ms;
    for (;;) {
        if (cond(arg)) {
            return 1;
        }
        if (hx_now_ms() >= deadline) {
            return cond(arg) ? 1 : 0;
        }
        nap_ms(POLL_MS);
    }
}

/* ---------------------------------------------------------------------- */
/* ports                                                                   */

void hx_port_hold(hx_port_t *p, int port)
{
    p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(p->fd >= 0, "socket: %s", strerror(errno));
    int one = 1;
    cr_assert_eq(setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one,
                            sizeof one), 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    cr_assert_eq(bind(p->fd, (struct sockaddr *)&a, sizeof a), 0,
                 "hold port %d: %s", port, strerror(errno));
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(p->fd, (struct sockaddr *)&a, &len), 0);
    p->port = ntohs(a.sin_port);
}

void hx_port_release(hx_port_t *p)
{
    if (p->fd >= 0) {
        close(p->fd);
    }
    p->fd = -1;
}

int hx_endpoint_port(const char *endpoint)
{
    const char *colon = strrchr(endpoint, ':');
    cr_assert_not_null(colon, "no port in '%s'", endpoint);
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    cr_assert(end != colon + 1 && *end == '\0' && port > 0 && port < 65536,
              "no port in '%s'", endpoint);
    return (int)port;
}

/* Over the established IPv4 sockets whose local port is @p port: the sum
 * of their unread bytes (@p count 0), or their number (1). */
static long tcp_scan(int port, int count)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    cr_assert_not_null(f, "/proc/net/tcp: %s", strerror(errno));
    char line[512];
    long total = 0;
    if (fgets(line, sizeof line, f) == NULL) { /* the header */
        fclose(f);
        return 0;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned laddr = 0;
        unsigned lport = 0;
        unsigned state = 0;
        unsigned long tx = 0;
        unsigned long rx = 0;
        if (sscanf(line, " %*u: %8x:%4x %*8x:%*4x %2x %8lx:%8lx", &laddr,
                   &lport, &state, &tx, &rx) != 5) {
            continue;
        }
        /* 0x01: TCP_ESTABLISHED; the listener itself has no data. */
        if (lport == (unsigned)port && state == 0x01) {
            total += count ? 1 : (long)rx;
        }
    }
    fclose(f);
    return total;
}

long hx_tcp_unread(int port)
{
    return tcp_scan(port, 0);
}

int hx_tcp_established(int port)
{
    return (int)tcp_scan(port, 1);
}

/* ---------------------------------------------------------------------- */
/* processes                                                               */

/* @p netns: the name of a network namespace (/run/netns/NAME) to run
 * the program in, or NULL for the test's own. */
static pid_t start(const char *netns, const char *const argv[], int out_fd,
                   int err_fd)
{
    char path[512];
    /* HRSS_TEST_BIN_DIR runs the same tests against other builds of the
     * programs (make test-tsan: the daemons under ThreadSanitizer). */
    const char *bin = getenv("HRSS_TEST_BIN_DIR");
    snprintf(path, sizeof path, "%s/%s",
             bin != NULL && bin[0] != '\0' ? bin : HRSS_BIN_DIR, argv[0]);
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(127);
        }
        /* A daemon must start with the signal state a shell gives it,
         * not the test runner's. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        if (netns != NULL) {
            char ns[300];
            snprintf(ns, sizeof ns, "/run/netns/%s", netns);
            int fd = open(ns, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
                dprintf(2, "harness: network namespace %s: %s\n", netns,
                        strerror(errno));
                _exit(127);
            }
            close(fd);
        }
        execv(path, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    return pid;
}

pid_t hx_spawn(const char *log, const char *const argv[])
{
    return hx_spawn_netns(NULL, log, argv);
}

pid_t hx_spawn_netns(const char *netns, const char *log,
                     const char *const argv[])
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    cr_assert(fd >= 0, "open %s", log);
    pid_t pid = start(netns, argv, fd, fd);
    close(fd);
    cr_assert(n_pids < MAX_PIDS);
    pids[n_pids++] = pid;
    return pid;
}

pid_t hx_spawn_pipe(const char *log, const char *const argv[], int *out_fd)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    cr_assert(fd >= 0, "open %s", log);
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = start(NULL, argv, p[1], fd);
    close(fd);
    close(p[1]);
    *out_fd = p[0];
    cr_assert(n_pids < MAX_PIDS);
    pids[n_pids++] = pid;
    return pid;
}

static void forget(pid_t pid)
{
    for (int i = 0; i < n_pids; i++) {
        if (pids[i] == pid) {
            pids[i] = pids[--n_pids];
            return;
        }
    }
}

typedef struct reap {
    pid_t pid;
    int status; /* exit status, 128 + signal, or -1 while running */
} reap_t;

static int reaped(void *arg)
{
    reap_t *r = arg;
    int st = 0;
    if (waitpid(r->pid, &st, WNOHANG) != r->pid) {
        return 0;
    }
    forget(r->pid);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 1;
}

static int wait_for(pid_t pid, int timeout_ms)
{
    reap_t r = {pid, -1};
    hx_wait_until(reaped, &r, timeout_ms);
    return r.status;
}

int hx_wait_exit(pid_t pid, int timeout_ms)
{
    return wait_for(pid, timeout_ms);
}

int hx_stop(pid_t pid, int sig, int timeout_ms)
{
    kill(pid, sig);
    int st = wait_for(pid, timeout_ms);
    if (st < 0) {
        kill(pid, SIGKILL);
        st = wait_for(pid, 5000);
    }
    return st;
}

int hx_run(const char *const argv[], int timeout_ms, char *out, size_t len)
{
    return hx_run_to(argv, NULL, timeout_ms, out, len);
}

int hx_ctl(const char *query, const char *db, const char *cat, int mode,
           char *out, size_t len, ...)
{
    const char *argv[24];
    int n = 0;
    argv[n++] = "hrssctl";
    if (mode == 0) {
        argv[n++] = "--connect";
        argv[n++] = query;
        argv[n++] = "--insecure";
    } else {
        argv[n++] = "--data-dir";
        argv[n++] = db;
        if (cat != NULL) {
            argv[n++] = "--catalog";
            argv[n++] = cat;
        }
    }
    va_list ap;
    va_start(ap, len);
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL) {
        cr_assert_lt(n, 23, "hx_ctl: too many arguments");
        argv[n++] = s;
    }
    va_end(ap);
    argv[n] = NULL;
    return hx_run(argv, 60000, out, len);
}

int hx_run_to(const char *const argv[], const char *stdout_path,
              int timeout_ms, char *out, size_t len)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/run-XXXXXX", hx_dir);
    int fd = mkstemp(tmp);
    cr_assert(fd >= 0);
    int out_fd = fd;
    if (stdout_path != NULL) {
        out_fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0644);
        cr_assert(out_fd >= 0, "%s: %s", stdout_path, strerror(errno));
    }
    pid_t pid = start(NULL, argv, out_fd, fd);
    if (out_fd != fd) {
        close(out_fd);
    }
    cr_assert(n_pids < MAX_PIDS);
    pids[n_pids++] = pid;
    int st = wait_for(pid, timeout_ms);
    if (st < 0) {
        kill(pid, SIGKILL);
        st = wait_for(pid, 5000);
        st = st < 0 ? -1 : 128 + SIGKILL;
    }
    if (out != NULL && len > 0) {
        ssize_t n = pread(fd, out, len - 1, 0);
        out[n > 0 ? n : 0] = '\0';
    }
    close(fd);
    unlink(tmp);
    return st;
}

/* The inodes of the sockets among @p pid's descriptors, into ino[max].
 * @return how many. */
static int socket_inodes(pid_t pid, unsigned long *ino, int max)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    int n = 0;
    for (int fd = 0; fd < 1024 && n < max; fd++) {
        char path[96];
        char link[64];
        snprintf(path, sizeof path, "%s/%d", dir, fd);
        ssize_t len = readlink(path, link, sizeof link - 1);
        if (len <= 0) {
            continue;
        }
        link[len] = '\0';
        if (sscanf(link, "socket:[%lu]", &ino[n]) == 1) {
            n++;
        }
    }
    return n;
}

int hx_listening_ports(pid_t pid, int *ports, int max)
{
    unsigned long ino[256];
    int n_ino = socket_inodes(pid, ino, 256);
    static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    int n = 0;
    for (size_t t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        if (f == NULL) {
            continue;
        }
        char line[512];
        while (fgets(line, sizeof line, f) != NULL && n < max) {
            unsigned lport = 0;
            unsigned state = 0;
            unsigned long inode = 0;
            if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%4x %*[0-9A-Fa-f]:%*4x "
                             "%2x %*x:%*x %*x:%*x %*x %*u %*u %lu",
                       &lport, &state, &inode) != 3 || state != 0x0A) {
                continue;
            }
            for (int i = 0; i < n_ino; i++) {
                if (ino[i] == inode) {
                    ports[n++] = (int)lport;
                    break;
                }
            }
        }
        fclose(f);
    }
    return n;
}

long hx_proc_kib(pid_t pid, const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    char line[256];
    size_t n = strlen(name);
    long kib = -1;
    while (kib < 0 && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            char *end = NULL;
            kib = strtol(line + n + 1, &end, 10);
            if (end == line + n + 1) {
                kib = -1;
            }
        }
    }
    fclose(f);
    return kib;
}

int hx_file_count(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        for (const char *p = line; (p = strstr(p, needle)) != NULL; p++) {
            n++;
        }
    }
    fclose(f);
    return n;
}

int hx_file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    size_t cap = 1 << 16;
    size_t len = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    for (;;) {
        if (cap - len < 4096) {
            cap *= 2;
            text = realloc(text, cap);
            cr_assert_not_null(text);
        }
        size_t n = fread(text + len, 1, cap - len - 1, f);
        if (n == 0) {
            break;
        }
        len += n;
    }
    fclose(f);
    text[len] = '\0';
    int found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

/* ---------------------------------------------------------------------- */
/* the collector                                                           */

typedef struct endpoints_wait {
    hx_coll_t *c;
    int exited; /* exit status when it died first, else -1 */
} endpoints_wait_t;

/* Copy @p src into dst[cap]; 0 when it does not fit. */
static int copy_endpoint(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        return 0;
    }
    memcpy(dst, src, n + 1);
    return 1;
}

/* DIR/endpoints is written (atomically, by rename) after both sockets
 * are bound (and the metrics server started): when it parses, the
 * collector listens on all. */
static int read_endpoints(hx_coll_t *c)
{
    char path[400];
    c->metrics[0] = '\0';
    snprintf(path, sizeof path, "%s/endpoints", c->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[256];
    int got = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "ingest=", 7) == 0 &&
            copy_endpoint(c->ingest, sizeof c->ingest, line + 7)) {
            got |= 1;
        } else if (strncmp(line, "query=", 6) == 0 &&
                   copy_endpoint(c->query, sizeof c->query, line + 6)) {
            got |= 2;
        } else if (strncmp(line, "metrics=", 8) == 0) {
            copy_endpoint(c->metrics, sizeof c->metrics, line + 8);
        }
    }
    fclose(f);
    return got == 3;
}

static int endpoints_written(void *arg)
{
    endpoints_wait_t *w = arg;
    if (read_endpoints(w->c)) {
        return 1;
    }
    reap_t r = {w->c->pid, -1};
    if (reaped(&r)) {
        w->exited = r.status;
        return 1;
    }
    return 0;
}

static void await_endpoints(hx_coll_t *c)
{
    endpoints_wait_t w = {c, -1};
    int ok = hx_wait_until(endpoints_written, &w, COLLECTOR_START_MS);
    if (w.exited >= 0) {
        c->pid = 0;
    }
    cr_assert(ok && w.exited < 0,
              "the collector did not bind within %d ms (exit status %d); "
              "see %s",
              COLLECTOR_START_MS, w.exited, c->log);
}

static void launch(hx_coll_t *c, const char *const argv[])
{
    char path[400];
    snprintf(path, sizeof path, "%s/endpoints", c->dir);
    unlink(path); /* a previous run's file names the old ports */
    c->pid = hx_spawn_netns(c->netns[0] != '\0' ? c->netns : NULL, c->log,
                            argv);
    await_endpoints(c);
}

static void coll_init(hx_coll_t *c, const char *dir, const char *log)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    snprintf(c->log, sizeof c->log, "%s", log);
    c->held[0].fd = -1;
    c->held[1].fd = -1;
}

void hx_collector_start(hx_coll_t *c, const char *dir, const char *log)
{
    coll_init(c, dir, log);
    const char *argv[] = {"hrss-collector", "--data-dir", dir, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure", NULL};
    launch(c, argv);
}

void hx_collector_exec(hx_coll_t *c, const char *dir, const char *log,
                       const char *const argv[])
{
    coll_init(c, dir, log);
    launch(c, argv);
}

void hx_collector_exec_netns(hx_coll_t *c, const char *netns,
                             const char *dir, const char *log,
                             const char *const argv[])
{
    coll_init(c, dir, log);
    cr_assert_lt(strlen(netns), sizeof c->netns);
    snprintf(c->netns, sizeof c->netns, "%s", netns);
    launch(c, argv);
}

void hx_collector_reserve(hx_coll_t *c, const char *dir, const char *log)
{
    coll_init(c, dir, log);
    hx_port_hold(&c->held[0], 0);
    hx_port_hold(&c->held[1], 0);
    snprintf(c->ingest, sizeof c->ingest, "tcp://127.0.0.1:%d",
             c->held[0].port);
    snprintf(c->query, sizeof c->query, "tcp://127.0.0.1:%d",
             c->held[1].port);
}

static void hold_ports(hx_coll_t *c)
{
    if (c->held[0].fd < 0) {
        hx_port_hold(&c->held[0], hx_endpoint_port(c->ingest));
    }
    if (c->held[1].fd < 0) {
        hx_port_hold(&c->held[1], hx_endpoint_port(c->query));
    }
}

void hx_collector_kill(hx_coll_t *c)
{
    cr_assert(c->pid > 0, "no collector to kill");
    cr_assert_eq(hx_stop(c->pid, SIGKILL, 5000), 128 + SIGKILL);
    c->pid = 0;
    /* At once: a connection from some other test could otherwise get
     * the port as its local port before the collector is back. */
    hold_ports(c);
}

void hx_collector_restart(hx_coll_t *c)
{
    cr_assert_eq(c->pid, 0, "the collector is still running");
    hold_ports(c);
    char ingest[64];
    char query[64];
    snprintf(ingest, sizeof ingest, "%s", c->ingest);
    snprintf(query, sizeof query, "%s", c->query);
    const char *argv[] = {"hrss-collector", "--data-dir", c->dir,
                          "--ingest", ingest, "--query", query,
                          "--insecure", NULL};
    launch(c, argv);
    cr_assert_str_eq(c->ingest, ingest);
    cr_assert_str_eq(c->query, query);
    hx_port_release(&c->held[0]);
    hx_port_release(&c->held[1]);
}

int hx_collector_stop(hx_coll_t *c, int timeout_ms)
{
    cr_assert(c->pid > 0, "no collector to stop");
    int st = hx_stop(c->pid, SIGTERM, timeout_ms);
    c->pid = 0;
    return st;
}

/* ---------------------------------------------------------------------- */
/* files and the store                                                     */

void hx_write(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

void hx_open_store(const char *dir, int rw, catalog_t **cat, store_t **st)
{
    char err[ERR_LEN];
    cr_assert_eq(catalog_load_dir(cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
    store_opts_t o = {.readonly = !rw};
    cr_assert_eq(store_open(st, dir, *cat, &o, err), ERR_OK, "%s", err);
}
