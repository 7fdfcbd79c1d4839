/* common/queue.h — a bounded multi-producer multi-consumer FIFO of pointers.
 *
 * Used for the daemon's job queue (service thread pushes, workers pop) and the
 * store's log-writer queue.  cm_queue_try_push never blocks: it returns 1 when the
 * queue is full so the lws service thread can answer "busy" instead of waiting.
 * All fields are guarded by the queue's own mutex; any thread may call any function
 * except cm_queue_destroy, which the owner calls once no thread uses the queue.
 */
#ifndef KEFU_COMMON_QUEUE_H
#define KEFU_COMMON_QUEUE_H

#include <stddef.h>

struct cm_queue;

/* Returns a queue holding at most cap items, or NULL on allocation failure. */
struct cm_queue *cm_queue_create(size_t cap);
/* Frees the queue (not the items still in it: pop them first). */
void cm_queue_destroy(struct cm_queue *q);
/* 0 pushed; 1 full (item not taken); -1 closed. Ownership of item passes on 0. */
int cm_queue_try_push(struct cm_queue *q, void *item);
/* Blocks while the queue is full (used by non-service threads only). 0 ok, -1 closed. */
int cm_queue_push(struct cm_queue *q, void *item);
/* Blocks until an item is there or the queue is closed and empty (returns NULL). */
void *cm_queue_pop(struct cm_queue *q);
/* Pops up to max items, waiting at most timeout_ms for the first one (0: no wait,
 * <0: forever).  Returns how many were stored in out; 0 on time-out or closed+empty. */
size_t cm_queue_pop_many(struct cm_queue *q, void **out, size_t max, int timeout_ms);
/* Wakes every waiter; later pushes fail; pops drain what is left. */
void cm_queue_close(struct cm_queue *q);
size_t cm_queue_depth(struct cm_queue *q);

#endif
