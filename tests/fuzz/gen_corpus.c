/* gen_corpus.c: writes the seed corpora of the fuzz targets, the files
 * committed in tests/fuzz/corpus/<target>/.
 *
 * Usage: fuzz_gen_corpus SOURCE_DIR OUT_DIR
 *   (make fuzz-corpus: SOURCE_DIR is the source tree, OUT_DIR
 *   tests/fuzz/corpus). The CTest test fuzz_corpus_current runs it into a
 *   scratch directory and compares, so the committed files never drift
 *   from this program.
 *
 * Every seed is a valid input of its kind, so that the fuzzers start deep
 * in the code: protobuf frames are packed from the generated structures
 * (ingest: hello, ping, bye and batches; query: every kind of request,
 * lists whole and in pages); office CSV files in UTF-8, UTF-8 with BOM
 * and CRLF, and GBK (converted here with iconv, so this source stays
 * UTF-8); the shipped catalog files behind their
 * selector byte; the shipped INI files and one that uses every syntax.
 *
 * INVARIANTS
 *   1. The output depends only on this program and the source tree's
 *      catalog/ and the deploy/ INI files: no time, no randomness.
 *   2. Only files named here are written, each whole.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/hrss.pb-c.h"

static const char *out_dir;
static const char *src_dir;

static void die(const char *what, const char *path)
{
    fprintf(stderr, "fuzz_gen_corpus: %s %s: %s\n", what, path,
            strerror(errno));
    exit(1);
}

static void put(const char *target, const char *name, const void *data,
                size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        die("cannot create", path);
    }
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        die("cannot write", path);
    }
}

static void put_text(const char *target, const char *name, const char *s)
{
    put(target, name, s, strlen(s));
}

static void put_msg(const char *target, const char *name,
                    const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    unsigned char *buf = malloc(len ? len : 1);
    if (buf == NULL) {
        abort();
    }
    protobuf_c_message_pack(m, buf);
    put(target, name, buf, len);
    free(buf);
}

/* The bytes of file @p rel of the source tree; caller frees. */
static char *slurp(const char *rel, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", src_dir, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        die("cannot open", path);
    }
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    if (buf == NULL) {
        abort();
    }
    *len = fread(buf, 1, cap, f);
    if (ferror(f) || !feof(f)) {
        die("cannot read (or too large)", path);
    }
    fclose(f);
    return buf;
}

/* --- ingest --------------------------------------------------------------- */

typedef struct upd {
    const char *ind;
    uint32_t region;
    uint32_t month;
    int ratio;
    int64_t a;
    int64_t b;
} upd_t;

/* put_batch() as a Batch (@p dry 0) or a dry run (1). */
static void put_run(const char *name, const char *agent, uint32_t region,
                    uint64_t first_seq, const upd_t *u, size_t n, int dry);

static void put_batch(const char *name, const char *agent, uint32_t region,
                      uint64_t first_seq, const upd_t *u, size_t n)
{
    put_run(name, agent, region, first_seq, u, n, 0);
}

static void put_run(const char *name, const char *agent, uint32_t region,
                    uint64_t first_seq, const upd_t *u, size_t n, int dry)
{
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    Hrss__Batch b = HRSS__BATCH__INIT;
    Hrss__Update w[16];
    Hrss__Update *wp[16];
    Hrss__Ratio r[16];
    for (size_t i = 0; i < n && i < 16; i++) {
        hrss__update__init(&w[i]);
        hrss__ratio__init(&r[i]);
        w[i].seq = first_seq + i;
        w[i].indicator = (char *)(uintptr_t)u[i].ind;
        w[i].region = u[i].region;
        w[i].month = u[i].month;
        if (u[i].ratio) {
            r[i].numerator = u[i].a;
            r[i].denominator = u[i].b;
            w[i].value_case = HRSS__UPDATE__VALUE_RATIO;
            w[i].ratio = &r[i];
        } else {
            w[i].value_case = HRSS__UPDATE__VALUE_COUNT;
            w[i].count = u[i].a;
        }
        wp[i] = &w[i];
    }
    b.name = (char *)(uintptr_t)agent;
    b.region = region;
    b.n_updates = n;
    b.updates = wp;
    if (dry) {
        m.body_case = HRSS__AGENT_MSG__BODY_DRY_RUN;
        m.dry_run = &b;
    } else {
        m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
        m.batch = &b;
    }
    put_msg("ingest", name, &m.base);
}

