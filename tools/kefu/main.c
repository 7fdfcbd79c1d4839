/* tools/kefu/main.c — `kefu`, the operator's command line: a table of commands.
 * Each command lives in its own cmd_*.c file and gets the arguments after its name. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_eval.h"
#include "cmd_images.h"
#include "cmd_summary.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "init", cmd_init, "create or migrate the database (seeds the demo store unless --demo false)" },
	{ "import", cmd_import, "import FILE [--domain D.yml]: CSV question,answer_title[,answer], kefu JSON export, or Rasa NLU YAML" },
	{ "export", cmd_export, "export [FILE]: answers and examples as kefu JSON (stdout by default)" },
	{ "ask", cmd_ask, "ask [--json] TEXT: the reply kefud would give" },
	{ "stats", cmd_stats, "stats [--json]: sessions, messages, answers" },
	{ "train", cmd_train, "train [--cv K] [--json]: train the text encoder, picture category head and fusion model on the store, save them there" },
	{ "eval", cmd_eval, "eval --train FILE (--test FILE | --cv K) [--val FILE] [--oos-label L] [--json]" },
	{ "pictures", cmd_pictures, "pictures add [--answer TITLE] [--label L] FILE... | import DIR | list [--json]" },
	{ "see", cmd_see, "see FILE [--json]: what kefu reads and sees in a picture, and the answers it matches" },
	{ "eval-speech", cmd_eval_speech, "eval-speech --train FILE --manifest TSV [--lm generic|domain|mixed] [--json]: spoken questions through kefud's audio path" },
	{ "texts", cmd_texts, "texts list [KEY] | set KEY LANG TEXT | reset KEY LANG [--json]: kefu's own words to customers" },
	{ "operator", cmd_operator, "operator add LOGIN --role admin|agent [--name N] | list | disable|enable|passwd LOGIN | token LOGIN | tokens | revoke ID: console accounts (password from stdin)" },
	{ "audit", cmd_audit, "audit [--json] [--since 2h|2026-12-01|MS] [--limit N]: who changed what, newest first" },
	{ "eval-images", cmd_eval_images, "eval-images --train DIR --test DIR [--reject DIR] [--json]: category head and search" },
	{ "summarize", cmd_summarize, "summarize --session TOKEN [--json]: the summary card of a conversation" },
	{ "purge", cmd_purge, "purge [--days N]: delete sessions idle longer than N days (default retention_days)" },
	{ "forget", cmd_forget, "forget --session TOKEN | --customer ID|EMAIL: delete everything of one customer" },
	{ "export-customer", cmd_export_customer, "export-customer --session TOKEN | --customer ID|EMAIL [--out FILE]: a customer's data as JSON" },
	{ "backup", cmd_backup, "backup --out FILE: online copy of --db (consistent while kefud serves), checked" },
	{ "check", cmd_check, "check [--json]: integrity, foreign keys and schema version of --db (read-only)" },
	{ "eval-summary", cmd_eval_summary, "eval-summary --dialogs FILE.jsonl [--summaries-out FILE.jsonl] [--json]: ROUGE of kefu's summaries beside Lead and LexRank" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: kefu COMMAND [options]   (kefu COMMAND --help for options)\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 2, argv + 2);
	fprintf(stderr, "kefu: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
