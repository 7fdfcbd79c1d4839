/* mining/describe.c — a name for each cluster of collected questions and the existing
 * answer nearest to it (mining.h mn_name).
 *
 *   central question  the member with the highest summed similarity to the others;
 *   key terms         words (and CJK bigrams) of the members scored by the share of
 *                     members holding them × ln(N / df) over all N texts clustered,
 *                     stop words left out, shown as the first surface form seen;
 *   nearest answer    the answer with the highest summed nlu_bot_posterior over the
 *                     members (the bot's own calibrated view), and its mean probability.
 * Calling thread; allocates its tables.
 */
#include "buf.h"
#include "mining.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nlu.h"
#include "text.h"

#define SURF_MAX 40

struct term {
	uint64_t id;
	uint32_t text;
	char surf[SURF_MAX];
};

static int cmp_term(const void *a, const void *b)
{
	const struct term *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->text < y->text ? -1 : x->text > y->text;
}

/* Tokenises every text into its distinct key-term candidates; *out sorted by id. */
static int collect_terms(const char *const *texts, size_t n, struct term **out, size_t *n_out)
{
	struct nlu_text *tx = nlu_text_create(4096);
	struct nlu_token toks[256];
	struct term *t = NULL;
	size_t m = 0, cap = 0;

	if (!tx)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int nt = nlu_text_tokenise(tx, texts[i], strlen(texts[i]), toks, 256, NULL);
		size_t nlen;
		const char *norm = nlu_text_last(tx, &nlen);
		size_t start = m;
		for (int k = 0; k < nt; k++) {
			const struct nlu_token *tk = &toks[k];
			if (tk->flags & NLU_TOK_STOP || tk->kind == NLU_TOK_CJK_CHAR ||
			    (tk->kind == NLU_TOK_WORD && tk->span < 2) || tk->off + tk->span > nlen)
				continue;
			int dup = 0;
			for (size_t q = start; q < m && !dup; q++)
				dup = t[q].id == tk->id;
			if (dup)
				continue;
			struct term *nt2 = cm_grow(t, &cap, m + 1, sizeof *nt2, 1024);
			if (!nt2) {
				free(t);
				nlu_text_destroy(tx);
				return -1;
			}
			t = nt2;
			size_t len = tk->span < SURF_MAX - 1 ? tk->span : SURF_MAX - 1;
			t[m].id = tk->id;
			t[m].text = (uint32_t)i;
			memcpy(t[m].surf, norm + tk->off, len);
			t[m].surf[len] = 0;
			m++;
		}
	}
	nlu_text_destroy(tx);
	if (m)   /* t is NULL when no text had a term */
		qsort(t, m, sizeof *t, cmp_term);
	*out = t;
	*n_out = m;
	return 0;
}

struct top_terms {
	float score[MN_TERMS_MAX];
	size_t at[MN_TERMS_MAX];      /* index of the term group's first entry */
	int n;
};

static void top_insert(struct top_terms *tt, float score, size_t at)
{
	int pos = tt->n < MN_TERMS_MAX ? tt->n : MN_TERMS_MAX;
	while (pos > 0 && tt->score[pos - 1] < score)
		pos--;
	if (pos >= MN_TERMS_MAX)
		return;
	int last = tt->n < MN_TERMS_MAX ? tt->n : MN_TERMS_MAX - 1;
	for (int q = last; q > pos; q--) {
		tt->score[q] = tt->score[q - 1];
		tt->at[q] = tt->at[q - 1];
	}
	tt->score[pos] = score;
	tt->at[pos] = at;
	if (tt->n < MN_TERMS_MAX)
		tt->n++;
}

static int name_terms(const char *const *texts, size_t n, const int *cluster, int k,
		      struct mn_named *out)
{
	struct term *t;
	size_t m;
	int *cnt = calloc((size_t)k, sizeof *cnt), *touched = malloc((size_t)k * sizeof *touched);
	struct top_terms *tt = calloc((size_t)k, sizeof *tt);

	if (!cnt || !touched || !tt || collect_terms(texts, n, &t, &m)) {
		free(cnt); free(touched); free(tt);
		return -1;
	}
	for (size_t g = 0; g < m;) {
		size_t e = g;
		int nt = 0;
		while (e < m && t[e].id == t[g].id) {
			int c = cluster[t[e].text];
			if (!cnt[c]++)
				touched[nt++] = c;
			e++;
		}
		float idf = logf((float)n / (float)(e - g));
		for (int q = 0; q < nt; q++) {
			int c = touched[q];
			/* a term of one member says nothing about a cluster of several */
			if (cnt[c] >= 2 || out[c].size == 1)
				top_insert(&tt[c], (float)cnt[c] / (float)out[c].size * idf, g);
			cnt[c] = 0;
		}
		g = e;
	}
	for (int c = 0; c < k; c++) {
		size_t len = 0;
		out[c].terms[0] = 0;
		for (int q = 0; q < tt[c].n; q++) {
			const char *s = t[tt[c].at[q]].surf;
			size_t sl = strlen(s);
			if (len + sl + 3 >= MN_TERMS_BYTES)
				break;
			if (len) {
				memcpy(out[c].terms + len, ", ", 2);
				len += 2;
			}
			memcpy(out[c].terms + len, s, sl + 1);
			len += sl;
		}
	}
	free(t); free(cnt); free(touched); free(tt);
	return 0;
}

#define SUGGEST_MAX 64

static void suggest(const struct nlu_bot *bot, struct nlu_state *ns,
		    const char *const *texts, size_t n, const int *cluster, int c,
		    struct mn_named *o)
{
	int64_t ids[SUGGEST_MAX];
	double sum[SUGGEST_MAX];
	int m = 0;
	struct nlu_scored sc[8];

	for (size_t i = 0; i < n; i++) {
		if (cluster[i] != c)
			continue;
		int ns_n = nlu_bot_posterior(bot, ns, texts[i], strlen(texts[i]), sc, 8);
		for (int q = 0; q < ns_n; q++) {
			int at = 0;
			while (at < m && ids[at] != sc[q].answer_id)
				at++;
			if (at == m) {
				if (m == SUGGEST_MAX)
					continue;
				ids[m] = sc[q].answer_id;
				sum[m++] = 0;
			}
			sum[at] += sc[q].p;
		}
	}
	o->answer_id = 0;
	o->answer_p = 0;
	for (int q = 0; q < m; q++)
		if (sum[q] > o->answer_p * (double)o->size) {
			o->answer_id = ids[q];
			o->answer_p = (float)(sum[q] / (double)o->size);
		}
}

int mn_name(const struct nlu_bot *bot, struct nlu_state *ns, const float *sim,
	    const char *const *texts, size_t n, const int *cluster, int k,
	    struct mn_named *out)
{
	double *best = malloc((size_t)(k ? k : 1) * sizeof *best);

	if (!best)
		return -1;
	for (int c = 0; c < k; c++) {
		memset(&out[c], 0, sizeof out[c]);
		best[c] = -INFINITY;
	}
	for (size_t i = 0; i < n; i++)
		out[cluster[i]].size++;
	for (size_t i = 0; i < n; i++) {
		int c = cluster[i];
		double s = 0;
		for (size_t q = 0; q < n; q++)
			if (q != i && cluster[q] == c)
				s += sim[i * n + q];
		if (s > best[c]) {
			best[c] = s;
			out[c].central = i;
		}
	}
	free(best);
	if (name_terms(texts, n, cluster, k, out))
		return -1;
	for (int c = 0; bot && ns && c < k; c++)
		suggest(bot, ns, texts, n, cluster, c, &out[c]);
	return 0;
}
