/* store/test_models.c — model blobs: versions count up per kind, the live one is
 * returned byte for byte, kinds are independent, an empty blob round-trips, and an
 * unknown kind is STORE_NOT_FOUND; then versioning: a candidate is not loaded until made
 * live, the models of its training run go live with it, rollback goes to the version
 * live before, reports are kept with their version, and pruning keeps the newest N and
 * always the live one. */
#include "store.h"
#include "test_util.h"

struct count_arg { int *n; int64_t *v; };

static int count_nlu(void *arg, const struct store_model_info *m)
{
	struct count_arg *c = arg;
	if (*c->n < 8)
		c->v[*c->n] = m->version;
	(*c->n)++;
	return strcmp(m->kind, "nlu") != 0;
}

int main(void)
{
	char err[256];
	const char *path = tu_path("models.db");
	struct store *st = store_open(path, err, sizeof err);
	int64_t v;
	void *blob;
	size_t len;
	unsigned char big[100000];

	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 2654435761u >> 13);
	CHECK_RC(st, store_model_latest(st, "nlu", &blob, &len, &v), STORE_NOT_FOUND);
	CHECK(blob == NULL && len == 0);
	CHECK_RC(st, store_model_put(st, "nlu", "v1", 2, "{\"acc\":0.5}", "h1", &v), 0);
	CHECK(v == 1);
	CHECK_RC(st, store_model_put(st, "nlu", big, sizeof big, NULL, NULL, &v), 0);
	CHECK(v == 2);
	CHECK_RC(st, store_model_put(st, "asr-lm", "x", 1, NULL, "h", &v), 0);
	CHECK(v == 1);
	CHECK_RC(st, store_model_latest(st, "nlu", &blob, &len, &v), 0);
	CHECK(v == 2 && len == sizeof big && !memcmp(blob, big, len));
	free(blob);
	CHECK_RC(st, store_model_latest(st, "asr-lm", &blob, &len, &v), 0);
	CHECK(v == 1 && len == 1 && !memcmp(blob, "x", 1));
	free(blob);
	CHECK_RC(st, store_model_put(st, "empty", NULL, 0, NULL, NULL, &v), 0);
	CHECK_RC(st, store_model_latest(st, "empty", &blob, &len, &v), 0);
	CHECK(v == 1 && len == 0 && blob != NULL);
	free(blob);
	CHECK_RC(st, store_model_put(st, "", "x", 1, NULL, NULL, &v), STORE_INVALID);
	CHECK_RC(st, store_model_put(st, "nlu", NULL, 5, NULL, NULL, &v), STORE_INVALID);
	store_close(st);

	/* versions continue after reopening */
	st = store_open(path, err, sizeof err);
	CHECK_RC(st, store_model_put(st, "nlu", "v3", 2, NULL, NULL, &v), 0);
	CHECK(v == 3);
	CHECK_RC(st, store_model_latest(st, "nlu", &blob, &len, &v), 0);
	CHECK(v == 3 && len == 2 && !memcmp(blob, "v3", 2));
	free(blob);

	/* candidates, live, run, rollback, report, prune */
	struct store_model_new cand = { "nlu", "c4", 2, "{}", "h4", "{\"accuracy\":0.9}", 0, 0 };
	int64_t live;
	char *rep;
	CHECK_RC(st, store_model_save(st, &cand, &v), 0);
	CHECK(v == 4);
	struct store_model_new fu = { "fusion", "f", 1, NULL, NULL, NULL, 4, 0 };
	int64_t fv;
	CHECK_RC(st, store_model_put(st, "fusion", "f0", 2, NULL, NULL, &fv), 0);
	CHECK_RC(st, store_model_save(st, &fu, &fv), 0);
	CHECK(fv == 2);
	CHECK_RC(st, store_model_latest(st, "nlu", &blob, &len, &v), 0);
	CHECK(v == 3);            /* the candidate is not what kefud loads */
	free(blob);
	CHECK_RC(st, store_model_latest(st, "fusion", &blob, &len, &v), 0);
	CHECK(v == 1);
	free(blob);
	CHECK_RC(st, store_model_activate(st, "nlu", 4), 0);
	CHECK_RC(st, store_model_live_version(st, "nlu", &live), 0);
	CHECK(live == 4);
	CHECK_RC(st, store_model_latest(st, "fusion", &blob, &len, &v), 0);
	CHECK(v == 2 && len == 1);     /* went live with its run */
	free(blob);
	CHECK_RC(st, store_model_previous(st, "nlu", &v), 0);
	CHECK(v == 3);
	CHECK_RC(st, store_model_activate(st, "nlu", 3), 0);      /* rollback */
	CHECK_RC(st, store_model_live_version(st, "nlu", &live), 0);
	CHECK(live == 3);
	CHECK_RC(st, store_model_previous(st, "nlu", &v), 0);
	CHECK(v == 4);
	CHECK_RC(st, store_model_activate(st, "nlu", 99), STORE_NOT_FOUND);
	CHECK_RC(st, store_model_live_version(st, "nlu", &live), 0);
	CHECK(live == 3);              /* a failed activation changes nothing */
	CHECK_RC(st, store_model_report(st, "nlu", 4, &rep), 0);
	CHECK(rep && !strcmp(rep, "{\"accuracy\":0.9}"));
	free(rep);
	CHECK_RC(st, store_model_report(st, "nlu", 3, &rep), STORE_NOT_FOUND);
	/* keep 2: versions 5, 4 stay by age, 3 because it is live; 1, 2 go */
	cand.live = 0;
	CHECK_RC(st, store_model_save(st, &cand, &v), 0);
	CHECK(v == 5);
	int deleted = -1, n_nlu = 0;
	fu.run = 1;
	CHECK_RC(st, store_model_save(st, &fu, &fv), 0);        /* run 1's fusion goes too */
	CHECK_RC(st, store_models_prune(st, "nlu", 2, &deleted), 0);
	CHECK(deleted == 3);
	int64_t seen[8];
	struct count_arg cnt = { &n_nlu, seen };
	CHECK_RC(st, store_models_foreach(st, "nlu", count_nlu, &cnt), 0);
	CHECK(n_nlu == 3 && seen[0] == 5 && seen[1] == 4 && seen[2] == 3);
	CHECK_RC(st, store_model_live_version(st, "nlu", &live), 0);
	CHECK(live == 3);
	store_close(st);
	return tu_finish("test_models");
}
