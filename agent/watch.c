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
 * INVARIANTS
 *   1. magic == WATCH_MAGIC while alive; watch_destroy() overwrites it.
 *   2. ino < 0 implies wd_inbox < 0 and wd_spool < 0.
 *   3. wd_inbox >= 0 only when taking files.
 *   4. rescan_at is 0 or the monotonic time of the next full scan.
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

#define WATCH_MAGIC 0x57415443u /* "WATC" */
#define WATCH_DEAD 0xDEADBEEFu
/* A file found by a scan that may not be leased must be this old. */
#define INBOX_MIN_AGE_MS 1000

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
};

#ifndef NDEBUG
static bool check_invariants(const watch_t *w)
{
    return w != NULL && w->magic == WATCH_MAGIC &&
           (w->ino >= 0 || (w->wd_inbox < 0 && w->wd_spool < 0)) &&
           (w->take_files || w->wd_inbox < 0) && w->rescan_at >= 0;
}
#endif

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
                                            IN_CREATE);
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

static void log_intake(const intake_stats_t *st, int rc, const char *err)
{
    if (st->files_done > 0 || st->files_failed > 0) {
        log_info("inbox: %zu files taken (%zu updates queued), %zu refused "
                 "(see failed/*.errors)",
                 st->files_done, st->rows, st->files_failed);
    }
    if (rc != ERR_OK) {
        log_err("inbox: %s", err);
    }
}

/* Take every finished file in the inbox; files modified in the last
 * second may still be being written: look again a second later. */
static void scan_inbox(watch_t *w)
{
    char err[ERR_LEN];
    intake_stats_t st;
    size_t young = 0;
    int rc = intake_inbox(w->spool, w->csv, w->state_dir, INBOX_MIN_AGE_MS,
                          NULL, &young, &st, err);
    log_intake(&st, rc, err);
    w->rescan_at = young > 0 || rc != ERR_OK ? now_ms() + INBOX_MIN_AGE_MS
                                              : 0;
}

void watch_scan(watch_t *self)
{
    assert(check_invariants(self));
    if (self->take_files) {
        scan_inbox(self);
    }
}

/* Drain inotify events, taking each inbox file whose writer closed it or
 * that was moved in. */
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
                w->rescan_at = now_ms(); /* events lost: look at all */
            } else if (ev->wd == w->wd_inbox && ev->len > 0) {
                char err[ERR_LEN];
                intake_stats_t st;
                int rc = ev->mask & IN_CREATE
                             ? intake_inbox_created(w->state_dir, ev->name,
                                                    &st, err)
                             : intake_inbox_file(w->spool, w->csv,
                                                 w->state_dir, ev->name, NULL,
                                                 &st, err);
                log_intake(&st, rc, err);
                if (rc != ERR_OK) {
                    w->rescan_at = now_ms() + INBOX_MIN_AGE_MS;
                }
            }
            off += (ssize_t)sizeof *ev + (ssize_t)ev->len;
        }
    }
}

void watch_after_poll(watch_t *self)
{
    assert(check_invariants(self));
    if (self->ino >= 0) {
        drain_events(self);
    }
    if (self->take_files &&
        (self->ino < 0 ||
         (self->rescan_at != 0 && now_ms() >= self->rescan_at))) {
        scan_inbox(self);
    }
    assert(check_invariants(self));
}
