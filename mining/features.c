/* mining/features.c — the text features the review queue is clustered on (mining.h
 * mn_embed, mn_similarity): kefu's own, from nlu/.
 *
 *   TF-IDF  the trained encoder's hashed features (stemmed word uni+bigrams, char
 *           1–5-grams; its idf learnt on the store's examples), merged into one sparse
 *           vector of unit length; a BM25 bot has no encoder: the same configuration
 *           with an idf fitted on the texts being clustered;
 *   GloVe   the SIF-weighted mean of the words' GloVe vectors (nlu_fx_dense), unit length;
 *   hidden  the encoder's MLP hidden layer (256 ReLU) over that GloVe vector, unit length.
 *
 * MN_FEAT_BOTH weighs the two cosines: (1 − w) cos_tfidf + w cos_glove.  Runs on the
 * calling thread; allocates (never on the reply path).
 */
#include "mining.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "glove.h"
#include "hash.h"
#include "model.h"
#include "nlu_int.h"
#include "tensor.h"

struct mn_vecs {
	size_t n;
	int feat;                  /* the features used (enum mn_feat) */
	float w;                   /* weight of the dense cosine (0: sparse only) */
	int sparse;                /* 1: the sparse half is used */
	struct nlu_feat own;       /* a bot without an encoder: the idf fitted on these
				      texts (mn_embed_as embeds more texts with it) */
	uint32_t *off;             /* n + 1 offsets into idx/val */
	uint32_t *idx;             /* sorted, distinct per text */
	float *val;
	int dense_dim;             /* 0: none */
	float *dense;              /* n × dense_dim, unit rows (zero rows: no words) */
	float *mean;               /* opts.center: the mean dense row subtracted, or NULL */
};

/* 1 once o's cancel flag is set (checked every 256 rows). */
static int cancelled(const struct mn_opts *o, size_t i)
{
	return o->cancel && !(i & 255) && atomic_load_explicit(o->cancel, memory_order_relaxed);
}

void mn_opts_default(struct mn_opts *o)
{
	/* chosen with bench/mining (docs/learning.md) */
	o->feat = MN_FEAT_BOTH;
	o->glove_weight = 0.4f;
	o->method = MN_AVERAGE;
	o->threshold = 0.45f;
	o->min_pts = 3;
	o->center = 0;
	o->attach = 0.4f;
	o->cancel = NULL;
}

