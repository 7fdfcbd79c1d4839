/* nlu/text.c — see text.h.  Normalisation runs utf8proc's two stages by hand
 * (utf8proc_decompose into our code-point buffer, then utf8proc_normalize_utf32 in
 * place) instead of utf8proc_map, which mallocs its result on every call.  The
 * normalised code points are then encoded once to UTF-8 with the byte offset of every
 * code point, so tokens can point into that text.  Runs on the thread that owns the
 * struct nlu_text.
 */
#include "text.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hash.h"
#include "utf8.h"

#define TEXT_OPTS (UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | \
		   UTF8PROC_STABLE | UTF8PROC_STRIPCC | UTF8PROC_IGNORE | UTF8PROC_LUMP)

/* Words longer than this are hashed as they are, not stemmed (URLs, junk). */
#define TEXT_STEM_MAX 64

/* The stems of recent words, direct-mapped by a hash of the word: the Snowball stemmer
 * was a tenth of a prediction, and customer questions share most of their words.  A
 * word and its stem of at most STEM_CACHE_W bytes each; 512 slots of 32 bytes. */
#define STEM_CACHE_BITS 9
#define STEM_CACHE_SLOTS (1u << STEM_CACHE_BITS)
#define STEM_CACHE_W 15

struct stem_slot {
	uint8_t wlen, slen;         /* wlen 0: empty */
	char w[STEM_CACHE_W], s[STEM_CACHE_W];
};

struct nlu_text {
	size_t max_bytes;
	size_t cap_cp;              /* code points the buffers hold */
	int32_t *cps;               /* normalised code points */
	uint32_t *offs;             /* byte offset of cps[i] in norm; offs[n] = norm_len */
	char *norm;                 /* normalised UTF-8, NUL-terminated */
	size_t norm_len;
	char *stems;                /* arena for word stems of the current call */
	size_t stems_cap, stems_len;
	struct sb_stemmer *stemmer;
	struct stem_slot *stem_cache;   /* STEM_CACHE_SLOTS */
	int truncated;
};

/* ---- stop words ------------------------------------------------------------------- */

/* Function words that carry no intent.  Question words, negations and modal verbs
 * ("how", "why", "not", "can") are deliberately absent: they separate intents such as
 * "why was my card declined" from "how do I get a card".  Sorted, each at most 7 bytes:
 * as big-endian numbers of 8 bytes (zero-padded) they sort the same, so a word is
 * found by comparing one number per step (it was bsearch with strlen and memcmp per
 * step, 4 % of a prediction). */
static const char stop_words[][8] = {
	"a", "about", "am", "an", "and", "are", "as", "at", "be", "been", "being", "by",
	"did", "do", "does", "for", "from", "had", "has", "have", "he", "her", "him", "his",
	"i", "i'm", "i've", "if", "in", "into", "is", "it", "it's", "its", "me", "my",
	"myself", "of", "on", "or", "our", "please", "she", "so", "than", "that", "the",
	"their", "them", "then", "there", "these", "they", "this", "those", "to", "too",
	"us", "was", "we", "were", "will", "with", "would", "you", "your",
};

/* w[0..len) (len ≤ 8) as a big-endian number, zero-padded. */
static uint64_t pack8(const char *w, size_t len)
{
	uint64_t x = 0;

	for (size_t i = 0; i < 8; i++)
		x = x << 8 | (i < len ? (unsigned char)w[i] : 0u);
	return x;
}

