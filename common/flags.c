/* flags.c: long options merged with a --config INI file, for the daemons.
 *
 *   argv --getopt_long()--> val[] from the command line
 *        --config FILE --cfg_load()--> refuse unknown keys
 *        --cfg_get()--> fill each val[] still NULL (flags win)
 *        --cfg_bool()--> on[] for the switches
 *
 * getopt_long(3) reports an option it cannot use itself (with argv[0]), as
 * both daemons always did; flags_parse() says FLAGS_BAD_OPTION and adds
 * nothing. Long options get codes from OPT_BASE up, above every character
 * getopt_long returns for itself ('?', 'h'), so the table may be any
 * length.
 *
 * A switch from the command line reads "1"; from the file its text is
 * checked by cfg_bool(). When one is not a boolean the message names every
 * switch ("insecure/verbose take true or false"), the wording both daemons
 * used before they shared this code.
 *
 * INVARIANTS
 *   1. val and on have n entries; val[i] is NULL, a pointer into argv, or
 *      a value owned by cfg; on[i] is 0 or 1, and 0 for a non-switch.
 *   2. A value from cfg is only used while cfg is alive: flags_destroy()
 *      frees both together.
 *   3. A flags_t handed out carries magic FLAGS_MAGIC; destroy overwrites
 *      it.
 */
#include "common/flags.h"

#include <assert.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/mem.h"

#define FLAGS_MAGIC 0x464C4731u /* "FLG1" */
#define FLAGS_DEAD 0xDEADBEEFu
#define OPT_BASE 256

struct flags {
    uint32_t magic;
    const flags_spec_t *spec; /* borrowed from the def */
    size_t n;
    const char **val;
    int *on;
    int first_operand;
    cfg_t *cfg;
};

#ifndef NDEBUG
static void check_invariants(const flags_t *self)
{
    assert(self != NULL);
    assert(self->magic == FLAGS_MAGIC);
    assert(self->n == 0 || (self->val != NULL && self->on != NULL));
    assert(self->first_operand >= 0);
}
#else
#define check_invariants(self) ((void)0)
#endif

static flags_t *alloc_flags(const flags_def_t *def)
{
    flags_t *self = xcalloc(1, sizeof *self);
    self->magic = FLAGS_MAGIC;
    self->spec = def->spec;
    self->n = def->n_spec;
    self->val = xcalloc(def->n_spec, sizeof *self->val);
    self->on = xcalloc(def->n_spec, sizeof *self->on);
    return self;
}

void flags_destroy(flags_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    flags_t *self = *self_p;
    cfg_destroy(&self->cfg);
    free(self->val);
    free(self->on);
    self->magic = FLAGS_DEAD;
    free(self);
    *self_p = NULL;
}

/* The getopt_long table: the spec, then config, help and version. Caller
 * frees. */
static struct option *long_options(const flags_def_t *def)
{
    size_t n = def->n_spec;
    struct option *o = xcalloc(n + 4, sizeof *o);
    for (size_t i = 0; i < n; i++) {
        o[i].name = def->spec[i].name;
        o[i].has_arg = def->spec[i].has_arg ? required_argument : no_argument;
        o[i].val = OPT_BASE + (int)i;
    }
    o[n].name = "config";
    o[n].has_arg = required_argument;
    o[n].val = OPT_BASE + (int)n;
    o[n + 1].name = "help";
    o[n + 1].has_arg = no_argument;
    o[n + 1].val = 'h';
    o[n + 2].name = "version";
    o[n + 2].has_arg = no_argument;
    o[n + 2].val = OPT_BASE + (int)n + 1;
    return o; /* o[n + 3] is the all-zero end */
}

/* Read argv into self->val. *config receives --config's value. */
static enum flags_status read_argv(flags_t *self, const flags_def_t *def,
                                   int argc, char **argv,
                                   const char **config, char err[ERR_LEN])
{
    enum flags_status st = FLAGS_OK;
    struct option *o = long_options(def);
    const char *shorts = def->operands == FLAGS_COMMAND ? "+h" : "h";
    int opt = 0;

    optind = 0; /* GNU: start over and re-read the '+' of shorts */
    for (;;) {
        opt = getopt_long(argc, argv, shorts, o, NULL);
        if (opt == -1) {
            break;
        }
        if (opt == 'h') {
            st = FLAGS_HELP;
            goto out;
        }
        if (opt == OPT_BASE + (int)def->n_spec + 1) {
            st = FLAGS_VERSION;
            goto out;
        }
        if (opt < OPT_BASE || opt > OPT_BASE + (int)def->n_spec) {
            st = FLAGS_BAD_OPTION; /* getopt_long said why */
            goto out;
        }
        if (opt == OPT_BASE + (int)def->n_spec) {
            *config = optarg;
        } else {
            self->val[opt - OPT_BASE] = optarg != NULL ? optarg : "1";
        }
    }
    self->first_operand = optind;
    if (def->operands == FLAGS_NO_OPERANDS && optind < argc) {
        snprintf(err, ERR_LEN, "%s: unexpected argument '%s'", def->prog,
                 argv[optind]);
        st = FLAGS_BAD_OPERAND;
    }

out:
    free(o);
    return st;
}

