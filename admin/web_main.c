/* web_main.c: hrss-web, the dashboard and JSON API server.
 *
 * It answers from the store opened read-only (--data-dir, a snapshot
 * per request) or through a collector's query socket (--connect, with
 * its own key), through the very command code hrssctl runs (admin/web).
 * It listens on loopback unless told otherwise, optionally over TLS and
 * behind HTTP basic authentication (admin/web_users).
 *
 *   parse -> users, TLS files -> client (+ catalog) -> httpd_serve
 *   -> URL on stdout -> wait for SIGTERM/SIGINT -> httpd_stop
 *
 * INVARIANTS
 *   1. Once listening, exactly one line is printed on stdout: the
 *      dashboard's URL. Everything else goes to stderr.
 *   2. Every thread (libmicrohttpd's, libzmq's) is started with the stop
 *      signals blocked: only the main thread handles them.
 *   3. The client is used by libmicrohttpd's one thread only, once the
 *      server started (the main thread hands it over and does not touch
 *      it again until the server stopped).
 */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/client.h"
#include "admin/web.h"
#include "admin/web_users.h"
#include "admin/zone.h"
#include "common/endpoint.h"
#include "common/file.h"
#include "common/httpd.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/sigwake.h"
#include "common/version.h"

#define DEFAULT_LISTEN "127.0.0.1:8480"
#define EX_USAGE 64
/* Largest certificate chain or key file read (bytes). */
#define TLS_FILE_MAX ((size_t)1 << 20)

static volatile sig_atomic_t stop; /* set by SIGTERM/SIGINT (sigwake) */

typedef struct opts {
    const char *data_dir;
    const char *catalog;
    const char *connect;
    const char *key;
    const char *collector_key;
    int insecure;
    const char *listen;
    const char *tls_cert;
    const char *tls_key;
    const char *users;
    double timeout;
    long tz;
    size_t max_answer;
    int hash_password;
} opts_t;

static void usage(FILE *f)
{
    fputs(
        "usage: hrss-web (--data-dir DIR [--catalog DIR]\n"
        "                 | --connect ENDPOINT (--key FILE --collector-key "
        "FILE\n"
        "                                       | --insecure) [--timeout S])\n"
        "                [--listen ADDR:PORT] [--tls-cert FILE --tls-key "
        "FILE]\n"
        "                [--users FILE] [--tz-offset-hours H]\n"
        "                [--max-answer-kib N]\n"
        "       hrss-web --hash-password < PASSWORD\n"
        "\n"
        "Serve the dashboard (the plan's progress, a map of the cities,\n"
        "each region, series, completeness, data quality) and its JSON API\n"
        "(/api/total, /api/progress, ...: what hrssctl --json prints).\n"
        "Read-only: no request changes anything.\n"
        "\n"
        "  --data-dir DIR      read the collector's store (read-only; works\n"
        "                      while it runs); each request sees it as it\n"
        "                      is then\n"
        "  --catalog DIR       the catalog the store was written with\n"
        "  --connect ENDPOINT  ask a collector's --query endpoint instead,\n"
        "                      with --key FILE and --collector-key FILE\n"
        "                      (or --insecure for a plain collector)\n"
        "  --timeout S         wait S seconds for the collector (10)\n"
        "  --listen ADDR:PORT  where to listen (" DEFAULT_LISTEN "; port 0:\n"
        "                      any free port)\n"
        "  --tls-cert FILE     serve HTTPS with this PEM certificate chain\n"
        "  --tls-key FILE      and this PEM private key\n"
        "  --users FILE        ask for a user name and password (HTTP\n"
        "                      basic): lines NAME:HASH, the hash from\n"
        "                      --hash-password\n"
        "  --tz-offset-hours H show times at UTC+H (8)\n"
        "  --max-answer-kib N  refuse (413) an API answer over N KiB\n"
        "                      (4096)\n"
        "  --hash-password     read a password on stdin, print its argon2id\n"
        "                      hash for the users file, and exit\n"
        "  --help, --version\n"
        "\n"
        "Once listening it prints the dashboard's URL on stdout; SIGTERM or\n"
        "SIGINT stops it. Exit status: 0 stopped, 1 could not start, 64\n"
        "usage.\n",
        f);
}

enum { O_DATA = 256, O_CATALOG, O_CONNECT, O_KEY, O_CKEY, O_INSECURE,
       O_LISTEN, O_CERT, O_TKEY, O_USERS, O_TIMEOUT, O_TZ, O_HASH, O_HELP,
       O_VERSION, O_MAX };

