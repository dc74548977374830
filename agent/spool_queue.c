/* spool_queue.c: the spool's queue (spool.h): append, read, ack, rebase,
 * the rejections and receipts an ack records, and the seen mark (meta
 * "rejections_seen": the highest rejection seq the office was shown by
 * `status` or `flush`; absent in spools made before it, read as 0).
 *
 * Every value written here is sealed and every value read is unsealed
 * before it is parsed (spool_rec.c); a record that fails either is
 * ERR_CORRUPT with a message naming the file, the table and the seq, and
 * is never handed out.
 *
 * The queue holds every seq from acked_next to next_assign - 1 (spool.c
 * INVARIANTS 1 and 2), so a read that does not find its `from` where it
 * belongs, finds a record it cannot read, or finds a key past next_assign
 * meets damage, not a gap: it says which updates cannot be sent
 * (read_run), and the sender stops instead of looping on the collector's
 * gap answers.
 *
 * INVARIANTS
 *   1. spool_append numbers consecutively from next_assign and moves it
 *      past them in the same transaction (asserted).
 *   2. After spool_ack(N) commits, nothing below N is queued (asserted in
 *      debug builds: queue_first_at_least()).
 *   3. spool_read hands out only records whose seal and layout checked,
 *      with consecutive seqs; on failure it hands out nothing.
 *   4. Each public function that writes is one transaction: on failure
 *      nothing of it is kept.
 *   5. The seen mark only rises (spool_mark_seen), except in
 *      spool_rebase, which lowers it below the renumbered seqs.
 */
#include "agent/spool_int.h"

#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/lmdbh.h"
#include "common/mem.h"

/* Queue @p u[0..n-1] numbered from next_assign on, and record @p source
 * (may be NULL); all in @p txn. @p first receives the first number.
 * ERR_FULL with *exhausted set: next_assign (from a rebase or from disk)
 * leaves no room for n more numbers below 2^64; they never wrap. */
static int append_in(spool_t *self, MDB_txn *txn, spool_update_t *u,
                     size_t n, const char *source, uint64_t *first,
                     int *exhausted, char err[ERR_LEN])
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    uint64_t next = 1;
    int rc = spool_meta_get(self, txn, "next_assign", &next, err);
    *exhausted = rc == ERR_OK && n > UINT64_MAX - next;
    if (*exhausted) {
        rc = ERR_FULL;
    }
    *first = next;
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        u[i].seq = next + i;
        /* INVARIANT 1: consecutive, and all below the new next_assign. */
        assert(i == 0 || u[i].seq == u[i - 1].seq + 1);
        assert(u[i].seq < next + n);
        spool_key_seq(&k, u[i].seq);
        buf_reset(&v);
        buf_put_u8(&v, SPOOL_REC_V1);
        spool_put_update(&v, &u[i]);
        MDB_val kv = lmdbh_val(&k);
        rc = spool_put(self, txn, SPOOL_T_QUEUE, &kv, &v, MDB_APPEND);
    }
    if (rc == ERR_OK) {
        rc = spool_meta_put(self, txn, "next_assign", next + n);
    }
    if (rc == ERR_OK) {
        rc = spool_cells_record(self, txn, u, n, next);
    }
    if (rc == ERR_OK && source != NULL) {
        buf_reset(&v);
        buf_put_u8(&v, SPOOL_REC_V1);
        buf_put_i64(&v, (int64_t)time(NULL));
        MDB_val kv = {strlen(source), (void *)(uintptr_t)source};
        rc = spool_put(self, txn, SPOOL_T_SOURCES, &kv, &v, 0);
    }
    buf_fini(&k);
    buf_fini(&v);
    return rc;
}

int spool_append(spool_t *self, spool_update_t *u, size_t n,
                 const char *source, uint64_t *first, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    assert(!self->readonly);
    MDB_txn *txn = NULL;
    uint64_t next = 0;
    int exhausted = 0;
    err[0] = '\0';
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, 0, &txn));
    if (rc == ERR_OK) {
        rc = append_in(self, txn, u, n, source, &next, &exhausted, err);
    }
    int mrc = MDB_SUCCESS;
    rc = spool_finish(&txn, rc, &mrc);
    if (rc == ERR_OK) {
        /* Wake a sender (inotify IN_CLOSE_WRITE); best effort: a sender
         * that misses it finds the updates at its next timer. */
        int fd = open(self->notify_path, O_WRONLY | O_CREAT | O_TRUNC |
                      O_CLOEXEC, 0640);
        if (fd >= 0) {
            close(fd);
        }
    }
    if (exhausted) {
        snprintf(err, ERR_LEN,
                 "cannot queue updates: sequence numbers exhausted");
    } else if (rc == ERR_FULL) {
        snprintf(err, ERR_LEN,
                 "cannot queue updates: the spool is full (its limit is "
                 "%zu MiB)", self->max_bytes >> 20);
    } else {
        spool_say(rc, mrc, "cannot queue updates", err);
    }
    if (first != NULL) {
        *first = rc == ERR_OK ? next : 0;
    }
    return rc;
}

