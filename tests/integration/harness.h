/* harness.h: start and stop the real daemons from Criterion tests.
 *
 * Every process a test starts is recorded and killed by hx_teardown (and
 * by the kernel if the test process dies: PR_SET_PDEATHSIG), so no test
 * leaves a process behind. Binaries come from HRSS_BIN_DIR. */
#ifndef HRSS_HARNESS_H
#define HRSS_HARNESS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/catalog.h"
#include "store/store.h"

extern char hx_dir[256];

void hx_setup(void);
void hx_teardown(void);

/* A free TCP port on 127.0.0.1 (bound, then released). */
int hx_free_port(void);

/* Start a program from HRSS_BIN_DIR with its output appended to LOG
 * (a path under hx_dir). argv[0] is the program name. */
pid_t hx_spawn(const char *log, const char *const argv[]);

/* Run a program to completion (at most timeout_ms, then SIGKILL) and
 * return its exit status (128 + signal when killed); stdout and stderr
 * into out (NUL-terminated, may be NULL). */
int hx_run(const char *const argv[], int timeout_ms, char *out, size_t len);

/* Send a signal; with SIGKILL or SIGTERM also reap it (waiting at most
 * timeout_ms). Returns the exit status or -1. */
int hx_stop(pid_t pid, int sig, int timeout_ms);

/* The collector on 127.0.0.1:port with its store in DIR. */
pid_t hx_collector(const char *dir, int port, int qport, const char *log);

/* Write a file (creating directories of the path is the caller's job). */
void hx_write(const char *path, const char *data, size_t len);

/* Sleep for ms milliseconds. */
void hx_sleep_ms(int ms);

/* Open the collector's store read-only (writable when rw) with the
 * shipped catalog; the caller closes both. */
void hx_open_store(const char *dir, int rw, catalog_t **cat, store_t **st);

#endif
