/* picture/picture.h — one picture, read and answered (prefix pic_): the one library call a
 * kefud worker makes for a customer's picture, and the models behind it.
 *
 * pic_answer reads the picture (vis_see: decode with the caller's limits, OCR, codes,
 * entities, safety classes, embedding), checks the image blocklist, asks the picture
 * catalogue (category head's label, matching answers) and then the answer policy
 * (pol_answer) with the words, and returns all of it in one struct pic_seen.  Nothing in
 * it calls back into its caller: the daemon hands over the bytes and gets the reply.
 *
 * struct pic_models is shared by every worker thread: the safety and embedding CNNs
 * (mmapped read-only, opened at create; a missing file is a warning and that step is
 * skipped) and three reloadable models, each in its own slot (common/slot.h): the image
 * blocklist (conf image_blocklist), the picture catalogue with its category head and the
 * answers' picture labels (vision/catalog.h, policy.h), and the store's fusion model
 * (fusion/).  They are loaded at create (main thread) and again by pic_load_* (kefud's
 * signal thread on SIGHUP, its live thread on a change); a worker answers one picture
 * with the objects it acquired for it, so a reload never frees one in use.
 *
 * The vision workers (vis_worker: tesseract engine with its reader thread, zbar scanner,
 * CNN states) are made after create on a warm-up thread, as many as pictures may run at
 * once (conf_media_workers), and each picture leases one for its vis_see: the first
 * picture after a start does not load them, and no more are held than can be used.
 * struct pic_worker belongs to one calling thread: its fu_state for the current fusion
 * model, made on first use.
 */
#ifndef KEFU_PICTURE_H
#define KEFU_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "conf.h"
#include "policy.h"
#include "vision.h"

struct pic_models;
struct pic_worker;

/* Opens the CNNs under conf->models and loads the blocklist, fusion model and catalogue
 * (when conf->vision), and starts the thread making the vision workers.  conf must
 * outlive the models.  Main thread, at start.  NULL with err only on no memory; missing
 * models are warnings. */
struct pic_models *pic_models_create(const struct kefu_conf *conf, char *err, size_t errlen);
/* After every thread that answers pictures stopped.  NULL is fine. */
void pic_models_destroy(struct pic_models *p);

/* Reload the blocklist, the fusion model, the catalogue (with head and labels) from
 * conf and the store, each swapped into its slot.  0, or -1 with err (the current one
 * stays).  Any thread, concurrently too (each load opens its own store connection and
 * the swap is the slot's): kefud's main thread at start, its signal thread on SIGHUP,
 * its live thread when the store changed. */
int pic_load_blocklist(struct pic_models *p, char *err, size_t errlen);
int pic_load_fusion(struct pic_models *p, char *err, size_t errlen);
int pic_load_catalog(struct pic_models *p, char *err, size_t errlen);

/* 1 if the SHA-256 (64 lowercase hex) is on the current blocklist, else 0.  Any thread. */
int pic_blocked(struct pic_models *p, const char *sha256);

#define PIC_MAX_MATCHES 3

/* What one picture was read as and answered with (pic_answer). */
struct pic_seen {
	struct vis_seen seen;             /* decode, OCR, codes, entities, safety, embedding
					     (seen.unsafe also set by the blocklist) */
	char sha256[65];                  /* of the bytes, lowercase hex */
	const char *format;               /* "png", "jpeg", ... (static) */
	const char *safety_label;         /* the safety model's top class, or "" */
	char category[64];                /* the category head's label, or "" */
	float category_p;
	struct vis_match match[PIC_MAX_MATCHES];  /* the catalogue's answers, best first */
	int n_match;
	int answered;                     /* reply is filled (ask was set) */
	struct pol_reply reply;           /* the answer policy's reply */
};

/* Calling (worker) thread: reads the picture (data, len) with opts, checks the
 * blocklist, asks the catalogue and, when ask, the answer policy with words and base's
 * bot and thresholds (the picture side — catalogue labels, fusion model and *pw's state
 * for it — is acquired here for this picture and released before it returns).  0 with
 * *out filled (free with pic_seen_free), a VIS_E_* code (negative) of the picture with
 * the reason in err, or PIC_FAILED (no memory, pictures unavailable: err says which);
 * nothing to free then. */
#define PIC_FAILED 1
int pic_answer(struct pic_models *p, struct pic_worker **pw, const struct pol_models *base,
	       const uint8_t *data, size_t len, const struct vis_decode_opts *opts,
	       const char *words, size_t words_len, int ask, struct pic_seen *out,
	       char *err, size_t errlen);
void pic_seen_free(struct pic_seen *s);

/* The picture as the answer policy reads it: pointers into s (read text, embedding, the
 * UTF-8 codes into codes, the entities into ents: the caller's arrays of at least
 * s->codes.n and s->n_entities entries), the category head's label (NULL or "" when
 * none) and the catalogue's matches (match[0..n_match) into pm).  pic_answer and `kefu
 * see` build the policy's input this one way.  Any thread. */
struct pol_picture pic_policy_picture(const struct vis_seen *s, struct pol_entity *ents,
				      const char **codes, const char *category,
				      float category_p, const struct vis_match *match,
				      struct pol_match *pm, int n_match);

/* Frees a thread's picture state (NULL is fine).  Its thread, or after it ended. */
void pic_worker_destroy(struct pic_worker *pw);

#endif
