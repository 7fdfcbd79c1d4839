/* bench/vision/bench_vision.c — figures for vision/, printed for run.sh to put side by side
 * with the references it measures in the same run (tfjs, sklearn).
 *
 *   bench_vision decode N FILE...               ms per decode (median of N) and MP/s
 *   bench_vision cnn MODELS_DIR N               ms per forward pass, each model, 1 thread,
 *                                               and a digest of its outputs' bits
 *   bench_vision ocr SET_DIR                    OCR character accuracy, exact and fuzzy code
 *                                               recall, ms per picture (SET_DIR/truth.tsv
 *                                               from make_ocr_set.sh)
 *   bench_vision probe MODELS_DIR TRAIN VAL OUT linear probes on the clothing photos:
 *                                               embeddings vs raw 16x16 pixels, nearest
 *                                               centroid and softmax regression; writes
 *                                               OUT.{train,val}.tsv for the sklearn check
 * One thread throughout (OpenBLAS set to one thread; tesseract OMP_THREAD_LIMIT=1).
 */
#include "vision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "file.h"
#include "hash.h"
#include "tensor.h"



/* CPU time of the calling thread in ms: unlike the wall clock it does not count time the
 * thread spent waiting for a core on a loaded machine. */
static double thread_cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n ? v[n / 2] : 0;
}

/* ---- decode --------------------------------------------------------------------------- */

static int bench_decode(int n, int argc, char **argv)
{
	double *t = malloc(sizeof(double) * (size_t)n);
	printf("%-28s %-5s %10s %9s %9s %8s\n", "file", "fmt", "bytes", "size", "ms", "MP/s");
	for (int i = 0; i < argc; i++) {
		size_t len;
		uint8_t *b = (uint8_t *)cm_read_file(argv[i], &len);
		if (!b)
			continue;
		for (int side = 0; side <= 448; side += 448) {
			if (side && vis_sniff(b, len) != VIS_FMT_JPEG)
				break;
			struct vis_decode_opts o = { .max_side = side, .max_pixels = 100000000 };
			struct vis_image im = { 0 };
			char err[200];
			int w = 0, h = 0;
			for (int k = 0; k < n; k++) {
				uint64_t t0 = cm_now_us();
				int rc = vis_decode(b, len, &o, &im, err, sizeof err);
				t[k] = (double)(cm_now_us() - t0) / 1000.0;
				if (rc) {
					printf("%s: %s\n", argv[i], err);
					break;
				}
				w = im.w;
				h = im.h;
				vis_image_free(&im);
			}
			double ms = median(t, n);
			const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
			char sz[32];
			snprintf(sz, sizeof sz, "%dx%d", w, h);
			printf("%-22s%-6s %-5s %10zu %9s %9.2f %8.1f\n", name, side ? " /dct" : "",
			       vis_format_name(vis_sniff(b, len)), len, sz, ms,
			       (double)w * h / 1e6 / (ms / 1000.0));
		}
		free(b);
	}
	free(t);
	return 0;
}

/* ---- CNN ------------------------------------------------------------------------------ */

static struct vis_cnn *open_model(const char *dir, const char *name)
{
	char path[1024], err[300];
	snprintf(path, sizeof path, "%s/%s.kfm", dir, name);
	struct vis_cnn *m = vis_cnn_open(path, err, sizeof err);
	if (!m)
		fprintf(stderr, "%s\n", err);
	return m;
}

/* OpenBLAS's single-thread sgemm rate on 512x512x512 in GFLOP/s (median thread CPU of 20),
 * the floor a forward pass is compared with: its FLOPs at this rate. */
