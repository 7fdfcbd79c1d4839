/* nlu/model.h — internals of kefu's trained text encoder (φ_text), shared by the files that
 * build, train, store and evaluate it.  Not part of the public contract (nlu.h).
 *
 *   dataset.c     labelled texts from CSV (text,category) or Rasa NLU YAML
 *   features.c    hashed sparse features: stemmed word uni+bigrams, char n-grams with word
 *                 boundaries, sublinear tf × idf, L2 per block
 *   linear.c      multinomial logistic regression over those sparse vectors (AdaGrad SGD)
 *   linear_svm.c  or an exact SVM (Crammer–Singer, one-vs-rest): the default learner
 *   glove.c       mmapped GloVe vectors (.kfv) and SIF sentence vectors
 *   mlp.c         a one-hidden-layer network over the dense sentence vector
 *   augment.c     training-time augmentation (word dropout, keyboard typos)
 *   calib.c       temperature scaling and the out-of-scope threshold + margin
 *   model_file.c  the versioned blob format (magic, version, tensor table)
 *   encoder.c     the whole: train, save, load, predict, decide (use.h: the optional
 *                 USE half's sentence encoder)
 *   eval.c        train/test evaluation and k-fold cross-validation
 *
 * Threads: a trained `struct nlu_enc` is immutable and shared; each thread that predicts
 * owns a `struct nlu_enc_scratch`.  Training runs on the caller's thread plus, where a file
 * says so, helper threads it joins before returning.
 */
#ifndef KEFU_NLU_MODEL_H
#define KEFU_NLU_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct nlu_fx;
struct nlu_zhseg;
struct nlu_spell;
struct nlu_use;

/* ---- dataset.c -------------------------------------------------------------------- */

struct nlu_dataset {
	size_t n;              /* examples */
	char **texts;          /* n NUL-terminated UTF-8 texts (owned) */
	int *labels;           /* n label indices into names */
	size_t n_labels;
	char **names;          /* label names (owned) */
	size_t cap, cap_labels;
};

void nlu_dataset_init(struct nlu_dataset *d);
void nlu_dataset_free(struct nlu_dataset *d);
/* Adds one example (copies text and label; interns the label).  0 ok, -1 out of memory. */
int nlu_dataset_add(struct nlu_dataset *d, const char *text, const char *label);
/* Index of label name, or -1. */
int nlu_dataset_label(const struct nlu_dataset *d, const char *name);
/* Reads a file or a Rasa data folder (every .yml/.yaml under it): Rasa YAML when the
 * path is a folder, the name ends in .yml/.yaml or the text starts with
 * "version:" or "nlu:", else CSV with a header holding `text` and `category` (or
 * `intent`/`label`) columns.  Texts that are not valid UTF-8 or empty are refused.
 * 0 ok; -1 with a message naming the file and line in err. */
int nlu_dataset_read(const char *path, struct nlu_dataset *d, char *err, size_t errlen);
int nlu_dataset_parse_csv(const char *buf, size_t len, struct nlu_dataset *d, char *err,
			  size_t errlen);
int nlu_dataset_parse_rasa(const char *buf, size_t len, struct nlu_dataset *d, char *err,
			   size_t errlen);
/* Reads the `responses:` section of a Rasa domain (or NLU) YAML file: every `text:` of
 * `utter_NAME:` (plain, quoted, or a `|`/`>` block) becomes an example whose label is the
 * response name, in file order (so the first text of a response comes first).  Other
 * keys (buttons, image, ...) are skipped.  No responses is not an error (d unchanged).
 * 0 ok; -1 with a message naming the line in err. */
int nlu_dataset_parse_responses(const char *buf, size_t len, struct nlu_dataset *d,
				char *err, size_t errlen);

/* ---- features.c ------------------------------------------------------------------- */

struct nlu_feat_cfg {
	int bits;              /* feature space has 1 << bits buckets */
	int char_min, char_max;/* char n-gram lengths (code points) inside " word " (0: none) */
	int word_bigrams;      /* 1: add bigrams of neighbouring tokens */
	int cjk_max;           /* char 1..cjk_max-grams of each CJK run wrapped in spaces, in
				  block 1 (0: none, the format-1 features) */
	const struct nlu_zhseg *zh;  /* Chinese words of ≥ 2 characters added to block 0
				  (zhseg.h); NULL: none.  Not owned */
	const struct nlu_spell *spell;  /* unknown words corrected to a training word one
				  edit away first (spell.h); NULL: none.  Not owned */
};

struct nlu_feat {
	struct nlu_feat_cfg cfg;
	uint32_t dim;          /* 1 << bits */
	float *idf;            /* dim weights (owned, or pointing into a loaded blob) */
	int own_idf;
};

