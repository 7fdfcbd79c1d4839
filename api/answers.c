/* api/answers.c — the answer store in the console: list and filter answers, read one,
 * create and edit it (title, body, language, tags, enabled, follow-up quick replies),
 * add and remove example questions and catalogue pictures, its versions with their
 * diff and revert, and import (with a dry run) and export of the whole store.
 *
 * Roles: agents and admins both edit answers (as in most support tools: the people who
 * answer customers fix the answers); importing a whole file is for admins.  Every change
 * runs through store_answer_change, so it is a new version of the answer (who, when, a
 * snapshot) in one transaction, and is audited ("answer.add", "answer.edit",
 * "example.add", "example.delete", "picture.add", "picture.delete", "answer.revert",
 * "answers.import") with the version it made.  kefud notices new versions and reloads
 * its bot and picture catalogue (daemon/answers_live.c): nothing here talks to it.
 *
 * Imports are CSV, kefu JSON or a Rasa project's YAML (NLU + domain, mapped by
 * nlu/rasa_import.c, the code `kefu import` runs) through store_import_plan, which
 * reports what the import adds, changes and removes; a dry run rolls it back.
 *
 * A picture is uploaded as the raw body (Content-Type image/...) and decoded once with
 * vision/'s decoder under the picture limits of the ctx before it is stored; its
 * embedding is computed by kefud, not here.  Runs on the calling API worker thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"
#include "csv.h"
#include "log.h"
#include "rasa.h"
#include "vision.h"

#define LIST_MAX 500
#define SOURCE_MAX 200

static struct store_who who_of(const struct api_call *c)
{
	struct store_who w = { c->who.operator_id, c->who.login };
	return w;
}

/* The audit row of a change of answer id (changes consumed, may be NULL). */
static void audit(struct api_call *c, const char *action, int64_t id, json_t *changes)
{
	struct auth_actor by = api_actor(c);
	char obj[48], *ch = changes ? json_dumps(changes, JSON_COMPACT) : NULL;

	snprintf(obj, sizeof obj, "answer:%lld", (long long)id);
	if (auth_audit(c->ctx->auth, c->ctx->st, &by, action, obj, ch))
		LOG_WARN("audit %s: %s", action, store_errmsg(c->ctx->st));
	free(ch);
	json_decref(changes);
}

/* {"answer": {...}, "version": v} with status. */
static int reply_answer(struct api_call *c, int status, int64_t id)
{
	char *text = NULL;
	int rc = store_answer_json(c->ctx->st, id, &text);
	json_t *j;

	if (rc)
		return api_store_error(c, rc, "answer");
	if (!(j = api_take_json(text)))
		return api_store_error(c, -1, "answer");
	return api_reply(c, status, json_pack("{s:o}", "answer", j));
}

/* A change's store result: duplicates are the caller's conflict (code, what). */
static int change_error(struct api_call *c, int rc, const char *dup_code, const char *dup_msg)
{
	if (rc == STORE_DUPLICATE)
		return api_error(c, 409, dup_code, "%s", dup_msg);
	return api_store_error(c, rc, "answer");
}

/* ---- the list and one answer ------------------------------------------------------------- */

int api_h_answers(struct api_call *c)
{
	struct api_qparam qp[] = { { .name = "q" }, { .name = "lang" }, { .name = "enabled" },
				   { .name = "pictures" }, { .name = "weak" },
				   { .name = "weak_examples" }, { .name = "limit" },
				   { .name = "offset" }, { .name = NULL } };
	struct store_answer_filter f = { .enabled = -1, .pictures = -1 };
	int64_t we = 0, limit = 100, offset = 0;
	char *text = NULL;
	int rc;

	if (api_query_parse(c, qp))
		return 0;
	if (qp[2].present && api_qbool(c, &qp[2], &f.enabled))
		return 0;
	if (qp[3].present && api_qbool(c, &qp[3], &f.pictures))
		return 0;
	if (api_qbool(c, &qp[4], &f.weak) || api_qint(c, &qp[5], 1, 1000, &we) ||
	    api_qint(c, &qp[6], 1, LIST_MAX, &limit) || api_qint(c, &qp[7], 0, 1 << 30, &offset))
		return 0;
	f.q = qp[0].present ? qp[0].value : NULL;
	f.lang = qp[1].present ? qp[1].value : NULL;
	f.weak_examples = (int)we;
	f.limit = (int)limit;
	f.offset = (int)offset;
	if ((rc = store_answers_list_json(c->ctx->st, &f, &text)))
		return api_store_error(c, rc, "answer");
	return api_reply(c, 200, api_take_json(text));
}

