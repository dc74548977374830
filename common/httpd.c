/* httpd.c: read-only HTTP (one page, or a handler for every path), served
 * by libmicrohttpd, loaded with dlopen() only when a server is started.
 *
 * Why libmicrohttpd: a well-kept HTTP/1.1 server (request parsing,
 * keep-alive, timeouts, connection limits) is less to get wrong than our
 * own, and Debian ships it (libmicrohttpd12).
 *
 * Why dlopen: /metrics is optional, but linking libmicrohttpd maps it and
 * libgnutls with its own dependencies (p11-kit, nettle, gmp, libtasn1,
 * libidn2, libunistring, ...) into every daemon, about 2.6 MiB of the idle
 * agent's RSS (issue 10: under 8 MiB). So the executables do not link it:
 * httpd_start() dlopen()s HTTPD_MHD_LIB and looks up the nine functions
 * this file calls into a table (mhd_api_t) kept in the server. The header
 * <microhttpd.h> still gives the types and constants, and a
 * _Static_assert checks each table entry's type against its declaration
 * there, so a wrong signature fails to compile. The library is never
 * dlclose()d: it stays loaded, once, for the rest of the process (a later
 * dlopen() only counts a reference), so no thread or response of
 * libmicrohttpd's can outlive its code, and ASan/LSan see no unloaded
 * library. If it cannot be loaded, httpd_start() fails and says so
 * (dlerror() included), before any socket is made.
 *
 * The listening socket is ours: made, bound and listening here, then
 * handed to the server (MHD_OPTION_LISTEN_SOCKET). So a failure to bind
 * is reported with its errno ("Address already in use") before any
 * thread starts, instead of a NULL from MHD_start_daemon() that says
 * nothing; and IPv6 sockets get IPV6_V6ONLY, so "[::1]:9464" listens on
 * that address only. libmicrohttpd closes the socket in
 * MHD_stop_daemon().
 *
 *   httpd_start / httpd_serve: dlopen + dlsym -> socket -> bind -> listen
 *                -> MHD_start_daemon(thread[, TLS])
 *   request (server thread): method GET/HEAD? handler : 405
 *     httpd_start's handler: path? page : 404
 *   httpd_stop: MHD_stop_daemon (joins the thread, closes the socket)
 *
 * INVARIANTS
 *   1. The socket is bound only to the address given (httpd.h, 1).
 *   2. The handler (and so page()) runs only in libmicrohttpd's one
 *      polling thread (MHD_USE_INTERNAL_POLLING_THREAD without a thread
 *      pool or a thread per connection), between the start and the
 *      return of MHD_stop_daemon().
 *   3. Every request gets one response, queued at its first call, before
 *      any body is read (a body is discarded and the connection closed).
 *   4. libmicrohttpd is called only through a server's mhd_api_t, every
 *      entry of which was found by dlsym() before the server started;
 *      MHD_ functions are named only inside _Static_assert, never in
 *      evaluated code, so the executables have no link-time reference
 *      to the library (ldd lists no libmicrohttpd).
 *   5. The library, once loaded, is never unloaded.
 */
#include "common/httpd.h"

#include <arpa/inet.h>
#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mem.h"

#define PATH_MAX_LEN 64
#define LISTEN_BACKLOG 16

/* ------------------------------------------------------------ the library */

/* The soname of Debian 12's libmicrohttpd12 (libmicrohttpd 0.9.x, whose
 * ABI the header we compile against describes). */
#define HTTPD_MHD_LIB "libmicrohttpd.so.12"

typedef struct MHD_Daemon *(*start_daemon_fn)(
    unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...);
