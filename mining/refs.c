/* mining/refs.c — the answer store's example questions as vectors, kept across the
 * review thread's new-topic passes (mining.h mn_refs_get).  Embedding the store is most
 * of a pass's work and the store changes rarely: the vectors are kept while the bot's
 * generation (a reload: a new model, new features, a new idf), the example texts and
 * the feature options stay the same, and computed anew when any of them changes.
 * Owned by one thread (the review thread); nothing shared.
 */
#include "mining.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

struct mn_refs {
	struct mn_vecs *v;         /* NULL: nothing kept */
	unsigned gen;
	uint64_t key;              /* the texts and options the vectors were made from */
};

struct mn_refs *mn_refs_create(void)
{
	return calloc(1, sizeof(struct mn_refs));
}

void mn_refs_free(struct mn_refs *c)
{
	if (!c)
		return;
	mn_vecs_free(c->v);
	free(c);
}

/* FNV-1a over the options that shape the vectors and every text (NUL-terminated). */
static uint64_t key_of(const struct nlu_glove *glove, const struct mn_opts *o,
		       const char *const *texts, size_t n)
{
	uint64_t h = CM_FNV1A_INIT;
	struct { int feat, center; float w; const void *glove; size_t n; } k;

	memset(&k, 0, sizeof k);    /* no padding bytes of chance in the hash */
	k.feat = o->feat;
	k.center = o->center;
	k.w = o->glove_weight;
	k.glove = glove;
	k.n = n;
	h = cm_fnv1a(h, &k, sizeof k);
	for (size_t i = 0; i < n; i++)
		h = cm_fnv1a(h, texts[i], strlen(texts[i]) + 1);
	return h;
}

const struct mn_vecs *mn_refs_get(struct mn_refs *c, const struct nlu_bot *bot, unsigned gen,
				  const struct nlu_glove *glove, const struct mn_opts *o,
				  const char *const *texts, size_t n, int *fresh, char *err,
				  size_t errlen)
{
	uint64_t key = key_of(glove, o, texts, n);

	if (fresh)
		*fresh = 0;
	if (c->v && c->gen == gen && c->key == key)
		return c->v;
	mn_vecs_free(c->v);
	c->v = mn_embed(bot, glove, o, texts, n, NULL, err, errlen);
	c->gen = gen;
	c->key = key;
	if (fresh)
		*fresh = c->v != NULL;
	return c->v;
}
