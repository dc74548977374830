/* main.c: hrss-collector command line, config file and signals.
 *
 * Options and the --config file are merged by common/flags; this file
 * checks the values and starts the collector. Without --insecure the
 * collector needs its secret key and the agents file; with it, the
 * CurveZMQ options are refused, so no one believes a key protects a
 * plain socket.
 *
 * INVARIANTS
 *   1. SIGTERM/SIGINT only set `stop` and wake the poll (common/sigwake);
 *      a second signal exits at once, which loses nothing acknowledged
 *      because acks follow commits. SIGHUP only sets `reload`.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/collector.h"
#include "common/endpoint.h"
#include "common/file.h"
#include "common/flags.h"
#include "common/httpd.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/sigwake.h"
#include "common/version.h"

static volatile sig_atomic_t stop;   /* set by SIGTERM/SIGINT (sigwake) */
static volatile sig_atomic_t reload; /* set by SIGHUP (sigwake) */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: hrss-collector --data-dir DIR --ingest ENDPOINT "
        "--query ENDPOINT\n"
        "                      (--key FILE --agents FILE [--admins FILE] "
        "| --insecure)\n"
        "                      [--config FILE] [--catalog DIR] "
        "[--backup-dir DIR]\n"
        "                      [--map-max-mib N] [--max-rejections N] "
        "[--heartbeat-s S]\n"
        "                      [--metrics ADDR:PORT] [--tz-offset-hours H] "
        "[--verbose]\n"
        "\n"
        "The central hrss daemon: stores agents' figures in an LMDB store in\n"
        "DIR with a full audit trail and answers queries (hrssctl).\n"
        "\n"
        "  --data-dir DIR        the store; a new one is made only when DIR\n"
        "                        is missing or has no data.mdb and no\n"
        "                        lock.mdb (a damaged store is refused)\n"
        "  --ingest ENDPOINT     ZeroMQ endpoint for agents, e.g.\n"
        "                        tcp://0.0.0.0:7801 (tcp://127.0.0.1:* picks\n"
        "                        a free port; DIR/endpoints says which)\n"
        "  --query ENDPOINT      ZeroMQ endpoint for hrssctl, e.g.\n"
        "                        tcp://127.0.0.1:7802\n"
        "  --key FILE            the collector's CurveZMQ secret key\n"
        "                        (hrssctl keygen; mode 0600)\n"
        "  --agents FILE         who may send figures: lines of\n"
        "                        '<public key> <agent name> <regions>', a\n"
        "                        region CODE or CODE/* (it and all below)\n"
        "  --admins FILE         who may query: lines of '<public key>\n"
        "                        <name> read|admin [<regions>]'; without\n"
        "                        it the query socket admits no one\n"
        "  --lock-after-days N   refuse a month's figures N days after\n"
        "                        their deadline (period_locked), unless\n"
        "                        the province excepts the region's month\n"
        "                        (hrssctl except); 0, the default: never\n"
        "  --ranges FILE         bounds set by hand: CSV indicator,region,\n"
        "                        min,max; a figure outside is flagged as an\n"
        "                        outlier (hrssctl ranges writes one from the\n"
        "                        history); reread on SIGHUP\n"
        "  --insecure            plain mode: no keys, agents are who they\n"
        "                        say they are; binds only loopback or ipc://\n"
        "  --config FILE         INI file with the same settings (section\n"
        "                        [collector], keys are the flag names);\n"
        "                        flags win\n"
        "  --catalog DIR         indicators.csv, regions.csv, plan.csv and\n"
        "                        targets.csv (default: the installed catalog)\n"
        "  --backup-dir DIR      where 'hrssctl backup NAME' (admin keys\n"
        "                        only) writes DIR/NAME; without it the\n"
        "                        collector takes no backups over the wire\n"
        "  --map-max-mib N       largest size of the LMDB map (default\n"
        "                        65536); past it batches are refused and\n"
        "                        agents keep them\n"
        "  --max-rejections N    rejected updates kept per agent, its newest\n"
        "                        (default 1000); all are still counted\n"
        "  --heartbeat-s S       ZeroMQ heartbeat interval on both sockets\n"
        "                        (default 10): a peer silent for 3 * S is\n"
        "                        dropped, so partitions leave no dead\n"
        "                        connections\n"
        "  --metrics ADDR:PORT   serve Prometheus metrics at\n"
        "                        http://ADDR:PORT/metrics, e.g.\n"
        "                        127.0.0.1:9464 or [::1]:9464 (0.0.0.0:9464\n"
        "                        for every interface; port 0 picks a free\n"
        "                        one, DIR/endpoints says which); off unless\n"
        "                        given\n"
        "  --tz-offset-hours H   time zone for the current month that bounds\n"
        "                        reported months (default 8, China)\n"
        "  --verbose             debug logging\n"
        "  --version             print the version and exit\n"
        "\n"
        "SIGHUP: read the agents and admins files again (a file with an\n"
        "error keeps the old lists and says why in the log).\n"
        "SIGTERM or SIGINT: finish and acknowledge the batches in hand, close\n"
        "the store, exit 0.\n");
}

