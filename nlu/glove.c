/* nlu/glove.c — mmapped GloVe vectors (.kfv, written by tools/glove/glove_convert).
 * The file is mapped read-only once; every thread reads it without locks.
 *
 * Shared: kefud opens the vectors from five places (the bot, the fusion model, the
 * review thread, two summarisers), and each mapping of the 72 MB file counted in full in
 * the process's RSS (the open reads every page) plus 1.6 MB of word offsets each.  So an
 * open of a file already open in the process (same device, inode, size and mtime)
 * returns the same object with one more reference; close drops one, the last unmaps.
 * The list of open files is guarded by a mutex (open/close only). */
#include "glove.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "model.h"
#include "tensor.h"

struct nlu_glove {
	void *map;
	size_t map_len;
	const uint16_t *vec;
	const char *words;
	size_t words_len;
	const uint32_t *word_off;   /* start of each word in words (built at open) */
	const int32_t *index;
	uint32_t slots;
	uint32_t n;
	float zipf_h;               /* harmonic number H_n: p(rank r) ≈ 1 / ((r + 1) H_n) */
	struct stat id;             /* the file opened (dev, ino, size, mtime) */
	int refs;                   /* {open_lock} */
	struct nlu_glove *next;     /* {open_lock} the list of open files */
};

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nlu_glove *open_list;     /* {open_lock} */

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void unmap(struct nlu_glove *g)
{
	if (g->map != MAP_FAILED)
		munmap(g->map, g->map_len ? g->map_len : 1);
	free((void *)g->word_off);
	free(g);
}

uint64_t nlu_glove_hash(const char *w, size_t len)
{
	return cm_fnv1a(CM_FNV1A_INIT, w, len);
}

/* Maps and checks the file open as fd (sb: its fstat).  NULL with a message. */
static struct nlu_glove *map_file(const char *path, int fd, const struct stat *sb,
				  char *err, size_t errlen);

struct nlu_glove *nlu_glove_open(const char *path, char *err, size_t errlen)
{
	struct nlu_glove *g = NULL;
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	pthread_mutex_lock(&open_lock);
	for (g = open_list; g && !same_file(&g->id, &sb); g = g->next)
		;
	if (g)
		g->refs++;
	else if ((g = map_file(path, fd, &sb, err, errlen))) {
		g->refs = 1;
		g->next = open_list;
		open_list = g;
	}
	pthread_mutex_unlock(&open_lock);
	close(fd);
	return g;
}

static struct nlu_glove *map_file(const char *path, int fd, const struct stat *sb,
				  char *err, size_t errlen)
{
	struct nlu_glove *g = calloc(1, sizeof *g);
	struct nlu_mf mf;
	struct nlu_mf_tensor t;
	char msg[256];

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->map = MAP_FAILED;
	g->id = *sb;
	g->map_len = (size_t)sb->st_size;
	g->map = mmap(NULL, g->map_len ? g->map_len : 1, PROT_READ, MAP_SHARED, fd, 0);
	if (g->map == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	if (nlu_mf_open(&mf, g->map, g->map_len, "VEC ", NLU_GLOVE_VERSION, 1, msg, sizeof msg) ||
	    !(g->vec = nlu_mf_get(&mf, "vectors", NLU_F16, &t, msg, sizeof msg)))
		goto bad;
	if (t.rank != 2 || t.dims[1] != NLU_GLOVE_DIM) {
		snprintf(msg, sizeof msg, "vectors are not %d-dimensional", NLU_GLOVE_DIM);
		goto bad;
	}
	g->n = t.dims[0];
	if (!(g->words = nlu_mf_get(&mf, "words", NLU_U8, &t, msg, sizeof msg)))
		goto bad;
	g->words_len = t.dims[0];
	if (!(g->index = nlu_mf_get(&mf, "index", NLU_I32, &t, msg, sizeof msg)))
		goto bad;
	g->slots = t.dims[0];
	if (g->slots == 0 || (g->slots & (g->slots - 1)) || g->slots < g->n) {
		snprintf(msg, sizeof msg, "index size is not a power of two above the word count");
		goto bad;
	}
	uint32_t *off = malloc(sizeof *off * (g->n ? g->n : 1));
	if (!off) {
		snprintf(msg, sizeof msg, "out of memory");
		goto bad;
	}
	size_t o = 0;
	for (uint32_t r = 0; r < g->n; r++) {
		const char *z = o < g->words_len ? memchr(g->words + o, 0, g->words_len - o) : NULL;
		if (!z) {
			free(off);
			snprintf(msg, sizeof msg, "word list is shorter than the vectors");
			goto bad;
		}
		off[r] = (uint32_t)o;
		o = (size_t)(z - g->words) + 1;
	}
	g->word_off = off;
	g->zipf_h = (float)(log((double)g->n) + 0.5772);
	/* The checks above read every page of the file, and a page once read stays in this
	 * mapping, counted in kefud's RSS (72 MB), although a lookup reads three pages.  Drop
	 * them from the mapping (it is read-only and shared: nothing is lost, the pages stay
	 * in the page cache); lookups map back the pages they read. */
	madvise(g->map, g->map_len, MADV_DONTNEED);
	return g;
bad:
	snprintf(err, errlen, "%s: %s", path, msg);
fail:
	unmap(g);
	return NULL;
}

void nlu_glove_close(struct nlu_glove *g)
{
	struct nlu_glove **p;

	if (!g)
		return;
	pthread_mutex_lock(&open_lock);
	if (--g->refs > 0) {
		pthread_mutex_unlock(&open_lock);
		return;
	}
	for (p = &open_list; *p && *p != g; p = &(*p)->next)
		;
	if (*p)
		*p = g->next;
	pthread_mutex_unlock(&open_lock);
	unmap(g);
}

size_t nlu_glove_size(const struct nlu_glove *g)
{
	return g->n;
}

int32_t nlu_glove_find(const struct nlu_glove *g, const char *w, size_t len)
{
	uint32_t h = (uint32_t)nlu_glove_hash(w, len) & (g->slots - 1);
	for (uint32_t probes = 0; probes < g->slots; probes++) {
		int32_t v = g->index[h];
		if (v <= 0 || (uint32_t)v > g->n)
			return -1;
		const char *cand = g->words + g->word_off[v - 1];
		if (!strncmp(cand, w, len) && cand[len] == '\0')
			return v - 1;
		h = (h + 1) & (g->slots - 1);
	}
	return -1;
}

const char *nlu_glove_word(const struct nlu_glove *g, int32_t r)
{
	return r >= 0 && (size_t)r < g->n ? g->words + g->word_off[r] : NULL;
}

/* F16C, 8 at a time, where the CPU has it (common/tensor.c): exact, as the scalar
 * conversion is, so the sums are bit for bit the same. */
void nlu_glove_add(const struct nlu_glove *g, int32_t r, float weight, float *acc)
{
	cm_axpy_f16(NLU_GLOVE_DIM, weight, g->vec + (size_t)r * NLU_GLOVE_DIM, acc);
}

float nlu_glove_sif(const struct nlu_glove *g, int32_t r)
{
	const float a = 1e-3f;
	float p = 1.0f / ((float)(r + 1) * g->zipf_h);
	return a / (a + p);
}
