/* chain_verify.c: store_audit_verify(), the proof that no accepted figure,
 * approval action or comment was altered, dropped or slipped in after the
 * collector accepted it (`hrssctl audit verify`).
 *
 * Design
 * ------
 * One read snapshot walks the chain's links from position 1: each
 * link's seal and layout, its first position (no gap, no overlap), each
 * record it covers (present) and its h(pos), recomputed from the previous
 * link's stored hash over the records as stored, against the record's
 * 8-byte digest (chain.h). The first record that does not match is named
 * by position and in words; its link's later records are only looked up
 * (their digests follow from the damaged one). A link whose records all
 * match their digests but not its stored 32-byte hash had that hash
 * changed: named, and the walk goes on from the records' hash. Otherwise
 * it goes on from the stored hash, so each damaged link is named once
 * rather than every link after it.
 * The covered keys are gathered per table (ids of audit and approvals_log,
 * keys of comments), sorted, and each table is then walked in key order
 * against them: a record in no link, or in two, is named. The audit walk
 * also replays the facts: each audit record's cell has a fact set by it or
 * by a later record, the one that set it has its value and time, and every
 * fact is matched by one. Then the read snapshot ends and
 * verify_derived_txn() compares the aggregates with a recomputation from
 * the facts (in a scratch transaction, hence store_opts_t.check). Last,
 * each distinct receipt (position, head) must be a link of the chain with
 * that hash.
 *
 * What it proves and what not: ARCHITECTURE.md "The audit chain".
 *
 * INVARIANTS
 *   1. Writes nothing: the read snapshot and verify_derived_txn()'s
 *      scratch transaction are both aborted.
 *   2. ERR_OK only when no problem was reported; each problem is one line
 *      to the caller's fn and counted.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "common/period.h"
#include "store/chain.h"
#include "store/codec.h"
#include "store/derive.h"
#include "store/env.h"
#include "store/rec.h"

/* A comments key, copied out of LMDB. */
typedef struct ckey {
    uint16_t len;
    uint8_t k[2 + CATALOG_CODE_MAX + 1 + 4 + 4 + 8];
} ckey_t;

typedef struct vctx {
    store_t *s;
    const store_audit_opts_t *o;
    MDB_txn *txn;
    store_problem_fn fn;
    void *arg;
    store_audit_counts_t *n;
    uint64_t *ids[2];        /* audit, approvals_log ids in the chain */
    size_t n_ids[2];
    ckey_t *ck;              /* comments keys in the chain */
    size_t n_ck;
    buf_t kb;
} vctx_t;