static double gemm_gflops(void)
{
	enum { N = 512, RUNS = 20 };
	float *a = malloc(sizeof(float) * N * N), *b = malloc(sizeof(float) * N * N);
	float *c = malloc(sizeof(float) * N * N);
	double t[RUNS];
	for (int i = 0; i < N * N; i++) {
		a[i] = (float)(i % 13) / 13.f;
		b[i] = (float)(i % 7) / 7.f;
	}
	cm_sgemm(N, N, N, 1.f, a, 0, b, 0, 0.f, c);
	for (int k = 0; k < RUNS; k++) {
		double c0 = thread_cpu_ms();
		cm_sgemm(N, N, N, 1.f, a, 0, b, 0, 0.f, c);
		t[k] = thread_cpu_ms() - c0;
	}
	free(a);
	free(b);
	free(c);
	return 2.0 * N * N * N / (median(t, RUNS) * 1e6);
}

/* Per-layer profile: each op's thread CPU ms summed over n passes of every model, printed
 * per op (ms per pass, GFLOP/s) and per kind (1x1 products by spatial size, depthwise, the
 * first convolution, the rest). */
static int bench_cnn_ops(const char *dir, int n)
{
	const char *names[] = { "nsfw_mobilenet_v2", "mobilenet_v2_imagenet" };
	for (int i = 0; i < 2; i++) {
		struct vis_cnn *m = open_model(dir, names[i]);
		if (!m)
			return 1;
		struct vis_cnn_state *st = vis_cnn_state_create(m);
		int s = vis_cnn_input_size(m), n_ops = vis_cnn_n_ops(m);
		float *px = malloc(sizeof(float) * (size_t)s * s * 3);
		float *probs = malloc(sizeof(float) * (size_t)vis_cnn_n_classes(m));
		double *ms = calloc((size_t)n_ops, sizeof *ms);
		for (int k = 0; k < s * s * 3; k++)
			px[k] = (float)((k * 7919) % 256);
		vis_cnn_set_pixels(m, st, px);
		for (int k = 0; k < 3; k++)
			vis_cnn_run(m, st, probs, NULL);
		for (int k = 0; k < n; k++)
			vis_cnn_run_timed(m, st, probs, ms);
		double total = 0;
		printf("%s: per op, thread CPU ms per pass (mean of %d)\n", vis_cnn_name(m), n);
		for (int o = 0; o < n_ops; o++) {
			char d[160];
			double f = vis_cnn_op_desc(m, o, d, sizeof d), t = ms[o] / n;
			total += t;
			printf("  %3d %s %7.3f ms %6.1f GFLOP/s\n", o, d, t,
			       t > 0 ? f / (t * 1e6) : 0);
		}
		printf("%s total %.3f ms\n", vis_cnn_name(m), total);
		free(ms);
		free(px);
		free(probs);
		vis_cnn_state_destroy(st);
		vis_cnn_close(m);
	}
	return 0;
}

