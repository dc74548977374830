/** @file perm.h
 *  @brief Which permission stops this user from using a path, said in
 *         words: "the directory /x is not writable by user hrss".
 *
 *  "Permission denied" alone leaves an operator to guess which of the
 *  directories on the way, or which file, is at fault, and for whom.
 *  perm_why() finds it, after an operation failed, by asking the kernel
 *  (faccessat with the effective ids) about each directory from the root
 *  down, then about the target.
 *
 *  Owns nothing: pure queries of the file system.
 *
 *  INVARIANTS
 *    1. perm_why() only reads (access checks and stat); it never changes
 *       anything.
 *    2. Its text names a path and the permission missing and the user,
 *       or is "" when no permission problem was found (then the caller
 *       keeps its own message).
 */
#ifndef HRSS_PERM_H
#define HRSS_PERM_H
#include <stddef.h>

/** What the caller wanted to do to a path. */
enum perm_want {
    PERM_CREATE, /**< make it: its directory must be writable */
    PERM_WRITE,  /**< open it (a file or directory) to read and write */
    PERM_READ    /**< open it to read */
};

/** Why @p want on @p path is not allowed to this process: the first
 *  directory on the way that it may not search, else (PERM_CREATE) the
 *  parent directory it may not write, else the path itself, with its
 *  owner and mode ("the file /x/data.mdb is not writable by user hrss
 *  (owner root, mode 0640)"); a read-only file system is said too.
 *  Writes at most @p cap bytes into @p out. @return out ("" when nothing
 *  was found). */
char *perm_why(const char *path, enum perm_want want, char *out,
               size_t cap);

/** perm_why() for an LMDB environment in directory @p dir: the
 *  directory, then data.mdb, then lock.mdb, which even a read-only
 *  reader opens for writing (LMDB records its readers there), or, where
 *  a file is missing, the directory it would be created in. @p readonly:
 *  data.mdb needs only reading. @return out ("" when nothing found). */
char *perm_why_lmdb(const char *dir, int readonly, char *out, size_t cap);

/** 1 when @p err (an errno) is a refusal perm_why() can explain: EACCES,
 *  EPERM, EROFS. */
int perm_errno(int err);

#endif