static void gen_ingest(void)
{
    /* A dry run: a count, a ratio and an "of which" pair. */
    static const upd_t dry[] = {
        {"urban_new_jobs", 330102, 202510, 0, 120, 0},
        {"dispute_mediation_success_rate", 330102, 202510, 1, 8, 10},
        {"professional_technical_talent", 330102, 202510, 0, 50, 0},
        {"senior_title_talent", 330102, 202510, 0, 60, 0},
    };
    put_run("dry-run.bin", "office-330102", 330102, 1, dry, 4, 1);
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    Hrss__Hello h = HRSS__HELLO__INIT;
    h.version = 1;
    h.name = "office-330100";
    h.region = 330100;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    put_msg("ingest", "hello.bin", &m.base);

    Hrss__Ping p = HRSS__PING__INIT;
    p.name = "office-330100";
    m.body_case = HRSS__AGENT_MSG__BODY_PING;
    m.ping = &p;
    put_msg("ingest", "ping.bin", &m.base);

    Hrss__Bye y = HRSS__BYE__INIT;
    y.name = "office-330100";
    m.body_case = HRSS__AGENT_MSG__BODY_BYE;
    m.bye = &y;
    put_msg("ingest", "bye.bin", &m.base);

    static const upd_t counts[] = {
        {"urban_new_jobs", 330100, 202510, 0, 1234, 0},
        {"pension_insured", 330102, 202510, 0, 5000000, 0},
        {"professional_technical_talent", 330106, 202510, 0, 90000, 0},
        {"senior_title_talent", 330106, 202510, 0, 8000, 0},
        {"postdoc_recruits", 330100, 202509, 0, 12, 0},
        {"urban_new_jobs", 330100, 202510, 0, 1240, 0}, /* a revision */
    };
    put_batch("batch-counts.bin", "office-330100", 330100, 1, counts,
              sizeof counts / sizeof counts[0]);

    static const upd_t ratios[] = {
        {"dispute_mediation_success_rate", 330100, 202510, 1, 45, 50},
        {"urban_surveyed_unemployment_rate", 330105, 202510, 1, 48, 1000},
        {"e_social_security_card_coverage", 330110, 202512, 1, 7, 10},
    };
    put_batch("batch-ratios.bin", "office-330100", 330100, 1, ratios,
              sizeof ratios / sizeof ratios[0]);

    /* Each figure breaks one rule of common/update. */
    static const upd_t bad[] = {
        {"no_such_indicator", 330100, 202510, 0, 1, 0},
        {"urban_new_jobs", 999999, 202510, 0, 1, 0},
        {"urban_new_jobs", 330200, 202510, 0, 1, 0},
        {"urban_new_jobs", 330100, 202513, 0, 1, 0},
        {"urban_new_jobs", 330100, 202601, 0, 1, 0},
        {"urban_new_jobs", 330100, 202510, 0, -1, 0},
        {"urban_new_jobs", 330100, 202510, 1, 1, 2},
        {"dispute_mediation_success_rate", 330100, 202510, 1, 1, 0},
        {"dispute_mediation_success_rate", 330100, 202510, 1, 3, 2},
        {"urban_new_jobs", 330100, 202510, 0, 1000000000001, 0},
    };
    put_batch("batch-rejected.bin", "office-330100", 330100, 1, bad,
              sizeof bad / sizeof bad[0]);

    /* An "of which" figure above its whole: a violation. */
    static const upd_t viol[] = {
        {"professional_technical_talent", 330102, 202511, 0, 1000, 0},
        {"senior_title_talent", 330102, 202511, 0, 1500, 0},
        {"highly_skilled_talent", 330102, 202511, 0, 20, 0},
    };
    put_batch("batch-violation.bin", "office-330102", 330102, 1, viol,
              sizeof viol / sizeof viol[0]);

    /* A gap (first seq beyond the next expected) and a root office. */
    put_batch("batch-gap.bin", "office-330100", 330100, 7, counts, 2);
    static const upd_t root[] = {
        {"skilled_talent", 330000, 202511, 0, 11000000, 0},
        {"highly_skilled_talent", 330300, 202511, 0, 3900000, 0},
    };
    put_batch("batch-root.bin", "office-330000", 330000, 1, root,
              sizeof root / sizeof root[0]);
}

/* --- query ---------------------------------------------------------------- */

static void put_query(const char *name, Hrss__QueryRequest *q)
{
    put_msg("query", name, &q->base);
}