/* One text's sparse vector: nnz (index, value) pairs, duplicates allowed (they add). */
struct nlu_sparse {
	uint32_t *idx;
	float *val;
	uint32_t nnz, cap;
};

#define NLU_FEAT_MAX 4096      /* most features kept from one text */

/* One thread's feature extractor: its tokeniser and scratch (allocation-free after
 * creation).  NULL on allocation failure. */
struct nlu_fx *nlu_fx_create(void);
void nlu_fx_destroy(struct nlu_fx *fx);
/* Keys (block << 32 | bucket) of one text's hashed features, before weighting, sorted;
 * block 0 = word uni/bigrams, 1 = char n-grams.  Returns how many (≤ NLU_FEAT_MAX) and
 * points *keys at fx's scratch (valid until its next call); -1 on invalid UTF-8. */
int nlu_feat_keys(const struct nlu_feat_cfg *cfg, struct nlu_fx *fx, const char *text,
		  size_t len, const uint64_t **keys);
/* Weighted vector of a text into sp (cap ≥ NLU_FEAT_MAX): sublinear tf × idf (ones when
 * f->idf is NULL), L2 per block.  Returns nnz (0 for a text without features), or -1. */
int nlu_feat_vector(const struct nlu_feat *f, struct nlu_fx *fx, const char *text,
		    size_t len, struct nlu_sparse *sp);
/* Allocates f->idf and fits it over n texts: idf = ln((1 + n) / (1 + df)) + 1, and 0 for
 * a bucket no text has (such a feature is left out of a vector: as in a vocabulary-based
 * TF-IDF, an unseen word or a misspelling's new n-grams do not dilute the known ones). */
int nlu_feat_fit_idf(struct nlu_feat *f, struct nlu_fx *fx, char *const *texts, size_t n);
void nlu_feat_free(struct nlu_feat *f);
/* Dense sentence vector of the text last passed to nlu_feat_keys/vector on fx: the
 * SIF-weighted mean of the GloVe vectors of its words, L2-normalised and scaled by
 * NLU_DENSE_SCALE, into out[NLU_GLOVE_DIM].  Returns how many words had a vector. */
struct nlu_glove;
int nlu_fx_dense(struct nlu_fx *fx, const struct nlu_glove *g, float *out);
#define NLU_DENSE_SCALE 5.0f
/* How much of the text of the last nlu_fx_dense call its dense vector speaks for: the
 * share of its word and CJK bytes in words that have a vector.  0 when none has (the
 * vector is zero, and an MLP fed zeros answers with its class prior); GloVe has no
 * Chinese, so "olly 把灯调暗" is mostly unseen by it, and a misspelt word is unseen too.
 * The ensemble scales α by it. */
float nlu_fx_dense_share(const struct nlu_fx *fx);
/* The tokens of the text last passed to nlu_feat_keys/vector on fx (valid until fx's
 * next call) and its normalised text; *ranks gets each token's GloVe rank (-1: none) when
 * nlu_fx_dense looked them up for this text, else NULL.  Returns how many tokens.  The
 * sequence half reads them, so a prediction tokenises and looks words up once. */
struct nlu_token;
int nlu_fx_tokens(const struct nlu_fx *fx, const struct nlu_token **toks, const char **norm,
		  size_t *nlen, const int32_t **ranks);
int nlu_sparse_alloc(struct nlu_sparse *sp, uint32_t cap);
void nlu_sparse_free(struct nlu_sparse *sp);

/* ---- linear.c --------------------------------------------------------------------- */

struct nlu_linear {
	uint32_t dim, n_cls;
	float *w;              /* dim × n_cls, row per feature (trained here); NULL when wh */
	uint16_t *wh;          /* the same in half precision, as a model file holds it (a
				  loaded model: half the bytes to read per feature); or NULL */
	float *b;              /* n_cls */
	int own;
};

struct nlu_linear_opts {
	int epochs;
	float lr;              /* AdaGrad step */
	float l2;              /* L2 on touched rows */
	int threads;           /* 1 or 2: Hogwild over the examples */
	float balance;         /* class weight (n / (K · n_c))^balance on each example's
				  gradient (the SVM: on its C): 0 none, 1 fully class-balanced */
	float svm_c;           /* > 0: one-vs-rest squared-hinge SVMs of this C instead,
				  solved exactly (linear_svm.c; epochs, lr, l2 unused) */
	int svm_cs;            /* with svm_c: one Crammer–Singer multiclass SVM instead of
				  one-vs-rest (one thread) */
	int svm_auto;          /* with svm_c: C chosen on a held-out tenth of the examples
				  among 0.25, 0.5, 1, 2 (linear_svm.c) */
	float svm_nb;          /* with svm_c: λ of a naive Bayes term added to the scaled
				  weights (linear_nb.c); 0: none; < 0: λ chosen by NLL on
				  the held-out tenth (linear_svm.c) */
	uint64_t seed;
};

