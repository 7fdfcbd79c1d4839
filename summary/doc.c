/* summary/doc.c — a dialogue as the summarisers see it: each turn cleaned (Twitter
 * handles, links and agent signatures out), cut into sentences, each sentence tokenised by
 * nlu/text.c (stemmed English words without stop words; Chinese characters and character
 * pairs) into an L2-normalised TF-IDF vector (IDF over the dialogue's sentences) and, for
 * English when the context has GloVe, a SIF-weighted GloVe vector centred on the
 * dialogue's mean; the similarity of two sentences is their TF-IDF cosine, averaged with
 * the GloVe cosine (negative counted as 0) when there is one.  PageRank over that graph is
 * continuous LexRank (kefu) or, thresholded and binary, classic LexRank (the baseline).
 *
 * Cleaning also undoes HTML escapes (&amp; ...), which customer-care exports carry.
 * Everything here is one call's scratch, on the calling thread; the context is only read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "glove.h"
#include "tensor.h"
#include "sum_int.h"
#include "text.h"

#define SUM_MAX_TOKENS 512

/* ---- cleaning and splitting ------------------------------------------------------- */

static int alnum_(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_';
}

static int space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Drops a trailing signature: "^JD", "/MT", "-Rach", "*AB" (a mark, then 1-3 letters). */
static void drop_signature(char *s, size_t *len)
{
	size_t n = *len;
	while (n && space((unsigned char)s[n - 1]))
		n--;
	size_t k = n;
	while (k && ((s[k - 1] | 0x20) >= 'a' && (s[k - 1] | 0x20) <= 'z'))
		k--;
	if (n - k >= 1 && n - k <= 3 && k && strchr("^/*~", s[k - 1]) &&
	    (k == 1 || space((unsigned char)s[k - 2]) || s[k - 1] == '^')) {
		n = k - 1;
		while (n && space((unsigned char)s[n - 1]))
			n--;
	}
	*len = n;
	s[n] = 0;
}

char *sum_clean(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		int at_start = i == 0 || space((unsigned char)s[i - 1]) || s[i - 1] == '.';
		if (c == '@' && at_start && i + 1 < n && alnum_((unsigned char)s[i + 1])) {
			while (i < n && !space((unsigned char)s[i]))
				i++;
			continue;
		}
		if ((!strncmp(s + i, "http://", 7) || !strncmp(s + i, "https://", 8) ||
		     !strncmp(s + i, "www.", 4)) && (i == 0 || !alnum_((unsigned char)s[i - 1]))) {
			while (i < n && !space((unsigned char)s[i]))
				i++;
			continue;
		}
		if (c == '&') {         /* HTML-escaped text (Twitter's): &amp; &lt; &gt; &quot; */
			static const struct { const char *e; char c; } ents[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
				{ "&#39;", '\'' }, { "&apos;", '\'' },
			};
			size_t k = 0;
			while (k < sizeof ents / sizeof *ents && strncmp(s + i, ents[k].e, strlen(ents[k].e)))
				k++;
			if (k < sizeof ents / sizeof *ents) {
				out[o++] = ents[k].c;
				i += strlen(ents[k].e);
				continue;
			}
		}
		if (space(c)) {
			int nl = 0;
			while (i < n && space((unsigned char)s[i]))
				nl |= s[i++] == '\n';
			if (o && out[o - 1] != ' ' && out[o - 1] != '\n')
				out[o++] = nl ? '\n' : ' ';
			else if (o && nl)
				out[o - 1] = '\n';
			continue;
		}
		out[o++] = s[i++];
	}
	out[o] = 0;
	drop_signature(out, &o);
	return out;
}

/* 3 when s[0..len) starts with a Chinese sentence mark (。！？；…), else 0. */
static size_t cjk_end_mark(const char *s, size_t len)
{
	static const char *const marks[] = { "\u3002", "\uff01", "\uff1f", "\uff1b", "\u2026",
					     NULL };
	for (const char *const *m = marks; *m; m++)
		if (len >= 3 && !memcmp(s, *m, 3))
			return 3;
	return 0;
}

/* Byte length of the sentence at s[0..len): up to and including its end mark(s). */
static size_t sentence_len(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			return i + 1;
		if (c == '.' || c == '!' || c == '?') {
			size_t j = i;
			while (j < len && strchr(".!?", s[j]))
				j++;
			if (j == len || space((unsigned char)s[j]) || (unsigned char)s[j] >= 0xE0)
				return j;
			i = j - 1;
			continue;
		}
		if (cjk_end_mark(s + i, len - i)) {
			size_t j = i + 3;
			while (cjk_end_mark(s + j, len - j))
				j += 3;
			return j;
		}
	}
	return len;
}

