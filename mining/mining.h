/* mining/mining.h — what customers asked that kefu could not answer (prefix mn_): the
 * rules that put a customer turn into the review queue, the clustering of the collected
 * questions on kefu's own text features, each cluster's name (its most central question
 * and key terms) and the existing answer nearest to it, and the scores that measure a
 * clustering against known categories (purity, NMI, ARI).
 *
 * One set of rules for everyone: kefud's review thread (daemon/review.c, from the
 * session log) and `kefu eval-mining` (from pol_answer's reply to each traffic
 * question) both call mn_collect, so the eval measures what the daemon collects.
 *
 * Threads: every function runs on the calling thread and touches nothing shared but
 * the bot it is given (read-only; the caller holds a reference and owns the
 * nlu_state).  mn_embed and mn_similarity allocate (they are off the reply path: the
 * review thread or a command).  docs/learning.md has the method and its figures.
 */
#ifndef KEFU_MINING_H
#define KEFU_MINING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct nlu_bot;
struct nlu_state;
struct nlu_glove;

/* ---- collection rules (collect.c) ---------------------------------------------------- */

/* Why a customer question landed in the review queue (a bit set). */
enum mn_reason {
	MN_FALLBACK = 1u << 0,     /* "fallback": kefu offered choices instead of answering */
	MN_LOW_CONF = 1u << 1,     /* "low_confidence": answered under rules.low_conf, where
				      the store does not cover the question more densely than
				      customers ask it (mn_novelty >= rules.low_conf_novelty,
				      when the novelty is known) */
	MN_THUMBS_DOWN = 1u << 2,  /* "thumbs_down": the customer voted the reply down */
	MN_REJECTED = 1u << 3,     /* "rejected": "Did you say ...?" and the customer did not
				      pick what was offered */
	MN_REPHRASE = 1u << 4,     /* "rephrase": answered, and the customer asked again right
				      after (got the same answer again, or asked much the same) */
	MN_HANDOFF = 1u << 5,      /* "handoff": the customer asked for a person after it */
	MN_NEW_TOPIC = 1u << 6,    /* "new_topic": answered, but questions like it are asked
				      far more often than the store's examples cover them
				      (mn_novelty >= rules.novelty) */
};
#define MN_N_REASONS 7

/* The wire name of one reason bit ("fallback", ...), or NULL for anything else. */
const char *mn_reason_name(unsigned bit);
/* The bit of a wire name, or 0.  Pure. */
unsigned mn_reason_bit(const char *name);

struct mn_rules {
	double low_conf;           /* an answer under this confidence is collected ... */
	double low_conf_novelty;   /* ... when its mn_novelty is at least this (the store's
				      examples are not denser around it than the traffic) */
	double rephrase_s;         /* "right after": the next question within this many s */
	double novelty;            /* new_topic when mn_novelty is at least this */
	int novelty_k;             /* mn_novelty's k */
};
/* The defaults (docs/learning.md: low_conf measured with bench/mining). */
void mn_rules_default(struct mn_rules *r);

/* What is known of one customer turn: kefu's reply, and what the customer did next.
 * kefud fills the "next" facts from the log as they arrive; an eval with single
 * questions knows only the reply. */
struct mn_turn {
	int64_t answer_id;         /* the answer given, 0: none */
	int fallback;              /* the reply offered choices */
	double confidence;
	int did_you_say;           /* the reply asked "Did you say ...?" (why did_you_say) */
	int refused;               /* an unsafe picture was refused: never collected */
	int feedback;              /* the customer's thumbs: 1, -1, 0 none */
	int handoff;               /* a person was asked for after this reply */
	int next;                  /* 1: the customer's next message is known: */
	double next_gap_s;         /*   seconds from this reply to it */
	int next_picked;           /*   it was one of the quick replies offered */
	int next_same_answer;      /*   kefu answered it with the same answer again */
	int next_similar;          /*   it says much the same (mn_similar) */
	int has_novelty;           /* 1: novelty is known (mn_novelty against the traffic) */
	float novelty;
	int novelty_later;         /* 1: novelty is not known yet but will be (a later call
				      with has_novelty decides low_confidence); 0 with
				      has_novelty 0: none will come, low_confidence is decided
				      on the confidence alone */
};

/* The reasons (enum mn_reason bits) to collect the turn's question; 0: not collected.
 * Pure.  kefud calls it as facts arrive (the reasons OR-ed into one item), so a rule
 * whose fact is not known yet says nothing. */
unsigned mn_collect(const struct mn_rules *r, const struct mn_turn *t);

/* ---- text features (features.c) --------------------------------------------------- */

enum mn_feat {
	MN_FEAT_BOTH = 0,          /* TF-IDF (the encoder's) and GloVe SIF, weighted */
	MN_FEAT_TFIDF,             /* the encoder's hashed TF-IDF alone */
	MN_FEAT_GLOVE,             /* GloVe SIF sentence vector alone */
	MN_FEAT_HIDDEN,            /* the trained encoder's hidden layer (its MLP on GloVe) */
};

