/* speech/asr.c — recognition with pocketsphinx 5prealpha (Debian 12), and the clip pipeline.
 *
 * One asr_decoder per worker thread, created at start-up and reused for every clip: it owns a
 * ps_decoder_t (acoustic model, dictionary, search) and is never touched by two threads.
 * Language models, by asr_model_paths:
 *   generic only    Debian's en-us.lm.bin (a 3-gram over broad American English)
 *   domain only     the ARPA model `kefu train` builds from the store (lm.c)
 *   mixed           both in a sphinxbase LM set with linear interpolation weights
 *                   (domain_weight, 1 - domain_weight) over the union of their vocabularies,
 *                   so unseen phrasings still decode while the store's phrasing is favoured
 *   + entities      the generated model of spoken digits, codes, numbers and dates
 *                   (entity_lm.c) as a third member of the set, weight entity_weight, so a
 *                   customer reading out an order number is heard as one; the entity
 *                   model's share can be raised for one search and put back, or a
 *                   second search over the entity model [+ the store's] alone run
 *                   (sp_spell_begin: grammar.c's spelling pass; asr_model_paths.spell_lm)
 * With mllr, the acoustic model's means go through a global MLLR transform (adapt/mllr.sh:
 * real voices on a close-talking microphone; docs/speech.md); with hmm, the acoustic model
 * is another folder (adapt/map.sh's MAP-adapted means; plain always uses Debian's).
 * Words of the domain LM that cmudict lacks come from extra_dict (lex.c, flite's
 * letter-to-sound rules) and are added to the decoder's dictionary before the search is built.
 * The decoder's dictionary holds only the entries of cmudict whose word one of its language
 * models knows, or the spoken-entity tables list (grammar.c's grammars): 79,420 of cmudict's
 * 134,723 entries with the generic model.  Words no model knows were never searched, and
 * the entries kept are in cmudict's order, so the search and its results are the same;
 * the decoder is 13 MB smaller (docs/performance.md, "Third round").  With generic_words
 * (conf asr_generic_words) the generic model's words are cut further to its generic_words
 * most probable unigrams (the domain, entity and extra words all stay; the models
 * themselves are whole): the lexicon tree the first pass walks and the language-model
 * look-ups shrink with it (docs/speech.md "Fifth round").
 *
 * Word confidences are lattice posteriors (ps_get_prob computes them; ps_seg_prob returns
 * each word's), converted to 0..1.  pocketsphinx logs to /dev/null unless kefu's log level is
 * debug.
 */
#include "speech.h"
#include "speech_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <pocketsphinx.h>
#include <ngram_model.h>
#include <sphinxbase/ckd_alloc.h>

#include "log.h"

/* Search limits measured on bench/speech (docs/speech.md, rtf_sweep.sh: mixed LM, 103 flite
 * clips, one pinned core, thread CPU time).  At most 3000 active HMMs, 5 word exits per frame,
 * a 10-frame phone lookahead: RTF 0.234 on a shared core (0.199 on a quiet one), WER 10.0 %.
 * The flat-lexicon second pass searching successors within 10 frames (not 25) and words with
 * at least 2 end frames (not 4): 0.188 on the same shared core, WER 9.9 %, the same spoken
 * intent, and on the 208 en_smoke paraphrase clips WER 10.3 % (10.25), spoken intent 92.3 %
 * (92.8: one clip) with as many clips under asr_threshold (12).  Dropping the second pass
 * (-fwdflat no -maxhmmpf 2000) ran at 0.136 but cost 3.4 points of spoken intent on the
 * paraphrases, raised the word posteriors, and made kefud's voice test hear "how do I top
 * up" as "can deny top up" at confidence 0.92: not taken. */
#define ASR_SPEED_ARGS "-maxwpf", "5", "-pl_window", "10", \
	"-fwdflatefwid", "2", "-fwdflatsfwin", "10"
/* asr_model_paths.fast (conf asr_fast): at most 2000 active HMMs and the 2 best Gaussians
 * of each mixture (not 4).  On the 239 an4 dev clips (thread CPU, load 4-8): RTF 0.235 ->
 * 0.191, WER 19.8 -> 21.9 %, exact digit/letter strings 107 -> 100 of 206; on 39 flite
 * clips RTF 0.188 -> 0.134, WER 11.0 -> 10.5 %.  Dropping the flat-lexicon second pass
 * instead (-fwdflat no -maxhmmpf 2000) cost more WER on an4 (80 clips: 26.8 against 24.9 %).
 * docs/speech.md "Third round". */
