/* speech/letters_feat.c — the letter classifier's pure parts (letters.c runs it,
 * letters_model.c trains and stores it, kefu letters-train reads rows with them): its
 * classes and their words, a word's fixed-size feature vector from its frames' cepstra
 * (asr_letters_feature), and the rule that combines the classifier's posterior with the
 * decoder's (asr_letters_relabel) among the classes that sound alike (asr_letters_alike).
 * docs/speech.md "Eighth round".  Any thread.
 */
#include "speech.h"

#include <math.h>
#include <string.h>

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

void asr_letters_alike(float *q, int w)
{
	/* a group per class, 0: a class of its own */
	static const unsigned char group[ASR_LETTERS_K] = {
		/* a b c d e f g h i j k l m n o p q r s t u v w x y z */
		   3,1,1,1,1,4,1,3,5,3,3,7,2,2,8,1,6,7,4,1,6,1,6,4,5,1,
		/* zero one two three four five six seven eight nine oh */
		   8,   0,  6,  0,    8,   5,   0,  0,    3,    0,   8 };
	if (w < 0 || w >= ASR_LETTERS_K)
		return;
	for (int k = 0; k < ASR_LETTERS_K; k++)
		if (k != w && (!group[k] || group[k] != group[w]))
			q[k] = 0;
}
