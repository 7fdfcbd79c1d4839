/* vision/cnn.c — MobileNetV2 forward pass over a kefu CNN model file (.kfm).
 *
 * The file (layout in tools/nsfwjs_convert/convert.py and docs/vision.md) is mmapped
 * read-only and checked once at open: magic, version, every table inside the file, every
 * op reading only earlier ops, every weight tensor's shape matching the op it feeds at the
 * shapes the input size implies.  After that the struct vis_cnn is immutable and shared
 * by all workers.
 *
 * Each worker owns a struct vis_cnn_state: the input, a few activation buffers (assigned
 * at state creation by liveness: an op's output buffer is free again once its last
 * reader has run; the embedding and the output are kept to the end; each as large as
 * the largest output written to it), the patch scratch of a convolution's tiles that
 * reach the padding, and the bands of the fused expand + depthwise + project passes.
 * vis_cnn_run allocates nothing.
 */
#include "vision.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cnn_kernels.h"
#include "file.h"
#include "log.h"
#include "tensor.h"

#define KFM_MAGIC "KEFUCNN"
#define KFM_VERSION 1
#define MAX_OPS 1024
#define MAX_BUFS 16
#define FUSE_BYTES (384 * 1024)

enum { OP_CONV = 1, OP_DW, OP_ADD, OP_GAP, OP_DENSE, OP_SOFTMAX };

struct kfm_header {
	char magic[8];
	uint32_t version, n_ops, n_tensors, in_h, in_w, in_c, n_classes;
	int32_t embed_op, out_op;
	float in_scale, in_bias;
	uint64_t data_offset, data_size;
	char name[32];
} __attribute__((packed));

struct kfm_op {
	int32_t type, in0, in1, act, kh, kw, stride, pt, pl, pb, pr, cout, w, b, r0, r1;
};

struct kfm_tensor {
	char name[28];
	uint32_t ndim, dims[4];
	uint64_t offset, count;
} __attribute__((packed));

_Static_assert(sizeof(struct kfm_header) == 100, "header fields are 100 bytes");
_Static_assert(sizeof(struct kfm_op) == 64, "op record is 64 bytes");
_Static_assert(sizeof(struct kfm_tensor) == 64, "tensor record is 64 bytes");

struct shape { int h, w, c; };

struct vis_cnn {
	void *map;                 /* cm_map_file's; NULL from vis_cnn_open_mem (not ours) */
	size_t map_len;
	struct kfm_header hdr;
	const char *classes;       /* n_classes × 32 bytes in the map, NUL-terminated */
	const struct kfm_op *ops;
	const struct kfm_tensor *tensors;
	const float *data;
	struct shape *shapes;      /* output shape of each op */
	int *last_use;             /* last op reading each op's output (n_ops = kept) */
	int *readers;              /* ops reading each op's output (plan only) */
	int *band;                 /* depthwise op fused with its expanding convolution: its
				      output rows per band (0: not fused; the convolution
				      itself is then skipped by vis_cnn_run) */
	int *proj;                 /* such a depthwise op's projecting 1x1 convolution, run on
				      each band's output as it is made (0: none; that op is
				      then skipped too) */
	size_t max_col, max_band, max_dwband;   /* floats */
};

struct vis_cnn_state {
	float *input;
	float *col;
	float *band;               /* expanded rows of a fused depthwise op's band */
	float *dwband;             /* its output rows, when its projection is fused too */
	float *bufs[MAX_BUFS];
	int n_bufs;
	int *buf_of;               /* op -> buffer index */
};

static void *seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void *seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

