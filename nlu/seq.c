/* nlu/seq.c — the sequence encoder's model half: its input tokens, the forward pass
 * (each token's tap products, max-pooling, projection to the unit sentence vector,
 * softmax head) and its tensors in the "NLU " model file.  Training lives in
 * seq_train.c.  A trained `struct nlu_seq` is immutable and shared by every thread; each
 * predicting thread owns a `struct nlu_seq_scratch` (allocation-free forward pass), which
 * also keeps the tap products of the tokens it has seen: a token's row of Y depends on
 * the token alone, so a known word costs a look-up instead of two products.
 *
 * A token is a stemmed word (GloVe looked up by its surface form, learnt embeddings of
 * its stem and of the byte trigrams of " word ") or one CJK character (its learnt
 * embedding only); CJK bigram tokens are left to the width-2 convolution.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glove.h"
#include "seq.h"
#include "tensor.h"
#include "text.h"

#define SEQ_TEXT_BYTES 4096
#define SEQ_RAW_TOKENS 512
#define SEQ_CACHE_BYTES (4u << 20)   /* a scratch's token cache: at most 4 MB of rows */

struct nlu_seq_scratch {
	struct nlu_text *text;
	struct nlu_seq_tok toks[NLU_SEQ_MAX_TOKENS];
	float g[NLU_GLOVE_DIM], *x, *y, *h, *u;
	/* token cache: a token's row of Y = x_t · W depends on its GloVe rank and buckets
	 * alone, so it is kept (sets of two slots, the newer row first; the token itself is
	 * the key: exact) */
	uint32_t slots;        /* a power of two (0: no cache) */
	struct nlu_seq_tok *keys;   /* nb 0: empty slot */
	float *rows;           /* slots × 6F */
};

void nlu_seq_layout(const struct nlu_seq *m, struct nlu_seq_layout *l)
{
	size_t F = m->filters, d = m->g_dim + m->e_dim;
	l->p = 0;
	l->w = l->p + (size_t)m->g_dim * NLU_GLOVE_DIM;
	l->bconv = l->w + d * SEQ_TAPS * F;
	l->q = l->bconv + SEQ_WIDTHS * F;
	l->qb = l->q + (size_t)m->dim * SEQ_WIDTHS * F;
	l->c = l->qb + m->dim;
	l->cb = l->c + (size_t)m->n_cls * m->dim;
	l->total = l->cb + m->n_cls;
}

static inline uint32_t bucket(const struct nlu_seq *m, uint64_t h)
{
	return (uint32_t)((h * 0x9e3779b97f4a7c15ull) >> (64 - m->bits));
}

/* Token kinds of the hashed trigrams (apart from text.h's kinds and NLU_TERM_WORD_BIGRAM). */
#define SEQ_KIND_TRIGRAM 21

int nlu_seq_tokens_of(const struct nlu_seq *m, const struct nlu_token *raw, int n,
		      const char *norm, size_t nlen, const int32_t *ranks,
		      struct nlu_seq_tok *toks)
{
	int T = 0;

	/* text order: a CJK run's characters come before its bigrams, which are skipped */
	for (int i = 0; i < n && T < NLU_SEQ_MAX_TOKENS; i++) {
		const struct nlu_token *t = &raw[i];
		if (t->kind != NLU_TOK_WORD && t->kind != NLU_TOK_CJK_CHAR)
			continue;
		struct nlu_seq_tok *o = &toks[T++];
		o->rank = -1;
		o->nb = 0;
		o->b[o->nb++] = bucket(m, t->id);
		if (t->kind != NLU_TOK_WORD || (size_t)t->off + t->span > nlen)
			continue;
		const char *w = norm + t->off;
		if (m->glove && m->g_dim)
			o->rank = ranks ? ranks[i] : nlu_glove_find(m->glove, w, t->span);
		char buf[3];
		for (uint32_t k = 0; k + 1 < t->span + 2 - 1 && o->nb < NLU_SEQ_MAX_BUCKETS;
		     k++) {
			/* trigram k of " w ": positions k-1, k, k+1 of w (-1 and span: spaces) */
			for (int j = 0; j < 3; j++) {
				long p = (long)k - 1 + j;
				buf[j] = p < 0 || p >= (long)t->span ? ' ' : w[p];
			}
			o->b[o->nb++] = bucket(m, nlu_hash(SEQ_KIND_TRIGRAM, buf, 3));
		}
	}
	return T;
}

