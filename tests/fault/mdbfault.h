/** @file mdbfault.h
 *  @brief Test-only LMDB fault shim: make chosen LMDB calls fail.
 *
 *  Linked only into test binaries, with GNU ld's --wrap for each function
 *  below (tests/CMakeLists.txt), so the store and the spool call LMDB as
 *  in production and stay unchanged. Unarmed, every wrapper calls the real
 *  function. Armed, the chosen calls return the given code (MDB_MAP_FULL,
 *  EIO, ENOSPC, ...) without running, except mdb_txn_commit, which aborts
 *  the transaction first: a failed commit frees it, as LMDB's own does.
 *  Unlike a real failed mdb_put, an injected one leaves the transaction
 *  usable: code that ignored the error and committed would keep part of a
 *  batch, which is exactly what the fault tests look for.
 *
 *  Thread-safe: the counters and the arming may be used from a test while
 *  another thread (a collector) runs LMDB calls.
 */
#ifndef HRSS_MDBFAULT_H
#define HRSS_MDBFAULT_H
#include <stddef.h>

/** The wrapped calls. */
enum mdbfault_op {
    MDBFAULT_ENV_OPEN,     /**< mdb_env_open */
    MDBFAULT_SET_MAPSIZE,  /**< mdb_env_set_mapsize */
    MDBFAULT_TXN_BEGIN,    /**< mdb_txn_begin (read-only ones too) */
    MDBFAULT_COMMIT,       /**< mdb_txn_commit */
    MDBFAULT_PUT,          /**< mdb_put */
    MDBFAULT_DEL,          /**< mdb_del */
    MDBFAULT_CURSOR_DEL,   /**< mdb_cursor_del */
    MDBFAULT_DROP,         /**< mdb_drop */
    MDBFAULT_N_OPS
};

/** Fail the @p nth call of @p op from now on (1: the next one) with
 *  @p code; the calls before and after it run normally. Replaces an
 *  earlier arming of @p op. */
void mdbfault_arm(enum mdbfault_op op, unsigned nth, int code);

/** Fail @p count calls of @p op starting with the @p nth from now;
 *  @p count 0: every call from the nth on, until disarmed. */
void mdbfault_arm_from(enum mdbfault_op op, unsigned nth, unsigned count,
                       int code);

/** Let every call of @p op run again. Counters are kept. */
void mdbfault_disarm(enum mdbfault_op op);

/** Disarm everything, remove the hooks, zero every counter. */
void mdbfault_reset(void);

/** Calls of @p op since the last reset, failed ones included. */
unsigned long mdbfault_calls(enum mdbfault_op op);

/** Calls of @p op made to fail since the last reset. */
unsigned long mdbfault_failures(enum mdbfault_op op);

/** The size passed to the last mdb_env_set_mapsize that ran (0 if none
 *  since the last reset). */
size_t mdbfault_last_mapsize(void);

/** Called before every call of the op it is set for, armed or not, in
 *  the calling thread, before the real function runs. */
typedef void (*mdbfault_hook_fn)(enum mdbfault_op op, void *arg);

/** Set (or, with NULL, remove) the hook of @p op. @p arg is borrowed and
 *  must stay valid while the hook is set. */
void mdbfault_set_hook(enum mdbfault_op op, mdbfault_hook_fn fn, void *arg);

#endif
