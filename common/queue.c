/* common/queue.c — see queue.h.  A ring buffer under one mutex, two condvars. */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"

struct cm_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	void **ring;      /* {lock} */
	size_t cap, head, n; /* {lock} */
	int closed;       /* {lock} */
};

struct cm_queue *cm_queue_create(size_t cap)
{
	struct cm_queue *q = calloc(1, sizeof *q);

	if (!q || !cap)
		goto err;
	q->ring = calloc(cap, sizeof *q->ring);
	if (!q->ring)
		goto err;
	q->cap = cap;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	return q;
err:
	free(q);
	return NULL;
}

void cm_queue_destroy(struct cm_queue *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->ring);
	free(q);
}

/* The caller signals not_empty after unlocking: signalled under the lock, a consumer
 * woken on the other core blocked on that lock at once and the unlock had to wake it
 * a second time (the pool's queue learnt the same, pool.c kd_pool_push). */
static void put(struct cm_queue *q, void *item)
{
	q->ring[(q->head + q->n) % q->cap] = item;
	q->n++;
}

static void *take(struct cm_queue *q)
{
	void *item = q->ring[q->head];

	q->head = (q->head + 1) % q->cap;
	q->n--;
	pthread_cond_signal(&q->not_full);
	return item;
}

int cm_queue_try_push(struct cm_queue *q, void *item)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if (q->closed)
		rc = -1;
	else if (q->n == q->cap)
		rc = 1;
	else
		put(q, item);
	pthread_mutex_unlock(&q->lock);
	if (rc == 0)
		pthread_cond_signal(&q->not_empty);
	return rc;
}

int cm_queue_push(struct cm_queue *q, void *item)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->n == q->cap)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (q->closed)
		rc = -1;
	else
		put(q, item);
	pthread_mutex_unlock(&q->lock);
	if (rc == 0)
		pthread_cond_signal(&q->not_empty);
	return rc;
}

void *cm_queue_pop(struct cm_queue *q)
{
	void *item = NULL;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->n == 0)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->n)
		item = take(q);
	pthread_mutex_unlock(&q->lock);
	return item;
}

size_t cm_queue_pop_many(struct cm_queue *q, void **out, size_t max, int timeout_ms)
{
	size_t got = 0;
	struct timespec dl;

	if (timeout_ms > 0)
		dl = cm_deadline(timeout_ms);
	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->n == 0 && timeout_ms != 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&q->not_empty, &q->lock);
		else if (pthread_cond_timedwait(&q->not_empty, &q->lock, &dl) == ETIMEDOUT)
			break;
	}
	while (q->n && got < max)
		out[got++] = take(q);
	pthread_mutex_unlock(&q->lock);
	return got;
}

void cm_queue_close(struct cm_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

size_t cm_queue_depth(struct cm_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->n;
	pthread_mutex_unlock(&q->lock);
	return n;
}