typedef void (*stop_daemon_fn)(struct MHD_Daemon *daemon);
typedef struct MHD_Response *(*create_response_from_buffer_fn)(
    size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
typedef enum MHD_Result (*add_response_header_fn)(
    struct MHD_Response *response, const char *header, const char *content);
typedef enum MHD_Result (*queue_response_fn)(
    struct MHD_Connection *connection, unsigned int status_code,
    struct MHD_Response *response);
typedef void (*destroy_response_fn)(struct MHD_Response *response);
typedef int (*get_values_n_fn)(struct MHD_Connection *connection,
                               enum MHD_ValueKind kind,
                               MHD_KeyValueIteratorN iterator,
                               void *iterator_cls);
typedef char *(*basic_auth_fn)(struct MHD_Connection *connection,
                               char **password);
typedef void (*free_fn)(void *ptr);

/* Each type is the header's own (the operand of _Generic is not
 * evaluated: no reference to the symbol is emitted). */
_Static_assert(_Generic(&MHD_start_daemon, start_daemon_fn: 1, default: 0),
               "MHD_start_daemon's type");
_Static_assert(_Generic(&MHD_stop_daemon, stop_daemon_fn: 1, default: 0),
               "MHD_stop_daemon's type");
_Static_assert(_Generic(&MHD_create_response_from_buffer,
                        create_response_from_buffer_fn: 1, default: 0),
               "MHD_create_response_from_buffer's type");
_Static_assert(_Generic(&MHD_add_response_header,
                        add_response_header_fn: 1, default: 0),
               "MHD_add_response_header's type");
_Static_assert(_Generic(&MHD_queue_response, queue_response_fn: 1,
                        default: 0),
               "MHD_queue_response's type");
_Static_assert(_Generic(&MHD_destroy_response, destroy_response_fn: 1,
                        default: 0),
               "MHD_destroy_response's type");
_Static_assert(_Generic(&MHD_get_connection_values_n, get_values_n_fn: 1,
                        default: 0),
               "MHD_get_connection_values_n's type");
_Static_assert(_Generic(&MHD_basic_auth_get_username_password,
                        basic_auth_fn: 1, default: 0),
               "MHD_basic_auth_get_username_password's type");
_Static_assert(_Generic(&MHD_free, free_fn: 1, default: 0),
               "MHD_free's type");

/* The functions of libmicrohttpd this file calls (INVARIANT 4). */
typedef struct mhd_api {
    start_daemon_fn start_daemon;
    stop_daemon_fn stop_daemon;
    create_response_from_buffer_fn create_response_from_buffer;
    add_response_header_fn add_response_header;
    queue_response_fn queue_response;
    destroy_response_fn destroy_response;
    get_values_n_fn get_values_n;
    basic_auth_fn basic_auth;
    free_fn free;
} mhd_api_t;

/* dlsym(@p lib, @p name), or NULL with "cannot load the HTTP server
 * library ..." in @p err (only the first missing name is told). POSIX
 * makes the object pointer dlsym() returns convertible to the function's
 * pointer type. */
static void *find(void *lib, const char *name, char err[ERR_LEN])
{
    (void)dlerror(); /* clear a stale error */
    void *sym = dlsym(lib, name);
    if (sym == NULL && err[0] == '\0') {
        const char *why = dlerror();
        snprintf(err, ERR_LEN, "cannot load the HTTP server library %s: %s",
                 HTTPD_MHD_LIB, why != NULL ? why : name);
    }
    return sym;
}

/* Load libmicrohttpd (or count one more reference to it) and fill @p api.
 * @return ERR_OK, or ERR_NOTFOUND with "cannot load the HTTP server
 * library libmicrohttpd.so.12 (...): <dlerror()>" in @p err; @p api is
 * then unusable. The library is never closed (INVARIANT 5), not even
 * after a missing symbol. */
static int load_mhd(mhd_api_t *api, char err[ERR_LEN])
{
    void *lib = dlopen(HTTPD_MHD_LIB, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *why = dlerror();
        snprintf(err, ERR_LEN,
                 "cannot load the HTTP server library %s (Debian package "
                 "libmicrohttpd12): %s", HTTPD_MHD_LIB,
                 why != NULL ? why : "dlopen failed");
        return ERR_NOTFOUND;
    }
    err[0] = '\0';
    api->start_daemon = (start_daemon_fn)find(lib, "MHD_start_daemon", err);
    api->stop_daemon = (stop_daemon_fn)find(lib, "MHD_stop_daemon", err);
    api->create_response_from_buffer = (create_response_from_buffer_fn)find(
        lib, "MHD_create_response_from_buffer", err);
    api->add_response_header =
        (add_response_header_fn)find(lib, "MHD_add_response_header", err);
    api->queue_response =
        (queue_response_fn)find(lib, "MHD_queue_response", err);
    api->destroy_response =
        (destroy_response_fn)find(lib, "MHD_destroy_response", err);
    api->get_values_n =
        (get_values_n_fn)find(lib, "MHD_get_connection_values_n", err);
    api->basic_auth = (basic_auth_fn)find(
        lib, "MHD_basic_auth_get_username_password", err);
    api->free = (free_fn)find(lib, "MHD_free", err);
    return err[0] == '\0' ? ERR_OK : ERR_NOTFOUND;
}

/* ----------------------------------------------------------- the server */

struct httpd {
    mhd_api_t mhd_api; /* the library's functions (INVARIANT 4) */
    struct MHD_Daemon *mhd;
    httpd_handler_fn handler;
    void *handler_arg;
    const char *const *headers; /* every answer's: name, value, ..., NULL */
    /* httpd_start(): the one page (page_handler() is the handler). */
    char path[PATH_MAX_LEN + 1];
    const char *content_type;
    httpd_page_fn page;
    void *arg;
    int port;
    char url[HTTPD_URL_LEN];
};

struct httpd_req {
    const httpd_t *h;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
};

/* PORT after HOST's ':': 1..5 digits, 0..65535. */
static int parse_port(const char *s, int *port)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 5 || s[n] != '\0') {
        return -1;
    }
    long v = strtol(s, NULL, 10);
    if (v > 65535) {
        return -1;
    }
    *port = (int)v;
    return 0;
}

