/* test_flags.c: common/flags.c, the daemons' options and --config merger.
 *
 * Config files go into a fresh mkdtemp directory under /tmp. argv arrays
 * are writable copies, since getopt_long may permute them. getopt_long's
 * own complaints (FLAGS_BAD_OPTION) land on the test's stderr.
 *
 * INVARIANTS
 *   1. Every flags_t a test gets is destroyed in that test.
 *   2. Tests leave nothing behind in /tmp.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/flags.h"

enum { O_DATA, O_INGEST, O_INSECURE, O_VERBOSE, O_N };

static const flags_spec_t spec[O_N] = {
    [O_DATA] = {"data-dir", 1},
    [O_INGEST] = {"ingest", 1},
    [O_INSECURE] = {"insecure", 0},
    [O_VERBOSE] = {"verbose", 0},
};

static const flags_def_t daemon_def = {"prog", "collector", spec, O_N,
                                       FLAGS_NO_OPERANDS};
static const flags_def_t command_def = {"prog", "agent", spec, O_N,
                                        FLAGS_COMMAND};

static char tmpdir[64];
static char conf[128];

static void mk_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hrss_flags_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(conf, sizeof conf, "%s/hrss.ini", tmpdir);
}

static void rm_tmp(void)
{
    unlink(conf);
    rmdir(tmpdir);
}

static void write_conf(const char *text)
{
    FILE *f = fopen(conf, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fputs(text, f) >= 0, 1);
    cr_assert_eq(fclose(f), 0);
}

/* Parse the NULL-terminated @p args (argv[0] included) with @p def. */
static enum flags_status parse(const flags_def_t *def, flags_t **out,
                               char err[ERR_LEN], char **args)
{
    int argc = 0;
    while (args[argc] != NULL) {
        argc++;
    }
    return flags_parse(out, def, argc, args, err);
}

TestSuite(flags, .init = mk_tmp, .fini = rm_tmp);

Test(flags, flags_only)
{
    char *args[] = {"prog", "--data-dir", "/d", "--insecure",
                    "--ingest=tcp://h:1", NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_OK, "%s", err);
    cr_assert_str_eq(flags_value(f, O_DATA), "/d");
    cr_assert_str_eq(flags_value(f, O_INGEST), "tcp://h:1");
    cr_assert_str_eq(flags_value(f, O_INSECURE), "1");
    cr_assert_null(flags_value(f, O_VERBOSE));
    cr_assert_eq(flags_on(f, O_INSECURE), 1);
    cr_assert_eq(flags_on(f, O_VERBOSE), 0);
    cr_assert_eq(flags_first_operand(f), 5);
    flags_destroy(&f);
    cr_assert_null(f);
    flags_destroy(&f); /* twice is harmless */
    flags_destroy(NULL);
}

Test(flags, config_only)
{
    write_conf("# c\n[collector]\ndata-dir = /c\ninsecure = yes\n"
               "verbose = off\n");
    char *args[] = {"prog", "--config", conf, NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_OK, "%s", err);
    cr_assert_str_eq(flags_value(f, O_DATA), "/c");
    cr_assert_null(flags_value(f, O_INGEST));
    cr_assert_str_eq(flags_value(f, O_VERBOSE), "off");
    cr_assert_eq(flags_on(f, O_INSECURE), 1);
    cr_assert_eq(flags_on(f, O_VERBOSE), 0);
    flags_destroy(&f);
}

Test(flags, flag_beats_config)
{
    write_conf("[collector]\ndata-dir = /c\ningest = tcp://c:1\n"
               "insecure = false\n");
    char *args[] = {"prog", "--data-dir", "/f", "--config", conf,
                    "--insecure", NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_OK, "%s", err);
    cr_assert_str_eq(flags_value(f, O_DATA), "/f");
    cr_assert_str_eq(flags_value(f, O_INGEST), "tcp://c:1");
    cr_assert_eq(flags_on(f, O_INSECURE), 1);
    flags_destroy(&f);
}

/* The global section serves every daemon; another daemon's section is
 * neither read nor checked. */
Test(flags, global_section_and_other_sections)
{
    write_conf("data-dir = /g\n[agent]\nregion = 330100\n"
               "[collector]\ningest = tcp://c:1\n");
    char *args[] = {"prog", "--config", conf, NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_OK, "%s", err);
    cr_assert_str_eq(flags_value(f, O_DATA), "/g");
    cr_assert_str_eq(flags_value(f, O_INGEST), "tcp://c:1");
    flags_destroy(&f);
}

Test(flags, unknown_key_with_its_line)
{
    write_conf("[collector]\ndata-dir = x\nbogus = 1\n");
    char *args[] = {"prog", "--config", conf, NULL};
    flags_t *f = (flags_t *)0x1;
    char err[ERR_LEN];
    char want[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_BAD_CONFIG);
    cr_assert_eq(f, (flags_t *)0x1, "*out written on failure");
    snprintf(want, sizeof want, "prog: %s:3: unknown setting 'bogus'", conf);
    cr_assert_str_eq(err, want);

    /* A global key counts too, and config/help are not settings. */
    write_conf("config = other.ini\n[collector]\ndata-dir = x\n");
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_BAD_CONFIG);
    snprintf(want, sizeof want, "prog: %s:1: unknown setting 'config'",
             conf);
    cr_assert_str_eq(err, want);
}

