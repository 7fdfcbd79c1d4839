/* policy/policy.c — pol_answer: the reply to one customer turn and why (policy.h).
 *
 * Runs on the caller's thread with the caller's nlu_state and fu_state; reads only
 * immutable shared models (bot, fusion model, label map) and allocates only the few
 * strings a reply owns (the "Did you say ...?" text, the query joined from words and
 * read text).  The order of the steps and the category-head combination are explained
 * in policy.h and docs/policy.md.
 */
#include "policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion.h"
#include "nlu.h"
#include "store.h"

#define POL_POSTERIOR_MAX 64    /* text answers the head combination weighs */
#define POL_KIND_FUSION_WEIGHT 0.5   /* the fusion model's exponent in the pooled kind */

/* The policy's own replies ("Did you say ...?", the refusal of a picture) are customer
 * texts of the store (keys did_you_say, picture_refused; store/texts.json), read from the
 * snapshot the bot was loaded with (nlu_bot_texts): no query per reply. */

static const char *const why_names[POL_WHY_COUNT] = {
	[POL_WHY_NONE] = "none",
	[POL_WHY_WORDS] = "words",
	[POL_WHY_READ] = "read_text",
	[POL_WHY_WORDS_READ] = "words+read_text",
	[POL_WHY_TRANSCRIPT] = "transcript",
	[POL_WHY_FUSION] = "fusion",
	[POL_WHY_HEAD] = "category_head",
	[POL_WHY_CATALOGUE] = "catalogue",
	[POL_WHY_DID_YOU_SAY] = "did_you_say",
	[POL_WHY_REFUSED] = "refused",
};

const char *pol_why_name(enum pol_why w)
{
	return (int)w >= 0 && w < POL_WHY_COUNT ? why_names[w] : "none";
}

void pol_reply_clear(struct pol_reply *r)
{
	if (!r)
		return;
	free(r->own_text);
	free(r->own_query);
	free(r->own_quick);
	memset(r, 0, sizeof *r);
}

/* ---- small helpers --------------------------------------------------------------------- */

char *pol_read_text(const struct pol_picture *p)
{
	const char *ocr = p->ocr_text ? p->ocr_text : "";
	size_t n = strlen(ocr) + 2;
	char *out, *o;

	for (int i = 0; i < p->n_entities; i++)
		n += strlen(p->entities[i].text) + 1;
	for (int i = 0; i < p->n_codes; i++)
		n += strlen(p->codes[i]) + 1;
	out = malloc(n);
	if (!out)
		return NULL;
	o = out + sprintf(out, "%s", ocr);
	for (int i = 0; i < p->n_entities; i++)
		if (strchr(p->entities[i].text, '_'))
			o += sprintf(o, "%s%s", o > out ? " " : "", p->entities[i].text);
	for (int i = 0; i < p->n_codes; i++)
		o += sprintf(o, "%s%s", o > out ? " " : "", p->codes[i]);
	for (char *q = out; *q; q++)
		if (*q == '_')
			*q = ' ';
	return out;
}

/* Joins a[0..la) and b with a newline (either may be empty); malloc'd. */
static char *join2(const char *a, size_t la, const char *b)
{
	size_t lb = b ? strlen(b) : 0;
	char *out = malloc(la + lb + 2);

	if (out)
		snprintf(out, la + lb + 2, "%.*s%s%s", (int)la, la ? a : "",
			 la && lb ? "\n" : "", lb ? b : "");
	return out;
}

static void take_nlu(struct pol_reply *out, const struct nlu_reply *r, enum pol_why why)
{
	out->answer_id = r->answer_id;
	out->title = r->title;
	out->text = r->text;
	out->lang = r->lang ? r->lang : "en";
	out->confidence = r->confidence;
	out->fallback = r->fallback;
	out->n_quick = r->n_quick < POL_MAX_QUICK ? r->n_quick : POL_MAX_QUICK;
	for (int i = 0; i < out->n_quick; i++) {
		out->quick[i].answer_id = r->quick[i].answer_id;
		out->quick[i].title = r->quick[i].title;
	}
	out->why = why;
}

