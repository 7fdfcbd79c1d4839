/* summary/card.c — kefu's summariser and the summary card (summary.h).
 *
 * 1. The dialogue's customer and agent sentences (doc.c; the bot's answers are named by
 *    their titles instead) are ranked by centrality: continuous LexRank, PageRank over the
 *    TF-IDF (+ GloVe) cosine graph, 1 = an average sentence; half centrality, half a
 *    uniform prior (0.5 (1 + rank)), so a point made once is not drowned by one made
 *    three times.
 * 2. Each score is multiplied by what a summary of a support conversation needs: enough
 *    content words (min(1, content / 4 words or 8 characters)); a greeting or thanks
 *    counts 0.3; a customer sentence stating a problem or asking (cue list) 1.5, an agent
 *    sentence telling what to do or what was done 1.5; the customer's first turn states
 *    the problem, later turns weigh 1/sqrt(1 + turn).
 * 3. Maximal marginal relevance (λ = 0.7) picks customer sentences for the first half of
 *    the budget and agent sentences for the rest, each new one against everything picked;
 *    a sentence as similar as 0.5 to a picked one is a repetition and never picked, one
 *    scoring under a fifth of its side's best is not worth the room.
 * 4. Templates from the language's table (words.c) put it together: "Customer: … Agent: …
 *    Bot answered “Title”, …", cut at the budget.
 * The card adds the entities, each answer with the customer's reaction, the language and
 * the mood.  These few constants are chosen from what the parts mean, not fitted to a set.
 * Any thread: the context is only read; everything else is the call's own.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glove.h"
#include "sum_int.h"
#include "text.h"

#define MMR_LAMBDA 0.7
#define MIN_OF_BEST 0.2  /* a sentence scoring under this share of its side's best is not worth the room */
#define PHATIC_WEIGHT 0.3
#define CUE_BONUS 0.5
#define REPHRASE_SIM 0.3     /* TF-IDF cosine: the customer asked the same again */
#define REPEAT_SIM 0.5       /* doc similarity: a sentence repeating a picked one */
#define MAX_ENTITIES 32
#define MIN_FRAGMENT 4    /* tokens: a sentence cut shorter than this is left out */

/* ---- context -------------------------------------------------------------------------- */

struct sum_ctx *sum_ctx_create(const char *glove_path, char *err, size_t errlen)
{
	struct sum_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (glove_path) {
		ctx->glove = nlu_glove_open(glove_path, err, errlen);
		if (!ctx->glove) {
			free(ctx);
			return NULL;
		}
	}
	return ctx;
}

void sum_ctx_destroy(struct sum_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->glove)
		nlu_glove_close(ctx->glove);
	free(ctx);
}

int sum_ctx_has_glove(const struct sum_ctx *ctx)
{
	return ctx->glove != NULL;
}

/* ---- names and words ------------------------------------------------------------------- */

static int bit_index(int bit)
{
	int i = 0;
	while (bit > 1 && i < 3) {
		bit >>= 1;
		i++;
	}
	return i;
}

const char *sum_word_entity(const char *lang, int kind)
{
	return kind >= 0 && kind < SUM_ENT_N_KINDS ? sum_words_for(lang)->entity[kind] : "";
}

const char *sum_word_reaction(const char *lang, int bit)
{
	return sum_words_for(lang)->reaction[bit_index(bit)];
}

const char *sum_word_mood(const char *lang, int mood)
{
	return sum_words_for(lang)->mood[mood < 0 ? 0 : mood > 0 ? 2 : 1];
}

const char *sum_name_entity(int kind)
{
	static const char *const names[SUM_ENT_N_KINDS] = {
		"order", "amount", "error_code", "email", "date", "phone", "code",
	};
	return kind >= 0 && kind < SUM_ENT_N_KINDS ? names[kind] : "";
}

const char *sum_name_reaction(int bit)
{
	static const char *const names[4] = { "thumbs_up", "thumbs_down", "rephrased",
					       "asked_for_person" };
	return names[bit_index(bit)];
}

