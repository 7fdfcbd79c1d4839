/* speech/lm.c — the domain language model: text normalisation, n-gram counting, interpolated
 * Kneser-Ney estimation and ARPA output, all our own code.
 *
 * Model (Chen & Goodman's interpolated Kneser-Ney with one discount per order):
 *   highest order n:  p(w|h) = max(c(hw) - D_n, 0) / c(h.) + g(h) p(w|h')
 *   lower orders k:   the same with continuation counts a(hw) = N1+(. h w) in place of c
 *                     (raw counts for n-grams that start with <s>: nothing precedes it)
 *   unigrams:         p(w) = max(a(w) - D_1, 0) / a(.) + g() / |V|
 *   g(h) = D_k N1+(h .) / c(h .)   (the mass the discounts freed), D_k = n1 / (n1 + 2 n2)
 * where h' is h without its oldest word and |V| counts every word, </s> and <unk> (not <s>).
 * In ARPA form a seen n-gram stores its interpolated probability and each context stores
 * log10 g(h) as its back-off weight; an unseen n-gram then backs off to exactly the
 * interpolated lower-order term, so for every context the probabilities over V sum to 1
 * (test_lm.c checks this, through our scorer and through sphinxbase reading the file).
 *
 * Words are ids in an sp_strtab (0 <unk>, 1 <s>, 2 </s>); an n-gram is a uint64 key of up to
 * three 21-bit ids in one open-addressing table per order.  Runs on the thread of
 * `kefu train` (or a bench); one asr_lm per thread.
 */
#include "speech.h"
#include "speech_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"

/* ---- sp_strtab ---- */

static uint64_t fnv(const char *s, size_t len)
{
	return cm_fnv1a(CM_FNV1A_INIT, s, len);
}

int sp_strtab_init(struct sp_strtab *t)
{
	memset(t, 0, sizeof *t);
	t->cap = 1024;
	t->slot = malloc(t->cap * sizeof *t->slot);
	if (!t->slot)
		return -1;
	memset(t->slot, 0xff, t->cap * sizeof *t->slot);
	return 0;
}

void sp_strtab_free(struct sp_strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->str[i]);
	free(t->str);
	free(t->slot);
	memset(t, 0, sizeof *t);
}

static size_t strtab_pos(const struct sp_strtab *t, const char *s, size_t len)
{
	size_t m = t->cap - 1, p = (size_t)fnv(s, len) & m;
	while (t->slot[p] >= 0) {
		const char *o = t->str[t->slot[p]];
		if (strncmp(o, s, len) == 0 && o[len] == '\0')
			break;
		p = (p + 1) & m;
	}
	return p;
}

int32_t sp_strtab_find(const struct sp_strtab *t, const char *s, size_t len)
{
	return t->slot[strtab_pos(t, s, len)];
}

int32_t sp_strtab_intern(struct sp_strtab *t, const char *s, size_t len)
{
	size_t p = strtab_pos(t, s, len);
	if (t->slot[p] >= 0)
		return t->slot[p];
	char **ns = cm_grow(t->str, &t->cap_str, t->n + 1, sizeof *ns, 256);
	if (!ns)
		return -1;
	t->str = ns;
	char *copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	int32_t id = (int32_t)t->n;
	t->str[t->n++] = copy;
	t->slot[p] = id;
	if (t->n * 2 > t->cap) {
		size_t nc = t->cap * 2;
		int32_t *sl = malloc(nc * sizeof *sl);
		if (!sl)
			return id;          /* still correct, just fuller */
		memset(sl, 0xff, nc * sizeof *sl);
		for (size_t i = 0; i < t->n; i++) {
			size_t q = (size_t)fnv(t->str[i], strlen(t->str[i])) & (nc - 1);
			while (sl[q] >= 0)
				q = (q + 1) & (nc - 1);
			sl[q] = (int32_t)i;
		}
		free(t->slot);
		t->slot = sl;
		t->cap = nc;
	}
	return id;
}

