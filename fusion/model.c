/* fusion/model.c — answering with a fused model: the forward pass of
 * z = b + φ_text + φ_image + ψ for one message, calibrated per case (words, picture,
 * both), and the model's allocation, accessors and per-worker state.
 *
 * Runs on any worker thread: the model is only read, the state belongs to the caller,
 * and fu_choose allocates nothing (the sparse dot products are row axpys, the dense ones
 * one cm_sgemv each through common/tensor.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fusion_int.h"
#include "glove.h"
#include "tensor.h"

_Static_assert(FU_GLOVE_DIM == NLU_GLOVE_DIM, "GloVe size");

void fu_opts_default(struct fu_opts *o)
{
	memset(o, 0, sizeof *o);
	o->bits = 14;
	o->hidden = 32;
	o->epochs = 20;
	o->batch = 64;
	o->lr = 2e-3f;
	o->lr_sparse = 0.1f;
	o->wd = 1e-4f;
	o->pairs = 4;
	o->offtopic = 1.f;
	o->val_frac = 0.15f;
	o->seed = 1;
}

int fu_model_alloc(struct fu_model *m)
{
	size_t a = m->n_ans, h = m->h;
	m->wt = calloc((size_t)m->dt * a, sizeof(float));
	m->wi = calloc((size_t)m->de * a, sizeof(float));
	m->b = calloc(a, sizeof(float));
	m->e_mean = calloc(m->de, sizeof(float));
	m->e_sd = calloc(m->de, sizeof(float));
	m->ids = calloc(a, sizeof(int64_t));
	if (!m->wt || !m->wi || !m->b || !m->e_mean || !m->e_sd || !m->ids)
		return -1;
	if (m->dense && !(m->wg = calloc(FU_GLOVE_DIM * a, sizeof(float))))
		return -1;
	if (h) {
		m->pt = calloc((size_t)m->dt * h, sizeof(float));
		m->pe = calloc((size_t)m->de * h, sizeof(float));
		m->c = calloc(h * a, sizeof(float));
		if (!m->pt || !m->pe || !m->c)
			return -1;
		if (m->dense && !(m->qt = calloc(FU_GLOVE_DIM * h, sizeof(float))))
			return -1;
	}
	return 0;
}

void fu_model_destroy(struct fu_model *m)
{
	if (!m)
		return;
	nlu_feat_free(&m->feat);
	free(m->wt);
	free(m->wg);
	free(m->wi);
	free(m->b);
	free(m->pt);
	free(m->qt);
	free(m->pe);
	free(m->c);
	free(m->e_mean);
	free(m->e_sd);
	free(m->ids);
	free(m);
}

size_t fu_model_n_answers(const struct fu_model *m)
{
	return m->n_ans;
}

int64_t fu_model_answer_id(const struct fu_model *m, size_t i)
{
	return i < m->n_ans ? m->ids[i] : 0;
}

int fu_model_embed_dim(const struct fu_model *m)
{
	return (int)m->de;
}

const char *fu_model_embed_name(const struct fu_model *m)
{
	return m->embed_name;
}

int fu_model_hidden(const struct fu_model *m)
{
	return (int)m->h;
}

void fu_standardise(const struct fu_model *m, const float *emb, float *out)
{
	for (uint32_t j = 0; j < m->de; j++)
		out[j] = (emb[j] - m->e_mean[j]) / m->e_sd[j];
}

static void tanh_n(size_t n, float *x)
{
	for (size_t i = 0; i < n; i++)
		x[i] = tanhf(x[i]);
}

void fu_logits(const struct fu_model *m, const struct nlu_sparse *x, const float *g,
	       const float *e, int psi, float *ht, float *hi, float *z)
{
	size_t a = m->n_ans, h = m->h;
	int has_text = (x && x->nnz) || g;
	psi = psi && h && has_text && e;

	memcpy(z, m->b, sizeof *z * a);
	if (psi)
		memset(ht, 0, sizeof *ht * h);
	if (x)
		for (uint32_t k = 0; k < x->nnz; k++) {
			cm_axpy(a, x->val[k], m->wt + (size_t)x->idx[k] * a, z);
			if (psi)
				cm_axpy(h, x->val[k], m->pt + (size_t)x->idx[k] * h, ht);
		}
	if (g && m->dense) {
		cm_sgemv(FU_GLOVE_DIM, (int)a, 1.f, m->wg, 1, g, 1.f, z);
		if (psi)
			cm_sgemv(FU_GLOVE_DIM, (int)h, 1.f, m->qt, 1, g, 1.f, ht);
	}
	if (e)
		cm_sgemv((int)m->de, (int)a, 1.f, m->wi, 1, e, 1.f, z);
	if (!psi)
		return;
	cm_sgemv((int)m->de, (int)h, 1.f, m->pe, 1, e, 0.f, hi);
	tanh_n(h, ht);
	tanh_n(h, hi);
	for (size_t r = 0; r < h; r++)
		ht[r] *= hi[r];         /* ht now holds the product */
	cm_sgemv((int)h, (int)a, 1.f, m->c, 1, ht, 1.f, z);
}

