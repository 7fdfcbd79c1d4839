/* nlu/features.c — hashed sparse features of a text for the linear model.
 *
 * Tokens come from nlu/text.h (normalised, stemmed words; CJK characters and bigrams),
 * after the spelling pass when the model has one (spell.h: a word the training never had
 * becomes the training word one edit away, and the text is tokenised again).
 * Two blocks, each weighted by sublinear tf (1 + ln tf) × idf and scaled to unit L2 norm
 * on its own (as a union of two TF-IDF vectorisers would be); a feature no training text
 * had (idf 0) is left out, so it does not dilute the known ones:
 *   block 0  every token id (words, CJK characters and bigrams), plus bigrams of
 *            neighbouring word tokens (stemmed), plus the words of each CJK run when the
 *            model has a lexicon (zhseg.h);
 *   block 1  character n-grams (char_min..char_max code points) of each word's normalised
 *            surface form wrapped in spaces (" card " → " c", "ca", ..., "rd "), which is
 *            what makes "refnd my monye" land near "refund my money"; and the
 *            1..cjk_max-grams of each CJK run wrapped in spaces (" 闹钟 " → " 闹", ...),
 *            as a character TF-IDF with word boundaries would see Chinese.
 * A feature's bucket is the top `bits` bits of (hash × 2^64/φ) (Fibonacci hashing) of its
 * 64-bit FNV-1a id; the block keeps the two blocks' weights apart in the key only (both
 * share one weight table).
 *
 * A `struct nlu_fx` belongs to one thread (training threads each have their own).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "tensor.h"
#include "glove.h"
#include "spell.h"
#include "text.h"
#include "zhseg.h"

#define FX_MAX_TOKENS 1024
#define FX_MAX_BYTES 4096
#define FX_TF_TABLE 64         /* sublinear tf weights kept in a table below this tf */

struct nlu_fx {
	struct nlu_text *text;
	struct nlu_token toks[FX_MAX_TOKENS];
	int n_toks;
	char fixed[FX_MAX_BYTES];       /* the text with its misspellings corrected */
	int32_t ranks[FX_MAX_TOKENS];   /* GloVe rank per token, by nlu_fx_dense */
	int has_ranks;         /* ranks[] belong to the current text */
	float dense_share;     /* see nlu_fx_dense_share */
	uint64_t keys[NLU_FEAT_MAX];
	uint64_t tmp[NLU_FEAT_MAX];
	float tf_weight[FX_TF_TABLE];   /* 1 + ln tf, by the same logf (the same values) */
};

/* Sublinear tf: 1 + ln tf (and 1 for the most common tf, 1). */
static float tf_weight(int tf)
{
	return tf == 1 ? 1.0f : 1.0f + logf((float)tf);
}

struct nlu_fx *nlu_fx_create(void)
{
	struct nlu_fx *fx = calloc(1, sizeof *fx);
	if (!fx)
		return NULL;
	fx->text = nlu_text_create(FX_MAX_BYTES);
	if (!fx->text) {
		free(fx);
		return NULL;
	}
	for (int tf = 1; tf < FX_TF_TABLE; tf++)
		fx->tf_weight[tf] = tf_weight(tf);
	return fx;
}

void nlu_fx_destroy(struct nlu_fx *fx)
{
	if (!fx)
		return;
	nlu_text_destroy(fx->text);
	free(fx);
}

static inline uint64_t key_of(const struct nlu_feat_cfg *cfg, unsigned block, uint64_t h)
{
	uint64_t bucket = (h * 0x9e3779b97f4a7c15ull) >> (64 - cfg->bits);
	return (uint64_t)block << 32 | bucket;
}

/* Sorts keys[0..n) (block bit 32, bucket below 2^bits) by LSD radix through tmp, over
 * the bits+1 bits that can be set: the block bit is folded in just above the bucket and
 * the digits are at most 8 bits wide (16-bit buckets: three 6-bit passes).  Linear time
 * and no allocation (glibc's qsort may call malloc, which the reply path must not);
 * small digits matter because a text has only a few hundred keys, and a pass costs its
 * counting table as well as its keys (11-bit digits were 13 % of a prediction).  One
 * read of the keys counts every digit's table; then one scatter per digit. */
