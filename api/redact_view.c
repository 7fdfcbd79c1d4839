/* api/redact_view.c — the console's view of what customers wrote, with personal data
 * taken out the way the rest of kefu takes it out (common/redact.c, cm_redact: payment
 * card numbers, IBANs, e-mail addresses and phone numbers become "[card]", "[iban]",
 * "[email]", "[phone]"; docs/security.md "Privacy and data care").  Applied to every
 * answer of the inbox routes (api/conversations.c, api/summary_route.c) before it leaves
 * kefud: customers' messages (text, the strings of their meta and of their attachments'
 * meta: transcripts, text read in pictures), ratings' comments, hand-off reasons, the
 * list's last text when a customer wrote it, search hits in customers' messages, and the
 * summary card.  Kept as they are: what the bot and operators wrote, and the contact a
 * customer left with a leave_message (meta "email", "phone", "name": given so that a
 * person calls back; store_meta_kept).  The store keeps the words unless `redact_log` is
 * on, which applies the same rules (store/privacy.c, store_redact_json).  Pure functions
 * on the calling API worker's JSON.
 */
#include <string.h>

#include "api_int.h"
#include "redact.h"

/* Every string inside v redacted, the members named in keep at its top level kept. */
static void redact_all(json_t *v, const char *const *keep)
{
	store_redact_json(v, CM_REDACT_ALL, keep);
}

static int is_customer(json_t *o, const char *key)
{
	const char *k = json_string_value(json_object_get(o, key));

	return k && !strcmp(k, "customer");
}

/* A conversation item of the list (or of one conversation): last_text when a customer
 * wrote it. */
static void redact_item(json_t *conv)
{
	if (is_customer(conv, "last_kind"))
		redact_all(json_object_get(conv, "last_text"), NULL);
}

void api_redact_list(json_t *list)
{
	size_t i;
	json_t *c;

	json_array_foreach(list, i, c)
		redact_item(c);
}

void api_redact_conversation(json_t *j)
{
	json_t *m, *a;
	size_t i, k;

	redact_item(json_object_get(j, "conversation"));
	json_array_foreach(json_object_get(j, "messages"), i, m) {
		if (!is_customer(m, "kind"))
			continue;
		redact_all(json_object_get(m, "text"), NULL);
		json_t *meta = json_object_get(m, "meta");
		redact_all(meta, store_meta_kept(meta));
		json_array_foreach(json_object_get(m, "attachments"), k, a)
			redact_all(json_object_get(a, "meta"), NULL);
	}
	json_array_foreach(json_object_get(j, "ratings"), i, m)
		redact_all(json_object_get(m, "comment"), NULL);
	json_array_foreach(json_object_get(j, "handoffs"), i, m)
		redact_all(json_object_get(m, "reason"), NULL);
}

void api_redact_hits(json_t *hits)
{
	size_t i;
	json_t *h;

	json_array_foreach(hits, i, h)
		if (is_customer(h, "kind"))
			redact_all(json_object_get(h, "text"), NULL);
}

void api_redact_card(json_t *card)
{
	redact_all(card, NULL);
}
