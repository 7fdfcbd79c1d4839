/* tools/kefu/cmd_speech.c — `kefu eval-speech`: how well spoken questions are understood,
 * measured through exactly what kefud does with a voice clip.
 *
 *   kefu eval-speech --train FILE --manifest TSV [--lm generic|domain|mixed|plain] [--json]
 *                    [--clips] [--ps-opts "-name value ..."] [--entity-weight W]
 *                    [--grammar asked|auto|none] [--expect number|code|date|amount]
 *                    [--mllr FILE|none] [--hmm DIR|none] [kefu eval's training options]
 *                    [--spell-weight W|off] [--speller on|off] [--spell-lm entity|small|mix]
 *                    [--spell-span whole|ends] [--spell-lw X] [--spell-wip X]
 *                    [--spell-maxhmmpf N] [--spell-fwdflat yes|no]
 *                    [--spell-hmm DIR|none] [--spell-pl-window N|off]
 *                    [--letters on|off|FILE] [--letters-lambda X] [--letters-tau X]
 *                    [--letters-dump FILE]
 *
 * 1. Trains the text encoder from FILE (CSV text,category or Rasa NLU YAML) as `kefu eval`
 *    does (same options, saved and loaded back as kefud would), and builds the domain
 *    language model from FILE's texts with asr_domain_build, as kefud builds it from the
 *    store's example questions.
 * 2. Makes one decoder as a kefud worker does (generic en-us LM mixed with the domain one,
 *    weight conf asr_domain_weight, plus the generated entity model, weight --entity-weight,
 *    default ASR_ENTITY_WEIGHT, 0 = left out; --lm generic / domain for the LMs alone,
 *    plain = generic with pocketsphinx's own search settings, the reference; the acoustic
 *    transform models/ASR_MLLR_FILE and the adapted acoustic model models/ASR_HMM_DIR when
 *    they are there, as kefud, or --mllr's and --hmm's), and runs every
 *    clip of the manifest through asr_recognize_clip with kefud's limits (conf max_upload,
 *    max_audio_seconds).  With --grammar asked (the default, as kefud) every clip is also
 *    decoded with a grammar when --expect KIND says an answer expects one; with auto also
 *    a clip that looks like digits, letters, a date or an amount, unasked (measured worse
 *    on real voices); none: never (asr_recognize_entity, speech/grammar.c: the
 *    better-scored reading kept).  The spelling pass (a value-like segment searched again,
 *    speech/grammar.c) runs as kefud runs it; the --spell-* options are its measurements'
 *    (docs/speech.md "Sixth round", "Seventh round"): its search's language model, the part
 *    of the segment it reads again, and its own search settings.  --letters: the letter
 *    classifier after the spelling pass (speech/letters.c; on = the embedded model, as
 *    kefud, the default; off: none; FILE a model of `kefu letters-train`); --letters-dump FILE writes each letter and digit word
 *    the classifier step sees (the clip's line number in the manifest, the word, its
 *    posterior, and its frames' cepstra) for `kefu letters-train`.  Manifest lines: path<TAB>transcript<TAB>category; a relative path
 *    is relative to the manifest's folder; blank lines and lines starting with '#' are
 *    skipped.
 * 3. Chooses the answer (category) from the recognised text and from the reference
 *    transcript with the trained encoder, and reports WER, digit_accuracy (share of the
 *    clips whose reference holds digits/letters/numbers that got exactly that string,
 *    asr_entity_exact), both intent accuracies, RTF
 *    (thread CPU seconds of decode + VAD + recognition per second of audio, one thread),
 *    how many clips kefud would have asked back about ("Did you say ...?": the answer
 *    policy's pol_asks_back with conf asr_threshold) and the heap the decoder took.  The
 *    intent is the encoder's class, not the store's answer: FILE is not a store.
 *
 * Everything runs on the main thread (training may add one helper thread it joins).
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "cmd_eval.h"
#include "glove.h"
#include "model.h"
#include "policy.h"
#include "speech.h"
#include "tensor.h"

#define PROG "kefu eval-speech"

struct clip {
	char *path, *ref, *cat;       /* owned */
	char *session;                /* the manifest's 4th column (owned), or NULL */
	char *hyp;                    /* recognised text (owned; "" when none) */
	int rc;                       /* asr_recognize_clip's code (0 ok) */
	const char *status;           /* its name, or "unreadable" (no such file) */
	float conf;
	double seconds, cpu;
	int errs, nref;               /* WER counts */
	int ok_spoken, ok_text;
	struct asr_entity ent;        /* the grammar pass (asr_recognize_entity) */
	int digits;                   /* asr_entity_exact: -1 no entity, 0 wrong, 1 right */
};