/* ---- building ---------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

const char *sum_detect_lang(const struct sum_dialog *d, struct nlu_text *tx)
{
	struct nlu_token tok[8];
	struct nlu_text_info info;
	size_t cjk = 0, letters = 0;

	if (d->lang && (!strcmp(d->lang, "zh") || !strcmp(d->lang, "en")))
		return d->lang;
	for (int pass = 0; pass < 2 && !cjk && !letters; pass++)
		for (size_t i = 0; i < d->n_turns; i++) {
			const struct sum_turn *t = &d->turns[i];
			if (!t->text || (pass == 0 && t->role != SUM_CUSTOMER))
				continue;
			if (nlu_text_tokenise(tx, t->text, strlen(t->text), tok, 8, &info) < 0)
				continue;
			cjk += info.n_cjk;
			letters += info.n_letters;
		}
	struct nlu_text_info all = { .n_cjk = cjk, .n_letters = letters };
	return nlu_text_info_is_cjk(&all) ? "zh" : "en";
}

static int add_sentence(struct sum_doc *doc, const struct sum_turn *t, int turn, int rank,
			int pos, const char *s, size_t len)
{
	while (len && space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && space((unsigned char)s[len - 1]))
		len--;
	if (!len)
		return 0;
	char *copy = strndup(s, len);
	if (!copy)
		return -1;
	int ntok = (int)sum_rouge_len(copy);
	if (!ntok) {
		free(copy);
		return 0;
	}
	struct sum_sent *p = cm_grow(doc->s, &doc->cap, doc->n + 1, sizeof *p, 32);
	if (!p) {
		free(copy);
		return -1;
	}
	doc->s = p;
	doc->s[doc->n++] = (struct sum_sent){ .turn = turn, .role = t->role, .turn_rank = rank,
					      .pos = pos, .text = copy, .len = len,
					      .n_tok = ntok };
	return 0;
}

static void free_sent(struct sum_sent *s)
{
	free(s->text);
	free(s->norm);
}

/* Keeps the first 300 and the last 100 sentences of a longer dialogue. */
static void cap_sentences(struct sum_doc *doc)
{
	size_t head = SUM_MAX_SENTS * 3 / 4, tail = SUM_MAX_SENTS - head;
	if (doc->n <= SUM_MAX_SENTS)
		return;
	for (size_t i = head; i < doc->n - tail; i++)
		free_sent(&doc->s[i]);
	memmove(doc->s + head, doc->s + doc->n - tail, tail * sizeof *doc->s);
	doc->n = SUM_MAX_SENTS;
}

static int add_terms(struct sum_doc *doc, size_t need)
{
	size_t cap = cm_grow_cap(doc->cap_terms, doc->n_terms + need, 256, sizeof(uint64_t));
	if (!cap)
		return -1;
	if (cap == doc->cap_terms)
		return 0;
	uint64_t *ids = cm_realloc_n(doc->ids, cap, sizeof *ids);
	if (ids)
		doc->ids = ids;
	float *w = cm_realloc_n(doc->w, cap, sizeof *w);
	if (w)
		doc->w = w;
	if (!ids || !w)
		return -1;
	doc->cap_terms = cap;
	return 0;
}

/* Tokenises sentence i: its normalised text, term ids with counts, GloVe sum. */
static int tokenise(const struct sum_ctx *ctx, struct sum_doc *doc, size_t i,
		    struct nlu_token *tok)
{
	struct sum_sent *s = &doc->s[i];
	int nt = nlu_text_tokenise(doc->tx, s->text, s->len, tok, SUM_MAX_TOKENS, NULL);
	size_t nlen;
	const char *norm = nlu_text_last(doc->tx, &nlen);

