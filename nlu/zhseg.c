/* nlu/zhseg.c — see zhseg.h.  The lexicon is an open-addressing table of 64-bit word
 * hashes (0 marks an empty slot) with their log-probabilities.  Building it first puts
 * the hash of every substring (1..NLU_ZHSEG_MAX_LEN code points) of the training texts'
 * CJK runs in a set of the same layout, then keeps the dictionary lines whose word is
 * in that set.  Segmenting is a right-to-left dynamic programme over one run (taken in
 * pieces of ZH_PIECE code points), as jieba's calc() does.
 */
#include "zhseg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hash.h"
#include "text.h"

#define ZH_PIECE 256

struct nlu_zhseg {
	uint32_t n, mask;     /* entries; slots − 1 (slots a power of two) */
	uint64_t *hash;       /* slots; 0 = empty */
	float *logp;          /* slots */
	float floor;
};

static uint64_t hkey(uint64_t h)
{
	return h ? h : 1;     /* 0 marks an empty slot */
}

static int table_init(struct nlu_zhseg *z, uint32_t slots)
{
	z->n = 0;
	z->mask = slots - 1;
	z->hash = calloc(slots, sizeof *z->hash);
	z->logp = calloc(slots, sizeof *z->logp);
	return z->hash && z->logp ? 0 : -1;
}

static uint32_t slot_of(const struct nlu_zhseg *z, uint64_t h)
{
	uint32_t i = (uint32_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & z->mask;
	while (z->hash[i] && z->hash[i] != h)
		i = (i + 1) & z->mask;
	return i;
}

/* Inserts (or overwrites) h; grows the table past half full.  0 ok, -1 out of memory. */
static int table_put(struct nlu_zhseg *z, uint64_t h, float lp)
{
	h = hkey(h);
	if (2 * (z->n + 1) > z->mask + 1) {
		struct nlu_zhseg g;
		if (table_init(&g, 2 * (z->mask + 1))) {
			free(g.hash);
			free(g.logp);
			return -1;
		}
		for (uint32_t i = 0; i <= z->mask; i++)
			if (z->hash[i]) {
				uint32_t s = slot_of(&g, z->hash[i]);
				g.hash[s] = z->hash[i];
				g.logp[s] = z->logp[i];
				g.n++;
			}
		free(z->hash);
		free(z->logp);
		z->hash = g.hash;
		z->logp = g.logp;
		z->mask = g.mask;
	}
	uint32_t s = slot_of(z, h);
	z->n += !z->hash[s];
	z->hash[s] = h;
	z->logp[s] = lp;
	return 0;
}

static int table_get(const struct nlu_zhseg *z, uint64_t h, float *lp)
{
	uint32_t s = slot_of(z, hkey(h));
	if (!z->hash[s])
		return 0;
	*lp = z->logp[s];
	return 1;
}

void nlu_zhseg_destroy(struct nlu_zhseg *z)
{
	if (!z)
		return;
	free(z->hash);
	free(z->logp);
	free(z);
}

static struct nlu_zhseg *zhseg_new(void)
{
	struct nlu_zhseg *z = calloc(1, sizeof *z);
	if (z && table_init(z, 64)) {
		nlu_zhseg_destroy(z);
		return NULL;
	}
	return z;
}

struct nlu_zhseg *nlu_zhseg_from(const uint64_t *hash, const float *logp, uint32_t n,
				 float floor)
{
	struct nlu_zhseg *z = zhseg_new();
	if (!z)
		return NULL;
	z->floor = floor;
	for (uint32_t i = 0; i < n; i++)
		if (table_put(z, hash[i], logp[i])) {
			nlu_zhseg_destroy(z);
			return NULL;
		}
	return z;
}

uint32_t nlu_zhseg_size(const struct nlu_zhseg *z)
{
	return z->n;
}

uint32_t nlu_zhseg_slots(const struct nlu_zhseg *z)
{
	return z->mask + 1;
}

int nlu_zhseg_entry(const struct nlu_zhseg *z, uint32_t slot, uint64_t *hash, float *logp)
{
	if (slot > z->mask || !z->hash[slot])
		return 0;
	*hash = z->hash[slot];
	*logp = z->logp[slot];
	return 1;
}

float nlu_zhseg_floor(const struct nlu_zhseg *z)
{
	return z->floor;
}

/* ---- building ------------------------------------------------------------------ */

static const unsigned char kind_byte = NLU_TOK_CJK_WORD;

/* Byte offsets of the code points of s[0..len) into off[0..n], n ≤ max; 1 if every
 * code point is CJK.  Returns n (the bytes covered end at off[n]). */
static int cps_of(const char *s, size_t len, uint32_t *off, int max, int *all_cjk)
{
	int n = 0;
	size_t i = 0;
	*all_cjk = 1;
	while (i < len && n < max) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &c);
		if (k <= 0)
			break;
		*all_cjk &= nlu_cp_is_cjk(c);
		off[n++] = (uint32_t)i;
		i += (size_t)k;
	}
	off[n] = (uint32_t)i;
	return n;
}