/* Append ": updates F..L cannot be sent" (@p first to @p next - 1; in
 * order, nothing after the damage can be) to the damage message in
 * @p err. @return ERR_CORRUPT. */
static int cannot_send(char err[ERR_LEN], uint64_t first, uint64_t next)
{
    size_t len = strnlen(err, ERR_LEN - 1);
    if (next > first + 1) {
        snprintf(err + len, ERR_LEN - len, ": updates %llu..%llu cannot be "
                                           "sent",
                 (unsigned long long)first, (unsigned long long)(next - 1));
    } else if (next == first + 1) {
        snprintf(err + len, ERR_LEN - len, ": update %llu cannot be sent",
                 (unsigned long long)first);
    }
    return ERR_CORRUPT;
}

/* The record of @p from, which the queue must hold, is not where it
 * belongs. @return ERR_CORRUPT. */
static int missing(const spool_t *s, uint64_t from, uint64_t next,
                   char err[ERR_LEN])
{
    buf_t k;
    buf_init(&k);
    spool_key_seq(&k, from);
    MDB_val kv = lmdbh_val(&k);
    spool_damage(s, SPOOL_T_QUEUE, &kv,
                 "no record (a damaged key or index page)", err);
    buf_fini(&k);
    return cannot_send(err, from, next);
}

/* A queue key that does not parse, met after seq @p prev (0: none):
 * named by the seq it follows, its own bytes in the message. */
static int malformed_key(const spool_t *s, const MDB_val *k, uint64_t prev,
                         char err[ERR_LEN])
{
    char where[40];
    char what[120];
    char text[80];
    snprintf(where, sizeof where, "after seq %llu",
             (unsigned long long)prev);
    lmdbh_key_text(k, text, sizeof text);
    snprintf(what, sizeof what, "malformed key %s",
             text[0] != '\0' ? text : "(empty)");
    return prev > 0 ? spool_damage_at(s, SPOOL_T_QUEUE, where, what, err)
                    : spool_damage(s, SPOOL_T_QUEUE, k, "malformed key",
                                   err);
}

/* Read consecutive records from the cursor's position into @p out.
 * The spool holds every seq from @p acked to @p next - 1: when @p from
 * is one of them and its record is not the first found, it was damaged,
 * not sent. A record that cannot be read ends the run: what was read
 * before it is handed out, and the read from it reports the damage. */
static int read_run(const spool_t *s, MDB_cursor *cur, MDB_val *kv,
                    MDB_val *dv, int mrc, uint64_t from, uint64_t acked,
                    uint64_t next, spool_update_t *out, size_t max,
                    size_t *n, char err[ERR_LEN])
{
    uint64_t seq = 0;
    int in_queue = from >= acked && from < next;
    if (in_queue &&
        (mrc == MDB_NOTFOUND ||
         (mrc == MDB_SUCCESS &&
          (spool_parse_seq(kv, &seq) != ERR_OK || seq != from)))) {
        return missing(s, from, next, err);
    }
    if (mrc == MDB_SUCCESS && spool_parse_seq(kv, &seq) == ERR_OK &&
        seq < from) {
        /* A seek never lands before its key unless an index page is
         * damaged; past the queue too, that would resend old seqs as new
         * ones. */
        char what[96];
        snprintf(what, sizeof what, "found by a seek for seq %llu (an index "
                                    "page is damaged)",
                 (unsigned long long)from);
        return spool_damage(s, SPOOL_T_QUEUE, kv, what, err);
    }
    while (mrc == MDB_SUCCESS && *n < max) {
        if (spool_parse_seq(kv, &seq) != ERR_OK) {
            /* No seq to read from next time: the whole run fails. */
            malformed_key(s, kv, *n > 0 ? out[*n - 1].seq : 0, err);
            return in_queue ? cannot_send(err, from, next) : ERR_CORRUPT;
        }
        if (next > 0 && seq >= next) {
            if (*n > 0) {
                break; /* the read from here says what it is */
            }
            char what[96];
            snprintf(what, sizeof what, "beyond the last assigned seq %llu "
                                        "(a damaged key)",
                     (unsigned long long)(next - 1));
            return spool_damage(s, SPOOL_T_QUEUE, kv, what, err);
        }
        if (spool_get_queued(s, kv, dv, &out[*n], err) != ERR_OK) {
            return *n > 0 ? ERR_OK : cannot_send(err, seq, next);
        }
        /* Stop at a hole: the sender needs consecutive numbers (the next
         * read, from the hole, says what is missing). */
        if (*n > 0 && out[*n].seq != out[*n - 1].seq + 1) {
            break;
        }
        (*n)++;
        mrc = mdb_cursor_get(cur, kv, dv, MDB_NEXT);
    }
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND && *n == 0) {
        int rc = spool_lmdb(s, SPOOL_T_QUEUE, mrc, err);
        return rc == ERR_CORRUPT && in_queue ? cannot_send(err, from, next)
                                             : rc;
    }
    return ERR_OK;
}