/* Trains on n sparse vectors xs with labels y (linear_svm.c: the SVM when o->svm_c > 0,
 * else nlu_linear_train_sgd).  Returns 0, -1 out of memory.  Runs on the caller's thread
 * and up to o->threads − 1 more, joined before it returns. */
int nlu_linear_train(struct nlu_linear *m, uint32_t dim, uint32_t n_cls,
		     const struct nlu_sparse *xs, const int *y, size_t n,
		     const struct nlu_linear_opts *o);
/* linear_nb.c: λ · log θ_cb of a multinomial naive Bayes over xs (smoothing a) added to
 * m's weights.  Returns 0, -1 out of memory. */
int nlu_linear_add_nb(struct nlu_linear *m, const struct nlu_sparse *xs, const int *y,
		      size_t n, float lambda, float smooth);
/* linear.c: multinomial logistic regression by AdaGrad SGD, the learner of before. */
int nlu_linear_train_sgd(struct nlu_linear *m, uint32_t dim, uint32_t n_cls,
			 const struct nlu_sparse *xs, const int *y, size_t n,
			 const struct nlu_linear_opts *o);
/* m zeroed, then dim × n_cls weights and n_cls biases of zeros (m owns them).  Returns 0,
 * -1 out of memory (what was allocated is m's: nlu_linear_free frees it). */
int nlu_linear_alloc(struct nlu_linear *m, uint32_t dim, uint32_t n_cls);
/* Fisher–Yates shuffle of v[n] from the xorshift state *seed (linear.c). */
void nlu_linear_shuffle(uint32_t *v, size_t n, uint64_t *seed);
/* fn(a0) on the caller's thread and, with threads = 2, fn(a1) on one more (or after it
 * when no thread can be started); returns when both are done. */
void nlu_linear_pair(void *(*fn)(void *), void *a0, void *a1, int threads);
/* logits[n_cls] = b + Σ val · w[idx] (the rows of wh widened when w is NULL: the same
 * sums as over the widened table). */
void nlu_linear_logits(const struct nlu_linear *m, const struct nlu_sparse *x, float *logits);
void nlu_linear_free(struct nlu_linear *m);

/* ---- augment.c -------------------------------------------------------------------- */

/* A noisy copy of text (keyboard typos, rarely a dropped word), malloc'd (caller frees);
 * NULL when out of memory.  s is the caller's xorshift state. */
char *nlu_augment(const char *text, uint64_t *s);

/* ---- calib.c ---------------------------------------------------------------------- */

/* Temperature minimising the mean negative log-likelihood of labels y given logits
 * (n × n_cls, row-major), searched on a log scale in [0.05, 20].  Returns T > 0. */
float nlu_calib_temperature(const float *logits, const int *y, size_t n, int n_cls);

/* Chooses the out-of-scope rule on a validation set: a prediction is refused when its
 * calibrated confidence < threshold or (top1 − top2) < margin, or when its class is
 * oos_class (≥ 0).  conf/second are the two best calibrated probabilities, pred the
 * argmax class, y the truth (oos_class for out-of-scope examples).  The rule maximises
 * (in-scope examples accepted and right) + w_oos · (OOS examples refused): w_oos is what
 * one caught out-of-scope question is worth in right answers.  With no OOS example it
 * returns threshold 0, margin 0.  */
void nlu_calib_oos(const float *conf, const float *second, const int *pred, const int *y,
		   size_t n, int oos_class, float w_oos, float *threshold, float *margin);

/* ---- model_file.c ------------------------------------------------------------------
 * A versioned container of named tensors, used for trained models (stored as blobs in
 * the answer store) and converted pretrained weights (mmapped .kfv files).  Layout,
 * little-endian:
 *   0   magic "KEFU"          4   kind, 4 chars ("NLU ", "VEC ")
 *   8   u32 format version    12  u32 n tensors
 *   16  u64 total bytes       24  u64 FNV-1a 64 of bytes [64, total)
 *   32  32 bytes reserved (0)
 *   64  n entries of 80 bytes: name[32] NUL-padded, u32 dtype, u32 rank, u32 dims[4],
 *       u64 offset, u64 nbytes
 *   then tensor data, each starting at a multiple of 64 bytes. */

enum nlu_dtype { NLU_F32 = 1, NLU_F16 = 2, NLU_I32 = 3, NLU_U8 = 4 };

#define NLU_MF_HEADER 64
#define NLU_MF_ENTRY 80

struct nlu_mf_tensor {
	char name[33];
	uint32_t dtype, rank, dims[4];
	uint64_t offset, nbytes;
};

struct nlu_mf {                /* an opened container (points into the caller's bytes) */
	const unsigned char *base;
	size_t len;
	uint32_t version, n;
	char kind[5];
};

