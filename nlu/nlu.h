/* nlu/nlu.h — the public contract of kefu's text understanding.
 *
 * A `struct nlu_bot` is an immutable snapshot of everything needed to answer a text:
 * the enabled answers (id, title, body, language) and the model that ranks them
 * (the BM25 retriever over example questions, or a trained model loaded from the
 * store when one exists and matches the store's data).  It is built once, shared
 * read-only by every worker thread, and reference-counted so the daemon can swap in a
 * newly trained bot (SIGHUP) while workers still finish with the old one.
 *
 * Each worker owns one `struct nlu_state` (scratch memory) per bot; nothing is
 * allocated per request on the hot path.  nlu_bot_reply is the single place that turns
 * a customer's text into kefu's reply: kefud's workers, `kefu ask` and `kefu eval` all
 * call it, so the CLI's answer is exactly the daemon's.
 *
 * nlu depends on store/ through nlu_bot_load (which reads answers, examples and the
 * latest "nlu" model blob) and the trainer (train.c: reads the examples, saves the model).
 */
#ifndef KEFU_NLU_H
#define KEFU_NLU_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct store_texts;
struct nlu_bot;
struct nlu_state;

#define NLU_MAX_QUICK 3

struct nlu_opts {
	double threshold;   /* calibrated confidence below which the reply is a fallback
			       (a trained model tuned on out-of-scope examples uses its own
			       tuned threshold and margin instead) */
	const char *models; /* folder of converted pretrained weights (conf `models`);
			       NULL: the build's default, <source>/models */
};

/* Builds a bot from the store.  Returns NULL with a message in err on failure (for
 * example a store with no answers).  The returned bot has one reference. */
struct nlu_bot *nlu_bot_load(struct store *st, const struct nlu_opts *opts,
			     char *err, size_t errlen);
void nlu_bot_ref(struct nlu_bot *bot);     /* any thread (atomic) */
void nlu_bot_unref(struct nlu_bot *bot);   /* frees on the last reference */
/* Human-readable description of the model in use ("bm25", "linear v3", ...). */
const char *nlu_bot_describe(const struct nlu_bot *bot);
size_t nlu_bot_n_answers(const struct nlu_bot *bot);
/* The customer-facing texts the bot was loaded with (store.h store_text; NULL, meaning
 * the defaults, for a bot built without a store).  They live as long as the bot: kefud
 * reads its greeting, refusal and hand-off texts here, so SIGHUP reloads them with it. */
const struct store_texts *nlu_bot_texts(const struct nlu_bot *bot);

/* Scratch state for one thread and one bot.  NULL on allocation failure. */
struct nlu_state *nlu_state_create(const struct nlu_bot *bot);
void nlu_state_destroy(struct nlu_state *s);

struct nlu_choice {
	int64_t answer_id;
	const char *title;  /* points into the bot: valid while the caller holds a reference */
};

struct nlu_reply {
	int64_t answer_id;        /* chosen answer; 0 when fallback */
	const char *title;        /* of the chosen answer, or NULL */
	const char *text;         /* Markdown reply text (answer body, or the fallback prompt) */
	double confidence;        /* calibrated, in [0,1] */
	int fallback;             /* 1: below threshold, text asks the customer to choose */
	int n_quick;              /* closest answers offered as quick replies */
	struct nlu_choice quick[NLU_MAX_QUICK];
	const char *lang;         /* "en" or "zh": language the reply is written in */
};

/* Answers text[0..len) (valid UTF-8, already checked by the caller).  Fills out; every
 * pointer in it points into bot and stays valid while the caller holds its reference.
 * Returns 0, or -1 if the text is empty after normalisation or holds no word or CJK
 * character (only spaces, punctuation, emoji): out is then a fallback asking the
 * customer to type a question, with no quick replies.  An exact (normalised) answer
 * title, as a quick-reply button sends it, selects that answer with confidence 1.
 * Runs on the calling thread, allocation-free. */
int nlu_bot_reply(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
		  size_t len, struct nlu_reply *out);

/* One answer and the bot's probability for it (nlu_bot_posterior). */
struct nlu_scored {
	int64_t answer_id;
	float p;
};

/* The bot's probabilities of its most likely answers for text[0..len): at most max
 * entries, best first; returns how many (0 when the text holds no word).  With a trained
 * model: its calibrated softmax over the answers (the out-of-scope class left out, so
 * the entries may sum to less than 1); BM25: a softmax of the ranked answers' scores at
 * the bot's temperature, scaled by the reply's confidence.  An exact answer title gives
 * that answer p = 1.  The answer policy (policy/) combines it with a picture's evidence.
 * Runs on the calling thread with s, allocation-free. */
