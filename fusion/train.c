/* fusion/train.c — training a fused model (fusion.h) on questions, pictures and their
 * answers.
 *
 * Each epoch draws a fresh list of examples from struct fu_data (fusion.h says which
 * kinds) and runs mini-batches of softmax cross-entropy (soft targets for a picture
 * alone, which cannot tell its category's answers apart).  Dense weights (φ_image, the
 * GloVe parts, the image side of ψ, its answer mix, the bias) take Adam steps from
 * batched products through cm_sgemm; the sparse text rows (φ_text and the text side of
 * ψ) take row-wise AdaGrad steps on the rows an example touches, as nlu/linear.c does.
 *
 * Calibration: a val_frac share of each answer's questions and of each category's
 * pictures is held out, a model is trained on the rest, one temperature per case (words,
 * picture, both) is fitted on the held-out examples (nlu_calib_temperature), and the
 * final model is trained again from scratch on everything with those temperatures.
 *
 * Runs on the caller's thread; allocates its buffers once per call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "buf.h"
#include "clock.h"
#include "fusion_int.h"
#include "glove.h"
#include "log.h"
#include "rng.h"
#include "tensor.h"

struct ex {
	int t, p;       /* text / picture index, -1: none */
	int y;          /* answer index, or -(label + 2): all answers of that label */
};

struct adam {
	float *p, *m, *v;
	size_t n;
};

#define N_ADAM 6

struct trainer {
	const struct fu_data *d;
	const struct fu_opts *o;
	struct fu_model *m;
	struct nlu_sparse *xs;          /* n_texts sparse vectors */
	float *gs;                      /* n_texts × 100 GloVe vectors (NULL: none) */
	unsigned char *has_g;
	float *es;                      /* n_pictures × de, standardised */
	int *lab_ans, *lab_ans_off;     /* answers of each label (CSR) */
	int *lab_pic, *lab_pic_off;     /* training pictures of each label (CSR) */
	int *all_pic, n_all_pic;        /* every training picture */
	int *fill;                      /* n_labels + 1 counters */
	unsigned char *text_in, *pic_in;  /* 1: in the current training split */
	struct ex *ex;
	size_t n_ex, cap_ex;
	/* batch buffers */
	float *E, *G, *Z, *T, *Ht, *Hi, *P, *dP;
	float *Gp, *dZp;                /* the picture rows' G and dZ (run_batch) */
	int *pic_rows;                  /* batch row of each picture row */
	/* gradients of the dense weights and their optimiser state */
	float *grad[N_ADAM];
	struct adam adam[N_ADAM];
	float *acc_wt, *acc_pt;         /* AdaGrad row accumulators (dt each) */
	long step;
	uint64_t rng;
	int epochs_done, epochs_total;  /* over both fits, for o->on_epoch */
};