int nlu_seq_tokens(const struct nlu_seq *m, struct nlu_text *tk, const char *text, size_t len,
		   struct nlu_seq_tok *toks)
{
	struct nlu_token raw[SEQ_RAW_TOKENS];
	int n = nlu_text_tokenise(tk, text, len, raw, SEQ_RAW_TOKENS, NULL);
	size_t nlen;
	const char *norm;

	if (n < 0)
		return -1;
	norm = nlu_text_last(tk, &nlen);
	return nlu_seq_tokens_of(m, raw, n, norm, nlen, NULL, toks);
}

void nlu_seq_emb_row(const struct nlu_seq *m, const struct nlu_seq_tok *k, float *x)
{
	uint32_t E = m->e_dim;

	memset(x, 0, sizeof *x * E);
	for (uint32_t j = 0; j < k->nb; j++)
		cm_axpy(E, 1.0f / (float)k->nb, m->emb + (size_t)k->b[j] * E, x);
}

void nlu_seq_glove_row(const struct nlu_seq *m, int32_t r, float *g)
{
	memset(g, 0, sizeof *g * NLU_GLOVE_DIM);
	if (r < 0 || !m->glove)
		return;
	nlu_glove_add(m->glove, r, 1.0f, g);
	cm_l2_normalize(NLU_GLOVE_DIM, g);
}

void nlu_seq_pool(uint32_t F, const float *y, int T, const float *bconv, float *h, int *arg)
{
	const float *rows[NLU_SEQ_MAX_TOKENS];

	if (T > NLU_SEQ_MAX_TOKENS)
		T = NLU_SEQ_MAX_TOKENS;
	for (int t = 0; t < T; t++)
		rows[t] = y + (size_t)t * SEQ_TAPS * F;
	nlu_seq_pool_rows(F, rows, T, bconv, h, arg);
}

void nlu_seq_pool_rows(uint32_t F, const float *const *y, int T, const float *bconv, float *h,
		       int *arg)
{
	float acc[64];

	/* window sums in blocks of 64 filters, the filter index innermost (vectorised) */
	for (uint32_t w = 1; w <= SEQ_WIDTHS; w++)
		for (uint32_t f0 = 0; f0 < F; f0 += 64) {
			uint32_t nf = F - f0 < 64 ? F - f0 : 64;
			float *hw = h + (w - 1) * F + f0;
			int *aw = arg ? arg + (w - 1) * F + f0 : NULL;
			for (uint32_t f = 0; f < nf; f++)
				hw[f] = -INFINITY;
			for (int t = 0; t < T; t++) {
				memcpy(acc, bconv + (w - 1) * F + f0, sizeof *acc * nf);
				for (uint32_t k = 0; k < w && t + (int)k < T; k++) {
					const float *yr = y[t + (int)k] + seq_tap(w, k) * F + f0;
					for (uint32_t f = 0; f < nf; f++)
						acc[f] += yr[f];
				}
				if (aw) {
					for (uint32_t f = 0; f < nf; f++)
						if (acc[f] > hw[f]) {
							hw[f] = acc[f];
							aw[f] = t;
						}
				} else {
					for (uint32_t f = 0; f < nf; f++)
						hw[f] = acc[f] > hw[f] ? acc[f] : hw[f];
				}
			}
			for (uint32_t f = 0; f < nf; f++)
				if (!(hw[f] > 0))
					hw[f] = 0;   /* ReLU (and T == 0) */
		}
}

struct nlu_seq_scratch *nlu_seq_scratch_create(const struct nlu_seq *m)
{
	struct nlu_seq_scratch *s = calloc(1, sizeof *s);
	size_t T = NLU_SEQ_MAX_TOKENS, F = m->filters, TF = SEQ_TAPS * F;
	if (!s)
		return NULL;
	s->text = nlu_text_create(SEQ_TEXT_BYTES);
	s->x = malloc(sizeof(float) * (m->g_dim + m->e_dim));
	s->y = malloc(sizeof(float) * T * TF);
	s->h = malloc(sizeof(float) * SEQ_WIDTHS * F);
	s->u = malloc(sizeof(float) * m->dim);
	for (s->slots = 8192; s->slots >= 64 && s->slots * TF * sizeof(float) > SEQ_CACHE_BYTES;)
		s->slots /= 2;
	if (s->slots < 64)
		s->slots = 0;
	s->keys = calloc(s->slots ? s->slots : 1, sizeof *s->keys);
	s->rows = malloc(sizeof(float) * (s->slots ? s->slots : 1) * TF);
	if (!s->text || !s->x || !s->y || !s->h || !s->u || !s->keys || !s->rows) {
		nlu_seq_scratch_destroy(s);
		return NULL;
	}
	return s;
}