const char *sum_name_mood(int mood)
{
	return mood < 0 ? "negative" : mood > 0 ? "positive" : "neutral";
}

/* ---- scoring and selection -------------------------------------------------------------- */

/* 1 for a bot turn the card names by its answer (or as unsure) instead of quoting. */
static int named_bot_turn(const struct sum_turn *t)
{
	return t->role == SUM_BOT && (t->answer_title || t->fallback);
}

static void score_sentences(const struct sum_doc *doc, const double *rank, double *score)
{
	int zh = doc->zh;
	for (size_t i = 0; i < doc->n; i++) {
		const struct sum_sent *s = &doc->s[i];
		double enough = zh ? 8.0 : 4.0, w = 0.5 * (1.0 + rank[i]);
		w *= s->n_content >= enough ? 1.0 : s->n_content / enough;
		if (s->n_content < 1.5 * enough &&
		    sum_cue_any(doc->words->phatic, s->norm, s->norm_len))
			w *= PHATIC_WEIGHT;
		if (s->role == SUM_CUSTOMER) {
			if (sum_cue_any(doc->words->problem, s->norm, s->norm_len))
				w *= 1 + CUE_BONUS;
			w /= sqrt(1.0 + s->turn_rank);
		} else if (sum_cue_any(doc->words->action, s->norm, s->norm_len)) {
			w *= 1 + CUE_BONUS;
		}
		score[i] = w;
	}
}

/* Picks sentences of the wanted side (customer or not) by MMR into take[] until their
 * tokens reach target or none is left; returns the tokens taken. */
static int mmr_pick(const struct sum_doc *doc, const double *score, int customer, int target,
		    int max_sents, char *take)
{
	double best_score = 0;
	int len = 0, picked = 0;

	for (size_t i = 0; i < doc->n; i++)
		if ((doc->s[i].role == SUM_CUSTOMER) == customer && score[i] > best_score)
			best_score = score[i];
	if (best_score <= 0)
		return 0;
	while (len < target && picked < max_sents) {
		double best = -1e9;
		size_t bi = doc->n;
		for (size_t i = 0; i < doc->n; i++) {
			if (take[i] || (doc->s[i].role == SUM_CUSTOMER) != customer ||
			    score[i] < MIN_OF_BEST * best_score)
				continue;
			double red = 0;
			for (size_t j = 0; j < doc->n; j++)
				if (take[j] && doc->sim[i * doc->n + j] > red)
					red = doc->sim[i * doc->n + j];
			if (red >= REPEAT_SIM)
				continue;           /* says again what a picked one says */
			double m = MMR_LAMBDA * score[i] / best_score - (1 - MMR_LAMBDA) * red;
			if (m > best) {
				best = m;
				bi = i;
			}
		}
		if (bi == doc->n)
			break;
		take[bi] = 1;
		len += doc->s[bi].n_tok;
		picked++;
	}
	return len;
}

/* 1 when s[0..len) ends with a sentence mark (. ! ? … or their full-width forms). */
static int ends_sentence(const char *s, size_t len)
{
	static const char *const marks[] = { ".", "!", "?", "\u3002", "\uff01", "\uff1f",
					     "\u2026", NULL };
	for (const char *const *m = marks; *m; m++) {
		size_t k = strlen(*m);
		if (len >= k && !memcmp(s + len - k, *m, k))
			return 1;
	}
	return 0;
}

/* Ends what b holds so far as a sentence (a mark if it has none, then the separator)
 * before another part is appended; nothing on an empty b. */
static void close_sentence(struct cm_buf *b, const struct sum_words *w)
{
	if (!b->len)
		return;
	if (!ends_sentence(b->p, b->len))
		cm_buf_str(b, w->sentence_end);
	cm_buf_str(b, w->sentence_sep);
}

