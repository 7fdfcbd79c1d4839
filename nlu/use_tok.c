/* nlu/use_tok.c — the Universal Sentence Encoder lite's tokenizer, as the JavaScript of
 * @energetic-ai/embeddings 0.2.0 (lib/tokenizer.ts, trie.ts) computes it:
 *
 *   1. NFKC (utf8proc); a non-empty text gets "▁" (U+2581) in front and in place of
 *      each space (U+0020 only: tabs and newlines stay characters of their own);
 *   2. a lattice over the code points: at each position every vocabulary piece (ids ≥ 6:
 *      0–5 are reserved) that starts there; a position where none does gets its one
 *      character as id 0 (unknown) with score 0;
 *   3. Viterbi from left to right in doubles: for each end, its candidates by start
 *      position ascending, a candidate replacing the best when the best is still exactly
 *      0 or the candidate's sum is ≥ it (so ties go to the later start);
 *   4. back from the end, each step going back by the chosen piece's length in UTF-16
 *      units (JavaScript's string length: the same as code points for every piece of this
 *      vocabulary, which has no character outside the BMP — id 0's "�" is one unit);
 *   5. a run of unknown ids becomes one.
 * The vocabulary's look-up is a hash table of the pieces' UTF-8 bytes (FNV-1a), built once
 * when the model is opened and then read-only; each encoding thread owns a
 * `struct nlu_use_tok` (its buffers grow to the longest text seen).
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hash.h"
#include "use.h"

#define RESERVED 6

struct entry {
	uint32_t off, len;     /* piece bytes in pieces */
	int32_t id;            /* -1: empty slot */
	uint32_t units;        /* UTF-16 length */
	uint32_t cps;          /* code points */
	double score;
};

struct nlu_use_vocab {
	const char *pieces;    /* points into the model file */
	struct entry *slot;
	uint32_t mask;
	uint32_t n;
	uint32_t *units_of;    /* n: UTF-16 length of each id's piece */
	uint32_t max_cps;      /* longest piece in code points */
};

struct nlu_use_tok {
	char *norm;            /* "▁"-joined NFKC text */
	size_t norm_cap;
	uint32_t *cp_off;      /* byte offset of each code point, and one past the end */
	double *best;
	int32_t *word;
	unsigned char *has;    /* a piece starts at this position */
	int32_t *ids;
	size_t cap;            /* code points the arrays hold */
};

static int lookup(const struct nlu_use_vocab *v, const char *s, size_t len)
{
	uint32_t h = (uint32_t)cm_fnv1a(CM_FNV1A_INIT, s, len);
	for (uint32_t i = h & v->mask;; i = (i + 1) & v->mask) {
		const struct entry *e = &v->slot[i];
		if (e->id < 0)
			return -1;
		if (e->len == len && !memcmp(v->pieces + e->off, s, len))
			return (int)(e - v->slot);
	}
}

struct nlu_use_vocab *nlu_use_vocab_build(const char *pieces, size_t pieces_len,
					  const unsigned char *scores, size_t n)
{
	struct nlu_use_vocab *v = calloc(1, sizeof *v);
	uint32_t slots = 16;
	while (slots < 2 * n)
		slots <<= 1;
	if (!v || !(v->slot = malloc(sizeof *v->slot * slots)) ||
	    !(v->units_of = calloc(n ? n : 1, sizeof *v->units_of))) {
		nlu_use_vocab_free(v);
		return NULL;
	}
	v->pieces = pieces;
	v->mask = slots - 1;
	v->n = (uint32_t)n;
	for (uint32_t i = 0; i < slots; i++)
		v->slot[i].id = -1;
	size_t off = 0;
	for (size_t id = 0; id < n; id++) {
		const char *p = pieces + off;
		size_t len = strnlen(p, pieces_len - off);
		uint32_t units = 0, cps = 0;
		if (off + len >= pieces_len) {
			nlu_use_vocab_free(v);
			return NULL;
		}
		for (size_t k = 0; k < len; k++) {
			unsigned char c = (unsigned char)p[k];
			if ((c & 0xC0) != 0x80) {
				cps++;
				units += c >= 0xF0 ? 2 : 1;
			}
		}
		v->units_of[id] = units;
		if (id >= RESERVED && len > 0) {
			double sc;
			memcpy(&sc, scores + 8 * id, 8);
			int at = lookup(v, p, len);
			struct entry *e;
			if (at < 0) {  /* insert; a later duplicate replaces, as the trie does */
				uint32_t h = (uint32_t)cm_fnv1a(CM_FNV1A_INIT, p, len);
				uint32_t i = h & v->mask;
				while (v->slot[i].id >= 0)
					i = (i + 1) & v->mask;
				e = &v->slot[i];
			} else
				e = &v->slot[at];
			e->off = (uint32_t)off;
			e->len = (uint32_t)len;
			e->id = (int32_t)id;
			e->units = units;
			e->cps = cps;
			e->score = sc;
			if (cps > v->max_cps)
				v->max_cps = cps;
		}
		off += len + 1;
	}
	return v;
}

