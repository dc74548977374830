/* cdp.c: a Chrome DevTools Protocol client over --remote-debugging-pipe.
 *
 * The browser is started with fd 3 = the read end of the command pipe and
 * fd 4 = the write end of the answer pipe; both sides frame messages as
 * JSON texts ended by NUL. Commands get increasing ids; cdp_call() reads
 * messages until the one with its id, looking at every event read on the
 * way (note_event) and keeping the error ones as text.
 *
 * The JSON reader and base64 decoder it reads messages with are in
 * cdp_json.c.
 *
 * Lifecycle (the function that moves each step):
 *
 *   cdp_open: fork/exec ---> Target.createTarget ---> attachToTarget
 *        (flatten: a sessionId) ---> Page/Runtime/Log.enable,
 *        setDeviceMetricsOverride ---> ready
 *   ready: cdp_call / cdp_eval / cdp_wait / cdp_click / cdp_screenshot
 *   cdp_destroy: Browser.close ---> waitpid (deadline) ---> SIGKILL the
 *        process group ---> waitpid ---> remove the profile
 *
 * INVARIANTS
 *   1. rbuf[0..rlen) holds bytes read from the browser and not yet taken
 *      as a message; every message taken ended with a NUL in it.
 *   2. No read or poll waits past the deadline of the call it serves.
 *   3. errs.s is always NUL-terminated; n_errs counts its lines.
 *   4. The browser runs in its own process group (pgid == pid) and dies
 *      with the test process (PR_SET_PDEATHSIG); cdp_destroy() leaves
 *      neither it nor its profile directory behind.
 */
#define _GNU_SOURCE /* pipe2, nftw */
#include "cdp.h"
#include "cdp_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 10
#define CLOSE_MS 5000
#define ERRS_MAX (256 * 1024)


static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

struct cdp {
    pid_t pid;
    int wfd;           /* commands to the browser (its fd 3) */
    int rfd;           /* messages from it (its fd 4) */
    long next_id;
    char session[128]; /* "" until attached */
    char profile[512];
    char *rbuf;
    size_t rlen;
    size_t rcap;
    sbuf_t errs; /* the error lines */
    size_t n_errs;
};

/* ---------------------------------------------------------------------- */
/* messages                                                                */

static void add_error(cdp_t *c, const char *kind, const char *text,
                      const char *where)
{
    if (c->errs.len > ERRS_MAX) {
        return;
    }
    sbuf_t *b = &c->errs;
    cdp_sb_str(b, kind);
    cdp_sb_str(b, ": ");
    cdp_sb_str(b, text != NULL ? text : "(no text)");
    if (where != NULL && where[0] != '\0') {
        cdp_sb_str(b, " [");
        cdp_sb_str(b, where);
        cdp_sb_str(b, "]");
    }
    cdp_sb_str(b, "\n");
    c->n_errs++;
}

/* "URL:LINE" of a stack frame or log entry, into @p out. */
static void where_of(const char *msg, const char *url_path,
                     const char *line_path, char *out, size_t cap)
{
    char *url = cdp_jget(msg, url_path);
    char *line = cdp_jget(msg, line_path);
    snprintf(out, cap, "%s%s%s", url ? url : "", line ? ":" : "",
             line ? line : "");
    free(url);
    free(line);
}