/* Appends the picked sentences of one side in dialogue order, cut at share tokens. */
static void join_side(struct cm_buf *b, const struct sum_doc *doc, const char *take,
		      int customer, int share)
{
	size_t start = b->len;
	int first = 1, used = 0;
	for (size_t i = 0; i < doc->n; i++) {
		if (!take[i] || (doc->s[i].role == SUM_CUSTOMER) != customer)
			continue;
		/* no stub of a sentence: a later one starts only with a few tokens left */
		if (!first && share > 0 && share - used < MIN_FRAGMENT)
			break;
		used += doc->s[i].n_tok;
		if (!first)
			close_sentence(b, doc->words);
		cm_buf_add(b, doc->s[i].text, doc->s[i].len);
		first = 0;
	}
	if (!b->oom && share > 0) {
		size_t keep = start + sum_cut_len(b->p + start, (size_t)share);
		if (keep < b->len) {
			/* cut inside a sentence: end at its last clause mark when that keeps at
			 * least half of the fragment, and say that something was left out */
			size_t last = start, clause = 0;
			for (size_t k = start; k < keep; k++)
				if (strchr(".!?\n", b->p[k]) && k + 1 < keep)
					last = k + 1;
			for (size_t k = last; k < keep; k++) {
				if (b->p[k] == ',' || b->p[k] == ';')
					clause = k;
				else if (k + 3 <= keep && (!memcmp(b->p + k, "，", 3) ||
							   !memcmp(b->p + k, "；", 3) ||
							   !memcmp(b->p + k, "、", 3)))
					clause = k;
			}
			if (clause && clause - last >= (keep - last) / 2)
				keep = clause;
			b->len = keep;
			b->p[b->len] = 0;
			cm_buf_str(b, "\u2026");
		}
	}
}

