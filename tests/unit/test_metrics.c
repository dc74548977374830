/* test_metrics.c: common/metrics.c, the Prometheus text format.
 *
 * Each test writes into a buf_t and compares the whole text, so a stray
 * space, a missing line feed or an unescaped quote fails.
 *
 * INVARIANTS
 *   1. Every buffer a test makes is freed in that test (ASan).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/metrics.h"

/* The buffer as a string (a NUL is added, not counted in len). */
static const char *text(buf_t *b)
{
    buf_put_u8(b, '\0');
    b->len--;
    return (const char *)b->data;
}

Test(metrics, a_family_has_help_and_type_lines)
{
    buf_t b;
    buf_init(&b);
    metrics_family(&b, "hrss_batches_total", METRICS_COUNTER,
                   "Batches stored.");
    metrics_family(&b, "hrss_store_bytes", METRICS_GAUGE, "Bytes in use.");
    metrics_family(&b, "hrss_commit_seconds", METRICS_HISTOGRAM, "Commits.");
    cr_expect_str_eq(text(&b),
                     "# HELP hrss_batches_total Batches stored.\n"
                     "# TYPE hrss_batches_total counter\n"
                     "# HELP hrss_store_bytes Bytes in use.\n"
                     "# TYPE hrss_store_bytes gauge\n"
                     "# HELP hrss_commit_seconds Commits.\n"
                     "# TYPE hrss_commit_seconds histogram\n");
    buf_fini(&b);
}

Test(metrics, help_text_escapes_backslash_and_line_feed_only)
{
    buf_t b;
    buf_init(&b);
    metrics_family(&b, "x", METRICS_GAUGE, "a \"quoted\" C:\\dir\nnext");
    cr_expect_str_eq(text(&b), "# HELP x a \"quoted\" C:\\\\dir\\nnext\n"
                               "# TYPE x gauge\n");
    buf_fini(&b);
}

Test(metrics, samples_with_and_without_labels)
{
    buf_t b;
    buf_init(&b);
    metrics_uint(&b, "hrss_updates_applied_total", NULL, 0, 42);
    metrics_label_t l[2] = {{"agent", "330102"}, {"region", "330102"}};
    metrics_uint(&b, "hrss_agent_next_seq", l, 2, UINT64_MAX);
    metrics_label_t r = {"reason", "unknown_indicator"};
    metrics_uint(&b, "hrss_updates_rejected_total", &r, 1, 0);
    cr_expect_str_eq(
        text(&b),
        "hrss_updates_applied_total 42\n"
        "hrss_agent_next_seq{agent=\"330102\",region=\"330102\"} "
        "18446744073709551615\n"
        "hrss_updates_rejected_total{reason=\"unknown_indicator\"} 0\n");
    buf_fini(&b);
}

Test(metrics, label_values_escape_backslash_quote_and_line_feed)
{
    buf_t b;
    buf_init(&b);
    metrics_label_t l = {"agent", "a\\b\"c\nd"};
    metrics_uint(&b, "m", &l, 1, 1);
    cr_expect_str_eq(text(&b), "m{agent=\"a\\\\b\\\"c\\nd\"} 1\n");
    buf_fini(&b);
}

Test(metrics, label_values_stay_valid_utf8)
{
    buf_t b;
    buf_init(&b);
    /* 杭州 passes; a lone continuation byte and a cut sequence do not. */
    metrics_label_t l = {"agent", "\xE6\x9D\xAD\xE5\xB7\x9E-\x80-\xE6\x9D"};
    metrics_uint(&b, "m", &l, 1, 1);
    cr_expect_str_eq(text(&b), "m{agent=\"\xE6\x9D\xAD\xE5\xB7\x9E-"
                               "\xEF\xBF\xBD-\xEF\xBF\xBD\"} 1\n");
    buf_fini(&b);
}

