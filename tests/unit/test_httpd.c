/* test_httpd.c: common/httpd.c, one page over HTTP (libmicrohttpd,
 * loaded by httpd_start() with dlopen()).
 *
 * Servers listen on ports the kernel picks (port 0), so tests run in
 * parallel; requests go through tests/unit/http_client.c over loopback.
 *
 * A library that cannot be loaded is made with GNU ld's --wrap=dlopen
 * (tests/CMakeLists.txt): the references to dlopen in the linked objects
 * (common/httpd.c's) resolve to __wrap_dlopen below, which, when armed,
 * asks the real dlopen for a name that does not exist, so dlerror() says
 * what it says of a missing library. __wrap_dlopen and __real_dlopen are
 * the names ld imposes (tests/fault/mdbfault.c has the same exception to
 * the house style).
 *
 * INVARIANTS
 *   1. Every server a test starts is stopped in that test, and every
 *      reply freed (ASan).
 *   2. Unarmed, __wrap_dlopen is dlopen (same arguments, same result).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/httpd.h"
#include "http_client.h"

/* Each test runs in its own process (Criterion forks): no reset needed. */
static atomic_int dlopen_armed;
static char dlopen_asked[128]; /* the name httpd.c asked for, last */

void *__real_dlopen(const char *file, int mode);
void *__wrap_dlopen(const char *file, int mode);

void *__wrap_dlopen(const char *file, int mode)
{
    if (file != NULL) {
        snprintf(dlopen_asked, sizeof dlopen_asked, "%s", file);
    }
    if (atomic_load(&dlopen_armed)) {
        return __real_dlopen("libhrss-test-absent.so.0", mode);
    }
    return __real_dlopen(file, mode);
}

/* Is a file whose name has @p part mapped into this process? */
static int mapped(const char *part)
{
    FILE *f = fopen("/proc/self/maps", "r");
    cr_assert_not_null(f);
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        found = strstr(line, part) != NULL;
    }
    fclose(f);
    return found;
}

/* The number of this process's open descriptors. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    while (readdir(d) != NULL) {
        n++;
    }
    closedir(d);
    return n;
}

typedef struct page_arg {
    atomic_int calls;
    pthread_t caller;     /* the thread of the last call */
    const char *text;
} page_arg_t;

static void page(buf_t *out, void *arg)
{
    page_arg_t *p = arg;
    atomic_fetch_add(&p->calls, 1);
    p->caller = pthread_self();
    buf_put(out, p->text, strlen(p->text));
}

static httpd_t *start(const char *spec, page_arg_t *p)
{
    httpd_addr_t a;
    char err[ERR_LEN];
    cr_assert_eq(httpd_addr_parse(spec, &a, err), ERR_OK, "%s", err);
    httpd_t *h = NULL;
    cr_assert_eq(httpd_start(&h, &a, "/metrics", "text/plain; x=1", page, p,
                             err), ERR_OK, "%s", err);
    cr_assert_not_null(h);
    return h;
}

Test(httpd, addresses_that_parse)
{
    static const char *const good[] = {
        "127.0.0.1:9464", "0.0.0.0:9464", "[::1]:9464", "[::]:0",
        "localhost:1", "10.1.2.3:65535", "127.0.0.1:0"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        httpd_addr_t a;
        char err[ERR_LEN] = "";
        cr_expect_eq(httpd_addr_parse(good[i], &a, err), ERR_OK, "%s: %s",
                     good[i], err);
        cr_expect_str_eq(a.text, good[i]);
    }
}

Test(httpd, addresses_that_do_not)
{
    static const char *const bad[] = {
        "", "9464", ":9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x", "::1:9464",
        "[::1:9464", "[::1]", "[]:9464", "[127.0.0.1]:80", "example.org:80",
        "256.0.0.1:80", "127.0.0.1:123456", "[::1]x:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        httpd_addr_t a;
        memset(&a, 0x5a, sizeof a);
        httpd_addr_t before = a;
        char err[ERR_LEN] = "";
        cr_expect_eq(httpd_addr_parse(bad[i], &a, err), ERR_INVAL, "'%s'",
                     bad[i]);
        cr_expect(strstr(err, "is not ADDR:PORT") != NULL, "%s", err);
        cr_expect(strstr(err, "127.0.0.1:9464") != NULL, "%s", err);
        cr_expect_eq(memcmp(&a, &before, sizeof a), 0,
                     "'%s' changed the output", bad[i]);
    }
}