/* "“A”, “B”" of the distinct answer titles, or NULL when there is none. */
static char *titles_list(const struct sum_words *w, const struct sum_dialog *d)
{
	struct cm_buf b = { 0 };
	int n = 0;
	cm_buf_add(&b, "", 0);
	for (size_t i = 0; i < d->n_turns; i++) {
		const char *t = d->turns[i].role == SUM_BOT ? d->turns[i].answer_title : NULL;
		int seen = 0;
		if (!t)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = d->turns[j].role == SUM_BOT && d->turns[j].answer_title &&
			       !strcmp(d->turns[j].answer_title, t);
		if (seen)
			continue;
		const char *names[] = { "t" }, *vals[] = { t };
		char *q = sum_fill(w->quote, names, vals, 1);
		if (!q) {
			b.oom = 1;
			break;
		}
		if (n++)
			cm_buf_str(&b, w->list_sep);
		cm_buf_str(&b, q);
		free(q);
	}
	if (b.oom || !n) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* The summary text: labelled sides, the bot's answers, cut at budget. */
static char *compose(const struct sum_doc *doc, const struct sum_dialog *d, const char *take,
		     int budget, int any_fallback)
{
	const struct sum_words *w = doc->words;
	struct cm_buf b = { 0 };
	char *titles = titles_list(w, d), *bot = NULL;
	int have_c = 0, have_a = 0, avail = budget;

	for (size_t i = 0; i < doc->n; i++)
		if (take[i])
			*(doc->s[i].role == SUM_CUSTOMER ? &have_c : &have_a) = 1;
	/* the bot's part is kept whole: the sides share what it leaves (at least half) */
	if (titles) {
		const char *names[] = { "titles" }, *vals[] = { titles };
		bot = sum_fill(w->bot_answered, names, vals, 1);
		b.oom |= !bot;
	} else if (any_fallback) {
		bot = strdup(w->bot_unsure);
		b.oom |= !bot;
	}
	if (bot) {
		avail = budget - (int)sum_rouge_len(bot);
		avail = avail < budget / 2 ? budget / 2 : avail;
	}
	cm_buf_add(&b, "", 0);
	if (have_c) {
		int share = (have_a ? avail / 2 : avail) - (int)sum_rouge_len(w->customer_label);
		cm_buf_str(&b, w->customer_label);
		cm_buf_str(&b, w->sentence_sep);
		join_side(&b, doc, take, 1, share > 1 ? share : 1);
	}
	if (have_a) {
		close_sentence(&b, w);
		cm_buf_str(&b, w->agent_label);
		cm_buf_str(&b, w->sentence_sep);
		int share = avail - (int)sum_rouge_len(b.p);
		join_side(&b, doc, take, 0, share > 1 ? share : 1);
	}
	if (bot) {
		close_sentence(&b, w);
		cm_buf_str(&b, bot);
	}
	free(titles);
	free(bot);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (sum_rouge_len(b.p) > (size_t)budget)
		b.p[sum_cut_len(b.p, (size_t)budget)] = 0;
	return b.p;
}

/* ---- the card ------------------------------------------------------------------------- */

/* Highest TF-IDF cosine between a sentence of turn a and one of turn b. */
static double turn_sim(const struct sum_doc *doc, int a, int b)
{
	double best = 0;
	for (size_t i = 0; i < doc->n; i++) {
		if (doc->s[i].turn != a)
			continue;
		for (size_t j = 0; j < doc->n; j++)
			if (doc->s[j].turn == b && doc->tfidf_sim[i * doc->n + j] > best)
				best = doc->tfidf_sim[i * doc->n + j];
	}
	return best;
}

static int turn_cue(const struct sum_doc *doc, int turn, const char *const *list)
{
	int k = 0;
	for (size_t i = 0; i < doc->n; i++)
		if (doc->s[i].turn == turn)
			k += sum_cue_count(list, doc->s[i].norm, doc->s[i].norm_len);
	return k;
}

static int answers(const struct sum_doc *doc, const struct sum_dialog *d, struct sum_card *c)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_turns; i++)
		n += named_bot_turn(&d->turns[i]);
	c->answers = calloc(n ? n : 1, sizeof *c->answers);
	if (!c->answers)
		return -1;
	for (size_t i = 0; i < d->n_turns; i++) {
		const struct sum_turn *t = &d->turns[i];
		if (!named_bot_turn(t))
			continue;
		struct sum_answer *a = &c->answers[c->n_answers++];
		int asked = -1, next = -1;
		a->turn = (int)i;
		a->title = t->answer_title;
		a->confidence = t->confidence;
		a->fallback = t->fallback;
		a->reaction = t->feedback > 0 ? SUM_REACT_THUMBS_UP
			    : t->feedback < 0 ? SUM_REACT_THUMBS_DOWN : 0;
		for (int j = (int)i - 1; j >= 0 && asked < 0; j--)
			if (d->turns[j].role == SUM_CUSTOMER)
				asked = j;
		for (size_t j = i + 1; j < d->n_turns && next < 0; j++) {
			const struct sum_turn *u = &d->turns[j];
			if (u->role == SUM_SYSTEM && u->handoff)
				a->reaction |= SUM_REACT_PERSON;
			if (u->role == SUM_BOT && named_bot_turn(u))
				break;
			if (u->role == SUM_CUSTOMER)
				next = (int)j;
		}
		if (next >= 0 && turn_cue(doc, next, doc->words->person))
			a->reaction |= SUM_REACT_PERSON;
		if (next >= 0 && asked >= 0 && turn_sim(doc, asked, next) >= REPHRASE_SIM)
			a->reaction |= SUM_REACT_REPHRASED;
	}
	return 0;
}

