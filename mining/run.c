/* mining/run.c — the whole mining step on a set of collected questions (mining.h
 * mn_run): features, similarities, clusters, names and nearest answers, as kefud's
 * review thread and `kefu eval-mining` both run it.  Calling thread.
 */
#include "mining.h"

#include <stdio.h>
#include <stdlib.h>

int mn_run(const struct nlu_bot *bot, struct nlu_state *ns, const struct nlu_glove *glove,
	   const struct mn_opts *o, const char *const *texts, size_t n, struct mn_result *r,
	   char *err, size_t errlen)
{
	struct mn_vecs *v = NULL;
	float *sim = NULL;

	r->k = 0;
	r->cluster = NULL;
	r->named = NULL;
	r->feat_used = o->feat;
	if (!n)
		return 0;
	if (!(v = mn_embed(bot, glove, o, texts, n, &r->feat_used, err, errlen)))
		return -1;
	if (!(sim = mn_similarity(v)) || !(r->cluster = malloc(n * sizeof *r->cluster)))
		goto nomem;
	if ((r->k = mn_cluster(sim, n, o, r->cluster)) < 0)
		goto nomem;
	if (!(r->named = calloc((size_t)(r->k ? r->k : 1), sizeof *r->named)) ||
	    mn_name(bot, ns, sim, texts, n, r->cluster, r->k, r->named))
		goto nomem;
	free(sim);
	mn_vecs_free(v);
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	free(sim);
	mn_vecs_free(v);
	mn_result_free(r);
	return -1;
}

void mn_result_free(struct mn_result *r)
{
	free(r->cluster);
	free(r->named);
	r->cluster = NULL;
	r->named = NULL;
	r->k = 0;
}
