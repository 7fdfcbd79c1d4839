/* nlu/seq_train.c — trains the sequence encoder (seq.c): mini-batches of half anchors and
 * half a random example of each anchor's label, forward and backward through the tap
 * products (one sgemm each way), max-pooling, projection, L2 normalisation and the
 * softmax head; loss = cross-entropy + λ · supervised in-batch contrastive loss on the
 * unit sentence vectors (Khosla et al. 2020: for each example, the others of its label
 * in the batch against all the others, at temperature τ).  Dense parameters take Adam
 * steps; the hashed embedding table takes lazy Adam steps on the rows a batch touched.
 * A half that already holds weights of the options' shape continues from them (warm
 * start: the refit on all the data after calibration; Adam's moments start afresh).
 * Runs on the caller's thread (OpenBLAS as the caller set it); returns when done.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "glove.h"
#include "rng.h"
#include "seq.h"
#include "tensor.h"
#include "text.h"

static float unit(uint64_t *s)
{
	return (float)cm_xorshift64_unit(s) * 2 - 1;
}

static void init_uniform(float *p, size_t n, float a, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		p[i] = a * unit(s);
}

struct batch {                 /* buffers of one mini-batch (R rows at most) */
	float *gl, *xg, *xe, *y, *dy, *dxg, *dxe;     /* per token row */
	float *h, *mask, *u, *nu, *z, *dz, *lg, *sim, *gs, *dh;   /* per text */
	int *arg, *start, *len, *lab;
	uint32_t *ex;          /* example index of each text */
};