struct run {
	struct clip *v;
	size_t n, cap;
};

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].ref);
		free(r->v[i].cat);
		free(r->v[i].session);
		free(r->v[i].hyp);
	}
	free(r->v);
}

/* Reads the manifest into r.  0, or -1 with the file and line in err. */
static int read_manifest(const char *path, struct run *r, char *err, size_t errlen)
{
	size_t len;
	char *buf = cli_read_file(path, &len);
	char *dcopy = strdup(path);
	const char *dir = dcopy ? dirname(dcopy) : ".";
	int lineno = 0, rc = -1;

	if (!buf || !dcopy) {
		snprintf(err, errlen, "%s: %s", path, buf ? "out of memory" : strerror(errno));
		goto out;
	}
	for (char *line = buf, *next; line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
		if (!t1 || !t2 || t1 == line || !t2[1] || t3 == t2 + 1 ||
		    (t3 && (!t3[1] || strchr(t3 + 1, '\t')))) {
			snprintf(err, errlen, "%s:%d: want path<TAB>transcript<TAB>category"
				 "[<TAB>session]", path, lineno);
			goto out;
		}
		*t1 = *t2 = '\0';
		if (t3)
			*t3 = '\0';
		struct clip *v = cm_grow(r->v, &r->cap, r->n + 1, sizeof *v, 64);
		if (!v)
			goto oom;
		r->v = v;
		struct clip *c = &r->v[r->n];
		memset(c, 0, sizeof *c);
		size_t pl = strlen(dir) + strlen(line) + 2;
		c->path = malloc(pl);
		c->ref = strdup(t1 + 1);
		c->cat = strdup(t2 + 1);
		c->session = t3 ? strdup(t3 + 1) : NULL;
		r->n++;
		if (!c->path || !c->ref || !c->cat || (t3 && !c->session))
			goto oom;
		if (line[0] == '/')
			snprintf(c->path, pl, "%s", line);
		else
			snprintf(c->path, pl, "%s/%s", dir, line);
	}
	if (!r->n) {
		snprintf(err, errlen, "%s: no clips", path);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(buf);
	free(dcopy);
	return rc;
}

/* The trained encoder as kefud has it: trained, saved, loaded back.  NULL with err. */
static struct nlu_enc *train_text(const struct nlu_dataset *tr, const struct nlu_enc_opts *o,
				  char *err, size_t errlen)
{
	struct nlu_enc *e = nlu_enc_train(tr, NULL, NULL, o, err, errlen), *loaded = NULL;
	void *blob = NULL;
	size_t len = 0;

	if (!e)
		return NULL;
	if (nlu_enc_save(e, &blob, &len))
		snprintf(err, errlen, "out of memory saving the model");
	else
		loaded = nlu_enc_load(blob, len, o->glove, err, errlen);
	free(blob);
	nlu_enc_destroy(e);
	return loaded;
}

/* 1 when the encoder's choice for text is category cat. */
static int chooses(const struct nlu_enc *e, struct nlu_enc_scratch *s, const char *text,
		   const char *cat)
{
	struct nlu_enc_pred p;

	if (nlu_enc_predict(e, s, text, strlen(text), &p, NULL))
		return 0;                 /* no feature at all: no answer */
	return !strcmp(e->labels[p.cls], cat);
}

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds of audio in a clip that decoded but had no speech (for RTF's denominator). */
static double clip_seconds(const void *data, size_t len, const struct asr_limits *lim)
{
	struct asr_audio a;
	double s = 0;

	if (asr_audio_decode(data, len, lim, &a) == 0) {
		s = a.seconds;
		asr_audio_free(&a);
	}
	return s;
}

/* --letters-dump: the clip being decoded and the file its letter and digit words go to. */
struct dump {
	FILE *f;
	size_t clip;
};

/* asr_letters_seen_fn: one line per word, "clip word conf nframes sf ef cepstra...". */
static void dump_word(void *ctx, const char *word, float conf, const float *cep, int nw,
		      int sf, int ef)
{
	struct dump *d = ctx;
	fprintf(d->f, "%zu\t%s\t%.4f\t%d\t%d\t%d\t", d->clip, word, (double)conf, nw, sf, ef);
	for (int i = 0; i < nw * ASR_LETTERS_NCEP; i++)
		fprintf(d->f, "%s%.4g", i ? " " : "", (double)cep[i]);
	fputc('\n', d->f);
}

/* Decodes clip c with d and v through kefud's path and scores it. */
static void run_clip(struct clip *c, asr_decoder *d, asr_vad *v, const struct asr_limits *lim,
		     const struct asr_entity_opts *eo, const struct nlu_enc *e,
		     struct nlu_enc_scratch *s)
{
	struct asr_result res = { 0 };
	size_t len = 0;
	char *data = cli_read_file(c->path, &len);

	if (!data) {
		c->rc = ASR_ERR_EMPTY;
		fprintf(stderr, PROG ": %s: %s\n", c->path, strerror(errno));
	} else {
		double t0 = thread_cpu();
		c->rc = asr_recognize_entity(d, v, data, len, lim, eo, &res, &c->ent);
		c->cpu = thread_cpu() - t0;
		if (c->rc == 0 && !res.n_words) {     /* kefud calls this no_speech too */
			c->rc = ASR_ERR_NO_SPEECH;
			c->seconds = res.audio_seconds;
		} else if (c->rc == 0) {
			c->seconds = res.audio_seconds;
		} else if (c->rc == ASR_ERR_NO_SPEECH) {
			c->seconds = clip_seconds(data, len, lim);
		}
	}
	c->status = data ? asr_err_name(c->rc) : "unreadable";
	c->hyp = strdup(c->rc == 0 && res.text ? res.text : "");
	c->conf = res.conf;
	asr_result_free(&res);
	free(data);
	c->errs = asr_wer_count(c->ref, c->hyp ? c->hyp : "", &c->nref);
	c->ok_spoken = c->hyp && c->rc == 0 && chooses(e, s, c->hyp, c->cat);
	c->ok_text = chooses(e, s, c->ref, c->cat);
	c->digits = asr_entity_exact(c->ref, c->hyp ? c->hyp : "");
}

/* A clip's entity and grammar pass for --clips: kind and value as kefud would send them,
 * whether a grammar reading was tried and kept, and the digits and letters of the
 * reference and of the hypothesis (asr_entity_normalize, kind code). */
static json_t *entity_json(const struct clip *c)
{
	char ref[128], hyp[128];

	asr_entity_normalize(c->ref, ASR_ENT_CODE, ref, sizeof ref);
	asr_entity_normalize(c->hyp ? c->hyp : "", ASR_ENT_CODE, hyp, sizeof hyp);
	return json_pack("{s:s, s:s, s:i, s:b, s:s, s:s}", "kind",
			 asr_entity_kind_name(c->ent.kind), "value", c->ent.value,
			 "grammar_tried", c->ent.tried, "grammar_kept", c->ent.from_grammar,
			 "reference_chars", ref, "hypothesis_chars", hyp);
}

struct totals {
	size_t n, failed, asked_back, ok_spoken, ok_text, ent_n, ent_ok;
	long errs, nref;
	double seconds, cpu;
};

static void add_up(const struct run *r, double threshold, struct totals *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < r->n; i++) {
		const struct clip *c = &r->v[i];
		t->n++;
		t->failed += c->rc != 0;
		t->asked_back += c->rc == 0 && pol_asks_back(threshold, c->conf);
		t->ok_spoken += (size_t)c->ok_spoken;
		t->ok_text += (size_t)c->ok_text;
		t->ent_n += c->digits >= 0;
		t->ent_ok += c->digits == 1;
		t->errs += c->errs;
		t->nref += c->nref;
		t->seconds += c->seconds;
		t->cpu += c->cpu;
	}
}

static void sessions_free(struct asr_cmn **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		int first = 1;
		for (size_t j = 0; j < i && first; j++)
			first = s[j] != s[i];
		if (first)
			free(s[i]);
	}
	free(s);
}

