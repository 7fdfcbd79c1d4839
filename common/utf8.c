/* common/utf8.c — see utf8.h. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

int cm_utf8_valid(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str, *e = s + len;

	while (s < e) {
		uint8_t c = *s;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			s++;
			continue;
		}
		size_t n;
		uint32_t cp, min;
		if ((c & 0xE0) == 0xC0) {
			n = 2; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 3; cp = c & 0x0F; min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 4; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if ((size_t)(e - s) < n)
			return 0;
		for (size_t i = 1; i < n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		s += n;
	}
	return 1;
}

size_t cm_utf8_prefix(const char *str, size_t len, size_t max)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t n = len < max ? len : max;

	if (n == len)
		return n;
	while (n > 0 && (s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

size_t cm_utf8_complete(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = len, need;

	while (i > 0 && len - i < 4 && (s[i - 1] & 0xC0) == 0x80)
		i--;                                  /* back to the last lead byte */
	if (i == 0 || s[i - 1] < 0xC0)
		return len;                           /* ASCII (or no lead byte): complete */
	need = s[i - 1] >= 0xF0 ? 4 : s[i - 1] >= 0xE0 ? 3 : 2;
	return len - (i - 1) >= need ? len : i - 1;
}

size_t cm_utf8_copy(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(src), n = cm_utf8_prefix(src, len, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

int cm_utf8_has_cjk(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; p && *p; p++) {
		if ((*p & 0xF0) != 0xE0 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			continue;
		unsigned cp = ((unsigned)(p[0] & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) |
			      (p[2] & 0x3F);
		if ((cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
		    (cp >= 0xFF00 && cp <= 0xFFEF))
			return 1;
		p += 2;
	}
	return 0;
}

/* Decodes the code point at s (valid UTF-8 assumed); *n gets its length in bytes. */
static uint32_t utf8_next(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0) {
		*n = 2;
		return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
	}
	if ((s[0] & 0xF0) == 0xE0) {
		*n = 3;
		return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
		       (s[2] & 0x3F);
	}
	*n = 4;
	return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
	       ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

size_t cm_utf8_count(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* Unicode White_Space, plus the zero-width no-break space (BOM) editors leave behind. */
static int is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

int cm_utf8_blank(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (!is_space(utf8_next(p + i, &n)))
			return 0;
		i += n;
	}
	return 1;
}