/* Makes answer id (of the bot) the reply.  0, or -1 when the bot has no such answer. */
static int take_answer(const struct pol_models *m, struct pol_reply *out, int64_t id,
		       double confidence, enum pol_why why)
{
	const char *title, *body, *lang;

	if (nlu_bot_answer(m->bot, id, &title, &body, &lang))
		return -1;
	out->answer_id = id;
	out->title = title;
	out->text = body;
	out->lang = lang;
	out->confidence = confidence;
	out->fallback = 0;
	out->n_quick = 0;
	out->why = why;
	return 0;
}

/* ---- voice ------------------------------------------------------------------------------ */

/* "Did you say ...?": fallback, no answer, the candidate transcripts as quick replies
 * (the whole transcript, then the words heard with confidence >= 0.5 when that
 * differs). */
static int did_you_say(const struct pol_models *m, const struct pol_speech *sp,
		       struct pol_reply *out)
{
	size_t n = strlen(sp->text);
	const char *lang = store_text_lang(sp->text);

	out->own_text = store_text_fill(store_text(nlu_bot_texts(m->bot), "did_you_say", lang),
					"transcript", sp->text);
	out->own_quick = malloc(n + 1);
	if (!out->own_text || !out->own_quick)
		return -1;
	out->own_quick[0] = '\0';
	for (int i = 0; i < sp->n_words; i++)
		if (sp->words[i].conf >= 0.5f && strlen(out->own_quick) + strlen(sp->words[i].word)
						     + 1 <= n) {
			if (out->own_quick[0])
				strcat(out->own_quick, " ");
			strcat(out->own_quick, sp->words[i].word);
		}
	out->text = out->own_text;
	out->lang = lang;
	out->confidence = sp->confidence;
	out->fallback = 1;
	out->quick[0].title = sp->text;
	out->n_quick = 1;
	if (out->own_quick[0] && strcmp(out->own_quick, sp->text))
		out->quick[out->n_quick++].title = out->own_quick;
	out->why = POL_WHY_DID_YOU_SAY;
	return 0;
}

int pol_asks_back(double asr_threshold, float confidence)
{
	return confidence < asr_threshold;
}

static int answer_speech(const struct pol_models *m, const struct pol_speech *sp,
			 struct pol_reply *out)
{
	struct nlu_reply rep;

	out->query = sp->text;
	if (pol_asks_back(m->asr_threshold, sp->confidence))
		return did_you_say(m, sp, out);
	nlu_bot_reply(m->bot, m->ns, sp->text, strlen(sp->text), &rep);
	take_nlu(out, &rep, POL_WHY_TRANSCRIPT);
	out->text_vote.answer_id = rep.answer_id;
	out->text_vote.confidence = rep.confidence;
	return 0;
}

/* ---- picture ---------------------------------------------------------------------------- */

/* The text bot on words and read text: words + read together, or whichever alone is more
 * confident (a receipt's text can drown "can I return this?"); the read text alone when
 * it holds an error code (it names the problem; the words are mostly "what does this
 * mean?", which the text bot answers confidently and wrongly).  *query gets the text that
 * decided. */
