/* daemon/voice_cmn.c — each session's cepstral mean for its voice clips: a small table of
 * session id -> struct asr_cmn with the least recently heard one evicted (voice_cmn.h has
 * the locking).  Workers call get before a clip and put after it; a linear scan of a few
 * hundred slots costs nothing beside a clip's decode.
 */
#include "voice_cmn.h"

#include <pthread.h>
#include <stdlib.h>

struct slot {
	int64_t sid;                 /* 0: free */
	uint64_t heard;              /* put counter when last written */
	struct asr_cmn cmn;
};

struct kd_vcmn {
	pthread_mutex_t lock;
	double prior_frames;
	size_t cap;
	uint64_t clock;              /* {lock} */
	struct slot *s;              /* {lock} cap slots */
};

struct kd_vcmn *kd_vcmn_create(size_t cap, double prior_frames)
{
	struct kd_vcmn *t = calloc(1, sizeof *t);

	if (!t || !cap || !(t->s = calloc(cap, sizeof *t->s))) {
		free(t);
		return NULL;
	}
	t->cap = cap;
	t->prior_frames = prior_frames;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void kd_vcmn_destroy(struct kd_vcmn *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->s);
	free(t);
}

/* The slot of sid, or NULL.  {lock} */
static struct slot *find(struct kd_vcmn *t, int64_t sid)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->s[i].sid == sid)
			return &t->s[i];
	return NULL;
}

void kd_vcmn_get(struct kd_vcmn *t, int64_t sid, struct asr_cmn *out)
{
	pthread_mutex_lock(&t->lock);
	struct slot *x = sid ? find(t, sid) : NULL;
	if (x)
		*out = x->cmn;
	else
		asr_cmn_init(out, t->prior_frames);
	pthread_mutex_unlock(&t->lock);
}

void kd_vcmn_put(struct kd_vcmn *t, int64_t sid, const struct asr_cmn *in)
{
	if (!sid)
		return;
	pthread_mutex_lock(&t->lock);
	struct slot *x = find(t, sid);
	if (!x) {                       /* a free slot, else the longest unheard */
		x = &t->s[0];
		for (size_t i = 0; i < t->cap && x->sid; i++)
			if (!t->s[i].sid || t->s[i].heard < x->heard)
				x = &t->s[i];
		x->sid = sid;
	}
	x->cmn = *in;
	x->heard = ++t->clock;
	pthread_mutex_unlock(&t->lock);
}
