/* tools/kefu/cmd_images.c — the picture commands of `kefu`:
 *
 *   kefu pictures add [--answer TITLE] [--label L] FILE...   reference / labelled pictures
 *   kefu pictures import DIR        one sub-folder per label, every picture label-only
 *   kefu pictures list [--json]
 *   kefu eval-images --train DIR --test DIR [--reject DIR] [--json] [--embed NAME]
 *                    [--views N] [--augment N] [--dump PREFIX]
 *
 * eval-images trains the category head on DIR/LABEL/ pictures (jpg, png, ...) the way `kefu train`
 * does on the store, then classifies every test picture one at a time on one thread
 * (read from memory, decode + CNN + head timed per picture), and measures the picture
 * search on the same data: nearest training picture's label (precision@1), and with
 * --reject DIR (pictures that are in no class) how many of those the catalogue threshold
 * turns away.  Main thread only.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "cli.h"
#include "clock.h"
#include "cmd_images.h"
#include "file.h"
#include "store.h"
#include "tensor.h"
#include "vision.h"

struct vis_cnn *cli_open_cnn(const struct kefu_conf *c, const char *name)
{
	char path[CONF_STR_MAX * 2 + 8], err[300];

	snprintf(path, sizeof path, "%s/%s.kfm", c->models, name);
	struct vis_cnn *m = vis_cnn_open(path, err, sizeof err);
	if (!m)
		fprintf(stderr, "%s: %s: %s (scripts/setup.sh converts the models)\n", cli_prog,
			path, err);
	return m;
}

/* Sorted malloc'd names of DIR's entries (no dot files); dirs_only picks sub-folders,
 * else regular files.  NULL with *n = 0 on error (printed). */
static char **list_dir(const char *dir, int dirs_only, int *n)
{
	char **v;

	*n = cm_list_dir(dir, dirs_only ? CM_DIR_DIRS : CM_DIR_FILES, &v);
	if (*n < 0) {
		fprintf(stderr, "%s: cannot open folder %s: %s\n", cli_prog, dir, strerror(errno));
		*n = 0;
	}
	return v;
}



/* ---- kefu pictures -------------------------------------------------------------------- */

static int add_file(struct store *st, int64_t aid, const char *label, const char *path)
{
	size_t len;
	char *data = cli_read_file(path, &len);
	int64_t id;

	if (!data)
		return 1;
	if (vis_sniff((const uint8_t *)data, len) == VIS_FMT_UNKNOWN) {
		fprintf(stderr, "kefu pictures: %s: not a JPEG, PNG, WebP, HEIC or AVIF picture\n",
			path);
		free(data);
		return 1;
	}
	const char *base = strrchr(path, '/');
	int rc = store_picture_add(st, aid, label, base ? base + 1 : path, data, len, &id);
	free(data);
	if (rc == STORE_DUPLICATE) {
		printf("%s: already stored as picture %lld\n", path, (long long)id);
		return 0;
	}
	if (rc) {
		fprintf(stderr, "kefu pictures: %s: %s\n", path, store_errmsg(st));
		return 1;
	}
	return 0;
}

/* `pictures add`'s files, for store_answer_change (a file refused is reported and
 * counted, the others are added). */
struct adds {
	int64_t aid;
	const char *label;
	char **files;
	int n, added, failed;
};

static int add_files(void *arg, struct store *st)
{
	struct adds *x = arg;

	for (int i = 0; i < x->n; i++) {
		int r = add_file(st, x->aid, x->label, x->files[i]);
		x->failed |= r;
		x->added += !r;
	}
	return 0;
}

static int list_cb(void *arg, const struct store_picture *p)
{
	json_t *a = arg;

	if (a) {
		json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s?}", "id",
						   (json_int_t)p->id, "answer_id",
						   (json_int_t)p->answer_id, "label", p->label,
						   "source", p->source, "sha256", p->sha256,
						   "embed_model", p->embed_model));
		return 0;
	}
	printf("%6lld  answer %-5lld %-12s %-24s %s\n", (long long)p->id, (long long)p->answer_id,
	       p->label[0] ? p->label : "-", p->embed_model ? p->embed_model : "(no embedding)",
	       p->source);
	return 0;
}

