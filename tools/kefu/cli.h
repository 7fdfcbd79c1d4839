/* tools/kefu/cli.h — the `kefu` command line: command table entry points and the small
 * argument helpers they share.  Single-threaded (main thread) unless a command says so.
 *
 * Every command gets the raw arguments after its name.  It first takes its own flags
 * (cli_take_flag / cli_take_value remove them from argv), then hands the rest to
 * cli_parse_conf, which applies the shared kefud options (--db, --threshold, --config, ...)
 * from conf/ and returns the positional arguments.
 */
#ifndef KEFU_TOOLS_CLI_H
#define KEFU_TOOLS_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "conf.h"

struct store;

/* "kefu COMMAND", set by main.c before the command runs: every error starts with it. */
extern const char *cli_prog;
/* 0 for commands that read a store: cli_open_store/cli_open_existing then refuse a --db
 * that does not exist instead of creating it (main.c sets it; init and import create). */
extern int cli_may_create;

/* Removes every "--name" from argv; returns 1 if it was there. */
int cli_take_flag(int *argc, char **argv, const char *name);
/* Removes "--name VALUE" or "--name=VALUE" and returns VALUE (a pointer into argv), or
 * NULL if absent.  A missing VALUE is reported on stderr and returns "" (an error). */
const char *cli_take_value(int *argc, char **argv, const char *name);
/* Parses the remaining arguments as conf options (after filling defaults).  Returns 0,
 * 1 if --help was printed (the command should return 0), -1 on error (printed). */
int cli_parse_conf(struct kefu_conf *c, const char *prog, int argc, char **argv,
		   char **pos, int max_pos, int *n_pos);
/* Opens conf->db, creating and migrating it; seeds the demo store when the database
 * has no answer and conf->demo is set.  Prints errors; NULL on failure. */
struct store *cli_open_store(const struct kefu_conf *c);
/* Opens conf->db, creating and migrating it, without seeding anything (import, export,
 * stats: an empty store stays empty).  Prints errors; NULL on failure. */
struct store *cli_open_existing(const struct kefu_conf *c);
/* "cli:USER" into buf (the login of the user running kefu): who the audit log and the
 * answer versions say made a change from the command line.  Returns buf. */
const char *cli_actor(char *buf, size_t len);
/* The JSON text (compact, malloc'd; NULL for NULL or out of memory) of v with every
 * real number (confidences, scores, timings) rounded to 4 decimals first (in v): what
 * the --json outputs print.  Defined in cli.c. */
char *cli_json_dumps(json_t *v);
/* progress.c: a long command's progress on stderr (a redrawn bar on a terminal, plain
 * lines when piped, nothing with --quiet). */
struct cli_progress {
	const char *prog;
	int quiet, tty, drawn;
	double t0;
};
void cli_progress_init(struct cli_progress *p, const char *prog, int quiet);
/* A step done: (stage, done of total); arg is the struct cli_progress. */
void cli_progress_step(void *arg, const char *stage, int done, int total);
/* A step done with the fraction of the whole and the time left already known. */
void cli_progress_show(struct cli_progress *p, const char *stage, int done, int total,
		       double fraction, double left_s);
/* Ends the redrawn line (call before printing results). */
void cli_progress_end(struct cli_progress *p);
/* Reads a whole file (or stdin for "-") into a NUL-terminated malloc'd buffer. */
char *cli_read_file(const char *path, size_t *len_out);

/* Commands: each returns the process exit status. */
int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_ask(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_texts(int argc, char **argv);
int cmd_answer(int argc, char **argv);     /* cmd_answer.c */
int cmd_example(int argc, char **argv);
int cmd_operator(int argc, char **argv);   /* cmd_operator.c */
int cmd_audit(int argc, char **argv);
int cmd_purge(int argc, char **argv);     /* cmd_privacy.c */
int cmd_forget(int argc, char **argv);
int cmd_export_customer(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