#define ASR_SEARCH_ACCURATE "-maxhmmpf", "3000"
#define ASR_SEARCH_FAST "-maxhmmpf", "2000", "-topn", "2"

struct asr_decoder {
	ps_decoder_t *ps;
	cmd_ln_t *cfg;
	struct asr_cmn *cmn;        /* a session's cepstral mean (cmn.c), or NULL: per segment */
	ngram_model_t *mix;         /* the search's LM set when it holds the entity model (the
				     * search owns it), else NULL: sp_spell_begin's */
	const char *mix_names[3];
	float mix_dom, mix_ent;     /* the domain's share of the rest, the entity model's share */
	int mix_n;
	ngram_model_t *spell;       /* the spelling pass's own search's LM (SP_SPELL_SEARCH owns
				     * it: the entity model [+ the store's]), or NULL: the mix */
	int spell_n;                /* its members: 1 (entity) or 2 (entity, domain) */
	ngram_model_t *spell_ent;   /* the entity model (our reference), for sp_spell_knows */
	ps_decoder_t *sps;          /* the spelling search on its own acoustic model
				     * (asr_model_paths.spell_hmm), or NULL: on d->ps */
	cmd_ln_t *scfg;             /* its configuration */
	int spelling;               /* 1 between sp_spell_begin and sp_spell_end with sps */
};

static double thread_cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Adds the "word PHONES..." lines of path to the decoder's dictionary; count or -1. */
static int add_words(ps_decoder_t *ps, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		/* update = FALSE: the search is built after all words are in */
		if (ps_add_word(ps, line, sp + 1, 0) >= 0)
			n++;
	}
	fclose(f);
	return n;
}

/* A file in memory, named by its /proc/self/fd path in path (pocketsphinx reads its
 * dictionaries by name): a FILE open for writing, or NULL. */
static FILE *mem_file(char *path, size_t cap)
{
	int fd = memfd_create("kefu-asr-dict", MFD_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return f;
}

/* 1 when w is in one of the n tables of the spoken-entity words (NULL entries skipped). */
static int entity_word(const char *w)
{
	static const char *const *const tabs[] = { sp_ent_nato, sp_ent_units, sp_ent_teens,
		sp_ent_tens, sp_ent_unit_ord, sp_ent_teen_ord, sp_ent_tens_ord, sp_ent_months };
	static const int sizes[] = { 26, 10, 10, 10, 10, 10, 10, 12 };

	for (size_t t = 0; t < sizeof tabs / sizeof tabs[0]; t++)
		for (int i = 0; i < sizes[t]; i++)
			if (tabs[t][i] && !strcmp(tabs[t][i], w))
				return 1;
	return 0;
}

static int32 unigram_prob(ngram_model_t *lm, int32 wid)
{
	int32 used;

	return ngram_ng_prob(lm, wid, NULL, 0, &used);
}

static int cmp_desc(const void *a, const void *b)
{
	int32 x = *(const int32 *)a, y = *(const int32 *)b;

	return (x < y) - (x > y);
}

/* The unigram log probability of lm's n-th most probable word: the floor under which
 * write_known_words leaves lm's words out (INT32_MIN when n is 0 or lm has no more words,
 * or when memory is short: every word kept). */
static int32 unigram_floor(ngram_model_t *lm, int n)
{
	int32 nu = (int32)ngram_model_get_counts(lm)[0], floor = INT32_MIN;
	int32 *p;

	if (n <= 0 || n >= nu || !(p = malloc((size_t)nu * sizeof *p)))
		return INT32_MIN;
	for (int32 w = 0; w < nu; w++)
		p[w] = unigram_prob(lm, w);
	qsort(p, (size_t)nu, sizeof *p, cmp_desc);
	floor = p[n - 1];
	free(p);
	return floor;
}

/* Writes to out the lines of the dictionary file dict whose word (up to an alternative
 * pronunciation's "(2)") a model lms[i] of lms[0..n) knows with a unigram log probability
 * of at least floors[i], or entity_word lists, in dict's order.  0, or -1 when dict cannot
 * be read or out written. */
static int write_known_words(const char *dict, ngram_model_t *const *lms, const int32 *floors,
			     int n, FILE *out)
{
	FILE *f = fopen(dict, "r");
	char line[1024], word[256];
	int rc = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		size_t len = strcspn(line, " \t(\r\n");
		int keep = 0;

		if (len == 0 || len >= sizeof word)
			continue;
		memcpy(word, line, len);
		word[len] = '\0';
		for (int i = 0; i < n && !keep; i++) {
			int32 wid = ngram_wid(lms[i], word);

			keep = wid != ngram_unknown_wid(lms[i]) &&
			       (floors[i] == INT32_MIN || unigram_prob(lms[i], wid) >= floors[i]);
		}
		if ((keep || entity_word(word)) && fputs(line, out) == EOF)
			rc = -1;
	}
	if (ferror(f))
		rc = -1;
	fclose(f);
	return fflush(out) ? -1 : rc;
}

