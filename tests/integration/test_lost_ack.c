/* test_lost_ack.c: receipts stay right when the Ack of a batch is lost
 * (issue 14), with the real collector and agent.
 *
 * The loss is made deterministic with signals: the agent is connected,
 * the collector stopped (SIGSTOP); a submit makes the agent send its
 * batch, which waits unread in the collector's socket; the agent is
 * stopped, the collector continued: it commits the batch and sends the
 * Ack to a frozen agent, which is then killed. So the collector applied
 * (and rejected some of) updates whose Ack the agent never recorded.
 * The agent started again is welcomed beyond its spool's acked seq: it
 * resends them, and the Ack of that replay carries the rejections the
 * collector kept (collector/replays.h). Then `hrss-agent receipts --csv`
 * and `hrssctl reconcile --csv` agree month by month and the rejected
 * seqs carry their reasons; with --max-rejections 1 the one whose
 * rejection was trimmed is "unknown", counted apart. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "recon_counts.h"

TestSuite(lost_ack, .init = hx_setup, .fini = hx_teardown, .timeout = 180);

typedef struct ctx {
    hx_coll_t *c;
    const char *db;
    const char *log;
    pid_t agent;
    unsigned want;
} ctx_t;

static int agent_connected(void *arg)
{
    const ctx_t *x = arg;
    return hx_file_contains(x->log, "connected to collector");
}

static int batch_waiting(void *arg)
{
    const ctx_t *x = arg;
    return hx_tcp_unread(hx_endpoint_port(x->c->ingest)) > 0;
}

/* The collector's tally holds x->want updates of office-a. */
static int collector_took(void *arg)
{
    const ctx_t *x = arg;
    static char out[65536];
    if (hx_ctl(x->c->query, x->db, NULL, 0, out, sizeof out, "reconcile",
               "--region", "330102", "--period", "2025", "--csv",
               NULL) != 0) {
        return 0;
    }
    recon_counts_t p = recon_from_reconcile(out, "office-a");
    unsigned n = 0;
    for (int m = 1; m <= 12; m++) {
        n += p.sub[m];
    }
    return n == x->want;
}

/* Lose the Ack of the batch that @p csv makes, as the file's comment
 * says; the collector @p c runs, with 2025-03 of 330102 approved. */
static void lose_an_ack(hx_coll_t *c, const char *db, const char *state,
                        const char *csv, unsigned n)
{
    char alog[300];
    snprintf(alog, sizeof alog, "%s/agent.log", hx_dir);
    const char *run[] = {"hrss-agent", "--state-dir", state, "--region",
                         "330102", "--name", "office-a", "--collector",
                         c->ingest, "--insecure", "--verbose", "run", NULL};
    ctx_t x = {c, db, alog, hx_spawn(alog, run), n};
    cr_assert(hx_wait_until(agent_connected, &x, 30000), "agent connects");
    cr_assert_eq(kill(c->pid, SIGSTOP), 0);
    static char out[65536];
    const char *sub[] = {"hrss-agent", "--state-dir", state, "--region",
                         "330102", "--name", "office-a", "--collector",
                         c->ingest, "--insecure", "submit", csv, NULL};
    cr_assert_eq(hx_run(sub, 30000, out, sizeof out), 0, "%s", out);
    cr_assert(hx_wait_until(batch_waiting, &x, 30000),
              "the batch reaches the stopped collector");
    cr_assert_eq(kill(x.agent, SIGSTOP), 0);
    cr_assert_eq(kill(c->pid, SIGCONT), 0);
    cr_assert(hx_wait_until(collector_took, &x, 30000),
              "the collector applies the batch");
    cr_assert_eq(hx_stop(x.agent, SIGKILL, 5000), 128 + SIGKILL);
    /* The Ack never reached the spool: no receipt yet. */
    const char *rc[] = {"hrss-agent", "--state-dir", state, "--region",
                        "330102", "--name", "office-a", "receipts", "--csv",
                        NULL};
    cr_assert_eq(hx_run_to(rc, NULL, 30000, out, sizeof out), 0, "%s", out);
    cr_assert_str_eq(out, "reporter,seq,indicator,region,month,value,"
                          "outcome,position,head,acked_at\n");
}

static const char ROWS[] = "indicator,period,value,region\n"
                           "urban_new_jobs,2025-01,100,330102\n"
                           "pension_insured,2025-01,50,330102\n"
                           "urban_new_jobs,2025-02,110,330102\n"
                           "urban_new_jobs,2025-03,120,330102\n"
                           "pension_insured,2025-03,55,330102\n";

static void approve_march(hx_coll_t *c)
{
    static char out[65536];
    const char *appr[] = {"hrssctl", "--connect", c->query, "--insecure",
                          "approve", "--region", "330102", "--period",
                          "2025-03", "--as", "li", NULL};
    cr_assert_eq(hx_run(appr, 30000, out, sizeof out), 0, "%s", out);
}

