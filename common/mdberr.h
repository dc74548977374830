/** @file mdberr.h
 *  @brief LMDB return codes translated into the project's ERR_* codes, at
 *         the boundary of the modules that use LMDB (store, spool).
 */
#ifndef HRSS_MDBERR_H
#define HRSS_MDBERR_H

/** ERR_* code for an LMDB (or errno) return code @p mrc. */
int mdberr_code(int mrc);

#endif
