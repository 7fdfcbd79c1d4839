/* bench/nlu/use_speed.c — nlu_use_speed: the cost of the Universal Sentence Encoder lite's
 * forward pass (nlu/use.c) as training runs it, one sentence at a time (nlu_use_embed, the
 * path training took until 2026-12-07) beside the batched pass (nlu_use_embed_batch: the
 * products over a few hundred pieces of many sentences at once) and the batched pass on
 * two threads (nlu_use_embed_many), over the same texts, in rounds that alternate the
 * three so the machine's load falls on each alike.
 *
 *   nlu_use_speed --texts FILE [--n N] [--rounds R] [--models DIR] [--blas-threads N]
 *
 * FILE: a `text,category` CSV (a bench fold's train file); the first N texts (default
 * 2000).  Prints per path the process CPU µs per sentence (OpenBLAS's own threads
 * included) and, for two threads, the wall µs, the medians over rounds, and the worst max |diff| of the
 * batched vectors against the one-at-a-time ones.  --blas-threads N asks OpenBLAS for N
 * threads per call first (default: OpenBLAS's own choice, as `kefu train` runs).  A
 * program, not a test.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "model.h"
#include "tensor.h"
#include "use.h"

void openblas_set_num_threads(int n);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double process_cpu_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static double max_diff(const float *a, const float *b, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs((double)a[i] - b[i]) > m)
			m = fabs((double)a[i] - b[i]);
	return m;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *models = NULL;
	size_t n = 2000;
	int rounds = 3, blas = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--texts") && i + 1 < argc)
			file = argv[++i];
		else if (!strcmp(argv[i], "--models") && i + 1 < argc)
			models = argv[++i];
		else if (!strcmp(argv[i], "--n") && i + 1 < argc)
			n = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--blas-threads") && i + 1 < argc)
			blas = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: nlu_use_speed --texts FILE [--n N] [--rounds R] "
				"[--models DIR] [--blas-threads N]\n");
			return 2;
		}
	}
	if (!file || rounds < 1 || rounds > 50) {
		fprintf(stderr, "nlu_use_speed: --texts FILE is needed (rounds 1..50)\n");
		return 2;
	}
	if (blas > 0)
		openblas_set_num_threads(blas);
	char err[512];
	struct nlu_dataset d;
	nlu_dataset_init(&d);
	if (nlu_dataset_read(file, &d, err, sizeof err)) {
		fprintf(stderr, "nlu_use_speed: %s\n", err);
		return 1;
	}
	struct nlu_use *u = nlu_use_open_dir(models, err, sizeof err);
	if (!u) {
		fprintf(stderr, "nlu_use_speed: %s\n", err);
		return 1;
	}
	if (n > d.n)
		n = d.n;
	struct nlu_use_scratch *s = nlu_use_scratch_create(u), *sb = nlu_use_scratch_create(u);
	float *one = malloc(sizeof *one * n * NLU_USE_DIM), *bat = malloc(sizeof *bat * n * NLU_USE_DIM);
	float *two = malloc(sizeof *two * n * NLU_USE_DIM);
	double *t1 = malloc(sizeof *t1 * (size_t)rounds), *tb = malloc(sizeof *tb * (size_t)rounds);
	double *tw = malloc(sizeof *tw * (size_t)rounds), *tc = malloc(sizeof *tc * (size_t)rounds);
	const char *const *texts = (const char *const *)d.texts;
	double diff_b = 0, diff_2 = 0;
	long pieces = 0;
	if (!s || !sb || !one || !bat || !two || !t1 || !tb || !tw || !tc) {
		fprintf(stderr, "nlu_use_speed: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const int32_t *ids;
		int k = nlu_use_tokens(u, s, texts[i], strlen(texts[i]), &ids);
		pieces += k > 128 ? 128 : k > 0 ? k : 0;
	}
	for (int r = 0; r < rounds; r++) {
		double p0 = process_cpu_us();
		for (size_t i = 0; i < n; i++)
			nlu_use_embed(u, s, texts[i], strlen(texts[i]), one + i * NLU_USE_DIM);
		t1[r] = (process_cpu_us() - p0) / (double)n;
		p0 = process_cpu_us();
		nlu_use_embed_batch(u, sb, texts, n, bat);
		tb[r] = (process_cpu_us() - p0) / (double)n;
		p0 = process_cpu_us();
		uint64_t w0 = cm_now_us();
		if (nlu_use_embed_many(u, texts, n, two, 2) < 0) {
			fprintf(stderr, "nlu_use_speed: out of memory\n");
			return 1;
		}
		tw[r] = (double)(cm_now_us() - w0) / (double)n;
		tc[r] = (process_cpu_us() - p0) / (double)n;
		double db = max_diff(one, bat, n * NLU_USE_DIM), d2 = max_diff(one, two, n * NLU_USE_DIM);
		diff_b = db > diff_b ? db : diff_b;
		diff_2 = d2 > diff_2 ? d2 : diff_2;
	}
	double lav[3] = { 0 };
	FILE *la = fopen("/proc/loadavg", "r");
	if (la) {
		if (fscanf(la, "%lf %lf %lf", &lav[0], &lav[1], &lav[2]) != 3)
			lav[0] = -1;
		fclose(la);
	}
	printf("%zu sentences (%.1f pieces each), %d rounds, OpenBLAS threads %s, load %.1f %.1f %.1f\n",
	       n, (double)pieces / (double)n, rounds, blas > 0 ? argv[argc - 1] : "default",
	       lav[0], lav[1], lav[2]);
	printf("%-28s %12s %12s %14s\n", "path", "CPU µs/sent", "wall µs/sent", "max |diff|");
	printf("%-28s %12.1f %12s %14s\n", "one at a time (before)", median(t1, rounds), "-", "reference");
	printf("%-28s %12.1f %12s %14.2g\n", "batched, one thread", median(tb, rounds), "-", diff_b);
	printf("%-28s %12.1f %12.1f %14.2g\n", "batched, two threads", median(tc, rounds),
	       median(tw, rounds), diff_2);
	printf("speed-up of the batched pass: %.2fx CPU (one thread), %.2fx wall (two threads)\n",
	       median(t1, rounds) / median(tb, rounds), median(t1, rounds) / median(tw, rounds));
	nlu_use_scratch_destroy(s);
	nlu_use_scratch_destroy(sb);
	nlu_use_close(u);
	free(one);
	free(bat);
	free(two);
	free(t1);
	free(tb);
	free(tw);
	free(tc);
	nlu_dataset_free(&d);
	return 0;
}
