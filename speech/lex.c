/* speech/lex.c — pronunciations for words the recogniser's dictionary lacks.
 *
 * Product and brand names, misspellings and new words in a store's texts are missing from
 * cmudict; without a pronunciation pocketsphinx cannot recognise them at all.  flite's CMU
 * lexicon (libflite_cmulex: its own ~60k word list plus letter-to-sound rules trained on
 * cmudict) gives one for any letter string.  Its phone set is cmudict's in lower case with
 * stress digits on vowels and "ax" for schwa; pocketsphinx's en-us model wants upper case
 * without stress and AH for schwa, which pron_to_sphinx() maps.
 *
 * Runs on the training thread.  flite's lexicon is a process-wide static structure that
 * lex_lookup only reads; it is initialised once (cmu_lex_init is idempotent but not
 * thread-safe, so it runs under sp_flite_lock, as voice registration in tts.c does).
 */
#include "speech.h"
#include "speech_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flite.h>

#include "log.h"

cst_lexicon *cmu_lex_init(void);

static pthread_mutex_t flite_mutex = PTHREAD_MUTEX_INITIALIZER;

void sp_flite_lock(void)
{
	pthread_mutex_lock(&flite_mutex);
}

void sp_flite_unlock(void)
{
	pthread_mutex_unlock(&flite_mutex);
}

struct asr_lex {
	struct sp_strtab words;
	cst_lexicon *lex;
};

asr_lex *asr_lex_create(const char *dict_path)
{
	asr_lex *x = calloc(1, sizeof *x);
	if (!x || sp_strtab_init(&x->words)) {
		free(x);
		return NULL;
	}
	FILE *f = fopen(dict_path, "r");
	if (!f) {
		LOG_ERR("cannot open dictionary %s", dict_path);
		asr_lex_destroy(x);
		return NULL;
	}
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, " \t\r\n(");
		if (n && sp_strtab_intern(&x->words, line, n) < 0) {
			fclose(f);
			asr_lex_destroy(x);
			return NULL;
		}
	}
	fclose(f);
	sp_flite_lock();
	x->lex = cmu_lex_init();
	sp_flite_unlock();
	if (!x->lex) {
		asr_lex_destroy(x);
		return NULL;
	}
	return x;
}

void asr_lex_destroy(asr_lex *x)
{
	if (!x)
		return;
	sp_strtab_free(&x->words);
	free(x);
}

int asr_lex_known(const asr_lex *x, const char *word)
{
	return sp_strtab_find(&x->words, word, strlen(word)) >= 0;
}

/* Appends flite phone p in pocketsphinx form to out; 0 or -1 when out is full. */
static int pron_to_sphinx(const char *p, char *out, size_t outlen, size_t *len)
{
	char ph[8];
	size_t n = 0;
	for (; *p && n < sizeof ph - 1; p++)
		if (isalpha((unsigned char)*p))
			ph[n++] = (char)toupper((unsigned char)*p);
	ph[n] = '\0';
	if (n == 0 || strcmp(ph, "PAU") == 0)
		return 0;
	if (strcmp(ph, "AX") == 0)
		strcpy(ph, "AH");
	else if (strcmp(ph, "AXR") == 0)
		strcpy(ph, "ER");
	int w = snprintf(out + *len, outlen - *len, "%s%s", *len ? " " : "", ph);
	if (w < 0 || (size_t)w >= outlen - *len)
		return -1;
	*len += (size_t)w;
	return 0;
}

int asr_lex_pronounce(asr_lex *x, const char *word, char *out, size_t outlen)
{
	char w[128];
	size_t n = 0;
	/* flite's letter-to-sound rules take letters only */
	for (const char *p = word; *p && n < sizeof w - 1; p++)
		if (isalpha((unsigned char)*p))
			w[n++] = (char)tolower((unsigned char)*p);
	w[n] = '\0';
	if (outlen)
		out[0] = '\0';
	if (n == 0)
		return -1;
	cst_val *phones = lex_lookup(x->lex, w, NULL, NULL);
	if (!phones)
		return -1;
	size_t len = 0;
	int rc = 0;
	for (const cst_val *v = phones; v && rc == 0; v = val_cdr(v))
		rc = pron_to_sphinx(val_string(val_car(v)), out, outlen, &len);
	delete_val(phones);
	return rc == 0 && len > 0 ? 0 : -1;
}

int asr_lex_write_missing(asr_lex *x, const asr_lm *lm, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int n = 0;
	char pron[512];
	for (size_t i = 0; i < asr_lm_vocab_size(lm); i++) {
		const char *w = asr_lm_vocab_word(lm, i);
		if (asr_lex_known(x, w))
			continue;
		if (asr_lex_pronounce(x, w, pron, sizeof pron) != 0) {
			LOG_WARN("no pronunciation for '%s'", w);
			continue;
		}
		fprintf(f, "%s %s\n", w, pron);
		n++;
	}
	if (ferror(f)) {
		fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : n;
}
