/* bench/speech/speechbench.c — spoken BANKING77 questions through kefu's audio path.
 *
 * 1. Reads a text,category CSV (BANKING77 train.csv) and holds out --per-cat questions of
 *    every category (evenly spaced in file order); the rest is the "store".  With --test TSV
 *    (question<TAB>category, e.g. tests/data/en_smoke.tsv: paraphrases written outside the
 *    store's wording) those questions are spoken instead and the whole CSV is the store.
 * 2. Builds the domain LM and the pronunciations cmudict lacks from the store's questions
 *    with asr_domain_build (speech/domain.c), as kefud and `kefu eval-speech` do.
 * 3. Speaks every held-out question with each voice: flite's slt, rms, awb (16 kHz) and kal
 *    (8 kHz diphones), and espeak-ng voices named "espeak:VOICE" (the espeak-ng program,
 *    skipped with a message when it is not installed), adds 0.3 s of quiet with a faint
 *    noise floor on each side and encodes the clip in turn as WAV, FLAC, OGG Vorbis, OGG
 *    Opus and MP3.  --write DIR also saves the clips, a manifest.tsv and the store as
 *    store.csv, so `kefu eval-speech --train DIR/store.csv --manifest DIR/manifest.tsv`
 *    decodes the very same clips.
 *    --human TSV adds real recordings (path<TAB>transcript[<TAB>...], paths relative to the
 *    TSV; e.g. the an4 dev speakers bench/speech/an4_bench.sh selects) as the voice "human":
 *    WER and digit accuracy only (they ask no store question, so no intent); --telephone
 *    adds each again resampled to 8 kHz (voice "human8k").
 * 4. Decodes every clip with decode -> resample -> VAD -> pocketsphinx (kefu's configurations
 *    through asr_recognize_entity as kefud: --grammar asked, the default, makes no grammar
 *    pass as no answer expects an entity here; auto adds the unasked pass when a clip looks
 *    like one; the acoustic transform models/ASR_MLLR_FILE and the adapted acoustic model
 *    models/ASR_HMM_DIR when they are there, or --mllr FILE|none, --hmm DIR|none, and the
 *    spelling search's own model models/ASR_SPELL_HMM_DIR or --spell-hmm DIR|none; plain
 *    never) for the configurations
 *    of --configs, one after another on the main thread (pin it with taskset -c N on a
 *    shared machine): plain (generic en-us LM, pocketsphinx's own search settings: the
 *    reference), generic (kefu's settings), domain only, mixed0 (generic + domain,
 *    interpolated, --weight for the domain), mixed (kefud's default: mixed0 + the
 *    generated entity model, --entity-weight), fast (mixed with kefud's asr_fast search) and
 *    session (mixed, each clip normalised by its session's cepstral mean as kefud does,
 *    speech/cmn.c: one session per flite voice, and per --human speaker — the TSV's 4th
 *    column, an4_split.sh writes it — in file order); the mixes search the generic
 *    model's --generic-words most probable words (default 10000, kefud's conf
 *    asr_generic_words; 0 = all of them, the search before issue 14's fifth round).
 * 5. Prints WER per voice and overall, digit/letter exactness per voice (asr_entity_exact:
 *    clips whose reference holds digits, letters or numbers), RTF (thread CPU seconds of decode+VAD+ASR per audio
 *    second), memory per decoder (heap growth while creating it), and intent accuracy on
 *    the transcripts beside the same on the reference texts, for two answer choosers
 *    trained on the store part: kefu's trained text encoder (as `kefu train`/`kefu eval`
 *    train it; with GloVe from $KEFU_MODELS when present) and a BM25 bot (nlu_bot_build, one
 *    answer per category).  --intent bm25 skips the encoder (faster, for option sweeps).
 *
 * Usage: speechbench [--train CSV] [--per-cat N | --test TSV] [--voices slt,rms,awb,kal,...]
 *                    [--weight W] [--max N] [--configs generic,domain,mixed]
 *                    [--ps "-beam 1e-40 ..."] [--intent both|bm25] [--write DIR] [--verbose]
 *                    [--mllr FILE|none] [--hmm DIR|none] [--grammar asked|auto|none]
 *                    [--generic-words N]
 * Single-threaded except the encoder's training (which may use a helper thread).
 */
#include "speech.h"
#include "clock.h"
#include "file.h"
#include "csv.h"
#include "log.h"
#include "glove.h"
#include "model.h"
#include "nlu.h"
#include "nlu_int.h"
#include "tensor.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sndfile.h>

#define MAX_CATS 256
#define MAX_VOICES 8

struct row { char *text; int cat; };

struct clip {
	void *data;
	size_t len;
	const char *ref;
	int cat;
	int voice;
	int speaker;                   /* --human's 4th column (an4_split.sh: the speaker) as an
					* index, 0 for flite's clips: with the voice, the session */
	int format;                    /* SF_FORMAT_* major|subtype */
	double seconds;
};