struct nlu_mf_writer {
	unsigned char *buf;
	size_t len, cap;
	struct nlu_mf_tensor *t;
	uint32_t n, cap_t;
	int failed;
};

void nlu_mf_writer_init(struct nlu_mf_writer *w);
/* Copies a tensor in (dims: rank ≤ 4 sizes).  Errors are remembered for finish. */
void nlu_mf_add(struct nlu_mf_writer *w, const char *name, enum nlu_dtype dtype,
		uint32_t rank, const uint32_t *dims, const void *data);
/* Assembles the container; *out (malloc'd) is the caller's.  0 ok, -1 out of memory. */
int nlu_mf_finish(struct nlu_mf_writer *w, const char kind[4], uint32_t version,
		  void **out, size_t *out_len);
void nlu_mf_writer_free(struct nlu_mf_writer *w);
/* Checks magic, kind, version (must equal want_version), sizes, tensor bounds and the
 * checksum (skipped when verify_sum is 0, for large mmapped files checked at
 * conversion).  0 ok; -1 with a clear message in err. */
int nlu_mf_open(struct nlu_mf *mf, const void *data, size_t len, const char kind[4],
		uint32_t want_version, int verify_sum, char *err, size_t errlen);
/* Finds a tensor of that name and dtype; returns a pointer to its data (inside the
 * container) and fills t, or NULL with a message in err. */
const void *nlu_mf_get(const struct nlu_mf *mf, const char *name, enum nlu_dtype dtype,
		       struct nlu_mf_tensor *t, char *err, size_t errlen);
uint64_t nlu_mf_checksum(const void *p, size_t len);

/* ---- mlp.c ------------------------------------------------------------------------ */

struct nlu_mlp {
	uint32_t d_in, d_h, n_cls;
	float *w1, *b1;        /* d_h × d_in, d_h */
	float *w2, *b2;        /* n_cls × d_h, n_cls */
};

struct nlu_mlp_opts {
	uint32_t hidden;
	int epochs, batch;
	float lr;              /* Adam step */
	float wd;              /* L2 weight decay */
	uint64_t seed;
	const float *soft;     /* NULL, or a teacher's probabilities [n × n_cls] (distill.c):
				  the target is (1 − soft_w) one-hot + soft_w · its row */
	float soft_w;
};

/* Trains on n dense rows x[n × d_in] with labels y (Adam, mini-batches, one thread,
 * matrix products through common/tensor.h).  0 ok, -1 out of memory. */
int nlu_mlp_train(struct nlu_mlp *m, uint32_t d_in, uint32_t n_cls, const float *x,
		  const int *y, size_t n, const struct nlu_mlp_opts *o);
/* logits[n_cls] of one input; hidden is d_h floats of the caller's scratch. */
void nlu_mlp_logits(const struct nlu_mlp *m, const float *x, float *hidden, float *logits);
void nlu_mlp_free(struct nlu_mlp *m);

/* distill.c: a teacher's probabilities q[n × K] of the n rows x[n × d_in] (labels y): an
 * MLP of mo's shape trained on all of `folds` shuffled folds but the row's (1: on all
 * rows), softmax at temperature temp.  0 ok, -1 out of memory. */
int nlu_distill_targets(const float *x, uint32_t d_in, const int *y, size_t n, uint32_t K,
			const struct nlu_mlp_opts *mo, int folds, float temp, float *q,
			const float *xc, const uint32_t *owner, size_t m, float *qc);
/* and of m more rows xc[m × d_in], copies of the rows owner[m], into qc[m × K] (the
 * teacher that did not see the owner). */

/* neighbours.c: copies of training texts with words replaced by near GloVe words. */
struct nlu_nbr;
/* The neighbours of the words of texts[0..n).  NULL: out of memory or no g. */
struct nlu_nbr *nlu_nbr_build(const struct nlu_glove *g, char *const *texts, size_t n);
/* A copy of text, each word with neighbours replaced with probability p (at least one);
 * malloc'd (NULL: out of memory). */
char *nlu_nbr_copy(const struct nlu_nbr *nb, const char *text, float p, uint64_t *seed);
void nlu_nbr_destroy(struct nlu_nbr *nb);

/* teacher.c: what the USE encoder needs of a training set, computed once and shared
 * read-only by every training that draws on it (the folds and the final model). */
struct nlu_enc_opts;
struct nlu_teacher {
	size_t n;              /* distinct texts */
	char **text;           /* sorted; borrowed from the dataset it was built on */
	float *x;              /* [n × NLU_USE_DIM] their USE vectors × the scale */
	int copies;            /* neighbour copies per text (0: none) */
	char **copy;           /* [n × copies] copy r of text i at i · copies + r */
	float *copy_x;         /* their vectors, the same way */
};
/* The USE vectors (o->use, on o->use_threads threads) of d's distinct texts × scale and,
 * with o->glove, `copies` neighbour copies of each (a word's chance o->distill_p) with
 * theirs.  d must outlive it.  NULL: out of memory or no o->use. */
