/* common/csv.h — an RFC 4180 CSV reader over a buffer in memory.
 *
 * Reads records one at a time from data[0..len) (the caller keeps the buffer alive
 * while reading).  Understands quoted fields, "" escapes inside quotes, newlines and
 * commas inside quoted fields, CRLF or LF (or a lone CR) line ends, a final record
 * without a line end, and skips a leading UTF-8 byte-order mark.  Lines that are
 * completely empty are skipped (RFC 4180 is silent on them; spreadsheets emit them).
 *
 * Malformed input is reported, never guessed at: a quote inside an unquoted field,
 * anything but a comma or a line end after a closing quote, or a quoted field still
 * open at the end of the data.  The message names the physical line (1-based) where
 * the problem is.  Field text is not checked for UTF-8 here; callers that need valid
 * UTF-8 use cm_utf8_valid().
 *
 * A reader is used by one thread at a time; it owns its field buffer.
 */
#ifndef KEFU_COMMON_CSV_H
#define KEFU_COMMON_CSV_H

#include <stddef.h>
#include <stdio.h>

struct cm_csv {
	/* public, valid after cm_csv_next() returned 1, until the next call: */
	char **fields;        /* NUL-terminated field texts (owned by the reader) */
	size_t *lens;         /* their lengths in bytes (a field may hold a NUL byte) */
	size_t n_fields;
	int line;             /* physical line (1-based) where the current record starts */
	char err[160];        /* message after cm_csv_next() returned -1 */

	/* private */
	const char *p, *end;
	int cur_line;
	char *buf;
	size_t buf_len, buf_cap;
	size_t *offs;
	size_t cap_fields;
};

/* Starts reading data[0..len).  Never fails (allocation happens in cm_csv_next). */
void cm_csv_init(struct cm_csv *r, const char *data, size_t len);
/* Reads the next record: 1 when one was read (fields/lens/n_fields/line set), 0 at
 * the end of the data, -1 on malformed input or out of memory (message in r->err;
 * further calls keep returning -1). */
int cm_csv_next(struct cm_csv *r);
/* Frees the reader's buffers (not the data). */
void cm_csv_free(struct cm_csv *r);

/* Writes s to f as one field (RFC 4180): as it is, or in double quotes with its quotes
 * doubled when it holds a comma, a quote, CR or LF.  The caller writes the separators. */
void cm_csv_put(FILE *f, const char *s);

#endif