/* Checks that tensor t exists and holds exactly the n floats of dims d0..d3 (0 = unused). */
static int tensor_ok(const struct vis_cnn *m, int t, uint32_t d0, uint32_t d1, uint32_t d2,
		     uint32_t d3)
{
	if (t < 0 || (uint32_t)t >= m->hdr.n_tensors)
		return 0;
	const struct kfm_tensor *x = &m->tensors[t];
	uint32_t want[4] = { d0, d1, d2, d3 };
	uint64_t n = 1;
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t d = i < x->ndim ? x->dims[i] : 0;
		if (d != want[i])
			return 0;
		if (d)
			n *= d;
	}
	return x->count == n && x->offset % 4 == 0 && x->offset <= m->hdr.data_size &&
	       x->count <= (m->hdr.data_size - x->offset) / 4;
}

static const float *T(const struct vis_cnn *m, int t)
{
	return m->data + m->tensors[t].offset / 4;
}

/* Walks the op table once, inferring shapes and checking weights; fills m->shapes,
 * m->last_use, m->readers, the fused bands, m->max_col / max_band /
 * max_dwband.  0 or -1 with err. */
static int plan(struct vis_cnn *m, char *err, size_t errlen)
{
	const struct kfm_header *h = &m->hdr;
	struct shape in = { (int)h->in_h, (int)h->in_w, (int)h->in_c };
	for (uint32_t i = 0; i < h->n_ops; i++) {
		const struct kfm_op *o = &m->ops[i];
		if (o->in0 < -1 || o->in0 >= (int)i || o->in1 < -1 || o->in1 >= (int)i) {
			seterr(err, errlen, "op %u reads a later op", i);
			return -1;
		}
		struct shape s = o->in0 < 0 ? in : m->shapes[o->in0], out = s;
		int ok = o->act >= 0 && o->act <= 2;
		switch (o->type) {
		case OP_CONV:
		case OP_DW:
			/* padding is smaller than the kernel (as TF "SAME" gives): a file
			   cannot ask for huge (or int-overflowing) activations by padding */
			ok = ok && o->kh > 0 && o->kw > 0 && o->kh <= 16 && o->kw <= 16 &&
			     o->stride > 0 && o->stride <= 16 && o->pt >= 0 && o->pl >= 0 &&
			     o->pb >= 0 && o->pr >= 0 && o->pt < o->kh && o->pb < o->kh &&
			     o->pl < o->kw && o->pr < o->kw &&
			     s.h + o->pt + o->pb >= o->kh && s.w + o->pl + o->pr >= o->kw;
			if (!ok)
				break;
			out.h = (s.h + o->pt + o->pb - o->kh) / o->stride + 1;
			out.w = (s.w + o->pl + o->pr - o->kw) / o->stride + 1;
			if (o->type == OP_CONV) {
				out.c = o->cout;
				ok = o->cout > 0 &&
				     tensor_ok(m, o->w, (uint32_t)o->kh, (uint32_t)o->kw,
					       (uint32_t)s.c, (uint32_t)o->cout);
				size_t col = (size_t)VIS_K_PATCH_ROWS * o->kh * o->kw * s.c;
				if (col > m->max_col)
					m->max_col = col;
			} else {
				ok = o->cout == s.c &&
				     tensor_ok(m, o->w, (uint32_t)o->kh, (uint32_t)o->kw,
					       (uint32_t)s.c, 0);
			}
			ok = ok && tensor_ok(m, o->b, (uint32_t)out.c, 0, 0, 0);
			break;
		case OP_ADD: {
			struct shape t = o->in1 < 0 ? in : m->shapes[o->in1];
			ok = ok && t.h == s.h && t.w == s.w && t.c == s.c;
			break;
		}
		case OP_GAP:
			out.h = out.w = 1;
			break;
		case OP_DENSE: {
			int n = s.h * s.w * s.c;
			out.h = out.w = 1;
			out.c = o->cout;
			ok = ok && o->cout > 0 &&
			     tensor_ok(m, o->w, (uint32_t)n, (uint32_t)o->cout, 0, 0) &&
			     tensor_ok(m, o->b, (uint32_t)o->cout, 0, 0, 0);
			break;
		}
		case OP_SOFTMAX:
			ok = ok && s.h == 1 && s.w == 1;
			break;
		default:
			ok = 0;
		}
		if (!ok) {
			seterr(err, errlen, "op %u (type %d) does not fit its input %dx%dx%d", i,
			       o->type, s.h, s.w, s.c);
			return -1;
		}
		m->shapes[i] = out;
		m->last_use[i] = (int)i;
		if (o->in0 >= 0)
			m->last_use[o->in0] = (int)i;
		if (o->in1 >= 0)
			m->last_use[o->in1] = (int)i;
		m->readers[i] = 0;
		if (o->in0 >= 0)
			m->readers[o->in0]++;
		if (o->in1 >= 0)
			m->readers[o->in1]++;
	}
	/* Expanding 1x1 convolution + depthwise, fused in bands of output rows: the expanded
	 * rows a band needs are computed into a band buffer of ~FUSE_BYTES (L2) and the
	 * depthwise kernel reads them there, so the largest activations (112x112x96,
	 * 56x56x144: 4.8 and 1.8 MB) never go through memory.  Only where the expansion is
	 * larger than L2, and the depthwise op is its only reader; the same products and sums,
 * in the same order, as unfused. */
	for (uint32_t i = 0; i < h->n_ops; i++) {
		const struct kfm_op *o = &m->ops[i];
		if (o->type != OP_DW || o->in0 < 0 || o->in1 >= 0 ||
		    m->ops[o->in0].type != OP_CONV || m->readers[o->in0] != 1 ||
		    o->in0 == h->embed_op)
			continue;
		const struct kfm_op *e = &m->ops[o->in0];
		const struct shape es = m->shapes[o->in0];
		if (e->kh != 1 || e->kw != 1 || e->stride != 1 || e->pt || e->pl ||
		    (size_t)es.h * es.w * es.c * 4 <= FUSE_BYTES)
			continue;
		size_t row = (size_t)es.w * es.c;
		int rows_in = (int)(FUSE_BYTES / 4 / row);
		if (rows_in < o->kh + o->stride)
			continue;
		m->band[i] = (rows_in - o->kh) / o->stride + 1;
		if (e->in0 >= 0 && m->last_use[e->in0] < (int)i)
			m->last_use[e->in0] = (int)i;     /* the depthwise op reads it */
		size_t need = ((size_t)(m->band[i] - 1) * o->stride + o->kh) * row;
		if (need > m->max_band)
			m->max_band = need;
		/* the projection after it, on each band of its output (the 56x56x144 and
		   56x56x96 outputs then stay in L1/L2 too) */
		const uint32_t p = i + 1;
		const struct kfm_op *po = p < h->n_ops ? &m->ops[p] : NULL;
		if (!po || po->type != OP_CONV || po->in0 != (int)i || po->in1 >= 0 ||
		    po->kh != 1 || po->kw != 1 || po->stride != 1 || po->pt || po->pl ||
		    m->readers[i] != 1 || (int)i == h->embed_op)
			continue;
		m->proj[i] = (int)p;
		if (e->in0 >= 0 && m->last_use[e->in0] < (int)p)
			m->last_use[e->in0] = (int)p;     /* read while p's output is written */
		need = (size_t)m->band[i] * m->shapes[i].w * m->shapes[i].c;
		if (need > m->max_dwband)
			m->max_dwband = need;
	}
	int last = (int)h->n_ops - 1;
	if (h->out_op != last || m->shapes[last].h != 1 || m->shapes[last].w != 1 ||
	    m->shapes[last].c != (int)h->n_classes) {
		seterr(err, errlen, "the last op is not the %u-class output", h->n_classes);
		return -1;
	}
	if (h->embed_op >= 0) {
		if (h->embed_op >= (int32_t)h->n_ops || m->shapes[h->embed_op].h != 1 ||
		    m->shapes[h->embed_op].w != 1) {
			seterr(err, errlen, "embedding op is not a pooled vector");
			return -1;
		}
		m->last_use[h->embed_op] = (int)h->n_ops;
	}
	m->last_use[last] = (int)h->n_ops;
	return 0;
}