/* The decoder's configuration: acoustic model hmm, dictionary file dict, kefu's search
 * settings (unless p->plain), p->mllr when with_mllr, then p->ps_opts's "-name value"
 * overrides; NULL when pocketsphinx rejects it. */
static cmd_ln_t *decoder_config(const struct asr_model_paths *p, const char *hmm,
				const char *dict, int with_mllr)
{
	enum { MAX_ARGS = 64 };
	char *argv[MAX_ARGS];
	char opts[512];
	int argc = 0;
	const char *base[] = { "kefu", "-hmm", hmm, "-dict", dict,
		/* a clip is one whole utterance: normalise its cepstra by its own mean, and keep no
		 * noise estimate across clips, so a result does not depend on earlier clips */
		"-cmn", "batch", "-remove_noise", "no",
		"-logfn", cm_log_level_current >= CM_LOG_DEBUG ? "/dev/stderr" : "/dev/null",
		NULL };
	static const char *const tuned[] = { ASR_SPEED_ARGS, NULL };
	static const char *const accurate[] = { ASR_SEARCH_ACCURATE, NULL };
	static const char *const fast[] = { ASR_SEARCH_FAST, NULL };
	const char *const *search = p->fast ? fast : accurate;
	for (int i = 0; base[i]; i++)
		argv[argc++] = (char *)base[i];
	for (int i = 0; !p->plain && tuned[i]; i++)
		argv[argc++] = (char *)tuned[i];
	for (int i = 0; !p->plain && search[i]; i++)
		argv[argc++] = (char *)search[i];
	if (with_mllr && !p->plain && p->mllr) {
		argv[argc++] = "-mllr";
		argv[argc++] = (char *)p->mllr;
	}
	snprintf(opts, sizeof opts, "%s", p->ps_opts ? p->ps_opts : "");
	char *save = NULL;
	for (char *t = strtok_r(opts, " ", &save); t && argc < MAX_ARGS - 1;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	return cmd_ln_parse_r(NULL, ps_args(), argc, argv, FALSE);
}

/* The spelling search's settings into cfg, which pocketsphinx reads when a search is made:
 * the language weight ASR_SPELL_LW (p->spell_lw when set), and p->spell_wip, _maxhmmpf and
 * _flat when set.  (Without the flat second pass the search turns the acoustic model's
 * growing feature buffer off, which the first pass's search, made after this one, turns on
 * again.) */
static void spell_settings(cmd_ln_t *cfg, const struct asr_model_paths *p)
{
	cmd_ln_set_float32_r(cfg, "-lw", p->spell_lw > 0 ? p->spell_lw : ASR_SPELL_LW);
	if (p->spell_wip > 0)
		cmd_ln_set_float32_r(cfg, "-wip", p->spell_wip);
	if (p->spell_maxhmmpf > 0)
		cmd_ln_set_int32_r(cfg, "-maxhmmpf", p->spell_maxhmmpf);
	if (p->spell_flat < 0)
		cmd_ln_set_boolean_r(cfg, "-fwdflat", 0);
}

/* The spelling search on an acoustic model of its own, p->spell_hmm (speech/adapt/map.sh's
 * means from real voices), in a second decoder d->sps: its dictionary the words of dict the
 * entity model knows (and p->extra_dict's), its one search over the entity model alone with
 * the spelling pass's settings (add_spell_search).  It reads the first pass's cepstra
 * (sp_decode_cep: the folder's feat.params are the first model's), so only the search and
 * the acoustic scores are its own; its phone-loop lookahead is ASR_SPELL_PL_WINDOW's (p->
 * spell_pl_window when set), not the first pass's.  docs/speech.md "Twelfth round",
 * "Fourteenth round".  1, or -1. */
static int add_spell_decoder(asr_decoder *d, const struct asr_model_paths *p, const char *dict)
{
	char empty_path[64], known_path[64];
	FILE *empty = mem_file(empty_path, sizeof empty_path), *known = NULL;
	ngram_model_t *e = NULL;
	int32 floor = INT32_MIN;
	int rc = -1;

	if (!empty || !(d->scfg = decoder_config(p, p->spell_hmm, empty_path, 0)))
		goto out;
	spell_settings(d->scfg, p);
	cmd_ln_set_int32_r(d->scfg, "-pl_window", p->spell_pl_window > 0 ? p->spell_pl_window
				   : p->spell_pl_window < 0 ? 0 : ASR_SPELL_PL_WINDOW);
	if (!(d->sps = ps_init(d->scfg)) ||
	    !(e = ngram_model_read(d->scfg, p->entity_lm, NGRAM_ARPA, ps_get_logmath(d->sps))) ||
	    !(known = mem_file(known_path, sizeof known_path)) ||
	    write_known_words(dict, &e, &floor, 1, known) < 0 ||
	    ps_load_dict(d->sps, known_path, NULL, NULL) < 0 ||
	    (p->extra_dict && add_words(d->sps, p->extra_dict) < 0))
		goto out;
	/* the search takes a reference */
	if (ps_set_lm(d->sps, SP_SPELL_SEARCH, e) >= 0 && ps_set_search(d->sps, SP_SPELL_SEARCH) >= 0)
		rc = 1;
out:
	if (e)
		ngram_model_free(e);
	if (empty)
		fclose(empty);
	if (known)
		fclose(known);
	return rc;
}

/* The spelling pass's search (grammar.c, sp_spell_begin), when p->spell_lm asks for one of
 * its own: the entity model e alone (ASR_SPELL_LM_ENTITY), or beside the store's model m at
 * 1 - ASR_SPELL_WEIGHT (ASR_SPELL_LM_SMALL; e alone when there is no m), added to d's
 * decoder as SP_SPELL_SEARCH.  The generic model's words are not in it: its lexicon tree
 * holds only the words these models know (pocketsphinx leaves the dictionary's other words
 * out of a search), so it walks the entity model's 135 words (a few thousand with the
 * store's) instead of the mix's more than 10,000.  The same acoustic model and dictionary;
 * the search settings of the first pass but for the language weight ASR_SPELL_LW
 * (p->spell_lw when set) and p->spell_wip, _maxhmmpf, _flat when set.  0 (ASR_SPELL_LM_MIX:
 * no search of its own, the mix is re-weighted) or 1, -1 on failure.  docs/speech.md
 * "Seventh round". */
static int add_spell_search(asr_decoder *d, const struct asr_model_paths *p, ngram_model_t *e,
			    ngram_model_t *m, const char *dict)
{
	ngram_model_t *models[2] = { e, m };
	char *names[2] = { "entity", "domain" };
	float32 weights[2] = { ASR_SPELL_WEIGHT, 1 - ASR_SPELL_WEIGHT };
	int n = p->spell_lm == ASR_SPELL_LM_SMALL && m ? 2 : 1;
	ngram_model_t *lm;
	int rc;

	float32 lw = cmd_ln_float32_r(d->cfg, "-lw"), wip = cmd_ln_float32_r(d->cfg, "-wip");
	long maxhmm = cmd_ln_int32_r(d->cfg, "-maxhmmpf");
	int flat = cmd_ln_boolean_r(d->cfg, "-fwdflat");

	if (p->spell_lm == ASR_SPELL_LM_MIX)
		return 0;
	if (p->spell_hmm && p->spell_lm == ASR_SPELL_LM_ENTITY) {
		if (add_spell_decoder(d, p, dict) < 0)
			return -1;
		d->spell_ent = ngram_model_retain(e);
		return 1;
	}
	/* the search reads its language weight, insertion penalty and HMM limit when it is
	 * made: the spelling pass's own, then the first pass's back */
	spell_settings(d->cfg, p);
	rc = -1;
	if ((lm = ngram_model_set_init(d->cfg, models, names, weights, n))) {
		rc = ps_set_lm(d->ps, SP_SPELL_SEARCH, lm);  /* the search takes a reference */
		if (rc >= 0) {
			d->spell = lm;
			d->spell_n = n;
			d->spell_ent = ngram_model_retain(e);
		}
		ngram_model_free(lm);
	}
	cmd_ln_set_float32_r(d->cfg, "-lw", lw);
	cmd_ln_set_float32_r(d->cfg, "-wip", wip);
	cmd_ln_set_int32_r(d->cfg, "-maxhmmpf", maxhmm);
	cmd_ln_set_boolean_r(d->cfg, "-fwdflat", flat);
	return rc < 0 ? -1 : 1;
}

const char *asr_mllr_find(const char *models, char *out, size_t cap)
{
	FILE *f;
	int n = snprintf(out, cap, "%s/%s", models ? models : ".", ASR_MLLR_FILE);

	if (n < 0 || (size_t)n >= cap || !(f = fopen(out, "r")))
		return NULL;
	fclose(f);
	return out;
}

/* models/dir into out when that folder's means file can be read, else NULL. */
static const char *model_dir_find(const char *models, const char *dir, char *out, size_t cap)
{
	char means[1100];
	FILE *f;
	int n = snprintf(out, cap, "%s/%s", models ? models : ".", dir);

	if (n < 0 || (size_t)n >= cap || (size_t)snprintf(means, sizeof means, "%s/means", out)
	    >= sizeof means || !(f = fopen(means, "r")))
		return NULL;
	fclose(f);
	return out;
}

const char *asr_hmm_find(const char *models, char *out, size_t cap)
{
	return model_dir_find(models, ASR_HMM_DIR, out, cap);
}

const char *asr_spell_hmm_find(const char *models, char *out, size_t cap)
{
	return model_dir_find(models, ASR_SPELL_HMM_DIR, out, cap);
}

asr_decoder *asr_decoder_create(const struct asr_model_paths *p, char *err, size_t errlen)
{
	const char *hmm = p->hmm && !p->plain ? p->hmm : ASR_MODEL_DIR "/en-us";
	const char *dict = p->dict ? p->dict : ASR_DEFAULT_DICT;
	const char *gen = p->generic_lm ? p->generic_lm : ASR_MODEL_DIR "/en-us.lm.bin";
	int use_gen = gen[0] != '\0', use_dom = p->domain_lm != NULL;
	ngram_model_t *lm = NULL;
	if (!use_gen && !use_dom && !p->entity_lm) {
		snprintf(err, errlen, "no language model");
		return NULL;
	}
	asr_decoder *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* The decoder starts with an empty dictionary (the acoustic model and the logmath the
	 * language models are read with come first); the words they know are loaded after. */
	char empty_path[64], known_path[64];
	FILE *empty = mem_file(empty_path, sizeof empty_path), *known = NULL;
	if (!empty) {
		snprintf(err, errlen, "cannot make a file in memory");
		free(d);
		return NULL;
	}
	d->cfg = decoder_config(p, hmm, empty_path, 1);
	if (!d->cfg) {
		snprintf(err, errlen, "pocketsphinx configuration rejected");
		goto fail;
	}
	d->ps = ps_init(d->cfg);
	if (!d->ps) {
		snprintf(err, errlen, "pocketsphinx could not load %s / %s", hmm, dict);
		goto fail;
	}
	logmath_t *lmath = ps_get_logmath(d->ps);
	ngram_model_t *g = NULL, *m = NULL, *e = NULL;
	if (use_gen && !(g = ngram_model_read(d->cfg, gen, NGRAM_AUTO, lmath))) {
		snprintf(err, errlen, "cannot read language model %s", gen);
		goto fail;
	}
	if (use_dom && !(m = ngram_model_read(d->cfg, p->domain_lm, NGRAM_ARPA, lmath))) {
		snprintf(err, errlen, "cannot read language model %s", p->domain_lm);
		if (g)
			ngram_model_free(g);
		goto fail;
	}
	if (p->entity_lm && !(e = ngram_model_read(d->cfg, p->entity_lm, NGRAM_ARPA, lmath))) {
		snprintf(err, errlen, "cannot read language model %s", p->entity_lm);
		if (g)
			ngram_model_free(g);
		if (m)
			ngram_model_free(m);
		goto fail;
	}
	ngram_model_t *const all[3] = { g, m, e };
	ngram_model_t *known_lms[3];
	int32 floors[3];
	int n_known = 0;
	/* the generic words are cut only beside the store's or the entity model (never for
	 * plain, the reference, nor for the generic model alone) */
	int cut = !p->plain && (m || e) ? p->generic_words : 0;
	for (int i = 0; i < 3; i++)
		if (all[i]) {
			floors[n_known] = all[i] == g ? unigram_floor(g, cut) : INT32_MIN;
			known_lms[n_known++] = all[i];
		}
	if (!(known = mem_file(known_path, sizeof known_path)) ||
	    write_known_words(dict, known_lms, floors, n_known, known) < 0 ||
	    ps_load_dict(d->ps, known_path, NULL, NULL) < 0) {
		snprintf(err, errlen, "pocketsphinx could not load %s", dict);
		for (int i = 0; i < n_known; i++)
			ngram_model_free(known_lms[i]);
		goto fail;
	}
	if (p->extra_dict && add_words(d->ps, p->extra_dict) < 0) {
		snprintf(err, errlen, "cannot read %s", p->extra_dict);
		for (int i = 0; i < n_known; i++)
			ngram_model_free(known_lms[i]);
		goto fail;
	}
	if ((g != NULL) + (m != NULL) + (e != NULL) > 1) {
		ngram_model_t *models[3];
		char *names[3];
		float32 weights[3];
		int nm = 0;
		float w = p->domain_weight > 0 && p->domain_weight < 1 ? p->domain_weight : 0.5f;
		float we = p->entity_weight > 0 && p->entity_weight < 1 ? p->entity_weight
									: ASR_ENTITY_WEIGHT;
		if (!e)
			we = 0;
		if (!g)
			w = 1;
		if (!m)
			w = 0;
		if (g) {
			models[nm] = g; names[nm] = "generic"; weights[nm++] = (1 - w) * (1 - we);
		}
		if (m) {
			models[nm] = m; names[nm] = "domain"; weights[nm++] = w * (1 - we);
		}
		if (e) {
			models[nm] = e; names[nm] = "entity"; weights[nm++] = we;
		}
		/* the set takes its own reference to each model (LeakSanitizer showed ours leak) */
		lm = ngram_model_set_init(d->cfg, models, names, weights, nm);
		int sp = !lm || !e || p->plain ? 0 : add_spell_search(d, p, e, m, dict);
		for (int i = 0; i < nm; i++)
			ngram_model_free(models[i]);
		if (!lm || sp < 0) {
			snprintf(err, errlen, "cannot mix the language models");
			if (lm)
				ngram_model_free(lm);
			goto fail;
		}
		if (e) {
			d->mix = lm;
			for (int i = 0; i < nm; i++)
				d->mix_names[i] = names[i];
			d->mix_n = nm;
			d->mix_dom = w;
			d->mix_ent = we;
		}
	} else {
		lm = g ? g : m ? m : e;
	}
	/* ps_set_lm takes its own reference */
	if (ps_set_lm(d->ps, "kefu", lm) < 0 || ps_set_search(d->ps, "kefu") < 0) {
		snprintf(err, errlen, "pocketsphinx rejected the language model");
		ngram_model_free(lm);
		goto fail;
	}
	ngram_model_free(lm);
	fclose(empty);
	fclose(known);
	return d;
fail:
	fclose(empty);
	if (known)
		fclose(known);
	asr_decoder_destroy(d);
	return NULL;
}

void asr_decoder_destroy(asr_decoder *d)
{
	if (!d)
		return;
	if (d->ps)
		ps_free(d->ps);
	if (d->sps)
		ps_free(d->sps);
	if (d->scfg)
		cmd_ln_free_r(d->scfg);
	if (d->spell_ent)
		ngram_model_free(d->spell_ent);
	if (d->cfg)
		cmd_ln_free_r(d->cfg);
	free(d);
}

void asr_decoder_set_cmn(asr_decoder *d, struct asr_cmn *c)
{
	d->cmn = c;
}

int asr_decoder_knows(asr_decoder *d, const char *word)
{
	char *phones = ps_lookup_word(d->ps, word);

	free(phones);
	return phones != NULL;
}

void asr_result_free(struct asr_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_words; i++)
		free(r->words[i].word);
	free(r->words);
	free(r->text);
	memset(r, 0, sizeof *r);
}