/* ---- normalisation ---- */

static const char *const ones[] = { "zero", "one", "two", "three", "four", "five", "six",
	"seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
	"sixteen", "seventeen", "eighteen", "nineteen" };
static const char *const tens[] = { "", "", "twenty", "thirty", "forty", "fifty", "sixty",
	"seventy", "eighty", "ninety" };

struct sink {
	char *out;
	size_t len, cap;
	int words;
};

static void put_word(struct sink *k, const char *w, size_t n)
{
	if (n == 0)
		return;
	size_t need = n + (k->len ? 1 : 0);
	if (k->len + need + 1 > k->cap)
		return;                        /* out of room: the rest is dropped */
	if (k->len)
		k->out[k->len++] = ' ';
	memcpy(k->out + k->len, w, n);
	k->len += n;
	k->out[k->len] = '\0';
	k->words++;
}

static void put(struct sink *k, const char *w)
{
	put_word(k, w, strlen(w));
}

static void say_below_1000(struct sink *k, unsigned v)
{
	if (v >= 100) {
		put(k, ones[v / 100]);
		put(k, "hundred");
		v %= 100;
		if (!v)
			return;
	}
	if (v >= 20) {
		put(k, tens[v / 10]);
		if (v % 10)
			put(k, ones[v % 10]);
	} else {
		put(k, ones[v]);
	}
}

/* Spells the digit string d[0..n) as a cardinal; long or zero-led strings digit by digit. */
static void say_number(struct sink *k, const char *d, size_t n)
{
	if (n > 9 || (n > 1 && d[0] == '0')) {
		for (size_t i = 0; i < n; i++)
			put(k, ones[d[i] - '0']);
		return;
	}
	unsigned long v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(d[i] - '0');
	if (v == 0) {
		put(k, "zero");
		return;
	}
	static const char *const scale[] = { "million", "thousand", "" };
	unsigned long div[] = { 1000000ul, 1000ul, 1ul };
	for (int i = 0; i < 3; i++) {
		unsigned part = (unsigned)(v / div[i] % 1000);
		if (!part)
			continue;
		say_below_1000(k, part);
		if (*scale[i])
			put(k, scale[i]);
	}
}

/* Turns the last word written into its ordinal ("two" -> "second"). */
static void make_ordinal(struct sink *k)
{
	static const char *const irr[][2] = { { "one", "first" }, { "two", "second" },
		{ "three", "third" }, { "five", "fifth" }, { "eight", "eighth" }, { "nine", "ninth" },
		{ "twelve", "twelfth" } };
	char *w = k->len ? strrchr(k->out, ' ') : NULL;
	w = w ? w + 1 : k->out;
	size_t wl = strlen(w);
	for (size_t i = 0; i < sizeof irr / sizeof irr[0]; i++)
		if (strcmp(w, irr[i][0]) == 0) {
			k->len = (size_t)(w - k->out);
			k->words--;
			if (k->len)
				k->len--;      /* the separating space */
			k->out[k->len] = '\0';
			put(k, irr[i][1]);
			return;
		}
	if (k->len + 4 >= k->cap)
		return;
	if (wl && w[wl - 1] == 'y') {          /* twenty -> twentieth */
		k->len--;
		memcpy(k->out + k->len, "ieth", 5);
		k->len += 4;
	} else {
		memcpy(k->out + k->len, "th", 3);
		k->len += 2;
	}
}

