/* nlu/answer_index.c — two lookups bot.c (building and answering) and extras.c
 * (variants, buttons) both need: an answer's index from its id, and a title key with its
 * spaces collapsed.  Kept apart so bot.c and extras.c call down into this file, never
 * into each other.  Pure functions; any thread.
 */
#include "nlu_int.h"

/* The index of the answer with id in bot->answers (sorted by id), or -1. */
long nlu_answer_index(const struct nlu_bot *bot, int64_t id)
{
	size_t lo = 0, hi = bot->n_answers;   /* answers are sorted by id */

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (bot->answers[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < bot->n_answers && bot->answers[lo].id == id ? (long)lo : -1;
}

/* Copies the normalised text src[0..len) into dst (room for len + 1) without leading or
 * trailing spaces and with every run of spaces as one space.  Returns the length. */
size_t nlu_collapse_spaces(char *dst, const char *src, size_t len)
{
	size_t n = 0;
	int space = 0;

	for (size_t i = 0; i < len; i++) {
		if (src[i] == ' ') {
			space = n > 0;
			continue;
		}
		if (space)
			dst[n++] = ' ';
		space = 0;
		dst[n++] = src[i];
	}
	dst[n] = '\0';
	return n;
}