static int entities(const struct sum_dialog *d, struct sum_card *c)
{
	size_t n = 0;
	c->entities = calloc(MAX_ENTITIES, sizeof *c->entities);
	if (!c->entities)
		return -1;
	for (size_t i = 0; i < d->n_turns; i++) {
		const struct sum_turn *t = &d->turns[i];
		if (t->role != SUM_CUSTOMER && t->role != SUM_AGENT)
			continue;
		for (size_t k = 0; k < t->n_seen; k++) {
			const char *kind = t->seen[k].kind ? t->seen[k].kind : "";
			int ek = !strcmp(kind, "order") ? SUM_ENT_ORDER
			       : !strcmp(kind, "error_code") ? SUM_ENT_ERROR_CODE
			       : !strcmp(kind, "code") ? SUM_ENT_CODE : -1;
			if (ek >= 0 && t->seen[k].text)
				sum_entity_add(c->entities, &n, MAX_ENTITIES, ek, SUM_SRC_PICTURE,
					       (int)i, t->seen[k].text, strlen(t->seen[k].text));
		}
		if (t->ocr_text)
			sum_entities_find(t->ocr_text, SUM_SRC_PICTURE, (int)i, c->entities, &n,
					  MAX_ENTITIES);
		sum_entities_find(t->text, t->source, (int)i, c->entities, &n, MAX_ENTITIES);
	}
	c->n_entities = n;
	return 0;
}

static void mood(const struct sum_doc *doc, const struct sum_dialog *d, struct sum_card *c)
{
	double m = 0;
	for (size_t i = 0; i < doc->n; i++) {
		const struct sum_sent *s = &doc->s[i];
		if (s->role != SUM_CUSTOMER)
			continue;
		m += sum_cue_count(doc->words->positive, s->norm, s->norm_len);
		m -= sum_cue_count(doc->words->negative, s->norm, s->norm_len);
		if (sum_cue_any(doc->words->person, s->norm, s->norm_len))
			c->asked_person = 1;
	}
	for (size_t i = 0; i < d->n_turns; i++)
		if (d->turns[i].role == SUM_SYSTEM && d->turns[i].handoff)
			c->asked_person = 1;
	for (size_t i = 0; i < c->n_answers; i++) {
		int r = c->answers[i].reaction;
		m += (r & SUM_REACT_THUMBS_UP) ? 1 : 0;
		m -= (r & SUM_REACT_THUMBS_DOWN) ? 1 : 0;
		m -= (r & SUM_REACT_REPHRASED) ? 0.5 : 0;
	}
	m -= c->asked_person;
	c->mood_score = m;
	c->mood = m <= -1 ? SUM_MOOD_NEGATIVE : m >= 1 ? SUM_MOOD_POSITIVE : SUM_MOOD_NEUTRAL;
}

static void line(struct cm_buf *b, const struct sum_words *w, const char *label,
		 const char *value)
{
	const char *names[] = { "label", "value" }, *vals[] = { label, value };
	char *s = sum_fill(w->card_line, names, vals, 2);
	if (!s)
		b->oom = 1;
	cm_buf_str(b, s);
	free(s);
}