int asr_text_normalize(const char *in, char *out, size_t outlen)
{
	struct sink k = { .out = out, .cap = outlen };
	if (outlen)
		out[0] = '\0';
	char w[64];
	const unsigned char *p = (const unsigned char *)in;
	while (*p) {
		if (isdigit(*p)) {
			const unsigned char *s = p;
			while (isdigit(*p) || (*p == ',' && isdigit(p[1]) && p > s))
				p++;
			char d[32];
			size_t n = 0;
			for (const unsigned char *q = s; q < p && n < sizeof d; q++)
				if (isdigit(*q))
					d[n++] = (char)*q;
			say_number(&k, d, n);
			if (*p == '.' && isdigit(p[1])) {      /* 2.5 -> two point five */
				put(&k, "point");
				for (p++; isdigit(*p); p++)
					put(&k, ones[*p - '0']);
			}
			/* 1st, 2nd, 3rd, 4th */
			if ((p[0] == 's' && p[1] == 't') || (p[0] == 'n' && p[1] == 'd') ||
			    (p[0] == 'r' && p[1] == 'd') || (p[0] == 't' && p[1] == 'h')) {
				if (!isalpha(p[2])) {
					make_ordinal(&k);
					p += 2;
				}
			}
			continue;
		}
		if (isalpha(*p)) {
			size_t n = 0;
			while (isalpha(*p) || (*p == '\'' && isalpha(p[1]) && n)) {
				if (n < sizeof w - 1)
					w[n++] = (char)tolower(*p);
				p++;
			}
			put_word(&k, w, n);
			continue;
		}
		if (*p == '&')
			put(&k, "and");
		else if (*p == '%')
			put(&k, "percent");
		p++;
	}
	return k.words;
}

/* ---- n-gram tables ---- */

#define ID_BITS 21
#define ID_MAX ((1u << ID_BITS) - 1)
enum { W_UNK = 0, W_BOS = 1, W_EOS = 2 };

struct ngram {
	uint64_t key;
	uint32_t c;             /* raw count */
	uint32_t a;             /* count used at this order (raw or continuation) */
	uint32_t ctx_sum;       /* as a context: sum of a(h w) over w */
	uint32_t ctx_types;     /* as a context: number of w with a(h w) > 0 */
	double lp;              /* log10 probability */
	double bow;             /* log10 back-off weight (0 if not a context) */
};

struct ngtab {
	struct ngram *e;
	size_t n, cap_e;
	int32_t *slot;
	size_t cap;
};

struct asr_lm {
	int order;
	struct sp_strtab voc;
	struct ngtab t[3];      /* t[k-1]: k-grams */
	double disc[3];
	double uniform_mass;    /* g() / |V| of the unigram level */
	int estimated;
	size_t n_sent;          /* sentences counted */
};

static uint64_t mkkey(const uint32_t *ids, int k)
{
	uint64_t key = 0;
	for (int i = 0; i < k; i++)
		key |= (uint64_t)(ids[i] + 1) << (ID_BITS * i);
	return key;
}

static size_t tab_pos(const struct ngtab *t, uint64_t key)
{
	size_t m = t->cap - 1, p = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & m;
	while (t->slot[p] >= 0 && t->e[t->slot[p]].key != key)
		p = (p + 1) & m;
	return p;
}

static struct ngram *tab_find(const struct ngtab *t, uint64_t key)
{
	if (!t->cap)
		return NULL;
	int32_t i = t->slot[tab_pos(t, key)];
	return i >= 0 ? &t->e[i] : NULL;
}

static int tab_grow(struct ngtab *t)
{
	size_t nc = t->cap ? t->cap * 2 : 4096;
	int32_t *sl = malloc(nc * sizeof *sl);
	if (!sl)
		return -1;
	memset(sl, 0xff, nc * sizeof *sl);
	free(t->slot);
	t->slot = sl;
	t->cap = nc;
	for (size_t i = 0; i < t->n; i++)
		t->slot[tab_pos(t, t->e[i].key)] = (int32_t)i;
	return 0;
}

