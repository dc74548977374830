/* cmetrics.c: the collector's metrics and its /metrics page.
 *
 * Two copies of everything: `live`, changed by the ingest loop alone,
 * lock-free, as it works; and `snap`, the last published state, read by
 * the HTTP thread. cmetrics_publish() (ingest loop, after each group and
 * once a second) copies live into snap under the mutex;
 * cmetrics_page() (HTTP thread) copies snap out under the mutex and
 * writes the page from that copy without holding it. Each copy is of the
 * agents in use only (a few hundred bytes each), so neither side waits
 * for long: the ingest loop never for a page being written, the HTTP
 * thread never for a commit.
 *
 *   ingest loop:  cmetrics_agent/batch/commit/... -> live
 *                 cmetrics_publish: lock, live -> snap, unlock
 *   HTTP thread:  cmetrics_page: lock, snap -> copy, unlock, write copy
 *
 * Agents: every name seen since the start keeps its slot (connected or
 * not), so an office that went quiet stays on the page with its last
 * contact growing, which is what an alarm wants; the table is bounded
 * (CMETRICS_MAX_AGENTS), beyond it names are only counted.
 *
 * INVARIANTS
 *   1. live and agents are touched only by the ingest loop; snap and
 *      snap_agents only under lock.
 *   2. live.n_agents <= CMETRICS_MAX_AGENTS, and the entries below it
 *      never move (cmetrics.h, 3).
 *   3. An agent's next_seq is 0 until the store said it; its highest is
 *      0 until it sent a batch; pending updates are shown only when both
 *      are known.
 */
#include "collector/cmetrics.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/metrics.h"
#include "common/update.h"

typedef struct agent {
    char name[STORE_REPORTER_MAX + 1];
    uint32_t region;       /* code; 0: not known */
    int up;                /* its session is open */
    int64_t last_contact;  /* unix seconds of its last message */
    uint64_t next_seq;     /* the store's next expected; 0: not known */
    uint64_t highest;      /* highest seq seen in its batches; 0: none */
} agent_t;

enum { BATCH_OK, BATCH_GAP, BATCH_MALFORMED, BATCH_N };

typedef struct counts {
    int64_t started;
    uint64_t applied;
    uint64_t replayed;
    uint64_t rejected[UPDATE_REASON_MAX + 1];
    uint64_t batches[BATCH_N];
    uint64_t retry;                 /* batches answered ACK_RETRY */
    uint64_t failed[CMETRICS_OTHER + 1]; /* groups, by cause */
    uint64_t refused[2];            /* malformed, unauthorized */
    metrics_hist_t commit;
    store_space_t space;
    size_t sessions;
    qserve_stats_t queries;
    uint64_t untracked;             /* agents beyond the table */
    size_t n_agents;
} counts_t;

struct cmetrics {
    counts_t live;
    agent_t *agents;       /* CMETRICS_MAX_AGENTS */
    pthread_mutex_t lock;
    counts_t snap;         /* under lock */
    agent_t *snap_agents;  /* under lock; CMETRICS_MAX_AGENTS */
};

/* Upper bounds of the commit-time buckets, seconds: a durable LMDB
 * commit takes a few ms on a healthy disk; seconds mean trouble. */
static const double commit_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1,   0.25,   0.5,   1,    2.5,   5, 10};