static float rnd_normal(uint64_t *s)
{
	double u1 = ((double)(cm_xorshift64star(s) >> 11) + 1.0) / 9007199254740993.0;
	double u2 = (double)(cm_xorshift64star(s) >> 11) / 9007199254740992.0;
	return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

static int rnd_below(uint64_t *s, int n)
{
	return (int)(cm_xorshift64star(s) % (uint64_t)n);
}

static void init_normal(float *w, size_t n, float sd, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		w[i] = sd * rnd_normal(s);
}

static int text_label(const struct fu_data *d, size_t t)
{
	return d->text_label ? d->text_label[t] : d->answer_label[d->text_answer[t]];
}

static int push_ex(struct trainer *tr, int t, int p, int y)
{
	struct ex *v = cm_grow(tr->ex, &tr->cap_ex, tr->n_ex + 1, sizeof *v, 1024);
	if (!v)
		return -1;
	tr->ex = v;
	tr->ex[tr->n_ex++] = (struct ex){ t, p, y };
	return 0;
}

/* Lists the training pictures of each label (pic_in). */
static void index_pictures(struct trainer *tr)
{
	const struct fu_data *d = tr->d;
	memset(tr->lab_pic_off, 0, sizeof(int) * (d->n_labels + 1));
	tr->n_all_pic = 0;
	for (size_t p = 0; p < d->n_pictures; p++)
		if (tr->pic_in[p])
			tr->lab_pic_off[d->picture_label[p] + 1]++;
	for (size_t l = 0; l < d->n_labels; l++)
		tr->lab_pic_off[l + 1] += tr->lab_pic_off[l];
	int *fill = tr->fill;
	memset(fill, 0, sizeof(int) * (d->n_labels + 1));
	for (size_t p = 0; p < d->n_pictures; p++) {
		if (!tr->pic_in[p])
			continue;
		int l = d->picture_label[p];
		tr->lab_pic[tr->lab_pic_off[l] + fill[l]++] = (int)p;
		tr->all_pic[tr->n_all_pic++] = (int)p;
	}
}

/* The examples of one epoch, shuffled.  0 ok, -1 out of memory. */
static int draw_epoch(struct trainer *tr, struct fu_train_stats *st)
{
	const struct fu_data *d = tr->d;
	size_t n_pair = 0, n_text = 0, n_img = 0, n_off = 0, want_pair = 0, cand_off = 0;
	tr->n_ex = 0;
	/* off-topic pairs: at most offtopic × the pair examples (a store with thousands of
	   questions without pictures would otherwise drown the few pictured ones) */
	for (size_t t = 0; t < d->n_texts; t++) {
		if (!tr->text_in[t] || !tr->xs[t].nnz)
			continue;
		int l = text_label(d, t);
		if (l >= 0)
			want_pair += (size_t)tr->o->pairs;
		else
			cand_off++;
	}
	double p_off = cand_off ? tr->o->offtopic * (double)want_pair / (double)cand_off : 0;
	for (size_t t = 0; t < d->n_texts; t++) {
		if (!tr->text_in[t] || !tr->xs[t].nnz)
			continue;
		int a = d->text_answer[t], l = text_label(d, t);
		if (push_ex(tr, (int)t, -1, a))
			return -1;
		n_text++;
		if (l >= 0) {
			int lo = tr->lab_pic_off[l], n = tr->lab_pic_off[l + 1] - lo;
			for (int k = 0; k < tr->o->pairs && n > 0; k++, n_pair++)
				if (push_ex(tr, (int)t, tr->lab_pic[lo + rnd_below(&tr->rng, n)], a))
					return -1;
		} else if (tr->n_all_pic > 0 &&
			   (double)(cm_xorshift64star(&tr->rng) >> 11) / 9007199254740992.0 < p_off) {
			if (push_ex(tr, (int)t, tr->all_pic[rnd_below(&tr->rng, tr->n_all_pic)], a))
				return -1;
			n_off++;
		}
	}
	for (size_t p = 0; p < d->n_pictures; p++) {
		int l = d->picture_label[p];
		if (!tr->pic_in[p] || tr->lab_ans_off[l + 1] == tr->lab_ans_off[l])
			continue;
		if (push_ex(tr, -1, (int)p, -(l + 2)))
			return -1;
		n_img++;
	}
	for (size_t i = tr->n_ex; i > 1; i--) {
		size_t j = cm_xorshift64star(&tr->rng) % i;
		struct ex x = tr->ex[i - 1];
		tr->ex[i - 1] = tr->ex[j];
		tr->ex[j] = x;
	}
	if (st) {
		st->n_pair = n_pair;
		st->n_text = n_text;
		st->n_image = n_img;
		st->n_offtopic = n_off;
	}
	return 0;
}

/* Σ g², summed in order (the same bits wherever it is computed). */
static float sum_sq(const float *g, size_t n)
{
	float ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += g[i] * g[i];
	return ss;
}

/* Row-wise AdaGrad on one sparse row: row -= lr / sqrt(acc) · val · g; ss is Σ g²
 * (the same for every row an example touches, so computed once per example). */
static void sparse_step(float *row, float *acc, float val, const float *g, float ss,
			size_t n, float lr)
{
	*acc += val * val * ss / (float)n;
	float s = -lr * val / sqrtf(*acc + 1e-12f);
	cm_axpy(n, s, g, row);
}

/* One mini-batch of examples ex[0..nb).  Returns the summed loss.
 *
 * Only the rows that carry a picture (most carry words alone) go through the picture
 * and ψ products: for the others e = 0, so E·W_i, tanh(P_eᵀ e) and with it ψ and every
 * gradient of those weights are zero.  E, Gp, Ht, Hi, P, dP and dZp hold the picture
 * rows only (np of them, batch row pic[i]); the figures are the full batch's. */
static double run_batch(struct trainer *tr, const struct ex *ex, int nb)
{
	struct fu_model *m = tr->m;
	int A = (int)m->n_ans, H = (int)m->h, De = (int)m->de, Dg = FU_GLOVE_DIM;
	int np = 0, *pic = tr->pic_rows;
	double loss = 0;

	memset(tr->T, 0, sizeof(float) * (size_t)nb * A);
	if (m->dense)
		memset(tr->G, 0, sizeof(float) * (size_t)nb * Dg);
	for (int b = 0; b < nb; b++) {
		const struct ex *x = &ex[b];
		float *z = tr->Z + (size_t)b * A, *ht = NULL;
		memcpy(z, m->b, sizeof(float) * (size_t)A);
		if (x->p >= 0) {
			memcpy(tr->E + (size_t)np * De, tr->es + (size_t)x->p * De,
			       sizeof(float) * (size_t)De);
			if (H) {
				ht = tr->Ht + (size_t)np * H;
				memset(ht, 0, sizeof(float) * (size_t)H);
			}
			pic[np++] = b;
		}
		if (x->t >= 0) {
			const struct nlu_sparse *sp = &tr->xs[x->t];
			for (uint32_t k = 0; k < sp->nnz; k++) {
				cm_axpy((size_t)A, sp->val[k], m->wt + (size_t)sp->idx[k] * A, z);
				if (ht)
					cm_axpy((size_t)H, sp->val[k], m->pt + (size_t)sp->idx[k] * H, ht);
			}
			if (m->dense && tr->has_g[x->t])
				memcpy(tr->G + (size_t)b * Dg, tr->gs + (size_t)x->t * Dg,
				       sizeof(float) * (size_t)Dg);
		}
		float *t = tr->T + (size_t)b * A;
		if (x->y >= 0) {
			t[x->y] = 1.f;
		} else {
			int l = -x->y - 2, lo = tr->lab_ans_off[l], n = tr->lab_ans_off[l + 1] - lo;
			for (int k = 0; k < n; k++)
				t[tr->lab_ans[lo + k]] = 1.f / (float)n;
		}
	}
	for (int i = 0; i < np && m->dense; i++)
		memcpy(tr->Gp + (size_t)i * Dg, tr->G + (size_t)pic[i] * Dg, sizeof(float) * (size_t)Dg);
	if (m->dense)
		cm_sgemm(nb, A, Dg, 1.f, tr->G, 0, m->wg, 0, 1.f, tr->Z);
	if (np) {
		float *zp = tr->dZp;            /* the picture rows' φ_image + ψ */
		cm_sgemm(np, A, De, 1.f, tr->E, 0, m->wi, 0, 0.f, zp);
		if (H) {
			if (m->dense)
				cm_sgemm(np, H, Dg, 1.f, tr->Gp, 0, m->qt, 0, 1.f, tr->Ht);
			cm_sgemm(np, H, De, 1.f, tr->E, 0, m->pe, 0, 0.f, tr->Hi);
			for (size_t i = 0; i < (size_t)np * H; i++) {
				tr->Ht[i] = tanhf(tr->Ht[i]);
				tr->Hi[i] = tanhf(tr->Hi[i]);
				tr->P[i] = tr->Ht[i] * tr->Hi[i];
			}
			cm_sgemm(np, A, H, 1.f, tr->P, 0, m->c, 0, 1.f, zp);
		}
		for (int i = 0; i < np; i++)
			cm_axpy((size_t)A, 1.f, zp + (size_t)i * A, tr->Z + (size_t)pic[i] * A);
	}
	/* dZ = (softmax − target) / nb, in place in Z */
	for (int b = 0; b < nb; b++) {
		float *z = tr->Z + (size_t)b * A, *t = tr->T + (size_t)b * A;
		float lse = cm_softmax((size_t)A, z, 1.f);
		(void)lse;
		for (int j = 0; j < A; j++) {
			if (t[j] > 0)
				loss -= t[j] * log(z[j] > 1e-30f ? z[j] : 1e-30f);
			z[j] = (z[j] - t[j]) / (float)nb;
		}
	}
	const float *dZ = tr->Z;
	/* dense gradients: 0 wg, 1 wi, 2 b, 3 qt, 4 pe, 5 c */
	float *gb = tr->grad[2];
	memset(gb, 0, sizeof(float) * (size_t)A);
	for (int b = 0; b < nb; b++)
		cm_axpy((size_t)A, 1.f, dZ + (size_t)b * A, gb);
	if (m->dense)
		cm_sgemm(Dg, A, nb, 1.f, tr->G, 1, dZ, 0, 0.f, tr->grad[0]);
	if (np) {
		float *dzp = tr->dZp;
		for (int i = 0; i < np; i++)
			memcpy(dzp + (size_t)i * A, dZ + (size_t)pic[i] * A, sizeof(float) * (size_t)A);
		cm_sgemm(De, A, np, 1.f, tr->E, 1, dzp, 0, 0.f, tr->grad[1]);
		if (H) {
			cm_sgemm(H, A, np, 1.f, tr->P, 1, dzp, 0, 0.f, tr->grad[5]);
			cm_sgemm(np, H, A, 1.f, dzp, 0, m->c, 1, 0.f, tr->dP);
			/* dHt (into P) and dHi (into dP) through tanh */
			for (size_t i = 0; i < (size_t)np * H; i++) {
				float dp = tr->dP[i];
				tr->P[i] = dp * tr->Hi[i] * (1.f - tr->Ht[i] * tr->Ht[i]);
				tr->dP[i] = dp * tr->Ht[i] * (1.f - tr->Hi[i] * tr->Hi[i]);
			}
			if (m->dense)
				cm_sgemm(Dg, H, np, 1.f, tr->Gp, 1, tr->P, 0, 0.f, tr->grad[3]);
			cm_sgemm(De, H, np, 1.f, tr->E, 1, tr->dP, 0, 0.f, tr->grad[4]);
		}
	} else {
		for (int k = 1; k < N_ADAM; k++)
			if (k != 2 && tr->adam[k].n)
				memset(tr->grad[k], 0, sizeof(float) * tr->adam[k].n);
	}
	/* sparse rows: W_t from every row with words, P_t from the picture rows only (its
	   gradient is zero elsewhere) */
	for (int b = 0, i = 0; b < nb; b++) {
		int has_pic = i < np && pic[i] == b;
		const float *gp = has_pic ? tr->P + (size_t)i * H : NULL;
		i += has_pic;
		if (ex[b].t < 0)
			continue;
		const struct nlu_sparse *sp = &tr->xs[ex[b].t];
		const float *gz = dZ + (size_t)b * A;
		float ssz = sum_sq(gz, (size_t)A), ssp = H && gp ? sum_sq(gp, (size_t)H) : 0;
		for (uint32_t k = 0; k < sp->nnz; k++) {
			uint32_t r = sp->idx[k];
			sparse_step(m->wt + (size_t)r * A, &tr->acc_wt[r], sp->val[k], gz, ssz,
				    (size_t)A, tr->o->lr_sparse);
			if (H && gp)
				sparse_step(m->pt + (size_t)r * H, &tr->acc_pt[r], sp->val[k], gp,
					    ssp, (size_t)H, tr->o->lr_sparse);
		}
	}
	tr->step++;
	for (int k = 0; k < N_ADAM; k++)
		if (tr->adam[k].n)
			cm_adam_step(tr->adam[k].p, tr->grad[k], tr->adam[k].m, tr->adam[k].v,
				     tr->adam[k].n, tr->o->lr, k == 2 ? 0.f : tr->o->wd, tr->step);
	return loss;
}

/* Initialises m's weights and trains them on the current split.  0 ok, -1 no memory. */
static int fit(struct trainer *tr, struct fu_model *m, struct fu_train_stats *st)
{
	const struct fu_opts *o = tr->o;
	size_t A = m->n_ans, H = m->h, De = m->de, Dg = FU_GLOVE_DIM;
	uint64_t s = o->seed * 0x9e3779b97f4a7c15ull + 1;

	tr->m = m;
	tr->rng = o->seed * 0xbf58476d1ce4e5b9ull + 7;
	tr->step = 0;
	if (H) {
		init_normal(m->pt, (size_t)m->dt * H, 0.3f, &s);
		init_normal(m->pe, De * H, 1.f / sqrtf((float)De), &s);
		init_normal(m->c, H * A, 1.f / sqrtf((float)H), &s);
		if (m->dense)
			init_normal(m->qt, Dg * H, 0.02f, &s);
	}
	memset(tr->acc_wt, 0, sizeof(float) * m->dt);
	memset(tr->acc_pt, 0, sizeof(float) * m->dt);
	float *params[N_ADAM] = { m->wg, m->wi, m->b, m->qt, m->pe, m->c };
	size_t sizes[N_ADAM] = { m->dense ? Dg * A : 0, De * A, A, (m->dense && H) ? Dg * H : 0,
				 De * H, H * A };
	for (int k = 0; k < N_ADAM; k++) {
		struct adam *a = &tr->adam[k];
		a->p = params[k];
		a->n = params[k] ? sizes[k] : 0;
		memset(a->m, 0, sizeof(float) * a->n);
		memset(a->v, 0, sizeof(float) * a->n);
	}
	index_pictures(tr);
	for (int ep = 0; ep < o->epochs; ep++) {
		if (draw_epoch(tr, st))
			return -1;
		double loss = 0;
		for (size_t i = 0; i < tr->n_ex; i += (size_t)o->batch) {
			int nb = (int)(tr->n_ex - i < (size_t)o->batch ? tr->n_ex - i : (size_t)o->batch);
			loss += run_batch(tr, tr->ex + i, nb);
		}
		cm_log(CM_LOG_DEBUG, "epoch %d: %zu examples, mean loss %.4f", ep, tr->n_ex,
		       tr->n_ex ? loss / (double)tr->n_ex : 0.0);
		if (o->on_epoch)
			o->on_epoch(o->on_epoch_arg, ++tr->epochs_done, tr->epochs_total);
	}
	return 0;
}

/* Logits of the held-out examples of one case into a growing buffer.  For pictures
 * alone each answer of the label is one row (their NLL is the soft target's); ok counts
 * argmax hits (for a picture: any answer of its label). */
struct held {
	float *z;
	int *y;
	size_t n, cap;
	size_t ok, total;
};

static int held_add(struct held *h, const struct trainer *tr, int t, int p, int y, float *buf)
{
	const struct fu_model *m = tr->m;
	size_t A = m->n_ans;
	const float *g = NULL, *e = p >= 0 ? tr->es + (size_t)p * m->de : NULL;
	if (t >= 0 && m->dense && tr->has_g[t])
		g = tr->gs + (size_t)t * FU_GLOVE_DIM;
	fu_logits(m, t >= 0 ? &tr->xs[t] : NULL, g, e, 1, buf + A, buf + A + m->h + 1, buf);
	int best = 0;
	for (size_t j = 1; j < A; j++)
		if (buf[j] > buf[best])
			best = (int)j;
	int lo = 0, n = 1, one[1] = { y };
	const int *ys = one;
	if (y < 0) {
		int l = -y - 2;
		lo = tr->lab_ans_off[l];
		n = tr->lab_ans_off[l + 1] - lo;
		ys = tr->lab_ans + lo;
	}
	int hit = 0;
	for (int k = 0; k < n; k++) {
		hit |= ys[k] == best;
		if (h->n == h->cap) {
			size_t cap = cm_grow_cap(h->cap, h->n + 1, 256, sizeof(float) * A);
			float *z = cap ? cm_realloc_n(h->z, cap, sizeof(float) * A) : NULL;
			int *yy = cap ? cm_realloc_n(h->y, cap, sizeof(int)) : NULL;
			if (z)
				h->z = z;
			if (yy)
				h->y = yy;
			if (!z || !yy)
				return -1;
			h->cap = cap;
		}
		memcpy(h->z + h->n * A, buf, sizeof(float) * A);
		h->y[h->n++] = ys[k];
	}
	h->ok += (size_t)hit;
	h->total++;
	return 0;
}

/* Fits the three temperatures on the held-out split (texts/pictures not in the current
 * training split).  0 ok, -1 out of memory. */
static int calibrate(struct trainer *tr, struct fu_train_stats *st)
{
	const struct fu_data *d = tr->d;
	struct fu_model *m = tr->m;
	struct held h[3];
	float *buf = malloc(sizeof(float) * (m->n_ans + 2 * (size_t)m->h + 2));
	uint64_t s = tr->o->seed + 99;
	int rc = -1;

	memset(h, 0, sizeof h);
	if (!buf)
		return -1;
	/* held-out pictures per label */
	int *hp = malloc(sizeof(int) * (d->n_pictures + 1)), *hoff = calloc(d->n_labels + 1,
									 sizeof(int));
	if (!hp || !hoff)
		goto out;
	for (size_t p = 0; p < d->n_pictures; p++)
		if (!tr->pic_in[p])
			hoff[d->picture_label[p] + 1]++;
	for (size_t l = 0; l < d->n_labels; l++)
		hoff[l + 1] += hoff[l];
	{
		int *fill = calloc(d->n_labels + 1, sizeof(int));
		if (!fill)
			goto out;
		for (size_t p = 0; p < d->n_pictures; p++)
			if (!tr->pic_in[p]) {
				int l = d->picture_label[p];
				hp[hoff[l] + fill[l]++] = (int)p;
			}
		free(fill);
	}
	int n_hp = hoff[d->n_labels];
	for (size_t t = 0; t < d->n_texts; t++) {
		if (tr->text_in[t] || !tr->xs[t].nnz)
			continue;
		int a = d->text_answer[t], l = text_label(d, t);
		if (held_add(&h[FU_CASE_TEXT], tr, (int)t, -1, a, buf))
			goto out;
		if (l >= 0) {
			for (int k = hoff[l]; k < hoff[l + 1] && k < hoff[l] + 4; k++)
				if (held_add(&h[FU_CASE_BOTH], tr, (int)t, hp[k], a, buf))
					goto out;
		} else if (n_hp) {
			if (held_add(&h[FU_CASE_BOTH], tr, (int)t, hp[rnd_below(&s, n_hp)], a, buf))
				goto out;
		}
	}
	for (int k = 0; k < n_hp; k++) {
		int l = d->picture_label[hp[k]];
		if (tr->lab_ans_off[l + 1] > tr->lab_ans_off[l] &&
		    held_add(&h[FU_CASE_IMAGE], tr, -1, hp[k], -(l + 2), buf))
			goto out;
	}
	for (int c = 0; c < 3; c++) {
		m->temp[c] = h[c].n ? nlu_calib_temperature(h[c].z, h[c].y, h[c].n, (int)m->n_ans)
				    : 1.f;
		if (st) {
			st->temperature[c] = m->temp[c];
			st->held_out_accuracy[c] = h[c].total ? (double)h[c].ok / (double)h[c].total
							      : -1.0;
		}
	}
	rc = 0;
out:
	for (int c = 0; c < 3; c++) {
		free(h[c].z);
		free(h[c].y);
	}
	free(hp);
	free(hoff);
	free(buf);
	return rc;
}

/* Marks a val_frac share of each group's members (texts by answer, pictures by label)
 * as held out (0); groups with fewer than 3 members stay whole. */
static void hold_out(unsigned char *in, size_t n, const int *group, size_t n_groups,
		     float frac, uint64_t *s)
{
	memset(in, 1, n);
	if (frac <= 0)
		return;
	for (size_t g = 0; g < n_groups; g++) {
		size_t cnt = 0;
		for (size_t i = 0; i < n; i++)
			cnt += (size_t)group[i] == g;
		if (cnt < 3)
			continue;
		size_t want = (size_t)(frac * (float)cnt + 0.5f);
		if (want < 1)
			want = 1;
		while (want) {          /* random members of g, without repeats */
			size_t k = cm_xorshift64star(s) % cnt, seen = 0;
			for (size_t i = 0; i < n; i++)
				if ((size_t)group[i] == g && seen++ == k) {
					if (in[i]) {
						in[i] = 0;
						want--;
					}
					break;
				}
		}
	}
}

struct text_ref {
	const char *t;
	size_t i;
};

static int cmp_text_ref(const void *a, const void *b)
{
	return strcmp(((const struct text_ref *)a)->t, ((const struct text_ref *)b)->t);
}

/* A question held out for one answer is held out for every answer with the same words
 * (the catalogue's generic questions repeat under every kind): otherwise the held-out
 * pair looks like a known question that "belongs" to the other answers, and the fitted
 * temperature comes out far too high.  0 ok, -1 out of memory. */
static int hold_out_same_texts(unsigned char *in, const char *const *texts, size_t n)
{
	struct text_ref *ix = malloc(sizeof *ix * (n ? n : 1));
	if (!ix)
		return -1;
	for (size_t i = 0; i < n; i++)
		ix[i] = (struct text_ref){ texts[i], i };
	qsort(ix, n, sizeof *ix, cmp_text_ref);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int held = 0;
		while (j < n && !strcmp(ix[j].t, ix[i].t))
			held |= !in[ix[j++].i];
		for (size_t k = i; k < j && held; k++)
			in[ix[k].i] = 0;
		i = j;
	}
	free(ix);
	return 0;
}