static void text_step(const struct pol_models *m, const struct pol_input *in,
		      const char *read, const char *both, struct pol_reply *out,
		      const char **query)
{
	const struct pol_picture *pic = in->picture;
	int have_words = in->words != NULL, have_read = read[0] != '\0', has_code = 0;
	struct nlu_reply rep, alt;
	enum pol_why why;

	for (int i = 0; i < pic->n_entities; i++)
		has_code |= pic->entities[i].kind == POL_ENT_ERROR_CODE;
	nlu_bot_reply(m->bot, m->ns, both, strlen(both), &rep);
	why = have_words && have_read ? POL_WHY_WORDS_READ : have_read ? POL_WHY_READ
								   : POL_WHY_WORDS;
	*query = both;
	if (have_words && has_code) {
		nlu_bot_reply(m->bot, m->ns, read, strlen(read), &rep);
		why = POL_WHY_READ;
		*query = read;
	} else if (have_words && have_read) {
		nlu_bot_reply(m->bot, m->ns, in->words, in->words_len, &alt);
		if (alt.confidence > rep.confidence) {
			rep = alt;
			why = POL_WHY_WORDS;
			*query = in->words;
		}
		nlu_bot_reply(m->bot, m->ns, read, strlen(read), &alt);
		if (alt.confidence > rep.confidence) {
			rep = alt;
			why = POL_WHY_READ;
			*query = read;
		}
	}
	take_nlu(out, &rep, why);
	out->text_vote.answer_id = rep.fallback ? 0 : rep.answer_id;
	out->text_vote.confidence = rep.confidence;
}

/* The words' reading of which of one product's answers is asked (the question kind):
 * each answer that shows the label, with its share of the text's posterior among them. */
struct kind_view {
	int n;
	int64_t id[POL_POSTERIOR_MAX];
	double p[POL_POSTERIOR_MAX];
};

/* The category head combined with the text bot's posterior for query (the question
 * kind from the words, the garment from the picture).  Treating the two as independent
 * evidence about the answer a,
 *     p(a | words, picture) ∝ p_text(a | words) · p(label(a) | picture) / p(label(a)),
 * where an answer that shows no picture label has the label "none".  The picture side:
 * the catalogue accepted the picture, so it shows a product with probability q
 * (pol_picture.product_p), that product being the head's label with the head's
 * probability p and each of the other L − 1 labels with (1 − p)/(L − 1); "none" gets 1 − q.
 * The prior of a label is its share of the bot's answers (every answer equally likely
 * before anything is seen).  The text's mass outside the listed answers counts as "none".
 * The vote is the best answer and its share of the total; *labelled gets the share of
 * every answer that shows a label (the reply is about a product), *in_label the best
 * answer's share among the answers of its own label (which answer for that product: the
 * picture's factor is the same for all of them, so this is the words' choice), *kinds
 * every answer of that label with its share. */
