/* tools/kefu/cmd_summary.c — `kefu summarize --session TOKEN [--json]`: the summary card
 * of one conversation of the store (summary/, docs/summary.md); `kefu eval-summary
 * --dialogs FILE.jsonl [--summaries-out FILE.jsonl] [--json]`: kefu's summaries of a file
 * of dialogues against their reference summaries (ROUGE-1/2/L F1, mean over references,
 * then over dialogues), beside the Lead and LexRank baselines computed in the same run on
 * the same dialogues with the same budget.  Main thread only.
 *
 * eval-summary input, one dialogue a line: {"id", "lang": "en"|"zh", "turns": [{"from":
 * "customer"|"agent"|"bot", "text"}], "references": [str, ...]}.  Every line is checked
 * before anything runs or is written: a bad line is an error naming it (exit 2).  The
 * budget of all three systems is the median reference length of the file (words, or
 * characters in Chinese), Lead's usual definition; --budget N sets it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "cmd_summary.h"
#include "store.h"
#include "summary.h"
#include "utf8.h"

/* The context with <models>/glove-100d.kfv when it opens, else TF-IDF alone (warned). */
static struct sum_ctx *open_ctx(const struct kefu_conf *c, const char *prog)
{
	char path[sizeof c->models + 32], err[600];
	struct sum_ctx *ctx;

	snprintf(path, sizeof path, "%s/glove-100d.kfv", c->models);
	ctx = sum_ctx_create(path, err, sizeof err);
	if (ctx)
		return ctx;
	fprintf(stderr, "%s: no word vectors, TF-IDF only (%s)\n", prog, err);
	ctx = sum_ctx_create(NULL, err, sizeof err);
	if (!ctx)
		fprintf(stderr, "%s: %s\n", prog, err);
	return ctx;
}

/* ---- kefu summarize ---------------------------------------------------------------- */

/* The library's card (sum_card_json, the console's shape too) plus the session's own
 * fields. */
static json_t *card_json(const struct sum_card *c, const struct sum_session *s,
			 const char *token)
{
	json_t *o = sum_card_json(c);

	if (!o)
		return NULL;
	json_object_set_new(o, "session", json_string(token));
	json_object_set_new(o, "state", json_string(s->state));
	json_object_set_new(o, "turns", json_integer((json_int_t)s->d.n_turns));
	return o;
}

int cmd_summarize(int argc, char **argv)
{
	struct kefu_conf c;
	char *pos[1], err[512];
	int npos, rc = 1, json = cli_take_flag(&argc, argv, "--json");
	const char *token = cli_take_value(&argc, argv, "--session");
	struct store *st = NULL;
	struct sum_ctx *ctx = NULL;
	struct sum_session s = { 0 };
	struct sum_card card = { 0 };

	int p = cli_parse_conf(&c, "kefu summarize", argc, argv, pos, 1, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	if (!token || !*token || npos) {
		fprintf(stderr, "usage: kefu summarize --db FILE --session TOKEN [--json]\n");
		return 2;
	}
	st = cli_open_existing(&c);
	if (!st)
		return 1;
	int r = sum_session_load(st, token, &s, err, sizeof err);
	if (r) {
		fprintf(stderr, "kefu summarize: %s\n", err);
		rc = r == STORE_NOT_FOUND ? 2 : 1;
		goto out;
	}
	ctx = open_ctx(&c, "kefu summarize");
	if (!ctx)
		goto out;
	if (sum_card_build(ctx, &s.d, NULL, &card)) {
		fprintf(stderr, "kefu summarize: out of memory\n");
		goto out;
	}
	if (json) {
		json_t *o = card_json(&card, &s, token);
		char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(4)) : NULL;
		if (txt)
			puts(txt);
		free(txt);
		json_decref(o);
	} else {
		fputs(card.text, stdout);
	}
	rc = 0;
out:
	sum_card_free(&card);
	sum_session_free(&s);
	sum_ctx_destroy(ctx);
	store_close(st);
	return rc;
}

/* ---- kefu eval-summary ------------------------------------------------------------------- */

struct dlg {
	json_t *j;                      /* the line; strings below point into it */
	const char *id;
	struct sum_turn *turns;
	struct sum_dialog d;
	const char **refs;
	size_t n_refs;
};