/* Reads the header, class names, op and tensor tables of the model bytes b[0..len) (m
 * points into them) and plans the shapes.  0, or -1 with a message naming name in err. */
static int parse(struct vis_cnn *m, const uint8_t *b, size_t len, const char *name,
		 char *err, size_t errlen)
{
	if (len < sizeof m->hdr) {
		seterr(err, errlen, "%s: too short for a model file", name);
		return -1;
	}
	struct kfm_header *h = &m->hdr;
	memcpy(h, b, sizeof *h);
	if (memcmp(h->magic, KFM_MAGIC, 8)) {
		seterr(err, errlen, "%s: not a kefu CNN model file", name);
		return -1;
	}
	if (h->version != KFM_VERSION) {
		seterr(err, errlen, "%s: model format version %u, this kefu reads %d "
		       "(re-run scripts/setup.sh)", name, h->version, KFM_VERSION);
		return -1;
	}
	h->name[31] = 0;
	size_t tables = 128 + 32 * (size_t)h->n_classes + 64 * (size_t)h->n_ops +
			64 * (size_t)h->n_tensors;
	if (h->n_ops == 0 || h->n_ops > MAX_OPS || h->n_tensors > 4 * MAX_OPS ||
	    h->n_classes == 0 || h->n_classes > 4096 || h->in_c != 3 || h->in_h == 0 ||
	    h->in_h > 1024 || h->in_w == 0 || h->in_w > 1024 || h->data_offset < tables ||
	    h->data_offset % 64 || h->data_offset > len ||
	    h->data_size > len - h->data_offset) {
		seterr(err, errlen, "%s: header out of bounds (truncated or damaged file)", name);
		return -1;
	}
	m->classes = (const char *)b + 128;
	for (uint32_t i = 0; i < h->n_classes; i++) {
		if (m->classes[32 * i + 31]) {
			seterr(err, errlen, "%s: class name %u is not terminated", name, i);
			return -1;
		}
	}
	m->ops = (const struct kfm_op *)(b + 128 + 32 * h->n_classes);
	m->tensors = (const struct kfm_tensor *)((const uint8_t *)m->ops + 64 * h->n_ops);
	m->data = (const float *)(b + h->data_offset);
	m->shapes = calloc(h->n_ops, sizeof *m->shapes);
	m->last_use = calloc(h->n_ops, sizeof *m->last_use);
	m->readers = calloc(h->n_ops, sizeof *m->readers);
	m->band = calloc(h->n_ops, sizeof *m->band);
	m->proj = calloc(h->n_ops, sizeof *m->proj);
	if (!m->shapes || !m->last_use || !m->readers || !m->band ||
	    !m->proj) {
		seterr(err, errlen, "no memory");
		return -1;
	}
	char why[200];
	if (plan(m, why, sizeof why)) {
		seterr(err, errlen, "%s: %s", name, why);
		return -1;
	}
	LOG_INFO("%s: %s, %u ops, %ux%u input, %d classes, embedding %d", name, h->name,
		 h->n_ops, h->in_h, h->in_w, (int)h->n_classes, vis_cnn_embed_dim(m));
	return 0;
}