int nlu_text_is_stop(const char *w, size_t len)
{
	size_t lo = 0, hi = sizeof stop_words / sizeof stop_words[0];

	if (len == 0 || len > 7 || memchr(w, 0, len))
		return 0;
	uint64_t key = pack8(w, len);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint64_t v = pack8(stop_words[mid], 8);
		if (v == key)
			return 1;
		if (v < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* ---- hashing ---------------------------------------------------------------------- */

uint64_t nlu_hash(unsigned kind, const void *p, size_t len)
{
	unsigned char k = (unsigned char)kind;

	return cm_fnv1a(cm_fnv1a(CM_FNV1A_INIT, &k, 1), p, len);
}

/* ---- life cycle ------------------------------------------------------------------- */

struct nlu_text *nlu_text_create(size_t max_bytes)
{
	struct nlu_text *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->max_bytes = max_bytes ? max_bytes : 4096;
	/* NFKC may expand a code point into several (U+FDFA into 18); twice the input
	 * covers real text, and rarer input is cut further (see normalise()). */
	t->cap_cp = 2 * t->max_bytes + 64;
	t->cps = malloc(t->cap_cp * sizeof *t->cps);
	t->offs = malloc((t->cap_cp + 1) * sizeof *t->offs);
	t->norm = malloc(4 * t->cap_cp + 1);
	t->stems_cap = 4 * t->cap_cp + TEXT_STEM_MAX;
	t->stems = malloc(t->stems_cap);
	t->stemmer = sb_stemmer_new("english", NULL);
	t->stem_cache = calloc(STEM_CACHE_SLOTS, sizeof *t->stem_cache);
	if (!t->cps || !t->offs || !t->norm || !t->stems || !t->stemmer || !t->stem_cache) {
		nlu_text_destroy(t);
		return NULL;
	}
	/* Let the stemmer grow its buffer to the longest word it will see now, so it does
	 * not allocate later on the request path. */
	char warm[TEXT_STEM_MAX];
	memset(warm, 'a', sizeof warm);
	sb_stemmer_stem(t->stemmer, (const sb_symbol *)warm, (int)sizeof warm);
	t->norm[0] = '\0';
	return t;
}

void nlu_text_destroy(struct nlu_text *t)
{
	if (!t)
		return;
	if (t->stemmer)
		sb_stemmer_delete(t->stemmer);
	free(t->cps);
	free(t->offs);
	free(t->norm);
	free(t->stems);
	free(t->stem_cache);
	free(t);
}

/* ---- normalisation ---------------------------------------------------------------- */

/* What TEXT_OPTS do to a text that is all ASCII, without utf8proc's two passes over
 * code points (most customer text; they were a twentieth of a prediction): A-Z fold to
 * a-z; CR LF, CR, LF, VT, FF and TAB become one space each; the other control
 * characters (below 0x20, and DEL) are dropped; the rest stays.  test_text.c checks it
 * against utf8proc on every ASCII pair and on random strings.  Returns the number of
 * code points. */
static long normalise_ascii(struct nlu_text *t, const unsigned char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned c = s[i];
		if (c < 0x20 || c == 0x7f) {
			if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			if (c != '\t' && c != '\n' && c != '\r' && c != 0x0b && c != 0x0c)
				continue;
			c = ' ';
		} else if (c >= 'A' && c <= 'Z') {
			c |= 0x20;
		}
		t->cps[n] = (int32_t)c;
		t->offs[n] = (uint32_t)n;
		t->norm[n++] = (char)c;
	}
	t->offs[n] = (uint32_t)n;
	t->norm[n] = '\0';
	t->norm_len = n;
	return (long)n;
}

static int all_ascii(const char *s, size_t len)
{
	unsigned char any = 0;

	for (size_t i = 0; i < len; i++)
		any |= (unsigned char)s[i];
	return any < 0x80;
}

/* Fills t->cps / offs / norm from s[0..len).  Returns the number of code points, or -1
 * if utf8proc rejects the input. */
static long normalise(struct nlu_text *t, const char *s, size_t len)
{
	utf8proc_ssize_t n;

	t->truncated = 0;
	if (len > t->max_bytes) {
		len = cm_utf8_prefix(s, len, t->max_bytes);
		t->truncated = 1;
	}
	if (all_ascii(s, len))
		return normalise_ascii(t, (const unsigned char *)s, len);
	for (;;) {
		n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
				       t->cps, (utf8proc_ssize_t)t->cap_cp, TEXT_OPTS);
		if (n < 0)
			return -1;
		if ((size_t)n <= t->cap_cp)
			break;
		/* Pathological expansion: keep the first half and try again. */
		len = cm_utf8_prefix(s, len, len / 2);
		t->truncated = 1;
	}
	n = utf8proc_normalize_utf32(t->cps, n, TEXT_OPTS);
	if (n < 0)
		return -1;
	size_t pos = 0;
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		t->offs[i] = (uint32_t)pos;
		pos += (size_t)utf8proc_encode_char(t->cps[i], (utf8proc_uint8_t *)t->norm + pos);
	}
	t->offs[n] = (uint32_t)pos;
	t->norm[pos] = '\0';
	t->norm_len = pos;
	return (long)n;
}

