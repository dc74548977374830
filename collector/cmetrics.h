/** @file cmetrics.h
 *  @brief The collector's metrics: what the ingest loop counts, and the
 *         /metrics page written from a snapshot of it.
 *
 *  Concern: the numbers an operator watches (updates applied and
 *  rejected by reason, batches, commit times, store size and map use,
 *  agents and their last contact, disk-full and retry counts, the query
 *  service) and their Prometheus page (common/metrics). Serving the page
 *  is common/httpd's.
 *
 *  Threads: the ingest loop (the collector's main thread) is the only
 *  writer. It changes its live counters through the cmetrics_* calls
 *  below without a lock, and cmetrics_publish() copies them, under the
 *  mutex, into the snapshot. cmetrics_page() runs in the HTTP server's
 *  thread: it copies the snapshot under the mutex and writes the page
 *  from its copy. So the HTTP thread never sees a half-updated group,
 *  never waits for a commit, and touches no zmq socket and no LMDB
 *  transaction.
 *
 *  Owns: the live counters, the agents table (at most
 *  CMETRICS_MAX_AGENTS names: every agent seen since the start, connected
 *  or not) and the snapshot. Borrows nothing beyond a call.
 *
 *  INVARIANTS
 *    1. Only the thread that made the cmetrics_t calls the functions
 *       that change it (all but cmetrics_page); cmetrics_page() may run
 *       in any one other thread at a time.
 *    2. The page is written from one published snapshot: counters of a
 *       group are published together, after its replies were sent.
 *    3. An agent's index, once given by cmetrics_agent(), names the same
 *       agent until cmetrics_destroy(); the table only grows.
 *    4. Counters never decrease (they restart from 0 with the process).
 */
#ifndef HRSS_CMETRICS_H
#define HRSS_CMETRICS_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "collector/qserve.h"
#include "common/buf.h"
#include "store/store.h"

/** Agents tracked since the start; one more is counted as untracked. */
#define CMETRICS_MAX_AGENTS 4096

typedef struct cmetrics cmetrics_t;

/** Why a group of batches could not be stored. */
enum cmetrics_failure {
    CMETRICS_DISK_FULL, /**< ENOSPC or EDQUOT: "disk full" */
    CMETRICS_MAP_FULL,  /**< the map is at --map-max-mib */
    CMETRICS_OTHER,     /**< any other I/O error */
};

/** A new, empty set of metrics; @p started is the process's start.
 *  Never NULL. Caller owns return value and must destroy it. */
cmetrics_t *cmetrics_new(time_t started);

/** Free and set *self_p to NULL; no-op on NULL. The HTTP server that
 *  calls cmetrics_page() must be stopped first. */
void cmetrics_destroy(cmetrics_t **self_p);

/** The index of agent @p name (@p region its region code, 0 when
 *  unknown), added when new; -1 when the table is full (then counted as
 *  untracked). A known agent keeps its first nonzero region. */
int cmetrics_agent(cmetrics_t *self, const char *name, uint32_t region);

/** Agent @p i sent a message at @p now: it is connected. -1: no-op. */
void cmetrics_agent_seen(cmetrics_t *self, int i, time_t now);

/** Agent @p i's session ended (goodbye or silence). -1: no-op. */
void cmetrics_agent_down(cmetrics_t *self, int i);

/** Agent @p i sent a batch that ends with seq @p last. -1: no-op. */
void cmetrics_agent_sent(cmetrics_t *self, int i, uint64_t last);

/** The store expects seq @p next from agent @p i (a Welcome or an Ack
 *  said so). -1: no-op. */
void cmetrics_agent_next(cmetrics_t *self, int i, uint64_t next);

/** One batch of a committed group, from agent @p i (-1: untracked):
 *  its status, and its updates applied, replayed and rejected by reason;
 *  the agent's next seq. */
void cmetrics_batch(cmetrics_t *self, int i, const store_result_t *r);

/** A group committed: store_apply() took @p seconds. */
void cmetrics_commit(cmetrics_t *self, double seconds);

/** A group of @p batches batches could not be stored (@p why): each of
 *  them is answered ACK_RETRY. */
void cmetrics_store_failed(cmetrics_t *self, enum cmetrics_failure why,
                           size_t batches);

/** A message refused before the store: ACK_UNAUTHORIZED when
 *  @p unauthorized, else ACK_MALFORMED. */
void cmetrics_refused(cmetrics_t *self, int unauthorized);

/** The store's size now (store_space()). */
void cmetrics_space(cmetrics_t *self, const store_space_t *sp);

/** Agents connected now (open sessions). */
void cmetrics_sessions(cmetrics_t *self, size_t n);

/** The query service's counters now (qserve_stats()). */
void cmetrics_queries(cmetrics_t *self, const qserve_stats_t *q);

/** Copy the live counters into the snapshot the page is written from. */
void cmetrics_publish(cmetrics_t *self);

/** Write the page of the last snapshot into @p out (Prometheus text
 *  format); ages are counted to the time of the call. @p arg is the
 *  cmetrics_t. An httpd_page_fn: runs in the HTTP server's thread. */
void cmetrics_page(buf_t *out, void *arg);

#endif