int nlu_bot_posterior(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
		      size_t len, struct nlu_scored *out, int max);

/* kefu's sentence vector of text[0..len) (valid UTF-8) into out[0..max): the trained
 * model's sequence half (nlu/seq.c), unit length, trained so that example questions of
 * one answer lie close together and apart from the others' (cosine = dot product).  The
 * same space serves answer choice, nearest examples, clustering and fusion.  Returns its
 * dimension (NLU_SENTENCE_DIM for today's models), or 0 when the bot has no such model
 * (BM25, a model trained before it), max is too small, or the text holds no word.  Runs
 * on the calling thread with s, allocation-free. */
#define NLU_SENTENCE_DIM 128
int nlu_bot_sentence_vector(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
			    size_t len, float *out, int max);

/* The enabled answer id of the bot: 0 with *title, *body, *lang pointing into the bot
 * (valid while the caller holds its reference), or -1 when the bot has no such answer
 * (disabled or deleted since the bot was loaded).  Any thread. */
int nlu_bot_answer(const struct nlu_bot *bot, int64_t id, const char **title,
		   const char **body, const char **lang);

/* ---- training (kefu train) ------------------------------------------------------ */

struct nlu_train_result {
	int64_t version;          /* of the model saved in the store */
	size_t n_examples, n_answers;
	double cv_accuracy;       /* mean over folds; < 0 when no cross-validation ran */
	double cv_macro_f1;
	int cv_folds;
	double train_seconds;     /* the final model */
	size_t model_bytes;
	char data_hash[17];       /* of the examples it was trained on (hex) */
	int dense;                /* 1: the GloVe half was trained too */
};

/* Trains kefu's text encoder on every example question of the enabled answers in st
 * (label = answer), cross-validates it with cv_folds folds (0: none), and saves it in
 * the store as model kind "nlu" with its metrics and training-data hash.  A bot loaded
 * afterwards (nlu_bot_load: kefud on SIGHUP) answers with it while the store's examples
 * still hash the same.  models: as in nlu_opts.  Runs on the caller's thread (plus one
 * helper thread while training).  0 ok; -1 with a message in err. */
int nlu_train_store(struct store *st, const char *models, int cv_folds,
		    struct nlu_train_result *out, char *err, size_t errlen);
/* Progress of nlu_train_store_ex: step(arg, stage, done, total) after each of the K
 * cross-validation folds ("cross-validation", 1..K of K + 1) and once the final model
 * is trained ("text encoder", K + 1 of K + 1; 1 of 1 without folds).  Caller's thread. */
struct nlu_progress {
	void (*step)(void *arg, const char *stage, int done, int total);
	void *arg;
};
/* nlu_train_store reporting its progress (progress may be NULL). */
int nlu_train_store_ex(struct store *st, const char *models, int cv_folds,
		       const struct nlu_progress *progress, struct nlu_train_result *out,
		       char *err, size_t errlen);

/* How nlu_train_store_opts trains and saves. */
struct nlu_train_opts {
	int cv_folds;                        /* 0: none (then no report) */
	int live;                            /* 1: the model goes live at once; 0: a
						candidate until store_model_activate */
	const struct nlu_progress *progress; /* may be NULL */
	int use;                             /* 1: a USE half too (<models>/use-lite-en.kfu;
						~2 ms of CPU per question: encoder.md); 2:
						USE teaches the cheap halves, the model
						answers without it (nlu_enc_opts_distill) */
};
/* nlu_train_store_ex that also saves the training report (cross-validated accuracy,
 * macro-F1, per answer precision/recall/F1, the most confused pairs with example
 * questions, answers with too few examples; report.c) with the model, live or a
 * candidate. */
int nlu_train_store_opts(struct store *st, const char *models, const struct nlu_train_opts *o,
			 struct nlu_train_result *out, char *err, size_t errlen);

/* Answers with fewer example questions than this are listed in the report. */
#define NLU_REPORT_FEW_EXAMPLES 10
/* Compares two training reports (JSON texts) on the questions both scored with the same
 * answer: {"questions", "candidate": {"accuracy", "macro_f1"}, "live": {...}, "better":
 * [...], "worse": [...]} (answers whose F1 rose / fell most), malloc'd; NULL when either
 * is not a report with out-of-fold predictions.  Any thread. */
char *nlu_report_compare(const char *candidate, const char *live);

#endif
