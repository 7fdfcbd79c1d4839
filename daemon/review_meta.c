/* daemon/review_meta.c — the facts the review thread reads off a logged reply's meta
 * (review_meta.h): whether it was a fallback, asked "Did you say ...?", was refused, and
 * the quick replies it offered.
 *
 * The meta is a flat object kd_reply_build writes (`{"title":…,"fallback":false,
 * "lang":…,"quick_replies":[],"client_id":…,"why":"words"}`); parsed by jansson it cost
 * the review thread ~1.7 µs a turn, a quarter of its CPU.  A direct scan
 * (common/jscan.c's strict reading, which decides only what jansson reads alike: a
 * duplicate key's last value, as jansson keeps) reads it instead, unless "quick_replies"
 * holds titles to copy: a fallback's quick replies, or any text the scan declines, go to
 * jansson as before.  `test_daemon` checks both agree on hand-made metas and random
 * mutations of them, and fuzz/fuzz_review_meta.c on whatever libFuzzer makes.  Pure; the
 * review thread.
 */
#include "review_meta.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

enum { F_FALLBACK, F_WHY, F_REFUSED, F_QUICK, F_N };

int kd_reply_meta_direct(const char *meta, struct kd_reply_meta *rm)
{
	struct cm_jscan_field f[F_N] = { [F_FALLBACK] = { .key = "fallback" },
		[F_WHY] = { .key = "why" }, [F_REFUSED] = { .key = "refused" },
		[F_QUICK] = { .key = "quick_replies" } };

	if (!cm_jscan_object(meta, strlen(meta), f, F_N))
		return 0;
	if (f[F_QUICK].val && f[F_QUICK].val[0] == '[') {
		const char *q = f[F_QUICK].val + 1;
		while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
			q++;
		if (*q != ']')
			return 0;   /* titles to copy: jansson's */
	}
	memset(rm, 0, sizeof *rm);
	rm->fallback = cm_jscan_is(&f[F_FALLBACK], "true");
	/* an escape decodes to no letter of it: an escaped string is not did_you_say */
	rm->did_you_say = cm_jscan_is(&f[F_WHY], "\"did_you_say\"");
	rm->refused = f[F_REFUSED].count > 0;
	return 1;
}

void kd_reply_meta_jansson(const char *meta, struct kd_reply_meta *rm)
{
	json_t *j = meta ? json_loads(meta, 0, NULL) : NULL;
	const char *why = json_string_value(json_object_get(j, "why"));
	json_t *q = json_object_get(j, "quick_replies"), *v;
	size_t i;

	memset(rm, 0, sizeof *rm);
	rm->fallback = json_is_true(json_object_get(j, "fallback"));
	rm->did_you_say = why && !strcmp(why, "did_you_say");
	rm->refused = json_object_get(j, "refused") != NULL;
	if (json_array_size(q) && (rm->quick = calloc(json_array_size(q), sizeof *rm->quick)))
		json_array_foreach(q, i, v) {
			const char *title = json_string_value(json_object_get(v, "title"));
			if (title && (rm->quick[rm->n_quick] = strdup(title)))
				rm->n_quick++;
		}
	json_decref(j);
}

void kd_reply_meta_read(const char *meta, struct kd_reply_meta *rm)
{
	if (!meta || !kd_reply_meta_direct(meta, rm))
		kd_reply_meta_jansson(meta, rm);
}

void kd_reply_meta_free(struct kd_reply_meta *rm)
{
	for (size_t i = 0; i < rm->n_quick; i++)
		free(rm->quick[i]);
	free(rm->quick);
	memset(rm, 0, sizeof *rm);
}
