/* nlu/test_extras.c — variants, buttons and synonyms from a real store to the bot's
 * reply: a temporary SQLite file filled by store_import_json (the format kefu import
 * writes), nlu_bot_load, then questions.  An answer with variants gives its body and
 * variants in turn; an answer with buttons offers them as quick replies, and a button's
 * words select its target; a synonym turns a customer's word into the store's wording
 * before the bot reads it (and without it the same question finds nothing); the export
 * gives the extras back. */
#include "nlu_int.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static const char doc[] =
	"{\"answers\": ["
	" {\"title\": \"Greeting\", \"body\": \"Hi! How can I help?\","
	"  \"variants\": [\"Hello! What can I do for you?\", \"Good day! Ask me anything.\"],"
	"  \"examples\": [\"hello\", \"hi there\", \"good morning\"]},"
	" {\"title\": \"Lost or stolen card\", \"body\": \"Freeze your card in the app.\","
	"  \"quick_replies\": [{\"title\": \"Freeze it\", \"answer\": \"Anything else\"},"
	"   {\"title\": \"Nobody\", \"answer\": \"No such answer\"}],"
	"  \"examples\": [\"I lost my card\", \"my card was stolen\", \"card gone\"]},"
	" {\"title\": \"Anything else\", \"body\": \"Is there anything else I can do?\","
	"  \"examples\": [\"yes please\", \"ok do it\"]},"
	" {\"title\": \"Opening hours\", \"body\": \"9 to 5 on weekdays.\","
	"  \"examples\": [\"when are you open\", \"opening hours\"]}],"
	" \"synonyms\": {\"Plastic\": \"card\", \"misplaced\": \"lost\", \"银行卡\": \"card\"}}";

static int64_t id_of(struct store *st, const char *title)
{
	int64_t id = 0;
	CHECK(store_answer_find(st, title, &id) == 0);
	return id;
}

static void ask(const struct nlu_bot *bot, struct nlu_state *s, const char *q,
		struct nlu_reply *r)
{
	nlu_bot_reply(bot, s, q, strlen(q), r);
}

int main(void)
{
	char dir[] = "/tmp/kefu-extras-XXXXXX", path[64], err[256];
	struct nlu_opts opts = { .threshold = 0.35 };
	struct store_import_result res;
	struct nlu_reply r;

	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	snprintf(path, sizeof path, "%s/test.db", dir);
	struct store *st = store_open(path, err, sizeof err);
	if (!st)
		return fprintf(stderr, "store_open: %s\n", err), 1;
	CHECK(store_import_json(st, doc, strlen(doc), &res, err, sizeof err) == 0);
	CHECK(res.answers_added == 4);
	/* importing the same file again changes nothing */
	CHECK(store_import_json(st, doc, strlen(doc), &res, err, sizeof err) == 0);
	CHECK(res.answers_added == 0);

	struct nlu_bot *bot = nlu_bot_load(st, &opts, err, sizeof err);
	CHECK(bot != NULL);
	if (!bot)
		return fprintf(stderr, "load: %s\n", err), 1;
	struct nlu_state *s = nlu_state_create(bot);
	int64_t greet = id_of(st, "Greeting"), lost = id_of(st, "Lost or stolen card"),
		more = id_of(st, "Anything else");

	/* variants in turn: body, then each variant, then the body again */
	const char *seen[4];
	for (int i = 0; i < 4; i++) {
		ask(bot, s, "hello", &r);
		CHECK(r.answer_id == greet);
		seen[i] = r.text;
	}
	CHECK(!strcmp(seen[0], "Hi! How can I help?"));
	CHECK(!strcmp(seen[1], "Hello! What can I do for you?"));
	CHECK(!strcmp(seen[2], "Good day! Ask me anything."));
	CHECK(!strcmp(seen[3], "Hi! How can I help?"));

	/* buttons: offered as quick replies (the one whose target does not exist dropped),
	 * and the button's words select its target */
	ask(bot, s, "I lost my card", &r);
	CHECK(r.answer_id == lost && !r.fallback && r.n_quick == 1);
	CHECK(r.n_quick == 1 && r.quick[0].answer_id == more &&
	      !strcmp(r.quick[0].title, "Freeze it"));
	ask(bot, s, "Freeze it", &r);
	CHECK(r.answer_id == more && r.confidence == 1.0);
	ask(bot, s, "when are you open", &r);
	CHECK(r.n_quick == 0);

	/* synonyms: the customer's words become the store's before the bot reads them
	 * (case-insensitive, whole Latin words, CJK anywhere) */
	size_t len = strlen("My PLASTIC is misplaced, plasticity");
	const char *t = nlu_synonyms_apply(bot, s, "My PLASTIC is misplaced, plasticity", &len);
	CHECK(!strcmp(t, "My card is lost, plasticity") && len == strlen(t));
	len = strlen("我的银行卡丢了");
	t = nlu_synonyms_apply(bot, s, "我的银行卡丢了", &len);
	CHECK(!strcmp(t, "我的card丢了"));
	len = 5;
	CHECK(!strcmp(nlu_synonyms_apply(bot, s, "hello", &len), "hello"));
	ask(bot, s, "misplaced plastic", &r);
	CHECK(r.answer_id == lost && !r.fallback);
	nlu_state_destroy(s);
	nlu_bot_unref(bot);

	/* ... and without the synonyms the same words find nothing */
	char path2[80];
	snprintf(path2, sizeof path2, "%s/plain.db", dir);
	struct store *st2 = store_open(path2, err, sizeof err);
	char *plain = strdup(doc);
	*strstr(plain, "], \"synonyms\"") = '\0';
	strcat(plain, "]}");
	CHECK(store_import_json(st2, plain, strlen(plain), &res, err, sizeof err) == 0);
	bot = nlu_bot_load(st2, &opts, err, sizeof err);
	CHECK(bot != NULL);
	s = nlu_state_create(bot);
	ask(bot, s, "misplaced plastic", &r);
	CHECK(r.answer_id != lost);
	nlu_state_destroy(s);
	nlu_bot_unref(bot);
	free(plain);
	store_close(st2);

	/* the export carries the extras back */
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	CHECK(store_export_json(st, f) == 0);
	fclose(f);
	CHECK(buf && strstr(buf, "\"variants\":[\"Hello! What can I do for you?\""));
	CHECK(buf && strstr(buf, "\"quick_replies\":[{\"title\":\"Freeze it\","
			    "\"answer\":\"Anything else\"}"));
	CHECK(buf && strstr(buf, "\"synonyms\": {\"misplaced\":\"lost\",\"plastic\":\"card\""));
	free(buf);

	/* bad extras are refused whole */
	static const char bad[] = "[{\"title\": \"X\", \"body\": \"y\", \"variants\": [1]}]";
	CHECK(store_import_json(st, bad, strlen(bad), &res, err, sizeof err) == STORE_INVALID &&
	      strstr(err, "variants[0]"));
	CHECK(store_answer_find(st, "X", &greet) == STORE_NOT_FOUND);
	static const char bad2[] = "{\"answers\": [], \"synonyms\": {\"a\": 3}}";
	CHECK(store_import_json(st, bad2, strlen(bad2), &res, err, sizeof err) == STORE_INVALID);

	store_close(st);
	unlink(path);
	unlink(path2);
	rmdir(dir);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	else
		printf("nlu extras: ok\n");
	return failures != 0;
}
