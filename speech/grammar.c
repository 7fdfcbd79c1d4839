/* speech/grammar.c — entities by voice: a second, grammar-constrained reading of a clip
 * beside the language model's, for what a customer reads out (digit strings, codes spelled
 * with letters or the NATO alphabet, dates, amounts).
 *
 * asr_recognize_entity() runs the clip pipeline of asr_recognize_clip (decode, VAD, the
 * language-model search per speech segment).  A segment whose words look like a value (at
 * least ASR_GRAMMAR_MIN_TOKENS entity words making half of them) is searched a second time
 * with the entity model's share raised to ASR_SPELL_WEIGHT (the spelling pass,
 * sp_spell_begin: a second search without the generic model's words, or the mix
 * re-weighted; not in ASR_GRAMMAR_NONE), and that reading replaces the first: the
 * generic words the first pass wrote between spelled letters ("is a", "and", "they") cost
 * what they should there (docs/speech.md "Sixth round"); the letters and digits of that
 * reading are then classified again from their own frames (letters.c, with a model in
 * asr_entity_opts.letters: "Eighth round").  Then, for each segment whose
 * words call for it
 * (an expected kind: any words; otherwise, in ASR_GRAMMAR_AUTO only, at least
 * ASR_GRAMMAR_MIN_TOKENS entity words making at least half the segment; kefud reads
 * ASR_GRAMMAR_ASKED: on the an4 dev speakers the unasked pass cost 2 points of WER and
 * gained no exact string), it decodes the same samples again with a JSGF grammar
 * (jsgf_parse_string -> ps_set_fsg) written for the kind.  Unasked, the language model's
 * words before the first and after the last entity word stay as optional fixed phrases
 * around the entity, so "my order number is ..." or an4's "rubout ..." are not forced into
 * letters; asked for, the entity stands alone.  The grammar also holds the language
 * model's reading word for word as the other branch, so one search keeps the better-scored
 * of the two readings of the same frames (the scores two searches report do not compare:
 * the same words read by both came out ~5 nats per frame apart, with -compallsen too);
 * every word of either
 * costs the same (the search's insertion penalty set to a uniform language model's 1/N
 * over the code words).  Words that sound exactly like digits ("for") become the digits.
 * The entity's value comes from entity_text.c.
 *
 * Runs on the decoder's thread (a kefud worker, kefu eval-speech); the grammar search is
 * added to the worker's decoder under the name "entity" and replaced for each segment, the
 * language-model search switched back before returning.
 */
#include "speech.h"
#include "speech_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmd_ln.h>
#include <fsg_model.h>
#include <jsgf.h>
#include <pocketsphinx.h>

#define ASR_GRAMMAR_SEARCH "entity"
#define ASR_GRAMMAR_MIN_TOKENS 2     /* entity words a segment needs for the automatic pass */
#define GRAMMAR_MAX 16384


static double thread_cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- writing the grammar ----------------------------------------------------------- */

struct gbuf {
	char s[GRAMMAR_MAX];
	size_t n;
	int full;
};

static void add(struct gbuf *g, const char *s)
{
	size_t l = strlen(s);

	if (g->n + l + 1 > sizeof g->s) {
		g->full = 1;
		return;
	}
	memcpy(g->s + g->n, s, l + 1);
	g->n += l;
}

static const char *const letters[26] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
	"k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z" };
static const char *const digit_extra[] = { "oh" };
static const char *const mults[] = { "hundred", "thousand", "double", "triple" };
static const char *const currencies[] = { "dollars", "dollar", "euros", "euro", "pounds",
	"pound", "yuan" };

/* The alternatives "w1 | w2 | ..." of the non-NULL entries of tab[0..n), each with the
 * weight w when w is not NULL ("/0.0118/ w1 | ..."). */
static void words(struct gbuf *g, const char *const *tab, int n, const char *w, int *first)
{
	for (int i = 0; i < n; i++)
		if (tab[i]) {
			if (!*first)
				add(g, " | ");
			if (w)
				add(g, w);
			add(g, tab[i]);
			*first = 0;
		}
}