static int bench_cnn(const char *dir, int n)
{
	const char *names[] = { "nsfw_mobilenet_v2", "mobilenet_v2_mid", "mobilenet_v2_imagenet" };
	double *t = malloc(sizeof(double) * (size_t)n), *c = malloc(sizeof(double) * (size_t)n);
	double gf = gemm_gflops();
	printf("openblas sgemm 512^3 one thread: %.1f GFLOP/s (thread CPU, median of 20)\n", gf);
	for (int i = 0; i < 3; i++) {
		struct vis_cnn *m = open_model(dir, names[i]);
		if (!m)
			return 1;
		struct vis_cnn_state *st = vis_cnn_state_create(m);
		int s = vis_cnn_input_size(m);
		float *px = malloc(sizeof(float) * (size_t)s * s * 3);
		float *probs = malloc(sizeof(float) * (size_t)vis_cnn_n_classes(m));
		for (int k = 0; k < s * s * 3; k++)
			px[k] = (float)((k * 7919) % 256);
		vis_cnn_set_pixels(m, st, px);
		for (int k = 0; k < 3; k++)
			vis_cnn_run(m, st, probs, NULL);
		for (int k = 0; k < n; k++) {
			uint64_t t0 = cm_now_us();
			double c0 = thread_cpu_ms();
			vis_cnn_run(m, st, probs, NULL);
			c[k] = thread_cpu_ms() - c0;
			t[k] = (double)(cm_now_us() - t0) / 1000.0;
		}
		double med = median(t, n), cmed = median(c, n);
		double mflop = vis_cnn_flops(m) / 1e6;
		/* what a picture's embedding views cost: the ops up to the embedding only */
		double *e = malloc(sizeof(double) * (size_t)n);
		float *emb = malloc(sizeof(float) * (size_t)(vis_cnn_embed_dim(m) + 1));
		for (int k = 0; k < n; k++) {
			double c0 = thread_cpu_ms();
			vis_cnn_run(m, st, NULL, emb);
			e[k] = thread_cpu_ms() - c0;
		}
		double emed = median(e, n);
		uint64_t dig = cm_fnv1a(CM_FNV1A_INIT, probs,
				   sizeof(float) * (size_t)vis_cnn_n_classes(m));
		dig = cm_fnv1a(dig, emb, sizeof(float) * (size_t)vis_cnn_embed_dim(m));
		free(e);
		free(emb);
		printf("%s kefu-C median_ms %.2f min_ms %.2f thread_cpu_median_ms %.2f "
		       "thread_cpu_min_ms %.2f n %d   gemm_floor_ms %.2f (%.0f MFLOP at %.1f GFLOP/s; "
		       "%.1f GFLOP/s reached); embedding only %.2f ms; outputs' bits %016llx\n",
		       vis_cnn_name(m), med, t[0], cmed, c[0], n, mflop / gf, mflop, gf,
		       mflop / cmed, emed, (unsigned long long)dig);
		free(px);
		free(probs);
		vis_cnn_state_destroy(st);
		vis_cnn_close(m);
	}
	free(t);
	free(c);
	return 0;
}

/* ---- OCR ------------------------------------------------------------------------------ */

/* UTF-8 -> code points, dropping whitespace (Chinese OCR puts spaces between characters;
 * line breaks differ): returns the count. */
static int codepoints(const char *s, uint32_t *out, int max)
{
	int n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p && n < max) {
		uint32_t c;
		int len;
		if (*p < 0x80) { c = *p; len = 1; }
		else if ((*p & 0xE0) == 0xC0) { c = *p & 0x1F; len = 2; }
		else if ((*p & 0xF0) == 0xE0) { c = *p & 0x0F; len = 3; }
		else { c = *p & 0x07; len = 4; }
		for (int i = 1; i < len && p[i]; i++)
			c = (c << 6) | (p[i] & 0x3F);
		for (int i = 0; i < len && *p; i++)
			p++;
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == 0x3000)
			continue;
		out[n++] = c;
	}
	return n;
}

static int edit_cp(const uint32_t *a, int la, const uint32_t *b, int lb)
{
	int *row = malloc(sizeof(int) * (size_t)(lb + 1));
	for (int j = 0; j <= lb; j++)
		row[j] = j;
	for (int i = 1; i <= la; i++) {
		int prev = row[0];
		row[0] = i;
		for (int j = 1; j <= lb; j++) {
			int cur = row[j], v = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < v) v = row[j] + 1;
			if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
			row[j] = v;
			prev = cur;
		}
	}
	int d = row[lb];
	free(row);
	return d;
}

struct ocr_tally { double acc_sum; int n, codes, exact, fuzzy; double ms_sum; };

