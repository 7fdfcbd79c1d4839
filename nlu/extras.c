/* nlu/extras.c — what the bot says and hears beyond one body per answer: variants
 * (further bodies of an answer, a Rasa response's variations: each reply of the answer
 * gives the next of body and variants in turn, counted per answer across the bot's
 * threads), buttons (quick replies an answer offers; a customer sending a button's words
 * gets the answer it selects, as with an answer's title), and synonyms (a customer's word
 * or phrase replaced by the store's wording before the bot reads the question).  They
 * are added from the store (nlu/load.c) while the bot is built; afterwards only the
 * turn counters change (atomics), so the bot stays shared read-only by every worker.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nlu_int.h"

/* Appends one element of size elem to *arr of *n (grown by one). */
static void *push(void *arr, size_t *n, size_t elem)
{
	void *p = realloc(arr, (*n + 1) * elem);

	if (p)
		++*n;
	return p;
}

int nlu_bot_add_variant(struct nlu_bot *bot, int64_t answer_id, const char *body)
{
	long i = nlu_answer_index(bot, answer_id);
	struct nlu_answer *a;
	char **v, *d;

	if (i < 0 || !body || !body[0])
		return 0;
	a = &bot->answers[i];
	if (!(d = strdup(body)))
		return -1;
	if (!(v = push(a->variants, &a->n_variants, sizeof *v))) {
		free(d);
		return -1;
	}
	a->variants = v;
	v[a->n_variants - 1] = d;
	return 0;
}

int nlu_bot_add_button(struct nlu_bot *bot, int64_t answer_id, const char *title,
		       const char *target_title)
{
	long i = nlu_answer_index(bot, answer_id), t = -1;
	struct nlu_answer *a;
	struct nlu_button *b, nb = { 0 };
	struct nlu_text *tx;
	const char *norm;
	size_t nl;

	for (size_t k = 0; k < bot->n_answers && t < 0; k++)
		if (!strcmp(bot->answers[k].title, target_title))
			t = (long)k;
	if (i < 0 || t < 0 || !title || !title[0])
		return 0;                    /* the target is disabled or gone: no button */
	a = &bot->answers[i];
	if (!(tx = nlu_text_create(NLU_QUERY_BYTES)))
		return -1;
	norm = nlu_text_normalise(tx, title, strlen(title), &nl);
	nb.title = strdup(title);
	nb.title_norm = malloc(nl + 1);
	nb.target = (uint32_t)t;
	if (nb.title_norm)
		nb.title_norm[norm ? nlu_collapse_spaces(nb.title_norm, norm, nl) : 0] = '\0';
	nlu_text_destroy(tx);
	if (!nb.title || !nb.title_norm || !(b = push(a->buttons, &a->n_buttons, sizeof *b))) {
		free(nb.title);
		free(nb.title_norm);
		return -1;
	}
	a->buttons = b;
	b[a->n_buttons - 1] = nb;
	return 0;
}

static int longest_first(const void *x, const void *y)
{
	const struct nlu_synonym *a = x, *b = y;

	return a->len < b->len ? 1 : a->len > b->len ? -1 : strcmp(a->word, b->word);
}

int nlu_bot_add_synonym(struct nlu_bot *bot, const char *word, const char *canonical)
{
	struct nlu_synonym *s, n = { strdup(word), strdup(canonical), strlen(word) };

	if (!n.word || !n.canonical || !(s = push(bot->syn, &bot->n_syn, sizeof *s))) {
		free(n.word);
		free(n.canonical);
		return -1;
	}
	bot->syn = s;
	s[bot->n_syn - 1] = n;
	qsort(bot->syn, bot->n_syn, sizeof *bot->syn, longest_first);
	return 0;
}

void nlu_extras_free(struct nlu_bot *bot)
{
	for (size_t i = 0; i < bot->n_answers; i++) {
		struct nlu_answer *a = &bot->answers[i];
		for (size_t k = 0; k < a->n_variants; k++)
			free(a->variants[k]);
		for (size_t k = 0; k < a->n_buttons; k++) {
			free(a->buttons[k].title);
			free(a->buttons[k].title_norm);
		}
		free(a->variants);
		free(a->buttons);
	}
	for (size_t i = 0; i < bot->n_syn; i++) {
		free(bot->syn[i].word);
		free(bot->syn[i].canonical);
	}
	free(bot->syn);
}

long nlu_button_find(const struct nlu_bot *bot, const char *key, size_t len)
{
	for (size_t i = 0; i < bot->n_answers; i++)
		for (size_t k = 0; k < bot->answers[i].n_buttons; k++) {
			const struct nlu_button *b = &bot->answers[i].buttons[k];
			if (b->title_norm[0] && strlen(b->title_norm) == len &&
			    !memcmp(b->title_norm, key, len))
				return b->target;
		}
	return -1;
}

void nlu_answer_give(const struct nlu_bot *bot, size_t i, struct nlu_reply *out)
{
	struct nlu_answer *a = &bot->answers[i];
	unsigned k = 0;

	out->answer_id = a->id;
	out->title = a->title;
	out->lang = a->lang;
	if (a->n_variants)
		k = atomic_fetch_add_explicit(&a->turn, 1, memory_order_relaxed) %
		    (unsigned)(a->n_variants + 1);
	out->text = k ? a->variants[k - 1] : a->body;
	out->n_quick = 0;
	for (size_t b = 0; b < a->n_buttons && out->n_quick < NLU_MAX_QUICK; b++) {
		out->quick[out->n_quick].answer_id = bot->answers[a->buttons[b].target].id;
		out->quick[out->n_quick].title = a->buttons[b].title;
		out->n_quick++;
	}
	for (int f = 0; f < a->n_follow && out->n_quick < NLU_MAX_QUICK; f++) {   /* follow-ups */
		out->quick[out->n_quick].answer_id = bot->answers[a->follow[f]].id;
		out->quick[out->n_quick].title = bot->answers[a->follow[f]].title;
		out->n_quick++;
	}
}

static int word_byte(unsigned char c)
{
	return isalnum(c) || c == '_';
}

const char *nlu_synonyms_apply(const struct nlu_bot *bot, struct nlu_state *s,
			       const char *text, size_t *len)
{
	size_t n = *len, o = 0, hits = 0;
	char *out = s->syn;

	if (!bot->n_syn)
		return text;
	for (size_t i = 0; i < n;) {
		const struct nlu_synonym *hit = NULL;
		int at_start = i == 0 || !word_byte((unsigned char)text[i - 1]);
		for (size_t k = 0; k < bot->n_syn && !hit; k++) {
			const struct nlu_synonym *y = &bot->syn[k];
			int ascii = (unsigned char)y->word[0] < 0x80;
			if (tolower((unsigned char)text[i]) != (unsigned char)y->word[0] ||
			    y->len > n - i || strncasecmp(text + i, y->word, y->len))
				continue;
			/* Latin words whole (not "cards" in "scards"); CJK anywhere */
			if (ascii && (!at_start || (i + y->len < n &&
						    word_byte((unsigned char)text[i + y->len]))))
				continue;
			hit = y;
		}
		size_t add = hit ? strlen(hit->canonical) : 1;
		if (o + add >= sizeof s->syn)
			return text;              /* does not fit: the customer's own words */
		if (hit) {
			memcpy(out + o, hit->canonical, add);
			i += hit->len;
			hits++;
		} else {
			out[o] = text[i++];
		}
		o += add;
	}
	if (!hits)
		return text;
	out[o] = '\0';
	*len = o;
	return out;
}