/* The entry for key, created with zero counts if absent; NULL on OOM. */
static struct ngram *tab_get(struct ngtab *t, uint64_t key)
{
	if ((t->n + 1) * 2 > t->cap && tab_grow(t))
		return NULL;
	size_t p = tab_pos(t, key);
	if (t->slot[p] >= 0)
		return &t->e[t->slot[p]];
	struct ngram *ne = cm_grow(t->e, &t->cap_e, t->n + 1, sizeof *ne, 4096);
	if (!ne)
		return NULL;
	t->e = ne;
	struct ngram *g = &t->e[t->n];
	memset(g, 0, sizeof *g);
	g->key = key;
	t->slot[p] = (int32_t)t->n++;
	return g;
}

static void key_ids(uint64_t key, int k, uint32_t *ids)
{
	for (int i = 0; i < k; i++)
		ids[i] = (uint32_t)((key >> (ID_BITS * i)) & ID_MAX) - 1;
}

asr_lm *asr_lm_create(int order)
{
	if (order < 1 || order > 3)
		return NULL;
	asr_lm *lm = calloc(1, sizeof *lm);
	if (!lm)
		return NULL;
	lm->order = order;
	if (sp_strtab_init(&lm->voc) ||
	    sp_strtab_intern(&lm->voc, "<unk>", 5) != W_UNK ||
	    sp_strtab_intern(&lm->voc, "<s>", 3) != W_BOS ||
	    sp_strtab_intern(&lm->voc, "</s>", 4) != W_EOS) {
		asr_lm_destroy(lm);
		return NULL;
	}
	return lm;
}

void asr_lm_destroy(asr_lm *lm)
{
	if (!lm)
		return;
	for (int k = 0; k < 3; k++) {
		free(lm->t[k].e);
		free(lm->t[k].slot);
	}
	sp_strtab_free(&lm->voc);
	free(lm);
}

int asr_lm_add(asr_lm *lm, const char *text)
{
	if (lm->estimated)
		return ASR_ERR_INTERNAL;
	size_t tl = strlen(text);
	size_t cap = tl * 8 + 64;          /* numbers spelled out grow the text */
	char *norm = malloc(cap);
	uint32_t *ids = malloc((cap / 2 + 2) * sizeof *ids);
	if (!norm || !ids) {
		free(norm);
		free(ids);
		return ASR_ERR_NOMEM;
	}
	asr_text_normalize(text, norm, cap);
	size_t n = 0;
	ids[n++] = W_BOS;
	for (char *s = norm; *s;) {
		char *e = strchr(s, ' ');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		int32_t id = sp_strtab_intern(&lm->voc, s, len);
		if (id < 0 || (uint32_t)id >= ID_MAX) {
			free(norm);
			free(ids);
			return ASR_ERR_NOMEM;
		}
		ids[n++] = (uint32_t)id;
		s += len + (e ? 1 : 0);
	}
	ids[n++] = W_EOS;
	int rc = 0;
	if (n > 2)
		lm->n_sent++;
	if (n > 2)
		for (size_t i = 1; i < n && !rc; i++)
			for (int k = 1; k <= lm->order && k <= (int)i + 1; k++) {
				struct ngram *g = tab_get(&lm->t[k - 1], mkkey(ids + i + 1 - k, k));
				if (!g) {
					rc = ASR_ERR_NOMEM;
					break;
				}
				g->c++;
			}
	free(norm);
	free(ids);
	return rc;
}

/* Kneser-Ney discount from the counts of counts of a[] at one order. */
static double kn_discount(const struct ngtab *t)
{
	size_t n1 = 0, n2 = 0;
	for (size_t i = 0; i < t->n; i++) {
		n1 += t->e[i].a == 1;
		n2 += t->e[i].a == 2;
	}
	double d = n1 ? (double)n1 / ((double)n1 + 2.0 * (double)n2) : 0.5;
	return d < 0.1 ? 0.1 : d > 0.95 ? 0.95 : d;
}

/* Interpolated lower-order probability (linear) of w after context ids[0..k-1) (k = n-gram
 * order of the full key, 1 = unigram), computed from the already estimated lp of seen
 * n-grams and bow of contexts: exactly the ARPA back-off rule. */