static struct pol_vote head_vote(const struct pol_models *m, const struct pol_picture *pic,
				 const char *query, size_t qlen, double *labelled,
				 double *in_label, struct kind_view *kinds)
{
	struct nlu_scored post[POL_POSTERIOR_MAX];
	const char *label_of[POL_POSTERIOR_MAX];
	double s[POL_POSTERIOR_MAX];
	struct pol_vote v = { 0 };
	int L = pic->n_categories > 0 ? pic->n_categories : pol_labels_n_labels(m->labels);
	double n_all = (double)nlu_bot_n_answers(m->bot);
	double n_none = n_all - pol_labels_n_answers(m->labels);
	double p, q, r_none, z = 0, mass = 0, with_label = 0, same = 0;
	int n, best = -1, best_labelled = -1;

	*labelled = *in_label = 0;
	kinds->n = 0;
	if (!m->labels || (m->flags & POL_NO_HEAD) || !pic->category || !pic->category[0] ||
	    L < 2 || !qlen || n_all < 1)
		return v;
	p = pic->category_p < 1e-4f ? 1e-4 : pic->category_p > 1 - 1e-4f ? 1 - 1e-4
									  : pic->category_p;
	q = pic->product_p > 0 && pic->product_p <= 1 ? pic->product_p
						      : POL_CATALOGUE_PRECISION;
	/* with no unlabelled answer "none" has no prior mass and no answer to weigh */
	r_none = n_none > 0 ? (1 - q) / (n_none / n_all) : 1.0;
	n = nlu_bot_posterior(m->bot, m->ns, query, qlen, post, POL_POSTERIOR_MAX);
	for (int i = 0; i < n; i++) {
		double r = r_none;

		label_of[i] = pol_labels_of(m->labels, post[i].answer_id);
		if (label_of[i][0]) {
			double prior = pol_labels_count(m->labels, label_of[i]) / n_all;
			double pl = !strcmp(label_of[i], pic->category) ? p : (1 - p) / (L - 1);
			r = prior > 0 ? q * pl / prior : 1.0;
		}
		s[i] = post[i].p * r;
		z += s[i];
		mass += post[i].p;
		if (label_of[i][0]) {
			with_label += s[i];
			if (best_labelled < 0 || s[i] > s[best_labelled])
				best_labelled = i;
		}
		if (best < 0 || s[i] > s[best])
			best = i;
	}
	if (mass < 1)
		z += (1 - mass) * r_none;
	if (best < 0 || z <= 0)
		return v;
	/* product first: when the answers that show a label hold a product question's mass
	 * (product_question), the reply is about the pictured product though the head may
	 * spread that mass over several garments, each below one unlabelled answer (a bank's
	 * refund 0.32, the return answers of an unsure head's garments 0.68 together): the
	 * vote is the best of the labelled answers (bench/policy: "what is your return
	 * policy" went to the bank's refund answer on the photos the head was unsure of) */
	if (best_labelled >= 0 && !label_of[best][0] &&
	    !(m->flags & (POL_NO_PRODUCT_RULE | POL_BEST_OVERALL)) &&
	    with_label / z >= 1 - m->threshold)
		best = best_labelled;
	for (int i = 0; i < n; i++)
		if (!strcmp(label_of[i], label_of[best])) {
			same += s[i];
			kinds->id[kinds->n] = post[i].answer_id;
			kinds->p[kinds->n++] = s[i];
		}
	for (int k = 0; same > 0 && k < kinds->n; k++)
		kinds->p[k] /= same;
	v.answer_id = post[best].answer_id;
	v.confidence = s[best] / z;
	*labelled = with_label / z;
	*in_label = same > 0 ? s[best] / same : 0;
	return v;
}

/* The fusion model's best answer; *scores its probability of every answer (valid until
 * m->fs is used again), or NULL without a vote. */
static struct pol_vote fusion_vote(const struct pol_models *m, const struct pol_picture *pic,
				   const char *text, const float **scores)
{
	struct pol_vote v = { 0 };
	struct fu_choice ch;

	*scores = NULL;
	if (!m->fusion || !m->fs || (m->flags & POL_NO_FUSION) || !pic->embed)
		return v;
	if (fu_choose(m->fusion, m->fs, text, strlen(text), pic->embed, pic->embed_dim, &ch,
		      scores) == 0 && ch.index >= 0 && ch.answer_id > 0) {
		v.answer_id = ch.answer_id;
		v.confidence = ch.confidence;
	} else {
		*scores = NULL;
	}
	return v;
}

/* Which of one product's answers is asked: the words' reading (kinds, the text's share
 * of each) and the fusion model's (scores: it reads the same words with the picture)
 * pooled as a product of experts, p(a) ∝ p_words(a) · p_fusion(a)^POL_KIND_FUSION_WEIGHT
 * — the words' unsure "how do I remove a stain from this" leaned to sizing, the fusion
 * model to care, and the product to care.  The fusion model reads the same words as the
 * text model, and a picture says nothing about which question generic words ask, so its
 * reading of the kind is not independent evidence: at full weight it outvoted the words'
 * 11:1 for sizing on "what are the measurements of this" with 20:1 for care on a few
 * photos (bench/policy, 2026-12-07: the weight chosen on half the generic questions).
 * words_best when the two share no answer. */
static int64_t pooled_kind(const struct pol_models *m, const float *scores,
			   const struct kind_view *kinds, int64_t words_best)
{
	size_t n = fu_model_n_answers(m->fusion);
	double w = (m->flags & POL_KIND_FUSION_FULL) ? 1.0 : POL_KIND_FUSION_WEIGHT;
	double best_s = 0;
	int64_t best = words_best;

	for (int k = 0; k < kinds->n; k++)
		for (size_t i = 0; i < n; i++)
			if (fu_model_answer_id(m->fusion, i) == kinds->id[k]) {
				double sc = kinds->p[k] * pow(scores[i], w);
				if (sc > best_s) {
					best_s = sc;
					best = kinds->id[k];
				}
				break;
			}
	return best;
}