static struct fu_model *model_shell(const struct fu_data *d, const struct fu_opts *o,
				    const struct fu_model *stats_from)
{
	struct fu_model *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->n_ans = (uint32_t)d->n_answers;
	m->dt = 1u << o->bits;
	m->de = (uint32_t)d->dim;
	m->h = (uint32_t)o->hidden;
	m->dense = o->glove != NULL;
	m->glove = o->glove;
	m->temp[0] = m->temp[1] = m->temp[2] = 1.f;
	if (fu_model_alloc(m)) {
		fu_model_destroy(m);
		return NULL;
	}
	for (size_t i = 0; i < d->n_answers; i++)
		m->ids[i] = d->answer_ids ? d->answer_ids[i] : (int64_t)i;
	snprintf(m->embed_name, sizeof m->embed_name, "%s", o->embed_model ? o->embed_model : "");
	m->feat.cfg = stats_from->feat.cfg;
	m->feat.dim = m->dt;
	memcpy(m->e_mean, stats_from->e_mean, sizeof(float) * m->de);
	memcpy(m->e_sd, stats_from->e_sd, sizeof(float) * m->de);
	return m;
}

static int check_data(const struct fu_data *d, const struct fu_opts *o, char *err,
		      size_t errlen)
{
	if (d->n_answers < 2 || d->dim <= 0 || (!d->n_texts && !d->n_pictures)) {
		snprintf(err, errlen, "fusion needs at least 2 answers, an embedding size and "
			 "some examples");
		return -1;
	}
	if (o->bits < 8 || o->bits > 20 || o->hidden < 0 || o->hidden > 1024 ||
	    o->epochs < 1 || o->batch < 1 || o->pairs < 0) {
		snprintf(err, errlen, "fusion: options out of range");
		return -1;
	}
	for (size_t a = 0; a < d->n_answers; a++)
		if (d->answer_label[a] < -1 || d->answer_label[a] >= (int)d->n_labels) {
			snprintf(err, errlen, "answer %zu has label %d of %zu", a,
				 d->answer_label[a], d->n_labels);
			return -1;
		}
	for (size_t t = 0; t < d->n_texts; t++)
		if (d->text_answer[t] < 0 || (size_t)d->text_answer[t] >= d->n_answers) {
			snprintf(err, errlen, "question %zu names answer %d of %zu", t,
				 d->text_answer[t], d->n_answers);
			return -1;
		}
	for (size_t t = 0; d->text_label && t < d->n_texts; t++)
		if (d->text_label[t] < -1 || d->text_label[t] >= (int)d->n_labels) {
			snprintf(err, errlen, "question %zu has label %d of %zu", t,
				 d->text_label[t], d->n_labels);
			return -1;
		}
	for (size_t p = 0; p < d->n_pictures; p++)
		if (d->picture_label[p] < 0 || (size_t)d->picture_label[p] >= d->n_labels) {
			snprintf(err, errlen, "picture %zu has label %d of %zu", p,
				 d->picture_label[p], d->n_labels);
			return -1;
		}
	return 0;
}

