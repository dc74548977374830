/* cmdopts.c: the options of status, check, receipts and keygen
 * (cmdopts.h),
 * with getopt_long ("+": options stop at the first operand, which is
 * refused by name).
 *
 * INVARIANTS
 *   1. CMDOPTS_USAGE always comes with err set, or "" after getopt_long
 *      printed its own complaint.
 *   2. Outputs hold their defaults unless an option set them.
 */
#include "agent/cmdopts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/due.h"

/* An operand where none is taken. */
static int unexpected(const char *cmd, int argc, char **argv,
                      char err[ERR_LEN])
{
    if (optind < argc) {
        snprintf(err, ERR_LEN, "%s: unexpected '%.200s'", cmd, argv[optind]);
        return CMDOPTS_USAGE;
    }
    return 0;
}

int cmdopts_json(int argc, char **argv, int *json, char err[ERR_LEN])
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    err[0] = '\0';
    *json = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (opt != 'j') {
            return CMDOPTS_USAGE;
        }
        *json = 1;
    }
    return unexpected(argv[0], argc, argv, err);
}

int cmdopts_status(int argc, char **argv, int *json, int *due_days,
                   char err[ERR_LEN])
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"due-days", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    err[0] = '\0';
    *json = 0;
    *due_days = DUE_DAYS_DEFAULT;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (opt == 'j') {
            *json = 1;
            continue;
        }
        if (opt != 'd') {
            return CMDOPTS_USAGE;
        }
        char *end = NULL;
        errno = 0;
        long n = strtol(optarg, &end, 10);
        if (end == optarg || *end != '\0' || errno != 0 || n < 0 ||
            n > DUE_DAYS_MAX) {
            snprintf(err, ERR_LEN,
                     "--due-days: '%.200s' is not a number of days (0..%d)",
                     optarg, DUE_DAYS_MAX);
            return CMDOPTS_USAGE;
        }
        *due_days = (int)n;
    }
    return unexpected("status", argc, argv, err);
}

int cmdopts_receipts(int argc, char **argv, cmdopts_receipts_t *out,
                     char err[ERR_LEN])
{
    static const struct option opts[] = {
        {"period", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"csv", no_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    char perr[ERR_LEN];
    int opt;
    err[0] = '\0';
    out->form = RECEIPTS_TABLE;
    out->has_period = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (opt == 'p') {
            if (period_parse(optarg, &out->period, perr) != ERR_OK) {
                snprintf(err, ERR_LEN, "--period: %.480s", perr);
                return CMDOPTS_USAGE;
            }
            out->has_period = 1;
        } else if (opt == 'j' || opt == 'c') {
            if (out->form != RECEIPTS_TABLE) {
                snprintf(err, ERR_LEN,
                         "receipts: --json and --csv exclude each other");
                return CMDOPTS_USAGE;
            }
            out->form = opt == 'j' ? RECEIPTS_JSON : RECEIPTS_CSV;
        } else {
            return CMDOPTS_USAGE;
        }
    }
    return unexpected("receipts", argc, argv, err);
}

int cmdopts_keygen(int argc, char **argv, const char **out,
                   char err[ERR_LEN])
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    err[0] = '\0';
    *out = NULL;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (opt != 'o') {
            return CMDOPTS_USAGE;
        }
        *out = optarg;
    }
    if (*out == NULL || optind < argc) {
        snprintf(err, ERR_LEN, "keygen takes --out NAME (writes NAME.key "
                               "and NAME.pub)");
        return CMDOPTS_USAGE;
    }
    return 0;
}