/* 1 for words that are not spoken words: <s>, </s>, <sil>, [NOISE], ++GARBAGE++ */
static int is_filler(const char *w)
{
	return w[0] == '<' || w[0] == '[' || w[0] == '+';
}

/* The pocketsphinx decoder searching now: the spelling search's own (add_spell_decoder)
 * between sp_spell_begin and sp_spell_end, else the first pass's. */
static ps_decoder_t *active(asr_decoder *d)
{
	return d->spelling ? d->sps : d->ps;
}

/* Appends the words of the last utterance (times offset by off_ms) to r. */
static int collect(asr_decoder *d, struct asr_result *r, int off_ms)
{
	ps_decoder_t *ps = active(d);
	logmath_t *lmath = ps_get_logmath(ps);
	int32 score;
	if (!ps_get_hyp(ps, &score))
		return 0;
	ps_get_prob(ps);       /* computes the lattice posteriors ps_seg_prob returns */
	for (ps_seg_t *s = ps_seg_iter(ps); s; s = ps_seg_next(s)) {
		const char *w = ps_seg_word(s);
		if (is_filler(w))
			continue;
		struct asr_word *nw = realloc(r->words, (r->n_words + 1) * sizeof *nw);
		if (!nw) {
			ps_seg_free(s);
			return ASR_ERR_NOMEM;
		}
		r->words = nw;
		struct asr_word *x = &r->words[r->n_words];
		size_t len = strcspn(w, "(");           /* "read(2)" -> "read" */
		x->word = strndup(w, len);
		if (!x->word) {
			ps_seg_free(s);
			return ASR_ERR_NOMEM;
		}
		int32 a, l, b;
		double post = logmath_exp(lmath, ps_seg_prob(s, &a, &l, &b));
		x->conf = (float)(post > 1 ? 1 : post < 0 ? 0 : post);
		int sf, ef;
		ps_seg_frames(s, &sf, &ef);
		x->start_ms = off_ms + sf * 10;
		x->end_ms = off_ms + (ef + 1) * 10;
		r->n_words++;
	}
	return 0;
}

