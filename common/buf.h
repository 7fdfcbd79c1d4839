/* common/buf.h — growable memory: an array that doubles as it fills (cm_grow, written once
 * here for every list, table and buffer of kefu that grows), and a growable NUL-terminated
 * text buffer for building strings (CSV exports, summary cards).  Appending to a text
 * buffer after an allocation failure does nothing and leaves oom set: the builder checks
 * oom once at the end.  The caller owns what these allocate (free).  Any thread; one
 * array or buffer is not shared. */
#ifndef KEFU_COMMON_BUF_H
#define KEFU_COMMON_BUF_H

#include <stddef.h>

/* The capacity an array of capacity cap (0: none yet) needs to hold need elements of elem
 * bytes: cap itself when it is enough, else cap doubled (starting from first) until it is;
 * 0 when that, in elements or in bytes, would overflow size_t. */
size_t cm_grow_cap(size_t cap, size_t need, size_t first, size_t elem);
/* realloc(p, n * elem), NULL (p left as it was) when the product overflows or memory is
 * out.  For arrays that grow side by side: the new capacity from cm_grow_cap, then each
 * array through this, the capacity stored once all of them succeeded. */
void *cm_realloc_n(void *p, size_t n, size_t elem);
/* Makes room for need (>= 1) elements of elem bytes in the array p of capacity *cap:
 * returns the array, moved or not, with *cap updated; NULL when out of memory, with p and
 * *cap unchanged (p still the caller's).  The usual call, before appending element n:
 *     struct x *v = cm_grow(l->v, &l->cap, l->n + 1, sizeof *v, 16);
 *     if (!v) return -1;
 *     l->v = v; */
void *cm_grow(void *p, size_t *cap, size_t need, size_t elem, size_t first);

struct cm_buf {
	char *p;                     /* NULL until the first append */
	size_t len, cap;
	int oom;
};

/* Appends s[0..len). */
void cm_buf_add(struct cm_buf *b, const char *s, size_t len);
/* Appends the string s (NULL: nothing). */
void cm_buf_str(struct cm_buf *b, const char *s);
/* Makes room for n more bytes at once (a size known ahead spares the doublings); on no
 * memory sets b->oom, as an append would. */
void cm_buf_reserve(struct cm_buf *b, size_t n);

#endif