int mn_feat_parse(const char *s)
{
	static const char *const names[] = { "both", "tfidf", "glove", "hidden" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int mn_method_parse(const char *s)
{
	return !strcmp(s, "average") ? MN_AVERAGE : !strcmp(s, "dbscan") ? MN_DBSCAN : -1;
}

void mn_vecs_free(struct mn_vecs *v)
{
	if (!v)
		return;
	free(v->off);
	free(v->idx);
	free(v->val);
	free(v->dense);
	free(v->mean);
	nlu_feat_free(&v->own);
	free(v);
}

size_t mn_vecs_n(const struct mn_vecs *v)
{
	return v ? v->n : 0;
}

static int cmp_pair(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts sp by index, adds duplicates (the two blocks share buckets), scales to unit
 * length; returns the new nnz.  pairs: scratch of 2 × nnz uint32. */
static uint32_t sparse_merge(struct nlu_sparse *sp, uint32_t *pairs)
{
	uint32_t n = sp->nnz, k = 0;

	for (uint32_t i = 0; i < n; i++) {
		pairs[2 * i] = sp->idx[i];
		memcpy(&pairs[2 * i + 1], &sp->val[i], sizeof(float));
	}
	qsort(pairs, n, 2 * sizeof *pairs, cmp_pair);
	for (uint32_t i = 0; i < n; i++) {
		float v;
		memcpy(&v, &pairs[2 * i + 1], sizeof v);
		if (k && sp->idx[k - 1] == pairs[2 * i]) {
			sp->val[k - 1] += v;
		} else {
			sp->idx[k] = pairs[2 * i];
			sp->val[k++] = v;
		}
	}
	cm_l2_normalize(k, sp->val);
	return k;
}

/* Appends text's merged sparse vector to v (growing idx/val). */
static int push_sparse(struct mn_vecs *v, size_t i, const struct nlu_sparse *sp,
		       size_t *cap)
{
	uint32_t at = v->off[i];
	if (at + sp->nnz > *cap) {
		size_t nc = cm_grow_cap(*cap, (size_t)at + sp->nnz, 4096, sizeof(float));
		uint32_t *ni = nc ? cm_realloc_n(v->idx, nc, sizeof *ni) : NULL;
		if (!ni)
			return -1;
		v->idx = ni;
		float *nv = cm_realloc_n(v->val, nc, sizeof *nv);
		if (!nv)
			return -1;
		v->val = nv;
		*cap = nc;
	}
	if (sp->nnz) {   /* an empty row adds nothing (and v->idx may still be NULL) */
		memcpy(v->idx + at, sp->idx, sp->nnz * sizeof *sp->idx);
		memcpy(v->val + at, sp->val, sp->nnz * sizeof *sp->val);
	}
	v->off[i + 1] = at + sp->nnz;
	return 0;
}

/* The mean of the non-zero rows of x (n × d) into a new array; NULL when fewer than two
 * rows have words (nothing to centre on) or on no memory.  Sentence vectors share a
 * large common direction (frequent words, the domain), which lifts every cosine;
 * without it the similarities of unrelated questions sit high and close together. */
static float *mean_row(const float *x, size_t n, size_t d)
{
	double *acc = calloc(d, sizeof *acc);
	float *mean = acc ? malloc(d * sizeof *mean) : NULL;
	size_t m = 0;

	for (size_t i = 0; mean && i < n; i++) {
		const float *r = x + i * d;
		if (cm_dot(d, r, r) == 0)
			continue;
		for (size_t j = 0; j < d; j++)
			acc[j] += r[j];
		m++;
	}
	if (mean && m >= 2) {
		for (size_t j = 0; j < d; j++)
			mean[j] = (float)(acc[j] / (double)m);
	} else {
		free(mean);
		mean = NULL;
	}
	free(acc);
	return mean;
}

/* Subtracts mean from each non-zero row and scales it back to unit length. */
static void center_rows(float *x, size_t n, size_t d, const float *mean)
{
	for (size_t i = 0; i < n; i++) {
		float *r = x + i * d;
		if (cm_dot(d, r, r) == 0)
			continue;
		for (size_t j = 0; j < d; j++)
			r[j] -= mean[j];
		cm_l2_normalize(d, r);
	}
}

/* The text pipeline's state and a text's scratch vectors, made once for many calls
 * (mn_scratch_create) or for one (embed without scratch). */
struct mn_scratch {
	struct nlu_fx *fx;           /* tokeniser, stemmer, n-grams */
	struct nlu_sparse sp;        /* NLU_FEAT_MAX */
	uint32_t *pairs;             /* 2 × NLU_FEAT_MAX */
};

void mn_scratch_free(struct mn_scratch *c)
{
	if (!c)
		return;
	nlu_fx_destroy(c->fx);
	nlu_sparse_free(&c->sp);
	free(c->pairs);
	free(c);
}

struct mn_scratch *mn_scratch_create(void)
{
	struct mn_scratch *c = calloc(1, sizeof *c);

	if (c && (!(c->fx = nlu_fx_create()) ||
		  !(c->pairs = malloc(2 * NLU_FEAT_MAX * sizeof *c->pairs)) ||
		  nlu_sparse_alloc(&c->sp, NLU_FEAT_MAX))) {
		mn_scratch_free(c);
		c = NULL;
	}
	return c;
}

static struct mn_vecs *embed_with(struct mn_scratch *scr, const struct nlu_bot *bot,
				  const struct nlu_glove *glove, const struct mn_opts *o,
				  const struct mn_vecs *like, const char *const *texts, size_t n,
				  int *used, char *err, size_t errlen);

/* mn_embed, or with like (not NULL) mn_embed_as: like's fitted idf and centre. */
static struct mn_vecs *embed(const struct nlu_bot *bot, const struct nlu_glove *glove,
			     const struct mn_opts *o, const struct mn_vecs *like,
			     const char *const *texts, size_t n, int *used, char *err,
			     size_t errlen)
{
	struct mn_scratch *scr = mn_scratch_create();
	struct mn_vecs *v = NULL;

	if (scr)
		v = embed_with(scr, bot, glove, o, like, texts, n, used, err, errlen);
	else
		snprintf(err, errlen, "out of memory");
	mn_scratch_free(scr);
	return v;
}

static struct mn_vecs *embed_with(struct mn_scratch *scr, const struct nlu_bot *bot,
				  const struct nlu_glove *glove, const struct mn_opts *o,
				  const struct mn_vecs *like, const char *const *texts, size_t n,
				  int *used, char *err, size_t errlen)
{
	const struct nlu_enc *enc = bot ? bot->enc : NULL;
	const struct nlu_glove *g = bot && bot->glove ? bot->glove : glove;
	int feat = o->feat;
	struct mn_vecs *v = calloc(1, sizeof *v);
	const struct nlu_feat *f = enc ? &enc->feat : like ? &like->own : v ? &v->own : NULL;
	struct nlu_fx *fx = scr->fx;
	struct nlu_sparse sp = scr->sp;        /* a view: scr keeps the arrays */
	uint32_t *pairs = scr->pairs;
	float *hidden = NULL, *logits = NULL, gv[NLU_GLOVE_DIM];
	size_t cap = 0;

	if (!g && feat != MN_FEAT_TFIDF)
		feat = MN_FEAT_TFIDF;
	if (feat == MN_FEAT_HIDDEN && !(enc && enc->mlp.d_h && enc->glove))
		feat = g ? MN_FEAT_GLOVE : MN_FEAT_TFIDF;
	if (used)
		*used = feat;
	if (!v)
		goto nomem;
	v->n = n;
	v->feat = feat;
	v->sparse = feat == MN_FEAT_BOTH || feat == MN_FEAT_TFIDF;
	v->dense_dim = feat == MN_FEAT_HIDDEN ? (int)enc->mlp.d_h
		: feat == MN_FEAT_TFIDF ? 0 : NLU_GLOVE_DIM;
	v->w = feat == MN_FEAT_BOTH ? o->glove_weight : v->dense_dim ? 1.0f : 0.0f;
	if (!(v->off = calloc(n + 1, sizeof *v->off)))
		goto nomem;
	if (v->dense_dim && !(v->dense = calloc(n * (size_t)v->dense_dim, sizeof *v->dense)))
		goto nomem;
	if (feat == MN_FEAT_HIDDEN && (!(hidden = malloc(enc->mlp.d_h * sizeof *hidden)) ||
				       !(logits = malloc(enc->mlp.n_cls * sizeof *logits))))
		goto nomem;
	if (!enc && v->sparse && !like) {
		struct nlu_enc_opts eo;
		nlu_enc_opts_default(&eo);
		v->own.cfg = eo.feat;
		v->own.dim = 1u << v->own.cfg.bits;
		if (nlu_feat_fit_idf(&v->own, fx, (char *const *)texts, n))
			goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		if (cancelled(o, i)) {
			snprintf(err, errlen, "cancelled");
			goto fail;
		}
		int nnz = nlu_feat_vector(f, fx, texts[i], strlen(texts[i]), &sp);
		sp.nnz = nnz > 0 ? sp.nnz : 0;
		if (v->sparse) {
			sp.nnz = sparse_merge(&sp, pairs);
		} else {
			sp.nnz = 0;
		}
		if (push_sparse(v, i, &sp, &cap))
			goto nomem;
		if (!v->dense_dim || nnz <= 0 || nlu_fx_dense(fx, g, gv) <= 0)
			continue;
		float *row = v->dense + i * (size_t)v->dense_dim;
		if (feat == MN_FEAT_HIDDEN)
			nlu_mlp_logits(&enc->mlp, gv, row, logits);
		else
			memcpy(row, gv, sizeof gv);
		cm_l2_normalize((size_t)v->dense_dim, row);
	}
	if (o->center && v->dense_dim) {
		const float *mean = like ? like->mean : (v->mean = mean_row(v->dense, n,
								(size_t)v->dense_dim));
		if (mean)
			center_rows(v->dense, n, (size_t)v->dense_dim, mean);
	}
	free(hidden);
	free(logits);
	return v;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(hidden);
	free(logits);
	mn_vecs_free(v);
	return NULL;
}

struct mn_vecs *mn_embed(const struct nlu_bot *bot, const struct nlu_glove *glove,
			 const struct mn_opts *o, const char *const *texts, size_t n,
			 int *used, char *err, size_t errlen)
{
	return embed(bot, glove, o, NULL, texts, n, used, err, errlen);
}

struct mn_vecs *mn_embed_as(const struct mn_vecs *like, const struct nlu_bot *bot,
			    const struct nlu_glove *glove, const struct mn_opts *o,
			    const char *const *texts, size_t n, char *err, size_t errlen)
{
	struct mn_opts same = *o;
	same.feat = like->feat;    /* what like could use, so the two sets compare */
	return embed(bot, glove, &same, like, texts, n, NULL, err, errlen);
}

/* The sparse dot product of row a of va and row b of vb. */
static float sparse_dot2(const struct mn_vecs *va, size_t a, const struct mn_vecs *vb, size_t b)
{
	uint32_t i = va->off[a], ie = va->off[a + 1], j = vb->off[b], je = vb->off[b + 1];
	float s = 0;

	while (i < ie && j < je) {
		if (va->idx[i] < vb->idx[j])
			i++;
		else if (va->idx[i] > vb->idx[j])
			j++;
		else
			s += va->val[i++] * vb->val[j++];
	}
	return s;
}

static float sparse_dot(const struct mn_vecs *v, size_t a, size_t b)
{
	return sparse_dot2(v, a, v, b);
}

float *mn_similarity(const struct mn_vecs *v)
{
	size_t n = v->n, d = (size_t)v->dense_dim;
	float *sim = malloc((n ? n * n : 1) * sizeof *sim);

	if (!sim)
		return NULL;
	if (d && n) /* dense half: one sgemm, D · Dᵀ */
		cm_sgemm((int)n, (int)n, (int)d, 1.0f, v->dense, 0, v->dense, 1, 0.0f, sim);
	else
		memset(sim, 0, n * n * sizeof *sim);
	for (size_t a = 0; a < n; a++)
		for (size_t b = a; b < n; b++) {
			float s = v->w * sim[a * n + b];
			if (v->sparse)
				s += (1.0f - v->w) * sparse_dot(v, a, b);
			sim[a * n + b] = sim[b * n + a] = s;
		}
	return sim;
}

int mn_similar(const struct nlu_bot *bot, const char *a, const char *b)
{
	struct mn_opts o;
	const char *t[2] = { a, b };
	char err[64];
	float *sim = NULL;
	int yes = 0;

	mn_opts_default(&o);
	o.feat = MN_FEAT_TFIDF;
	struct mn_vecs *v = mn_embed(bot, NULL, &o, t, 2, NULL, err, sizeof err);
	if (v && (sim = mn_similarity(v)))
		yes = sim[1] >= MN_SIMILAR;
	free(sim);
	mn_vecs_free(v);
	return yes;
}

/* Adds s to the k largest kept in top[0..k) (descending; *n of them so far). */
static void keep_top(float *top, int k, int *n, float s)
{
	int i;

	if (*n < k) {
		i = (*n)++;
	} else {
		if (s <= top[k - 1])
			return;
		i = k - 1;
	}
	while (i > 0 && top[i - 1] < s) {
		top[i] = top[i - 1];
		i--;
	}
	top[i] = s;
}

static float mean_of(const float *x, int n)
{
	float s = 0;

	for (int i = 0; i < n; i++)
		s += x[i];
	return n ? s / (float)n : 0;
}

#define NOVELTY_BLOCK 128     /* questions whose dense cosines one sgemm computes */
#define NOVELTY_K_MAX 64

/* The dense cosines of rows [q0, q0 + nb) of q with every row of x into out (nb × x->n);
 * nothing when there is no dense half. */
static void dense_block(const struct mn_vecs *q, size_t q0, size_t nb, const struct mn_vecs *x,
			float *out)
{
	size_t d = (size_t)q->dense_dim;

	if (d && x->n)
		cm_sgemm((int)nb, (int)x->n, (int)d, 1.0f, q->dense + q0 * d, 0, x->dense, 1,
			 0.0f, out);
}

/* The largest feature index of v's rows, + 1 (0 when they have none). */
static size_t feat_bound(const struct mn_vecs *v)
{
	size_t m = 0;

	for (uint32_t t = 0; t < v->off[v->n]; t++)
		if (v->idx[t] + (size_t)1 > m)
			m = v->idx[t] + (size_t)1;
	return m;
}

/* Row j of v dotted with a question scattered into qv (its values at its feature
 * indices, 0 elsewhere): the same products in the same order as sparse_dot2's merge
 * (adding the zeros changes no bit), without its unpredictable branches.  The pass
 * over every store example a turn is scored against is most of a new-topic pass. */
static float gather_dot(const struct mn_vecs *v, size_t j, const float *qv)
{
	float s = 0;

	for (uint32_t t = v->off[j]; t < v->off[j + 1]; t++)
		s += qv[v->idx[t]] * v->val[t];
	return s;
}

/* Sets (put) or clears the features of row i of v in qv. */
static void scatter(const struct mn_vecs *v, size_t i, float *qv, int put)
{
	for (uint32_t t = v->off[i]; t < v->off[i + 1]; t++)
		qv[v->idx[t]] = put ? v->val[t] : 0.0f;
}

/* mn_novelty; o (may be NULL) may cancel it between blocks (-2). */
static int novelty(const struct mn_vecs *ref, const struct mn_vecs *q, int k, size_t from,
		   float *out, const struct mn_opts *o)
{
	size_t n_ref = ref->n, n_q = q->n, d = (size_t)q->dense_dim;
	float *dref = NULL, *dq = NULL, *qv = NULL, top_ref[NOVELTY_K_MAX],
		top_own[NOVELTY_K_MAX];
	int rc = -1;

	if (k < 1 || k > NOVELTY_K_MAX || ref->dense_dim != q->dense_dim ||
	    ref->sparse != q->sparse)
		return -1;
	/* the same density read off both sets: the k-th nearest of n_ref examples against
	 * the kq-th nearest of the n_q - 1 other questions */
	int kq = (int)lroundf((float)k * (float)(n_q ? n_q - 1 : 0) / (float)(n_ref ? n_ref : 1));
	if (kq < 1)
		kq = 1;
	if (kq > NOVELTY_K_MAX)
		kq = NOVELTY_K_MAX;
	if (d && from < n_q &&
	    (!(dref = malloc((NOVELTY_BLOCK * n_ref + 1) * sizeof *dref)) ||
	     !(dq = malloc(NOVELTY_BLOCK * n_q * sizeof *dq))))
		goto out;
	if (q->sparse && from < n_q) {
		size_t dim = feat_bound(ref) > feat_bound(q) ? feat_bound(ref) : feat_bound(q);
		if (!(qv = calloc(dim + 1, sizeof *qv)))
			goto out;
	}
	float wd = d ? q->w : 0, ws = 1.0f - q->w;  /* sim_of's weights */
	for (size_t q0 = from; q0 < n_q; q0 += NOVELTY_BLOCK) {
		size_t nb = n_q - q0 < NOVELTY_BLOCK ? n_q - q0 : NOVELTY_BLOCK;
		if (o && cancelled(o, 0)) {
			rc = -2;
			goto out;
		}
		dense_block(q, q0, nb, ref, dref);     /* this block's dense cosines */
		dense_block(q, q0, nb, q, dq);
		for (size_t b = 0; b < nb; b++) {
			size_t i = q0 + b;
			int nr = 0, no = 0;
			if (qv)
				scatter(q, i, qv, 1);
			for (size_t j = 0; j < n_ref; j++) {
				float s = d ? wd * dref[b * n_ref + j] : 0;
				if (qv)
					s += ws * gather_dot(ref, j, qv);
				keep_top(top_ref, k, &nr, s);
			}
			for (size_t j = 0; j < n_q; j++) {
				if (j == i)
					continue;
				float s = d ? wd * dq[b * n_q + j] : 0;
				if (qv)
					s += ws * gather_dot(q, j, qv);
				keep_top(top_own, kq, &no, s);
			}
			if (qv)
				scatter(q, i, qv, 0);
			out[i] = mean_of(top_own, no) - mean_of(top_ref, nr);
		}
	}
	rc = 0;
out:
	free(dref);
	free(dq);
	free(qv);
	return rc;
}

int mn_novelty(const struct mn_vecs *ref, const struct mn_vecs *q, int k, size_t from,
	       float *out)
{
	return novelty(ref, q, k, from, out, NULL);
}

/* Groups texts[0..n) by equal text: first[0..*nd) gets the index of each distinct
 * text's first occurrence, of[i] the group of text i.  0, or -1 on no memory. */
static int distinct_texts(const char *const *texts, size_t n, size_t *first, size_t *nd,
			  size_t *of)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap <<= 1;
	size_t *slot = calloc(cap, sizeof *slot);   /* group + 1, 0: empty */

	if (!slot)
		return -1;
	*nd = 0;
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)cm_fnv1a(CM_FNV1A_INIT, texts[i], strlen(texts[i]));
		for (h &= cap - 1; slot[h] && strcmp(texts[first[slot[h] - 1]], texts[i]);
		     h = (h + 1) & (cap - 1))
			;
		if (!slot[h]) {
			first[*nd] = i;
			slot[h] = ++*nd;
		}
		of[i] = slot[h] - 1;
	}
	free(slot);
	return 0;
}

