/* api/review.c — the review queue's routes (/api/v1/review...): what customers asked
 * that kefu could not answer, in the clusters kefud's review thread keeps
 * (daemon/review.c), and the three actions on a cluster or chosen members of it: add
 * them as examples of an existing answer, make a new answer of them, dismiss them.
 * Each action is one store transaction with its audit row.  The new examples and
 * answers reach customers with the next bot load (SIGHUP, or a new model).
 * Runs on the calling API worker thread with its store connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "buf.h"
#include "log.h"
#include "mining.h"
#include "store_review.h"

#define REVIEW_MAX_PICK 1000   /* member ids in one "items" list */

static int store_fail_reply(struct api_call *c, int rc, const char *what)
{
	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "no such %s", what);
	if (rc == STORE_INVALID || rc == STORE_DUPLICATE)
		return api_error(c, 400, "invalid_value", "%s", store_errmsg(c->ctx->st));
	LOG_ERR("review %s: %s", what, store_errmsg(c->ctx->st));
	return api_error(c, 500, "internal", "the store failed");
}

static json_t *reasons_json(unsigned bits)
{
	json_t *a = json_array();
	for (int b = 0; a && b < MN_N_REASONS; b++)
		if (bits & (1u << b))
			json_array_append_new(a, json_string(mn_reason_name(1u << b)));
	return a;
}

static int member_row(void *arg, const struct store_review_item *it)
{
	struct { json_t *arr; unsigned *bits; } *m = arg;
	*m->bits |= it->reasons;
	return json_array_append_new(m->arr, json_pack(
		"{s:I, s:s, s:o, s:I, s:o, s:f, s:I}", "id", (json_int_t)it->id, "text", it->text,
		"reasons", reasons_json(it->reasons), "conversation_id", (json_int_t)it->session_id,
		"answer_id", it->answer_id ? json_integer(it->answer_id) : json_null(),
		"confidence", it->confidence, "created_ms", (json_int_t)it->created_ms));
}

struct list {
	struct api_call *c;
	json_t *clusters;
	int rc;
};

static int cluster_row(void *arg, const struct store_review_cluster *cl)
{
	struct list *l = arg;
	struct store *st = l->c->ctx->st;
	unsigned bits = 0;
	struct { json_t *arr; unsigned *bits; } m = { json_array(), &bits };
	json_t *answer = json_null();
	struct store_answer a;

	if (!m.arr)
		return -1;
	if ((l->rc = store_review_cluster_items(st, cl->id, member_row, &m)) < 0) {
		json_decref(m.arr);
		return l->rc;
	}
	if (cl->answer_id && !store_answer_get(st, cl->answer_id, &a)) {
		json_decref(answer);
		answer = json_pack("{s:I, s:s, s:f}", "id", (json_int_t)a.id, "title", a.title,
				   "p", cl->answer_p);
		store_answer_clear(&a);
	}
	return json_array_append_new(l->clusters, json_pack(
		"{s:I, s:s, s:s, s:I, s:o, s:o, s:I, s:o}", "id", (json_int_t)cl->id,
		"label", cl->label, "terms", cl->terms, "size", (json_int_t)cl->size,
		"reasons", reasons_json(bits), "suggested_answer", answer,
		"updated_ms", (json_int_t)cl->updated_ms, "members", m.arr));
}

int api_h_review(struct api_call *c)
{
	struct list l = { c, json_array(), 0 };
	_Static_assert(MN_N_REASONS == STORE_REVIEW_REASONS, "review reasons: mining and store");
	int64_t counts[MN_N_REASONS], open;
	int rc;

	if (!l.clusters)
		return api_reply(c, 500, NULL);
	if ((rc = store_review_clusters_foreach(c->ctx->st, cluster_row, &l)) ||
	    (rc = store_review_counts(c->ctx->st, counts, &open))) {
		json_decref(l.clusters);
		return store_fail_reply(c, rc < 0 ? rc : -1, "review queue");
	}
	json_t *by = json_object();
	for (int b = 0; by && b < MN_N_REASONS; b++)
		json_object_set_new(by, mn_reason_name(1u << b), json_integer(counts[b]));
	return api_reply(c, 200, json_pack("{s:o, s:I, s:o}", "clusters", l.clusters, "open",
					   (json_int_t)open, "reasons", by));
}

