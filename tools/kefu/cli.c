/* tools/kefu/cli.c — argument helpers shared by the kefu commands (see cli.h). */
#include "cli.h"
#include "file.h"

#include <errno.h>
#include <pwd.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

const char *cli_prog = "kefu";
int cli_may_create = 1;

static void drop(int *argc, char **argv, int i, int n)
{
	memmove(argv + i, argv + i + n, (size_t)(*argc - i - n + 1) * sizeof *argv);
	*argc -= n;
}

int cli_take_flag(int *argc, char **argv, const char *name)
{
	int found = 0;

	for (int i = 0; i < *argc;) {
		if (!strcmp(argv[i], name)) {
			drop(argc, argv, i, 1);
			found = 1;
		} else {
			i++;
		}
	}
	return found;
}

const char *cli_take_value(int *argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < *argc; i++) {
		if (strncmp(argv[i], name, n))
			continue;
		if (argv[i][n] == '=') {
			const char *v = argv[i] + n + 1;
			drop(argc, argv, i, 1);
			return v;
		}
		if (argv[i][n] == '\0') {
			if (i + 1 >= *argc) {
				fprintf(stderr, "%s: %s needs a value\n", cli_prog, name);
				drop(argc, argv, i, 1);
				return "";
			}
			const char *v = argv[i + 1];
			drop(argc, argv, i, 2);
			return v;
		}
	}
	return NULL;
}

int cli_parse_conf(struct kefu_conf *c, const char *prog, int argc, char **argv,
		   char **pos, int max_pos, int *n_pos)
{
	char err[512];
	/* conf_parse_args skips argv[0]: hand it the command name in that slot. */
	char **args = malloc(sizeof *args * (size_t)(argc + 2));
	int rc;

	if (!args)
		return -1;
	args[0] = (char *)prog;
	memcpy(args + 1, argv, sizeof *args * (size_t)argc);
	args[argc + 1] = NULL;
	conf_defaults(c);
	rc = conf_parse_args(c, argc + 1, args, prog, pos, max_pos, n_pos, err, sizeof err);
	free(args);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", prog, err);
	if (rc == 0)
		cm_log_set_level(c->log_level < CM_LOG_WARN ? c->log_level : CM_LOG_WARN);
	return rc;
}

struct store *cli_open_existing(const struct kefu_conf *c)
{
	char err[512];
	struct store *st;

	/* a command that reads a store never makes one by mistake (a typo in --db) */
	if (!cli_may_create && strncmp(c->db, "file:", 5) && strcmp(c->db, ":memory:") &&
	    access(c->db, F_OK) != 0) {
		fprintf(stderr, "%s: no store at %s (kefu init --db %s creates one)\n", cli_prog,
			c->db, c->db);
		return NULL;
	}
	if (!(st = store_open(c->db, err, sizeof err)))
		fprintf(stderr, "%s: cannot open %s: %s\n", cli_prog, c->db, err);
	return st;
}

struct store *cli_open_store(const struct kefu_conf *c)
{
	char err[512];
	struct store *st = cli_open_existing(c);

	if (!st)
		return NULL;
	if (c->demo && store_is_empty(st) == 1) {
		if (store_seed_demo(st, err, sizeof err)) {
			fprintf(stderr, "%s: seeding the demo store failed: %s\n", cli_prog, err);
			store_close(st);
			return NULL;
		}
	}
	return st;
}

char *cli_read_file(const char *path, size_t *len_out)
{
	char *buf = cm_read_file(path, len_out);

	if (!buf)
		fprintf(stderr, "%s: %s: %s\n", cli_prog, path, strerror(errno));
	return buf;
}

const char *cli_actor(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw && pw->pw_name ? pw->pw_name : getenv("USER");

	snprintf(buf, len, "cli:%s", user && *user ? user : "unknown");
	return buf;
}

/* Rounds every real in v (recursively) to 4 decimals in place. */
static void round4(json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_real(v))
		json_real_set(v, round(json_real_value(v) * 1e4) / 1e4);
	else if (json_is_object(v))
		json_object_foreach(v, key, x)
			round4(x);
	else if (json_is_array(v))
		json_array_foreach(v, i, x)
			round4(x);
}

char *cli_json_dumps(json_t *v)
{
	if (!v)
		return NULL;
	round4(v);
	/* 15 significant digits print a value rounded to 4 decimals exactly as rounded
	 * (0.8123, not 0.81230000000000002) for anything below 1e11 */
	return json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15));
}