static int parse(int argc, char **argv, opts_t *o, int *done)
{
    static const struct option longs[] = {
        {"data-dir", required_argument, NULL, O_DATA},
        {"catalog", required_argument, NULL, O_CATALOG},
        {"connect", required_argument, NULL, O_CONNECT},
        {"key", required_argument, NULL, O_KEY},
        {"collector-key", required_argument, NULL, O_CKEY},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"listen", required_argument, NULL, O_LISTEN},
        {"tls-cert", required_argument, NULL, O_CERT},
        {"tls-key", required_argument, NULL, O_TKEY},
        {"users", required_argument, NULL, O_USERS},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"tz-offset-hours", required_argument, NULL, O_TZ},
        {"hash-password", no_argument, NULL, O_HASH},
        {"max-answer-kib", required_argument, NULL, O_MAX},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0}};
    char err[ERR_LEN];
    opterr = 0;
    int c;
    /* ":" first: a missing value is ':', an unknown option '?'. */
    while ((c = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case O_DATA: o->data_dir = optarg; break;
        case O_CATALOG: o->catalog = optarg; break;
        case O_CONNECT: o->connect = optarg; break;
        case O_KEY: o->key = optarg; break;
        case O_CKEY: o->collector_key = optarg; break;
        case O_INSECURE: o->insecure = 1; break;
        case O_LISTEN: o->listen = optarg; break;
        case O_CERT: o->tls_cert = optarg; break;
        case O_TKEY: o->tls_key = optarg; break;
        case O_USERS: o->users = optarg; break;
        case O_HASH: o->hash_password = 1; break;
        case O_TIMEOUT:
            o->timeout = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(o->timeout > 0) ||
                o->timeout > 3600) {
                fprintf(stderr, "hrss-web: --timeout '%s' is not a number "
                                "of seconds (0 < S <= 3600)\n", optarg);
                return EX_USAGE;
            }
            break;
        case O_MAX: {
            long k = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || k < 1 || k > 1048576) {
                fprintf(stderr, "hrss-web: --max-answer-kib: '%s' is not "
                                "1..1048576\n", optarg);
                return EX_USAGE;
            }
            o->max_answer = (size_t)k << 10;
            break;
        }
        case O_TZ: {
            long h = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || h < -12 || h > 14) {
                fprintf(stderr, "hrss-web: --tz-offset-hours: '%s' is not "
                                "-12..14\n", optarg);
                return EX_USAGE;
            }
            o->tz = h * 3600;
            break;
        }
        case O_HELP:
            usage(stdout);
            *done = 1;
            return 0;
        case O_VERSION:
            version_print(stdout, "hrss-web");
            *done = 1;
            return 0;
        default:
            fprintf(stderr, "hrss-web: %s '%s' (hrss-web --help)\n",
                    c == ':' ? "missing value for" : "unknown option",
                    argv[optind - 1]);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hrss-web: unexpected argument '%s' (hrss-web "
                        "--help)\n", argv[optind]);
        return EX_USAGE;
    }
    if (o->hash_password) {
        return 0;
    }
    const char *why = NULL;
    if ((o->data_dir == NULL) == (o->connect == NULL)) {
        why = "give either --data-dir DIR or --connect ENDPOINT";
    } else if (o->connect != NULL && o->insecure &&
               (o->key != NULL || o->collector_key != NULL)) {
        why = "--insecure is plain mode: it takes no --key or "
              "--collector-key";
    } else if (o->connect != NULL && !o->insecure &&
               (o->key == NULL || o->collector_key == NULL)) {
        why = "--connect needs --key FILE and --collector-key FILE (or "
              "--insecure for a plain collector on this machine)";
    } else if (o->data_dir != NULL &&
               (o->key != NULL || o->collector_key != NULL || o->insecure)) {
        why = "--key, --collector-key and --insecure go with --connect";
    } else if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        why = "give both --tls-cert FILE and --tls-key FILE, or neither";
    } else if (o->connect != NULL &&
               endpoint_check("--connect", o->connect, 0, err) != ERR_OK) {
        fprintf(stderr, "hrss-web: %s (the collector's --query endpoint)\n",
                err);
        return EX_USAGE;
    }
    if (why != NULL) {
        fprintf(stderr, "hrss-web: %s\n", why);
        return EX_USAGE;
    }
    return 0;
}

