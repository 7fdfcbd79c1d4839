/* nlu/encoder.c — kefu's trained text encoder (φ_text): hashed TF-IDF features →
 * multinomial logistic regression → temperature-scaled softmax → out-of-scope rule.
 *
 * Training (nlu_enc_train) calibrates on held-out rows unless a validation set is given:
 * a split carved from the training data, the fit on the rest (the default), or with
 * cal_folds every example, scored by a fit on the other folds of an inner
 * cross-validation (calibrate_cv; an option: encoder.md, "β chosen on an inner
 * cross-validation").  The
 * halves' weights (β, γ: by right answers, or by NLL), the temperature and the OOS rule
 * are chosen on those rows, then everything is refit on all the data with the same
 * settings (the sequence half, the costly one, may instead be kept as calibrated or go
 * on from those weights: seq_refit).
 * The encoder is immutable afterwards and shared by every thread; each thread predicts
 * with its own scratch.  The model file holds the feature settings, idf and weights in
 * float16 (halving the blob; a loaded model keeps its linear weights in float16 and
 * widens each row as it adds it) and the calibration.  An optional third half (format 4,
 * `--use`) reads the question with the Universal Sentence Encoder (use.h; the encoder is
 * not in the model file: its owner sets e->use) and an MLP over its vector, mixed at γ.
 * Or (`--distill`) the encoder only teaches while training: the cheap halves learn its
 * cross-fitted probabilities and from neighbour copies of the examples it labels
 * (distill.c, neighbours.c), and the model answers without it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glove.h"
#include "model.h"
#include "rng.h"
#include "spell.h"
#include "tensor.h"
#include "use.h"
#include "zhseg.h"

struct nlu_enc_scratch {
	struct nlu_fx *fx;
	struct nlu_sparse sp;
	float *probs, *dense_logits, *hidden;
	float dense[NLU_GLOVE_DIM];
	struct nlu_seq_scratch *seq;   /* NULL: no sequence half */
	float *seq_logits, *seq_z;
	struct nlu_use_scratch *use;   /* NULL: no USE half */
	float *use_logits, *use_hidden;
	float use_x[NLU_USE_DIM];
};

/* USE vectors are unit length; the MLP reads them × this, as the GloVe half's input */
#define USE_SCALE NLU_DENSE_SCALE

void nlu_enc_opts_default(struct nlu_enc_opts *o)
{
	memset(o, 0, sizeof *o);
	o->feat = (struct nlu_feat_cfg){ .bits = 16, .char_min = 1, .char_max = 5,
					 .word_bigrams = 1, .cjk_max = 2 };
	/* the linear half: AdaGrad SGD logistic regression (epochs, lr, l2: encoder.md);
	 * --svm-c C trains it as a Crammer–Singer SVM solved exactly (linear_svm.c), not the
	 * default: texts several answers share now count right under each (the policy's
	 * generic clothing questions back at 85.0 %), but its kind-specific (87.7 → 86.6 %)
	 * and off-topic rows (99.7 → 99.0 %) stay below the SGD's (encoder.md "Texts several
	 * answers share") */
	o->lin = (struct nlu_linear_opts){ .epochs = 10, .lr = 0.1f, .l2 = 0.0f, .threads = 2,
					   .svm_c = 0.0f, .svm_cs = 1, .seed = 1 };
	o->val_frac = 0.1f;
	o->cal_folds = 0;      /* 2 (an inner cross-validation) and weight_by_acc: encoder.md */
	o->weight_by_acc = 0;
	o->gamma = -1;
	o->w_oos = 8.0f;
	o->augment = 0;
	o->mlp = (struct nlu_mlp_opts){ .hidden = 256, .epochs = 20, .batch = 64, .lr = 1e-3f,
					.wd = 1e-4f, .seed = 5 };
	o->alpha = 0.2f;
	o->zh_dict = NULL;     /* words measured no better than characters: see encoder.md */
	o->spell = 1;          /* typo'd BANKING77 fold +4.7 points, clean ones level */
	o->seq = (struct nlu_seq_opts){ .bits = 15, .emb_dim = 32, .glove_dim = 32,
					.filters = 32, .dim = 128, .epochs = 30, .batch = 64,
					.lr = 2e-3f, .tau = 0.1f, .lambda = 0.5f, .dropout = 0.2f,
					.seed = 11 };
	o->beta = -1;
	o->seq_refit = -1;     /* warm 10 passes: −0.25 point on BANKING77 (encoder.md) */
	o->distill_t = 2.0f;
	o->distill_folds = 2;
	o->distill_p = 0.15f;
	o->use_threads = 2;
	o->cv_threads = 1;
}

void nlu_enc_opts_distill(struct nlu_enc_opts *o)
{
	o->distill_dense = 0.5f;
	o->distill_seq = 0.5f;
	o->distill_copies = 1;
	o->distill_linear = 1;
}

static int has_dense(const struct nlu_enc *e)
{
	return e->glove && e->mlp.d_in == NLU_GLOVE_DIM && e->alpha > 0;
}

/* Logits of today's model (v1) for one text into z[n_cls] (before temperature): the
 * linear logits, or (1 − α) log p_linear + α log p_mlp.  Every combination here is of
 * log-probabilities, and log softmax(x) is x less a constant of the text, which the
 * calibrated softmax ignores: so the halves' logits are mixed as they are (no exp or log
 * per class).  Returns the sparse nnz (< 0: invalid text). */
static int score_v1(const struct nlu_enc *e, struct nlu_enc_scratch *s, const char *text,
		    size_t len, float *z)
{
	int nnz = nlu_feat_vector(&e->feat, s->fx, text, len, &s->sp);
	if (nnz < 0)
		s->sp.nnz = 0;
	nlu_linear_logits(&e->lin, &s->sp, z);
	if (!has_dense(e))
		return nnz;
	nlu_fx_dense(s->fx, e->glove, s->dense);
	/* the dense half speaks for the words it has vectors for: none for Chinese */
	float alpha = e->alpha * nlu_fx_dense_share(s->fx);
	if (alpha <= 0)
		return nnz;
	nlu_mlp_logits(&e->mlp, s->dense, s->hidden, s->dense_logits);
	for (uint32_t c = 0; c < e->n_cls; c++)
		z[c] = (1 - alpha) * z[c] + alpha * s->dense_logits[c];
	return nnz;
}

/* The sequence half over the text score_v1 has just read into s->fx (its tokens and
 * GloVe look-ups are reused): its sentence vector into z[seq.dim] and, when zs is not
 * NULL, its logits (log-probabilities up to a constant) into zs[n_cls]; returns its
 * tokens (0: none).  score_seq: the logits; score_seq_z: the vector alone (no head). */
static int seq_forward(const struct nlu_enc *e, struct nlu_enc_scratch *s, float *z, float *zs)
{
	const struct nlu_token *toks;
	const char *norm;
	const int32_t *ranks;
	size_t nlen;
	int n = nlu_fx_tokens(s->fx, &toks, &norm, &nlen, &ranks);
	return nlu_seq_forward_tokens(&e->seq, s->seq, toks, n, norm, nlen, ranks, z, zs);
}