/* Puts every substring of the CJK runs of the normalised text s in set. */
static int add_substrings(struct nlu_zhseg *set, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &c);
		if (k <= 0)
			return 0;
		if (!nlu_cp_is_cjk(c)) {
			i += (size_t)k;
			continue;
		}
		size_t j = i;          /* the run s[i..j) */
		while (j < len) {
			k = utf8proc_iterate((const utf8proc_uint8_t *)s + j,
					     (utf8proc_ssize_t)(len - j), &c);
			if (k <= 0 || !nlu_cp_is_cjk(c))
				break;
			j += (size_t)k;
		}
		uint32_t off[ZH_PIECE + 1];
		int all, n = cps_of(s + i, j - i, off, ZH_PIECE, &all);
		for (int a = 0; a < n; a++) {
			uint64_t h = cm_fnv1a(CM_FNV1A_INIT, &kind_byte, 1);
			for (int b = a; b < n && b - a < NLU_ZHSEG_MAX_LEN; b++) {
				h = cm_fnv1a(h, s + i + off[b], off[b + 1] - off[b]);
				if (table_put(set, h, 0))
					return -1;
			}
		}
		i += off[n] ? off[n] : 1;
	}
	return 0;
}

struct nlu_zhseg *nlu_zhseg_build(const char *dict_path, char *const *texts, size_t n,
				  char *err, size_t errlen)
{
	struct nlu_zhseg *set = zhseg_new(), *z = zhseg_new();
	struct nlu_text *t = nlu_text_create(4096);
	FILE *f = NULL;
	char line[512];
	double total = 0;

	if (!set || !z || !t)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		size_t nlen;
		const char *s = nlu_text_normalise(t, texts[i], strlen(texts[i]), &nlen);
		if (s && add_substrings(set, s, nlen))
			goto oom;
	}
	if (set->n == 0) {     /* no Chinese in the examples: no need to read the file */
		nlu_zhseg_destroy(set);
		nlu_text_destroy(t);
		return z;
	}
	if (!(f = fopen(dict_path, "r"))) {
		snprintf(err, errlen, "cannot read the Chinese dictionary %s", dict_path);
		goto fail;
	}
	while (fgets(line, sizeof line, f)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		double freq = strtod(sp + 1, NULL);
		if (!(freq > 0))
			continue;
		total += freq;
		uint32_t off[NLU_ZHSEG_MAX_LEN + 2];
		int all, m = cps_of(line, (size_t)(sp - line), off, NLU_ZHSEG_MAX_LEN + 1, &all);
		if (!all || m == 0 || m > NLU_ZHSEG_MAX_LEN || off[m] != (uint32_t)(sp - line))
			continue;
		uint64_t h = cm_fnv1a(cm_fnv1a(CM_FNV1A_INIT, &kind_byte, 1), line,
				      (size_t)(sp - line));
		float unused;
		if (table_get(set, h, &unused) && table_put(z, h, (float)log(freq)))
			goto oom;
	}
	fclose(f);
	f = NULL;
	if (!(total > 0)) {
		snprintf(err, errlen, "the Chinese dictionary %s has no word", dict_path);
		goto fail;
	}
	float lt = (float)log(total);
	for (uint32_t i = 0; i <= z->mask; i++)
		z->logp[i] -= z->hash[i] ? lt : 0;
	z->floor = -lt;                    /* jieba: an unknown character has frequency 1 */
	nlu_zhseg_destroy(set);
	nlu_text_destroy(t);
	return z;
oom:
	snprintf(err, errlen, "out of memory building the Chinese lexicon");
fail:
	if (f)
		fclose(f);
	nlu_zhseg_destroy(set);
	nlu_zhseg_destroy(z);
	nlu_text_destroy(t);
	return NULL;
}

/* ---- segmenting ---------------------------------------------------------------- */

void nlu_zhseg_words(const struct nlu_zhseg *z, const char *s, size_t len,
		     void (*fn)(void *arg, uint64_t id, const char *w, size_t bytes),
		     void *arg)
{
	uint32_t off[ZH_PIECE + 1];
	float best[ZH_PIECE + 1];
	uint8_t step[ZH_PIECE];
	const uint64_t h0 = cm_fnv1a(CM_FNV1A_INIT, &kind_byte, 1);

	while (len > 0) {
		int all, n = cps_of(s, len, off, ZH_PIECE, &all);
		if (n == 0)
			return;
		best[n] = 0;
		for (int i = n - 1; i >= 0; i--) {
			uint64_t h = h0;
			best[i] = -INFINITY;
			step[i] = 1;
			for (int l = 1; l <= NLU_ZHSEG_MAX_LEN && i + l <= n; l++) {
				float lp;
				h = cm_fnv1a(h, s + off[i + l - 1], off[i + l] - off[i + l - 1]);
				if (!table_get(z, h, &lp)) {
					if (l > 1)
						continue;
					lp = z->floor;
				}
				if (lp + best[i + l] >= best[i]) {   /* ties: the longer word */
					best[i] = lp + best[i + l];
					step[i] = (uint8_t)l;
				}
			}
		}
		for (int i = 0; i < n; i += step[i])
			if (step[i] > 1) {
				size_t b = off[i + step[i]] - off[i];
				fn(arg, cm_fnv1a(h0, s + off[i], b), s + off[i], b);
			}
		s += off[n];
		len -= off[n];
	}
}