/* flush (the replay), then the receipts file. */
static recon_counts_t flush_and_read(hx_coll_t *c, const char *state)
{
    static char out[65536];
    const char *flush[] = {"hrss-agent", "--state-dir", state, "--region",
                           "330102", "--name", "office-a", "--collector",
                           c->ingest, "--insecure", "flush", "--timeout",
                           "60", NULL};
    int rc = hx_run(flush, 90000, out, sizeof out);
    cr_assert(rc == 0 || rc == 65, "flush: %d %s", rc, out);
    const char *rcp[] = {"hrss-agent", "--state-dir", state, "--region",
                         "330102", "--name", "office-a", "receipts",
                         "--period", "2025", "--csv", NULL};
    cr_assert_eq(hx_run_to(rcp, NULL, 30000, out, sizeof out), 0, "%s",
                 out);
    recon_counts_t r = recon_from_receipts(out, "office-a");
    for (int s = 8; s <= RECON_MAX_SEQ; s++) { /* the figures' 1..7 */
        cr_assert_str_eq(r.outcome[s], "", "seq %d", s);
    }
    return r;
}

Test(lost_ack, the_replay_s_ack_gives_the_lost_rejections_their_reasons)
{
    char db[300], log[300], csv[300], state[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    snprintf(csv, sizeof csv, "%s/figures.csv", hx_dir);
    snprintf(state, sizeof state, "%s/office", hx_dir);
    hx_coll_t c;
    hx_collector_start(&c, db, log);
    approve_march(&c);
    hx_write(csv, ROWS, sizeof ROWS - 1);
    lose_an_ack(&c, db, state, csv, 5);

    recon_counts_t agent = flush_and_read(&c, state);
    static char other[65536];
    cr_assert_eq(hx_ctl(c.query, db, NULL, 0, other, sizeof other,
                        "reconcile", "--region", "330102", "--period",
                        "2025", "--csv", NULL),
                 0, "%s", other);
    recon_counts_t prov = recon_from_reconcile(other, "office-a");
    for (int m = 1; m <= 12; m++) {
        cr_expect_eq(agent.sub[m], prov.sub[m], "2025-%02d submitted %u/%u",
                     m, agent.sub[m], prov.sub[m]);
        cr_expect_eq(agent.acc[m], prov.acc[m], "2025-%02d accepted %u/%u",
                     m, agent.acc[m], prov.acc[m]);
        cr_expect_eq(agent.rej[m], prov.rej[m], "2025-%02d rejected %u/%u",
                     m, agent.rej[m], prov.rej[m]);
        cr_expect_eq(agent.unk[m], 0);
    }
    cr_expect_eq(prov.sub[1], 2);
    cr_expect_eq(prov.acc[1], 2);
    cr_expect_eq(prov.acc[2], 1);
    cr_expect_eq(prov.rej[3], 2);
    /* The rejected seqs carry their reasons (4, 5: March, locked). */
    cr_expect_str_eq(agent.outcome[1], "accepted");
    cr_expect_str_eq(agent.outcome[2], "accepted");
    cr_expect_str_eq(agent.outcome[3], "accepted");
    cr_expect_str_eq(agent.outcome[4], "period_locked");
    cr_expect_str_eq(agent.outcome[5], "period_locked");
    /* The collector applied them once: the replay counted nothing. */
    cr_expect_eq(prov.sub[3], 2);
}

Test(lost_ack, a_rejection_trimmed_by_the_cap_is_unknown_not_accepted)
{
    char db[300], log[300], csv[300], state[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    snprintf(csv, sizeof csv, "%s/figures.csv", hx_dir);
    snprintf(state, sizeof state, "%s/office", hx_dir);
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure",
                          "--max-rejections", "1", NULL};
    hx_coll_t c;
    hx_collector_exec(&c, db, log, argv);
    approve_march(&c);
    hx_write(csv, ROWS, sizeof ROWS - 1);
    lose_an_ack(&c, db, state, csv, 5);

    recon_counts_t agent = flush_and_read(&c, state);
    /* Only seq 5's rejection is kept: 4's was trimmed, and below the
     * oldest kept rejection the collector cannot tell accepted from
     * rejected. None of them is called accepted. */
    cr_expect_str_eq(agent.outcome[5], "period_locked");
    for (int s = 1; s <= 4; s++) {
        cr_expect_str_eq(agent.outcome[s], "unknown", "seq %d", s);
    }
    cr_expect_eq(agent.unk[1] + agent.unk[2] + agent.unk[3], 4);
    /* The table says so, apart. */
    static char out[65536];
    const char *tab[] = {"hrss-agent", "--state-dir", state, "--region",
                         "330102", "--name", "office-a", "receipts", NULL};
    cr_assert_eq(hx_run(tab, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "4 updates with an unknown outcome") != NULL, "%s",
              out);
    cr_expect(strstr(out, "unknown") != NULL && strstr(out, "2025-03") !=
                                                    NULL,
              "%s", out);
}