void nlu_use_vocab_free(struct nlu_use_vocab *v)
{
	if (!v)
		return;
	free(v->slot);
	free(v->units_of);
	free(v);
}

struct nlu_use_tok *nlu_use_tok_create(void)
{
	return calloc(1, sizeof(struct nlu_use_tok));
}

void nlu_use_tok_destroy(struct nlu_use_tok *t)
{
	if (!t)
		return;
	free(t->norm);
	free(t->cp_off);
	free(t->best);
	free(t->word);
	free(t->has);
	free(t->ids);
	free(t);
}

static int reserve(struct nlu_use_tok *t, size_t cps, size_t bytes)
{
	if (bytes > t->norm_cap) {
		char *p = realloc(t->norm, bytes);
		if (!p)
			return -1;
		t->norm = p;
		t->norm_cap = bytes;
	}
	if (cps + 1 > t->cap) {
		size_t c = cps + 1;
		uint32_t *o = realloc(t->cp_off, sizeof *o * c);
		if (o)
			t->cp_off = o;
		double *b = realloc(t->best, sizeof *b * c);
		if (b)
			t->best = b;
		int32_t *w = realloc(t->word, sizeof *w * c);
		if (w)
			t->word = w;
		unsigned char *h = realloc(t->has, c);
		if (h)
			t->has = h;
		int32_t *i = realloc(t->ids, sizeof *i * c);
		if (i)
			t->ids = i;
		if (!o || !b || !w || !h || !i)
			return -1;
		t->cap = c;
	}
	return 0;
}

int nlu_use_tok_encode(const struct nlu_use_vocab *v, struct nlu_use_tok *t, const char *text,
		       size_t len, const int32_t **ids)
{
	utf8proc_uint8_t *nf = NULL;
	utf8proc_ssize_t nl = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len,
					   &nf, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
	*ids = NULL;
	if (nl < 0)
		return -1;
	/* "▁" in front and for each space: at most 3 bytes per input byte. */
	if (reserve(t, (size_t)nl + 1, 3 * (size_t)nl + 4)) {
		free(nf);
		return -1;
	}
	size_t o = 0, n = 0;
	if (nl > 0) {
		memcpy(t->norm, "\xE2\x96\x81", 3);
		o = 3;
		t->cp_off[n++] = 0;
	}
	for (utf8proc_ssize_t i = 0; i < nl; i++) {
		if ((nf[i] & 0xC0) != 0x80)
			t->cp_off[n++] = (uint32_t)o;
		if (nf[i] == ' ') {
			memcpy(t->norm + o, "\xE2\x96\x81", 3);
			o += 3;
		} else
			t->norm[o++] = (char)nf[i];
	}
	free(nf);
	t->cp_off[n] = (uint32_t)o;
	const char *s = t->norm;

	for (size_t i = 0; i < n; i++) {
		t->has[i] = 0;
		for (size_t l = 1; l <= v->max_cps && i + l <= n && !t->has[i]; l++)
			t->has[i] = lookup(v, s + t->cp_off[i], t->cp_off[i + l] - t->cp_off[i]) >= 0;
	}
	for (size_t e = 0; e <= n; e++) {
		t->best[e] = 0;
		t->word[e] = 0;
		size_t from = e > v->max_cps ? e - v->max_cps : 0;
		for (size_t b = from; b < e; b++) {
			double sc;
			int32_t id;
			if (t->has[b]) {
				int at = lookup(v, s + t->cp_off[b], t->cp_off[e] - t->cp_off[b]);
				if (at < 0)
					continue;
				sc = v->slot[at].score;
				id = v->slot[at].id;
			} else if (b + 1 == e) {
				sc = 0;
				id = 0;
			} else
				continue;
			sc += t->best[b];
			if (t->best[e] == 0 || sc >= t->best[e]) {
				t->best[e] = sc;
				t->word[e] = id;
			}
		}
	}
	/* Back from the end, then merge unknown runs and reverse. */
	size_t k = 0;
	for (long it = (long)n; it > 0; it -= (long)v->units_of[t->word[it]]) {
		int32_t id = t->word[it];
		if (!(id == 0 && k > 0 && t->ids[k - 1] == 0))
			t->ids[k++] = id;
		if (v->units_of[id] == 0)
			break;
	}
	for (size_t i = 0; i < k / 2; i++) {
		int32_t x = t->ids[i];
		t->ids[i] = t->ids[k - 1 - i];
		t->ids[k - 1 - i] = x;
	}
	*ids = t->ids;
	return (int)k;
}