static void gen_query(void)
{
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    Hrss__TotalQ t = HRSS__TOTAL_Q__INIT;
    t.indicator = "urban_new_jobs";
    t.region = 330100;
    t.period = "2025";
    q.q_case = HRSS__QUERY_REQUEST__Q_TOTAL;
    q.total = &t;
    put_query("total.bin", &q);
    t.indicator = "劳动人事争议调解成功率";
    t.region = 0;
    t.period = "2025-Q2";
    put_query("total-name-root.bin", &q);
    t.indicator = "pension_insured";
    t.region = 330106;
    t.period = "2021..2025";
    put_query("total-range.bin", &q);

    t.indicator = "senior_title_talent";
    t.region = 330100;
    t.period = "2025-06";
    q.q_case = HRSS__QUERY_REQUEST__Q_BREAKDOWN;
    q.total = NULL;
    q.breakdown = &t;
    put_query("breakdown.bin", &q);
    q.breakdown = NULL;

    Hrss__SeriesQ s = HRSS__SERIES_Q__INIT;
    s.indicator = "urban_new_jobs";
    s.region = 0;
    s.from = "2025-01";
    s.to = "2025-12";
    s.by = "month";
    q.q_case = HRSS__QUERY_REQUEST__Q_SERIES;
    q.series = &s;
    put_query("series-month.bin", &q);
    s.indicator = "e_social_security_card_coverage";
    s.from = "2024";
    s.to = "2025-Q4";
    s.by = "quarter";
    put_query("series-quarter.bin", &q);
    s.from = "2021..2022";
    s.to = "2025";
    s.by = "year";
    put_query("series-year.bin", &q);
    q.series = NULL;

    Hrss__HistoryQ h = HRSS__HISTORY_Q__INIT;
    h.indicator = "urban_new_jobs";
    h.region = 330102;
    h.month = "2025-03";
    q.q_case = HRSS__QUERY_REQUEST__Q_HISTORY;
    q.history = &h;
    put_query("history.bin", &q);
    h.has_limit = 1;
    h.limit = 1;
    put_query("history-page.bin", &q);
    q.history = NULL;

    Hrss__RejectionsQ r = HRSS__REJECTIONS_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_REJECTIONS;
    q.rejections = &r;
    put_query("rejections-all.bin", &q);
    r.has_since = 1;
    r.since = 1750000000;
    put_query("rejections-since.bin", &q);
    r.has_limit = 1;
    r.limit = 2;
    put_query("rejections-page.bin", &q);
    q.rejections = NULL;

    Hrss__AgentsQ a = HRSS__AGENTS_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    q.agents = &a;
    put_query("agents.bin", &q);
    a.has_limit = 1;
    a.limit = 2;
    put_query("agents-page.bin", &q);
    q.agents = NULL;

    Hrss__ViolationsQ v = HRSS__VIOLATIONS_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_VIOLATIONS;
    q.violations = &v;
    put_query("violations-all.bin", &q);
    v.period = "2025";
    v.has_region = 1;
    v.region = 330100;
    put_query("violations-period-region.bin", &q);
    v.has_limit = 1;
    v.limit = 1;
    put_query("violations-page.bin", &q);
    q.violations = NULL;

    Hrss__FactsQ f = HRSS__FACTS_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    q.facts = &f;
    put_query("facts-all.bin", &q);
    f.from = "2025-02";
    f.to = "2025-Q2";
    put_query("facts-range.bin", &q);
    f.has_limit = 1;
    f.limit = 5;
    put_query("facts-page.bin", &q);
    q.facts = NULL;

    Hrss__CatalogQ c = HRSS__CATALOG_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_CATALOG;
    q.catalog = &c;
    put_query("catalog.bin", &q);
    q.catalog = NULL;

    Hrss__CompletenessQ k = HRSS__COMPLETENESS_Q__INIT;
    k.period = "2025-08";
    q.q_case = HRSS__QUERY_REQUEST__Q_COMPLETENESS;
    q.completeness = &k;
    put_query("completeness-root.bin", &q);
    k.period = "2025";
    k.has_region = 1;
    k.region = 330100;
    put_query("completeness-region.bin", &q);
    k.has_limit = 1;
    k.limit = 3;
    put_query("completeness-page.bin", &q);
    q.completeness = NULL;

    Hrss__OutliersQ o = HRSS__OUTLIERS_Q__INIT;
    o.period = "2025";
    q.q_case = HRSS__QUERY_REQUEST__Q_OUTLIERS;
    q.outliers = &o;
    put_query("outliers-year.bin", &q);
    o.period = "2021..2025";
    o.has_region = 1;
    o.region = 330100;
    o.has_limit = 1;
    o.limit = 1;
    put_query("outliers-page.bin", &q);
    q.outliers = NULL;

    /* Refused by the target's collector, which has no --backup-dir. */
    Hrss__BackupQ b = HRSS__BACKUP_Q__INIT;
    b.dest = "nightly";
    q.q_case = HRSS__QUERY_REQUEST__Q_BACKUP;
    q.backup = &b;
    put_query("backup.bin", &q);
    q.backup = NULL;

    /* Issue 14: as of a moment, what changed, the chain's head, the
     * offices' counts. */
    t.indicator = "pension_insured";
    t.region = 330100;
    t.period = "2021";
    q.q_case = HRSS__QUERY_REQUEST__Q_TOTAL;
    q.total = &t;
    q.has_as_of = 1;
    q.as_of = 1764000000;
    put_query("total-as-of.bin", &q);
    q.total = NULL;
    q.has_as_of = 0;
    Hrss__DiffQ d = HRSS__DIFF_Q__INIT;
    d.from = 1;
    d.to = 1764000000;
    d.has_region = 1;
    d.region = 330100;
    q.q_case = HRSS__QUERY_REQUEST__Q_DIFF;
    q.diff = &d;
    put_query("diff.bin", &q);
    q.diff = NULL;
    Hrss__AuditHeadQ ah = HRSS__AUDIT_HEAD_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_AUDIT_HEAD;
    q.audit_head = &ah;
    put_query("audit-head.bin", &q);
    q.audit_head = NULL;
    Hrss__ReconcileQ rq = HRSS__RECONCILE_Q__INIT;
    rq.has_region = 1;
    rq.region = 330102;
    rq.period = "2025";
    q.q_case = HRSS__QUERY_REQUEST__Q_RECONCILE;
    q.reconcile = &rq;
    put_query("reconcile.bin", &q);
    q.reconcile = NULL;
}

