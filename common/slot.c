/* common/slot.c — the swappable, reference-counted model slot (slot.h).  Any thread; the
 * slot's mutex guards the current entry and every entry's reference count.  An entry
 * lives as long as someone (the slot or a user) holds it; the free function runs outside
 * the lock, on the thread that dropped the last reference. */
#include "slot.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct cm_slot_entry {
	void *obj;
	unsigned gen;
	int refs;                    /* {cm_slot.lock} the slot's own + users' */
};

struct cm_slot {
	pthread_mutex_t lock;
	cm_slot_free_fn free_fn;
	struct cm_slot_entry *cur;   /* {lock} NULL: empty */
	atomic_uint gen;             /* written under lock; read without it */
};

struct cm_slot *cm_slot_create(cm_slot_free_fn free_fn)
{
	struct cm_slot *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->free_fn = free_fn;
	return s;
}

/* Drops one reference to e; frees it (and its object) on the last one. */
static void entry_unref(struct cm_slot *s, struct cm_slot_entry *e)
{
	int last;

	if (!e)
		return;
	pthread_mutex_lock(&s->lock);
	last = --e->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last) {
		if (e->obj)
			s->free_fn(e->obj);
		free(e);
	}
}

void cm_slot_destroy(struct cm_slot *s)
{
	struct cm_slot_entry *e;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	e = s->cur;
	s->cur = NULL;
	pthread_mutex_unlock(&s->lock);
	entry_unref(s, e);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

unsigned cm_slot_set(struct cm_slot *s, void *obj)
{
	struct cm_slot_entry *e = NULL, *old;
	unsigned gen;

	if (obj && !(e = calloc(1, sizeof *e))) {
		s->free_fn(obj);
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	gen = atomic_fetch_add_explicit(&s->gen, 1, memory_order_release) + 1;
	if (e) {
		e->obj = obj;
		e->gen = gen;
		e->refs = 1;
	}
	old = s->cur;
	s->cur = e;
	pthread_mutex_unlock(&s->lock);
	entry_unref(s, old);
	return gen;
}

void *cm_slot_acquire(struct cm_slot *s, struct cm_slot_ref *ref)
{
	pthread_mutex_lock(&s->lock);
	ref->e = s->cur;
	if (ref->e)
		ref->e->refs++;
	pthread_mutex_unlock(&s->lock);
	ref->obj = ref->e ? ref->e->obj : NULL;
	ref->gen = ref->e ? ref->e->gen : 0;
	return ref->obj;
}

void cm_slot_release(struct cm_slot *s, struct cm_slot_ref *ref)
{
	entry_unref(s, ref->e);
	ref->e = NULL;
	ref->obj = NULL;
	ref->gen = 0;
}

unsigned cm_slot_generation(struct cm_slot *s)
{
	return atomic_load_explicit(&s->gen, memory_order_acquire);
}
