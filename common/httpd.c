/* httpd.c: one page over HTTP, served by libmicrohttpd, loaded with
 * dlopen() only when a server is started.
 *
 * Why libmicrohttpd: a well-kept HTTP/1.1 server (request parsing,
 * keep-alive, timeouts, connection limits) is less to get wrong than our
 * own, and Debian ships it (libmicrohttpd12).
 *
 * Why dlopen: /metrics is optional, but linking libmicrohttpd maps it and
 * libgnutls with its own dependencies (p11-kit, nettle, gmp, libtasn1,
 * libidn2, libunistring, ...) into every daemon, about 2.6 MiB of the idle
 * agent's RSS (issue 10: under 8 MiB). So the executables do not link it:
 * httpd_start() dlopen()s HTTPD_MHD_LIB and looks up the six functions
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
 *   httpd_start: dlopen + dlsym -> socket -> bind -> listen
 *                -> MHD_start_daemon(thread)
 *   request (server thread): path? 404 : method GET/HEAD? page : 405
 *   httpd_stop: MHD_stop_daemon (joins the thread, closes the socket)
 *
 * INVARIANTS
 *   1. The socket is bound only to the address given (httpd.h, 1).
 *   2. page() runs only in libmicrohttpd's one polling thread
 *      (MHD_USE_INTERNAL_POLLING_THREAD without a thread pool or a
 *      thread per connection), between httpd_start() and the return of
 *      MHD_stop_daemon().
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

/* The functions of libmicrohttpd this file calls (INVARIANT 4). */
typedef struct mhd_api {
    start_daemon_fn start_daemon;
    stop_daemon_fn stop_daemon;
    create_response_from_buffer_fn create_response_from_buffer;
    add_response_header_fn add_response_header;
    queue_response_fn queue_response;
    destroy_response_fn destroy_response;
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
    return err[0] == '\0' ? ERR_OK : ERR_NOTFOUND;
}

/* ----------------------------------------------------------- the server */

struct httpd {
    mhd_api_t mhd_api; /* the library's functions (INVARIANT 4) */
    struct MHD_Daemon *mhd;
    char path[PATH_MAX_LEN + 1];
    const char *content_type;
    httpd_page_fn page;
    void *arg;
    int port;
    char url[HTTPD_URL_LEN];
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

/* Queue a response of @p len bytes at @p body with @p status. */
static enum MHD_Result respond(const mhd_api_t *api,
                               struct MHD_Connection *conn,
                               unsigned status, const char *type,
                               const void *body, size_t len, int allow)
{
    struct MHD_Response *r = api->create_response_from_buffer(
        len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    api->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (allow) {
        api->add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    enum MHD_Result rc = api->queue_response(conn, status, r);
    api->destroy_response(r);
    return rc;
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
    static const char not_found[] = "not found\n";
    static const char not_allowed[] = "method not allowed: GET or HEAD\n";
    if (strcmp(url, h->path) != 0) {
        return respond(&h->mhd_api, conn, MHD_HTTP_NOT_FOUND, "text/plain",
                       not_found, sizeof not_found - 1, 0);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return respond(&h->mhd_api, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                       "text/plain", not_allowed, sizeof not_allowed - 1, 1);
    }
    buf_t page;
    buf_init(&page);
    h->page(&page, h->arg);
    enum MHD_Result rc = respond(&h->mhd_api, conn, MHD_HTTP_OK,
                                 h->content_type,
                                 page.len > 0 ? (void *)page.data : "",
                                 page.len, 0);
    buf_fini(&page);
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

/* "http://HOST:PORT/PATH" of the bound address into h->url. */
static void make_url(httpd_t *h, const httpd_addr_t *a)
{
    char host[INET6_ADDRSTRLEN];
    int v6 = a->ss.ss_family == AF_INET6;
    const void *in = v6
        ? (const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr
        : (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr;
    if (inet_ntop(a->ss.ss_family, in, host, sizeof host) == NULL) {
        snprintf(host, sizeof host, "?");
    }
    snprintf(h->url, sizeof h->url, "http://%s%s%s:%d%s", v6 ? "[" : "",
             host, v6 ? "]" : "", h->port, h->path);
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
    make_url(h, addr);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;
    if (addr->ss.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    h->mhd = h->mhd_api.start_daemon(
        flags, 0, NULL, NULL, answer, h, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_TIMEOUT_S,
        MHD_OPTION_END);
    if (h->mhd == NULL) {
        /* No other thread of ours opens descriptors at start-up, so a
         * descriptor still open is the socket the server did not take. */
        if (fcntl(fd, F_GETFD) != -1) {
            close(fd);
        }
        snprintf(err, ERR_LEN, "cannot start the HTTP server on %s",
                 addr->text);
        free(h);
        return ERR_IO;
    }
    *out = h;
    return ERR_OK;
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