void nlu_seq_scratch_destroy(struct nlu_seq_scratch *s)
{
	if (!s)
		return;
	nlu_text_destroy(s->text);
	free(s->x);
	free(s->y);
	free(s->h);
	free(s->u);
	free(s->keys);
	free(s->rows);
	free(s);
}

/* Row y[6F] = x_t · W of token k: x_t = [P ĝ ; the mean of its embedding rows]. */
static void token_row(const struct nlu_seq *m, struct nlu_seq_scratch *s,
		      const struct nlu_seq_layout *l, const struct nlu_seq_tok *k, float *y)
{
	uint32_t G = m->g_dim, D = G + m->e_dim;
	float *x = s->x;

	nlu_seq_emb_row(m, k, x + G);
	if (G && k->rank >= 0) {
		nlu_seq_glove_row(m, k->rank, s->g);
		cm_sgemv((int)G, NLU_GLOVE_DIM, 1, m->params + l->p, 0, s->g, 0, x);
	} else {
		memset(x, 0, sizeof *x * G);
	}
	cm_sgemv((int)D, (int)(SEQ_TAPS * m->filters), 1, m->params + l->w, 1, x, 0, y);
}

static uint32_t token_slot(const struct nlu_seq_tok *k, uint32_t slots)
{
	uint64_t h = (uint64_t)(uint32_t)k->rank * 0x9e3779b97f4a7c15ull;
	for (uint32_t j = 0; j < k->nb; j++)
		h = (h ^ k->b[j]) * 0x100000001b3ull;
	return (uint32_t)(h >> 32) & (slots - 2);   /* a set: this slot and the next */
}

static int same_token(const struct nlu_seq_tok *a, const struct nlu_seq_tok *b)
{
	return a->nb == b->nb && a->rank == b->rank &&
	       !memcmp(a->b, b->b, sizeof *a->b * a->nb);
}

/* The forward pass over the T tokens in s->toks. */
static int forward(const struct nlu_seq *m, struct nlu_seq_scratch *s, int T, float *z,
		   float *logits)
{
	struct nlu_seq_layout l;
	const float *P = m->params;
	uint32_t F = m->filters, H = SEQ_WIDTHS * F, TF = SEQ_TAPS * F;

	nlu_seq_layout(m, &l);
	if (T <= 0) {
		memset(z, 0, sizeof *z * m->dim);
		if (logits)
			memcpy(logits, P + l.cb, sizeof *logits * m->n_cls);
		return 0;
	}
	/* Y = X · W row by row, each token's row from the cache when it has been seen; new
	 * rows go into the cache after pooling (they may evict a row this text reads) */
	const float *rows[NLU_SEQ_MAX_TOKENS];
	int n_new = 0, fresh[NLU_SEQ_MAX_TOKENS];
	for (int t = 0; t < T; t++) {
		const struct nlu_seq_tok *k = &s->toks[t];
		uint32_t h = s->slots ? token_slot(k, s->slots) : 0;
		if (s->slots && (same_token(&s->keys[h], k) || same_token(&s->keys[++h], k))) {
			rows[t] = s->rows + (size_t)h * TF;
			continue;
		}
		rows[t] = s->y + (size_t)t * TF;
		token_row(m, s, &l, k, s->y + (size_t)t * TF);
		fresh[n_new++] = t;
	}
	nlu_seq_pool_rows(F, rows, T, P + l.bconv, s->h, NULL);
	for (int j = 0; j < n_new && s->slots; j++) {
		const struct nlu_seq_tok *k = &s->toks[fresh[j]];
		uint32_t h = token_slot(k, s->slots);
		if (s->keys[h].nb) {   /* the set's newer row becomes its older one */
			memcpy(s->rows + (size_t)(h + 1) * TF, s->rows + (size_t)h * TF,
			       sizeof(float) * TF);
			s->keys[h + 1] = s->keys[h];
		}
		memcpy(s->rows + (size_t)h * TF, rows[fresh[j]], sizeof(float) * TF);
		s->keys[h] = *k;
	}
	memcpy(s->u, P + l.qb, sizeof *s->u * m->dim);
	cm_sgemv((int)m->dim, (int)H, 1, P + l.q, 0, s->h, 1, s->u);
	memcpy(z, s->u, sizeof *z * m->dim);
	cm_l2_normalize(m->dim, z);
	if (logits) {
		memcpy(logits, P + l.cb, sizeof *logits * m->n_cls);
		cm_sgemv((int)m->n_cls, (int)m->dim, 1, P + l.c, 0, z, 1, logits);
	}
	return T;
}

