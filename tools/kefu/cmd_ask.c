/* tools/kefu/cmd_ask.c — `kefu ask [--json] TEXT`: the reply kefud would give to a typed
 * message, computed by the same pol_answer (policy/) the daemon's workers call, from the
 * same store. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_policy.h"
#include "store.h"
#include "utf8.h"

int cmd_ask(int argc, char **argv)
{
	struct kefu_conf c;
	char *pos[1];
	int npos, rc = 1, json = cli_take_flag(&argc, argv, "--json");
	struct store *st = NULL;
	struct cli_policy pol;
	struct pol_reply r = { 0 };

	int p = cli_parse_conf(&c, "kefu ask", argc, argv, pos, 1, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	if (npos != 1) {
		fprintf(stderr, "usage: kefu ask [--json] [--db FILE] TEXT\n");
		return 2;
	}
	if (!cm_utf8_valid(pos[0], strlen(pos[0]))) {
		fprintf(stderr, "kefu ask: the text is not valid UTF-8\n");
		return 2;
	}
	st = cli_open_store(&c);
	if (!st)
		return 1;
	if (cli_policy_open(&pol, st, &c, 0))
		goto out;
	struct pol_input in = { .words = pos[0], .words_len = strlen(pos[0]) };
	if (pol_answer(&pol.m, &in, &r)) {
		fprintf(stderr, "kefu ask: out of memory\n");
		goto close;
	}
	if (json) {
		json_t *o = cli_reply_json(&r);
		char *s = cli_json_dumps(o);
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	} else {
		cli_reply_print(&r);
	}
	rc = 0;
	pol_reply_clear(&r);
close:
	cli_policy_close(&pol);
out:
	store_close(st);
	return rc;
}
