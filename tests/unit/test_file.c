/* test_file.c: common/file.c, the one whole-file reader.
 *
 * Files are written into a fresh mkdtemp directory under /tmp; a FIFO fed
 * by a child process stands for inputs whose size fstat() cannot tell.
 *
 * INVARIANTS
 *   1. Every buffer file_read() hands out is freed in the same test.
 *   2. Tests leave nothing behind in /tmp (fini removes the directory and
 *      the files named in files[]).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/file.h"
#include "common/mem.h"

static char tmpdir[64];
static char files[12][128];
static size_t n_files;

static void mk_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hrss_file_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    n_files = 0;
}

static void rm_tmp(void)
{
    for (size_t i = 0; i < n_files; i++) {
        unlink(files[i]);
    }
    rmdir(tmpdir);
}

/* Path of @p name in tmpdir, remembered for removal. */
static const char *tmp_path(const char *name)
{
    cr_assert_lt(n_files, sizeof files / sizeof files[0]);
    snprintf(files[n_files], sizeof files[0], "%s/%s", tmpdir, name);
    return files[n_files++];
}

static const char *write_file(const char *name, const char *data, size_t len)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return path;
}

/* @p len bytes of a repeating pattern. Caller frees. */
static char *pattern(size_t len)
{
    char *p = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        p[i] = (char)('a' + i % 26);
    }
    p[len] = '\0';
    return p;
}

TestSuite(file, .init = mk_tmp, .fini = rm_tmp);

Test(file, reads_whole_file_with_a_nul_after_it)
{
    static const char text[] = "a,b\r\nc,\"d\"\n\0tail";
    const char *path = write_file("t.csv", text, sizeof text - 1);
    char *data = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    cr_assert_eq(file_read(path, 1000, &data, &len, err), ERR_OK, "%s", err);
    cr_assert_eq(len, sizeof text - 1);
    cr_assert(memcmp(data, text, len) == 0); /* NUL bytes are kept */
    cr_assert_eq(data[len], '\0');
    free(data);
}

Test(file, empty_file)
{
    const char *path = write_file("empty", "", 0);
    char *data = NULL;
    size_t len = 99;
    char err[ERR_LEN] = "";
    cr_assert_eq(file_read(path, 10, &data, &len, err), ERR_OK, "%s", err);
    cr_assert_eq(len, 0);
    cr_assert_not_null(data);
    cr_assert_eq(data[0], '\0');
    free(data);
}

Test(file, exactly_the_limit_is_fine_one_more_is_not)
{
    char *big = pattern(200001);
    const char *path = write_file("max", big, 200000);
    char *data = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    cr_assert_eq(file_read(path, 200000, &data, &len, err), ERR_OK, "%s",
                 err);
    cr_assert_eq(len, 200000);
    cr_assert(memcmp(data, big, len) == 0);
    free(data);

    path = write_file("over", big, 200001);
    data = (char *)0x1;
    len = 99;
    cr_assert_eq(file_read(path, 200000, &data, &len, err), ERR_INVAL);
    cr_assert_null(data);
    cr_assert_eq(len, 0);
    char want[ERR_LEN];
    snprintf(want, sizeof want, "%s: file larger than 200000 bytes", path);
    cr_assert_str_eq(err, want);
    free(big);
}

Test(file, limit_zero_takes_only_empty_files)
{
    const char *path = write_file("one", "x", 1);
    char *data = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    cr_assert_eq(file_read(path, 0, &data, &len, err), ERR_INVAL);
    cr_assert_null(data);
    path = write_file("zero", "", 0);
    cr_assert_eq(file_read(path, 0, &data, &len, err), ERR_OK, "%s", err);
    cr_assert_eq(len, 0);
    free(data);
}

Test(file, missing_file_is_io_error_with_strerror)
{
    char path[160];
    snprintf(path, sizeof path, "%s/nope.csv", tmpdir);
    char *data = (char *)0x1;
    size_t len = 99;
    char err[ERR_LEN] = "";
    cr_assert_eq(file_read(path, 100, &data, &len, err), ERR_IO);
    cr_assert_null(data);
    cr_assert_eq(len, 0);
    char want[ERR_LEN];
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    cr_assert_str_eq(err, want);
}

Test(file, directory_is_io_error)
{
    char *data = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    cr_assert_eq(file_read(tmpdir, 100, &data, &len, err), ERR_IO);
    cr_assert_null(data);
    char want[ERR_LEN];
    snprintf(want, sizeof want, "%s: Is a directory", tmpdir);
    cr_assert_str_eq(err, want);
}

Test(file, err_may_be_null)
{
    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(file_read("/nonexistent/hrss/x", 100, &data, &len, NULL),
                 ERR_IO);
    cr_assert_null(data);
}