Test(httpd, get_serves_the_page_from_another_thread)
{
    page_arg_t p = {.text = "hello 1\n"};
    httpd_t *h = start("127.0.0.1:0", &p);
    cr_assert_gt(httpd_port(h), 0);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d/metrics",
             httpd_port(h));
    cr_expect_str_eq(httpd_url(h), want);
    http_reply_t r;
    cr_expect_eq(http_get_url(httpd_url(h), &r), 200, "%s", r.head);
    cr_expect_str_eq(r.body, "hello 1\n");
    cr_expect(strstr(r.head, "Content-Type: text/plain; x=1") != NULL, "%s",
              r.head);
    http_reply_fini(&r);
    /* The query string is not part of the path. */
    cr_expect_eq(http_request("127.0.0.1", httpd_port(h), "GET",
                              "/metrics?x=1", &r), 200);
    http_reply_fini(&r);
    cr_expect_eq(atomic_load(&p.calls), 2);
    cr_expect(!pthread_equal(p.caller, pthread_self()));
    httpd_stop(&h);
    cr_expect_null(h);
    httpd_stop(&h); /* harmless */
}

Test(httpd, head_has_no_body)
{
    page_arg_t p = {.text = "hello\n"};
    httpd_t *h = start("127.0.0.1:0", &p);
    http_reply_t r;
    cr_expect_eq(http_request("127.0.0.1", httpd_port(h), "HEAD",
                              "/metrics", &r), 200);
    cr_expect_eq(r.body_len, 0);
    http_reply_fini(&r);
    httpd_stop(&h);
}

Test(httpd, other_paths_are_404_other_methods_405)
{
    page_arg_t p = {.text = "x\n"};
    httpd_t *h = start("127.0.0.1:0", &p);
    int port = httpd_port(h);
    http_reply_t r;
    static const char *const paths[] = {"/", "/other", "/metrics/",
                                        "/metricsx", "/METRICS"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        cr_expect_eq(http_request("127.0.0.1", port, "GET", paths[i], &r),
                     404, "%s: %s", paths[i], r.head);
        http_reply_fini(&r);
    }
    static const char *const methods[] = {"POST", "PUT", "DELETE",
                                          "OPTIONS"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        cr_expect_eq(http_request("127.0.0.1", port, methods[i], "/metrics",
                                  &r), 405, "%s: %s", methods[i], r.head);
        cr_expect(strstr(r.head, "Allow: GET, HEAD") != NULL, "%s", r.head);
        http_reply_fini(&r);
    }
    cr_expect_eq(atomic_load(&p.calls), 0, "the page was written");
    httpd_stop(&h);
}

Test(httpd, a_port_in_use_is_said_as_such)
{
    page_arg_t p = {.text = "x\n"};
    httpd_t *h = start("127.0.0.1:0", &p);
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d", httpd_port(h));
    httpd_addr_t a;
    char err[ERR_LEN];
    cr_assert_eq(httpd_addr_parse(spec, &a, err), ERR_OK);
    httpd_t *h2 = NULL;
    cr_expect_eq(httpd_start(&h2, &a, "/metrics", "text/plain", page, &p,
                             err), ERR_IO);
    cr_expect_null(h2);
    char want[128];
    snprintf(want, sizeof want, "cannot listen on %s: %s", spec,
             strerror(EADDRINUSE));
    cr_expect_str_eq(err, want);
    /* The first still answers. */
    http_reply_t r;
    cr_expect_eq(http_get_url(httpd_url(h), &r), 200);
    http_reply_fini(&r);
    httpd_stop(&h);
}

Test(httpd, an_address_not_on_this_machine_is_refused)
{
    httpd_addr_t a;
    char err[ERR_LEN];
    /* TEST-NET-1 (RFC 5737): never a local address. */
    cr_assert_eq(httpd_addr_parse("192.0.2.1:0", &a, err), ERR_OK);
    page_arg_t p = {.text = "x\n"};
    httpd_t *h = NULL;
    if (httpd_start(&h, &a, "/metrics", "text/plain", page, &p, err) ==
        ERR_OK) {
        httpd_stop(&h);
        cr_skip_test("this machine binds foreign addresses "
                     "(net.ipv4.ip_nonlocal_bind)");
    }
    cr_expect_null(h);
    cr_expect(strstr(err, "cannot listen on 192.0.2.1:0: ") == err, "%s",
              err);
}