/* Joins r's words into r->text and sets r->conf. */
static int finish(struct asr_result *r)
{
	size_t len = 1;
	double c = 0;
	for (size_t i = 0; i < r->n_words; i++) {
		len += strlen(r->words[i].word) + 1;
		c += r->words[i].conf;
	}
	r->text = malloc(len);
	if (!r->text)
		return ASR_ERR_NOMEM;
	r->text[0] = '\0';
	size_t o = 0;
	for (size_t i = 0; i < r->n_words; i++) {
		size_t wl = strlen(r->words[i].word);
		if (o)
			r->text[o++] = ' ';
		memcpy(r->text + o, r->words[i].word, wl);
		o += wl;
		r->text[o] = '\0';
	}
	r->conf = r->n_words ? (float)(c / (double)r->n_words) : 0.0f;
	return 0;
}

/* Decodes one segment into r (appending); 0 or negative. */
static int run_segment(asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		       struct asr_result *r)
{
	ps_decoder_t *ps = active(d);

	if (ps_start_utt(ps) < 0)
		return ASR_ERR_INTERNAL;
	if ((d->cmn ? sp_cmn_process(ps, d->cmn, pcm, n)
		    : ps_process_raw(ps, pcm, n, FALSE, TRUE)) < 0) {
		ps_end_utt(ps);
		return ASR_ERR_INTERNAL;
	}
	if (ps_end_utt(ps) < 0)
		return ASR_ERR_INTERNAL;
	return collect(d, r, off_ms);
}