/* --cmn session: each clip's session's cepstral mean (asr_cmn), shared by the clips with the
 * same 4th manifest column (a clip without one is a session of its own), in manifest order
 * as kefud would hear them.  NULL on OOM. */
static struct asr_cmn **session_states(const struct run *r, double prior_frames)
{
	struct asr_cmn **s = calloc(r->n, sizeof *s);
	for (size_t i = 0; s && i < r->n; i++) {
		const char *k = r->v[i].session;
		for (size_t j = 0; k && j < i && !s[i]; j++)
			if (r->v[j].session && !strcmp(r->v[j].session, k))
				s[i] = s[j];
		if (!s[i] && (s[i] = malloc(sizeof **s)))
			asr_cmn_init(s[i], prior_frames);
		if (!s[i]) {
			sessions_free(s, i);
			return NULL;
		}
	}
	return s;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

int cmd_eval_speech(int argc, char **argv)
{
	struct nlu_dataset tr;
	struct nlu_enc_opts o;
	struct kefu_conf conf;
	struct nlu_glove *glove = NULL;
	struct nlu_enc *enc = NULL;
	struct nlu_enc_scratch *scr = NULL;
	struct run run = { 0 };
	struct asr_domain dom = { 0 };
	asr_decoder *dec = NULL;
	asr_vad *vad = NULL;
	struct asr_cmn **sessions = NULL;
	asr_letters *letters_own = NULL;
	struct dump dump = { 0 };
	char err[1024], dir[] = "/tmp/kefu-eval-speech-XXXXXX", *pos[1];
	int npos, no_glove, rc = 1, have_dir = 0;

	nlu_dataset_init(&tr);
	int json = cli_take_flag(&argc, argv, "--json");
	int per_clip = cli_take_flag(&argc, argv, "--clips");
	if (cli_take_enc_opts(&argc, argv, PROG, &o, &no_glove))
		return 2;
	const char *f_tr = cli_take_value(&argc, argv, "--train");
	const char *f_man = cli_take_value(&argc, argv, "--manifest");
	const char *lm = cli_take_value(&argc, argv, "--lm");
	const char *ps_opts = cli_take_value(&argc, argv, "--ps-opts");
	const char *grammar = cli_take_value(&argc, argv, "--grammar");
	const char *expect = cli_take_value(&argc, argv, "--expect");
	struct asr_entity_opts eo = { .mode = !grammar || !strcmp(grammar, "asked")
					      ? ASR_GRAMMAR_ASKED : !strcmp(grammar, "auto")
					      ? ASR_GRAMMAR_AUTO : ASR_GRAMMAR_NONE,
				      .expect = expect ? asr_entity_kind_parse(expect) : 0 };
	const char *ent_w = cli_take_value(&argc, argv, "--entity-weight");
	const char *spell_w = cli_take_value(&argc, argv, "--spell-weight");
	const char *speller = cli_take_value(&argc, argv, "--speller");
	const char *spell_lm = cli_take_value(&argc, argv, "--spell-lm");
	const char *spell_lw = cli_take_value(&argc, argv, "--spell-lw");
	const char *spell_wip = cli_take_value(&argc, argv, "--spell-wip");
	const char *spell_hmm = cli_take_value(&argc, argv, "--spell-maxhmmpf");
	const char *spell_flat = cli_take_value(&argc, argv, "--spell-fwdflat");
	const char *spell_span = cli_take_value(&argc, argv, "--spell-span");
	const char *spell_am = cli_take_value(&argc, argv, "--spell-hmm");
	const char *spell_pl = cli_take_value(&argc, argv, "--spell-pl-window");
	const char *mllr = cli_take_value(&argc, argv, "--mllr");
	const char *hmm = cli_take_value(&argc, argv, "--hmm");
	const char *cmn = cli_take_value(&argc, argv, "--cmn");
	const char *cmn_prior = cli_take_value(&argc, argv, "--cmn-prior");
	const char *letters = cli_take_value(&argc, argv, "--letters");
	const char *letters_l = cli_take_value(&argc, argv, "--letters-lambda");
	const char *letters_t = cli_take_value(&argc, argv, "--letters-tau");
	const char *letters_dump = cli_take_value(&argc, argv, "--letters-dump");
	char mllr_path[CONF_STR_MAX + 64], hmm_path[CONF_STR_MAX + 64];
	char spell_hmm_path[CONF_STR_MAX + 64];
	if (spell_w)
		eo.spell = strcmp(spell_w, "off") ? (float)atof(spell_w) : -1.0f;
	eo.speller = speller && !strcmp(speller, "off") ? -1 : 0;
	eo.spell_span = spell_span && !strcmp(spell_span, "ends") ? 1 : 0;
	int p = cli_parse_conf(&conf, PROG, argc, argv, pos, 1, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	if (!lm)
		lm = "mixed";
	if (npos || !f_tr || !*f_tr || !f_man || !*f_man ||
	    (strcmp(lm, "generic") && strcmp(lm, "domain") && strcmp(lm, "mixed") &&
	     strcmp(lm, "plain")) || (ent_w && (atof(ent_w) < 0 || atof(ent_w) >= 1)) ||
	    (spell_w && strcmp(spell_w, "off") && (atof(spell_w) <= 0 || atof(spell_w) >= 1)) ||
	    (speller && strcmp(speller, "on") && strcmp(speller, "off")) ||
	    (spell_lm && strcmp(spell_lm, "small") && strcmp(spell_lm, "entity") &&
	     strcmp(spell_lm, "mix")) ||
	    (spell_span && strcmp(spell_span, "ends") && strcmp(spell_span, "whole")) ||
	    (spell_flat && strcmp(spell_flat, "yes") && strcmp(spell_flat, "no")) ||
	    (grammar && strcmp(grammar, "auto") && strcmp(grammar, "asked") &&
	     strcmp(grammar, "none")) || eo.expect < 0 ||
	    (cmn && strcmp(cmn, "clip") && strcmp(cmn, "session"))) {
		fprintf(stderr, "usage: " PROG " --train FILE --manifest TSV"
				" [--lm generic|domain|mixed|plain] [--json] [--clips]"
				" [--ps-opts \"-name value ...\"] [--entity-weight 0..1]"
				" [--spell-weight 0..1|off] [--speller on|off]\n"
				"       [--spell-lm entity|small|mix] [--spell-lw X] [--spell-wip X]"
				" [--spell-maxhmmpf N] [--spell-fwdflat yes|no]\n"
				"       [--spell-span whole|ends] [--spell-hmm DIR|none]"
				" [--spell-pl-window N|off]\n"
				"       [--grammar asked|auto|none] [--expect number|code|date|amount]"
				" [--mllr FILE|none] [--hmm DIR|none]\n"
				"       [--cmn clip|session] [--cmn-prior FRAMES]\n"
				"       [--letters on|off|FILE] [--letters-lambda X] [--letters-tau X]"
				" [--letters-dump FILE]\n"
				"  FILE: CSV with a text,category header, or Rasa NLU YAML\n"
				"  TSV: path<TAB>transcript<TAB>category[<TAB>session] per line\n");
		return 2;
	}
	cm_blas_single_thread();
	if (!no_glove)
		o.glove = glove = cli_open_glove(&conf, PROG);
	if (nlu_dataset_read(f_tr, &tr, err, sizeof err) ||
	    read_manifest(f_man, &run, err, sizeof err)) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}

	uint64_t t0 = cm_now_us();
	enc = train_text(&tr, &o, err, sizeof err);
	if (!enc || !(scr = nlu_enc_scratch_create(enc))) {
		fprintf(stderr, PROG ": training the text model: %s\n", enc ? "out of memory" : err);
		goto out;
	}
	double train_s = (double)(cm_now_us() - t0) / 1e6;

	struct asr_model_paths paths = { .domain_weight = (float)conf.asr_domain_weight,
					 .ps_opts = ps_opts, .plain = !strcmp(lm, "plain"),
					 .fast = conf.asr_fast,
					 .generic_words = conf.asr_generic_words,
					 .spell_lm = !spell_lm || !strcmp(spell_lm, "entity")
						     ? ASR_SPELL_LM_ENTITY : !strcmp(spell_lm, "small")
						     ? ASR_SPELL_LM_SMALL : ASR_SPELL_LM_MIX,
					 .spell_lw = spell_lw ? (float)atof(spell_lw) : 0,
					 .spell_wip = spell_wip ? (float)atof(spell_wip) : 0,
					 .spell_maxhmmpf = spell_hmm ? atoi(spell_hmm) : 0,
					 .spell_flat = spell_flat && !strcmp(spell_flat, "no") ? -1 : 0,
					 .spell_pl_window = !spell_pl ? 0 : strcmp(spell_pl, "off")
							    ? atoi(spell_pl) : -1 };
	/* the acoustic transform as kefud uses it (models/ASR_MLLR_FILE when there), or none */
	paths.mllr = !mllr ? asr_mllr_find(conf.models, mllr_path, sizeof mllr_path)
		     : strcmp(mllr, "none") ? mllr : NULL;
	/* the adapted acoustic model as kefud uses it (models/ASR_HMM_DIR when there), or none */
	paths.hmm = !hmm ? asr_hmm_find(conf.models, hmm_path, sizeof hmm_path)
		    : strcmp(hmm, "none") ? hmm : NULL;
	/* the spelling search's own model as kefud uses it (models/ASR_SPELL_HMM_DIR), or none */
	paths.spell_hmm = !spell_am ? asr_spell_hmm_find(conf.models, spell_hmm_path,
							  sizeof spell_hmm_path)
			  : strcmp(spell_am, "none") ? spell_am : NULL;
	t0 = cm_now_us();
	if (!strcmp(lm, "mixed") || !strcmp(lm, "domain")) {
		if (!mkdtemp(dir)) {
			fprintf(stderr, PROG ": %s: %s\n", dir, strerror(errno));
			goto out;
		}
		have_dir = 1;
		if (asr_domain_build((const char *const *)tr.texts, tr.n, dir, &dom, err,
				     sizeof err)) {
			fprintf(stderr, PROG ": domain language model: %s\n", err);
			goto out;
		}
		paths.domain_lm = dom.lm_path;
		paths.extra_dict = dom.dict_path;
		if (!strcmp(lm, "mixed") && !(ent_w && atof(ent_w) == 0)) {
			paths.entity_lm = dom.entity_path;
			paths.entity_weight = ent_w ? (float)atof(ent_w) : 0;
		}
		if (!strcmp(lm, "domain"))
			paths.generic_lm = "";
	}
	double lm_s = (double)(cm_now_us() - t0) / 1e6;
	size_t heap0 = mallinfo2().uordblks;
	dec = asr_decoder_create(&paths, err, sizeof err);
	size_t heap1 = mallinfo2().uordblks;
	if (!dec || !(vad = asr_vad_create(NULL))) {
		fprintf(stderr, PROG ": speech recogniser: %s\n", dec ? "out of memory" : err);
		goto out;
	}

	if (letters && strcmp(letters, "off") && strcmp(letters, "on")) {
		if (!(letters_own = asr_letters_load(letters, err, sizeof err))) {
			fprintf(stderr, PROG ": --letters: %s\n", err);
			goto out;
		}
		eo.letters = letters_own;
	} else if (letters && !strcmp(letters, "on") && !asr_letters_builtin()) {
		fprintf(stderr, PROG ": --letters on: this build embeds no letter model\n");
		goto out;
	}
	eo.letters_off = letters && !strcmp(letters, "off");
	eo.letters_lambda = letters_l ? (float)atof(letters_l) : 0;
	eo.letters_tau = letters_t ? (float)atof(letters_t) : 0;
	if (letters_dump) {
		if (!(dump.f = fopen(letters_dump, "w"))) {
			fprintf(stderr, PROG ": %s: %s\n", letters_dump, strerror(errno));
			goto out;
		}
		eo.letters_seen = dump_word;
		eo.letters_ctx = &dump;
	}

	struct asr_limits lim = { .max_bytes = (size_t)conf.max_upload,
				  .max_seconds = conf.max_audio_seconds };
	int by_session = cmn && !strcmp(cmn, "session");
	if (by_session && !(sessions = session_states(&run, cmn_prior ? atof(cmn_prior) : -1))) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < run.n; i++) {
		asr_decoder_set_cmn(dec, sessions ? sessions[i] : NULL);
		dump.clip = i;
		run_clip(&run.v[i], dec, vad, &lim, &eo, enc, scr);
	}
	asr_decoder_set_cmn(dec, NULL);