static int bench_ocr(const char *dir)
{
	char path[1024 + 4096], line[4096], err[256];
	snprintf(path, sizeof path, "%s/truth.tsv", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: cannot open\n", path);
		return 1;
	}
	struct vis_ocr *eng = vis_ocr_create("eng", err, sizeof err);
	struct vis_ocr *zh = vis_ocr_create("chi_sim+eng", err, sizeof err);
	if (!eng || !zh) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	const char *langs[] = { "en", "zh", "mix" };
	const char *vars[] = { "clean", "blur", "jpeg", "upside", "skew" };
	struct ocr_tally tl[3][5] = { 0 }, all = { 0 };
	static uint32_t ra[4096], rb[4096];
	double *times = calloc(1000, sizeof(double));
	int n_times = 0, n_thr = 0, n_rot = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *fields[5], *save = NULL, *p = line;
		int nf = 0;
		for (; nf < 5; nf++) {
			fields[nf] = p;
			char *tab = strchr(p, '\t');
			if (!tab) { nf++; break; }
			*tab = 0;
			p = tab + 1;
		}
		(void)save;
		if (nf < 5)
			continue;
		/* unescape \n in the truth text */
		char *truth = fields[4], *w = truth;
		for (char *r = truth; *r; r++) {
			if (r[0] == '\\' && r[1] == 'n') { *w++ = '\n'; r++; }
			else *w++ = *r;
		}
		*w = 0;
		int li = 0, vi = 0;
		for (int i = 0; i < 3; i++) if (!strcmp(fields[1], langs[i])) li = i;
		for (int i = 0; i < 5; i++) if (!strcmp(fields[2], vars[i])) vi = i;
		snprintf(path, sizeof path, "%s/%s", dir, fields[0]);
		size_t len;
		uint8_t *b = (uint8_t *)cm_read_file(path, &len);
		struct vis_image im;
		if (!b || vis_decode(b, len, NULL, &im, err, sizeof err)) {
			fprintf(stderr, "%s: cannot decode\n", path);
			free(b);
			continue;
		}
		struct vis_ocr_result r;
		uint64_t t0 = cm_now_us();
		vis_ocr_read(li == 0 ? eng : zh, &im, &r);
		double ms = (double)(cm_now_us() - t0) / 1000.0;
		times[n_times++] = ms;
		n_thr += r.thresholded;
		n_rot += r.rotated;
		int la = codepoints(truth, ra, 4096), lb = codepoints(r.text, rb, 4096);
		double acc = 1.0 - (double)edit_cp(ra, la, rb, lb) / (la ? la : 1);
		if (acc < 0)
			acc = 0;
		struct ocr_tally *t = &tl[li][vi];
		t->acc_sum += acc; t->n++; t->ms_sum += ms;
		all.acc_sum += acc; all.n++; all.ms_sum += ms;
		/* codes */
		struct vis_entity ents[64];
		int ne = vis_entities_find(r.text, ents, 64);
		char *codes = fields[3], *tok;
		for (tok = strtok(codes, ","); tok; tok = strtok(NULL, ",")) {
			int exact = strstr(r.text, tok) != NULL, fuzzy = exact;
			const char *known[1] = { tok };
			for (int i = 0; i < ne && !fuzzy; i++)
				fuzzy = vis_entity_match(ents[i].text, known, 1, NULL) == 0;
			t->codes++; t->exact += exact; t->fuzzy += fuzzy;
			all.codes++; all.exact += exact; all.fuzzy += fuzzy;
		}
		vis_ocr_result_free(&r);
		vis_image_free(&im);
		free(b);
	}
	fclose(f);
	printf("%-4s %-7s %3s %9s %12s %12s %8s\n", "lang", "variant", "n", "char_acc",
	       "code_exact", "code_fuzzy", "ms_mean");
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++) {
			struct ocr_tally *t = &tl[i][j];
			if (!t->n)
				continue;
			char ex[32] = "-", fz[32] = "-";
			if (t->codes) {
				snprintf(ex, sizeof ex, "%d/%d", t->exact, t->codes);
				snprintf(fz, sizeof fz, "%d/%d", t->fuzzy, t->codes);
			}
			printf("%-4s %-7s %3d %8.1f%% %12s %12s %8.0f\n", langs[i], vars[j], t->n,
			       100.0 * t->acc_sum / t->n, ex, fz, t->ms_sum / t->n);
		}
	printf("ocr_all n %d char_accuracy %.1f%% code_recall_exact %.1f%% (%d/%d) "
	       "code_recall_fuzzy %.1f%% ms_median %.0f threshold_used %d rotated_used %d\n",
	       all.n, 100.0 * all.acc_sum / all.n, 100.0 * all.exact / all.codes, all.exact,
	       all.codes, 100.0 * all.fuzzy / all.codes, median(times, n_times), n_thr, n_rot);
	free(times);
	vis_ocr_destroy(eng);
	vis_ocr_destroy(zh);
	return 0;
}

