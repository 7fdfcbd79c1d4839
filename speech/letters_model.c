/* speech/letters_model.c — the letter classifier's model (letters.c uses it): standardised
 * features, one rectified hidden layer (or none: logistic regression), a softmax over the
 * ASR_LETTERS_K letter and digit words; its training (softmax cross-entropy, minibatches
 * of 32, common/adam.h's Adam, common/tensor.h's kernels), its text file (written by
 * `kefu letters-train`, read here with every count and number checked: the shipped model is
 * speech/data/letters.model, embedded at build time), and that embedded copy parsed once
 * per process.
 *
 * A model is read-only once made: any thread may predict with it.  Training runs on the
 * calling thread.
 */
#include "speech.h"
#include "speech_int.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "rng.h"
#include "tensor.h"

#define LETTERS_MAGIC "kefu-letters"
#define LETTERS_VERSION 1
#define LETTERS_MAX_PARTS 8
#define LETTERS_MAX_ONSET 8
#define LETTERS_MAX_DIM (ASR_LETTERS_NCEP * (LETTERS_MAX_PARTS + 2 + LETTERS_MAX_ONSET + 1) + 1)
#define LETTERS_MAX_HIDDEN 1024
#define LETTERS_BATCH 32

struct asr_letters {
	struct asr_letters_shape shape;
	int dim, hidden;
	float lambda, tau;
	float *mu, *sd;            /* dim each: the features' standardisation */
	float *p;                  /* the weights, one block: w1 [hidden×dim], b1 [hidden],
				    * w2 [K×in], b2 [K], in = hidden or dim */
	size_t np;
};

static size_t n_params(int dim, int hidden)
{
	size_t in = hidden ? (size_t)hidden : (size_t)dim;
	return (size_t)hidden * (size_t)dim + (size_t)hidden + ASR_LETTERS_K * in + ASR_LETTERS_K;
}

/* 1 when the shape is within the bounds a model may have. */
static int shape_ok(const struct asr_letters_shape *s)
{
	return s->parts >= 1 && s->parts <= LETTERS_MAX_PARTS && s->ctx >= 0 &&
	       s->ctx <= ASR_LETTERS_CTX && s->onset >= 0 && s->onset <= LETTERS_MAX_ONSET;
}

static asr_letters *model_new(const struct asr_letters_shape *s, int hidden)
{
	asr_letters *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->shape = *s;
	m->dim = asr_letters_dim(s);
	m->hidden = hidden;
	m->np = n_params(m->dim, hidden);
	m->mu = calloc((size_t)m->dim, sizeof *m->mu);
	m->sd = calloc((size_t)m->dim, sizeof *m->sd);
	m->p = calloc(m->np, sizeof *m->p);
	if (!m->mu || !m->sd || !m->p) {
		asr_letters_free(m);
		return NULL;
	}
	return m;
}

void asr_letters_free(asr_letters *m)
{
	if (!m)
		return;
	free(m->mu);
	free(m->sd);
	free(m->p);
	free(m);
}

void asr_letters_settings(const asr_letters *m, struct asr_letters_shape *shape,
			  float *lambda, float *tau)
{
	*shape = m->shape;
	*lambda = m->lambda;
	*tau = m->tau;
}

/* The logits of b standardised rows z[b×dim] into out[b×K]; the hidden layer's output
 * (rectified) into h[b×hidden] when the model has one. */
static void forward(const asr_letters *m, const float *p, const float *z, int b, float *h,
		    float *out)
{
	int in = m->hidden ? m->hidden : m->dim;
	const float *w1 = p, *b1 = w1 + (size_t)m->hidden * m->dim;
	const float *w2 = b1 + m->hidden, *b2 = w2 + (size_t)ASR_LETTERS_K * in;
	const float *x = z;
	if (m->hidden) {
		cm_sgemm(b, m->hidden, m->dim, 1, z, 0, w1, 1, 0, h);
		for (int r = 0; r < b; r++) {
			float *hr = h + (size_t)r * m->hidden;
			cm_axpy((size_t)m->hidden, 1, b1, hr);
			cm_relu((size_t)m->hidden, hr);
		}
		x = h;
	}
	cm_sgemm(b, ASR_LETTERS_K, in, 1, x, 0, w2, 1, 0, out);
	for (int r = 0; r < b; r++)
		cm_axpy(ASR_LETTERS_K, 1, b2, out + (size_t)r * ASR_LETTERS_K);
}