/* "<name> = w1 | w2 | ...;" from the non-NULL entries of tab[0..n). */
static void alternatives(struct gbuf *g, const char *name, const char *const *tab, int n)
{
	int first = 1;

	add(g, name);
	add(g, " = ");
	words(g, tab, n, NULL, &first);
	add(g, ";\n");
}

/* Number of non-NULL entries of tab[0..n). */
static int count(const char *const *tab, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		k += tab[i] != NULL;
	return k;
}

/* The number of words a code may be made of: digits, "oh", teens, tens, multipliers,
 * letters, NATO words. */
static int code_vocabulary(void)
{
	return 10 + 1 + 10 + count(sp_ent_tens, 10) + 4 + 26 + 26;
}

/* "<dig> = w | ...;" over the digits and number words and, when letters_too,
 * "<let> = ...;" over the letters and the NATO alphabet. */
static void tokens(struct gbuf *g, int letters_too)
{
	int first = 1;

	add(g, "<dig> = ");
	words(g, sp_ent_units, 10, NULL, &first);
	words(g, digit_extra, 1, NULL, &first);
	words(g, sp_ent_teens, 10, NULL, &first);
	words(g, sp_ent_tens, 10, NULL, &first);
	words(g, mults, 4, NULL, &first);
	add(g, ";\n");
	if (letters_too) {
		first = 1;
		add(g, "<let> = ");
		words(g, letters, 26, NULL, &first);
		words(g, sp_ent_nato, 26, NULL, &first);
		add(g, ";\n");
	}
}

/* 1 when w can go into a JSGF rule as a plain token. */
static int jsgf_word(const char *w)
{
	if (!w[0])
		return 0;
	for (const char *c = w; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '\'' ||
		      *c == '-' || *c == '_' || *c == '.'))
			return 0;
	return 1;
}

/* The rule "<name> = <NULL> | w1 w2 ...;": the fixed phrase words[0..n), optional.
 * (Named rules only, no [ ], ( ) or +: sphinxbase 5prealpha leaks the rules it makes for
 * those on every grammar it parses, which a worker does for every entity clip.) */
static void phrase(struct gbuf *g, const char *name, struct asr_word *w, size_t n)
{
	add(g, name);
	add(g, " = <NULL>");
	for (size_t i = 0; i < n; i++) {
		add(g, i ? " " : " | ");
		add(g, w[i].word);
	}
	add(g, ";\n");
}

/* The JSGF grammar of one segment: either the language model's reading lm[0..n) word for
 * word, or the entity of kind with lm's words before (lm[0..first)) and after (lm[last..n))
 * it as optional fixed phrases.  One search over both readings: the better-scored one wins
 * on the same acoustic scores.  0, or -1 when a word cannot go into a grammar or the
 * grammar does not fit. */
