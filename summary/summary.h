/* summary/summary.h — the summary card an operator reads when taking over a conversation
 * (issue 11, docs/summary.md): the customer's problem in one or two sentences, the
 * entities mentioned (order numbers, amounts, error codes, e-mails, dates, phone numbers;
 * also those read from pictures and heard in voice clips), the answers kefu gave and how
 * the customer took them (thumbs, rephrasing, asking for a person), the language and the
 * mood; plus the short extractive summary that `kefu eval-summary` measures, and the two
 * baselines it is measured against (Lead, LexRank) and ROUGE itself.
 *
 * No language model: sentences are scored by centrality (continuous LexRank over TF-IDF
 * cosines of kefu's own tokens, mixed with GloVe SIF cosines in English), by role, intent
 * cues and position, then picked with maximal marginal relevance (MMR) and put into
 * templates.  Every customer-/operator-facing word and every cue list lives in one data
 * table per language (summary/words.c).
 *
 * Threads: a `struct sum_ctx` is built once (sum_ctx_create) and then only read; it owns
 * the mmapped GloVe vectors and the compiled cue lists.  Each call takes the context and
 * builds its own scratch (a tokeniser and per-dialogue arrays), so any number of threads
 * may summarise at once with one context.  The store-reading entry point
 * (sum_session_load, summary/session.c) runs on the caller's store connection.
 */
#ifndef KEFU_SUMMARY_H
#define KEFU_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct sum_ctx;

/* ---- the input: one conversation -------------------------------------------------- */

enum sum_role { SUM_CUSTOMER = 0, SUM_AGENT, SUM_BOT, SUM_SYSTEM };
enum sum_source { SUM_SRC_TEXT = 0, SUM_SRC_PICTURE, SUM_SRC_VOICE };

enum sum_ent_kind {
	SUM_ENT_ORDER = 0,     /* order / tracking / ticket number */
	SUM_ENT_AMOUNT,        /* a sum of money: $12.50, 99元 */
	SUM_ENT_ERROR_CODE,    /* E1234, ERR_CARD_DECLINED, 0x80070005, "error 502" */
	SUM_ENT_EMAIL,
	SUM_ENT_DATE,          /* 2024-03-05, 5/3/2024, March 5, 3月5日 */
	SUM_ENT_PHONE,
	SUM_ENT_CODE,          /* a QR / bar code read from a picture */
	SUM_ENT_N_KINDS
};

/* An entity already found by someone else (vision/ in a picture): kind as the seen frame
 * names it ("order", "error_code", "code"), and its text. */
struct sum_seen_entity {
	const char *kind;
	const char *text;
};

struct sum_turn {
	int role;                 /* enum sum_role */
	const char *text;         /* UTF-8; for a picture the words + text read, for a clip the
				     transcript; may be NULL */
	int source;               /* enum sum_source: how a customer message came */
	/* bot replies */
	const char *answer_title; /* the answer given, NULL for a fallback or a free reply */
	double confidence;
	int fallback;             /* 1: the bot was unsure and offered choices */
	int feedback;             /* the customer's thumbs on this reply: -1, 0, +1 */
	/* system turns */
	int handoff;              /* 1: the customer asked for a person here */
	/* customer pictures: what vision/ found, and the OCR text (entities are also looked
	 * for in it) */
	const struct sum_seen_entity *seen;
	size_t n_seen;
	const char *ocr_text;
};

struct sum_dialog {
	const char *lang;         /* "en", "zh", or NULL: detected from the customer's text */
	const struct sum_turn *turns;
	size_t n_turns;
};

/* ---- the context -------------------------------------------------------------------- */

/* Builds the read-only context.  glove_path: a glove-100d.kfv file for the English
 * sentence vectors, or NULL to use TF-IDF alone (a missing or bad file is an error: pass
 * NULL to go without).  Returns NULL with a message in err. */
struct sum_ctx *sum_ctx_create(const char *glove_path, char *err, size_t errlen);
void sum_ctx_destroy(struct sum_ctx *ctx);
/* 1 when the context has GloVe vectors. */
int sum_ctx_has_glove(const struct sum_ctx *ctx);

/* ---- the summary card ---------------------------------------------------------------- */

enum sum_reaction {            /* bits of sum_answer.reaction */
	SUM_REACT_THUMBS_UP = 1,
	SUM_REACT_THUMBS_DOWN = 2,
	SUM_REACT_REPHRASED = 4,   /* the next customer message asked the same again */
	SUM_REACT_PERSON = 8,      /* the customer asked for a person after this reply */
};

enum sum_mood { SUM_MOOD_NEGATIVE = -1, SUM_MOOD_NEUTRAL = 0, SUM_MOOD_POSITIVE = 1 };

struct sum_entity {
	int kind;                 /* enum sum_ent_kind */
	int source;               /* enum sum_source of the first mention */
	int turn;                 /* index of the turn of the first mention */
	char text[80];
};

