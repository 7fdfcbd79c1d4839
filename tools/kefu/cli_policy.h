/* tools/kefu/cli_policy.h — the answer policy as kefud's workers hold it, for the `kefu`
 * commands that answer (ask, see): the store's bot, fusion model and picture labels
 * loaded once, pol_models filled with conf's thresholds, and the reply printed as text
 * or JSON.  Main thread. */
#ifndef KEFU_TOOLS_CLI_POLICY_H
#define KEFU_TOOLS_CLI_POLICY_H

#include <jansson.h>

#include "conf.h"
#include "policy.h"

struct store;
struct nlu_glove;

struct cli_policy {
	struct nlu_bot *bot;
	struct nlu_state *ns;
	struct nlu_glove *glove;
	struct fu_model *fusion;
	struct fu_state *fs;
	struct pol_labels *labels;
	struct pol_models m;
};

/* Loads the bot from st (and with pictures, the fusion model and the answers' picture
 * labels, as kefud does).  0, or 1 with the error printed (p closed). */
int cli_policy_open(struct cli_policy *p, struct store *st, const struct kefu_conf *c,
		    int pictures);
void cli_policy_close(struct cli_policy *p);

/* The reply as kefud's reply frame has it: text, answer_id, title, confidence, fallback,
 * lang, quick_replies, why (and refused).  New reference or NULL. */
json_t *cli_reply_json(const struct pol_reply *r);
/* The reply as text lines on stdout. */
void cli_reply_print(const struct pol_reply *r);

#endif
