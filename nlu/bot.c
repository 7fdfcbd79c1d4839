/* nlu/bot.c — the BM25 bot: building it from answers and example questions, the
 * per-thread scratch state, ranking, calibrated confidence and the reply.
 *
 * Threads: nlu_bot_build runs once on the loading thread; the finished bot is
 * read-only and shared by every worker (only its reference count changes, atomically).
 * nlu_bot_rank / nlu_bot_reply run on the worker that owns the nlu_state and allocate
 * nothing: every buffer lives in the state, sized for the bot when it was created.
 *
 * Ranking: the query's tokens are scored against every example question with BM25;
 * an answer scores as its best example, plus a small vote of its examples among the
 * top knn_k documents (params).  Scores are divided by the query's weight (the sum of
 * idf over its distinct terms, unknown terms included), which makes them comparable
 * across queries, then turned into a confidence by nlu_confidence.
 */
#include "nlu_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "store.h"


void nlu_params_default(struct nlu_params *p)
{
	/* Measured with bench/nlu_v1 (see its README).  Retrieval on BANKING77 (5 folds,
	 * 20 % held out per category): the kNN vote took top-1 accuracy from 80.4 % to
	 * 85.8 %, word bigrams cost 3 points, k1 and b barely matter.  Confidence: the
	 * log-loss fit on CLINC150 val + out-of-scope queries against the full train split
	 * plus 5 small stores (15 intents x 10 examples, other intents out of scope): the
	 * small stores are what give coverage its weight. */
	*p = (struct nlu_params){
		.k1 = 1.2, .b = 0.75,
		.skip_stop = 1, .index_titles = 1, .word_bigrams = 0,
		.knn_k = 20, .knn_weight = 0.05,
		.temp = 0.05,
		.c0 = -4.47, .c_cov = 2.68, .c_margin = 4.03, .c_prob = 3.07,
	};
}

/* ---- helpers ---------------------------------------------------------------------- */

static char *dup_str(const char *s)
{
	size_t n = strlen(s ? s : "");
	char *d = malloc(n + 1);

	if (d)
		memcpy(d, s ? s : "", n + 1);
	return d;
}

static size_t title_slot(uint64_t h)
{
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h ^ (h >> 29));
}

/* Index of the answer whose normalised title is key[0..len), or -1. */
static long title_find(const struct nlu_bot *bot, const char *key, size_t len)
{
	uint64_t h = nlu_hash(0, key, len);

	for (size_t s = title_slot(h) & bot->title_mask; bot->title_slots[s];
	     s = (s + 1) & bot->title_mask) {
		const struct nlu_answer *a = &bot->answers[bot->title_slots[s] - 1];
		if (strlen(a->title_norm) == len && memcmp(a->title_norm, key, len) == 0)
			return (long)bot->title_slots[s] - 1;
	}
	return nlu_button_find(bot, key, len);   /* a button's words select its answer */
}

/* Term ids of the tokens of one text: its tokens (stop words dropped when the params
 * say so) and, with word_bigrams, one term per pair of neighbouring kept words (stop
 * words removed in between count as neighbours).  terms has room for
 * 2 * NLU_QUERY_TOKENS ids.  Returns the number of terms, -1 on invalid UTF-8. */
static int text_terms(const struct nlu_params *p, struct nlu_text *t, struct nlu_token *tok,
		      uint64_t *terms, const char *text, size_t len, struct nlu_text_info *info)
{
	int n = nlu_text_tokenise(t, text, len, tok, NLU_QUERY_TOKENS, info);
	int m = 0;
	uint64_t prev = 0;

	for (int i = 0; i < n; i++) {
		if (p->skip_stop && (tok[i].flags & NLU_TOK_STOP))
			continue;
		terms[m++] = tok[i].id;
		if (tok[i].kind != NLU_TOK_WORD) {
			prev = 0;
			continue;
		}
		if (p->word_bigrams && prev) {
			uint64_t pair[2] = { prev, tok[i].id };
			terms[m++] = nlu_hash(NLU_TERM_WORD_BIGRAM, pair, sizeof pair);
		}
		prev = tok[i].id;
	}
	return n < 0 ? -1 : m;
}

