/* test_cmetrics.c: collector/cmetrics.c, what the collector's /metrics
 * page says, written from a published snapshot.
 *
 * The page is parsed with tests/unit/http_client.c's http_metric(); no
 * server is involved (common/httpd has its own tests).
 *
 * INVARIANTS
 *   1. Every cmetrics_t and page a test makes is freed in it (ASan).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/cmetrics.h"
#include "http_client.h"

/* The page now, NUL-terminated. Caller frees. */
static char *page(cmetrics_t *m)
{
    buf_t b;
    buf_init(&b);
    cmetrics_page(&b, m);
    buf_put_u8(&b, '\0');
    return (char *)b.data;
}

static double value(cmetrics_t *m, const char *name)
{
    char *p = page(m);
    double v = http_metric(p, name);
    free(p);
    return v;
}

Test(cmetrics, nothing_shows_before_it_is_published)
{
    cmetrics_t *m = cmetrics_new(1000);
    cr_expect_eq(value(m, "hrss_collector_start_time_seconds"), 1000);
    store_result_t r = {
        .status = STORE_BATCH_OK, .next_seq = 11,
        .applied = 10, .replayed = 0,
        .rejected = 0, .rejections = NULL};
    cmetrics_batch(m, -1, &r);
    cmetrics_commit(m, 0.003);
    cr_expect_eq(value(m, "hrss_updates_applied_total"), 0);
    cr_expect_eq(value(m, "hrss_commit_seconds_count"), 0);
    cmetrics_publish(m);
    cr_expect_eq(value(m, "hrss_updates_applied_total"), 10);
    cr_expect_eq(value(m, "hrss_batches_total{status=\"ok\"}"), 1);
    cr_expect_eq(value(m, "hrss_commit_seconds_count"), 1);
    cr_expect_eq(value(m, "hrss_commit_seconds_bucket{le=\"0.0025\"}"), 0);
    cr_expect_eq(value(m, "hrss_commit_seconds_bucket{le=\"0.005\"}"), 1);
    cr_expect_eq(value(m, "hrss_commit_seconds_bucket{le=\"+Inf\"}"), 1);
    cmetrics_destroy(&m);
    cr_expect_null(m);
    cmetrics_destroy(&m);
}

Test(cmetrics, rejections_by_reason_and_batches_by_status)
{
    cmetrics_t *m = cmetrics_new(0);
    store_rejection_t rej[3] = {{1, UPDATE_UNKNOWN_INDICATOR, ""},
                                {2, UPDATE_FUTURE_MONTH, ""},
                                {3, UPDATE_UNKNOWN_INDICATOR, ""}};
    store_result_t ok = {
        .status = STORE_BATCH_OK, .next_seq = 4,
        .applied = 0, .replayed = 2,
        .rejected = 3, .rejections = rej};
    store_result_t gap = {
        .status = STORE_BATCH_GAP, .next_seq = 4,
        .applied = 0, .replayed = 0,
        .rejected = 0, .rejections = NULL};
    store_result_t bad = {
        .status = STORE_BATCH_MALFORMED, .next_seq = 4,
        .applied = 0, .replayed = 0,
        .rejected = 0, .rejections = NULL};
    cmetrics_batch(m, -1, &ok);
    cmetrics_batch(m, -1, &gap);
    cmetrics_batch(m, -1, &gap);
    cmetrics_batch(m, -1, &bad);
    cmetrics_refused(m, 0);
    cmetrics_refused(m, 1);
    cmetrics_refused(m, 1);
    cmetrics_publish(m);
    char *p = page(m);
    cr_expect_eq(http_metric(p, "hrss_updates_rejected_total"
                                "{reason=\"unknown_indicator\"}"), 2);
    cr_expect_eq(http_metric(p, "hrss_updates_rejected_total"
                                "{reason=\"future_month\"}"), 1);
    cr_expect_eq(http_metric(p, "hrss_updates_rejected_total"
                                "{reason=\"not_authorized\"}"), 0);
    cr_expect_eq(http_metric(p, "hrss_updates_replayed_total"), 2);
    cr_expect_eq(http_metric(p, "hrss_batches_total{status=\"ok\"}"), 1);
    cr_expect_eq(http_metric(p, "hrss_batches_total{status=\"gap\"}"), 2);
    cr_expect_eq(http_metric(p, "hrss_batches_total{status=\"malformed\"}"),
                 1);
    cr_expect_eq(http_metric(p, "hrss_bad_messages_total"
                                "{kind=\"malformed\"}"), 1);
    cr_expect_eq(http_metric(p, "hrss_bad_messages_total"
                                "{kind=\"unauthorized\"}"), 2);
    cr_expect(strstr(p, "# TYPE hrss_updates_rejected_total counter\n"),
              "%s", p);
    free(p);
    cmetrics_destroy(&m);
}

Test(cmetrics, store_failures_retries_and_space)
{
    cmetrics_t *m = cmetrics_new(0);
    cmetrics_store_failed(m, CMETRICS_DISK_FULL, 3);
    cmetrics_store_failed(m, CMETRICS_DISK_FULL, 1);
    cmetrics_store_failed(m, CMETRICS_MAP_FULL, 2);
    cmetrics_store_failed(m, CMETRICS_OTHER, 5);
    store_space_t sp = {50, 100, 200};
    cmetrics_space(m, &sp);
    cmetrics_publish(m);
    char *p = page(m);
    cr_expect_eq(http_metric(p, "hrss_disk_full_total"), 2);
    cr_expect_eq(http_metric(p, "hrss_store_map_full_total"), 1);
    cr_expect_eq(http_metric(p, "hrss_store_errors_total"), 1);
    cr_expect_eq(http_metric(p, "hrss_store_retry_total"), 11);
    cr_expect_eq(http_metric(p, "hrss_store_bytes"), 50);
    cr_expect_eq(http_metric(p, "hrss_store_map_bytes"), 100);
    cr_expect_eq(http_metric(p, "hrss_store_map_max_bytes"), 200);
    cr_expect_eq(http_metric(p, "hrss_store_map_used_ratio"), 0.25);
    free(p);
    cmetrics_destroy(&m);
}