	s->norm = strndup(norm ? norm : "", norm ? nlen : 0);
	if (!s->norm)
		return -1;
	s->norm_len = strlen(s->norm);
	if (nt < 0)
		nt = 0;
	if (add_terms(doc, (size_t)nt))
		return -1;
	s->t0 = doc->n_terms;
	for (int k = 0; k < nt; k++) {
		if (tok[k].flags & NLU_TOK_STOP)
			continue;
		doc->ids[doc->n_terms++] = tok[k].id;
		s->n_content += tok[k].kind != NLU_TOK_CJK_BIGRAM;
		if (doc->vecs && tok[k].kind == NLU_TOK_WORD) {
			int32_t r = nlu_glove_find(ctx->glove, norm + tok[k].off, tok[k].span);
			if (r >= 0)
				nlu_glove_add(ctx->glove, r, nlu_glove_sif(ctx->glove, r),
					      doc->vecs + i * NLU_GLOVE_DIM);
		}
	}
	/* sort and merge: one entry per term, weight 1 + ln(tf) */
	uint64_t *ids = doc->ids + s->t0;
	size_t n = doc->n_terms - s->t0, m = 0;
	if (n)
		qsort(ids, n, sizeof *ids, cmp_u64);
	for (size_t k = 0; k < n; k++) {
		if (m && ids[m - 1] == ids[k]) {
			doc->w[s->t0 + m - 1] += 1;
			continue;
		}
		ids[m] = ids[k];
		doc->w[s->t0 + m] = 1;
		m++;
	}
	for (size_t k = 0; k < m; k++)
		doc->w[s->t0 + k] = 1.0f + logf(doc->w[s->t0 + k]);
	s->nt = m;
	doc->n_terms = s->t0 + m;
	return 0;
}

static size_t count_eq(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t k = 0;
	while (lo + k < n && v[lo + k] == x)
		k++;
	return k;
}

/* IDF weights over the dialogue's sentences, then L2 normalisation. */
static int weigh(struct sum_doc *doc)
{
	uint64_t *all = malloc((doc->n_terms ? doc->n_terms : 1) * sizeof *all);
	if (!all)
		return -1;
	if (doc->n_terms)
		memcpy(all, doc->ids, doc->n_terms * sizeof *all);
	qsort(all, doc->n_terms, sizeof *all, cmp_u64);
	for (size_t i = 0; i < doc->n; i++) {
		struct sum_sent *s = &doc->s[i];
		double norm = 0;
		for (size_t k = 0; k < s->nt; k++) {
			size_t df = count_eq(all, doc->n_terms, doc->ids[s->t0 + k]);
			float idf = (float)(log((1.0 + (double)doc->n) / (1.0 + (double)df)) + 1.0);
			doc->w[s->t0 + k] *= idf;
			norm += (double)doc->w[s->t0 + k] * doc->w[s->t0 + k];
		}
		norm = norm > 0 ? 1.0 / sqrt(norm) : 0;
		for (size_t k = 0; k < s->nt; k++)
			doc->w[s->t0 + k] *= (float)norm;
	}
	free(all);
	return 0;
}

static double sparse_dot(const struct sum_doc *doc, const struct sum_sent *a,
			 const struct sum_sent *b)
{
	size_t i = 0, j = 0;
	double d = 0;
	while (i < a->nt && j < b->nt) {
		uint64_t x = doc->ids[a->t0 + i], y = doc->ids[b->t0 + j];
		if (x == y)
			d += (double)doc->w[a->t0 + i++] * doc->w[b->t0 + j++];
		else if (x < y)
			i++;
		else
			j++;
	}
	return d;
}

/* Centres the GloVe vectors on their mean (what the sentences share says nothing about
 * one of them) and normalises them; a sentence without known words keeps NULL. */
static void centre(struct sum_doc *doc)
{
	float mean[NLU_GLOVE_DIM] = { 0 };
	size_t used = 0;
	for (size_t i = 0; i < doc->n; i++) {
		float *v = doc->vecs + i * NLU_GLOVE_DIM, nn = 0;
		for (int k = 0; k < NLU_GLOVE_DIM; k++)
			nn += v[k] * v[k];
		if (nn <= 0)
			continue;
		nn = 1.0f / sqrtf(nn);
		for (int k = 0; k < NLU_GLOVE_DIM; k++)
			v[k] *= nn;
		for (int k = 0; k < NLU_GLOVE_DIM; k++)
			mean[k] += v[k];
		doc->s[i].vec = v;
		used++;
	}
	for (int k = 0; used && k < NLU_GLOVE_DIM; k++)
		mean[k] /= (float)used;
	for (size_t i = 0; i < doc->n; i++) {
		float *v = doc->s[i].vec, nn = 0;
		if (!v)
			continue;
		for (int k = 0; k < NLU_GLOVE_DIM; k++) {
			v[k] -= mean[k];
			nn += v[k] * v[k];
		}
		nn = nn > 0 ? 1.0f / sqrtf(nn) : 0;
		for (int k = 0; k < NLU_GLOVE_DIM; k++)
			v[k] *= nn;
	}
}

int sum_doc_build(const struct sum_ctx *ctx, const struct sum_dialog *d, unsigned role_mask,
		  struct sum_doc *doc)
{
	struct nlu_token *tok = NULL;
	int rank[4] = { 0 };