struct nlu_teacher *nlu_teacher_build(const struct nlu_dataset *d, const struct nlu_enc_opts *o,
				      int copies, float scale);
/* text's row, or -1 when it is not there. */
long nlu_teacher_find(const struct nlu_teacher *t, const char *text);
void nlu_teacher_destroy(struct nlu_teacher *t);

/* ---- seq.c, seq_train.c: the sequence encoder ---------------------------------------
 * Words in order: each token (a word, or a CJK character) is a row x_t = [P · GloVe(word)
 * ; mean of learnt hashed embeddings of its stem and character trigrams]; 1-D
 * convolutions of widths 1, 2 and 3 (filters each), max-pooled over the positions and
 * rectified, a projection to the unit sentence vector z, and a softmax head on z.
 * Trained with cross-entropy plus a supervised in-batch contrastive loss on z (examples
 * of the same label pulled together, others pushed apart), so z serves answer choice
 * and nearest-example similarity alike. */

#define NLU_SEQ_MAX_TOKENS 64  /* longer texts: the first 64 tokens */
#define NLU_SEQ_MAX_BUCKETS 16 /* hashed embeddings per token (stem + trigrams) */

struct nlu_seq_opts {
	int bits;              /* embedding table of 1 << bits rows (0: no sequence model) */
	int emb_dim;           /* learnt embedding width */
	int glove_dim;         /* GloVe projected to this width (0: no GloVe) */
	int filters;           /* per convolution width */
	int dim;               /* sentence vector */
	int epochs, batch;     /* batch: half anchors, half a same-label partner each */
	float lr;              /* Adam */
	float tau;             /* contrastive temperature */
	float lambda;          /* weight of the contrastive loss (0: cross-entropy only) */
	float dropout;         /* on the pooled features while training */
	float smooth;          /* label smoothing of the head's cross-entropy (0: none) */
	uint64_t seed;
	const float *soft;     /* as nlu_mlp_opts' soft and soft_w, for the head */
	float soft_w;
};

struct nlu_seq {
	uint32_t bits, e_dim, g_dim, filters, dim, n_cls;
	float *emb;            /* (1 << bits) × e_dim */
	float *params;         /* one block: P g×100, W (g+e)×6F, bconv 3F, Q dim×3F, q dim,
				  C n_cls×dim, c n_cls (offsets: nlu_seq_layout) */
	size_t n_params;
	const struct nlu_glove *glove;   /* not owned; NULL: the GloVe part is zero */
};

struct nlu_seq_layout {        /* offsets into nlu_seq.params */
	size_t p, w, bconv, q, qb, c, cb, total;
};
void nlu_seq_layout(const struct nlu_seq *m, struct nlu_seq_layout *l);

/* One text as the sequence model's input: per token a GloVe rank (-1: none) and hashed
 * embedding rows. */
struct nlu_seq_tok {
	int32_t rank;
	uint32_t nb;
	uint32_t b[NLU_SEQ_MAX_BUCKETS];
};
struct nlu_text;
/* Tokens of text[0..len) into toks[NLU_SEQ_MAX_TOKENS] with tk (a thread's tokeniser);
 * returns how many (0: none, -1: invalid UTF-8). */
int nlu_seq_tokens(const struct nlu_seq *m, struct nlu_text *tk, const char *text, size_t len,
		   struct nlu_seq_tok *toks);
/* The same from tokens already made by nlu_text_tokenise (raw[n], the normalised text
 * norm[nlen]) and, when ranks is not NULL, their GloVe ranks (nlu_fx_tokens). */
struct nlu_token;
int nlu_seq_tokens_of(const struct nlu_seq *m, const struct nlu_token *raw, int n,
		      const char *norm, size_t nlen, const int32_t *ranks,
		      struct nlu_seq_tok *toks);
/* The normalised GloVe vector of rank r (zeros when r < 0 or no GloVe) into g[100]. */
void nlu_seq_glove_row(const struct nlu_seq *m, int32_t r, float *g);
/* A token's learnt part: the mean of its hashed embedding rows, into x[e_dim]. */
void nlu_seq_emb_row(const struct nlu_seq *m, const struct nlu_seq_tok *k, float *x);

struct nlu_seq_scratch;
struct nlu_seq_scratch *nlu_seq_scratch_create(const struct nlu_seq *m);
void nlu_seq_scratch_destroy(struct nlu_seq_scratch *s);
/* Sentence vector z[dim] (unit length; zeros for a text without tokens) and, when
 * logits is not NULL, the head's logits[n_cls].  Returns the tokens seen (0: none).
 * Allocation-free; the calling thread owns s. */
