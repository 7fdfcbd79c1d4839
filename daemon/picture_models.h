/* daemon/picture_models.h — the models behind pictures and each worker's state for them
 * (prefix kd_pic_).
 *
 * struct kd_pic is shared by every worker: the safety and embedding CNNs (mmapped
 * read-only, opened at start; a missing file is a warning and that step is skipped) and
 * three reloadable models, each in its own slot (slot.h): the image blocklist (conf
 * image_blocklist), the picture catalogue with its category head and the answers' picture
 * labels (vision/catalog.h, policy.h), and the store's fusion model (fusion/).  They are
 * loaded at start (main thread) and again on SIGHUP (signal thread); a worker answers one
 * picture with the objects it acquired for it, so a reload never frees one in use.
 *
 * kd_pic_answer is the one call a worker makes for a picture: it reads it (vis_see), checks
 * the blocklist, asks the catalogue and then the answer policy (pol_answer) with the
 * models acquired for it, and returns everything in one struct kd_pic_seen; nothing in
 * it calls back into the rest of the daemon.
 *
 * The vision workers (vis_worker: tesseract engine with its reader thread, zbar scanner,
 * CNN states) are made at start on a warm-up thread, as many as pictures may run at once
 * (conf_media_workers), and each picture leases one for its vis_see: the first picture
 * after a start does not load them, and kefud holds no more of them than it can use.
 * struct kd_pic_worker belongs to one worker thread: its fu_state for the current fusion
 * model.
 */
#ifndef KEFU_DAEMON_PICTURE_MODELS_H
#define KEFU_DAEMON_PICTURE_MODELS_H

#include <stddef.h>

#include "catalog.h"
#include "conf.h"
#include "policy.h"
#include "slot.h"
#include "vision.h"

struct kd_pic;
struct kd_pic_worker;

/* Opens the CNNs under conf->models and loads the blocklist, fusion model and catalogue
 * (when conf->vision), and starts the thread making the vision workers.  Main thread, at
 * start.  NULL with err only on no memory; missing
 * models are warnings. */
struct kd_pic *kd_pic_create(const struct kefu_conf *conf, char *err, size_t errlen);
/* Main thread, after the workers stopped.  NULL is fine. */
void kd_pic_destroy(struct kd_pic *p);

/* Reload the blocklist, the fusion model, the catalogue (with head and labels) from
 * conf and the store, each swapped into its slot.  0, or -1 with err (the current one
 * stays).  Main thread at start, signal thread on SIGHUP. */
int kd_pic_load_blocklist(struct kd_pic *p, char *err, size_t errlen);
int kd_pic_load_fusion(struct kd_pic *p, char *err, size_t errlen);
int kd_pic_load_catalog(struct kd_pic *p, char *err, size_t errlen);

/* 1 if the SHA-256 (64 lowercase hex) is on the current blocklist, else 0.  Any thread. */
int kd_pic_blocked(struct kd_pic *p, const char *sha256);

#define KD_MAX_MATCHES 3

/* What one picture is answered with: the catalogue and fusion model acquired for it. */
struct kd_pic_use {
	struct kd_slot_ref cat, fusion;
};

/* Worker thread.  Acquires the current catalogue and fusion model into u and fills the
 * picture side of pm (fusion model + the worker's state for it, the answers' labels).
 * Release with kd_pic_release once pol_answer returned. */
void kd_pic_acquire(struct kd_pic *p, struct kd_pic_worker **pw, struct kd_pic_use *u,
		    struct pol_models *pm);
void kd_pic_release(struct kd_pic *p, struct kd_pic_use *u);
/* The catalogue's view of embedding (dim floats) for pol_picture: the category head's
 * label (copied into label, "" when none) and probability, and the matching answers
 * (best first, at most KD_MAX_MATCHES; returns how many).  Uses u's catalogue. */
int kd_pic_match(const struct kd_pic_use *u, const float *embed, int dim, char *label,
		 size_t labellen, float *label_p, struct vis_match *out);

/* What one picture was read as and answered with (kd_pic_answer). */
struct kd_pic_seen {
	struct vis_seen seen;             /* decode, OCR, codes, entities, safety, embedding
					     (seen.unsafe also set by the blocklist) */
	char sha256[65];                  /* of the bytes, lowercase hex */
	const char *format;               /* "png", "jpeg", ... (static) */
	const char *safety_label;         /* the safety model's top class, or "" */
	char category[64];                /* the category head's label, or "" */
	float category_p;
	struct vis_match match[KD_MAX_MATCHES];   /* the catalogue's answers, best first */
	int n_match;
	int answered;                     /* reply is filled (ask was set) */
	struct pol_reply reply;           /* the answer policy's reply */
};

/* Worker thread: reads the picture (data, len) with opts, checks the blocklist, asks the
 * catalogue and, when ask, the answer policy with words and base's bot and thresholds
 * (the picture side is acquired here for this picture and released before it returns).
 * 0 with *out filled (free with kd_pic_seen_free), a VIS_E_* code (negative) of the
 * picture with the reason in err, or KD_PIC_FAILED (no memory, pictures unavailable:
 * err says which); nothing to free then. */
#define KD_PIC_FAILED 1
int kd_pic_answer(struct kd_pic *p, struct kd_pic_worker **pw, const struct pol_models *base,
		  const uint8_t *data, size_t len, const struct vis_decode_opts *opts,
		  const char *words, size_t words_len, int ask, struct kd_pic_seen *out,
		  char *err, size_t errlen);
void kd_pic_seen_free(struct kd_pic_seen *s);

/* Frees a worker's picture state (NULL is fine).  The worker's thread or after it ended. */
void kd_pic_worker_destroy(struct kd_pic_worker *pw);

#endif
