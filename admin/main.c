/* main.c: hrssctl, the admin CLI: totals, breakdowns, series, progress
 * against the plan, completeness, history, rejections, agents, violations,
 * backup and export.
 *
 * Every command builds protobuf query requests and hands them to the
 * client (admin/client.c), which either sends them to a collector's query
 * socket or answers them in this process from the store opened read-only;
 * so --connect and --data-dir give the same answers. Output is a table for
 * people (aligned with Chinese text, numbers right-aligned with thousands
 * separators, fit to the terminal's width unless --wide: admin/screen),
 * or --json / --csv for scripts (stable field names, raw units);
 * admin/render.c lays out both.
 *
 * This file holds the command table and nothing command-specific: the
 * usage text, `hrssctl COMMAND --help`, the check of a command's name,
 * options and arguments, and the dispatch all read the one table.
 *
 * INVARIANTS
 *   1. Errors go to stderr with a non-zero exit; stdout holds only the
 *      answer.
 *   2. --json and --csv print raw units (persons; fractions for ratios).
 *   3. A handler runs only with an option set its table entry accepts,
 *      its number of positional arguments and the options it needs.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/cmd_approve.h"
#include "admin/cmd_audit.h"
#include "admin/cmd_quality.h"
#include "admin/cmd_reconcile.h"
#include "admin/cmd_catalog.h"
#include "admin/cmd_diff.h"
#include "admin/cmd_chain.h"
#include "admin/cmd_figures.h"
#include "admin/cmd_keys.h"
#include "admin/cmd_plan.h"
#include "admin/cmd_check.h"
#include "admin/cmd_comment.h"
#include "admin/cmd_store.h"
#include "admin/ctl.h"
#include "admin/screen.h"
#include "admin/zone.h"
#include "common/endpoint.h"
#include "common/file.h"
#include "common/keys.h"
#include "common/paths.h"
#include "common/version.h"

/* The options a command may take (the global ones go with any), by
 * number; OPT_* are their bits. */
enum opt_key { K_PERIOD, K_REGION, K_FROM, K_TO, K_BY, K_SINCE, K_UNDER,
               K_FORMAT, K_OUT, K_AS, K_TEXT, K_FOLLOW_UP, K_RESOLVE,
               K_APPROVED, K_AS_OF, K_RECEIPTS, K_CHANGES, K_COUNT };
#define OPT_PERIOD (1u << K_PERIOD)
#define OPT_REGION (1u << K_REGION)
#define OPT_FROM (1u << K_FROM)
#define OPT_TO (1u << K_TO)
#define OPT_BY (1u << K_BY)
#define OPT_SINCE (1u << K_SINCE)
#define OPT_UNDER (1u << K_UNDER)
#define OPT_FORMAT (1u << K_FORMAT)
#define OPT_OUT (1u << K_OUT)
#define OPT_AS (1u << K_AS)
#define OPT_TEXT (1u << K_TEXT)
#define OPT_FOLLOW_UP (1u << K_FOLLOW_UP)
#define OPT_RESOLVE (1u << K_RESOLVE)
#define OPT_APPROVED (1u << K_APPROVED)
#define OPT_AS_OF (1u << K_AS_OF)
#define OPT_RECEIPTS (1u << K_RECEIPTS)
#define OPT_CHANGES (1u << K_CHANGES)

static const char *const opt_names[K_COUNT] = {
    [K_PERIOD] = "period", [K_REGION] = "region", [K_FROM] = "from",
    [K_TO] = "to", [K_BY] = "by", [K_SINCE] = "since", [K_UNDER] = "under",
    [K_FORMAT] = "format", [K_OUT] = "out", [K_AS] = "as",
    [K_TEXT] = "text", [K_FOLLOW_UP] = "follow-up", [K_RESOLVE] = "resolve",
    [K_APPROVED] = "approved", [K_AS_OF] = "as-of",
    [K_RECEIPTS] = "receipts", [K_CHANGES] = "changes"};

typedef struct command {
    const char *name;
    const char *usage;  /* after the name; "\n" starts a continuation */
    const char *help;   /* one line; "\n" where the command list wraps */
    int (*run)(ctl_t *x, const ctl_args_t *a);
    unsigned opts;      /* OPT_* it accepts */
    unsigned needs;     /* OPT_* it cannot do without */
    int npos;           /* positional arguments it takes */
    int npos_optional;  /* 1: 0..npos of them */
    const char *takes;  /* "one INDICATOR": says what npos/needs want */
    int offline;        /* runs without a collector or a store */
    int own_store;      /* opens the store itself: --data-dir only
                           (OWN_STORE_DATA_DIR: with --data-dir, else
                           through the collector) */
} command_t;

