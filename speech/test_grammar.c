/* speech/test_grammar.c — unit tests for grammar.c (asr_recognize_entity) on one decoder
 * with Debian's generic language model, as a kefud worker's without a store.
 *
 * flite (slt) reading a code in the NATO alphabet, a digit string, a date and an amount,
 * each with the kind expected: the value is read exactly and a grammar pass ran; the digit
 * string without any expectation (auto) is tried with the number grammar all the same and
 * read as a number; --grammar none never runs it; a question ("I lost my card") runs no grammar and
 * holds no entity; after the grammar passes the language-model search is back (the same
 * question decodes the same as on a fresh decoder's first clip).  Human speech: three an4
 * clips of digit strings (../shared/data/an4-train, speakers of the tuning half) read
 * with the number grammar expected; skipped with a message when the data is not there.
 */
#include "speech.h"
#include "test_clip.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, \
	#c); failures++; } } while (0)

static const struct asr_limits lim = { .max_bytes = 8u << 20, .max_seconds = 60 };

/* Decodes clip with o; prints and returns the entity in *e and the text in text. */
static int run(asr_decoder *d, asr_vad *v, const void *clip, size_t len, int expect, int mode,
	       struct asr_entity *e, char *text, size_t textlen, const char *label)
{
	struct asr_entity_opts o = { .expect = expect, .mode = mode };
	struct asr_result r;
	int rc = asr_recognize_entity(d, v, clip, len, &lim, &o, &r, e);

	if (rc) {
		fprintf(stderr, "FAIL %s: %s\n", label, asr_err_name(rc));
		failures++;
		return rc;
	}
	printf("%-34s \"%s\" -> %s \"%s\" (grammar tried %d, kept %d, rtf %.3f)\n", label, r.text,
	       asr_entity_kind_name(e->kind), e->value, e->tried, e->from_grammar,
	       r.cpu_seconds / r.audio_seconds);
	snprintf(text, textlen, "%s", r.text);
	asr_result_free(&r);
	return 0;
}

static void spoken(asr_decoder *d, asr_vad *v, tts_voice *slt, const char *say, int expect,
		   int want_kind, const char *want)
{
	struct asr_entity e;
	char text[512];
	size_t len;
	void *clip = test_clip(slt, say, SF_FORMAT_WAV | SF_FORMAT_PCM_16, &len);

	CHECK(clip != NULL);
	if (!clip)
		return;
	if (run(d, v, clip, len, expect, ASR_GRAMMAR_AUTO, &e, text, sizeof text, say) == 0) {
		CHECK(e.tried >= 1);
		CHECK(e.kind == want_kind);
		if (strcmp(e.value, want)) {
			fprintf(stderr, "FAIL '%s' read as '%s', want '%s'\n", say, e.value, want);
			failures++;
		}
	}
	free(clip);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = buf ? (size_t)n : 0;
	fclose(f);
	return buf;
}

/* an4-train beside the checkout ($KEFU_SRCDIR/../shared or ../../shared), or NULL. */
static const char *an4_dir(char *buf, size_t n)
{
	const char *src = getenv("KEFU_SRCDIR");
	static const char *const rel[] = { "../shared/data/an4-train",
					   "../../shared/data/an4-train" };

	for (size_t i = 0; src && i < 2; i++) {
		snprintf(buf, n, "%s/%s/manifest.tsv", src, rel[i]);
		FILE *f = fopen(buf, "r");
		if (f) {
			fclose(f);
			snprintf(buf, n, "%s/%s", src, rel[i]);
			return buf;
		}
	}
	return NULL;
}

static void human(asr_decoder *d, asr_vad *v)
{
	static const struct { const char *file, *want; } c[] = {
		{ "audio/cen3-fclc-b.flac", "5535" },            /* five five three five */
		{ "audio/cen6-fclc-b.flac", "15217" },           /* one five two one seven */
		{ "audio/cen7-fbbh-b.flac", "4436312" },         /* four four three six three ... */
	};
	char dir[1024], path[1100], text[512];

	if (!an4_dir(dir, sizeof dir)) {
		printf("an4-train not found beside the checkout: human clips skipped\n");
		return;
	}
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct asr_entity e;
		size_t len;
		snprintf(path, sizeof path, "%s/%s", dir, c[i].file);
		void *clip = read_file(path, &len);
		CHECK(clip != NULL);
		if (clip && run(d, v, clip, len, ASR_ENT_NUMBER, ASR_GRAMMAR_AUTO, &e, text,
				sizeof text, c[i].file) == 0) {
			CHECK(e.tried >= 1);
			CHECK(e.kind == ASR_ENT_NUMBER && !strcmp(e.value, c[i].want));
		}
		free(clip);
	}
}

int main(void)
{
	char err[256], text[512], before[512];
	struct asr_model_paths p = { 0 };
	asr_decoder *d = asr_decoder_create(&p, err, sizeof err);
	asr_vad *v = asr_vad_create(NULL);
	tts_voice *slt = tts_create("slt");
	struct asr_entity e;
	size_t len;
	void *q;

	if (!d || !v || !slt) {
		fprintf(stderr, "FAIL set-up: %s\n", d ? "vad/tts" : err);
		return 1;
	}
	/* a question first: no grammar, no entity; its words on a fresh decoder */
	q = test_clip(slt, "I lost my card", SF_FORMAT_WAV | SF_FORMAT_PCM_16, &len);
	CHECK(q != NULL);
	if (q && run(d, v, q, len, ASR_ENT_NONE, ASR_GRAMMAR_AUTO, &e, before, sizeof before,
		     "question, auto") == 0) {
		CHECK(e.tried == 0 && e.kind == ASR_ENT_NONE && !e.value[0]);
		CHECK(strstr(before, "card") != NULL);
	}

	spoken(d, v, slt, "alpha bravo seven seven three", ASR_ENT_CODE, ASR_ENT_CODE, "AB773");
	spoken(d, v, slt, "one five two one seven", ASR_ENT_NONE, ASR_ENT_NUMBER, "15217");
	spoken(d, v, slt, "one five two one seven", ASR_ENT_NUMBER, ASR_ENT_NUMBER, "15217");
	spoken(d, v, slt, "march third nineteen eighty", ASR_ENT_DATE, ASR_ENT_DATE,
	       "1980-03-03");
	spoken(d, v, slt, "twelve dollars and fifty cents", ASR_ENT_AMOUNT, ASR_ENT_AMOUNT,
	       "12.50 USD");

	/* --grammar none: never a grammar pass */
	void *c = test_clip(slt, "alpha seven seven three", SF_FORMAT_WAV | SF_FORMAT_PCM_16,
			    &len);
	if (c && run(d, v, c, len, ASR_ENT_CODE, ASR_GRAMMAR_NONE, &e, text, sizeof text,
		     "code, grammar none") == 0)
		CHECK(e.tried == 0 && !e.from_grammar);
	free(c);

	/* the language-model search is back after the grammar passes */
	if (q && run(d, v, q, len, ASR_ENT_NONE, ASR_GRAMMAR_AUTO, &e, text, sizeof text,
		     "question again") == 0)
		CHECK(strcmp(text, before) == 0);
	free(q);

	human(d, v);
	tts_destroy(slt);
	asr_vad_destroy(v);
	asr_decoder_destroy(d);
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