/* --- csvin ---------------------------------------------------------------- */

static void put_gbk(const char *name, const char *utf8)
{
    iconv_t cd = iconv_open("GBK", "UTF-8");
    if (cd == (iconv_t)-1) {
        die("iconv_open", "GBK");
    }
    size_t in_left = strlen(utf8);
    size_t cap = in_left * 2 + 16;
    char *out = malloc(cap);
    if (out == NULL) {
        abort();
    }
    char *in = (char *)(uintptr_t)utf8;
    char *o = out;
    size_t out_left = cap;
    if (iconv(cd, &in, &in_left, &o, &out_left) == (size_t)-1) {
        die("iconv", name);
    }
    iconv_close(cd);
    put("csvin", name, out, cap - out_left);
    free(out);
}

static void gen_csvin(void)
{
    put_text("csvin", "codes.csv",
             "indicator,period,value,numerator,denominator,region\n"
             "urban_new_jobs,2025-10,1234,,,\n"
             "pension_insured,2025-10,\"12,000\",,,330102\n"
             "dispute_mediation_success_rate,2025-09,,45,50,330105\n"
             "e_social_security_card_coverage,2025-12,,7,10,330105\n");
    put_text("csvin", "bom-crlf-names.csv",
             "\xEF\xBB\xBF"
             "指标,月份,数值,分子,分母\r\n"
             "城镇新增就业人数,2025/10,12,,\r\n"
             "\r\n"
             "劳动人事争议调解成功率,202509,,80,90\r\n"
             "其中:高级职称人才数量,2025-08-01,3,,\r\n"
             "高级职称人才数量,2025/7/31,4,,\r\n");
    put_text("csvin", "ratios-quoted.csv",
             "Region,Indicator,Period,Numerator,Denominator\n"
             "330100,\"urban_surveyed_unemployment_rate\",2025-11,48,1000\n"
             "\"330110\",arbitration_closure_rate,\"2025-11\",\"1,200\","
             "\"1,300.00\"\n");
    put_text("csvin", "bad-rows.csv",
             "indicator,period,value\n"
             "no_such_indicator,2025-10,1\n"
             "urban_new_jobs,2026-01,1\n"
             "urban_new_jobs,2025-13,-1\n"
             "urban_new_jobs,2025-10\n");
    put_gbk("gbk.csv", "指标,月份,数值,地区代码\r\n"
                       "城镇新增就业人数,2025-10,1200,330102\r\n"
                       "技能人才总量,2025-09,350000,\r\n"
                       "其中:高级职称人才数量,2025-08,3,330100\r\n");
}

/* --- catalog and config --------------------------------------------------- */

