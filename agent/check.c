/* check.c: `hrss-agent check` (check.h): the whole spool verified, in a
 * child process, and its findings printed.
 *
 * Design
 * ------
 * LMDB trusts its pages: a flipped byte in a node's size or offset can
 * make it read past the end of the file (SIGBUS) or of the map (SIGSEGV)
 * before any checksum of ours is looked at. A checker that dies on the
 * damage it is meant to report is of no use, so the walk runs in a child
 * (fork before the environment is opened: LMDB is never used across
 * fork) and writes what it finds into memory shared with the parent:
 * the first CHECK_MAX_LINES problems, the counts, and where the walk is
 * (spool_verify_t). If the child dies of a signal, the parent reports
 * that as one more problem, where the walk was, and the rest as not
 * checked.
 *
 *   check_spool ─ mmap(shared) ─ fork ─┬─ child: open read-only, verify,
 *                                      │  fill shared, _exit(0)
 *                                      └─ parent: waitpid ─ died of a
 *                                         signal? one more problem ─ print
 *
 * INVARIANTS
 *   1. The parent never opens the spool; the child opens it only after
 *      the fork and leaves by _exit (no stdio of the parent's flushed
 *      twice).
 *   2. Every line printed names the spool's file (check.h INVARIANT 1).
 *   3. CHECK_SOUND only when the child ended normally, the walk was
 *      complete and counted no problem; a child ended by SIGINT or
 *      SIGTERM (^C: it takes the default action) is CHECK_INTERRUPTED,
 *      never damage.
 */
#include "agent/check.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"

/* What the child hands the parent, in a MAP_SHARED mapping. */
typedef struct shared {
    int rc;                   /* of the open, then of the walk */
    char err[ERR_LEN];        /* why, when rc is not ERR_OK */
    char file[ERR_LEN];       /* DIR/data.mdb */
    spool_verify_t v;
    unsigned nlines;
    spool_problem_t lines[CHECK_MAX_LINES];
} shared_t;

static int keep_line(const spool_problem_t *p, void *arg)
{
    shared_t *sh = arg;
    if (sh->nlines < CHECK_MAX_LINES) {
        sh->lines[sh->nlines++] = *p;
    }
    return 0; /* go on: every problem is counted */
}

static void child_walk(shared_t *sh, const char *dir)
{
    spool_t *sp = NULL;
    sh->rc = spool_open_readonly(&sp, dir, sh->err);
    if (sh->rc == ERR_OK) {
        snprintf(sh->file, sizeof sh->file, "%s", spool_file(sp));
        sh->rc = spool_verify(sp, keep_line, sh, &sh->v, sh->err);
        spool_close(&sp);
    }
}

/* Run the walk in a child. @return 0 when it ended normally, else the
 * signal that ended it (-1 when no child could be made). */
static int run_child(shared_t *sh, const char *dir)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        /* The agent's handlers only set a flag: let ^C end the walk. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        child_walk(sh, dir);
        _exit(0);
    }
    int st = 0;
    pid_t got;
    do {
        got = waitpid(pid, &st, 0);
    } while (got < 0 && errno == EINTR); /* a signal for us */
    if (got < 0) {
        return -1;
    }
    if (WIFSIGNALED(st)) {
        return WTERMSIG(st);
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : SIGABRT;
}

/* The child died of @p sig: one more problem, where the walk was. */
static void died(shared_t *sh, const char *dir, int sig)
{
    char where[200];
    spool_verify_where(&sh->v, where, sizeof where);
    if (sh->file[0] == '\0') {
        snprintf(sh->file, sizeof sh->file, "%.300s/data.mdb", dir);
    }
    sh->v.problems++;
    sh->v.complete = 0;
    if (sh->nlines < CHECK_MAX_LINES) {
        spool_problem_t p;
        memset(&p, 0, sizeof p);
        p.table = "";
        snprintf(p.what, sizeof p.what, "the walk crashed reading %s "
                                        "(%.40s): the file is damaged there; "
                                        "the rest was not checked",
                 sh->v.at_key_len > 0 ? "this record or the next"
                                      : "the table",
                 strsignal(sig));
        snprintf(p.text, sizeof p.text, "spool %.200s: %.100s: %s", sh->file,
                 where[0] != '\0' ? where : "opening it", p.what);
        sh->lines[sh->nlines++] = p;
    }
}