int api_h_answer(struct api_call *c)
{
	return reply_answer(c, 200, c->path_id);
}

/* ---- create and edit ---------------------------------------------------------------------- */

const struct api_field api_answer_add_fields[] = {
	{ "title", API_STRING, 1 },
	{ "body", API_STRING, 1 },
	{ "lang", API_STRING, 0 },
	{ "tags", API_STRING, 0 },
	{ "enabled", API_BOOLEAN, 0 },
	{ NULL, 0, 0 },
};

const struct api_field api_answer_edit_fields[] = {
	{ "title", API_STRING, 0 },
	{ "body", API_STRING, 0 },
	{ "lang", API_STRING, 0 },
	{ "tags", API_STRING, 0 },
	{ "enabled", API_BOOLEAN, 0 },
	{ "followups", API_ARRAY, 0 },
	{ "expects", API_STRING, 0 },
	{ NULL, 0, 0 },
};

struct edit {
	struct api_call *c;
	int64_t id;
	int64_t followups[STORE_MAX_FOLLOWUPS];
	int n_followups;          /* -1: not changed */
};

/* Sets the fields the body names on answer e->id. */
static int edit_fn(void *arg, struct store *st)
{
	struct edit *e = arg;
	json_t *b = e->c->body, *v;
	struct store_answer a;
	int rc = store_answer_get(st, e->id, &a);
	static const char *const names[] = { "title", "body", "lang", "tags" };
	char **slots[] = { &a.title, &a.body, &a.lang, &a.tags };

	if (rc)
		return rc;
	for (size_t i = 0; i < 4; i++)
		if ((v = json_object_get(b, names[i]))) {
			free(*slots[i]);
			*slots[i] = strdup(json_string_value(v));
		}
	if ((v = json_object_get(b, "enabled")))
		a.enabled = json_is_true(v);
	rc = a.title && a.body && a.lang && a.tags ? store_answer_update(st, &a) : -1;
	store_answer_clear(&a);
	if (!rc && e->n_followups >= 0)
		rc = store_answer_set_followups(st, e->id, e->followups, e->n_followups);
	if (!rc && (v = json_object_get(b, "expects")))    /* an entity by voice (speech.md) */
		rc = store_answer_set_expects(st, e->id, json_string_value(v));
	return rc;
}

/* The body's follow-ups (answer ids) into e; -1 after answering 400. */
static int parse_followups(struct api_call *c, struct edit *e)
{
	json_t *arr = json_object_get(c->body, "followups"), *v;
	size_t i;

	e->n_followups = -1;
	if (!arr)
		return 0;
	if (json_array_size(arr) > STORE_MAX_FOLLOWUPS)
		return api_error(c, 400, "invalid_value", "at most %d follow-ups",
				 STORE_MAX_FOLLOWUPS), -1;
	e->n_followups = 0;
	json_array_foreach(arr, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return api_error(c, 400, "wrong_type", "followups holds answer ids"), -1;
		e->followups[e->n_followups++] = json_integer_value(v);
	}
	return 0;
}

int api_h_answer_edit(struct api_call *c)
{
	struct edit e = { c, c->path_id, { 0 }, -1 };
	struct store_who w = who_of(c);
	int64_t v = 0;
	int rc;

	if (parse_followups(c, &e))
		return 0;
	rc = store_answer_change(c->ctx->st, c->path_id, &w, "edit", edit_fn, &e, &v);
	if (rc)
		return change_error(c, rc, "title_taken", "another answer has this title");
	json_t *fields = json_array();
	const char *key;
	json_t *val;
	json_object_foreach(c->body, key, val)
		json_array_append_new(fields, json_string(key));
	audit(c, "answer.edit", c->path_id, json_pack("{s:I, s:o}", "version", (json_int_t)v,
						       "fields", fields));
	return reply_answer(c, 200, c->path_id);
}

