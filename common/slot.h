/* common/slot.h — a swappable, reference-counted model slot (prefix cm_slot_).
 *
 * kefud's shared models — the text bot (daemon/bots.c), the picture catalogue, the fusion
 * model, the image blocklist (picture/), the voice's domain language model
 * (daemon/voice_models.c) — are each
 * loaded at start and loaded again on SIGHUP while workers keep answering with the one
 * they hold.  A slot holds the current
 * object; a worker takes a reference for the time it uses it (cm_slot_acquire /
 * cm_slot_release), the signal thread swaps a new object in (cm_slot_set), and the old
 * object is freed with the slot's free function by whoever drops its last reference —
 * never while a worker still uses it.  Each object set gets a new generation number, so
 * a worker can tell when the per-worker state it made for an object is stale.
 *
 * Threads: every call is safe from any thread; {lock} (one mutex per slot) guards the
 * current entry and the reference counts.  The objects themselves must be read-only
 * while shared.
 */
#ifndef KEFU_COMMON_SLOT_H
#define KEFU_COMMON_SLOT_H

typedef void (*cm_slot_free_fn)(void *obj);

struct cm_slot;
struct cm_slot_entry;

/* A reference a user holds: obj (NULL when the slot was empty) and its generation. */
struct cm_slot_ref {
	void *obj;
	unsigned gen;
	struct cm_slot_entry *e;     /* internal */
};

/* An empty slot whose objects are freed with free_fn.  NULL on no memory. */
struct cm_slot *cm_slot_create(cm_slot_free_fn free_fn);
/* Drops the slot's own reference to its object (freeing it) and frees the slot.  Call
 * once every user released its reference and no thread will acquire again (a release
 * after this would lock the freed slot).  NULL is fine. */
void cm_slot_destroy(struct cm_slot *s);

/* Swaps obj in (NULL empties the slot); the slot owns obj from here.  Returns the new
 * generation, or 0 on no memory (obj was then freed with the free function and the
 * previous object stays). */
unsigned cm_slot_set(struct cm_slot *s, void *obj);
/* Takes a reference to the current object into *ref; returns ref->obj (NULL: empty). */
void *cm_slot_acquire(struct cm_slot *s, struct cm_slot_ref *ref);
/* Gives the reference back (frees the object if it was the last); ref is cleared. */
void cm_slot_release(struct cm_slot *s, struct cm_slot_ref *ref);
/* Generation of the current object (0: never set); lock-free, so a user may check it
 * before every job. */
unsigned cm_slot_generation(struct cm_slot *s);

#endif
