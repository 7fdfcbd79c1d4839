/* policy/policy.h — kefu's answer policy (prefix pol_): the one function that decides
 * what kefu answers to a customer turn, whatever it carries — typed words, a picture (the
 * text read from it, its codes and entities, its embedding and what the picture
 * catalogue and category head made of it) or a voice clip's transcript — and says why.
 *
 * kefud's workers (daemon/answer.c: typed messages, voice clips, pictures), `kefu ask`,
 * `kefu see`, `kefu eval-speech` and bench/policy all call it, so the CLI and the bench
 * measure exactly what the daemon answers.
 *
 * The library takes the picture and the transcript as plain data: it links nlu/, fusion/
 * and store/ but neither vision/ nor speech/ (the caller ran them).  The models
 * (struct pol_models) are the caller's: shared read-only models plus the calling
 * thread's scratch states, so pol_answer runs on any thread that owns those states.
 * The answer <-> picture label map (struct pol_labels) is read from the store once,
 * immutable afterwards, shared by any number of threads.
 *
 * How a reply is chosen (docs/policy.md has the reasons and the figures):
 *   voice    transcript under asr_threshold -> "Did you say ...?" with the transcript as
 *            quick replies; else the text bot answers the transcript.
 *   picture  unsafe -> refusal.  Otherwise the text bot answers words + read text (or
 *            whichever alone is more confident; the read text alone when it holds an
 *            error code).  Two picture-aware candidates may replace that answer when
 *            confident (>= threshold): the category head combined with the text bot's
 *            posterior (p(a | words, picture) ∝ p_text(a) · p(label(a) | picture) /
 *            p(label(a)), the question kind from the words, the garment from the
 *            picture; "no label" is a label too; on the chosen text and on the
 *            words alone, the words' vote counting when it decides or is surer),
 *            first — also when only the product is unsure: the labelled answers
 *            together >= 1 − threshold (then its vote is the best labelled answer,
 *            though one unlabelled answer may outweigh each) and the words
 *            sure which of the product's answers (>= threshold); which of the product's
 *            answers is then the words' and the fusion model's readings pooled
 *            (p_words · p_fusion^0.5) — then the fusion model,
 *            for an answer that shows a label or when the words had none.  With
 *            nothing answered, the head combination's answer or the catalogue's best
 *            match.
 *   text     the text bot.
 */
#ifndef KEFU_POLICY_H
#define KEFU_POLICY_H

#include <stddef.h>
#include <stdint.h>

struct nlu_bot;
struct nlu_state;
struct fu_model;
struct fu_state;
struct store;

/* Which source decided the reply; pol_why_name gives the wire string. */
enum pol_why {
	POL_WHY_NONE = 0,      /* "none": no input at all */
	POL_WHY_WORDS,         /* "words": the text bot on the customer's words */
	POL_WHY_READ,          /* "read_text": ... on the text read from the picture */
	POL_WHY_WORDS_READ,    /* "words+read_text": ... on both together */
	POL_WHY_TRANSCRIPT,    /* "transcript": ... on a voice clip's transcript */
	POL_WHY_FUSION,        /* "fusion": the fusion model on words + embedding */
	POL_WHY_HEAD,          /* "category_head": the words' question kind × the head's label */
	POL_WHY_CATALOGUE,     /* "catalogue": the best-matching catalogue picture's answer */
	POL_WHY_DID_YOU_SAY,   /* "did_you_say": a transcript too unsure to answer */
	POL_WHY_REFUSED,       /* "refused": an unsafe picture */
	POL_WHY_COUNT
};
const char *pol_why_name(enum pol_why w);

/* ---- inputs ------------------------------------------------------------------------ */

enum pol_entity_kind { POL_ENT_ORDER = 0, POL_ENT_ERROR_CODE, POL_ENT_OTHER };

struct pol_entity {
	int kind;                       /* enum pol_entity_kind */
	const char *text;               /* as read, e.g. "ERR_CARD_DECLINED" */
};

struct pol_match {                      /* one catalogue answer for the picture */
	int64_t answer_id;
	float score;                    /* vis_match.score */
};

/* What the caller's vision step saw in one picture (vis_see + the catalogue). */
struct pol_picture {
	int unsafe;                     /* safety model or blocklist: refuse */
	const char *ocr_text;           /* may be NULL */
	const struct pol_entity *entities;
	int n_entities;
	const char *const *codes;       /* UTF-8 contents of the codes read */
	int n_codes;
	const float *embed;             /* L2-normalised embedding, or NULL */
	int embed_dim;
	const char *category;           /* category head's label; NULL or "" when there is no
					   head or the picture is not in the catalogue */
	float category_p;               /* its probability */
	int n_categories;               /* labels the head knows (0: take pol_labels') */
	float product_p;                /* probability that a picture the catalogue accepted
					   shows one of its products (0: POL_CATALOGUE_PRECISION) */
	const struct pol_match *matches;   /* best first */
	int n_matches;
};

struct pol_heard {                      /* one recognised word */
	const char *word;
	float conf;
};

/* A voice clip's transcript (asr_result). */
struct pol_speech {
	const char *text;
	float confidence;
	const struct pol_heard *words;
	int n_words;
};

struct pol_input {
	const char *words;              /* the customer's words (valid UTF-8), or NULL */
	size_t words_len;
	const struct pol_picture *picture;   /* NULL: no picture */
	const struct pol_speech *speech;     /* NULL: no voice clip */
};

