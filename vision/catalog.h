/* vision/catalog.h — picture search and the category head over the store's pictures
 * (prefix vis_catalog_, vis_head_).
 *
 * A catalogue is the store's pictures (store_pictures_foreach) as L2-normalised
 * embeddings of one CNN (the embedding model, e.g. models/mobilenet_v2_imagenet.kfm),
 * each picture tied to the answers it illustrates (its own answer_id, and the answers
 * whose tags list its label: store_picture_answers_foreach), plus the latest category
 * head the store holds (model kind "image_head", trained by `kefu train`).
 *
 *   match     a query embedding (vis_see's, or the multi-view one of vis_catalog_embed)
 *             against every picture by cosine; an answer scores the mean of the best 5
 *             cosines of its pictures.  When the best cosine is below the catalogue's threshold the
 *             picture is "not in the catalogue" and nothing matches.
 *   category  softmax regression over the power-normalised embedding: label and probability.
 *
 * Threads: vis_catalog_load runs on one thread (the daemon's start-up or SIGHUP thread,
 * the CLI) with its own store connection; it computes and stores missing or stale
 * embeddings (a picture whose embed_model differs from the CNN's name) on that thread.
 * After load a catalogue is immutable: any number of workers call vis_catalog_match /
 * vis_catalog_category on it concurrently without locks.  vis_catalog_embed uses the
 * caller's vis_cnn_state (one per worker).  Free with vis_catalog_free once no worker
 * uses it.
 */
#ifndef KEFU_VISION_CATALOG_H
#define KEFU_VISION_CATALOG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "vision.h"

struct store;
struct vis_catalog;

#define VIS_HEAD_KIND "image_head"      /* store_model_put kind of the category head */

/* Default cosine below which a query is "not in the catalogue", tuned on clothing: with
 * 3-view embeddings every one of the 341 validation photos has a training photo at
 * >= 0.564, while 29 of 30 out-of-catalogue pictures (screenshots, receipts, codes, a
 * flag, a flower, a landscape) stay below 0.46; the portrait of Grace Hopper in uniform
 * reaches 0.513 (docs/vision.md). */
#define VIS_CATALOG_THRESHOLD 0.50f

/* Views averaged into a catalogue picture's embedding, and the number a query should
 * use for the best category (vis_catalog_embed): the picture, its mirror, the picture
 * padded to a square. */
#define VIS_CATALOG_VIEWS 3

struct vis_catalog_opts {
	float threshold;        /* 0: VIS_CATALOG_THRESHOLD */
	int no_compute;         /* 1: skip pictures without a current embedding instead of
				   computing them (read-only stores) */
	int views;              /* views per missing picture embedding (vis_catalog_embed);
				   0: VIS_CATALOG_VIEWS */
	const atomic_int *cancel;  /* may be NULL; once set (another thread), no more
				   embeddings are computed: those stored so far stay */
};

/* Loads the store's pictures and latest category head for embedding CNN embed (must
 * have embed_dim > 0).  Computes and stores the embeddings that are missing or from
 * another model (decode + forward: ~40 ms a picture).  Returns NULL with err on a store
 * or model error; a store without pictures gives an empty catalogue (matches nothing).
 * opts may be NULL.  The caller keeps embed open while the catalogue lives. */
struct vis_catalog *vis_catalog_load(struct store *st, const struct vis_cnn *embed,
				     const struct vis_catalog_opts *opts, char *err,
				     size_t errlen);
void vis_catalog_free(struct vis_catalog *cat);

int vis_catalog_size(const struct vis_catalog *cat);        /* pictures with an embedding */
int vis_catalog_dim(const struct vis_catalog *cat);
const char *vis_catalog_embed_name(const struct vis_catalog *cat);  /* the CNN's name */
int vis_catalog_has_head(const struct vis_catalog *cat);    /* 1 if a category head loaded */
float vis_catalog_threshold(const struct vis_catalog *cat);

struct vis_match {
	int64_t answer_id;
	char title[128];        /* the answer's title (truncated), "" if unknown */
	float score;            /* mean of the best 5 cosines between the query and the
				   answer's pictures (fewer if it has fewer) */
	int64_t picture_id;     /* that picture */
	char label[64];         /* its label */
};