/* --hash-password: one line of stdin (without its line end). */
static int hash_password(void)
{
    char pass[WEB_PASSWORD_MAX + 2];
    if (fgets(pass, sizeof pass, stdin) == NULL) {
        fprintf(stderr, "hrss-web: --hash-password reads the password on "
                        "stdin: none given\n");
        return 1;
    }
    pass[strcspn(pass, "\r\n")] = '\0';
    if (pass[0] == '\0' || strlen(pass) > WEB_PASSWORD_MAX) {
        fprintf(stderr, "hrss-web: the password must be 1 to %d bytes\n",
                WEB_PASSWORD_MAX);
        return 1;
    }
    char hash[160];
    int rc = web_users_hash(pass, hash, sizeof hash);
    memset(pass, 0, sizeof pass);
    if (rc != ERR_OK) {
        fprintf(stderr, "hrss-web: cannot hash the password (out of "
                        "memory?)\n");
        return 1;
    }
    printf("%s\n", hash);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* The client (local or a collector's), with its catalog in w->cat. */
static int open_client(const opts_t *o, const char *catdir, web_t *w,
                       char err[ERR_LEN])
{
    client_spec_t spec = {
        .data_dir = o->data_dir, .catalog_dir = catdir,
        .connect = o->connect, .key = o->insecure ? NULL : o->key,
        .collector_key = o->insecure ? NULL : o->collector_key,
        .timeout_ms = (int)((o->timeout > 0 ? o->timeout : 10) * 1000)};
    int rc = client_open(&w->c, &spec, err);
    if (rc == ERR_OK) {
        w->cat = client_catalog(w->c, err);
        rc = w->cat != NULL ? ERR_OK : ERR_IO;
    }
    if (rc == ERR_OK) {
        /* This thread asks nothing more (INVARIANT 3). */
        client_release(w->c);
    }
    return rc;
}

/* Is @p a a loopback address? */
static int loopback(const httpd_addr_t *a)
{
    return strncmp(a->text, "127.", 4) == 0 ||
           strncmp(a->text, "localhost:", 10) == 0 ||
           strncmp(a->text, "[::1]:", 6) == 0;
}

static int serve(const opts_t *o, web_t *w, const httpd_addr_t *addr,
                 const char *cert, const char *key)
{
    char err[ERR_LEN];
    httpd_opts_t ho = {.tls_cert_pem = cert, .tls_key_pem = key,
                       .headers = web_headers};
    httpd_t *h = NULL;
    sigwake_block(1); /* INVARIANT 2 */
    int rc = httpd_serve(&h, addr, &ho, web_handle, w, err);
    sigwake_block(0);
    if (rc != ERR_OK) {
        log_err("%s", err);
        return 1;
    }
    if (!loopback(addr) && w->users == NULL) {
        log_warn("listening on %s without --users: anyone who can reach "
                 "it reads every figure", addr->text);
    } else if (w->users != NULL && cert == NULL && !loopback(addr)) {
        log_warn("--users without TLS on %s: passwords cross the network "
                 "in clear (give --tls-cert and --tls-key)", addr->text);
    }
    log_info("serving %s from %s", httpd_url(h),
             o->data_dir != NULL ? o->data_dir : o->connect);
    printf("%s\n", httpd_url(h)); /* INVARIANT 1 */
    fflush(stdout);
    struct pollfd p = {.fd = sigwake_fd(), .events = POLLIN};
    while (!stop) {
        (void)poll(&p, 1, -1);
    }
    log_info("stopping");
    httpd_stop(&h);
    return 0;
}

int main(int argc, char **argv)
{
    opts_t o = {.tz = ZONE_DEFAULT_OFFSET};
    int done = 0;
    int st = parse(argc, argv, &o, &done);
    if (st != 0 || done) {
        return st != 0 ? st : (fflush(stdout) == 0 ? 0 : 1);
    }
    if (o.hash_password) {
        return hash_password();
    }
    log_init("hrss-web", LOG_LVL_INFO);
    char err[ERR_LEN];
    httpd_addr_t addr;
    if (httpd_addr_parse(o.listen != NULL ? o.listen : DEFAULT_LISTEN, &addr,
                         err) != ERR_OK) {
        fprintf(stderr, "hrss-web: --listen: %s\n", err);
        return EX_USAGE;
    }
    if (sigwake_install(&stop, 1) != 0) {
        log_err("cannot install the signal handlers");
        return 1;
    }
    char catdir[4096];
    if (o.catalog != NULL) {
        snprintf(catdir, sizeof catdir, "%s", o.catalog);
    } else {
        paths_catalog_dir(catdir, sizeof catdir);
    }
    web_t w = {.catalog_dir = catdir, .tz = o.tz,
               .max_answer = o.max_answer > 0 ? o.max_answer
                                              : WEB_MAX_ANSWER};
    char *cert = NULL;
    char *key = NULL;
    size_t len = 0;
    int rc = ERR_OK;
    if (o.users != NULL) {
        rc = web_users_load(&w.users, o.users, err);
    }
    if (rc == ERR_OK && o.tls_cert != NULL) {
        rc = file_read(o.tls_cert, TLS_FILE_MAX, &cert, &len, err);
        if (rc == ERR_OK) {
            rc = file_read(o.tls_key, TLS_FILE_MAX, &key, &len, err);
        }
    }
    if (rc == ERR_OK) {
        sigwake_block(1); /* libzmq's threads, for --connect (INV. 2) */
        rc = open_client(&o, catdir, &w, err);
        sigwake_block(0);
    }
    st = rc == ERR_OK ? serve(&o, &w, &addr, cert, key) : 1;
    if (rc != ERR_OK) {
        log_err("%s", err);
    }
    client_destroy(&w.c);
    web_users_destroy(&w.users);
    if (key != NULL) {
        memset(key, 0, len);
    }
    free(key);
    free(cert);
    return st;
}