static void trainer_free(struct trainer *tr)
{
	if (tr->xs)
		for (size_t t = 0; t < tr->d->n_texts; t++)
			nlu_sparse_free(&tr->xs[t]);
	free(tr->xs);
	free(tr->gs);
	free(tr->has_g);
	free(tr->es);
	free(tr->lab_ans);
	free(tr->lab_ans_off);
	free(tr->lab_pic);
	free(tr->lab_pic_off);
	free(tr->all_pic);
	free(tr->fill);
	free(tr->text_in);
	free(tr->pic_in);
	free(tr->ex);
	free(tr->E);
	free(tr->Gp);
	free(tr->dZp);
	free(tr->pic_rows);
	free(tr->G);
	free(tr->Z);
	free(tr->T);
	free(tr->Ht);
	free(tr->Hi);
	free(tr->P);
	free(tr->dP);
	for (int k = 0; k < N_ADAM; k++) {
		free(tr->grad[k]);
		free(tr->adam[k].m);
		free(tr->adam[k].v);
	}
	free(tr->acc_wt);
	free(tr->acc_pt);
}

/* Text features (idf fitted on every question), GloVe vectors, standardised pictures,
 * label → answers, buffers.  Fills base's feat and e_mean/e_sd.  0 ok, -1 with err. */
