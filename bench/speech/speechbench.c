/* bench/speech/speechbench.c — spoken BANKING77 questions through kefu's audio path.
 *
 * 1. Reads a text,category CSV (BANKING77 train.csv) and holds out --per-cat questions of
 *    every category (evenly spaced in file order); the rest is the "store".
 * 2. Builds the domain LM from the store's questions (speech/lm.c: trigram, interpolated
 *    Kneser-Ney) and pronunciations for its words cmudict lacks (speech/lex.c, flite LTS).
 * 3. Speaks every held-out question with each flite voice (slt, rms, awb: 16 kHz; kal: 8 kHz
 *    diphones), adds 0.3 s of quiet with a faint noise floor on each side and encodes the clip
 *    in turn as WAV, FLAC, OGG Vorbis, OGG Opus and MP3.
 * 4. Decodes every clip with decode -> resample -> VAD -> pocketsphinx for three language
 *    models: generic en-us, domain only, mixed (interpolated, --weight for the domain), each
 *    decoder on its own thread (one decoder per thread, as in kefud's workers).
 * 5. Prints WER per voice and overall, RTF (thread CPU seconds of decode+VAD+ASR per audio
 *    second), memory per decoder (heap growth while creating it), and the intent accuracy of
 *    a BM25 bot (nlu_bot_build over the store's questions, one answer per category) on the
 *    transcripts beside the same bot on the reference texts.
 *
 * Usage: speechbench [--train CSV] [--per-cat N] [--voices slt,rms,awb,kal] [--weight W]
 *                    [--max N] [--configs generic,domain,mixed] [--ps "-beam 1e-40 ..."]
 *                    [--verbose]
 */
#include "speech.h"
#include "csv.h"
#include "log.h"
#include "nlu.h"
#include "nlu_int.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sndfile.h>

#define MAX_CATS 256

struct row { char *text; int cat; };

struct clip {
	void *data;
	size_t len;
	const char *ref;
	int cat;
	int voice;
	double seconds;
};

struct config {
	const char *name;
	struct asr_model_paths paths;
	asr_decoder *dec;
	size_t mem_bytes;
	/* results */
	int err[8], nref[8];           /* per voice */
	int errs, refs, correct, n, failed;
	double cpu, audio;
};

static const char *voice_names[4];
static int n_voices;
static struct clip *clips;
static size_t n_clips;
static struct nlu_bot *bot;
static int verbose;

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[n] = '\0';
		*len = (size_t)n;
	}
	return b;
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