/* The probability that a picture the catalogue accepts (best cosine >= its threshold)
 * shows one of the catalogue's products, from the measurements behind the threshold
 * (vision/catalog.h): all 341 clothing validation photos accepted, 1 of 30 pictures of
 * other things accepted; with equal priors 1 - (1/30) / (1/30 + 1) = 0.968. */
#define POL_CATALOGUE_PRECISION 0.968f

/* ---- models ------------------------------------------------------------------------ */

struct pol_labels;

/* The picture labels each enabled answer shows (store_picture_answers_foreach: its own
 * labelled pictures, or tags listing a label).  NULL with err on a store error or no
 * memory; a store without labelled pictures gives an empty map.  Caller's thread. */
struct pol_labels *pol_labels_load(struct store *st, char *err, size_t errlen);
/* Builds a map from pairs (tests, benches): answer_ids[i] shows labels[i]. */
struct pol_labels *pol_labels_from_pairs(const int64_t *answer_ids,
					 const char *const *labels, int n);
void pol_labels_free(struct pol_labels *l);
int pol_labels_n_labels(const struct pol_labels *l);   /* distinct labels */
int pol_labels_n_answers(const struct pol_labels *l);  /* answers with a label */
int pol_labels_count(const struct pol_labels *l, const char *label);  /* answers showing it */
/* The label answer id shows ("" when none; the first when several). */
const char *pol_labels_of(const struct pol_labels *l, int64_t answer_id);

struct pol_models {
	const struct nlu_bot *bot;      /* required, with the caller's state ns */
	struct nlu_state *ns;
	const struct fu_model *fusion;  /* NULL: no fusion model; else with the caller's fs */
	struct fu_state *fs;
	const struct pol_labels *labels;   /* NULL: no category-head combination */
	double threshold;               /* conf threshold */
	double asr_threshold;           /* conf asr_threshold */
	unsigned flags;                 /* POL_ONLY_* (benches), 0 in kefud */
};

/* Flags of pol_models for benchmarks and tests: a source left out, or one rule of the
 * policy undone (bench/policy prints the policy before the rules beside it). */
#define POL_NO_FUSION 1u             /* leave the fusion model out */
#define POL_NO_HEAD   2u             /* leave the category-head combination out */
#define POL_NO_PRODUCT_RULE 4u       /* the head combination decides only when its own
					answer is confident (no product-question rule) */
#define POL_FUSION_ANY 8u            /* the fusion model may replace the words' confident
					answer with an answer that shows no label */
#define POL_HEAD_CHOSEN_TEXT 16u     /* the head combination reads only the text the text
					step chose, not also the words alone */
#define POL_NO_KIND_RULE 32u         /* the question kind within the head's product is the
					words' alone (not the fusion model's when surer) */
#define POL_BEST_OVERALL 64u         /* the head combination's vote is its best answer even
					when the answers that show a label hold a product
					question's mass (no product-first rule) */
#define POL_KIND_FUSION_FULL 128u    /* the fusion model's reading of the question kind
					counts as much as the words' (not at half weight) */

/* ---- the reply ----------------------------------------------------------------------- */

#define POL_MAX_QUICK 3

struct pol_choice {
	int64_t answer_id;              /* 0: not an answer (a transcript to send back) */
	const char *title;
};

/* What a source proposed, whether or not it decided (benches, logs). */
struct pol_vote {
	int64_t answer_id;              /* 0: none */
	double confidence;
};

struct pol_reply {
	int64_t answer_id;              /* 0: no answer (fallback, did-you-say, refusal) */
	const char *title;              /* NULL without an answer */
	const char *text;               /* Markdown reply text */
	const char *lang;               /* "en" or "zh" */
	double confidence;
	int fallback;                   /* the reply offers choices */
	int n_quick;
	struct pol_choice quick[POL_MAX_QUICK];
	enum pol_why why;
	const char *why_name;           /* pol_why_name(why), set by pol_answer (the wire
					   string callers log and send without a call) */
	const char *refused;            /* "unsafe_image" or NULL */
	const char *query;              /* the customer's side as logged: words, words + read
					   text, or the transcript ("" when none) */
	struct pol_vote text_vote, fusion_vote, head_vote, catalogue_vote;
	/* owned (pol_reply_clear) */
	char *own_text, *own_query, *own_quick;
};

/* Decides the reply to in with the models m.  Strings in out point into the bot (valid
 * while the caller holds its reference), into in, or into out's own buffers.  Returns 0,
 * or -1 on no memory (out cleared).  Runs on the calling thread with m's states; no
 * store access, nothing shared is written. */
int pol_answer(const struct pol_models *m, const struct pol_input *in, struct pol_reply *out);
/* Frees what pol_answer allocated in r (idempotent). */
void pol_reply_clear(struct pol_reply *r);

/* 1 when a transcript of this confidence is asked back ("Did you say ...?") instead of
 * answered: the rule pol_answer applies to speech (`kefu eval-speech` counts with it). */
int pol_asks_back(double asr_threshold, float confidence);

/* The text read from a picture as one query: OCR text, entities with '_' as spaces
 * (ERR_CARD_DECLINED -> ERR CARD DECLINED), code contents.  malloc'd; NULL on no
 * memory. */
char *pol_read_text(const struct pol_picture *p);

#endif
