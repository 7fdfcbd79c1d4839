/* store/seed.c — seeding the demo answer store (a bank's customer-service desk).
 *
 * The demo is built from three files embedded in the library at build time (see
 * store/embed.py and store/meson.build), so kefud needs no data files at run time:
 *   banking77.csv           BANKING77 training questions `text,category` (CC BY 4.0,
 *                           Casanueva et al. 2020), verbatim;
 *   banking77_answers.json  one answer per category: [{category, title, body, tags}];
 *   zh.json                 the Chinese section: [{title, body, tags, questions: [...]}].
 *   clothing.json           the shop's clothing catalogue: per garment kind K, the answers
 *                           "Returning K", "Sizing K", "Caring for K" (tagged with K), each
 *                           with the same generic questions for every K plus its own;
 *   pic_K_*.jpg             400 CC0 clothing photos (clothing-dataset-small train split,
 *                           its files unchanged), stored label-only with label K: the
 *                           answers tagged K are the ones they illustrate (store.h).
 * Each BANKING77 category becomes an English answer whose examples are all its training
 * questions; each zh.json entry becomes a Chinese answer.  Everything is written in one
 * transaction, so a failed seed leaves the store empty.  Runs on the thread that owns
 * the connection (kefud's start-up or the CLI).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "csv.h"
#include "log.h"
#include "store_int.h"

struct category {
	const char *name;       /* points into the parsed JSON */
	int64_t answer_id;
	int64_t n_examples;
};

struct seed_job {
	const char *csv, *en, *zh;
	size_t csv_len, en_len, zh_len;
	struct store_import_result *res;
	char *err;
	size_t errlen;
	json_t *en_doc, *zh_doc;
	struct category *cats;
	size_t n_cats;
};

