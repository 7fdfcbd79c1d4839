/* tools/kefu/main.c — `kefu`, the operator's command line: a table of commands.
 * Each command lives in its own cmd_*.c file and gets the arguments after its name.
 * `kefu COMMAND --help` is answered here from the table (the command's usage, its own
 * options, the shared ones), so no command prints kefud's option list; before a command
 * runs, cli_prog names it for error messages and cli_may_create says whether it may
 * make a store that does not exist yet (only init and import). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_eval.h"
#include "cmd_images.h"
#include "cmd_mining.h"
#include "cmd_summary.h"
#include "vision.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "init", cmd_init, "init [--demo false]: create or migrate the database (seeds the demo store unless --demo false)" },
	{ "import", cmd_import, "import FILE | RASA.yml|RASA_DIR...: CSV question,answer_title[,answer], kefu JSON export, or a Rasa project (NLU, domain, rules, stories)" },
	{ "export", cmd_export, "export [FILE]: answers and examples as kefu JSON or Rasa YAML (stdout by default)" },
	{ "answer", cmd_answer, "answer add TITLE --body TEXT | edit ANSWER | enable|disable|delete ANSWER | history ANSWER [--json] | revert ANSWER VERSION: change one answer, versioned (ANSWER: a title or #ID)" },
	{ "example", cmd_example, "example add|delete ANSWER TEXT...: add or delete example questions of one answer" },
	{ "ask", cmd_ask, "ask [--json] TEXT: the reply kefud would give" },
	{ "stats", cmd_stats, "stats [--json]: sessions, messages, answers (enabled and disabled), examples" },
	{ "train", cmd_train, "train [--cv K] [--candidate] [--json] [--quiet]: train the text encoder (with its report), picture category head and fusion model on the store, save them there (live, or a candidate)" },
	{ "models", cmd_models, "models list|activate V|rollback|report [V] [--json]: the trained versions, make one live, go back, a version's report against the live one" },
	{ "eval", cmd_eval, "eval --train FILE|RASA_DIR (--test FILE | --cv K) [--val FILE] [--oos-label L] [--json] [--quiet]" },
	{ "pictures", cmd_pictures, "pictures add [--answer TITLE] [--label L] FILE... | import DIR | list [--json]" },
	{ "see", cmd_see, "see FILE [--json]: what kefu reads and sees in a picture, and the answers it matches" },
	{ "eval-pairs", cmd_eval_pairs, "eval-pairs --pairs FILE.tsv [--train FILE] [--json]: how close kefu's sentence vectors put paraphrases (ROC AUC, best F1)" },
	{ "eval-speech", cmd_eval_speech, "eval-speech --train FILE --manifest TSV [--lm generic|domain|mixed] [--json]: spoken questions through kefud's audio path" },
	{ "letters-train", cmd_letters_train, "letters-train --data ROWS.tsv [--out MODEL] [--folds K --cv-out FILE]: the spelling pass's letter classifier from aligned letter segments (speech/letters_data.py)" },
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
	{ "eval-mining", cmd_eval_mining, "eval-mining --train STORE.csv --traffic TRAFFIC.csv [--clusters-out FILE.jsonl] [--json]: the review queue's collection and clustering on labelled traffic" },
};

/* What `kefu COMMAND --help` adds to the command's line: whether it may create the store
 * and its own options.  A command not listed reads an existing store (or none). */
static const struct command_extra {
	const char *name;
	int creates;             /* may create the --db store */
	const char *options;     /* one per line, or NULL */
} extras[] = {
	{ "init", 1, "  --demo false       leave a new store empty\n" },
	{ "import", 1, "  --dry-run          import, report, then roll back: nothing is written\n"
		       "  --domain D.yml     a Rasa domain file (same as naming it with the others)\n"
		       "  --titles FILE      answer titles for Rasa intents: \"intent: Title\" lines\n" },
	{ "export", 0, "  --format json|rasa kefu JSON (default) or one Rasa 3.x YAML file\n" },
	{ "answer", 0, "  --body TEXT        the answer text (Markdown)\n"
		       "  --title T          edit: a new title\n"
		       "  --lang L, --tags T language (default en) and comma-separated tags\n"
		       "  --disabled         add: the new answer starts disabled\n"
		       "  --json             history: the versions as one JSON array\n" },
	{ "stats", 0, "  --json             one JSON object\n" },
	{ "train", 0, "  --cv K             K-fold cross-validation first (default 3, 0: none)\n"
		      "  --json             the result as one JSON object\n"
		      "  --quiet            no progress on stderr\n" },
	{ "eval-mining", 0, "  --json             the figures as one JSON object\n"
			    "  --clusters-out F   the clusters as JSON lines {cluster, label, texts}\n"
			    "  --features F       both (default), tfidf, glove or hidden\n"
			    "  --method M         average (default) or dbscan\n"
			    "  --cluster-threshold S, --glove-weight W, --min-pts N, --low-conf C,\n"
			    "  --center 0|1, --attach S, --novelty T, --novelty-k K (0: no new_topic),\n"
			    "  --low-conf-novelty G\n"
			    "                     expert knobs of the clustering and collection\n"
			    "  --turns-out F      each question's answer, confidence, novelty, reasons (CSV)\n"
			    "  --by-reason        --json: what each reason collects (by_reason)\n"
			    "  --quiet            no training progress on stderr\n" },
};

static const struct command_extra *extra_of(const char *name)
{
	for (size_t i = 0; i < sizeof extras / sizeof *extras; i++)
		if (!strcmp(extras[i].name, name))
			return &extras[i];
	return NULL;
}

static void command_help(const struct command *cmd)
{
	const struct command_extra *x = extra_of(cmd->name);

	printf("usage: kefu %s\n", cmd->help);
	if (x && x->options)
		printf("\noptions:\n%s", x->options);
	printf("\noptions every command takes:\n"
	       "  --db FILE          the store (default kefu.db)%s\n"
	       "  --config FILE      read kefud's config file first\n"
	       "  kefud's other options (--models, --threshold, ...: kefud --help) where the "
	       "command uses them\n", x && x->creates ? "; created if missing" :
	       "; it must exist (kefu init)");
}

static void usage(FILE *out)
{
	fprintf(out, "usage: kefu COMMAND [options]   (kefu COMMAND --help for options)\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	static char prog[64];

	vis_ocr_prepare(argv);   /* see, eval-images: tesseract's OpenMP setting (vision/ocr.c) */
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		for (int a = 2; a < argc && strcmp(argv[a], "--"); a++)
			if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
				command_help(&commands[i]);
				return 0;
			}
		snprintf(prog, sizeof prog, "kefu %s", commands[i].name);
		cli_prog = prog;
		cli_may_create = extra_of(commands[i].name) && extra_of(commands[i].name)->creates;
		return commands[i].run(argc - 2, argv + 2);
	}
	fprintf(stderr, "kefu: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