Test(httpd, stop_closes_the_port)
{
    page_arg_t p = {.text = "x\n"};
    httpd_t *h = start("127.0.0.1:0", &p);
    int port = httpd_port(h);
    httpd_stop(&h);
    http_reply_t r;
    cr_expect_eq(http_request("127.0.0.1", port, "GET", "/metrics", &r), -1,
                 "still answered after the stop");
    http_reply_fini(&r);
    cr_expect_eq(atomic_load(&p.calls), 0);
}

Test(httpd, ipv6_loopback)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) {
        cr_skip_test("no IPv6 here");
    }
    close(fd);
    page_arg_t p = {.text = "six\n"};
    httpd_addr_t a;
    char err[ERR_LEN];
    cr_assert_eq(httpd_addr_parse("[::1]:0", &a, err), ERR_OK);
    httpd_t *h = NULL;
    if (httpd_start(&h, &a, "/metrics", "text/plain", page, &p, err) !=
        ERR_OK) {
        cr_skip_test("no IPv6 loopback here: %s", err);
    }
    char want[64];
    snprintf(want, sizeof want, "http://[::1]:%d/metrics", httpd_port(h));
    cr_expect_str_eq(httpd_url(h), want);
    http_reply_t r;
    cr_expect_eq(http_get_url(httpd_url(h), &r), 200);
    cr_expect_str_eq(r.body, "six\n");
    http_reply_fini(&r);
    /* Only [::1]: nothing on 127.0.0.1 at that port (IPV6_V6ONLY). */
    cr_expect_eq(http_request("127.0.0.1", httpd_port(h), "GET", "/metrics",
                              &r), -1);
    http_reply_fini(&r);
    httpd_stop(&h);
}

Test(httpd, the_library_is_loaded_only_by_a_start_and_kept)
{
    /* Nothing links it: an idle daemon does not map it, nor libgnutls. */
    cr_expect(!mapped("libmicrohttpd"), "mapped before any start");
    cr_expect(!mapped("libgnutls"), "libgnutls mapped before any start");
    page_arg_t p = {.text = "x\n"};
    httpd_t *h = start("127.0.0.1:0", &p);
    cr_expect_str_eq(dlopen_asked, "libmicrohttpd.so.12");
    cr_expect(mapped("libmicrohttpd"), "not mapped by a start");
    httpd_stop(&h);
    /* Never unloaded; a second server loads nothing more. */
    cr_expect(mapped("libmicrohttpd"), "unloaded by the stop");
    h = start("127.0.0.1:0", &p);
    http_reply_t r;
    cr_expect_eq(http_get_url(httpd_url(h), &r), 200);
    http_reply_fini(&r);
    httpd_stop(&h);
}

Test(httpd, a_library_that_cannot_be_loaded_is_said_as_such)
{
    httpd_addr_t a;
    char err[ERR_LEN];
    cr_assert_eq(httpd_addr_parse("127.0.0.1:0", &a, err), ERR_OK);
    page_arg_t p = {.text = "x\n"};
    httpd_t *h = NULL;
    int fds = open_fds();
    atomic_store(&dlopen_armed, 1);
    cr_expect_eq(httpd_start(&h, &a, "/metrics", "text/plain", page, &p,
                             err), ERR_NOTFOUND);
    cr_expect_null(h);
    cr_expect_str_eq(dlopen_asked, "libmicrohttpd.so.12");
    /* The library by name, its package, and dlerror()'s reason. */
    cr_expect(strstr(err, "cannot load the HTTP server library "
                          "libmicrohttpd.so.12 (Debian package "
                          "libmicrohttpd12): ") == err, "%s", err);
    cr_expect(strstr(err, "libhrss-test-absent.so.0: cannot open shared "
                          "object file") != NULL, "%s", err);
    cr_expect_eq(open_fds(), fds, "a descriptor was left open");
    cr_expect(!mapped("libmicrohttpd"));
    /* Once it can be loaded, a start works. */
    atomic_store(&dlopen_armed, 0);
    h = start("127.0.0.1:0", &p);
    http_reply_t r;
    cr_expect_eq(http_get_url(httpd_url(h), &r), 200);
    http_reply_fini(&r);
    httpd_stop(&h);
}
