/* store/test_io.c — CSV import (quoted fields, embedded newlines, Chinese, counts,
 * re-import as duplicates; a bad file changes nothing and names its line), and the
 * JSON export/import round trip (export, import into a fresh store, export again:
 * identical), JSON updates of existing answers, and bad JSON rejected whole. */
#include "store.h"
#include "test_util.h"

static char *export_to_string(struct store *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK_RC(st, store_export_json(st, f), 0);
	fclose(f);
	return buf;
}

static void counts(struct store *st, int64_t *answers, int64_t *examples)
{
	struct store_stats s;

	CHECK_RC(st, store_stats(st, &s), 0);
	*answers = s.answers;
	*examples = s.examples;
}

static void import_csv_str(struct store *st, const char *csv, int want_rc, const char *want_err)
{
	char err[256];
	struct store_import_result r;
	int rc = store_import_csv(st, csv, strlen(csv), &r, err, sizeof err);

	if (rc != want_rc || (want_err && !strstr(err, want_err))) {
		fprintf(stderr, "FAIL import of [%s]: rc %d err [%s], want %d [%s]\n", csv, rc, err,
			want_rc, want_err ? want_err : "");
		failures++;
	}
}

int main(void)
{
	char err[256];
	struct store *st = store_open(tu_path("io.db"), err, sizeof err);
	struct store_import_result r;
	struct store_answer a;
	int64_t id, na, ne, na2, ne2;
	size_t len;
	char *data;

	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	data = tu_read("store/testdata/import_ok.csv", &len);
	CHECK_RC(st, store_import_csv(st, data, len, &r, err, sizeof err), 0);
	CHECK(r.answers_added == 3 && r.examples_added == 4 && r.duplicates == 0);
	CHECK_RC(st, store_answer_find(st, "Reset password", &id), 0);
	CHECK_RC(st, store_answer_get(st, id, &a), 0);
	CHECK(!strcmp(a.body, "Open **Settings** → *Security*, then choose \"Reset\".\nYou will get an e-mail."));
	CHECK(!strcmp(a.lang, "en"));
	store_answer_clear(&a);
	CHECK_RC(st, store_answer_find(st, "重置密码", &id), 0);
	CHECK_RC(st, store_answer_get(st, id, &a), 0);
	CHECK(!strcmp(a.lang, "zh"));
	store_answer_clear(&a);
	CHECK_RC(st, store_answer_find(st, "Delivery status", &id), 0);
	CHECK_RC(st, store_example_add(st, id, "Where is my\nparcel?"), STORE_DUPLICATE);

	/* the same file again: nothing new */
	CHECK_RC(st, store_import_csv(st, data, len, &r, err, sizeof err), 0);
	CHECK(r.answers_added == 0 && r.examples_added == 0 && r.duplicates == 4);
	free(data);

	/* bad files change nothing */
	counts(st, &na, &ne);
	data = tu_read("store/testdata/import_bad.csv", &len);
	CHECK(store_import_csv(st, data, len, &r, err, sizeof err) != 0);
	CHECK(strstr(err, "line 3") != NULL);
	CHECK(r.answers_added == 0 && r.examples_added == 0);
	free(data);
	import_csv_str(st, "question,answer_title\nnew q,New answer\n", STORE_INVALID,
		       "line 2: no answer titled \"New answer\"");
	import_csv_str(st, "question,answer_title,answer\nq1,Fresh,Body\nq2\n", STORE_INVALID,
		       "line 3: 1 fields");
	import_csv_str(st, "question,title\nq,t\n", STORE_INVALID, "unknown column \"title\"");
	import_csv_str(st, "answer_title,answer\nt,b\n", STORE_INVALID, "must name question");
	import_csv_str(st, "", STORE_INVALID, "header");
	import_csv_str(st, "question,answer_title,answer\nq1,Fresh,Body\n,Fresh,\n", STORE_INVALID,
		       "line 3: example question is empty");
	import_csv_str(st, "question,answer_title,answer\nq1,Fresh,Body\nbad \xFF,Fresh,\n",
		       STORE_INVALID, "line 3: example question is not valid UTF-8");
	counts(st, &na2, &ne2);
	CHECK(na == na2 && ne == ne2);
	CHECK_RC(st, store_answer_find(st, "Fresh", &id), STORE_NOT_FOUND);
	/* columns in any order, header case-insensitive, CRLF */
	import_csv_str(st, "Answer_Title,Question\r\nReset password,reset pw please\r\n", 0, NULL);

	/* disable one answer so the round trip carries the flag */
	CHECK_RC(st, store_answer_find(st, "Delivery status", &id), 0);
	CHECK_RC(st, store_answer_get(st, id, &a), 0);
	a.enabled = 0;
	free(a.tags);
	a.tags = strdup("orders,delivery");
	CHECK_RC(st, store_answer_update(st, &a), 0);
	store_answer_clear(&a);

	/* JSON round trip */
	char *exp1 = export_to_string(st);
	struct store *st2 = store_open(tu_path("io2.db"), err, sizeof err);
	CHECK_RC(st2, store_import_json(st2, exp1, strlen(exp1), &r, err, sizeof err), 0);
	CHECK(r.answers_added == 3 && r.examples_added == 5);
	char *exp2 = export_to_string(st2);
	CHECK(exp1 && exp2 && !strcmp(exp1, exp2));
	CHECK(strstr(exp1, "\"format\": \"kefu-answers\"") != NULL);
	CHECK(strstr(exp1, "\"enabled\":false") != NULL);
	/* importing the export into its own store adds nothing */
	CHECK_RC(st, store_import_json(st, exp1, strlen(exp1), &r, err, sizeof err), 0);
	CHECK(r.answers_added == 0 && r.answers_updated == 0 && r.examples_added == 0 && r.duplicates == 5);

	/* a dry run counts what it would do and changes nothing */
	const char *dry = "[{\"title\":\"Dry answer\",\"body\":\"x\",\"examples\":[\"dry q\"]}]";
	char *before = export_to_string(st);
	CHECK_RC(st, store_import_json_ex(st, dry, strlen(dry), 1, &r, err, sizeof err), 0);
	CHECK(r.answers_added == 1 && r.examples_added == 1);
	char *after = export_to_string(st);
	CHECK(before && after && !strcmp(before, after));
	free(before);
	free(after);

	/* JSON import updates a changed body; bare arrays and "questions" work */
	const char *upd = "[{\"title\":\"Reset password\",\"body\":\"New text\",\"lang\":\"en\","
			  "\"questions\":[\"pw reset\"]},{\"title\":\"营业时间\",\"body\":\"9点\","
			  "\"lang\":\"zh\",\"examples\":[\"几点开门\"]}]";
	CHECK_RC(st2, store_import_json(st2, upd, strlen(upd), &r, err, sizeof err), 0);
	CHECK(r.answers_added == 1 && r.answers_updated == 1 && r.examples_added == 2);
	CHECK_RC(st2, store_answer_find(st2, "Reset password", &id), 0);
	CHECK_RC(st2, store_answer_get(st2, id, &a), 0);
	CHECK(!strcmp(a.body, "New text"));
	store_answer_clear(&a);

	/* bad JSON: rejected whole */
	counts(st2, &na, &ne);
	const char *bad[] = {
		"{\"answers\": [",
		"{\"format\": \"other\", \"answers\": []}",
		"{\"answers\": [{\"title\": \"A new one\", \"body\": \"b\", \"examples\": [\"ok\"]},"
		" {\"title\": \"No body here\"}]}",
		"[{\"title\": \"X\", \"body\": \"b\", \"examples\": [\"ok\", 5]}]",
		"[{\"title\": 5, \"body\": \"b\"}]",
		"42",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = store_import_json(st2, bad[i], strlen(bad[i]), &r, err, sizeof err);
		if (rc == 0 || !err[0]) {
			fprintf(stderr, "FAIL bad JSON %zu accepted (%s)\n", i, err);
			failures++;
		}
	}
	counts(st2, &na2, &ne2);
	CHECK(na == na2 && ne == ne2);
	CHECK_RC(st2, store_answer_find(st2, "A new one", &id), STORE_NOT_FOUND);

	free(exp1);
	free(exp2);
	store_close(st2);
	store_close(st);
	return tu_finish("test_io");
}
