/* nlu/neighbours.c — paraphrase-like neighbours of training questions, for the USE
 * teacher to label (distill.c; Tang et al. 2019 distil a transformer into small networks
 * through such a transfer set): a copy of a question with some of its words replaced by
 * one of their nearest words in GloVe (cosine of the 100-d vectors, among GloVe's most
 * frequent words).  Whether the replacement keeps the question's intent is the teacher's
 * to say, not this file's.  Training only, on the caller's thread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glove.h"
#include "model.h"
#include "rng.h"
#include "tensor.h"
#include "text.h"

#define NBR_K 8                /* neighbours kept per word */
#define NBR_VOCAB 30000        /* candidates: GloVe's most frequent words */
#define NBR_MIN_COS 0.55f
#define NBR_BLOCK 256          /* words scored against the candidates at once */
#define NBR_MIN_RANK 150       /* GloVe's most frequent words (how, what, ...) stay */

struct nbr_word {
	char *w;
	int32_t nb[NBR_K];     /* GloVe ranks, -1: none */
};

struct nlu_nbr {
	const struct nlu_glove *g;
	struct nbr_word *words;    /* sorted by w */
	size_t n;
};

static int cmp_word(const void *a, const void *b)
{
	return strcmp(((const struct nbr_word *)a)->w, ((const struct nbr_word *)b)->w);
}