#define SORT_MAX_PASSES 4      /* bits ≤ 24 (the model files' bound): 25 bits */
static void sort_keys(uint64_t *keys, uint64_t *tmp, int n, int bits)
{
	int width = bits + 1, passes = (width + 7) / 8, digit = (width + passes - 1) / passes;
	uint32_t count[SORT_MAX_PASSES][256], mask = (1u << digit) - 1;
	uint64_t *src = keys, *dst = tmp;

	if (n < 2 || passes > SORT_MAX_PASSES)
		return;
#define COMPACT(k) ((((k) >> 32) << bits) | ((k) & 0xffffffffu))
	memset(count, 0, sizeof count);
	for (int i = 0; i < n; i++) {
		uint64_t c = COMPACT(keys[i]);
		for (int p = 0; p < passes; p++)
			count[p][(c >> (p * digit)) & mask]++;
	}
	for (int p = 0; p < passes; p++) {
		uint32_t sum = 0;
		for (uint32_t b = 0; b <= mask; b++) {
			uint32_t c = count[p][b];
			count[p][b] = sum;
			sum += c;
		}
	}
	for (int p = 0; p < passes; p++) {
		int shift = p * digit;
		for (int i = 0; i < n; i++)
			dst[count[p][(COMPACT(src[i]) >> shift) & mask]++] = src[i];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
#undef COMPACT
	if (src != keys)                   /* odd number of passes: result is in tmp */
		memcpy(keys, src, sizeof *keys * (size_t)n);
}

/* Length in bytes of the UTF-8 sequence starting with byte c (input is valid UTF-8). */
static inline int u8len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Adds the nmin..nmax-grams (code points) of " surface " to keys; returns the new count.
 * A surface longer than the scratch is taken in pieces, each wrapped in spaces. */
static int char_grams(const struct nlu_feat_cfg *cfg, const char *s, size_t len, int nmin,
		      int nmax, uint64_t *keys, int nk)
{
	char buf[256];
	uint16_t start[130];

	do {
		size_t piece = len, blen = 0;
		int ncp = 0;
		if (piece > sizeof buf - 2)
			piece = sizeof buf - 2;
		for (size_t i = 0, cps = 0; i < piece; i += (size_t)u8len((unsigned char)s[i]))
			if (++cps > 120 || i + (size_t)u8len((unsigned char)s[i]) > piece) {
				piece = i;    /* at most 120 code points, cut at a boundary */
				break;
			}
		if (piece == 0)
			break;
		buf[blen++] = ' ';
		memcpy(buf + blen, s, piece);
		blen += piece;
		buf[blen++] = ' ';
		for (size_t i = 0; i < blen; i += (size_t)u8len((unsigned char)buf[i]))
			start[ncp++] = (uint16_t)i;
		start[ncp] = (uint16_t)blen;
		for (int n = nmin; n <= nmax; n++)
			for (int i = 0; i + n <= ncp && nk < NLU_FEAT_MAX; i++) {
				uint64_t h = nlu_hash(0x40u + (unsigned)n, buf + start[i],
						      (size_t)(start[i + n] - start[i]));
				keys[nk++] = key_of(cfg, 1, h);
			}
		s += piece;
		len -= piece;
	} while (len > 0 && nk < NLU_FEAT_MAX);
	return nk;
}

struct word_keys {
	const struct nlu_feat_cfg *cfg;
	uint64_t *keys;
	int nk;
};

static void add_word(void *arg, uint64_t id, const char *w, size_t bytes)
{
	struct word_keys *k = arg;
	(void)w;
	(void)bytes;
	if (k->nk < NLU_FEAT_MAX)
		k->keys[k->nk++] = key_of(k->cfg, 0, id);
}

/* The features of the CJK run s[0..len): its char n-grams (block 1) and words (block 0). */
static int cjk_run(const struct nlu_feat_cfg *cfg, const char *s, size_t len, uint64_t *keys,
		   int nk)
{
	nk = char_grams(cfg, s, len, 1, cfg->cjk_max, keys, nk);
	if (cfg->zh) {
		struct word_keys k = { cfg, keys, nk };
		nlu_zhseg_words(cfg->zh, s, len, add_word, &k);
		nk = k.nk;
	}
	return nk;
}

/* The spelling pass (spell.h): when a word of the nt tokens fx holds is unknown to the
 * training vocabulary and one edit from a training word, fx's text is rewritten with the
 * training word in its place and tokenised again (the normalised text normalises to
 * itself).  Returns the tokens fx now holds. */
static int spell_pass(const struct nlu_spell *sp, struct nlu_fx *fx, int nt)
{
	size_t nlen, flen = 0, from = 0;
	const char *norm = nlu_text_last(fx->text, &nlen);
	int fixes = 0;

	for (int i = 0; i < nt; i++) {
		const struct nlu_token *t = &fx->toks[i];
		size_t fl;
		const char *fix;
		if (t->kind != NLU_TOK_WORD || t->off < from || (size_t)t->off + t->span > nlen ||
		    nlu_spell_known(sp, t->id) ||
		    !(fix = nlu_spell_fix(sp, norm + t->off, t->span, &fl)))
			continue;
		size_t keep = t->off - from;
		if (flen + keep + fl >= sizeof fx->fixed)
			break;
		memcpy(fx->fixed + flen, norm + from, keep);
		memcpy(fx->fixed + flen + keep, fix, fl);
		flen += keep + fl;
		from = (size_t)t->off + t->span;
		fixes++;
	}
	if (!fixes || flen + (nlen - from) >= sizeof fx->fixed)
		return nt;
	memcpy(fx->fixed + flen, norm + from, nlen - from);
	flen += nlen - from;
	int n2 = nlu_text_tokenise(fx->text, fx->fixed, flen, fx->toks, FX_MAX_TOKENS, NULL);
	return n2 < 0 ? 0 : n2;
}

int nlu_feat_keys(const struct nlu_feat_cfg *cfg, struct nlu_fx *fx, const char *text,
		  size_t len, const uint64_t **keys_out)
{
	int nt = nlu_text_tokenise(fx->text, text, len, fx->toks, FX_MAX_TOKENS, NULL);
	if (cfg->spell && nt > 0)
		nt = spell_pass(cfg->spell, fx, nt);
	size_t nlen;
	const char *norm = nlu_text_last(fx->text, &nlen);
	int nk = 0;
	const struct nlu_token *prev = NULL;

	fx->n_toks = nt < 0 ? 0 : nt;
	fx->has_ranks = 0;
	if (nt < 0)
		return -1;
	uint32_t run_off = 0, run_end = 0;      /* the CJK run being collected */
	for (int i = 0; i < nt && nk < NLU_FEAT_MAX; i++) {
		const struct nlu_token *t = &fx->toks[i];
		fx->keys[nk++] = key_of(cfg, 0, t->id);
		if (t->kind == NLU_TOK_CJK_CHAR && (cfg->cjk_max > 0 || cfg->zh)) {
			if (run_end > run_off && t->off != run_end) {
				nk = cjk_run(cfg, norm + run_off, run_end - run_off, fx->keys, nk);
				run_end = run_off;
			}
			if (run_end == run_off)
				run_off = t->off;
			run_end = t->off + t->span;
		}
		if (t->kind != NLU_TOK_WORD)
			continue;
		if (cfg->word_bigrams && prev && nk < NLU_FEAT_MAX)
			fx->keys[nk++] = key_of(cfg, 0, (prev->id ^ 0x5bd1e995u) * 0x100000001b3ull
							      + t->id);
		prev = t;
		if (cfg->char_max > 0 && (size_t)t->off + t->span <= nlen)
			nk = char_grams(cfg, norm + t->off, t->span, cfg->char_min, cfg->char_max,
					fx->keys, nk);
	}
	if (run_end > run_off && run_end <= nlen)
		nk = cjk_run(cfg, norm + run_off, run_end - run_off, fx->keys, nk);
	sort_keys(fx->keys, fx->tmp, nk, cfg->bits);
	*keys_out = fx->keys;
	return nk;
}

int nlu_feat_vector(const struct nlu_feat *f, struct nlu_fx *fx, const char *text,
		    size_t len, struct nlu_sparse *sp)
{
	const uint64_t *keys;
	int nk = nlu_feat_keys(&f->cfg, fx, text, len, &keys);
	uint32_t nnz = 0, block_start = 0;

	if (nk < 0)
		return -1;
	for (int i = 0; i < nk;) {
		int j = i + 1;
		while (j < nk && keys[j] == keys[i])
			j++;
		uint32_t bucket = (uint32_t)keys[i];
		int tf = j - i;
		float v = tf < FX_TF_TABLE ? fx->tf_weight[tf] : tf_weight(tf);
		if (f->idf)
			v *= f->idf[bucket];
		if (v > 0) {           /* idf 0: a feature no training text had */
			sp->idx[nnz] = bucket;
			sp->val[nnz++] = v;
		}
		/* end of a block: normalise it */
		if (j == nk || (keys[j] >> 32) != (keys[i] >> 32)) {
			cm_l2_normalize(nnz - block_start, sp->val + block_start);
			block_start = nnz;
		}
		i = j;
	}
	sp->nnz = nnz;
	return (int)nnz;
}

int nlu_feat_fit_idf(struct nlu_feat *f, struct nlu_fx *fx, char *const *texts, size_t n)
{
	uint32_t *df = calloc(f->dim, sizeof *df);
	float *idf = malloc(sizeof *idf * f->dim);

	if (!df || !idf) {
		free(df);
		free(idf);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		const uint64_t *keys;
		int nk = nlu_feat_keys(&f->cfg, fx, texts[k], strlen(texts[k]), &keys);
		for (int i = 0; i < nk; i++)
			if (i == 0 || (uint32_t)keys[i] != (uint32_t)keys[i - 1])
				df[(uint32_t)keys[i]]++;
	}
	for (uint32_t b = 0; b < f->dim; b++)
		idf[b] = df[b] ? logf((1.0f + (float)n) / (1.0f + (float)df[b])) + 1.0f : 0.0f;
	free(df);
	if (f->own_idf)
		free(f->idf);
	f->idf = idf;
	f->own_idf = 1;
	return 0;
}

void nlu_feat_free(struct nlu_feat *f)
{
	if (f->own_idf)
		free(f->idf);
	f->idf = NULL;
	f->own_idf = 0;
}

int nlu_sparse_alloc(struct nlu_sparse *sp, uint32_t cap)
{
	sp->idx = malloc(sizeof *sp->idx * cap);
	sp->val = malloc(sizeof *sp->val * cap);
	sp->nnz = 0;
	sp->cap = cap;
	if (!sp->idx || !sp->val) {
		nlu_sparse_free(sp);
		return -1;
	}
	return 0;
}

void nlu_sparse_free(struct nlu_sparse *sp)
{
	free(sp->idx);
	free(sp->val);
	sp->idx = NULL;
	sp->val = NULL;
	sp->nnz = sp->cap = 0;
}

int nlu_fx_dense(struct nlu_fx *fx, const struct nlu_glove *g, float *out)
{
	size_t nlen;
	const char *norm = nlu_text_last(fx->text, &nlen);
	float tot = 0;
	int found = 0;
	size_t word_bytes = 0, cjk_bytes = 0, found_bytes = 0;

	memset(out, 0, sizeof *out * NLU_GLOVE_DIM);
	for (int i = 0; i < fx->n_toks; i++) {
		const struct nlu_token *t = &fx->toks[i];
		cjk_bytes += t->kind == NLU_TOK_CJK_CHAR ? t->span : 0;
		fx->ranks[i] = -1;
		if (t->kind != NLU_TOK_WORD || (size_t)t->off + t->span > nlen)
			continue;
		word_bytes += t->span;
		int32_t r = fx->ranks[i] = nlu_glove_find(g, norm + t->off, t->span);
		if (r < 0)
			continue;
		found_bytes += t->span;
		float w = nlu_glove_sif(g, r);
		nlu_glove_add(g, r, w, out);
		tot += w;
		found++;
	}
	if (found) {
		cm_l2_normalize(NLU_GLOVE_DIM, out);
		for (int k = 0; k < NLU_GLOVE_DIM; k++)
			out[k] *= NLU_DENSE_SCALE;
	}
	fx->dense_share = (float)found_bytes / (float)(word_bytes + cjk_bytes ? word_bytes + cjk_bytes : 1);
	fx->has_ranks = 1;
	return found;
}

int nlu_fx_tokens(const struct nlu_fx *fx, const struct nlu_token **toks, const char **norm,
		  size_t *nlen, const int32_t **ranks)
{
	*toks = fx->toks;
	*norm = nlu_text_last(fx->text, nlen);
	*ranks = fx->has_ranks ? fx->ranks : NULL;
	return fx->n_toks;
}

float nlu_fx_dense_share(const struct nlu_fx *fx)
{
	return fx->dense_share;
}