int spool_read(spool_t *self, uint64_t from, spool_update_t *out, size_t max,
               size_t *n, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    uint64_t acked = 1;
    uint64_t next = 1;
    *n = 0;
    err[0] = '\0';
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (mrc != MDB_SUCCESS) {
        return spool_fail(mrc, "cannot read spool", err);
    }
    /* Which seqs the spool must hold; when its counters are unreadable
     * (spool_stats reports that), the queue is read without the check. */
    if (spool_meta_get(self, txn, "acked_next", &acked, err) !=
            ERR_OK ||
        spool_meta_get(self, txn, "next_assign", &next, err) !=
            ERR_OK) {
        acked = next = 0;
    }
    mrc = mdb_cursor_open(txn, self->dbi[SPOOL_T_QUEUE], &cur);
    int rc = spool_lmdb(self, SPOOL_T_QUEUE, mrc, err);
    buf_t k;
    buf_init(&k);
    if (rc == ERR_OK && max > 0) {
        spool_key_seq(&k, from);
        MDB_val kv = lmdbh_val(&k);
        MDB_val dv;
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_SET_RANGE);
        rc = read_run(self, cur, &kv, &dv, mrc, from, acked, next, out, max,
                      n, err);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    buf_fini(&k);
    if (rc != ERR_OK) {
        *n = 0;
    }
    return rc;
}

/* Record rejection @p r in @p txn, with a copy of its update when the
 * queue still holds it readable (a damaged one is left out). */
static int put_rejection(MDB_txn *txn, spool_t *self, buf_t *k, buf_t *v,
                         const spool_rejection_t *r)
{
    char ignored[ERR_LEN];
    spool_update_t u;
    int have = 0;
    spool_key_seq(k, r->seq);
    MDB_val kv = lmdbh_val(k);
    MDB_val dv;
    int found = 0;
    int rc = lmdbh_get(txn, self->dbi[SPOOL_T_QUEUE], &kv, &dv, &found);
    if (rc != ERR_OK) {
        return rc;
    }
    if (found) {
        have = spool_get_queued(self, &kv, &dv, &u, ignored) == ERR_OK;
    }
    buf_reset(v);
    buf_put_u8(v, SPOOL_REC_V1);
    buf_put_i64(v, r->at);
    buf_put_u32(v, r->reason);
    buf_put_str(v, r->reason_name);
    buf_put_str(v, r->message);
    buf_put_u8(v, (uint8_t)have);
    if (have) {
        spool_put_update(v, &u);
    }
    return spool_put(self, txn, SPOOL_T_REJECTS, &kv, v, 0);
}

#ifndef NDEBUG
/* Debug check after an ack's deletions in @p txn: the first queued seq is
 * at least @p seq. A key that does not parse is not this check's business
 * (the reader that meets it reports ERR_CORRUPT). */
static int queue_first_at_least(const spool_t *self, MDB_txn *txn,
                                uint64_t seq)
{
    MDB_cursor *cur = NULL;
    MDB_val kv;
    MDB_val dv;
    uint64_t first = 0;
    int ok = 1;
    if (mdb_cursor_open(txn, self->dbi[SPOOL_T_QUEUE], &cur) !=
        MDB_SUCCESS) {
        return 1;
    }
    if (mdb_cursor_get(cur, &kv, &dv, MDB_FIRST) == MDB_SUCCESS &&
        spool_parse_seq(&kv, &first) == ERR_OK) {
        ok = first >= seq;
    }
    mdb_cursor_close(cur);
    return ok;
}
#endif

