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

/* Length of s[0..len) without an incomplete code point at its end (what a byte-wise cut
 * of valid UTF-8 left), and cm_utf8_copy: the longest prefix of the NUL-terminated src
 * that fits cap - 1 bytes and ends on a code-point boundary, copied NUL-terminated into
 * dst (cap > 0); returns its length.  For text cut to fit a fixed buffer, which must stay
 * valid UTF-8 (JSON, the store's CHECKs). */
size_t cm_utf8_complete(const char *s, size_t len);
size_t cm_utf8_copy(char *dst, size_t cap, const char *src);

/* 1 if the NUL-terminated s (NULL: no) holds a CJK character: U+2E80..U+9FFF (radicals,
 * CJK punctuation, kana, ideographs), U+F900..U+FAFF (compatibility ideographs) or
 * U+FF00..U+FFEF (full-width forms); else 0.  How kefu tells Chinese from English text
 * when it picks a language (store_text_lang, imports). */
int cm_utf8_has_cjk(const char *s);

/* Number of code points in valid UTF-8 s[0..len), and 1 if valid UTF-8 s[0..len) is empty
 * or only white space (Unicode White_Space and U+FEFF): how the protocol counts a text
 * against its limits and refuses a blank one. */
size_t cm_utf8_count(const char *s, size_t len);
int cm_utf8_blank(const char *s, size_t len);

#endif
