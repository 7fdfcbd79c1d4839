/* daemon/training.h — kefud's background training (prefix kd_training_).
 *
 * POST /api/v1/models/train starts one training (train/trn_run: text encoder with its
 * report, pictures, fusion) on a thread of its own; a second start while it runs is
 * refused (the API answers 409 training_running).  The thread runs at the lowest
 * priority (SCHED_IDLE and nice 19, inherited by the encoder's helper thread), so the
 * chat workers keep their cores and training uses what they leave; it has its own
 * store connection.  Its models are saved as candidates: an operator makes one live
 * (api/models.c), and then kefud reloads as on SIGHUP (kd_signals_reload).  Progress
 * (stage, fraction, time left) is kept under a mutex for GET /api/v1/models/training
 * and pushed to the operators' /ops channel as {"type": "training", ...} at most once a
 * second and when it ends.
 *
 * Threads: kd_training_api's functions run on API worker threads; the training runs on
 * its own thread; kd_training_destroy (main thread, at shutdown) asks a running
 * training to stop at its next step and joins it.
 */
#ifndef KEFU_DAEMON_TRAINING_H
#define KEFU_DAEMON_TRAINING_H

struct kefu_conf;
struct kd_training;
struct api_training;

/* event(arg, json) sends a progress event to the operators (any thread); may be NULL. */
struct kd_training *kd_training_create(const struct kefu_conf *conf,
				       void (*event)(void *arg, const char *json),
				       void *event_arg);
void kd_training_destroy(struct kd_training *t);
/* The hooks api_ctx.training takes (valid while t lives). */
const struct api_training *kd_training_api(struct kd_training *t);

#endif
