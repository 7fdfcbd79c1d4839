/* speech/letters.c — a second opinion on the letters and digits of a spelled value: each
 * letter or digit word of a value-like segment's reading (after grammar.c's spelling pass)
 * is classified again from its own frames, and relabelled where the classifier is sure.
 *
 * What the spelling pass leaves wrong is mostly letters that sound alike (d/t, e/d/b/p,
 * m/n, "a" heard as "k", docs/speech.md "Seventh round"): the search scores a letter's
 * frames with context-dependent triphones and the entity model's n-grams, not with a model
 * that was shown "d" against "t".  Here the segment's cepstra (the ones the searches read,
 * grammar.c's sp_seg_cep; sp_cepstra again only when the caller has none) are normalised
 * by their mean (as the search's batch CMN does), and each
 * word is cut at the search's word boundaries into a fixed-size vector (asr_letters_feature:
 * the mean cepstrum of a few equal parts, of a few frames either side, of 2-frame blocks
 * at its onset, each cepstrum's deviation, the log length) that
 * a small softmax model (letters_model.c) classifies among ASR_LETTERS_K words.  Its
 * posterior and the search's word posterior are combined (asr_letters_relabel) over the
 * classes that sound like the word (asr_letters_alike); the word is replaced only when the
 * combination prefers another class that the classifier itself gives at least tau.  The
 * features, classes and rule are letters_feat.c's, the model letters_model.c's.
 * docs/speech.md "Eighth round".
 *
 * Runs on the decoder's thread (a kefud worker, kefu eval-speech), between utterances.
 */
#include "speech.h"
#include "speech_int.h"

#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h>

int sp_letters_fix(asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		   const struct asr_entity_opts *o, struct sp_seg_cep *c, struct asr_result *lm)
{
	int T, ncep;
	struct asr_letters_shape shape = { 3, 5, 0 };
	float lambda = 0, tau = 1, q[ASR_LETTERS_K];

	const asr_letters *m = o->letters_off ? NULL : o->letters ? o->letters
						     : asr_letters_builtin();
	if (!m && !o->letters_seen)
		return 0;
	if (m)
		asr_letters_settings(m, &shape, &lambda, &tau);
	if (o->letters_lambda > 0)
		lambda = o->letters_lambda;
	if (o->letters_tau > 0)
		tau = o->letters_tau;
	float **own = NULL, **rows;
	if (c && c->rows) {
		rows = c->rows;
		T = c->n_frames;
		ncep = c->n_cep;
	} else if (!(rows = own = sp_cepstra(sp_decoder_ps(d), pcm, n, &T, &ncep))) {
		return ASR_ERR_INTERNAL;
	}
	if (ncep != ASR_LETTERS_NCEP || T <= 0) {
		sp_cepstra_free(own);
		return 0;                         /* another front end: nothing to classify */
	}
	float *cep = rows[0], whole[ASR_LETTERS_NCEP * 4 + 1];
	const struct asr_letters_shape one = { .parts = 1 };
	asr_letters_feature(cep, T, 0, T - 1, &one, whole);  /* the segment's mean first */
	const float *mean = whole;                /* batch CMN, as the search normalised */
	for (int t = 0; t < T; t++)
		for (int k = 0; k < ASR_LETTERS_NCEP; k++)
			cep[(size_t)t * ASR_LETTERS_NCEP + k] -= mean[k];
	float *x = malloc((size_t)asr_letters_dim(&shape) * sizeof *x);
	if (!x) {
		sp_cepstra_free(own);
		return ASR_ERR_NOMEM;
	}
	for (size_t i = 0; i < lm->n_words; i++) {
		struct asr_word *w = &lm->words[i];
		int k = asr_letters_class(w->word);
		if (k < 0)
			continue;
		int sf = (w->start_ms - off_ms) / 10, ef = (w->end_ms - off_ms) / 10 - 1;
		if (sf < 0 || ef >= T || ef < sf)
			continue;
		if (o->letters_seen) {
			int w0 = sf - ASR_LETTERS_CTX < 0 ? 0 : sf - ASR_LETTERS_CTX;
			int w1 = ef + 1 + ASR_LETTERS_CTX > T ? T : ef + 1 + ASR_LETTERS_CTX;
			o->letters_seen(o->letters_ctx, w->word, w->conf,
					cep + (size_t)w0 * ASR_LETTERS_NCEP, w1 - w0, sf - w0,
					ef - w0);
		}
		if (!m)
			continue;
		asr_letters_feature(cep, T, sf, ef, &shape, x);
		asr_letters_predict(m, x, q);
		asr_letters_alike(q, k);
		int nk = asr_letters_relabel(q, k, w->conf, lambda, tau);
		if (nk == k)
			continue;
		char *nw = strdup(asr_letters_word(nk));
		if (!nw) {
			free(x);
			sp_cepstra_free(own);
			return ASR_ERR_NOMEM;
		}
		free(w->word);
		w->word = nw;
		w->conf = q[nk];
	}
	free(x);
	sp_cepstra_free(own);
	return 0;
}