struct add {
	struct api_call *c;
	int64_t id, version;
};

static int add_fn(void *arg, struct store *st)
{
	struct add *a = arg;
	const char *lang = api_body_str(a->c, "lang");
	const char *body = api_body_str(a->c, "body");
	json_t *en = json_object_get(a->c->body, "enabled");
	struct store_who w = who_of(a->c);
	int rc;

	rc = store_answer_add(st, api_body_str(a->c, "title"), body,
			      lang ? lang : store_text_lang(body), api_body_str(a->c, "tags"), &a->id);
	if (!rc && en && !json_is_true(en)) {
		struct store_answer x;
		if (!(rc = store_answer_get(st, a->id, &x))) {
			x.enabled = 0;
			rc = store_answer_update(st, &x);
			store_answer_clear(&x);
		}
	}
	return rc ? rc : store_answer_version_add(st, a->id, &w, "create", &a->version);
}

int api_h_answer_add(struct api_call *c)
{
	struct add a = { c, 0, 0 };
	int rc = store_transaction(c->ctx->st, add_fn, &a);

	if (rc)
		return change_error(c, rc, "title_taken", "another answer has this title");
	audit(c, "answer.add", a.id, json_pack("{s:I, s:s}", "version", (json_int_t)a.version,
					       "title", api_body_str(c, "title")));
	return reply_answer(c, 201, a.id);
}

/* ---- examples -------------------------------------------------------------------------- */

const struct api_field api_example_fields[] = {
	{ "text", API_STRING, 1 },
	{ NULL, 0, 0 },
};

struct example {
	int64_t id;
	const char *text;
};

static int example_add_fn(void *arg, struct store *st)
{
	struct example *x = arg;
	return store_example_add(st, x->id, x->text);
}

static int example_delete_fn(void *arg, struct store *st)
{
	struct example *x = arg;
	return store_example_delete(st, x->id, x->text);
}

static int example_change(struct api_call *c, int add)
{
	struct example x = { c->path_id, api_body_str(c, "text") };
	struct store_who w = who_of(c);
	int64_t v = 0;
	int rc = store_answer_change(c->ctx->st, c->path_id, &w, add ? "example.add"
				     : "example.delete", add ? example_add_fn : example_delete_fn,
				     &x, &v);

	if (rc == STORE_NOT_FOUND && !add)
		return api_error(c, 404, "not_found", "the answer has no such example");
	if (rc)
		return change_error(c, rc, "duplicate_example", "the answer has this example");
	audit(c, add ? "example.add" : "example.delete", c->path_id,
	      json_pack("{s:I, s:s}", "version", (json_int_t)v, "text", x.text));
	return reply_answer(c, add ? 201 : 200, c->path_id);
}

int api_h_example_add(struct api_call *c)
{
	return example_change(c, 1);
}

int api_h_example_delete(struct api_call *c)
{
	return example_change(c, 0);
}

/* ---- catalogue pictures ---------------------------------------------------------------------- */

struct picture {
	int64_t answer_id, picture_id;
	const char *label, *source;
	const struct api_request *req;
};

static int picture_add_fn(void *arg, struct store *st)
{
	struct picture *p = arg;
	return store_picture_add(st, p->answer_id, p->label, p->source, p->req->body,
				 p->req->body_len, &p->picture_id);
}

static int picture_delete_fn(void *arg, struct store *st)
{
	struct picture *p = arg;
	return store_answer_picture_remove(st, p->answer_id, p->picture_id);
}