cmetrics_t *cmetrics_new(time_t started)
{
    cmetrics_t *m = xcalloc(1, sizeof *m);
    m->agents = xcalloc(CMETRICS_MAX_AGENTS, sizeof *m->agents);
    m->snap_agents = xcalloc(CMETRICS_MAX_AGENTS, sizeof *m->snap_agents);
    m->live.started = (int64_t)started;
    metrics_hist_init(&m->live.commit, commit_le,
                      sizeof commit_le / sizeof commit_le[0]);
    m->snap = m->live;
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void cmetrics_destroy(cmetrics_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    cmetrics_t *m = *self_p;
    pthread_mutex_destroy(&m->lock);
    free(m->agents);
    free(m->snap_agents);
    free(m);
    *self_p = NULL;
}

/* ------------------------------------------------ the ingest loop's side */

int cmetrics_agent(cmetrics_t *self, const char *name, uint32_t region)
{
    counts_t *c = &self->live;
    for (size_t i = 0; i < c->n_agents; i++) {
        if (strcmp(self->agents[i].name, name) == 0) {
            if (self->agents[i].region == 0) {
                self->agents[i].region = region;
            }
            return (int)i;
        }
    }
    if (c->n_agents == CMETRICS_MAX_AGENTS) {
        c->untracked++;
        return -1;
    }
    agent_t *a = &self->agents[c->n_agents];
    snprintf(a->name, sizeof a->name, "%s", name);
    a->region = region;
    return (int)c->n_agents++;
}

/* Agent @p i of the live table, or NULL for -1. */
static agent_t *live_agent(cmetrics_t *self, int i)
{
    if (i < 0) {
        return NULL;
    }
    assert((size_t)i < self->live.n_agents);
    return &self->agents[i];
}

void cmetrics_agent_seen(cmetrics_t *self, int i, time_t now)
{
    agent_t *a = live_agent(self, i);
    if (a != NULL) {
        a->up = 1;
        a->last_contact = (int64_t)now;
    }
}

void cmetrics_agent_down(cmetrics_t *self, int i)
{
    agent_t *a = live_agent(self, i);
    if (a != NULL) {
        a->up = 0;
    }
}

void cmetrics_agent_sent(cmetrics_t *self, int i, uint64_t last)
{
    agent_t *a = live_agent(self, i);
    if (a != NULL && last > a->highest) {
        a->highest = last;
    }
}

void cmetrics_agent_next(cmetrics_t *self, int i, uint64_t next)
{
    agent_t *a = live_agent(self, i);
    if (a != NULL) {
        a->next_seq = next;
    }
}

void cmetrics_batch(cmetrics_t *self, int i, const store_result_t *r)
{
    counts_t *c = &self->live;
    switch (r->status) {
    case STORE_BATCH_OK: c->batches[BATCH_OK]++; break;
    case STORE_BATCH_GAP: c->batches[BATCH_GAP]++; break;
    case STORE_BATCH_MALFORMED: c->batches[BATCH_MALFORMED]++; break;
    }
    c->applied += r->applied;
    c->replayed += r->replayed;
    for (size_t k = 0; k < r->rejected; k++) {
        unsigned reason = (unsigned)r->rejections[k].reason;
        c->rejected[reason <= UPDATE_REASON_MAX ? reason : 0]++;
    }
    cmetrics_agent_next(self, i, r->next_seq);
}

void cmetrics_commit(cmetrics_t *self, double seconds)
{
    metrics_hist_observe(&self->live.commit, seconds);
}

void cmetrics_store_failed(cmetrics_t *self, enum cmetrics_failure why,
                           size_t batches)
{
    self->live.failed[why]++;
    self->live.retry += batches;
}

void cmetrics_refused(cmetrics_t *self, int unauthorized)
{
    self->live.refused[unauthorized ? 1 : 0]++;
}

void cmetrics_space(cmetrics_t *self, const store_space_t *sp)
{
    self->live.space = *sp;
}

void cmetrics_sessions(cmetrics_t *self, size_t n)
{
    self->live.sessions = n;
}

void cmetrics_queries(cmetrics_t *self, const qserve_stats_t *q)
{
    self->live.queries = *q;
}

void cmetrics_publish(cmetrics_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->snap = self->live;
    memcpy(self->snap_agents, self->agents,
           self->live.n_agents * sizeof *self->agents);
    pthread_mutex_unlock(&self->lock);
}

/* --------------------------------------------------- the HTTP thread's side */

/* One family of one unlabelled sample. */
static void one(buf_t *out, const char *name, enum metrics_type type,
                const char *help, double v)
{
    metrics_family(out, name, type, help);
    metrics_double(out, name, NULL, 0, v);
}

static void page_updates(buf_t *out, const counts_t *c)
{
    one(out, "hrss_updates_applied_total", METRICS_COUNTER,
        "Updates stored (new or revised figures) since the start.",
        (double)c->applied);
    one(out, "hrss_updates_replayed_total", METRICS_COUNTER,
        "Updates received again and skipped: already stored (resends).",
        (double)c->replayed);
    metrics_family(out, "hrss_updates_rejected_total", METRICS_COUNTER,
                   "Updates rejected by the store's rules, by reason; each "
                   "is listed by hrssctl rejections.");
    for (unsigned r = 1; r <= UPDATE_REASON_MAX; r++) {
        metrics_label_t l = {"reason",
                             update_reason_name((enum update_reason)r)};
        metrics_uint(out, "hrss_updates_rejected_total", &l, 1,
                     c->rejected[r]);
    }
    static const char *const status[BATCH_N] = {"ok", "gap", "malformed"};
    metrics_family(out, "hrss_batches_total", METRICS_COUNTER,
                   "Batches stored in a committed group, by answer: ok, "
                   "gap (sender must resend from next_seq), malformed.");
    for (int s = 0; s < BATCH_N; s++) {
        metrics_label_t l = {"status", status[s]};
        metrics_uint(out, "hrss_batches_total", &l, 1, c->batches[s]);
    }
    metrics_family(out, "hrss_commit_seconds", METRICS_HISTOGRAM,
                   "Time of each committed group transaction (all its "
                   "batches, synced to disk), seconds.");
    metrics_histogram(out, "hrss_commit_seconds", NULL, 0, &c->commit);
}

static void page_failures(buf_t *out, const counts_t *c)
{
    one(out, "hrss_store_retry_total", METRICS_COUNTER,
        "Batches answered ACK_RETRY because the store could not take "
        "their group; the agents keep them and retry.",
        (double)c->retry);
    one(out, "hrss_disk_full_total", METRICS_COUNTER,
        "Groups the store refused because the disk is full.",
        (double)c->failed[CMETRICS_DISK_FULL]);
    one(out, "hrss_store_map_full_total", METRICS_COUNTER,
        "Groups the store refused because its map reached "
        "--map-max-mib.",
        (double)c->failed[CMETRICS_MAP_FULL]);
    one(out, "hrss_store_errors_total", METRICS_COUNTER,
        "Groups the store refused for another I/O error.",
        (double)c->failed[CMETRICS_OTHER]);
    metrics_family(out, "hrss_bad_messages_total", METRICS_COUNTER,
                   "Ingest messages refused before the store: malformed "
                   "(ACK_MALFORMED) or from a key no longer listed "
                   "(ACK_UNAUTHORIZED).");
    metrics_label_t l = {"kind", "malformed"};
    metrics_uint(out, "hrss_bad_messages_total", &l, 1, c->refused[0]);
    l.value = "unauthorized";
    metrics_uint(out, "hrss_bad_messages_total", &l, 1, c->refused[1]);
}

static void page_store(buf_t *out, const counts_t *c)
{
    const store_space_t *sp = &c->space;
    one(out, "hrss_store_bytes", METRICS_GAUGE,
        "Bytes of the store's pages in use (data.mdb).",
        (double)sp->used_bytes);
    one(out, "hrss_store_map_bytes", METRICS_GAUGE,
        "Size of the store's LMDB map now; it doubles when full.",
        (double)sp->map_bytes);
    one(out, "hrss_store_map_max_bytes", METRICS_GAUGE,
        "The most the map may grow to (--map-max-mib).",
        (double)sp->map_max_bytes);
    one(out, "hrss_store_map_used_ratio", METRICS_GAUGE,
        "hrss_store_bytes / hrss_store_map_max_bytes: at 1 batches are "
        "refused.",
        sp->map_max_bytes > 0
            ? (double)sp->used_bytes / (double)sp->map_max_bytes
            : 0.0);
}

static void page_queries(buf_t *out, const counts_t *c)
{
    const qserve_stats_t *q = &c->queries;
    one(out, "hrss_queries_answered_total", METRICS_COUNTER,
        "Queries answered on the query socket.", (double)q->answered);
    one(out, "hrss_queries_refused_total", METRICS_COUNTER,
        "Queries answered with an error for lack of room: too many "
        "clients, or too many answers not yet read.",
        (double)q->refused);
    one(out, "hrss_queries_dropped_total", METRICS_COUNTER,
        "Queries of clients cut off for not reading their answers.",
        (double)q->dropped);
    one(out, "hrss_query_connections", METRICS_GAUGE,
        "Connections open on the query socket.", (double)q->connections);
}

/* The labels of agent @p a; @p region[16] holds its code's text. */
static void agent_labels(const agent_t *a, char region[16],
                         metrics_label_t l[2])
{
    if (a->region != 0) {
        snprintf(region, 16, "%u", a->region);
    } else {
        region[0] = '\0';
    }
    l[0].name = "agent";
    l[0].value = a->name;
    l[1].name = "region";
    l[1].value = region;
}

static void page_agents(buf_t *out, const counts_t *c, const agent_t *ag,
                        time_t now)
{
    char region[16];
    metrics_label_t l[2];
    one(out, "hrss_agents_connected", METRICS_GAUGE,
        "Agents with an open session (a message in the last 3 minutes, "
        "no goodbye).", (double)c->sessions);
    one(out, "hrss_agents_untracked_total", METRICS_COUNTER,
        "Agents not listed below: more names than the table holds.",
        (double)c->untracked);
    metrics_family(out, "hrss_agent_up", METRICS_GAUGE,
                   "1 while the agent's session is open, 0 after its "
                   "goodbye or 3 minutes of silence.");
    for (size_t i = 0; i < c->n_agents; i++) {
        agent_labels(&ag[i], region, l);
        metrics_uint(out, "hrss_agent_up", l, 2, (uint64_t)ag[i].up);
    }
    metrics_family(out, "hrss_agent_last_contact_seconds", METRICS_GAUGE,
                   "Seconds since the agent's last message (agents ping "
                   "every 60 s).");
    for (size_t i = 0; i < c->n_agents; i++) {
        agent_labels(&ag[i], region, l);
        int64_t age = (int64_t)now - ag[i].last_contact;
        metrics_double(out, "hrss_agent_last_contact_seconds", l, 2,
                       (double)(age > 0 ? age : 0));
    }
    metrics_family(out, "hrss_agent_next_seq", METRICS_GAUGE,
                   "The next sequence number the store expects from the "
                   "agent: all below it are stored.");
    for (size_t i = 0; i < c->n_agents; i++) {
        if (ag[i].next_seq > 0) {
            agent_labels(&ag[i], region, l);
            metrics_uint(out, "hrss_agent_next_seq", l, 2, ag[i].next_seq);
        }
    }
    metrics_family(out, "hrss_agent_pending_updates", METRICS_GAUGE,
                   "Updates the agent sent (up to the highest seq seen in "
                   "its batches) that are not stored yet: the part of its "
                   "backlog the collector has seen (the agent's own "
                   "hrss_agent_queued has all of it).");
    for (size_t i = 0; i < c->n_agents; i++) {
        if (ag[i].next_seq > 0 && ag[i].highest > 0) {
            agent_labels(&ag[i], region, l);
            metrics_uint(out, "hrss_agent_pending_updates", l, 2,
                         ag[i].highest >= ag[i].next_seq
                             ? ag[i].highest - ag[i].next_seq + 1
                             : 0);
        }
    }
}

void cmetrics_page(buf_t *out, void *arg)
{
    cmetrics_t *self = arg;
    counts_t c;
    pthread_mutex_lock(&self->lock);
    c = self->snap;
    agent_t *ag = xcalloc(c.n_agents ? c.n_agents : 1, sizeof *ag);
    memcpy(ag, self->snap_agents, c.n_agents * sizeof *ag);
    pthread_mutex_unlock(&self->lock);
    time_t now = time(NULL);
    one(out, "hrss_collector_start_time_seconds", METRICS_GAUGE,
        "When this collector started, unix seconds.", (double)c.started);
    page_updates(out, &c);
    page_failures(out, &c);
    page_store(out, &c);
    page_agents(out, &c, ag, now);
    page_queries(out, &c);
    free(ag);
}
