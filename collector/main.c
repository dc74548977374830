/* main.c: hrss-collector command line, config file and signals.
 *
 * INVARIANTS
 *   1. SIGTERM/SIGINT only set `stop` and wake the poll (common/sigwake);
 *      a second signal exits at once, which loses nothing acknowledged
 *      because acks follow commits.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/collector.h"
#include "common/cfg.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/sigwake.h"

static volatile sig_atomic_t stop; /* set by SIGTERM/SIGINT (sigwake) */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: hrss-collector --data-dir DIR --ingest ENDPOINT "
        "--query ENDPOINT [--insecure]\n"
        "                      [--config FILE] [--catalog DIR] "
        "[--map-max-mib N]\n"
        "                      [--tz-offset-hours H] [--verbose]\n"
        "\n"
        "The central hrss daemon: stores agents' figures in an LMDB store in\n"
        "DIR with a full audit trail and answers queries (hrssctl).\n"
        "\n"
        "  --data-dir DIR        the store (created if missing)\n"
        "  --ingest ENDPOINT     ZeroMQ endpoint for agents, e.g.\n"
        "                        tcp://0.0.0.0:7801 (tcp://127.0.0.1:* picks\n"
        "                        a free port; DIR/endpoints says which)\n"
        "  --query ENDPOINT      ZeroMQ endpoint for hrssctl, e.g.\n"
        "                        tcp://127.0.0.1:7802\n"
        "  --insecure            plain mode: agents are who they say they\n"
        "                        are; required until authentication exists\n"
        "  --config FILE         INI file with the same settings (section\n"
        "                        [collector], keys are the flag names);\n"
        "                        flags win\n"
        "  --catalog DIR         indicators.csv, regions.csv and plan.csv\n"
        "                        (default: the installed catalog)\n"
        "  --map-max-mib N       largest size of the LMDB map (default\n"
        "                        65536); past it batches are refused and\n"
        "                        agents keep them\n"
        "  --tz-offset-hours H   time zone for the current month that bounds\n"
        "                        reported months (default 8, China)\n"
        "  --verbose             debug logging\n"
        "\n"
        "SIGTERM or SIGINT: finish and acknowledge the batches in hand, close\n"
        "the store, exit 0.\n");
}

enum { OPT_DATA = 1, OPT_INGEST, OPT_QUERY, OPT_INSECURE, OPT_CONFIG,
       OPT_CATALOG, OPT_MAPMAX, OPT_TZ, OPT_VERBOSE, OPT_HELP, OPT_N };

static const char *const opt_names[OPT_N] = {
    NULL, "data-dir", "ingest", "query", "insecure", "config", "catalog",
    "map-max-mib", "tz-offset-hours", "verbose", "help"};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, OPT_DATA},
        {"ingest", required_argument, NULL, OPT_INGEST},
        {"query", required_argument, NULL, OPT_QUERY},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"catalog", required_argument, NULL, OPT_CATALOG},
        {"map-max-mib", required_argument, NULL, OPT_MAPMAX},
        {"tz-offset-hours", required_argument, NULL, OPT_TZ},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *val[OPT_N] = {0};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'h' || opt == OPT_HELP) {
            usage(stdout);
            return 0;
        }
        if (opt == '?') {
            usage(stderr);
            return 64;
        }
        val[opt] = optarg != NULL ? optarg : "1";
    }
    if (optind < argc) {
        fprintf(stderr, "hrss-collector: unexpected argument '%s'\n",
                argv[optind]);
        return 64;
    }
    cfg_t *cfg = NULL;
    char err[ERR_LEN];
    if (val[OPT_CONFIG] != NULL) {
        if (cfg_load(&cfg, val[OPT_CONFIG], err) != ERR_OK) {
            fprintf(stderr, "hrss-collector: %s\n", err);
            return 64;
        }
        static const char *const known[] = {
            "data-dir", "ingest", "query", "insecure", "catalog",
            "map-max-mib", "tz-offset-hours", "verbose", NULL};
        int line = 0;
        const char *bad = cfg_unknown_key(cfg, "collector", known, &line);
        if (bad != NULL) {
            fprintf(stderr, "hrss-collector: %s:%d: unknown setting '%s'\n",
                    val[OPT_CONFIG], line, bad);
            cfg_destroy(&cfg);
            return 64;
        }
        for (int i = 1; i < OPT_N; i++) {
            if (val[i] == NULL && i != OPT_CONFIG && i != OPT_HELP) {
                val[i] = cfg_get(cfg, "collector", opt_names[i]);
            }
        }
    }
    int status = 64;
    int insecure = 0;
    int verbose = 0;
    char catdir[4096];
    collector_cfg_t cc;
    memset(&cc, 0, sizeof cc);
    if (val[OPT_INSECURE] != NULL) {
        insecure = cfg_bool(val[OPT_INSECURE]);
    }
    if (val[OPT_VERBOSE] != NULL) {
        verbose = cfg_bool(val[OPT_VERBOSE]);
    }
    if (insecure < 0 || verbose < 0) {
        fprintf(stderr, "hrss-collector: insecure/verbose take true or "
                        "false\n");
        goto out;
    }
    if (val[OPT_DATA] == NULL || val[OPT_INGEST] == NULL ||
        val[OPT_QUERY] == NULL) {
        fprintf(stderr, "hrss-collector: --data-dir, --ingest and --query "
                        "are required\n\n");
        usage(stderr);
        goto out;
    }
    cc.data_dir = val[OPT_DATA];
    cc.ingest = val[OPT_INGEST];
    cc.query = val[OPT_QUERY];
    cc.insecure = insecure;
    cc.tz_offset = 8 * 3600;
    cc.wake_fd = -1;
    if (val[OPT_TZ] != NULL) {
        char *end = NULL;
        long h = strtol(val[OPT_TZ], &end, 10);
        if (end == val[OPT_TZ] || *end != '\0' || h < -12 || h > 14) {
            fprintf(stderr, "hrss-collector: --tz-offset-hours: '%s' is not "
                            "an hour offset (-12..14)\n", val[OPT_TZ]);
            goto out;
        }
        cc.tz_offset = h * 3600;
    }
    if (val[OPT_MAPMAX] != NULL) {
        char *end = NULL;
        unsigned long long mib = strtoull(val[OPT_MAPMAX], &end, 10);
        if (end == val[OPT_MAPMAX] || *end != '\0' || mib < 1 ||
            mib > (1ull << 24)) {
            fprintf(stderr, "hrss-collector: --map-max-mib: '%s' is not a "
                            "size in MiB\n", val[OPT_MAPMAX]);
            goto out;
        }
        cc.map_max = (size_t)mib << 20;
    }
    if (val[OPT_CATALOG] != NULL) {
        snprintf(catdir, sizeof catdir, "%s", val[OPT_CATALOG]);
    } else {
        paths_catalog_dir(catdir, sizeof catdir);
    }
    cc.catalog_dir = catdir;

    log_init("hrss-collector", verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
    if (sigwake_install(&stop, 1) != 0) {
        fprintf(stderr, "hrss-collector: cannot create a pipe\n");
        goto out;
    }
    cc.wake_fd = sigwake_fd();
    status = collector_run(&cc, &stop);

out:
    cfg_destroy(&cfg);
    return status;
}