int api_h_picture_add(struct api_call *c)
{
	struct api_qparam qp[] = { { .name = "label" }, { .name = "name" }, { .name = NULL } };
	struct vis_decode_opts lim = { .max_bytes = c->ctx->picture_max_bytes,
				       .max_pixels = c->ctx->picture_max_pixels };
	struct picture p = { c->path_id, 0, NULL, NULL, c->req };
	const char *ct = c->req->content_type;
	struct store_who w = who_of(c);
	struct vis_image img = { 0 };
	struct store_answer a;
	char why[200];
	int64_t v = 0;
	int rc;

	if (api_query_parse(c, qp))
		return 0;
	if (!ct || strncasecmp(ct, "image/", 6))
		return api_error(c, 415, "unsupported_media_type",
				 "send the picture's bytes as image/jpeg, png, webp or heic");
	if ((rc = store_answer_get(c->ctx->st, c->path_id, &a)))
		return api_store_error(c, rc, "answer");
	store_answer_clear(&a);
	/* the decoder kefud uses for customers' pictures, under the same limits */
	rc = vis_decode((const uint8_t *)c->req->body, c->req->body_len, &lim, &img, why,
			sizeof why);
	vis_image_free(&img);
	if (rc)
		return api_error(c, rc == VIS_E_NOMEM ? 500 : 400, vis_err_code(rc), "%s", why);
	p.label = qp[0].present ? qp[0].value : NULL;
	p.source = qp[1].present ? qp[1].value : "console upload";
	if (strlen(p.source) > SOURCE_MAX)
		return api_error(c, 400, "bad_query", "name is longer than %d bytes", SOURCE_MAX);
	rc = store_answer_change(c->ctx->st, c->path_id, &w, "picture.add", picture_add_fn, &p, &v);
	if (rc)
		return change_error(c, rc, "picture_exists",
				    "the catalogue holds these bytes already");
	audit(c, "picture.add", c->path_id, json_pack("{s:I, s:I, s:I}", "version", (json_int_t)v,
						      "picture", (json_int_t)p.picture_id, "bytes",
						      (json_int_t)c->req->body_len));
	return reply_answer(c, 201, c->path_id);
}

int api_h_picture(struct api_call *c)
{
	struct store_picture p;
	int rc = store_picture_get(c->ctx->st, c->path_id, 1, &p);
	const char *fmt;

	if (rc)
		return api_store_error(c, rc, "picture");
	fmt = vis_format_name(vis_sniff(p.data, p.len));
	free(c->res->body);
	c->res->status = 200;
	c->res->body = p.data;            /* moves */
	c->res->body_len = p.len;
	p.data = NULL;
	/* only a format the decoder recognised is served as a picture */
	if (vis_sniff((const uint8_t *)c->res->body, c->res->body_len) == VIS_FMT_UNKNOWN)
		snprintf(c->res->content_type, sizeof c->res->content_type,
			 "application/octet-stream");
	else
		snprintf(c->res->content_type, sizeof c->res->content_type, "image/%s", fmt);
	snprintf(c->res->disposition, sizeof c->res->disposition,
		 "inline; filename=\"catalogue-%lld\"", (long long)p.id);
	store_picture_clear(&p);
	return 0;
}

int api_h_picture_delete(struct api_call *c)
{
	struct picture p = { 0, c->path_id, NULL, NULL, c->req };
	struct store_who w = who_of(c);
	int64_t v = 0;
	int rc = store_picture_answer(c->ctx->st, c->path_id, &p.answer_id);

	if (rc)
		return api_store_error(c, rc, "picture");
	if (!p.answer_id)
		return api_error(c, 404, "not_found", "the picture belongs to no answer");
	rc = store_answer_change(c->ctx->st, p.answer_id, &w, "picture.remove", picture_delete_fn,
				 &p, &v);
	if (rc)
		return api_store_error(c, rc, "picture");
	audit(c, "picture.delete", p.answer_id, json_pack("{s:I, s:I}", "version", (json_int_t)v,
							  "picture", (json_int_t)c->path_id));
	return reply_answer(c, 200, p.answer_id);
}

/* ---- versions ------------------------------------------------------------------------------ */

int api_h_answer_versions(struct api_call *c)
{
	char *text = NULL;
	struct store_answer a;
	int rc = store_answer_get(c->ctx->st, c->path_id, &a);

	if (rc)
		return api_store_error(c, rc, "answer");
	store_answer_clear(&a);
	if ((rc = store_answer_versions_json(c->ctx->st, c->path_id, &text)))
		return api_store_error(c, rc, "answer");
	json_t *j = api_take_json(text);
	return api_reply(c, 200, j ? json_pack("{s:I, s:o}", "answer_id", (json_int_t)c->path_id,
					       "versions", j) : NULL);
}

