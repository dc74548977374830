/* mdbfault.c: test-only LMDB fault injection through GNU ld's --wrap.
 *
 * With -Wl,--wrap=mdb_put every undefined reference to mdb_put in the
 * linked objects (the store, the spool, the tests) resolves to
 * __wrap_mdb_put, and __real_mdb_put resolves to LMDB's mdb_put. Those
 * two names are imposed by ld: they are the only identifiers here that
 * start with "__", against the house style, because the linker requires
 * exactly them. Production binaries are linked without --wrap and never
 * see this file.
 *
 * INVARIANTS
 *   1. Unarmed, a wrapper behaves exactly as the real function (it calls
 *      it with the same arguments and returns its result).
 *   2. A call is counted before it is decided, so "the nth call from the
 *      arming" is well defined even with calls from several threads.
 *   3. Hooks run outside the lock, before the real function.
 */
#include "mdbfault.h"

#include <lmdb.h>
#include <pthread.h>
#include <string.h>

typedef struct fault {
    unsigned long calls;    /* since the last reset */
    unsigned long failures;
    unsigned long from;     /* fail calls numbered from..until-1 (calls */
    unsigned long until;    /* counted since reset); until 0: no end */
    int armed;
    int code;
    mdbfault_hook_fn hook;
    void *hook_arg;
} fault_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static fault_t faults[MDBFAULT_N_OPS];
static size_t last_mapsize;

void mdbfault_arm_from(enum mdbfault_op op, unsigned nth, unsigned count,
                       int code)
{
    pthread_mutex_lock(&lock);
    fault_t *f = &faults[op];
    f->armed = 1;
    f->code = code;
    f->from = f->calls + (nth > 0 ? nth : 1);
    f->until = count > 0 ? f->from + count : 0;
    pthread_mutex_unlock(&lock);
}

void mdbfault_arm(enum mdbfault_op op, unsigned nth, int code)
{
    mdbfault_arm_from(op, nth, 1, code);
}

void mdbfault_disarm(enum mdbfault_op op)
{
    pthread_mutex_lock(&lock);
    faults[op].armed = 0;
    pthread_mutex_unlock(&lock);
}

void mdbfault_reset(void)
{
    pthread_mutex_lock(&lock);
    memset(faults, 0, sizeof faults);
    last_mapsize = 0;
    pthread_mutex_unlock(&lock);
}

unsigned long mdbfault_calls(enum mdbfault_op op)
{
    pthread_mutex_lock(&lock);
    unsigned long n = faults[op].calls;
    pthread_mutex_unlock(&lock);
    return n;
}

unsigned long mdbfault_failures(enum mdbfault_op op)
{
    pthread_mutex_lock(&lock);
    unsigned long n = faults[op].failures;
    pthread_mutex_unlock(&lock);
    return n;
}

size_t mdbfault_last_mapsize(void)
{
    pthread_mutex_lock(&lock);
    size_t n = last_mapsize;
    pthread_mutex_unlock(&lock);
    return n;
}

void mdbfault_set_hook(enum mdbfault_op op, mdbfault_hook_fn fn, void *arg)
{
    pthread_mutex_lock(&lock);
    faults[op].hook = fn;
    faults[op].hook_arg = arg;
    pthread_mutex_unlock(&lock);
}

/* Count one call of @p op, run its hook, and decide.
 * @return 0 to run the real call, else the code to fail it with. */
static int decide(enum mdbfault_op op)
{
    pthread_mutex_lock(&lock);
    fault_t *f = &faults[op];
    unsigned long n = ++f->calls;
    mdbfault_hook_fn hook = f->hook;
    void *arg = f->hook_arg;
    int code = 0;
    if (f->armed && n >= f->from && (f->until == 0 || n < f->until)) {
        code = f->code;
        f->failures++;
    }
    pthread_mutex_unlock(&lock);
    if (hook != NULL) {
        hook(op, arg);
    }
    return code;
}

/* The real functions (ld: __real_X is X) and the wrappers (ld: a call of
 * X is a call of __wrap_X). Declared here: no header of ours exports
 * them. */
int __real_mdb_env_open(MDB_env *env, const char *path, unsigned int flags,
                        mdb_mode_t mode);
int __real_mdb_env_set_mapsize(MDB_env *env, size_t size);
int __real_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags,
                         MDB_txn **txn);
int __real_mdb_txn_commit(MDB_txn *txn);
int __real_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data,
                   unsigned int flags);
int __real_mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int __real_mdb_cursor_del(MDB_cursor *cursor, unsigned int flags);
int __real_mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del);

int __wrap_mdb_env_open(MDB_env *env, const char *path, unsigned int flags,
                        mdb_mode_t mode);
int __wrap_mdb_env_set_mapsize(MDB_env *env, size_t size);
int __wrap_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags,
                         MDB_txn **txn);
int __wrap_mdb_txn_commit(MDB_txn *txn);
int __wrap_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data,
                   unsigned int flags);
int __wrap_mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int __wrap_mdb_cursor_del(MDB_cursor *cursor, unsigned int flags);
int __wrap_mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del);

int __wrap_mdb_env_open(MDB_env *env, const char *path, unsigned int flags,
                        mdb_mode_t mode)
{
    int code = decide(MDBFAULT_ENV_OPEN);
    if (code != 0) {
        return code; /* as a real failure: the caller must still close */
    }
    return __real_mdb_env_open(env, path, flags, mode);
}

int __wrap_mdb_env_set_mapsize(MDB_env *env, size_t size)
{
    int code = decide(MDBFAULT_SET_MAPSIZE);
    if (code != 0) {
        return code;
    }
    int rc = __real_mdb_env_set_mapsize(env, size);
    if (rc == MDB_SUCCESS) {
        pthread_mutex_lock(&lock);
        last_mapsize = size;
        pthread_mutex_unlock(&lock);
    }
    return rc;
}

int __wrap_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags,
                         MDB_txn **txn)
{
    int code = decide(MDBFAULT_TXN_BEGIN);
    if (code != 0) {
        return code;
    }
    return __real_mdb_txn_begin(env, parent, flags, txn);
}

int __wrap_mdb_txn_commit(MDB_txn *txn)
{
    int code = decide(MDBFAULT_COMMIT);
    if (code != 0) {
        /* LMDB frees the transaction when its commit fails; so must we,
         * or the caller (rightly not touching it again) would leak it
         * and keep the write lock. */
        mdb_txn_abort(txn);
        return code;
    }
    return __real_mdb_txn_commit(txn);
}

int __wrap_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data,
                   unsigned int flags)
{
    int code = decide(MDBFAULT_PUT);
    if (code != 0) {
        return code;
    }
    return __real_mdb_put(txn, dbi, key, data, flags);
}

int __wrap_mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
    int code = decide(MDBFAULT_DEL);
    if (code != 0) {
        return code;
    }
    return __real_mdb_del(txn, dbi, key, data);
}

int __wrap_mdb_cursor_del(MDB_cursor *cursor, unsigned int flags)
{
    int code = decide(MDBFAULT_CURSOR_DEL);
    if (code != 0) {
        return code;
    }
    return __real_mdb_cursor_del(cursor, flags);
}

int __wrap_mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del)
{
    int code = decide(MDBFAULT_DROP);
    if (code != 0) {
        return code;
    }
    return __real_mdb_drop(txn, dbi, del);
}
