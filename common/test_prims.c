/* common/test_prims.c — unit tests of the primitives written once for all of kefu:
 * xorshift (rng.h), FNV-1a and SHA-256 (hash.c), the Adam step (adam.c), whole-file
 * reads and folder listings (file.c), growing arrays and text buffers (buf.c: doubling,
 * overflow refused, the array kept on failure), the model slot (slot.c: an object swapped
 * out stays alive for the user holding it, freed once by its last release), the histogram
 * (hist.c: bounds are inclusive, +Inf takes the rest).  References are
 * published test vectors
 * (Marsaglia 2003, the FNV and FIPS 180-2 test vectors) or naive double-precision
 * re-computations.  Main thread; files go in a fresh folder under $TMPDIR. */
#include "adam.h"
#include "buf.h"
#include "clock.h"
#include "file.h"
#include "hash.h"
#include "hist.h"
#include "rng.h"
#include "slot.h"
#include "stopper.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void test_rng(void)
{
	/* Marsaglia, "Xorshift RNGs" (2003): xor64 and xor32 from his seeds */
	uint64_t s = 88172645463325252ull;
	CHECK(cm_xorshift64(&s) == 8748534153485358512ull);
	CHECK(cm_xorshift64(&s) == 3040900993826735515ull);
	CHECK(cm_xorshift64(&s) == 3453997556048239312ull);
	uint32_t w = 2463534242u;
	CHECK(cm_xorshift32(&w) == 723471715u);
	CHECK(cm_xorshift32(&w) == 2497366906u);
	s = 1;   /* xorshift64* from 1 (re-computed in Python's exact integers) */
	CHECK(cm_xorshift64star(&s) == 5180492295206395165ull);
	CHECK(cm_xorshift64star(&s) == 12380297144915551517ull);
	s = 7;
	double lo = 1, hi = 0, sum = 0;
	for (int i = 0; i < 100000; i++) {
		double u = cm_xorshift64_unit(&s);
		lo = u < lo ? u : lo;
		hi = u > hi ? u : hi;
		sum += u;
	}
	CHECK(lo >= 0 && hi < 1 && fabs(sum / 100000 - 0.5) < 0.01);
}