struct config {
	const char *name;
	struct asr_model_paths paths;
	int session_cmn;               /* 1: each session's cepstral mean (speech/cmn.c) */
	asr_decoder *dec;
	size_t mem_bytes;
	/* results */
	int err[MAX_VOICES], nref[MAX_VOICES];    /* per voice */
	int dig_ok[MAX_VOICES], dig_n[MAX_VOICES]; /* digit/letter exactness per voice */
	int ok_v[MAX_VOICES], n_v[MAX_VOICES];    /* encoder intent per voice */
	int errs, refs, correct, correct_enc, n, failed;
	double cpu, audio;
	double cpu_decode, cpu_vad;               /* parts of cpu (the rest is the search) */
};

static const char *voice_names[MAX_VOICES];
static int n_voices;
static char **speakers;                   /* --human's 4th column, speaker_index */
static int n_speakers;
static struct clip *clips;
static size_t n_clips;
static struct nlu_bot *bot;
static struct nlu_enc *enc;               /* NULL with --intent bm25 */
static struct nlu_enc_scratch *enc_s;
static char *cats[MAX_CATS];
static int verbose;
static int grammar_mode = ASR_GRAMMAR_ASKED;   /* --grammar asked|auto|none (kefud: asked) */

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}



/* the bot's top answer (the chosen one, or the first quick reply when unsure) */
static int64_t intent_of(struct nlu_state *st, const char *text)
{
	struct nlu_reply r;
	if (nlu_bot_reply(bot, st, text, strlen(text), &r) != 0)
		return 0;
	if (r.answer_id)
		return r.answer_id;
	return r.n_quick ? r.quick[0].answer_id : 0;
}

/* 1 when the trained encoder's best class for text is category cat */
static int enc_ok(const char *text, int cat)
{
	struct nlu_enc_pred p;
	if (!enc || !*text || nlu_enc_predict(enc, enc_s, text, strlen(text), &p, NULL))
		return 0;
	return !strcmp(enc->labels[p.cls], cats[cat]);
}

/* A clip spoken by espeak-ng (voice after "espeak:"): 0 and malloc'd samples, or -1. */
static int espeak_synth(const char *voice, const char *text, int16_t **pcm, size_t *n,
			int *rate)
{
	char tmpl[] = "/tmp/kefu-speechbench-espeak-XXXXXX";
	int fd = mkstemp(tmpl), rc = -1;
	if (fd < 0)
		return -1;
	close(fd);
	/* text and voice go through argv, not a shell */
	pid_t pid = fork();
	if (pid == 0) {
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0)
			dup2(dn, 2);
		execlp("espeak-ng", "espeak-ng", "-v", voice, "-w", tmpl, "--", text, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		size_t len;
		char *wav = cm_read_file(tmpl, &len);
		struct asr_audio a;
		if (wav && asr_audio_decode(wav, len, NULL, &a) == 0) {
			*pcm = a.pcm;        /* already 16 kHz mono int16 */
			*n = a.n;
			*rate = ASR_RATE;
			rc = 0;
		}
		free(wav);
	}
	unlink(tmpl);
	return rc;
}

/* The session CMN state of clip i's session (its voice and speaker: one flite voice is one
 * caller, an an4 speaker another) in sess[0..*n), added when new.  NULL on OOM. */
static struct asr_cmn *session_of(struct asr_cmn **sess, int **keys, size_t *n, size_t i)
{
	int key = clips[i].voice * 100000 + clips[i].speaker;
	for (size_t k = 0; k < *n; k++)
		if ((*keys)[k] == key)
			return &(*sess)[k];
	struct asr_cmn *ns = realloc(*sess, (*n + 1) * sizeof *ns);
	if (ns)
		*sess = ns;
	int *nk = ns ? realloc(*keys, (*n + 1) * sizeof *nk) : NULL;
	if (!nk)
		return NULL;
	*keys = nk;
	nk[*n] = key;
	asr_cmn_init(&ns[*n], -1);
	return &ns[(*n)++];
}

static void run_config(struct config *c)
{
	struct nlu_state *st = nlu_state_create(bot);
	asr_vad *v = asr_vad_create(NULL);
	struct asr_limits lim = { .max_bytes = 4u << 20, .max_seconds = 60 };
	struct asr_cmn *sess = NULL;
	int *keys = NULL;
	size_t n_sess = 0;
	for (size_t i = 0; i < n_clips; i++) {
		if (c->session_cmn)
			asr_decoder_set_cmn(c->dec, session_of(&sess, &keys, &n_sess, i));
		struct asr_result r;
		struct asr_entity ent;
		/* kefu's configurations read a clip as kefud does (asr_recognize_entity);
		 * plain is pocketsphinx alone */
		struct asr_entity_opts eo = { .mode = c->paths.plain ? ASR_GRAMMAR_NONE
						      : grammar_mode };
		int rc = asr_recognize_entity(c->dec, v, clips[i].data, clips[i].len, &lim, &eo,
					      &r, &ent);
		const char *hyp = rc == 0 ? r.text : "";
		int nref, e = asr_wer_count(clips[i].ref, hyp, &nref);
		c->err[clips[i].voice] += e;
		c->nref[clips[i].voice] += nref;
		c->errs += e;
		c->refs += nref;
		c->n++;
		int ex = asr_entity_exact(clips[i].ref, hyp);
		c->dig_n[clips[i].voice] += ex >= 0;
		c->dig_ok[clips[i].voice] += ex == 1;
		if (rc) {
			c->failed++;
		} else {
			c->cpu += r.cpu_seconds;
			c->audio += r.audio_seconds;
			c->cpu_decode += r.decode_seconds;
			c->cpu_vad += r.vad_seconds;
		}
		int64_t want = clips[i].cat + 1;
		int ok = 0, ok_e = 0;
		if (clips[i].cat >= 0) {          /* human clips ask no store question */
			ok = *hyp && intent_of(st, hyp) == want;
			ok_e = enc_ok(hyp, clips[i].cat);
			c->correct += ok;
			c->correct_enc += ok_e;
			c->ok_v[clips[i].voice] += ok_e;
			c->n_v[clips[i].voice]++;
		}
		if (verbose)
			fprintf(stderr, "[%s] %s %d/%d %s %s | %s | %s\n", c->name,
				voice_names[clips[i].voice], e, nref, ok ? "ok " : "BAD",
				ok_e ? "ok " : "BAD", clips[i].ref, rc ? asr_err_name(rc) : hyp);
		if (rc == 0)
			asr_result_free(&r);
	}
	asr_decoder_set_cmn(c->dec, NULL);
	free(sess);
	free(keys);
	asr_vad_destroy(v);
	nlu_state_destroy(st);
}

