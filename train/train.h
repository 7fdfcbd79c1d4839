/* train/train.h — one training of everything kefu learns from its store (prefix trn_).
 *
 * `kefu train` and kefud's background training (daemon/training.c) run the same steps
 * through trn_run: the text encoder (nlu/: cross-validation with its report, then the
 * final model), the picture step (vision/: missing catalogue embeddings, the category
 * head) and the fusion model (fusion/), saved as one training run: the "nlu" model's
 * version names it, the picture and fusion models carry it as their run, and making it
 * live (store_model_activate) makes them live together.  Older versions beyond
 * keep_models are deleted afterwards.
 *
 * Progress: one callback gets the stage, its step (done of total: folds, epochs), the
 * fraction of the whole training done and an estimate of the time left, from the
 * shares the stages took on the demo store (docs/learning.md).
 *
 * Threads: trn_run runs on the caller's thread with the caller's store connection (plus
 * the text encoder's helper thread); callbacks come on that thread.  Set `stop` to
 * make it give up between two steps (kefud shutting down).
 */
#ifndef KEFU_TRAIN_H
#define KEFU_TRAIN_H

#include <stdatomic.h>
#include <stdint.h>

#include "fusion.h"
#include "nlu.h"

struct store;

struct trn_progress {
	const char *stage;       /* "cross-validation", "text model", "pictures", "fusion" */
	int done, total;         /* steps of the stage */
	double fraction;         /* of the whole training, 0..1 */
	double elapsed_s;        /* since trn_run started */
	double left_s;           /* estimated; < 0 while unknown */
};

struct trn_opts {
	const char *models;      /* folder of converted weights (conf `models`) */
	const char *image_embed; /* the CNN of picture embeddings (conf `image_embed`) */
	int cv_folds;            /* 0: none (no report) */
	int live;                /* 1: live at once; 0: a candidate */
	int keep;                /* versions kept afterwards (conf keep_models); 0: all */
	void (*progress)(void *arg, const struct trn_progress *p);   /* may be NULL */
	void *progress_arg;
	const atomic_int *stop;  /* may be NULL; non-zero: stop at the next step */
	int text_use;            /* 1: the text encoder gets a USE half (kefu train --use); 2:
				    USE only teaches it (--distill) */
};

struct trn_result {
	struct nlu_train_result text;
	int pictures;            /* 0 none, 1 head trained, 2 fewer than 2 labels */
	int n_pictures, n_labels;
	int64_t head_version;
	struct fu_store_result fusion;
	char fusion_note[300];   /* why fusion was skipped ("" when trained) */
	int pruned;              /* model rows deleted (keep) */
	double seconds;          /* the whole training */
};

/* Runs the whole training on st.  0 ok (r filled); -1 with a message in err. */
int trn_run(struct store *st, const struct trn_opts *o, struct trn_result *r, char *err,
	    size_t errlen);

/* ---- versions.c: the text model's versions ---------------------------------------- */

/* {"versions": [{"version", "state": "live"|"candidate"|"earlier", "created_ms",
 * "live_ms", "bytes", "cv_accuracy", "cv_macro_f1", "examples", "report", "data_hash"}],
 * "live": V|null, "rollback_to": V|null} newest first, malloc'd; NULL on a store error. */
char *trn_versions_json(struct store *st);
/* The report of version (docs/learning.md: without the out-of-fold predictions) with
 * "against_live": the comparison with the live version's on the same questions (null
 * when it is live or the live one has no report).  0 (*out malloc'd), STORE_NOT_FOUND,
 * or < 0. */
int trn_report_json(struct store *st, int64_t version, char **out);
/* Makes the version live before the live one live again (*version gets it); 0,
 * STORE_NOT_FOUND (none was), or < 0. */
int trn_rollback(struct store *st, int64_t *version);

#endif