static void standardise(const asr_letters *m, const float *x, float *z)
{
	for (int j = 0; j < m->dim; j++)
		z[j] = (x[j] - m->mu[j]) / m->sd[j];
}

void asr_letters_predict(const asr_letters *m, const float *x, float *q)
{
	float z[LETTERS_MAX_DIM], h[LETTERS_MAX_HIDDEN];
	standardise(m, x, z);
	forward(m, m->p, z, 1, h, q);
	cm_softmax(ASR_LETTERS_K, q, 1);
}

/* One minibatch's mean cross-entropy gradient into g (np floats). */
static void gradient(const asr_letters *m, const float *z, const int *y, int b, float *h,
		     float *dl, float *dh, float *g)
{
	int in = m->hidden ? m->hidden : m->dim;
	const float *w2 = m->p + (size_t)m->hidden * m->dim + m->hidden;
	float *gw1 = g, *gb1 = gw1 + (size_t)m->hidden * m->dim;
	float *gw2 = gb1 + m->hidden, *gb2 = gw2 + (size_t)ASR_LETTERS_K * in;

	forward(m, m->p, z, b, h, dl);
	memset(g, 0, m->np * sizeof *g);
	for (int r = 0; r < b; r++) {
		float *d = dl + (size_t)r * ASR_LETTERS_K;
		cm_softmax(ASR_LETTERS_K, d, 1);
		d[y[r]] -= 1;
		for (int k = 0; k < ASR_LETTERS_K; k++)
			d[k] /= (float)b;
		cm_axpy(ASR_LETTERS_K, 1, d, gb2);
	}
	const float *x = m->hidden ? h : z;
	cm_sgemm(ASR_LETTERS_K, in, b, 1, dl, 1, x, 0, 0, gw2);
	if (!m->hidden)
		return;
	cm_sgemm(b, m->hidden, ASR_LETTERS_K, 1, dl, 0, w2, 0, 0, dh);
	for (size_t i = 0; i < (size_t)b * m->hidden; i++)
		if (h[i] <= 0)
			dh[i] = 0;
	for (int r = 0; r < b; r++)
		cm_axpy((size_t)m->hidden, 1, dh + (size_t)r * m->hidden, gb1);
	cm_sgemm(m->hidden, m->dim, b, 1, dh, 1, z, 0, 0, gw1);
}

