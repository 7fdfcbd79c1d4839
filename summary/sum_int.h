/* summary/sum_int.h — the summary library's internals shared by its files and tests:
 * the per-language word table (words.c), a dialogue cut into cleaned sentences with their
 * TF-IDF and GloVe vectors and similarity matrix (doc.c), and the text helpers every
 * summariser uses (cutting at a budget, cue matching).  Not for callers outside summary/.
 *
 * A struct sum_doc is one call's scratch: built, used and freed on the calling thread.
 */
#ifndef KEFU_SUM_INT_H
#define KEFU_SUM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "summary.h"

struct nlu_glove;
struct nlu_text;

/* ---- words.c: one table per language ----------------------------------------------- */

/* Cue lists are NULL-terminated; each cue is matched in the normalised (case-folded)
 * sentence: as a substring, with word boundaries at Latin edges, a trailing '*' making it
 * a prefix ("frustrat*").  Templates hold "{x}" slots filled by sum_fill. */
struct sum_words {
	const char *lang;
	int budget;                      /* default summary length (words / characters) */
	const char *lang_name;           /* "English" */
	const char *customer_label;      /* summary: "Customer:" */
	const char *agent_label;         /* summary: "Agent:" */
	const char *bot_answered;        /* summary: "Bot answered {titles}." */
	const char *bot_unsure;          /* summary: "Bot was unsure." */
	const char *list_sep;            /* between titles / entities */
	const char *quote;               /* "“{t}”" */
	const char *sentence_sep;        /* between sentences: " " or "" */
	const char *sentence_end;        /* closes a sentence that came without a mark */
	/* the card: "{label}: {value}" lines */
	const char *card_line;
	const char *h_problem, *h_entities, *h_answers, *h_person, *h_language, *h_mood;
	const char *answer_line;         /* "{title} ({confidence}): {reactions}" */
	const char *unsure_title;        /* an answer slot of a fallback: "(unsure, offered choices)" */
	const char *entity_item;         /* "{kind} {text}" / "{kind} {text} ({source})" */
	const char *yes, *none;
	const char *source[3];           /* text, picture, voice */
	const char *entity[SUM_ENT_N_KINDS];
	const char *reaction[4];         /* by bit: thumbs up, thumbs down, rephrased, person */
	const char *no_reaction;
	const char *mood[3];             /* negative, neutral, positive */
	/* cues */
	const char *const *phatic;       /* greetings, thanks, sign-offs */
	const char *const *problem;      /* a customer stating a problem or asking */
	const char *const *action;       /* an agent telling what to do or what was done */
	const char *const *negative;     /* an unhappy customer */
	const char *const *positive;     /* a happy customer */
	const char *const *person;       /* asking for a human */
};

/* The table of lang ("zh" → Chinese, anything else → English).  Never NULL. */
const struct sum_words *sum_words_for(const char *lang);

/* ---- helpers (text.c) ------------------------------------------------------------- */

/* 1 when a cue of list matches the normalised text s[0..len). */
int sum_cue_any(const char *const *list, const char *s, size_t len);
/* How many cues of list match s[0..len) (each counted once). */
int sum_cue_count(const char *const *list, const char *s, size_t len);
/* Copies tmpl into a malloc'd string with each "{name}" replaced by the value of the
 * same name in names[i] / values[i] (n pairs); unknown slots are kept.  NULL on no memory. */
char *sum_fill(const char *tmpl, const char *const *names, const char *const *values,
	       size_t n);
/* Byte length of the prefix of s holding its first budget ROUGE tokens (trailing
 * punctuation right after the last token kept).  The whole string when it is shorter. */
size_t sum_cut_len(const char *s, size_t budget);
/* ROUGE's tokens, one at a time: lowercase letter/digit runs, and each CJK character
 * alone.  sum_tok_next gives the next token's bytes [*b, *e) of s and an id of its
 * lowercase form; 0 at the end.  Pure. */
struct sum_tok_it {
	const char *s;
	size_t len, i;
};
int sum_tok_next(struct sum_tok_it *it, size_t *b, size_t *e, uint64_t *id);

/* A growing string. */

/* ---- doc.c: a dialogue as sentences ----------------------------------------------- */

#define SUM_MAX_SENTS 400   /* longer dialogues keep their first 300 and last 100 */

struct sum_sent {
	int turn;           /* index in the dialogue */
	int role;           /* enum sum_role */
	int turn_rank;      /* how many turns of this role came before this one */
	int pos;            /* index of the sentence in its turn */
	char *text;         /* cleaned sentence (owned by the doc) */
	size_t len;
	char *norm;         /* normalised (case-folded) copy, for cues (owned) */
	size_t norm_len;
	int n_tok;          /* ROUGE tokens */
	int n_content;      /* content terms (not stop words) */
	size_t t0, nt;      /* its TF-IDF terms: ids[t0..t0+nt), weights w[...] (L2 = 1) */
	float *vec;         /* GloVe SIF vector, centred and L2-normalised; NULL without */
};

struct sum_doc {
	int zh;                     /* 1: the dialogue is Chinese */
	const struct sum_words *words;
	struct sum_sent *s;
	size_t n, cap;
	uint64_t *ids;              /* sorted per sentence */
	float *w;
	size_t n_terms, cap_terms;
	float *vecs;                /* n x NLU_GLOVE_DIM, or NULL */
	double *tfidf_sim;          /* n x n cosine of TF-IDF vectors */
	double *sim;                /* n x n: TF-IDF, mixed with GloVe when there is one */
	struct nlu_text *tx;
};

/* The language of d ("en"/"zh"): d->lang when set, else the customer's text. */
const char *sum_detect_lang(const struct sum_dialog *d, struct nlu_text *tx);
/* Cuts d's customer, agent and bot turns (not system turns; roles with role_mask bit
 * (1 << role) set) into cleaned sentences and computes their vectors and similarities
 * (GloVe when ctx has it and the dialogue is English, else TF-IDF alone).  0, or -1 on
 * no memory (doc freed). */
int sum_doc_build(const struct sum_ctx *ctx, const struct sum_dialog *d, unsigned role_mask,
		  struct sum_doc *doc);
void sum_doc_free(struct sum_doc *doc);
/* PageRank (damping 0.85) over sim (n x n, diagonal ignored); edges below threshold are
 * dropped and, when binary, the rest weigh 1 (LexRank's discrete graph).  out[n] sums to
 * n (1 = average).  0, or -1 on no memory. */
int sum_doc_pagerank(const struct sum_doc *doc, const double *sim, double threshold,
		     int binary, double *out);
/* Cleans one message: drops @handles, links and a trailing agent signature ("^JD",
 * "/MT"), undoes HTML escapes (&amp; &lt; &gt; &quot; &#39;), collapses white space.  malloc'd, NULL on no memory. */
char *sum_clean(const char *s);

/* Appends entity (kind, text[0..len) cut to fit) unless out[0..*n) has it already (same
 * kind, text equal ignoring ASCII case) or is full.  Returns 1 if added. */
size_t sum_entity_add(struct sum_entity *out, size_t *n, size_t cap, int kind, int source,
		      int turn, const char *text, size_t len);

/* idx[0..n) = 0..n-1 sorted by rank, best first (ties: earlier first); reentrant. */
void sum_order_by(const double *rank, size_t *idx, size_t n);

/* ---- the context (card.c) ---------------------------------------------------------- */

struct sum_ctx {
	struct nlu_glove *glove;    /* NULL: TF-IDF alone */
};

#endif