Test(flags, bad_config_line)
{
    write_conf("[collector]\nnot a setting\n");
    char *args[] = {"prog", "--config", conf, NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    char want[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_BAD_CONFIG);
    snprintf(want, sizeof want, "prog: %s:2: expected key = value", conf);
    cr_assert_str_eq(err, want);
    cr_assert_null(f);
}

Test(flags, bad_boolean)
{
    write_conf("[collector]\ninsecure = maybe\n");
    char *args[] = {"prog", "--config", conf, NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_BAD_SWITCH);
    cr_assert_str_eq(err, "prog: insecure/verbose take true or false");
    cr_assert_null(f);

    /* The command line wins over the bad value, so it is never read. */
    char *args2[] = {"prog", "--config", conf, "--insecure", NULL};
    cr_assert_eq(parse(&daemon_def, &f, err, args2), FLAGS_OK, "%s", err);
    cr_assert_eq(flags_on(f, O_INSECURE), 1);
    flags_destroy(&f);

    /* With a single switch the verb agrees. */
    static const flags_spec_t one[] = {{"dry-run", 0}};
    static const flags_def_t one_def = {"p1", "collector", one, 1,
                                        FLAGS_NO_OPERANDS};
    write_conf("[collector]\ndry-run = 2\n");
    cr_assert_eq(parse(&one_def, &f, err, args), FLAGS_BAD_SWITCH);
    cr_assert_str_eq(err, "p1: dry-run takes true or false");
}

/* The last of an option given twice wins, --config included. */
Test(flags, flag_given_twice_last_wins)
{
    write_conf("[collector]\ningest = tcp://c:1\n");
    char *args[] = {"prog",       "--data-dir", "/a",   "--config",
                    "/nonexistent", "--data-dir=/b", "--config", conf,
                    NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_OK, "%s", err);
    cr_assert_str_eq(flags_value(f, O_DATA), "/b");
    cr_assert_str_eq(flags_value(f, O_INGEST), "tcp://c:1");
    flags_destroy(&f);
}

Test(flags, config_missing_file)
{
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.ini", tmpdir);
    char *args[] = {"prog", "--config", missing, NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    char want[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_BAD_CONFIG);
    snprintf(want, sizeof want, "prog: %s: No such file or directory",
             missing);
    cr_assert_str_eq(err, want);
    cr_assert_null(f);
}

Test(flags, help_stops_parsing)
{
    char *args[] = {"prog", "--help", "--nope", NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_HELP);
    cr_assert_null(f);
    char *args2[] = {"prog", "--data-dir", "x", "-h", NULL};
    cr_assert_eq(parse(&command_def, &f, err, args2), FLAGS_HELP);
    cr_assert_null(f);
}

Test(flags, version_stops_parsing)
{
    char *args[] = {"prog", "--version", "--nope", NULL};
    flags_t *f = NULL;
    char err[ERR_LEN];
    cr_assert_eq(parse(&daemon_def, &f, err, args), FLAGS_VERSION);
    cr_assert_null(f);
    char *args2[] = {"prog", "--data-dir", "x", "--version", "cmd", NULL};
    cr_assert_eq(parse(&command_def, &f, err, args2), FLAGS_VERSION);
    cr_assert_null(f);
    /* A command's own --version is the command's business. */
    char *args3[] = {"prog", "cmd", "--version", NULL};
    cr_assert_eq(parse(&command_def, &f, err, args3), FLAGS_OK);
    flags_destroy(&f);
}

Test(flags, bad_options_are_getopts_to_report)
{
    flags_t *f = NULL;
    char err[ERR_LEN];
    char *a1[] = {"prog", "--nope", NULL};
    cr_assert_eq(parse(&daemon_def, &f, err, a1), FLAGS_BAD_OPTION);
    cr_assert_str_eq(err, "");
    char *a2[] = {"prog", "--insecure=yes", NULL};
    cr_assert_eq(parse(&daemon_def, &f, err, a2), FLAGS_BAD_OPTION);
    char *a3[] = {"prog", "--data-dir", NULL};
    cr_assert_eq(parse(&daemon_def, &f, err, a3), FLAGS_BAD_OPTION);
    char *a4[] = {"prog", "-x", NULL};
    cr_assert_eq(parse(&daemon_def, &f, err, a4), FLAGS_BAD_OPTION);
    cr_assert_null(f);
}

Test(flags, operands)
{
    flags_t *f = NULL;
    char err[ERR_LEN];
    /* No operands: one anywhere is refused, after permutation too. */
    char *a1[] = {"prog", "extra", "--data-dir", "x", NULL};
    cr_assert_eq(parse(&daemon_def, &f, err, a1), FLAGS_BAD_OPERAND);
    cr_assert_str_eq(err, "prog: unexpected argument 'extra'");
    cr_assert_null(f);

    /* A command ends the options; the rest is the caller's. */
    char *a2[] = {"prog", "--data-dir", "x", "run", "--verbose", NULL};
    cr_assert_eq(parse(&command_def, &f, err, a2), FLAGS_OK, "%s", err);
    cr_assert_eq(flags_first_operand(f), 3);
    cr_assert_str_eq(a2[3], "run");
    cr_assert_eq(flags_on(f, O_VERBOSE), 0);
    flags_destroy(&f);

    /* Parsing again in the same process starts afresh, in either mode. */
    char *a3[] = {"prog", "--verbose", "x", NULL};
    cr_assert_eq(parse(&daemon_def, &f, err, a3), FLAGS_BAD_OPERAND);
    char *a4[] = {"prog", "status", "--data-dir", "y", NULL};
    cr_assert_eq(parse(&command_def, &f, err, a4), FLAGS_OK, "%s", err);
    cr_assert_eq(flags_first_operand(f), 1);
    cr_assert_null(flags_value(f, O_DATA));
    flags_destroy(&f);
}