int cmd_pictures(int argc, char **argv)
{
	struct kefu_conf c;
	char *pos[4096];
	int npos, rc = 0;
	int json = cli_take_flag(&argc, argv, "--json");
	const char *title = cli_take_value(&argc, argv, "--answer");
	const char *label = cli_take_value(&argc, argv, "--label");
	int p = cli_parse_conf(&c, "kefu pictures", argc, argv, pos, 4096, &npos);

	if (p)
		return p < 0 ? 2 : 0;
	if (npos < 1 || (strcmp(pos[0], "add") && strcmp(pos[0], "import") &&
			 strcmp(pos[0], "list")) ||
	    (!strcmp(pos[0], "add") && (npos < 2 || (!title && !label))) ||
	    (!strcmp(pos[0], "import") && npos != 2) || (title && !*title) ||
	    (label && !*label)) {
		fprintf(stderr, "usage: kefu pictures add [--answer TITLE] [--label L] FILE...\n"
				"       kefu pictures import DIR   (one sub-folder per label)\n"
				"       kefu pictures list [--json]\n");
		return 2;
	}
	struct store *st = cli_open_store(&c);
	if (!st)
		return 1;
	if (!strcmp(pos[0], "list")) {
		json_t *a = json ? json_array() : NULL;
		rc = store_pictures_foreach(st, 0, list_cb, a) ? 1 : 0;
		if (a) {
			char *s = json_dumps(a, JSON_COMPACT);
			puts(s);
			free(s);
			json_decref(a);
		}
		store_close(st);
		return rc;
	}
	int64_t aid = 0;
	if (title && store_answer_find(st, title, &aid)) {
		fprintf(stderr, "kefu pictures: no answer titled \"%s\"\n", title);
		store_close(st);
		return 1;
	}
	int added = 0;
	if (!strcmp(pos[0], "add")) {
		struct adds x = { aid, label, pos + 1, npos - 1, 0, 0 };
		char login[128];
		struct store_who who = { 0, cli_actor(login, sizeof login) };
		/* an answer's pictures: one version of it (picture.add) for them all */
		int r = aid ? store_answer_change(st, aid, &who, "picture.add", add_files, &x, NULL)
			    : add_files(&x, st);
		if (r < 0)
			fprintf(stderr, "kefu pictures: %s\n", store_errmsg(st));
		rc = x.failed || r ? 1 : 0;
		added = x.added;
	} else {
		int nd, nf;
		char **dirs = list_dir(pos[1], 1, &nd);
		for (int i = 0; i < nd; i++) {
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/%s", pos[1], dirs[i]);
			char **files = list_dir(sub, 0, &nf);
			for (int k = 0; k < nf; k++) {
				char path[8192];
				snprintf(path, sizeof path, "%s/%s", sub, files[k]);
				int r = add_file(st, aid, dirs[i], path);
				rc |= r;
				added += !r;
			}
			cm_free_names(files, nf);
		}
		cm_free_names(dirs, nd);
	}
	printf("%d pictures added or already there; a running kefud computes their embeddings "
	       "within seconds (kefu train embeds them too and trains the category head)\n",
	       added);
	store_close(st);
	return rc;
}

/* ---- kefu eval-images ----------------------------------------------------------------- */

struct sample {
	int label;
	char *bytes;
	size_t len;
};

struct set {
	struct sample *v;
	int n, cap;
	char **labels;
	int n_labels;
};

/* Reads the pictures of DIR/LABEL/ into s (labels from the first set when known is given). */
static int read_set(const char *dir, struct set *s, const struct set *known)
{
	int nd;
	char **dirs = list_dir(dir, 1, &nd);

	if (!nd) {
		fprintf(stderr, "kefu eval-images: %s has no class folders\n", dir);
		free(dirs);
		return -1;
	}
	s->labels = dirs;
	s->n_labels = nd;
	for (int i = 0; i < nd; i++) {
		int lab = i;
		if (known) {
			for (lab = 0; lab < known->n_labels && strcmp(known->labels[lab], dirs[i]); lab++)
				;
			if (lab == known->n_labels) {
				fprintf(stderr, "kefu eval-images: class %s is not in the training "
					"folder\n", dirs[i]);
				return -1;
			}
		}
		char sub[4096];
		int nf;
		snprintf(sub, sizeof sub, "%s/%s", dir, dirs[i]);
		char **files = list_dir(sub, 0, &nf);
		for (int k = 0; k < nf; k++) {
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", sub, files[k]);
			if (s->n == s->cap) {
				s->cap = s->cap ? 2 * s->cap : 256;
				struct sample *nv = realloc(s->v, sizeof *nv * (size_t)s->cap);
				if (!nv)
					return -1;
				s->v = nv;
			}
			struct sample *x = &s->v[s->n];
			if (!(x->bytes = cli_read_file(path, &x->len)))
				return -1;
			x->label = lab;
			s->n++;
		}
		cm_free_names(files, nf);
	}
	return 0;
}