/* ---- clothing probe ------------------------------------------------------------------- */

#define RAW_SIDE 16
#define MAX_CLASSES 32

#define NK 4                    /* feature kinds: the 3 models' embeddings, raw pixels */

struct set {
	int n, cap, d[NK];
	float *x[NK];
	int *y;
	char names[MAX_CLASSES][64];
	int n_classes;
};

static int list_dir(const char *dir, char ***out)
{
	int n = cm_list_dir(dir, CM_DIR_ANY, out);   /* sorted, no dot files */
	return n < 0 ? 0 : n;
}

/* Embeds every picture of DIR/CLASS/ with each model m[0..2] (decode with DCT scaling to
 * >= 448, then the model's own resize); *ms gets decode + m[0] times. */
static int load_set(const char *dir, struct vis_cnn **m, struct set *s, double *ms, int *n_ms)
{
	struct vis_cnn_state *st[3];
	for (int k = 0; k < 3; k++)
		st[k] = vis_cnn_state_create(m[k]);
	char **cls;
	int nc = list_dir(dir, &cls);
	memset(s, 0, sizeof *s);
	for (int k = 0; k < 3; k++)
		s->d[k] = vis_cnn_embed_dim(m[k]);
	s->d[3] = RAW_SIDE * RAW_SIDE * 3;
	s->cap = 1024;
	for (int k = 0; k < NK; k++)
		s->x[k] = malloc(sizeof(float) * (size_t)s->cap * s->d[k]);
	s->y = malloc(sizeof(int) * (size_t)s->cap);
	for (int c = 0; c < nc && c < MAX_CLASSES; c++) {
		snprintf(s->names[c], sizeof s->names[c], "%s", cls[c]);
		s->n_classes = c + 1;
		char sub[1024];
		snprintf(sub, sizeof sub, "%s/%s", dir, cls[c]);
		char **files;
		int nf = list_dir(sub, &files);
		for (int i = 0; i < nf; i++) {
			char path[1200], err[200];
			snprintf(path, sizeof path, "%s/%s", sub, files[i]);
			size_t len;
			uint8_t *b = (uint8_t *)cm_read_file(path, &len);
			struct vis_image im;
			struct vis_decode_opts o = { .max_side = 448 };
			uint64_t t0 = cm_now_us();
			if (!b || vis_decode(b, len, &o, &im, err, sizeof err)) {
				fprintf(stderr, "%s: %s\n", path, b ? err : "unreadable");
				free(b);
				continue;
			}
			if (s->n == s->cap) {
				s->cap *= 2;
				for (int k = 0; k < NK; k++)
					s->x[k] = realloc(s->x[k], sizeof(float) * (size_t)s->cap * s->d[k]);
				s->y = realloc(s->y, sizeof(int) * (size_t)s->cap);
			}
			for (int k = 0; k < 3; k++) {
				vis_cnn_set_image(m[k], st[k], &im);
				vis_cnn_run(m[k], st[k], NULL, s->x[k] + (size_t)s->n * s->d[k]);
				if (k == 0)
					ms[(*n_ms)++] = (double)(cm_now_us() - t0) / 1000.0;
			}
			struct vis_image raw;
			vis_image_alloc(&raw, RAW_SIDE, RAW_SIDE);
			vis_image_resize(&im, &raw, 0);
			for (int k = 0; k < s->d[3]; k++)
				s->x[3][(size_t)s->n * s->d[3] + k] = raw.rgb[k] / 255.f;
			vis_image_free(&raw);
			s->y[s->n++] = c;
			vis_image_free(&im);
			free(b);
			free(files[i]);
		}
		free(files);
		free(cls[c]);
	}
	free(cls);
	for (int k = 0; k < 3; k++)
		vis_cnn_state_destroy(st[k]);
	return s->n;
}