static int score_seq(const struct nlu_enc *e, struct nlu_enc_scratch *s, float *zs)
{
	return seq_forward(e, s, s->seq_z, zs);
}

static int score_seq_z(const struct nlu_enc *e, struct nlu_enc_scratch *s, float *z)
{
	return seq_forward(e, s, z, NULL);
}

/* z ← (1 − β) z + β zs (log-probabilities up to a constant each, see score_v1). */
static void mix(uint32_t n, float *z, const float *zs, float beta)
{
	for (uint32_t c = 0; c < n; c++)
		z[c] = (1 - beta) * z[c] + beta * zs[c];
}

/* The USE half's logits of one text into zu[n_cls]: its USE vector (× USE_SCALE) through
 * the half's MLP. */
static void score_use(const struct nlu_enc *e, struct nlu_enc_scratch *s, const char *text,
		      size_t len, float *zu)
{
	nlu_use_embed(e->use, s->use, text, len, s->use_x);
	for (int i = 0; i < NLU_USE_DIM; i++)
		s->use_x[i] *= USE_SCALE;
	nlu_mlp_logits(&e->use_mlp, s->use_x, s->use_hidden, zu);
}

/* Ensemble logits of one text into z[n_cls] (before temperature): v1's, mixed with the
 * sequence half's at weight β when there is one, then with the USE half's at γ.  Returns the sparse nnz, or the
 * sequence tokens when there are no sparse features (< 0: invalid text). */
static int score(const struct nlu_enc *e, struct nlu_enc_scratch *s, const char *text,
		 size_t len, float *z)
{
	int nnz = score_v1(e, s, text, len, z);
	if (s->seq && e->beta > 0) {
		int T = score_seq(e, s, s->seq_logits);
		mix(e->n_cls, z, s->seq_logits, e->beta);
		nnz = nnz > 0 ? nnz : T;
	}
	if (s->use && e->gamma > 0) {
		score_use(e, s, text, len, s->use_logits);
		mix(e->n_cls, z, s->use_logits, e->gamma);
	}
	return nnz;
}

int nlu_enc_sentence(const struct nlu_enc *e, struct nlu_enc_scratch *s, const char *text,
		     size_t len, float *z)
{
	if (!s->seq)
		return 0;
	if (e->spell) {        /* the tokens as the spelling pass leaves them, as predicted */
		const uint64_t *keys;
		if (nlu_feat_keys(&e->feat.cfg, s->fx, text, len, &keys) < 0 ||
		    score_seq_z(e, s, z) <= 0)
			return 0;
	} else if (nlu_seq_forward(&e->seq, s->seq, text, len, z, NULL) <= 0) {
		return 0;
	}
	return (int)e->seq.dim;
}

/* What the USE encoder holds for the examples of the training set (teacher.c): its
 * vectors and neighbour copies (neighbours.c) of each text, and each example's row there. */
struct teach {
	const struct nlu_teacher *t;
	const uint32_t *row;   /* example i of the dataset → its text's row of t */
};

/* With the USE vectors, do they teach the cheap halves (distill.c) rather than feed a
 * half of their own? */
static int distilling(const struct nlu_enc_opts *o)
{
	return o->distill_dense > 0 || o->distill_seq > 0 || o->distill_linear;
}

/* Trains feat (idf) + lin + mlp on the examples idx[0..n) of d (labels mapped through
 * map), and the sequence half unless train_seq is 0: from scratch (< 0, or a half without
 * weights yet), or train_seq passes from the weights it already has; and the USE half's
 * MLP when tc (the USE vectors of d's examples, × USE_SCALE) is not NULL. */