/* ---- building --------------------------------------------------------------------- */

static void bot_free(struct nlu_bot *bot)
{
	if (!bot)
		return;
	nlu_extras_free(bot);             /* reads the answers: first */
	for (size_t i = 0; i < bot->n_answers; i++) {
		free(bot->answers[i].title);
		free(bot->answers[i].body);
		free(bot->answers[i].lang);
		free(bot->answers[i].title_norm);
	}
	free(bot->answers);
	free(bot->doc_answer);
	free(bot->title_slots);
	nlu_bm25_destroy(bot->bm25);
	nlu_bot_model_free(bot);
	store_texts_free(bot->texts);
	free(bot);
}

void nlu_bot_set_texts(struct nlu_bot *bot, struct store_texts *t)
{
	static const char *const lang[2] = { "en", "zh" };

	store_texts_free(bot->texts);
	bot->texts = t;
	for (int l = 0; l < 2; l++) {
		bot->fallback[l] = store_text(t, "fallback", lang[l]);
		bot->no_match[l] = store_text(t, "no_match", lang[l]);
		bot->empty[l] = store_text(t, "empty", lang[l]);
	}
}

const struct store_texts *nlu_bot_texts(const struct nlu_bot *bot)
{
	return bot ? bot->texts : NULL;
}

static int answer_cmp(const void *a, const void *b)
{
	const struct nlu_answer *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Adds one document for answer ai; 0 ok, -1 out of memory. */
static int add_doc(struct nlu_bot *bot, size_t *cap_docs, struct nlu_text *t,
		   struct nlu_token *tok, uint64_t *terms, const char *text, size_t ai)
{
	int n = text_terms(&bot->params, t, tok, terms, text, strlen(text), NULL);

	if (n < 0) {
		LOG_WARN("skipping an example that is not valid UTF-8");
		return 0;
	}
	long d = nlu_bm25_add(bot->bm25, terms, (size_t)n);
	if (d < 0)
		return -1;
	if ((size_t)d >= *cap_docs) {
		size_t cap = *cap_docs ? 2 * *cap_docs : 1024;
		uint32_t *p = realloc(bot->doc_answer, cap * sizeof *p);
		if (!p)
			return -1;
		bot->doc_answer = p;
		*cap_docs = cap;
	}
	bot->doc_answer[d] = (uint32_t)ai;
	return 0;
}

struct nlu_bot *nlu_bot_build(const struct nlu_answer_in *a, size_t na,
			      const struct nlu_example_in *ex, size_t ne,
			      const struct nlu_opts *opts, const struct nlu_params *params,
			      char *err, size_t errlen)
{
	struct nlu_bot *bot = NULL;
	struct nlu_text *t = NULL;
	struct nlu_token *tok = NULL;
	uint64_t *terms = NULL;
	size_t cap_docs = 0, n_docs = 0;

	if (na == 0) {
		snprintf(err, errlen, "the answer store has no enabled answer");
		return NULL;
	}
	bot = calloc(1, sizeof *bot);
	t = nlu_text_create(NLU_QUERY_BYTES);
	tok = malloc(NLU_QUERY_TOKENS * sizeof *tok);
	terms = malloc(2 * NLU_QUERY_TOKENS * sizeof *terms);
	if (!bot || !t || !tok || !terms)
		goto oom;
	atomic_init(&bot->refs, 1);
	nlu_bot_set_texts(bot, NULL);
	bot->opts = *opts;
	if (params)
		bot->params = *params;
	else
		nlu_params_default(&bot->params);
	if (bot->params.knn_k > NLU_KNN_MAX)
		bot->params.knn_k = NLU_KNN_MAX;

	bot->answers = calloc(na, sizeof *bot->answers);
	if (!bot->answers)
		goto oom;
	for (size_t i = 0; i < na; i++) {
		struct nlu_answer *x = &bot->answers[i];
		bot->n_answers++;
		x->id = a[i].id;
		x->title = dup_str(a[i].title);
		x->body = dup_str(a[i].body);
		x->lang = dup_str(a[i].lang ? a[i].lang : "en");
		if (!x->title || !x->body || !x->lang)
			goto oom;
		size_t nl;
		const char *norm = nlu_text_normalise(t, x->title, strlen(x->title), &nl);
		x->title_norm = malloc(nl + 1);
		if (!x->title_norm)
			goto oom;
		if (norm)
			nlu_collapse_spaces(x->title_norm, norm, nl);
		else
			x->title_norm[0] = '\0';
	}
	qsort(bot->answers, na, sizeof *bot->answers, answer_cmp);
	for (size_t i = 1; i < na; i++) {
		if (bot->answers[i].id == bot->answers[i - 1].id) {
			snprintf(err, errlen, "answer id %lld appears twice",
				 (long long)bot->answers[i].id);
			goto fail;
		}
	}

	/* Title table: the first answer (by id) wins when two titles normalise alike. */
	size_t tsize = 16;
	while (tsize < 2 * na)
		tsize *= 2;
	bot->title_slots = calloc(tsize, sizeof *bot->title_slots);
	if (!bot->title_slots)
		goto oom;
	bot->title_mask = tsize - 1;
	for (size_t i = 0; i < na; i++) {
		const char *k = bot->answers[i].title_norm;
		if (!*k || title_find(bot, k, strlen(k)) >= 0)
			continue;
		size_t s = title_slot(nlu_hash(0, k, strlen(k))) & bot->title_mask;
		while (bot->title_slots[s])
			s = (s + 1) & bot->title_mask;
		bot->title_slots[s] = (uint32_t)(i + 1);
	}

	bot->bm25 = nlu_bm25_create();
	if (!bot->bm25)
		goto oom;
	for (size_t i = 0; i < ne; i++) {
		long ai = nlu_answer_index(bot, ex[i].answer_id);
		if (ai < 0 || !ex[i].text)
			continue;
		if (add_doc(bot, &cap_docs, t, tok, terms, ex[i].text, (size_t)ai))
			goto oom;
		n_docs++;
	}
	if (bot->params.index_titles)
		for (size_t i = 0; i < na; i++)
			if (add_doc(bot, &cap_docs, t, tok, terms, bot->answers[i].title, i))
				goto oom;
	if (nlu_bm25_n_docs(bot->bm25) == 0) {
		snprintf(err, errlen, "the answer store has no example question");
		goto fail;
	}
	if (nlu_bm25_finish(bot->bm25, bot->params.k1, bot->params.b))
		goto oom;
	snprintf(bot->describe, sizeof bot->describe, "bm25 (%zu answers, %zu examples)",
		 bot->n_answers, n_docs);
	nlu_text_destroy(t);
	free(tok);
	free(terms);
	return bot;
oom:
	snprintf(err, errlen, "out of memory while building the answer index");
fail:
	nlu_text_destroy(t);
	free(tok);
	free(terms);
	bot_free(bot);
	return NULL;
}

/* ---- references and description --------------------------------------------------- */

void nlu_bot_ref(struct nlu_bot *bot)
{
	atomic_fetch_add_explicit(&bot->refs, 1, memory_order_relaxed);
}

void nlu_bot_unref(struct nlu_bot *bot)
{
	if (bot && atomic_fetch_sub_explicit(&bot->refs, 1, memory_order_acq_rel) == 1)
		bot_free(bot);
}

const char *nlu_bot_describe(const struct nlu_bot *bot)
{
	return bot->describe;
}

size_t nlu_bot_n_answers(const struct nlu_bot *bot)
{
	return bot->n_answers;
}

/* ---- per-thread state ------------------------------------------------------------- */

struct nlu_state *nlu_state_create(const struct nlu_bot *bot)
{
	struct nlu_state *s = calloc(1, sizeof *s);
	size_t nd = nlu_bm25_n_docs(bot->bm25), na = bot->n_answers;

	if (!s)
		return NULL;
	s->bot = bot;
	s->text = nlu_text_create(NLU_QUERY_BYTES);
	s->doc_scores = calloc(nd, sizeof *s->doc_scores);
	s->doc_touched = malloc(nd * sizeof *s->doc_touched);
	s->ans_scores = calloc(na, sizeof *s->ans_scores);
	s->ans_touched = malloc(na * sizeof *s->ans_touched);
	if (bot->enc)
		s->enc_s = nlu_enc_scratch_create(bot->enc);
	if (!s->text || !s->doc_scores || !s->doc_touched || !s->ans_scores || !s->ans_touched ||
	    (bot->enc && !s->enc_s)) {
		nlu_state_destroy(s);
		return NULL;
	}
	return s;
}

void nlu_state_destroy(struct nlu_state *s)
{
	if (!s)
		return;
	nlu_text_destroy(s->text);
	nlu_enc_scratch_destroy(s->enc_s);
	free(s->doc_scores);
	free(s->doc_touched);
	free(s->ans_scores);
	free(s->ans_touched);
	free(s);
}

/* ---- ranking ---------------------------------------------------------------------- */

double nlu_confidence(const struct nlu_params *p, const double *sc, int n, double cov)
{
	if (n <= 0)
		return 0.0;
	double s1 = sc[0], s2 = n > 1 ? sc[1] : 0.0, z = 1.0;
	for (int i = 1; i < n; i++)
		z += exp((sc[i] - s1) / p->temp);
	double x = p->c0 + p->c_cov * cov + p->c_margin * (s1 - s2) + p->c_prob / z;
	return 1.0 / (1.0 + exp(-x));
}

/* Inserts (key, val) into the descending top list keys/vals of *n entries, at most cap;
 * on equal keys the earlier entry stays first. */
static void top_insert(float *keys, uint32_t *vals, int *n, int cap, float key, uint32_t val)
{
	int i;

	if (*n < cap) {
		i = (*n)++;
	} else {
		if (key <= keys[cap - 1])
			return;
		i = cap - 1;
	}
	while (i > 0 && keys[i - 1] < key) {
		keys[i] = keys[i - 1];
		vals[i] = vals[i - 1];
		i--;
	}
	keys[i] = key;
	vals[i] = val;
}

int nlu_bot_rank(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
		 size_t len, struct nlu_rank *out)
{
	const struct nlu_params *p = &bot->params;
	struct nlu_text_info info;

	memset(out, 0, sizeof *out);
	int n = text_terms(p, s->text, s->tokens, s->terms, text, len, &info);
	out->cjk = n >= 0 && nlu_text_info_is_cjk(&info);
	if (n < 0 || info.n_tokens == 0) {
		out->empty = 1;
		return -1;
	}

	/* A quick-reply button sends the answer's title: take it as the customer's choice. */
	size_t nl;
	const char *norm = nlu_text_last(s->text, &nl);
	size_t kl = nl < sizeof s->norm ? nlu_collapse_spaces(s->norm, norm, nl) : 0;
	long ti = kl ? title_find(bot, s->norm, kl) : -1;
	if (ti >= 0) {
		out->title_match = 1;
		out->n = 1;
		out->idx[0] = (uint32_t)ti;
		out->score[0] = 1.0;
		out->confidence = 1.0;
		return 0;
	}

	double weight;
	size_t nt = nlu_bm25_query(bot->bm25, s->terms, (size_t)n, s->doc_scores,
				   s->doc_touched, &weight);
	out->weight = weight;

	/* Answer score: its best document, plus the kNN vote of the top documents. */
	float knn_s[NLU_KNN_MAX];
	uint32_t knn_d[NLU_KNN_MAX];
	int n_knn = 0;
	size_t na = 0;
	double best_doc = 0;
	for (size_t i = 0; i < nt; i++) {
		uint32_t d = s->doc_touched[i], ai = bot->doc_answer[d];
		float sc = s->doc_scores[d];
		if (sc > best_doc)
			best_doc = sc;
		if (s->ans_scores[ai] == 0.0f)
			s->ans_touched[na++] = ai;
		if (sc > s->ans_scores[ai])
			s->ans_scores[ai] = sc;
		if (p->knn_k > 0)
			top_insert(knn_s, knn_d, &n_knn, p->knn_k, sc, d);
		s->doc_scores[d] = 0.0f;
	}
	for (int i = 0; i < n_knn; i++)
		s->ans_scores[bot->doc_answer[knn_d[i]]] += (float)p->knn_weight * knn_s[i];

	float top_s[NLU_RANK_MAX];
	int n_top = 0;
	for (size_t i = 0; i < na; i++) {
		uint32_t ai = s->ans_touched[i];
		top_insert(top_s, out->idx, &n_top, NLU_RANK_MAX, s->ans_scores[ai], ai);
		s->ans_scores[ai] = 0.0f;
	}
	out->n = n_top;
	for (int i = 0; i < n_top; i++)
		out->score[i] = weight > 0 ? top_s[i] / weight : 0.0;
	out->coverage = weight > 0 ? best_doc / weight : 0.0;
	if (out->coverage > 1.0)
		out->coverage = 1.0;
	out->confidence = nlu_confidence(p, out->score, n_top, out->coverage);
	return 0;
}

/* ---- the reply -------------------------------------------------------------------- */

void nlu_bot_add_followup(struct nlu_bot *bot, int64_t answer_id, int64_t followup_id)
{
	long a = nlu_answer_index(bot, answer_id), f = nlu_answer_index(bot, followup_id);
	struct nlu_answer *x = a >= 0 ? &bot->answers[a] : NULL;

	if (x && f >= 0 && f != a && x->n_follow < NLU_MAX_QUICK)
		x->follow[x->n_follow++] = (uint32_t)f;
}

/* The reply of a bot with a trained model: title match first (a quick-reply button), then
 * the encoder's calibrated prediction; refused (tuned OOS rule, OOS class) or below the
 * threshold when the model has no tuned rule -> fallback with the best answers as quick
 * replies. */
static int model_reply(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
		       size_t len, struct nlu_reply *out)
{
	struct nlu_text_info info;
	struct nlu_enc_pred p;
	const float *probs;
	const struct nlu_enc *e = bot->enc;

	memset(out, 0, sizeof *out);
	int n = nlu_text_tokenise(s->text, text, len, s->tokens, NLU_QUERY_TOKENS, &info);
	int cjk = n >= 0 && nlu_text_info_is_cjk(&info);
	out->lang = cjk ? "zh" : "en";
	if (n < 0 || info.n_tokens == 0) {
		out->fallback = 1;
		out->text = bot->empty[cjk];
		out->lang = "en";
		return -1;
	}
	size_t nl;
	const char *norm = nlu_text_last(s->text, &nl);
	size_t kl = nl < sizeof s->norm ? nlu_collapse_spaces(s->norm, norm, nl) : 0;
	long ti = kl ? title_find(bot, s->norm, kl) : -1;
	if (ti >= 0) {
		nlu_answer_give(bot, (size_t)ti, out);
		out->confidence = 1.0;
		return 0;
	}
	nlu_enc_predict(e, s->enc_s, text, len, &p, &probs);
	int32_t ai = bot->enc_answer[p.cls];
	out->confidence = p.conf;
	int refuse = p.refuse || ai < 0 || (!e->tuned && p.conf < bot->opts.threshold);
	if (!refuse) {
		nlu_answer_give(bot, (size_t)ai, out);
		return 0;
	}
	/* quick replies: the best answers by probability (classes without an answer skipped) */
	out->fallback = 1;
	int used[NLU_MAX_QUICK];
	for (int k = 0; k < NLU_MAX_QUICK; k++) {
		int best = -1;
		for (uint32_t c = 0; c < e->n_cls; c++) {
			int taken = bot->enc_answer[c] < 0;
			for (int j = 0; j < out->n_quick && !taken; j++)
				taken = used[j] == (int)c;
			if (!taken && (best < 0 || probs[c] > probs[best]))
				best = (int)c;
		}
		if (best < 0 || probs[best] < 0.02f)
			break;
		const struct nlu_answer *a = &bot->answers[bot->enc_answer[best]];
		used[out->n_quick] = best;
		out->quick[out->n_quick].answer_id = a->id;
		out->quick[out->n_quick].title = a->title;
		out->n_quick++;
	}
	if (out->n_quick)
		out->text = bot->fallback[cjk];
	else
		out->text = bot->no_match[cjk];
	return 0;
}

int nlu_bot_reply(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
		  size_t len, struct nlu_reply *out)
{
	struct nlu_rank r;
	text = nlu_synonyms_apply(bot, s, text, &len);   /* the customer's words -> the store's */
	if (bot->enc)
		return model_reply(bot, s, text, len, out);
	int rc = nlu_bot_rank(bot, s, text, len, &r);

	memset(out, 0, sizeof *out);
	out->confidence = r.confidence;
	out->lang = r.cjk ? "zh" : "en";
	if (rc < 0) {
		out->fallback = 1;
		out->text = bot->empty[r.cjk != 0];
		out->lang = "en";
		return -1;
	}
	if (r.n > 0 && (r.title_match || r.confidence >= bot->opts.threshold)) {
		nlu_answer_give(bot, r.idx[0], out);
		return 0;
	}
	out->fallback = 1;
	for (int i = 0; i < r.n && i < NLU_MAX_QUICK; i++) {
		const struct nlu_answer *a = &bot->answers[r.idx[i]];
		out->quick[i].answer_id = a->id;
		out->quick[i].title = a->title;
		out->n_quick++;
	}
	if (out->n_quick)
		out->text = bot->fallback[r.cjk != 0];
	else
		out->text = bot->no_match[r.cjk != 0];
	return 0;
}

/* ---- the answer policy's view (nlu.h) ----------------------------------------------- */

/* Inserts (id, p) into the descending list out[0..*n), at most max entries. */
static void scored_insert(struct nlu_scored *out, int *n, int max, int64_t id, float p)
{
	int i;

	if (*n < max) {
		i = (*n)++;
	} else {
		if (p <= out[max - 1].p)
			return;
		i = max - 1;
	}
	while (i > 0 && out[i - 1].p < p) {
		out[i] = out[i - 1];
		i--;
	}
	out[i].answer_id = id;
	out[i].p = p;
}

int nlu_bot_posterior(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
		      size_t len, struct nlu_scored *out, int max)
{
	struct nlu_rank r;
	int n = 0;

	if (max <= 0)
		return 0;
	text = nlu_synonyms_apply(bot, s, text, &len);
	if (bot->enc) {
		struct nlu_text_info info;
		struct nlu_enc_pred pred;
		const float *probs;
		int nt = nlu_text_tokenise(s->text, text, len, s->tokens, NLU_QUERY_TOKENS,
					   &info);
		if (nt < 0 || info.n_tokens == 0)
			return 0;
		size_t nl;
		const char *norm = nlu_text_last(s->text, &nl);
		size_t kl = nl < sizeof s->norm ? nlu_collapse_spaces(s->norm, norm, nl) : 0;
		long ti = kl ? title_find(bot, s->norm, kl) : -1;
		if (ti >= 0) {
			out[0].answer_id = bot->answers[ti].id;
			out[0].p = 1.0f;
			return 1;
		}
		nlu_enc_predict(bot->enc, s->enc_s, text, len, &pred, &probs);
		for (uint32_t c = 0; c < bot->enc->n_cls; c++)
			if (bot->enc_answer[c] >= 0)
				scored_insert(out, &n, max, bot->answers[bot->enc_answer[c]].id,
					      probs[c]);
		return n;
	}
	if (nlu_bot_rank(bot, s, text, len, &r) < 0 || r.n == 0)
		return 0;
	double z = 0, w[NLU_RANK_MAX];
	for (int i = 0; i < r.n; i++)
		z += w[i] = exp((r.score[i] - r.score[0]) / bot->params.temp);
	for (int i = 0; i < r.n; i++)
		scored_insert(out, &n, max, bot->answers[r.idx[i]].id,
			      (float)(r.confidence * w[i] / z));
	return n;
}

int nlu_bot_answer(const struct nlu_bot *bot, int64_t id, const char **title,
		   const char **body, const char **lang)
{
	long i = nlu_answer_index(bot, id);

	if (i < 0)
		return -1;
	*title = bot->answers[i].title;
	*body = bot->answers[i].body;
	*lang = bot->answers[i].lang;
	return 0;
}