#define OWN_STORE_DATA_DIR 2

static const command_t commands[] = {
    {.name = "indicators", .usage = "", .help = "the plan's indicators",
     .run = cmd_catalog_indicators},
    {.name = "regions", .usage = "[--under CODE] [--changes]",
     .help = "regions, or those below CODE, with\nthe months each exists "
             "(--changes: the\nchanges of the map)",
     .run = cmd_catalog_regions, .opts = OPT_UNDER | OPT_CHANGES},
    {.name = "total", .usage = "IND --period P [--region CODE]\n"
                               "[--as-of TIME]",
     .help = "IND over P, in CODE and below it", .run = cmd_figures_total,
     .opts = OPT_PERIOD | OPT_REGION | OPT_AS_OF, .npos = 1,
     .takes = "one INDICATOR"},
    {.name = "breakdown", .usage = "IND --period P [--region CODE]\n"
                                   "[--as-of TIME]",
     .help = "the region's own report and each\nchild's total",
     .run = cmd_figures_breakdown,
     .opts = OPT_PERIOD | OPT_REGION | OPT_AS_OF,
     .npos = 1, .takes = "one INDICATOR"},
    {.name = "series",
     .usage = "IND --from P --to P [--region CODE]\n"
              "[--by month|quarter|year] [--as-of TIME]",
     .help = "IND for each month (quarter, year)\nfrom --from through --to",
     .run = cmd_figures_series,
     .opts = OPT_FROM | OPT_TO | OPT_REGION | OPT_BY | OPT_AS_OF,
     .npos = 1, .takes = "one INDICATOR"},
    {.name = "progress", .usage = "[--period P] [--region CODE]\n"
                                  "[--approved] [--as-of TIME]",
     .help = "each indicator against the plan's\ntarget, in the plan's "
             "units (--approved:\napproved figures only)",
     .run = cmd_plan_progress,
     .opts = OPT_PERIOD | OPT_REGION | OPT_APPROVED | OPT_AS_OF},
    {.name = "completeness", .usage = "--period P [--region CODE]\n"
                                      "[--as-of TIME]",
     .help = "who has (not) reported what", .run = cmd_audit_completeness,
     .opts = OPT_PERIOD | OPT_REGION | OPT_AS_OF},
    {.name = "diff", .usage = "[IND] --from TIME --to TIME\n"
                              "[--region CODE]",
     .help = "the figures whose value changed\nbetween two moments, and "
             "the\nregion's totals before and after",
     .run = cmd_diff, .opts = OPT_FROM | OPT_TO | OPT_REGION,
     .needs = OPT_FROM | OPT_TO, .npos = 1, .npos_optional = 1,
     .takes = "--from TIME --to TIME [INDICATOR]"},
    {.name = "history", .usage = "IND --region CODE --period YYYY-MM",
     .help = "every value received for one\nregion's figure of one month",
     .run = cmd_audit_history, .opts = OPT_REGION | OPT_PERIOD,
     .needs = OPT_REGION | OPT_PERIOD, .npos = 1,
     .takes = "INDICATOR --region CODE --period YYYY-MM"},
    {.name = "rejections", .usage = "[--since TIME]",
     .help = "updates the collector refused;\nTIME: unix seconds or\n"
             "YYYY-MM-DD[THH:MM[:SS]]",
     .run = cmd_audit_rejections, .opts = OPT_SINCE},
    {.name = "agents", .usage = "",
     .help = "each agent's last contact and\nnext sequence number",
     .run = cmd_audit_agents},
    {.name = "violations", .usage = "[--period P] [--region CODE]",
     .help = "\"of which\" figures above their\nwhole",
     .run = cmd_audit_violations, .opts = OPT_PERIOD | OPT_REGION},
    {.name = "approve", .usage = "--region CODE --period YYYY-MM\n"
                                 "[--as NAME]",
     .help = "approve a region's month: its\nfigures are final and "
             "locked (every\nregion below it approved first)",
     .run = cmd_approve, .opts = OPT_REGION | OPT_PERIOD | OPT_AS,
     .needs = OPT_REGION | OPT_PERIOD,
     .takes = "--region CODE --period YYYY-MM"},
    {.name = "unapprove", .usage = "--region CODE --period YYYY-MM\n"
                                   "[--as NAME]",
     .help = "withdraw an approval (the region\nabove unapproved first)",
     .run = cmd_unapprove, .opts = OPT_REGION | OPT_PERIOD | OPT_AS,
     .needs = OPT_REGION | OPT_PERIOD,
     .takes = "--region CODE --period YYYY-MM"},
    {.name = "accept", .usage = "--region CITY --period YYYY-MM\n"
                                "[--as NAME]",
     .help = "the province accepts a city's\napproval",
     .run = cmd_accept, .opts = OPT_REGION | OPT_PERIOD | OPT_AS,
     .needs = OPT_REGION | OPT_PERIOD,
     .takes = "--region CITY --period YYYY-MM"},
    {.name = "unaccept", .usage = "--region CITY --period YYYY-MM\n"
                                  "[--as NAME]",
     .help = "withdraw the province's acceptance",
     .run = cmd_unaccept, .opts = OPT_REGION | OPT_PERIOD | OPT_AS,
     .needs = OPT_REGION | OPT_PERIOD,
     .takes = "--region CITY --period YYYY-MM"},
    {.name = "except", .usage = "--region CODE --period YYYY-MM\n"
                                "[--as NAME]",
     .help = "the province lets a region's month\nin past the automatic "
             "lock",
     .run = cmd_except, .opts = OPT_REGION | OPT_PERIOD | OPT_AS,
     .needs = OPT_REGION | OPT_PERIOD,
     .takes = "--region CODE --period YYYY-MM"},
    {.name = "unexcept", .usage = "--region CODE --period YYYY-MM\n"
                                  "[--as NAME]",
     .help = "withdraw that exception",
     .run = cmd_unexcept, .opts = OPT_REGION | OPT_PERIOD | OPT_AS,
     .needs = OPT_REGION | OPT_PERIOD,
     .takes = "--region CODE --period YYYY-MM"},
    {.name = "approvals", .usage = "--period YYYY-MM [--region CODE]",
     .help = "each region's approval of a month,\nand the actions taken",
     .run = cmd_approvals, .opts = OPT_PERIOD | OPT_REGION,
     .needs = OPT_PERIOD, .takes = "--period YYYY-MM"},
    {.name = "outliers", .usage = "--period P [--region CODE]",
     .help = "figures far from their own history\n(modified z-scores)",
     .run = cmd_quality_outliers, .opts = OPT_PERIOD | OPT_REGION},
    {.name = "reconcile", .usage = "[--region CODE] [--period P]",
     .help = "per office and month, the updates\naccepted and rejected: "
             "to compare\nwith the office's hrss-agent receipts",
     .run = cmd_reconcile, .opts = OPT_PERIOD | OPT_REGION},
    {.name = "ranges", .usage = "--from P --to P [--region CODE]",
     .help = "each indicator's smallest and\nlargest figure per region: a "
             "CSV\nfor the collector's --ranges",
     .run = cmd_quality_ranges, .opts = OPT_FROM | OPT_TO | OPT_REGION,
     .needs = OPT_FROM | OPT_TO, .takes = "--from P --to P"},
    {.name = "comment", .usage = "IND --region CODE --period YYYY-MM\n"
                                 "--text TEXT [--follow-up | --resolve]\n"
                                 "[--as NAME]",
     .help = "comment on a cell; --follow-up\nmarks it for follow-up, "
             "--resolve\nclears the mark",
     .run = cmd_comment, .opts = OPT_REGION | OPT_PERIOD | OPT_TEXT |
                                 OPT_FOLLOW_UP | OPT_RESOLVE | OPT_AS,
     .needs = OPT_REGION | OPT_PERIOD | OPT_TEXT, .npos = 1,
     .takes = "INDICATOR --region CODE --period YYYY-MM --text TEXT"},
    {.name = "followups", .usage = "[--period P] [--region CODE]",
     .help = "the cells marked for follow-up",
     .run = cmd_followups, .opts = OPT_PERIOD | OPT_REGION},
    {.name = "backup", .usage = "NAME|DIR",
     .help = "hot, compacted copy of the store:\nNAME in the collector's "
             "--backup-dir\n(admin key), or DIR with --data-dir",
     .run = cmd_store_backup, .npos = 1,
     .takes = "one NAME (or DIR with --data-dir)"},
    {.name = "check", .usage = "",
     .help = "check the whole store file offline\n(--data-dir, collector "
             "stopped):\nchecksums, records, aggregates",
     .run = cmd_check, .own_store = 1},
    {.name = "audit", .usage = "head | verify [--receipts FILE]",
     .help = "the audit chain: its length and\nhead hash (head), or "
             "every record,\nfact and aggregate checked against\nit and "
             "the agents' receipts\n(verify, --data-dir)",
     .run = cmd_chain, .opts = OPT_RECEIPTS, .npos = 1,
     .takes = "head or verify", .own_store = OWN_STORE_DATA_DIR},
    {.name = "export", .usage = "--format csv [--from P --to P]\n"
                                "[--as-of TIME]",
     .help = "every current value, as a CSV an\nagent can submit again",
     .run = cmd_store_export,
     .opts = OPT_FORMAT | OPT_FROM | OPT_TO | OPT_AS_OF},
    {.name = "keygen", .usage = "--out NAME",
     .help = "a new CurveZMQ key pair: NAME.key\n(secret, 0600), NAME.pub",
     .run = cmd_keys_keygen, .opts = OPT_OUT, .needs = OPT_OUT,
     .takes = "--out NAME", .offline = 1},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Column of the descriptions in the command list. */
#define HELP_COLUMN 34

static const char globals_usage[] =
    "(--connect ENDPOINT (--key FILE --collector-key FILE\n"
    "                     | --insecure)\n"
    " | --data-dir DIR) [--timeout S] [--catalog DIR]\n"
    "[--tz-offset-hours H] [--wide]";

static const char arguments_note[] =
    "IND is an indicator code or its Chinese name; CODE a GB/T 2260\n"
    "region code or a region's Chinese name (default: the province).\n"
    "P is " PERIOD_FORMS ".\n"
    "TIME (--as-of, diff) is ISO 8601 with an offset\n"
    "(2025-11-03T10:00:00+08:00, ...Z), a date YYYY-MM-DD (the end of\n"
    "that day in the plan's time zone) or unix seconds: the answer is\n"
    "the store as it stood then (updates received and approvals taken\n"
    "at or before it); today's date means now, a TIME later than now\n"
    "is refused.\n";

static const command_t *command_find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

/* Print @p text line by line, each line after the first (or every line
 * when @p first_too) indented to column @p col. */
static void put_lines(FILE *f, const char *text, int col, int first_too)
{
    const char *s = text;
    for (int i = 0; *s != '\0'; i++) {
        size_t n = strcspn(s, "\n");
        if (i > 0 || first_too) {
            fprintf(f, "%*s", col, "");
        }
        fprintf(f, "%.*s\n", (int)n, s);
        s += n + (s[n] == '\n');
    }
}

/* Print @p text with its lines wrapped at spaces to end before column
 * 80 (every --help line fits an 80-column terminal; tests check it). */
static void put_wrapped(FILE *f, const char *text)
{
    const char *s = text;
    while (*s != '\0') {
        size_t n = strcspn(s, "\n");
        while (n > 79) {
            size_t cut = 79;
            while (cut > 0 && s[cut] != ' ') {
                cut--;
            }
            if (cut == 0) {
                break; /* one word longer than the line: leave it */
            }
            fprintf(f, "%.*s\n", (int)cut, s);
            s += cut + 1;
            n -= cut + 1;
        }
        fprintf(f, "%.*s\n", (int)n, s);
        s += n + (s[n] == '\n');
    }
}

/* Print "NAME USAGE" starting at column @p col, continuation lines
 * indented under the first argument, without ending the last line.
 * @return the column the last line ends at. */
static int put_synopsis(FILE *f, int col, const command_t *c)
{
    int indent = col + (int)strlen(c->name) + 1;
    size_t n = strcspn(c->usage, "\n");
    fprintf(f, "%s%s%.*s", c->name, n > 0 ? " " : "", (int)n, c->usage);
    col = indent - 1 + (n > 0 ? 1 + (int)n : 0);
    for (const char *s = c->usage + n; *s == '\n'; s += n) {
        s++;
        n = strcspn(s, "\n");
        fprintf(f, "\n%*s%.*s", indent, "", (int)n, s);
        col = indent + (int)n;
    }
    return col;
}

/* One entry of the command list: its usage, then its description from
 * HELP_COLUMN, on the usage's last line when that leaves two spaces. */
static void list_command(FILE *f, const command_t *c)
{
    fputs("  ", f);
    int col = put_synopsis(f, 2, c);
    if (col + 2 <= HELP_COLUMN) {
        fprintf(f, "%*s", HELP_COLUMN - col, "");
    } else {
        fprintf(f, "\n%*s", HELP_COLUMN, "");
    }
    put_lines(f, c->help, HELP_COLUMN, 0);
}

static void usage(FILE *f)
{
    char zone[ZONE_LABEL_LEN];
    zone_label(ZONE_DEFAULT_OFFSET, zone, sizeof zone);
    fputs("usage: hrssctl ", f);
    put_lines(f, globals_usage, 15, 0);
    fprintf(f, "%15sCOMMAND [ARGS] [--json | --csv]\n", "");
    fputs("\n"
          "Ask a running collector (--connect, its --query endpoint) or "
          "read\n"
          "its store directly (--data-dir, read-only; works while it "
          "runs).\n"
          "The answers are the same either way.\n"
          "\n"
          "Commands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        list_command(f, &commands[i]);
    }
    fputs("\n", f);
    put_wrapped(f, arguments_note);
    fprintf(f,
            "Counts are whole persons; --json and --csv give ratios as "
            "fractions\n"
            "(0.827). Times are shown in %s unless --tz-offset-hours says "
            "otherwise.\n"
            "Tables fit the terminal's width (or COLUMNS): long names and "
            "lists wrap,\n"
            "and a note names any column left out; --wide prints them "
            "whole, as a\n"
            "pipe gets them.\n"
            "`hrssctl COMMAND --help` shows one command's usage; "
            "`hrssctl --version`\n"
            "the version.\n"
            "\n"
            "Exit status: 0 done, 1 the query failed (unknown indicator, "
            "bad\n"
            "period, ...), 2 audit verify: the store does not match, 64 "
            "usage,\n"
            "65/66 a receipts file malformed/unreadable, 69 collector "
            "unreachable\n"
            "in time, 74 output not written.\n",
            zone);
}

/* `hrssctl COMMAND --help`. */
static void command_usage(FILE *f, const command_t *c)
{
    static const char lead[] = "usage: hrssctl [OPTIONS] ";
    static const char fmts[] = "[--json | --csv]";
    int indent = (int)strlen(lead) + (int)strlen(c->name) + 1;
    fputs(lead, f);
    int col = put_synopsis(f, (int)strlen(lead), c);
    if (col + 1 + (int)strlen(fmts) < 80) {
        fprintf(f, " %s\n\n", fmts);
    } else {
        fprintf(f, "\n%*s%s\n\n", indent, "", fmts);
    }
    char help[512] = "  ";
    size_t i = 2;
    for (const char *s = c->help; *s != '\0' && i + 1 < sizeof help; s++) {
        help[i++] = *s == '\n' ? ' ' : *s;
    }
    help[i] = '\0';
    put_wrapped(f, help);
    fputs("\nOPTIONS: ", f);
    put_lines(f, globals_usage, 9, 0);
    fputs("\n", f);
    put_wrapped(f, arguments_note);
    fputs("`hrssctl --help` lists every command.\n", f);
}

/* ---------------------------------------------------------------------- */
/* the command line                                                        */

/* The options that do not belong to a command. */
typedef struct globals {
    const char *connect;
    const char *key;           /* --key FILE */
    const char *collector_key; /* --collector-key FILE */
    const char *data_dir;
    const char *catalog;
    int insecure;
    double timeout;     /* seconds */
    long tz;            /* seconds east of UTC */
    int help;
    int version;
    int json;
    int csv;
    int wide;
} globals_t;

enum { G_CONNECT = 256, G_INSECURE, G_DATA, G_TIMEOUT, G_CATALOG, G_TZ,
       G_JSON, G_CSV, G_KEY, G_COLLECTOR_KEY, G_VERSION, G_WIDE, G_HELP,
       G_CMD_OPT /* + enum opt_key */ };

static const struct option long_opts[] = {
    {"connect", required_argument, NULL, G_CONNECT},
    {"insecure", no_argument, NULL, G_INSECURE},
    {"data-dir", required_argument, NULL, G_DATA},
    {"timeout", required_argument, NULL, G_TIMEOUT},
    {"catalog", required_argument, NULL, G_CATALOG},
    {"tz-offset-hours", required_argument, NULL, G_TZ},
    {"json", no_argument, NULL, G_JSON},
    {"csv", no_argument, NULL, G_CSV},
    {"key", required_argument, NULL, G_KEY},
    {"collector-key", required_argument, NULL, G_COLLECTOR_KEY},
    {"version", no_argument, NULL, G_VERSION},
    {"wide", no_argument, NULL, G_WIDE},
    {"help", no_argument, NULL, G_HELP},
    {"period", required_argument, NULL, G_CMD_OPT + K_PERIOD},
    {"region", required_argument, NULL, G_CMD_OPT + K_REGION},
    {"from", required_argument, NULL, G_CMD_OPT + K_FROM},
    {"to", required_argument, NULL, G_CMD_OPT + K_TO},
    {"by", required_argument, NULL, G_CMD_OPT + K_BY},
    {"since", required_argument, NULL, G_CMD_OPT + K_SINCE},
    {"under", required_argument, NULL, G_CMD_OPT + K_UNDER},
    {"format", required_argument, NULL, G_CMD_OPT + K_FORMAT},
    {"out", required_argument, NULL, G_CMD_OPT + K_OUT},
    {"as", required_argument, NULL, G_CMD_OPT + K_AS},
    {"text", required_argument, NULL, G_CMD_OPT + K_TEXT},
    {"follow-up", no_argument, NULL, G_CMD_OPT + K_FOLLOW_UP},
    {"resolve", no_argument, NULL, G_CMD_OPT + K_RESOLVE},
    {"approved", no_argument, NULL, G_CMD_OPT + K_APPROVED},
    {"as-of", required_argument, NULL, G_CMD_OPT + K_AS_OF},
    {"receipts", required_argument, NULL, G_CMD_OPT + K_RECEIPTS},
    {"changes", no_argument, NULL, G_CMD_OPT + K_CHANGES},
    {NULL, 0, NULL, 0},
};

/* Where the value of command option @p k goes. */
static const char **arg_slot(ctl_args_t *a, enum opt_key k)
{
    switch (k) {
    case K_PERIOD:
        return &a->period;
    case K_REGION:
        return &a->region;
    case K_FROM:
        return &a->from;
    case K_TO:
        return &a->to;
    case K_BY:
        return &a->by;
    case K_SINCE:
        return &a->since;
    case K_UNDER:
        return &a->under;
    case K_OUT:
        return &a->out;
    case K_AS:
        return &a->as;
    case K_TEXT:
        return &a->text;
    case K_FOLLOW_UP:
        return &a->follow_up;
    case K_AS_OF:
        return &a->as_of;
    case K_RESOLVE:
        return &a->resolve;
    case K_RECEIPTS:
        return &a->receipts;
    case K_CHANGES:
        return &a->changes;
    case K_FORMAT:
    case K_APPROVED: /* a flag: parse() */
    case K_COUNT:
        break;
    }
    return &a->format;
}

/* A global option with its argument. @return 0, or the exit status. */
static int global_opt(int opt, const char *arg, globals_t *g)
{
    char *end = NULL;
    switch (opt) {
    case G_CONNECT:
        g->connect = arg;
        break;
    case G_INSECURE:
        g->insecure = 1;
        break;
    case G_DATA:
        g->data_dir = arg;
        break;
    case G_CATALOG:
        g->catalog = arg;
        break;
    case G_TIMEOUT:
        g->timeout = strtod(arg, &end);
        if (end == arg || *end != '\0' || !(g->timeout > 0) ||
            g->timeout > 3600) {
            return ctl_fail(CTL_EX_USAGE, "--timeout: '%s' is not seconds",
                            arg);
        }
        break;
    case G_TZ: {
        long h = strtol(arg, &end, 10);
        if (end == arg || *end != '\0' || h < -12 || h > 14) {
            return ctl_fail(CTL_EX_USAGE, "--tz-offset-hours: '%s' is not "
                                          "-12..14", arg);
        }
        g->tz = h * 3600;
        break;
    }
    case G_JSON:
        g->json = 1;
        break;
    case G_CSV:
        g->csv = 1;
        break;
    case G_KEY:
        g->key = arg;
        break;
    case G_COLLECTOR_KEY:
        g->collector_key = arg;
        break;
    case G_VERSION:
        g->version = 1;
        break;
    case G_WIDE:
        g->wide = 1;
        break;
    default:
        g->help = 1;
        break;
    }
    return 0;
}

/* Read argv in one pass: options may come before or after the command.
 * @return 0, or the exit status. */
static int parse(int argc, char **argv, globals_t *g, const char **cmd,
                 ctl_args_t *a, unsigned *given)
{
    int opt = 0;
    while (opt != -1) {
        opt = getopt_long(argc, argv, "-h", long_opts, NULL);
        int st = 0;
        if (opt == -1) {
            break;
        } else if (opt == G_CMD_OPT + K_APPROVED) {
            a->approved = 1;
            *given |= OPT_APPROVED;
        } else if (opt >= G_CMD_OPT && opt < G_CMD_OPT + K_COUNT) {
            /* A flag (no argument) reads as its name. */
            *arg_slot(a, (enum opt_key)(opt - G_CMD_OPT)) =
                optarg != NULL ? optarg : opt_names[opt - G_CMD_OPT];
            *given |= 1u << (opt - G_CMD_OPT);
        } else if (opt == 1 && *cmd == NULL) {
            *cmd = optarg;
        } else if (opt == 1 && a->npos < CTL_MAX_POS) {
            a->pos[a->npos++] = optarg;
        } else if (opt == 1) {
            st = ctl_fail(CTL_EX_USAGE, "too many arguments");
        } else if (opt >= G_CONNECT && opt <= G_HELP) {
            st = global_opt(opt, optarg, g);
        } else if (opt == 'h') {
            g->help = 1;
        } else {
            fprintf(stderr, "(hrssctl --help tells more)\n");
            st = CTL_EX_USAGE;
        }
        if (st != 0) {
            return st;
        }
    }
    return 0;
}

/* Whether the command line asks something hrssctl can run.
 * @param[out] out  The command, on 0.
 * @return 0, or the exit status after saying why not. */
static int check(const globals_t *g, const char *name, const ctl_args_t *a,
                 unsigned given, const command_t **out)
{
    const command_t *off = command_find(name);
    if (off != NULL && off->offline) {
        if (g->connect != NULL || g->data_dir != NULL) {
            return ctl_fail(CTL_EX_USAGE, "%s needs no --connect or "
                                          "--data-dir", name);
        }
    } else if ((g->connect == NULL) == (g->data_dir == NULL)) {
        return ctl_fail(CTL_EX_USAGE, "give either --connect ENDPOINT or "
                                      "--data-dir DIR");
    }
    if (g->connect != NULL && g->insecure &&
        (g->key != NULL || g->collector_key != NULL)) {
        return ctl_fail(CTL_EX_USAGE, "--insecure is plain mode: it takes "
                                      "no --key or --collector-key");
    }
    if (g->connect != NULL && !g->insecure &&
        (g->key == NULL || g->collector_key == NULL)) {
        return ctl_fail(CTL_EX_USAGE, "--connect needs --key FILE and "
                                      "--collector-key FILE (or --insecure "
                                      "for a plain collector on this "
                                      "machine)");
    }
    char err[ERR_LEN];
    if (g->connect != NULL &&
        endpoint_check("--connect", g->connect, 0, err) != ERR_OK) {
        return ctl_fail(CTL_EX_USAGE, "%s (the collector's --query "
                                      "endpoint)", err);
    }
    if (g->json && g->csv) {
        return ctl_fail(CTL_EX_USAGE, "give --json or --csv, not both");
    }
    const command_t *c = command_find(name);
    if (c == NULL) {
        return ctl_fail(CTL_EX_USAGE, "unknown command '%s' (hrssctl --help "
                                      "lists them)", name);
    }
    if (c->own_store == 1 && g->data_dir == NULL) {
        return ctl_fail(CTL_EX_USAGE, "%s reads the store file itself: give "
                                      "--data-dir DIR (with the collector "
                                      "stopped)", name);
    }
    unsigned extra = given & ~c->opts;
    for (int k = 0; k < K_COUNT; k++) {
        if (extra & (1u << k)) {
            return ctl_fail(CTL_EX_USAGE, "%s does not take --%s (hrssctl "
                                          "%s --help)",
                            c->name, opt_names[k], c->name);
        }
    }
    if ((c->npos_optional ? a->npos > c->npos : a->npos != c->npos) ||
        (given & c->needs) != c->needs) {
        return ctl_fail(CTL_EX_USAGE, "%s takes %s", c->name,
                        c->takes != NULL ? c->takes : "no arguments");
    }
    *out = c;
    return 0;
}

/* Connect, or open the store, and fetch the catalog the answers use.
 * @return 0, or the exit status after saying why not. */
static int open_client(const globals_t *g, ctl_t *x)
{
    char err[ERR_LEN];
    client_spec_t spec = {
        .data_dir = g->data_dir, .catalog_dir = x->catalog_dir,
        .connect = g->connect, .key = g->insecure ? NULL : g->key,
        .collector_key = g->insecure ? NULL : g->collector_key,
        .timeout_ms = (int)(g->timeout * 1000)};
    int rc = client_open(&x->c, &spec, err);
    if (rc != ERR_OK) {
        return ctl_fail(1, "%s", err);
    }
    x->cat = client_catalog(x->c, err);
    if (x->cat == NULL) {
        return ctl_fail(strstr(err, "did not answer") != NULL
                            ? CTL_EX_UNAVAILABLE
                            : 1,
                        "%s", err);
    }
    return 0;
}

/* --as-of TIME into x (ctl_as_of_arg()), and say the answer is as of
 * then: a line before a table; on stderr for --json, --csv and export,
 * whose stdout is for programs (--json answers also carry it in their
 * "as_of" member; a CSV has no place for it). */
static int as_of_arg(ctl_t *x, const ctl_args_t *a, int to_stderr)
{
    int st = ctl_as_of_arg(x, "--as-of", a->as_of);
    if (st != 0) {
        return st;
    }
    int64_t t = x->as_of;
    char when[ZONE_TIME_LEN];
    char label[ZONE_LABEL_LEN];
    zone_format_time(t, x->tz, when, sizeof when);
    zone_label(x->tz, label, sizeof label);
    if (to_stderr || x->fmt != RENDER_TABLE) {
        fprintf(stderr, "hrssctl: as of %s %s (unix %lld): the store as it "
                        "stood then\n", when, label, (long long)t);
    } else {
        fprintf(x->out, "as of %s %s: the store as it stood then\n", when,
                label);
    }
    return 0;
}

int main(int argc, char **argv)
{
    globals_t g = {.timeout = 10, .tz = ZONE_DEFAULT_OFFSET};
    file_stdout_init();
    ctl_args_t a;
    ctl_t x;
    const char *name = NULL;
    const command_t *c = NULL;
    unsigned given = 0;
    memset(&a, 0, sizeof a);
    memset(&x, 0, sizeof x);
    int st = parse(argc, argv, &g, &name, &a, &given);
    if (st != 0) {
        return st;
    }
    if (g.version && !g.help) {
        version_print(stdout, "hrssctl");
        return ctl_flush_output(0);
    }
    if (g.help) {
        c = name != NULL ? command_find(name) : NULL;
        if (c != NULL) {
            command_usage(stdout, c);
        } else {
            usage(stdout);
        }
        return ctl_flush_output(0);
    }
    if (name == NULL) {
        usage(stderr);
        return CTL_EX_USAGE;
    }
    st = check(&g, name, &a, given, &c);
    if (st != 0) {
        return st;
    }
    x.out = stdout;
    x.fmt = g.json ? RENDER_JSON : g.csv ? RENDER_CSV : RENDER_TABLE;
    x.tz = g.tz;
    /* Only here, where globals are allowed, is the environment read. */
    x.width = g.wide ? 0 : screen_width(STDOUT_FILENO, getenv("COLUMNS"));
    char catdir[4096];
    if (g.catalog != NULL) {
        snprintf(catdir, sizeof catdir, "%s", g.catalog);
    } else {
        paths_catalog_dir(catdir, sizeof catdir);
    }
    x.data_dir = g.data_dir;
    x.catalog_dir = catdir;
    st = c->offline || (c->own_store && g.data_dir != NULL)
             ? 0
             : open_client(&g, &x);
    if (st == 0 && a.as_of != NULL) {
        st = as_of_arg(&x, &a, strcmp(c->name, "export") == 0);
    }
    if (st == 0) {
        st = c->run(&x, &a);
    }
    client_destroy(&x.c);
    return ctl_flush_output(st);
}