struct sum_answer {
	int turn;                 /* index of the bot turn */
	const char *title;        /* points into the dialogue; NULL for a fallback */
	double confidence;
	int fallback;
	int reaction;             /* enum sum_reaction bits */
};

struct sum_card {
	char lang[4];             /* "en" or "zh" */
	char *problem;            /* one or two of the customer's sentences (malloc'd) */
	char *summary;            /* the short summary: problem + what was answered, within
				     the budget (malloc'd); what eval-summary scores */
	struct sum_entity *entities;
	size_t n_entities;
	struct sum_answer *answers;
	size_t n_answers;
	int mood;                 /* enum sum_mood */
	double mood_score;        /* < 0 unhappy, > 0 happy (sum of cues, thumbs, ...) */
	int asked_person;         /* 1: the customer asked for a person */
	char *text;               /* the whole card as operator-facing text (malloc'd) */
};

struct sum_opts {
	int budget;               /* length of `summary`: words (en) or characters (zh);
				     0: the language's default (summary/words.c) */
};

/* Builds the card of d into out (zeroed first).  opts may be NULL.  Pointers in out may
 * point into d (answer titles): keep d alive while using out.  0, or -1 on no memory.
 * Any thread (ctx is only read). */
int sum_card_build(const struct sum_ctx *ctx, const struct sum_dialog *d,
		   const struct sum_opts *opts, struct sum_card *out);
void sum_card_free(struct sum_card *c);
/* The card as a new JSON object {"lang", "problem", "summary", "entities", "answers",
 * "asked_for_person", "mood", "mood_score", "text"} (summary/card_json.c), or NULL. */
struct json_t;
struct json_t *sum_card_json(const struct sum_card *c);

/* Words naming things on the card, from the language's table: an entity kind, a
 * reaction bit, a mood.  Never NULL. */
const char *sum_word_entity(const char *lang, int kind);
const char *sum_word_reaction(const char *lang, int reaction_bit);
const char *sum_word_mood(const char *lang, int mood);
/* Stable machine names ("order", "thumbs_down", "negative") for JSON. */
const char *sum_name_entity(int kind);
const char *sum_name_reaction(int reaction_bit);
const char *sum_name_mood(int mood);

/* ---- baselines (summary/baseline.c) ------------------------------------------------ */

/* Lead: the first customer turn and the first agent/bot turn, cut at budget
 * words/characters.  LexRank (Erkan & Radev 2004): sentences ranked by
 * PageRank over the TF-IDF cosine graph (edges >= 0.1), taken best first until the
 * budget, printed in dialogue order, cut at the budget.  malloc'd, NULL on no memory. */
char *sum_lead(const struct sum_ctx *ctx, const struct sum_dialog *d, int budget);
char *sum_lexrank(const struct sum_ctx *ctx, const struct sum_dialog *d, int budget);

/* The default budget of a language ("en" 33 words, "zh" 60 characters: words.c). */
int sum_default_budget(const char *lang);

/* ---- entities (summary/entities.c) --------------------------------------------------- */

/* Finds entities in text (any language) and appends new ones (kind + text not already
 * in out[0..*n)) while *n < cap, with source and turn as given.  Returns how many were
 * added.  Pure; any thread. */
size_t sum_entities_find(const char *text, int source, int turn, struct sum_entity *out,
			 size_t *n, size_t cap);

/* ---- ROUGE (summary/rouge.c) --------------------------------------------------------- */

struct sum_rouge {
	double r1, r2, rl;        /* F1 (beta = 1) */
};

/* ROUGE-1, ROUGE-2 and ROUGE-L (longest common subsequence, sentence level over the
 * whole text) F1 of candidate against one reference.  Tokens: lowercase letter/digit
 * runs, and every CJK character on its own; everything else separates.  An empty side
 * scores 0.  0, or -1 on no memory. */
int sum_rouge_pair(const char *cand, const char *ref, struct sum_rouge *out);
/* The mean over refs[0..n) of sum_rouge_pair (n > 0). */
int sum_rouge_refs(const char *cand, const char *const *refs, size_t n,
		   struct sum_rouge *out);
/* Number of ROUGE tokens in s (words and CJK characters): how budgets are counted. */
size_t sum_rouge_len(const char *s);

/* ---- a conversation from the store (summary/session.c; links store) --------------- */

/* A store session read as a dialogue: owns every string and array. */
struct sum_session {
	struct sum_dialog d;
	int64_t session_id;
	char state[16];           /* sessions.state: bot, waiting, operator, closed */
	void *priv;               /* the owned storage */
};

/* Reads session `token` from st: every message in order (customer, bot, operator,
 * system), the answer titles and fallbacks from the replies' meta, the thumbs on each
 * reply, the pictures' entities and OCR text and the clips' transcripts from their
 * attachments.  0; STORE_NOT_FOUND (1) if no such session; < 0 on a database error or
 * no memory (message in err).  On the caller's thread and connection. */
int sum_session_load(struct store *st, const char *token, struct sum_session *out,
		     char *err, size_t errlen);
void sum_session_free(struct sum_session *s);

#endif