static void problem(vctx_t *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(vctx_t *v, const char *fmt, ...)
{
    char line[ERR_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    v->n->problems++;
    if (v->fn != NULL) {
        v->fn(line, v->arg);
    }
}

/* "2025-11-03T10:00:00+08:00" of @p t at @p tz seconds east of UTC. */
static void time_text(int64_t t, long tz, char *out, size_t cap)
{
    time_t lt = (time_t)(t + tz);
    struct tm tm;
    if (gmtime_r(&lt, &tm) == NULL) {
        snprintf(out, cap, "%lld", (long long)t);
        return;
    }
    long a = tz < 0 ? -tz : tz;
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, tz < 0 ? '-' : '+',
             (int)(a / 3600 % 24),
             (int)(a % 3600 / 60));
}

/* The Chinese name of indicator @p code, or the code. */
static const char *ind_name(const store_t *s, const char *code)
{
    int i = catalog_indicator_find(s->cat, code);
    return i >= 0 ? catalog_indicator(s->cat, (size_t)i)->name_zh : code;
}

/* Words for the record @p type under key @p k with sealed value @p sd (NULL:
 * absent): "audit record 987: 新增城镇就业 330102 2025-10, from agent-hz
 * at 2025-11-03T10:00:00+08:00". */
static void describe(const vctx_t *v, enum chain_type type, const MDB_val *k,
                     const MDB_val *sd, char *out, size_t cap)
{
    uint64_t id = 0;
    char when[64];
    char month[PERIOD_STR_LEN];
    if (type != CHAIN_COMMENTS &&
        lmdbh_id_parse(k, CODEC_KEY_V1, &id) == ERR_OK) {
        const char *what = type == CHAIN_AUDIT ? "audit record"
                                               : "approvals_log entry";
        MDB_val d = sd != NULL ? *sd : (MDB_val){0, NULL};
        store_revision_t rev;
        if (type == CHAIN_AUDIT && sd != NULL && d.mv_size > LMDBH_SEAL_LEN) {
            d.mv_size -= LMDBH_SEAL_LEN; /* parse even a re-sealed edit */
            if (codec_parse_audit(k, &d, &rev) == ERR_OK) {
                month_format(rev.month, month, sizeof month);
                time_text(rev.received_at, v->o->tz, when, sizeof when);
                snprintf(out, cap, "%s %llu: %s %u %s, from %s at %s", what,
                         (unsigned long long)id,
                         ind_name(v->s, rev.indicator), rev.region, month,
                         rev.reporter, when);
                return;
            }
        } else if (type == CHAIN_APPROVALS_LOG && sd != NULL &&
                   d.mv_size > LMDBH_SEAL_LEN) {
            buf_reader_t r;
            buf_reader_init(&r, d.mv_data, d.mv_size - LMDBH_SEAL_LEN);
            (void)buf_get_u8(&r);
            uint32_t region = buf_get_u32(&r);
            int32_t m = (int32_t)buf_get_u32(&r);
            uint8_t act = buf_get_u8(&r);
            int64_t at = buf_get_i64(&r);
            const char *by = buf_get_str(&r);
            if (!r.bad) {
                month_format(m, month, sizeof month);
                time_text(at, v->o->tz, when, sizeof when);
                snprintf(out, cap, "%s %llu: %s %u %s, by %s at %s", what,
                         (unsigned long long)id,
                         store_approval_action_name(
                             (enum store_approval_action)act),
                         region, month, by, when);
                return;
            }
        }
        snprintf(out, cap, "%s %llu", what, (unsigned long long)id);
        return;
    }
    char kt[200];
    MDB_val cell = {k->mv_size > 8 ? k->mv_size - 8 : 0, k->mv_data};
    uint64_t n = 0;
    if (type == CHAIN_COMMENTS && k->mv_size > 8) {
        buf_reader_t r;
        buf_reader_init(&r, (const unsigned char *)k->mv_data + cell.mv_size,
                        8);
        n = buf_get_u64(&r);
    }
    codec_key_text(type == CHAIN_COMMENTS ? "facts" : chain_table_name(type),
                   type == CHAIN_COMMENTS ? &cell : k, kt, sizeof kt);
    snprintf(out, cap, "%s %s", type == CHAIN_COMMENTS ? "comment on"
                                                       : chain_table_name(type),
             kt);
    if (n > 0) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, " #%llu", (unsigned long long)n);
    }
}

static void note_ref(vctx_t *v, enum chain_type type, const MDB_val *ref)
{
    uint64_t id = 0;
    if (type == CHAIN_COMMENTS) {
        if (ref->mv_size <= sizeof v->ck[0].k) {
            v->ck = xreallocarray(v->ck, v->n_ck + 1, sizeof *v->ck);
            v->ck[v->n_ck].len = (uint16_t)ref->mv_size;
            memcpy(v->ck[v->n_ck].k, ref->mv_data, ref->mv_size);
            v->n_ck++;
        }
        return;
    }
    if (lmdbh_id_parse(ref, CODEC_KEY_V1, &id) != ERR_OK) {
        return;
    }
    int t = type == CHAIN_AUDIT ? 0 : 1;
    if ((v->n_ids[t] & (v->n_ids[t] - 1)) == 0) { /* grow at powers of 2 */
        v->ids[t] = xreallocarray(v->ids[t], v->n_ids[t] ? v->n_ids[t] * 2
                                                         : 1024,
                                  sizeof *v->ids[t]);
    }
    v->ids[t][v->n_ids[t]++] = id;
}

/* One record of a link: present, and (while @p *hashing) its h(pos)
 * from @p h against its digest. The first record that does not match
 * stops the hashing for the rest of the link (its later digests follow
 * from the damaged one). */