Test(metrics, a_null_label_value_is_empty)
{
    buf_t b;
    buf_init(&b);
    metrics_label_t l = {"region", NULL};
    metrics_uint(&b, "m", &l, 1, 7);
    cr_expect_str_eq(text(&b), "m{region=\"\"} 7\n");
    buf_fini(&b);
}

Test(metrics, reals_whole_numbers_nan_and_infinities)
{
    buf_t b;
    buf_init(&b);
    metrics_double(&b, "a", NULL, 0, 0.5);
    metrics_double(&b, "b", NULL, 0, 3.0);
    metrics_double(&b, "c", NULL, 0, -2.0);
    metrics_double(&b, "d", NULL, 0, 1764000000.123);
    metrics_double(&b, "e", NULL, 0, NAN);
    metrics_double(&b, "f", NULL, 0, INFINITY);
    metrics_double(&b, "g", NULL, 0, -INFINITY);
    metrics_double(&b, "h", NULL, 0, 0.0025);
    metrics_double(&b, "i", NULL, 0, 1e300);
    cr_expect_str_eq(text(&b), "a 0.5\nb 3\nc -2\nd 1764000000.123\n"
                               "e NaN\nf +Inf\ng -Inf\nh 0.0025\n"
                               "i 1e+300\n");
    buf_fini(&b);
}

static const double le[] = {0.01, 0.1, 1};

Test(metrics, histogram_buckets_are_cumulative_and_end_with_inf)
{
    metrics_hist_t h;
    metrics_hist_init(&h, le, 3);
    metrics_hist_observe(&h, 0.005);
    metrics_hist_observe(&h, 0.01); /* on a bound: in that bucket */
    metrics_hist_observe(&h, 0.5);
    metrics_hist_observe(&h, 2.5);  /* above all: only +Inf */
    buf_t b;
    buf_init(&b);
    metrics_histogram(&b, "hrss_commit_seconds", NULL, 0, &h);
    cr_expect_str_eq(text(&b),
                     "hrss_commit_seconds_bucket{le=\"0.01\"} 2\n"
                     "hrss_commit_seconds_bucket{le=\"0.1\"} 2\n"
                     "hrss_commit_seconds_bucket{le=\"1\"} 3\n"
                     "hrss_commit_seconds_bucket{le=\"+Inf\"} 4\n"
                     "hrss_commit_seconds_sum 3.015\n"
                     "hrss_commit_seconds_count 4\n");
    buf_fini(&b);
}

Test(metrics, an_empty_histogram_has_every_line_at_zero)
{
    metrics_hist_t h;
    metrics_hist_init(&h, le, 3);
    buf_t b;
    buf_init(&b);
    metrics_label_t l = {"kind", "x"};
    metrics_histogram(&b, "t", &l, 1, &h);
    cr_expect_str_eq(text(&b), "t_bucket{kind=\"x\",le=\"0.01\"} 0\n"
                               "t_bucket{kind=\"x\",le=\"0.1\"} 0\n"
                               "t_bucket{kind=\"x\",le=\"1\"} 0\n"
                               "t_bucket{kind=\"x\",le=\"+Inf\"} 0\n"
                               "t_sum{kind=\"x\"} 0\n"
                               "t_count{kind=\"x\"} 0\n");
    buf_fini(&b);
}

Test(metrics, a_histogram_copy_is_a_snapshot)
{
    metrics_hist_t h;
    metrics_hist_init(&h, le, 3);
    metrics_hist_observe(&h, 0.05);
    metrics_hist_t snap = h;
    metrics_hist_observe(&h, 0.05);
    cr_expect_eq(snap.count, 1);
    cr_expect_eq(snap.bucket[1], 1);
    cr_expect_eq(h.count, 2);
    cr_expect_eq(h.bucket[1], 2);
}

Test(metrics, nan_is_counted_only_in_inf)
{
    metrics_hist_t h;
    metrics_hist_init(&h, le, 3);
    metrics_hist_observe(&h, NAN);
    cr_expect_eq(h.count, 1);
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(h.bucket[i], 0);
    }
}