/* Checks and converts one line; 0, or -1 with the reason in err. */
static int parse_dialog(json_t *j, struct dlg *g, char *err, size_t errlen)
{
	json_t *id = json_object_get(j, "id"), *lang = json_object_get(j, "lang");
	json_t *turns = json_object_get(j, "turns"), *refs = json_object_get(j, "references");

	g->j = j;
	if (!json_is_object(j))
		return snprintf(err, errlen, "not a JSON object"), -1;
	if (!json_is_string(id))
		return snprintf(err, errlen, "\"id\" must be a string"), -1;
	g->id = json_string_value(id);
	if (lang && !json_is_null(lang) && (!json_is_string(lang) ||
	    (strcmp(json_string_value(lang), "en") && strcmp(json_string_value(lang), "zh"))))
		return snprintf(err, errlen, "\"lang\" must be \"en\" or \"zh\""), -1;
	if (!json_is_array(turns) || !json_array_size(turns))
		return snprintf(err, errlen, "\"turns\" must be a non-empty array"), -1;
	if (!json_is_array(refs) || !json_array_size(refs))
		return snprintf(err, errlen, "\"references\" must be a non-empty array"), -1;
	g->turns = calloc(json_array_size(turns), sizeof *g->turns);
	g->refs = calloc(json_array_size(refs), sizeof *g->refs);
	if (!g->turns || !g->refs)
		return snprintf(err, errlen, "out of memory"), -1;
	for (size_t i = 0; i < json_array_size(turns); i++) {
		json_t *t = json_array_get(turns, i);
		const char *from = json_string_value(json_object_get(t, "from"));
		const char *text = json_string_value(json_object_get(t, "text"));
		if (!from || !text)
			return snprintf(err, errlen, "turn %zu needs string \"from\" and \"text\"", i),
			       -1;
		int role = !strcmp(from, "customer") ? SUM_CUSTOMER
			 : !strcmp(from, "agent") ? SUM_AGENT : !strcmp(from, "bot") ? SUM_BOT : -1;
		if (role < 0)
			return snprintf(err, errlen,
					"turn %zu: \"from\" must be customer, agent or bot", i), -1;
		g->turns[i] = (struct sum_turn){ .role = role, .text = text };
	}
	for (size_t i = 0; i < json_array_size(refs); i++) {
		g->refs[i] = json_string_value(json_array_get(refs, i));
		if (!g->refs[i])
			return snprintf(err, errlen, "reference %zu is not a string", i), -1;
	}
	g->n_refs = json_array_size(refs);
	g->d = (struct sum_dialog){ json_string_value(lang), g->turns, json_array_size(turns) };
	return 0;
}

static void dlg_free(struct dlg *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(g[i].j);
		free(g[i].turns);
		free(g[i].refs);
	}
	free(g);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

enum { SYS_KEFU, SYS_LEAD, SYS_LEXRANK, N_SYS };

struct tally {
	double r1, r2, rl;
	double *ms;
};

static json_t *tally_json(struct tally *t, size_t n)
{
	return json_pack("{s:f, s:f, s:f, s:f}", "rouge1", t->r1 / (double)n, "rouge2",
			 t->r2 / (double)n, "rougeL", t->rl / (double)n, "ms_per_dialog_median",
			 median(t->ms, n));
}

/* Reads and checks every line of path into *out; 0, or 2 (printed). */
static int load_dialogs(const char *path, struct dlg **out, size_t *n_out)
{
	size_t len, n = 0, cap = 0;
	char *data = cli_read_file(path, &len), *line, *save = NULL, err[256];
	struct dlg *g = NULL;
	int lineno = 0;

	if (!data)
		return 2;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		lineno++;
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		if (!*line)
			continue;
		if (!cm_utf8_valid(line, strlen(line))) {
			fprintf(stderr, "kefu eval-summary: %s:%d: not valid UTF-8\n", path, lineno);
			goto bad;
		}
		struct dlg *p = cm_grow(g, &cap, n + 1, sizeof *p, 64);
		if (!p)
			goto bad;
		g = p;
		memset(&g[n], 0, sizeof *g);
		json_t *j = json_loads(line, 0, &je);
		if (!j) {
			fprintf(stderr, "kefu eval-summary: %s:%d: bad JSON (%s)\n", path, lineno,
				je.text);
			goto bad;
		}
		if (parse_dialog(j, &g[n++], err, sizeof err)) {
			fprintf(stderr, "kefu eval-summary: %s:%d: %s\n", path, lineno, err);
			goto bad;
		}
	}
	free(data);
	if (!n) {
		fprintf(stderr, "kefu eval-summary: %s: no dialogue\n", path);
		free(g);
		return 2;
	}
	*out = g;
	*n_out = n;
	return 0;
bad:
	dlg_free(g, n);
	free(data);
	return 2;
}

/* The median reference length (ROUGE tokens) over every reference of the file. */
static int median_ref_len(const struct dlg *g, size_t n)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		total += g[i].n_refs;
	size_t *len = malloc(total * sizeof *len);
	if (!len)
		return 0;
	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < g[i].n_refs; r++)
			len[k++] = sum_rouge_len(g[i].refs[r]);
	qsort(len, total, sizeof *len, cmp_size);
	int m = (int)(total % 2 ? len[total / 2] : (len[total / 2 - 1] + len[total / 2] + 1) / 2);
	free(len);
	return m > 0 ? m : 1;
}