enum mn_method {
	MN_AVERAGE = 0,            /* agglomerative, average linkage on cosine, stop at
				      threshold */
	MN_DBSCAN,                 /* density: core points with min_pts neighbours at
				      cosine >= threshold; the rest are clusters of one */
};

struct mn_opts {
	int feat;                  /* enum mn_feat */
	float glove_weight;        /* MN_FEAT_BOTH: cos = (1-w) cos_tfidf + w cos_glove */
	int method;                /* enum mn_method */
	float threshold;           /* cosine similarity to merge (average) or to neighbour
				      (dbscan) */
	int min_pts;               /* dbscan */
	int center;                /* 1: subtract the mean dense vector of the texts before
				      the cosine (the component every sentence shares) */
	float attach;              /* average: a member of a cluster smaller than min_pts
				      joins the cluster (of >= min_pts) it is closest to on
				      average when that mean similarity is >= attach (0: off) */
	const atomic_int *cancel;  /* may be NULL; once another thread sets it, mn_embed,
				      mn_embed_as and mn_novelty_texts stop within a few
				      hundred texts and fail with err "cancelled" (kefud's
				      shutdown must not wait for a pass over the store) */
};
void mn_opts_default(struct mn_opts *o);
/* Parses "both", "tfidf", "glove", "hidden" / "average", "dbscan"; -1 unknown. */
int mn_feat_parse(const char *s);
int mn_method_parse(const char *s);

struct mn_vecs;

/* The feature vectors of texts[0..n) (valid UTF-8).  The TF-IDF half uses the bot's
 * trained encoder's feature configuration and idf when it has one; a BM25 bot's
 * stands in with the default configuration and an idf fitted on the texts themselves.
 * GloVe: the bot's word vectors, else glove (may be NULL: the dense half is then left
 * out and MN_FEAT_GLOVE/HIDDEN fall back to TF-IDF, said in *used when not NULL).
 * NULL with err on no memory.  The result does not point into bot. */
struct mn_vecs *mn_embed(const struct nlu_bot *bot, const struct nlu_glove *glove,
			 const struct mn_opts *o, const char *const *texts, size_t n,
			 int *used, char *err, size_t errlen);
void mn_vecs_free(struct mn_vecs *v);
/* 1 when texts a and b say much the same: the cosine of their TF-IDF vectors (as
 * mn_embed makes them with bot) is at least MN_SIMILAR; 0 when not, or on no memory.
 * The review thread's "asked again" test. */
#define MN_SIMILAR 0.3f
int mn_similar(const struct nlu_bot *bot, const char *a, const char *b);
/* mn_similar in two steps, for a caller that compares each text with more than one
 * other (kefud's review thread: each turn with the one before and the one after, so
 * each text is embedded once): the vector of text as mn_similar makes it, then the
 * test on two such vectors (the same answer as mn_similar on their texts).  Only a
 * bot with a trained encoder has features of a text alone: for a BM25 bot (its idf is
 * fitted on the pair compared) and on no memory mn_similar_vec returns NULL, and the
 * caller uses mn_similar.  scr: the text pipeline's state (a stemmer among it), made
 * once with mn_scratch_create for text after text, used by one thread at a time.  Free
 * the vector with mn_vecs_free. */
struct mn_scratch;
struct mn_scratch *mn_scratch_create(void);
void mn_scratch_free(struct mn_scratch *scr);
struct mn_vecs *mn_similar_vec(const struct nlu_bot *bot, struct mn_scratch *scr,
			       const char *text);
int mn_similar_vecs(const struct mn_vecs *a, const struct mn_vecs *b);
size_t mn_vecs_n(const struct mn_vecs *v);
/* The n × n cosine similarities (row-major, malloc'd, caller frees; 1 on the diagonal
 * for a text with features, 0 for one without).  NULL on no memory. */
float *mn_similarity(const struct mn_vecs *v);

/* texts[0..n) embedded as like was (the same features, and for a bot without an
 * encoder like's idf and centre), so their similarities with like's rows compare:
 * bot, glove and o must be those like was made with.  NULL with err on no memory. */
struct mn_vecs *mn_embed_as(const struct mn_vecs *like, const struct nlu_bot *bot,
			    const struct nlu_glove *glove, const struct mn_opts *o,
			    const char *const *texts, size_t n, char *err, size_t errlen);

/* How much more often questions like each one are asked than the answer store covers
 * them: ref holds the store's example questions, q the customer questions (the
 * traffic; made with mn_embed_as(ref, ...)).  For each customer question i, out[i] =
 * the mean similarity of its kq nearest other customer questions − that of its k
 * nearest store examples, with kq = k · (customer questions − 1) / (store examples) (at
 * least 1): the same density read off both sets, so a question of a topic the store
 * covers as often as it is asked scores about 0, and one of a topic absent from the
 * store but asked again and again scores high (new_topic, docs/learning.md).  Only
 * customer questions from index from on are scored (out[from..)); the others still
 * count as neighbours.  k in 1..64.  0, or -1 on no memory, a bad k or two sets of
 * different features. */