struct vis_cnn *vis_cnn_open(const char *path, char *err, size_t errlen)
{
	struct vis_cnn *m = calloc(1, sizeof *m);

	if (!m)
		return seterr(err, errlen, "no memory");
	if (!(m->map = cm_map_file(path, &m->map_len))) {
		if (errno == EINVAL)
			seterr(err, errlen, "%s: not a model file (empty or not a regular file)", path);
		else
			seterr(err, errlen, "%s: cannot open (run scripts/setup.sh to convert the "
			       "models): %s", path, strerror(errno));
		goto fail;
	}
	if (m->map_len < sizeof m->hdr) {
		seterr(err, errlen, "%s: too short for a model file", path);
		goto fail;
	}
	if (parse(m, m->map, m->map_len, path, err, errlen))
		goto fail;
	return m;
fail:
	vis_cnn_close(m);
	return NULL;
}

struct vis_cnn *vis_cnn_open_mem(const void *buf, size_t len, const char *name, char *err,
				 size_t errlen)
{
	struct vis_cnn *m = calloc(1, sizeof *m);

	if (!m)
		return seterr(err, errlen, "no memory");
	/* m->map stays NULL: buf is not ours, vis_cnn_close leaves it alone */
	if (parse(m, buf, len, name, err, errlen)) {
		vis_cnn_close(m);
		return NULL;
	}
	return m;
}

