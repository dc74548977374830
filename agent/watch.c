/* watch.c: inotify on STATE/inbox and STATE/spool for the sender loop.
 *
 * An inbox file is taken when inotify says its writer closed it
 * (IN_CLOSE_WRITE) or it was moved in (IN_MOVED_TO); intake leaves alone a
 * file some process still has open for writing, so a copy in progress is
 * never read half-written. spool_append() rewrites spool/appended after
 * each commit: a submit from another process wakes the loop at once
 * (LMDB's own writes precede the moment a reader can see the commit).
 * An entry made in place (IN_CREATE) is looked at too, but only to refuse
 * at once what is not a regular file: a symbolic link, FIFO or directory
 * has no writer whose close would announce it. A regular file just
 * created is left for its IN_CLOSE_WRITE.
 * Events may be lost (IN_Q_OVERFLOW) and intake may fail for a while: both
 * end in a rescan of the whole inbox a moment later. Without inotify the
 * loop wakes every second and the inbox is scanned each time.
 *
 * A file that does not end with a newline is held by intake (a copy cut
 * short, or one still being written in place): it stays in the inbox and
 * is looked at again at its next event or scan. It is warned of once per
 * state (name, size, modification time), not at every rescan: the held
 * list remembers what was warned of, and forgets a file once a look at it
 * (its event, or a whole scan) no longer finds it held, or it leaves the
 * inbox (IN_DELETE, IN_MOVED_FROM). Hidden and NAME.csv.part names are
 * intake's to ignore; they are never logged.
 *
 * INVARIANTS
 *   1. magic == WATCH_MAGIC while alive; watch_destroy() overwrites it.
 *   2. ino < 0 implies wd_inbox < 0 and wd_spool < 0.
 *   3. wd_inbox >= 0 only when taking files.
 *   4. rescan_at is 0 or the monotonic time of the next full scan.
 *   5. held[0..n_held) are distinct names, each a file held at its last
 *      look and warned of in exactly the state recorded; n_held <=
 *      cap_held.
 */
#include "agent/watch.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "agent/intake.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mono.h"
#include "common/text.h"

#define WATCH_MAGIC 0x57415443u /* "WATC" */
#define WATCH_DEAD 0xDEADBEEFu
/* A file found by a scan that may not be leased must be this old. */
#define INBOX_MIN_AGE_MS 1000

/* An inbox file held for want of a final newline, in the state it was
 * warned of. */
struct held {
    char *name;
    int64_t size;
    int64_t mtime_ns;
    int seen; /* found held by the look under way */
};

struct watch {
    unsigned magic;
    spool_t *spool;
    const update_scope_t *csv;
    const char *state_dir;
    int take_files;
    int ino;
    int wd_inbox;
    int wd_spool;
    int64_t rescan_at; /* 0, or when to look at the whole inbox again */
    struct held *held; /* files held, each warned of once */
    size_t n_held;
    size_t cap_held;
    intake_stats_t turn; /* files taken and refused by the events of one
                            drain, logged once (log_turn) */
};

#ifndef NDEBUG
static bool check_invariants(const watch_t *w)
{
    return w != NULL && w->magic == WATCH_MAGIC &&
           (w->ino >= 0 || (w->wd_inbox < 0 && w->wd_spool < 0)) &&
           (w->take_files || w->wd_inbox < 0) && w->rescan_at >= 0 &&
           w->n_held <= w->cap_held;
}
#endif

watch_t *watch_new(spool_t *sp, const update_scope_t *csv,
                   const char *state_dir, int take_files)
{
    watch_t *w = xcalloc(1, sizeof *w);
    w->magic = WATCH_MAGIC;
    w->spool = sp;
    w->csv = csv;
    w->state_dir = state_dir;
    w->take_files = take_files;
    w->wd_inbox = -1;
    w->wd_spool = -1;
    w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->ino < 0) {
        log_warn("inotify unavailable (%s): polling every second",
                 strerror(errno));
        assert(check_invariants(w));
        return w;
    }
    char path[4096];
    if (take_files) {
        snprintf(path, sizeof path, "%s/inbox", state_dir);
        w->wd_inbox = inotify_add_watch(w->ino, path,
                                        IN_CLOSE_WRITE | IN_MOVED_TO |
                                            IN_CREATE | IN_DELETE |
                                            IN_MOVED_FROM);
    }
    snprintf(path, sizeof path, "%s/spool", state_dir);
    w->wd_spool = inotify_add_watch(w->ino, path, IN_CLOSE_WRITE);
    assert(check_invariants(w));
    return w;
}

