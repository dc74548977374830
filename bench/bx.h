/** @file bx.h
 *  @brief What the benchmark programs share: time, temporary directories,
 *         child processes, /proc readings, the synthetic national catalog,
 *         the figures every benchmark sends, and the result records that
 *         bench/run.sh gathers into its summary table.
 *
 *  Owns nothing between calls but the processes it started for the
 *  caller (the caller stops them with bx_stop or bx_wait). Temporary
 *  directories are /tmp/hrss-bench-TAG-XXXXXX, or $HRSS_BENCH_TMP/TAG-XXXXXX
 *  when bench/run.sh names its own /tmp/hrss-bench-* directory there;
 *  only paths under /tmp/hrss-bench- are ever removed (bx_rmtree refuses
 *  any other).
 *
 *  INVARIANTS
 *    1. Every child started here gets PR_SET_PDEATHSIG SIGKILL: a
 *       benchmark that dies leaves no daemon behind.
 *    2. bx_cell(k) is a pure function of the catalog and k, the same in
 *       every benchmark, and every value it gives passes update_check()
 *       (counts 0..UPDATE_MAX_VALUE, ratios 0 <= num <= den, den > 0; an
 *       "of which" figure never exceeds its parent's).
 */
#ifndef HRSS_BENCH_BX_H
#define HRSS_BENCH_BX_H
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "common/catalog.h"
#include "common/update.h"

/** Seconds on the monotonic clock. */
double bx_now(void);

/** Make a new temporary directory for @p tag into @p out (see above;
 *  exits on failure). */
void bx_tmpdir(char *out, size_t cap, const char *tag);

/** Remove a directory bx_tmpdir made, with everything in it; any other
 *  path is left alone. */
void bx_rmtree(const char *dir);

/** mkdir -p of one path (exits on failure). */
void bx_mkdir(const char *path);

/** Write @p len bytes to @p path (exits on failure). */
void bx_write_file(const char *path, const char *data, size_t len);

/** Start BIN_DIR/argv[0] with stdout and stderr appended to @p log
 *  (NULL: /dev/null) and stdin from /dev/null. @return its pid. */
pid_t bx_spawn(const char *bin_dir, const char *log,
               const char *const argv[]);

/** Wait for child @p pid at most @p timeout_ms (SIGKILL after it).
 *  @param[out] ru  its resource usage (may be NULL).
 *  @return its exit status, 128 + signal when killed. */
int bx_wait(pid_t pid, int timeout_ms, struct rusage *ru);

/** bx_spawn() then bx_wait(), stdout into @p out_path (NULL: /dev/null),
 *  stderr into @p log (NULL: /dev/null). @p secs (may be NULL) gets the
 *  wall time. */
int bx_run(const char *bin_dir, const char *const argv[], const char *out_path,
           const char *log, int timeout_ms, struct rusage *ru, double *secs);

/** bx_run(), sampling the child's RssAnon and VmHWM (/proc/PID/status)
 *  every millisecond or two once it has exec'd the program: @p
 *  peak_anon_kib gets the largest RssAnon sample (anonymous memory: heap
 *  and stacks, not the LMDB pages it mapped), and ru->ru_maxrss the last
 *  VmHWM (wait4's figure would include the forked benchmark's own
 *  high-water mark, which exec carries over). */
int bx_run_sampled(const char *bin_dir, const char *const argv[],
                   const char *out_path, const char *log, int timeout_ms,
                   struct rusage *ru, double *secs, long *peak_anon_kib);

/** SIGTERM, wait up to @p timeout_ms, then SIGKILL. @return exit status. */
int bx_stop(pid_t pid, int timeout_ms);

/** A "Name:   N kB" line of /proc/PID/status in KiB, or -1. */
long bx_proc_kib(pid_t pid, const char *name);

/** utime + stime of @p pid in seconds (/proc/PID/stat), or -1. */
double bx_proc_cpu(pid_t pid);

/** A collector started by bx_collector_start. Plain value struct. */
typedef struct bx_coll {
    pid_t pid;
    char dir[256];
    char ingest[128];
    char query[128];
} bx_coll_t;

/** Start hrss-collector --insecure on tcp://127.0.0.1:* with its store in
 *  @p dir and catalog @p catalog; wait until DIR/endpoints names both
 *  sockets. @return 0, or -1 (it did not start; log says why). */
int bx_collector_start(bx_coll_t *c, const char *bin_dir,
                       const char *catalog, const char *dir, const char *log);

/** Write a synthetic national catalog into directory @p dir: the
 *  indicators and plan of @p src_dir, and a regions.csv with 1 nation,
 *  31 provinces, 330 cities and 2,750 counties (3,112 regions). */
void bx_national_catalog(const char *src_dir, const char *dir);

/** Copy @p src_dir's three catalog files into @p dir. */
void bx_copy_catalog(const char *src_dir, const char *dir);

/** Load a catalog directory (exits on failure). Caller owns it. */
catalog_t *bx_catalog(const char *dir);

/** How many figures bx_cell enumerates: every region but the root, every
 *  indicator, the 60 months 2021-01..2025-12. */
size_t bx_cells(const catalog_t *cat);

/** Figure @p k (0 <= k < bx_cells; larger k wrap around) in month-major
 *  order (month, then region, then indicator), as an update with seq 0.
 *  The indicator string is borrowed from the catalog. */
void bx_cell(const catalog_t *cat, size_t k, update_t *u);

/** One result of a benchmark: printed as a line and, when the
 *  environment names a file in HRSS_BENCH_RESULTS, appended to it as a
 *  tab-separated record for bench/run.sh's summary. Strings may be "-".
 *  @p verdict is "MET", "MISSED", "SKIPPED" or "-". */
void bx_result(const char *bench, const char *figure, const char *value,
               const char *baseline, const char *ratio, const char *target,
               const char *verdict);

/** snprintf into a rotating static buffer (16 of 128 bytes): for the
 *  arguments of bx_result. */
const char *bx_fmt(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/** A number with thousands separators ("1,234,567"), rounded, through
 *  bx_fmt's buffers. */
const char *bx_num(double v);

/** Sort @p n doubles and return the @p q quantile (0..1), nearest rank. */
double bx_quantile(double *v, size_t n, double q);

#endif
