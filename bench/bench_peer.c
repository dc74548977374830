/* bench_peer.c: issue 10's peer benchmark: hrss against InfluxDB.
 *
 * The same points (bx_cell: the 102-region catalog's figures) go into a
 * real hrss-collector (--insecure, default durable settings) and into
 * InfluxDB 1.x (Debian's `influxdb`, started and stopped here with its
 * WAL fsynced on every write), in requests of 100, 500, 2,000 and 5,000
 * points, one request at a time (each answered before the next):
 *   hrss     one connection speaking the wire protocol (bench/fast.c,
 *            synchronous); a request of more than 2,000 points (the
 *            protocol's largest batch) is sent as several batches at
 *            once and counts as answered when all are acked;
 *   InfluxDB one keep-alive HTTP/1.1 connection, POST /write of line
 *            protocol (precision s), answered 204.
 * Figure: hrss points/s, and its ratio to InfluxDB's. Target: at least
 * 2x at every batch size. Without influxd on PATH the InfluxDB half is
 * skipped with a message (hrss's figures are still printed).
 *
 * usage: bench_peer BIN_DIR CATALOG_DIR [--quick]
 *
 * INVARIANTS
 *   1. Every process it starts is stopped (bx_stop) before it returns,
 *      and killed by the kernel if it dies first (bx.h).
 *   2. Every wait has a deadline; the amounts of work are fixed or
 *      bounded by a time budget.
 *   3. It writes only inside its own bx_tmpdir directory, removed at the
 *      end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench/bx.h"
#include "bench/fast.h"
#include "common/mem.h"
#include "common/period.h"

#define BENCH "peer"
#define N_SIZES 4

static const size_t sizes[N_SIZES] = {100, 500, 2000, 5000};

/* ------------------------------------------------------------------ */
/* hrss                                                                */

static double hrss_rate(const char *bin, const char *catalog,
                        const catalog_t *cat, const char *tmp, size_t n,
                        size_t per_request)
{
    char dir[400];
    char log[400];
    snprintf(dir, sizeof dir, "%s/hrss-%zu", tmp, per_request);
    snprintf(log, sizeof log, "%s/hrss-%zu.log", tmp, per_request);
    bx_coll_t coll;
    if (bx_collector_start(&coll, bin, catalog, dir, log) != 0) {
        return -1;
    }
    size_t batch = per_request < 2000 ? per_request : 2000;
    int window = (int)((per_request + batch - 1) / batch);
    size_t rejected = 0;
    double r = fast_client(cat, coll.ingest, n, batch, 1, window, 1,
                           &rejected);
    bx_stop(coll.pid, 30000);
    bx_rmtree(dir);
    return r;
}

/* ------------------------------------------------------------------ */
/* InfluxDB                                                            */

/* The influxd on PATH, into @p out; 0 when there is none. */
static int find_influxd(char *out, size_t cap)
{
    const char *path = getenv("PATH");
    const char *p = path != NULL ? path : "/usr/bin";
    while (*p != '\0') {
        size_t len = strcspn(p, ":");
        snprintf(out, cap, "%.*s/influxd", (int)len, p);
        if (len > 0 && access(out, X_OK) == 0) {
            return 1;
        }
        p += len;
        if (*p == ':') {
            p++;
        }
    }
    return 0;
}

static int http_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w <= 0) {
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* One request on keep-alive connection @p fd; @return the HTTP status or
 * -1. The answer's body is read and dropped. */
static int http_request(int fd, const char *method, const char *target,
                        const char *body, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
                     method, target, len);
    if (send_all(fd, head, (size_t)n) != 0 ||
        (len > 0 && send_all(fd, body, len) != 0)) {
        return -1;
    }
    char buf[8192];
    size_t got = 0;
    char *end = NULL;
    while (end == NULL) {
        if (got == sizeof buf - 1) {
            return -1;
        }
        ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (r <= 0) {
            return -1;
        }
        got += (size_t)r;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
        return -1;
    }
    size_t clen = 0;
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    if (cl != NULL) {
        clen = strtoul(cl + 17, NULL, 10);
    }
    size_t have = got - (size_t)(end + 4 - buf);
    if (strcasestr(buf, "\r\nTransfer-Encoding: chunked") != NULL) {
        /* InfluxDB's /query answers are chunked: read to the last chunk
         * ("0" CRLF CRLF), or the next answer would start with this one's
         * body. The tail is kept across reads. */
        char tail[8] = "";
        size_t keep = have < 7 ? have : 7;
        memcpy(tail, end + 4 + have - keep, keep);
        tail[keep] = '\0';
        for (;;) {
            char *t = strstr(tail, "0\r\n\r\n");
            if (t != NULL && (t == tail || t[-1] == '\n')) {
                return status;
            }
            ssize_t r = recv(fd, buf, sizeof buf - 1, 0);
            if (r <= 0) {
                return -1;
            }
            char both[sizeof tail + sizeof buf];
            size_t tl = strlen(tail);
            memcpy(both, tail, tl);
            memcpy(both + tl, buf, (size_t)r);
            size_t bl = tl + (size_t)r;
            keep = bl < 7 ? bl : 7;
            memcpy(tail, both + bl - keep, keep);
            tail[keep] = '\0';
        }
    }
    while (have < clen) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0) {
            return -1;
        }
        have += (size_t)r;
    }
    return status;
}