int api_h_answer_diff(struct api_call *c)
{
	struct api_qparam qp[] = { { .name = "from" }, { .name = "to" }, { .name = NULL } };
	int64_t from = 0, to = 0;
	char *text = NULL;
	int rc;

	if (api_query_parse(c, qp) || api_qint(c, &qp[0], 1, INT64_MAX / 2, &from) ||
	    api_qint(c, &qp[1], 1, INT64_MAX / 2, &to))
		return 0;
	if (!qp[0].present)
		return api_error(c, 400, "bad_query", "from (a version) is required");
	if (!qp[1].present) {          /* to: the latest */
		json_t *vs;
		if ((rc = store_answer_versions_json(c->ctx->st, c->path_id, &text)))
			return api_store_error(c, rc, "answer");
		vs = api_take_json(text);
		to = json_integer_value(json_object_get(json_array_get(vs, 0), "version"));
		json_decref(vs);
	}
	rc = store_answer_diff_json(c->ctx->st, c->path_id, from, to, &text);
	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "no such version of this answer");
	if (rc)
		return api_store_error(c, rc, "answer");
	return api_reply(c, 200, api_take_json(text));
}

const struct api_field api_revert_fields[] = {
	{ "version", API_INTEGER, 1 },
	{ NULL, 0, 0 },
};

int api_h_answer_revert(struct api_call *c)
{
	int64_t to = json_integer_value(json_object_get(c->body, "version")), v = 0;
	struct store_who w = who_of(c);
	int missing = 0;
	int rc = store_answer_revert(c->ctx->st, c->path_id, to, &w, &v, &missing);

	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "no such version of this answer");
	if (rc)
		return change_error(c, rc, "title_taken",
				    "another answer has that version's title now");
	audit(c, "answer.revert", c->path_id, json_pack("{s:I, s:I, s:i}", "version",
							(json_int_t)v, "reverted_to", (json_int_t)to,
							"pictures_missing", missing));
	char *text = NULL;
	if ((rc = store_answer_json(c->ctx->st, c->path_id, &text)))
		return api_store_error(c, rc, "answer");
	json_t *j = api_take_json(text);
	return api_reply(c, 200, j ? json_pack("{s:o, s:i}", "answer", j, "pictures_missing",
					       missing) : NULL);
}

/* ---- import and export ---------------------------------------------------------------------- */

const struct api_field api_import_fields[] = {
	{ "format", API_STRING, 1 },
	{ "data", API_STRING, 1 },
	{ "domain", API_STRING, 0 },     /* rasa: the domain file's text */
	{ "dry_run", API_BOOLEAN, 0 },
	{ "replace", API_BOOLEAN, 0 },   /* delete the answers the file does not name */
	{ NULL, 0, 0 },
};

/* A Rasa NLU text (+ domain) as the kefu JSON import text (malloc'd) and the report of
 * what was left out (*report, malloc'd); NULL with why. */
static char *rasa_json(struct api_call *c, char **report, char *why, size_t whylen)
{
	const char *data = api_body_str(c, "data"), *domain = api_body_str(c, "domain");
	struct nlu_rasa_input in[2] = {
		{ .name = "nlu.yml", .buf = data, .len = strlen(data) },
		{ .name = "domain.yml", .buf = domain, .len = domain ? strlen(domain) : 0 },
	};
	struct nlu_rasa_counts counts;

	return nlu_rasa_import_json(in, domain ? 2 : 1, NULL, &counts, NULL, report, why, whylen);
}