int mn_novelty(const struct mn_vecs *ref, const struct mn_vecs *q, int k, size_t from,
	       float *out);

/* mn_embed_as(ref, texts) then mn_novelty(ref, them, k, from, out): the customer
 * questions texts[0..n) scored against the store's vectors ref (made with bot, glove
 * and o), each distinct text embedded once (a repeat gets a copy of its row: the same
 * vectors, the same scores).  kefud's review thread and `kefu eval-mining` both score with it.  0, or < 0
 * with err ("cancelled" once o->cancel is set). */
int mn_novelty_texts(const struct mn_vecs *ref, const struct nlu_bot *bot,
		     const struct nlu_glove *glove, const struct mn_opts *o,
		     const char *const *texts, size_t n, int k, size_t from, float *out,
		     char *err, size_t errlen);

/* ---- the store's vectors, kept across new-topic passes (refs.c) -------------------- */

/* The review thread scores new turns against the same answer store pass after pass:
 * embedding its example questions is most of a pass's work, so they are embedded once
 * per bot generation and set of texts. */
struct mn_refs;
struct mn_refs *mn_refs_create(void);
void mn_refs_free(struct mn_refs *c);
/* The vectors of the store's example questions texts[0..n) as mn_embed(bot, glove, o)
 * makes them: the kept ones while gen (the bot's generation: a new model, a new
 * generation) and the texts (and o) are those of the last call, else computed anew.
 * *fresh (may be NULL): 1 when computed by this call.  The vectors belong to c and stay
 * valid until the next call or mn_refs_free.  NULL with err on no memory. */
const struct mn_vecs *mn_refs_get(struct mn_refs *c, const struct nlu_bot *bot, unsigned gen,
				  const struct nlu_glove *glove, const struct mn_opts *o,
				  const char *const *texts, size_t n, int *fresh, char *err,
				  size_t errlen);

/* ---- clustering (cluster.c) ------------------------------------------------------- */

/* Groups n items by their similarities sim (n × n) with o's method: cluster[i] gets
 * 0..k-1, numbered by size, largest first (ties: by first member).  Returns k, or -1
 * on no memory. */
int mn_cluster(const float *sim, size_t n, const struct mn_opts *o, int *cluster);

/* Keeps cluster identities across re-clusterings: old[i] is item i's previous cluster
 * id (0: none), cluster[i] its new cluster 0..k-1.  Each new cluster takes the old id
 * that most of its members had, if no larger new cluster took it first; else
 * *next_id (then incremented).  ids_out[k].  0, or -1 on no memory. */
int mn_carry_ids(const int64_t *old, const int *cluster, size_t n, int k,
		 int64_t *ids_out, int64_t *next_id);

/* ---- naming and the nearest answer (describe.c) ----------------------------------- */

#define MN_TERMS_MAX 4
#define MN_TERMS_BYTES 160

struct mn_named {
	size_t central;            /* the member with the highest mean similarity to the
				      others (the cluster's name) */
	char terms[MN_TERMS_BYTES];/* key terms, ", "-separated: the words most frequent in
				      the cluster against all texts (tf × idf) */
	int64_t answer_id;         /* nearest existing answer (0: none) */
	float answer_p;            /* the bot's mean probability of it over the members */
	size_t size;
};

/* Names the k clusters of texts[0..n) (cluster[] as mn_cluster gives) into out[k].
 * bot and ns (may both be NULL: no suggestion) suggest the answer with the highest
 * summed nlu_bot_posterior over the members.  0, or -1 on no memory. */
int mn_name(const struct nlu_bot *bot, struct nlu_state *ns, const float *sim,
	    const char *const *texts, size_t n, const int *cluster, int k,
	    struct mn_named *out);

/* ---- the whole step (run.c) -------------------------------------------------------- */

struct mn_result {
	int k;                     /* clusters (clusters of one included) */
	int *cluster;              /* n: each text's cluster 0..k-1, largest first */
	struct mn_named *named;    /* k */
	int feat_used;             /* the features mn_embed could use */
};

/* mn_embed + mn_similarity + mn_cluster + mn_name on texts[0..n) into r (free with
 * mn_result_free, also after a failure).  0, or -1 with err. */
int mn_run(const struct nlu_bot *bot, struct nlu_state *ns, const struct nlu_glove *glove,
	   const struct mn_opts *o, const char *const *texts, size_t n, struct mn_result *r,
	   char *err, size_t errlen);
void mn_result_free(struct mn_result *r);

/* ---- scores (metrics.c) ------------------------------------------------------------ */

struct mn_scores {
	double purity;             /* Σ_c max_l |c ∩ l| / n */
	double nmi;                /* I(C;L) / mean(H(C), H(L)) (arithmetic, as scikit-learn) */
	double ari;                /* adjusted Rand index (Hubert & Arabie) */
};
/* Scores the partition pred[0..n) against the labels truth[0..n) (any non-negative
 * ints).  0, or -1 on no memory.  n = 0 gives zeros. */
int mn_score(const int *truth, const int *pred, size_t n, struct mn_scores *s);

#endif