#define L330102 "{agent=\"330102\",region=\"330102\"}"

Test(cmetrics, agents_stay_listed_with_their_last_contact)
{
    cmetrics_t *m = cmetrics_new(0);
    time_t now = time(NULL);
    int i = cmetrics_agent(m, "330102", 330102);
    cr_assert_eq(i, 0);
    cr_expect_eq(cmetrics_agent(m, "330102", 0), 0, "the same agent");
    int j = cmetrics_agent(m, "other", 0);
    cr_assert_eq(j, 1);
    cr_expect_eq(cmetrics_agent(m, "other", 330106), 1);
    cmetrics_agent_seen(m, i, now - 100);
    cmetrics_agent_seen(m, j, now);
    cmetrics_agent_next(m, i, 5);
    cmetrics_agent_sent(m, i, 9);
    cmetrics_agent_sent(m, i, 7); /* older: the highest stays */
    cmetrics_sessions(m, 2);
    cmetrics_publish(m);
    char *p = page(m);
    cr_expect_eq(http_metric(p, "hrss_agents_connected"), 2);
    cr_expect_eq(http_metric(p, "hrss_agent_up" L330102), 1);
    double age = http_metric(p, "hrss_agent_last_contact_seconds" L330102);
    cr_expect(age >= 100 && age < 160, "%g", age);
    cr_expect_eq(http_metric(p, "hrss_agent_next_seq" L330102), 5);
    cr_expect_eq(http_metric(p, "hrss_agent_pending_updates" L330102), 5);
    /* The region given later fills the one not known; no next seq, no
     * pending updates yet. */
    cr_expect_eq(http_metric(p, "hrss_agent_up{agent=\"other\","
                                "region=\"330106\"}"), 1);
    cr_expect_null(strstr(p, "hrss_agent_next_seq{agent=\"other\""), "%s",
                   p);
    cr_expect_null(strstr(p, "hrss_agent_pending_updates{agent=\"other\""));
    free(p);

    /* Everything below 10 stored; then the agent leaves: still listed. */
    store_result_t r = {
        .status = STORE_BATCH_OK, .next_seq = 10,
        .applied = 5, .replayed = 0,
        .rejected = 0, .rejections = NULL};
    cmetrics_batch(m, i, &r);
    cmetrics_agent_down(m, i);
    cmetrics_sessions(m, 1);
    cmetrics_publish(m);
    p = page(m);
    cr_expect_eq(http_metric(p, "hrss_agent_up" L330102), 0);
    cr_expect_eq(http_metric(p, "hrss_agent_next_seq" L330102), 10);
    cr_expect_eq(http_metric(p, "hrss_agent_pending_updates" L330102), 0);
    cr_expect_eq(http_metric(p, "hrss_agents_connected"), 1);
    free(p);
    cmetrics_destroy(&m);
}

Test(cmetrics, the_agents_table_is_bounded)
{
    cmetrics_t *m = cmetrics_new(0);
    char name[32];
    for (int k = 0; k < CMETRICS_MAX_AGENTS; k++) {
        snprintf(name, sizeof name, "agent-%d", k);
        cr_assert_eq(cmetrics_agent(m, name, 0), k);
    }
    cr_expect_eq(cmetrics_agent(m, "one-too-many", 0), -1);
    cmetrics_agent_seen(m, -1, 0); /* no-ops */
    cmetrics_agent_down(m, -1);
    cmetrics_agent_next(m, -1, 1);
    cmetrics_agent_sent(m, -1, 1);
    cr_expect_eq(cmetrics_agent(m, "agent-7", 0), 7, "known ones stay");
    cmetrics_publish(m);
    cr_expect_eq(value(m, "hrss_agents_untracked_total"), 1);
    cr_expect_eq(value(m, "hrss_agent_up{agent=\"agent-4095\",region=\"\"}"),
                 0);
    cmetrics_destroy(&m);
}

Test(cmetrics, agent_names_are_escaped)
{
    cmetrics_t *m = cmetrics_new(0);
    int i = cmetrics_agent(m, "a\"b\\c", 330102);
    cmetrics_agent_seen(m, i, time(NULL));
    cmetrics_publish(m);
    char *p = page(m);
    cr_expect(strstr(p, "hrss_agent_up{agent=\"a\\\"b\\\\c\",region=\"330102\"}"
                        " 1\n") != NULL, "%s", p);
    free(p);
    cmetrics_destroy(&m);
}

Test(cmetrics, query_counters)
{
    cmetrics_t *m = cmetrics_new(0);
    qserve_stats_t q = {.answered = 7, .refused = 2, .dropped = 1,
                        .connections = 3};
    cmetrics_queries(m, &q);
    cmetrics_publish(m);
    char *p = page(m);
    cr_expect_eq(http_metric(p, "hrss_queries_answered_total"), 7);
    cr_expect_eq(http_metric(p, "hrss_queries_refused_total"), 2);
    cr_expect_eq(http_metric(p, "hrss_queries_dropped_total"), 1);
    cr_expect_eq(http_metric(p, "hrss_query_connections"), 3);
    free(p);
    cmetrics_destroy(&m);
}