/* Keep the events that mean the page went wrong. */
static void note_event(cdp_t *c, const char *msg, const char *method)
{
    char where[1024];
    if (strcmp(method, "Runtime.exceptionThrown") == 0) {
        char *text = cdp_jget(msg, "params.exceptionDetails.exception."
                               "description");
        if (text == NULL) {
            text = cdp_jget(msg, "params.exceptionDetails.text");
        }
        where_of(msg, "params.exceptionDetails.url",
                 "params.exceptionDetails.lineNumber", where, sizeof where);
        add_error(c, "exception", text, where);
        free(text);
    } else if (strcmp(method, "Runtime.consoleAPICalled") == 0) {
        char *type = cdp_jget(msg, "params.type");
        if (type != NULL &&
            (strcmp(type, "error") == 0 || strcmp(type, "assert") == 0)) {
            sbuf_t b = {0};
            for (int i = 0; i < 8; i++) {
                char path[64];
                snprintf(path, sizeof path, "params.args.%d.value", i);
                char *v = cdp_jget(msg, path);
                if (v == NULL) {
                    snprintf(path, sizeof path, "params.args.%d.description",
                             i);
                    v = cdp_jget(msg, path);
                }
                if (v == NULL) {
                    break;
                }
                cdp_sb_str(&b, i ? " " : "");
                cdp_sb_str(&b, v);
                free(v);
            }
            where_of(msg, "params.stackTrace.callFrames.0.url",
                     "params.stackTrace.callFrames.0.lineNumber", where,
                     sizeof where);
            char kind[32];
            snprintf(kind, sizeof kind, "console.%s", type);
            add_error(c, kind, b.s, where);
            free(b.s);
        }
        free(type);
    } else if (strcmp(method, "Log.entryAdded") == 0) {
        char *level = cdp_jget(msg, "params.entry.level");
        if (level != NULL && strcmp(level, "error") == 0) {
            char *text = cdp_jget(msg, "params.entry.text");
            char *source = cdp_jget(msg, "params.entry.source");
            where_of(msg, "params.entry.url", "params.entry.lineNumber",
                     where, sizeof where);
            char kind[64];
            snprintf(kind, sizeof kind, "log.%s",
                     source != NULL ? source : "?");
            add_error(c, kind, text, where);
            free(text);
            free(source);
        }
        free(level);
    } else if (strcmp(method, "Inspector.targetCrashed") == 0 ||
               strcmp(method, "Target.targetCrashed") == 0) {
        add_error(c, "crash", "the page's renderer crashed", NULL);
    } else if (strcmp(method, "Target.detachedFromTarget") == 0) {
        add_error(c, "detached", "the page was detached", NULL);
    }
}

/* Take the next message (NUL-terminated, caller frees) before
 * @p deadline. */
static int read_message(cdp_t *c, long long deadline, char **msg,
                        char err[ERR_LEN])
{
    *msg = NULL;
    for (;;) {
        char *nul = c->rlen ? memchr(c->rbuf, '\0', c->rlen) : NULL;
        if (nul != NULL) {
            size_t n = (size_t)(nul - c->rbuf) + 1;
            char *m = cdp_grow(NULL, n);
            memcpy(m, c->rbuf, n);
            memmove(c->rbuf, c->rbuf + n, c->rlen - n);
            c->rlen -= n;
            *msg = m;
            return ERR_OK;
        }
        long long left = deadline - now_ms();
        if (left <= 0) {
            snprintf(err, ERR_LEN, "no message from the browser in time");
            return ERR_TIMEOUT;
        }
        struct pollfd pfd = {c->rfd, POLLIN, 0};
        int r = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
        if (r < 0 && errno != EINTR) {
            snprintf(err, ERR_LEN, "poll: %s", strerror(errno));
            return ERR_IO;
        }
        if (r <= 0) {
            continue;
        }
        if (c->rcap - c->rlen < 65536) {
            c->rcap = c->rcap ? c->rcap * 2 : 1 << 20;
            c->rbuf = cdp_grow(c->rbuf, c->rcap);
        }
        ssize_t got = read(c->rfd, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            snprintf(err, ERR_LEN, "the browser closed its pipe (%s)",
                     got < 0 ? strerror(errno) : "end of file");
            return ERR_IO;
        }
        c->rlen += (size_t)got;
    }
}

static int write_all(int fd, const char *p, size_t n, char err[ERR_LEN])
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            snprintf(err, ERR_LEN, "write to the browser: %s",
                     strerror(errno));
            return ERR_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return ERR_OK;
}

