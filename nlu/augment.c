/* nlu/augment.c — training-time data augmentation (the seed's 数据增强): noisy copies of
 * an example question with keyboard typos (a neighbouring key, a dropped, doubled or
 * swapped letter) in about a third of its longer Latin words and, rarely, a dropped word.
 * What it buys is measured in bench/nlu (clean and typo test sets).  Pure function of
 * the text and the caller's random state; caller's thread. */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rng.h"

static const char *const rows[] = { "qwertyuiop", "asdfghjkl", "zxcvbnm" };

static char neighbour(char c, uint64_t *s)
{
	for (int r = 0; r < 3; r++) {
		const char *p = strchr(rows[r], c);
		if (p && c) {
			size_t i = (size_t)(p - rows[r]), n = strlen(rows[r]);
			if (i == 0)
				return rows[r][1];
			if (i == n - 1)
				return rows[r][n - 2];
			return rows[r][cm_xorshift64(s) & 1 ? i + 1 : i - 1];
		}
	}
	return c;
}

static int is_lower_alpha(char c)
{
	return c >= 'a' && c <= 'z';
}

char *nlu_augment(const char *text, uint64_t *s)
{
	size_t n = strlen(text);
	char *out = malloc(2 * n + 2);
	size_t o = 0, i = 0, words = 0;

	if (!out)
		return NULL;
	for (size_t k = 0; k < n; k++)
		words += (k == 0 || text[k - 1] == ' ') && text[k] != ' ';
	while (i < n) {
		if (text[i] == ' ') {
			out[o++] = text[i++];
			continue;
		}
		size_t j = i, alpha = 1;
		while (j < n && text[j] != ' ') {
			char c = text[j] >= 'A' && text[j] <= 'Z' ? (char)(text[j] + 32) : text[j];
			alpha &= is_lower_alpha(c);
			j++;
		}
		size_t len = j - i;
		uint64_t r = cm_xorshift64(s) % 100;
		if (words > 3 && r < 7) {        /* drop the word */
			i = j;
			continue;
		}
		memcpy(out + o, text + i, len);
		if (alpha && len >= 4 && r < 40) {
			char *w = out + o;
			size_t at = 1 + cm_xorshift64(s) % (len - 2);
			switch (cm_xorshift64(s) % 4) {
			case 0: w[at] = neighbour(w[at] >= 'A' && w[at] <= 'Z' ? (char)(w[at] + 32) : w[at], s); break;
			case 1: memmove(w + at, w + at + 1, len - at - 1); len--; break;
			case 2: memmove(w + at + 1, w + at, len - at); len++; break;
			default: { char t = w[at]; w[at] = w[at + 1]; w[at + 1] = t; } break;
			}
		}
		o += len;
		i = j;
	}
	out[o] = '\0';
	return out;
}