/* Standardises columns of x (n×d) with the train mean/sd (computed when fit). */
static void standardise(float *x, int n, int d, float *mean, float *sd, int fit)
{
	if (fit) {
		for (int j = 0; j < d; j++) {
			double s = 0, ss = 0;
			for (int i = 0; i < n; i++) {
				double v = x[(size_t)i * d + j];
				s += v;
				ss += v * v;
			}
			mean[j] = (float)(s / n);
			double var = ss / n - (s / n) * (s / n);
			sd[j] = (float)(var > 1e-8 ? sqrt(var) : 1.0);
		}
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			x[(size_t)i * d + j] = (x[(size_t)i * d + j] - mean[j]) / sd[j];
}

/* Nearest class centroid by cosine on L2-normalised features; returns accuracy. */
static double centroid_acc(const float *xt, const int *yt, int nt, const float *xv,
			   const int *yv, int nv, int d, int k)
{
	float *c = calloc((size_t)k * d, sizeof(float)), *v = malloc(sizeof(float) * (size_t)d);
	for (int i = 0; i < nt; i++) {
		memcpy(v, xt + (size_t)i * d, sizeof(float) * (size_t)d);
		cm_l2_normalize((size_t)d, v);
		cm_axpy((size_t)d, 1.f, v, c + (size_t)yt[i] * d);
	}
	for (int j = 0; j < k; j++)
		cm_l2_normalize((size_t)d, c + (size_t)j * d);
	int ok = 0;
	for (int i = 0; i < nv; i++) {
		int best = 0;
		float bs = -1e30f;
		for (int j = 0; j < k; j++) {
			float s = cm_dot((size_t)d, xv + (size_t)i * d, c + (size_t)j * d);
			if (s > bs) { bs = s; best = j; }
		}
		ok += best == yv[i];
	}
	free(c);
	free(v);
	return (double)ok / nv;
}

/* Softmax regression, full-batch gradient descent with L2 on standardised features;
 * returns validation accuracy. */
static double softmax_acc(float *xt, const int *yt, int nt, float *xv, const int *yv, int nv,
			  int d, int k, float l2)
{
	float *mean = malloc(sizeof(float) * (size_t)d), *sd = malloc(sizeof(float) * (size_t)d);
	standardise(xt, nt, d, mean, sd, 1);
	standardise(xv, nv, d, mean, sd, 0);
	float *w = calloc((size_t)d * k, sizeof(float)), *g = malloc(sizeof(float) * (size_t)d * k);
	float *p = malloc(sizeof(float) * (size_t)nt * k), *bias = calloc((size_t)k, sizeof(float));
	const float lr = 0.05f;
	for (int it = 0; it < 300; it++) {
		cm_sgemm(nt, k, d, 1.f, xt, 0, w, 0, 0.f, p);
		for (int i = 0; i < nt; i++) {
			float *r = p + (size_t)i * k;
			for (int j = 0; j < k; j++) r[j] += bias[j];
			cm_softmax((size_t)k, r, 1.f);
			r[yt[i]] -= 1.f;
			for (int j = 0; j < k; j++) r[j] /= (float)nt;
		}
		cm_sgemm(d, k, nt, 1.f, xt, 1, p, 0, 0.f, g);
		for (size_t i = 0; i < (size_t)d * k; i++)
			w[i] -= lr * (g[i] + l2 * w[i]);
		for (int j = 0; j < k; j++) {
			float s = 0;
			for (int i = 0; i < nt; i++) s += p[(size_t)i * k + j];
			bias[j] -= lr * s;
		}
	}
	float *pv = malloc(sizeof(float) * (size_t)nv * k);
	cm_sgemm(nv, k, d, 1.f, xv, 0, w, 0, 0.f, pv);
	int ok = 0;
	for (int i = 0; i < nv; i++) {
		int best = 0;
		for (int j = 1; j < k; j++)
			if (pv[(size_t)i * k + j] + bias[j] > pv[(size_t)i * k + best] + bias[best])
				best = j;
		ok += best == yv[i];
	}
	free(mean); free(sd); free(w); free(g); free(p); free(bias); free(pv);
	return (double)ok / nv;
}

static void write_tsv(const char *path, const struct set *s, int kind)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	for (int i = 0; i < s->n; i++) {
		fprintf(f, "%d", s->y[i]);
		for (int j = 0; j < s->d[kind]; j++)
			fprintf(f, "\t%.6g", s->x[kind][(size_t)i * s->d[kind] + j]);
		fputc('\n', f);
	}
	fclose(f);
}