/* HOST (without brackets) and PORT into @p out. @return 0 or -1. */
static int fill_addr(const char *host, int v6, int port, httpd_addr_t *out)
{
    memset(&out->ss, 0, sizeof out->ss);
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        out->len = sizeof *a;
        return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)&out->ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    out->len = sizeof *a;
    if (strcmp(host, "localhost") == 0) {
        host = "127.0.0.1";
    }
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

int httpd_addr_parse(const char *spec, httpd_addr_t *out, char err[ERR_LEN])
{
    char host[64];
    httpd_addr_t a;
    memset(&a, 0, sizeof a);
    const char *colon = strrchr(spec, ':');
    int port = 0;
    int v6 = spec[0] == '[';
    size_t hlen = colon != NULL ? (size_t)(colon - spec) : 0;
    int ok = colon != NULL && hlen > 0 && strlen(spec) < sizeof a.text &&
             parse_port(colon + 1, &port) == 0;
    if (ok && v6) {
        ok = hlen > 2 && spec[hlen - 1] == ']';
        hlen -= 2;
    }
    if (ok) {
        memcpy(host, spec + v6, hlen);
        host[hlen] = '\0';
        ok = fill_addr(host, v6, port, &a) == 0;
    }
    if (!ok) {
        snprintf(err, ERR_LEN,
                 "'%.100s' is not ADDR:PORT, e.g. 127.0.0.1:9464, "
                 "[::1]:9464 or 0.0.0.0:9464 (a numeric address or "
                 "localhost; port 0: any free port)", spec);
        return ERR_INVAL;
    }
    snprintf(a.text, sizeof a.text, "%s", spec);
    *out = a;
    return ERR_OK;
}

/* ------------------------------------------------------------ requests */

const char *httpd_req_method(const httpd_req_t *req)
{
    return req->method;
}

const char *httpd_req_path(const httpd_req_t *req)
{
    return req->path;
}

typedef struct arg_walk {
    httpd_arg_fn each;
    void *arg;
    int stopped;
} arg_walk_t;

static enum MHD_Result one_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, size_t key_size,
                               const char *value, size_t value_size)
{
    (void)kind;
    (void)key_size;
    arg_walk_t *w = cls;
    w->stopped = w->each(key, value, value != NULL ? value_size : 0, w->arg);
    return w->stopped == 0 ? MHD_YES : MHD_NO;
}

int httpd_req_args(const httpd_req_t *req, httpd_arg_fn each, void *arg)
{
    arg_walk_t w = {each, arg, 0};
    req->h->mhd_api.get_values_n(req->conn, MHD_GET_ARGUMENT_KIND, one_arg,
                                 &w);
    return w.stopped;
}