static char *render(const struct sum_words *w, const struct sum_card *c)
{
	struct cm_buf b = { 0 }, v = { 0 };
	cm_buf_add(&b, "", 0);
	line(&b, w, w->h_problem, c->problem[0] ? c->problem : w->none);

	cm_buf_add(&v, "", 0);
	for (size_t i = 0; i < c->n_entities; i++) {
		const struct sum_entity *e = &c->entities[i];
		const char *names[] = { "kind", "text", "source" };
		const char *vals[] = { w->entity[e->kind], e->text, w->source[e->source % 3] };
		char *s = sum_fill(w->entity_item, names, vals, 3);
		if (i)
			cm_buf_str(&v, w->list_sep);
		cm_buf_str(&v, s);
		v.oom |= !s;
		free(s);
	}
	line(&b, w, w->h_entities, c->n_entities ? v.p : w->none);

	v.len = 0;
	v.p[0] = 0;
	for (size_t i = 0; i < c->n_answers; i++) {
		const struct sum_answer *a = &c->answers[i];
		struct cm_buf r = { 0 };
		cm_buf_add(&r, "", 0);
		for (int bit = 1; bit <= SUM_REACT_PERSON; bit <<= 1)
			if (a->reaction & bit) {
				if (r.len)
					cm_buf_str(&r, w->list_sep);
				cm_buf_str(&r, w->reaction[bit_index(bit)]);
			}
		const char *tn[] = { "t" }, *tv[] = { a->title };
		char *q = a->title ? sum_fill(w->quote, tn, tv, 1) : NULL;
		const char *names[] = { "title", "reactions" };
		const char *vals[] = { q ? q : w->unsure_title, r.len ? r.p : w->no_reaction };
		char *s = sum_fill(w->answer_line, names, vals, 2);
		if (i)
			cm_buf_str(&v, w->list_sep);
		cm_buf_str(&v, s);
		v.oom |= !s || r.oom || (a->title && !q);
		free(s);
		free(q);
		free(r.p);
	}
	line(&b, w, w->h_answers, c->n_answers ? v.p : w->none);
	if (c->asked_person)
		line(&b, w, w->h_person, w->yes);
	line(&b, w, w->h_language, w->lang_name);
	line(&b, w, w->h_mood, w->mood[c->mood + 1]);
	b.oom |= v.oom;
	free(v.p);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int sum_card_build(const struct sum_ctx *ctx, const struct sum_dialog *d,
		   const struct sum_opts *opts, struct sum_card *out)
{
	struct sum_doc doc;
	struct sum_turn *turns = NULL;
	double *rank = NULL, *score = NULL;
	char *take = NULL, *top = NULL;
	int any_fallback = 0;

	memset(out, 0, sizeof *out);
	/* the bot's answers are named, not quoted: leave their text out of the sentences */
	turns = calloc(d->n_turns ? d->n_turns : 1, sizeof *turns);
	if (!turns)
		return -1;
	for (size_t i = 0; i < d->n_turns; i++) {
		turns[i] = d->turns[i];
		if (named_bot_turn(&turns[i]) || turns[i].role == SUM_SYSTEM)
			turns[i].text = NULL;
		any_fallback |= d->turns[i].role == SUM_BOT && d->turns[i].fallback;
	}
	struct sum_dialog dd = { d->lang, turns, d->n_turns };
	if (sum_doc_build(ctx, &dd, (1u << SUM_CUSTOMER) | (1u << SUM_AGENT) | (1u << SUM_BOT),
			  &doc)) {
		free(turns);
		return -1;
	}
	snprintf(out->lang, sizeof out->lang, "%s", doc.words->lang);
	int budget = opts && opts->budget > 0 ? opts->budget : doc.words->budget;
	rank = calloc(doc.n + 1, sizeof *rank);
	score = calloc(doc.n + 1, sizeof *score);
	take = calloc(doc.n + 1, 1);
	top = calloc(doc.n + 1, 1);
	if (!rank || !score || !take || !top || sum_doc_pagerank(&doc, doc.sim, 0, 0, rank))
		goto err;
	score_sentences(&doc, rank, score);

	/* the problem: the customer's best one or two sentences */
	mmr_pick(&doc, score, 1, budget / 2, 2, top);
	/* the summary: customer half, then the agent's side with what is left */
	int used = mmr_pick(&doc, score, 1, budget / 2, doc.n, take);
	mmr_pick(&doc, score, 0, budget - used, doc.n, take);
	if (!used)  /* no customer text: the agent side may take everything */
		mmr_pick(&doc, score, 0, budget, doc.n, take);

	struct cm_buf p = { 0 };
	cm_buf_add(&p, "", 0);
	join_side(&p, &doc, top, 1, 0);
	out->problem = p.p;
	out->summary = compose(&doc, d, take, budget, any_fallback);
	if (p.oom || !out->summary || answers(&doc, d, out) || entities(d, out))
		goto err;
	mood(&doc, d, out);
	out->text = render(doc.words, out);
	if (!out->text)
		goto err;
	free(rank);
	free(score);
	free(take);
	free(top);
	free(turns);
	sum_doc_free(&doc);
	return 0;
err:
	free(rank);
	free(score);
	free(take);
	free(top);
	free(turns);
	sum_doc_free(&doc);
	sum_card_free(out);
	return -1;
}

void sum_card_free(struct sum_card *c)
{
	free(c->problem);
	free(c->summary);
	free(c->entities);
	free(c->answers);
	free(c->text);
	memset(c, 0, sizeof *c);
}