/* A FIFO has no size to go by: the buffer grows from the first chunk. */
static void fifo_case(size_t write_len, size_t max, int want_rc)
{
    const char *path = tmp_path("fifo");
    cr_assert_eq(mkfifo(path, 0600), 0);
    char *bytes = pattern(write_len);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        FILE *f = fopen(path, "wb");
        /* The reader stops after max + 1 bytes: a broken pipe is fine. */
        signal(SIGPIPE, SIG_IGN);
        if (f != NULL) {
            fwrite(bytes, 1, write_len, f);
            fclose(f);
        }
        _exit(0);
    }
    char *data = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    int rc = file_read(path, max, &data, &len, err);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert_eq(rc, want_rc, "%s", err);
    if (rc == ERR_OK) {
        cr_assert_eq(len, write_len);
        cr_assert(memcmp(data, bytes, len) == 0);
        cr_assert_eq(data[len], '\0');
    } else {
        cr_assert_null(data);
        cr_assert_not_null(strstr(err, "file larger than"), "%s", err);
    }
    free(data);
    free(bytes);
}

Test(file, fifo_grows_past_the_first_chunk)
{
    fifo_case(300000, 1000000, ERR_OK);
}

Test(file, fifo_past_the_limit)
{
    fifo_case(300000, 200000, ERR_INVAL);
}

/* file_write_atomic: the new bytes replace the old ones whole, and no
 * PATH.tmp is left behind. */