struct fu_state *fu_state_create(const struct fu_model *m)
{
	struct fu_state *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->m = m;
	s->fx = nlu_fx_create();
	s->e = malloc(sizeof(float) * (m->de ? m->de : 1));
	s->z = malloc(sizeof(float) * (m->n_ans ? m->n_ans : 1));
	s->ht = malloc(sizeof(float) * (m->h ? m->h : 1));
	s->hi = malloc(sizeof(float) * (m->h ? m->h : 1));
	if (!s->fx || !s->e || !s->z || !s->ht || !s->hi ||
	    nlu_sparse_alloc(&s->sp, NLU_FEAT_MAX)) {
		fu_state_destroy(s);
		return NULL;
	}
	return s;
}

void fu_state_destroy(struct fu_state *s)
{
	if (!s)
		return;
	nlu_fx_destroy(s->fx);
	nlu_sparse_free(&s->sp);
	free(s->e);
	free(s->z);
	free(s->ht);
	free(s->hi);
	free(s);
}

int fu_choose_ex(const struct fu_model *m, struct fu_state *s, const char *text, size_t len,
		 const float *embedding, int dim, int flags, struct fu_choice *out,
		 const float **scores)
{
	const float *g = NULL, *e = NULL;
	int used = 0;

	memset(out, 0, sizeof *out);
	out->index = out->second = -1;
	if (embedding && dim != (int)m->de)
		return FU_E_DIM;
	s->sp.nnz = 0;
	if (text && len) {
		int nnz = nlu_feat_vector(&m->feat, s->fx, text, len, &s->sp);
		if (nnz < 0)
			return FU_E_TEXT;
		if (nnz > 0) {
			used |= FU_USED_TEXT;
			if (m->dense && m->glove && nlu_fx_dense(s->fx, m->glove, s->g) > 0)
				g = s->g;
		}
	}
	if (embedding) {
		fu_standardise(m, embedding, s->e);
		e = s->e;
		used |= FU_USED_IMAGE;
	}
	if (!used)
		return FU_NO_INPUT;
	fu_logits(m, (used & FU_USED_TEXT) ? &s->sp : NULL, g, e, !(flags & FU_NO_PSI),
		  s->ht, s->hi, s->z);
	enum fu_case c = used == (FU_USED_TEXT | FU_USED_IMAGE) ? FU_CASE_BOTH
			 : used == FU_USED_IMAGE ? FU_CASE_IMAGE : FU_CASE_TEXT;
	cm_softmax(m->n_ans, s->z, m->temp[c]);
	for (uint32_t i = 0; i < m->n_ans; i++) {
		if (out->index < 0 || s->z[i] > out->confidence) {
			out->second = out->index;
			out->second_conf = out->confidence;
			out->index = (int)i;
			out->confidence = s->z[i];
		} else if (out->second < 0 || s->z[i] > out->second_conf) {
			out->second = (int)i;
			out->second_conf = s->z[i];
		}
	}
	out->answer_id = m->ids[out->index];
	out->used = used;
	if (scores)
		*scores = s->z;
	return 0;
}

int fu_choose(const struct fu_model *m, struct fu_state *s, const char *text, size_t len,
	      const float *embedding, int dim, struct fu_choice *out, const float **scores)
{
	return fu_choose_ex(m, s, text, len, embedding, dim, 0, out, scores);
}
