/* nlu/nlu_int.h — nlu's internals shared by its own files, tests and benchmarks (not by
 * the daemon: it uses nlu.h only).
 *
 * nlu_bot_build turns answers and example questions held in memory into a bot; the
 * store-backed nlu_bot_load (load.c) reads them through store.h and calls it, and tests
 * and bench/nlu_v1 call it directly.  nlu_bot_rank is the scoring half of
 * nlu_bot_reply, exposed so evaluation can see the ranking and the raw evidence behind
 * the confidence.
 */
#ifndef KEFU_NLU_INT_H
#define KEFU_NLU_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bm25.h"
#include "hash.h"
#include "nlu.h"
#include "text.h"

/* ---- inputs of nlu_bot_build ------------------------------------------------------ */

struct nlu_answer_in {
	int64_t id;           /* > 0, distinct */
	const char *title;    /* copied */
	const char *body;
	const char *lang;     /* "en", "zh", ...; NULL means "en" */
};

struct nlu_example_in {
	int64_t answer_id;    /* examples of unknown answers are skipped */
	const char *text;
};

/* Tunables of the BM25 bot.  nlu_params_default() gives the values measured best on
 * BANKING77 (bench/nlu_v1); bench overrides them to measure alternatives. */
struct nlu_params {
	double k1, b;           /* BM25 */
	int skip_stop;          /* 1: English stop words are not indexed nor queried */
	int index_titles;       /* 1: each answer's title is one more example */
	int word_bigrams;       /* 1: pairs of neighbouring words are terms too */
	int knn_k;              /* top documents that vote for their answer (0: none) */
	double knn_weight;      /* answer score = best doc + knn_weight * sum of its top-k docs */
	/* confidence = sigmoid(c0 + c_cov * cov + c_margin * (s1 - s2) + c_prob * p1), where
	 * s1, s2 are the best two answer scores divided by the query weight, p1 the softmax
	 * share of the best over the ranked answers at temperature temp, and cov the
	 * coverage: the best single example's BM25 score divided by the query weight, at
	 * most 1 (how much of the question any one example explains). */
	double temp;
	double c0, c_cov, c_margin, c_prob;
};

void nlu_params_default(struct nlu_params *p);

/* Builds a bot from answers a[0..na) and examples ex[0..ne); strings are copied.
 * params may be NULL (defaults).  Returns NULL with a message in err when there is no
 * answer or memory runs out.  Runs on the caller's thread; the bot has one reference. */
struct nlu_bot *nlu_bot_build(const struct nlu_answer_in *a, size_t na,
			      const struct nlu_example_in *ex, size_t ne,
			      const struct nlu_opts *opts, const struct nlu_params *params,
			      char *err, size_t errlen);

/* ---- the bot and a worker's scratch state ----------------------------------------- */

struct nlu_button {             /* a quick-reply button an answer offers (extras.c) */
	char *title;
	char *title_norm;       /* as nlu_answer.title_norm: the button's words select... */
	uint32_t target;        /* ...this answer index */
};

struct nlu_answer {
	int64_t id;
	char *title, *body, *lang;
	char *title_norm;       /* normalised title with spaces collapsed (title match) */
	int n_follow;           /* follow-up quick replies offered with this answer */
	uint32_t follow[NLU_MAX_QUICK];   /* their answer indices */
	/* extras.c: further bodies rotated with body (turn counts the replies given), and
	 * the buttons offered with it */
	char **variants;
	size_t n_variants;
	atomic_uint turn;
	struct nlu_button *buttons;
	size_t n_buttons;
};

struct nlu_synonym {            /* a customer's word -> the store's wording (extras.c) */
	char *word, *canonical;
	size_t len;             /* of word */
};

struct nlu_bot {
	atomic_int refs;
	struct nlu_opts opts;
	struct nlu_params params;
	size_t n_answers;
	struct nlu_answer *answers;
	uint32_t *doc_answer;   /* BM25 document -> answer index */
	struct nlu_bm25 *bm25;
	uint32_t *title_slots;  /* hash of title_norm -> answer index + 1, 0 = empty */
	size_t title_mask;
	char describe[64];
	/* a trained model (bot_model.c), or NULL: the BM25 ranking answers */
	struct nlu_enc *enc;
	struct nlu_glove *glove;  /* its word vectors (NULL: linear half only) */
	struct nlu_use *use;      /* its sentence encoder (NULL: none, or no USE half) */
	int32_t *enc_answer;      /* model class -> answer index, -1: none (OOS class) */
	/* kefu's own words (store_texts_load at nlu_bot_load, NULL: the defaults), and the
	 * three the bot says itself, resolved once; [0] English, [1] Chinese */
	struct store_texts *texts;
	const char *fallback[2], *no_match[2], *empty[2];
	/* synonyms (extras.c), longest word first */
	struct nlu_synonym *syn;
	size_t n_syn;
};

/* Gives answer_id the follow-up followup_id (both answers of the bot; others are
 * skipped, as are more than NLU_MAX_QUICK): offered as quick replies whenever the bot
 * answers with answer_id.  While building, before the bot is shared. */
void nlu_bot_add_followup(struct nlu_bot *bot, int64_t answer_id, int64_t followup_id);
/* The index of the answer with id in bot->answers (sorted by id), or -1.  answer_index.c. */
long nlu_answer_index(const struct nlu_bot *bot, int64_t id);

/* ---- extras.c: variants, buttons, synonyms ----------------------------------------- */