static int walk_record(vctx_t *v, const chain_link_t *l, size_t i,
                       enum chain_type type, const MDB_val *ref,
                       uint8_t h[CHAIN_HASH_LEN], int *hashing)
{
    uint64_t pos = l->first + i;
    MDB_dbi dbi = chain_table(v->s, type);
    MDB_val rk = *ref;
    MDB_val rd;
    int mrc = dbi == 0 ? MDB_NOTFOUND : mdb_get(v->txn, dbi, &rk, &rd);
    char what[ERR_LEN];
    if (mrc == MDB_NOTFOUND) {
        describe(v, type, ref, NULL, what, sizeof what);
        problem(v, "chain position %llu (%s): the record is missing",
                (unsigned long long)pos, what);
        *hashing = 0;
    } else if (mrc != MDB_SUCCESS) {
        return lmdbh_code(mrc);
    } else if (*hashing) {
        chain_hash(h, pos, type, ref, &rd, h);
        if (memcmp(h, l->digests + i * CHAIN_DIGEST_LEN,
                   CHAIN_DIGEST_LEN) != 0) {
            describe(v, type, ref, &rd, what, sizeof what);
            problem(v, "chain position %llu (%s): hash does not match",
                    (unsigned long long)pos, what);
            *hashing = 0;
        }
    }
    note_ref(v, type, ref);
    return ERR_OK;
}