/* A question about the pictured product although no single answer is confident: the
 * answers that show a label hold at least 1 − threshold of the whole (as sure that the
 * reply is about a product as the threshold asks of any reply), and the words are
 * confident which of that product's answers they ask (in_label >= threshold).  Then the
 * best of them answers: only the product is unsure, and the head's best guess is the
 * best there is.  bench/policy: "what is your return policy" with a dress the head gives
 * p 0.57 has the dress's return answer at 0.33 of the whole and the return answers of
 * every garment at 0.8; it went to the bank's refund answer. */
static int product_question(const struct pol_models *m, double labelled, double in_label)
{
	return !(m->flags & POL_NO_PRODUCT_RULE) && labelled >= 1 - m->threshold &&
	       in_label >= m->threshold;
}

/* The head combination's vote v decides: an answer the picture speaks for (one with a
 * label), confident, or the answer to a question about the pictured product. */
static int head_decides(const struct pol_models *m, struct pol_vote v, double labelled,
			double in_label)
{
	return v.answer_id && pol_labels_of(m->labels, v.answer_id)[0] &&
	       (v.confidence >= m->threshold || product_question(m, labelled, in_label));
}

/* The fusion model replaces the text's answer only with an answer the picture speaks
 * for (one that shows a label), or when the words had no confident answer: for an answer
 * without pictures it only reads the same words less well (bench/fusion: BANKING77
 * questions sent with a clothing photo, 82.0 % right from the fusion model, 89.4 % from
 * the words alone; bench/policy's off-topic row went from 94.4 % to 99.8 % kept with
 * this rule).  Without a label map every answer counts as one the picture speaks for. */
static int fusion_may_replace(const struct pol_models *m, const struct pol_reply *out)
{
	return (m->flags & POL_FUSION_ANY) || !m->labels || !out->text_vote.answer_id ||
	       pol_labels_of(m->labels, out->fusion_vote.answer_id)[0];
}

static int answer_picture(const struct pol_models *m, const struct pol_input *in,
			  struct pol_reply *out)
{
	const struct pol_picture *pic = in->picture;
	const char *query = "";
	double labelled, in_label;
	struct kind_view kinds, words_kinds;
	const float *fu_scores;
	char *read;

	if (pic->unsafe) {
		/* nothing read from it is logged or answered */
		out->own_query = join2(in->words, in->words ? in->words_len : 0, NULL);
		if (!out->own_query)
			return -1;
		out->query = out->own_query;
		out->lang = store_text_lang(out->own_query);
		out->text = store_text(nlu_bot_texts(m->bot), "picture_refused", out->lang);
		out->refused = "unsafe_image";
		out->why = POL_WHY_REFUSED;
		return 0;
	}
	read = pol_read_text(pic);
	if (!read)
		return -1;
	out->own_query = join2(in->words, in->words ? in->words_len : 0, read);
	if (!out->own_query) {
		free(read);
		return -1;
	}
	out->query = out->own_query;
	text_step(m, in, read, out->own_query, out, &query);

