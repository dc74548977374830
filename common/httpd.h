/** @file httpd.h
 *  @brief A read-only HTTP server (libmicrohttpd): the daemons' /metrics
 *         page, and hrss-web's dashboard and JSON API.
 *
 *  Concern: listening on the one address the operator gave, over plain
 *  HTTP or TLS, and answering GET (and HEAD) requests: either one path
 *  with a page the caller writes on each request (httpd_start(): 404 for
 *  any other path), or every path through the caller's handler
 *  (httpd_serve()). Any other method is answered 405 here, and a request
 *  body is never read. It knows nothing of what a page says
 *  (common/metrics, admin/web write them).
 *
 *  libmicrohttpd is not linked: httpd_start() loads libmicrohttpd.so.12
 *  with dlopen() (Debian's libmicrohttpd12), so a daemon started without
 *  --metrics maps neither it nor libgnutls and the libraries that brings
 *  (about 2.6 MiB of an idle agent's RSS). Once loaded it stays loaded
 *  for the rest of the process, never dlclose()d (a later start only
 *  counts a reference): no thread or response of the library can outlive
 *  its code, and ASan/LSan never see it unloaded. Programs that use this
 *  module link the dl library (CMAKE_DL_LIBS), not libmicrohttpd.
 *
 *  The server runs in a thread of libmicrohttpd's own (one polling
 *  thread: requests are answered one at a time), which calls the page
 *  function; so the page function must only read state that is safe to
 *  read from another thread (the daemons copy a snapshot under a mutex),
 *  never a zmq socket or an LMDB transaction of the caller's.
 *
 *  Owns: the listening socket (made, bound and listening before the
 *  server starts, so that "address in use" is said as such) and the
 *  server's thread; both end in httpd_stop(). Borrows the page function's
 *  argument, which must outlive httpd_stop().
 *
 *  INVARIANTS
 *    1. Only the given address is listened on: a host is required, IPv6
 *       sockets are IPV6_V6ONLY, and no name is resolved.
 *    2. The page function (or handler) runs only in the server's thread,
 *       one request at a time, and never after httpd_stop() returned.
 *       It sees only GET and HEAD requests, and never a request body.
 *    3. At most HTTPD_MAX_CONNECTIONS connections at once, at most
 *       HTTPD_MAX_PER_CLIENT from one address, each closed after
 *       HTTPD_TIMEOUT_S seconds idle: a client cannot hold the server.
 */
#ifndef HRSS_HTTPD_H
#define HRSS_HTTPD_H
#include <stddef.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/err.h"

/** Connections served at once (more wait in the listen queue). */
#define HTTPD_MAX_CONNECTIONS 16
/** Connections from one address at once: one client cannot take every
 *  connection (a browser opens six). */
#define HTTPD_MAX_PER_CLIENT 8
/** An idle connection is closed after this many seconds. */
#define HTTPD_TIMEOUT_S 10
/** Room for "http://[IPv6]:PORT" and a path of up to 64 bytes. */
#define HTTPD_URL_LEN 128

typedef struct httpd httpd_t;

/** Where to listen: from httpd_addr_parse(). Plain value struct. */
typedef struct httpd_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    char text[64]; /**< as given, for messages: "127.0.0.1:9464" */
} httpd_addr_t;

/** Writes the page into @p out (empty on entry); @p arg as given to
 *  httpd_start(). Runs in the server's thread. */
typedef void (*httpd_page_fn)(buf_t *out, void *arg);

/** Parse "HOST:PORT": HOST a numeric IPv4 address ("127.0.0.1",
 *  "0.0.0.0"), a bracketed numeric IPv6 address ("[::1]", "[::]") or
 *  "localhost" (127.0.0.1); PORT 0..65535, 0 for one the kernel picks.
 *  @param[out] out  The address; untouched on failure.
 *  @return ERR_OK, or ERR_INVAL with the reason in @p err ("'X' is not
 *          ADDR:PORT, e.g. ..."). */
int httpd_addr_parse(const char *spec, httpd_addr_t *out, char err[ERR_LEN]);

/** Load libmicrohttpd (the first time), listen on @p addr and serve
 *  @p page at @p path ("/metrics", at most 64 bytes) with Content-Type
 *  @p content_type (borrowed: a literal).
 *  @param[out] out  The running server; untouched on failure.
 *  @return ERR_OK; ERR_NOTFOUND with "cannot load the HTTP server library
 *          libmicrohttpd.so.12 (Debian package libmicrohttpd12): <dlerror()>"
 *          in @p err when the library cannot be loaded (or lacks a
 *          function), before any socket is made; or ERR_IO with "cannot
 *          listen on ADDR: reason" (the address in use, not on this
 *          machine, ...) or "cannot start the HTTP server on ADDR" in
 *          @p err. Nothing is left open (a loaded library stays loaded).
 *  Caller owns *out and must httpd_stop() it; @p arg must outlive it.
 *  Call it before other threads of the process open descriptors: when
 *  libmicrohttpd fails to start, its descriptor number, if still open,
 *  is taken for the listening socket it did not take, and closed. */