static void free_set(struct set *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i].bytes);
	free(s->v);
	cm_free_names(s->labels, s->n_labels);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void dump(const char *prefix, const char *which, const struct set *s, const float *e,
		 int dim)
{
	char path[4096];
	snprintf(path, sizeof path, "%s.%s.tsv", prefix, which);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kefu eval-images: cannot write %s\n", path);
		return;
	}
	for (int i = 0; i < s->n; i++) {
		fprintf(f, "%d", s->v[i].label);
		for (int d = 0; d < dim; d++)
			fprintf(f, "\t%.6g", e[(size_t)i * dim + d]);
		fputc('\n', f);
	}
	fclose(f);
}

/* Decodes sample x and embeds it: views averaged into out (dim floats), or when aug
 * is non-NULL each of the views separately into aug (views × dim). */
static int embed_sample(const struct vis_cnn *m, struct vis_cnn_state *cs,
			const struct sample *x, int views, float *out, float *aug)
{
	struct vis_image img;
	char err[200];
	int rc = vis_decode((const uint8_t *)x->bytes, x->len,
			    &(struct vis_decode_opts){ .max_side = 448 }, &img, err, sizeof err);
	if (rc)
		return rc;
	if (aug) {
		int dim = vis_cnn_embed_dim(m);
		for (int v = 0; v < views && !rc; v++)
			rc = vis_catalog_embed_view(m, cs, &img, v, aug + (size_t)v * dim);
	} else {
		rc = vis_catalog_embed(m, cs, &img, views, out);
	}
	vis_image_free(&img);
	return rc;
}

