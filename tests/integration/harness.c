/* harness.c: see harness.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 64

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

void hx_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int hx_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static pid_t start(const char *const argv[], int out_fd)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", HRSS_BIN_DIR, argv[0]);
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
        dup2(out_fd, 2);
        execv(path, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    return pid;
}

pid_t hx_spawn(const char *log, const char *const argv[])
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    cr_assert(fd >= 0, "open %s", log);
    pid_t pid = start(argv, fd);
    close(fd);
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

static int wait_for(pid_t pid, int timeout_ms)
{
    for (int waited = 0;; waited += 10) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            forget(pid);
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        if (waited >= timeout_ms) {
            return -1;
        }
        hx_sleep_ms(10);
    }
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
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/run-XXXXXX", hx_dir);
    int fd = mkstemp(tmp);
    cr_assert(fd >= 0);
    pid_t pid = start(argv, fd);
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

pid_t hx_collector(const char *dir, int port, int qport, const char *log)
{
    char ingest[64];
    char query[64];
    snprintf(ingest, sizeof ingest, "tcp://127.0.0.1:%d", port);
    snprintf(query, sizeof query, "tcp://127.0.0.1:%d", qport);
    const char *argv[] = {"hrss-collector", "--data-dir", dir, "--ingest",
                          ingest, "--query", query, "--insecure", NULL};
    return hx_spawn(log, argv);
}

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
