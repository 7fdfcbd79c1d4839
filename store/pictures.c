/* store/pictures.c — reference and labelled pictures (schema v3 table `pictures`, see
 * migrate.c): the pictures answers illustrate and the labelled pictures that teach the
 * category head, with the embedding of each under the CNN that computed it.
 *
 * The picture search (vision/catalog.c) reads them all once at load; `kefu pictures`
 * and the demo seeding write them.  Statements are prepared per call (as in media.c):
 * they run a few times per load or per command, never per customer message.
 * Runs on the thread that owns the connection.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hash.h"
#include "store_int.h"

#define PIC_COLS "id, answer_id, label, source, sha256, embed_model, embedding"

void store_picture_clear(struct store_picture *p)
{
	if (!p)
		return;
	free(p->label);
	free(p->source);
	free(p->data);
	free(p->embed_model);
	free(p->embedding);
	memset(p, 0, sizeof *p);
}

static int prepare(struct store *st, const char *sql, sqlite3_stmt **s, const char *what)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
		return store_fail(st, what);
	return 0;
}

int store_picture_add(struct store *st, int64_t answer_id, const char *label,
		      const char *source, const void *data, size_t len, int64_t *id_out)
{
	sqlite3_stmt *s = NULL;
	char hex[65];
	int rc;

	if (!label)
		label = "";
	if (!source)
		source = "";
	if ((rc = store_check_text(st, "picture label", label, 100, 0)) ||
	    (rc = store_check_text(st, "picture source", source, 1000, 0)))
		return rc;
	if (!answer_id && !label[0])
		return store_invalid(st, "picture: an answer or a label is required");
	if (!data || !len)
		return store_invalid(st, "picture: no data");
	if (cm_sha256_hex(data, len, hex))
		return store_invalid(st, "picture: SHA-256 failed");
	if ((rc = prepare(st, "SELECT id FROM pictures WHERE sha256 = ?1", &s,
			  "preparing a picture look-up")))
		return rc;
	store_bind_text(s, 1, hex);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (id_out)
			*id_out = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		snprintf(st->err, sizeof st->err, "picture: the same bytes are stored already");
		return STORE_DUPLICATE;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "looking up a picture");
	if (answer_id) {
		if ((rc = prepare(st, "SELECT 1 FROM answers WHERE id = ?1", &s,
				  "preparing an answer look-up")))
			return rc;
		sqlite3_bind_int64(s, 1, answer_id);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE) {
			snprintf(st->err, sizeof st->err, "picture: no answer %lld",
				 (long long)answer_id);
			return STORE_NOT_FOUND;
		}
		if (rc != SQLITE_ROW)
			return store_fail(st, "looking up an answer");
	}
	if ((rc = prepare(st, "INSERT INTO pictures (answer_id, label, source, sha256, data,"
			  " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &s,
			  "preparing a picture insert")))
		return rc;
	if (answer_id)
		sqlite3_bind_int64(s, 1, answer_id);
	else
		sqlite3_bind_null(s, 1);
	store_bind_text(s, 2, label);
	store_bind_text(s, 3, source);
	store_bind_text(s, 4, hex);
	sqlite3_bind_blob64(s, 5, data, len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, cm_wall_ms());
	rc = store_write_once(st, s, "adding a picture", NULL);
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return rc;
}

/* Fills out from the row at s (PIC_COLS, then data at column 7 when with_data). */
static int read_row(sqlite3_stmt *s, int with_data, struct store_picture *out)
{
	const char *sha = (const char *)sqlite3_column_text(s, 4);
	int n;

	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(s, 0);
	out->answer_id = sqlite3_column_int64(s, 1);
	out->label = store_col_dup(s, 2, 1);
	out->source = store_col_dup(s, 3, 1);
	snprintf(out->sha256, sizeof out->sha256, "%s", sha ? sha : "");
	out->embed_model = store_col_dup(s, 5, 0);
	if (!out->label || !out->source)
		return -1;
	n = sqlite3_column_bytes(s, 6);
	if (out->embed_model && n >= (int)sizeof(float)) {
		out->dim = n / (int)sizeof(float);
		if (!(out->embedding = malloc((size_t)n)))
			return -1;
		memcpy(out->embedding, sqlite3_column_blob(s, 6), (size_t)out->dim * sizeof(float));
	} else {
		free(out->embed_model);
		out->embed_model = NULL;
	}
	if (with_data) {
		n = sqlite3_column_bytes(s, 7);
		out->len = (size_t)n;
		if (!(out->data = malloc(n > 0 ? (size_t)n : 1)))
			return -1;
		if (n > 0)
			memcpy(out->data, sqlite3_column_blob(s, 7), (size_t)n);
	}
	return 0;
}

int store_picture_get(struct store *st, int64_t id, int with_data, struct store_picture *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = prepare(st, "SELECT " PIC_COLS ", data FROM pictures WHERE id = ?1", &s,
			  "preparing a picture look-up")))
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = store_step_one(st, s, "reading a picture");
	if (rc == 0 && read_row(s, with_data, out)) {
		store_picture_clear(out);
		snprintf(st->err, sizeof st->err, "reading a picture: out of memory");
		rc = -SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	return rc;
}

struct picture_walk {
	struct store *st;
	int with_data;
	int (*cb)(void *arg, const struct store_picture *p);
	void *arg;
};

static int picture_row(void *arg, sqlite3_stmt *s)
{
	struct picture_walk *w = arg;
	struct store_picture p;
	int rc;

	if (read_row(s, w->with_data, &p)) {
		store_picture_clear(&p);
		snprintf(w->st->err, sizeof w->st->err, "reading pictures: out of memory");
		return -SQLITE_NOMEM;
	}
	rc = w->cb(w->arg, &p);
	store_picture_clear(&p);
	return rc;
}