	memset(doc, 0, sizeof *doc);
	doc->tx = nlu_text_create(8192);
	tok = malloc(SUM_MAX_TOKENS * sizeof *tok);
	if (!doc->tx || !tok)
		goto err;
	doc->zh = !strcmp(sum_detect_lang(d, doc->tx), "zh");
	doc->words = sum_words_for(doc->zh ? "zh" : "en");
	for (size_t i = 0; i < d->n_turns; i++) {
		const struct sum_turn *t = &d->turns[i];
		if (t->role < 0 || t->role > SUM_SYSTEM || !(role_mask & (1u << t->role)) ||
		    !t->text)
			continue;
		char *c = sum_clean(t->text);
		if (!c)
			goto err;
		size_t len = strlen(c), off = 0;
		int pos = 0;
		while (off < len) {
			size_t k = sentence_len(c + off, len - off);
			size_t before = doc->n;
			if (add_sentence(doc, t, (int)i, rank[t->role], pos, c + off, k)) {
				free(c);
				goto err;
			}
			pos += doc->n > before;
			off += k;
		}
		free(c);
		rank[t->role] += pos > 0;
	}
	cap_sentences(doc);
	if (ctx->glove && !doc->zh && doc->n) {
		doc->vecs = calloc(doc->n * NLU_GLOVE_DIM, sizeof *doc->vecs);
		if (!doc->vecs)
			goto err;
	}
	for (size_t i = 0; i < doc->n; i++)
		if (tokenise(ctx, doc, i, tok))
			goto err;
	if (weigh(doc))
		goto err;
	if (doc->vecs)
		centre(doc);
	size_t n = doc->n ? doc->n : 1;
	doc->tfidf_sim = calloc(n * n, sizeof *doc->tfidf_sim);
	doc->sim = calloc(n * n, sizeof *doc->sim);
	if (!doc->tfidf_sim || !doc->sim)
		goto err;
	for (size_t i = 0; i < doc->n; i++)
		for (size_t j = i; j < doc->n; j++) {
			double t = i == j ? 1 : sparse_dot(doc, &doc->s[i], &doc->s[j]), s = t;
			if (doc->vecs && i != j) {
				double g = 0;
				if (doc->s[i].vec && doc->s[j].vec)
					g = cm_dot(NLU_GLOVE_DIM, doc->s[i].vec, doc->s[j].vec);
				s = 0.5 * (t + (g > 0 ? g : 0));
			}
			doc->tfidf_sim[i * doc->n + j] = doc->tfidf_sim[j * doc->n + i] = t;
			doc->sim[i * doc->n + j] = doc->sim[j * doc->n + i] = s;
		}
	free(tok);
	return 0;
err:
	free(tok);
	sum_doc_free(doc);
	return -1;
}

void sum_doc_free(struct sum_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++)
		free_sent(&doc->s[i]);
	free(doc->s);
	free(doc->ids);
	free(doc->w);
	free(doc->vecs);
	free(doc->tfidf_sim);
	free(doc->sim);
	nlu_text_destroy(doc->tx);
	memset(doc, 0, sizeof *doc);
}

int sum_doc_pagerank(const struct sum_doc *doc, const double *sim, double threshold,
		     int binary, double *out)
{
	size_t n = doc->n;
	if (!n)
		return 0;
	double *row = calloc(n, sizeof *row), *next = calloc(n, sizeof *next);
	if (!row || !next) {
		free(row);
		free(next);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			double v = sim[i * n + j];
			if (i != j && v >= threshold && v > 0)
				row[i] += binary ? 1 : v;
		}
		out[i] = 1.0 / (double)n;
	}
	for (int it = 0; it < 50; it++) {
		double dangling = 0, delta = 0;
		for (size_t j = 0; j < n; j++)
			next[j] = 0;
		for (size_t i = 0; i < n; i++) {
			if (row[i] <= 0) {
				dangling += out[i];
				continue;
			}
			for (size_t j = 0; j < n; j++) {
				double v = sim[i * n + j];
				if (i != j && v >= threshold && v > 0)
					next[j] += out[i] * (binary ? 1 : v) / row[i];
			}
		}
		for (size_t j = 0; j < n; j++) {
			double r = 0.15 / (double)n + 0.85 * (next[j] + dangling / (double)n);
			delta += fabs(r - out[j]);
			out[j] = r;
		}
		if (delta < 1e-7)
			break;
	}
	for (size_t i = 0; i < n; i++)
		out[i] *= (double)n;
	free(row);
	free(next);
	return 0;
}