/* Delete every queued update below @p next_seq in @p txn, each with its
 * receipt (spool_receipts.c: outcome from @p rej, the ack from @p info).
 * A key that does not parse stops it: nothing is deleted past a key we
 * cannot read. */
static int delete_below(spool_t *self, MDB_txn *txn, uint64_t next_seq,
                        const spool_rejection_t *rej, size_t nrej,
                        const spool_ackinfo_t *info, char err[ERR_LEN])
{
    MDB_cursor *cur = NULL;
    MDB_val kv;
    MDB_val dv;
    int rc = lmdbh_code(
        mdb_cursor_open(txn, self->dbi[SPOOL_T_QUEUE], &cur));
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &kv, &dv, MDB_FIRST)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        uint64_t seq = 0;
        if (spool_parse_seq(&kv, &seq) != ERR_OK) {
            rc = malformed_key(self, &kv, 0, err);
            break;
        }
        if (seq >= next_seq) {
            break;
        }
        rc = spool_receipt_put(self, txn, &kv, &dv, rej, nrej, info);
        if (rc == ERR_OK) {
            rc = lmdbh_code(mdb_cursor_del(cur, 0));
        }
        if (rc == ERR_OK) {
            mrc = mdb_cursor_get(cur, &kv, &dv, MDB_NEXT);
        }
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = spool_lmdb(self, SPOOL_T_QUEUE, mrc, err);
    }
    return lmdbh_cursor_end(&cur, rc, MDB_SUCCESS);
}

int spool_ack(spool_t *self, uint64_t next_seq,
              const spool_rejection_t *rej, size_t nrej, char err[ERR_LEN])
{
    return spool_ack_info(self, next_seq, rej, nrej, NULL, err);
}

int spool_ack_info(spool_t *self, uint64_t next_seq,
                   const spool_rejection_t *rej, size_t nrej,
                   const spool_ackinfo_t *info, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    assert(!self->readonly);
    MDB_txn *txn = NULL;
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    err[0] = '\0';
    /* One sync per ack, not LMDB's two: MDB_NOMETASYNC leaves the meta
     * page to the next synced commit. The file stays whole; a system
     * crash may undo the newest ack, and then the updates it covered are
     * sent again and the collector skips them as replays (it keeps each
     * reporter's next seq). Only acks: every other commit of the spool
     * (a submit, an inbox file) stays fully durable, and the agent runs
     * one thread, so no other commit sees the flag. */
    mdb_env_set_flags(self->env, MDB_NOMETASYNC, 1);
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, 0, &txn));
    for (size_t i = 0; rc == ERR_OK && i < nrej; i++) {
        /* Reason 0 (REJ_NONE) is no rejection: a replayed update whose
         * outcome the collector no longer keeps; only its receipt says
         * so ("unknown"). */
        if (!spool_rejection_unknown(&rej[i])) {
            rc = put_rejection(txn, self, &k, &v, &rej[i]);
        }
    }
    if (rc == ERR_OK) {
        rc = delete_below(self, txn, next_seq, rej, nrej, info, err);
    }
    /* INVARIANT 2: nothing below next_seq is left queued. */
    assert(rc != ERR_OK || queue_first_at_least(self, txn, next_seq));
    uint64_t acked = 1;
    if (rc == ERR_OK) {
        rc = spool_meta_get(self, txn, "acked_next", &acked, err);
    }
    if (rc == ERR_OK && next_seq > acked) {
        rc = spool_meta_put(self, txn, "acked_next", next_seq);
    }
    int cmrc = MDB_SUCCESS;
    rc = spool_finish(&txn, rc, &cmrc);
    mdb_env_set_flags(self->env, MDB_NOMETASYNC, 0);
    buf_fini(&k);
    buf_fini(&v);
    return spool_say(rc, cmrc, "cannot record ack", err);
}

/* Every queued update in @p txn into *@p all (*@p n of them); a record
 * that cannot be read fails the whole, naming it. */
