/* common/utf8.h — strict UTF-8 validation (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF).  Pure functions, any thread. */
#ifndef KEFU_COMMON_UTF8_H
#define KEFU_COMMON_UTF8_H

#include <stddef.h>

/* Returns 1 if s[0..len) is valid UTF-8 (NUL bytes are rejected too), else 0. */
int cm_utf8_valid(const char *s, size_t len);

/* Length in bytes of the longest prefix of s[0..len) that ends on a code-point
 * boundary and is at most max bytes (for truncating titles safely). */
size_t cm_utf8_prefix(const char *s, size_t len, size_t max);

#endif
