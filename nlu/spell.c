/* nlu/spell.c — spelling normalisation against the training vocabulary (spell.h).
 *
 * Three tables, built once (nlu_spell_build on the training thread, nlu_spell_from at
 * load) and read by every predicting thread: the stem ids of the training words (an
 * open-addressing set), the ASCII words with their counts (packed, NUL-terminated), and
 * the deletion index — for each word, its own hash and the hash of each one-letter
 * deletion of it, mapped to the word (open addressing, a key may repeat).  Two words are
 * one edit apart only if a deletion (or the word itself) of one equals one of the other,
 * so a query's candidates are the entries under its own hash and its deletions' hashes;
 * each is then checked with the exact distance.
 */
#include "spell.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "glove.h"
#include "text.h"

#define SPELL_KIND 0x5du        /* nlu_hash kind byte of a word or a deletion of it */

struct del_entry {
	uint64_t key;               /* 0: empty slot */
	uint32_t word;
};

struct nlu_spell {
	uint64_t *ids;              /* the stem ids, in insertion order (saved) */
	uint32_t n_ids;
	uint64_t *id_set;           /* open addressing, 0 empty; id_mask + 1 slots */
	uint32_t id_mask;
	char *words;                /* packed NUL-terminated words */
	size_t words_len;
	uint32_t *word_off;
	int32_t *counts;
	uint32_t n_words;
	struct del_entry *dels;
	uint32_t del_mask;
	const struct nlu_glove *glove;   /* its frequent words are real words, or NULL */
};

static uint64_t nz(uint64_t k)
{
	return k ? k : 1;
}

static uint32_t pow2_at_least(size_t n)
{
	uint32_t c = 16;
	while (c < n)
		c <<= 1;
	return c;
}