static int bench_probe(const char *models, const char *train, const char *val, const char *out)
{
	const char *names[3] = { "mobilenet_v2_mid", "nsfw_mobilenet_v2", "mobilenet_v2_imagenet" };
	struct vis_cnn *m[3];
	for (int k = 0; k < 3; k++)
		if (!(m[k] = open_model(models, names[k])))
			return 1;
	struct set st, sv;
	double *ms = malloc(sizeof(double) * 8192);
	int n_ms = 0;
	load_set(train, m, &st, ms, &n_ms);
	load_set(val, m, &sv, ms, &n_ms);
	printf("probe: %d train, %d validation pictures, %d classes; decode (DCT to >=448) + "
	       "MobileNetV2-1.4 embedding median %.1f ms per picture\n", st.n, sv.n,
	       st.n_classes, median(ms, n_ms));
	const char *kinds[NK] = { "nsfwjs mobilenet_v2_mid (1792)", "nsfwjs mobilenet_v2 (1280)",
				  "imagenet mobilenet_v2 (1280)", "raw 16x16 RGB pixels (768)" };
	char path[1200];
	for (int k = 0; k < NK; k += 2) {  /* mid and imagenet embeddings for sklearn */
		snprintf(path, sizeof path, "%s.%s.train.tsv", out, k ? "imagenet" : "mid");
		write_tsv(path, &st, k);
		snprintf(path, sizeof path, "%s.%s.val.tsv", out, k ? "imagenet" : "mid");
		write_tsv(path, &sv, k);
	}
	for (int k = 0; k < NK; k++) {
		double c = centroid_acc(st.x[k], st.y, st.n, sv.x[k], sv.y, sv.n, st.d[k], st.n_classes);
		double s = softmax_acc(st.x[k], st.y, st.n, sv.x[k], sv.y, sv.n, st.d[k],
				       st.n_classes, 0.01f);
		printf("probe %-32s nearest_centroid %.1f%%  softmax_regression %.1f%%\n", kinds[k],
		       100 * c, 100 * s);
	}
	free(ms);
	for (int k = 0; k < 3; k++)
		vis_cnn_close(m[k]);
	return 0;
}

int main(int argc, char **argv)
{
	cm_blas_single_thread();
	if (argc >= 3 && !strcmp(argv[1], "decode"))
		return bench_decode(atoi(argv[2]), argc - 3, argv + 3);
	if (argc == 4 && !strcmp(argv[1], "cnn"))
		return bench_cnn(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "cnn-ops"))
		return bench_cnn_ops(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "ocr"))
		return bench_ocr(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "probe"))
		return bench_probe(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: bench_vision decode N FILE... | cnn MODELS N | ocr SET_DIR | "
		"probe MODELS TRAIN_DIR VAL_DIR OUT_PREFIX\n");
	return 2;
}
