/* common/buf.h — a growable NUL-terminated text buffer for building strings (CSV
 * exports, summary cards).  Appending after an allocation failure does nothing and
 * leaves oom set: the builder checks oom once at the end.  The caller owns p (free).
 * Any thread; one buffer is not shared. */
#ifndef KEFU_COMMON_BUF_H
#define KEFU_COMMON_BUF_H

#include <stddef.h>

struct cm_buf {
	char *p;                     /* NULL until the first append */
	size_t len, cap;
	int oom;
};

/* Appends s[0..len). */
void cm_buf_add(struct cm_buf *b, const char *s, size_t len);
/* Appends the string s (NULL: nothing). */
void cm_buf_str(struct cm_buf *b, const char *s);

#endif
