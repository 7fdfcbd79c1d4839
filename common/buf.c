/* common/buf.c — see buf.h. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void cm_buf_add(struct cm_buf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void cm_buf_str(struct cm_buf *b, const char *s)
{
	cm_buf_add(b, s ? s : "", s ? strlen(s) : 0);
}
