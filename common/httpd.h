/** @file httpd.h
 *  @brief One page served over HTTP (libmicrohttpd): the daemons' /metrics.
 *
 *  Concern: listening on the one address the operator gave and answering
 *  GET (and HEAD) of one path with a page the caller writes on each
 *  request; 404 for any other path, 405 for any other method. It knows
 *  nothing of what the page says (common/metrics writes it).
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
 *    2. The page function runs only in the server's thread, one request
 *       at a time, and never after httpd_stop() returned.
 *    3. At most HTTPD_MAX_CONNECTIONS connections at once, each closed
 *       after HTTPD_TIMEOUT_S seconds idle: a client cannot hold the
 *       server.
 */
#ifndef HRSS_HTTPD_H
#define HRSS_HTTPD_H
#include <stddef.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/err.h"

/** Connections served at once (more wait in the listen queue). */
#define HTTPD_MAX_CONNECTIONS 16
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

/** The port listened on (the kernel's pick when 0 was asked). */
int httpd_port(const httpd_t *self);

/** The page's address, "http://127.0.0.1:PORT/metrics" or
 *  "http://[::1]:PORT/metrics". Borrowed; valid until httpd_stop(). */
const char *httpd_url(const httpd_t *self);

/** Stop serving (waits for the server's thread: the page function is
 *  not running and will not run again), close the socket, free the
 *  server and set *self_p to NULL; no-op on NULL. */
void httpd_stop(httpd_t **self_p);

#endif