int nlu_seq_forward(const struct nlu_seq *m, struct nlu_seq_scratch *s, const char *text,
		    size_t len, float *z, float *logits)
{
	return forward(m, s, nlu_seq_tokens(m, s->text, text, len, s->toks), z, logits);
}

int nlu_seq_forward_tokens(const struct nlu_seq *m, struct nlu_seq_scratch *s,
			   const struct nlu_token *raw, int n, const char *norm, size_t nlen,
			   const int32_t *ranks, float *z, float *logits)
{
	return forward(m, s, nlu_seq_tokens_of(m, raw, n, norm, nlen, ranks, s->toks), z,
		       logits);
}

void nlu_seq_free(struct nlu_seq *m)
{
	free(m->emb);
	free(m->params);
	memset(m, 0, sizeof *m);
}

void nlu_seq_save(const struct nlu_seq *m, struct nlu_mf_writer *w)
{
	if (!m->bits)
		return;
	int32_t cfg[6] = { (int32_t)m->bits, (int32_t)m->e_dim, (int32_t)m->g_dim,
			   (int32_t)m->filters, (int32_t)m->dim, (int32_t)m->n_cls };
	uint32_t d6 = 6, rows = 1u << m->bits, de[2] = { rows, m->e_dim };
	uint32_t np = (uint32_t)m->n_params;
	size_t ne = (size_t)rows * m->e_dim;
	uint16_t *h = malloc(sizeof *h * ne);
	if (!h) {
		w->failed = 1;
		return;
	}
	for (size_t i = 0; i < ne; i++)
		h[i] = cm_f16_from_f32(m->emb[i]);
	nlu_mf_add(w, "seq.config", NLU_I32, 1, &d6, cfg);
	nlu_mf_add(w, "seq.emb", NLU_F16, 2, de, h);
	nlu_mf_add(w, "seq.params", NLU_F32, 1, &np, m->params);
	free(h);
}

int nlu_seq_load(struct nlu_seq *m, const struct nlu_mf *mf, uint32_t n_cls,
		 const struct nlu_glove *g, char *err, size_t errlen)
{
	struct nlu_mf_tensor t;
	struct nlu_seq_layout l;
	const int32_t *cfg;
	const uint16_t *emb;
	const float *par;
	char e2[8];

	memset(m, 0, sizeof *m);
	if (!(cfg = nlu_mf_get(mf, "seq.config", NLU_I32, &t, e2, sizeof e2)))
		return 0;   /* a model without a sequence half */
	if (t.dims[0] < 6 || cfg[0] < 8 || cfg[0] > 22 || cfg[1] < 1 || cfg[1] > 1024 ||
	    cfg[2] < 0 || cfg[2] > 1024 || cfg[3] < 1 || cfg[3] > 4096 || cfg[4] < 1 ||
	    cfg[4] > 4096 || (uint32_t)cfg[5] != n_cls) {
		snprintf(err, errlen, "model file has an invalid sequence configuration");
		return -1;
	}
	*m = (struct nlu_seq){ (uint32_t)cfg[0], (uint32_t)cfg[1], (uint32_t)cfg[2],
			       (uint32_t)cfg[3], (uint32_t)cfg[4], n_cls, NULL, NULL, 0, g };
	nlu_seq_layout(m, &l);
	m->n_params = l.total;
	size_t ne = ((size_t)1 << m->bits) * m->e_dim;
	if (!(emb = nlu_mf_get(mf, "seq.emb", NLU_F16, &t, err, errlen)) ||
	    t.nbytes != ne * sizeof *emb || !(par = nlu_mf_get(mf, "seq.params", NLU_F32, &t, err, errlen)) ||
	    t.nbytes != l.total * sizeof *par) {
		snprintf(err, errlen, "model file sequence tensors have the wrong size");
		memset(m, 0, sizeof *m);
		return -1;
	}
	m->emb = malloc(sizeof *m->emb * ne);
	m->params = malloc(sizeof *m->params * l.total);
	if (!m->emb || !m->params) {
		nlu_seq_free(m);
		snprintf(err, errlen, "out of memory loading the model");
		return -1;
	}
	for (size_t i = 0; i < ne; i++)
		m->emb[i] = cm_f32_from_f16(emb[i]);
	memcpy(m->params, par, sizeof *par * l.total);
	return 0;
}
