/* common/jsonw.c — see jsonw.h.  The escapes and the number format follow jansson 2.14's
 * dump.c (escape_string) and strconv.c (jsonp_dtostr). */
#include "jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* The escape of each byte that JSON strings cannot hold as is (jansson's): 0 = plain. */
static const char *const escape_of[256] = {
	['"'] = "\\\"", ['\\'] = "\\\\", ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
	['\r'] = "\\r", ['\t'] = "\\t",
	[0x00] = "\\u0000", [0x01] = "\\u0001", [0x02] = "\\u0002", [0x03] = "\\u0003",
	[0x04] = "\\u0004", [0x05] = "\\u0005", [0x06] = "\\u0006", [0x07] = "\\u0007",
	[0x0B] = "\\u000B", [0x0E] = "\\u000E", [0x0F] = "\\u000F", [0x10] = "\\u0010",
	[0x11] = "\\u0011", [0x12] = "\\u0012", [0x13] = "\\u0013", [0x14] = "\\u0014",
	[0x15] = "\\u0015", [0x16] = "\\u0016", [0x17] = "\\u0017", [0x18] = "\\u0018",
	[0x19] = "\\u0019", [0x1A] = "\\u001A", [0x1B] = "\\u001B", [0x1C] = "\\u001C",
	[0x1D] = "\\u001D", [0x1E] = "\\u001E", [0x1F] = "\\u001F",
};

void cm_jw_str(struct cm_buf *b, const char *s)
{
	size_t n, i = 0, run = 0;

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
	for (;;) {   /* runs of plain bytes, copied at once; a reply's text is mostly one */
		while (i < n && !escape_of[(unsigned char)s[i]])
			i++;
		if (i == n)
			break;
		cm_buf_add(b, s + run, i - run);
		cm_buf_str(b, escape_of[(unsigned char)s[i]]);
		run = ++i;
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
