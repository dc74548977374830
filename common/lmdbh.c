/* lmdbh.c: the LMDB helpers the store and the spool share.
 *
 * Design
 * ------
 * Small functions over the caller's own environment, transaction and
 * database handles; nothing here keeps state. Each returns an ERR_* code,
 * so that MDB_* codes stop at this module (style rule 6); the two
 * translation functions are for the callers' remaining direct mdb_* calls.
 * Integers in meta values and id keys are big-endian (common/buf), so id
 * keys sort in numeric order and MDB_APPEND can be used on them.
 *
 * Opening checks the data file around mdb_env_open(), because LMDB takes
 * what it finds at face value: it creates a missing data.mdb, writes
 * fresh meta pages into an empty one, and maps a file cut short without
 * a word, so that the first read of a page beyond its end is SIGBUS
 * (LIBRARY-NOTES). A store or spool that was damaged must never be taken
 * for a new, empty one, and never crash its reader.
 *
 * INVARIANTS
 *   1. MDB_SUCCESS, and only it, maps to ERR_OK.
 *   2. No function returns an MDB_* code or leaves an output it documents
 *      as "untouched on failure" written.
 *   3. lmdbh_meta_get() accepts exactly 4- and 8-byte values; every other
 *      size is ERR_CORRUPT, never a read past the value.
 *   4. lmdbh_env_open() lets LMDB read a page through its map only when
 *      data.mdb holds every page up to the newest meta page's last one
 *      (checked after mdb_env_open(), which reads the metas with pread),
 *      and lets it create data.mdb only where neither it nor lock.mdb
 *      was: a directory that never held an environment. An empty data.mdb
 *      (LMDB would initialise it) is refused before mdb_env_open().
 */
#define _GNU_SOURCE /* dl_iterate_phdr; the faulting instruction's address */
#include "common/lmdbh.h"

#include <link.h>
#include <ucontext.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "common/crc32c.h"

/* Room for a directory (callers allow 4096 bytes) and a file name. */
#define PATH_CAP 4200

int lmdbh_code(int mrc)
{
    switch (mrc) {
    case MDB_SUCCESS: return ERR_OK;
    case MDB_NOTFOUND: return ERR_NOTFOUND;
    case MDB_MAP_FULL: return ERR_FULL;
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID: return ERR_VERSION;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND: return ERR_CORRUPT;
    case ENOMEM: return ERR_NOMEM;
    default: return ERR_IO;
    }
}

int lmdbh_fail(int mrc, const char *what, char err[ERR_LEN])
{
    if (mrc == ENOSPC || mrc == EDQUOT) {
        /* What an operator must act on, in words they search logs for. */
        snprintf(err, ERR_LEN, "%s: disk full (%s)", what, mdb_strerror(mrc));
    } else {
        snprintf(err, ERR_LEN, "%s: %s", what, mdb_strerror(mrc));
    }
    return lmdbh_code(mrc);
}

MDB_val lmdbh_val(const buf_t *b)
{
    MDB_val v;
    v.mv_size = b->len;
    v.mv_data = b->data;
    return v;
}

/* Before mdb_env_open(), which creates a missing data.mdb and writes
 * fresh meta pages into an empty one: refuse an empty file, and let a
 * missing one be made only where no environment was (no lock.mdb either;
 * INVARIANT 4). *fresh = 1 when a new environment is to be made. Other
 * failures of stat() are left to mdb_env_open() to report. */
static int check_before(const char *dir, const lmdbh_env_opts_t *o,
                        int *fresh, char err[ERR_LEN])
{
    char data[PATH_CAP];
    char lock[PATH_CAP];
    struct stat st;
    *fresh = 0;
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    if (stat(data, &st) == 0) {
        if (S_ISREG(st.st_mode) && st.st_size == 0) {
            snprintf(err, ERR_LEN, "%.300s: empty (0 bytes): damaged or "
                                   "cut short, not a new %s", data, o->what);
            return ERR_CORRUPT;
        }
        return ERR_OK;
    }
    if (errno != ENOENT) {
        return ERR_OK;
    }
    if (o->readonly) {
        snprintf(err, ERR_LEN, "no %s at %.200s: %.200s does not exist",
                 o->what, dir, data);
        return ERR_NOTFOUND;
    }
    snprintf(lock, sizeof lock, "%s/lock.mdb", dir);
    if (lstat(lock, &st) == 0) {
        snprintf(err, ERR_LEN, "%.200s: missing, but %.200s is there: "
                               "the %s was deleted or moved; not making a "
                               "new one", data, lock, o->what);
        return ERR_CORRUPT;
    }
    *fresh = 1;
    return ERR_OK;
}