static int write_grammar(struct gbuf *g, int kind, struct asr_word *lm, size_t n,
			 size_t first, size_t last)
{

	for (size_t i = 0; i < n; i++)
		if (!jsgf_word(lm[i].word))
			return -1;
	g->n = 0;
	g->full = 0;
	add(g, "#JSGF V1.0;\ngrammar kefu_entity;\npublic <utt> = <read> | <heard>;\n");
	add(g, "<heard> =");
	for (size_t i = 0; i < n; i++) {
		add(g, " ");
		add(g, lm[i].word);
	}
	add(g, ";\n<read> = <pre> <entity> <post>;\n");
	phrase(g, "<pre>", lm, first);
	phrase(g, "<post>", lm + last, n - last);
	alternatives(g, "<digit>", sp_ent_units, 10);
	alternatives(g, "<oh>", digit_extra, 1);
	alternatives(g, "<teen>", sp_ent_teens, 10);
	alternatives(g, "<tens>", sp_ent_tens, 10);
	alternatives(g, "<mult>", mults, 4);
	add(g, "<num> = <digit> | <oh> | <teen> | <tens> | <mult>;\n");
	switch (kind) {
	case ASR_ENT_NUMBER:
		tokens(g, 0);
		add(g, "<entity> = <dig> | <dig> <entity>;\n");
		break;
	case ASR_ENT_DATE:
		alternatives(g, "<month>", sp_ent_months, 12);
		alternatives(g, "<uord>", sp_ent_unit_ord, 10);
		alternatives(g, "<tord>", sp_ent_teen_ord, 10);
		alternatives(g, "<tyord>", sp_ent_tens_ord, 10);
		add(g, "<day> = <uord> | <tord> | <tyord> | twenty <uord> | thirty first | <digit>"
		       " | <teen> | twenty | twenty <digit> | thirty | thirty one;\n"
		       "<year> = <num> | <num> <year>;\n<oyear> = <NULL> | <year>;\n"
		       "<othe> = <NULL> | the;\n"
		       "<entity> = <month> <othe> <day> <oyear> | <othe> <day> of <month> <oyear>;\n");
		break;
	case ASR_ENT_AMOUNT:
		alternatives(g, "<currency>", currencies, 7);
		add(g, "<nums> = <num> | <num> <nums>;\n<ocur> = <NULL> | <currency>;\n"
		       "<oand> = <NULL> | and;\n<ocents> = <NULL> | cents;\n"
		       "<frac> = <NULL> | <oand> <nums> <ocents>;\n"
		       "<entity> = <nums> <ocur> <frac> | <nums> point <nums> <ocur>;\n");
		break;
	default:            /* codes: runs of letters and runs of digits, as codes are */
		tokens(g, 1);
		add(g, "<ld> = <let> | <dig>;\n<entity> = <ld> | <ld> <entity>;\n");
		break;
	}
	return g->full ? -1 : 0;
}

/* Adds (or replaces) the search name of ps with the grammar text.  ps_set_jsgf_string
 * would do it but never frees the parsed grammar (pocketsphinx 5prealpha: ~18 KB per call,
 * LeakSanitizer), so the same steps here, freeing everything.  0 or -1. */
static int set_grammar(ps_decoder_t *ps, const char *name, const char *text)
{
	jsgf_t *jsgf = jsgf_parse_string(text, NULL);
	jsgf_rule_t *rule = jsgf ? jsgf_get_public_rule(jsgf) : NULL;
	fsg_model_t *fsg = rule ? jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps),
						 cmd_ln_float32_r(ps_get_config(ps), "-lw"))
				: NULL;
	int rc = fsg ? ps_set_fsg(ps, name, fsg) : -1;

	if (fsg)
		fsg_model_free(fsg);          /* the search keeps its own reference */
	if (jsgf)
		jsgf_grammar_free(jsgf);
	return rc < 0 ? -1 : 0;
}

/* ---- choosing ------------------------------------------------------------------------ */

static int has_word(const struct asr_result *r, size_t from, size_t to,
		    const char *const *tab, int n)
{
	for (size_t i = from; i < to; i++)
		for (int k = 0; k < n; k++)
			if (tab[k] && !strcmp(r->words[i].word, tab[k]))
				return 1;
	return 0;
}

/* The kind the words r->words[from..to) look like when none is expected: a month: a date;
 * a currency: an amount; a letter: a code; else a number. */
static int guess_kind(const struct asr_result *r, size_t from, size_t to)
{
	if (has_word(r, from, to, sp_ent_months, 12))
		return ASR_ENT_DATE;
	if (has_word(r, from, to, currencies, 7))
		return ASR_ENT_AMOUNT;
	for (size_t i = from; i < to; i++)          /* a letter heard: a code */
		if (asr_entity_token(r->words[i].word) &&
		    asr_entity_normalize(r->words[i].word, ASR_ENT_NUMBER, (char[8]){ 0 }, 8) <= 0)
			return ASR_ENT_CODE;
	return ASR_ENT_NUMBER;
}

