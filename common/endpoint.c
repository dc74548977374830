/* endpoint.c: ZeroMQ endpoints from the command line, checked before use
 * (endpoint.h).
 *
 * Only the shape is checked: a host name is not resolved (a collector may
 * be down or not yet in DNS at an agent's start; delivery retries), and
 * libzmq still has the last word at bind or connect. What is caught is
 * what libzmq would refuse with a bare "Invalid argument" or, on a
 * connect, not refuse at all until the timeout: a missing or unknown
 * transport, no port, a port that is not a number.
 *
 * INVARIANTS
 *   1. endpoint_check() accepts exactly the forms of endpoint.h's
 *      INVARIANT 1.
 *   2. Messages hold at most 200 bytes of the value, its control
 *      characters replaced by '?'.
 */
#include "common/endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* @p s cut to 200 bytes, control characters as '?', into @p out. */
static void shown(const char *s, char *out, size_t cap)
{
    size_t i = 0;
    for (; s[i] != '\0' && i < 200 && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    out[i] = '\0';
}

/* Whether @p port (up to @p end) is 1..65535, or `*` / 0 when binding. */
static int port_ok(const char *port, int bind)
{
    if (bind && strcmp(port, "*") == 0) {
        return 1;
    }
    size_t n = strlen(port);
    if (n == 0 || n > 5) {
        return 0;
    }
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)port[i])) {
            return 0;
        }
        v = v * 10 + (unsigned long)(port[i] - '0');
    }
    return v <= 65535 && (v > 0 || bind);
}

/* HOST:PORT after "tcp://". */
static int tcp_ok(const char *rest, int bind)
{
    const char *colon = strrchr(rest, ':');
    if (colon == NULL || colon == rest) {
        return 0;
    }
    size_t hlen = (size_t)(colon - rest);
    if (rest[0] == '[' && rest[hlen - 1] != ']') {
        return 0; /* an IPv6 address without its closing bracket */
    }
    if (rest[0] != '[' && memchr(rest, ':', hlen) != NULL) {
        return 0; /* IPv6 must be bracketed, or a stray colon */
    }
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)rest[i];
        if (c <= ' ' || c == '/' || c == 0x7f) {
            return 0;
        }
    }
    return port_ok(colon + 1, bind);
}

int endpoint_check(const char *flag, const char *value, int bind,
                   char err[ERR_LEN])
{
    static const char *const other[] = {"ipc://", "inproc://"};
    if (strncmp(value, "tcp://", 6) == 0 && tcp_ok(value + 6, bind)) {
        return ERR_OK;
    }
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        size_t n = strlen(other[i]);
        if (strncmp(value, other[i], n) == 0 && value[n] != '\0') {
            return ERR_OK;
        }
    }
    char v[256];
    shown(value, v, sizeof v);
    int n = snprintf(err, ERR_LEN, "%s: '%s' is not an endpoint: expected "
                                   "tcp://HOST:PORT",
                     flag, v);
    if (strstr(value, "://") == NULL && tcp_ok(value, bind) && n > 0 &&
        n < ERR_LEN) {
        snprintf(err + n, (size_t)(ERR_LEN - n), " (did you mean tcp://%s?)",
                 v);
    } else if (n > 0 && n < ERR_LEN) {
        snprintf(err + n, (size_t)(ERR_LEN - n), ", e.g. tcp://%s:7801",
                 bind ? "0.0.0.0" : "collector.example");
    }
    return ERR_INVAL;
}
