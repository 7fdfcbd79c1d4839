/* nlu/bot_model.c — a trained text encoder inside a bot: attaching the model file saved
 * by `kefu train` (classes are answer ids) to a bot built from the same store data, the
 * training-data hash that decides whether it still fits, and where the word vectors are.
 * Runs on the loading thread; the attached model is read-only afterwards and shared by
 * every worker like the rest of the bot (nlu_bot_reply in bot.c uses it).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glove.h"
#include "use.h"
#include "log.h"
#include "model.h"
#include "nlu_int.h"
#include "paths.h"

uint64_t nlu_data_hash_add(uint64_t h, int64_t answer_id, const char *text)
{
	unsigned char id[8];
	for (int i = 0; i < 8; i++)
		id[i] = (unsigned char)((uint64_t)answer_id >> (8 * i));
	h = cm_fnv1a(h, id, sizeof id);
	return cm_fnv1a(h, text, strlen(text) + 1);   /* the NUL ends one example */
}

void nlu_models_file(const char *models, const char *name, char *out, size_t outlen)
{
	char dir[1024];

	if (!models || !*models) {
		cm_data_dir("models", dir, sizeof dir);   /* kefu's own data folder */
		models = dir;
	}
	snprintf(out, outlen, "%s/%s", models, name);
}

void nlu_glove_path(const char *models, char *out, size_t outlen)
{
	nlu_models_file(models, "glove-100d.kfv", out, outlen);
}

void nlu_bot_model_free(struct nlu_bot *bot)
{
	nlu_enc_destroy(bot->enc);
	nlu_glove_close(bot->glove);
	nlu_use_close(bot->use);
	free(bot->enc_answer);
	bot->enc = NULL;
	bot->glove = NULL;
	bot->use = NULL;
	bot->enc_answer = NULL;
}

int nlu_bot_attach_model(struct nlu_bot *bot, const void *blob, size_t len, int64_t version,
			 uint64_t data_hash, const char *models, char *err, size_t errlen)
{
	char want[17], path[4200], msg[300];
	struct nlu_glove *g = NULL;
	struct nlu_enc *e;

	snprintf(want, sizeof want, "%016" PRIx64, data_hash);
	e = nlu_enc_load(blob, len, NULL, err, errlen);
	if (!e)
		return -1;
	/* A model trained on other example questions (answers edited since, or an earlier
	 * version made live again: a rollback) still answers for the answers it knows. */
	int stale = strcmp(e->data_hash, want) != 0;
	if (stale)
		LOG_INFO("trained model v%lld is for other example questions (data %s, store %s):"
			 " answering with it until the next training", (long long)version,
			 e->data_hash[0] ? e->data_hash : "?", want);
	int32_t *map = malloc(sizeof *map * e->n_cls);
	if (!map) {
		snprintf(err, errlen, "out of memory");
		nlu_enc_destroy(e);
		return -1;
	}
	uint32_t n_mapped = 0;
	for (uint32_t c = 0; c < e->n_cls; c++) {
		char *end;
		long long id = strtoll(e->labels[c], &end, 10);
		map[c] = -1;
		if (*end)
			continue;             /* not an answer id: e.g. an out-of-scope class */
		for (size_t i = 0; i < bot->n_answers; i++)
			if (bot->answers[i].id == id)
				map[c] = (int32_t)i;
		n_mapped += map[c] >= 0;
	}
	if (n_mapped < 2) {
		snprintf(err, errlen, "the trained model knows %u of the store's answers: run kefu "
			 "train", n_mapped);
		free(map);
		nlu_enc_destroy(e);
		return -1;
	}
	if (e->mlp.d_in || e->seq.g_dim) {
		nlu_glove_path(models, path, sizeof path);
		g = nlu_glove_open(path, msg, sizeof msg);
		if (!g)
			LOG_WARN("no word vectors (%s): the model answers without them", msg);
		e->glove = g;            /* NULL: has_dense() is false */
		e->seq.glove = g;        /* NULL: the sequence half's GloVe part is zero */
	}
	struct nlu_use *u = NULL;
	if (e->use_mlp.d_in) {   /* the USE half: read once, shared by every worker */
		nlu_models_file(models, NLU_USE_FILE, path, sizeof path);
		u = nlu_use_open(path, msg, sizeof msg);
		if (!u)
			LOG_WARN("no sentence encoder (%s): the model answers without it", msg);
		e->use = u;              /* NULL: the USE half is left out */
	}
	nlu_bot_model_free(bot);
	bot->enc = e;
	bot->glove = g;
	bot->use = u;
	bot->enc_answer = map;
	snprintf(bot->describe, sizeof bot->describe, "trained v%lld (%s%s%s, %u classes%s)",
		 (long long)version, g ? "linear+glove" : "linear", e->seq.bits ? "+seq" : "",
		 u ? "+use" : "",
		 e->n_cls,
		 stale ? ", older examples" : "");
	return 0;
}

int nlu_bot_sentence_vector(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
			    size_t len, float *out, int max)
{
	if (!bot->enc || !s->enc_s || (int)bot->enc->seq.dim > max)
		return 0;
	return nlu_enc_sentence(bot->enc, s->enc_s, text, len, out);
}
