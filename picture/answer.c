/* picture/answer.c — one picture, read and answered (pic_answer, picture.h): a leased
 * vision worker reads it, the blocklist may refuse it, the catalogue acquired for it names
 * its category and matching answers, and the answer policy decides the reply with the
 * fusion model acquired for it and the calling thread's state for that model.  Runs on
 * the calling (worker) thread; OCR runs meanwhile on the vision worker's reader thread
 * (vision/see.c).  Takes the shared models from models.c; calls nothing of its caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion.h"
#include "hash.h"
#include "log.h"
#include "models.h"

/* One calling thread's state: its fu_state for the fusion model of generation fu_gen. */
struct pic_worker {
	struct fu_state *fu;
	unsigned fu_gen;
};

/* What one picture is answered with: the catalogue and fusion model acquired for it. */
struct pic_use {
	struct cm_slot_ref cat, fusion;
};

/* ---- per-worker state -------------------------------------------------------------------- */

static struct pic_worker *worker_state(struct pic_worker **pw)
{
	if (!*pw)
		*pw = calloc(1, sizeof **pw);
	return *pw;
}

/* Acquires the current catalogue and fusion model into u and fills the picture side of
 * pm (fusion model + this thread's state for it, the answers' labels).  Release with
 * release once pol_answer returned.  A picture answered without the models it could
 * not get: no fusion model when its state cannot be made. */
static void acquire(struct pic_models *p, struct pic_worker **pwp, struct pic_use *u,
		    struct pol_models *pm)
{
	struct pic_worker *pw = worker_state(pwp);
	struct pic_catalogue *c = cm_slot_acquire(p->catalogue, &u->cat);
	struct fu_model *f = cm_slot_acquire(p->fusion, &u->fusion);

	pm->labels = c ? c->labels : NULL;
	pm->fusion = NULL;
	pm->fs = NULL;
	if (!f || !pw)
		return;
	if (!pw->fu || pw->fu_gen != u->fusion.gen) {
		fu_state_destroy(pw->fu);
		pw->fu = fu_state_create(f);
		pw->fu_gen = u->fusion.gen;
	}
	if (pw->fu) {
		pm->fusion = f;
		pm->fs = pw->fu;
	}
}

static void release(struct pic_models *p, struct pic_use *u)
{
	cm_slot_release(p->catalogue, &u->cat);
	cm_slot_release(p->fusion, &u->fusion);
}

/* The catalogue's view of embedding (dim floats) for pol_picture: the category head's
 * label (copied into label, "" when none) and probability, and the matching answers
 * (best first, at most PIC_MAX_MATCHES; returns how many).  Uses u's catalogue. */
static int catalogue_view(const struct pic_use *u, const float *embed, int dim,
			  char *label, size_t labellen, float *label_p, struct vis_match *out)
{
	const struct pic_catalogue *c = u->cat.obj;
	const char *l = NULL;
	int n;

	label[0] = '\0';
	*label_p = 0;
	if (!c || !embed)
		return 0;
	if (vis_catalog_category(c->cat, embed, dim, &l, label_p) == 0 && l)
		snprintf(label, labellen, "%s", l);
	n = vis_catalog_match(c->cat, embed, dim, out, PIC_MAX_MATCHES, NULL);
	return n < 0 ? 0 : n;
}

/* ---- one picture, read and answered ------------------------------------------------------ */

struct pol_picture pic_policy_picture(const struct vis_seen *s, struct pol_entity *ents,
				      const char **codes, const char *category,
				      float category_p, const struct vis_match *match,
				      struct pol_match *pm, int n_match)
{
	struct pol_picture pic = { .unsafe = s->unsafe, .ocr_text = s->ocr.text,
				   .entities = ents, .n_entities = s->n_entities,
				   .codes = codes, .embed = s->embed,
				   .embed_dim = s->embed ? s->embed_dim : 0,
				   .category = category, .category_p = category_p,
				   .matches = pm, .n_matches = n_match };

	for (int i = 0; i < s->n_entities; i++)
		ents[i] = (struct pol_entity){ s->entities[i].kind == VIS_ENT_ORDER ? POL_ENT_ORDER :
					       s->entities[i].kind == VIS_ENT_ERROR_CODE
						       ? POL_ENT_ERROR_CODE : POL_ENT_OTHER,
					       s->entities[i].text };
	for (int i = 0; i < s->codes.n; i++)
		if (s->codes.v[i].utf8)            /* only UTF-8 contents are text */
			codes[pic.n_codes++] = s->codes.v[i].data;
	for (int i = 0; i < n_match; i++)
		pm[i] = (struct pol_match){ match[i].answer_id, match[i].score };
	return pic;
}

int pic_answer(struct pic_models *p, struct pic_worker **pw, const struct pol_models *base,
	       const uint8_t *data, size_t len, const struct vis_decode_opts *opts,
	       const char *words, size_t words_len, int ask, struct pic_seen *out,
	       char *err, size_t errlen)
{
	struct vis_worker *vw = p ? pic_lease_vision(p, err, errlen) : NULL;
	struct pol_match pmatch[PIC_MAX_MATCHES];
	struct pol_entity *ents = NULL;
	const char **codes = NULL;
	struct pic_use use = { 0 };
	struct pol_models m = *base;
	int rc;

	memset(out, 0, sizeof *out);
	if (!vw) {
		if (!p)
			snprintf(err, errlen, "pictures are not available");
		return PIC_FAILED;
	}
	/* the vision decoder takes a zero-byte buffer as corrupt_image */
	rc = vis_see(vw, data ? data : (const uint8_t *)"", len, opts, &out->seen, err, errlen);
	pic_return_vision(p, vw);
	if (rc)
		return rc;
	out->format = out->seen.format_name;
	out->safety_label = out->seen.safety_label;
	if (cm_sha256_hex(data, len, out->sha256))
		goto oom;
	/* a picture on the operator's blocklist is refused whatever the model says */
	if (!out->seen.unsafe && pic_blocked(p, out->sha256)) {
		LOG_INFO("a picture is on the image_blocklist");
		out->seen.unsafe = 1;
	}
	acquire(p, pw, &use, &m);
	if (!out->seen.unsafe && out->seen.embed)
		out->n_match = catalogue_view(&use, out->seen.embed, out->seen.embed_dim,
					      out->category, sizeof out->category,
					      &out->category_p, out->match);
	if (ask) {
		ents = calloc((size_t)out->seen.n_entities + 1, sizeof *ents);
		codes = calloc((size_t)out->seen.codes.n + 1, sizeof *codes);
		if (!ents || !codes)
			goto oom_release;
		struct pol_picture pic = pic_policy_picture(&out->seen, ents, codes,
							    out->category, out->category_p,
							    out->match, pmatch, out->n_match);
		struct pol_input in = { .words = words, .words_len = words ? words_len : 0,
					.picture = &pic };
		if (pol_answer(&m, &in, &out->reply))
			goto oom_release;
		out->answered = 1;
	}
	release(p, &use);
	free(ents);
	free(codes);
	return 0;
oom_release:
	release(p, &use);
oom:
	free(ents);
	free(codes);
	pic_seen_free(out);
	snprintf(err, errlen, "out of memory");
	return PIC_FAILED;
}

void pic_seen_free(struct pic_seen *s)
{
	pol_reply_clear(&s->reply);
	vis_seen_free(&s->seen);
	memset(s, 0, sizeof *s);
}

void pic_worker_destroy(struct pic_worker *pw)
{
	if (!pw)
		return;
	fu_state_destroy(pw->fu);
	free(pw);
}

