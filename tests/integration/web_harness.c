/* web_harness.c: see web_harness.h. */
#include "web_harness.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* As the harness runs programs: a name in the build's bin directory. */
#define BIN "hrss-web"

typedef struct url_wait {
    int fd;
    char buf[256];
    size_t len;
} url_wait_t;

static int url_line(void *arg)
{
    url_wait_t *w = arg;
    struct pollfd p = {.fd = w->fd, .events = POLLIN};
    if (poll(&p, 1, 50) == 1 && w->len < sizeof w->buf - 1) {
        ssize_t n = read(w->fd, w->buf + w->len, sizeof w->buf - 1 - w->len);
        if (n > 0) {
            w->len += (size_t)n;
        }
        w->buf[w->len] = '\0';
    }
    return strchr(w->buf, '\n') != NULL;
}

void web_start(web_t *w, const char *const *more)
{
    const char *argv[24] = {BIN, "--listen", "127.0.0.1:0"};
    size_t n = 3;
    for (; *more != NULL && n < 23; more++) {
        argv[n++] = *more;
    }
    argv[n] = NULL;
    char log[300];
    snprintf(log, sizeof log, "%s/web.log", hx_dir);
    url_wait_t uw = {.len = 0};
    w->pid = hx_spawn_pipe(log, argv, &uw.fd);
    cr_assert_eq(hx_wait_until(url_line, &uw, 30000), 1,
                 "hrss-web printed no URL (see %s)", log);
    close(uw.fd);
    uw.buf[strcspn(uw.buf, "\n")] = '\0';
    snprintf(w->url, sizeof w->url, "%s", uw.buf);
    cr_assert(sscanf(w->url, "http%*[s]://127.0.0.1:%d/", &w->port) == 1 ||
                  sscanf(w->url, "http://127.0.0.1:%d/", &w->port) == 1,
              "%s", w->url);
}

void web_stop(web_t *w)
{
    cr_expect_eq(hx_stop(w->pid, SIGTERM, 10000), 0,
                 "hrss-web did not stop cleanly on SIGTERM");
}

int web_get(const web_t *w, const char *path, http_reply_t *r)
{
    return http_request("127.0.0.1", w->port, "GET", path, r);
}

void web_expect_refused(const web_t *w, const char *path, int status,
                        const char *needle)
{
    http_reply_t r;
    web_get(w, path, &r);
    cr_expect_eq(r.status, status, "%s: %d %s", path, r.status, r.body);
    cr_expect(strncmp(r.body, "{\"error\": \"", 11) == 0 &&
                  strstr(r.body, needle) != NULL,
              "%s: %s (wanted '%s')", path, r.body, needle);
    http_reply_fini(&r);
}
