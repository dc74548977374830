/* main.c: hrss-agent command line: submit, run, flush, status, check,
 * receipts, keygen, indicators, regions (the last two: agent/listing;
 * the options of status, check, receipts and keygen: agent/cmdopts).
 *
 * One sender per spool: `run` and `flush` take an exclusive flock on
 * STATE/sender.lock. A `flush` that finds `run` holding it does not send
 * beside it; it waits until the daemon has delivered everything that was
 * queued when the flush started. A `run` that finds a `flush` sending
 * waits for the lock. `submit` needs no lock: it only appends
 * to the spool (LMDB serialises writers across processes), and a running
 * daemon notices the commit through inotify. `check` opens the spool
 * read-only, beside anything (agent/check).
 *
 * `run --metrics ADDR:PORT` serves /metrics (agent/ametrics over
 * common/httpd) once it holds sender.lock, and says where in
 * STATE/endpoints ("metrics=URL"): a run waiting for the lock does not
 * take the port from the one sending.
 *
 * INVARIANTS
 *   1. Only a process holding sender.lock talks to the collector.
 *   2. SIGTERM/SIGINT only set `stop` and wake the sender's poll
 *      (common/sigwake).
 *   3. Only a process holding sender.lock serves /metrics; the server
 *      is stopped before the state it reads is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "agent/check.h"
#include "agent/cmdopts.h"
#include "agent/csvin.h"
#include "agent/csvin_fields.h"
#include "agent/dryrun.h"
#include "agent/flushwait.h"
#include "agent/intake.h"
#include "agent/listing.h"
#include "agent/sender.h"
#include "agent/spool.h"
#include "agent/receipts.h"
#include "agent/status.h"
#include "agent/usage.h"
#include "common/catalog.h"
#include "common/endpoint.h"
#include "common/file.h"
#include "common/flags.h"
#include "common/httpd.h"
#include "common/json.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/paths.h"
#include "common/pidlock.h"
#include "common/period.h"
#include "common/sigwake.h"
#include "common/text.h"
#include "common/update.h"
#include "common/version.h"
#include "common/wire.h"

#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_UNAVAILABLE 69
#define EX_IOERR 74
#define EX_INTERRUPTED 130

static volatile sig_atomic_t stop; /* set by SIGTERM/SIGINT (sigwake) */


enum { OPT_STATE, OPT_COLLECTOR, OPT_REGION, OPT_NAME, OPT_INSECURE,
       OPT_KEY, OPT_COLLECTOR_KEY, OPT_CATALOG, OPT_SPOOL_MAX, OPT_TZ,
       OPT_METRICS,
       OPT_VERBOSE, OPT_N };

/* The global options, also the keys of the config file's [agent]. */
static const flags_spec_t opt_spec[OPT_N] = {
    [OPT_STATE] = {"state-dir", 1},
    [OPT_COLLECTOR] = {"collector", 1},
    [OPT_REGION] = {"region", 1},
    [OPT_NAME] = {"name", 1},
    [OPT_INSECURE] = {"insecure", 0},
    [OPT_KEY] = {"key", 1},
    [OPT_COLLECTOR_KEY] = {"collector-key", 1},
    [OPT_CATALOG] = {"catalog", 1},
    [OPT_SPOOL_MAX] = {"spool-max-mib", 1},
    [OPT_TZ] = {"tz-offset-hours", 1},
    [OPT_METRICS] = {"metrics", 1},
    [OPT_VERBOSE] = {"verbose", 0},
};

typedef struct agent {
    const char *val[OPT_N]; /* merged options, borrowed from flags */
    keys_pair_t key;        /* CURVE: this office's key pair */
    char collector_key[KEYS_Z85_LEN];
    int have_key;
    flags_t *flags;
    catalog_t *cat;
    spool_t *spool;
    int region;             /* catalog index */
    const char *name;
    long tz_offset;
    int insecure;
    int lock_fd;
    char state_spool[4096];
    httpd_addr_t metrics_addr; /* --metrics, when given */
    ametrics_t *metrics;       /* run --metrics: what the page shows */
    httpd_t *httpd;            /* run --metrics: the page's server */
} agent_t;

