/* http_client.h: a tiny HTTP client for tests of the /metrics pages
 * (test_httpd, the integration tests): one request on one connection to
 * loopback, read to the end. No curl: the tests need nothing but libc.
 *
 * INVARIANTS
 *   1. A request never waits more than HTTP_CLIENT_TIMEOUT_MS for the
 *      connection or the answer.
 *   2. head and body are always NUL-terminated (cut to fit).
 */
#ifndef HRSS_TEST_HTTP_CLIENT_H
#define HRSS_TEST_HTTP_CLIENT_H
#include <stddef.h>

#define HTTP_CLIENT_TIMEOUT_MS 10000

/* What came back. Plain value struct. */
typedef struct http_reply {
    int status;        /* the status line's code, or -1: no connection */
    char head[2048];   /* the status line and headers */
    char *body;        /* malloc'd, NUL-terminated; free() it */
    size_t body_len;
} http_reply_t;

/* Send "METHOD PATH HTTP/1.1" with "Connection: close" to @p host
 * ("127.0.0.1" or "::1") port @p port and read the whole answer into
 * @p r. @return r->status. */
int http_request(const char *host, int port, const char *method,
                 const char *path, http_reply_t *r);

/* GET of a URL "http://127.0.0.1:PORT/PATH" or "http://[::1]:PORT/PATH". */
int http_get_url(const char *url, http_reply_t *r);

/* The value of sample line "NAME VALUE" (NAME with its labels, exactly
 * as written) in a metrics page, or -1 when it is not there. */
double http_metric(const char *page, const char *name);

void http_reply_fini(http_reply_t *r);

#endif