int store_pictures_foreach(struct store *st, int with_data,
			   int (*cb)(void *arg, const struct store_picture *p), void *arg)
{
	sqlite3_stmt *s = NULL;
	struct picture_walk w = { st, with_data, cb, arg };
	int rc;

	if ((rc = prepare(st, with_data ? "SELECT " PIC_COLS ", data FROM pictures ORDER BY id"
					: "SELECT " PIC_COLS " FROM pictures ORDER BY id",
			  &s, "preparing the picture walk")))
		return rc;
	rc = store_rows(st, s, "walking the pictures", picture_row, &w);
	sqlite3_finalize(s);
	return rc;
}

int store_picture_count(struct store *st, int64_t *n_out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = prepare(st, "SELECT count(*) FROM pictures", &s, "preparing a picture count")))
		return rc;
	return store_one_int64(st, s, "counting pictures", n_out);
}

/* Runs a one-row UPDATE/DELETE s; STORE_NOT_FOUND when it touched no row. */
static int write_one(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_DONE)
		rc = sqlite3_changes(st->db) ? 0 : STORE_NOT_FOUND;
	else
		rc = store_fail(st, what);
	sqlite3_finalize(s);
	return rc;
}

int store_picture_set_embedding(struct store *st, int64_t id, const char *model,
				const float *v, int dim)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (!model || !model[0] || !v || dim <= 0)
		return store_invalid(st, "picture embedding: model, vector and size required");
	if ((rc = prepare(st, "UPDATE pictures SET embed_model = ?2, embedding = ?3 WHERE id = ?1",
			  &s, "preparing a picture embedding update")))
		return rc;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, model);
	sqlite3_bind_blob64(s, 3, v, (sqlite3_uint64)dim * sizeof(float), SQLITE_STATIC);
	return write_one(st, s, "storing a picture embedding");
}

int store_picture_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = prepare(st, "DELETE FROM pictures WHERE id = ?1", &s,
			  "preparing a picture delete")))
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return write_one(st, s, "deleting a picture");
}

/* 1 when the comma-separated list tags has the element label (spaces around ignored). */
static int tags_have(const char *tags, const char *label)
{
	size_t n = strlen(label);

	while (tags && *tags) {
		while (*tags == ' ' || *tags == ',')
			tags++;
		const char *end = strchr(tags, ',');
		size_t len = end ? (size_t)(end - tags) : strlen(tags);
		while (len && tags[len - 1] == ' ')
			len--;
		if (len == n && !memcmp(tags, label, n))
			return 1;
		tags = end;
	}
	return 0;
}

/* The walk of store_picture_answers_foreach: every picture label, then the answers. */
struct label_walk {
	char **labels;
	size_t n_labels;
	int64_t last_id;          /* answer whose tags were matched last */
	int (*cb)(void *arg, int64_t answer_id, const char *label);
	void *arg;
};

static int label_row(void *arg, sqlite3_stmt *s)
{
	struct label_walk *w = arg;
	char **nl = realloc(w->labels, (w->n_labels + 1) * sizeof *w->labels);
	char *l = store_col_dup(s, 0, 1);

	if (nl)
		w->labels = nl;
	if (!nl || !l) {
		free(l);
		return -SQLITE_NOMEM;
	}
	w->labels[w->n_labels++] = l;
	return 0;
}

static int answer_label_row(void *arg, sqlite3_stmt *s)
{
	struct label_walk *w = arg;
	int64_t aid = sqlite3_column_int64(s, 0);
	const char *tags = (const char *)sqlite3_column_text(s, 1);
	const char *own = (const char *)sqlite3_column_text(s, 2);
	int rc = 0;

	if (own)
		rc = w->cb(w->arg, aid, own);
	if (aid == w->last_id)
		return rc;             /* tags of this answer are done already */
	w->last_id = aid;
	for (size_t i = 0; i < w->n_labels && !rc; i++) {
		/* a label both owned and tagged is reported once (as owned) */
		if (tags_have(tags, w->labels[i]) && !(own && !strcmp(own, w->labels[i])))
			rc = w->cb(w->arg, aid, w->labels[i]);
	}
	return rc;
}

int store_picture_answers_foreach(struct store *st,
				  int (*cb)(void *arg, int64_t answer_id, const char *label),
				  void *arg)
{
	sqlite3_stmt *s = NULL, *lab = NULL;
	int rc;

	/* own pictures' labels, and tags listing a label, merged and ordered in SQL; the
	 * tag test is done here in C on the candidate rows (tags are short) */
	if ((rc = prepare(st, "SELECT DISTINCT label FROM pictures WHERE label <> '' ORDER BY label",
			  &lab, "preparing the picture labels")))
		return rc;
	if ((rc = prepare(st, "SELECT a.id, a.tags, p.label FROM answers a"
			  " LEFT JOIN (SELECT DISTINCT answer_id, label FROM pictures"
			  "  WHERE answer_id IS NOT NULL AND label <> '') p ON p.answer_id = a.id"
			  " WHERE a.enabled = 1 ORDER BY a.id", &s, "preparing the answer walk"))) {
		sqlite3_finalize(lab);
		return rc;
	}
	struct label_walk w = { .cb = cb, .arg = arg };
	if (!(rc = store_rows(st, lab, "reading the picture labels", label_row, &w)))
		rc = store_rows(st, s, "walking the answers' pictures", answer_label_row, &w);
	for (size_t i = 0; i < w.n_labels; i++)
		free(w.labels[i]);
	free(w.labels);
	sqlite3_finalize(lab);
	sqlite3_finalize(s);
	return rc;
}