/* ---- actions ------------------------------------------------------------------------- */

struct pick {
	int64_t *id;                  /* the members acted on */
	char **text;
	size_t n, cap;
	const int64_t *want;          /* "items": only these (NULL: the whole cluster) */
	size_t n_want;
};

static int pick_row(void *arg, const struct store_review_item *it)
{
	struct pick *p = arg;
	if (p->want) {
		size_t i = 0;
		while (i < p->n_want && p->want[i] != it->id)
			i++;
		if (i == p->n_want)
			return 0;
	}
	if (p->n == p->cap) {
		size_t nc = cm_grow_cap(p->cap, p->n + 1, 32, sizeof(int64_t));
		int64_t *ni = nc ? cm_realloc_n(p->id, nc, sizeof *ni) : NULL;
		if (!ni)
			return -1;
		p->id = ni;
		char **nt = cm_realloc_n(p->text, nc, sizeof *nt);
		if (!nt)
			return -1;
		p->text = nt;
		p->cap = nc;
	}
	if (!(p->text[p->n] = strdup(it->text)))
		return -1;
	p->id[p->n++] = it->id;
	return 0;
}

static void pick_free(struct pick *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->text[i]);
	free(p->text);
	free(p->id);
}

/* Parses "items" ("12,13,20": open members of the cluster) into want.  0, or -1 after
 * answering 400. */
static int parse_items(struct api_call *c, int64_t *want, size_t *n_want)
{
	const char *s = api_body_str(c, "items");

	*n_want = 0;
	if (!s)
		return 0;
	while (*s) {
		char *end;
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (end == s || errno || v <= 0 || (*end && *end != ',') ||
		    *n_want == REVIEW_MAX_PICK)
			return api_error(c, 400, "invalid_value", "items must be item ids "
					 "separated by commas (at most %d)", REVIEW_MAX_PICK), -1;
		want[(*n_want)++] = v;
		s = *end ? end + 1 : end;
	}
	if (!*n_want)
		return api_error(c, 400, "invalid_value", "items lists no item"), -1;
	return 0;
}

/* The members acted on: the cluster's open items, or the chosen ones.  0, or -1 after
 * answering (404 no open question in the cluster unless allow_empty, 400 a chosen item
 * not open in it). */
static int load_pick(struct api_call *c, struct pick *p, int64_t *want, int allow_empty)
{
	size_t n_want;
	int rc;

	memset(p, 0, sizeof *p);
	if (parse_items(c, want, &n_want))
		return -1;
	if (n_want) {
		p->want = want;
		p->n_want = n_want;
	}
	if ((rc = store_review_cluster_items(c->ctx->st, c->path_id, pick_row, p)) < 0) {
		store_fail_reply(c, rc, "review cluster");
		return -1;
	}
	if (n_want && p->n != n_want)
		return api_error(c, 400, "invalid_value", "items: %zu of %zu are not open "
				 "questions of this cluster", n_want - p->n, n_want), -1;
	if (!p->n && !allow_empty)
		return api_error(c, 404, "not_found", "no open question in review cluster %lld",
				 (long long)c->path_id), -1;
	return 0;
}

struct act {
	struct api_call *c;
	struct pick *p;
	const char *state;            /* what the members become */
	const char *action;           /* audit */
	int64_t answer_id;            /* add: given; create: made */
	const char *title, *body, *lang;
	int allow_empty;              /* dismiss: a cluster already dismissed is fine */
	int64_t added, duplicates;
};

