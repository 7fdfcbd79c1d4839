/* fusion/fusion.h — kefu's fused answer scorer over words and a picture (prefix fu_).
 *
 * This folder is the ψ of the seed's formula f(x_1..x_n) = Σ φ_m(x_m) + ψ(x_1..x_n): one
 * small model that scores every answer from the words (φ_text), the picture's embedding
 * (φ_image) and a learned interaction of the two (ψ), for the messages that carry a
 * picture — "can I return this?" + a photo of shoes, where the words say the intent and
 * only the picture says which product.  For an answer a:
 *
 *   z_a = b_a + φ_text(a) + φ_image(a) + ψ(a)
 *   φ_text(a)  = W_t[:,a] · x + W_g[:,a] · g      x: the text encoder's hashed sparse
 *                                                  TF-IDF vector, g: its GloVe SIF vector
 *   φ_image(a) = W_i[:,a] · e                      e: the standardised image embedding
 *   ψ(a)       = C[:,a] · (tanh(P_tᵀ x + Q_tᵀ g) ⊙ tanh(P_eᵀ e))   (low-rank bilinear)
 *
 * A missing input is a zero vector, which zeroes its φ and ψ (the hidden layers have no
 * bias), so one model answers words only, a picture only, or both.  The confidence is the
 * softmax of z / T, with one temperature per case (words, picture, both) fitted on
 * held-out examples.  docs/fusion.md explains the training data.
 *
 * Threads: a `struct fu_model` is immutable after fu_model_train / fu_model_load and is
 * shared read-only by every worker; each worker owns one `struct fu_state` per model.
 * fu_choose allocates nothing.  Training runs on the caller's thread only.
 */
#ifndef KEFU_FUSION_H
#define KEFU_FUSION_H

#include <stddef.h>
#include <stdint.h>

struct nlu_glove;
struct store;
struct fu_model;
struct fu_state;

#define FU_VERSION 1            /* format version of "FUSE" model files */

/* ---- training ---------------------------------------------------------------------- */

/* What a model learns from.  Answers index 0..n_answers-1; an answer illustrated by
 * pictures has the category (label) of those pictures, else -1.  Training examples are
 * built from these (docs/fusion.md):
 *   pair        a question of answer A + a picture of A's category -> A
 *   text-only   every question -> its answer
 *   image-only  every picture -> the answers of its category, equally (a soft target)
 *   off-topic   a question of an answer without category + any picture -> that answer
 *               (the picture must not pull a banking question towards a product).
 * A question may name its own picture category (text_label), for answers that depend on
 * which picture comes with the same words in ways the answer's category cannot say. */
struct fu_data {
	size_t n_answers;
	const int64_t *answer_ids;     /* n_answers store ids, kept in the model (may be NULL:
					  ids are then the indices) */
	const int *answer_label;       /* n_answers category indices, or -1 */
	size_t n_labels;
	size_t n_texts;
	const char *const *texts;      /* UTF-8 example questions */
	const int *text_answer;        /* n_texts answer indices */
	const int *text_label;         /* n_texts: the category of the pictures this question
					  goes with, -1 none; NULL: its answer's category */
	size_t n_pictures;
	int dim;                       /* embedding size */
	const float *embeds;           /* n_pictures × dim, as vis_see gives them */
	const int *picture_label;      /* n_pictures category indices */
};

struct fu_opts {
	int bits;              /* text features hashed into 1 << bits buckets (default 14) */
	int hidden;            /* rank of ψ; 0 = no interaction term (Σ φ only); default 32 */
	int epochs;            /* passes over the examples (default 20) */
	int batch;             /* examples per step (default 64) */
	float lr;              /* Adam step of the dense weights (default 2e-3) */
	float lr_sparse;       /* AdaGrad step of the sparse text rows (default 0.1) */
	float wd;              /* L2 weight decay (default 1e-4) */
	int pairs;             /* pictures paired with each question per epoch (default 4) */
	float offtopic;        /* off-topic pairs per epoch, at most this × the pair
				  examples (default 1) */
	float val_frac;        /* share of questions and pictures held out to fit the
				  temperatures before the final fit on everything (0.15) */
	const struct nlu_glove *glove;  /* word vectors (not owned; must outlive the model),
					  or NULL: sparse text features only */
	const char *embed_model;        /* name of the CNN the embeddings come from, kept in
					  the model so the caller can check (may be NULL) */
	uint64_t seed;
	/* Called after each epoch (of the held-out fit, then the final one) with the epochs
	   done and their total; may be NULL.  Training's progress (train/). */
	void (*on_epoch)(void *arg, int done, int total);
	void *on_epoch_arg;
};

void fu_opts_default(struct fu_opts *o);

struct fu_train_stats {
	size_t n_pair, n_text, n_image, n_offtopic;   /* examples per epoch, by kind */
	float temperature[3];  /* fitted: [0] words only, [1] picture only, [2] both */
	double held_out_accuracy[3];  /* on the held-out split, same order (< 0: none) */
	double train_seconds;
};