/* The walk of the chain (design, first paragraph). */
static int walk_chain(vctx_t *v)
{
    store_t *s = v->s;
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(v->txn, s->chain, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    uint8_t prev[CHAIN_HASH_LEN] = {0};
    uint64_t expect = 1;
    MDB_val k;
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        uint64_t pos = 0;
        chain_link_t l;
        char kt[64];
        v->n->chain_records++;
        if (lmdbh_id_parse(&k, CODEC_KEY_V1, &pos) != ERR_OK) {
            problem(v, "chain: key %s: not a chain position",
                    lmdbh_key_text(&k, kt, sizeof kt));
        } else if (lmdbh_unseal(&k, &d) != ERR_OK) {
            problem(v, "chain position %llu: checksum mismatch",
                    (unsigned long long)pos);
        } else if (chain_link_parse(&k, &d, &l) != ERR_OK) {
            problem(v, "chain position %llu: malformed link",
                    (unsigned long long)pos);
        } else {
            /* After a gap or an overlap h(first - 1) is not known: the
             * records are only looked up, and the walk goes on from the
             * link's stored hash. */
            int hashing = l.first == expect;
            if (l.first > expect) {
                problem(v, "chain position %llu: positions %llu..%llu are "
                        "missing", (unsigned long long)l.first,
                        (unsigned long long)expect,
                        (unsigned long long)(l.first - 1));
            } else if (l.first < expect) {
                problem(v, "chain positions %llu..%llu: the link overlaps "
                        "the one before it (up to %llu)",
                        (unsigned long long)l.first,
                        (unsigned long long)l.end,
                        (unsigned long long)(expect - 1));
            }
            uint8_t h[CHAIN_HASH_LEN];
            memcpy(h, prev, sizeof h);
            chain_refs_t it;
            enum chain_type type;
            MDB_val ref;
            chain_refs_begin(&it, &l);
            for (size_t i = 0; rc == ERR_OK && chain_refs_next(&it, &type,
                                                               &ref); i++) {
                v->n->links++;
                rc = walk_record(v, &l, i, type, &ref, h, &hashing);
            }
            if (rc != ERR_OK) {
                break;
            }
            if (hashing && memcmp(h, l.hash, CHAIN_HASH_LEN) != 0) {
                /* Every record matches its digest: the stored hash was
                 * changed. Go on from the records' hash, which the next
                 * link was chained to. */
                problem(v, "chain positions %llu..%llu: the link's hash "
                        "is not its records' (every record matches its "
                        "digest: the hash was changed)",
                        (unsigned long long)l.first,
                        (unsigned long long)l.end);
                memcpy(prev, h, CHAIN_HASH_LEN);
            } else {
                memcpy(prev, l.hash, CHAIN_HASH_LEN);
            }
            memcpy(v->n->head, l.hash, CHAIN_HASH_LEN);
            v->n->position = l.end;
            expect = l.end + 1;
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_ckey(const void *a, const void *b)
{
    const ckey_t *x = a;
    const ckey_t *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->k, y->k, n);
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* The audit record @p rev against its cell's fact: *@p why is NULL when
 * it holds, else what is wrong (with *@p older for "older"). */
static int check_fact(vctx_t *v, const store_revision_t *rev,
                      const char **why, uint64_t *older)
{
    codec_fact_t f;
    int found = 0;
    *why = NULL;
    int rc = derive_get_fact(v->txn, v->s->facts, &v->kb, rev->indicator,
                             rev->region, rev->month, &f, &found);
    if (rc == ERR_CORRUPT) {
        *why = "its cell's fact is damaged";
        return ERR_OK;
    }
    if (rc != ERR_OK) {
        return rc;
    }
    if (!found) {
        *why = "its cell has no fact";
    } else if (f.audit_id < rev->audit_id) {
        *why = "its cell's fact is older";
        *older = f.audit_id;
    } else if (f.audit_id == rev->audit_id) {
        if (f.v.is_ratio != rev->new_value.is_ratio ||
            f.v.num != rev->new_value.num ||
            (f.v.is_ratio && f.v.den != rev->new_value.den) ||
            f.received_at != rev->received_at) {
            *why = "its cell's fact does not hold its value";
        } else {
            v->n->facts++;
        }
    }
    return ERR_OK;
}

/* Walk table @p type in key order against the keys the chain covers
 * (design, second paragraph); the audit walk replays the facts too. */
static int walk_table(vctx_t *v, enum chain_type type)
{
    MDB_dbi dbi = chain_table(v->s, type);
    if (dbi == 0) {
        return ERR_OK;
    }
    int t = type == CHAIN_AUDIT ? 0 : 1;
    size_t have = type == CHAIN_COMMENTS ? v->n_ck : v->n_ids[t];
    size_t at = 0; /* the next covered key not yet met */
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(v->txn, dbi, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    MDB_val k;
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        v->n->records++;
        ckey_t ck = {0};
        uint64_t id = 0;
        int in = 0;
        if (type == CHAIN_COMMENTS) {
            ck.len = (uint16_t)(k.mv_size <= sizeof ck.k ? k.mv_size : 0);
            memcpy(ck.k, k.mv_data, ck.len);
            while (at < have && cmp_ckey(&v->ck[at], &ck) < 0) {
                at++;
            }
            in = at < have && cmp_ckey(&v->ck[at], &ck) == 0;
        } else if (lmdbh_id_parse(&k, CODEC_KEY_V1, &id) == ERR_OK) {
            while (at < have && v->ids[t][at] < id) {
                at++;
            }
            in = at < have && v->ids[t][at] == id;
        }
        int dup = in && at + 1 < have &&
                  (type == CHAIN_COMMENTS ? cmp_ckey(&v->ck[at + 1], &ck) == 0
                                          : v->ids[t][at + 1] == id);
        const char *why = NULL;
        uint64_t older = 0;
        int bad = 0;
        MDB_val ud = d;
        store_revision_t rev;
        if (type == CHAIN_AUDIT && lmdbh_unseal(&k, &ud) == ERR_OK &&
            codec_parse_audit(&k, &ud, &rev) == ERR_OK) {
            rc = check_fact(v, &rev, &why, &older);
        } else if (type == CHAIN_AUDIT) {
            bad = 1;
        }
        if (!in || dup || why != NULL || bad) {
            /* Words only for a record with a problem: most have none. */
            char what[ERR_LEN];
            describe(v, type, &k, &d, what, sizeof what);
            if (!in) {
                problem(v, "%s: in no link of the chain (written behind the "
                        "collector's back)", what);
            }
            if (dup) {
                problem(v, "%s: in more than one link of the chain", what);
            }
            if (bad) {
                problem(v, "%s: checksum mismatch or malformed", what);
            }
            if (why != NULL && older != 0) {
                problem(v, "%s: %s (audit record %llu)", what, why,
                        (unsigned long long)older);
            } else if (why != NULL) {
                problem(v, "%s: %s", what, why);
            }
        }
        if (rc == ERR_OK) {
            mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
        }
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

/* Facts not matched by their audit record: find and name them. */
static int unmatched_facts(vctx_t *v)
{
    MDB_stat st;
    int rc = lmdbh_code(mdb_stat(v->txn, v->s->facts, &st));
    if (rc != ERR_OK || st.ms_entries == v->n->facts) {
        return rc;
    }
    MDB_cursor *cur = NULL;
    rc = lmdbh_code(mdb_cursor_open(v->txn, v->s->facts, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    MDB_val k;
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
    while (mrc == MDB_SUCCESS) {
        codec_fact_t f;
        char kt[200];
        codec_key_text("facts", &k, kt, sizeof kt);
        if (lmdbh_unseal(&k, &d) != ERR_OK ||
            codec_parse_fact(&d, &f) != ERR_OK) {
            problem(v, "fact %s: checksum mismatch or malformed", kt);
        } else {
            lmdbh_id_key(&v->kb, CODEC_KEY_V1, f.audit_id);
            MDB_val ak = lmdbh_val(&v->kb);
            MDB_val ad;
            int m2 = mdb_get(v->txn, v->s->audit, &ak, &ad);
            store_revision_t rev;
            if (m2 != MDB_SUCCESS) {
                problem(v, "fact %s: its audit record %llu is missing", kt,
                        (unsigned long long)f.audit_id);
            } else if (lmdbh_unseal(&ak, &ad) != ERR_OK ||
                       codec_parse_audit(&ak, &ad, &rev) != ERR_OK ||
                       f.received_at != rev.received_at ||
                       f.v.num != rev.new_value.num ||
                       f.v.den != rev.new_value.den) {
                problem(v, "fact %s: not the value of its audit record "
                        "%llu", kt, (unsigned long long)f.audit_id);
            }
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

static int cmp_receipt(const void *a, const void *b)
{
    const store_receipt_t *x = *(const store_receipt_t *const *)a;
    const store_receipt_t *y = *(const store_receipt_t *const *)b;
    if (x->position != y->position) {
        return x->position < y->position ? -1 : 1;
    }
    int c = memcmp(x->head, y->head, STORE_HASH_LEN);
    return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* Receipt @p x against the link that covers its position: the link must
 * end there (an Ack reports the position after a commit, and a
 * transaction's records end its last link) with the receipt's hash. */
static int receipt_link(vctx_t *v, const store_receipt_t *x,
                        const char *who)
{
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(v->txn, v->s->chain, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    lmdbh_id_key(&v->kb, CODEC_KEY_V1, x->position);
    MDB_val k = lmdbh_val(&v->kb);
    MDB_val d;
    chain_link_t l;
    unsigned long long pos = (unsigned long long)x->position;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    if (mrc == MDB_NOTFOUND) {
        mrc = MDB_SUCCESS;
        problem(v, "%s: position %llu is not in the chain", who, pos);
    } else if (mrc == MDB_SUCCESS &&
               (lmdbh_unseal(&k, &d) != ERR_OK ||
                chain_link_parse(&k, &d, &l) != ERR_OK)) {
        problem(v, "%s: position %llu is damaged", who, pos); /* named */
    } else if (mrc == MDB_SUCCESS && l.first > x->position) {
        problem(v, "%s: position %llu is not in the chain", who, pos);
    } else if (mrc == MDB_SUCCESS && l.end != x->position) {
        problem(v, "%s: position %llu is inside the link of positions "
                "%llu..%llu, where no commit ended: not a position the "
                "collector acknowledged", who, pos,
                (unsigned long long)l.first, (unsigned long long)l.end);
    } else if (mrc == MDB_SUCCESS &&
               memcmp(l.hash, x->head, STORE_HASH_LEN) != 0) {
        problem(v, "%s: position %llu has another hash than the "
                "collector acknowledged: the chain was rewritten "
                "(edited, or restored and written since)", who, pos);
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

/* Each distinct receipt against the chain: its position must be there,
 * with its hash (the first line of each is named). */
static int check_receipts(vctx_t *v)
{
    size_t n = v->o->n_receipts;
    if (n == 0) {
        return ERR_OK;
    }
    const store_receipt_t **r = xcalloc(n, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        r[i] = &v->o->receipts[i];
    }
    qsort(r, n, sizeof *r, cmp_receipt);
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        if (i > 0 && r[i]->position == r[i - 1]->position &&
            memcmp(r[i]->head, r[i - 1]->head, STORE_HASH_LEN) == 0) {
            continue;
        }
        v->n->receipts++;
        const store_receipt_t *x = r[i];
        char who[200];
        snprintf(who, sizeof who, "receipt line %lu (%s, acked %s)",
                 x->line, x->reporter[0] ? x->reporter : "?",
                 x->acked_at[0] ? x->acked_at : "?");
        if (x->position > v->n->position) {
            problem(v, "%s: position %llu is beyond the chain's length "
                    "%llu: the store lost records the collector had "
                    "acknowledged (restored from an older backup?)", who,
                    (unsigned long long)x->position,
                    (unsigned long long)v->n->position);
            continue;
        }
        rc = receipt_link(v, x, who);
    }
    free(r);
    return rc;
}

/* The read snapshot's part: chain, tables, facts, receipts. */
static int verify_snapshot(vctx_t *v, char err[ERR_LEN])
{
    int rc = env_txn_begin(v->s, MDB_RDONLY, &v->txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    rc = walk_chain(v);
    if (rc == ERR_OK) {
        for (int t = 0; t < 2; t++) {
            if (v->n_ids[t] > 1) { /* NULL with none: qsort needs a base */
                qsort(v->ids[t], v->n_ids[t], sizeof *v->ids[t], cmp_u64);
            }
        }
        if (v->n_ck > 1) {
            qsort(v->ck, v->n_ck, sizeof *v->ck, cmp_ckey);
        }
    }
    static const enum chain_type order[] = {CHAIN_AUDIT, CHAIN_APPROVALS_LOG,
                                            CHAIN_COMMENTS};
    for (size_t i = 0; rc == ERR_OK && i < 3; i++) {
        rc = walk_table(v, order[i]);
    }
    if (rc == ERR_OK) {
        rc = unmatched_facts(v);
    }
    if (rc == ERR_OK) {
        rc = check_receipts(v);
    }
    env_txn_abort(v->s, &v->txn);
    if (rc != ERR_OK) {
        rec_fail(v->s->file, "audit verify", rc, err);
    }
    return rc;
}

int store_audit_verify(store_t *self, const store_audit_opts_t *o,
                       store_problem_fn fn, void *arg,
                       store_audit_counts_t *counts, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    store_audit_opts_t none = {0};
    vctx_t v = {.s = self, .o = o != NULL ? o : &none, .fn = fn,
                .arg = arg, .n = counts};
    memset(counts, 0, sizeof *counts);
    counts->chain_present = self->has_chain;
    if (self->readonly) {
        snprintf(err, ERR_LEN, "audit verify needs a store opened for a "
                               "check (the aggregates' recomputation)");
        return ERR_INVAL;
    }
    if (!self->has_chain) {
        problem(&v, "the audit chain is missing: a store from before it "
                    "(start the collector on it once to build it)");
        snprintf(err, ERR_LEN, "%.300s: no audit chain", self->file);
        return ERR_CORRUPT;
    }
    buf_init(&v.kb);
    int rc = verify_snapshot(&v, err);
    uint64_t before = counts->problems;
    if (rc == ERR_OK) {
        char why[ERR_LEN];
        int drc = verify_derived_txn(self, why);
        if (drc == ERR_CORRUPT) {
            problem(&v, "%s", why);
        } else if (drc != ERR_OK) {
            snprintf(err, ERR_LEN, "%s", why);
            rc = drc;
        }
        counts->derived_checked = drc == ERR_OK || drc == ERR_CORRUPT;
    }
    (void)before;
    free(v.ids[0]);
    free(v.ids[1]);
    free(v.ck);
    buf_fini(&v.kb);
    if (rc == ERR_OK && counts->problems > 0) {
        snprintf(err, ERR_LEN, "%.300s: %llu problem%s in the audit chain, its "
                 "records or what they make", self->file,
                 (unsigned long long)counts->problems,
                 counts->problems == 1 ? "" : "s");
        rc = ERR_CORRUPT;
    }
    return rc;
}
