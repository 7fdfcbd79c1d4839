/* fusion/file.c — fused model files: nlu/model_file.c's versioned container with kind
 * "FUSE" (version FU_VERSION), stored in the answer store as model kind "fusion".
 *
 * Tensors: config (I32: bits, char n-gram min/max, word bigrams, answers, embedding size,
 * rank of ψ, GloVe used), temperature (F32 × 3), ids (I32 answers × 2: low, high 32
 * bits), embed_name (U8 × 64), idf (F16), wt and pt (F16, the sparse text rows, widened
 * at load), wg, qt, wi, b, pe, c, e_mean, e_sd (F32).  Tensors of an absent part (no ψ,
 * no GloVe) are left out.  Every size is checked against the config at load.
 *
 * Any thread: pure functions of their arguments (the store one uses the caller's
 * connection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion_int.h"
#include "store.h"
#include "tensor.h"

static const char KIND[4] = { 'F', 'U', 'S', 'E' };

enum { C_BITS, C_CMIN, C_CMAX, C_BIGRAMS, C_ANS, C_DE, C_H, C_DENSE, C_N };

static void add_f16(struct nlu_mf_writer *w, const char *name, const float *x, uint32_t rows,
		    uint32_t cols)
{
	size_t n = (size_t)rows * cols;
	uint16_t *h = malloc(sizeof *h * (n ? n : 1));
	if (!h) {
		w->failed = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		h[i] = cm_f16_from_f32(x[i]);
	uint32_t dims[2] = { rows, cols };
	nlu_mf_add(w, name, NLU_F16, 2, dims, h);
	free(h);
}

static void add_f32(struct nlu_mf_writer *w, const char *name, const float *x, uint32_t rows,
		    uint32_t cols)
{
	uint32_t dims[2] = { rows, cols };
	nlu_mf_add(w, name, NLU_F32, 2, dims, x);
}

int fu_model_save(const struct fu_model *m, void **blob, size_t *len)
{
	struct nlu_mf_writer w;
	int32_t cfg[C_N] = { m->feat.cfg.bits, m->feat.cfg.char_min, m->feat.cfg.char_max,
			     m->feat.cfg.word_bigrams, (int32_t)m->n_ans, (int32_t)m->de,
			     (int32_t)m->h, m->dense };
	uint32_t d1 = C_N, d3 = 3, d64 = 64, dids[2] = { m->n_ans, 2 };
	uint32_t *ids = malloc(sizeof *ids * 2 * m->n_ans);

	if (!ids)
		return -1;
	for (uint32_t i = 0; i < m->n_ans; i++) {
		ids[2 * i] = (uint32_t)((uint64_t)m->ids[i] & 0xffffffffu);
		ids[2 * i + 1] = (uint32_t)((uint64_t)m->ids[i] >> 32);
	}
	nlu_mf_writer_init(&w);
	nlu_mf_add(&w, "config", NLU_I32, 1, &d1, cfg);
	nlu_mf_add(&w, "temperature", NLU_F32, 1, &d3, m->temp);
	nlu_mf_add(&w, "ids", NLU_I32, 2, dids, ids);
	nlu_mf_add(&w, "embed_name", NLU_U8, 1, &d64, m->embed_name);
	add_f16(&w, "idf", m->feat.idf, 1, m->dt);
	add_f16(&w, "wt", m->wt, m->dt, m->n_ans);
	add_f32(&w, "wi", m->wi, m->de, m->n_ans);
	add_f32(&w, "b", m->b, 1, m->n_ans);
	add_f32(&w, "e_mean", m->e_mean, 1, m->de);
	add_f32(&w, "e_sd", m->e_sd, 1, m->de);
	if (m->dense)
		add_f32(&w, "wg", m->wg, FU_GLOVE_DIM, m->n_ans);
	if (m->h) {
		add_f16(&w, "pt", m->pt, m->dt, m->h);
		add_f32(&w, "pe", m->pe, m->de, m->h);
		add_f32(&w, "c", m->c, m->h, m->n_ans);
		if (m->dense)
			add_f32(&w, "qt", m->qt, FU_GLOVE_DIM, m->h);
	}
	free(ids);
	int rc = nlu_mf_finish(&w, KIND, FU_VERSION, blob, len);
	nlu_mf_writer_free(&w);
	return rc;
}

/* Copies tensor name (dtype F32 or F16, exactly rows × cols values) into dst.  0 ok, -1
 * with a message. */