static void gen_catalog(void)
{
    static const char *const files[] = {"indicators.csv", "regions.csv",
                                        "plan.csv", "targets.csv"};
    for (int i = 0; i < 4; i++) {
        char rel[64];
        char name[64];
        size_t len = 0;
        snprintf(rel, sizeof rel, "catalog/%s", files[i]);
        char *data = slurp(rel, &len);
        char *buf = malloc(len + 1);
        if (buf == NULL) {
            abort();
        }
        buf[0] = (char)('0' + i); /* the target's selector byte */
        memcpy(buf + 1, data, len);
        snprintf(name, sizeof name, "%d-%s", i, files[i]);
        put("catalog", name, buf, len + 1);
        free(buf);
        free(data);
    }
}

static void gen_config(void)
{
    static const char *const files[] = {"collector.ini", "agent.ini"};
    for (int i = 0; i < 2; i++) {
        char rel[64];
        size_t len = 0;
        snprintf(rel, sizeof rel, "deploy/%s", files[i]);
        char *data = slurp(rel, &len);
        put("config", files[i], data, len);
        free(data);
    }
    put_text("config", "syntax.ini",
             "; every form the reader takes\r\n"
             "verbose = yes\r\n"
             "catalog=/usr/share/hrss/catalog\n"
             "\n"
             "[ agent ]\n"
             "  name = \"office \\\"330100\\\" \\\\ main\"  \n"
             "region = 330100\n"
             "tz-offset-hours = 8\n"
             "[collector]\n"
             "data-dir = /var/lib/hrss#not-a-comment\n"
             "insecure = off\n"
             "map-max-mib =\n"
             "[agent]\n"
             "insecure = true\n"
             "# the end, without a final newline\n"
             "state-dir = /var/lib/hrss/agent");
}

/* Names and messages as they come: the first byte is text too, and its
 * value also picks the target's flags and a small capacity. */
static void gen_text(void)
{
    put_text("text", "ascii.txt", "office-330100");
    put_text("text", "chinese.txt", "杭州市 劳动人事争议调解成功率");
    put_text("text", "blanks.txt", " \t key = value \t ");
    put_text("text", "lines.txt", "!first line\nsecond\r\nthird\n");
    put_text("text", "escape.txt", "a\x1b[2J\x1b]0;title\x07\x7f\xc2\x85" "b");
    /* overlong '/', a surrogate, past U+10FFFF, a cut 3-byte character,
     * a lone continuation byte, bytes that start nothing */
    put_text("text", "bad-utf8.txt",
             "#\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe4\xb8 \x80 "
             "\xfe\xff end");
}

/* hrss-web's requests as fuzz_web reads them: PATH?QUERY, the query
 * split on '&' and '=' as received (no %-decoding: libmicrohttpd's). */
static void gen_web(void)
{
    put_text("web", "total.txt",
             "/api/total?indicator=urban_new_jobs&period=2025-Q1&region="
             "330100");
    put_text("web", "total-zh.txt",
             "/api/total?indicator=城镇新增就业人数&period=2025&region=杭州市");
    put_text("web", "breakdown.txt",
             "/api/breakdown?indicator=pension_insured&period=2025");
    put_text("web", "series.txt",
             "/api/series?indicator=dispute_mediation_success_rate&from="
             "2025-01&to=2025-12&by=quarter&region=330102");
    put_text("web", "progress.txt", "/api/progress?period=2025-06");
    put_text("web", "completeness.txt",
             "/api/completeness?period=2025-03&region=330100");
    put_text("web", "history.txt",
             "/api/history?indicator=urban_new_jobs&region=330102&period="
             "2025-01");
    put_text("web", "lists.txt", "/api/rejections?since=2025-01-01");
    put_text("web", "violations.txt", "/api/violations?period=2025");
    put_text("web", "outliers.txt", "/api/outliers?period=2025&region=330100");
    put_text("web", "regions.txt", "/api/regions?under=330100");
    put_text("web", "agents.txt", "/api/agents");
    put_text("web", "file.txt", "/vendor/echarts/LICENSE");
    put_text("web", "as-of.txt",
             "/api/progress?period=2025&as_of=2025-11-26T12:00:00+08:00");
    put_text("web", "bad.txt",
             "/api/total?indicator=&period=2025&period=2026&x&region=0");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fuzz_gen_corpus SOURCE_DIR OUT_DIR\n");
        return 64;
    }
    src_dir = argv[1];
    out_dir = argv[2];
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        die("cannot create", out_dir);
    }
    gen_ingest();
    gen_query();
    gen_csvin();
    gen_catalog();
    gen_config();
    gen_text();
    gen_web();
    return 0;
}
