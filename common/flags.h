/** @file flags.h
 *  @brief The daemons' long options, merged with their --config file.
 *
 *  hrss-collector and hrss-agent read their settings the same way: long
 *  options (`--data-dir DIR`, `--data-dir=DIR`, switches such as
 *  `--insecure`), plus `--config FILE` naming an INI file (common/cfg)
 *  whose section for the daemon, or its global section, may set any of
 *  the same options under their long names (`data-dir = DIR`,
 *  `insecure = yes`). Options on the command line win. flags_parse() does
 *  all of it from a table; the daemon then only checks values.
 *
 *  Built in, not in the table: `--config FILE`, `--help` / `-h` and
 *  `--version`. A config file cannot set `config`, `help` or `version`.
 *
 *  Owns: a flags_t owns its value tables and the loaded config file,
 *  whose strings flags_value() hands out. It borrows @p argv (values from
 *  the command line point into it) and the def's spec array: both must
 *  outlive it. Everything else in the def is read by flags_parse() only.
 *
 *  INVARIANTS
 *    1. On FLAGS_OK each flags_value() is NULL, a string of argv or a
 *       string of the config file; the command line wins over the file.
 *    2. A key of the daemon's section or of the global section that names
 *       no option, or a switch whose value is not a boolean, fails the
 *       parse: nothing in the config file is silently ignored.
 *    3. flags_on() is 1 for a switch given on the command line or set
 *       true in the file, else 0.
 *    4. @p err is "" unless the status is FLAGS_BAD_CONFIG,
 *       FLAGS_BAD_SWITCH or FLAGS_BAD_OPERAND.
 *    5. flags_parse() uses getopt_long(3)'s globals: one thread at a time.
 */
#ifndef HRSS_FLAGS_H
#define HRSS_FLAGS_H
#include <stddef.h>

#include "common/err.h"

/** One option. Plain value struct. */
typedef struct flags_spec {
    const char *name; /**< long name without "--"; also the config key */
    int has_arg;      /**< 1: takes a value; 0: a switch, whose config
                           value is a boolean (common/cfg cfg_bool) */
} flags_spec_t;

/** What may follow the options. */
enum flags_operands {
    FLAGS_NO_OPERANDS, /**< options anywhere (GNU getopt permutes argv);
                            any operand is an error */
    FLAGS_COMMAND,     /**< options end at the first operand, the command,
                            which with all after it is left to the caller */
};

/** A daemon's command line. Plain value struct; all pointers borrowed
 *  for the flags_parse() call, except spec, which must outlive the
 *  flags_t it makes. */
typedef struct flags_def {
    const char *prog;          /**< for messages: "hrss-agent" */
    const char *section;       /**< the config file's section: "agent" */
    const flags_spec_t *spec;  /**< the options, without config and help */
    size_t n_spec;
    enum flags_operands operands;
} flags_def_t;

/** How flags_parse() ended. Each outcome needs its own reaction from the
 *  daemon (usage on stdout, usage on stderr, one line), so this is a
 *  status rather than an ERR_* code. */
enum flags_status {
    FLAGS_OK = 0,      /**< *out holds the merged values */
    FLAGS_HELP,        /**< --help or -h came first: print usage, exit 0;
                            nothing after it was read */
    FLAGS_VERSION,     /**< --version came first: print the version, exit
                            0; nothing after it was read */
    FLAGS_BAD_OPTION,  /**< an unknown option, a missing value, a value
                            given to a switch: getopt_long(3) has printed
                            why on stderr; err is "" */
    FLAGS_BAD_CONFIG,  /**< err: "PROG: " and cfg_load()'s message (the
                            file is missing, unreadable or malformed), or
                            "PROG: FILE:LINE: unknown setting 'KEY'" */
    FLAGS_BAD_SWITCH,  /**< err: "PROG: A/B take true or false", naming
                            every switch, when a switch's config value is
                            not a boolean */
    FLAGS_BAD_OPERAND, /**< err: "PROG: unexpected argument 'X'"
                            (FLAGS_NO_OPERANDS only) */
};

typedef struct flags flags_t;

/** Parse @p argv with getopt_long(3) against @p def, load --config FILE
 *  when given, refuse keys of the daemon's section (or of the global
 *  section) that are not option names, and fill every option not on the
 *  command line from the file. An option given twice keeps its last
 *  value, as getopt_long(3) delivers them. getopt's state is reset first
 *  (optind = 0), so a process may parse several times; it is left as
 *  getopt leaves it.
 *  @param[out] out  On FLAGS_OK the merged values; untouched otherwise.
 *                   Caller owns *out and must flags_destroy() it.
 *  @param[out] err  The message for the statuses that have one.
 *  @return an enum flags_status. Exit status 64 (EX_USAGE) suits every
 *          failure. */
enum flags_status flags_parse(flags_t **out, const flags_def_t *def,
                              int argc, char **argv, char err[ERR_LEN]);

/** Destroy and set *self_p to NULL; no-op on NULL. */
void flags_destroy(flags_t **self_p);

/** The merged value of option @p i (an index into the def's spec): from
 *  the command line, else from the config file, else NULL. A switch given
 *  on the command line reads "1". Borrowed; valid until flags_destroy()
 *  (values from the command line point into argv). */
const char *flags_value(const flags_t *self, size_t i);

/** Switch @p i as a boolean: 1 when given on the command line or set
 *  true in the config file, else 0. */
int flags_on(const flags_t *self, size_t i);

/** The index in argv of the first operand (the command for
 *  FLAGS_COMMAND), or argc when there is none. */
int flags_first_operand(const flags_t *self);

#endif
