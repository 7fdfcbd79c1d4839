/* common/buf.c — see buf.h. */
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t cm_grow_cap(size_t cap, size_t need, size_t first, size_t elem)
{
	if (cap >= need)
		return cap;
	size_t c = cap ? cap : (first ? first : 1);
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return 0;
		c *= 2;
	}
	return elem && c > SIZE_MAX / elem ? 0 : c;
}

void *cm_realloc_n(void *p, size_t n, size_t elem)
{
	if (elem && n > SIZE_MAX / elem)
		return NULL;
	return realloc(p, n * elem);
}

void *cm_grow(void *p, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t c = cm_grow_cap(*cap, need, first, elem);
	if (!c)
		return NULL;
	if (c == *cap)
		return p;
	void *np = cm_realloc_n(p, c, elem);
	if (np)
		*cap = c;
	return np;
}

void cm_buf_add(struct cm_buf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (len > SIZE_MAX - b->len - 1) {
		b->oom = 1;
		return;
	}
	char *p = cm_grow(b->p, &b->cap, b->len + len + 1, 1, 128);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void cm_buf_reserve(struct cm_buf *b, size_t n)
{
	char *p;

	if (b->oom)
		return;
	if (n > SIZE_MAX - b->len - 1 ||
	    !(p = cm_grow(b->p, &b->cap, b->len + n + 1, 1, 128))) {
		b->oom = 1;
		return;
	}
	b->p = p;
}

void cm_buf_str(struct cm_buf *b, const char *s)
{
	cm_buf_add(b, s ? s : "", s ? strlen(s) : 0);
}
