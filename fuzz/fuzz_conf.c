/* fuzz/fuzz_conf.c — libFuzzer harness for the option parser (conf/conf.c): the input is
 * read as an INI config file by conf_load_mem (conf_load_file's reader, libinih + the option
 * table's validation, over the bytes in memory: a file per input cost a third of the time),
 * and its lines are also given as command-line flags to conf_parse_args.  Lines naming
 * --config are dropped from the flags (they would read a file of the fuzzer's choosing,
 * e.g. /dev/stdin, and block), and so are --help, -h and --print-config (they only print
 * the option table, at every execution).  The defaults are computed once (conf_defaults
 * finds the data folders from /proc/self/exe with readlink, stat and realpath: half the
 * time of an execution) and copied for each input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define FZ_MAX_ARGS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fresh configuration: conf_defaults' result, computed on the first call. */
static void defaults(struct kefu_conf *c)
{
	static struct kefu_conf d;
	static int done;

	if (!done) {
		conf_defaults(&d);
		done = 1;
	}
	*c = d;
}

static void parse_flags(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[FZ_MAX_ARGS + 2], *pos[4], err[512];
	int argc = 0, n_pos = 0;
	struct kefu_conf c;

	if (!copy)
		return;
	memcpy(copy, data, size);
	copy[size] = 0;
	argv[argc++] = "kefud";
	for (char *save = NULL, *t = strtok_r(copy, "\n", &save); t && argc <= FZ_MAX_ARGS;
	     t = strtok_r(NULL, "\n", &save))
		if (!strstr(t, "config") && !strstr(t, "help") && strcmp(t, "-h"))
			argv[argc++] = t;
	argv[argc] = NULL;
	defaults(&c);
	(void)conf_parse_args(&c, argc, argv, "kefud", pos, 4, &n_pos, err, sizeof err);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kefu_conf c;
	char err[512];

	defaults(&c);
	if (conf_load_mem(&c, (const char *)data, size, "fuzz.ini", err, sizeof err) == 0) {
		char host[256];
		int port;
		(void)conf_listen_split(&c, host, sizeof host, &port);
	}
	parse_flags(data, size);
	return 0;
}