void vis_cnn_close(struct vis_cnn *m)
{
	if (!m)
		return;
	cm_unmap_file(m->map, m->map_len);
	free(m->shapes);
	free(m->last_use);
	free(m->readers);
	free(m->band);
	free(m->proj);
	free(m);
}

int vis_cnn_input_size(const struct vis_cnn *m) { return (int)m->hdr.in_h; }
int vis_cnn_n_classes(const struct vis_cnn *m) { return (int)m->hdr.n_classes; }
const char *vis_cnn_name(const struct vis_cnn *m) { return m->hdr.name; }

const char *vis_cnn_class_name(const struct vis_cnn *m, int i)
{
	return i >= 0 && i < (int)m->hdr.n_classes ? m->classes + 32 * i : "";
}

double vis_cnn_flops(const struct vis_cnn *m)
{
	const struct shape in = { (int)m->hdr.in_h, (int)m->hdr.in_w, (int)m->hdr.in_c };
	double f = 0;
	for (uint32_t i = 0; i < m->hdr.n_ops; i++) {
		const struct kfm_op *o = &m->ops[i];
		const struct shape s = o->in0 < 0 ? in : m->shapes[o->in0], d = m->shapes[i];
		double outs = (double)d.h * d.w * d.c;
		if (o->type == OP_CONV)
			f += 2 * outs * o->kh * o->kw * s.c;
		else if (o->type == OP_DW)
			f += 2 * outs * o->kh * o->kw;
		else if (o->type == OP_DENSE)
			f += 2 * outs * s.h * s.w * s.c;
	}
	return f;
}

int vis_cnn_embed_dim(const struct vis_cnn *m)
{
	return m->hdr.embed_op >= 0 ? m->shapes[m->hdr.embed_op].c : 0;
}

struct vis_cnn_state *vis_cnn_state_create(const struct vis_cnn *m)
{
	struct vis_cnn_state *st = calloc(1, sizeof *st);
	int owner[MAX_BUFS];  /* op whose output the buffer holds, -1 free */
	uint32_t n_ops = m->hdr.n_ops;

	if (!st || !(st->buf_of = calloc(n_ops, sizeof *st->buf_of)))
		goto fail;
	for (int i = 0; i < MAX_BUFS; i++)
		owner[i] = -1;
	for (uint32_t i = 0; i < n_ops; i++) {
		/* free the buffers whose op's last reader ran before op i */
		for (int b = 0; b < st->n_bufs; b++)
			if (owner[b] >= 0 && m->last_use[owner[b]] < (int)i)
				owner[b] = -1;
		int b = 0;
		while (b < st->n_bufs && owner[b] >= 0)
			b++;
		if (b == st->n_bufs) {
			if (st->n_bufs == MAX_BUFS)
				goto fail;
			st->n_bufs++;
		}
		owner[b] = (int)i;
		st->buf_of[i] = b;
	}
	size_t in_n = (size_t)m->hdr.in_h * m->hdr.in_w * m->hdr.in_c;
	if (!(st->input = malloc(sizeof(float) * in_n)) ||
	    (m->max_col && !(st->col = malloc(sizeof(float) * m->max_col))) ||
	    (m->max_band && !(st->band = malloc(sizeof(float) * m->max_band))) ||
	    (m->max_dwband && !(st->dwband = malloc(sizeof(float) * m->max_dwband))))
		goto fail;
	/* each buffer as large as the largest output written to it: the outputs the fused
	 * passes keep in their bands (the expansions, a projected depthwise output) are
	 * never written, so the 112x112x96 expansion no longer sizes every buffer */
	size_t cap[MAX_BUFS] = { 0 }, total = sizeof(float) * (in_n + m->max_col + m->max_band +
							       m->max_dwband);
	for (uint32_t i = 0; i < n_ops; i++) {
		const int fused_expand = i + 1 < n_ops && m->band[i + 1] &&
					 m->ops[i + 1].in0 == (int)i;
		if (fused_expand || m->proj[i])
			continue;
		size_t n = (size_t)m->shapes[i].h * m->shapes[i].w * m->shapes[i].c;
		if (n > cap[st->buf_of[i]])
			cap[st->buf_of[i]] = n;
	}
	for (int b = 0; b < st->n_bufs; b++) {
		if (!(st->bufs[b] = malloc(sizeof(float) * (cap[b] ? cap[b] : 1))))
			goto fail;
		total += sizeof(float) * cap[b];
	}
	LOG_INFO("%s: scratch %.1f MB (%d activation buffers)", m->hdr.name, (double)total / 1e6,
		 st->n_bufs);
	return st;
fail:
	vis_cnn_state_destroy(st);
	return NULL;
}