static void test_hash(void)
{
	/* FNV-1a 64 test vectors (www.isthe.com/chongo/src/fnv/test_fnv.c) */
	CHECK(cm_fnv1a(CM_FNV1A_INIT, "", 0) == 0xcbf29ce484222325ull);
	CHECK(cm_fnv1a(CM_FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cull);
	CHECK(cm_fnv1a(CM_FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ull);
	/* continuing from a state is the same as one call over the whole */
	CHECK(cm_fnv1a(cm_fnv1a(CM_FNV1A_INIT, "foo", 3), "bar", 3) == 0x85944171f73967e8ull);

	/* the word-wise checksum against a naive re-computation, tails 0..7 */
	unsigned char buf[40];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof buf; len++) {
		uint64_t h = 0xcbf29ce484222325ull;
		size_t i = 0;
		for (; i + 8 <= len; i += 8) {
			uint64_t x = 0;
			memcpy(&x, buf + i, 8);
			h = (h ^ x) * 0x100000001b3ull;
		}
		for (; i < len; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
		CHECK(cm_fnv1a_words(buf, len) == h);
	}
	CHECK(cm_fnv1a_words("abc", 3) == cm_fnv1a(CM_FNV1A_INIT, "abc", 3));

	/* FIPS 180-2 */
	char hex[65];
	CHECK(cm_sha256_hex("abc", 3, hex) == 0 &&
	      !strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CHECK(cm_sha256_hex(NULL, 0, hex) == 0 &&
	      !strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

static void test_adam(void)
{
	/* three steps against the formula in double precision */
	float p[3] = { 1.0f, -2.0f, 0.5f }, m[3] = { 0 }, v[3] = { 0 };
	double pd[3] = { 1.0, -2.0, 0.5 }, md[3] = { 0 }, vd[3] = { 0 };
	const float lr = 0.01f, wd = 0.1f;
	for (long t = 1; t <= 3; t++) {
		float g[3];
		for (int i = 0; i < 3; i++)
			g[i] = 2.0f * p[i] - 0.3f * (float)t;
		for (int i = 0; i < 3; i++) {
			double gi = (2.0 * pd[i] - 0.3 * (double)t) + wd * pd[i];
			md[i] = 0.9 * md[i] + 0.1 * gi;
			vd[i] = 0.999 * vd[i] + 0.001 * gi * gi;
			pd[i] -= lr * (md[i] / (1 - pow(0.9, (double)t))) /
				 (sqrt(vd[i] / (1 - pow(0.999, (double)t))) + 1e-8);
		}
		cm_adam_step(p, g, m, v, 3, lr, wd, t);
	}
	for (int i = 0; i < 3; i++)
		CHECK(fabs(p[i] - pd[i]) < 1e-5);
	/* the first step moves each weight by lr against the sign of its gradient */
	float q[2] = { 0, 0 }, qm[2] = { 0 }, qv[2] = { 0 }, qg[2] = { 5.0f, -0.01f };
	cm_adam_step(q, qg, qm, qv, 2, 0.1f, 0.0f, 1);
	CHECK(fabsf(q[0] + 0.1f) < 1e-5f && fabsf(q[1] - 0.1f) < 1e-4f);
	/* it minimises (x - 3)² */
	float x = 0, xm = 0, xv = 0;
	for (long t = 1; t <= 2000; t++) {
		float g = 2 * (x - 3);
		cm_adam_step(&x, &g, &xm, &xv, 1, 0.05f, 0.0f, t);
	}
	CHECK(fabsf(x - 3) < 1e-2f);
}

static void put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(data, 1, len, f) == len);
	if (f)
		fclose(f);
}

static void test_files(void)
{
	char dir[] = "/tmp/kefu-test-prims-XXXXXX", path[256];
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	/* a file with NUL bytes and more than one read buffer of data */
	size_t big = 300000;
	unsigned char *data = malloc(big);
	for (size_t i = 0; i < big; i++)
		data[i] = (unsigned char)(i % 251);
	snprintf(path, sizeof path, "%s/b.bin", dir);
	put(path, data, big);
	size_t len = 1;
	char *got = cm_read_file(path, &len);
	CHECK(got && len == big && !memcmp(got, data, big) && got[len] == '\0');
	free(got);
	len = 1;
	void *map = cm_map_file(path, &len);     /* the same bytes, mapped */
	CHECK(map && len == big && !memcmp(map, data, big));
	cm_unmap_file(map, len);
	free(data);
	snprintf(path, sizeof path, "%s/a.txt", dir);
	put(path, "", 0);
	got = cm_read_file(path, &len);
	CHECK(got && len == 0 && got[0] == '\0');
	free(got);
	errno = 0;
	CHECK(cm_map_file(path, &len) == NULL && errno == EINVAL && len == 0);
	snprintf(path, sizeof path, "%s/missing", dir);
	errno = 0;
	CHECK(cm_read_file(path, &len) == NULL && errno == ENOENT && len == 0);
	errno = 0;
	CHECK(cm_map_file(path, &len) == NULL && errno == ENOENT && len == 0);
	errno = 0;
	CHECK(cm_read_file(dir, &len) == NULL && errno == EISDIR);
	errno = 0;
	CHECK(cm_map_file(dir, &len) == NULL && errno == EINVAL);

	snprintf(path, sizeof path, "%s/.hidden", dir);
	put(path, "x", 1);
	snprintf(path, sizeof path, "%s/c", dir);
	CHECK(mkdir(path, 0700) == 0);
	char **v;
	int n = cm_list_dir(dir, CM_DIR_ANY, &v);
	CHECK(n == 3 && !strcmp(v[0], "a.txt") && !strcmp(v[1], "b.bin") && !strcmp(v[2], "c"));
	cm_free_names(v, n);
	n = cm_list_dir(dir, CM_DIR_FILES, &v);
	CHECK(n == 2 && !strcmp(v[0], "a.txt") && !strcmp(v[1], "b.bin"));
	cm_free_names(v, n);
	n = cm_list_dir(dir, CM_DIR_DIRS, &v);
	CHECK(n == 1 && !strcmp(v[0], "c"));
	cm_free_names(v, n);
	n = cm_list_dir(path, CM_DIR_ANY, &v);
	CHECK(n == 0 && v == NULL);
	snprintf(path, sizeof path, "%s/missing", dir);
	errno = 0;
	CHECK(cm_list_dir(path, CM_DIR_ANY, &v) == -1 && errno == ENOENT && v == NULL);

	const char *rm[] = { "a.txt", "b.bin", ".hidden" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, rm[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/c", dir);
	rmdir(path);
	rmdir(dir);
}

static void *stop_later(void *arg)
{
	struct timespec t = { 0, 50 * 1000000L };
	nanosleep(&t, NULL);
	cm_stopper_stop(arg);
	return NULL;
}

/* cm_stopper: a short sleep runs its time; a long one ends when another thread stops it;
 * once stopped every sleep returns 1 at once. */
static void test_stopper(void)
{
	struct cm_stopper s;
	pthread_t t;
	uint64_t t0 = cm_now_us();

	cm_stopper_init(&s);
	CHECK(cm_stopper_sleep(&s, 0) == 0);
	CHECK(cm_stopper_sleep(&s, 20) == 0 && cm_now_us() - t0 >= 20000);
	t0 = cm_now_us();
	CHECK(pthread_create(&t, NULL, stop_later, &s) == 0);
	CHECK(cm_stopper_sleep(&s, 60000) == 1);
	CHECK(cm_now_us() - t0 < 30 * 1000000ULL);
	pthread_join(t, NULL);
	t0 = cm_now_us();
	CHECK(cm_stopper_sleep(&s, 60000) == 1 && cm_now_us() - t0 < 1000000);
	cm_stopper_destroy(&s);
}

static int slot_freed[3];

static void slot_free(void *obj)
{
	slot_freed[*(int *)obj]++;
}

static void test_slot(void)
{
	static int a = 1, b = 2;
	struct cm_slot *s = cm_slot_create(slot_free);
	struct cm_slot_ref r1, r2;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(cm_slot_generation(s) == 0);
	CHECK(cm_slot_acquire(s, &r1) == NULL);      /* empty */
	cm_slot_release(s, &r1);
	CHECK(cm_slot_set(s, &a) == 1);
	CHECK(cm_slot_acquire(s, &r1) == &a && r1.gen == 1);
	CHECK(cm_slot_set(s, &b) == 2);              /* a swapped out while r1 holds it */
	CHECK(slot_freed[1] == 0);
	CHECK(cm_slot_acquire(s, &r2) == &b && r2.gen == 2);
	cm_slot_release(s, &r1);                     /* the last user of a frees it */
	CHECK(slot_freed[1] == 1 && r1.obj == NULL);
	cm_slot_release(s, &r2);                     /* the slot still holds b */
	CHECK(slot_freed[2] == 0);
	cm_slot_destroy(s);
	CHECK(slot_freed[2] == 1 && slot_freed[1] == 1);
}

static void test_grow(void)
{
	CHECK(cm_grow_cap(0, 1, 16, 4) == 16);
	CHECK(cm_grow_cap(16, 16, 16, 4) == 16);         /* enough already */
	CHECK(cm_grow_cap(16, 17, 16, 4) == 32);
	CHECK(cm_grow_cap(0, 100, 16, 4) == 128);
	CHECK(cm_grow_cap(0, 3, 0, 1) == 4);             /* no first: from 1 */
	CHECK(cm_grow_cap(0, SIZE_MAX, 16, 1) == 0);     /* doubling overflows */
	CHECK(cm_grow_cap(0, SIZE_MAX / 8, 16, 16) == 0); /* bytes overflow */
	CHECK(cm_realloc_n(NULL, SIZE_MAX / 2, 4) == NULL);

	int *v = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 1000; i++) {
		int *nv = cm_grow(v, &cap, n + 1, sizeof *nv, 8);
		CHECK(nv != NULL);
		if (!nv)
			break;
		v = nv;
		v[n++] = i;
	}
	CHECK(cap == 1024 && n == 1000 && v[999] == 999 && v[0] == 0);
	int *same = cm_grow(v, &cap, 1000, sizeof *v, 8);   /* room already: unchanged */
	CHECK(same == v && cap == 1024);
	int *none = cm_grow(v, &cap, SIZE_MAX, sizeof *v, 8); /* refused: v and cap kept */
	CHECK(none == NULL && cap == 1024 && v[500] == 500);
	free(v);

	struct cm_buf b = { 0 };
	for (int i = 0; i < 100; i++)
		cm_buf_str(&b, "abc");
	CHECK(!b.oom && b.len == 300 && strlen(b.p) == 300 && b.cap >= 301);
	cm_buf_add(&b, "x", SIZE_MAX);                    /* impossible length: oom, kept */
	CHECK(b.oom && b.len == 300);
	free(b.p);

	struct cm_buf r = { 0 };                          /* reserve: room, no content */
	cm_buf_reserve(&r, 1000);
	CHECK(!r.oom && r.len == 0 && r.cap >= 1001);
	char *before = r.p;
	for (int i = 0; i < 250; i++)
		cm_buf_str(&r, "abcd");
	CHECK(r.p == before && r.len == 1000 && strlen(r.p) == 1000);   /* no realloc */
	cm_buf_reserve(&r, SIZE_MAX);
	CHECK(r.oom && r.len == 1000);
	free(r.p);
}

static void test_hist(void)
{
	static const double le[] = { 0.5, 1, 5 };
	struct cm_hist h;

	cm_hist_init(&h, le, 3);
	cm_hist_observe(&h, 0.1);
	cm_hist_observe(&h, 0.5);                  /* on a bound: that bucket */
	cm_hist_observe(&h, 2);
	cm_hist_observe(&h, 99);                   /* +Inf only */
	CHECK(cm_hist_cumulative(&h, 0) == 2 && cm_hist_cumulative(&h, 1) == 2);
	CHECK(cm_hist_cumulative(&h, 2) == 3 && cm_hist_cumulative(&h, 3) == 4);
	CHECK(cm_hist_cumulative(&h, 9) == 4 && h.count == 4);
	CHECK(fabs(h.sum - 101.6) < 1e-9);
}

int main(void)
{
	test_rng();
	test_grow();
	test_stopper();
	test_hash();
	test_adam();
	test_files();
	test_slot();
	test_hist();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	puts("common primitives: ok");
	return 0;
}
