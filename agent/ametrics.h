/** @file ametrics.h
 *  @brief The agent's metrics: its backlog and acknowledgements, as a
 *         /metrics page (hrss-agent run --metrics ADDR:PORT).
 *
 *  Concern: what an office's operator (or the province's Prometheus)
 *  watches at an agent: updates queued and the age of the oldest, the
 *  last acknowledgement and the seq it covered, the connection to the
 *  collector, batches sent and the collector's answers. Serving the page
 *  is common/httpd's.
 *
 *  Threads: the sender's loop (agent/sender) keeps an ametrics_state_t
 *  of its own and hands a copy to ametrics_publish() at the end of each
 *  turn; ametrics_page() runs in the HTTP server's thread and writes the
 *  page from a copy of the last one published, taken under the mutex. So
 *  the HTTP thread never touches the spool, the socket or the machine.
 *
 *  Owns: the published state and its mutex. Borrows nothing.
 *
 *  INVARIANTS
 *    1. The page shows one published state, whole.
 *    2. Only one thread publishes; ametrics_page() may run in one other
 *       thread at a time.
 */
#ifndef HRSS_AMETRICS_H
#define HRSS_AMETRICS_H
#include <stdint.h>

#include "agent/delivery.h"
#include "agent/spool.h"
#include "common/buf.h"

/** The collector's answers, counted by kind (enum wire_ack's order). */
#define AMETRICS_ACK_KINDS 5

/** What the sender knows. Plain value struct. */
typedef struct ametrics_state {
    int64_t started;        /**< unix seconds of the start */
    spool_stats_t spool;    /**< read at the end of the sender's turn */
    enum delivery_state state;
    int64_t last_ack_at;    /**< unix seconds of the last Ack OK; 0: none
                                 since the start */
    uint64_t connects;      /**< connections made (each sends a Hello) */
    uint64_t batches_sent;
    uint64_t acks[AMETRICS_ACK_KINDS]; /**< by enum wire_ack */
} ametrics_state_t;

typedef struct ametrics ametrics_t;

/** Never NULL. Caller owns return value and must destroy it (after the
 *  HTTP server that calls ametrics_page() was stopped). */
ametrics_t *ametrics_new(void);

/** Free and set *self_p to NULL; no-op on NULL. */
void ametrics_destroy(ametrics_t **self_p);

/** Make @p st (copied) the state the page shows. */
void ametrics_publish(ametrics_t *self, const ametrics_state_t *st);

/** Write the page of the last published state into @p out; ages are
 *  counted to the time of the call. @p arg is the ametrics_t. An
 *  httpd_page_fn: runs in the HTTP server's thread. */
void ametrics_page(buf_t *out, void *arg);

#endif
