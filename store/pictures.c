/* store/pictures.c — reference and labelled pictures (schema v3 table `pictures`, see
 * migrate.c): the pictures answers illustrate and the labelled pictures that teach the
 * category head, with the embedding of each under the CNN that computed it.
 *
 * The picture search (vision/catalog.c) reads them all once at load; `kefu pictures`
 * and the demo seeding write them.  Statements are prepared per call (as in media.c):
 * they run a few times per load or per command, never per customer message.
 * Runs on the thread that owns the connection.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
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

/* Lowercase hex SHA-256 of data into hex[65]; 0 or -1. */
static int sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(len ? data : "", len, md, &n, EVP_sha256(), NULL) || n != 32)
		return -1;
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
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
	if (sha256_hex(data, len, hex))
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
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		if (id_out)
			*id_out = sqlite3_last_insert_rowid(st->db);
		rc = 0;
	} else {
		rc = store_fail(st, "adding a picture");
	}
	sqlite3_finalize(s);
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
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (read_row(s, with_data, out)) {
			store_picture_clear(out);
			snprintf(st->err, sizeof st->err, "reading a picture: out of memory");
			rc = -SQLITE_NOMEM;
		} else {
			rc = 0;
		}
	} else if (rc == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	} else {
		rc = store_fail(st, "reading a picture");
	}
	sqlite3_finalize(s);
	return rc;
}

int store_pictures_foreach(struct store *st, int with_data,
			   int (*cb)(void *arg, const struct store_picture *p), void *arg)
{
	sqlite3_stmt *s = NULL;
	struct store_picture p;
	int rc;

	if ((rc = prepare(st, with_data ? "SELECT " PIC_COLS ", data FROM pictures ORDER BY id"
					: "SELECT " PIC_COLS " FROM pictures ORDER BY id",
			  &s, "preparing the picture walk")))
		return rc;
	int step;
	rc = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_row(s, with_data, &p)) {
			store_picture_clear(&p);
			snprintf(st->err, sizeof st->err, "reading pictures: out of memory");
			rc = -SQLITE_NOMEM;
			break;
		}
		rc = cb(arg, &p);
		store_picture_clear(&p);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = store_fail(st, "walking the pictures");
	sqlite3_finalize(s);
	return rc;
}

int store_picture_count(struct store *st, int64_t *n_out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = prepare(st, "SELECT count(*) FROM pictures", &s, "preparing a picture count")))
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*n_out = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = store_fail(st, "counting pictures");
	}
	sqlite3_finalize(s);
	return rc;
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
	char **labels = NULL;
	size_t n_labels = 0;
	while ((rc = sqlite3_step(lab)) == SQLITE_ROW) {
		char **nl = realloc(labels, (n_labels + 1) * sizeof *labels);
		char *l = store_col_dup(lab, 0, 1);
		if (!nl || !l) {
			free(l);
			if (nl)
				labels = nl;
			rc = -SQLITE_NOMEM;
			break;
		}
		labels = nl;
		labels[n_labels++] = l;
	}
	if (rc != SQLITE_DONE) {
		rc = rc < 0 ? rc : store_fail(st, "reading the picture labels");
		goto out;
	}
	rc = 0;
	int64_t last_id = 0;
	int step;
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t aid = sqlite3_column_int64(s, 0);
		const char *tags = (const char *)sqlite3_column_text(s, 1);
		const char *own = (const char *)sqlite3_column_text(s, 2);
		if (own)
			rc = cb(arg, aid, own);
		if (aid == last_id)
			continue;          /* tags of this answer are done already */
		last_id = aid;
		for (size_t i = 0; i < n_labels && !rc; i++) {
			/* a label both owned and tagged is reported once (as owned) */
			if (tags_have(tags, labels[i]) && !(own && !strcmp(own, labels[i])))
				rc = cb(arg, aid, labels[i]);
		}
	}
	if (!rc && step != SQLITE_DONE)
		rc = store_fail(st, "walking the answers' pictures");
out:
	for (size_t i = 0; i < n_labels; i++)
		free(labels[i]);
	free(labels);
	sqlite3_finalize(lab);
	sqlite3_finalize(s);
	return rc;
}
