/* daemon/test_limits.c — unit tests of kefud's defences against hostile clients that
 * need no server: where an upload's container ends, the memory budget and the per-day
 * quotas (budget.c), the JSON kefu refuses although it is valid (proto.c) and
 * the per-connection output byte count (session.c).  Main thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "proto.h"
#include "session.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	failures++; } } while (0)

/* A 1x1 PNG (69 bytes) as PIL writes it. */
static const unsigned char png1[] = {
	0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a,
	0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0,
	0x90, 0x77, 0x53, 0xde,
	0, 0, 0, 12, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0, 0, 3, 1, 1, 0,
	0xc9, 0xfe, 0x92, 0xef,
	0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82,
};

/* buf = a + junk of n bytes; returns malloc'd buffer. */
static unsigned char *padded(const unsigned char *a, size_t alen, size_t n)
{
	unsigned char *b = malloc(alen + n);
	memcpy(b, a, alen);
	for (size_t i = 0; i < n; i++)
		b[alen + i] = (unsigned char)(i * 131 + 7);
	return b;
}

static void test_trim_png(void)
{
	unsigned char *b = padded(png1, sizeof png1, 5000);

	CHECK(kd_trim_len(png1, sizeof png1) == sizeof png1);
	CHECK(kd_trim_len(b, sizeof png1 + 5000) == sizeof png1);
	/* cut before IEND: kept whole (the decoder judges it) */
	CHECK(kd_trim_len(png1, sizeof png1 - 5) == sizeof png1 - 5);
	/* a chunk length past the end: kept whole */
	b[8] = 0x7f;
	CHECK(kd_trim_len(b, sizeof png1 + 5000) == sizeof png1 + 5000);
	free(b);
}

static void test_trim_jpeg(void)
{
	/* SOI, APP0 (len 16), SOS (len 8) + entropy data with a stuffed FF00 and an RST,
	 * EOI, then junk holding another FFD9 */
	static const unsigned char j[] = {
		0xff, 0xd8,
		0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
		0xff, 0xda, 0, 8, 1, 1, 0, 0, 0x3f, 0,
		0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56,
		0xff, 0xd9,
	};
	unsigned char *b = padded(j, sizeof j, 1000);

	b[sizeof j + 10] = 0xff;
	b[sizeof j + 11] = 0xd9;
	CHECK(kd_trim_len(b, sizeof j + 1000) == sizeof j);
	CHECK(kd_trim_len(j, sizeof j - 2) == sizeof j - 2);   /* no EOI: whole */
	free(b);
}

static void test_trim_riff_ogg_gif(void)
{
	unsigned char wav[44 + 8] = "RIFF";
	unsigned char ogg[2 * (27 + 1 + 3)];
	static const unsigned char gif[] = {
		'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0,         /* no colour table */
		0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0,      /* image, 1 block */
		0x3b,
	};
	unsigned char *b;

	wav[4] = 44;                              /* RIFF size: 44 + 8 = 52 bytes */
	memcpy(wav + 8, "WAVE", 4);
	b = padded(wav, sizeof wav, 300);
	CHECK(kd_trim_len(b, sizeof wav + 300) == sizeof wav);
	free(b);

	memset(ogg, 0, sizeof ogg);
	for (int p = 0; p < 2; p++) {             /* two pages of 3 body bytes; EOS on 2nd */
		unsigned char *pg = ogg + p * 31;
		memcpy(pg, "OggS", 4);
		pg[5] = p ? 4 : 2;
		pg[26] = 1;
		pg[27] = 3;
	}
	b = padded(ogg, sizeof ogg, 200);
	CHECK(kd_trim_len(b, sizeof ogg + 200) == sizeof ogg);
	free(b);

	b = padded(gif, sizeof gif, 64);
	CHECK(kd_trim_len(b, sizeof gif + 64) == sizeof gif);
	free(b);

	/* unknown formats are kept whole */
	CHECK(kd_trim_len((const unsigned char *)"hello world", 11) == 11);
}

static void test_budget(void)
{
	kd_mem_init(1000);
	CHECK(kd_mem_reserve(600) == 1);
	CHECK(kd_mem_reserve(500) == 0);          /* 1100 > 1000: refused, nothing charged */
	CHECK(kd_mem_used() == 600);
	kd_mem_charge(500);                       /* replies are charged anyway */
	CHECK(kd_mem_used() == 1100 && kd_mem_reserve(1) == 0);
	kd_mem_release(1100);
	CHECK(kd_mem_used() == 0 && kd_mem_reserve(1000) == 1 && kd_mem_reserve(1) == 0);
	kd_mem_release(1000);
	CHECK(kd_mem_reserve((size_t)-1) == 0);
}