static json_t *load_array(struct seed_job *j, const char *what, const char *data, size_t len)
{
	json_error_t jerr;
	json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!doc) {
		snprintf(j->err, j->errlen, "%s: line %d: %s", what, jerr.line, jerr.text);
		return NULL;
	}
	if (!json_is_array(doc)) {
		snprintf(j->err, j->errlen, "%s: not a JSON array", what);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int add_answer(struct seed_job *j, struct store *st, const char *what, size_t idx,
		      json_t *o, const char *lang, int64_t *id)
{
	const char *title = json_string_value(json_object_get(o, "title"));
	const char *body = json_string_value(json_object_get(o, "body"));
	const char *tags = json_string_value(json_object_get(o, "tags"));
	int rc = store_answer_add(st, title, body, lang, tags ? tags : "", id);

	if (rc == 0)
		j->res->answers_added++;
	else
		snprintf(j->err, j->errlen, "%s[%zu]: %s", what, idx, store_errmsg(st));
	return rc;
}

static int add_example(struct seed_job *j, struct store *st, int64_t aid, const char *text)
{
	int rc = store_example_add(st, aid, text);

	if (rc == 0)
		j->res->examples_added++;
	else if (rc == STORE_DUPLICATE)
		j->res->duplicates++;
	else
		return rc;
	return 0;
}

static int seed_english(struct seed_job *j, struct store *st)
{
	size_t n = json_array_size(j->en_doc), i;
	json_t *o;
	struct cm_csv r;
	int rc;

	j->cats = calloc(n ? n : 1, sizeof *j->cats);
	if (!j->cats)
		return -SQLITE_NOMEM;
	json_array_foreach(j->en_doc, i, o) {
		const char *cat = json_string_value(json_object_get(o, "category"));
		if (!cat || !*cat) {
			snprintf(j->err, j->errlen, "banking77_answers.json[%zu]: no category", i);
			return STORE_INVALID;
		}
		for (size_t k = 0; k < j->n_cats; k++)
			if (!strcmp(j->cats[k].name, cat)) {
				snprintf(j->err, j->errlen, "banking77_answers.json[%zu]: category "
					 "%s appears twice", i, cat);
				return STORE_INVALID;
			}
		j->cats[j->n_cats].name = cat;
		if ((rc = add_answer(j, st, "banking77_answers.json", i, o, "en",
				     &j->cats[j->n_cats].answer_id)))
			return rc;
		j->n_cats++;
	}

	cm_csv_init(&r, j->csv, j->csv_len);
	rc = cm_csv_next(&r);
	if (rc != 1 || r.n_fields != 2 || strcmp(r.fields[0], "text") ||
	    strcmp(r.fields[1], "category")) {
		snprintf(j->err, j->errlen, "banking77.csv: %s", rc < 0 ? r.err :
			 "the header must be text,category");
		cm_csv_free(&r);
		return STORE_INVALID;
	}
	struct category *last = NULL;
	while ((rc = cm_csv_next(&r)) == 1) {
		if (r.n_fields != 2) {
			snprintf(j->err, j->errlen, "banking77.csv: line %d: %zu fields", r.line,
				 r.n_fields);
			rc = STORE_INVALID;
			break;
		}
		/* the file is grouped by category: try the previous one first */
		if (!last || strcmp(last->name, r.fields[1])) {
			last = NULL;
			for (size_t k = 0; k < j->n_cats && !last; k++)
				if (!strcmp(j->cats[k].name, r.fields[1]))
					last = &j->cats[k];
		}
		if (!last) {
			snprintf(j->err, j->errlen, "banking77.csv: line %d: category %s has no "
				 "answer in banking77_answers.json", r.line, r.fields[1]);
			rc = STORE_INVALID;
			break;
		}
		if ((rc = add_example(j, st, last->answer_id, r.fields[0]))) {
			snprintf(j->err, j->errlen, "banking77.csv: line %d: %s", r.line,
				 store_errmsg(st));
			break;
		}
		last->n_examples++;
	}
	if (rc < 0 && !j->err[0])
		snprintf(j->err, j->errlen, "banking77.csv: %s", r.err);
	cm_csv_free(&r);
	if (rc)
		return rc < 0 ? rc : STORE_INVALID;
	for (size_t k = 0; k < j->n_cats; k++)
		if (!j->cats[k].n_examples) {
			snprintf(j->err, j->errlen, "category %s has no questions in banking77.csv",
				 j->cats[k].name);
			return STORE_INVALID;
		}
	return 0;
}

static int seed_chinese(struct seed_job *j, struct store *st)
{
	size_t i;
	json_t *o;
	int rc;

	json_array_foreach(j->zh_doc, i, o) {
		json_t *qs = json_object_get(o, "questions");
		int64_t aid;
		size_t k;
		json_t *q;

		if (!json_is_array(qs) || json_array_size(qs) == 0) {
			snprintf(j->err, j->errlen, "zh.json[%zu]: no questions", i);
			return STORE_INVALID;
		}
		if ((rc = add_answer(j, st, "zh.json", i, o, "zh", &aid)))
			return rc;
		json_array_foreach(qs, k, q) {
			if ((rc = add_example(j, st, aid, json_string_value(q)))) {
				snprintf(j->err, j->errlen, "zh.json[%zu].questions[%zu]: %s", i, k,
					 store_errmsg(st));
				return rc;
			}
		}
	}
	return 0;
}

static int seed_all(void *arg, struct store *st)
{
	struct seed_job *j = arg;
	int rc = seed_english(j, st);

	return rc ? rc : seed_chinese(j, st);
}

int store_seed(struct store *st, const char *csv, size_t csv_len, const char *en_json,
	       size_t en_len, const char *zh_json, size_t zh_len,
	       struct store_import_result *res, char *err, size_t errlen)
{
	struct store_import_result tmp;
	struct seed_job j = { .csv = csv, .en = en_json, .zh = zh_json, .csv_len = csv_len,
			      .en_len = en_len, .zh_len = zh_len, .res = res ? res : &tmp,
			      .err = err, .errlen = errlen };
	int rc = STORE_INVALID;

	memset(j.res, 0, sizeof *j.res);
	err[0] = '\0';
	if (!(j.en_doc = load_array(&j, "banking77_answers.json", en_json, en_len)) ||
	    !(j.zh_doc = load_array(&j, "zh.json", zh_json, zh_len)))
		goto out;
	rc = store_transaction(st, seed_all, &j);
	if (rc && !err[0])
		snprintf(err, errlen, "%s", store_errmsg(st));
	if (rc)
		memset(j.res, 0, sizeof *j.res);
out:
	free(j.cats);
	json_decref(j.en_doc);
	json_decref(j.zh_doc);
	return rc;
}

/* The clothing catalogue (clothing.json + the embedded pic_LABEL_*.jpg photos). */
struct clothing_job {
	const char *json;
	size_t len;
	struct store_import_result *res;
	char *err;
	size_t errlen;
	int64_t pictures;
};

static int seed_clothing(void *arg, struct store *st)
{
	struct clothing_job *cj = arg;
	struct seed_job j = { .res = cj->res, .err = cj->err, .errlen = cj->errlen };
	json_error_t jerr;
	json_t *doc = json_loadb(cj->json, cj->len, JSON_REJECT_DUPLICATES, &jerr), *o;
	json_t *generic = json_object_get(doc, "generic");
	json_t *answers = json_object_get(doc, "answers");
	size_t i, k;
	int rc = STORE_INVALID;

	if (!doc || !json_is_object(generic) || !json_is_array(answers)) {
		snprintf(cj->err, cj->errlen, "clothing.json: %s", doc ? "needs generic and answers"
								       : jerr.text);
		goto out;
	}
	json_array_foreach(answers, i, o) {
		const char *kind = json_string_value(json_object_get(o, "kind"));
		json_t *lists[2] = { json_object_get(generic, kind ? kind : ""),
				     json_object_get(o, "questions") }, *q;
		int64_t aid;

		if (!json_is_array(lists[0]) || !json_is_array(lists[1])) {
			snprintf(cj->err, cj->errlen, "clothing.json: answers[%zu]: kind or questions "
				 "missing", i);
			rc = STORE_INVALID;
			goto out;
		}
		if ((rc = add_answer(&j, st, "clothing.json", i, o, "en", &aid)))
			goto out;
		for (int l = 0; l < 2; l++)
			json_array_foreach(lists[l], k, q)
				if ((rc = add_example(&j, st, aid, json_string_value(q)))) {
					snprintf(cj->err, cj->errlen, "clothing.json: answers[%zu]: %s",
						 i, store_errmsg(st));
					goto out;
				}
	}
	for (size_t f = 0; f < store_embedded_count; f++) {
		const struct store_embedded *e = &store_embedded_files[f];
		char label[64];
		const char *us;
		size_t n;

		if (strncmp(e->name, "pic_", 4) || !(us = strchr(e->name + 4, '_')) ||
		    (n = (size_t)(us - e->name - 4)) >= sizeof label)
			continue;
		memcpy(label, e->name + 4, n);
		label[n] = '\0';
		rc = store_picture_add(st, 0, label, e->name, e->data, e->len, NULL);
		if (rc && rc != STORE_DUPLICATE) {
			snprintf(cj->err, cj->errlen, "%s: %s", e->name, store_errmsg(st));
			goto out;
		}
		cj->pictures += rc == 0;
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

static const struct store_embedded *embedded(const char *name)
{
	for (size_t i = 0; i < store_embedded_count; i++)
		if (!strcmp(store_embedded_files[i].name, name))
			return &store_embedded_files[i];
	return NULL;
}

int store_seed_demo(struct store *st, char *err, size_t errlen)
{
	const struct store_embedded *csv = embedded("banking77.csv");
	const struct store_embedded *en = embedded("banking77_answers.json");
	const struct store_embedded *zh = embedded("zh.json");

	if (!csv || !en || !zh) {
		snprintf(err, errlen, "this build has no embedded demo data");
		return STORE_INVALID;
	}
	const struct store_embedded *cl = embedded("clothing.json");
	struct store_import_result res, cres = { 0 };
	struct clothing_job cj = { .json = cl ? cl->data : NULL, .len = cl ? cl->len : 0,
				   .res = &cres, .err = err, .errlen = errlen };
	uint64_t t0 = cm_now_us();
	int rc = store_seed(st, csv->data, csv->len, en->data, en->len, zh->data, zh->len, &res,
			    err, errlen);

	/* the clothing catalogue in its own transaction: a store whose bank demo seeded
	 * but whose catalogue failed still answers (the failure is logged and returned) */
	if (rc == 0 && cl && (rc = store_transaction(st, seed_clothing, &cj)) && !err[0])
		snprintf(err, errlen, "clothing catalogue: %s", store_errmsg(st));
	if (rc == 0)
		LOG_INFO("seeded the demo store: %lld answers, %lld example questions "
			 "(%lld duplicates skipped), clothing catalogue %lld answers, %lld "
			 "questions, %lld pictures, in %.0f ms", (long long)res.answers_added,
			 (long long)res.examples_added, (long long)res.duplicates,
			 (long long)cres.answers_added, (long long)cres.examples_added,
			 (long long)cj.pictures, (double)(cm_now_us() - t0) / 1000.0);
	return rc;
}
