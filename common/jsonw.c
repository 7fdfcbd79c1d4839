/* common/jsonw.c — see jsonw.h.  The escapes and the number format follow jansson 2.14's
 * dump.c (escape_string) and strconv.c (jsonp_dtostr). */
#include "jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

void cm_jw_str(struct cm_buf *b, const char *s)
{
	size_t n, run = 0;

	if (!s) {
		cm_buf_add(b, "null", 4);
		return;
	}
	n = strlen(s);
	if (!cm_utf8_valid(s, n)) {
		b->oom = 1;
		return;
	}
	cm_buf_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[8];
		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\b')
			esc = "\\b";
		else if (c == '\f')
			esc = "\\f";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20) {
			snprintf(u, sizeof u, "\\u%04X", c);
			esc = u;
		}
		if (!esc)
			continue;
		cm_buf_add(b, s + run, i - run);   /* the plain bytes before it */
		cm_buf_str(b, esc);
		run = i + 1;
	}
	cm_buf_add(b, s + run, n - run);
	cm_buf_add(b, "\"", 1);
}

void cm_jw_key(struct cm_buf *b, const char *key)
{
	cm_jw_str(b, key);
	cm_buf_add(b, ":", 1);
}

void cm_jw_int(struct cm_buf *b, int64_t v)
{
	char s[24];
	int n = snprintf(s, sizeof s, "%" PRId64, v);

	cm_buf_add(b, s, (size_t)n);
}

void cm_jw_real(struct cm_buf *b, double v, int precision)
{
	char s[40];
	int n;

	if (!isfinite(v)) {
		b->oom = 1;
		return;
	}
	n = snprintf(s, sizeof s, "%.*g", precision, v);
	if (n < 0 || (size_t)n >= sizeof s - 3) {
		b->oom = 1;
		return;
	}
	if (!strchr(s, '.') && !strchr(s, 'e')) {   /* reads back as a real, not an integer */
		memcpy(s + n, ".0", 3);
		n += 2;
	}
	char *e = strchr(s, 'e');
	if (e) {   /* "1e+05" -> "1e5", "1e-05" -> "1e-5" */
		char *start = e + 1, *end = e + 2;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)(s + n - end) + 1);
			n -= (int)(end - start);
		}
	}
	cm_buf_add(b, s, (size_t)n);
}

void cm_jw_bool(struct cm_buf *b, int v)
{
	cm_buf_str(b, v ? "true" : "false");
}
