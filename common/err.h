/** @file err.h
 *  @brief The project's error codes: one enum, ERR_OK = 0, failures < 0.
 *
 *  Library codes (MDB_*, errno, zmq) are translated into these at each
 *  module boundary and never leak past it. A module that has more to say
 *  than the code fills a caller-supplied `char err[ERR_LEN]`.
 *
 *  Owns nothing: the messages are static strings.
 *
 *  INVARIANTS
 *    1. ERR_OK is 0 and every failure code is negative.
 *    2. The numbers never change: they travel as hrss.QueryStatus (mapped
 *       in common/wire). -9 and -11 stay unassigned.
 *    3. Every ERR_* value has a distinct message; err_str() never returns
 *       NULL ("unknown error" for any other number).
 */
#ifndef HRSS_ERR_H
#define HRSS_ERR_H

/** Size of the human-readable error buffers passed down by callers. */
#define ERR_LEN 512

/* The numbers are part of the query protocol (proto/hrss.proto's
 * QueryStatus, mapped in common/wire.c): never renumber. -9 and -11 were
 * ERR_BUSY and ERR_GAP, which nothing used; leave them unassigned. */
enum err_code {
    ERR_OK = 0,
    ERR_NOMEM = -1,    /**< allocation failed */
    ERR_IO = -2,       /**< a system call on a file or socket failed */
    ERR_PROTO = -3,    /**< a peer or caller broke the protocol */
    ERR_NOTFOUND = -4, /**< the thing asked for does not exist */
    ERR_FULL = -5,     /**< a size limit was reached (LMDB map, spool) */
    ERR_CORRUPT = -6,  /**< stored data failed a consistency check */
    ERR_INVAL = -7,    /**< malformed input: file, argument, period */
    ERR_VERSION = -8,  /**< on-disk format from another version */
    ERR_TIMEOUT = -10, /**< a deadline passed */
    ERR_DENIED = -12,  /**< the caller's key may not do this */
};

/** Static English description of @p code; never NULL. */
const char *err_str(int code);

#endif