const char *nlu_text_normalise(struct nlu_text *t, const char *s, size_t len,
			       size_t *out_len)
{
	if (normalise(t, s, len) < 0)
		return NULL;
	if (out_len)
		*out_len = t->norm_len;
	return t->norm;
}

const char *nlu_text_last(const struct nlu_text *t, size_t *out_len)
{
	if (out_len)
		*out_len = t->norm_len;
	return t->norm;
}

/* ---- tokenisation ----------------------------------------------------------------- */

enum cp_class { CP_OTHER, CP_CJK, CP_LETTER, CP_DIGIT, CP_MARK };

int nlu_cp_is_cjk(int32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) ||    /* CJK unified ideographs */
	       (c >= 0x3400 && c <= 0x4DBF) ||    /* extension A */
	       (c >= 0x20000 && c <= 0x3134F) ||  /* extensions B-G, compatibility suppl. */
	       (c >= 0xF900 && c <= 0xFAFF) ||    /* compatibility ideographs */
	       (c >= 0x3005 && c <= 0x3007) ||    /* 々 〆 〇 */
	       (c >= 0x3040 && c <= 0x30FF) ||    /* hiragana, katakana */
	       (c >= 0x31F0 && c <= 0x31FF) ||    /* katakana phonetic extensions */
	       (c >= 0xAC00 && c <= 0xD7AF) ||    /* Hangul syllables */
	       (c >= 0x1100 && c <= 0x11FF) ||    /* Hangul jamo */
	       (c >= 0x3130 && c <= 0x318F) ||    /* Hangul compatibility jamo */
	       (c >= 0xA960 && c <= 0xA97F) || (c >= 0xD7B0 && c <= 0xD7FF);
}

static enum cp_class classify(int32_t c)
{
	if (c < 0x80) {
		if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			return CP_LETTER;
		return c >= '0' && c <= '9' ? CP_DIGIT : CP_OTHER;
	}
	utf8proc_category_t cat = utf8proc_category(c);
	switch (cat) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
		return nlu_cp_is_cjk(c) ? CP_CJK : CP_LETTER;
	case UTF8PROC_CATEGORY_NL:
		return nlu_cp_is_cjk(c) ? CP_CJK : CP_DIGIT;
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NO:
		return CP_DIGIT;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
		return nlu_cp_is_cjk(c) ? CP_CJK : CP_MARK;
	default:
		return CP_OTHER;
	}
}

struct emit {
	struct nlu_token *out;
	size_t cap, n;
};

static void emit(struct emit *e, unsigned kind, unsigned flags, const char *text,
		 size_t len, uint32_t off, uint32_t span)
{
	if (e->n < e->cap) {
		struct nlu_token *k = &e->out[e->n];
		k->id = nlu_hash(kind, text, len);
		k->text = text;
		k->len = (uint32_t)len;
		k->off = off;
		k->span = span;
		k->kind = (uint8_t)kind;
		k->flags = (uint8_t)flags;
	}
	e->n++;
}

/* The cache slot of the word w[0..len) (1 ≤ len ≤ STEM_CACHE_W). */
static struct stem_slot *stem_slot(struct nlu_text *t, const char *w, size_t len)
{
	uint64_t a = 0, b = 0;