int httpd_start(httpd_t **out, const httpd_addr_t *addr, const char *path,
                const char *content_type, httpd_page_fn page, void *arg,
                char err[ERR_LEN]);

/** One request, as a handler sees it: valid only during the call. */
typedef struct httpd_req httpd_req_t;

/** "GET" or "HEAD" (a handler sees no other method). */
const char *httpd_req_method(const httpd_req_t *req);

/** The path, %-decoded, without the query string ("/api/total"). */
const char *httpd_req_path(const httpd_req_t *req);

/** Called with each query argument in the order given: @p value is NULL
 *  for a bare "?key", else %-decoded, @p vlen bytes (it may hold a NUL
 *  byte: compare vlen with strlen to refuse one). @return 0 to go on,
 *  non-zero to stop. */
typedef int (*httpd_arg_fn)(const char *key, const char *value, size_t vlen,
                            void *arg);

/** Hand each query argument to @p each, in order.
 *  @return 0 when every one was handed on, or the non-zero value @p each
 *          stopped the walk with. */
int httpd_req_args(const httpd_req_t *req, httpd_arg_fn each, void *arg);

/** The request's HTTP basic credentials, copied into @p user and @p pass
 *  (NUL-terminated, cut to the buffers' sizes less one: a longer name or
 *  password then matches nothing). @return 1 when the request has them,
 *  0 when not. */
int httpd_req_basic(const httpd_req_t *req, char *user, size_t ulen,
                    char *pass, size_t plen);

/** A request's answer, filled in by the handler. The server sets status
 *  200, an empty body and no type before the call. */
typedef struct httpd_resp {
    unsigned status;          /**< HTTP status */
    const char *type;         /**< Content-Type (a literal); NULL:
                                   text/plain; charset=utf-8 */
    buf_t body;               /**< the body; owned by the server */
    const void *fixed;        /**< instead of body: bytes that outlive the
                                   server (an embedded file), not copied */
    size_t fixed_len;
    const char *cache;        /**< Cache-Control value (a literal) or NULL */
    const char *realm;        /**< with status 401: the Basic realm asked
                                   for (WWW-Authenticate); a literal */
    unsigned retry_after;     /**< > 0: a Retry-After header, seconds */
} httpd_resp_t;

/** Answers one request: fills @p resp. Runs in the server's thread, one
 *  request at a time (INVARIANT 2). */
typedef void (*httpd_handler_fn)(const httpd_req_t *req, httpd_resp_t *resp,
                                 void *arg);

/** What httpd_serve() adds to plain HTTP: TLS, and headers every answer
 *  carries. Borrowed: everything must outlive the server. */
typedef struct httpd_opts {
    const char *tls_cert_pem;      /**< with tls_key_pem: serve HTTPS */
    const char *tls_key_pem;
    const char *const *headers;    /**< name, value, name, value, ..., NULL */
} httpd_opts_t;

/** Load libmicrohttpd (the first time), listen on @p addr and answer
 *  every GET and HEAD with @p handler; 405 for any other method.
 *  @p opts may be NULL (plain HTTP, no extra headers).
 *  @return as httpd_start(), and ERR_INVAL with "cannot serve HTTPS: ..."
 *          when the certificate or key is refused.
 *  Caller owns *out and must httpd_stop() it; @p arg must outlive it. */
int httpd_serve(httpd_t **out, const httpd_addr_t *addr,
                const httpd_opts_t *opts, httpd_handler_fn handler,
                void *arg, char err[ERR_LEN]);

/** The port listened on (the kernel's pick when 0 was asked). */
int httpd_port(const httpd_t *self);

/** The page's address, "http://127.0.0.1:PORT/metrics" or
 *  "http://[::1]:PORT/metrics" ("https://HOST:PORT/" for a server of
 *  httpd_serve() with TLS). Borrowed; valid until httpd_stop(). */
const char *httpd_url(const httpd_t *self);

/** Stop serving (waits for the server's thread: the page function is
 *  not running and will not run again), close the socket, free the
 *  server and set *self_p to NULL; no-op on NULL. */
void httpd_stop(httpd_t **self_p);

#endif