static double backoff_prob(const asr_lm *lm, const uint32_t *ids, int k)
{
	for (int j = k; j >= 1; j--) {
		/* try the j-gram ending in w: ids[k-j .. k) */
		struct ngram *g = tab_find(&lm->t[j - 1], mkkey(ids + k - j, j));
		if (g && (j == 1 || g->a > 0)) {
			double lp = g->lp;
			/* add the back-off weights of the longer contexts skipped */
			for (int c = j + 1; c <= k; c++) {
				struct ngram *h = tab_find(&lm->t[c - 2], mkkey(ids + k - c, c - 1));
				if (h)
					lp += h->bow;
			}
			return pow(10.0, lp);
		}
	}
	/* a word outside the vocabulary: <unk> */
	uint32_t unk = W_UNK;
	struct ngram *u = tab_find(&lm->t[0], mkkey(&unk, 1));
	double lp = u ? u->lp : -99;
	for (int c = 2; c <= k; c++) {
		struct ngram *h = tab_find(&lm->t[c - 2], mkkey(ids + k - c, c - 1));
		if (h)
			lp += h->bow;
	}
	return pow(10.0, lp);
}

int asr_lm_estimate(asr_lm *lm)
{
	if (lm->estimated)
		return 0;
	if (lm->n_sent == 0)
		return -1;
	size_t nv = lm->voc.n;
	/* every vocabulary word, <unk> and <s> (a context only: it holds a back-off weight and
	 * keeps a = 0, so it takes no probability) gets a unigram entry */
	for (uint32_t w = 0; w < nv; w++)
		if (!tab_get(&lm->t[0], mkkey(&w, 1)))
			return ASR_ERR_NOMEM;
	int n = lm->order;
	/* a(): raw counts at the top order and for n-grams starting with <s>; below, the number
	 * of distinct words seen before */
	for (int k = 1; k <= n; k++)
		for (size_t i = 0; i < lm->t[k - 1].n; i++) {
			struct ngram *g = &lm->t[k - 1].e[i];
			uint32_t ids[3];
			key_ids(g->key, k, ids);
			g->a = (k == n || ids[0] == W_BOS) ? g->c : 0;
		}
	for (int k = n; k >= 2; k--)
		for (size_t i = 0; i < lm->t[k - 1].n; i++) {
			struct ngram *g = &lm->t[k - 1].e[i];
			uint32_t ids[3];
			key_ids(g->key, k, ids);
			struct ngram *lo = tab_find(&lm->t[k - 2], mkkey(ids + 1, k - 1));
			if (lo && ids[1] != W_BOS && g->c > 0)
				lo->a++;
			struct ngram *h = tab_find(&lm->t[k - 2], mkkey(ids, k - 1));
			if (h && g->a > 0) {
				h->ctx_sum += g->a;
				h->ctx_types++;
			}
		}
	for (int k = 1; k <= n; k++)
		lm->disc[k - 1] = kn_discount(&lm->t[k - 1]);

	/* unigrams: discounted continuation counts + uniform share over V (all but <s>) */
	double total = 0, types = 0;
	for (size_t i = 0; i < lm->t[0].n; i++) {
		total += lm->t[0].e[i].a;
		types += lm->t[0].e[i].a > 0;
	}
	double d1 = lm->disc[0];
	lm->uniform_mass = d1 * types / total / (double)(nv - 1);
	for (size_t i = 0; i < lm->t[0].n; i++) {
		struct ngram *g = &lm->t[0].e[i];
		double p = fmax(g->a - d1, 0.0) / total + lm->uniform_mass;
		g->lp = g->key == mkkey(&(uint32_t){ W_BOS }, 1) ? -99.0 : log10(p);
	}
	/* contexts' back-off weights at level k-1, then level k probabilities */
	for (int k = 2; k <= n; k++) {
		double d = lm->disc[k - 1];
		struct ngtab *lo = &lm->t[k - 2];
		for (size_t i = 0; i < lo->n; i++) {
			struct ngram *h = &lo->e[i];
			h->bow = h->ctx_sum ? log10(d * h->ctx_types / h->ctx_sum) : 0.0;
		}
		struct ngtab *t = &lm->t[k - 1];
		for (size_t i = 0; i < t->n; i++) {
			struct ngram *g = &t->e[i];
			if (!g->a)
				continue;
			uint32_t ids[3];
			key_ids(g->key, k, ids);
			struct ngram *h = tab_find(lo, mkkey(ids, k - 1));
			double lower = backoff_prob(lm, ids + 1, k - 1);
			double p = (g->a - d) / h->ctx_sum + pow(10.0, h->bow) * lower;
			g->lp = log10(p);
		}
	}
	lm->estimated = 1;
	return 0;
}