/* Moves the words of src (all but the empty ones a grammar's null transitions leave) to
 * the end of dst. */
static int take_words(struct asr_result *dst, struct asr_result *src)
{
	struct asr_word *nw;

	if (!src->n_words)
		return 0;
	nw = realloc(dst->words, (dst->n_words + src->n_words) * sizeof *nw);
	if (!nw)
		return ASR_ERR_NOMEM;
	dst->words = nw;
	for (size_t i = 0; i < src->n_words; i++) {
		if (src->words[i].word[0])
			dst->words[dst->n_words++] = src->words[i];
		else
			free(src->words[i].word);
	}
	free(src->words);
	src->words = NULL;
	src->n_words = 0;
	return 0;
}

/* Joins words[0..n) with spaces into out. */
static void join(const struct asr_word *w, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int k = w[i].word[0] ? snprintf(out + o, cap - o, "%s%s", o ? " " : "", w[i].word)
				     : 0;
		if (k < 0 || (size_t)k >= cap - o)
			break;
		o += (size_t)k;
	}
}

/* Words that sound exactly like a digit ("for" and "four" are both F AO R): in a segment
 * read for an entity, the language model's homophone becomes the digit, in both readings
 * (the grammar cannot tell them apart either). */
static int digit_homophones(struct asr_result *lm)
{
	static const char *const map[][2] = { { "for", "four" }, { "fore", "four" },
		{ "to", "two" }, { "too", "two" }, { "won", "one" }, { "ate", "eight" } };

	for (size_t i = 0; i < lm->n_words; i++)
		for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
			if (!strcmp(lm->words[i].word, map[k][0])) {
				char *w = strdup(map[k][1]);
				if (!w)
					return ASR_ERR_NOMEM;
				free(lm->words[i].word);
				lm->words[i].word = w;
				break;
			}
	return 0;
}

/* 1 when r's words are lm's, the empty ones left out. */
static int same_words(const struct asr_result *r, const struct asr_result *lm)
{
	size_t j = 0;

	for (size_t i = 0; i < r->n_words; i++) {
		if (!r->words[i].word[0])
			continue;
		if (j >= lm->n_words || strcmp(r->words[i].word, lm->words[j].word))
			return 0;
		j++;
	}
	return j == lm->n_words;
}

/* One segment: the language model's reading lm (already decoded), maybe replaced by the
 * grammar's.  Appends the kept words to r; fills the segment's part of e. */
static int segment(asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		   const struct asr_entity_opts *o, struct asr_result *lm,
		   struct asr_result *r, struct asr_entity *e)
{
	ps_decoder_t *ps = sp_decoder_ps(d);
	size_t first = lm->n_words, last = 0, ntok = 0;
	struct asr_result gr = { 0 };
	struct gbuf *g;
	cmd_ln_t *cfg = ps_get_config(ps);
	double wip = cmd_ln_float32_r(cfg, "-wip");
	int kind, rc;

