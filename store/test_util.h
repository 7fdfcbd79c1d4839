/* store/test_util.h — small helpers shared by the store's unit tests (header only):
 * a CHECK macro that counts failures, a fresh database path in a private temporary
 * directory (removed at exit), and reading a test data file from the source tree. */
#ifndef KEFU_STORE_TEST_UTIL_H
#define KEFU_STORE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)
#define CHECK_RC(st, expr, want) do { int rc_ = (expr); if (rc_ != (want)) { \
	fprintf(stderr, "FAIL %s:%d: %s = %d, want %d (%s)\n", __FILE__, __LINE__, #expr, rc_, \
		(want), (st) ? store_errmsg(st) : ""); failures++; } } while (0)

static char tu_dir[64];

static void tu_cleanup(void)
{
	char cmd[128];

	if (tu_dir[0] && !getenv("KEFU_TEST_KEEP")) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tu_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tu_dir);
	}
}

/* Returns a path "<tmpdir>/<name>" inside a directory made for this process. */
static const char *tu_path(const char *name)
{
	static char path[8][160];
	static int next;
	char *p = path[next++ % 8];

	if (!tu_dir[0]) {
		snprintf(tu_dir, sizeof tu_dir, "/tmp/kefu-store-test-XXXXXX");
		if (!mkdtemp(tu_dir)) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(tu_cleanup);
	}
	snprintf(p, 160, "%s/%s", tu_dir, name);
	return p;
}

/* Reads KEFU_SRCDIR/rel into a malloc'd NUL-terminated buffer; exits on failure. */
static __attribute__((unused)) char *tu_read(const char *rel, size_t *len)
{
	char path[512];
	char *buf;

	snprintf(path, sizeof path, "%s/%s", KEFU_SRCDIR, rel);
	if (!(buf = cm_read_file(path, len))) {
		perror(path);
		exit(2);
	}
	return buf;
}

static int tu_finish(const char *name)
{
	if (failures)
		fprintf(stderr, "%s: %d failure(s)\n", name, failures);
	else
		printf("%s: all tests passed\n", name);
	return failures ? 1 : 0;
}

#endif