/* After mdb_env_open(), which read the meta pages with pread(), and
 * before any transaction reads a page through the map: a page beyond the
 * end of the file is SIGBUS (INVARIANT 4). The meta first, the size
 * after: another process may commit in between, and the file only grows.
 * Sets *fresh also for an environment in which nothing was ever
 * committed (LMDB's fresh meta pages: txn 0, no page but the two metas,
 * nothing in the main database). */
static int check_after(MDB_env *env, const char *dir,
                       const lmdbh_env_opts_t *o, int *fresh,
                       char err[ERR_LEN])
{
    MDB_envinfo info;
    MDB_stat ms;
    mdb_filehandle_t fd = -1;
    struct stat st;
    int mrc = mdb_env_info(env, &info);
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_env_stat(env, &ms);
    }
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_env_get_fd(env, &fd);
    }
    if (mrc == MDB_SUCCESS && fstat(fd, &st) != 0) {
        mrc = errno;
    }
    if (mrc != MDB_SUCCESS) {
        char what[ERR_LEN / 2];
        snprintf(what, sizeof what, "cannot check %.200s/data.mdb", dir);
        return lmdbh_fail(mrc, what, err);
    }
    unsigned long long psize = ms.ms_psize;
    unsigned long long need = ULLONG_MAX;
    if (psize > 0 && info.me_last_pgno < ULLONG_MAX / psize) {
        need = ((unsigned long long)info.me_last_pgno + 1) * psize;
    }
    if ((unsigned long long)st.st_size < need) {
        snprintf(err, ERR_LEN, "%.300s/data.mdb: truncated: %lld bytes, "
                               "the %s's last page ends at %llu",
                 dir, (long long)st.st_size, o->what, need);
        return ERR_CORRUPT;
    }
    if (info.me_last_txnid == 0 && info.me_last_pgno == 1 &&
        ms.ms_entries == 0) {
        *fresh = 1;
    }
    return ERR_OK;
}

/* Hold an exclusive flock on directory @p dir (its own descriptor, not
 * lock.mdb: closing a descriptor of that file would drop LMDB's fcntl
 * locks on it). @return the descriptor to close, or -1 when the
 * directory cannot be opened (check_before then says why). */
static int lock_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        int rc;
        do {
            rc = flock(fd, LOCK_EX);
        } while (rc != 0 && errno == EINTR);
    }
    return fd;
}

