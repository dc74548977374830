/* mdberr.c: one translation of LMDB codes for store and spool.
 *
 * INVARIANTS
 *   1. MDB_SUCCESS, and only it, maps to ERR_OK.
 */
#include "common/mdberr.h"

#include <errno.h>
#include <lmdb.h>

#include "common/err.h"

int mdberr_code(int mrc)
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
