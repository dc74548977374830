/* test_ametrics.c: agent/ametrics.c, what the agent's /metrics page
 * says, from the last state the sender published.
 *
 * INVARIANTS
 *   1. Every ametrics_t and page a test makes is freed in it (ASan).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/ametrics.h"
#include "common/wire.h"
#include "http_client.h"

static char *page(ametrics_t *m)
{
    buf_t b;
    buf_init(&b);
    ametrics_page(&b, m);
    buf_put_u8(&b, '\0');
    return (char *)b.data;
}

Test(ametrics, before_anything_is_published_all_is_zero)
{
    ametrics_t *m = ametrics_new();
    char *p = page(m);
    cr_expect_eq(http_metric(p, "hrss_agent_queued"), 0);
    cr_expect_eq(http_metric(p, "hrss_agent_last_ack_timestamp_seconds"), 0);
    cr_expect_eq(http_metric(p, "hrss_agent_delivery_state"
                                "{state=\"down\"}"), 1);
    cr_expect_eq(http_metric(p, "hrss_agent_collector_connected"), 0);
    free(p);
    ametrics_destroy(&m);
    cr_expect_null(m);
    ametrics_destroy(&m);
}

Test(ametrics, the_page_shows_the_last_published_state)
{
    ametrics_t *m = ametrics_new();
    time_t now = time(NULL);
    ametrics_state_t st;
    memset(&st, 0, sizeof st);
    st.started = 1000;
    st.spool.queued = 7;
    st.spool.oldest_submitted = (int64_t)now - 30;
    st.spool.acked_next = 11;
    st.spool.last_assigned = 17;
    st.spool.rejections = 2;
    st.state = DELIVERY_READY;
    st.last_ack_at = 1234;
    st.connects = 3;
    st.batches_sent = 9;
    st.acks[WIRE_ACK_OK] = 4;
    st.acks[WIRE_ACK_RETRY] = 5;
    ametrics_publish(m, &st);
    st.spool.queued = 99; /* copied: later changes do not show */
    char *p = page(m);
    cr_expect_eq(http_metric(p, "hrss_agent_start_time_seconds"), 1000);
    cr_expect_eq(http_metric(p, "hrss_agent_queued"), 7);
    double age = http_metric(p, "hrss_agent_oldest_queued_seconds");
    cr_expect(age >= 30 && age < 90, "%g", age);
    cr_expect_eq(http_metric(p, "hrss_agent_last_acked_seq"), 10);
    cr_expect_eq(http_metric(p, "hrss_agent_last_queued_seq"), 17);
    cr_expect_eq(http_metric(p, "hrss_agent_rejections"), 2);
    cr_expect_eq(http_metric(p, "hrss_agent_last_ack_timestamp_seconds"),
                 1234);
    cr_expect_eq(http_metric(p, "hrss_agent_collector_connected"), 1);
    cr_expect_eq(http_metric(p, "hrss_agent_delivery_state"
                                "{state=\"ready\"}"), 1);
    cr_expect_eq(http_metric(p, "hrss_agent_delivery_state"
                                "{state=\"down\"}"), 0);
    cr_expect_eq(http_metric(p, "hrss_agent_connects_total"), 3);
    cr_expect_eq(http_metric(p, "hrss_agent_batches_sent_total"), 9);
    cr_expect_eq(http_metric(p, "hrss_agent_acks_total{status=\"ok\"}"), 4);
    cr_expect_eq(http_metric(p, "hrss_agent_acks_total{status=\"retry\"}"),
                 5);
    cr_expect_eq(http_metric(p, "hrss_agent_acks_total{status=\"gap\"}"), 0);
    free(p);

    /* Nothing queued: no age, whatever the spool remembers. */
    st.spool.queued = 0;
    ametrics_publish(m, &st);
    p = page(m);
    cr_expect_eq(http_metric(p, "hrss_agent_oldest_queued_seconds"), 0);
    free(p);
    ametrics_destroy(&m);
}