Test(file, write_atomic_replaces_whole, .init = mk_tmp, .fini = rm_tmp)
{
    char err[ERR_LEN] = "";
    const char *path = tmp_path("endpoints");
    (void)tmp_path("endpoints.tmp"); /* removed by fini if a test fails */
    cr_assert_eq(file_write_atomic(path, "old\n", 4, err), ERR_OK, "%s",
                 err);
    cr_assert_eq(file_write_atomic(path, "ingest=a\nquery=b\n", 17, err),
                 ERR_OK, "%s", err);
    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(file_read(path, 100, &data, &len, err), ERR_OK, "%s", err);
    cr_expect_eq(len, 17);
    cr_expect_str_eq(data, "ingest=a\nquery=b\n");
    free(data);
    char tmp[200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_expect_neq(access(tmp, F_OK), 0, "PATH.tmp left behind");
}

Test(file, write_atomic_failure_says_where, .init = mk_tmp, .fini = rm_tmp)
{
    char err[ERR_LEN] = "";
    char path[200];
    snprintf(path, sizeof path, "%s/no/such/dir/f", tmpdir);
    cr_expect_eq(file_write_atomic(path, "x", 1, err), ERR_IO);
    cr_expect(strstr(err, "no/such/dir/f.tmp: No such file or directory") !=
                  NULL,
              "%s", err);
}

/* A symbolic link planted at PATH.tmp (to a file the writer may write) is
 * not followed: the writer must neither truncate nor fill the file it
 * points to, and PATH still gets the new bytes. */
Test(file, write_atomic_does_not_follow_a_planted_tmp_link, .init = mk_tmp,
     .fini = rm_tmp)
{
    char err[ERR_LEN] = "";
    const char *victim = write_file("victim", "secret\n", 7);
    const char *path = tmp_path("endpoints");
    const char *tmp = tmp_path("endpoints.tmp");
    cr_assert_eq(symlink(victim, tmp), 0);
    cr_assert_eq(file_write_atomic(path, "ingest=a\n", 9, err), ERR_OK, "%s",
                 err);
    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(file_read(victim, 100, &data, &len, err), ERR_OK, "%s", err);
    cr_expect_str_eq(data, "secret\n", "the link's target was written");
    free(data);
    cr_assert_eq(file_read(path, 100, &data, &len, err), ERR_OK, "%s", err);
    cr_expect_str_eq(data, "ingest=a\n");
    free(data);
    struct stat sb;
    cr_expect_eq(lstat(path, &sb), 0);
    cr_expect(S_ISREG(sb.st_mode), "PATH is a file of its own, not the link");
    cr_expect_neq(lstat(tmp, &sb), 0, "PATH.tmp left behind");
}

/* file_write_new: a new file, whole, with the mode asked for (less the
 * umask), and no PATH.tmp left behind. */
Test(file, write_new_creates_a_whole_new_file, .init = mk_tmp,
     .fini = rm_tmp)
{
    char err[ERR_LEN] = "";
    const char *path = tmp_path("x.csv.errors");
    const char *tmp = tmp_path("x.csv.errors.tmp");
    mode_t old = umask(022);
    int rc = file_write_new(path, "x.csv:2: bad\n", 13, 0640, err);
    umask(old);
    cr_assert_eq(rc, ERR_OK, "%s", err);
    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(file_read(path, 100, &data, &len, err), ERR_OK, "%s", err);
    cr_expect_str_eq(data, "x.csv:2: bad\n");
    free(data);
    struct stat sb;
    cr_assert_eq(lstat(path, &sb), 0);
    cr_expect(S_ISREG(sb.st_mode));
    cr_expect_eq(sb.st_mode & 07777, 0640, "mode %o", sb.st_mode & 07777);
    cr_expect_neq(lstat(tmp, &sb), 0, "PATH.tmp left behind");
}

/* file_write_new never replaces what is at PATH, and never writes through
 * a link, whether at PATH (even a dangling one) or at PATH.tmp. */
Test(file, write_new_replaces_nothing_and_follows_no_link, .init = mk_tmp,
     .fini = rm_tmp)
{
    char err[ERR_LEN] = "";
    const char *victim = write_file("victim", "secret\n", 7);
    const char *gone = tmp_path("gone");
    const char *old = write_file("old.errors", "old\n", 4);
    const char *link1 = tmp_path("l1.errors");
    const char *link2 = tmp_path("l2.errors");
    const char *tmp = tmp_path("new.errors.tmp");
    const char *fresh = tmp_path("new.errors");
    cr_assert_eq(symlink(victim, link1), 0);
    cr_assert_eq(symlink(gone, link2), 0);
    cr_assert_eq(symlink(victim, tmp), 0);

    cr_expect_eq(file_write_new(old, "new\n", 4, 0640, err), ERR_IO);
    cr_expect(strstr(err, "old.errors: File exists") != NULL, "%s", err);
    cr_expect_eq(file_write_new(link1, "new\n", 4, 0640, err), ERR_IO);
    cr_expect_eq(file_write_new(link2, "new\n", 4, 0640, err), ERR_IO);
    cr_expect_neq(access(gone, F_OK), 0, "a dangling link was followed");
    cr_expect_eq(file_write_new(fresh, "new\n", 4, 0640, err), ERR_OK,
                 "%s", err);

    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(file_read(victim, 100, &data, &len, err), ERR_OK, "%s", err);
    cr_expect_str_eq(data, "secret\n", "a link's target was written");
    free(data);
    cr_assert_eq(file_read(old, 100, &data, &len, err), ERR_OK, "%s", err);
    cr_expect_str_eq(data, "old\n", "an existing file was replaced");
    free(data);
    cr_assert_eq(file_read(fresh, 100, &data, &len, err), ERR_OK, "%s", err);
    cr_expect_str_eq(data, "new\n");
    free(data);
    struct stat sb;
    cr_expect_neq(lstat(tmp, &sb), 0, "PATH.tmp left behind");
    cr_expect_neq(access(tmp_path("old.errors.tmp"), F_OK), 0);
    cr_expect_neq(access(tmp_path("l1.errors.tmp"), F_OK), 0);
}

/* file_read_fd reads what an open descriptor has, and leaves it open. */
Test(file, read_fd_reads_and_leaves_the_descriptor_open)
{
    const char *path = write_file("t.csv", "a,b\n", 4);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    char *data = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    cr_assert_eq(file_read_fd(fd, "NAME", 100, &data, &len, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(len, 4);
    cr_expect_str_eq(data, "a,b\n");
    free(data);
    cr_expect_eq(fcntl(fd, F_GETFD), FD_CLOEXEC, "the descriptor was closed");
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    cr_expect_eq(file_read_fd(fd, "NAME", 3, &data, &len, err), ERR_INVAL);
    cr_expect_null(data);
    cr_expect_str_eq(err, "NAME: file larger than 3 bytes");
    close(fd);
    cr_expect_eq(file_read_fd(fd, "NAME", 100, &data, &len, err), ERR_IO);
    cr_expect_str_eq(err, "NAME: Bad file descriptor");
}

/* In a child with stdout on /dev/full and file_stdout_init() called: one
 * write of 5,000 bytes (more than stdio's default 4 KiB buffer for a
 * file), then file_flush_stdout()'s message, into @p said. */
static void flush_full(char *said, size_t cap)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        int fd = open("/dev/full", O_WRONLY);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
            _exit(2);
        }
        file_stdout_init();
        static char big[5001];
        memset(big, 'x', sizeof big - 1);
        fputs(big, stdout);
        char err[ERR_LEN] = "";
        int rc = file_flush_stdout(err);
        ssize_t w = write(p[1], err, strlen(err));
        _exit(rc == ERR_IO && w >= 0 ? 0 : 1);
    }
    close(p[1]);
    ssize_t n = read(p[0], said, cap - 1);
    said[n > 0 ? n : 0] = '\0';
    close(p[0]);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}

/* Output longer than stdio's buffer that fails in one write used to be
 * reported without its reason ("cannot write the output"): the flush
 * found nothing left to write, and errno was long gone. */
Test(file, a_full_disk_is_named_for_output_up_to_64_kib)
{
    char said[ERR_LEN];
    flush_full(said, sizeof said);
    cr_expect(strstr(said, "No space left on device") != NULL, "%s", said);
}