static void *run_config(void *arg)
{
	struct config *c = arg;
	struct nlu_state *st = nlu_state_create(bot);
	asr_vad *v = asr_vad_create(NULL);
	struct asr_limits lim = { .max_bytes = 4u << 20, .max_seconds = 60 };
	for (size_t i = 0; i < n_clips; i++) {
		struct asr_result r;
		int rc = asr_recognize_clip(c->dec, v, clips[i].data, clips[i].len, &lim, &r);
		const char *hyp = rc == 0 ? r.text : "";
		int nref, e = asr_wer_count(clips[i].ref, hyp, &nref);
		c->err[clips[i].voice] += e;
		c->nref[clips[i].voice] += nref;
		c->errs += e;
		c->refs += nref;
		c->n++;
		if (rc) {
			c->failed++;
		} else {
			c->cpu += r.cpu_seconds;
			c->audio += r.audio_seconds;
		}
		int64_t want = clips[i].cat + 1;
		int ok = *hyp && intent_of(st, hyp) == want;
		c->correct += ok;
		if (verbose)
			fprintf(stderr, "[%s] %s %d/%d %s | %s | %s\n", c->name, voice_names[clips[i].voice],
				e, nref, ok ? "ok " : "BAD", clips[i].ref, rc ? asr_err_name(rc) : hyp);
		if (rc == 0)
			asr_result_free(&r);
	}
	asr_vad_destroy(v);
	nlu_state_destroy(st);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *train = KEFU_SRCDIR "/../shared/data/banking77/train.csv";
	const char *voices = "slt,rms,awb,kal";
	int per_cat = 1;
	size_t max_clips = 0;
	float weight = 0.5f;
	const char *ps_opts = NULL, *only = "generic,domain,mixed";
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
		else if (!strcmp(argv[i], "--configs") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--verbose"))
			verbose = 1;
		else {
			fprintf(stderr, "usage: %s [--train CSV] [--per-cat N] [--voices slt,rms,awb,kal] "
				"[--weight W] [--max N] [--verbose]\n", argv[0]);
			return 2;
		}
	}
	cm_log_set_level(CM_LOG_WARN);

	/* ---- data ---- */
	size_t dlen;
	char *data = read_file(train, &dlen);
	if (!data) {
		fprintf(stderr, "cannot read %s\n", train);
		return 1;
	}
	struct cm_csv csv;
	cm_csv_init(&csv, data, dlen);
	struct row *rows = NULL;
	size_t nrows = 0, caprows = 0;
	char *cats[MAX_CATS];
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
	/* hold out per_cat questions per category, evenly spaced */
	char *held = calloc(nrows, 1);
	size_t n_held = 0;
	for (int c = 0; c < ncats; c++) {
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
	printf("data: %s: %zu questions, %d categories; %zu held out (%d per category), %zu in the store\n",
	       train, nrows, ncats, n_held, per_cat, nrows - n_held);

	/* ---- domain LM and pronunciations ---- */
	char dir[] = "/tmp/kefu-speechbench-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char arpa[256], dict[256];
	snprintf(arpa, sizeof arpa, "%s/domain.arpa", dir);
	snprintf(dict, sizeof dict, "%s/extra.dict", dir);
	asr_lm *lm = asr_lm_create(3);
	for (size_t i = 0; i < nrows; i++)
		if (!held[i])
			asr_lm_add(lm, rows[i].text);
	if (asr_lm_estimate(lm) || asr_lm_write_arpa(lm, arpa)) {
		fprintf(stderr, "cannot build the LM\n");
		return 1;
	}
	asr_lex *lex = asr_lex_create("/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict");
	int n_missing = lex ? asr_lex_write_missing(lex, lm, dict) : -1;
	printf("domain LM: %zu words, %d of them missing from cmudict (flite letter-to-sound)\n",
	       asr_lm_vocab_size(lm), n_missing);
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
	asr_lex_destroy(lex);
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
	char err[256];
	struct nlu_opts nopts = { .threshold = 0.5 };
	bot = nlu_bot_build(ans, (size_t)ncats, ex, nex, &nopts, NULL, err, sizeof err);
	if (!bot) {
		fprintf(stderr, "bot: %s\n", err);
		return 1;
	}

	/* ---- clips ---- */
	static const int formats[] = { SF_FORMAT_WAV | SF_FORMAT_PCM_16,
		SF_FORMAT_FLAC | SF_FORMAT_PCM_16, SF_FORMAT_OGG | SF_FORMAT_VORBIS,
		SF_FORMAT_OGG | SF_FORMAT_OPUS, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III };
	char *vlist = strdup(voices);
	char *save = NULL;
	asr_tts *tts[4];
	for (char *t = strtok_r(vlist, ",", &save); t && n_voices < 4; t = strtok_r(NULL, ",", &save)) {
		tts[n_voices] = asr_tts_create(t);
		if (!tts[n_voices]) {
			fprintf(stderr, "unknown voice %s\n", t);
			return 2;
		}
		voice_names[n_voices++] = t;
	}
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
			if (asr_tts_synth(tts[vi], rows[i].text, &pcm, &n, &rate))
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
		asr_tts_destroy(tts[vi]);
	printf("clips: %zu (%.0f s of audio), formats cycled wav/flac/vorbis/opus/mp3\n",
	       n_clips, total_audio);

	/* text intent accuracy on the references */
	struct nlu_state *st = nlu_state_create(bot);
	int text_ok = 0;
	for (size_t i = 0; i < n_clips; i++)
		text_ok += intent_of(st, clips[i].ref) == clips[i].cat + 1;
	nlu_state_destroy(st);

	/* ---- decoders: created one after another to measure each one's heap ---- */
	struct config cfg[3] = {
		{ .name = "generic", .paths = { 0 } },
		{ .name = "domain", .paths = { .generic_lm = "", .domain_lm = arpa, .extra_dict = dict } },
		{ .name = "mixed", .paths = { .domain_lm = arpa, .extra_dict = dict,
					      .domain_weight = weight } },
	};
	int run[3];
	for (int k = 0; k < 3; k++) {
		run[k] = strstr(only, cfg[k].name) != NULL;
		cfg[k].paths.ps_opts = ps_opts;
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
	pthread_t th[3];
	for (int k = 0; k < 3; k++)
		if (run[k])
			pthread_create(&th[k], NULL, run_config, &cfg[k]);
	for (int k = 0; k < 3; k++)
		if (run[k])
			pthread_join(th[k], NULL);

	printf("\n%-8s", "LM");
	for (int vi = 0; vi < n_voices; vi++)
		printf("  WER %-4s", voice_names[vi]);
	printf("  WER all   RTF    decoder MB  spoken-intent  text-intent  ratio  errors\n");
	for (int k = 0; k < 3; k++) {
		struct config *c = &cfg[k];
		if (!run[k])
			continue;
		printf("%-8s", c->name);
		for (int vi = 0; vi < n_voices; vi++)
			printf("  %7.1f%%", 100.0 * c->err[vi] / (c->nref[vi] ? c->nref[vi] : 1));
		double sacc = (double)c->correct / (double)n_clips, tacc = (double)text_ok / (double)n_clips;
		printf("  %6.1f%%  %5.3f  %9.1f  %12.1f%%  %10.1f%%  %5.2f  %d\n",
		       100.0 * c->errs / (c->refs ? c->refs : 1), c->audio > 0 ? c->cpu / c->audio : 0,
		       (double)c->mem_bytes / 1048576.0, 100 * sacc, 100 * tacc, sacc / tacc, c->failed);
	}
	if (ps_opts)
		printf("(pocketsphinx options: %s)\n", ps_opts);
	printf("(mixed: domain weight %.2f; RTF = thread CPU s of decode+VAD+ASR per audio s, one "
	       "core; intent = top answer of a BM25 bot built from the store part)\n", weight);

	for (int k = 0; k < 3; k++)
		asr_decoder_destroy(cfg[k].dec);
	for (size_t i = 0; i < n_clips; i++)
		free(clips[i].data);
	free(clips);
	nlu_bot_unref(bot);
	unlink(arpa);
	unlink(dict);
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