int asr_decoder_run(asr_decoder *d, const int16_t *pcm, size_t n, struct asr_result *r)
{
	memset(r, 0, sizeof *r);
	double t0 = thread_cpu_seconds();
	int rc = run_segment(d, pcm, n, 0, r);
	if (rc == 0)
		rc = finish(r);
	r->audio_seconds = (double)n / ASR_RATE;
	r->cpu_seconds = thread_cpu_seconds() - t0;
	if (rc)
		asr_result_free(r);
	return rc;
}

int asr_recognize_clip(asr_decoder *d, asr_vad *v, const void *data, size_t len,
		       const struct asr_limits *lim, struct asr_result *r)
{
	memset(r, 0, sizeof *r);
	double t0 = thread_cpu_seconds();
	struct asr_audio a;
	int rc = asr_audio_decode(data, len, lim, &a);
	if (rc)
		return rc;
	double t1 = thread_cpu_seconds();
	size_t ns;
	struct asr_segment *seg = asr_vad_segments(v, a.pcm, a.n, &ns, NULL);
	double t2 = thread_cpu_seconds();
	if (!seg) {
		asr_audio_free(&a);
		return ASR_ERR_NO_SPEECH;
	}
	for (size_t i = 0; i < ns && rc == 0; i++)
		rc = run_segment(d, a.pcm + seg[i].start, seg[i].end - seg[i].start,
				 (int)(seg[i].start * 1000 / ASR_RATE), r);
	if (rc == 0)
		rc = finish(r);
	r->audio_seconds = a.seconds;
	r->cpu_seconds = thread_cpu_seconds() - t0;
	r->decode_seconds = t1 - t0;
	r->vad_seconds = t2 - t1;
	free(seg);
	asr_audio_free(&a);
	if (rc)
		asr_result_free(r);
	return rc;
}

