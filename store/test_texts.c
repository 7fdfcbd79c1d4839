/* store/test_texts.c — customer-facing texts: every default key has English and Chinese;
 * set / reset validate and persist; a snapshot is unchanged by later edits and a new one
 * sees them; a schema-3 database gains the table; language picking from words and from
 * Accept-Language; placeholder filling.  Main thread, a fresh database file. */
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "test_util.h"

struct count {
	int rows, custom, zh;
	char last[64];
	int sorted;
};

static int count_row(void *arg, const struct store_text_row *r)
{
	struct count *c = arg;
	char kl[64];

	snprintf(kl, sizeof kl, "%s/%s", r->key, r->lang);
	if (c->rows && strcmp(c->last, kl) >= 0)
		c->sorted = 0;
	snprintf(c->last, sizeof c->last, "%s", kl);
	c->rows++;
	c->custom += r->custom;
	CHECK(r->text[0] && r->default_text[0] && r->what[0]);
	if (!strcmp(r->lang, "zh")) {
		c->zh++;
		CHECK(!strcmp(store_text_lang(r->default_text), "zh"));   /* real Chinese */
	} else {
		CHECK(!strcmp(store_text_lang(r->default_text), "en"));
	}
	return 0;
}

int main(void)
{
	char err[256];
	const char *path = tu_path("t.db");
	struct store *st = store_open(path, err, sizeof err);

	CHECK(st != NULL);
	if (!st)
		return tu_finish("test_texts");
	CHECK(store_schema_latest() >= 4);

	/* the defaults: the texts kefu shipped with, both languages */
	const char *keys[] = { "greeting", "fallback", "no_match", "empty", "did_you_say",
			       "picture_refused", "handoff" };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		CHECK(store_text(NULL, keys[i], "en")[0] != '\0');
		CHECK(!strcmp(store_text_lang(store_text(NULL, keys[i], "zh")), "zh"));
	}
	CHECK(!strcmp(store_text(NULL, "fallback", "en"),
		      "I'm not sure I understood. Did you mean one of these?"));
	CHECK(!strcmp(store_text(NULL, "did_you_say", "en"), "Did you say \u201c{transcript}\u201d?"));
	CHECK(!strcmp(store_text(NULL, "greeting", "fr"), store_text(NULL, "greeting", "en")));
	CHECK(!strcmp(store_text(NULL, "no_such_key", "en"), ""));

	struct count c = { .sorted = 1 };
	CHECK_RC(st, store_texts_foreach(st, count_row, &c), 0);
	CHECK(c.rows == 26 && c.zh == 13 && c.custom == 0 && c.sorted);

	/* set: validated, then persisted; a snapshot made before keeps its texts */
	struct store_texts *before = store_texts_load(st);
	CHECK(before != NULL);
	CHECK_RC(st, store_text_set(st, "greeting", "en", "Hi! Ask me about your account."), 0);
	CHECK_RC(st, store_text_set(st, "greeting", "en", "Hi! Ask me anything."), 0);   /* again */
	CHECK_RC(st, store_text_set(st, "handoff", "zh", "请稍候，客服马上来。"), 0);
	CHECK_RC(st, store_text_set(st, "nope", "en", "x"), STORE_INVALID);
	CHECK(strstr(store_errmsg(st), "nope") != NULL);
	CHECK_RC(st, store_text_set(st, "greeting", "fr", "Bonjour"), STORE_INVALID);
	CHECK_RC(st, store_text_set(st, "greeting", "en", ""), STORE_INVALID);
	CHECK_RC(st, store_text_set(st, "greeting", "en", "bad \xC0\xAF utf-8"), STORE_INVALID);
	CHECK_RC(st, store_text_set(st, "did_you_say", "en", "Did you say that?"), STORE_INVALID);
	CHECK(strstr(store_errmsg(st), "{transcript}") != NULL);
	CHECK_RC(st, store_text_set(st, "did_you_say", "en", "Heard: {transcript}. Right?"), 0);
	char *big = malloc(STORE_TEXT_MAX + 2);
	memset(big, 'a', STORE_TEXT_MAX + 1);
	big[STORE_TEXT_MAX + 1] = '\0';
	CHECK_RC(st, store_text_set(st, "greeting", "zh", big), STORE_INVALID);
	free(big);
	CHECK(!strcmp(store_text(before, "greeting", "en"), store_text(NULL, "greeting", "en")));
	store_texts_free(before);
	store_close(st);

	st = store_open(path, err, sizeof err);     /* a new connection sees them */
	CHECK(st != NULL);
	struct store_texts *t = store_texts_load(st);
	CHECK(t && !strcmp(store_text(t, "greeting", "en"), "Hi! Ask me anything."));
	CHECK(t && !strcmp(store_text(t, "greeting", "zh"), store_text(NULL, "greeting", "zh")));
	CHECK(t && !strcmp(store_text(t, "handoff", "zh"), "请稍候，客服马上来。"));
	CHECK(t && !strcmp(store_text(t, "did_you_say", "en"), "Heard: {transcript}. Right?"));
	store_texts_free(t);
	c = (struct count){ .sorted = 1 };
	CHECK_RC(st, store_texts_foreach(st, count_row, &c), 0);
	CHECK(c.rows == 26 && c.custom == 3 && c.sorted);

	/* reset: back to the default; twice is "not found" */
	CHECK_RC(st, store_text_reset(st, "greeting", "en"), 0);
	CHECK_RC(st, store_text_reset(st, "greeting", "en"), STORE_NOT_FOUND);
	CHECK_RC(st, store_text_reset(st, "greeting", "de"), STORE_INVALID);
	t = store_texts_load(st);
	CHECK(t && !strcmp(store_text(t, "greeting", "en"), store_text(NULL, "greeting", "en")));
	store_texts_free(t);

	/* a row a newer kefu wrote under a key this build does not know is ignored */
	CHECK(sqlite3_exec(st->db, "INSERT INTO texts VALUES ('future_key', 'en', 'x', 0)", NULL,
			   NULL, NULL) == SQLITE_OK);
	t = store_texts_load(st);
	CHECK(t != NULL);
	store_texts_free(t);

	/* a schema-3 database (the migration steps stopped at 3) is upgraded to the texts
	 * table */
	store_close(st);
	unlink(path);
	st = store_open_version(path, 3, err, sizeof err);
	CHECK(st && store_schema_version(st) == 3);
	store_close(st);
	st = store_open(path, err, sizeof err);
	CHECK(st && store_schema_version(st) == store_schema_latest());
	CHECK_RC(st, store_text_set(st, "empty", "zh", "请输入您的问题。"), 0);
	store_close(st);

	/* languages */
	CHECK(!strcmp(store_text_lang("我的卡丢了"), "zh"));
	CHECK(!strcmp(store_text_lang("card 丢了"), "zh"));
	CHECK(!strcmp(store_text_lang("I lost my card — é"), "en"));
	CHECK(!strcmp(store_text_lang(NULL), "en"));
	CHECK(!strcmp(store_text_lang_accept("zh-CN,zh;q=0.9,en;q=0.8"), "zh"));
	CHECK(!strcmp(store_text_lang_accept("en-US,en;q=0.9,zh-CN;q=0.8"), "en"));
	CHECK(!strcmp(store_text_lang_accept("fr-FR, ZH-TW;q=0.5"), "zh"));
	CHECK(!strcmp(store_text_lang_accept("fr"), "en"));
	CHECK(!strcmp(store_text_lang_accept(""), "en"));
	CHECK(!strcmp(store_text_lang_accept(NULL), "en"));

	/* placeholders */
	char *f = store_text_fill("Did you say \u201c{transcript}\u201d?", "transcript", "i lost my card");
	CHECK(f && !strcmp(f, "Did you say \u201ci lost my card\u201d?"));
	free(f);
	f = store_text_fill("{x}{x} and {y}", "x", "ab");
	CHECK(f && !strcmp(f, "abab and {y}"));
	free(f);
	f = store_text_fill("none", "x", "ab");
	CHECK(f && !strcmp(f, "none"));
	free(f);
	return tu_finish("test_texts");
}