static int act_tx(void *arg, struct store *st)
{
	struct act *a = arg;
	int64_t now = auth_now_ms(a->c->ctx->auth);
	struct auth_actor by = api_actor(a->c);
	char obj[48];
	int rc;

	if (a->title && (rc = store_answer_add(st, a->title, a->body, a->lang, "review",
					      &a->answer_id)))
		return rc;
	for (size_t i = 0; i < a->p->n; i++) {
		if (a->answer_id) {
			rc = store_example_add(st, a->answer_id, a->p->text[i]);
			if (rc == STORE_DUPLICATE)
				a->duplicates++;
			else if (rc)
				return rc;
			else
				a->added++;
		}
		if ((rc = store_review_close(st, a->p->id[i], a->state, now)))
			return rc;
	}
	json_t *items = json_array();
	for (size_t i = 0; items && i < a->p->n; i++)
		json_array_append_new(items, json_integer(a->p->id[i]));
	json_t *ch = json_pack("{s:o, s:o}", "items", items ? items : json_null(), "answer_id",
			       a->answer_id ? json_integer(a->answer_id) : json_null());
	if (ch && a->title)
		json_object_set_new(ch, "title", json_string(a->title));
	char *changes = ch ? json_dumps(ch, JSON_COMPACT) : NULL;
	json_decref(ch);
	snprintf(obj, sizeof obj, "review_cluster:%lld", (long long)a->c->path_id);
	rc = auth_audit(a->c->ctx->auth, st, &by, a->action, obj, changes);
	free(changes);
	return rc ? -1 : 0;
}

static int run_action(struct api_call *c, struct act *a, int status)
{
	int64_t *want = malloc(REVIEW_MAX_PICK * sizeof *want);
	struct pick p;
	int rc;

	if (!want)
		return api_reply(c, 500, NULL);
	if (load_pick(c, &p, want, a->allow_empty)) {
		pick_free(&p);
		free(want);
		return 0;
	}
	a->c = c;
	a->p = &p;
	rc = store_transaction(c->ctx->st, act_tx, a);
	size_t n = p.n;
	pick_free(&p);
	free(want);
	if (rc == STORE_DUPLICATE)
		return api_error(c, 409, "title_taken", "an answer with this title exists");
	if (rc)
		return store_fail_reply(c, rc, a->title ? "answer" : "review item");
	return api_reply(c, status, json_pack("{s:o, s:I, s:I, s:I}", "answer_id",
		a->answer_id ? json_integer(a->answer_id) : json_null(), "questions",
		(json_int_t)n, "examples_added", (json_int_t)a->added, "duplicates",
		(json_int_t)a->duplicates));
}

int api_h_review_add(struct api_call *c)
{
	json_t *id = json_object_get(c->body, "answer_id");
	struct act a = { .state = "added", .action = "review.add",
			 .answer_id = (int64_t)json_integer_value(id) };
	struct store_answer ans;
	int rc;

	if (a.answer_id <= 0)
		return api_error(c, 400, "invalid_value", "answer_id must be an answer's id");
	if ((rc = store_answer_get(c->ctx->st, a.answer_id, &ans)))
		return store_fail_reply(c, rc, "answer");
	store_answer_clear(&ans);
	return run_action(c, &a, 200);
}

int api_h_review_create(struct api_call *c)
{
	const char *lang = api_body_str(c, "lang");
	struct act a = { .state = "created", .action = "review.create",
			 .title = api_body_str(c, "title"), .body = api_body_str(c, "body"),
			 .lang = lang ? lang : "en" };

	if (!a.title[0] || !a.body[0])
		return api_error(c, 400, "invalid_value", "a new answer needs a title and a body");
	return run_action(c, &a, 201);
}

static int cluster_exists(void *arg, const struct store_review_cluster *cl)
{
	(void)arg;
	(void)cl;
	return 0;
}

/* Dismissing is idempotent: a cluster whose questions were all dismissed (or acted on)
 * answers 200 with questions 0; an unknown cluster is 404. */
int api_h_review_dismiss(struct api_call *c)
{
	struct act a = { .state = "dismissed", .action = "review.dismiss", .allow_empty = 1 };
	int rc = store_review_cluster(c->ctx->st, c->path_id, cluster_exists, NULL);

	if (rc)
		return store_fail_reply(c, rc, "review cluster");
	return run_action(c, &a, 200);
}