/* ---- scoring: digit/letter exactness, word error rate ---- */
int asr_entity_exact(const char *ref, const char *hyp)
{
	char a[256], b[256];
	if (asr_entity_normalize(ref, ASR_ENT_CODE, a, sizeof a) <= 0)
		return -1;
	if (asr_entity_normalize(hyp, ASR_ENT_CODE, b, sizeof b) < 0)
		return 0;
	return strcmp(a, b) == 0;
}

/* Splits normalised text into word start pointers (in place); returns the count. */
static size_t split_words(char *s, char **w, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(s, " ", &save); t && n < max;
	     t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	return n;
}

int asr_wer_count(const char *ref, const char *hyp, int *n_ref)
{
	size_t cr = strlen(ref) * 8 + 16, ch = strlen(hyp) * 8 + 16;
	char *a = malloc(cr), *b = malloc(ch);
	size_t mr = cr / 2 + 1, mh = ch / 2 + 1;
	char **rw = malloc(mr * sizeof *rw), **hw = malloc(mh * sizeof *hw);
	int *prev = NULL, *cur = NULL, dist = -1;
	*n_ref = 0;
	if (!a || !b || !rw || !hw)
		goto out;
	asr_text_normalize(ref, a, cr);
	asr_text_normalize(hyp, b, ch);
	size_t nr = split_words(a, rw, mr), nh = split_words(b, hw, mh);
	prev = malloc((nh + 1) * sizeof *prev);
	cur = malloc((nh + 1) * sizeof *cur);
	if (!prev || !cur)
		goto out;
	for (size_t j = 0; j <= nh; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= nr; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= nh; j++) {
			int sub = prev[j - 1] + (strcmp(rw[i - 1], hw[j - 1]) != 0);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		int *t = prev; prev = cur; cur = t;
	}
	dist = prev[nh];
	*n_ref = (int)nr;
out:
	free(a); free(b); free(rw); free(hw); free(prev); free(cur);
	return dist;
}

