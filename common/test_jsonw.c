/* common/test_jsonw.c — cm_jw_* write the same bytes jansson's json_dumps writes for the
 * same values (the reply frames kefud writes directly must read back as before), and
 * fail where jansson refuses. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

/* b's text equals jansson's dump of j (consumed), with flags. */
static void same(struct cm_buf *b, json_t *j, size_t flags)
{
	char *want = json_dumps(j, flags | JSON_ENCODE_ANY);

	CHECK(want && !b->oom && b->p && !strcmp(b->p, want));
	if (want && b->p && strcmp(b->p, want))
		fprintf(stderr, "  wrote %s\n  want  %s\n", b->p, want);
	free(want);
	json_decref(j);
	free(b->p);
	memset(b, 0, sizeof *b);
}

int main(void)
{
	static const char *const strs[] = {
		"", "plain", "say \"hi\"", "back\\slash", "a/b", "tab\there\nnew\r\b\f",
		"\x01\x1f\x7f", "你好，世界", "emoji \xf0\x9f\x98\x80", "**bold** [link](http://x)",
		"</script>", "\xe2\x80\xa8 line sep",
	};
	static const double reals[] = {
		0, 1, -1, 0.93, 0.93124, 0.5, 1e-5, 0.000123456, 123456789.0, 1e21, -2.5e-7,
		0.1, 0.99999, 1234.5, 3.14159265,
	};
	static const int64_t ints[] = { 0, 1, -1, 42, INT64_MAX, INT64_MIN };
	struct cm_buf b = { 0 };

	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		cm_jw_str(&b, strs[i]);
		same(&b, json_string(strs[i]), JSON_COMPACT);
	}
	{       /* every ASCII byte, escaped or plain, between plain runs */
		char all[3 * 127 + 1];
		for (int c = 1; c < 128; c++)
			snprintf(all + 3 * (c - 1), 4, "a%cb", c);
		cm_jw_str(&b, all);
		same(&b, json_string(all), JSON_COMPACT);
	}
	cm_jw_str(&b, NULL);
	same(&b, json_null(), JSON_COMPACT);
	for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
		for (int p = 1; p <= 17; p += 3) {
			cm_jw_real(&b, reals[i], p);
			same(&b, json_real(reals[i]), JSON_COMPACT | JSON_REAL_PRECISION(p));
		}
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		cm_jw_int(&b, ints[i]);
		same(&b, json_integer(ints[i]), JSON_COMPACT);
	}
	cm_buf_str(&b, "{");
	cm_jw_key(&b, "k\"ey");
	cm_jw_bool(&b, 1);
	cm_buf_str(&b, ",");
	cm_jw_key(&b, "f");
	cm_jw_bool(&b, 0);
	cm_buf_str(&b, "}");
	same(&b, json_pack("{s:b, s:b}", "k\"ey", 1, "f", 0), JSON_COMPACT);

	/* what jansson refuses fails the builder */
	cm_jw_str(&b, "bad \xff utf-8");
	CHECK(b.oom && !json_string("bad \xff utf-8"));
	free(b.p);
	memset(&b, 0, sizeof b);
	cm_jw_real(&b, NAN, 4);
	CHECK(b.oom);
	free(b.p);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