double asr_lm_logprob(const asr_lm *lm, const char *w, const char *const *hist)
{
	uint32_t ids[3];
	int nh = 0;
	while (nh < lm->order - 1 && hist && hist[nh])
		nh++;
	for (int i = 0; i < nh; i++) {
		int32_t id = sp_strtab_find(&lm->voc, hist[i], strlen(hist[i]));
		ids[nh - 1 - i] = id < 0 ? W_UNK : (uint32_t)id;
	}
	int32_t id = sp_strtab_find(&lm->voc, w, strlen(w));
	ids[nh] = id < 0 ? W_UNK : (uint32_t)id;
	return log10(backoff_prob(lm, ids, nh + 1));
}

int asr_lm_known(const asr_lm *lm, const char *w)
{
	return sp_strtab_find(&lm->voc, w, strlen(w)) > W_EOS;
}

size_t asr_lm_vocab_size(const asr_lm *lm)
{
	return lm->voc.n - 3;
}

const char *asr_lm_vocab_word(const asr_lm *lm, size_t i)
{
	return i + 3 < lm->voc.n ? lm->voc.str[i + 3] : NULL;
}

int asr_lm_write_arpa(const asr_lm *lm, const char *path)
{
	if (!lm->estimated) {
		errno = EINVAL;
		return -1;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t cnt[3] = { 0, 0, 0 };
	for (int k = 1; k <= lm->order; k++)
		for (size_t i = 0; i < lm->t[k - 1].n; i++)
			cnt[k - 1] += k == 1 || lm->t[k - 1].e[i].a > 0;   /* <s> is in t[0] */
	fprintf(f, "\\data\\\n");
	for (int k = 1; k <= lm->order; k++)
		fprintf(f, "ngram %d=%zu\n", k, cnt[k - 1]);
	for (int k = 1; k <= lm->order; k++) {
		fprintf(f, "\n\\%d-grams:\n", k);
		if (k == 1) {
			uint32_t b = W_BOS;
			struct ngram *g = tab_find(&lm->t[0], mkkey(&b, 1));
			fprintf(f, "-99\t<s>");
			if (lm->order > 1 && g && g->ctx_sum)
				fprintf(f, "\t%.6f", g->bow);
			fputc('\n', f);
		}
		for (size_t i = 0; i < lm->t[k - 1].n; i++) {
			const struct ngram *g = &lm->t[k - 1].e[i];
			uint32_t ids[3];
			key_ids(g->key, k, ids);
			if (k == 1 && ids[0] == W_BOS)
				continue;
			if (k > 1 && !g->a)
				continue;
			fprintf(f, "%.6f\t", g->lp);
			for (int j = 0; j < k; j++)
				fprintf(f, "%s%s", j ? " " : "", lm->voc.str[ids[j]]);
			if (k < lm->order && g->ctx_sum)
				fprintf(f, "\t%.6f", g->bow);
			fputc('\n', f);
		}
	}
	fprintf(f, "\n\\end\\\n");
	if (ferror(f)) {
		fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}