/* cdp_call() to the page (@p in_session) or to the browser itself. */
static int call(cdp_t *c, int in_session, const char *method,
                const char *params, char **reply, int timeout_ms,
                char err[ERR_LEN])
{
    int rc = ERR_OK;
    char *msg = NULL;
    if (reply != NULL) {
        *reply = NULL;
    }
    long long deadline = now_ms() + timeout_ms;
    long id = c->next_id++;
    sbuf_t b = {0};
    char head[64];
    snprintf(head, sizeof head, "{\"id\":%ld,\"method\":", id);
    cdp_sb_str(&b, head);
    cdp_sb_quote(&b, method);
    if (params != NULL) {
        cdp_sb_str(&b, ",\"params\":");
        cdp_sb_str(&b, params);
    }
    if (in_session && c->session[0] != '\0') {
        cdp_sb_str(&b, ",\"sessionId\":");
        cdp_sb_quote(&b, c->session);
    }
    cdp_sb_str(&b, "}");
    rc = write_all(c->wfd, b.s, b.len + 1, err); /* with its NUL */
    if (rc != ERR_OK) {
        goto out;
    }
    for (;;) {
        rc = read_message(c, deadline, &msg, err);
        if (rc != ERR_OK) {
            if (rc == ERR_TIMEOUT) {
                snprintf(err, ERR_LEN, "%s: no answer within %d ms", method,
                         timeout_ms);
            }
            goto out;
        }
        char *v = cdp_jget(msg, "id");
        long got = v != NULL ? strtol(v, NULL, 10) : -1;
        free(v);
        if (got == id) {
            break;
        }
        if (got < 0) {
            char *m = cdp_jget(msg, "method");
            if (m != NULL) {
                note_event(c, msg, m);
            }
            free(m);
        }
        free(msg);
        msg = NULL;
    }
    char *e = cdp_jget(msg, "error.message");
    if (e != NULL) {
        snprintf(err, ERR_LEN, "%s: %s", method, e);
        free(e);
        rc = ERR_PROTO;
        goto out;
    }
    if (reply != NULL) {
        *reply = msg;
        msg = NULL;
    }
out:
    free(msg);
    free(b.s);
    return rc;
}

int cdp_call(cdp_t *c, const char *method, const char *params, char **reply,
             int timeout_ms, char err[ERR_LEN])
{
    return call(c, 1, method, params, reply, timeout_ms, err);
}

/* ---------------------------------------------------------------------- */
/* the browser                                                             */

const char *cdp_chromium_path(void)
{
    const char *p = getenv("HRSS_CHROMIUM");
    return p != NULL && p[0] != '\0' ? p : CDP_CHROMIUM;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Exit status once reaped before @p deadline, else -1. */
static int reap_until(pid_t pid, long long deadline)
{
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            return r == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 0;
        }
        if (now_ms() >= deadline) {
            return -1;
        }
        nap_ms(POLL_MS);
    }
}

/* Whether a process of group @p pgid is still running (not a zombie):
 * from /proc/PID/stat's state and pgrp fields. */
static int group_alive(pid_t pgid)
{
    DIR *d = opendir("/proc");
    if (d == NULL) {
        return 0;
    }
    int alive = 0;
    struct dirent *de;
    while (!alive && (de = readdir(d)) != NULL) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9') {
            continue;
        }
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            continue;
        }
        char line[1024];
        char *ok = fgets(line, sizeof line, f);
        fclose(f);
        /* "PID (COMM) STATE PPID PGRP ...": COMM may hold spaces and
         * parentheses, so read from the last ')'. */
        char *rp = ok != NULL ? strrchr(line, ')') : NULL;
        char state = 0;
        int ppid = 0;
        int pgrp = 0;
        if (rp != NULL && sscanf(rp + 1, " %c %d %d", &state, &ppid,
                                 &pgrp) == 3) {
            alive = pgrp == (int)pgid && state != 'Z' && state != 'X';
        }
    }
    closedir(d);
    return alive;
}