void watch_destroy(watch_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    watch_t *w = *self_p;
    assert(check_invariants(w));
    if (w->ino >= 0) {
        close(w->ino);
    }
    for (size_t i = 0; i < w->n_held; i++) {
        free(w->held[i].name);
    }
    free(w->held);
    w->magic = WATCH_DEAD;
    free(w);
    *self_p = NULL;
}

int watch_fd(const watch_t *self)
{
    assert(check_invariants(self));
    return self->ino;
}

int64_t watch_wait(const watch_t *self, int64_t now, int64_t wait)
{
    assert(check_invariants(self));
    if (self->ino < 0 && wait > WATCH_FALLBACK_MS) {
        wait = WATCH_FALLBACK_MS;
    }
    if (self->rescan_at != 0) {
        int64_t until = self->rescan_at > now ? self->rescan_at - now : 0;
        wait = until < wait ? until : wait;
    }
    return wait;
}

static struct held *find_held(watch_t *w, const char *name)
{
    for (size_t i = 0; i < w->n_held; i++) {
        if (strcmp(w->held[i].name, name) == 0) {
            return &w->held[i];
        }
    }
    return NULL;
}

/* intake_hold_t's fn: warn of a held file, unless this state of it was
 * warned of already. */
static void on_held(void *arg, const char *name, int64_t size,
                    int64_t mtime_ns)
{
    watch_t *w = arg;
    struct held *h = find_held(w, name);
    if (h != NULL && h->size == size && h->mtime_ns == mtime_ns) {
        h->seen = 1;
        return;
    }
    if (h == NULL) {
        if (w->n_held == w->cap_held) {
            w->cap_held = w->cap_held ? 2 * w->cap_held : 8;
            w->held = xreallocarray(w->held, w->cap_held, sizeof *w->held);
        }
        h = &w->held[w->n_held++];
        h->name = xstrdup(name);
    }
    h->size = size;
    h->mtime_ns = mtime_ns;
    h->seen = 1;
    /* The name is whoever dropped the file's choice: shown cleaned, and
     * short enough to leave the advice on the log line. */
    char shown[301];
    text_clean(shown, sizeof shown, name, 0);
    log_warn("inbox: %s does not end with a newline (%lld bytes): left "
             "in the inbox, not taken (still being written, or cut short, "
             "e.g. by a full disk); taken once it ends with a newline. To "
             "drop a file safely, copy it in under a .part name, then mv "
             "it to NAME.csv",
             shown, (long long)size);
}

/* Forget the held file at @p i: it is gone, taken or complete. */
static void forget_at(watch_t *w, size_t i)
{
    free(w->held[i].name);
    w->held[i] = w->held[--w->n_held];
}

static void forget(watch_t *w, const char *name)
{
    struct held *h = find_held(w, name);
    if (h != NULL) {
        forget_at(w, (size_t)(h - w->held));
    }
}

/* Before a look at the inbox (all of it, or the one file @p name). */
static void unsee(watch_t *w, const char *name)
{
    for (size_t i = 0; i < w->n_held; i++) {
        if (name == NULL || strcmp(w->held[i].name, name) == 0) {
            w->held[i].seen = 0;
        }
    }
}

/* After a whole look (rc ERR_OK: every file of it was looked at): forget
 * what it no longer found held. */
static void forget_unseen(watch_t *w, const char *name, int rc)
{
    for (size_t i = w->n_held; rc == ERR_OK && i-- > 0;) {
        if (!w->held[i].seen &&
            (name == NULL || strcmp(w->held[i].name, name) == 0)) {
            forget_at(w, i);
        }
    }
}

/* One line for the files of one scan or one drain of events: "inbox: 1
 * file taken (3 updates queued; 1 with warnings, see
 * STATE/done/NAME.warnings), 2 refused (see STATE/failed/NAME.errors)". */