static int fit(struct nlu_enc *e, const struct nlu_dataset *d, const uint32_t *idx, size_t n0,
	       const int *map, const struct nlu_enc_opts *o, struct nlu_fx *fx, int train_seq,
	       const struct teach *tc)
{
	const struct nlu_teacher *T = tc ? tc->t : NULL;
	const int copies = T ? T->copies : 0;
	/* the n0 examples, then o->augment noisy copies of each (augment.c) */
	size_t n = n0 * (size_t)(1 + (o->augment > 0 ? o->augment : 0));
	char **texts = calloc(n ? n : 1, sizeof *texts);
	size_t n_xs = n + n0 * (size_t)copies;
	struct nlu_sparse *xs = calloc(n_xs ? n_xs : 1, sizeof *xs), sp = { 0 };
	int *y = malloc(sizeof *y * (n ? n : 1)), rc = -1;
	uint64_t aug_seed = 0x5851f42d4c957f2dull;
	int teach = T && distilling(o);
	float *ux = T ? malloc(sizeof *ux * NLU_USE_DIM * (n ? n : 1)) : NULL;
	/* the dense and sequence halves also learn from the copies the teacher labels */
	size_t m = teach ? n0 * (size_t)copies : 0, na = n + m;
	float *q = teach ? malloc(sizeof *q * e->n_cls * (na ? na : 1)) : NULL;
	float *cx = m ? malloc(sizeof *cx * NLU_USE_DIM * m) : NULL;
	uint32_t *owner = m ? malloc(sizeof *owner * m) : NULL;
	char **at = m ? malloc(sizeof *at * na) : NULL;
	int *ya = m ? malloc(sizeof *ya * na) : NULL;
	char **lt = malloc(sizeof *lt * (na ? na : 1));
	int *ly = malloc(sizeof *ly * (na ? na : 1));
	struct nlu_mlp_opts mo = o->mlp;
	struct nlu_seq_opts so = o->seq;

	if (!texts || !xs || !y || nlu_sparse_alloc(&sp, NLU_FEAT_MAX) || (T && !ux) ||
	    (teach && !q) || (m && (!cx || !owner || !at || !ya)) || !lt || !ly)
		goto out;
	for (size_t i = 0; i < n0; i++) {
		texts[i] = d->texts[idx[i]];
		y[i] = map[d->labels[idx[i]]];
	}
	for (size_t i = n0; i < n; i++) {
		if (!(texts[i] = nlu_augment(texts[i % n0], &aug_seed)))
			goto out;
		y[i] = y[i % n0];
	}
	for (size_t i = 0; T && i < n; i++)  /* an augmented copy has its original's vector */
		memcpy(ux + i * NLU_USE_DIM, T->x + (size_t)tc->row[idx[i % n0]] * NLU_USE_DIM,
		       sizeof *ux * NLU_USE_DIM);
	if (teach) {           /* the USE half teaches the cheap ones instead of answering */
		for (size_t j = 0; j < m; j++) {
			size_t i = j / (size_t)copies,
			       src = (size_t)tc->row[idx[i]] * (size_t)copies + j % (size_t)copies;
			owner[j] = (uint32_t)i;
			memcpy(cx + j * NLU_USE_DIM, T->copy_x + src * NLU_USE_DIM,
			       sizeof *cx * NLU_USE_DIM);
			at[n + j] = T->copy[src];
			ya[n + j] = y[i];
		}
		if (nlu_distill_targets(ux, NLU_USE_DIM, y, n0, e->n_cls, &o->mlp, o->distill_folds,
					o->distill_t, q, cx, owner, m, q + n * e->n_cls))
			goto out;
		for (size_t i = n0; i < n; i++)
			memcpy(q + i * e->n_cls, q + (i % n0) * e->n_cls, sizeof *q * e->n_cls);
		for (size_t i = 0; m && i < n; i++) {
			at[i] = texts[i];
			ya[i] = y[i];
		}
		if (o->distill_dense > 0) {
			mo.soft = q;
			mo.soft_w = o->distill_dense;
		}
		if (o->distill_seq > 0) {
			so.soft = q;
			so.soft_w = o->distill_seq;
		}
	}
	nlu_feat_free(&e->feat);
	nlu_zhseg_destroy(e->zh);
	e->zh = NULL;
	e->feat.cfg.zh = NULL;
	if (o->zh_dict) {      /* Chinese words: the dictionary's that the examples hold */
		char msg[300];
		e->zh = nlu_zhseg_build(o->zh_dict, texts, n0, msg, sizeof msg);
		if (e->zh && nlu_zhseg_size(e->zh) == 0) {
			nlu_zhseg_destroy(e->zh);
			e->zh = NULL;
		}
		e->feat.cfg.zh = e->zh;
	}
	nlu_spell_destroy(e->spell);
	e->spell = NULL;
	e->feat.cfg.spell = NULL;
	if (o->spell && !(e->spell = nlu_spell_build(texts, n0)))
		goto out;
	if (e->spell)
		nlu_spell_set_glove(e->spell, o->glove);
	e->feat.cfg.spell = e->spell;
	if (nlu_feat_fit_idf(&e->feat, fx, texts, n0))   /* idf of the real examples */
		goto out;
	/* the linear half's examples: the n, then (distill_linear) the copies the teacher
	 * gives their original's answer (1) or each with the teacher's answer (2) */
	size_t nl = n;
	for (size_t j = 0; o->distill_linear && j < m; j++) {
		const float *qj = q + (n + j) * e->n_cls;
		int best = 0;
		for (uint32_t c = 1; c < e->n_cls; c++)
			best = qj[c] > qj[best] ? (int)c : best;
		if (o->distill_linear == 2 || best == ya[n + j]) {
			lt[nl] = at[n + j];
			ly[nl++] = o->distill_linear == 2 ? best : ya[n + j];
		}
	}
	for (size_t i = 0; i < n; i++) {
		lt[i] = texts[i];
		ly[i] = y[i];
	}
	for (size_t i = 0; i < nl; i++) {
		int k = nlu_feat_vector(&e->feat, fx, lt[i], strlen(lt[i]), &sp);
		if (k < 0)
			k = 0;
		if (nlu_sparse_alloc(&xs[i], (uint32_t)k + 1))
			goto out;
		memcpy(xs[i].idx, sp.idx, sizeof *sp.idx * (size_t)k);
		memcpy(xs[i].val, sp.val, sizeof *sp.val * (size_t)k);
		xs[i].nnz = (uint32_t)k;
	}
	nlu_linear_free(&e->lin);
	rc = nlu_linear_train(&e->lin, e->feat.dim, e->n_cls, xs, ly, nl, &o->lin);
	char **dt = m ? at : texts;   /* the dense and sequence halves' examples */
	const int *dy = m ? ya : y;
	if (!rc && e->glove) {
		float *dense = malloc(sizeof *dense * NLU_GLOVE_DIM * (na ? na : 1));
		if (!dense) {
			rc = -1;
			goto out;
		}
		for (size_t i = 0; i < na; i++) {
			const uint64_t *keys;
			nlu_feat_keys(&e->feat.cfg, fx, dt[i], strlen(dt[i]), &keys);
			nlu_fx_dense(fx, e->glove, dense + i * NLU_GLOVE_DIM);
		}
		nlu_mlp_free(&e->mlp);
		rc = nlu_mlp_train(&e->mlp, NLU_GLOVE_DIM, e->n_cls, dense, dy, na, &mo);
		free(dense);
	}
	if (!rc && o->seq.bits > 0 && train_seq != 0) {
		if (train_seq < 0)     /* from scratch, as before seq_refit */
			nlu_seq_free(&e->seq);
		else if (e->seq.params)   /* the refit: train_seq more passes from its weights */
			so.epochs = train_seq;
		rc = nlu_seq_train(&e->seq, o->glove, dt, dy, na, e->n_cls, &so);
	}
	if (!rc && T && !teach) {
		nlu_mlp_free(&e->use_mlp);
		rc = nlu_mlp_train(&e->use_mlp, NLU_USE_DIM, e->n_cls, ux, y, n, &o->mlp);
	}
out:
	free(ux);
	free(q);
	free(cx);
	free(owner);
	free(at);
	free(ya);
	free(lt);
	free(ly);
	if (xs)
		for (size_t i = 0; i < n_xs; i++)
			nlu_sparse_free(&xs[i]);
	free(xs);
	nlu_sparse_free(&sp);
	if (texts)
		for (size_t i = n0; i < n; i++)
			free(texts[i]);
	free(texts);
	free(y);
	return rc;
}

static void decide(const struct nlu_enc *e, const float *probs, struct nlu_enc_pred *p)
{
	int a = 0, b = e->n_cls > 1 ? 1 : 0;
	if (e->n_cls > 1 && probs[b] > probs[a]) {
		a = 1;
		b = 0;
	}
	for (uint32_t c = 2; c < e->n_cls; c++) {
		if (probs[c] > probs[a]) {
			b = a;
			a = (int)c;
		} else if (probs[c] > probs[b]) {
			b = (int)c;
		}
	}
	p->cls = a;
	p->second_cls = b;
	p->conf = probs[a];
	p->second = e->n_cls > 1 ? probs[b] : 0;
	p->refuse = a == e->oos_class || p->conf < e->threshold ||
		    p->conf - p->second < e->margin;
}

int nlu_enc_predict(const struct nlu_enc *e, struct nlu_enc_scratch *s, const char *text,
		    size_t len, struct nlu_enc_pred *p, const float **probs)
{
	int nnz = score(e, s, text, len, s->probs);
	cm_softmax(e->n_cls, s->probs, e->temperature);
	decide(e, s->probs, p);
	if (probs)
		*probs = s->probs;
	if (nnz <= 0) {
		p->refuse = 1;
		return -1;
	}
	return 0;
}

