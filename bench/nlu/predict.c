/* bench/nlu/predict.c — nlu_predict_bench: the text encoder's prediction alone, timed.
 *
 *   nlu_predict_bench TRAIN.csv TEST.csv [--glove FILE] [--model FILE] [--reps N] [--v1]
 *                     [--answers FILE]
 *
 * Trains the encoder on TRAIN (kefu eval's defaults; with --model FILE the trained
 * model is written there once and read back on later runs, so a profile sees
 * predictions, not training), then predicts every TEST question N times (default 20)
 * on one thread and prints the accuracy and the median and mean µs per prediction
 * (wall) and the median thread CPU µs.  --v1 predicts with the model's β set to 0 (the
 * sequence half left out), so one model file gives the cost of each part.
 * Made to run under `perf record` (docs/performance.md, "Text prediction": the split
 * into normalisation, hashing, sorting, the sparse and the dense part).  BLAS runs on
 * this thread, as kefud's workers run it.  It also prints a checksum of the first pass's
 * answers (class and the bits of every calibrated probability), so two builds can be
 * shown to predict the same, not only as accurately; --answers FILE writes each test
 * question's answer (label and calibrated confidence, a line each) for a closer look.  A program, not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "file.h"
#include "glove.h"
#include "hash.h"
#include "model.h"
#include "tensor.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The encoder: read from model_path when that file exists, else trained on tr (and
 * written to model_path when given).  NULL with a message in err. */
static struct nlu_enc *get_encoder(const struct nlu_dataset *tr, const struct nlu_glove *g,
				   const char *model_path, char *err, size_t errlen)
{
	struct nlu_enc_opts o;
	struct nlu_enc *e;
	void *blob = NULL;
	char *file;
	size_t len = 0;

	if (model_path && (file = cm_read_file(model_path, &len))) {
		e = nlu_enc_load(file, len, g, err, errlen);
		free(file);
		return e;
	}
	nlu_enc_opts_default(&o);
	o.glove = g;
	e = nlu_enc_train(tr, NULL, NULL, &o, err, errlen);
	if (e && model_path && nlu_enc_save(e, &blob, &len) == 0) {
		FILE *f = fopen(model_path, "wb");
		if (!f || fwrite(blob, 1, len, f) != len)
			fprintf(stderr, "nlu_predict_bench: cannot write %s\n", model_path);
		if (f)
			fclose(f);
		free(blob);
	}
	return e;
}

int main(int argc, char **argv)
{
	const char *glove_path = NULL, *model_path = NULL, *answers_path = NULL, *files[2] = { 0 };
	FILE *answers = NULL;
	struct nlu_dataset tr, te;
	struct nlu_glove *g = NULL;
	struct nlu_enc *e = NULL;
	struct nlu_enc_scratch *s = NULL;
	char err[512];
	int reps = 20, nf = 0, ok = 0, rc = 1, v1 = 0;
	double *us = NULL, *cpu = NULL, total = 0;
	size_t k = 0;
	uint64_t sum = CM_FNV1A_INIT;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--glove") && i + 1 < argc)
			glove_path = argv[++i];
		else if (!strcmp(argv[i], "--model") && i + 1 < argc)
			model_path = argv[++i];
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--answers") && i + 1 < argc)
			answers_path = argv[++i];
		else if (!strcmp(argv[i], "--v1"))
			v1 = 1;
		else if (nf < 2 && argv[i][0] != '-')
			files[nf++] = argv[i];
		else
			nf = 3;
	}
	if (nf != 2 || reps < 1) {
		fprintf(stderr, "usage: nlu_predict_bench TRAIN.csv TEST.csv [--glove FILE] "
			"[--model FILE] [--reps N] [--v1] [--answers FILE]\n");
		return 2;
	}
	nlu_dataset_init(&tr);
	nlu_dataset_init(&te);
	cm_blas_single_thread();
	if (nlu_dataset_read(files[0], &tr, err, sizeof err) ||
	    nlu_dataset_read(files[1], &te, err, sizeof err) ||
	    (glove_path && !(g = nlu_glove_open(glove_path, err, sizeof err))) ||
	    !(e = get_encoder(&tr, g, model_path, err, sizeof err)))
		goto out;
	if (v1)
		e->beta = 0;
	s = nlu_enc_scratch_create(e);
	us = malloc(sizeof *us * te.n * (size_t)reps);
	cpu = malloc(sizeof *cpu * te.n * (size_t)reps);
	if (!s || !us || !cpu || !te.n) {
		snprintf(err, sizeof err, te.n ? "out of memory" : "no test question");
		goto out;
	}
	if (answers_path && !(answers = fopen(answers_path, "w"))) {
		snprintf(err, sizeof err, "cannot write %s", answers_path);
		goto out;
	}
	for (int r = 0; r < reps; r++)
		for (size_t i = 0; i < te.n; i++) {
			struct nlu_enc_pred p;
			struct timespec t0, t1, c0, c1;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
			clock_gettime(CLOCK_MONOTONIC, &t0);
			const float *probs;
			nlu_enc_predict(e, s, te.texts[i], strlen(te.texts[i]), &p, &probs);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
			us[k] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
			cpu[k] = (double)(c1.tv_sec - c0.tv_sec) * 1e6 +
				 (double)(c1.tv_nsec - c0.tv_nsec) / 1e3;
			total += us[k++];
			if (r > 0)
				continue;
			ok += !strcmp(e->labels[p.cls], te.names[te.labels[i]]);
			sum = cm_fnv1a(sum, &p.cls, sizeof p.cls);
			sum = cm_fnv1a(sum, probs, sizeof *probs * e->n_cls);
			if (answers)
				fprintf(answers, "%s\t%.6f\n", e->labels[p.cls], (double)p.conf);
		}
	qsort(us, k, sizeof *us, cmp_double);
	qsort(cpu, k, sizeof *cpu, cmp_double);
	printf("accuracy %.2f %%, predict µs median %.2f, mean %.2f, CPU µs median %.2f (%zu "
	       "predictions, %s%s)\n", 100.0 * ok / (double)te.n, us[k / 2], total / (double)k,
	       cpu[k / 2], k, g ? "linear + dense" : "linear half only",
	       !e->seq.bits ? "" : e->beta > 0 ? " + sequence" : ", sequence half left out");
	printf("answers checksum %016llx\n", (unsigned long long)sum);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "nlu_predict_bench: %s\n", err);
	if (answers)
		fclose(answers);
	free(us);
	free(cpu);
	nlu_enc_scratch_destroy(s);
	nlu_enc_destroy(e);
	nlu_glove_close(g);
	nlu_dataset_free(&tr);
	nlu_dataset_free(&te);
	return rc;
}