	for (size_t i = 0; i < lm->n_words; i++)
		if (asr_entity_token(lm->words[i].word)) {
			if (first == lm->n_words)
				first = i;
			last = i;
			ntok++;
		}
	if (o->mode == ASR_GRAMMAR_NONE || !lm->n_words ||
	    (o->expect == ASR_ENT_NONE &&
	     (o->mode == ASR_GRAMMAR_ASKED || ntok < ASR_GRAMMAR_MIN_TOKENS ||
	      2 * ntok < lm->n_words)))
		return take_words(r, lm);
	if (!ntok || o->expect != ASR_ENT_NONE)      /* asked for: the entity alone */
		first = 0, last = lm->n_words;
	else
		last++;
	kind = o->expect != ASR_ENT_NONE ? o->expect : guess_kind(lm, first, last);
	if (digit_homophones(lm))
		return ASR_ERR_NOMEM;
	if (!(g = malloc(sizeof *g)))
		return ASR_ERR_NOMEM;
	if (write_grammar(g, kind, lm->words, lm->n_words, first, last)) {
		free(g);
		return take_words(r, lm);
	}
	/* every word of the grammar costs what a word of a uniform language model over the
	 * code vocabulary costs (lw * ln 1/N, as the language model's search scales its
	 * scores): the grammar search reads its insertion penalty -wip when it is made */
	cmd_ln_set_float32_r(cfg, "-wip", (float)(1.0 / code_vocabulary()));
	rc = set_grammar(ps, ASR_GRAMMAR_SEARCH, g->s);
	cmd_ln_set_float32_r(cfg, "-wip", (float)wip);
	if (rc < 0 || ps_set_search(ps, ASR_GRAMMAR_SEARCH) < 0) {
		ps_set_search(ps, SP_LM_SEARCH);
		free(g);
		return take_words(r, lm);
	}
	free(g);
	rc = sp_decode_segment(d, pcm, n, off_ms, &gr);
	ps_set_search(ps, SP_LM_SEARCH);
	e->tried++;
	e->kind = kind;
	if (rc || same_words(&gr, lm)) {
		asr_result_free(&gr);
		return rc ? rc : take_words(r, lm);
	}
	e->from_grammar = 1;
	rc = take_words(r, &gr);
	asr_result_free(&gr);
	return rc;
}

/* Appends to dst copies of the words src[from..to). */
static int copy_words(struct asr_result *dst, const struct asr_result *src, size_t from,
		      size_t to)
{
	for (size_t i = from; i < to; i++) {
		struct asr_word *nw = realloc(dst->words, (dst->n_words + 1) * sizeof *nw);
		if (!nw)
			return ASR_ERR_NOMEM;
		dst->words = nw;
		nw[dst->n_words] = src->words[i];
		if (!(nw[dst->n_words].word = strdup(src->words[i].word)))
			return ASR_ERR_NOMEM;
		dst->n_words++;
	}
	return 0;
}

/* The spelling pass: when the language model's words of a segment look like a value (at
 * least ASR_GRAMMAR_MIN_TOKENS entity words making half of them), the same samples are
 * searched again with the entity model's share raised to o->spell, and that reading
 * replaces lm's.  With a search of its own (sp_spell_begin) and o->spell_span > 0, the
 * first pass's words at the segment's ends that the entity model cannot say ("my order
 * number is ...") stay as heard and only the samples between them are searched again.
 * 1 when its reading replaced lm's, 0 when the segment was left alone, or a negative
 * enum asr_err.  c: the segment's cepstra, read again when the whole segment is. */
static int spell_pass(asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		      const struct asr_entity_opts *o, const struct sp_seg_cep *c,
		      struct asr_result *lm)
{
	struct asr_result sp = { 0 };
	size_t ntok = 0, a = 0, b = lm->n_words, s0 = 0, s1 = n;
	int rc;

	if (o->mode == ASR_GRAMMAR_NONE || o->spell < 0)
		return 0;
	for (size_t i = 0; i < lm->n_words; i++)
		ntok += (size_t)asr_entity_token(lm->words[i].word);
	if (ntok < ASR_GRAMMAR_MIN_TOKENS || 2 * ntok < lm->n_words)
		return 0;
	if (o->spell_span > 0) {
		while (a < b && !sp_spell_knows(d, lm->words[a].word))
			a++;
		while (b > a && !sp_spell_knows(d, lm->words[b - 1].word))
			b--;
		if (a == b)
			return 0;
		if (a)
			s0 = (size_t)(lm->words[a - 1].end_ms - off_ms) * (ASR_RATE / 1000);
		if (b < lm->n_words)
			s1 = (size_t)(lm->words[b].start_ms - off_ms) * (ASR_RATE / 1000);
		if (s1 > n)
			s1 = n;
		if (s0 + ASR_RATE / 10 > s1)         /* under 100 ms between: nothing to read */
			return 0;
	}
	if (sp_spell_begin(d, o->spell > 0 ? o->spell : ASR_SPELL_WEIGHT) < 0) {
		sp_spell_end(d);
		return 0;
	}
	rc = copy_words(&sp, lm, 0, a);
	if (rc == 0)
		rc = sp_decode_cep(d, pcm + s0, s1 - s0, off_ms + (int)(s0 * 1000 / ASR_RATE),
				   s0 == 0 && s1 == n ? c : NULL, &sp);
	sp_spell_end(d);
	if (rc == 0)
		rc = copy_words(&sp, lm, b, lm->n_words);
	if (rc) {
		asr_result_free(&sp);
		return rc;
	}
	asr_result_free(lm);
	*lm = sp;
	return 1;
}