	out->head_vote = head_vote(m, pic, query,
				   query == in->words ? in->words_len : strlen(query), &labelled,
				   &in_label, &kinds);
	/* the text step chose the most confident text, but generic words ("how do I wash
	 * this?") are unsure by design — only the picture can say which garment — so
	 * letters OCR found on a product photo ("NA", "ma ee", a brand) could be surer and
	 * speak for the words.  The customer's words alone get their own head combination,
	 * which counts when it decides by itself or is the surer of the two
	 * (bench/policy: 1.8 points of the generic cases were lost to stray letters). */
	if (in->words && query != in->words && !(m->flags & POL_HEAD_CHOSEN_TEXT)) {
		double lw, iw;
		struct pol_vote wv = head_vote(m, pic, in->words, in->words_len, &lw, &iw,
					       &words_kinds);
		if (wv.answer_id && (head_decides(m, wv, lw, iw) ||
				     wv.confidence > out->head_vote.confidence)) {
			out->head_vote = wv;
			labelled = lw;
			in_label = iw;
			kinds = words_kinds;
		}
	}
	out->fusion_vote = fusion_vote(m, pic, out->own_query, &fu_scores);
	if (pic->n_matches) {
		out->catalogue_vote.answer_id = pic->matches[0].answer_id;
		out->catalogue_vote.confidence = pic->matches[0].score;
	}
	free(read);

	/* the head combination is the text's posterior sharpened by the picture: when it is
	 * confident of an answer the picture speaks for (one with a label), or of a question
	 * about the pictured product (product_question), it decides.  It
	 * goes before the fusion model, which reads the same words and picture but names
	 * the garment less often (bench/policy: 66 % against the head's 84 %, and 78 % of
	 * the combination's answers right against 66 % of the fusion model's); the fusion
	 * model decides where the head has nothing to say.  An unlabelled answer stays the
	 * text's. */
	if (head_decides(m, out->head_vote, labelled, in_label)) {
		/* the product is the head combination's; which of its answers (the question
		 * kind) the words and the fusion model say together */
		int64_t id = out->head_vote.answer_id;
		if (fu_scores && !(m->flags & POL_NO_KIND_RULE))
			id = pooled_kind(m, fu_scores, &kinds, id);
		if (take_answer(m, out, id, out->head_vote.confidence, POL_WHY_HEAD) == 0)
			return 0;
	}
	if (out->fusion_vote.answer_id && out->fusion_vote.confidence >= m->threshold &&
	    out->fusion_vote.answer_id != out->answer_id && fusion_may_replace(m, out))
		take_answer(m, out, out->fusion_vote.answer_id, out->fusion_vote.confidence,
			    POL_WHY_FUSION);
	/* a picture of something the store illustrates, with nothing the text could
	 * answer confidently: the head combination's best answer when it has one the
	 * picture shows (it still knows the question kind the words lean to), else the
	 * best-matching catalogue answer */
	if (out->why != POL_WHY_FUSION && out->why != POL_WHY_HEAD && pic->n_matches &&
	    (out->fallback || !out->own_query[0])) {
		if (!(out->head_vote.answer_id &&
		      pol_labels_of(m->labels, out->head_vote.answer_id)[0] &&
		      take_answer(m, out, out->head_vote.answer_id, out->head_vote.confidence,
				  POL_WHY_HEAD) == 0))
			take_answer(m, out, pic->matches[0].answer_id, pic->matches[0].score,
				    POL_WHY_CATALOGUE);
	}
	return 0;
}

/* ---- the policy ------------------------------------------------------------------------- */

int pol_answer(const struct pol_models *m, const struct pol_input *in, struct pol_reply *out)
{
	struct nlu_reply rep;
	int rc;

	memset(out, 0, sizeof *out);
	out->query = "";
	out->lang = "en";
	if (in->speech)
		rc = answer_speech(m, in->speech, out);
	else if (in->picture)
		rc = answer_picture(m, in, out);
	else if (in->words) {
		nlu_bot_reply(m->bot, m->ns, in->words, in->words_len, &rep);
		take_nlu(out, &rep, POL_WHY_WORDS);
		out->text_vote.answer_id = rep.fallback ? 0 : rep.answer_id;
		out->text_vote.confidence = rep.confidence;
		out->query = in->words;
		rc = 0;
	} else {
		nlu_bot_reply(m->bot, m->ns, "", 0, &rep);
		take_nlu(out, &rep, POL_WHY_NONE);
		rc = 0;
	}
	if (rc)
		pol_reply_clear(out);
	else
		out->why_name = pol_why_name(out->why);
	return rc;
}