int cmd_eval_summary(int argc, char **argv)
{
	struct kefu_conf c;
	char *pos[1];
	int npos, rc = 1, json = cli_take_flag(&argc, argv, "--json");
	const char *path = cli_take_value(&argc, argv, "--dialogs");
	const char *out_path = cli_take_value(&argc, argv, "--summaries-out");
	const char *budget_s = cli_take_value(&argc, argv, "--budget");
	struct sum_ctx *ctx = NULL;
	struct dlg *g = NULL;
	size_t n = 0;
	struct tally t[N_SYS] = { 0 };
	FILE *sf = NULL;
	int budget = 0;

	int p = cli_parse_conf(&c, "kefu eval-summary", argc, argv, pos, 1, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	if (!path || !*path || npos || (out_path && !*out_path) || (budget_s && !*budget_s)) {
		fprintf(stderr, "usage: kefu eval-summary --dialogs FILE.jsonl "
				"[--summaries-out FILE.jsonl] [--budget N] [--json]\n");
		return 2;
	}
	if (budget_s) {
		char *end;
		long b = strtol(budget_s, &end, 10);
		if (*end || b < 1 || b > 10000) {
			fprintf(stderr, "kefu eval-summary: --budget must be 1..10000\n");
			return 2;
		}
		budget = (int)b;
	}
	if (load_dialogs(path, &g, &n))
		return 2;
	if (!budget)
		budget = median_ref_len(g, n);
	ctx = open_ctx(&c, "kefu eval-summary");
	if (!ctx)
		goto out;
	if (out_path && !(sf = fopen(out_path, "w"))) {
		fprintf(stderr, "kefu eval-summary: cannot write %s\n", out_path);
		goto out;
	}
	for (int s = 0; s < N_SYS; s++)
		if (!(t[s].ms = calloc(n, sizeof *t[s].ms)))
			goto oom;
	for (size_t i = 0; i < n; i++) {
		struct sum_opts opts = { .budget = budget };
		for (int s = 0; s < N_SYS; s++) {
			struct sum_card card;
			struct sum_rouge r;
			char *text = NULL;
			uint64_t t0 = cm_now_us();
			if (s == SYS_KEFU) {
				if (sum_card_build(ctx, &g[i].d, &opts, &card))
					goto oom;
				text = card.summary;
				card.summary = NULL;
				sum_card_free(&card);
			} else {
				text = s == SYS_LEAD ? sum_lead(ctx, &g[i].d, budget)
						     : sum_lexrank(ctx, &g[i].d, budget);
			}
			t[s].ms[i] = (double)(cm_now_us() - t0) / 1000.0;
			if (!text || sum_rouge_refs(text, g[i].refs, g[i].n_refs, &r)) {
				free(text);
				goto oom;
			}
			t[s].r1 += r.r1;
			t[s].r2 += r.r2;
			t[s].rl += r.rl;
			if (s == SYS_KEFU && sf) {
				json_t *o = json_pack("{s:s, s:s}", "id", g[i].id, "summary", text);
				char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
				if (line)
					fprintf(sf, "%s\n", line);
				free(line);
				json_decref(o);
			}
			free(text);
		}
	}
	if (sf && fclose(sf)) {
		sf = NULL;
		fprintf(stderr, "kefu eval-summary: writing %s failed\n", out_path);
		goto out;
	}
	sf = NULL;
	if (json) {
		json_t *o = tally_json(&t[SYS_KEFU], n);
		json_object_set_new(o, "n", json_integer((json_int_t)n));
		json_object_set_new(o, "budget", json_integer(budget));
		json_object_set_new(o, "glove", json_boolean(sum_ctx_has_glove(ctx)));
		json_object_set_new(o, "lead", tally_json(&t[SYS_LEAD], n));
		json_object_set_new(o, "lexrank", tally_json(&t[SYS_LEXRANK], n));
		char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(5));
		if (txt)
			puts(txt);
		free(txt);
		json_decref(o);
	} else {
		static const char *const names[N_SYS] = { "kefu", "lead", "lexrank" };
		printf("%zu dialogues, budget %d tokens\n%-8s %8s %8s %8s %10s\n", n, budget,
		       "system", "ROUGE-1", "ROUGE-2", "ROUGE-L", "ms median");
		for (int s = 0; s < N_SYS; s++)
			printf("%-8s %8.4f %8.4f %8.4f %10.3f\n", names[s], t[s].r1 / (double)n,
			       t[s].r2 / (double)n, t[s].rl / (double)n, median(t[s].ms, n));
	}
	rc = 0;
	goto out;
oom:
	fprintf(stderr, "kefu eval-summary: out of memory\n");
out:
	if (sf)
		fclose(sf);
	for (int s = 0; s < N_SYS; s++)
		free(t[s].ms);
	dlg_free(g, n);
	sum_ctx_destroy(ctx);
	return rc;
}