static int env_open_locked(MDB_env **out, const char *dir,
                           const lmdbh_env_opts_t *opts, int *created,
                           char err[ERR_LEN])
{
    MDB_env *env = NULL;
    int fresh = 0;
    int rc = check_before(dir, opts, &fresh, err);
    if (rc != ERR_OK) {
        return rc;
    }
    int mrc = mdb_env_create(&env);
    if (mrc != MDB_SUCCESS) {
        rc = lmdbh_fail(mrc, "cannot create LMDB environment", err);
        goto fail;
    }
    mdb_env_set_maxdbs(env, opts->max_dbs);
    if (!opts->readonly && opts->map_size > 0) {
        mdb_env_set_mapsize(env, opts->map_size);
    }
    mrc = mdb_env_open(env, dir,
                       MDB_NOTLS | (opts->readonly ? MDB_RDONLY : 0u), 0640);
    if (mrc != MDB_SUCCESS) {
        /* These two are about the data file's contents: name it. */
        int file = mrc == MDB_INVALID || mrc == MDB_VERSION_MISMATCH;
        char what[ERR_LEN / 2];
        snprintf(what, sizeof what, "cannot open %s %.200s%s", opts->what,
                 dir, file ? "/data.mdb" : "");
        rc = lmdbh_fail(mrc, what, err);
        goto fail;
    }
    rc = check_after(env, dir, opts, &fresh, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    if (!opts->readonly) {
        /* Free the reader slots of processes that died (LIBRARY-NOTES). */
        int dead = 0;
        mdb_reader_check(env, &dead);
    }
    *created = fresh;
    *out = env;
    return ERR_OK;

fail:
    if (env != NULL) {
        mdb_env_close(env);
    }
    return rc;
}

/* Open the environment while holding the directory's flock: another
 * process opening a new environment there at the same moment has made an
 * empty data.mdb that LMDB has not yet given its meta pages, which
 * check_before would take for a file cut to nothing. Opening one at a time
 * means a data.mdb seen empty was left so, not being made. */
int lmdbh_env_open(MDB_env **out, const char *dir,
                   const lmdbh_env_opts_t *opts, int *created,
                   char err[ERR_LEN])
{
    int dfd = lock_dir(dir);
    int rc = env_open_locked(out, dir, opts, created, err);
    if (dfd >= 0) {
        close(dfd); /* drops the flock */
    }
    return rc;
}

int lmdbh_open_dbs(MDB_txn *txn, const lmdbh_db_t *dbs, size_t n,
                   unsigned flags, char err[ERR_LEN])
{
    for (size_t i = 0; i < n; i++) {
        int mrc = mdb_dbi_open(txn, dbs[i].name, flags, dbs[i].dbi);
        if (mrc != MDB_SUCCESS) {
            char what[64];
            snprintf(what, sizeof what, "cannot open database '%s'",
                     dbs[i].name);
            return lmdbh_fail(mrc, what, err);
        }
    }
    return ERR_OK;
}

int lmdbh_get(MDB_txn *txn, MDB_dbi dbi, const MDB_val *key, MDB_val *out,
              int *found)
{
    MDB_val k = *key;
    int mrc = mdb_get(txn, dbi, &k, out);
    *found = mrc == MDB_SUCCESS;
    if (mrc == MDB_NOTFOUND) {
        return ERR_OK;
    }
    return lmdbh_code(mrc);
}

static MDB_val name_key(const char *name)
{
    MDB_val k;
    k.mv_size = strlen(name);
    k.mv_data = (void *)(uintptr_t)name;
    return k;
}

int lmdbh_meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name,
                   uint64_t dflt, uint64_t *out, int *found)
{
    MDB_val k = name_key(name);
    MDB_val d;
    int have = 0;
    *out = dflt;
    if (found != NULL) {
        *found = 0;
    }
    int rc = lmdbh_get(txn, dbi, &k, &d, &have);
    if (rc != ERR_OK || !have) {
        return rc;
    }
    if (d.mv_size != 4 && d.mv_size != 8) {
        return ERR_CORRUPT;
    }
    buf_reader_t r;
    buf_reader_init(&r, d.mv_data, d.mv_size);
    *out = d.mv_size == 4 ? buf_get_u32(&r) : buf_get_u64(&r);
    if (found != NULL) {
        *found = 1;
    }
    return ERR_OK;
}

int lmdbh_meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t v,
                   int width)
{
    buf_t b;
    buf_init(&b);
    if (width == 4) {
        buf_put_u32(&b, (uint32_t)v);
    } else {
        buf_put_u64(&b, v);
    }
    MDB_val k = name_key(name);
    MDB_val d = lmdbh_val(&b);
    int rc = lmdbh_code(mdb_put(txn, dbi, &k, &d, 0));
    buf_fini(&b);
    return rc;
}

int lmdbh_cursor_end(MDB_cursor **cur, int rc, int mrc)
{
    if (*cur != NULL) {
        mdb_cursor_close(*cur);
        *cur = NULL;
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = lmdbh_code(mrc);
    }
    return rc;
}

void lmdbh_id_key(buf_t *b, uint8_t ver, uint64_t id)
{
    buf_reset(b);
    buf_put_u8(b, ver);
    buf_put_u64(b, id);
}