/* A new set whose row i is row of[i] of v (the vectors of repeated texts, computed
 * once); NULL on no memory. */
static struct mn_vecs *vecs_rows(const struct mn_vecs *v, const size_t *of, size_t n)
{
	struct mn_vecs *r = calloc(1, sizeof *r);
	size_t d = (size_t)v->dense_dim, nnz = 0;

	if (!r)
		return NULL;
	*r = (struct mn_vecs){ .n = n, .feat = v->feat, .w = v->w, .sparse = v->sparse,
			       .dense_dim = v->dense_dim };
	for (size_t i = 0; i < n; i++)
		nnz += v->off[of[i] + 1] - v->off[of[i]];
	if (!(r->off = malloc((n + 1) * sizeof *r->off)) ||
	    (nnz && (!(r->idx = malloc(nnz * sizeof *r->idx)) ||
		     !(r->val = malloc(nnz * sizeof *r->val)))) ||
	    (d && !(r->dense = malloc(n * d * sizeof *r->dense)))) {
		mn_vecs_free(r);
		return NULL;
	}
	r->off[0] = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t a = v->off[of[i]], len = v->off[of[i] + 1] - a;
		if (len) {
			memcpy(r->idx + r->off[i], v->idx + a, len * sizeof *r->idx);
			memcpy(r->val + r->off[i], v->val + a, len * sizeof *r->val);
		}
		r->off[i + 1] = r->off[i] + len;
		if (d)
			memcpy(r->dense + i * d, v->dense + of[i] * d, d * sizeof *r->dense);
	}
	return r;
}

