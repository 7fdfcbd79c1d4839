/* nlu/text.h — Unicode normalisation and tokenisation of customer text (Latin + CJK).
 *
 * Normalisation: utf8proc NFKC with case folding (COMPOSE | COMPAT | CASEFOLD | STABLE),
 * control characters stripped or turned into spaces (STRIPCC), default-ignorable code
 * points dropped (IGNORE: zero-width joiners, variation selectors, soft hyphens) and
 * look-alike punctuation lumped to ASCII (LUMP: ’ → ', “ → ", – → -).  NFKC folds
 * full-width ASCII ("ＡＢＣ１２３" → "abc123") and half-width katakana.
 *
 * Tokenisation of the normalised code points:
 *   - a word is a maximal run of letters, digits and combining marks outside CJK, with
 *     apostrophes kept when they sit between two word characters ("don't", "card's");
 *     its token text is its English Snowball stem (libstemmer "english"); words that are
 *     in a small English stop-word list get NLU_TOK_STOP (the retriever skips them);
 *   - a CJK run (Han, Hiragana, Katakana, Hangul) gives every character as a token of
 *     kind NLU_TOK_CJK_CHAR and every pair of neighbours as NLU_TOK_CJK_BIGRAM, so
 *     "我的app登不上" → 我 的 我的 | app | 登 不 上 登不 不上;
 *   - everything else (spaces, punctuation, symbols, emoji) separates tokens and is
 *     dropped.
 *
 * Token ids: id = FNV-1a 64 over one byte holding the kind followed by the token text's
 * UTF-8 bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3), see nlu_hash().
 * The kind byte keeps a one-character word apart from a CJK character of the same bytes;
 * ids are stable across runs and machines, so they may be stored in model files.
 *
 * A `struct nlu_text` is one thread's tokeniser: it owns a Snowball stemmer (libstemmer
 * is not thread-safe) and fixed scratch buffers sized at creation.  After creation,
 * nlu_text_tokenise and nlu_text_normalise allocate nothing: longer input is cut at a
 * code-point boundary to the max_bytes given at creation (and reported in info).
 */
#ifndef KEFU_NLU_TEXT_H
#define KEFU_NLU_TEXT_H

#include <stddef.h>
#include <stdint.h>

enum nlu_tok_kind {
	NLU_TOK_WORD = 1,        /* stemmed Latin-script (or other non-CJK) word, or a number */
	NLU_TOK_CJK_CHAR = 2,    /* one Han / kana / Hangul character */
	NLU_TOK_CJK_BIGRAM = 3,  /* two neighbouring CJK characters */
};

#define NLU_TOK_STOP 0x01u   /* flags: an English stop word */

struct nlu_token {
	uint64_t id;          /* nlu_hash(kind, text, len) */
	const char *text;     /* stem / character / bigram, UTF-8, not NUL-terminated; points
				 into the nlu_text's scratch: valid until its next call */
	uint32_t len;         /* bytes of text */
	uint32_t off, span;   /* where the source sits in the normalised text (bytes) */
	uint8_t kind;         /* enum nlu_tok_kind */
	uint8_t flags;        /* NLU_TOK_STOP */
};

struct nlu_text_info {
	size_t n_tokens;      /* tokens found (may exceed the caller's cap) */
	size_t n_cjk;         /* CJK characters in the text */
	size_t n_letters;     /* other letters (Latin, Cyrillic, ...) */
	size_t n_digits;
	int truncated;        /* 1: the input was longer than max_bytes and was cut */
};

struct nlu_text;

/* Creates a tokeniser for texts of at most max_bytes bytes (0: 4096).  Returns NULL on
 * allocation failure.  The tokeniser belongs to one thread at a time. */
struct nlu_text *nlu_text_create(size_t max_bytes);
void nlu_text_destroy(struct nlu_text *t);

/* Normalises s[0..len) (valid UTF-8).  Returns the NUL-terminated normalised text, owned
 * by t and valid until its next call, with its length in *out_len; NULL if s is not
 * valid UTF-8 for utf8proc.  Whitespace is kept as is (one space per control run). */
const char *nlu_text_normalise(struct nlu_text *t, const char *s, size_t len,
			       size_t *out_len);

/* Normalises and tokenises s[0..len) (valid UTF-8).  Stores at most cap tokens in out
 * in text order (a CJK run gives its characters first, then its bigrams) and returns
 * how many were stored; -1 if s is not valid UTF-8.  info (may be NULL) gets counts.
 * Token texts point into t (valid until the next call).  Allocation-free. */
int nlu_text_tokenise(struct nlu_text *t, const char *s, size_t len, struct nlu_token *out,
		      size_t cap, struct nlu_text_info *info);

/* The normalised text of the last nlu_text_tokenise/nlu_text_normalise call. */
const char *nlu_text_last(const struct nlu_text *t, size_t *out_len);

/* 1 when the text whose info this is is mainly CJK (reply in Chinese): at least one CJK
 * character and CJK characters at least a third of all letters. */
int nlu_text_info_is_cjk(const struct nlu_text_info *info);

/* 1 when code point c is a CJK character (Han, kana, Hangul): one token on its own.
 * Pure. */
int nlu_cp_is_cjk(int32_t c);

/* FNV-1a 64 over the kind byte then p[0..len).  Pure, any thread. */
uint64_t nlu_hash(unsigned kind, const void *p, size_t len);

/* 1 if the case-folded word w[0..len) is in the English stop-word list.  Pure. */
int nlu_text_is_stop(const char *w, size_t len);

#endif