int cmd_eval_images(int argc, char **argv)
{
	struct kefu_conf c;
	char *pos[1];
	int npos, views = VIS_CATALOG_VIEWS, augment = 0, tviews = VIS_CATALOG_VIEWS;
	int json = cli_take_flag(&argc, argv, "--json");
	const char *train = cli_take_value(&argc, argv, "--train");
	const char *test = cli_take_value(&argc, argv, "--test");
	const char *reject = cli_take_value(&argc, argv, "--reject");
	const char *embed_name = cli_take_value(&argc, argv, "--embed");
	const char *vs = cli_take_value(&argc, argv, "--views");
	const char *as = cli_take_value(&argc, argv, "--augment");
	const char *ts = cli_take_value(&argc, argv, "--test-views");
	const char *dumpp = cli_take_value(&argc, argv, "--dump");
	const char *ths = cli_take_value(&argc, argv, "--threshold-img");

	if (vs)
		views = atoi(vs);
	if (as)
		augment = atoi(as);
	if (ts)
		tviews = atoi(ts);
	int p = cli_parse_conf(&c, "kefu eval-images", argc, argv, pos, 1, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	if (npos || !train || !test || !*train || !*test || views < 1 || views > 6 ||
	    augment < 0 || augment > 6 || tviews < 1 || tviews > 6) {
		fprintf(stderr, "usage: kefu eval-images --train DIR --test DIR [--reject DIR] "
				"[--json] [--embed NAME] [--views 1..6] [--augment 1..6] "
				"[--test-views 1..6] [--dump PREFIX]\n");
		return 2;
	}
	cm_blas_single_thread();
	struct vis_cnn *m = cli_open_cnn(&c, embed_name ? embed_name : c.image_embed);
	if (!m)
		return 1;
	struct vis_cnn_state *cs = vis_cnn_state_create(m);
	struct set tr = { 0 }, te = { 0 }, rj = { 0 };
	int dim = vis_cnn_embed_dim(m), rc = 1;
	float thr = ths ? (float)atof(ths) : VIS_CATALOG_THRESHOLD;

	if (!cs || read_set(train, &tr, NULL) || read_set(test, &te, &tr) ||
	    (reject && read_set(reject, &rj, NULL)))
		goto out;
	int per = augment ? augment : 1;
	float *xtr = malloc(sizeof(float) * (size_t)tr.n * per * dim);
	float *cat = malloc(sizeof(float) * (size_t)tr.n * dim);
	int *ytr = malloc(sizeof(int) * (size_t)tr.n * per);
	float *xte = malloc(sizeof(float) * (size_t)te.n * dim);
	double *ms = malloc(sizeof(double) * (size_t)(te.n + 1));
	float *probs = malloc(sizeof(float) * (size_t)tr.n_labels);
	int *pred = malloc(sizeof(int) * (size_t)(te.n + 1));
	if (!xtr || !cat || !ytr || !xte || !ms || !probs || !pred)
		goto out2;
	uint64_t t0 = cm_now_us();
	int ntr = 0;
	for (int i = 0; i < tr.n; i++) {
		if (embed_sample(m, cs, &tr.v[i], views, cat + (size_t)i * dim, NULL)) {
			fprintf(stderr, "kefu eval-images: training picture %d does not decode\n", i);
			goto out2;
		}
		if (augment) {
			if (embed_sample(m, cs, &tr.v[i], augment, NULL, xtr + (size_t)ntr * dim))
				goto out2;
			for (int v = 0; v < augment; v++)
				ytr[ntr++] = tr.v[i].label;
		} else {
			memcpy(xtr + (size_t)ntr * dim, cat + (size_t)i * dim, sizeof(float) * dim);
			ytr[ntr++] = tr.v[i].label;
		}
	}
	double embed_s = (double)(cm_now_us() - t0) / 1e6;
	struct vis_head *h = vis_head_train(xtr, ytr, ntr, dim, (const char *const *)tr.labels,
					    tr.n_labels, vis_cnn_name(m), NULL);
	double train_s = (double)(cm_now_us() - t0) / 1e6 - embed_s;
	if (!h)
		goto out2;

	int correct = 0, nn_correct = 0, nn_accepted = 0;
	int *tp = calloc((size_t)tr.n_labels * 3, sizeof(int)); /* tp, fp, fn per label */
	for (int i = 0; i < te.n; i++) {
		uint64_t t1 = cm_now_us();
		if (embed_sample(m, cs, &te.v[i], tviews, xte + (size_t)i * dim, NULL)) {
			fprintf(stderr, "kefu eval-images: test picture %d does not decode\n", i);
			free(tp);
			vis_head_free(h);
			goto out2;
		}
		pred[i] = vis_head_predict(h, xte + (size_t)i * dim, probs);
		ms[i] = (double)(cm_now_us() - t1) / 1000.0;
		int y = te.v[i].label;
		correct += pred[i] == y;
		if (tp) {
			if (pred[i] == y)
				tp[3 * y]++;
			else {
				tp[3 * pred[i] + 1]++;
				tp[3 * y + 2]++;
			}
		}
		/* search as vis_catalog_match scores it: per class, the mean of the best 5
		 * cosines; accepted when the best single cosine passes the threshold */
		float best = -2, top[64][5];
		int cnt[64] = { 0 }, bl = -1;
		float bscore = -2;
		for (int k = 0; k < tr.n; k++) {
			float s = cm_dot((size_t)dim, xte + (size_t)i * dim, cat + (size_t)k * dim);
			int l = tr.v[k].label, j;
			if (s > best)
				best = s;
			if (l >= 64)
				continue;
			if (cnt[l] < 5)
				j = cnt[l]++;
			else if (s > top[l][4])
				j = 4;
			else
				continue;
			while (j > 0 && top[l][j - 1] < s) {
				top[l][j] = top[l][j - 1];
				j--;
			}
			top[l][j] = s;
		}
		for (int l = 0; l < tr.n_labels && l < 64; l++) {
			float m = 0;
			for (int j = 0; j < cnt[l]; j++)
				m += top[l][j] / (float)cnt[l];
			if (cnt[l] && m > bscore) {
				bscore = m;
				bl = l;
			}
		}
		nn_correct += bl == y;
		if (best >= thr) {
			nn_accepted++;
		}
	}
	int rejected = 0;
	float *q = malloc(sizeof(float) * dim);
	for (int i = 0; q && i < rj.n; i++) {
		if (embed_sample(m, cs, &rj.v[i], tviews, q, NULL))
			continue;
		float best = -2;
		for (int k = 0; k < tr.n; k++) {
			float s = cm_dot((size_t)dim, q, cat + (size_t)k * dim);
			if (s > best)
				best = s;
		}
		rejected += best < thr;
		if (!json)
			printf("out-of-catalogue %d: best cosine %.3f\n", i, best);
	}
	free(q);
	double f1 = 0;
	for (int l = 0; tp && l < tr.n_labels; l++) {
		double den = 2.0 * tp[3 * l] + tp[3 * l + 1] + tp[3 * l + 2];
		f1 += den > 0 ? 2.0 * tp[3 * l] / den : 0;
	}
	f1 /= tr.n_labels;
	free(tp);
	qsort(ms, (size_t)te.n, sizeof *ms, cmp_double);
	double med = te.n ? (te.n % 2 ? ms[te.n / 2] : (ms[te.n / 2 - 1] + ms[te.n / 2]) / 2) : 0;
	double acc = te.n ? (double)correct / te.n : 0;
	if (dumpp) {
		dump(dumpp, "train", &tr, cat, dim);
		dump(dumpp, "test", &te, xte, dim);
	}
	if (json) {
		json_t *o = json_pack("{s:f, s:f, s:f, s:i, s:i, s:i, s:s, s:i, s:i, s:i, s:f, s:f,"
				      " s:f, s:f}",
				      "accuracy", acc, "macro_f1", f1, "ms_per_image_median", med,
				      "n_test", te.n, "n_train", tr.n, "n_labels", tr.n_labels,
				      "embed_model", vis_cnn_name(m), "views", views, "augment",
				      augment, "test_views", tviews, "search_precision_at_1",
				      te.n ? (double)nn_correct / te.n : 0.0,
				      "search_accepted", te.n ? (double)nn_accepted / te.n : 0.0,
				      "threshold", (double)thr, "train_seconds", embed_s + train_s);
		if (reject) {
			json_object_set_new(o, "n_reject", json_integer(rj.n));
			json_object_set_new(o, "rejected", json_real(rj.n ? (double)rejected / rj.n
									   : 0.0));
		}
		char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
		puts(s);
		free(s);
		json_decref(o);
	} else {
		printf("category head on %s (%d train pictures, %d classes, views %d, augment %d):\n"
		       "  accuracy %.2f %%, macro-F1 %.2f %% on %d test pictures; median %.1f ms a "
		       "picture (decode + CNN + head, one thread)\n",
		       vis_cnn_name(m), tr.n, tr.n_labels, views, augment, 100 * acc, 100 * f1,
		       te.n, med);
		printf("search: nearest picture's label right %.2f %%; %.2f %% of test pictures "
		       "above the threshold %.2f", te.n ? 100.0 * nn_correct / te.n : 0.0,
		       te.n ? 100.0 * nn_accepted / te.n : 0.0, thr);
		if (reject)
			printf("; %d/%d out-of-catalogue pictures rejected", rejected, rj.n);
		printf("\n");
	}
	vis_head_free(h);
	rc = 0;
out2:
	free(xtr);
	free(cat);
	free(ytr);
	free(xte);
	free(ms);
	free(probs);
	free(pred);
out:
	free_set(&tr);
	free_set(&te);
	if (reject)
		free_set(&rj);
	vis_cnn_state_destroy(cs);
	vis_cnn_close(m);
	return rc;
}

/* ---- kefu train's picture step ---------------------------------------------------------- */

int cli_train_images(struct store *st, const struct kefu_conf *c, int quiet)
{
	char err[300];
	int n = 0, nl = 0;
	int64_t ver = 0, total = 0;

	if (store_picture_count(st, &total) || total == 0)
		return 0;                       /* no pictures: nothing to train */
	struct vis_cnn *m = cli_open_cnn(c, c->image_embed);
	if (!m)
		return 1;
	uint64_t t0 = cm_now_us();
	int rc = vis_head_train_store(st, m, &n, &nl, &ver, err, sizeof err);
	vis_cnn_close(m);
	if (rc < 0) {
		fprintf(stderr, "kefu train: image head: %s\n", err);
		return 1;
	}
	FILE *out = quiet ? stderr : stdout;
	if (rc == 1)
		fprintf(out, "image head: %d labelled pictures of %d label(s): nothing to train\n",
			n, nl);
	else
		fprintf(out, "image head v%lld (%s) on %d labelled pictures of %d labels in %.1f s\n",
			(long long)ver, c->image_embed, n, nl, (double)(cm_now_us() - t0) / 1e6);
	return 0;
}
