/* http_client.c: see http_client.h. */
#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A connected socket to host:port, or -1. */
static int dial(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        len = sizeof *a4;
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        len = sizeof *a6;
    } else {
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct timeval tv = {HTTP_CLIENT_TIMEOUT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Everything the peer sends until it closes (or the timeout). */
static char *read_all(int fd, size_t *n)
{
    size_t cap = 4096;
    size_t len = 0;
    char *p = malloc(cap);
    for (;;) {
        if (cap - len < 1024) {
            cap *= 2;
            p = realloc(p, cap);
        }
        ssize_t got = recv(fd, p + len, cap - len - 1, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        len += (size_t)got;
    }
    p[len] = '\0';
    *n = len;
    return p;
}

int http_request(const char *host, int port, const char *method,
                 const char *path, http_reply_t *r)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    int fd = dial(host, port);
    if (fd < 0) {
        return -1;
    }
    char req[512];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                     "\r\n", method, path);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        return -1;
    }
    size_t len = 0;
    char *all = read_all(fd, &len);
    close(fd);
    char *sep = strstr(all, "\r\n\r\n");
    size_t hlen = sep != NULL ? (size_t)(sep - all) : len;
    snprintf(r->head, sizeof r->head, "%.*s", (int)hlen, all);
    const char *body = sep != NULL ? sep + 4 : all + len;
    r->body_len = len - (size_t)(body - all);
    r->body = malloc(r->body_len + 1);
    memcpy(r->body, body, r->body_len + 1);
    free(all);
    if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) {
        r->status = 0;
    }
    return r->status;
}

int http_get_url(const char *url, http_reply_t *r)
{
    char host[64];
    int port = 0;
    int off = 0;
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (sscanf(url, "http://[%63[^]]]:%d%n", host, &port, &off) != 2 &&
        sscanf(url, "http://%63[^:]:%d%n", host, &port, &off) != 2) {
        return -1;
    }
    return http_request(host, port, "GET", url + off, r);
}

double http_metric(const char *page, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = page; p != NULL && *p != '\0';) {
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            return strtod(p + n + 1, NULL);
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return -1;
}

void http_reply_fini(http_reply_t *r)
{
    free(r->body);
    r->body = NULL;
}