asr_letters *asr_letters_train(const float *x, const int *y, size_t n,
			       const struct asr_letters_train_opts *o, char *err, size_t errlen)
{
	if (!shape_ok(&o->shape) || o->hidden < 0 || o->hidden > LETTERS_MAX_HIDDEN ||
	    o->epochs < 1 || !(o->lr > 0) || !(o->l2 >= 0) || !o->seed || n < 2) {
		snprintf(err, errlen, "bad training options or fewer than 2 rows");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (y[i] < 0 || y[i] >= ASR_LETTERS_K) {
			snprintf(err, errlen, "row %zu: class %d out of range", i, y[i]);
			return NULL;
		}
	asr_letters *m = model_new(&o->shape, o->hidden);
	int d = m ? m->dim : 0, hmax = o->hidden ? o->hidden : 1;
	float *z = m ? malloc(n * (size_t)d * sizeof *z) : NULL;
	float *g = m ? malloc(m->np * sizeof *g) : NULL;
	float *am = m ? calloc(m->np, sizeof *am) : NULL, *av = m ? calloc(m->np, sizeof *av) : NULL;
	float *zb = malloc((size_t)LETTERS_BATCH * d * sizeof *zb);
	float *h = malloc((size_t)LETTERS_BATCH * hmax * sizeof *h);
	float *dh = malloc((size_t)LETTERS_BATCH * hmax * sizeof *dh);
	float *dl = malloc((size_t)LETTERS_BATCH * ASR_LETTERS_K * sizeof *dl);
	size_t *order = malloc(n * sizeof *order);
	int yb[LETTERS_BATCH];
	if (!m || !z || !g || !am || !av || !zb || !h || !dh || !dl || !order) {
		snprintf(err, errlen, "out of memory");
		asr_letters_free(m);
		m = NULL;
		goto out;
	}
	m->lambda = o->lambda;
	m->tau = o->tau;
	for (int j = 0; j < d; j++) {
		double s = 0, s2 = 0;
		for (size_t i = 0; i < n; i++) {
			double v = x[i * (size_t)d + j];
			s += v;
			s2 += v * v;
		}
		double mu = s / (double)n, var = s2 / (double)n - mu * mu;
		m->mu[j] = (float)mu;
		m->sd[j] = var > 1e-8 ? (float)sqrt(var) : 1.0f;
	}
	for (size_t i = 0; i < n; i++)
		standardise(m, x + i * (size_t)d, z + i * (size_t)d);
	uint64_t rs = o->seed;
	int in = o->hidden ? o->hidden : d;
	float *w2 = m->p + (size_t)o->hidden * d + o->hidden;
	float s1 = sqrtf(2.0f / (float)d), s2 = sqrtf(1.0f / (float)in);
	for (size_t i = 0; i < (size_t)o->hidden * d; i++)      /* He / Xavier scales */
		m->p[i] = s1 * ((float)(cm_xorshift64star(&rs) >> 40) / 16777216.0f * 2 - 1) * 1.7f;
	for (size_t i = 0; i < (size_t)ASR_LETTERS_K * in; i++)
		w2[i] = s2 * ((float)(cm_xorshift64star(&rs) >> 40) / 16777216.0f * 2 - 1) * 1.7f;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	long step = 0;
	for (int e = 0; e < o->epochs; e++) {
		for (size_t i = n - 1; i > 0; i--) {          /* Fisher-Yates */
			size_t j = (size_t)(cm_xorshift64star(&rs) % (i + 1)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (size_t i0 = 0; i0 < n; i0 += LETTERS_BATCH) {
			int b = n - i0 < LETTERS_BATCH ? (int)(n - i0) : LETTERS_BATCH;
			for (int r = 0; r < b; r++) {
				memcpy(zb + (size_t)r * d, z + order[i0 + r] * (size_t)d,
				       (size_t)d * sizeof *zb);
				yb[r] = y[order[i0 + r]];
			}
			gradient(m, zb, yb, b, h, dl, dh, g);
			cm_adam_step(m->p, g, am, av, m->np, o->lr, o->l2, ++step);
		}
	}
out:
	free(z);
	free(g);
	free(am);
	free(av);
	free(zb);
	free(h);
	free(dh);
	free(dl);
	free(order);
	return m;
}

/* ---- the text file ---- */

static void write_floats(FILE *f, const char *name, const float *v, size_t n)
{
	fprintf(f, "%s", name);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%.9g", i % 12 ? " " : "\n", (double)v[i]);
	fputc('\n', f);
}

int asr_letters_write(const asr_letters *m, const char *path, const char *provenance)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%s %d\n", LETTERS_MAGIC, LETTERS_VERSION);
	for (const char *p = provenance; p && *p;) {       /* each line as a comment */
		size_t l = strcspn(p, "\n");
		fprintf(f, "# %.*s\n", (int)l, p);
		p += l + (p[l] == '\n');
	}
	fprintf(f, "parts %d ctx %d onset %d dim %d hidden %d classes %d\n"
		"lambda %.9g tau %.9g\n", m->shape.parts, m->shape.ctx, m->shape.onset, m->dim,
		m->hidden, ASR_LETTERS_K, (double)m->lambda, (double)m->tau);
	write_floats(f, "mu", m->mu, (size_t)m->dim);
	write_floats(f, "sd", m->sd, (size_t)m->dim);
	write_floats(f, "weights", m->p, m->np);
	int bad = ferror(f);
	if (fclose(f) || bad)
		return -1;
	return 0;
}

/* A cursor over a NUL-terminated copy of the file: words separated by white space,
 * '#' lines skipped. */
struct cur {
	char *p;
};

static char *word(struct cur *c)
{
	for (;;) {
		c->p += strspn(c->p, " \t\r\n");
		if (*c->p != '#')
			break;
		c->p += strcspn(c->p, "\n");
	}
	if (!*c->p)
		return NULL;
	char *w = c->p;
	c->p += strcspn(c->p, " \t\r\n");
	if (*c->p)
		*c->p++ = '\0';
	return w;
}

static int key_int(struct cur *c, const char *key, long lo, long hi, int *out)
{
	char *k = word(c), *v = k ? word(c) : NULL, *end;
	if (!v || strcmp(k, key))
		return -1;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*out = (int)x;
	return 0;
}

static int floats(struct cur *c, const char *key, float *v, size_t n)
{
	char *k = word(c), *end;
	if (!k || strcmp(k, key))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *s = word(c);
		if (!s)
			return -1;
		errno = 0;
		v[i] = strtof(s, &end);
		if (errno || *end || !isfinite(v[i]))
			return -1;
	}
	return 0;
}

asr_letters *asr_letters_parse(const char *text, size_t len, char *err, size_t errlen)
{
	char *buf = malloc(len + 1);
	asr_letters *m = NULL;
	struct asr_letters_shape sh;
	int dim, hidden, classes;
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	struct cur c = { buf };
	char *w = word(&c);
	const char *why = "not a kefu-letters model";
	if (!w || strcmp(w, LETTERS_MAGIC))
		goto bad;
	w = word(&c);
	if (!w || strspn(w, "0123456789") != strlen(w) || strlen(w) > 6 ||
	    atoi(w) != LETTERS_VERSION) {
		why = "unsupported version";
		goto bad;
	}
	why = "bad header";
	if (key_int(&c, "parts", 1, LETTERS_MAX_PARTS, &sh.parts) ||
	    key_int(&c, "ctx", 0, ASR_LETTERS_CTX, &sh.ctx) ||
	    key_int(&c, "onset", 0, LETTERS_MAX_ONSET, &sh.onset) ||
	    key_int(&c, "dim", 1, 1 << 20, &dim) ||
	    key_int(&c, "hidden", 0, LETTERS_MAX_HIDDEN, &hidden) ||
	    key_int(&c, "classes", 1, 1 << 20, &classes) || dim != asr_letters_dim(&sh) ||
	    classes != ASR_LETTERS_K)
		goto bad;
	if (!(m = model_new(&sh, hidden))) {
		why = "out of memory";
		goto bad;
	}
	why = "bad numbers";
	if (floats(&c, "lambda", &m->lambda, 1) || floats(&c, "tau", &m->tau, 1) ||
	    !(m->lambda >= 0 && m->lambda <= 1) || !(m->tau >= 0 && m->tau <= 1) ||
	    floats(&c, "mu", m->mu, (size_t)dim) || floats(&c, "sd", m->sd, (size_t)dim) ||
	    floats(&c, "weights", m->p, m->np))
		goto bad;
	for (int j = 0; j < dim; j++)
		if (!(m->sd[j] > 0))
			goto bad;
	if (word(&c)) {
		why = "trailing data";
		goto bad;
	}
	free(buf);
	return m;
bad:
	snprintf(err, errlen, "%s", why);
	asr_letters_free(m);
	free(buf);
	return NULL;
}

asr_letters *asr_letters_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			char *nb = cap < (64u << 20) ? realloc(buf, cap = cap ? 2 * cap : 65536) : NULL;
			if (!nb) {
				snprintf(err, errlen, "%s: too large or out of memory", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (!r)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	asr_letters *m = bad ? NULL : asr_letters_parse(buf, n, err, errlen);
	if (bad)
		snprintf(err, errlen, "%s: read error", path);
	free(buf);
	return m;
}

static asr_letters *builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_load(void)
{
	char err[128];
	for (size_t f = 0; f < sp_embedded_count; f++)
		if (!strcmp(sp_embedded_files[f].name, ASR_LETTERS_FILE))
			builtin = asr_letters_parse(sp_embedded_files[f].data,
						    sp_embedded_files[f].len, err, sizeof err);
}

const asr_letters *asr_letters_builtin(void)
{
	pthread_once(&builtin_once, builtin_load);
	return builtin;
}