static int fail_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int fail_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hrss-agent: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(hrss-agent --help tells more)\n");
    va_end(ap);
    return EX_USAGE;
}

/* A parser's usage error (agent/cmdopts): said once, or already said
 * by getopt_long when @p err is "". */
static int usage_err(const char *err)
{
    return err[0] != '\0' ? fail_usage("%s", err) : EX_USAGE;
}

/* Load the catalog, check region and name, open the spool. */
static int setup(agent_t *a, int need_region)
{
    char err[ERR_LEN];
    char catdir[4096];
    if (a->val[OPT_STATE] == NULL) {
        return fail_usage("%s", "--state-dir is required");
    }
    if (a->val[OPT_CATALOG] != NULL) {
        snprintf(catdir, sizeof catdir, "%s", a->val[OPT_CATALOG]);
    } else {
        paths_catalog_dir(catdir, sizeof catdir);
    }
    if (catalog_load_dir(&a->cat, catdir, err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: catalog: %s\n", err);
        return 1;
    }
    a->region = -1;
    if (a->val[OPT_REGION] != NULL) {
        a->region = catalog_region_find_str(a->cat, a->val[OPT_REGION]);
        if (a->region < 0) {
            return fail_usage("--region: '%s' is not a region of the catalog",
                              a->val[OPT_REGION]);
        }
    } else if (need_region) {
        return fail_usage("%s", "--region is required");
    }
    a->name = a->val[OPT_NAME] != NULL
                  ? a->val[OPT_NAME]
                  : (a->region >= 0
                         ? catalog_region(a->cat, (size_t)a->region)->code_str
                         : NULL);
    if (a->name != NULL && !wire_name_ok(a->name)) {
        return fail_usage("--name: '%s' must be 1..64 characters without "
                          "spaces", a->name);
    }
    if (intake_dirs(a->val[OPT_STATE], err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return 1;
    }
    snprintf(a->state_spool, sizeof a->state_spool, "%s/spool",
             a->val[OPT_STATE]);
    size_t max = 0;
    if (a->val[OPT_SPOOL_MAX] != NULL) {
        const char *v = a->val[OPT_SPOOL_MAX];
        char *end = NULL;
        errno = 0;
        unsigned long long mib = strtoull(v, &end, 10);
        if (end == v || *end != '\0' || v[0] == '-' || errno != 0 ||
            mib < 1 || mib > (1ull << 20)) {
            return fail_usage("--spool-max-mib: '%s' is not a size in MiB "
                              "(1..1048576)", v);
        }
        max = (size_t)mib << 20;
    }
    if (spool_open_max(&a->spool, a->state_spool, max, err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return 1;
    }
    if (a->region >= 0 &&
        spool_claim(a->spool, a->name,
                    catalog_region(a->cat, (size_t)a->region)->code,
                    err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return 1;
    }
    return 0;
}

/* The rules figures of this office are checked against. */
static update_scope_t scope(const agent_t *a)
{
    update_scope_t o;
    memset(&o, 0, sizeof o); /* no region set: the home region decides */
    o.cat = a->cat;
    o.home = a->region;
    o.current_month = month_from_time(time(NULL), a->tz_offset);
    return o;
}

/* Take the sender lock, at once (@p wait 0) or when it is free (1, until
 * a signal stops us). @return 1 taken, 0 held by pid *holder, -1 error */
static int sender_lock(agent_t *a, int wait, long *holder)
{
    char path[4200];
    char err[ERR_LEN];
    snprintf(path, sizeof path, "%s/sender.lock", a->val[OPT_STATE]);
    int got = pidlock_take(path, wait, &stop, &a->lock_fd, holder, err);
    if (got < 0) {
        fprintf(stderr, "hrss-agent: %s\n", err);
    }
    return got;
}

/* The flags of `submit`'s single-value form. */
typedef struct one_figure {
    int before_plan; /* --allow-before-plan */
    const char *ind;
    const char *per;
    const char *value;
    const char *num;
    const char *den;
    const char *reg;
} one_figure_t;

/* Report a bad flag of the single-value form; @return EX_DATAERR. */
static int bad_figure(const char *flag, const char *why)
{
    fprintf(stderr, "hrss-agent: --%s: %s\nhrss-agent: nothing was "
                    "queued\n", flag, why);
    return EX_DATAERR;
}

/* Parse and check one figure from the command line with the same domain
 * rules as a file (common/update); on success fill @p u. */
static int figure_of(const agent_t *a, const one_figure_t *f, update_t *u)
{
    update_scope_t sc = scope(a);
    char why[ERR_LEN];
    char msg[UPDATE_MSG_LEN];
    int ii = -1;
    int ri = -1;
    int32_t month = 0;
    enum update_reason r = UPDATE_OK;

    memset(u, 0, sizeof *u);
    if (update_check_indicator(a->cat, f->ind, 1, &ii, msg) != UPDATE_OK) {
        return bad_figure("indicator", msg);
    }
    u->indicator = catalog_indicator(a->cat, (size_t)ii)->code;
    if (update_parse_month(f->per, &month, why, sizeof why) != ERR_OK) {
        return bad_figure("period", why);
    }
    if (update_check_month(&sc, month, msg) != UPDATE_OK) {
        return bad_figure("period", msg);
    }
    if (!f->before_plan && csvin_fields_before_plan(a->cat, month, why)) {
        return bad_figure("period", why);
    }
    u->yyyymm = month_to_yyyymm(month);
    u->region = catalog_region(a->cat, (size_t)a->region)->code;
    if (f->reg != NULL) {
        if (update_parse_region(f->reg, &u->region, why, sizeof why) !=
            ERR_OK) {
            return bad_figure("region", why);
        }
        if (update_check_region(&sc, u->region, &ri, msg) != UPDATE_OK) {
            return bad_figure("region", msg);
        }
    }
    if (update_check_valid(a->cat, ri >= 0 ? ri : a->region, month, msg) !=
        UPDATE_OK) {
        return bad_figure("region", msg);
    }
    const char *flag = f->value != NULL ? "value" : "numerator";
    u->value.is_ratio = f->value == NULL;
    if (update_parse_amount(f->value != NULL ? f->value : f->num,
                            &u->value.num, why, sizeof why) != ERR_OK) {
        return bad_figure(flag, why);
    }
    if (f->value == NULL &&
        update_parse_amount(f->den, &u->value.den, why, sizeof why) !=
            ERR_OK) {
        return bad_figure("denominator", why);
    }
    r = update_check_value(catalog_indicator(a->cat, (size_t)ii), &u->value,
                           msg);
    if (r != UPDATE_OK) {
        return bad_figure(update_reason_field(r, &u->value), msg);
    }
    return 0;
}

static int need_sender_opts(agent_t *a);
static int timeout_arg(const char *arg, double *timeout);
static int flush_and_report(agent_t *a, double timeout);

/* submit --dry-run FILE: the collector says; nothing is queued. */
static int submit_dry(agent_t *a, const one_figure_t *f, const char *path)
{
    update_scope_t o = scope(a);
    csvin_opts_t copts = {f->before_plan};
    dryrun_opts_t d = {a->val[OPT_COLLECTOR], a->have_key ? &a->key : NULL,
                       a->have_key ? a->collector_key : NULL, a->name,
                       catalog_region(a->cat, (size_t)a->region)->code,
                       60000};
    return dryrun_file(&d, &o, &copts, path, stdout);
}

static int cmd_submit(agent_t *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"wait", no_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 't'},
        {"indicator", required_argument, NULL, 'i'},
        {"period", required_argument, NULL, 'p'},
        {"value", required_argument, NULL, 'v'},
        {"numerator", required_argument, NULL, 'n'},
        {"denominator", required_argument, NULL, 'd'},
        {"region", required_argument, NULL, 'r'},
        {"allow-before-plan", no_argument, NULL, 'b'},
        {"dry-run", no_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    one_figure_t f;
    int opt;
    int wait = 0;
    int dry = 0;
    const char *tmo = NULL;
    double timeout = 60;
    memset(&f, 0, sizeof f);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (opt) {
        case 'w': wait = 1; break;
        case 't': tmo = optarg; break;
        case 'i': f.ind = optarg; break;
        case 'p': f.per = optarg; break;
        case 'v': f.value = optarg; break;
        case 'n': f.num = optarg; break;
        case 'd': f.den = optarg; break;
        case 'r': f.reg = optarg; break;
        case 'b': f.before_plan = 1; break;
        case 'D': dry = 1; break;
        default: return EX_USAGE;
        }
    }
    if (tmo != NULL && (!wait || timeout_arg(tmo, &timeout) != 0)) {
        return wait ? EX_USAGE
                    : fail_usage("%s", "submit takes --timeout only with "
                                       "--wait");
    }
    if (dry && (wait || f.ind != NULL || optind + 1 != argc)) {
        return fail_usage("%s", "submit --dry-run takes one FILE.csv");
    }
    int rc = setup(a, 1);
    if (rc == 0 && (wait || dry)) {
        rc = need_sender_opts(a); /* before anything is queued */
    }
    if (rc != 0 || dry) {
        return rc != 0 ? rc : submit_dry(a, &f, argv[optind]);
    }
    if (optind < argc) {
        if (f.ind != NULL || optind + 1 < argc) {
            return fail_usage("%s", "submit takes one FILE.csv, or "
                                    "--indicator/--period/--value options");
        }
        update_scope_t o = scope(a);
        csvin_opts_t copts = {f.before_plan};
        size_t n = 0;
        char *errors = NULL;
        char *warnings = NULL;
        int src = intake_file(a->spool, &o, &copts, argv[optind], NULL, &n,
                              &errors, &warnings);
        if (warnings != NULL) { /* shown, not refusing (csvin) */
            text_put_clean(stderr, warnings, TEXT_KEEP_LF);
            fputc('\n', stderr);
            free(warnings);
        }
        if (src != ERR_OK) {
            fprintf(stderr, "%s%s", errors != NULL ? errors : "failed",
                    errors != NULL && errors[0] != '\0' &&
                            errors[strlen(errors) - 1] == '\n'
                        ? ""
                        : "\n");
            /* A file is queued whole or not at all (intake_file). */
            fprintf(stderr, "hrss-agent: nothing was queued\n");
            free(errors);
            return src == ERR_INVAL ? EX_DATAERR : 1;
        }
        printf("queued %zu update%s\n", n, n == 1 ? "" : "s");
        return wait ? flush_and_report(a, timeout) : 0;
    }
    if (f.ind == NULL || f.per == NULL ||
        (f.value == NULL) == (f.num == NULL && f.den == NULL) ||
        (f.value == NULL && (f.num == NULL || f.den == NULL))) {
        return fail_usage("%s", "submit needs --indicator, --period and "
                                "--value (or --numerator and "
                                "--denominator)");
    }
    update_t u;
    rc = figure_of(a, &f, &u);
    if (rc != 0) {
        return rc;
    }
    char err[ERR_LEN];
    if (intake_update(a->spool, &u, err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\nhrss-agent: nothing was queued\n",
                err);
        return 1;
    }
    printf("queued 1 update\n");
    return wait ? flush_and_report(a, timeout) : 0;
}

static int need_sender_opts(agent_t *a)
{
    char err[ERR_LEN];
    if (a->val[OPT_COLLECTOR] == NULL) {
        return fail_usage("%s", "--collector is required");
    }
    if (endpoint_check("--collector", a->val[OPT_COLLECTOR], 0, err) !=
        ERR_OK) {
        return fail_usage("%s", err);
    }
    if (a->insecure) {
        if (a->val[OPT_KEY] != NULL || a->val[OPT_COLLECTOR_KEY] != NULL) {
            return fail_usage("%s", "--insecure is plain mode: it takes no "
                                    "--key or --collector-key");
        }
        return 0;
    }
    if (a->val[OPT_KEY] == NULL || a->val[OPT_COLLECTOR_KEY] == NULL) {
        return fail_usage("%s", "--key and --collector-key are required "
                                "(or --insecure for a collector on this "
                                "machine)");
    }
    if (keys_load_secret(a->val[OPT_KEY], &a->key, err) != ERR_OK ||
        keys_load_public(a->val[OPT_COLLECTOR_KEY], a->collector_key,
                         err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return 1;
    }
    a->have_key = 1;
    return 0;
}

/* keygen --out NAME: a new key pair for this office. */
static int cmd_keygen(int argc, char **argv)
{
    const char *out = NULL;
    char err[ERR_LEN];
    if (cmdopts_keygen(argc, argv, &out, err) != 0) {
        return usage_err(err);
    }
    keys_pair_t kp;
    if (keys_generate(out, &kp, err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return 1;
    }
    printf("wrote %s.key (secret, mode 0600) and %s.pub\n"
           "public key: %s\n"
           "send %s.pub to the collector's operator; keep %s.key here\n",
           out, out, kp.public_key, out, out);
    return 0;
}

static int sender(agent_t *a, int run, int timeout_ms)
{
    char err[ERR_LEN];
    update_scope_t o = scope(a);
    sender_opts_t so;
    memset(&so, 0, sizeof so);
    so.spool = a->spool;
    so.endpoint = a->val[OPT_COLLECTOR];
    so.key = a->have_key ? &a->key : NULL;
    so.server_key = a->have_key ? a->collector_key : NULL;
    so.name = a->name;
    so.region = catalog_region(a->cat, (size_t)a->region)->code;
    so.state_dir = a->val[OPT_STATE];
    so.csv = &o;
    so.watch_inbox = run;
    so.until_empty = !run;
    so.timeout_ms = timeout_ms;
    so.stop = &stop;
    so.wake_fd = sigwake_fd();
    so.metrics = a->metrics;
    int rc = sender_run(&so, err);
    if (!run && stop) {
        spool_stats_t st;
        char note[ERR_LEN];
        if (spool_stats(a->spool, &st, err) == ERR_OK && st.queued > 0) {
            fprintf(stderr, "hrss-agent: interrupted; %llu update%s "
                            "remain%s queued (%s)\n",
                    (unsigned long long)st.queued, st.queued == 1 ? "" : "s",
                    st.queued == 1 ? "s" : "",
                    check_queue_note(a->spool, note));
            return EX_INTERRUPTED;
        }
        return 0;
    }
    if (rc == ERR_TIMEOUT) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return EX_UNAVAILABLE;
    }
    if (rc != ERR_OK) {
        log_err("%s", err);
        return 1;
    }
    return 0;
}

/* run --metrics: serve the page, and say where in STATE/endpoints
 * ("metrics=http://ADDR:PORT/metrics", for a port the kernel picked).
 * Only the holder of sender.lock serves it. @return 0, or 1 after
 * logging why. */
static int start_metrics(agent_t *a)
{
    char err[ERR_LEN];
    char path[4200];
    char text[HTTPD_URL_LEN + 16];
    if (a->val[OPT_METRICS] == NULL) {
        return 0;
    }
    a->metrics = ametrics_new();
    sigwake_block(1); /* the HTTP thread never runs the handlers */
    int rc = httpd_start(&a->httpd, &a->metrics_addr, "/metrics",
                         METRICS_CONTENT_TYPE, ametrics_page, a->metrics,
                         err);
    sigwake_block(0);
    if (rc != ERR_OK) {
        log_err("--metrics: %s", err);
        return 1;
    }
    snprintf(path, sizeof path, "%s/endpoints", a->val[OPT_STATE]);
    int n = snprintf(text, sizeof text, "metrics=%s\n", httpd_url(a->httpd));
    if (file_write_atomic(path, text, (size_t)n, err) != ERR_OK) {
        log_warn("cannot write %s: %s", path, err);
    }
    log_info("metrics at %s", httpd_url(a->httpd));
    return 0;
}

static int cmd_run(agent_t *a)
{
    int rc = setup(a, 1);
    if (rc == 0) {
        rc = need_sender_opts(a);
    }
    if (rc != 0) {
        return rc;
    }
    long holder = 0;
    int got = sender_lock(a, 0, &holder);
    if (got == 0) {
        /* A flush may be sending right now: wait for it, the daemon is
         * meant to outlive it. Another `run` would hold the lock for good,
         * so say whom we wait for. */
        log_warn("waiting for pid %ld, which sends from %s", holder,
                 a->val[OPT_STATE]);
        got = sender_lock(a, 1, &holder);
    }
    if (got <= 0) {
        return 1;
    }
    if (start_metrics(a) != 0) {
        return 1;
    }
    log_info("started: agent %s, region %s, state %s, collector %s",
             a->name, catalog_region(a->cat, (size_t)a->region)->code_str,
             a->val[OPT_STATE], a->val[OPT_COLLECTOR]);
    rc = sender(a, 1, 0);
    log_info("stopped");
    return rc;
}

/* --timeout S of flush and submit --wait into *@p timeout (seconds).
 * @return 0, or EX_USAGE after saying why. */
static int timeout_arg(const char *arg, double *timeout)
{
    char *end = NULL;
    *timeout = strtod(arg, &end);
    if (end == arg || *end != '\0' || !(*timeout > 0) ||
        *timeout > 86400 * 30) {
        return fail_usage("--timeout: not a number of seconds: '%s'", arg);
    }
    return 0;
}

/* Deliver everything queued (or wait for `run` to), then report what the
 * collector rejected that nobody was shown yet (status.c's seen mark).
 * For flush and submit --wait, after setup() and need_sender_opts().
 * @return 0; EX_DATAERR when rejections were listed; else the status of
 * the delivery (69 timeout, 130 interrupted, 1 error). */
static int flush_and_report(agent_t *a, double timeout)
{
    long holder = 0;
    int rc = 0;
    int got = sender_lock(a, 0, &holder);
    if (got < 0) {
        return 1;
    }
    if (got == 1) {
        rc = sender(a, 0, (int)(timeout * 1000));
    } else {
        /* The daemon sends: wait until what is queued now is delivered. */
        rc = flushwait_daemon(a->spool, holder, timeout, &stop);
    }
    char err[ERR_LEN];
    uint64_t n = 0;
    if (status_report_new(a->spool, stderr, &n, err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return rc != 0 ? rc : 1;
    }
    return rc != 0 ? rc : (n > 0 ? EX_DATAERR : 0);
}

static int cmd_flush(agent_t *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"timeout", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    double timeout = 60;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (opt != 't') {
            return EX_USAGE;
        }
        if (timeout_arg(optarg, &timeout) != 0) {
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        return fail_usage("flush: unexpected '%s'", argv[optind]);
    }
    int rc = setup(a, 1);
    if (rc == 0) {
        rc = need_sender_opts(a);
    }
    return rc != 0 ? rc : flush_and_report(a, timeout);
}

static int cmd_status(agent_t *a, int argc, char **argv)
{
    int json = 0;
    int due_days = DUE_DAYS_DEFAULT;
    char err[ERR_LEN];
    if (cmdopts_status(argc, argv, &json, &due_days, err) != 0) {
        return usage_err(err);
    }
    int rc = setup(a, 0);
    if (rc != 0) {
        return rc;
    }
    status_view_t v;
    memset(&v, 0, sizeof v);
    v.state_dir = a->val[OPT_STATE];
    rc = spool_stats(a->spool, &v.st, err);
    if (rc != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n%s", err,
                rc == ERR_CORRUPT ? "hrss-agent: `hrss-agent check` lists "
                                    "every damaged record\n"
                                  : "");
        return 1;
    }
    int got = sender_lock(a, 0, &v.holder);
    if (got == 1) {
        flock(a->lock_fd, LOCK_UN);
        close(a->lock_fd);
        a->lock_fd = -1;
    }
    v.running = got == 0;
    v.age = v.st.queued > 0 && v.st.oldest_submitted > 0
                ? (long long)(time(NULL) - v.st.oldest_submitted)
                : -1;
    status_due_t due;
    memset(&due, 0, sizeof due);
    if (a->region >= 0) {
        rc = status_due_load(a->spool, a->cat, a->region,
                             (int64_t)time(NULL), due_days, &due, err);
        if (rc != ERR_OK) {
            status_due_fini(&due);
            fprintf(stderr, "hrss-agent: %s\n", err);
            return 1;
        }
        v.due = &due;
    }
    rc = status_print(a->spool, &v, json, err);
    status_due_fini(&due);
    if (rc != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return 1;
    }
    return 0;
}

/* receipts [--period P] [--json | --csv] (agent/receipts): what the
 * collector acknowledged, from the spool, beside a running agent. */
static int cmd_receipts(agent_t *a, int argc, char **argv)
{
    cmdopts_receipts_t o;
    char err[ERR_LEN];
    if (cmdopts_receipts(argc, argv, &o, err) != 0) {
        return usage_err(err);
    }
    int rc = setup(a, 0);
    return rc != 0 ? rc
                   : receipts_command(a->spool, a->name,
                                      o.has_period ? &o.period : NULL,
                                      o.form, stdout);
}

/* check [--json]: the whole spool verified, read-only (agent/check). No
 * catalog, region or writable open: it works on any state directory,
 * beside a running agent. */
static int cmd_check(agent_t *a, int argc, char **argv)
{
    int json = 0;
    char err[ERR_LEN] = "";
    if (cmdopts_json(argc, argv, &json, err) != 0) {
        return usage_err(err);
    }
    if (a->val[OPT_STATE] == NULL) {
        return fail_usage("%s", "--state-dir is required");
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/spool", a->val[OPT_STATE]);
    int rc = check_spool(dir, json, err);
    if (err[0] != '\0') { /* refused at open, or not checked */
        fprintf(stderr, "hrss-agent: %s\n", err);
    }
    return rc == CHECK_SOUND ? 0
                             : (rc == CHECK_INTERRUPTED ? EX_INTERRUPTED : 1);
}

/* indicators, regions: what this agent's catalog accepts in a file
 * (agent/listing); regions at or below --region when it is given. */
static int cmd_list(agent_t *a, enum listing_what what, int argc,
                    char **argv)
{
    char err[ERR_LEN];
    if (argc > 1) {
        return fail_usage("%s: unexpected '%s'", argv[0], argv[1]);
    }
    int rc = listing_print(what, a->val[OPT_CATALOG], a->val[OPT_REGION],
                           stdout, err);
    if (rc == ERR_NOTFOUND) {
        return fail_usage("--region: %s", err);
    }
    if (rc != ERR_OK) {
        fprintf(stderr, "hrss-agent: catalog: %s\n", err);
        return 1;
    }
    return 0;
}

/* Flush stdout at the end of a command: output that could not be
 * written is an error. @return @p rc, or EX_IOERR when @p rc is 0 and
 * writing failed. */
static int flush_stdout(int rc)
{
    char err[ERR_LEN];
    if (file_flush_stdout(err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return rc != 0 ? rc : EX_IOERR;
    }
    return rc;
}

/* Options and --config up to the command, whose index goes to *cmd. */
static int parse_globals(agent_t *a, int argc, char **argv, int *cmd)
{
    static const flags_def_t def = {"hrss-agent", "agent", opt_spec, OPT_N,
                                    FLAGS_COMMAND};
    char err[ERR_LEN];
    enum flags_status st = flags_parse(&a->flags, &def, argc, argv, err);
    switch (st) {
    case FLAGS_OK:
        break;
    case FLAGS_HELP:
    case FLAGS_VERSION:
        if (st == FLAGS_HELP) {
            usage_print(stdout);
        } else {
            version_print(stdout, "hrss-agent");
        }
        flags_destroy(&a->flags);
        exit(flush_stdout(0));
    case FLAGS_BAD_OPTION:
        return EX_USAGE; /* getopt_long said why */
    case FLAGS_BAD_SWITCH:
        fprintf(stderr, "%s\n(hrss-agent --help tells more)\n", err);
        return EX_USAGE;
    case FLAGS_BAD_CONFIG:
    case FLAGS_BAD_OPERAND:
        fprintf(stderr, "%s\n", err);
        return EX_USAGE;
    }
    for (size_t i = 0; i < OPT_N; i++) {
        a->val[i] = flags_value(a->flags, i);
    }
    *cmd = flags_first_operand(a->flags);
    a->insecure = flags_on(a->flags, OPT_INSECURE);
    int verbose = flags_on(a->flags, OPT_VERBOSE);
    a->tz_offset = 8 * 3600;
    if (a->val[OPT_TZ] != NULL) {
        char *end = NULL;
        long h = strtol(a->val[OPT_TZ], &end, 10);
        if (end == a->val[OPT_TZ] || *end != '\0' || h < -12 || h > 14) {
            return fail_usage("--tz-offset-hours: '%s' is not -12..14",
                              a->val[OPT_TZ]);
        }
        a->tz_offset = h * 3600;
    }
    if (a->val[OPT_METRICS] != NULL &&
        httpd_addr_parse(a->val[OPT_METRICS], &a->metrics_addr, err) !=
            ERR_OK) {
        return fail_usage("--metrics: %s", err);
    }
    log_init("hrss-agent", verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
    return 0;
}

int main(int argc, char **argv)
{
    agent_t a;
    file_stdout_init();
    memset(&a, 0, sizeof a);
    a.lock_fd = -1;
    int first = argc;
    int rc = parse_globals(&a, argc, argv, &first);
    if (rc == 0 && first >= argc) {
        rc = fail_usage("%s", "a command is needed: submit, run, flush, "
                              "status, receipts, check, keygen, "
                              "indicators or regions");
    }
    if (rc == 0) {
        const char *cmd = argv[first];
        int cargc = argc - first;
        char **cargv = argv + first;
        if (sigwake_install(&stop, 0) != 0) {
            return fail_usage("%s", "cannot create a pipe");
        }
        if (strcmp(cmd, "submit") == 0) {
            rc = cmd_submit(&a, cargc, cargv);
        } else if (strcmp(cmd, "run") == 0) {
            rc = cargc > 1 ? fail_usage("run: unexpected '%s'", cargv[1])
                           : cmd_run(&a);
        } else if (strcmp(cmd, "flush") == 0) {
            rc = cmd_flush(&a, cargc, cargv);
        } else if (strcmp(cmd, "status") == 0) {
            rc = cmd_status(&a, cargc, cargv);
        } else if (strcmp(cmd, "receipts") == 0) {
            rc = cmd_receipts(&a, cargc, cargv);
        } else if (strcmp(cmd, "check") == 0) {
            rc = cmd_check(&a, cargc, cargv);
        } else if (strcmp(cmd, "keygen") == 0) {
            rc = cmd_keygen(cargc, cargv);
        } else if (strcmp(cmd, "indicators") == 0) {
            rc = cmd_list(&a, LISTING_INDICATORS, cargc, cargv);
        } else if (strcmp(cmd, "regions") == 0) {
            rc = cmd_list(&a, LISTING_REGIONS, cargc, cargv);
        } else {
            rc = fail_usage("unknown command '%s' (submit, run, flush, "
                            "status, receipts, check, keygen, indicators, "
                            "regions)",
                            cmd);
        }
    }
    httpd_stop(&a.httpd); /* before what its thread reads */
    ametrics_destroy(&a.metrics);
    if (a.lock_fd >= 0) {
        close(a.lock_fd);
    }
    spool_close(&a.spool);
    catalog_destroy(&a.cat);
    flags_destroy(&a.flags);
    return flush_stdout(rc);
}