static void test_quota(void)
{
	struct kd_quota q;
	int64_t day = 20000 * 86400LL;
	char key[32];
	int refused = 0;

	kd_quota_init(&q);
	CHECK(kd_quota_take(&q, "10.0.0.1", 600, 1000, day) == 0);
	CHECK(kd_quota_take(&q, "10.0.0.1", 500, 1000, day + 5) == 1);   /* over */
	CHECK(kd_quota_take(&q, "10.0.0.2", 900, 1000, day) == 0);       /* per key */
	CHECK(kd_quota_take(&q, "10.0.0.1", 400, 1000, day + 60) == 0);  /* exactly 1000 */
	CHECK(kd_quota_take(&q, "10.0.0.1", 1, 1000, day + 60) == 1);
	CHECK(kd_quota_take(&q, "10.0.0.1", 1000, 1000, day + 86400) == 0); /* next day */
	CHECK(kd_quota_take(&q, "10.0.0.1", 5, 0, day + 86400) == 0);       /* no limit */
	for (int i = 0; i < 3000; i++) {          /* growth keeps every key's count */
		snprintf(key, sizeof key, "s%d", i);
		refused += kd_quota_take(&q, key, 10, 15, day + 86400);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "s%d", i);
		refused += !kd_quota_take(&q, key, 10, 15, day + 86400);
	}
	CHECK(refused == 0);
	kd_quota_free(&q);
}

static int perr(const char *s, struct kd_req *r)
{
	int rc = kd_proto_parse(s, strlen(s), 2000, r);
	int e = rc ? (int)r->err : -1;
	kd_req_clear(r);
	return e;
}

static void test_json_edges(void)
{
	struct kd_req r;

	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":\"x\\u0000y\"}", &r) ==
	      KD_E_INVALID_VALUE);
	CHECK(r.has_id && !strcmp(r.id, "a"));
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\\u0000\",\"text\":\"xy\"}", &r) ==
	      KD_E_INVALID_VALUE);
	CHECK(!r.has_id);
	CHECK(perr("{\"type\":\"rating\",\"stars\":1e999999}", &r) == KD_E_INVALID_VALUE);
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":\"x\"", &r) == KD_E_INVALID_JSON);
	CHECK(perr("{\"type\":\"hello\",\"session\":\"0123456789abcdef0123456789abcdef\","
		   "\"before\":-1}", &r) == KD_E_INVALID_VALUE);
	CHECK(perr("{\"type\":\"hello\",\"session\":\"0123456789abcdef0123456789abcdef\","
		   "\"before\":20}", &r) == -1);
	{
		const char *h = "{\"type\":\"hello\",\"session\":"
				"\"0123456789abcdef0123456789abcdef\",\"before\":20}";
		CHECK(kd_proto_parse(h, strlen(h), 2000, &r) == 0);
	}
	CHECK(r.type == KD_REQ_HELLO && r.value == 20);
	kd_req_clear(&r);
}

static void test_out_bytes(void)
{
	struct kd_pss pss;
	struct kd_frame *f;

	memset(&pss, 0, sizeof pss);
	kd_mem_init(1 << 20);
	kd_pss_out_push(&pss, kd_frame_pong());
	kd_pss_out_push(&pss, kd_frame_error_retry(KD_E_BUSY, "x", "later", 5));
	CHECK(pss.n_out == 2 && pss.out_bytes > 20 && kd_mem_used() == pss.out_bytes);
	f = kd_pss_out_pop(&pss);
	CHECK(f && kd_mem_used() == pss.out_bytes);
	kd_frame_free(f);
	f = pss.out;
	/* the payload is len bytes, not a C string */
	CHECK(f && memmem(KD_FRAME_PAYLOAD(f), f->len, "\"retry_after\":5", 15));
	kd_pss_clear(&pss);
	CHECK(kd_mem_used() == 0 && pss.out_bytes == 0);
}

int main(void)
{
	test_trim_png();
	test_trim_jpeg();
	test_trim_riff_ogg_gif();
	test_budget();
	test_quota();
	test_json_edges();
	test_out_bytes();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