/* Matches embedding q (dim floats, L2-normalised; vis_seen.embed when the worker's
 * embedding CNN is the catalogue's) against the catalogue.  Writes at most max answers,
 * best first, each with a picture whose cosine is >= the threshold; returns how many
 * (0 = not in the catalogue), VIS_E_ARG when dim differs, VIS_E_NOMEM.  *best (may be NULL) gets the best cosine
 * over all pictures, whether or not it passed.  Any thread, lock-free. */
int vis_catalog_match(const struct vis_catalog *cat, const float *q, int dim,
		      struct vis_match *out, int max, float *best);

/* The category head's verdict on q: 0 with *label (points into the catalogue) and *p
 * (its softmax probability), 1 when the catalogue has no head, 2 when q is not in the
 * catalogue (best cosine under the threshold: the head has no "other" class, so a
 * screenshot would otherwise get a garment), VIS_E_ARG when dim differs.  Any thread,
 * lock-free. */
int vis_catalog_category(const struct vis_catalog *cat, const float *q, int dim,
			 const char **label, float *p);

/* ---- the category head (head.c) --------------------------------------------------- */

struct vis_head;

#define VIS_HEAD_STANDARDISE 1u    /* standardise the features (off by default) */

struct vis_head_opts {
	float l2;               /* weight decay (0: 0.1 / n, i.e. C = 10) */
	int epochs;             /* full-batch Adam passes (0: 500) */
	float lr;               /* Adam step (0: 0.05) */
	unsigned flags;         /* VIS_HEAD_STANDARDISE */
};

/* Trains a softmax regression over n embeddings x (n × dim) with labels y (0..n_labels-1,
 * names in labels) on power-normalised features (sqrt, then L2; see head.c).  NULL on no memory / bad arguments.  Any
 * thread (the caller's); no BLAS threads of its own. */
struct vis_head *vis_head_train(const float *x, const int *y, int n, int dim,
				const char *const *labels, int n_labels,
				const char *embed_name, const struct vis_head_opts *opts);
void vis_head_free(struct vis_head *h);
/* Most likely label index for x (dim floats); probs (n_labels floats) may be NULL. */
int vis_head_predict(const struct vis_head *h, const float *x, float *probs);
int vis_head_n_labels(const struct vis_head *h);
const char *vis_head_label(const struct vis_head *h, int i);
int vis_head_dim(const struct vis_head *h);
const char *vis_head_embed_name(const struct vis_head *h);
/* Calibrates h's probabilities (temperature scaling): trains a head on all but each of
 * folds folds of x / y (the data h was trained on, same opts), fits the temperature T
 * minimising the held-out negative log-likelihood, and divides h's weights and biases by
 * T (the predicted label is unchanged; its probability now means what it says, which the
 * answer policy's head combination relies on).  Returns T (1 when it could not run: no
 * memory, or fewer than 2 samples per fold).  Caller's thread. */
float vis_head_calibrate(struct vis_head *h, const float *x, const int *y, int n, int folds,
			 const struct vis_head_opts *opts);
/* Serialises h ("VHEAD" format, version 1) into a malloc'd blob; NULL on no memory. */
void *vis_head_save(const struct vis_head *h, size_t *len);
/* Parses a blob of vis_head_save; NULL with err when it is malformed. */
struct vis_head *vis_head_load(const void *blob, size_t len, char *err, size_t errlen);

/* What `kefu train` calls: loads the catalogue of the store's labelled pictures with
 * embed (computing missing embeddings), trains the head on every labelled picture
 * (each with views-view embeddings) and stores it with store_model_put(VIS_HEAD_KIND).
 * Returns 0 (n_pictures and n_labels set; version_out may be NULL), 1 when the store
 * has fewer than 2 labels (nothing trained), or < 0 with err.  Caller's thread. */
int vis_head_train_store(struct store *st, const struct vis_cnn *embed, int *n_pictures,
			 int *n_labels, int64_t *version_out, char *err, size_t errlen);
/* The same, saved with run (the "nlu" version of the same training, 0: none) and live
 * (0: a candidate) as store_model_save takes them. */
int vis_head_train_store_as(struct store *st, const struct vis_cnn *embed, int64_t run,
			    int live, int *n_pictures, int *n_labels, int64_t *version_out,
			    char *err, size_t errlen);

#endif