	memcpy(&a, w, len < 8 ? len : 8);
	if (len > 8)
		memcpy(&b, w + 8, len - 8);
	uint64_t h = (a ^ (b + len) * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
	return &t->stem_cache[h >> (64 - STEM_CACHE_BITS)];
}

/* The word norm[off..off+len): stop flag from the folded form, text from the stem. */
static void emit_word(struct nlu_text *t, struct emit *e, uint32_t off, uint32_t len,
		      int has_letter)
{
	const char *w = t->norm + off;
	unsigned flags = nlu_text_is_stop(w, len) ? NLU_TOK_STOP : 0;
	const char *text = w;
	size_t tlen = len;

	if (has_letter && len <= TEXT_STEM_MAX && e->n < e->cap) {
		struct stem_slot *c = len <= STEM_CACHE_W ? stem_slot(t, w, len) : NULL;
		const char *st;
		int sl;
		if (c && c->wlen == len && !memcmp(c->w, w, len)) {
			st = c->s;
			sl = c->slen;
		} else {
			st = (const char *)sb_stemmer_stem(t->stemmer, (const sb_symbol *)w,
							   (int)len);
			sl = st ? sb_stemmer_length(t->stemmer) : -1;
			if (c && sl > 0 && sl <= STEM_CACHE_W) {
				c->wlen = (uint8_t)len;
				memcpy(c->w, w, len);
				c->slen = (uint8_t)sl;
				memcpy(c->s, st, (size_t)sl);
			}
		}
		if (sl > 0 && t->stems_len + (size_t)sl <= t->stems_cap) {
			memcpy(t->stems + t->stems_len, st, (size_t)sl);
			text = t->stems + t->stems_len;
			tlen = (size_t)sl;
			t->stems_len += (size_t)sl;
		}
	}
	emit(e, NLU_TOK_WORD, flags, text, tlen, off, len);
}

int nlu_text_tokenise(struct nlu_text *t, const char *s, size_t len, struct nlu_token *out,
		      size_t cap, struct nlu_text_info *info)
{
	long n = normalise(t, s, len);
	struct emit e = { out, cap, 0 };
	size_t n_cjk = 0, n_letters = 0, n_digits = 0;
	const int32_t *cp = t->cps;
	const uint32_t *of = t->offs;

	if (n < 0)
		return -1;
	t->stems_len = 0;
	for (long i = 0; i < n;) {
		enum cp_class c = classify(cp[i]);
		if (c == CP_CJK) {
			long j = i;
			while (j < n && classify(cp[j]) == CP_CJK)
				j++;
			for (long k = i; k < j; k++)
				emit(&e, NLU_TOK_CJK_CHAR, 0, t->norm + of[k], of[k + 1] - of[k],
				     of[k], of[k + 1] - of[k]);
			for (long k = i; k + 1 < j; k++)
				emit(&e, NLU_TOK_CJK_BIGRAM, 0, t->norm + of[k], of[k + 2] - of[k],
				     of[k], of[k + 2] - of[k]);
			n_cjk += (size_t)(j - i);
			i = j;
		} else if (c == CP_LETTER || c == CP_DIGIT) {
			long j = i;
			int has_letter = 0;
			for (;;) {
				enum cp_class d = j < n ? classify(cp[j]) : CP_OTHER;
				if (d == CP_LETTER || d == CP_DIGIT || d == CP_MARK) {
					has_letter |= d == CP_LETTER;
					n_letters += d == CP_LETTER;
					n_digits += d == CP_DIGIT;
					j++;
				} else if (j + 1 < n && cp[j] == '\'' &&
					   (classify(cp[j + 1]) == CP_LETTER ||
					    classify(cp[j + 1]) == CP_DIGIT)) {
					j++;
				} else {
					break;
				}
			}
			emit_word(t, &e, of[i], of[j] - of[i], has_letter);
			i = j;
		} else {
			i++;
		}
	}
	if (info) {
		info->n_tokens = e.n;
		info->n_cjk = n_cjk;
		info->n_letters = n_letters;
		info->n_digits = n_digits;
		info->truncated = t->truncated;
	}
	return (int)(e.n < cap ? e.n : cap);
}

int nlu_text_info_is_cjk(const struct nlu_text_info *info)
{
	return info->n_cjk > 0 && 3 * info->n_cjk >= info->n_cjk + info->n_letters;
}