static int lower_alpha_run(const char *s, size_t i)
{
	char c = s[i];
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The ASCII-letter word at s[i..) lower-cased into buf (cap bytes); its length. */
static size_t take_word(const char *s, size_t i, char *buf, size_t cap)
{
	size_t k = 0;
	while (s[i + k] && lower_alpha_run(s, i + k)) {
		if (k + 1 < cap)
			buf[k] = (char)(s[i + k] | 0x20);
		k++;
	}
	buf[k < cap ? k : cap - 1] = '\0';
	return k;
}

/* A word at s[i..i+len) with an apostrophe at either side: part of "don't", "card's". */
static int apostrophe(const char *s, size_t i, size_t len)
{
	return s[i + len] == '\'' || (i > 0 && s[i - 1] == '\'');
}

static int eligible(const char *w, size_t len)
{
	return len >= 3 && len < 32 && !nlu_text_is_stop(w, len);
}

static void unit_row(const struct nlu_glove *g, int32_t r, float *v)
{
	memset(v, 0, sizeof *v * NLU_GLOVE_DIM);
	nlu_glove_add(g, r, 1.0f, v);
	cm_l2_normalize(NLU_GLOVE_DIM, v);
}

void nlu_nbr_destroy(struct nlu_nbr *nb)
{
	if (!nb)
		return;
	for (size_t i = 0; i < nb->n; i++)
		free(nb->words[i].w);
	free(nb->words);
	free(nb);
}

static const struct nbr_word *find(const struct nlu_nbr *nb, const char *w)
{
	struct nbr_word key = { .w = (char *)w };
	return bsearch(&key, nb->words, nb->n, sizeof *nb->words, cmp_word);
}

/* The eligible words of texts (distinct, lower-cased, known to GloVe), sorted. */
static int collect(struct nlu_nbr *nb, char *const *texts, size_t n)
{
	size_t cap = 1024;
	char buf[32];
	nb->words = malloc(sizeof *nb->words * cap);
	if (!nb->words)
		return -1;
	for (size_t t = 0; t < n; t++) {
		const char *s = texts[t];
		for (size_t i = 0; s[i];) {
			if (!lower_alpha_run(s, i)) {
				i++;
				continue;
			}
			size_t len = take_word(s, i, buf, sizeof buf);
			i += len;
			int32_t r = eligible(buf, len) ? nlu_glove_find(nb->g, buf, len) : -1;
			if (r < NBR_MIN_RANK || apostrophe(s, i - len, len))
				continue;
			if (nb->n == cap) {
				struct nbr_word *w = realloc(nb->words, sizeof *w * cap * 2);
				if (!w)
					return -1;
				nb->words = w;
				cap *= 2;
			}
			if (!(nb->words[nb->n].w = strdup(buf)))
				return -1;
			nb->n++;
		}
	}
	qsort(nb->words, nb->n, sizeof *nb->words, cmp_word);
	size_t m = 0;
	for (size_t i = 0; i < nb->n; i++) {
		if (m && !strcmp(nb->words[m - 1].w, nb->words[i].w)) {
			free(nb->words[i].w);
			continue;
		}
		nb->words[m++] = nb->words[i];
	}
	nb->n = m;
	return 0;
}

struct nlu_nbr *nlu_nbr_build(const struct nlu_glove *g, char *const *texts, size_t n)
{
	struct nlu_nbr *nb = calloc(1, sizeof *nb);
	size_t nv = g ? nlu_glove_size(g) : 0, nc = 0;
	nv = nv < NBR_VOCAB ? nv : NBR_VOCAB;
	int32_t *cand = malloc(sizeof *cand * (nv ? nv : 1));
	float *B = malloc(sizeof *B * (nv ? nv : 1) * NLU_GLOVE_DIM);
	float *A = malloc(sizeof *A * NBR_BLOCK * NLU_GLOVE_DIM);
	float *S = malloc(sizeof *S * NBR_BLOCK * (nv ? nv : 1));

	if (!nb || !g || !cand || !B || !A || !S)
		goto fail;
	nb->g = g;
	if (collect(nb, texts, n))
		goto fail;
	for (int32_t r = NBR_MIN_RANK; (size_t)r < nv; r++) {   /* plain lower-case words */
		const char *w = nlu_glove_word(g, r);
		size_t len = strlen(w), k = 0;
		while (k < len && w[k] >= 'a' && w[k] <= 'z')
			k++;
		if (k != len || !eligible(w, len))
			continue;
		unit_row(g, r, B + nc * NLU_GLOVE_DIM);
		cand[nc++] = r;
	}
	for (size_t b0 = 0; b0 < nb->n; b0 += NBR_BLOCK) {
		size_t m = nb->n - b0 < NBR_BLOCK ? nb->n - b0 : NBR_BLOCK;
		for (size_t i = 0; i < m; i++) {
			const char *w = nb->words[b0 + i].w;
			unit_row(g, nlu_glove_find(g, w, strlen(w)), A + i * NLU_GLOVE_DIM);
		}
		cm_sgemm((int)m, (int)nc, NLU_GLOVE_DIM, 1.0f, A, 0, B, 1, 0.0f, S);
		for (size_t i = 0; i < m; i++) {
			struct nbr_word *wd = &nb->words[b0 + i];
			float best[NBR_K];
			int32_t self = nlu_glove_find(g, wd->w, strlen(wd->w));
			for (int k = 0; k < NBR_K; k++) {
				best[k] = NBR_MIN_COS;
				wd->nb[k] = -1;
			}
			for (size_t c = 0; c < nc; c++) {   /* insertion into the top K */
				float v = S[i * nc + c];
				if (v <= best[NBR_K - 1] || cand[c] == self)
					continue;
				int k = NBR_K - 1;
				while (k > 0 && best[k - 1] < v) {
					best[k] = best[k - 1];
					wd->nb[k] = wd->nb[k - 1];
					k--;
				}
				best[k] = v;
				wd->nb[k] = cand[c];
			}
		}
	}
	free(cand);
	free(B);
	free(A);
	free(S);
	return nb;
fail:
	nlu_nbr_destroy(nb);
	free(cand);
	free(B);
	free(A);
	free(S);
	return NULL;
}

char *nlu_nbr_copy(const struct nlu_nbr *nb, const char *text, float p, uint64_t *seed)
{
	size_t n = strlen(text), o = 0, cap = 2 * n + 64;
	char buf[32], *out = malloc(cap);
	int can = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; text[i];) {   /* how many words have a neighbour */
		if (!lower_alpha_run(text, i)) {
			i++;
			continue;
		}
		size_t len = take_word(text, i, buf, sizeof buf);
		const struct nbr_word *w = len < sizeof buf && !apostrophe(text, i, len) ?
			find(nb, buf) : NULL;
		can += w && w->nb[0] >= 0;
		i += len;
	}
	/* each such word with probability p, and at least one */
	int forced = can ? (int)(cm_xorshift64(seed) % (uint64_t)can) : -1, idx = 0;
	for (size_t i = 0; text[i];) {
		if (!lower_alpha_run(text, i)) {
			if (o + 1 < cap)
				out[o++] = text[i];
			i++;
			continue;
		}
		size_t len = take_word(text, i, buf, sizeof buf);
		const struct nbr_word *w = len < sizeof buf && !apostrophe(text, i, len) ?
			find(nb, buf) : NULL;
		const char *rep = NULL;
		if (w && w->nb[0] >= 0) {
			int pick = idx == forced || cm_xorshift64_unit(seed) < p;
			idx++;
			if (pick) {
				int k = 1;
				while (k < NBR_K && w->nb[k] >= 0)
					k++;
				rep = nlu_glove_word(nb->g, w->nb[cm_xorshift64(seed) % (uint64_t)k]);
			}
		}
		size_t rl = rep ? strlen(rep) : len;
		if (o + rl + 1 >= cap) {
			char *t = realloc(out, cap = cap * 2 + rl + 1);
			if (!t) {
				free(out);
				return NULL;
			}
			out = t;
		}
		memcpy(out + o, rep ? rep : text + i, rl);
		o += rl;
		i += len;
	}
	out[o] = '\0';
	return out;
}
