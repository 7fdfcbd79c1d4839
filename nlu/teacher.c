/* nlu/teacher.c — what the Universal Sentence Encoder needs of a training set, computed
 * once (nlu_teacher, model.h): each distinct text's USE vector and, when the encoder
 * teaches (`--distill`), `copies` neighbour copies of each text (neighbours.c) with theirs.
 * The vectors come from the batched forward pass on both cores (nlu_use_embed_many, ~1.5
 * ms of CPU per sentence against ~3 ms one at a time).  A copy depends only on its text
 * and its number (its random seed is the text's hash), so the same text has the same
 * copies in every fold of a cross-validation, and `kefu train` builds this once for the
 * folds and the final model (train.c, eval.c).  Built on the caller's thread (and the
 * encoder's helpers); read-only afterwards, shared by every training thread.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "model.h"
#include "use.h"

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void nlu_teacher_destroy(struct nlu_teacher *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->copy && i < t->n * (size_t)t->copies; i++)
		free(t->copy[i]);
	free(t->copy);
	free(t->text);
	free(t->x);
	free(t->copy_x);
	free(t);
}

long nlu_teacher_find(const struct nlu_teacher *t, const char *text)
{
	char *const *p = bsearch(&text, t->text, t->n, sizeof *t->text, cmp_text);
	return p ? (long)(p - t->text) : -1;
}

/* USE vectors of texts[0..n) × scale into x; 0 ok, -1 out of memory. */
static int embed(const struct nlu_enc_opts *o, char *const *texts, size_t n, float scale,
		 float *x)
{
	if (nlu_use_embed_many(o->use, (const char *const *)texts, n, x, o->use_threads) < 0)
		return -1;
	for (size_t i = 0; i < n * NLU_USE_DIM; i++)
		x[i] *= scale;
	return 0;
}

struct nlu_teacher *nlu_teacher_build(const struct nlu_dataset *d, const struct nlu_enc_opts *o,
				      int copies, float scale)
{
	struct nlu_teacher *t = calloc(1, sizeof *t);
	struct nlu_nbr *nb = NULL;
	if (!t || !o->use || !(t->text = malloc(sizeof *t->text * (d->n ? d->n : 1))))
		goto fail;
	memcpy(t->text, d->texts, sizeof *t->text * d->n);   /* borrowed from d */
	qsort(t->text, d->n, sizeof *t->text, cmp_text);
	for (size_t i = 0; i < d->n; i++)
		if (!t->n || strcmp(t->text[t->n - 1], t->text[i]))
			t->text[t->n++] = t->text[i];
	if (!(t->x = malloc(sizeof *t->x * NLU_USE_DIM * (t->n ? t->n : 1))) ||
	    embed(o, t->text, t->n, scale, t->x))
		goto fail;
	if (copies <= 0 || !o->glove)
		return t;
	size_t m = t->n * (size_t)copies;
	t->copies = copies;
	if (!(nb = nlu_nbr_build(o->glove, t->text, t->n)) ||
	    !(t->copy = calloc(m ? m : 1, sizeof *t->copy)) ||
	    !(t->copy_x = malloc(sizeof *t->copy_x * NLU_USE_DIM * (m ? m : 1))))
		goto fail;
	for (size_t i = 0; i < t->n; i++)
		for (int r = 0; r < copies; r++) {
			/* the text's own seed: its copies are the same whichever set holds it */
			uint64_t seed = cm_fnv1a(CM_FNV1A_INIT, t->text[i], strlen(t->text[i])) ^
					(0x9fb21c651e98df25ull * (uint64_t)(r + 1));
			if (!seed)
				seed = 1;
			if (!(t->copy[i * (size_t)copies + (size_t)r] =
				      nlu_nbr_copy(nb, t->text[i], o->distill_p, &seed)))
				goto fail;
		}
	if (embed(o, t->copy, m, scale, t->copy_x))
		goto fail;
	nlu_nbr_destroy(nb);
	return t;
fail:
	nlu_nbr_destroy(nb);
	nlu_teacher_destroy(t);
	return NULL;
}