int nlu_seq_forward(const struct nlu_seq *m, struct nlu_seq_scratch *s, const char *text,
		    size_t len, float *z, float *logits);
/* The same from tokens already made (as nlu_seq_tokens_of takes them). */
int nlu_seq_forward_tokens(const struct nlu_seq *m, struct nlu_seq_scratch *s,
			   const struct nlu_token *raw, int n, const char *norm, size_t nlen,
			   const int32_t *ranks, float *z, float *logits);
/* Trains on n texts with labels y (seq_train.c); when m already holds weights of o's
 * shape, continues from them.  0 ok, -1 out of memory. */
int nlu_seq_train(struct nlu_seq *m, const struct nlu_glove *g, char *const *texts,
		  const int *y, size_t n, uint32_t n_cls, const struct nlu_seq_opts *o);
struct nlu_mf_writer;
struct nlu_mf;
void nlu_seq_save(const struct nlu_seq *m, struct nlu_mf_writer *w);
/* Loads the "seq.*" tensors of mf (0 with m->bits 0 when there are none).  0 ok, -1
 * with a message. */
int nlu_seq_load(struct nlu_seq *m, const struct nlu_mf *mf, uint32_t n_cls,
		 const struct nlu_glove *g, char *err, size_t errlen);
void nlu_seq_free(struct nlu_seq *m);

/* Mean negative log-likelihood of y given logits at temperature t. */
double nlu_calib_nll(const float *logits, const int *y, size_t n, int n_cls, float t);

/* ---- encoder.c: the trained text encoder as a whole --------------------------------- */

#define NLU_ENC_VERSION 4      /* format version of "NLU " model files: 2 adds the CJK run
				  n-grams (config[8]), the sequence half ("seq.*") and β
				  (calibration[4]); 3 the spelling pass's vocabulary
				  ("spell.*"); 4 the USE half ("use.*": its MLP and γ);
				  version 1, 2 and 3 files still load */

#define NLU_CV_THREADS_MAX 8

struct nlu_enc_opts {
	struct nlu_feat_cfg feat;
	struct nlu_linear_opts lin;
	float val_frac;        /* share of train carved out to calibrate (when no val set) */
	int cal_folds;         /* ≥ 2: calibrate instead on every example, each scored by a
				  fit on the other folds of an inner cross-validation */
	int weight_by_acc;     /* 1: β and γ chosen by right answers on the calibration rows
				  (ties: NLL) instead of by NLL */
	float w_oos;           /* one refused OOS example is worth w_oos right answers */
	int augment;           /* extra noisy copies of each example (augment.c).  Default 0:
				  on a BANKING77 fold one copy took typo'd test questions from
				  84.7 to 87.6 % but clean ones from 91.3 to 90.7 % */
	const struct nlu_glove *glove;  /* word vectors for the dense half, or NULL */
	const char *zh_dict;   /* jieba dict.txt for Chinese word features (NLU_ZHSEG_DICT);
				  NULL (the default) or unreadable: characters only */
	int spell;             /* 1: unknown words corrected against the training words
				  first (spell.h) */
	struct nlu_mlp_opts mlp;
	float alpha;           /* weight of the dense half's log-probabilities */
	struct nlu_seq_opts seq;   /* the sequence half (seq.bits 0: none) */
	float beta;            /* its weight in the ensemble; < 0: the β in 0, 0.1, .., 1
				  best on the calibration rows (weight_by_acc) */
	int seq_refit;         /* after calibration the sequence half is trained again from
				  scratch on all the data (< 0, the default, like the other
				  halves), kept as calibrated (0), or goes on from its
				  calibrated weights for this many passes (> 0) */
	const struct nlu_use *use;  /* the Universal Sentence Encoder (use.h) for a third
				  half — its vectors → an MLP of o->mlp's shape — or NULL
				  (the default: ~2 ms of CPU per question, see encoder.md) */
	float gamma;           /* its weight in the ensemble; < 0: the γ in 0, 0.1, .., 1
				  best on the calibration rows, as β */
	float distill_dense;   /* with use: the USE half only teaches (distill.c) — the dense */
	float distill_seq;     /* and sequence halves learn (1 − w) one-hot + w · its cross-
				  fitted probabilities, the model has no USE half; 0 0: off */
	float distill_t;       /* the teacher's softmax temperature */
	int distill_folds;     /* its cross-fitting folds (1: it sees every example) */
	int distill_copies;    /* neighbour copies of each example (neighbours.c) the teacher
				  labels for the dense and sequence halves (0: none) */
	float distill_p;       /* a word's chance to be replaced in a copy */
	int distill_linear;    /* the linear half learns from the copies too: those the
				  teacher gives their original's answer (1), all with the
				  teacher's answer (2); 0: not */
	const struct nlu_teacher *teacher;  /* with use: the vectors (and copies) of every
				  text training will meet, computed beforehand (NULL: each training
				  computes its own) */
	int use_threads;       /* threads that compute USE vectors (default 2) */
	int cv_threads;        /* folds nlu_eval_cv trains at once (default 1; at most
				  NLU_CV_THREADS_MAX; the process CPU time it reports per fold
				  then includes the other folds') */
	/* Called after each cross-validation fold (nlu_eval_cv) with (folds done, k), from the
	 * thread that trained it, one call at a time; may be NULL. */
	void (*on_fold)(void *arg, int done, int total);
	void *on_fold_arg;
};