/* Called while building (nlu_bot_load), before the bot is shared; an unknown answer id or
 * button target is skipped.  0, or -1 out of memory. */
int nlu_bot_add_variant(struct nlu_bot *bot, int64_t answer_id, const char *body);
int nlu_bot_add_button(struct nlu_bot *bot, int64_t answer_id, const char *title,
		       const char *target_title);
int nlu_bot_add_synonym(struct nlu_bot *bot, const char *word, const char *canonical);
/* Frees what the three above added (bot_free). */
void nlu_extras_free(struct nlu_bot *bot);
/* The answer index a button with the normalised, collapsed words key[0..len) selects,
 * or -1. */
long nlu_button_find(const struct nlu_bot *bot, const char *key, size_t len);
/* Fills out's answer fields from answer index i: its id, title, lang, the next of its
 * body and variants in turn, its buttons then its follow-ups as quick replies. */
void nlu_answer_give(const struct nlu_bot *bot, size_t i, struct nlu_reply *out);
/* text[0..*len) with the bot's synonyms replaced by their canonical words (in s's
 * buffer; *len updated), or text itself when none occurs or the result would not fit. */
const char *nlu_synonyms_apply(const struct nlu_bot *bot, struct nlu_state *s,
			       const char *text, size_t *len);
/* Copies src[0..len) into dst with runs of spaces made one and no space at either end;
 * returns the length (bot.c's title key). */
size_t nlu_collapse_spaces(char *dst, const char *src, size_t len);

/* Takes over t (NULL: the defaults) as bot's texts; called while building, before the
 * bot is shared. */
void nlu_bot_set_texts(struct nlu_bot *bot, struct store_texts *t);

#define NLU_QUERY_BYTES 4096   /* longer customer texts are cut (see text.h) */
#define NLU_QUERY_TOKENS 512
#define NLU_TERM_WORD_BIGRAM 16   /* nlu_hash kind of a word pair (after enum nlu_tok_kind) */
#define NLU_TITLE_BYTES 2048  /* longer normalised texts are never a title */
#define NLU_RANK_MAX 8         /* answers kept in a ranking */
#define NLU_KNN_MAX 128

struct nlu_state {
	const struct nlu_bot *bot;
	struct nlu_text *text;
	struct nlu_token tokens[NLU_QUERY_TOKENS];
	uint64_t terms[2 * NLU_QUERY_TOKENS];
	float *doc_scores;      /* [n_docs], zero between queries */
	uint32_t *doc_touched;  /* [n_docs] */
	float *ans_scores;      /* [n_answers], zero between queries */
	uint32_t *ans_touched;  /* [n_answers] */
	char norm[NLU_TITLE_BYTES];  /* collapsed normalised query (title match) */
	struct nlu_enc_scratch *enc_s;   /* for bot->enc, or NULL */
	char syn[NLU_QUERY_BYTES];       /* the text with synonyms replaced (extras.c) */
};

struct nlu_rank {
	int n;                          /* answers ranked, best first (0: nothing matched) */
	uint32_t idx[NLU_RANK_MAX];     /* answer indexes into bot->answers */
	double score[NLU_RANK_MAX];     /* answer score / query weight */
	double weight;                  /* query weight (nlu_bm25_query) */
	double coverage;                /* best example's score / weight, in [0,1] */
	double confidence;              /* calibrated, in [0,1] */
	int title_match;                /* 1: the text is an answer's title (idx[0]) */
	int cjk;                        /* 1: the text is mainly CJK */
	int empty;                      /* 1: no token at all */
};

/* ---- the trained model in a bot (bot_model.c) ------------------------------------- */

struct nlu_enc;
struct nlu_enc_scratch;
struct nlu_glove;
/* <models>/name into out (models NULL or "": kefu's own data folder's models/). */
void nlu_models_file(const char *models, const char *name, char *out, size_t outlen);

/* Hash of the training data: FNV-1a 64 folded over every example (answer id, text) in
 * store order; NLU_DATA_HASH_INIT starts it.  Written as 16 hex digits in model files. */
#define NLU_DATA_HASH_INIT CM_FNV1A_INIT
uint64_t nlu_data_hash_add(uint64_t h, int64_t answer_id, const char *text);
/* Loads the model file blob[0..len) into bot when it was trained on data hashing to
 * data_hash; its classes are answer ids.  Opens <models>/glove-100d.kfv for a model
 * with a dense half (missing vectors: linear half only, with a warning).  Returns 0, or
 * -1 with a message (corrupt file, other data): the bot then stays a BM25 bot. */
int nlu_bot_attach_model(struct nlu_bot *bot, const void *blob, size_t len, int64_t version,
			 uint64_t data_hash, const char *models, char *err, size_t errlen);
void nlu_bot_model_free(struct nlu_bot *bot);

/* Ranks the answers for text[0..len) (valid UTF-8) into out.  Returns 0, or -1 if the
 * text has no token (out->empty set).  Allocation-free; the caller's thread. */
int nlu_bot_rank(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
		 size_t len, struct nlu_rank *out);

/* The calibrated confidence of a ranking with normalised scores sc[0..n) (best first),
 * n >= 0, and coverage cov.  In [0,1]; 0 when n is 0; rises with sc[0] and cov, falls
 * with sc[1..n).  Pure. */
double nlu_confidence(const struct nlu_params *p, const double *sc, int n, double cov);

#endif
