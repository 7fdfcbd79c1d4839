/* fusion/fusion_int.h — the fused model's layout, shared by model.c (answering),
 * train.c (training) and file.c (model files).  Not part of the contract (fusion.h).
 *
 * All matrices are row-major float32, one row per input feature ("dim × A" means
 * dim rows of A answers), so a sparse feature's weights are one contiguous row.
 * Threads: immutable once trained or loaded; see fusion.h.
 */
#ifndef KEFU_FUSION_INT_H
#define KEFU_FUSION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fusion.h"
#include "model.h"              /* nlu/: hashed features, sparse vectors, model files */

#define FU_GLOVE_DIM 100        /* = NLU_GLOVE_DIM (checked in model.c) */

enum fu_case { FU_CASE_TEXT = 0, FU_CASE_IMAGE = 1, FU_CASE_BOTH = 2 };

struct fu_model {
	struct nlu_feat feat;          /* text features: config + idf (owned) */
	uint32_t n_ans;                /* A */
	uint32_t dt;                   /* sparse text dim, 1 << bits */
	uint32_t de;                   /* image embedding dim */
	uint32_t h;                    /* rank of ψ (0: none) */
	int dense;                     /* 1: GloVe sentence vector used */
	const struct nlu_glove *glove; /* not owned */
	float *wt;                     /* dt × A   φ_text, sparse rows */
	float *wg;                     /* 100 × A  φ_text, GloVe part (dense only) */
	float *wi;                     /* de × A   φ_image */
	float *b;                      /* A */
	float *pt;                     /* dt × h   ψ: text side, sparse rows */
	float *qt;                     /* 100 × h  ψ: text side, GloVe part */
	float *pe;                     /* de × h   ψ: image side */
	float *c;                      /* h × A    ψ: per-answer mix of the rank-h product */
	float *e_mean, *e_sd;          /* de: embedding standardisation (train pictures) */
	float temp[3];                 /* per enum fu_case */
	int64_t *ids;                  /* A store ids */
	char embed_name[64];
};

struct fu_state {
	const struct fu_model *m;
	struct nlu_fx *fx;
	struct nlu_sparse sp;
	float g[FU_GLOVE_DIM];
	float *e;                      /* de: standardised embedding */
	float *z;                      /* A: logits, then probabilities */
	float *ht, *hi;                /* h each */
};

/* Allocates every weight array of m (zeroed) for its n_ans, dt, de, h, dense and the ids.
 * 0 ok, -1 out of memory (m is then half-built: fu_model_destroy frees it). */
int fu_model_alloc(struct fu_model *m);

/* Logits of one example into z[A]: x (may be NULL or empty: no words), g (NULL: none),
 * e (standardised; NULL: no picture).  ht/hi (h floats each, may be NULL when h is 0 or
 * psi is 0) get the two tanh layers.  psi 0 leaves ψ out. */
void fu_logits(const struct fu_model *m, const struct nlu_sparse *x, const float *g,
	       const float *e, int psi, float *ht, float *hi, float *z);

/* Standardises an embedding into out[de] with the model's mean and sd. */
void fu_standardise(const struct fu_model *m, const float *emb, float *out);

#endif