void nlu_enc_opts_default(struct nlu_enc_opts *o);
/* The USE encoder as a teacher only (`kefu eval/train --distill`, encoder.md): soft
 * targets 0.5 for the dense and sequence halves, one neighbour copy per example (a
 * word's chance 0.15), the copies the teacher keeps in their answer for the linear half
 * too.  o->use must be set for it to act. */
void nlu_enc_opts_distill(struct nlu_enc_opts *o);
/* What nlu_enc_train with o needs of the USE encoder for d's texts (o->use set): their
 * vectors and, when it teaches, their copies; for o->teacher, so that trainings on
 * parts of d (cross-validation folds) and on all of it compute them once.  NULL: out of
 * memory.  Caller's thread (and o->use_threads − 1 helpers). */
struct nlu_teacher *nlu_enc_teacher(const struct nlu_dataset *d, const struct nlu_enc_opts *o);

struct nlu_enc {
	struct nlu_feat feat;
	struct nlu_linear lin;
	struct nlu_mlp mlp;    /* dense half (d_in 0: none) */
	struct nlu_zhseg *zh;  /* Chinese lexicon (feat.cfg.zh points to it), or NULL */
	struct nlu_spell *spell;   /* training vocabulary (feat.cfg.spell points to it), or NULL */
	const struct nlu_glove *glove;   /* not owned; NULL: the dense half is not used */
	float alpha;           /* ensemble: (1 − α) log p_linear + α log p_mlp */
	struct nlu_seq seq;    /* sequence half (bits 0: none) */
	float beta;            /* ensemble: (1 − β) · the above + β log p_seq */
	struct nlu_mlp use_mlp;    /* USE half: an MLP over USE vectors (d_in 0: none) */
	const struct nlu_use *use; /* not owned; NULL: the USE half is not used (a loaded
				  model: its owner sets it, as glove) */
	float gamma;           /* ensemble: (1 − γ) · the above + γ log p_use */
	uint32_t n_cls;
	char **labels;         /* n_cls class names (owned) */
	int oos_class;         /* class learnt from out-of-scope examples, or -1 */
	float temperature;     /* logits are divided by it before the softmax */
	float threshold;       /* refuse below this calibrated confidence ... */
	float margin;          /* ... or when top1 − top2 is below this */
	int tuned;             /* 1: threshold/margin were tuned on OOS data */
	char data_hash[17];    /* hex hash of the training data ("" if not set) */
};

struct nlu_enc_pred {
	int cls;               /* best class */
	int second_cls;
	float conf, second;    /* their calibrated probabilities */
	int refuse;            /* 1: out of scope by the tuned rule (or the OOS class won) */
};

struct nlu_enc_scratch;    /* one thread's buffers for predicting with one encoder */

/* Trains on d.  oos_label (may be NULL) names the out-of-scope label; its examples are
 * learnt as a class when present.  val (may be NULL) calibrates temperature and the OOS
 * rule; without it every example of d is scored by a fit on the other cal_folds − 1
 * folds (or, cal_folds < 2, a val_frac split is carved from d, the fit on the rest),
 * those rows calibrate, and the final model is refit on all of d (under 200 examples
 * nothing is calibrated).  Returns a new encoder (caller destroys) or NULL with a
 * message.  Uses up to lin.threads threads; returns after joining them. */
struct nlu_enc *nlu_enc_train(const struct nlu_dataset *d, const char *oos_label,
			      const struct nlu_dataset *val, const struct nlu_enc_opts *o,
			      char *err, size_t errlen);
void nlu_enc_destroy(struct nlu_enc *e);
/* Serialises into a model file (malloc'd, caller frees).  0 ok, -1 out of memory. */
int nlu_enc_save(const struct nlu_enc *e, void **blob, size_t *len);
/* Reads a model file (the bytes are not kept).  NULL with a clear message on a wrong
 * magic, kind, version, checksum or a truncated body.  glove (not owned, must outlive the
 * encoder) serves a model with a dense half; when it is NULL such a model answers with
 * its linear half only. */
struct nlu_enc *nlu_enc_load(const void *blob, size_t len, const struct nlu_glove *glove,
			     char *err, size_t errlen);