int httpd_req_basic(const httpd_req_t *req, char *user, size_t ulen,
                    char *pass, size_t plen)
{
    char *p = NULL;
    char *u = req->h->mhd_api.basic_auth(req->conn, &p);
    int got = u != NULL;
    if (got) {
        snprintf(user, ulen, "%s", u);
        snprintf(pass, plen, "%s", p != NULL ? p : "");
        /* A name or password cut to fit matches nothing: make sure. */
        if (strlen(u) >= ulen || (p != NULL && strlen(p) >= plen)) {
            user[0] = '\0';
        }
    }
    if (p != NULL) {
        req->h->mhd_api.free(p);
    }
    if (u != NULL) {
        req->h->mhd_api.free(u);
    }
    return got;
}

/* Queue @p rs on @p conn. */
static enum MHD_Result respond(const httpd_t *h, struct MHD_Connection *conn,
                               const httpd_resp_t *rs, int allow)
{
    const mhd_api_t *api = &h->mhd_api;
    const void *body = rs->fixed != NULL ? rs->fixed
                       : rs->body.len > 0 ? (const void *)rs->body.data
                                          : "";
    size_t len = rs->fixed != NULL ? rs->fixed_len : rs->body.len;
    struct MHD_Response *r = api->create_response_from_buffer(
        len, (void *)(uintptr_t)body,
        rs->fixed != NULL ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    api->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                             rs->type != NULL ? rs->type
                                              : "text/plain; charset=utf-8");
    for (const char *const *hd = h->headers; hd != NULL && hd[0] != NULL;
         hd += 2) {
        api->add_response_header(r, hd[0], hd[1]);
    }
    if (rs->cache != NULL) {
        api->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, rs->cache);
    }
    if (rs->status == MHD_HTTP_UNAUTHORIZED && rs->realm != NULL) {
        char chal[160];
        snprintf(chal, sizeof chal, "Basic realm=\"%s\", charset=\"UTF-8\"",
                 rs->realm);
        api->add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, chal);
    }
    if (allow) {
        api->add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    if (rs->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%u", rs->retry_after);
        api->add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    enum MHD_Result rc = api->queue_response(conn, rs->status, r);
    api->destroy_response(r);
    return rc;
}

/* httpd_start()'s handler: the one page at h->path. */
static void page_handler(const httpd_req_t *req, httpd_resp_t *rs,
                         void *arg)
{
    const httpd_t *h = arg;
    if (strcmp(req->path, h->path) != 0) {
        rs->status = MHD_HTTP_NOT_FOUND;
        static const char nf[] = "not found\n";
        buf_put(&rs->body, nf, sizeof nf - 1);
        return;
    }
    rs->type = h->content_type;
    h->page(&rs->body, h->arg);
}

/* libmicrohttpd's access handler (server thread; INVARIANT 3). */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    httpd_t *h = cls;
    httpd_resp_t rs = {.status = MHD_HTTP_OK};
    buf_init(&rs.body);
    int allow = 0;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        rs.status = MHD_HTTP_METHOD_NOT_ALLOWED;
        static const char na[] = "method not allowed: GET or HEAD\n";
        buf_put(&rs.body, na, sizeof na - 1);
        allow = 1;
    } else {
        httpd_req_t req = {h, conn, method, url};
        h->handler(&req, &rs, h->handler_arg);
    }
    enum MHD_Result rc = respond(h, conn, &rs, allow);
    buf_fini(&rs.body);
    return rc;
}

/* ------------------------------------------------------ start and stop */

/* A listening socket on @p a, its port in *port. @return the socket, or
 * -1 with "cannot listen on ADDR: reason" in @p err. */
