/* common/paths.c — data folders found from the running program's location (see paths.h).
 * Any thread; nothing here keeps state.  The build-tree marker is written by the top-level
 * meson.build (configure_file), so the source path lives in a file of the build folder and
 * never in a binary: `strings` on an installed kefud shows no build-machine folder
 * (tests/install/test_install.py checks it). */
#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KEFU_DATA_FROM_BIN
#define KEFU_DATA_FROM_BIN "../share/kefu"
#endif

#define MARKER "kefu-build-root"

void cm_reexec_with_env(const char *name, const char *value, char **argv)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (getenv(name) || setenv(name, value, 1))
		return;
	/* the program's own path, not /proc/self/exe: exec'ing that names the process "exe" */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	execv(exe, argv);
}

int cm_exe_dir(char *out, size_t outlen)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(out, outlen, "%s", exe[0] ? exe : "/") >= outlen)
		return -1;
	return 0;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The source folder named by a build tree's marker at dir or up to two folders above it
 * (executables sit in build/daemon, build/tools/kefu ...).  0 found, -1 not. */
static int build_source(const char *dir, char *src, size_t srclen)
{
	char d[PATH_MAX], path[PATH_MAX + 32];

	snprintf(d, sizeof d, "%s", dir);
	for (int up = 0; up < 3; up++) {
		snprintf(path, sizeof path, "%s/" MARKER, d);
		FILE *f = fopen(path, "r");
		if (f) {
			char line[PATH_MAX];
			int ok = fgets(line, sizeof line, f) != NULL;
			fclose(f);
			if (ok) {
				line[strcspn(line, "\r\n")] = '\0';
				if (line[0] == '/' && is_dir(line)) {
					snprintf(src, srclen, "%s", line);
					return 0;
				}
			}
		}
		char *slash = strrchr(d, '/');
		if (!slash || slash == d)
			break;
		*slash = '\0';
	}
	return -1;
}

int cm_data_dir(const char *name, char *out, size_t outlen)
{
	char dir[PATH_MAX], src[PATH_MAX], guess[2 * PATH_MAX + 64], real[PATH_MAX];

	if (cm_exe_dir(dir, sizeof dir)) {
		snprintf(out, outlen, "%s", name);
		return -1;
	}
	if (build_source(dir, src, sizeof src) == 0)
		snprintf(guess, sizeof guess, "%s/%s", src, name);
	else if (KEFU_DATA_FROM_BIN[0] == '/')
		snprintf(guess, sizeof guess, "%s/%s", KEFU_DATA_FROM_BIN, name);
	else
		snprintf(guess, sizeof guess, "%s/%s/%s", dir, KEFU_DATA_FROM_BIN, name);
	if (realpath(guess, real)) {
		snprintf(out, outlen, "%s", real);
		return is_dir(real) ? 0 : 1;
	}
	snprintf(out, outlen, "%s", guess);
	return 1;
}