/* Trains a model on d.  st (may be NULL) gets the figures.  Returns the model (caller
 * destroys) or NULL with a message in err.  Caller's thread only, no helper threads;
 * call cm_blas_single_thread() first on a loaded machine. */
struct fu_model *fu_model_train(const struct fu_data *d, const struct fu_opts *o,
				struct fu_train_stats *st, char *err, size_t errlen);
void fu_model_destroy(struct fu_model *m);

/* Serialises m (the nlu/model_file.c container, kind "FUSE", version FU_VERSION); *blob
 * is malloc'd, the caller's.  0 ok, -1 out of memory. */
int fu_model_save(const struct fu_model *m, void **blob, size_t *len);
/* Reads a model file (the bytes are not kept).  glove (not owned, must outlive the model)
 * serves a model trained with word vectors; NULL refuses such a model.  NULL with a
 * clear message on a wrong magic, kind, version, checksum or a truncated body. */
struct fu_model *fu_model_load(const void *blob, size_t len, const struct nlu_glove *glove,
			       char *err, size_t errlen);
/* The latest "fusion" model of the store (store_model_latest + fu_model_load).  NULL with
 * a message when there is none (STORE_NOT_FOUND: *none set to 1) or it cannot be read. */
struct fu_model *fu_model_load_store(struct store *st, const struct nlu_glove *glove,
				     int *none, char *err, size_t errlen);

size_t fu_model_n_answers(const struct fu_model *m);
int64_t fu_model_answer_id(const struct fu_model *m, size_t i);
int fu_model_embed_dim(const struct fu_model *m);
const char *fu_model_embed_name(const struct fu_model *m);   /* "" when not recorded */
int fu_model_hidden(const struct fu_model *m);               /* rank of ψ (0: none) */

/* What `kefu train` calls (store_train.c): trains on the store's enabled answers, their
 * example questions and its labelled pictures with embeddings (an answer shows a label
 * through its own pictures or its tags: store_picture_answers_foreach), with the word
 * vectors of models (NULL: the build's models/) when present, and saves the model as
 * kind "fusion" (store_model_put) with its metrics and data hash.  Returns 0 (r filled;
 * r->skipped 1 with the reason in err when the store has no usable pictures, nothing
 * saved), or -1 with err.  Caller's thread and store connection. */
struct fu_store_result {
	int skipped;
	int64_t version;
	size_t n_answers, n_pictured_answers, n_questions, n_pictures, n_labels;
	int label_conflicts;    /* answers showing two labels (the first is kept) */
	char embed_model[64];
	char data_hash[17];
	size_t model_bytes;
	struct fu_train_stats stats;
};

int fu_train_store(struct store *st, const char *models, struct fu_store_result *r,
		   char *err, size_t errlen);
/* How fu_train_store_as saves: run (the "nlu" version of the same training, 0: none),
 * live (0: a candidate, store_model_save), and the per-epoch progress as in fu_opts. */
struct fu_save {
	int64_t run;
	int live;
	void (*on_epoch)(void *arg, int done, int total);
	void *on_epoch_arg;
};
int fu_train_store_as(struct store *st, const char *models, const struct fu_save *save,
		      struct fu_store_result *r, char *err, size_t errlen);

/* ---- answering ---------------------------------------------------------------------- */

/* One worker's scratch for one model.  NULL on allocation failure. */
struct fu_state *fu_state_create(const struct fu_model *m);
void fu_state_destroy(struct fu_state *s);

#define FU_USED_TEXT 1
#define FU_USED_IMAGE 2

#define FU_NO_INPUT 1          /* neither words with a feature nor a picture */
#define FU_E_TEXT (-1)         /* text is not valid UTF-8 */
#define FU_E_DIM (-2)          /* embedding size differs from the model's */

/* Flags of fu_choose_ex (benchmarks and tests; the daemon passes 0). */
#define FU_NO_PSI 1            /* leave ψ out: Σ φ only */

struct fu_choice {
	int index;             /* best answer (index into the model's answers), -1 if none */
	int64_t answer_id;     /* its store id (0 if none) */
	float confidence;      /* calibrated probability of that answer */
	int second;            /* runner-up index (-1 if none) */
	float second_conf;
	int used;              /* FU_USED_TEXT | FU_USED_IMAGE: which inputs counted */
};

/* Scores every answer for text[0..len) (the customer's words plus what OCR read; may be
 * empty) and embedding (dim floats: the L2-normalised embedding vis_see gives with the
 * CNN named by fu_model_embed_name; NULL when there is no picture).  Fills out; scores
 * (may be NULL) gets a pointer to the n_answers calibrated probabilities inside s, valid
 * until s is used again.  Returns 0, FU_NO_INPUT (out->index -1), FU_E_TEXT or FU_E_DIM.
 * Allocation-free; the calling thread owns s; m is only read. */
int fu_choose(const struct fu_model *m, struct fu_state *s, const char *text, size_t len,
	      const float *embedding, int dim, struct fu_choice *out, const float **scores);
int fu_choose_ex(const struct fu_model *m, struct fu_state *s, const char *text, size_t len,
		 const float *embedding, int dim, int flags, struct fu_choice *out,
		 const float **scores);

#endif