static int listen_on(const httpd_addr_t *a, int *port, char err[ERR_LEN])
{
    int family = a->ss.ss_family;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
        snprintf(err, ERR_LEN, "cannot listen on %s: %s", a->text,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    *port = family == AF_INET6
                ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

/* "http(s)://HOST:PORT/PATH" of the bound address into h->url. */
static void make_url(httpd_t *h, const httpd_addr_t *a, int tls)
{
    char host[INET6_ADDRSTRLEN];
    int v6 = a->ss.ss_family == AF_INET6;
    const void *in = v6
        ? (const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr
        : (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr;
    if (inet_ntop(a->ss.ss_family, in, host, sizeof host) == NULL) {
        snprintf(host, sizeof host, "?");
    }
    snprintf(h->url, sizeof h->url, "http%s://%s%s%s:%d%s", tls ? "s" : "",
             v6 ? "[" : "", host, v6 ? "]" : "", h->port, h->path);
}

/* Start @p h (its handler set) on @p addr. On failure @p h is freed. */
static int run(httpd_t *h, const httpd_addr_t *addr,
               const httpd_opts_t *opts, httpd_t **out, char err[ERR_LEN])
{
    int tls = opts != NULL && opts->tls_cert_pem != NULL &&
              opts->tls_key_pem != NULL;
    int rc = load_mhd(&h->mhd_api, err);
    if (rc != ERR_OK) {
        free(h);
        return rc;
    }
    int fd = listen_on(addr, &h->port, err);
    if (fd < 0) {
        free(h);
        return ERR_IO;
    }
    make_url(h, addr, tls);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;
    if (addr->ss.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    if (tls) {
        h->mhd = h->mhd_api.start_daemon(
            flags | MHD_USE_TLS, 0, NULL, NULL, answer, h,
            MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned)HTTPD_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
            (unsigned)HTTPD_MAX_PER_CLIENT, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)HTTPD_TIMEOUT_S, MHD_OPTION_HTTPS_MEM_KEY,
            opts->tls_key_pem, MHD_OPTION_HTTPS_MEM_CERT,
            opts->tls_cert_pem, MHD_OPTION_END);
    } else {
        h->mhd = h->mhd_api.start_daemon(
            flags, 0, NULL, NULL, answer, h, MHD_OPTION_LISTEN_SOCKET, fd,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_MAX_CONNECTIONS,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT,
            (unsigned)HTTPD_MAX_PER_CLIENT, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)HTTPD_TIMEOUT_S, MHD_OPTION_END);
    }
    if (h->mhd == NULL) {
        /* No other thread of ours opens descriptors at start-up, so a
         * descriptor still open is the socket the server did not take. */
        if (fcntl(fd, F_GETFD) != -1) {
            close(fd);
        }
        if (tls) {
            snprintf(err, ERR_LEN,
                     "cannot serve HTTPS on %s: the certificate or key is "
                     "not a PEM pair the TLS library accepts", addr->text);
        } else {
            snprintf(err, ERR_LEN, "cannot start the HTTP server on %s",
                     addr->text);
        }
        free(h);
        return tls ? ERR_INVAL : ERR_IO;
    }
    *out = h;
    return ERR_OK;
}

int httpd_start(httpd_t **out, const httpd_addr_t *addr, const char *path,
                const char *content_type, httpd_page_fn page, void *arg,
                char err[ERR_LEN])
{
    assert(path[0] == '/' && strlen(path) <= PATH_MAX_LEN);
    httpd_t *h = xcalloc(1, sizeof *h);
    snprintf(h->path, sizeof h->path, "%s", path);
    h->content_type = content_type;
    h->page = page;
    h->arg = arg;
    h->handler = page_handler;
    h->handler_arg = h;
    return run(h, addr, NULL, out, err);
}

int httpd_serve(httpd_t **out, const httpd_addr_t *addr,
                const httpd_opts_t *opts, httpd_handler_fn handler,
                void *arg, char err[ERR_LEN])
{
    httpd_t *h = xcalloc(1, sizeof *h);
    snprintf(h->path, sizeof h->path, "/");
    h->handler = handler;
    h->handler_arg = arg;
    h->headers = opts != NULL ? opts->headers : NULL;
    return run(h, addr, opts, out, err);
}

int httpd_port(const httpd_t *self)
{
    return self->port;
}

const char *httpd_url(const httpd_t *self)
{
    return self->url;
}

void httpd_stop(httpd_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    (*self_p)->mhd_api.stop_daemon((*self_p)->mhd);
    free(*self_p);
    *self_p = NULL;
}
