/* daemon/test_voice_cmn.c — each session's cepstral mean table (voice_cmn.c): a session
 * never heard gets a fresh state with the table's cap, a put state comes back from get,
 * sessions do not see each other's, session 0 (none) is not kept, and a full table gives
 * the slot of the session heard from longest ago to a new one.  Two threads getting and
 * putting at once keep every session (the suite runs it under ASan too).
 */
#include "voice_cmn.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static struct asr_cmn with_frames(double f)
{
	struct asr_cmn c;
	asr_cmn_init(&c, -1);
	c.frames = f;
	c.sum[0] = 2 * f;
	return c;
}

static void *hammer(void *arg)
{
	struct kd_vcmn *t = arg;
	for (int i = 0; i < 2000; i++) {
		struct asr_cmn c;
		int64_t sid = 100 + i % 5;
		kd_vcmn_get(t, sid, &c);
		c.frames += 1;
		kd_vcmn_put(t, sid, &c);
	}
	return NULL;
}

int main(void)
{
	struct kd_vcmn *t = kd_vcmn_create(3, 500);
	struct asr_cmn c, x;
	CHECK(t != NULL);
	if (!t)
		return 1;
	kd_vcmn_get(t, 7, &c);                      /* never heard: fresh, the table's cap */
	CHECK(c.frames == 0 && c.prior_frames == 500);
	for (int64_t sid = 1; sid <= 3; sid++) {
		x = with_frames((double)sid * 10);
		kd_vcmn_put(t, sid, &x);
	}
	kd_vcmn_get(t, 2, &c);
	CHECK(c.frames == 20 && c.sum[0] == 40);
	kd_vcmn_get(t, 3, &c);
	CHECK(c.frames == 30);
	x = with_frames(11);
	kd_vcmn_put(t, 1, &x);                      /* 1 heard again: 2 is now the oldest */
	x = with_frames(40);
	kd_vcmn_put(t, 4, &x);                      /* full: 4 takes 2's slot */
	kd_vcmn_get(t, 2, &c);
	CHECK(c.frames == 0);
	kd_vcmn_get(t, 1, &c);
	CHECK(c.frames == 11);
	kd_vcmn_get(t, 4, &c);
	CHECK(c.frames == 40);
	x = with_frames(99);
	kd_vcmn_put(t, 0, &x);                      /* no session: not kept */
	kd_vcmn_get(t, 0, &c);
	CHECK(c.frames == 0);
	kd_vcmn_destroy(t);

	t = kd_vcmn_create(8, -1);
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, hammer, t);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	double total = 0;
	for (int64_t sid = 100; sid < 105; sid++) {
		kd_vcmn_get(t, sid, &c);
		CHECK(c.frames >= 400 && c.frames <= 800);   /* lost updates only between threads */
		total += c.frames;
	}
	CHECK(total >= 2000);
	kd_vcmn_destroy(t);
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