/* The TCP ports @p pid listens on (its socket inodes in /proc/net/tcp). */
static int listening_ports(pid_t pid, int *ports, int max)
{
    unsigned long ino[256];
    int n_ino = 0;
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    if (d == NULL) {
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n_ino < 256) {
        char path[400];
        char link[64];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t len = readlink(path, link, sizeof link - 1);
        if (len > 0) {
            link[len] = '\0';
            if (sscanf(link, "socket:[%lu]", &ino[n_ino]) == 1) {
                n_ino++;
            }
        }
    }
    closedir(d);
    int n = 0;
    FILE *f = fopen("/proc/net/tcp", "r");
    if (f == NULL) {
        return 0;
    }
    char line[512];
    while (fgets(line, sizeof line, f) != NULL && n < max) {
        unsigned lport = 0;
        unsigned state = 0;
        unsigned long inode = 0;
        if (sscanf(line,
                   " %*u: %*x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
                   &lport, &state, &inode) != 3 ||
            state != 0x0A) {
            continue;
        }
        for (int i = 0; i < n_ino; i++) {
            if (ino[i] == inode) {
                ports[n++] = (int)lport;
            }
        }
    }
    fclose(f);
    return n;
}

/* Line protocol for figures [first, first + n). */
static size_t influx_lines(const catalog_t *cat, size_t first, size_t n,
                           char *out, size_t cap)
{
    size_t len = 0;
    for (size_t k = first; k < first + n; k++) {
        update_t u;
        bx_cell(cat, k, &u);
        int32_t m = month_make((int)(u.yyyymm / 100), (int)(u.yyyymm % 100));
        /* Seconds of the month's first day: months since 1970 * 30.44 d
         * would do, but be exact enough and distinct per month. */
        long long ts = (long long)(m - month_make(1970, 1)) * 2629746LL;
        int w;
        if (u.value.is_ratio) {
            w = snprintf(out + len, cap - len,
                         "fig,ind=%s,region=%u num=%lldi,den=%lldi %lld\n",
                         u.indicator, u.region, (long long)u.value.num,
                         (long long)u.value.den, ts);
        } else {
            w = snprintf(out + len, cap - len,
                         "fig,ind=%s,region=%u value=%lldi %lld\n",
                         u.indicator, u.region, (long long)u.value.num, ts);
        }
        if (w < 0 || (size_t)w >= cap - len) {
            break;
        }
        len += (size_t)w;
    }
    return len;
}

typedef struct influx {
    pid_t pid;
    int port;
    char dir[400];
} influx_t;

static int influx_start(influx_t *ix, const char *influxd, const char *tmp)
{
    memset(ix, 0, sizeof *ix);
    snprintf(ix->dir, sizeof ix->dir, "%s/influx", tmp);
    bx_mkdir(ix->dir);
    char conf[600];
    char text[2048];
    snprintf(conf, sizeof conf, "%s/influxdb.conf", ix->dir);
    int n = snprintf(text, sizeof text,
                     "reporting-disabled = true\n"
                     "bind-address = \"127.0.0.1:0\"\n"
                     "[meta]\n  dir = \"%s/meta\"\n"
                     "[data]\n  dir = \"%s/data\"\n  wal-dir = \"%s/wal\"\n"
                     "  wal-fsync-delay = \"0s\"\n"
                     "  query-log-enabled = false\n"
                     "[http]\n  bind-address = \"127.0.0.1:0\"\n"
                     "  log-enabled = false\n"
                     "[monitor]\n  store-enabled = false\n"
                     "[continuous_queries]\n  enabled = false\n"
                     "[subscriber]\n  enabled = false\n",
                     ix->dir, ix->dir, ix->dir);
    bx_write_file(conf, text, (size_t)n);
    char log[600];
    snprintf(log, sizeof log, "%s/influxd.log", ix->dir);
    /* bx_spawn runs BIN_DIR/argv[0]: split the path. */
    char bin[512];
    snprintf(bin, sizeof bin, "%s", influxd);
    char *slash = strrchr(bin, '/');
    *slash = '\0';
    const char *argv[] = {"influxd", "-config", conf, NULL};
    ix->pid = bx_spawn(bin, log, argv);
    double deadline = bx_now() + 30;
    while (bx_now() < deadline && ix->port == 0) {
        int ports[8];
        int np = listening_ports(ix->pid, ports, 8);
        for (int i = 0; i < np && ix->port == 0; i++) {
            int fd = http_connect(ports[i]);
            if (fd >= 0 && http_request(fd, "GET", "/ping", "", 0) == 204) {
                ix->port = ports[i];
            }
            if (fd >= 0) {
                close(fd);
            }
        }
        usleep(50000);
    }
    if (ix->port == 0) {
        fprintf(stderr, "bench_peer: influxd did not answer in 30 s; see "
                        "%s\n", log);
        bx_stop(ix->pid, 10000);
        return -1;
    }
    return 0;
}