int api_h_answers_import(struct api_call *c)
{
	const char *format = api_body_str(c, "format"), *data = api_body_str(c, "data");
	int dry = json_is_true(json_object_get(c->body, "dry_run"));
	int replace = json_is_true(json_object_get(c->body, "replace"));
	struct store_who w = who_of(c);
	char err[300], *report = NULL;
	json_t *j;
	int rc;

	char *mapped = NULL, *left_out = NULL;

	if (strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "rasa"))
		return api_error(c, 400, "invalid_value", "format is csv, json or rasa");
	if (json_object_get(c->body, "domain") && strcmp(format, "rasa"))
		return api_error(c, 400, "invalid_value", "domain goes with format rasa");
	if (!strcmp(format, "rasa")) {
		if (!(mapped = rasa_json(c, &left_out, err, sizeof err))) {
			free(left_out);
			return api_error(c, 400, "bad_import", "%s", err);
		}
		data = mapped;
		format = "json";
	}
	rc = store_import_plan(c->ctx->st, format, data, strlen(data), dry, replace, &w, &report,
			       err, sizeof err);
	free(mapped);
	if (rc) {
		free(left_out);
		return rc < 0 ? api_store_error(c, rc, "answer")
			      : api_error(c, 400, "bad_import", "%s", err);
	}
	if (!(j = api_take_json(report))) {
		free(left_out);
		return api_store_error(c, -1, "answer");
	}
	if (left_out)       /* what the Rasa project had that kefu does not carry */
		json_object_set_new(j, "report", json_string(left_out));
	free(left_out);
	format = api_body_str(c, "format");
	if (!dry)
		audit(c, "answers.import", 0, json_pack("{s:s, s:O, s:I, s:I}", "format", format,
							"counts", json_object_get(j, "counts"),
							"changed", (json_int_t)json_array_size(
								json_object_get(j, "changed")),
							"removed", (json_int_t)json_array_size(
								json_object_get(j, "removed"))));
	return api_reply(c, 200, j);
}

/* One CSV field (cm_csv_put), then its separator. */
static void csv_field(FILE *f, const char *s, int last)
{
	cm_csv_put(f, s);
	fputs(last ? "\r\n" : ",", f);
}

struct csv_out {
	struct store *st;
	FILE *f;
	const struct store_answer *a;
	int first;
};

static int csv_example(void *arg, const char *text)
{
	struct csv_out *o = arg;

	csv_field(o->f, text, 0);
	csv_field(o->f, o->a->title, 0);
	csv_field(o->f, o->first ? o->a->body : "", 1);
	o->first = 0;
	return 0;
}

static int csv_answer(void *arg, const struct store_answer *a)
{
	struct csv_out *o = arg;

	o->a = a;
	o->first = 1;
	return store_answer_examples_foreach(o->st, a->id, csv_example, o);
}

int api_h_answers_export(struct api_call *c)
{
	struct api_qparam qp[] = { { .name = "format" }, { .name = NULL } };
	const char *format;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (api_query_parse(c, qp))
		return 0;
	format = !qp[0].present || !strcmp(qp[0].value, "json") ? "json"
		 : !strcmp(qp[0].value, "csv") ? "csv"
		 : !strcmp(qp[0].value, "rasa") ? "rasa" : NULL;
	if (!format)
		return api_error(c, 400, "bad_query", "format is json, csv or rasa");
	if (!(f = open_memstream(&buf, &len)))
		return api_store_error(c, -1, "answer");
	if (!strcmp(format, "json")) {
		rc = store_export_json(c->ctx->st, f);
	} else if (!strcmp(format, "rasa")) {
		char err[300];
		if ((rc = nlu_rasa_export(c->ctx->st, f, err, sizeof err)))  /* kefu export's code */
			LOG_ERR("answers export (rasa): %s", err);
	} else {
		struct csv_out o = { c->ctx->st, f, NULL, 0 };
		fputs("question,answer_title,answer\r\n", f);
		rc = store_answers_foreach(c->ctx->st, csv_answer, &o);
	}
	if (fclose(f) || rc) {
		free(buf);
		return api_store_error(c, rc ? rc : -1, "answer");
	}
	free(c->res->body);
	c->res->status = 200;
	c->res->body = buf;
	c->res->body_len = len;
	snprintf(c->res->content_type, sizeof c->res->content_type, "%s",
		 !strcmp(format, "json") ? "application/json"
		 : !strcmp(format, "rasa") ? "application/x-yaml; charset=utf-8"
					    : "text/csv; charset=utf-8");
	snprintf(c->res->disposition, sizeof c->res->disposition,
		 "attachment; filename=\"kefu-answers.%s\"",
		 !strcmp(format, "rasa") ? "yml" : format);
	return 0;
}