int lmdbh_id_parse(const MDB_val *k, uint8_t ver, uint64_t *id)
{
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    uint8_t v = buf_get_u8(&r);
    *id = buf_get_u64(&r);
    return v == ver && buf_done(&r) ? ERR_OK : ERR_CORRUPT;
}

int lmdbh_next_id(MDB_txn *txn, MDB_dbi dbi, uint8_t ver, uint64_t *out)
{
    MDB_cursor *cur = NULL;
    *out = 1;
    int rc = lmdbh_code(mdb_cursor_open(txn, dbi, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    MDB_val k;
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
    if (mrc == MDB_SUCCESS) {
        uint64_t last = 0;
        rc = lmdbh_id_parse(&k, ver, &last);
        *out = last + 1;
    } else if (mrc != MDB_NOTFOUND) {
        rc = lmdbh_code(mrc);
    }
    mdb_cursor_close(cur);
    return rc;
}

static uint32_t seal_crc(const MDB_val *key, const void *data, size_t len)
{
    return crc32c(crc32c(0, key->mv_data, key->mv_size), data, len);
}

void lmdbh_seal(buf_t *val, const MDB_val *key)
{
    buf_put_u32(val, seal_crc(key, val->data, val->len));
}

static int outside_map(const MDB_val *val);

int lmdbh_unseal(const MDB_val *key, MDB_val *val)
{
    if (val->mv_size < LMDBH_SEAL_LEN || outside_map(val)) {
        return ERR_CORRUPT;
    }
    size_t n = val->mv_size - LMDBH_SEAL_LEN;
    const unsigned char *p = (const unsigned char *)val->mv_data + n;
    uint32_t want = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                    (uint32_t)p[2] << 8 | (uint32_t)p[3];
    if (seal_crc(key, val->mv_data, n) != want) {
        return ERR_CORRUPT;
    }
    val->mv_size = n;
    return ERR_OK;
}

char *lmdbh_key_text(const MDB_val *key, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = key->mv_data;
    size_t o = 0;
    if (cap == 0) {
        return out;
    }
    for (size_t i = 0; i < key->mv_size; i++) {
        size_t need = p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' ? 1 : 4;
        if (o + need + 4 > cap) { /* room for "..." and the NUL */
            if (o + 4 <= cap) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (need == 1) {
            out[o++] = (char)p[i];
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[p[i] >> 4];
            out[o++] = hex[p[i] & 15];
        }
    }
    out[o] = '\0';
    return out;
}

/* --- read faults in the map ------------------------------------------- */

#define GUARD_SLOTS 8

/* One guarded map. `env` != NULL marks the slot taken; the handler reads
 * addr/len/msg only of slots whose `live` is set, and a writer clears
 * `live` while it changes them. */
typedef struct guard_slot {
    MDB_env *env; /* the owner's view; the handler never reads it */
    atomic_int live;
    atomic_uintptr_t addr;
    atomic_size_t len;
    char msg[700];
    size_t msg_len;
} guard_slot_t;

static guard_slot_t guard_slots[GUARD_SLOTS];
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction guard_old_bus;
static struct sigaction guard_old_segv;
static int guard_installed;

/* 1 when @p val starts inside a guarded map but does not end inside it:
 * a damaged node's size, which reading would take outside the mapping
 * (a fault the guard cannot place). */
static int outside_map(const MDB_val *val)
{
    uintptr_t a = (uintptr_t)val->mv_data;
    for (int i = 0; i < GUARD_SLOTS; i++) {
        guard_slot_t *g = &guard_slots[i];
        if (!atomic_load(&g->live)) {
            continue;
        }
        uintptr_t lo = atomic_load(&g->addr);
        size_t len = atomic_load(&g->len);
        if (a >= lo && a - lo < len) {
            return val->mv_size > len - (a - lo);
        }
    }
    return 0;
}

/* Where LMDB's own code lies (its shared object's executable segment),
 * found once by guard_install(); 0, 0 when LMDB is linked into the
 * program itself, whose faults are not LMDB's to explain. */
static uintptr_t guard_lib_lo;
static size_t guard_lib_len;

/* dl_iterate_phdr() callback: the executable PT_LOAD segment of the
 * object holding mdb_cursor_get. */
static int find_lmdb_text(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t fn = (uintptr_t)&mdb_cursor_get;
    uintptr_t self = (uintptr_t)&lmdbh_guard;
    (void)size;
    (void)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || fn < lo ||
            fn - lo >= ph->p_memsz) {
            continue;
        }
        if (self < lo || self - lo >= ph->p_memsz) {
            guard_lib_lo = lo;
            guard_lib_len = ph->p_memsz;
        }
        return 1;
    }
    return 0;
}

/* The address of the instruction that faulted, or 0 where unknown. */
static uintptr_t fault_pc(const void *ctx)
{
    const ucontext_t *uc = ctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

static void guard_handler(int sig, siginfo_t *info, void *ctx)
{
    uintptr_t a = (uintptr_t)info->si_addr;
    uintptr_t pc = fault_pc(ctx);
    /* In LMDB's code, a fault outside the map is a damaged node whose
     * flags or sizes LMDB believed (a flipped F_DUPDATA bit makes it use
     * a sub-cursor it never made: a write near address 0). */
    int in_lmdb = guard_lib_len > 0 && pc >= guard_lib_lo &&
                  pc - guard_lib_lo < guard_lib_len;
    for (int i = 0; i < GUARD_SLOTS; i++) {
        guard_slot_t *g = &guard_slots[i];
        if (!atomic_load(&g->live)) {
            continue;
        }
        uintptr_t lo = atomic_load(&g->addr);
        if (in_lmdb || (a >= lo && a - lo < atomic_load(&g->len))) {
            ssize_t w = write(STDERR_FILENO, g->msg, g->msg_len);
            (void)w;
            _exit(1);
        }
    }
    /* Not ours: hand the fault back; it happens again on return, under
     * the handler that was there before. */
    const struct sigaction *old =
        sig == SIGBUS ? &guard_old_bus : &guard_old_segv;
    sigaction(sig, old, NULL);
}

static void guard_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = guard_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    dl_iterate_phdr(find_lmdb_text, NULL);
    sigaction(SIGBUS, &sa, &guard_old_bus);
    sigaction(SIGSEGV, &sa, &guard_old_segv);
    guard_installed = 1;
}

/* The address range of the mapping of @p file in this process, from
 * /proc/self/maps (LMDB does not tell where its map is: mdb_env_info's
 * me_mapaddr is the MDB_FIXEDMAP address, 0 otherwise). @return 1 found. */
static int map_range(const char *file, uintptr_t *lo, size_t *len)
{
    char want[PATH_MAX];
    if (realpath(file, want) == NULL) {
        return 0;
    }
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL) {
        return 0;
    }
    char line[PATH_MAX + 128];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        unsigned long a = 0;
        unsigned long b = 0;
        int path_at = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &a, &b, &path_at) < 2 ||
            path_at == 0) {
            continue;
        }
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line + path_at, want) == 0 && b > a) {
            *lo = (uintptr_t)a;
            *len = (size_t)(b - a);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

void lmdbh_guard(MDB_env *env, const char *file)
{
    uintptr_t lo = 0;
    size_t len = 0;
    if (!map_range(file, &lo, &len)) {
        return;
    }
    pthread_mutex_lock(&guard_lock);
    if (!guard_installed) {
        guard_install();
    }
    guard_slot_t *g = NULL;
    for (int i = 0; i < GUARD_SLOTS && g == NULL; i++) {
        if (guard_slots[i].env == env) {
            g = &guard_slots[i];
        }
    }
    for (int i = 0; i < GUARD_SLOTS && g == NULL; i++) {
        if (guard_slots[i].env == NULL) {
            g = &guard_slots[i];
        }
    }
    if (g != NULL) {
        atomic_store(&g->live, 0);
        g->env = env;
        int n = snprintf(g->msg, sizeof g->msg,
                         "FATAL: %.400s is damaged: reading its pages "
                         "faulted (a damaged page points outside the "
                         "file). Keep the file for inspection and restore "
                         "the newest backup.\n", file);
        g->msg_len = n < 0 ? 0 : (size_t)n < sizeof g->msg
                                     ? (size_t)n : sizeof g->msg - 1;
        atomic_store(&g->addr, lo);
        atomic_store(&g->len, len);
        atomic_store(&g->live, 1);
    }
    pthread_mutex_unlock(&guard_lock);
}

int lmdbh_map(MDB_env *env, uintptr_t *lo, size_t *len)
{
    int found = 0;
    pthread_mutex_lock(&guard_lock);
    for (int i = 0; i < GUARD_SLOTS && !found; i++) {
        guard_slot_t *g = &guard_slots[i];
        if (g->env == env && atomic_load(&g->live)) {
            *lo = atomic_load(&g->addr);
            *len = atomic_load(&g->len);
            found = 1;
        }
    }
    pthread_mutex_unlock(&guard_lock);
    return found;
}

void lmdbh_unguard(MDB_env *env)
{
    pthread_mutex_lock(&guard_lock);
    for (int i = 0; i < GUARD_SLOTS; i++) {
        if (guard_slots[i].env == env) {
            atomic_store(&guard_slots[i].live, 0);
            guard_slots[i].env = NULL;
        }
    }
    pthread_mutex_unlock(&guard_lock);
}

/* Meta page layout (LMDB 0.9, 64-bit): a 16-byte page header, then
 * MDB_meta: magic and version (4 + 4), address and map size (8 + 8),
 * two MDB_db of 48 bytes, the last page number (8), the txnid (8). */
enum {
    META_MAGIC_AT = 16,
    META_TXNID_AT = 144,
    META_READ = 152,
};
#define META_MAGIC 0xBEEFC0DEu

/* The two meta pages' transaction ids, read from @p fd in one pread. */
static int read_txnids(int fd, size_t psize, uint64_t id[2])
{
    unsigned char buf[65536 + META_READ];
    size_t len = psize + META_READ;
    if (len > sizeof buf) {
        errno = EINVAL;
        return -1;
    }
    ssize_t n = pread(fd, buf, len, 0);
    if (n < 0 || (size_t)n < len) {
        if (n >= 0) {
            errno = EIO;
        }
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        const unsigned char *m = buf + (size_t)i * psize;
        uint32_t magic;
        memcpy(&magic, m + META_MAGIC_AT, sizeof magic);
        if (magic != META_MAGIC) {
            id[i] = UINT64_MAX; /* reported as a bad page below */
        } else {
            memcpy(&id[i], m + META_TXNID_AT, sizeof id[i]);
        }
    }
    return 0;
}

static int metas_fit(const uint64_t id[2])
{
    if (id[0] == 0 && id[1] == 0) {
        return 1;
    }
    return id[0] % 2 == 0 && id[1] % 2 == 1 &&
           (id[0] + 1 == id[1] || id[1] + 1 == id[0]);
}

int lmdbh_metas_agree(MDB_env *env, char *why, size_t cap)
{
    mdb_filehandle_t fd = -1;
    MDB_stat ms;
    uint64_t a[2];
    uint64_t b[2];
    int mrc = mdb_env_get_fd(env, &fd);
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_env_stat(env, &ms);
    }
    if (mrc != MDB_SUCCESS) {
        snprintf(why, cap, "cannot read the meta pages: %s",
                 mdb_strerror(mrc));
        return -1;
    }
    for (int tries = 0; tries < 5; tries++) {
        if (read_txnids(fd, ms.ms_psize, a) != 0 ||
            read_txnids(fd, ms.ms_psize, b) != 0) {
            snprintf(why, cap, "cannot read the meta pages: %s",
                     strerror(errno));
            return -1;
        }
        if (metas_fit(a) || metas_fit(b)) {
            return 1;
        }
        if (a[0] == b[0] && a[1] == b[1]) {
            break;
        }
    }
    snprintf(why, cap, "LMDB's meta pages disagree (transaction ids %llu "
                       "and %llu, where one even and the next odd are "
                       "written): a damaged id can make LMDB open an older "
                       "commit",
             (unsigned long long)a[0], (unsigned long long)a[1]);
    return 0;
}