int asr_recognize_entity(asr_decoder *d, asr_vad *v, const void *data, size_t len,
			 const struct asr_limits *lim, const struct asr_entity_opts *o,
			 struct asr_result *r, struct asr_entity *e)
{
	int expect = o->expect;
	struct asr_audio a;
	struct asr_segment *seg;
	double t0 = thread_cpu_seconds();
	size_t ns;
	int rc;

	memset(r, 0, sizeof *r);
	memset(e, 0, sizeof *e);
	rc = asr_audio_decode(data, len, lim, &a);
	if (rc)
		return rc;
	seg = asr_vad_segments(v, a.pcm, a.n, &ns, NULL);
	if (!seg) {
		asr_audio_free(&a);
		return ASR_ERR_NO_SPEECH;
	}
	for (size_t i = 0; i < ns && rc == 0; i++) {
		struct asr_result lm = { 0 };
		const int16_t *p = a.pcm + seg[i].start;
		size_t n = seg[i].end - seg[i].start;
		int off = (int)(seg[i].start * 1000 / ASR_RATE);
		int spelled = 0;
		struct sp_seg_cep c;
		sp_segment_cepstra(d, p, n, &c);
		rc = sp_decode_cep(d, p, n, off, &c, &lm);
		if (rc == 0 && (rc = spell_pass(d, p, n, off, o, &c, &lm)) > 0) {
			spelled = 1;
			rc = 0;
		}
		if (rc == 0 && spelled)
			rc = sp_letters_fix(d, p, n, off, o, &c, &lm);
		sp_cepstra_free(c.rows);
		if (rc == 0 && o->mode != ASR_GRAMMAR_NONE && o->speller >= 0)
			rc = sp_speller_fix(&lm);
		if (rc == 0)
			rc = segment(d, p, n, off, o, &lm, r, e);
		asr_result_free(&lm);
	}
	if (rc == 0)
		rc = sp_result_finish(r);
	if (rc == 0) {
		int k = e->kind != ASR_ENT_NONE ? e->kind : expect;
		if (k == ASR_ENT_NONE) {             /* no grammar pass: what the words say */
			size_t nt = 0;
			for (size_t i = 0; i < r->n_words; i++)
				nt += (size_t)asr_entity_token(r->words[i].word);
			if (nt >= ASR_GRAMMAR_MIN_TOKENS && 2 * nt >= r->n_words)
				k = guess_kind(r, 0, r->n_words);
		}
		if (k != ASR_ENT_NONE &&
		    asr_entity_normalize(r->text, k, e->value, sizeof e->value) > 0 &&
		    e->value[0]) {
			if (k == ASR_ENT_CODE && expect == ASR_ENT_NONE &&
			    strspn(e->value, "0123456789") == strlen(e->value))
				k = ASR_ENT_NUMBER;  /* unasked, a code of digits only is a number */
			e->kind = k;
			join(r->words, r->n_words, e->spoken, sizeof e->spoken);
		} else {
			e->kind = ASR_ENT_NONE;
			e->value[0] = '\0';
		}
	}
	r->audio_seconds = a.seconds;
	r->cpu_seconds = thread_cpu_seconds() - t0;
	free(seg);
	asr_audio_free(&a);
	if (rc)
		asr_result_free(r);
	return rc;
}
