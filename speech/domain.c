/* speech/domain.c — the store's domain language model and pronunciations, in one call.
 *
 * kefud (its language-model builder, at start and after SIGHUP), `kefu eval-speech` and
 * bench/speech turn a store's texts (example questions, answer titles) into the two files an
 * asr_decoder reads beside the generic model (struct asr_model_paths):
 *   DIR/domain.arpa   trigram interpolated Kneser-Ney model of the texts (lm.c)
 *   DIR/extra.dict    pronunciations, from flite's letter-to-sound rules (lex.c), of the
 *                     model's words that cmudict lacks (product and brand names, new words)
 *   DIR/entities.arpa the generated model of spoken digits, codes, numbers, dates and
 *                     amounts (entity_lm.c; the same for every store, ~0.3 s to make)
 * Each file is written under a temporary name and renamed into place, so a decoder being
 * created from the previous files (a reload) never reads a half-written one.
 *
 * Runs on the calling thread (kefud's builder or signal thread, the kefu or bench main
 * thread); it holds no state.  flite's one-time lexicon set-up inside asr_lex_create is
 * serialised by sp_flite_lock, so a build may run beside a worker's spoken reply.
 */
#include "speech.h"
#include "speech_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Writes "dir/name" into out; 0, or -1 when it does not fit. */
static int join(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int asr_domain_build(const char *const *texts, size_t n, const char *dir,
		     struct asr_domain *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	char tmp_lm[sizeof out->lm_path + 8], tmp_dict[sizeof out->dict_path + 8];
	char tmp_ent[sizeof out->entity_path + 8];
	if (join(out->lm_path, sizeof out->lm_path, dir, "domain.arpa") ||
	    join(out->dict_path, sizeof out->dict_path, dir, "extra.dict") ||
	    join(out->entity_path, sizeof out->entity_path, dir, "entities.arpa") ||
	    join(tmp_ent, sizeof tmp_ent, dir, "entities.arpa.tmp") ||
	    join(tmp_lm, sizeof tmp_lm, dir, "domain.arpa.tmp") ||
	    join(tmp_dict, sizeof tmp_dict, dir, "extra.dict.tmp")) {
		snprintf(err, errlen, "path too long: %s", dir);
		memset(out, 0, sizeof *out);
		return ASR_ERR_INTERNAL;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		memset(out, 0, sizeof *out);
		return ASR_ERR_INTERNAL;
	}
	int rc = ASR_ERR_NOMEM;
	asr_lex *lex = NULL;
	asr_lm *lm = asr_lm_create(3);
	if (!lm) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	char norm[64];
	for (size_t i = 0; i < n; i++) {
		if (!texts[i])
			continue;
		if (asr_lm_add(lm, texts[i]) != 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		/* count the texts that give the model words (asr_lm_add skips the others) */
		out->n_texts += asr_text_normalize(texts[i], norm, sizeof norm) > 0;
	}
	if (out->n_texts == 0 || asr_lm_estimate(lm) != 0) {
		snprintf(err, errlen, "no words to build a language model from (%zu texts)", n);
		rc = ASR_ERR_EMPTY;
		goto fail;
	}
	out->n_words = asr_lm_vocab_size(lm);
	rc = ASR_ERR_INTERNAL;
	if (asr_lm_write_arpa(lm, tmp_lm) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp_lm, strerror(errno));
		goto fail;
	}
	lex = asr_lex_create(ASR_DEFAULT_DICT);
	if (!lex) {
		snprintf(err, errlen, "cannot load the dictionary %s", ASR_DEFAULT_DICT);
		goto fail;
	}
	out->n_missing = asr_lex_write_missing(lex, lm, tmp_dict);
	if (out->n_missing < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp_dict, strerror(errno));
		goto fail;
	}
	if (asr_entity_lm_write(tmp_ent, ASR_DEFAULT_DICT, NULL) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp_ent, strerror(errno));
		goto fail;
	}
	/* the dictionary first: a new dictionary beside the old model only has spare words */
	if (rename(tmp_dict, out->dict_path) != 0 || rename(tmp_lm, out->lm_path) != 0 ||
	    rename(tmp_ent, out->entity_path) != 0) {
		snprintf(err, errlen, "cannot rename into %s: %s", dir, strerror(errno));
		goto fail;
	}
	asr_lex_destroy(lex);
	asr_lm_destroy(lm);
	LOG_INFO("domain LM %s: %zu texts, %zu words, %d pronunciations from letter-to-sound",
		 out->lm_path, out->n_texts, out->n_words, out->n_missing);
	return 0;
fail:
	unlink(tmp_ent);
	unlink(tmp_lm);
	unlink(tmp_dict);
	asr_lex_destroy(lex);
	asr_lm_destroy(lm);
	memset(out, 0, sizeof *out);
	return rc;
}