struct nlu_enc_scratch *nlu_enc_scratch_create(const struct nlu_enc *e)
{
	struct nlu_enc_scratch *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fx = nlu_fx_create();
	s->probs = malloc(sizeof *s->probs * (e->n_cls ? e->n_cls : 1));
	s->dense_logits = malloc(sizeof *s->dense_logits * (e->n_cls ? e->n_cls : 1));
	s->hidden = malloc(sizeof *s->hidden * (e->mlp.d_h ? e->mlp.d_h : 1));
	if (e->seq.bits) {
		s->seq = nlu_seq_scratch_create(&e->seq);
		s->seq_logits = malloc(sizeof *s->seq_logits * (e->n_cls ? e->n_cls : 1));
		s->seq_z = malloc(sizeof *s->seq_z * e->seq.dim);
		if (!s->seq || !s->seq_logits || !s->seq_z) {
			nlu_enc_scratch_destroy(s);
			return NULL;
		}
	}
	if (e->use && e->use_mlp.d_in == NLU_USE_DIM) {
		s->use = nlu_use_scratch_create(e->use);
		s->use_logits = malloc(sizeof *s->use_logits * (e->n_cls ? e->n_cls : 1));
		s->use_hidden = malloc(sizeof *s->use_hidden * (e->use_mlp.d_h ? e->use_mlp.d_h : 1));
		if (!s->use || !s->use_logits || !s->use_hidden) {
			nlu_enc_scratch_destroy(s);
			return NULL;
		}
	}
	if (!s->fx || !s->probs || !s->dense_logits || !s->hidden ||
	    nlu_sparse_alloc(&s->sp, NLU_FEAT_MAX)) {
		nlu_enc_scratch_destroy(s);
		return NULL;
	}
	return s;
}

void nlu_enc_scratch_destroy(struct nlu_enc_scratch *s)
{
	if (!s)
		return;
	nlu_fx_destroy(s->fx);
	nlu_sparse_free(&s->sp);
	free(s->probs);
	free(s->dense_logits);
	free(s->hidden);
	nlu_seq_scratch_destroy(s->seq);
	free(s->seq_logits);
	free(s->seq_z);
	nlu_use_scratch_destroy(s->use);
	free(s->use_logits);
	free(s->use_hidden);
	free(s);
}

void nlu_enc_destroy(struct nlu_enc *e)
{
	if (!e)
		return;
	nlu_feat_free(&e->feat);
	nlu_linear_free(&e->lin);
	nlu_mlp_free(&e->mlp);
	nlu_zhseg_destroy(e->zh);
	nlu_spell_destroy(e->spell);
	nlu_seq_free(&e->seq);
	nlu_mlp_free(&e->use_mlp);
	if (e->labels)
		for (uint32_t c = 0; c < e->n_cls; c++)
			free(e->labels[c]);
	free(e->labels);
	free(e);
}

#define OOS_UNLEARNT (-2)   /* map[] value: an out-of-scope example the model has no class for */

/* Held-out rows to calibrate on: each row's ensemble logits (v1's and, while β or γ is
 * chosen, the sequence and USE halves' apart) and its class, in-scope rows from the
 * front, unlearnt out-of-scope ones from the back (so the temperature is fitted on the
 * rows that have a class); cap rows in all.  Filled by cal_score, one fitted model at a
 * time: a calibration split once, or each fold of an inner cross-validation. */
struct cal_rows {
	float *logits, *v1, *sq, *ul;
	int *y;
	size_t cap, m_in, m_out;
	int tune_b, tune_g;
};

static void cal_free(struct cal_rows *r)
{
	free(r->logits);
	free(r->v1);
	free(r->sq);
	free(r->ul);
	free(r->y);
}

/* 0 ok, -1 out of memory (r freed). */
static int cal_alloc(struct cal_rows *r, size_t cap, uint32_t n_cls, int tune_b, int tune_g)
{
	size_t k = (cap ? cap : 1) * n_cls;
	memset(r, 0, sizeof *r);
	r->cap = cap;
	r->tune_b = tune_b;
	r->tune_g = tune_g;
	r->logits = malloc(sizeof *r->logits * k);
	r->y = malloc(sizeof *r->y * (cap ? cap : 1));
	if (tune_b) {
		r->v1 = malloc(sizeof *r->v1 * k);
		r->sq = malloc(sizeof *r->sq * k);
	}
	if (tune_g)
		r->ul = malloc(sizeof *r->ul * k);
	if (!r->logits || !r->y || (tune_b && (!r->v1 || !r->sq)) || (tune_g && !r->ul)) {
		cal_free(r);
		return -1;
	}
	return 0;
}

/* Scores examples idx[0..n) of dv with e (as fitted now) into r's next rows.  0 ok, -1
 * out of memory. */
static int cal_score(struct nlu_enc *e, struct cal_rows *r, const struct nlu_dataset *dv,
		     const uint32_t *idx, size_t n, const int *map)
{
	struct nlu_enc_scratch *s = nlu_enc_scratch_create(e);
	if (!s)
		return -1;
	if (r->tune_b)
		e->beta = 0;   /* score() gives v1's logits alone while β is chosen */
	if (r->tune_g)
		e->gamma = 0;  /* and leaves the USE half out while γ is */
	for (size_t i = 0; i < n; i++) {
		int lab = map[dv->labels[idx[i]]];
		if (lab < 0 && lab != OOS_UNLEARNT)
			continue;              /* a label the model has never seen */
		size_t row = lab == OOS_UNLEARNT ? r->cap - 1 - r->m_out++ : r->m_in++;
		const char *t = dv->texts[idx[i]];
		float *z = r->logits + row * e->n_cls;
		score(e, s, t, strlen(t), z);
		if (r->tune_b) {
			memcpy(r->v1 + row * e->n_cls, z, sizeof *z * e->n_cls);
			score_seq(e, s, r->sq + row * e->n_cls);
		}
		if (r->tune_g)
			score_use(e, s, t, strlen(t), r->ul + row * e->n_cls);
		r->y[row] = lab == OOS_UNLEARNT ? (int)e->n_cls : lab;
	}
	nlu_enc_scratch_destroy(s);
	return 0;
}

/* logits ← (1 − w) base + w other on r's filled rows. */
static void mix_rows(const struct nlu_enc *e, const struct cal_rows *r, const float *base,
		     const float *other, float w)
{
	for (size_t i = 0; i < r->cap; i++) {
		if (i >= r->m_in && i < r->cap - r->m_out)
			continue;
		memcpy(r->logits + i * e->n_cls, base + i * e->n_cls, sizeof *base * e->n_cls);
		mix(e->n_cls, r->logits + i * e->n_cls, other + i * e->n_cls, w);
	}
}

/* The weight w in 0, 0.1, .., 1 of other against base whose mix is best on the in-scope
 * rows: the most right answers (ties: the lowest NLL at its own temperature) with by_acc,
 * else the lowest NLL; leaves r->logits holding that mix. */
static float tune_weight(const struct nlu_enc *e, struct cal_rows *r, const float *base,
			 const float *other, int by_acc)
{
	double best = INFINITY;
	size_t best_ok = 0;
	float bw = 0;
	for (int k = 0; k <= 10; k++) {
		float w = (float)k / 10;
		mix_rows(e, r, base, other, w);
		float t = nlu_calib_temperature(r->logits, r->y, r->m_in, (int)e->n_cls);
		double l = nlu_calib_nll(r->logits, r->y, r->m_in, (int)e->n_cls, t);
		size_t ok = 0;
		for (size_t i = 0; by_acc && i < r->m_in; i++) {
			const float *z = r->logits + i * e->n_cls;
			int a = 0;
			for (uint32_t c = 1; c < e->n_cls; c++)
				a = z[c] > z[a] ? (int)c : a;
			ok += a == r->y[i];
		}
		if (by_acc ? ok > best_ok || (ok == best_ok && l < best) : l < best) {
			best = l;
			best_ok = ok;
			bw = w;
		}
	}
	mix_rows(e, r, base, other, bw);
	return bw;
}