enum { OPT_DATA, OPT_INGEST, OPT_QUERY, OPT_INSECURE, OPT_KEY, OPT_AGENTS,
       OPT_ADMINS, OPT_CATALOG, OPT_BACKUP, OPT_MAPMAX, OPT_MAXREJ,
       OPT_HEARTBEAT, OPT_METRICS, OPT_TZ, OPT_VERBOSE, OPT_RANGES,
       OPT_LOCK, OPT_N };

/* The long options, also the keys of the config file's [collector]. */
static const flags_spec_t opt_spec[OPT_N] = {
    [OPT_DATA] = {"data-dir", 1},
    [OPT_INGEST] = {"ingest", 1},
    [OPT_QUERY] = {"query", 1},
    [OPT_INSECURE] = {"insecure", 0},
    [OPT_KEY] = {"key", 1},
    [OPT_AGENTS] = {"agents", 1},
    [OPT_ADMINS] = {"admins", 1},
    [OPT_CATALOG] = {"catalog", 1},
    [OPT_BACKUP] = {"backup-dir", 1},
    [OPT_RANGES] = {"ranges", 1},
    [OPT_LOCK] = {"lock-after-days", 1},
    [OPT_MAPMAX] = {"map-max-mib", 1},
    [OPT_MAXREJ] = {"max-rejections", 1},
    [OPT_HEARTBEAT] = {"heartbeat-s", 1},
    [OPT_METRICS] = {"metrics", 1},
    [OPT_TZ] = {"tz-offset-hours", 1},
    [OPT_VERBOSE] = {"verbose", 0},
};

/* A whole number @p lo..@p hi given to --@p flag into *@p out.
 * @return 0, or 64 after saying why. */
static int count_arg(const char *flag, const char *v, const char *what,
                     unsigned long long lo, unsigned long long hi,
                     unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || *end != '\0' || v[0] == '-' || errno != 0 || n < lo ||
        n > hi) {
        fprintf(stderr, "hrss-collector: --%s: '%s' is not %s (%llu..%llu)\n",
                flag, v, what, lo, hi);
        return 64;
    }
    *out = n;
    return 0;
}

/* The settings given as numbers into @p cc. @return 0, or 64. */
static int number_settings(const flags_t *fl, collector_cfg_t *cc)
{
    const char *mapmax = flags_value(fl, OPT_MAPMAX);
    const char *maxrej = flags_value(fl, OPT_MAXREJ);
    const char *hb = flags_value(fl, OPT_HEARTBEAT);
    unsigned long long n = 0;
    if (mapmax != NULL) {
        if (count_arg("map-max-mib", mapmax, "a size in MiB", 1, 1ull << 24,
                      &n) != 0) {
            return 64;
        }
        cc->map_max = (size_t)n << 20;
    }
    if (maxrej != NULL) {
        if (count_arg("max-rejections", maxrej, "a count", 1, 100000000ull,
                      &n) != 0) {
            return 64;
        }
        cc->max_rejections = (size_t)n;
    }
    /* For the demo and the tests of timeliness only: a time of receipt
     * other than now (deploy/demo.sh). Not an option: no operator needs
     * it. */
    const char *shift = getenv("HRSS_CLOCK_OFFSET_S");
    if (shift != NULL && shift[0] != '\0') {
        char *end = NULL;
        long v = strtol(shift, &end, 10);
        if (*end != '\0' || v < -(7305L * 86400) || v > 7305L * 86400) {
            fprintf(stderr, "hrss-collector: HRSS_CLOCK_OFFSET_S '%s' is not "
                            "seconds within 20 years\n", shift);
            return 64;
        }
        cc->clock_offset = v;
    }
    const char *lock = flags_value(fl, OPT_LOCK);
    if (lock != NULL) {
        if (count_arg("lock-after-days", lock, "days", 0, 3660, &n) != 0) {
            return 64;
        }
        cc->lock_after_days = (int)n;
    }
    cc->heartbeat_ms = COLLECTOR_HEARTBEAT_MS;
    if (hb != NULL) {
        if (count_arg("heartbeat-s", hb, "seconds", 1, 3600, &n) != 0) {
            return 64;
        }
        cc->heartbeat_ms = (int)n * 1000;
    }
    return 0;
}

/* Check the merged settings into @p cc; @p catdir (catdir_size bytes)
 * receives the catalog directory. @return 0, or 64 after saying why. */