	struct totals t;
	add_up(&run, conf.asr_threshold, &t);
	double wer = ratio((double)t.errs, (double)t.nref);
	double acc = ratio((double)t.ok_spoken, (double)t.n);
	double acc_text = ratio((double)t.ok_text, (double)t.n);
	double dig = ratio((double)t.ent_ok, (double)t.ent_n);
	double rtf = ratio(t.cpu, t.seconds);
	double dec_mb = (double)(heap1 > heap0 ? heap1 - heap0 : 0) / 1048576.0;
	if (json) {
		json_t *j = json_pack("{s:I, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I,"
				      " s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:I, s:s?, s:s?, s:b}",
				      "n", (json_int_t)t.n, "lm", lm, "wer", wer,
				      "intent_accuracy", acc, "text_intent_accuracy", acc_text,
				      "intent_ratio", ratio(acc, acc_text), "rtf", rtf,
				      "audio_seconds", t.seconds, "cpu_seconds", t.cpu,
				      "failed", (json_int_t)t.failed,
				      "asked_back", (json_int_t)t.asked_back,
				      "n_train", (json_int_t)tr.n,
				      "lm_words", (json_int_t)dom.n_words,
				      "lm_missing_words", (json_int_t)dom.n_missing,
				      "decoder_mb", dec_mb, "train_seconds", train_s,
				      "lm_seconds", lm_s, "digit_accuracy", dig,
				      "digit_clips", (json_int_t)t.ent_n, "mllr", paths.mllr,
				      "hmm", paths.hmm,
				      "asr_fast", paths.fast);
		if (j)                        /* the spelling search's own acoustic model */
			json_object_set_new(j, "spell_hmm", paths.spell_hmm
					    ? json_string(paths.spell_hmm) : json_null());
		if (j)                        /* the letter classifier the clips were read with */
			json_object_set_new(j, "letters", json_string(
				eo.letters_off ? "off" : letters_own ? letters
				: asr_letters_builtin() ? "embedded" : "none"));
		if (j && per_clip) {
			json_t *a = json_array();
			for (size_t i = 0; a && i < run.n; i++) {
				const struct clip *c = &run.v[i];
				json_array_append_new(a, json_pack(
					"{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:i, s:b, s:b,"
					" s:o}",
					"path", c->path, "transcript", c->ref, "category", c->cat,
					"hypothesis", c->hyp ? c->hyp : "", "status", c->status,
					"confidence", (double)c->conf, "seconds", c->seconds,
					"cpu_seconds", c->cpu, "word_errors", c->errs,
					"intent_ok", c->ok_spoken, "text_intent_ok", c->ok_text,
					"digits_ok", c->digits < 0 ? json_null() :
					json_boolean(c->digits)));
				json_object_set_new(json_array_get(a, json_array_size(a) - 1),
						    "entity", entity_json(c));
			}
			json_object_set_new(j, "clips", a);
		}
		char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
		if (!s) {
			fprintf(stderr, PROG ": out of memory\n");
			json_decref(j);
			goto out;
		}
		puts(s);
		free(s);
		json_decref(j);
	} else {
		if (per_clip)
			for (size_t i = 0; i < run.n; i++) {
				const struct clip *c = &run.v[i];
				printf("%s\t%s\t%.2f\t%d/%d\t%s%s\t%s\n", c->path, c->status,
				       (double)c->conf, c->errs, c->nref,
				       c->ok_spoken ? "ok" : "WRONG",
				       c->ok_text ? "" : " (text WRONG)", c->hyp ? c->hyp : "");
			}
		printf("clips               %zu (%.1f s of audio), %zu failed, %zu asked back\n",
		       t.n, t.seconds, t.failed, t.asked_back);
		printf("language model      %s", lm);
		if (dom.n_words)
			printf(" (domain: %zu words, %d by letter-to-sound)", dom.n_words,
			       dom.n_missing);
		printf("\nWER                 %.2f %%\n", 100 * wer);
		printf("digits/letters      %.2f %% exact (%zu of %zu clips)\n", 100 * dig,
		       t.ent_ok, t.ent_n);
		printf("intent (spoken)     %.2f %%\n", 100 * acc);
		printf("intent (text)       %.2f %%\n", 100 * acc_text);
		printf("spoken / text       %.3f\n", ratio(acc, acc_text));
		printf("RTF (one thread)    %.3f\n", rtf);
		printf("decoder MB          %.1f\n", dec_mb);
		printf("train s / LM s      %.2f / %.2f\n", train_s, lm_s);
	}
	rc = 0;
out:
	if (dump.f && fclose(dump.f)) {
		fprintf(stderr, PROG ": %s: %s\n", letters_dump, strerror(errno));
		rc = 1;
	}
	asr_letters_free(letters_own);
	sessions_free(sessions, run.n);
	asr_vad_destroy(vad);
	asr_decoder_destroy(dec);
	if (dom.lm_path[0]) {
		unlink(dom.lm_path);
		unlink(dom.dict_path);
		unlink(dom.entity_path);
	}
	if (have_dir && rmdir(dir))
		fprintf(stderr, PROG ": cannot remove %s: %s\n", dir, strerror(errno));
	nlu_enc_scratch_destroy(scr);
	nlu_enc_destroy(enc);
	run_free(&run);
	nlu_dataset_free(&tr);
	nlu_glove_close(glove);
	return rc;
}