static void log_taken(const watch_t *w, const intake_stats_t *st)
{
    char taken[400] = "";
    char refused[300] = "";
    if (st->files_done > 0) {
        char warned[280] = "";
        if (st->files_warned > 0) {
            snprintf(warned, sizeof warned, "; %zu with warnings, see "
                                            "%.200s/done/*.warnings",
                     st->files_warned, w->state_dir);
        }
        snprintf(taken, sizeof taken, "%zu file%s taken (%zu update%s "
                                      "queued%s)",
                 st->files_done, st->files_done == 1 ? "" : "s", st->rows,
                 st->rows == 1 ? "" : "s", warned);
    }
    if (st->files_failed > 0) {
        snprintf(refused, sizeof refused, "%zu%s refused (see "
                                          "%.200s/failed/*.errors)",
                 st->files_failed,
                 st->files_done > 0 ? ""
                                    : (st->files_failed == 1 ? " file"
                                                             : " files"),
                 w->state_dir);
    }
    if (taken[0] != '\0' || refused[0] != '\0') {
        log_info("inbox: %s%s%s", taken,
                 taken[0] != '\0' && refused[0] != '\0' ? ", " : "",
                 refused);
    }
}

static void log_intake(const watch_t *w, const intake_stats_t *st, int rc,
                       const char *err)
{
    log_taken(w, st);
    if (rc != ERR_OK) {
        log_err("inbox: %s", err);
    }
}

/* Take every finished file in the inbox; files modified in the last
 * second may still be being written: look again a second later. Held
 * files (no final newline) are no reason to: their next change brings an
 * event. */
static void scan_inbox(watch_t *w)
{
    char err[ERR_LEN];
    intake_stats_t st;
    size_t young = 0;
    intake_hold_t hold = {on_held, w};
    unsee(w, NULL);
    int rc = intake_inbox(w->spool, w->csv, w->state_dir, INBOX_MIN_AGE_MS,
                          &hold, &young, &st, err);
    forget_unseen(w, NULL, rc);
    log_intake(w, &st, rc, err);
    w->rescan_at = young > 0 || rc != ERR_OK ? mono_ms() + INBOX_MIN_AGE_MS
                                              : 0;
}

void watch_scan(watch_t *self)
{
    assert(check_invariants(self));
    if (self->take_files) {
        scan_inbox(self);
    }
}

/* One inotify event on the inbox, for the entry @p name. */
static void inbox_event(watch_t *w, uint32_t mask, const char *name)
{
    char err[ERR_LEN];
    intake_stats_t st;
    int rc = ERR_OK;
    if (mask & (IN_DELETE | IN_MOVED_FROM)) {
        forget(w, name);
        return;
    }
    if (mask & IN_CREATE) {
        rc = intake_inbox_created(w->state_dir, name, &st, err);
    } else {
        intake_hold_t hold = {on_held, w};
        unsee(w, name);
        rc = intake_inbox_file(w->spool, w->csv, w->state_dir, name, &hold,
                               &st, err);
        forget_unseen(w, name, rc);
    }
    /* Counted for the whole drain: two files dropped together are one
     * line, "2 files refused", not "1 refused" twice. */
    w->turn.files_done += st.files_done;
    w->turn.files_failed += st.files_failed;
    w->turn.files_warned += st.files_warned;
    w->turn.rows += st.rows;
    if (rc != ERR_OK) {
        log_err("inbox: %s", err);
        w->rescan_at = mono_ms() + INBOX_MIN_AGE_MS;
    }
}

/* Drain inotify events: take each inbox file whose writer closed it or
 * that was moved in, refuse what is made there and is not a regular
 * file, forget held files that left. */
static void drain_events(watch_t *w)
{
    _Alignas(struct inotify_event) char buf[4096];
    for (;;) {
        ssize_t n = read(w->ino, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        for (ssize_t off = 0; off < n;) {
            const struct inotify_event *ev =
                (const struct inotify_event *)(const void *)(buf + off);
            if (ev->mask & IN_Q_OVERFLOW) {
                w->rescan_at = mono_ms(); /* events lost: look at all */
            } else if (ev->wd == w->wd_inbox && ev->len > 0) {
                inbox_event(w, ev->mask, ev->name);
            }
            off += (ssize_t)sizeof *ev + (ssize_t)ev->len;
        }
    }
}

void watch_after_poll(watch_t *self)
{
    assert(check_invariants(self));
    if (self->ino >= 0) {
        memset(&self->turn, 0, sizeof self->turn);
        drain_events(self);
        log_taken(self, &self->turn);
    }
    if (self->take_files &&
        (self->ino < 0 ||
         (self->rescan_at != 0 && mono_ms() >= self->rescan_at))) {
        scan_inbox(self);
    }
    assert(check_invariants(self));
}
