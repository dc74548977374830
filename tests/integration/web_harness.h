/* web_harness.h: hrss-web as the integration tests run it (test_web,
 * test_web_faults): the real binary on a port the kernel picks, asked
 * over HTTP with tests/unit/http_client.
 *
 * INVARIANTS
 *   1. web_start() returns only once hrss-web printed its URL: it
 *      listens.
 *   2. Every wait has a deadline (hx_wait_until, the client's timeout).
 */
#ifndef HRSS_TEST_WEB_HARNESS_H
#define HRSS_TEST_WEB_HARNESS_H
#include <sys/types.h>

#include "http_client.h"

/* A running hrss-web. Plain value struct. */
typedef struct web {
    pid_t pid;
    char url[256];  /* as it printed it: http(s)://127.0.0.1:PORT/ */
    int port;
} web_t;

/* Start hrss-web with the extra NULL-terminated arguments @p more on an
 * address the kernel picks (log: hx_dir/web.log); wait for its URL
 * line. */
void web_start(web_t *w, const char *const *more);

/* SIGTERM; expects a clean exit within 10 s. */
void web_stop(web_t *w);

/* GET @p path; @return the status (-1: no connection). */
int web_get(const web_t *w, const char *path, http_reply_t *r);

/* Status @p status and a JSON error whose message holds @p needle. */
void web_expect_refused(const web_t *w, const char *path, int status,
                        const char *needle);

#endif