/* Each distinct text is embedded once (a text's vector depends on the text alone:
 * customers repeat questions, and the review thread's window holds every repeat). */
int mn_novelty_texts(const struct mn_vecs *ref, const struct nlu_bot *bot,
		     const struct nlu_glove *glove, const struct mn_opts *o,
		     const char *const *texts, size_t n, int k, size_t from, float *out,
		     char *err, size_t errlen)
{
	size_t nd = 0, *first = malloc((n ? n : 1) * sizeof *first),
	       *of = malloc((n ? n : 1) * sizeof *of);
	const char **dt = malloc((n ? n : 1) * sizeof *dt);
	struct mn_vecs *dv = NULL, *q = NULL;
	int rc = -1;

	if (!first || !of || !dt || distinct_texts(texts, n, first, &nd, of)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t g = 0; g < nd; g++)
		dt[g] = texts[first[g]];
	if (!(dv = mn_embed_as(ref, bot, glove, o, dt, nd, err, errlen)))
		goto out;
	if (!(q = vecs_rows(dv, of, n))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = novelty(ref, q, k, from, out, o);
	if (rc)
		snprintf(err, errlen, rc == -2 ? "cancelled" : k < 1 || k > NOVELTY_K_MAX
			 ? "novelty: k out of 1..64" : "out of memory");
out:
	mn_vecs_free(q);
	mn_vecs_free(dv);
	free(first);
	free(of);
	free(dt);
	return rc;
}

struct mn_vecs *mn_similar_vec(const struct nlu_bot *bot, struct mn_scratch *scr,
			       const char *text)
{
	struct mn_opts o;
	char err[64];

	if (!bot || !bot->enc || !scr)
		return NULL;
	mn_opts_default(&o);
	o.feat = MN_FEAT_TFIDF;
	return embed_with(scr, bot, NULL, &o, NULL, &text, 1, NULL, err, sizeof err);
}

int mn_similar_vecs(const struct mn_vecs *a, const struct mn_vecs *b)
{
	/* TF-IDF alone: mn_similarity's cosine is the sparse dot product (w = 0) */
	return a && b && a->n && b->n && sparse_dot2(a, 0, b, 0) >= MN_SIMILAR;
}
