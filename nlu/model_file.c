/* nlu/model_file.c — the versioned tensor container of kefu's model files (layout in
 * model.h).  Writing assembles the whole file in memory; reading validates everything
 * before a single weight is used, so a wrong, old or truncated file is refused with a
 * message rather than read out of bounds.  Caller's thread; no global state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "model.h"

static size_t dtype_size(uint32_t d)
{
	switch (d) {
	case NLU_F32: case NLU_I32: return 4;
	case NLU_F16: return 2;
	case NLU_U8: return 1;
	default: return 0;
	}
}

uint64_t nlu_mf_checksum(const void *p, size_t len)
{
	return cm_fnv1a_words(p, len);
}

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

void nlu_mf_writer_init(struct nlu_mf_writer *w)
{
	memset(w, 0, sizeof *w);
}

void nlu_mf_writer_free(struct nlu_mf_writer *w)
{
	free(w->buf);
	free(w->t);
	memset(w, 0, sizeof *w);
}

void nlu_mf_add(struct nlu_mf_writer *w, const char *name, enum nlu_dtype dtype,
		uint32_t rank, const uint32_t *dims, const void *data)
{
	struct nlu_mf_tensor t;
	uint64_t count = 1;

	if (w->failed)
		return;
	if (rank > 4 || strlen(name) > 32 || !dtype_size(dtype)) {
		w->failed = 1;
		return;
	}
	memset(&t, 0, sizeof t);
	snprintf(t.name, sizeof t.name, "%s", name);
	t.dtype = dtype;
	t.rank = rank;
	for (uint32_t i = 0; i < rank; i++) {
		t.dims[i] = dims[i];
		count *= dims[i];
	}
	t.nbytes = count * dtype_size(dtype);
	size_t start = (w->len + 63) & ~(size_t)63;
	if (w->n == w->cap_t) {
		uint32_t nc = w->cap_t ? w->cap_t * 2 : 16;
		struct nlu_mf_tensor *nt = realloc(w->t, nc * sizeof *nt);
		if (!nt) {
			w->failed = 1;
			return;
		}
		w->t = nt;
		w->cap_t = nc;
	}
	if (start + t.nbytes > w->cap) {
		size_t nc = w->cap ? w->cap : 1 << 16;
		while (nc < start + t.nbytes)
			nc *= 2;
		unsigned char *nb = realloc(w->buf, nc);
		if (!nb) {
			w->failed = 1;
			return;
		}
		w->buf = nb;
		w->cap = nc;
	}
	memset(w->buf + w->len, 0, start - w->len);
	if (t.nbytes)
		memcpy(w->buf + start, data, t.nbytes);
	t.offset = start;                 /* relative to the data area for now */
	w->len = start + t.nbytes;
	w->t[w->n++] = t;
}

int nlu_mf_finish(struct nlu_mf_writer *w, const char kind[4], uint32_t version,
		  void **out, size_t *out_len)
{
	if (w->failed)
		return -1;
	size_t table = (size_t)w->n * NLU_MF_ENTRY;
	size_t data0 = (NLU_MF_HEADER + table + 63) & ~(size_t)63;
	size_t total = data0 + w->len;
	unsigned char *b = calloc(1, total ? total : 1);

	if (!b)
		return -1;
	memcpy(b, "KEFU", 4);
	memcpy(b + 4, kind, 4);
	put32(b + 8, version);
	put32(b + 12, w->n);
	put64(b + 16, total);
	for (uint32_t i = 0; i < w->n; i++) {
		unsigned char *e = b + NLU_MF_HEADER + (size_t)i * NLU_MF_ENTRY;
		memcpy(e, w->t[i].name, strlen(w->t[i].name));
		put32(e + 32, w->t[i].dtype);
		put32(e + 36, w->t[i].rank);
		for (int k = 0; k < 4; k++)
			put32(e + 40 + 4 * k, w->t[i].dims[k]);
		put64(e + 56, data0 + w->t[i].offset);
		put64(e + 64, w->t[i].nbytes);
	}
	if (w->len)
		memcpy(b + data0, w->buf, w->len);
	put64(b + 24, nlu_mf_checksum(b + NLU_MF_HEADER, total - NLU_MF_HEADER));
	*out = b;
	*out_len = total;
	return 0;
}