static double influx_rate(influx_t *ix, const catalog_t *cat, size_t n,
                          size_t per_request, int round)
{
    int fd = http_connect(ix->port);
    if (fd < 0) {
        return -1;
    }
    char db[64];
    char q[128];
    snprintf(db, sizeof db, "bench%d", round);
    snprintf(q, sizeof q, "/query?q=CREATE+DATABASE+%s", db);
    if (http_request(fd, "POST", q, "", 0) != 200) {
        close(fd);
        return -1;
    }
    char target[128];
    snprintf(target, sizeof target, "/write?db=%s&precision=s", db);
    size_t cap = per_request * 96 + 1;
    char *body = xmalloc(cap);
    double took = 0;
    double rate = -1;
    for (size_t k = 0; k < n; k += per_request) {
        size_t m = n - k < per_request ? n - k : per_request;
        size_t len = influx_lines(cat, k, m, body, cap);
        double t0 = bx_now();
        int st = http_request(fd, "POST", target, body, len);
        took += bx_now() - t0;
        if (st != 204) {
            fprintf(stderr, "bench_peer: influx /write answered %d\n", st);
            goto out;
        }
    }
    rate = (double)n / took;
out:
    free(body);
    close(fd);
    return rate;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_peer BIN_DIR CATALOG_DIR [--quick]\n");
        return 64;
    }
    /* Line by line into a pipe too: progress shows as it happens. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *bin = argv[1];
    const char *catalog = argv[2];
    int quick = argc > 3 && strcmp(argv[3], "--quick") == 0;
    char tmp[256];
    bx_tmpdir(tmp, sizeof tmp, "peer");
    catalog_t *cat = bx_catalog(catalog);
    size_t n = quick ? 20000 : 100000;
    if (n > bx_cells(cat)) {
        n = bx_cells(cat);
    }
    double t_start = bx_now();
    char influxd[512];
    int have_influx = find_influxd(influxd, sizeof influxd);
    influx_t ix;
    if (have_influx && influx_start(&ix, influxd, tmp) != 0) {
        have_influx = 0;
    }
    printf("== peer: %s points, one request at a time, by request size\n",
           bx_num((double)n));
    if (!have_influx) {
        printf("  InfluxDB (Debian's influxdb) is not installed (no influxd "
               "on PATH): its half is skipped\n");
    }
    int bad = 0;
    for (size_t i = 0; i < N_SIZES; i++) {
        double h = hrss_rate(bin, catalog, cat, tmp, n, sizes[i]);
        if (h < 0) {
            bad = 1;
        }
        const char *fig =
            bx_fmt("hrss, requests of %s points (points/s)",
                   bx_num((double)sizes[i]));
        if (have_influx) {
            double f = influx_rate(&ix, cat, n, sizes[i], (int)i);
            double r = h / f;
            bx_result(BENCH, fig, bx_num(h),
                      f > 0 ? bx_fmt("%s InfluxDB", bx_num(f)) : "failed",
                      f > 0 ? bx_fmt("%.2f", r) : "-", ">= 2",
                      f > 0 && r >= 2 ? "MET" : "MISSED");
        } else {
            bx_result(BENCH, fig, bx_num(h), "no InfluxDB", "-", ">= 2",
                      "SKIPPED");
        }
    }
    if (have_influx) {
        bx_stop(ix.pid, 30000);
    }
    catalog_destroy(&cat);
    bx_rmtree(tmp);
    printf("== peer: %.0f s\n", bx_now() - t_start);
    return bad;
}
