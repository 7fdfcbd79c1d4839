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

#include "conf.h"

struct store;

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
/* rasa.c: a Rasa NLU YAML file (+ the responses of an optional domain file) as the
 * project's JSON import text (malloc'd), or NULL with the error printed.  *n_disabled
 * gets the number of intents that had no utter_ response (imported disabled). */
char *cli_rasa_to_json(const char *nlu_path, const char *domain_path, int *n_disabled);
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
int cmd_texts(int argc, char **argv);
int cmd_operator(int argc, char **argv);   /* cmd_operator.c */
int cmd_audit(int argc, char **argv);
int cmd_purge(int argc, char **argv);     /* cmd_privacy.c */
int cmd_forget(int argc, char **argv);
int cmd_export_customer(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
