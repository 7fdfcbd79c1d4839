/* store/test_models.c — model blobs: versions count up per kind, the latest is
 * returned byte for byte, kinds are independent, an empty blob round-trips, and an
 * unknown kind is STORE_NOT_FOUND. */
#include "store.h"
#include "test_util.h"

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
	store_close(st);
	return tu_finish("test_models");
}