static inline uint32_t slot_of(uint64_t k, uint32_t mask)
{
	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

/* 1 if w[0..len) is a word the index takes: lowercase ASCII letters only, of
 * min..NLU_SPELL_MAX_LEN bytes. */
static int indexable(const char *w, size_t len, size_t min)
{
	if (len < min || len > NLU_SPELL_MAX_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (w[i] < 'a' || w[i] > 'z')
			return 0;
	return 1;
}

/* The hash of w[0..len) with byte `skip` left out (skip ≥ len: none). */
static uint64_t del_hash(const char *w, size_t len, size_t skip)
{
	char buf[NLU_SPELL_MAX_LEN];
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (i != skip)
			buf[n++] = w[i];
	return nz(nlu_hash(SPELL_KIND, buf, n));
}

static int id_insert(struct nlu_spell *s, uint64_t id)
{
	uint32_t i = slot_of(nz(id), s->id_mask);
	while (s->id_set[i]) {
		if (s->id_set[i] == nz(id))
			return 0;
		i = (i + 1) & s->id_mask;
	}
	s->id_set[i] = nz(id);
	return 1;
}

int nlu_spell_known(const struct nlu_spell *s, uint64_t id)
{
	uint32_t i = slot_of(nz(id), s->id_mask);
	while (s->id_set[i]) {
		if (s->id_set[i] == nz(id))
			return 1;
		i = (i + 1) & s->id_mask;
	}
	return 0;
}

static void del_insert(struct nlu_spell *s, uint64_t key, uint32_t word)
{
	uint32_t i = slot_of(key, s->del_mask);
	while (s->dels[i].key) {
		if (s->dels[i].key == key && s->dels[i].word == word)
			return;            /* "aab" less either a: one entry */
		i = (i + 1) & s->del_mask;
	}
	s->dels[i] = (struct del_entry){ key, word };
}

/* Builds the id set and the deletion index from s->ids, s->words, s->counts. */
static int index_all(struct nlu_spell *s)
{
	size_t n_del = 0;
	s->id_mask = pow2_at_least(2 * (size_t)s->n_ids) - 1;
	s->id_set = calloc((size_t)s->id_mask + 1, sizeof *s->id_set);
	s->word_off = malloc(sizeof *s->word_off * (s->n_words ? s->n_words : 1));
	if (!s->id_set || !s->word_off)
		return -1;
	for (uint32_t i = 0; i < s->n_ids; i++)
		id_insert(s, s->ids[i]);
	size_t o = 0;
	for (uint32_t w = 0; w < s->n_words; w++) {
		const char *z = o < s->words_len ? memchr(s->words + o, 0, s->words_len - o) : NULL;
		if (!z || !indexable(s->words + o, (size_t)(z - (s->words + o)), 1))
			return -1;           /* a word training could not have kept: damaged */
		s->word_off[w] = (uint32_t)o;
		n_del += (size_t)(z - (s->words + o)) + 1;
		o = (size_t)(z - s->words) + 1;
	}
	s->del_mask = pow2_at_least(2 * n_del) - 1;
	s->dels = calloc((size_t)s->del_mask + 1, sizeof *s->dels);
	if (!s->dels)
		return -1;
	for (uint32_t w = 0; w < s->n_words; w++) {
		const char *word = s->words + s->word_off[w];
		size_t len = strlen(word);
		for (size_t skip = 0; skip <= len; skip++)
			del_insert(s, del_hash(word, len, skip), w);
	}
	return 0;
}

void nlu_spell_destroy(struct nlu_spell *s)
{
	if (!s)
		return;
	free(s->ids);
	free(s->id_set);
	free(s->words);
	free(s->word_off);
	free(s->counts);
	free(s->dels);
	free(s);
}

struct nlu_spell *nlu_spell_from(const uint64_t *ids, uint32_t n_ids, const char *words,
				 size_t words_len, const int32_t *counts, uint32_t n_words)
{
	struct nlu_spell *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->n_ids = n_ids;
	s->n_words = n_words;
	s->words_len = words_len;
	s->ids = malloc(sizeof *ids * (n_ids ? n_ids : 1));
	s->words = malloc(words_len ? words_len : 1);
	s->counts = malloc(sizeof *counts * (n_words ? n_words : 1));
	if (!s->ids || !s->words || !s->counts) {
		nlu_spell_destroy(s);
		return NULL;
	}
	memcpy(s->ids, ids, sizeof *ids * n_ids);
	memcpy(s->words, words, words_len);
	memcpy(s->counts, counts, sizeof *counts * n_words);
	if (index_all(s)) {
		nlu_spell_destroy(s);
		return NULL;
	}
	return s;
}

/* A growable array of bytes, for building. */
struct grow {
	void *p;
	size_t len, cap;
};

static int grow_add(struct grow *g, const void *src, size_t n)
{
	void *p = cm_grow(g->p, &g->cap, g->len + n, 1, 4096);
	if (!p)
		return -1;
	g->p = p;
	memcpy((char *)g->p + g->len, src, n);
	g->len += n;
	return 0;
}

struct nlu_spell *nlu_spell_build(char *const *texts, size_t n)
{
	struct nlu_text *tx = nlu_text_create(4096);
	struct nlu_token *toks = malloc(sizeof *toks * 1024);
	struct nlu_spell *s = calloc(1, sizeof *s);
	struct grow ids = { 0 }, words = { 0 }, counts = { 0 };
	/* word hash → index, for counting while building (open addressing, doubled) */
	uint32_t wmask = 4095, nw = 0;
	struct del_entry *wmap = calloc(wmask + 1, sizeof *wmap);
	int ok = tx && toks && s && wmap;

	if (ok) {                          /* the id set grows with ids; start it small */
		s->id_mask = 4095;
		ok = !!(s->id_set = calloc(s->id_mask + 1, sizeof *s->id_set));
	}
	for (size_t k = 0; ok && k < n; k++) {
		int nt = nlu_text_tokenise(tx, texts[k], strlen(texts[k]), toks, 1024, NULL);
		size_t nlen;
		const char *norm = nlu_text_last(tx, &nlen);
		ok = nt >= 0;
		for (int i = 0; ok && i < nt; i++) {
			const struct nlu_token *t = &toks[i];
			if (t->kind != NLU_TOK_WORD)
				continue;
			if (2 * ((size_t)s->n_ids + 1) > s->id_mask) {   /* rehash the set */
				free(s->id_set);
				s->id_mask = s->id_mask * 2 + 1;
				ok = !!(s->id_set = calloc((size_t)s->id_mask + 1, sizeof *s->id_set));
				for (uint32_t j = 0; ok && j < s->n_ids; j++)
					id_insert(s, ((uint64_t *)ids.p)[j]);
			}
			if (ok && id_insert(s, t->id)) {
				ok = !grow_add(&ids, &t->id, sizeof t->id);
				s->n_ids++;
			}
			const char *w = norm + t->off;
			if (!ok || (size_t)t->off + t->span > nlen ||
			    !indexable(w, t->span, NLU_SPELL_MIN_LEN - 1))
				continue;
			uint64_t h = del_hash(w, t->span, t->span);
			uint32_t j = slot_of(h, wmask);
			while (wmap[j].key && wmap[j].key != h)
				j = (j + 1) & wmask;
			if (wmap[j].key) {
				((int32_t *)counts.p)[wmap[j].word]++;
				continue;
			}
			wmap[j] = (struct del_entry){ h, nw };
			int32_t one = 1;
			char nul = 0;
			ok = !grow_add(&words, w, t->span) && !grow_add(&words, &nul, 1) &&
			     !grow_add(&counts, &one, sizeof one);
			nw++;
			if (ok && 2 * nw > wmask) {             /* rehash the word map */
				uint32_t m2 = wmask * 2 + 1;
				struct del_entry *w2 = calloc((size_t)m2 + 1, sizeof *w2);
				ok = !!w2;
				for (uint32_t a = 0; ok && a <= wmask; a++) {
					if (!wmap[a].key)
						continue;
					uint32_t b = slot_of(wmap[a].key, m2);
					while (w2[b].key)
						b = (b + 1) & m2;
					w2[b] = wmap[a];
				}
				if (ok) {
					free(wmap);
					wmap = w2;
					wmask = m2;
				}
			}
		}
	}
	free(wmap);
	free(toks);
	nlu_text_destroy(tx);
	if (!ok) {
		free(ids.p);
		free(words.p);
		free(counts.p);
		nlu_spell_destroy(s);
		return NULL;
	}
	free(s->id_set);
	s->id_set = NULL;
	s->ids = ids.p;
	s->words = words.p;
	s->words_len = words.len;
	s->counts = counts.p;
	s->n_words = nw;
	if (index_all(s)) {
		nlu_spell_destroy(s);
		return NULL;
	}
	return s;
}

void nlu_spell_set_glove(struct nlu_spell *s, const struct nlu_glove *g)
{
	s->glove = g;
}

const uint64_t *nlu_spell_ids(const struct nlu_spell *s, uint32_t *n)
{
	*n = s->n_ids;
	return s->ids;
}

const char *nlu_spell_words(const struct nlu_spell *s, size_t *len)
{
	*len = s->words_len;
	return s->words;
}

const int32_t *nlu_spell_counts(const struct nlu_spell *s, uint32_t *n)
{
	*n = s->n_words;
	return s->counts;
}

/* 1 if a[0..la) and b[0..lb) (different) are one edit apart: one letter changed,
 * dropped or added, or two neighbours swapped. */
static int one_edit(const char *a, size_t la, const char *b, size_t lb)
{
	if (la < lb) {
		const char *t = a;
		a = b;
		b = t;
		size_t l = la;
		la = lb;
		lb = l;
	}
	if (la - lb > 1)
		return 0;
	size_t i = 0;
	while (i < lb && a[i] == b[i])
		i++;
	if (la != lb)                                   /* a has one letter more, at i */
		return !memcmp(a + i + 1, b + i, lb - i);
	if (i == la)
		return 0;
	if (!memcmp(a + i + 1, b + i + 1, la - i - 1))  /* changed */
		return 1;
	return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
	       !memcmp(a + i + 2, b + i + 2, la - i - 2);   /* swapped */
}

const char *nlu_spell_fix(const struct nlu_spell *s, const char *w, size_t len,
			  size_t *out_len)
{
	int best = -1;
	if (!indexable(w, len, NLU_SPELL_MIN_LEN) || !s->n_words)
		return NULL;
	if (s->glove) {
		int32_t r = nlu_glove_find(s->glove, w, len);
		if (r >= 0 && r < NLU_SPELL_REAL_RANK)
			return NULL;
	}
	for (size_t skip = 0; skip <= len; skip++) {
		if (skip > 0 && skip < len && w[skip] == w[skip - 1])
			continue;          /* the same deletion as skip − 1's */
		uint64_t key = del_hash(w, len, skip);
		for (uint32_t i = slot_of(key, s->del_mask); s->dels[i].key;
		     i = (i + 1) & s->del_mask) {
			if (s->dels[i].key != key)
				continue;
			uint32_t c = s->dels[i].word;
			const char *cand = s->words + s->word_off[c];
			if ((best < 0 || s->counts[c] > s->counts[best] ||
			     (s->counts[c] == s->counts[best] && (int)c < best)) &&
			    one_edit(w, len, cand, strlen(cand)))
				best = (int)c;
		}
	}
	if (best < 0)
		return NULL;
	const char *r = s->words + s->word_off[best];
	*out_len = strlen(r);
	return r;
}
