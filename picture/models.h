/* picture/models.h — inside the picture library: what picture/answer.c takes from the
 * shared models (models.c) for one picture.  Threads as in picture.h: pic_lease_vision
 * and pic_return_vision on the answering thread, under the models' lock.
 */
#ifndef KEFU_PICTURE_MODELS_H
#define KEFU_PICTURE_MODELS_H

#include <pthread.h>

#include "picture.h"
#include "slot.h"

/* The image blocklist: SHA-256 hex digests, sorted. */
struct pic_blocklist {
	char (*v)[65];
	size_t n;
};

/* The catalogue and the answers' picture labels, loaded together. */
struct pic_catalogue {
	struct vis_catalog *cat;
	struct pol_labels *labels;
};

struct pic_models {
	const struct kefu_conf *conf;
	struct vis_cnn *safety, *embed;      /* read-only after create; may be NULL */
	struct nlu_glove *glove;             /* for fusion models; opened by
						pic_models_create, read-only after */
	struct cm_slot *blocklist;           /* struct pic_blocklist */
	struct cm_slot *catalogue;           /* struct pic_catalogue */
	struct cm_slot *fusion;              /* struct fu_model */
	/* the vision workers (tesseract, zbar, CNN states): as many as pictures may run at
	   once (conf_media_workers), made at start by the warm-up thread, leased for one
	   picture at a time */
	pthread_mutex_t vis_lock;
	pthread_cond_t vis_cond;
	pthread_t warm;
	int warm_started;
	struct vis_worker **vis;             /* {vis_lock} free ones: vis[0..n_free) */
	int n_vis, n_free;                   /* {vis_lock} made, free */
	int warming;                         /* {vis_lock} the warm-up thread still runs */
	char vis_err[256];                   /* {vis_lock} why none could be made */
};

/* A free vision worker for one picture (waiting while all are in use or still being
 * made), or NULL with err when none could be made or pictures are off. */
struct vis_worker *pic_lease_vision(struct pic_models *p, char *err, size_t errlen);
/* Gives a leased vision worker back. */
void pic_return_vision(struct pic_models *p, struct vis_worker *vw);

#endif