void vis_cnn_state_destroy(struct vis_cnn_state *st)
{
	if (!st)
		return;
	for (int b = 0; b < st->n_bufs; b++)
		free(st->bufs[b]);
	free(st->input);
	free(st->col);
	free(st->band);
	free(st->dwband);
	free(st->buf_of);
	free(st);
}

/* Bilinear resize with aligned corners of float pixels, computed like tfjs's CPU backend
 * (source positions in double, interpolation top row, bottom row, then between them).
 * Each column's source pixels and weight are computed once (they were per pixel and
 * channel: 3 % of a picture's worker CPU), the same values. */
static void resize_into(const struct vis_cnn *m, struct vis_cnn_state *st, const uint8_t *rgb,
			const float *fpx, int sw, int sh)
{
	const int dh = (int)m->hdr.in_h, dw = (int)m->hdr.in_w;
	const double ys = dh > 1 ? (double)(sh - 1) / (dh - 1) : 0;
	const double xs = dw > 1 ? (double)(sw - 1) / (dw - 1) : 0;
	const float sc = m->hdr.in_scale, bi = m->hdr.in_bias;
	int cx0[1024], cx1[1024];              /* in_w <= 1024 (checked at open) */
	float cwx[1024];
	for (int x = 0; x < dw; x++) {
		double fx = x * xs;
		cx0[x] = (int)floor(fx);
		cx1[x] = (int)ceil(fx);
		if (cx1[x] > sw - 1)
			cx1[x] = sw - 1;
		cwx[x] = (float)(fx - cx0[x]);
	}
#define PX(y, x, c) (rgb ? (float)rgb[((size_t)(y) * sw + (x)) * 3 + (c)] / 255.f \
			 : fpx[((size_t)(y) * sw + (x)) * 3 + (c)] / 255.f)
	for (int y = 0; y < dh; y++) {
		double fy = y * ys;
		int y0 = (int)floor(fy), y1 = (int)ceil(fy);
		if (y1 > sh - 1)
			y1 = sh - 1;
		float wy = (float)(fy - y0);
		for (int x = 0; x < dw; x++) {
			const int x0 = cx0[x], x1 = cx1[x];
			const float wx = cwx[x];
			float *d = st->input + ((size_t)y * dw + x) * 3;
			for (int c = 0; c < 3; c++) {
				float tl = PX(y0, x0, c), tr = PX(y0, x1, c);
				float bl = PX(y1, x0, c), br = PX(y1, x1, c);
				float top = tl + (tr - tl) * wx, bot = bl + (br - bl) * wx;
				d[c] = (top + (bot - top) * wy) * sc + bi;
			}
		}
	}
#undef PX
}