/* --write DIR: the clips as files, DIR/manifest.tsv (path, transcript, category) and the
 * store part as DIR/store.csv (text,category), for kefu eval-speech.  0 or -1. */
static int write_clips(const char *dir, const struct row *rows, const char *held, size_t nrows)
{
	char path[4096];
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/manifest.tsv", dir);
	FILE *man = fopen(path, "w");
	snprintf(path, sizeof path, "%s/store.csv", dir);
	FILE *st = fopen(path, "w");
	if (!man || !st) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(st, "text,category\n");
	for (size_t i = 0; i < nrows; i++)
		if (!held[i]) {
			cm_csv_put(st, rows[i].text);
			fputc(',', st);
			cm_csv_put(st, cats[rows[i].cat]);
			fputc('\n', st);
		}
	for (size_t i = 0; i < n_clips; i++) {
		static const struct { int major; const char *ext; } ext[] = {
			{ SF_FORMAT_WAV, "wav" }, { SF_FORMAT_FLAC, "flac" }, { SF_FORMAT_OGG, "ogg" },
			{ SF_FORMAT_MPEG, "mp3" } };
		const char *e = "bin";
		for (size_t k = 0; k < sizeof ext / sizeof *ext; k++)
			if ((clips[i].format & SF_FORMAT_TYPEMASK) == ext[k].major)
				e = ext[k].ext;
		char name[64];
		snprintf(name, sizeof name, "c%05zu-%s.%s", i, voice_names[clips[i].voice], e);
		for (char *p = name; *p; p++)
			if (*p == ':')
				*p = '-';
		snprintf(path, sizeof path, "%s/%s", dir, name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(clips[i].data, 1, clips[i].len, f) != clips[i].len || fclose(f)) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			return -1;
		}
		/* a transcript holds no tab or newline: the CSV reader took them as one field */
		fprintf(man, "%s\t%s\t%s\n", name, clips[i].ref, cats[clips[i].cat]);
	}
	if (fclose(man) || fclose(st)) {
		fprintf(stderr, "%s: write failed\n", dir);
		return -1;
	}
	printf("wrote %zu clips, %s/manifest.tsv and %s/store.csv\n", n_clips, dir, dir);
	return 0;
}