static int prepare(struct trainer *tr, struct fu_model *base, char *err, size_t errlen)
{
	const struct fu_data *d = tr->d;
	const struct fu_opts *o = tr->o;
	size_t De = (size_t)d->dim, A = d->n_answers, H = (size_t)o->hidden, B = (size_t)o->batch;
	size_t nt = d->n_texts, np = d->n_pictures, nl = d->n_labels;
	struct nlu_fx *fx = nlu_fx_create();
	struct nlu_sparse sp = { 0 };
	int rc = -1;

	base->feat.cfg = (struct nlu_feat_cfg){ .bits = o->bits, .char_min = 1, .char_max = 5,
						.word_bigrams = 1 };
	base->feat.dim = 1u << o->bits;
	base->de = (uint32_t)De;
	base->e_mean = calloc(De, sizeof(float));
	base->e_sd = calloc(De, sizeof(float));
	tr->xs = calloc(nt + 1, sizeof *tr->xs);
	tr->has_g = calloc(nt + 1, 1);
	tr->es = malloc(sizeof(float) * (np * De + 1));
	tr->lab_ans = malloc(sizeof(int) * (A + 1));
	tr->lab_ans_off = calloc(nl + 2, sizeof(int));
	tr->lab_pic = malloc(sizeof(int) * (np + 1));
	tr->lab_pic_off = calloc(nl + 2, sizeof(int));
	tr->all_pic = malloc(sizeof(int) * (np + 1));
	tr->fill = calloc(nl + 1, sizeof(int));
	tr->text_in = malloc(nt + 1);
	tr->pic_in = malloc(np + 1);
	tr->E = malloc(sizeof(float) * B * De);
	tr->G = malloc(sizeof(float) * B * FU_GLOVE_DIM);
	tr->Gp = malloc(sizeof(float) * B * FU_GLOVE_DIM);
	tr->dZp = malloc(sizeof(float) * B * A);
	tr->pic_rows = malloc(sizeof(int) * B);
	tr->Z = malloc(sizeof(float) * B * A);
	tr->T = malloc(sizeof(float) * B * A);
	tr->Ht = malloc(sizeof(float) * (B * H + 1));
	tr->Hi = malloc(sizeof(float) * (B * H + 1));
	tr->P = malloc(sizeof(float) * (B * H + 1));
	tr->dP = malloc(sizeof(float) * (B * H + 1));
	tr->acc_wt = malloc(sizeof(float) * base->feat.dim);
	tr->acc_pt = malloc(sizeof(float) * base->feat.dim);
	size_t gsz[N_ADAM] = { FU_GLOVE_DIM * A, De * A, A, FU_GLOVE_DIM * H + 1, De * H + 1,
			       H * A + 1 };
	int bad = !fx || !base->e_mean || !base->e_sd || !tr->xs || !tr->has_g || !tr->es ||
		  !tr->lab_ans || !tr->lab_ans_off || !tr->lab_pic || !tr->lab_pic_off ||
		  !tr->all_pic || !tr->fill || !tr->text_in || !tr->pic_in || !tr->E || !tr->G || !tr->Z ||
		  !tr->Gp || !tr->dZp || !tr->pic_rows ||
		  !tr->T || !tr->Ht || !tr->Hi || !tr->P || !tr->dP || !tr->acc_wt ||
		  !tr->acc_pt || nlu_sparse_alloc(&sp, NLU_FEAT_MAX);
	for (int k = 0; k < N_ADAM && !bad; k++) {
		tr->grad[k] = calloc(gsz[k], sizeof(float));
		tr->adam[k].m = calloc(gsz[k], sizeof(float));
		tr->adam[k].v = calloc(gsz[k], sizeof(float));
		bad = !tr->grad[k] || !tr->adam[k].m || !tr->adam[k].v;
	}
	if (bad || (o->glove && !(tr->gs = malloc(sizeof(float) * (nt + 1) * FU_GLOVE_DIM)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (nt && nlu_feat_fit_idf(&base->feat, fx, (char *const *)d->texts, nt)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t t = 0; t < nt; t++) {
		int k = nlu_feat_vector(&base->feat, fx, d->texts[t], strlen(d->texts[t]), &sp);
		if (k < 0) {
			snprintf(err, errlen, "question %zu is not valid UTF-8", t);
			goto out;
		}
		if (nlu_sparse_alloc(&tr->xs[t], (uint32_t)k + 1)) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		memcpy(tr->xs[t].idx, sp.idx, sizeof(uint32_t) * (size_t)k);
		memcpy(tr->xs[t].val, sp.val, sizeof(float) * (size_t)k);
		tr->xs[t].nnz = (uint32_t)k;
		if (o->glove && k > 0)
			tr->has_g[t] = nlu_fx_dense(fx, o->glove, tr->gs + t * FU_GLOVE_DIM) > 0;
	}
	/* embedding standardisation over every picture */
	for (size_t j = 0; j < De; j++) {
		double s = 0, ss = 0;
		for (size_t p = 0; p < np; p++) {
			double v = d->embeds[p * De + j];
			s += v;
			ss += v * v;
		}
		double mean = np ? s / (double)np : 0, var = np ? ss / (double)np - mean * mean : 0;
		base->e_mean[j] = (float)mean;
		base->e_sd[j] = var > 1e-12 ? (float)sqrt(var) : 1.f;
	}
	for (size_t p = 0; p < np; p++)
		fu_standardise(base, d->embeds + p * De, tr->es + p * De);
	for (size_t a = 0; a < A; a++)
		if (d->answer_label[a] >= 0)
			tr->lab_ans_off[d->answer_label[a] + 1]++;
	for (size_t l = 0; l < nl; l++)
		tr->lab_ans_off[l + 1] += tr->lab_ans_off[l];
	{
		int *fill = calloc(nl + 1, sizeof(int));
		if (!fill) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		for (size_t a = 0; a < A; a++) {
			int l = d->answer_label[a];
			if (l >= 0)
				tr->lab_ans[tr->lab_ans_off[l] + fill[l]++] = (int)a;
		}
		free(fill);
	}
	rc = 0;
out:
	nlu_sparse_free(&sp);
	nlu_fx_destroy(fx);
	return rc;
}

struct fu_model *fu_model_train(const struct fu_data *d, const struct fu_opts *o,
				struct fu_train_stats *st, char *err, size_t errlen)
{
	struct trainer tr = { .d = d, .o = o };
	struct fu_model base = { 0 }, *held = NULL, *m = NULL;
	struct fu_train_stats dummy;
	uint64_t t0 = cm_now_us(), s = o->seed * 31 + 5;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof *st);
	if (check_data(d, o, err, errlen))
		return NULL;
	if (prepare(&tr, &base, err, errlen))
		goto out;
	hold_out(tr.text_in, d->n_texts, d->text_answer, d->n_answers, o->val_frac, &s);
	hold_out(tr.pic_in, d->n_pictures, d->picture_label, d->n_labels, o->val_frac, &s);
	if (hold_out_same_texts(tr.text_in, d->texts, d->n_texts)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	tr.epochs_total = o->epochs * (o->val_frac > 0 ? 2 : 1);
	st->temperature[0] = st->temperature[1] = st->temperature[2] = 1.f;
	st->held_out_accuracy[0] = st->held_out_accuracy[1] = st->held_out_accuracy[2] = -1;
	float temp[3] = { 1.f, 1.f, 1.f };
	if (o->val_frac > 0) {
		if (!(held = model_shell(d, o, &base)) || fit(&tr, held, NULL) ||
		    calibrate(&tr, st)) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		memcpy(temp, held->temp, sizeof temp);
	}
	memset(tr.text_in, 1, d->n_texts);
	memset(tr.pic_in, 1, d->n_pictures);
	if (!(m = model_shell(d, o, &base)) || fit(&tr, m, st)) {
		snprintf(err, errlen, "out of memory");
		fu_model_destroy(m);
		m = NULL;
		goto out;
	}
	memcpy(m->temp, temp, sizeof temp);
	/* the idf moves from base to the model */
	m->feat.idf = base.feat.idf;
	m->feat.own_idf = 1;
	base.feat.idf = NULL;
	base.feat.own_idf = 0;
	m->glove = o->glove;
	st->train_seconds = (double)(cm_now_us() - t0) / 1e6;
out:
	fu_model_destroy(held);
	nlu_feat_free(&base.feat);
	free(base.e_mean);
	free(base.e_sd);
	trainer_free(&tr);
	return m;
}