/* Sets e's β and γ (when chosen), temperature and OOS rule from the rows r holds. */
static int cal_decide(struct nlu_enc *e, struct cal_rows *r, const struct nlu_enc_opts *o)
{
	size_t n = r->cap, m;
	int oos = e->oos_class >= 0 ? e->oos_class : (int)e->n_cls;
	float *conf = malloc(sizeof *conf * (n ? n : 1)), *second = malloc(sizeof *second * (n ? n : 1));
	int *pred = malloc(sizeof *pred * (n ? n : 1)), rc = -1;
	float *ub = r->tune_g ? malloc(sizeof *ub * (n ? n : 1) * e->n_cls) : NULL;

	if (!conf || !second || !pred || (r->tune_g && !ub))
		goto out;
	if (r->tune_b)     /* β: the sequence half's weight */
		e->beta = tune_weight(e, r, r->v1, r->sq, o->weight_by_acc);
	if (r->tune_g) {  /* γ: the same, over the ensemble as β left it */
		memcpy(ub, r->logits, sizeof *ub * n * e->n_cls);
		e->gamma = tune_weight(e, r, ub, r->ul, o->weight_by_acc);
	}
	if (r->m_out) {                    /* close the gap between the two ends */
		memmove(r->logits + r->m_in * e->n_cls, r->logits + (n - r->m_out) * e->n_cls,
			sizeof *r->logits * r->m_out * e->n_cls);
		memmove(r->y + r->m_in, r->y + (n - r->m_out), sizeof *r->y * r->m_out);
	}
	m = r->m_in + r->m_out;
	e->temperature = nlu_calib_temperature(r->logits, r->y, r->m_in, (int)e->n_cls);
	float thr = e->threshold, mar = e->margin;
	e->threshold = 0;
	e->margin = 0;
	for (size_t i = 0; i < m; i++) {
		struct nlu_enc_pred p;
		float *z = r->logits + i * e->n_cls;
		cm_softmax(e->n_cls, z, e->temperature);
		decide(e, z, &p);
		conf[i] = p.conf;
		second[i] = p.second;
		pred[i] = p.cls;
	}
	int has_oos = 0;
	for (size_t i = 0; i < m; i++)
		has_oos |= r->y[i] == oos;
	if (has_oos) {
		nlu_calib_oos(conf, second, pred, r->y, m, oos, o->w_oos, &e->threshold, &e->margin);
		e->tuned = 1;
	} else {
		e->threshold = thr;
		e->margin = mar;
	}
	rc = 0;
out:
	free(conf);
	free(second);
	free(pred);
	free(ub);
	return rc;
}

/* Calibrates e (trained on the fit part) on examples idx[0..n) of dv. */
static int calibrate(struct nlu_enc *e, const struct nlu_dataset *dv, const uint32_t *idx,
		     size_t n, const int *map, const struct nlu_enc_opts *o)
{
	struct cal_rows r;
	if (cal_alloc(&r, n, e->n_cls, e->seq.bits && o->beta < 0,
		      e->use && e->use_mlp.d_in == NLU_USE_DIM && o->gamma < 0))
		return -1;
	int rc = cal_score(e, &r, dv, idx, n, map) || cal_decide(e, &r, o) ? -1 : 0;
	cal_free(&r);
	return rc;
}

/* Calibrates e on out-of-fold scores: the examples idx[0..n) (shuffled) in k folds, each
 * scored by e fitted on the others; e is left as the last fold's fit.  0 ok, -1 out of
 * memory. */
static int calibrate_cv(struct nlu_enc *e, const struct nlu_dataset *d, const uint32_t *idx,
			size_t n, int k, const int *map, const struct nlu_enc_opts *o,
			struct nlu_fx *fx, const struct teach *tc)
{
	struct cal_rows r;
	uint32_t *part = malloc(sizeof *part * (n ? n : 1));
	int rc = -1;
	int tune_b = o->seq.bits > 0 && o->beta < 0;
	int tune_g = o->use && !distilling(o) && o->gamma < 0;
	if (!part || cal_alloc(&r, n, e->n_cls, tune_b, tune_g)) {
		free(part);
		return -1;
	}
	for (int f = 0; f < k; f++) {
		size_t n_out = 0, n_in = 0;   /* fold f's examples at the back, the rest first */
		for (size_t i = 0; i < n; i++)
			if ((int)(i % (size_t)k) != f)
				part[n_in++] = idx[i];
		for (size_t i = 0; i < n; i++)
			if ((int)(i % (size_t)k) == f)
				part[n_in + n_out++] = idx[i];
		/* -1: each fold's sequence half from scratch (from the last fold's weights,
		 * it would have seen this fold's examples) */
		if (fit(e, d, part, n_in, map, o, fx, -1, tc) ||
		    cal_score(e, &r, d, part + n_in, n_out, map))
			goto out;
	}
	rc = cal_decide(e, &r, o);
out:
	cal_free(&r);
	free(part);
	return rc;
}

struct nlu_teacher *nlu_enc_teacher(const struct nlu_dataset *d, const struct nlu_enc_opts *o)
{
	return nlu_teacher_build(d, o, distilling(o) ? o->distill_copies : 0, USE_SCALE);
}