int nlu_mf_open(struct nlu_mf *mf, const void *data, size_t len, const char kind[4],
		uint32_t want_version, int verify_sum, char *err, size_t errlen)
{
	const unsigned char *b = data;

	memset(mf, 0, sizeof *mf);
	if (len < NLU_MF_HEADER || memcmp(b, "KEFU", 4)) {
		snprintf(err, errlen, "not a kefu model file (bad magic)");
		return -1;
	}
	if (memcmp(b + 4, kind, 4)) {
		snprintf(err, errlen, "model file holds a '%.4s' model, expected '%.4s'", b + 4, kind);
		return -1;
	}
	uint32_t version = get32(b + 8), n = get32(b + 12);
	if (version != want_version) {
		snprintf(err, errlen, "model file format version %u is not supported (this kefu "
			 "reads version %u): retrain or reconvert it", version, want_version);
		return -1;
	}
	uint64_t total = get64(b + 16);
	if (total != len) {
		snprintf(err, errlen, "model file is %s: header says %llu bytes, got %zu",
			 total > len ? "truncated" : "longer than its header says",
			 (unsigned long long)total, len);
		return -1;
	}
	if (n > 4096 || NLU_MF_HEADER + (uint64_t)n * NLU_MF_ENTRY > len) {
		snprintf(err, errlen, "model file tensor table is corrupt");
		return -1;
	}
	if (verify_sum && nlu_mf_checksum(b + NLU_MF_HEADER, len - NLU_MF_HEADER) != get64(b + 24)) {
		snprintf(err, errlen, "model file checksum mismatch (corrupted)");
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *e = b + NLU_MF_HEADER + (size_t)i * NLU_MF_ENTRY;
		uint64_t off = get64(e + 56), nb = get64(e + 64), count = 1;
		uint32_t rank = get32(e + 36), dt = get32(e + 32);
		if (rank > 4 || !dtype_size(dt) || memchr(e, 0, 33) == NULL) {
			snprintf(err, errlen, "model file tensor %u is corrupt", i);
			return -1;
		}
		for (uint32_t k = 0; k < rank; k++)
			count *= get32(e + 40 + 4 * k);
		if (count * dtype_size(dt) != nb || off > len || nb > len - off || (off & 63)) {
			snprintf(err, errlen, "model file tensor '%.32s' lies outside the file", e);
			return -1;
		}
	}
	mf->base = b;
	mf->len = len;
	mf->version = version;
	mf->n = n;
	memcpy(mf->kind, kind, 4);
	return 0;
}

const void *nlu_mf_get(const struct nlu_mf *mf, const char *name, enum nlu_dtype dtype,
		       struct nlu_mf_tensor *t, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < mf->n; i++) {
		const unsigned char *e = mf->base + NLU_MF_HEADER + (size_t)i * NLU_MF_ENTRY;
		if (strncmp((const char *)e, name, 32))
			continue;
		memset(t, 0, sizeof *t);
		memcpy(t->name, e, 32);
		t->dtype = get32(e + 32);
		t->rank = get32(e + 36);
		for (int k = 0; k < 4; k++)
			t->dims[k] = get32(e + 40 + 4 * k);
		t->offset = get64(e + 56);
		t->nbytes = get64(e + 64);
		if (t->dtype != (uint32_t)dtype) {
			snprintf(err, errlen, "model file tensor '%s' has the wrong type", name);
			return NULL;
		}
		return mf->base + t->offset;
	}
	snprintf(err, errlen, "model file lacks tensor '%s'", name);
	return NULL;
}