void vis_cnn_set_image(const struct vis_cnn *m, struct vis_cnn_state *st,
		       const struct vis_image *img)
{
	resize_into(m, st, img->rgb, NULL, img->w, img->h);
}

void vis_cnn_set_pixels(const struct vis_cnn *m, struct vis_cnn_state *st, const float *px)
{
	resize_into(m, st, NULL, px, (int)m->hdr.in_w, (int)m->hdr.in_h);
}

/* Depthwise op i over its expanding convolution e = in0, band by band: the expanded rows
 * each band of output rows needs are computed into st->band (rows the previous band
 * already computed are moved to its start, never computed twice), then the depthwise
 * kernel reads them there; with a fused projection p, the band's output rows go to
 * st->dwband and p's product makes its output rows from them. */
static void fused_dw(const struct vis_cnn *m, struct vis_cnn_state *st, int i,
		     const struct vis_k_conv *g, float *y)
{
	const struct kfm_op *o = &m->ops[i], *e = &m->ops[o->in0];
	const struct shape in = { (int)m->hdr.in_h, (int)m->hdr.in_w, (int)m->hdr.in_c };
	const struct shape xs = e->in0 < 0 ? in : m->shapes[e->in0];
	const float *x = e->in0 < 0 ? st->input : st->bufs[st->buf_of[e->in0]];
	const size_t row = (size_t)g->w * g->cin;
	int lo_buf = 0, next = 0;       /* st->band holds input rows [lo_buf, next) */
	for (int oy0 = 0; oy0 < g->oh; oy0 += m->band[i]) {
		int oy1 = oy0 + m->band[i] < g->oh ? oy0 + m->band[i] : g->oh;
		int lo = oy0 * g->stride - g->pt, hi = (oy1 - 1) * g->stride - g->pt + g->kh;
		lo = lo < 0 ? 0 : lo;
		hi = hi > g->h ? g->h : hi;
		if (next > lo)
			memmove(st->band, st->band + (size_t)(lo - lo_buf) * row,
				sizeof(float) * (size_t)(next - lo) * row);
		else
			next = lo;
		lo_buf = lo;
		if (hi > next)
			vis_k_matmul(x + (size_t)next * xs.w * xs.c, (hi - next) * xs.w, xs.c,
				     T(m, e->w), e->cout, T(m, e->b), e->act,
				     st->band + (size_t)(next - lo_buf) * row);
		next = hi;
		if (!m->proj[i]) {
			vis_k_depthwise_rows(g, st->band, lo_buf, T(m, o->w), T(m, o->b),
					     o->act, oy0, oy1, y + (size_t)oy0 * g->ow * g->cout);
			continue;
		}
		const int p = m->proj[i];
		const struct kfm_op *po = &m->ops[p];
		vis_k_depthwise_rows(g, st->band, lo_buf, T(m, o->w), T(m, o->b), o->act,
				     oy0, oy1, st->dwband);
		vis_k_matmul(st->dwband, (oy1 - oy0) * g->ow, g->cout, T(m, po->w), po->cout,
			     T(m, po->b), po->act,
			     st->bufs[st->buf_of[p]] + (size_t)oy0 * g->ow * po->cout);
	}
}