static void summary_text(const shared_t *sh)
{
    const spool_verify_t *v = &sh->v;
    if (v->problems > sh->nlines) {
        printf("... and %llu more problems\n",
               (unsigned long long)(v->problems - sh->nlines));
    }
    printf("spool %s: ", sh->file);
    if (v->problems > 0) {
        printf("DAMAGED: %llu problem%s", (unsigned long long)v->problems,
               v->problems == 1 ? "" : "s");
    } else {
        printf("sound");
    }
    printf("; format %u, %llu queued (acked_next %llu, next_assign %llu), "
           "%llu rejection%s, %llu source%s, %llu receipt%s, %llu meta "
           "value%s%s\n",
           v->format, (unsigned long long)v->records[1],
           (unsigned long long)v->acked_next,
           (unsigned long long)v->next_assign,
           (unsigned long long)v->records[2], v->records[2] == 1 ? "" : "s",
           (unsigned long long)v->records[3], v->records[3] == 1 ? "" : "s",
           (unsigned long long)v->records[4], v->records[4] == 1 ? "" : "s",
           (unsigned long long)v->records[0], v->records[0] == 1 ? "" : "s",
           v->format == 1 ? "; format 1 keeps no checksums: any other "
                            "hrss-agent command (status) upgrades it"
                          : "");
    if (!v->complete) {
        printf("spool %s: the walk did not finish: the counts are of what "
               "it read\n", sh->file);
    }
}

static void print_text(const shared_t *sh)
{
    for (unsigned i = 0; i < sh->nlines; i++) {
        printf("%s\n", sh->lines[i].text);
    }
    summary_text(sh);
}

static void json_field(const char *name, const char *value, int last)
{
    printf("\"%s\": ", name);
    json_put_str(stdout, value);
    printf(last ? "}" : ", ");
}

static void print_json(const shared_t *sh)
{
    const spool_verify_t *v = &sh->v;
    printf("{\n  \"file\": ");
    json_put_str(stdout, sh->file);
    printf(",\n  \"format\": %u,\n  \"sound\": %s,\n  \"complete\": %s,\n"
           "  \"records\": {\"meta\": %llu, \"queue\": %llu, \"rejects\": "
           "%llu, \"sources\": %llu, \"receipts\": %llu},\n"
           "  \"acked_next\": %llu,\n"
           "  \"next_assign\": %llu,\n  \"problems_total\": %llu,\n"
           "  \"problems\": [",
           v->format, v->problems == 0 ? "true" : "false",
           v->complete ? "true" : "false",
           (unsigned long long)v->records[0],
           (unsigned long long)v->records[1],
           (unsigned long long)v->records[2],
           (unsigned long long)v->records[3],
           (unsigned long long)v->records[4],
           (unsigned long long)v->acked_next,
           (unsigned long long)v->next_assign,
           (unsigned long long)v->problems);
    for (unsigned i = 0; i < sh->nlines; i++) {
        const spool_problem_t *p = &sh->lines[i];
        printf("%s\n    {", i > 0 ? "," : "");
        json_field("table", p->table, 0);
        json_field("key", p->key, 0);
        json_field("what", p->what, 0);
        json_field("message", p->text, 1);
    }
    printf("%s]\n}\n", sh->nlines > 0 ? "\n  " : "");
}

/* The result of a walk that could not be done at all. */
static int not_walked(const shared_t *sh, char err[ERR_LEN])
{
    snprintf(err, ERR_LEN, "%s", sh->err);
    /* A file refused at open as damaged or of another format is damage
     * found; a missing spool or an I/O error is not. */
    return sh->rc == ERR_CORRUPT || sh->rc == ERR_VERSION ? CHECK_DAMAGED
                                                           : CHECK_FAILED;
}

int check_spool(const char *spool_dir, int json, char err[ERR_LEN])
{
    shared_t *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        snprintf(err, ERR_LEN, "cannot check the spool: %s",
                 strerror(errno));
        return CHECK_FAILED;
    }
    memset(sh, 0, sizeof *sh);
    sh->rc = ERR_IO;
    snprintf(sh->err, sizeof sh->err, "the check ended before it began");
    sh->v.at_table = -1;
    int sig = run_child(sh, spool_dir);
    int result = CHECK_FAILED;
    if (sig < 0) {
        snprintf(err, ERR_LEN, "cannot check the spool: %s",
                 strerror(errno));
    } else if (sig == SIGINT || sig == SIGTERM) {
        snprintf(err, ERR_LEN, "check interrupted");
        result = CHECK_INTERRUPTED;
    } else if (sig == 0 && sh->rc != ERR_OK) {
        result = not_walked(sh, err);
    } else {
        if (sig != 0) {
            died(sh, spool_dir, sig);
        }
        if (json) {
            print_json(sh);
        } else {
            print_text(sh);
        }
        result = sh->v.problems == 0 && sh->v.complete ? CHECK_SOUND
                                                        : CHECK_DAMAGED;
    }
    munmap(sh, sizeof *sh);
    return result;
}

char *check_queue_note(spool_t *sp, char out[ERR_LEN])
{
    char why[ERR_LEN];
    if (spool_check_queue(sp, why) == ERR_OK) {
        snprintf(out, ERR_LEN, "nothing is lost");
    } else {
        snprintf(out, ERR_LEN, "but %.400s: `hrss-agent check` lists the "
                               "damage", why);
    }
    return out;
}