static int read_all(spool_t *self, MDB_txn *txn, spool_update_t **all,
                    size_t *n, char err[ERR_LEN])
{
    MDB_cursor *cur = NULL;
    MDB_val kv;
    MDB_val dv;
    size_t cap = 0;
    int rc = spool_lmdb(self, SPOOL_T_QUEUE,
                        mdb_cursor_open(txn, self->dbi[SPOOL_T_QUEUE], &cur),
                        err);
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &kv, &dv, MDB_FIRST)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            *all = xreallocarray(*all, cap, sizeof **all);
        }
        rc = spool_get_queued(self, &kv, &dv, &(*all)[*n], err);
        (*n)++;
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_NEXT);
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = spool_lmdb(self, SPOOL_T_QUEUE, mrc, err);
    }
    return lmdbh_cursor_end(&cur, rc, MDB_SUCCESS);
}

int spool_rebase(spool_t *self, uint64_t next_seq, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    assert(!self->readonly);
    MDB_txn *txn = NULL;
    size_t n = 0;
    spool_update_t *all = NULL;
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    err[0] = '\0';
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, 0, &txn));
    if (rc == ERR_OK) {
        rc = read_all(self, txn, &all, &n, err);
    }
    if (rc == ERR_OK) {
        rc = lmdbh_code(mdb_drop(txn, self->dbi[SPOOL_T_QUEUE], 0));
    }
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        spool_key_seq(&k, next_seq + i);
        buf_reset(&v);
        buf_put_u8(&v, SPOOL_REC_V1);
        spool_put_update(&v, &all[i]);
        MDB_val kv = lmdbh_val(&k);
        rc = spool_put(self, txn, SPOOL_T_QUEUE, &kv, &v, MDB_APPEND);
    }
    if (rc == ERR_OK) {
        rc = spool_meta_put(self, txn, "next_assign", next_seq + n);
    }
    if (rc == ERR_OK) {
        rc = spool_meta_put(self, txn, "acked_next", next_seq);
    }
    /* Renumbered below the seen mark (the collector lost data): their
     * rejections must not pass for shown ones. */
    uint64_t seen = 0;
    if (rc == ERR_OK) {
        rc = spool_seen_get(self, txn, &seen, err);
    }
    if (rc == ERR_OK && seen >= next_seq) {
        rc = spool_meta_put(self, txn, "rejections_seen", next_seq - 1);
    }
    int cmrc = MDB_SUCCESS;
    rc = spool_finish(&txn, rc, &cmrc);
    free(all);
    buf_fini(&k);
    buf_fini(&v);
    return spool_say(rc, cmrc, "cannot renumber spool", err);
}

int spool_mark_seen(spool_t *self, uint64_t seq, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    assert(!self->readonly);
    MDB_txn *txn = NULL;
    uint64_t seen = 0;
    err[0] = '\0';
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, 0, &txn));
    if (rc == ERR_OK) {
        rc = spool_seen_get(self, txn, &seen, err);
    }
    if (rc == ERR_OK && seq <= seen) {
        mdb_txn_abort(txn); /* nothing to raise: write nothing */
        return ERR_OK;
    }
    if (rc == ERR_OK) {
        rc = spool_meta_put(self, txn, "rejections_seen", seq);
    }
    int cmrc = MDB_SUCCESS;
    rc = spool_finish(&txn, rc, &cmrc);
    return spool_say(rc, cmrc, "cannot record which rejections were shown",
                     err);
}

int spool_rejections(spool_t *self, spool_rejection_fn fn, void *arg,
                     char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    err[0] = '\0';
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn));
    if (rc == ERR_OK) {
        rc = spool_lmdb(self, SPOOL_T_REJECTS,
                        mdb_cursor_open(txn, self->dbi[SPOOL_T_REJECTS],
                                        &cur),
                        err);
    }
    MDB_val kv;
    MDB_val dv;
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &kv, &dv, MDB_FIRST)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        spool_rejection_t r;
        rc = spool_unseal(self, SPOOL_T_REJECTS, &kv, &dv, err);
        if (rc == ERR_OK && spool_parse_rejection(&kv, &dv, &r) != ERR_OK) {
            rc = spool_damage(self, SPOOL_T_REJECTS, &kv, "malformed record",
                              err);
        }
        if (rc == ERR_OK && fn(&r, arg) != 0) {
            break;
        }
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_NEXT);
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = spool_lmdb(self, SPOOL_T_REJECTS, mrc, err);
    }
    rc = lmdbh_cursor_end(&cur, rc, MDB_SUCCESS);
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    if (rc != ERR_OK && err[0] == '\0') {
        snprintf(err, ERR_LEN, "cannot read rejections: %s", err_str(rc));
    }
    return rc;
}