/* 1 when the comma-separated list holds name exactly */
static int has_name(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The clip c again as 8 kHz telephone audio (resampled down, 16-bit WAV), voice vi; 0/-1. */
static int add_telephone(const struct clip *c, int vi)
{
	struct asr_audio a;
	if (asr_audio_decode(c->data, c->len, NULL, &a) != 0)
		return -1;
	float *f = malloc(a.n * sizeof *f);
	size_t n8 = 0;
	float *f8 = NULL;
	int rc = -1;
	if (f) {
		for (size_t i = 0; i < a.n; i++)
			f[i] = (float)a.pcm[i] / 32768.0f;
		f8 = asr_resample(f, a.n, ASR_RATE, 8000, &n8);
	}
	int16_t *p8 = f8 ? malloc(n8 * sizeof *p8) : NULL;
	struct clip *nc = p8 ? realloc(clips, (n_clips + 1) * sizeof *nc) : NULL;
	if (nc) {
		clips = nc;
		for (size_t i = 0; i < n8; i++) {
			float v = f8[i] * 32768.0f;
			p8[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
		}
		struct clip *t = &clips[n_clips];
		*t = clips[n_clips - 1];          /* the 16 kHz clip just read */
		if (asr_audio_encode(p8, n8, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, &t->data,
				     &t->len) == 0) {
			t->ref = strdup(t->ref);
			t->voice = vi;
			t->format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
			n_clips++;
			rc = t->ref ? 0 : -1;
		}
	}
	free(p8);
	free(f8);
	free(f);
	asr_audio_free(&a);
	return rc;
}

/* A --human speaker's index (1, 2, ...; its name's first appearance), or 0 on OOM. */
static int speaker_index(const char *name)
{
	for (int k = 0; k < n_speakers; k++)
		if (!strcmp(speakers[k], name))
			return k + 1;
	char **nn = realloc(speakers, (size_t)(n_speakers + 1) * sizeof *nn);
	if (nn)
		speakers = nn;
	if (!nn || !(nn[n_speakers] = strdup(name)))
		return 0;
	return ++n_speakers;
}

/* --human TSV: real recordings as clips of voice vi (path<TAB>transcript[<TAB>...]; a
 * relative path is relative to the TSV's folder), and with tel >= 0 each again at 8 kHz as
 * voice tel.  0, or -1 with a message. */
static int read_human(const char *tsv, int vi, int tel)
{
	size_t len;
	char *buf = cm_read_file(tsv, &len), *save = NULL;
	if (!buf) {
		fprintf(stderr, "cannot read %s\n", tsv);
		return -1;
	}
	const char *slash = strrchr(tsv, '/');
	int dirlen = slash ? (int)(slash - tsv) : 1;
	const char *dir = slash ? tsv : ".";
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(l, '\t'), path[4096];
		if (l[0] == '#' || !t1)
			continue;
		*t1 = '\0';
		char *t2 = strchr(t1 + 1, '\t'), *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
		if (t2)
			*t2 = '\0';
		int speaker = t3 ? speaker_index(t3 + 1) : 0;
		if (l[0] == '/')
			snprintf(path, sizeof path, "%s", l);
		else
			snprintf(path, sizeof path, "%.*s/%s", dirlen, dir, l);
		struct clip *nc = realloc(clips, (n_clips + 1) * sizeof *nc);
		if (!nc)
			return -1;
		clips = nc;
		struct clip *c = &clips[n_clips];
		memset(c, 0, sizeof *c);
		struct asr_audio a;
		if (!(c->data = cm_read_file(path, &c->len)) ||
		    asr_audio_decode(c->data, c->len, NULL, &a) != 0) {
			fprintf(stderr, "%s: cannot read or decode\n", path);
			return -1;
		}
		c->seconds = a.seconds;
		asr_audio_free(&a);
		c->ref = strdup(t1 + 1);
		c->cat = -1;
		c->voice = vi;
		c->speaker = speaker;
		c->format = SF_FORMAT_FLAC;
		n_clips++;
		if (tel >= 0 && add_telephone(c, tel)) {
			fprintf(stderr, "%s: cannot make its 8 kHz copy\n", path);
			return -1;
		}
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *train = KEFU_SRCDIR "/../shared/data/banking77/train.csv";
	const char *voices = "slt,rms,awb,kal";
	int per_cat = 1;
	size_t max_clips = 0;
	float weight = 0.5f;
	const char *ps_opts = NULL, *only = "plain,mixed";
	int generic_words = 10000;          /* kefud's default (conf asr_generic_words) */
	const char *test = NULL, *intent = "both", *write_dir = NULL, *human = NULL;
	float ent_weight = ASR_ENTITY_WEIGHT;
	int telephone = 0;
	const char *mllr = NULL, *hmm = NULL, *spell_hmm = NULL;
	char mllr_path[1024], hmm_path[1024], spell_hmm_path[1024];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--train") && i + 1 < argc)
			train = argv[++i];
		else if (!strcmp(argv[i], "--per-cat") && i + 1 < argc)
			per_cat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--voices") && i + 1 < argc)
			voices = argv[++i];
		else if (!strcmp(argv[i], "--weight") && i + 1 < argc)
			weight = (float)atof(argv[++i]);
		else if (!strcmp(argv[i], "--max") && i + 1 < argc)
			max_clips = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--ps") && i + 1 < argc)
			ps_opts = argv[++i];
		else if (!strcmp(argv[i], "--generic-words") && i + 1 < argc)
			generic_words = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--configs") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--test") && i + 1 < argc)
			test = argv[++i];
		else if (!strcmp(argv[i], "--intent") && i + 1 < argc)
			intent = argv[++i];
		else if (!strcmp(argv[i], "--write") && i + 1 < argc)
			write_dir = argv[++i];
		else if (!strcmp(argv[i], "--human") && i + 1 < argc)
			human = argv[++i];
		else if (!strcmp(argv[i], "--entity-weight") && i + 1 < argc)
			ent_weight = (float)atof(argv[++i]);
		else if (!strcmp(argv[i], "--mllr") && i + 1 < argc)
			mllr = argv[++i];
		else if (!strcmp(argv[i], "--hmm") && i + 1 < argc)
			hmm = argv[++i];
		else if (!strcmp(argv[i], "--spell-hmm") && i + 1 < argc)
			spell_hmm = argv[++i];
		else if (!strcmp(argv[i], "--grammar") && i + 1 < argc)
		{
			i++;
			grammar_mode = !strcmp(argv[i], "auto") ? ASR_GRAMMAR_AUTO
				     : !strcmp(argv[i], "none") ? ASR_GRAMMAR_NONE : ASR_GRAMMAR_ASKED;
		}
		else if (!strcmp(argv[i], "--telephone"))
			telephone = 1;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = 1;
		else {
			fprintf(stderr, "usage: %s [--train CSV] [--per-cat N | --test TSV] "
				"[--voices slt,rms,awb,kal,espeak:en-us] [--weight W] [--max N] "
				"[--configs plain,generic,domain,mixed0,mixed,fast,session] [--ps OPTS] "
				"[--intent both|bm25] [--write DIR] [--human TSV [--telephone]] [--entity-weight W] "
				"[--mllr FILE|none] [--hmm DIR|none] [--spell-hmm DIR|none] [--grammar asked|auto|none] "
				"[--generic-words N] [--verbose]\n",
				argv[0]);
			return 2;
		}
	}
	cm_log_set_level(CM_LOG_WARN);

	/* ---- data ---- */
	size_t dlen;
	char *data = cm_read_file(train, &dlen);
	if (!data) {
		fprintf(stderr, "cannot read %s\n", train);
		return 1;
	}
	struct cm_csv csv;
	cm_csv_init(&csv, data, dlen);
	struct row *rows = NULL;
	size_t nrows = 0, caprows = 0;
	int ncats = 0, rc, header = 1;
	while ((rc = cm_csv_next(&csv)) == 1) {
		if (header) {
			header = 0;
			continue;
		}
		if (csv.n_fields < 2)
			continue;
		int c = 0;
		while (c < ncats && strcmp(cats[c], csv.fields[1]) != 0)
			c++;
		if (c == ncats) {
			if (ncats == MAX_CATS)
				continue;
			cats[ncats++] = strdup(csv.fields[1]);
		}
		if (nrows == caprows) {
			caprows = caprows ? caprows * 2 : 1024;
			rows = realloc(rows, caprows * sizeof *rows);
		}
		rows[nrows].text = strdup(csv.fields[0]);
		rows[nrows].cat = c;
		nrows++;
	}
	cm_csv_free(&csv);
	free(data);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", train, csv.err);
		return 1;
	}
	/* the questions to speak: --test's, or per_cat per category held out, evenly spaced */
	size_t n_store = nrows;
	if (test) {
		char *tdata = cm_read_file(test, &dlen), *save_l = NULL;
		if (!tdata) {
			fprintf(stderr, "cannot read %s\n", test);
			return 1;
		}
		for (char *l = strtok_r(tdata, "\n", &save_l); l; l = strtok_r(NULL, "\n", &save_l)) {
			char *tab = strchr(l, '\t');
			if (l[0] == '#' || !tab)
				continue;
			*tab = '\0';
			int c = 0;
			while (c < ncats && strcmp(cats[c], tab + 1) != 0)
				c++;
			if (c == ncats) {
				fprintf(stderr, "%s: category %s is not in %s\n", test, tab + 1, train);
				return 1;
			}
			if (nrows == caprows) {
				caprows = caprows ? caprows * 2 : 1024;
				rows = realloc(rows, caprows * sizeof *rows);
			}
			rows[nrows].text = strdup(l);
			rows[nrows].cat = c;
			nrows++;
		}
		free(tdata);
	}
	char *held = calloc(nrows, 1);
	size_t n_held = 0;
	for (size_t i = n_store; i < nrows; i++) {
		held[i] = 1;
		n_held++;
	}
	for (int c = 0; c < ncats && !test; c++) {
		size_t cnt = 0, k = 0;
		for (size_t i = 0; i < nrows; i++)
			cnt += rows[i].cat == c;
		for (size_t i = 0; i < nrows; i++) {
			if (rows[i].cat != c)
				continue;
			for (int h = 1; h <= per_cat; h++)
				if (k == cnt * (size_t)h / (size_t)(per_cat + 1)) {
					held[i] = 1;
					n_held++;
				}
			k++;
		}
	}
	if (test)
		printf("data: %s: %zu questions, %d categories, all in the store; %zu spoken from %s\n",
		       train, n_store, ncats, n_held, test);
	else
		printf("data: %s: %zu questions, %d categories; %zu held out (%d per category), "
		       "%zu in the store\n", train, nrows, ncats, n_held, per_cat, nrows - n_held);

	/* ---- domain LM and pronunciations (as kefud builds them) ---- */
	char dir[] = "/tmp/kefu-speechbench-XXXXXX", err[512];
	if (!mkdtemp(dir))
		return 1;
	const char **store_texts = calloc(nrows, sizeof *store_texts);
	size_t n_st = 0;
	for (size_t i = 0; i < nrows; i++)
		if (!held[i])
			store_texts[n_st++] = rows[i].text;
	struct asr_domain dom;
	if (asr_domain_build(store_texts, n_st, dir, &dom, err, sizeof err)) {
		fprintf(stderr, "domain LM: %s\n", err);
		return 1;
	}
	free(store_texts);
	const char *arpa = dom.lm_path, *dict = dom.dict_path;
	printf("domain LM: %zu words, %d of them missing from cmudict (flite letter-to-sound)\n",
	       dom.n_words, dom.n_missing);
	asr_lm *lm = asr_lm_create(1);            /* the store's vocabulary, for the OOV count */
	for (size_t i = 0; i < nrows; i++)
		if (!held[i])
			asr_lm_add(lm, rows[i].text);
	asr_lm_estimate(lm);
	/* held-out words the domain LM never saw (it can only get these through <unk>: never) */
	size_t oov = 0, words = 0;
	for (size_t i = 0; i < nrows; i++) {
		if (!held[i])
			continue;
		char norm[1024];
		asr_text_normalize(rows[i].text, norm, sizeof norm);
		char *save = NULL;
		for (char *w = strtok_r(norm, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			words++;
			oov += !asr_lm_known(lm, w);
		}
	}
	printf("held-out words not in the domain LM: %zu of %zu (%.1f %%)\n", oov, words,
	       100.0 * (double)oov / (double)words);
	asr_lm_destroy(lm);

	/* ---- text bot ---- */
	struct nlu_answer_in *ans = calloc((size_t)ncats, sizeof *ans);
	for (int c = 0; c < ncats; c++) {
		ans[c].id = c + 1;
		ans[c].title = cats[c];
		ans[c].body = cats[c];
	}
	struct nlu_example_in *ex = calloc(nrows, sizeof *ex);
	size_t nex = 0;
	for (size_t i = 0; i < nrows; i++)
		if (!held[i]) {
			ex[nex].answer_id = rows[i].cat + 1;
			ex[nex].text = rows[i].text;
			nex++;
		}
	struct nlu_opts nopts = { .threshold = 0.5 };
	bot = nlu_bot_build(ans, (size_t)ncats, ex, nex, &nopts, NULL, err, sizeof err);
	if (!bot) {
		fprintf(stderr, "bot: %s\n", err);
		return 1;
	}

	/* ---- trained text encoder, as kefu eval trains it ---- */
	struct nlu_glove *glove = NULL;
	if (strcmp(intent, "bm25")) {
		struct nlu_dataset ds;
		struct nlu_enc_opts eo;
		char gpath[1024];
		const char *models = getenv("KEFU_MODELS");
		snprintf(gpath, sizeof gpath, "%s/glove-100d.kfv",
			 models ? models : KEFU_SRCDIR "/models");
		cm_blas_single_thread();
		nlu_enc_opts_default(&eo);
		eo.glove = glove = nlu_glove_open(gpath, err, sizeof err);
		if (!glove)
			printf("encoder: no word vectors, linear half only (%s)\n", err);
		nlu_dataset_init(&ds);
		for (size_t i = 0; i < nrows; i++)
			if (!held[i] && nlu_dataset_add(&ds, rows[i].text, cats[rows[i].cat]))
				return 1;
		uint64_t t0 = cm_now_us();
		enc = nlu_enc_train(&ds, NULL, NULL, &eo, err, sizeof err);
		nlu_dataset_free(&ds);
		if (!enc || !(enc_s = nlu_enc_scratch_create(enc))) {
			fprintf(stderr, "encoder: %s\n", enc ? "out of memory" : err);
			return 1;
		}
		printf("encoder: trained on %zu questions in %.1f s (%s)\n", n_st,
		       (double)(cm_now_us() - t0) / 1e6, glove ? "linear + GloVe MLP" : "linear");
	}

	/* ---- clips ---- */
	static const int formats[] = { SF_FORMAT_WAV | SF_FORMAT_PCM_16,
		SF_FORMAT_FLAC | SF_FORMAT_PCM_16, SF_FORMAT_OGG | SF_FORMAT_VORBIS,
		SF_FORMAT_OGG | SF_FORMAT_OPUS, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III };
	char *vlist = strdup(voices);
	char *save = NULL;
	tts_voice *tts[MAX_VOICES] = { 0 };
	for (char *t = strtok_r(vlist, ",", &save); t && n_voices < MAX_VOICES;
	     t = strtok_r(NULL, ",", &save)) {
		if (!strncmp(t, "espeak:", 7)) {
			int16_t *pcm;
			size_t n;
			int rate;
			if (espeak_synth(t + 7, "hello", &pcm, &n, &rate)) {
				printf("voice %s skipped: espeak-ng is not installed or has no voice %s "
				       "(apt-get install espeak-ng)\n", t, t + 7);
				continue;
			}
			free(pcm);
		} else if (!(tts[n_voices] = tts_create(t))) {
			fprintf(stderr, "unknown voice %s\n", t);
			return 2;
		}
		voice_names[n_voices++] = t;
	}
	if (!n_voices)
		return 2;
	clips = calloc(n_held * (size_t)n_voices, sizeof *clips);
	uint32_t seed = 1;
	size_t qi = 0;
	double total_audio = 0;
	for (size_t i = 0; i < nrows; i++) {
		if (!held[i])
			continue;
		for (int vi = 0; vi < n_voices; vi++) {
			if (max_clips && n_clips >= max_clips)
				break;
			int16_t *pcm;
			size_t n;
			int rate;
			srand((unsigned)(qi * 4 + (size_t)vi + 1));   /* flite's noise: repeatable */
			if (tts[vi] ? tts_synth(tts[vi], rows[i].text, &pcm, &n, &rate)
				    : espeak_synth(voice_names[vi] + 7, rows[i].text, &pcm, &n, &rate))
				continue;
			size_t pad = (size_t)rate * 3 / 10, tot = n + 2 * pad;
			int16_t *buf = calloc(tot, sizeof *buf);
			memcpy(buf + pad, pcm, n * sizeof *pcm);
			for (size_t k = 0; k < tot; k++) {
				seed = seed * 1664525u + 1013904223u;
				buf[k] = (int16_t)(buf[k] + (int)((seed >> 24) % 9) - 4);
			}
			struct clip *c = &clips[n_clips];
			if (asr_audio_encode(buf, tot, rate, 1, formats[(qi + (size_t)vi) % 5],
					     &c->data, &c->len) == 0) {
				c->ref = rows[i].text;
				c->cat = rows[i].cat;
				c->voice = vi;
				c->format = formats[(qi + (size_t)vi) % 5];
				c->seconds = (double)tot / rate;
				total_audio += c->seconds;
				n_clips++;
			}
			free(buf);
			free(pcm);
		}
		qi++;
	}
	for (int vi = 0; vi < n_voices; vi++)
		tts_destroy(tts[vi]);
	printf("clips: %zu (%.0f s of audio), formats cycled wav/flac/vorbis/opus/mp3\n",
	       n_clips, total_audio);
	if (human && n_voices + 2 <= MAX_VOICES) {
		size_t before = n_clips;
		if (read_human(human, n_voices, telephone ? n_voices + 1 : -1))
			return 1;
		voice_names[n_voices++] = "human";
		if (telephone)
			voice_names[n_voices++] = "human8k";
		double sec = 0;
		for (size_t i = before; i < n_clips; i++)
			sec += clips[i].seconds;
		printf("human clips: %zu (%.0f s of audio) from %s\n", n_clips - before, sec, human);
	}
	if (write_dir && write_clips(write_dir, rows, held, nrows))
		return 1;

	/* text intent accuracy on the references */
	struct nlu_state *st = nlu_state_create(bot);
	int text_ok = 0, text_ok_enc = 0, text_ok_v[MAX_VOICES] = { 0 };
	size_t n_asked = 0;                       /* clips that ask a store question */
	for (size_t i = 0; i < n_clips; i++) {
		if (clips[i].cat < 0)
			continue;
		n_asked++;
		text_ok += intent_of(st, clips[i].ref) == clips[i].cat + 1;
		int ok = enc_ok(clips[i].ref, clips[i].cat);
		text_ok_enc += ok;
		text_ok_v[clips[i].voice] += ok;
	}
	nlu_state_destroy(st);

	/* ---- decoders: created one after another to measure each one's heap ---- */
	enum { N_CFG = 7 };
	struct config cfg[N_CFG] = {
		{ .name = "plain", .paths = { .plain = 1 } },
		{ .name = "generic", .paths = { 0 } },
		{ .name = "domain", .paths = { .generic_lm = "", .domain_lm = arpa, .extra_dict = dict } },
		{ .name = "mixed0", .paths = { .domain_lm = arpa, .extra_dict = dict,
					       .domain_weight = weight } },
		{ .name = "mixed", .paths = { .domain_lm = arpa, .extra_dict = dict,
					      .domain_weight = weight, .entity_lm = dom.entity_path,
					      .entity_weight = ent_weight } },
		{ .name = "fast", .paths = { .domain_lm = arpa, .extra_dict = dict,
					     .domain_weight = weight, .entity_lm = dom.entity_path,
					     .entity_weight = ent_weight, .fast = 1 } },
		{ .name = "session", .paths = { .domain_lm = arpa, .extra_dict = dict,
						.domain_weight = weight,
						.entity_lm = dom.entity_path,
						.entity_weight = ent_weight }, .session_cmn = 1 },
	};
	int run[N_CFG];
	for (int k = 0; k < N_CFG; k++) {
		run[k] = has_name(only, cfg[k].name);
		cfg[k].paths.ps_opts = ps_opts;
		cfg[k].paths.generic_words = generic_words;   /* asr.c: the mixes only */
		cfg[k].paths.mllr = mllr ? (strcmp(mllr, "none") ? mllr : NULL)
			: asr_mllr_find(getenv("KEFU_MODELS") ? getenv("KEFU_MODELS")
					: KEFU_SRCDIR "/models", mllr_path, sizeof mllr_path);
		cfg[k].paths.hmm = hmm ? (strcmp(hmm, "none") ? hmm : NULL)
			: asr_hmm_find(getenv("KEFU_MODELS") ? getenv("KEFU_MODELS")
				       : KEFU_SRCDIR "/models", hmm_path, sizeof hmm_path);
		cfg[k].paths.spell_hmm = spell_hmm ? (strcmp(spell_hmm, "none") ? spell_hmm : NULL)
			: asr_spell_hmm_find(getenv("KEFU_MODELS") ? getenv("KEFU_MODELS")
					     : KEFU_SRCDIR "/models", spell_hmm_path,
					     sizeof spell_hmm_path);
		if (!run[k])
			continue;
		size_t before = heap_used();
		cfg[k].dec = asr_decoder_create(&cfg[k].paths, err, sizeof err);
		if (!cfg[k].dec) {
			fprintf(stderr, "decoder %s: %s\n", cfg[k].name, err);
			return 1;
		}
		cfg[k].mem_bytes = heap_used() - before;
	}
	for (int k = 0; k < N_CFG; k++)
		if (run[k])
			run_config(&cfg[k]);

	printf("\n%-8s", "LM");
	for (int vi = 0; vi < n_voices; vi++)
		printf(" WER %-6.6s", voice_names[vi]);
	printf(" WER all   RTF   dec MB | encoder: spoken   text  ratio | BM25: spoken   text  "
	       "ratio | failed\n");
	double n_q = n_asked ? (double)n_asked : 1;
	double tacc = (double)text_ok / n_q;
	double tacc_e = (double)text_ok_enc / n_q;
	for (int k = 0; k < N_CFG; k++) {
		struct config *c = &cfg[k];
		if (!run[k])
			continue;
		printf("%-8s", c->name);
		for (int vi = 0; vi < n_voices; vi++)
			printf(" %9.1f%%", 100.0 * c->err[vi] / (c->nref[vi] ? c->nref[vi] : 1));
		double sacc = (double)c->correct / n_q;
		double sacc_e = (double)c->correct_enc / n_q;
		printf(" %6.1f%% %5.3f %7.1f |        %6.1f%% %5.1f%% %5.2f |    %6.1f%% %5.1f%% %5.2f "
		       "| %d\n",
		       100.0 * c->errs / (c->refs ? c->refs : 1), c->audio > 0 ? c->cpu / c->audio : 0,
		       (double)c->mem_bytes / 1048576.0, 100 * sacc_e, 100 * tacc_e,
		       tacc_e > 0 ? sacc_e / tacc_e : 0, 100 * sacc, 100 * tacc,
		       tacc > 0 ? sacc / tacc : 0, c->failed);
	}
	printf("\nCPU per audio second: audio decoding + resampling / VAD / search (pocketsphinx)\n");
	for (int k = 0; k < N_CFG; k++)
		if (run[k] && cfg[k].audio > 0)
			printf("%-8s %.4f / %.4f / %.4f\n", cfg[k].name, cfg[k].cpu_decode / cfg[k].audio,
			       cfg[k].cpu_vad / cfg[k].audio,
			       (cfg[k].cpu - cfg[k].cpu_decode - cfg[k].cpu_vad) / cfg[k].audio);
	printf("\ndigits/letters exact (clips whose reference holds any; asr_entity_exact):\n%-8s",
	       "LM");
	for (int vi = 0; vi < n_voices; vi++)
		printf(" %-15.15s", voice_names[vi]);
	printf("\n");
	for (int k = 0; k < N_CFG; k++) {
		if (!run[k])
			continue;
		printf("%-8s", cfg[k].name);
		for (int vi = 0; vi < n_voices; vi++)
			printf(" %5.1f%% %3d/%-4d", 100.0 * cfg[k].dig_ok[vi] /
			       (cfg[k].dig_n[vi] ? cfg[k].dig_n[vi] : 1), cfg[k].dig_ok[vi],
			       cfg[k].dig_n[vi]);
		printf("\n");
	}
	if (enc) {
		printf("\nencoder intent per voice (spoken / text):\n%-8s", "LM");
		for (int vi = 0; vi < n_voices; vi++)
			if (strncmp(voice_names[vi], "human", 5))
				printf(" %-15.15s", voice_names[vi]);
		printf("\n");
		for (int k = 0; k < N_CFG; k++) {
			if (!run[k])
				continue;
			printf("%-8s", cfg[k].name);
			for (int vi = 0; vi < n_voices; vi++) {
				if (!strncmp(voice_names[vi], "human", 5))
					continue;
				double n = cfg[k].n_v[vi] ? cfg[k].n_v[vi] : 1;
				printf(" %5.1f / %5.1f%%  ", 100.0 * cfg[k].ok_v[vi] / n,
				       100.0 * text_ok_v[vi] / n);
			}
			printf("\n");
		}
	}
	if (ps_opts)
		printf("(pocketsphinx options: %s)\n", ps_opts);
	printf("(mixed0: generic + domain, domain weight %.2f; mixed: and the entity model, weight "
	       "%.2f; fast: mixed with kefud's asr_fast search; plain: generic LM, pocketsphinx's search settings; RTF = thread CPU s of decode+VAD+ASR per audio s, one "
	       "thread, configs one after another; intent = the encoder's best class / the BM25 "
	       "bot's top answer, both trained on the store part)\n", weight, ent_weight);

	for (int k = 0; k < N_CFG; k++)
		asr_decoder_destroy(cfg[k].dec);
	for (size_t i = 0; i < n_clips; i++) {
		free(clips[i].data);
		if (clips[i].cat < 0)
			free((char *)clips[i].ref);         /* read_human's copy */
	}
	free(clips);
	for (int k = 0; k < n_speakers; k++)
		free(speakers[k]);
	free(speakers);
	nlu_bot_unref(bot);
	nlu_enc_scratch_destroy(enc_s);
	nlu_enc_destroy(enc);
	nlu_glove_close(glove);
	unlink(arpa);
	unlink(dict);
	unlink(dom.entity_path);
	rmdir(dir);
	for (size_t i = 0; i < nrows; i++)
		free(rows[i].text);
	free(rows);
	free(held);
	for (int c = 0; c < ncats; c++)
		free(cats[c]);
	free(ans);
	free(ex);
	free(vlist);
	return 0;
}
