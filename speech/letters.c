/* speech/letters.c — a second opinion on the letters and digits of a spelled value: each
 * letter or digit word of a value-like segment's reading (after grammar.c's spelling pass)
 * is classified again from its own frames, and relabelled where the classifier is sure.
 *
 * What the spelling pass leaves wrong is mostly letters that sound alike (d/t, e/d/b/p,
 * m/n, "a" heard as "k", docs/speech.md "Seventh round"): the search scores a letter's
 * frames with context-dependent triphones and the entity model's n-grams, not with a model
 * that was shown "d" against "t".  Here the segment goes through the decoder's own front end
 * again (sp_cepstra), is normalised by its mean (as the search's batch CMN does), and each
 * word is cut at the search's word boundaries into a fixed-size vector (asr_letters_feature:
 * the mean cepstrum of a few equal parts, of a few frames either side, of 2-frame blocks
 * at its onset, each cepstrum's deviation, the log length) that
 * a small softmax model (letters_model.c) classifies among ASR_LETTERS_K words.  Its
 * posterior and the search's word posterior are combined (asr_letters_relabel); the word is
 * replaced only when the combination prefers another class that the classifier itself gives
 * at least tau.  docs/speech.md "Eighth round".
 *
 * Runs on the decoder's thread (a kefud worker, kefu eval-speech), between utterances.
 */
#include "speech.h"
#include "speech_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h>

static const char *const digit_words[11] = { "zero", "one", "two", "three", "four", "five",
					     "six", "seven", "eight", "nine", "oh" };

int asr_letters_class(const char *w)
{
	if (w[0] >= 'a' && w[0] <= 'z' && !w[1])
		return w[0] - 'a';
	for (int k = 0; k < 11; k++)
		if (!strcmp(w, digit_words[k]))
			return 26 + k;
	return -1;
}

const char *asr_letters_word(int k)
{
	static const char *const letters[26] = { "a", "b", "c", "d", "e", "f", "g", "h", "i",
		"j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y",
		"z" };
	if (k < 0 || k >= ASR_LETTERS_K)
		return NULL;
	return k < 26 ? letters[k] : digit_words[k - 26];
}

int asr_letters_dim(const struct asr_letters_shape *s)
{
	return ASR_LETTERS_NCEP * (s->parts + 2 + s->onset + 1) + 1;
}

/* out[0..NCEP) = the mean of frames [a, b) of cep (b > a). */
static void frame_mean(const float *cep, int a, int b, float *out)
{
	for (int k = 0; k < ASR_LETTERS_NCEP; k++)
		out[k] = 0;
	for (int t = a; t < b; t++)
		for (int k = 0; k < ASR_LETTERS_NCEP; k++)
			out[k] += cep[(size_t)t * ASR_LETTERS_NCEP + k];
	for (int k = 0; k < ASR_LETTERS_NCEP; k++)
		out[k] /= (float)(b - a);
}

void asr_letters_feature(const float *cep, int T, int sf, int ef,
			 const struct asr_letters_shape *s, float *out)
{
	int parts = s->parts, ctx = s->ctx;
	if (sf < 0)
		sf = 0;
	if (ef >= T)
		ef = T - 1;
	if (ef < sf)
		ef = sf;
	int len = ef - sf + 1;
	for (int p = 0; p < parts; p++) {
		int a = sf + p * len / parts, b = sf + (p + 1) * len / parts;
		if (b <= a)
			b = a + 1;
		frame_mean(cep, a, b, out + p * ASR_LETTERS_NCEP);
	}
	int a = sf - ctx < 0 ? 0 : sf - ctx;
	frame_mean(cep, a < sf ? a : sf, a < sf ? sf : sf + 1, out + parts * ASR_LETTERS_NCEP);
	int b = ef + 1 + ctx > T ? T : ef + 1 + ctx;
	frame_mean(cep, b > ef + 1 ? ef + 1 : ef, b > ef + 1 ? b : ef + 1,
		   out + (parts + 1) * ASR_LETTERS_NCEP);
	float *o = out + (parts + 2) * ASR_LETTERS_NCEP;
	for (int k = 0; k < s->onset; k++, o += ASR_LETTERS_NCEP) {
		int t = sf - 2 + 2 * k;
		t = t > T - 2 ? T - 2 : t;
		t = t < 0 ? 0 : t;
		frame_mean(cep, t, t + 2 > T ? T : t + 2, o);
	}
	frame_mean(cep, sf, ef + 1, o);                   /* the deviation over the word */
	for (int k = 0; k < ASR_LETTERS_NCEP; k++) {
		float v = 0;
		for (int t = sf; t <= ef; t++) {
			float d = cep[(size_t)t * ASR_LETTERS_NCEP + k] - o[k];
			v += d * d;
		}
		o[k] = sqrtf(v / (float)len);
	}
	o[ASR_LETTERS_NCEP] = logf((float)len);
}

int asr_letters_relabel(const float *q, int w, float conf, float lambda, float tau)
{
	float c = conf < 0.01f ? 0.01f : conf > 0.99f ? 0.99f : conf;
	float other = logf((1 - c) / (ASR_LETTERS_K - 1)), own = logf(c);
	int best = w;
	float bs = -INFINITY;
	for (int k = 0; k < ASR_LETTERS_K; k++) {
		float s = lambda * logf(q[k] > 1e-30f ? q[k] : 1e-30f) +
			  (1 - lambda) * (k == w ? own : other);
		if (s > bs) {
			bs = s;
			best = k;
		}
	}
	return best != w && q[best] >= tau ? best : w;
}

int sp_letters_fix(asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		   const struct asr_entity_opts *o, struct asr_result *lm)
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
	float **rows = sp_cepstra(sp_decoder_ps(d), pcm, n, &T, &ncep);
	if (!rows)
		return ASR_ERR_INTERNAL;
	if (ncep != ASR_LETTERS_NCEP || T <= 0) {
		sp_cepstra_free(rows);
		return 0;                         /* another front end: nothing to classify */
	}
	float *cep = rows[0], mean[ASR_LETTERS_NCEP];
	frame_mean(cep, 0, T, mean);              /* batch CMN, as the search normalised */
	for (int t = 0; t < T; t++)
		for (int k = 0; k < ASR_LETTERS_NCEP; k++)
			cep[(size_t)t * ASR_LETTERS_NCEP + k] -= mean[k];
	float *x = malloc((size_t)asr_letters_dim(&shape) * sizeof *x);
	if (!x) {
		sp_cepstra_free(rows);
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
		int nk = asr_letters_relabel(q, k, w->conf, lambda, tau);
		if (nk == k)
			continue;
		char *nw = strdup(asr_letters_word(nk));
		if (!nw) {
			free(x);
			sp_cepstra_free(rows);
			return ASR_ERR_NOMEM;
		}
		free(w->word);
		w->word = nw;
		w->conf = q[nk];
	}
	free(x);
	sp_cepstra_free(rows);
	return 0;
}
