/** @file crc32c.h
 *  @brief CRC-32C (Castagnoli), the checksum kept with every record the
 *         store and the spool write (common/lmdbh's seals).
 *
 *  CRC-32C rather than our FNV-1a: a CRC detects every error burst up to
 *  32 bits and every odd number of flipped bits in a record, which is
 *  what a damaged sector or a flipped byte looks like; iSCSI, ext4 and
 *  LevelDB keep it on disk for the same reason.
 *
 *  Owns nothing: pure functions over a constant table built at compile
 *  time, or the CPU's crc32 instruction (safe from any thread).
 *
 *  INVARIANTS
 *    1. The output for given bytes never changes: it is on disk.
 *    2. crc32c(0, p, n) is standard CRC-32C (crc32c("123456789") ==
 *       0xE3069283), and a CRC continues: crc32c(crc32c(0, A), B) equals
 *       the CRC of A and B at once.
 */
#ifndef HRSS_CRC32C_H
#define HRSS_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/** Continue CRC-32C @p crc (0 to start) over @p len bytes at @p data
 *  (with SSE4.2's crc32 instruction where the CPU has it). */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/** crc32c() without the instruction: the table path, for tests. */
uint32_t crc32c_portable(uint32_t crc, const void *data, size_t len);

/** 1 when crc32c() uses the CPU's instruction. */
int crc32c_hardware(void);

#endif
