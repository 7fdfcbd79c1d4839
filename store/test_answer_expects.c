/* store/test_answer_expects.c — what an answer expects (answer_expects.c, schema step 12
 * as appended): a new answer expects "none"; each kind can be set and read back, and shows
 * in the answer's JSON; an unknown kind is STORE_INVALID and changes nothing; a missing
 * answer is STORE_NOT_FOUND (set) and reads "none"; the column's CHECK refuses a bad value
 * written past the function; a JSON import sets it ("expects"), and an unknown kind there fails
 * the import and changes nothing. */
#include "store.h"
#include "store_int.h"
#include "test_util.h"

int main(void)
{
	char err[256], kind[16], *json = NULL;
	struct store *st = store_open(tu_path("e.db"), err, sizeof err);
	int64_t id = 0;
	static const char *const kinds[] = { "number", "code", "date", "amount", "none" };

	if (!st) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	CHECK_RC(st, store_answer_add(st, "Track an order", "Please read me your order number.",
				      "en", "", &id), 0);
	CHECK_RC(st, store_answer_expects(st, id, kind, sizeof kind), 0);
	CHECK(!strcmp(kind, "none"));
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		CHECK_RC(st, store_answer_set_expects(st, id, kinds[i]), 0);
		CHECK_RC(st, store_answer_expects(st, id, kind, sizeof kind), 0);
		CHECK(!strcmp(kind, kinds[i]));
	}
	CHECK_RC(st, store_answer_set_expects(st, id, "code"), 0);
	CHECK_RC(st, store_answer_json(st, id, &json), 0);
	CHECK(json && strstr(json, "\"expects\":\"code\""));
	free(json);
	CHECK_RC(st, store_answer_set_expects(st, id, "phone"), STORE_INVALID);
	CHECK_RC(st, store_answer_set_expects(st, id, NULL), STORE_INVALID);
	CHECK_RC(st, store_answer_expects(st, id, kind, sizeof kind), 0);
	CHECK(!strcmp(kind, "code"));
	CHECK_RC(st, store_answer_set_expects(st, id + 100, "date"), STORE_NOT_FOUND);
	CHECK_RC(st, store_answer_expects(st, id + 100, kind, sizeof kind), STORE_NOT_FOUND);
	CHECK(!strcmp(kind, "none"));
	CHECK((sqlite3_exec(st->db, "UPDATE answers SET expects = 'phone'", NULL, NULL, NULL) &
	       0xff) == SQLITE_CONSTRAINT);
	CHECK(store_expects_valid("amount") && !store_expects_valid("Amount"));

	/* JSON import: "expects" sets it; an unknown kind fails the import */
	struct store_import_result res;
	const char *good = "{\"answers\":[{\"title\":\"Pay a bill\",\"body\":\"How much?\","
			   "\"expects\":\"amount\",\"examples\":[\"pay my bill\"]}]}";
	const char *bad = "{\"answers\":[{\"title\":\"Pay a bill\",\"body\":\"How much?\","
			  "\"expects\":\"money\"}]}";
	int64_t pay = 0;
	CHECK_RC(st, store_import_json(st, good, strlen(good), &res, err, sizeof err), 0);
	CHECK_RC(st, store_answer_find(st, "Pay a bill", &pay), 0);
	CHECK_RC(st, store_answer_expects(st, pay, kind, sizeof kind), 0);
	CHECK(!strcmp(kind, "amount"));
	CHECK(store_import_json(st, bad, strlen(bad), &res, err, sizeof err) != 0);
	CHECK_RC(st, store_answer_expects(st, pay, kind, sizeof kind), 0);
	CHECK(!strcmp(kind, "amount"));
	store_close(st);
	return tu_finish("test_answer_expects");
}