static int settings(const flags_t *fl, collector_cfg_t *cc, char *catdir,
                    size_t catdir_size)
{
    const char *tz = flags_value(fl, OPT_TZ);
    const char *catalog = flags_value(fl, OPT_CATALOG);

    memset(cc, 0, sizeof *cc);
    if (flags_value(fl, OPT_DATA) == NULL ||
        flags_value(fl, OPT_INGEST) == NULL ||
        flags_value(fl, OPT_QUERY) == NULL) {
        fprintf(stderr, "hrss-collector: --data-dir, --ingest and --query "
                        "are required\n\n");
        usage(stderr);
        return 64;
    }
    cc->data_dir = flags_value(fl, OPT_DATA);
    cc->ingest = flags_value(fl, OPT_INGEST);
    cc->query = flags_value(fl, OPT_QUERY);
    char eperr[ERR_LEN];
    if (endpoint_check("--ingest", cc->ingest, 1, eperr) != ERR_OK ||
        endpoint_check("--query", cc->query, 1, eperr) != ERR_OK) {
        fprintf(stderr, "hrss-collector: %s\n", eperr);
        return 64;
    }
    cc->insecure = flags_on(fl, OPT_INSECURE);
    cc->key_path = flags_value(fl, OPT_KEY);
    cc->agents_path = flags_value(fl, OPT_AGENTS);
    cc->admins_path = flags_value(fl, OPT_ADMINS);
    cc->backup_dir = flags_value(fl, OPT_BACKUP);
    cc->ranges_path = flags_value(fl, OPT_RANGES);
    struct stat sb;
    if (cc->backup_dir != NULL &&
        (stat(cc->backup_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
        fprintf(stderr, "hrss-collector: --backup-dir: '%s' is not a "
                        "directory\n", cc->backup_dir);
        return 64;
    }
    if (cc->insecure && (cc->key_path != NULL || cc->agents_path != NULL ||
                         cc->admins_path != NULL)) {
        fprintf(stderr, "hrss-collector: --insecure is plain mode: it "
                        "takes no --key, --agents or --admins\n");
        return 64;
    }
    if (!cc->insecure && (cc->key_path == NULL || cc->agents_path == NULL)) {
        fprintf(stderr, "hrss-collector: --key and --agents are required "
                        "(or --insecure for plain mode on loopback)\n");
        return 64;
    }
    cc->tz_offset = 8 * 3600;
    cc->wake_fd = -1;
    if (tz != NULL) {
        char *end = NULL;
        long h = strtol(tz, &end, 10);
        if (end == tz || *end != '\0' || h < -12 || h > 14) {
            fprintf(stderr, "hrss-collector: --tz-offset-hours: '%s' is not "
                            "an hour offset (-12..14)\n", tz);
            return 64;
        }
        cc->tz_offset = h * 3600;
    }
    if (number_settings(fl, cc) != 0) {
        return 64;
    }
    cc->metrics = flags_value(fl, OPT_METRICS);
    httpd_addr_t addr;
    char err[ERR_LEN];
    if (cc->metrics != NULL &&
        httpd_addr_parse(cc->metrics, &addr, err) != ERR_OK) {
        fprintf(stderr, "hrss-collector: --metrics: %s\n", err);
        return 64;
    }
    if (catalog != NULL) {
        snprintf(catdir, catdir_size, "%s", catalog);
    } else {
        paths_catalog_dir(catdir, catdir_size);
    }
    cc->catalog_dir = catdir;
    return 0;
}

int main(int argc, char **argv)
{
    static const flags_def_t def = {"hrss-collector", "collector", opt_spec,
                                    OPT_N, FLAGS_NO_OPERANDS};
    file_stdout_init();
    flags_t *fl = NULL;
    char err[ERR_LEN];
    char catdir[4096];
    collector_cfg_t cc;
    int status = 64;

    enum flags_status st = flags_parse(&fl, &def, argc, argv, err);
    switch (st) {
    case FLAGS_OK:
        break;
    case FLAGS_HELP:
    case FLAGS_VERSION:
        if (st == FLAGS_HELP) {
            usage(stdout);
        } else {
            version_print(stdout, "hrss-collector");
        }
        flags_destroy(&fl);
        if (file_flush_stdout(err) != ERR_OK) {
            fprintf(stderr, "hrss-collector: %s\n", err);
            return 74;
        }
        return 0;
    case FLAGS_BAD_OPTION:
        usage(stderr); /* after getopt_long's own line */
        return 64;
    case FLAGS_BAD_CONFIG:
    case FLAGS_BAD_SWITCH:
    case FLAGS_BAD_OPERAND:
        fprintf(stderr, "%s\n", err);
        return 64;
    }
    /* Fixed allocator thresholds, glibc's defaults (128 KiB), so that
     * glibc does not raise them as blocks are freed (up to the largest
     * block mmapped and freed, and twice that for trimming): a block of
     * an answer above them is then mmapped and unmapped when zmq's I/O
     * thread frees it, and a thread's arena gives back its free top above
     * 128 KiB, which malloc_trim() never does for a thread's arena
     * (collector/qserve.c, "Memory after an answer"). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    status = settings(fl, &cc, catdir, sizeof catdir);
    if (status != 0) {
        goto out;
    }
    log_init("hrss-collector",
             flags_on(fl, OPT_VERBOSE) ? LOG_LVL_DEBUG : LOG_LVL_INFO);
    if (sigwake_install(&stop, 1) != 0) {
        fprintf(stderr, "hrss-collector: cannot create a pipe\n");
        status = 64;
        goto out;
    }
    sigwake_on_hup(&reload);
    cc.wake_fd = sigwake_fd();
    cc.reload = &reload;
    status = collector_run(&cc, &stop);

out:
    flags_destroy(&fl);
    return status;
}