static int get(const struct nlu_mf *mf, const char *name, enum nlu_dtype dt, float *dst,
	       uint32_t rows, uint32_t cols, char *err, size_t errlen)
{
	struct nlu_mf_tensor t;
	const unsigned char *p = nlu_mf_get(mf, name, dt, &t, err, errlen);
	size_t n = (size_t)rows * cols, es = dt == NLU_F16 ? 2 : 4;
	if (!p)
		return -1;
	if (t.nbytes != n * es) {
		snprintf(err, errlen, "fusion model tensor '%s' has %llu bytes, want %zu", name,
			 (unsigned long long)t.nbytes, n * es);
		return -1;
	}
	if (dt == NLU_F32) {
		memcpy(dst, p, n * es);
	} else {
		cm_f32_from_f16_n(dst, p, n);
	}
	return 0;
}

struct fu_model *fu_model_load(const void *blob, size_t len, const struct nlu_glove *glove,
			       char *err, size_t errlen)
{
	struct nlu_mf mf;
	struct nlu_mf_tensor t;
	const unsigned char *p;
	int32_t cfg[C_N];
	struct fu_model *m = NULL;

	if (nlu_mf_open(&mf, blob, len, KIND, FU_VERSION, 1, err, errlen))
		return NULL;
	if (!(p = nlu_mf_get(&mf, "config", NLU_I32, &t, err, errlen)))
		return NULL;
	if (t.nbytes != sizeof cfg) {
		snprintf(err, errlen, "fusion model config has %llu bytes",
			 (unsigned long long)t.nbytes);
		return NULL;
	}
	memcpy(cfg, p, sizeof cfg);
	if (cfg[C_BITS] < 8 || cfg[C_BITS] > 20 || cfg[C_ANS] < 1 || cfg[C_DE] < 1 ||
	    cfg[C_DE] > 1 << 16 || cfg[C_H] < 0 || cfg[C_H] > 1024 || cfg[C_CMIN] < 0 ||
	    cfg[C_CMAX] > 16 || cfg[C_DENSE] < 0 || cfg[C_DENSE] > 1) {
		snprintf(err, errlen, "fusion model config out of range");
		return NULL;
	}
	if (cfg[C_DENSE] && !glove) {
		snprintf(err, errlen, "fusion model was trained with word vectors, which are not "
			 "loaded (models/glove-100d.kfv)");
		return NULL;
	}
	/* Every value allocated below is read from a tensor of at least 2 bytes a value:
	   a configuration the file is too small to fill is refused before allocating
	   (a 4 KB file could otherwise ask for gigabytes). */
	uint64_t dt = 1ull << cfg[C_BITS], na = (uint64_t)cfg[C_ANS], de = (uint64_t)cfg[C_DE],
		 nh = (uint64_t)cfg[C_H], dg = cfg[C_DENSE] ? FU_GLOVE_DIM : 0;
	if (2 * (dt * (1 + na + nh) + de * (2 + na + nh) + na * (1 + nh + dg) + nh * dg) > len) {
		snprintf(err, errlen, "fusion model file is too small for its configuration");
		return NULL;
	}
	if (!(m = calloc(1, sizeof *m)))
		goto nomem;
	m->feat.cfg = (struct nlu_feat_cfg){ .bits = cfg[C_BITS], .char_min = cfg[C_CMIN],
					     .char_max = cfg[C_CMAX],
					     .word_bigrams = cfg[C_BIGRAMS] };
	m->dt = m->feat.dim = 1u << cfg[C_BITS];
	m->n_ans = (uint32_t)cfg[C_ANS];
	m->de = (uint32_t)cfg[C_DE];
	m->h = (uint32_t)cfg[C_H];
	m->dense = cfg[C_DENSE];
	m->glove = m->dense ? glove : NULL;
	if (fu_model_alloc(m) || !(m->feat.idf = malloc(sizeof(float) * m->dt)))
		goto nomem;
	m->feat.own_idf = 1;
	if (get(&mf, "temperature", NLU_F32, m->temp, 1, 3, err, errlen) ||
	    get(&mf, "idf", NLU_F16, m->feat.idf, 1, m->dt, err, errlen) ||
	    get(&mf, "wt", NLU_F16, m->wt, m->dt, m->n_ans, err, errlen) ||
	    get(&mf, "wi", NLU_F32, m->wi, m->de, m->n_ans, err, errlen) ||
	    get(&mf, "b", NLU_F32, m->b, 1, m->n_ans, err, errlen) ||
	    get(&mf, "e_mean", NLU_F32, m->e_mean, 1, m->de, err, errlen) ||
	    get(&mf, "e_sd", NLU_F32, m->e_sd, 1, m->de, err, errlen) ||
	    (m->dense && get(&mf, "wg", NLU_F32, m->wg, FU_GLOVE_DIM, m->n_ans, err, errlen)) ||
	    (m->h && (get(&mf, "pt", NLU_F16, m->pt, m->dt, m->h, err, errlen) ||
		      get(&mf, "pe", NLU_F32, m->pe, m->de, m->h, err, errlen) ||
		      get(&mf, "c", NLU_F32, m->c, m->h, m->n_ans, err, errlen) ||
		      (m->dense && get(&mf, "qt", NLU_F32, m->qt, FU_GLOVE_DIM, m->h, err,
				       errlen)))))
		goto fail;
	for (int c = 0; c < 3; c++)
		if (!(m->temp[c] > 0)) {
			snprintf(err, errlen, "fusion model temperature %d is not positive", c);
			goto fail;
		}
	for (uint32_t j = 0; j < m->de; j++)
		if (!(m->e_sd[j] > 0)) {
			snprintf(err, errlen, "fusion model embedding scale %u is not positive", j);
			goto fail;
		}
	if (!(p = nlu_mf_get(&mf, "ids", NLU_I32, &t, err, errlen)))
		goto fail;
	if (t.nbytes != 8ull * m->n_ans) {
		snprintf(err, errlen, "fusion model ids have %llu bytes",
			 (unsigned long long)t.nbytes);
		goto fail;
	}
	for (uint32_t i = 0; i < m->n_ans; i++) {
		uint32_t lo, hi;
		memcpy(&lo, p + 8 * i, 4);
		memcpy(&hi, p + 8 * i + 4, 4);
		m->ids[i] = (int64_t)((uint64_t)hi << 32 | lo);
	}
	if (!(p = nlu_mf_get(&mf, "embed_name", NLU_U8, &t, err, errlen)))
		goto fail;
	size_t n = t.nbytes < sizeof m->embed_name ? t.nbytes : sizeof m->embed_name - 1;
	memcpy(m->embed_name, p, n);
	m->embed_name[n] = 0;
	return m;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	fu_model_destroy(m);
	return NULL;
}

struct fu_model *fu_model_load_store(struct store *st, const struct nlu_glove *glove,
				     int *none, char *err, size_t errlen)
{
	void *blob = NULL;
	size_t len = 0;
	int64_t version = 0;
	int rc = store_model_latest(st, "fusion", &blob, &len, &version);

	if (none)
		*none = rc == STORE_NOT_FOUND;
	if (rc == STORE_NOT_FOUND) {
		snprintf(err, errlen, "no fusion model in the store (run kefu train)");
		return NULL;
	}
	if (rc) {
		snprintf(err, errlen, "reading the fusion model: %s", store_errmsg(st));
		return NULL;
	}
	char msg[400];
	struct fu_model *m = fu_model_load(blob, len, glove, msg, sizeof msg);
	free(blob);
	if (!m)
		snprintf(err, errlen, "fusion model v%lld: %s", (long long)version, msg);
	return m;
}