/* ---- for grammar.c (speech_int.h): the decoder's pocketsphinx handle and one segment's
 * decode with the search in use, so the grammar pass shares this decoder's acoustic model,
 * dictionary and result collection ---- */

ps_decoder_t *sp_decoder_ps(asr_decoder *d)
{
	return d->ps;
}

int sp_decode_segment(asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		      struct asr_result *r)
{
	return run_segment(d, pcm, n, off_ms, r);
}

void sp_segment_cepstra(asr_decoder *d, const int16_t *pcm, size_t n, struct sp_seg_cep *c)
{
	memset(c, 0, sizeof *c);
	if (!d->cmn)
		c->rows = sp_cepstra(d->ps, pcm, n, &c->n_frames, &c->n_cep);
}

int sp_decode_cep(asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		  const struct sp_seg_cep *c, struct asr_result *r)
{
	ps_decoder_t *ps = active(d);

	if (!c || !c->rows || d->cmn || c->n_frames <= 0)
		return run_segment(d, pcm, n, off_ms, r);
	if (ps_start_utt(ps) < 0)
		return ASR_ERR_INTERNAL;
	mfcc_t **cep = ckd_calloc_2d((size_t)c->n_frames, (size_t)c->n_cep, sizeof **cep);
	memcpy(cep[0], c->rows[0], (size_t)c->n_frames * (size_t)c->n_cep * sizeof **cep);
	int rc = ps_process_cep(ps, cep, c->n_frames, FALSE, TRUE);
	ckd_free_2d(cep);
	if (ps_end_utt(ps) < 0 || rc < 0)
		return ASR_ERR_INTERNAL;
	return collect(d, r, off_ms);
}

int sp_result_finish(struct asr_result *r)
{
	return finish(r);
}

/* The entity model's share of the decoder's mix set to we (0: the share it was made
 * with; the generic and store models share the rest as before).  0 or -1. */
static int entity_share(asr_decoder *d, float we)
{
	float32 weights[3];
	int k = 0;

	if (we <= 0)
		we = d->mix_ent;
	for (int i = 0; i < d->mix_n; i++) {
		const char *n = d->mix_names[i];
		weights[k++] = !strcmp(n, "entity") ? we
			     : !strcmp(n, "domain") ? d->mix_dom * (1 - we)
						    : (1 - d->mix_dom) * (1 - we);
	}
	return ngram_model_set_interp(d->mix, d->mix_names, weights) ? 0 : -1;
}

int sp_spell_begin(asr_decoder *d, float we)
{
	static const char *const names[2] = { "entity", "domain" };

	if (!d->mix)
		return -1;
	if (d->sps) {
		d->spelling = 1;
		return 0;
	}
	if (!d->spell)
		return entity_share(d, we);
	if (d->spell_n == 2 &&
	    !ngram_model_set_interp(d->spell, (const char **)names, (const float32[2]){ we, 1 - we }))
		return -1;
	return ps_set_search(d->ps, SP_SPELL_SEARCH) < 0 ? -1 : 0;
}

int sp_spell_knows(asr_decoder *d, const char *w)
{
	return !d->spell_ent || ngram_wid(d->spell_ent, w) != ngram_unknown_wid(d->spell_ent);
}

void sp_spell_end(asr_decoder *d)
{
	d->spelling = 0;
	if (d->sps)
		return;
	if (d->spell)
		ps_set_search(d->ps, SP_LM_SEARCH);
	else if (d->mix)
		entity_share(d, 0);
}