static double thread_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* vis_cnn_run, adding each op's thread CPU time to op_ms[op] when op_ms is given. */
static int run(const struct vis_cnn *m, struct vis_cnn_state *st, float *probs, float *embed,
	       double *op_ms)
{
	const struct shape in = { (int)m->hdr.in_h, (int)m->hdr.in_w, (int)m->hdr.in_c };
#define OUT(i) ((i) < 0 ? st->input : st->bufs[st->buf_of[i]])
	/* only the embedding wanted: the ops after it feed the classes alone (the ImageNet
	 * model's 1280 x 1001 logits: a 5 MB read each embedding view) */
	const uint32_t n_run = !probs && embed && m->hdr.embed_op >= 0
			       ? (uint32_t)m->hdr.embed_op + 1 : m->hdr.n_ops;
	for (uint32_t i = 0; i < n_run; i++) {
		const struct kfm_op *o = &m->ops[i];
		const struct shape s = o->in0 < 0 ? in : m->shapes[o->in0], d = m->shapes[i];
		const float *x = OUT(o->in0);
		float *y = OUT((int)i);
		struct vis_k_conv g = { s.h, s.w, s.c, d.h, d.w, d.c, o->kh, o->kw, o->stride,
					o->pt, o->pl };
		const double t0 = op_ms ? thread_ms() : 0;
		switch (o->type) {
		case OP_CONV:
			if ((i + 1 < n_run && m->band[i + 1] && m->ops[i + 1].in0 == (int)i) ||
			    (i > 0 && m->proj[i - 1] == (int)i))
				break;      /* computed band by band by the depthwise op */
			vis_k_conv(&g, x, T(m, o->w), T(m, o->b), o->act, st->col, y);
			break;
		case OP_DW:
			if (m->band[i]) {
				fused_dw(m, st, (int)i, &g, y);
				break;
			}
			vis_k_depthwise(&g, x, T(m, o->w), T(m, o->b), o->act, y);
			break;
		case OP_ADD:
			vis_k_add(x, OUT(o->in1), y, s.h * s.w * s.c);
			break;
		case OP_GAP:
			vis_k_avgpool(x, s.h * s.w, s.c, y);
			break;
		case OP_DENSE: {
			int n = s.h * s.w * s.c;
			cm_sgemv(n, d.c, 1.f, T(m, o->w), 1, x, 0.f, y);
			vis_k_bias_act(y, T(m, o->b), 1, d.c, o->act);
			break;
		}
		case OP_SOFTMAX:
			memcpy(y, x, sizeof(float) * s.c);
			cm_softmax((size_t)s.c, y, 1.f);
			break;
		}
		if (op_ms)
			op_ms[i] += thread_ms() - t0;
	}
	if (probs)
		memcpy(probs, OUT(m->hdr.out_op), sizeof(float) * m->hdr.n_classes);
	if (embed && m->hdr.embed_op >= 0)
		memcpy(embed, OUT(m->hdr.embed_op), sizeof(float) * (size_t)vis_cnn_embed_dim(m));
#undef OUT
	return 0;
}

int vis_cnn_run(const struct vis_cnn *m, struct vis_cnn_state *st, float *probs, float *embed)
{
	return run(m, st, probs, embed, NULL);
}

int vis_cnn_n_ops(const struct vis_cnn *m) { return (int)m->hdr.n_ops; }

void vis_cnn_run_timed(const struct vis_cnn *m, struct vis_cnn_state *st, float *probs,
		       double *op_ms)
{
	run(m, st, probs, NULL, op_ms);
}

double vis_cnn_op_desc(const struct vis_cnn *m, int i, char *buf, size_t len)
{
	static const char *kind[] = { "?", "conv", "dw", "add", "gap", "dense", "softmax" };
	const struct kfm_op *o = &m->ops[i];
	const struct shape in = { (int)m->hdr.in_h, (int)m->hdr.in_w, (int)m->hdr.in_c };
	const struct shape s = o->in0 < 0 ? in : m->shapes[o->in0], d = m->shapes[i];
	double f = 0, outs = (double)d.h * d.w * d.c;
	if (o->type == OP_CONV)
		f = 2 * outs * o->kh * o->kw * s.c;
	else if (o->type == OP_DW)
		f = 2 * outs * o->kh * o->kw;
	else if (o->type == OP_DENSE)
		f = 2 * outs * s.h * s.w * s.c;
	snprintf(buf, len, "%-7s %dx%d/%d %3dx%-3dx%4d -> %3dx%-3dx%4d %6.1f MFLOP",
		 o->type >= 1 && o->type <= 6 ? kind[o->type] : "?", o->kh, o->kw, o->stride,
		 s.h, s.w, s.c, d.h, d.w, d.c, f / 1e6);
	return f;
}