int nlu_seq_train(struct nlu_seq *m, const struct nlu_glove *g, char *const *texts,
		  const int *y, size_t n, uint32_t n_cls, const struct nlu_seq_opts *o)
{
	struct nlu_seq_layout l;
	struct nlu_text *tk = nlu_text_create(4096);
	uint32_t F = (uint32_t)o->filters, E = (uint32_t)o->emb_dim, G = g ? (uint32_t)o->glove_dim : 0;
	uint32_t H = SEQ_WIDTHS * F, S = (uint32_t)o->dim, K = n_cls, TF = SEQ_TAPS * F;
	uint32_t B = (uint32_t)(o->batch < 4 ? 4 : o->batch) & ~1u;
	size_t rows = (size_t)1 << o->bits, R = (size_t)B * NLU_SEQ_MAX_TOKENS;
	uint64_t seed = o->seed ? o->seed : 17;
	struct nlu_seq_tok *toks = NULL;
	size_t *off = calloc(n + 1, sizeof *off), n_tok = 0, cap_tok = n * 16 + 64;
	uint32_t *order = malloc(sizeof *order * (n ? n : 1)), *cls_start = calloc(K + 1, sizeof *cls_start);
	uint32_t *cls_ex = malloc(sizeof *cls_ex * (n ? n : 1)), *stamp = NULL, *touched = NULL;
	float *grad = NULL, *am = NULL, *av = NULL, *gemb = NULL, *em = NULL, *ev = NULL;
	float *gtab = NULL;    /* the normalised GloVe row of each distinct word, once */
	int32_t *grow = NULL;  /* GloVe rank → row of gtab (-1: none yet) */
	size_t n_grow = 0;
	struct batch b = { 0 };
	int rc = -1;
	size_t n_use = 0;

	int warm = m->emb && m->params && m->bits == (uint32_t)o->bits && m->e_dim == E &&
		   m->g_dim == G && m->filters == F && m->dim == S && m->n_cls == K;
	if (!warm) {
		nlu_seq_free(m);
		*m = (struct nlu_seq){ (uint32_t)o->bits, E, G, F, S, K, NULL, NULL, 0, g };
	}
	nlu_seq_layout(m, &l);
	m->n_params = l.total;
	if (!warm) {
		m->emb = malloc(sizeof *m->emb * rows * E);
		m->params = calloc(l.total, sizeof *m->params);
	}
	toks = malloc(sizeof *toks * cap_tok);
	grad = calloc(l.total, sizeof *grad);
	am = calloc(l.total, sizeof *am);
	av = calloc(l.total, sizeof *av);
	gemb = calloc(rows * E, sizeof *gemb);
	em = calloc(rows * E, sizeof *em);
	ev = calloc(rows * E, sizeof *ev);
	stamp = calloc(rows, sizeof *stamp);
	touched = malloc(sizeof *touched * R * NLU_SEQ_MAX_BUCKETS);
#define A(p, count) (p) = malloc(sizeof *(p) * (count) + 1)
	A(b.gl, R * NLU_GLOVE_DIM); A(b.xg, R * (G ? G : 1)); A(b.xe, R * E); A(b.y, R * TF);
	A(b.dy, R * TF); A(b.dxg, R * (G ? G : 1)); A(b.dxe, R * E);
	A(b.h, (size_t)B * H); A(b.mask, (size_t)B * H); A(b.u, (size_t)B * S); A(b.nu, B);
	A(b.z, (size_t)B * S); A(b.dz, (size_t)B * S); A(b.lg, (size_t)B * K);
	A(b.sim, (size_t)B * B); A(b.gs, (size_t)B * B); A(b.dh, (size_t)B * H);
	A(b.arg, (size_t)B * H); A(b.start, B); A(b.len, B); A(b.lab, B); A(b.ex, B);
#undef A
	if (!tk || !off || !order || !cls_start || !cls_ex || !m->emb || !m->params || !toks ||
	    !grad || !am || !av || !gemb || !em || !ev || !stamp || !touched || !b.gl ||
	    !b.xg || !b.xe || !b.y || !b.dy || !b.dxg || !b.dxe || !b.h || !b.mask || !b.u ||
	    !b.nu || !b.z || !b.dz || !b.lg || !b.sim || !b.gs || !b.dh || !b.arg ||
	    !b.start || !b.len || !b.lab || !b.ex)
		goto out;

	/* tokens of every example once; examples without a token are left out */
	for (size_t i = 0; i < n; i++) {
		if (n_tok + NLU_SEQ_MAX_TOKENS > cap_tok) {
			cap_tok = cap_tok * 2 + NLU_SEQ_MAX_TOKENS;
			struct nlu_seq_tok *nt = realloc(toks, sizeof *toks * cap_tok);
			if (!nt)
				goto out;
			toks = nt;
		}
		int T = nlu_seq_tokens(m, tk, texts[i], strlen(texts[i]), toks + n_tok);
		off[i] = n_tok;
		n_tok += T > 0 ? (size_t)T : 0;
		if (T > 0 && y[i] >= 0 && (uint32_t)y[i] < K)
			order[n_use++] = (uint32_t)i;
	}
	off[n] = n_tok;
	if (G) {               /* GloVe rows: token.rank becomes the row of gtab */
		size_t nv = nlu_glove_size(g);
		size_t n_dist = 0;
		grow = malloc(sizeof *grow * (nv ? nv : 1));
		if (!grow)
			goto out;
		memset(grow, 0xff, sizeof *grow * nv);
		for (size_t i = 0; i < n_tok; i++) {     /* count the distinct words */
			int32_t r = toks[i].rank;
			if (r >= 0 && (size_t)r < nv && grow[r] < 0)
				grow[r] = (int32_t)n_dist++;
		}
		memset(grow, 0xff, sizeof *grow * nv);
		if (!(gtab = malloc(sizeof *gtab * NLU_GLOVE_DIM * (n_dist ? n_dist : 1))))
			goto out;
		for (size_t i = 0; i < n_tok; i++) {
			int32_t r = toks[i].rank;
			if (r < 0 || (size_t)r >= nv) {
				toks[i].rank = -1;
				continue;
			}
			if (grow[r] < 0) {
				grow[r] = (int32_t)n_grow;
				nlu_seq_glove_row(m, r, gtab + n_grow++ * NLU_GLOVE_DIM);
			}
			toks[i].rank = grow[r];
		}
	}
	if (n_use < 2) {
		rc = 0;   /* nothing to learn: the head's bias only (or the warm weights) */
		if (!warm)
			memset(m->emb, 0, sizeof *m->emb * rows * E);
		goto out;
	}
	for (size_t j = 0; j < n_use; j++)     /* examples by class: counting sort */
		cls_start[y[order[j]] + 1]++;
	for (uint32_t c = 0; c < K; c++)
		cls_start[c + 1] += cls_start[c];
	{
		uint32_t *fill = calloc(K, sizeof *fill);
		if (!fill)
			goto out;
		for (size_t j = 0; j < n_use; j++) {
			int c = y[order[j]];
			cls_ex[cls_start[c] + fill[c]++] = order[j];
		}
		free(fill);
	}

	if (!warm) {
		init_uniform(m->emb, rows * E, 0.5f, &seed);
		init_uniform(m->params + l.p, (size_t)G * NLU_GLOVE_DIM, sqrtf(6.0f / (NLU_GLOVE_DIM + G)), &seed);
		init_uniform(m->params + l.w, (size_t)(G + E) * TF, sqrtf(6.0f / (2 * (G + E) + F)), &seed);
		init_uniform(m->params + l.q, (size_t)S * H, sqrtf(6.0f / (H + S)), &seed);
		init_uniform(m->params + l.c, (size_t)K * S, sqrtf(6.0f / (S + K)), &seed);
	}

	const float *Pp = m->params + l.p, *Wg = m->params + l.w;
	const float *We = m->params + l.w + (size_t)G * TF, *Q = m->params + l.q;
	const float *C = m->params + l.c;
	uint32_t half = B / 2, step_stamp = 0;
	size_t per_epoch = (n_use + B - 1) / B, next = n_use;
	long t_step = 0;
	float keep = 1 - o->dropout;

	for (int ep = 0; ep < o->epochs; ep++) {
		for (size_t it = 0; it < per_epoch; it++) {
			uint32_t nb = 0;
			size_t Rn = 0;
			/* anchors from a reshuffled order, each with a same-label partner */
			for (uint32_t a = 0; a < half; a++) {
				if (next >= n_use) {
					for (size_t i = n_use; i > 1; i--) {
						size_t k = cm_xorshift64(&seed) % i;
						uint32_t t = order[i - 1];
						order[i - 1] = order[k];
						order[k] = t;
					}
					next = 0;
				}
				uint32_t ex = order[next++];
				int c = y[ex];
				uint32_t cnt = cls_start[c + 1] - cls_start[c];
				uint32_t pa = cls_ex[cls_start[c] + cm_xorshift64(&seed) % cnt];
				uint32_t two[2] = { ex, pa };
				for (int j = 0; j < 2; j++) {
					uint32_t e = two[j];
					b.start[nb] = (int)Rn;
					b.len[nb] = (int)(off[e + 1] - off[e]);
					b.lab[nb] = y[e];
					b.ex[nb] = e;
					/* token rows: the learnt part now, GloVe's after Pᵀ */
					for (int t = 0; t < b.len[nb]; t++) {
						const struct nlu_seq_tok *k = &toks[off[e] + (size_t)t];
						size_t r = Rn + (size_t)t;
						nlu_seq_emb_row(m, k, b.xe + r * E);
						if (!G)
							continue;
						if (k->rank < 0)
							memset(b.gl + r * NLU_GLOVE_DIM, 0, sizeof *b.gl * NLU_GLOVE_DIM);
						else
							memcpy(b.gl + r * NLU_GLOVE_DIM, gtab + (size_t)k->rank * NLU_GLOVE_DIM,
							       sizeof *b.gl * NLU_GLOVE_DIM);
					}
					Rn += (size_t)b.len[nb];
					nb++;
				}
			}
			/* ---- forward ---- */
			cm_sgemm((int)Rn, (int)TF, (int)E, 1, b.xe, 0, We, 0, 0, b.y);
			if (G) {
				cm_sgemm((int)Rn, (int)G, NLU_GLOVE_DIM, 1, b.gl, 0, Pp, 1, 0, b.xg);
				cm_sgemm((int)Rn, (int)TF, (int)G, 1, b.xg, 0, Wg, 0, 1, b.y);
			}
			for (uint32_t i = 0; i < nb; i++) {
				float *h = b.h + (size_t)i * H, *mk = b.mask + (size_t)i * H;
				nlu_seq_pool(F, b.y + (size_t)b.start[i] * TF, b.len[i],
					     m->params + l.bconv, h, b.arg + (size_t)i * H);
				for (uint32_t f = 0; f < H; f++) {
					mk[f] = o->dropout > 0 && (float)cm_xorshift64_unit(&seed) < o->dropout
							? 0 : 1 / keep;
					h[f] *= mk[f];
				}
			}
			cm_sgemm((int)nb, (int)S, (int)H, 1, b.h, 0, Q, 1, 0, b.u);
			for (uint32_t i = 0; i < nb; i++) {
				float *u = b.u + (size_t)i * S, *z = b.z + (size_t)i * S;
				for (uint32_t k = 0; k < S; k++)
					u[k] += m->params[l.qb + k];
				memcpy(z, u, sizeof *z * S);
				b.nu[i] = cm_l2_normalize(S, z);
				if (!(b.nu[i] > 1e-12f))
					b.nu[i] = 1e-12f;
			}
			cm_sgemm((int)nb, (int)K, (int)S, 1, b.z, 0, C, 1, 0, b.lg);
			/* ---- backward: cross-entropy ---- */
			memset(grad, 0, sizeof *grad * l.total);
			for (uint32_t i = 0; i < nb; i++) {
				float *lg = b.lg + (size_t)i * K;
				for (uint32_t c = 0; c < K; c++)
					lg[c] += m->params[l.cb + c];
				cm_softmax(K, lg, 1.0f);
				float hard = 1 - o->smooth - (o->soft ? o->soft_w : 0);
				for (uint32_t c = 0; c < K && o->smooth > 0; c++)
					lg[c] -= o->smooth / (float)K;
				if (o->soft)   /* a teacher's share of the target (distill.c) */
					cm_axpy(K, -o->soft_w, o->soft + (size_t)b.ex[i] * K, lg);
				lg[b.lab[i]] -= hard;
				for (uint32_t c = 0; c < K; c++) {
					lg[c] /= (float)nb;
					grad[l.cb + c] += lg[c];
				}
			}
			cm_sgemm((int)nb, (int)S, (int)K, 1, b.lg, 0, C, 0, 0, b.dz);
			cm_sgemm((int)K, (int)S, (int)nb, 1, b.lg, 1, b.z, 0, 0, grad + l.c);
			/* ---- contrastive: d/dS of the mean over anchors with positives ---- */
			if (o->lambda > 0) {
				cm_sgemm((int)nb, (int)nb, (int)S, 1 / o->tau, b.z, 0, b.z, 1, 0, b.sim);
				memset(b.gs, 0, sizeof *b.gs * nb * nb);
				for (uint32_t i = 0; i < nb; i++) {
					float *s = b.sim + (size_t)i * nb, mx = -INFINITY, sum = 0;
					int np = 0;
					for (uint32_t a = 0; a < nb; a++)
						if (a != i) {
							np += b.lab[a] == b.lab[i];
							if (s[a] > mx)
								mx = s[a];
						}
					if (!np)
						continue;
					for (uint32_t a = 0; a < nb; a++)
						sum += a != i ? expf(s[a] - mx) : 0;
					for (uint32_t a = 0; a < nb; a++) {
						if (a == i)
							continue;
						float gi = expf(s[a] - mx) / sum -
							   (b.lab[a] == b.lab[i] ? 1.0f / (float)np : 0);
						gi *= o->lambda / (float)nb / o->tau;
						b.gs[(size_t)i * nb + a] += gi;
						b.gs[(size_t)a * nb + i] += gi;
					}
				}
				cm_sgemm((int)nb, (int)S, (int)nb, 1, b.gs, 0, b.z, 0, 1, b.dz);
			}
			/* ---- through the normalisation, projection, pooling ---- */
			for (uint32_t i = 0; i < nb; i++) {
				float *z = b.z + (size_t)i * S, *dz = b.dz + (size_t)i * S;
				float d = cm_dot(S, z, dz);
				for (uint32_t k = 0; k < S; k++) {
					dz[k] = (dz[k] - z[k] * d) / b.nu[i];
					grad[l.qb + k] += dz[k];
				}
			}
			cm_sgemm((int)S, (int)H, (int)nb, 1, b.dz, 1, b.h, 0, 0, grad + l.q);
			cm_sgemm((int)nb, (int)H, (int)S, 1, b.dz, 0, Q, 0, 0, b.dh);
			memset(b.dy, 0, sizeof *b.dy * Rn * TF);
			for (uint32_t i = 0; i < nb; i++) {
				const float *h = b.h + (size_t)i * H, *mk = b.mask + (size_t)i * H;
				const float *dh = b.dh + (size_t)i * H;
				const int *arg = b.arg + (size_t)i * H;
				for (uint32_t w = 1; w <= SEQ_WIDTHS; w++)
					for (uint32_t f = 0; f < F; f++) {
						uint32_t j = (w - 1) * F + f;
						if (!(h[j] > 0))
							continue;
						float d = dh[j] * mk[j];
						grad[l.bconv + j] += d;
						for (uint32_t k = 0; k < w && arg[j] + (int)k < b.len[i]; k++)
							b.dy[((size_t)b.start[i] + (size_t)arg[j] + k) * TF +
							     seq_tap(w, k) * F + f] += d;
					}
			}
			cm_sgemm((int)E, (int)TF, (int)Rn, 1, b.xe, 1, b.dy, 0, 0,
				 grad + l.w + (size_t)G * TF);
			cm_sgemm((int)Rn, (int)E, (int)TF, 1, b.dy, 0, We, 1, 0, b.dxe);
			if (G) {
				cm_sgemm((int)G, (int)TF, (int)Rn, 1, b.xg, 1, b.dy, 0, 0, grad + l.w);
				cm_sgemm((int)Rn, (int)G, (int)TF, 1, b.dy, 0, Wg, 1, 0, b.dxg);
				cm_sgemm((int)G, NLU_GLOVE_DIM, (int)Rn, 1, b.dxg, 1, b.gl, 0, 0, grad + l.p);
			}
			/* ---- steps ---- */
			t_step++;
			cm_adam_step(m->params, grad, am, av, l.total, o->lr, 0, t_step);
			size_t n_touch = 0;
			step_stamp++;
			for (uint32_t i = 0; i < nb; i++) {
				const struct nlu_seq_tok *tt = toks + off[b.ex[i]];
				for (int t = 0; t < b.len[i]; t++) {
					const float *dxe = b.dxe + ((size_t)b.start[i] + (size_t)t) * E;
					for (uint32_t q = 0; q < tt[t].nb; q++) {
						uint32_t bk = tt[t].b[q];
						if (stamp[bk] != step_stamp) {
							stamp[bk] = step_stamp;
							touched[n_touch++] = bk;
						}
						cm_axpy(E, 1.0f / (float)tt[t].nb, dxe, gemb + (size_t)bk * E);
					}
				}
			}
			for (size_t j = 0; j < n_touch; j++) {
				size_t r0 = (size_t)touched[j] * E;
				cm_adam_step(m->emb + r0, gemb + r0, em + r0, ev + r0, E, o->lr, 0, t_step);
				memset(gemb + r0, 0, sizeof *gemb * E);
			}
		}
	}
	rc = 0;
out:
	if (rc)
		nlu_seq_free(m);
	nlu_text_destroy(tk);
	free(off); free(order); free(cls_start); free(cls_ex); free(stamp); free(touched);
	free(toks); free(grad); free(gtab); free(grow); free(am); free(av); free(gemb); free(em); free(ev);
	free(b.gl); free(b.xg); free(b.xe); free(b.y); free(b.dy); free(b.dxg); free(b.dxe);
	free(b.h); free(b.mask); free(b.u); free(b.nu); free(b.z); free(b.dz); free(b.lg);
	free(b.sim); free(b.gs); free(b.dh); free(b.arg); free(b.start); free(b.len); free(b.lab); free(b.ex);
	return rc;
}
