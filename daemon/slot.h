/* daemon/slot.h — a swappable, reference-counted model slot (prefix kd_slot_).
 *
 * kefud's shared models — the picture catalogue, the fusion model, the image blocklist,
 * the voice's domain language model — are each loaded at start and loaded again on
 * SIGHUP while workers keep answering with the one they hold.  A slot holds the current
 * object; a worker takes a reference for the time it uses it (kd_slot_acquire /
 * kd_slot_release), the signal thread swaps a new object in (kd_slot_set), and the old
 * object is freed with the slot's free function by whoever drops its last reference —
 * never while a worker still uses it.  Each object set gets a new generation number, so
 * a worker can tell when the per-worker state it made for an object is stale.
 *
 * Threads: every call is safe from any thread; {lock} (one mutex per slot) guards the
 * current entry and the reference counts.  The objects themselves must be read-only
 * while shared.
 */
#ifndef KEFU_DAEMON_SLOT_H
#define KEFU_DAEMON_SLOT_H

typedef void (*kd_slot_free_fn)(void *obj);

struct kd_slot;
struct kd_slot_entry;

/* A reference a user holds: obj (NULL when the slot was empty) and its generation. */
struct kd_slot_ref {
	void *obj;
	unsigned gen;
	struct kd_slot_entry *e;     /* internal */
};

/* An empty slot whose objects are freed with free_fn.  NULL on no memory. */
struct kd_slot *kd_slot_create(kd_slot_free_fn free_fn);
/* Drops the slot's own reference to its object (freed now unless a user still holds
 * it: then by that user's release) and frees the slot.  Call when no thread will
 * acquire again.  NULL is fine. */
void kd_slot_destroy(struct kd_slot *s);

/* Swaps obj in (NULL empties the slot); the slot owns obj from here.  Returns the new
 * generation, or 0 on no memory (obj was then freed with the free function and the
 * previous object stays). */
unsigned kd_slot_set(struct kd_slot *s, void *obj);
/* Takes a reference to the current object into *ref; returns ref->obj (NULL: empty). */
void *kd_slot_acquire(struct kd_slot *s, struct kd_slot_ref *ref);
/* Gives the reference back (frees the object if it was the last); ref is cleared. */
void kd_slot_release(struct kd_slot *s, struct kd_slot_ref *ref);
/* Generation of the current object (0: never set). */
unsigned kd_slot_generation(struct kd_slot *s);

#endif