/* Load the config file, refuse unknown keys, fill what argv left unset. */
static enum flags_status merge_config(flags_t *self, const flags_def_t *def,
                                      const char *path, char err[ERR_LEN])
{
    enum flags_status st = FLAGS_OK;
    const char **known = xcalloc(def->n_spec + 1, sizeof *known);
    char why[ERR_LEN];
    const char *bad = NULL;
    int line = 0;

    if (cfg_load(&self->cfg, path, why) != ERR_OK) {
        /* A message near ERR_LEN long loses its end, not the prefix. */
        int n = snprintf(err, ERR_LEN, "%s: ", def->prog);
        if (n >= 0 && n < ERR_LEN) {
            snprintf(err + n, (size_t)(ERR_LEN - n), "%s", why);
        }
        st = FLAGS_BAD_CONFIG;
        goto out;
    }
    for (size_t i = 0; i < def->n_spec; i++) {
        known[i] = def->spec[i].name;
    }
    bad = cfg_unknown_key(self->cfg, def->section, known, &line);
    if (bad != NULL) {
        snprintf(err, ERR_LEN, "%s: %s:%d: unknown setting '%s'", def->prog,
                 path, line, bad);
        st = FLAGS_BAD_CONFIG;
        goto out;
    }
    for (size_t i = 0; i < def->n_spec; i++) {
        if (self->val[i] == NULL) {
            self->val[i] = cfg_get(self->cfg, def->section,
                                   def->spec[i].name);
        }
    }

out:
    free(known);
    return st;
}

/* on[] from the switches' values; the message names them all. */
static enum flags_status read_switches(flags_t *self, const flags_def_t *def,
                                       char err[ERR_LEN])
{
    size_t n_switches = 0;
    int bad = 0;

    for (size_t i = 0; i < def->n_spec; i++) {
        if (def->spec[i].has_arg) {
            continue;
        }
        n_switches++;
        int b = self->val[i] != NULL ? cfg_bool(self->val[i]) : 0;
        if (b < 0) {
            bad = 1;
        }
        self->on[i] = b > 0;
    }
    if (!bad) {
        return FLAGS_OK;
    }
    int n = snprintf(err, ERR_LEN, "%s: ", def->prog);
    const char *sep = "";
    for (size_t i = 0; i < def->n_spec && n >= 0 && n < ERR_LEN; i++) {
        if (!def->spec[i].has_arg) {
            n += snprintf(err + n, (size_t)(ERR_LEN - n), "%s%s", sep,
                          def->spec[i].name);
            sep = "/";
        }
    }
    if (n >= 0 && n < ERR_LEN) {
        snprintf(err + n, (size_t)(ERR_LEN - n), " %s true or false",
                 n_switches == 1 ? "takes" : "take");
    }
    return FLAGS_BAD_SWITCH;
}

enum flags_status flags_parse(flags_t **out, const flags_def_t *def,
                              int argc, char **argv, char err[ERR_LEN])
{
    enum flags_status st = FLAGS_OK;
    const char *config = NULL;
    flags_t *self = NULL;

    assert(out != NULL && def != NULL && argv != NULL && err != NULL);
    assert(def->prog != NULL && def->section != NULL);
    assert(def->spec != NULL || def->n_spec == 0);
    err[0] = '\0';
    self = alloc_flags(def);
    st = read_argv(self, def, argc, argv, &config, err);
    if (st == FLAGS_OK && config != NULL) {
        st = merge_config(self, def, config, err);
    }
    if (st == FLAGS_OK) {
        st = read_switches(self, def, err);
    }
    if (st == FLAGS_OK) {
        check_invariants(self);
        *out = self;
        self = NULL;
    }
    flags_destroy(&self);
    return st;
}

const char *flags_value(const flags_t *self, size_t i)
{
    check_invariants(self);
    assert(i < self->n);
    return self->val[i];
}

int flags_on(const flags_t *self, size_t i)
{
    check_invariants(self);
    assert(i < self->n && !self->spec[i].has_arg);
    return self->on[i];
}

int flags_first_operand(const flags_t *self)
{
    check_invariants(self);
    return self->first_operand;
}
