/* daemon/training.c — kefud's background training (training.h has the design).
 * {lock} guards the state and progress; the training thread writes them, API workers
 * read them.  Ownership: struct kd_training is the main thread's; the training thread
 * owns its store connection for the time it runs.
 */
#include "training.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "signals.h"
#include "stopper.h"
#include "store.h"
#include "train.h"

struct kd_training {
	const struct kefu_conf *conf;
	void (*event)(void *arg, const char *json);
	void *event_arg;
	struct api_training api;
	pthread_mutex_t lock;
	pthread_t thread;
	int joinable;               /* {lock} a thread was started and not joined */
	int running;                /* {lock} */
	atomic_int stop;
	/* {lock} the running or last training */
	char state[12];             /* "idle", "running", "done", "failed" */
	char by[64], error[400], stage[24];
	int done, total;
	double fraction, elapsed_s, left_s;
	int64_t started_ms, finished_ms, version;
	double seconds, accuracy, macro_f1;
	int64_t last_push_ms;       /* training thread only */
};

/* The state as JSON text (malloc'd).  Caller holds the lock. */
static char *status_locked(const struct kd_training *t)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:f, s:I, s:I}",
			      "state", t->state, "by", t->by, "stage", t->stage,
			      "done", t->done, "total", t->total, "fraction", t->fraction,
			      "elapsed_s", t->elapsed_s, "left_s", t->left_s,
			      "started_ms", (json_int_t)t->started_ms,
			      "finished_ms", (json_int_t)t->finished_ms);
	char *s;

	if (!j)
		return NULL;
	if (!strcmp(t->state, "done")) {
		json_object_set_new(j, "version", json_integer(t->version));
		json_object_set_new(j, "seconds", json_real(t->seconds));
		json_object_set_new(j, "cv_accuracy", json_real(t->accuracy));
		json_object_set_new(j, "cv_macro_f1", json_real(t->macro_f1));
	}
	if (!strcmp(t->state, "failed"))
		json_object_set_new(j, "error", json_string(t->error));
	s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(4));
	json_decref(j);
	return s;
}

/* Pushes the state to the operators as {"type": "training", "training": {...}}. */
static void push(struct kd_training *t)
{
	char *s, *ev;

	if (!t->event)
		return;
	pthread_mutex_lock(&t->lock);
	s = status_locked(t);
	pthread_mutex_unlock(&t->lock);
	if (s && (ev = malloc(strlen(s) + 40))) {
		sprintf(ev, "{\"type\":\"training\",\"training\":%s}", s);
		t->event(t->event_arg, ev);
		free(ev);
	}
	free(s);
}

static void on_progress(void *arg, const struct trn_progress *p)
{
	struct kd_training *t = arg;
	int64_t now = cm_wall_ms();

	pthread_mutex_lock(&t->lock);
	snprintf(t->stage, sizeof t->stage, "%s", p->stage);
	t->done = p->done;
	t->total = p->total;
	t->fraction = p->fraction;
	t->elapsed_s = p->elapsed_s;
	t->left_s = p->left_s;
	pthread_mutex_unlock(&t->lock);
	if (now - t->last_push_ms >= 1000) {
		t->last_push_ms = now;
		push(t);
	}
}

static void *train_main(void *arg)
{
	struct kd_training *t = arg;
	const struct kefu_conf *c = t->conf;
	struct trn_result r;
	char err[400] = "";
	int rc = -1;

	cm_background_priority("training");
	struct store *st = store_open(c->db, err, sizeof err);
	if (st) {
		struct trn_opts o = { c->models, c->image_embed, 3, 0, c->keep_models, on_progress,
				      t, &t->stop, 0 };
		rc = trn_run(st, &o, &r, err, sizeof err);
		store_close(st);
	}
	pthread_mutex_lock(&t->lock);
	t->finished_ms = cm_wall_ms();
	if (rc == 0) {
		snprintf(t->state, sizeof t->state, "done");
		snprintf(t->stage, sizeof t->stage, "done");
		t->fraction = 1;
		t->left_s = 0;
		t->version = r.text.version;
		t->seconds = r.seconds;
		t->accuracy = r.text.cv_accuracy;
		t->macro_f1 = r.text.cv_macro_f1;
		LOG_INFO("training done: candidate v%lld in %.1f s (accuracy %.4f)",
			 (long long)r.text.version, r.seconds, r.text.cv_accuracy);
	} else {
		snprintf(t->state, sizeof t->state, "failed");
		snprintf(t->error, sizeof t->error, "%s", err);
		LOG_ERR("training failed: %s", err);
	}
	pthread_mutex_unlock(&t->lock);
	push(t);
	/* last: a new start may join this thread while holding the lock */
	pthread_mutex_lock(&t->lock);
	t->running = 0;
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static int api_start(void *arg, const char *by, char *err, size_t errlen)
{
	struct kd_training *t = arg;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if (t->running) {
		pthread_mutex_unlock(&t->lock);
		return 1;
	}
	if (t->joinable) {            /* the last one ended: collect its thread */
		pthread_join(t->thread, NULL);
		t->joinable = 0;
	}
	snprintf(t->state, sizeof t->state, "running");
	snprintf(t->by, sizeof t->by, "%s", by ? by : "");
	snprintf(t->stage, sizeof t->stage, "starting");
	t->error[0] = '\0';
	t->done = t->total = 0;
	t->fraction = t->elapsed_s = 0;
	t->left_s = -1;
	t->started_ms = cm_wall_ms();
	t->finished_ms = 0;
	t->version = 0;
	t->last_push_ms = 0;
	t->running = 1;
	if (pthread_create(&t->thread, NULL, train_main, t)) {
		t->running = 0;
		snprintf(t->state, sizeof t->state, "failed");
		snprintf(err, errlen, "cannot start the training thread");
		rc = -1;
	} else {
		t->joinable = 1;
		LOG_INFO("training started by %s", t->by);
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

static char *api_status(void *arg)
{
	struct kd_training *t = arg;
	char *s;

	pthread_mutex_lock(&t->lock);
	s = status_locked(t);
	pthread_mutex_unlock(&t->lock);
	return s;
}

static void api_reload(void *arg)
{
	(void)arg;
	kd_signals_reload();
}

struct kd_training *kd_training_create(const struct kefu_conf *conf,
				       void (*event)(void *arg, const char *json),
				       void *event_arg)
{
	struct kd_training *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->conf = conf;
	t->event = event;
	t->event_arg = event_arg;
	pthread_mutex_init(&t->lock, NULL);
	atomic_init(&t->stop, 0);
	snprintf(t->state, sizeof t->state, "idle");
	t->left_s = -1;
	t->api = (struct api_training){ api_start, api_status, api_reload, t };
	return t;
}

const struct api_training *kd_training_api(struct kd_training *t)
{
	return t ? &t->api : NULL;
}

void kd_training_destroy(struct kd_training *t)
{
	int joinable;

	if (!t)
		return;
	atomic_store(&t->stop, 1);
	pthread_mutex_lock(&t->lock);
	joinable = t->joinable;
	t->joinable = 0;
	pthread_mutex_unlock(&t->lock);
	if (joinable)
		pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