void cdp_destroy(cdp_t **self_p)
{
    cdp_t *c = *self_p;
    if (c == NULL) {
        return;
    }
    if (c->pid > 0) {
        char err[ERR_LEN];
        /* Its answer may never come: the browser can exit first. */
        call(c, 0, "Browser.close", NULL, NULL, 2000, err);
        if (reap_until(c->pid, now_ms() + CLOSE_MS) < 0) {
            kill(c->pid, SIGKILL);
            reap_until(c->pid, now_ms() + CLOSE_MS);
        }
        /* Renderers and helpers left in its group: SIGKILL them by the
         * group id this client gave the browser, and wait until they are
         * gone, or they could still write into the profile while it is
         * removed. (Their zombies are init's to reap.) */
        kill(-c->pid, SIGKILL);
        long long deadline = now_ms() + CLOSE_MS;
        while (group_alive(c->pid) && now_ms() < deadline) {
            nap_ms(POLL_MS);
        }
    }
    if (c->wfd >= 0) {
        close(c->wfd);
    }
    if (c->rfd >= 0) {
        close(c->rfd);
    }
    if (c->profile[0] != '\0') {
        nftw(c->profile, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    free(c->rbuf);
    free(c->errs.s);
    free(c);
    *self_p = NULL;
}

/* The child's side: fds 3 and 4, a process group, exec. Never returns. */
static void exec_browser(const char *path, int cmd_r, int msg_w, int log_fd,
                         const char *profile)
{
    char udd[600];
    snprintf(udd, sizeof udd, "--user-data-dir=%s", profile);
    char size[64];
    snprintf(size, sizeof size, "--window-size=%d,%d", CDP_WIDTH,
             CDP_HEIGHT);
    const char *argv[] = {path,
                          "--headless=new",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--disable-dev-shm-usage",
                          "--no-first-run",
                          "--no-default-browser-check",
                          "--disable-background-networking",
                          "--disable-component-update",
                          "--disable-sync",
                          "--disable-default-apps",
                          "--disable-extensions",
                          "--disable-crash-reporter",
                          "--mute-audio",
                          "--remote-debugging-pipe",
                          udd,
                          size,
                          "about:blank",
                          NULL};
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* Move both ends above 4 first: either may be 3 or 4 already. */
    int r = fcntl(cmd_r, F_DUPFD, 10);
    int w = fcntl(msg_w, F_DUPFD, 10);
    int devnull = open("/dev/null", O_RDONLY);
    if (r < 0 || w < 0 || devnull < 0 || dup2(devnull, 0) < 0 ||
        dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0 || dup2(r, 3) < 0 ||
        dup2(w, 4) < 0) {
        _exit(126);
    }
    execv(path, (char *const *)(uintptr_t)argv);
    dprintf(2, "cdp: exec %s: %s\n", path, strerror(errno));
    _exit(127);
}

int cdp_open(cdp_t **out, const char *dir, int timeout_ms,
             char err[ERR_LEN])
{
    int rc = ERR_OK;
    long long deadline = now_ms() + timeout_ms;
    char *reply = NULL;
    char *target = NULL;
    char *session = NULL;
    int cmd[2] = {-1, -1};
    int msg[2] = {-1, -1};
    int log_fd = -1;
    const char *path = cdp_chromium_path();
    cdp_t *c = cdp_grow(NULL, sizeof *c);
    memset(c, 0, sizeof *c);
    c->wfd = -1;
    c->rfd = -1;
    c->next_id = 1;
    cdp_sb_add(&c->errs, "", 0);
    if (access(path, X_OK) != 0) {
        snprintf(err, ERR_LEN,
                 "no browser at %s (%s): install Debian's package %s "
                 "(and fonts-noto-cjk), or set HRSS_CHROMIUM",
                 path, strerror(errno), CDP_CHROMIUM_PACKAGE);
        rc = ERR_NOTFOUND;
        goto fail;
    }
    snprintf(c->profile, sizeof c->profile, "%s/chromium-XXXXXX", dir);
    if (mkdtemp(c->profile) == NULL) {
        snprintf(err, ERR_LEN, "mkdtemp %.300s: %s", c->profile,
                 strerror(errno));
        c->profile[0] = '\0';
        rc = ERR_IO;
        goto fail;
    }
    char log[600];
    snprintf(log, sizeof log, "%s/chromium.log", dir);
    log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0 || pipe2(cmd, O_CLOEXEC) != 0 ||
        pipe2(msg, O_CLOEXEC) != 0) {
        snprintf(err, ERR_LEN, "log or pipes: %s", strerror(errno));
        rc = ERR_IO;
        goto fail;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, ERR_LEN, "fork: %s", strerror(errno));
        rc = ERR_IO;
        goto fail;
    }
    if (pid == 0) {
        exec_browser(path, cmd[0], msg[1], log_fd, c->profile);
    }
    setpgid(pid, pid); /* also here: no race with kill(-pid) */
    c->pid = pid;
    c->wfd = cmd[1];
    c->rfd = msg[0];
    close(cmd[0]);
    close(msg[1]);
    cmd[1] = msg[0] = -1;
    /* A page of our own, in a flat session: every event carries it. */
    int left = (int)(deadline - now_ms());
    rc = call(c, 0, "Target.createTarget", "{\"url\":\"about:blank\"}",
              &reply, left, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    target = cdp_jget(reply, "result.targetId");
    free(reply);
    reply = NULL;
    if (target == NULL) {
        snprintf(err, ERR_LEN, "Target.createTarget: no targetId");
        rc = ERR_PROTO;
        goto fail;
    }
    sbuf_t p = {0};
    cdp_sb_str(&p, "{\"targetId\":");
    cdp_sb_quote(&p, target);
    cdp_sb_str(&p, ",\"flatten\":true}");
    left = (int)(deadline - now_ms());
    rc = call(c, 0, "Target.attachToTarget", p.s, &reply, left, err);
    free(p.s);
    if (rc != ERR_OK) {
        goto fail;
    }
    session = cdp_jget(reply, "result.sessionId");
    if (session == NULL || strlen(session) >= sizeof c->session) {
        snprintf(err, ERR_LEN, "Target.attachToTarget: no sessionId");
        rc = ERR_PROTO;
        goto fail;
    }
    snprintf(c->session, sizeof c->session, "%s", session);
    static const char *const enable[] = {"Page.enable", "Runtime.enable",
                                         "Log.enable"};
    for (size_t i = 0; i < sizeof enable / sizeof enable[0]; i++) {
        left = (int)(deadline - now_ms());
        rc = call(c, 1, enable[i], NULL, NULL, left, err);
        if (rc != ERR_OK) {
            goto fail;
        }
    }
    char metrics[160];
    snprintf(metrics, sizeof metrics,
             "{\"width\":%d,\"height\":%d,\"deviceScaleFactor\":1,"
             "\"mobile\":false}",
             CDP_WIDTH, CDP_HEIGHT);
    left = (int)(deadline - now_ms());
    rc = call(c, 1, "Emulation.setDeviceMetricsOverride", metrics, NULL,
              left, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    *out = c;
    c = NULL;
fail:
    free(reply);
    free(target);
    free(session);
    for (int i = 0; i < 2; i++) {
        if (cmd[i] >= 0) {
            close(cmd[i]);
        }
        if (msg[i] >= 0) {
            close(msg[i]);
        }
    }
    if (log_fd >= 0) {
        close(log_fd);
    }
    cdp_destroy(&c);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* what the tests do                                                       */

int cdp_eval(cdp_t *c, const char *expr, char **value, int timeout_ms,
             char err[ERR_LEN])
{
    int rc = ERR_OK;
    char *reply = NULL;
    if (value != NULL) {
        *value = NULL;
    }
    sbuf_t p = {0};
    cdp_sb_str(&p, "{\"expression\":");
    cdp_sb_quote(&p, expr);
    cdp_sb_str(&p, ",\"returnByValue\":true,\"awaitPromise\":true}");
    rc = call(c, 1, "Runtime.evaluate", p.s, &reply, timeout_ms, err);
    free(p.s);
    if (rc != ERR_OK) {
        return rc;
    }
    char *ex = cdp_jget(reply, "result.exceptionDetails.exception.description");
    if (ex == NULL) {
        ex = cdp_jget(reply, "result.exceptionDetails.text");
    }
    if (ex != NULL) {
        snprintf(err, ERR_LEN, "%s", ex);
        free(ex);
        free(reply);
        return ERR_PROTO;
    }
    char *v = NULL;
    if (cdp_json_get(reply, "result.result.value", &v, NULL) != ERR_OK) {
        /* undefined has no value member */
        v = cdp_jget(reply, "result.result.type");
        if (v == NULL) {
            snprintf(err, ERR_LEN, "Runtime.evaluate: no result");
            free(reply);
            return ERR_PROTO;
        }
    }
    free(reply);
    if (value != NULL) {
        *value = v;
    } else {
        free(v);
    }
    return ERR_OK;
}

int cdp_wait(cdp_t *c, const char *expr, int timeout_ms, char err[ERR_LEN])
{
    long long deadline = now_ms() + timeout_ms;
    char last[ERR_LEN] = "(not evaluated)";
    for (;;) {
        long long left = deadline - now_ms();
        char *v = NULL;
        int rc = cdp_eval(c, expr, &v, left > 0 ? (int)left : 1, err);
        if (rc == ERR_IO) {
            return rc;
        }
        if (rc == ERR_OK && strcmp(v, "true") == 0) {
            free(v);
            return ERR_OK;
        }
        /* An answer cut off by the deadline says nothing: keep the
         * last real one. */
        if (rc != ERR_TIMEOUT) {
            snprintf(last, sizeof last, "%s", rc == ERR_OK ? v : err);
        }
        free(v);
        if (now_ms() >= deadline) {
            snprintf(err, ERR_LEN,
                     "not true within %d ms: %.200s (last: %.200s)",
                     timeout_ms, expr, last);
            return ERR_TIMEOUT;
        }
        nap_ms(POLL_MS);
    }
}

int cdp_navigate(cdp_t *c, const char *url, int timeout_ms,
                 char err[ERR_LEN])
{
    char *reply = NULL;
    sbuf_t p = {0};
    cdp_sb_str(&p, "{\"url\":");
    cdp_sb_quote(&p, url);
    cdp_sb_str(&p, "}");
    int rc = call(c, 1, "Page.navigate", p.s, &reply, timeout_ms, err);
    free(p.s);
    if (rc != ERR_OK) {
        return rc;
    }
    char *e = cdp_jget(reply, "result.errorText");
    free(reply);
    if (e != NULL) {
        snprintf(err, ERR_LEN, "navigate to %s: %s", url, e);
        free(e);
        return ERR_PROTO;
    }
    return ERR_OK;
}

int cdp_click(cdp_t *c, double x, double y, int timeout_ms,
              char err[ERR_LEN])
{
    long long deadline = now_ms() + timeout_ms;
    static const char *const types[] = {"mouseMoved", "mousePressed",
                                        "mouseReleased"};
    for (size_t i = 0; i < 3; i++) {
        char p[256];
        if (i == 0) {
            snprintf(p, sizeof p, "{\"type\":\"%s\",\"x\":%.2f,\"y\":%.2f}",
                     types[i], x, y);
        } else {
            snprintf(p, sizeof p,
                     "{\"type\":\"%s\",\"x\":%.2f,\"y\":%.2f,"
                     "\"button\":\"left\",\"buttons\":%d,"
                     "\"clickCount\":1}",
                     types[i], x, y, i == 1 ? 1 : 0);
        }
        long long left = deadline - now_ms();
        int rc = call(c, 1, "Input.dispatchMouseEvent", p, NULL,
                      left > 0 ? (int)left : 1, err);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    return ERR_OK;
}

int cdp_screenshot(cdp_t *c, const char *path, int timeout_ms,
                   char err[ERR_LEN])
{
    char *reply = NULL;
    int rc = call(c, 1, "Page.captureScreenshot", "{\"format\":\"png\"}",
                  &reply, timeout_ms, err);
    if (rc != ERR_OK) {
        return rc;
    }
    char *data = cdp_jget(reply, "result.data");
    free(reply);
    if (data == NULL) {
        snprintf(err, ERR_LEN, "Page.captureScreenshot: no data");
        return ERR_PROTO;
    }
    size_t n = strlen(data);
    unsigned char *png = cdp_grow(NULL, n / 4 * 3 + 3);
    long len = cdp_base64_decode(data, n, png, n / 4 * 3 + 3);
    free(data);
    if (len < 0) {
        free(png);
        snprintf(err, ERR_LEN, "Page.captureScreenshot: not base64");
        return ERR_PROTO;
    }
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(png, 1, (size_t)len, f) == (size_t)len;
    if (f != NULL && fclose(f) != 0) {
        ok = 0;
    }
    if (!ok) {
        snprintf(err, ERR_LEN, "write %s: %s", path, strerror(errno));
        rc = ERR_IO;
    }
    free(png);
    return rc;
}

const char *cdp_errors(const cdp_t *c)
{
    return c->errs.s;
}

size_t cdp_error_count(const cdp_t *c)
{
    return c->n_errs;
}

void cdp_clear_errors(cdp_t *c)
{
    c->errs.s[0] = '\0';
    c->errs.len = 0;
    c->n_errs = 0;
}