struct nlu_enc_scratch *nlu_enc_scratch_create(const struct nlu_enc *e);
void nlu_enc_scratch_destroy(struct nlu_enc_scratch *s);
/* Predicts text[0..len) (valid UTF-8).  probs (may be NULL) gets a pointer to the n_cls
 * calibrated probabilities inside s.  Returns 0, or -1 when the text has no feature at
 * all (p is then a refusal).  Allocation-free; the calling thread owns s. */
int nlu_enc_predict(const struct nlu_enc *e, struct nlu_enc_scratch *s, const char *text,
		    size_t len, struct nlu_enc_pred *p, const float **probs);

/* The sequence half's unit sentence vector of text[0..len) into z[e->seq.dim]; returns
 * the dimension, or 0 when e has no sequence half or the text no token (z untouched). */
int nlu_enc_sentence(const struct nlu_enc *e, struct nlu_enc_scratch *s, const char *text,
		     size_t len, float *z);

/* ---- eval.c ----------------------------------------------------------------------- */

#define NLU_EVAL_TOP_CONFUSED 10

struct nlu_eval_result {
	size_t n_train, n_test;
	double accuracy;           /* all test examples (OOS right when refused) */
	double macro_f1;           /* over labels in truth or prediction */
	double in_scope_accuracy;  /* examples whose label is not the OOS label */
	double oos_recall;         /* < 0 when there is no OOS label */
	double train_seconds;      /* training incl. calibration and saving the model */
	double predict_us_median;  /* one query, one thread, model loaded from its file */
	double train_cpu_seconds;  /* CPU time of training, every thread (folds: mean) */
	double predict_cpu_us_median;  /* the thread's CPU time per query (folds: mean of the
					  medians) */
	double beta;               /* the sequence half's weight in the ensemble */
	double gamma;              /* the USE half's (0: none) */
	double alpha;              /* the dense (GloVe) half's weight */
	double in_scope_at_oos80;  /* in-scope accuracy at the loosest confidence threshold
				      with OOS recall >= 80 % on the test set (matched
				      operating point; < 0 without an OOS label) */
	double oos_recall_matched; /* the OOS recall that threshold reached */
	size_t model_bytes;
	double threshold, margin, temperature;
	int n_folds;
	struct { char truth[128], pred[128]; int count; } confused[NLU_EVAL_TOP_CONFUSED];
	int n_confused;
};

/* Trains on tr (calibrating on val when given), saves and reloads the model as the
 * daemon would, and scores te.  0 ok, -1 with a message. */
int nlu_eval_run(const struct nlu_dataset *tr, const struct nlu_dataset *te,
		 const struct nlu_dataset *val, const char *oos_label,
		 const struct nlu_enc_opts *o, struct nlu_eval_result *r, char *err,
		 size_t errlen);
/* k-fold cross-validation on d (folds by a fixed shuffle): metrics are the mean over
 * folds (predict time: the median of the fold medians; confusions summed). */
int nlu_eval_cv(const struct nlu_dataset *d, int k, const char *oos_label,
		const struct nlu_enc_opts *o, struct nlu_eval_result *r, char *err,
		size_t errlen);
/* nlu_eval_cv; oof (may be NULL; d->n entries) gets each example's out-of-fold
 * prediction, the label index into d->names predicted by the fold model that did not
 * see it (-1: refused).  The training report (report.c) is built from them. */
int nlu_eval_cv_oof(const struct nlu_dataset *d, int k, const char *oos_label,
		    const struct nlu_enc_opts *o, struct nlu_eval_result *r, int *oof,
		    char *err, size_t errlen);

/* In-scope accuracy at the loosest confidence threshold whose OOS recall on the test set
 * reaches want (refused: the OOS class predicted, or confidence below the threshold;
 * the margin rule left out), so systems compare at one operating point.  conf, pred_oos,
 * right, is_oos describe the n test examples; *recall gets the recall reached.  -1 when
 * out of memory. */
double nlu_eval_in_scope_at_recall(const float *conf, const char *pred_oos, const char *right,
				   const char *is_oos, size_t n, double want, double *recall);

/* ---- report.c ----------------------------------------------------------------------- */

/* Answer titles by id, for the report's tables. */
struct nlu_report_titles {
	size_t n;
	const int64_t *ids;
	char *const *titles;
};

/* The training report (JSON text, malloc'd; NULL on no memory) of d's labels (answer ids)
 * from the out-of-fold predictions oof of a folds-fold cross-validation (report.c has
 * the fields; docs/learning.md shows one).  *accuracy and *macro_f1 get its figures
 * (over all out-of-fold predictions pooled, as scikit-learn's cross_val_predict). */
char *nlu_report_build(const struct nlu_dataset *d, const int *oof, int folds,
		       const struct nlu_report_titles *titles, double *accuracy,
		       double *macro_f1);

#endif