struct nlu_enc *nlu_enc_train(const struct nlu_dataset *d, const char *oos_label,
			      const struct nlu_dataset *val, const struct nlu_enc_opts *o,
			      char *err, size_t errlen)
{
	struct nlu_enc *e = calloc(1, sizeof *e);
	struct nlu_fx *fx = nlu_fx_create();
	uint32_t *idx = malloc(sizeof *idx * (d->n ? d->n : 1));
	int *map = malloc(sizeof *map * (d->n_labels ? d->n_labels : 1)), *vmap = NULL;
	struct nlu_teacher *own = NULL;   /* the vectors, when o->teacher has none for us */
	uint32_t *rows = NULL;
	struct teach tc = { 0 };
	uint64_t seed = o->lin.seed ? o->lin.seed * 0x9e3779b97f4a7c15ull : 7;

	if (!e || !fx || !idx || !map) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (d->n < 2 || d->n_labels < 2) {
		snprintf(err, errlen, "training needs at least two labels with examples");
		goto fail;
	}
	if (o->feat.bits < 10 || o->feat.bits > 24) {
		snprintf(err, errlen, "feature bits must be within 10..24");
		goto fail;
	}
	e->feat.cfg = o->feat;
	e->feat.dim = 1u << o->feat.bits;
	e->n_cls = (uint32_t)d->n_labels;
	e->labels = calloc(e->n_cls, sizeof *e->labels);
	e->oos_class = oos_label ? nlu_dataset_label(d, oos_label) : -1;
	e->temperature = 1.0f;
	e->glove = o->glove;
	e->alpha = o->glove ? o->alpha : 0;
	e->beta = o->seq.bits <= 0 ? 0 : o->beta < 0 ? 0.5f : o->beta;
	e->use = distilling(o) ? NULL : o->use;  /* a teacher only: no USE half */
	e->gamma = !e->use ? 0 : o->gamma < 0 ? 0.5f : o->gamma;
	if (!e->labels) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (o->use) {          /* each example's USE vector (and copies), once for every fit */
		tc.t = o->teacher;
		if (!tc.t)
			tc.t = own = nlu_enc_teacher(d, o);
		if (!tc.t || !(rows = malloc(sizeof *rows * d->n))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < d->n; i++) {
			long r = nlu_teacher_find(tc.t, d->texts[i]);
			if (r < 0) {
				snprintf(err, errlen, "the sentence encoder's vectors lack a text");
				goto fail;
			}
			rows[i] = (uint32_t)r;
		}
		tc.row = rows;
	}
	for (uint32_t c = 0; c < e->n_cls; c++) {
		map[c] = (int)c;
		if (!(e->labels[c] = strdup(d->names[c]))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	for (size_t i = 0; i < d->n; i++)
		idx[i] = (uint32_t)i;

	if (val) {
		/* calibrate on the given validation set: map its labels onto ours */
		uint32_t *vidx = malloc(sizeof *vidx * (val->n ? val->n : 1));
		vmap = malloc(sizeof *vmap * (val->n_labels ? val->n_labels : 1));
		if (!vidx || !vmap) {
			free(vidx);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (size_t c = 0; c < val->n_labels; c++) {
			vmap[c] = nlu_dataset_label(d, val->names[c]);
			if (vmap[c] < 0 && oos_label && !strcmp(val->names[c], oos_label))
				vmap[c] = OOS_UNLEARNT;
		}
		for (size_t i = 0; i < val->n; i++)
			vidx[i] = (uint32_t)i;
		int rc = fit(e, d, idx, d->n, map, o, fx, o->seq.epochs, tc.t ? &tc : NULL);
		if (!rc)
			rc = calibrate(e, val, vidx, val->n, vmap, o);
		free(vidx);
		if (rc) {
			snprintf(err, errlen, "out of memory while training");
			goto fail;
		}
	} else {
		size_t n_val = (size_t)((double)d->n * o->val_frac);
		int refit_seq = o->seq.epochs;   /* no calibration split: one fit of every half */
		if (n_val >= 20 && d->n - n_val >= 2) {
			for (size_t i = d->n; i > 1; i--) {   /* shuffle, then carve the head */
				size_t k = cm_xorshift64(&seed) % i;
				uint32_t t = idx[i - 1];
				idx[i - 1] = idx[k];
				idx[k] = t;
			}
			if (o->cal_folds >= 2 ?
			    calibrate_cv(e, d, idx, d->n, o->cal_folds, map, o, fx, tc.t ? &tc : NULL) :
			    fit(e, d, idx + n_val, d->n - n_val, map, o, fx, o->seq.epochs, tc.t ? &tc : NULL) ||
			    calibrate(e, d, idx, n_val, map, o)) {
				snprintf(err, errlen, "out of memory while training");
				goto fail;
			}
			for (size_t i = 0; i < d->n; i++)
				idx[i] = (uint32_t)i;
			refit_seq = o->seq_refit;
		}
		if (fit(e, d, idx, d->n, map, o, fx, refit_seq, tc.t ? &tc : NULL)) {
			snprintf(err, errlen, "out of memory while training");
			goto fail;
		}
	}
	nlu_fx_destroy(fx);
	free(idx);
	free(map);
	free(vmap);
	free(rows);
	nlu_teacher_destroy(own);
	return e;
fail:
	nlu_enc_destroy(e);
	nlu_fx_destroy(fx);
	free(idx);
	free(map);
	free(vmap);
	free(rows);
	nlu_teacher_destroy(own);
	return NULL;
}

/* An MLP's tensors PREFIX.w1, .b1, .w2, .b2 (F32). */
static void add_mlp(struct nlu_mf_writer *w, const char *prefix, const struct nlu_mlp *m)
{
	char n[32];
	uint32_t d1[2] = { m->d_h, m->d_in }, d2[2] = { m->n_cls, m->d_h };
	snprintf(n, sizeof n, "%s.w1", prefix);
	nlu_mf_add(w, n, NLU_F32, 2, d1, m->w1);
	snprintf(n, sizeof n, "%s.b1", prefix);
	nlu_mf_add(w, n, NLU_F32, 1, &m->d_h, m->b1);
	snprintf(n, sizeof n, "%s.w2", prefix);
	nlu_mf_add(w, n, NLU_F32, 2, d2, m->w2);
	snprintf(n, sizeof n, "%s.b2", prefix);
	nlu_mf_add(w, n, NLU_F32, 1, &m->n_cls, m->b2);
}

int nlu_enc_save(const struct nlu_enc *e, void **blob, size_t *len)
{
	struct nlu_mf_writer w;
	size_t nw = (size_t)e->feat.dim * e->n_cls, lab_len = 0;
	uint16_t *h = malloc(sizeof *h * (nw > e->feat.dim ? nw : e->feat.dim));
	char *labs;
	int rc = -1;

	for (uint32_t c = 0; c < e->n_cls; c++)
		lab_len += strlen(e->labels[c]) + 1;
	labs = malloc(lab_len ? lab_len : 1);
	nlu_mf_writer_init(&w);
	if (!h || !labs)
		goto out;
	int dense = e->mlp.d_in == NLU_GLOVE_DIM;
	int32_t cfg[9] = { e->feat.cfg.bits, e->feat.cfg.char_min, e->feat.cfg.char_max,
			   e->feat.cfg.word_bigrams, (int32_t)e->n_cls, e->oos_class, e->tuned,
			   dense ? (int32_t)e->mlp.d_h : 0, e->feat.cfg.cjk_max };
	float cal[5] = { e->temperature, e->threshold, e->margin, dense ? e->alpha : 0,
			 e->seq.bits ? e->beta : 0 };
	uint32_t d8 = 9, d4 = 5, dl = (uint32_t)lab_len, dims[2] = { e->feat.dim, e->n_cls };
	nlu_mf_add(&w, "config", NLU_I32, 1, &d8, cfg);
	nlu_mf_add(&w, "calibration", NLU_F32, 1, &d4, cal);
	size_t o = 0;
	for (uint32_t c = 0; c < e->n_cls; c++) {
		size_t l = strlen(e->labels[c]) + 1;
		memcpy(labs + o, e->labels[c], l);
		o += l;
	}
	nlu_mf_add(&w, "labels", NLU_U8, 1, &dl, labs);
	uint32_t dh = sizeof e->data_hash;
	nlu_mf_add(&w, "data_hash", NLU_U8, 1, &dh, e->data_hash);
	for (uint32_t i = 0; i < e->feat.dim; i++)
		h[i] = cm_f16_from_f32(e->feat.idf[i]);
	nlu_mf_add(&w, "idf", NLU_F16, 1, &e->feat.dim, h);
	for (size_t i = 0; i < nw && e->lin.w; i++)
		h[i] = cm_f16_from_f32(e->lin.w[i]);
	nlu_mf_add(&w, "linear.w", NLU_F16, 2, dims, e->lin.w ? h : e->lin.wh);
	nlu_mf_add(&w, "linear.b", NLU_F32, 1, &e->n_cls, e->lin.b);
	uint64_t *zh_hash = NULL;
	float *zh_logp = NULL;
	if (e->zh) {
		uint32_t nz = nlu_zhseg_size(e->zh), k = 0, d8z = 8 * nz, d1z = 1;
		zh_hash = malloc(sizeof *zh_hash * (nz ? nz : 1));
		zh_logp = malloc(sizeof *zh_logp * (nz ? nz : 1));
		if (!zh_hash || !zh_logp) {
			free(zh_hash);
			free(zh_logp);
			goto out;
		}
		for (uint32_t i = 0; i < nlu_zhseg_slots(e->zh); i++)
			k += nlu_zhseg_entry(e->zh, i, &zh_hash[k], &zh_logp[k]);
		float floor = nlu_zhseg_floor(e->zh);
		nlu_mf_add(&w, "zh.hash", NLU_U8, 1, &d8z, zh_hash);
		nlu_mf_add(&w, "zh.logp", NLU_F32, 1, &nz, zh_logp);
		nlu_mf_add(&w, "zh.floor", NLU_F32, 1, &d1z, &floor);
	}
	if (dense)
		add_mlp(&w, "mlp", &e->mlp);
	if (e->spell) {        /* the training vocabulary of the spelling pass */
		uint32_t n_ids, n_words;
		size_t words_len;
		const uint64_t *ids = nlu_spell_ids(e->spell, &n_ids);
		const char *words = nlu_spell_words(e->spell, &words_len);
		const int32_t *counts = nlu_spell_counts(e->spell, &n_words);
		uint32_t d_ids = 8 * n_ids, d_words = (uint32_t)words_len;
		nlu_mf_add(&w, "spell.ids", NLU_U8, 1, &d_ids, ids);
		nlu_mf_add(&w, "spell.words", NLU_U8, 1, &d_words, words);
		nlu_mf_add(&w, "spell.counts", NLU_I32, 1, &n_words, counts);
	}
	nlu_seq_save(&e->seq, &w);
	if (e->use_mlp.d_in == NLU_USE_DIM) {   /* the USE half (format 4) */
		uint32_t one = 1;
		add_mlp(&w, "use", &e->use_mlp);
		nlu_mf_add(&w, "use.gamma", NLU_F32, 1, &one, &e->gamma);
	}
	rc = nlu_mf_finish(&w, "NLU ", NLU_ENC_VERSION, blob, len);
	free(zh_hash);
	free(zh_logp);
out:
	nlu_mf_writer_free(&w);
	free(h);
	free(labs);
	return rc;
}

/* Copies tensor name of exactly count floats into a new array; NULL + message if not. */
static float *take_f32(const struct nlu_mf *mf, const char *name, size_t count, char *err,
		       size_t errlen)
{
	struct nlu_mf_tensor t;
	const float *p = nlu_mf_get(mf, name, NLU_F32, &t, err, errlen);
	if (!p)
		return NULL;
	if (t.nbytes != count * sizeof(float)) {
		snprintf(err, errlen, "model file tensor '%s' has the wrong size", name);
		return NULL;
	}
	float *c = malloc(t.nbytes ? t.nbytes : 1);
	if (!c) {
		snprintf(err, errlen, "out of memory loading the model");
		return NULL;
	}
	memcpy(c, p, t.nbytes);
	return c;
}

/* Reads the MLP PREFIX.w1, .b1, .w2, .b2 (as add_mlp wrote it) into m (its arrays
 * copied; the caller frees them with the encoder).  0 ok, -1 with a message. */
static int take_mlp(const struct nlu_mf *mf, const char *prefix, uint32_t d_in, uint32_t h,
		    uint32_t n_cls, struct nlu_mlp *m, char *err, size_t errlen)
{
	char n[4][32];
	static const char *const part[4] = { "w1", "b1", "w2", "b2" };
	for (int i = 0; i < 4; i++)
		snprintf(n[i], sizeof n[i], "%s.%s", prefix, part[i]);
	m->d_in = d_in;
	m->d_h = h;
	m->n_cls = n_cls;
	return !(m->w1 = take_f32(mf, n[0], (size_t)h * d_in, err, errlen)) ||
	       !(m->b1 = take_f32(mf, n[1], h, err, errlen)) ||
	       !(m->w2 = take_f32(mf, n[2], (size_t)n_cls * h, err, errlen)) ||
	       !(m->b2 = take_f32(mf, n[3], n_cls, err, errlen)) ? -1 : 0;
}

struct nlu_enc *nlu_enc_load(const void *blob, size_t len, const struct nlu_glove *glove,
			     char *err, size_t errlen)
{
	struct nlu_mf mf;
	struct nlu_mf_tensor t;
	struct nlu_enc *e = NULL;
	const int32_t *cfg;
	const float *cal, *b;
	const uint16_t *idf, *w;
	const char *labs;

	/* formats 1 and 2 still load: format 1 (before CJK run n-grams and the sequence
	 * half) has format 2's features with cjk_max 0 and no "seq.*" tensors; neither has
	 * the spelling pass ("spell.*", format 3) */
	if (nlu_mf_open(&mf, blob, len, "NLU ", NLU_ENC_VERSION, 1, err, errlen)) {
		uint32_t v = len >= 12 ? ((const unsigned char *)blob)[8] : 0;
		if (v < 1 || v >= NLU_ENC_VERSION || ((const unsigned char *)blob)[9] ||
		    nlu_mf_open(&mf, blob, len, "NLU ", v, 1, err, errlen))
			return NULL;
	}
	if (!(cfg = nlu_mf_get(&mf, "config", NLU_I32, &t, err, errlen)) || t.dims[0] < 8)
		goto bad;
	int cjk_max = mf.version >= 2 && t.dims[0] >= 9 ? cfg[8] : 0;
	if (!(cal = nlu_mf_get(&mf, "calibration", NLU_F32, &t, err, errlen)) || t.dims[0] < 3)
		goto bad;
	if (cfg[0] < 10 || cfg[0] > 24 || cfg[1] < 0 || cfg[2] > 8 || cfg[4] < 2 ||
	    cfg[5] < -1 || cfg[5] >= cfg[4] || !(cal[0] > 0) || cjk_max < 0 || cjk_max > 8) {
		snprintf(err, errlen, "model file has an invalid configuration");
		return NULL;
	}
	e = calloc(1, sizeof *e);
	if (!e)
		goto oom;
	e->feat.cfg = (struct nlu_feat_cfg){ cfg[0], cfg[1], cfg[2], cfg[3], cjk_max, NULL, NULL };
	e->feat.dim = 1u << cfg[0];
	e->n_cls = (uint32_t)cfg[4];
	e->oos_class = cfg[5];
	e->tuned = cfg[6];
	e->temperature = cal[0];
	e->threshold = cal[1];
	e->margin = cal[2];
	const char *hash = nlu_mf_get(&mf, "data_hash", NLU_U8, &t, err, errlen);
	if (hash && t.dims[0] == sizeof e->data_hash && memchr(hash, 0, t.dims[0]))
		memcpy(e->data_hash, hash, sizeof e->data_hash);
	if (!(labs = nlu_mf_get(&mf, "labels", NLU_U8, &t, err, errlen)))
		goto bad;
	size_t lab_len = t.dims[0], o = 0;
	if (e->n_cls > lab_len) {     /* each label takes at least its NUL: no huge calloc */
		snprintf(err, errlen, "model file labels are corrupt");
		goto fail;
	}
	if (!(e->labels = calloc(e->n_cls, sizeof *e->labels)))
		goto oom;
	for (uint32_t c = 0; c < e->n_cls; c++) {
		const char *z = o < lab_len ? memchr(labs + o, 0, lab_len - o) : NULL;
		if (!z) {
			snprintf(err, errlen, "model file labels are corrupt");
			goto fail;
		}
		if (!(e->labels[c] = strdup(labs + o)))
			goto oom;
		o = (size_t)(z - labs) + 1;
	}
	if (!(idf = nlu_mf_get(&mf, "idf", NLU_F16, &t, err, errlen)))
		goto bad;
	if (t.dims[0] != e->feat.dim) {
		snprintf(err, errlen, "model file idf has the wrong size");
		goto fail;
	}
	if (!(w = nlu_mf_get(&mf, "linear.w", NLU_F16, &t, err, errlen)))
		goto bad;
	if (t.rank != 2 || t.dims[0] != e->feat.dim || t.dims[1] != e->n_cls) {
		snprintf(err, errlen, "model file weights have the wrong shape");
		goto fail;
	}
	if (!(b = nlu_mf_get(&mf, "linear.b", NLU_F32, &t, err, errlen)))
		goto bad;
	if (t.dims[0] != e->n_cls) {
		snprintf(err, errlen, "model file bias has the wrong size");
		goto fail;
	}
	size_t nw = (size_t)e->feat.dim * e->n_cls;
	e->feat.idf = malloc(sizeof *e->feat.idf * e->feat.dim);
	e->feat.own_idf = 1;
	/* the weights stay in half precision (they are halves in the file: widening them
	 * doubled the bytes a prediction reads, for the same sums) */
	e->lin = (struct nlu_linear){ e->feat.dim, e->n_cls, NULL, malloc(sizeof(uint16_t) * nw),
				      malloc(sizeof(float) * e->n_cls), 1 };
	if (!e->feat.idf || !e->lin.wh || !e->lin.b)
		goto oom;
	for (uint32_t i = 0; i < e->feat.dim; i++)
		e->feat.idf[i] = cm_f32_from_f16(idf[i]);
	memcpy(e->lin.wh, w, sizeof(uint16_t) * nw);
	memcpy(e->lin.b, b, sizeof(float) * e->n_cls);
	const uint8_t *zh_hash = nlu_mf_get(&mf, "zh.hash", NLU_U8, &t, err, errlen);
	if (zh_hash) {         /* Chinese words (format 2, trained with a dictionary) */
		uint32_t hash_bytes = t.dims[0], nz = hash_bytes / 8;
		const float *zh_logp = nlu_mf_get(&mf, "zh.logp", NLU_F32, &t, err, errlen);
		if (!zh_logp || hash_bytes != 8 * nz || t.dims[0] != nz) {
			snprintf(err, errlen, "model file Chinese lexicon is corrupt");
			goto fail;
		}
		const float *floor = nlu_mf_get(&mf, "zh.floor", NLU_F32, &t, err, errlen);
		uint64_t *hs = malloc(sizeof *hs * (nz ? nz : 1));
		if (!floor || !hs) {
			free(hs);
			if (floor)
				goto oom;
			snprintf(err, errlen, "model file Chinese lexicon is corrupt");
			goto fail;
		}
		memcpy(hs, zh_hash, sizeof *hs * nz);
		e->zh = nlu_zhseg_from(hs, zh_logp, nz, floor[0]);
		free(hs);
		if (!e->zh)
			goto oom;
		e->feat.cfg.zh = e->zh;
	}
	const uint8_t *sp_ids = mf.version >= 3 ?
		nlu_mf_get(&mf, "spell.ids", NLU_U8, &t, err, errlen) : NULL;
	if (sp_ids) {          /* the spelling pass's vocabulary (format 3) */
		uint32_t id_bytes = t.dims[0], n_ids = id_bytes / 8;
		const char *words = nlu_mf_get(&mf, "spell.words", NLU_U8, &t, err, errlen);
		uint32_t words_len = words ? t.dims[0] : 0;
		const int32_t *counts = nlu_mf_get(&mf, "spell.counts", NLU_I32, &t, err, errlen);
		uint64_t *ids = malloc(sizeof *ids * (n_ids ? n_ids : 1));
		if (!ids)
			goto oom;
		memcpy(ids, sp_ids, sizeof *ids * n_ids);
		if (words && counts && id_bytes == 8 * n_ids)
			e->spell = nlu_spell_from(ids, n_ids, words, words_len, counts, t.dims[0]);
		free(ids);
		if (!e->spell) {
			snprintf(err, errlen, "model file spelling vocabulary is corrupt");
			goto fail;
		}
		nlu_spell_set_glove(e->spell, glove);
		e->feat.cfg.spell = e->spell;
	}
	if (cfg[7] > 0) {
		uint32_t h = (uint32_t)cfg[7];
		if (h > 4096) {
			snprintf(err, errlen, "model file has an invalid hidden size");
			goto fail;
		}
		if (take_mlp(&mf, "mlp", NLU_GLOVE_DIM, h, e->n_cls, &e->mlp, err, errlen))
			goto fail;
		e->alpha = cal[3];
		e->glove = glove;
	}
	if (mf.version >= 2) {
		if (nlu_seq_load(&e->seq, &mf, e->n_cls, glove, err, errlen))
			goto fail;
		nlu_mf_get(&mf, "calibration", NLU_F32, &t, err, errlen);
		e->beta = e->seq.bits && t.dims[0] >= 5 ? cal[4] : 0;
	}
	const float *use_w1 = mf.version >= 4 ?
		nlu_mf_get(&mf, "use.w1", NLU_F32, &t, err, errlen) : NULL;
	if (use_w1) {          /* the USE half (format 4); its owner sets e->use */
		uint32_t h = t.rank == 2 && t.dims[1] == NLU_USE_DIM ? t.dims[0] : 0;
		const float *g = nlu_mf_get(&mf, "use.gamma", NLU_F32, &t, err, errlen);
		if (h < 1 || h > 4096 || !g) {
			snprintf(err, errlen, "model file USE half is corrupt");
			goto fail;
		}
		if (take_mlp(&mf, "use", NLU_USE_DIM, h, e->n_cls, &e->use_mlp, err, errlen))
			goto fail;
		e->gamma = g[0];
	}
	return e;
oom:
	snprintf(err, errlen, "out of memory loading the model");
	goto fail;
bad:
fail:
	nlu_enc_destroy(e);
	return NULL;
}
