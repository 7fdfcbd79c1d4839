/* common/csv.c — see csv.h.  A small state machine over the input bytes; field text
 * is copied (unescaped) into one growing buffer per reader, and the field pointers are
 * fixed up once the record is complete (the buffer may move while it grows).
 * Runs on the caller's thread. */
#include "csv.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cm_csv_init(struct cm_csv *r, const char *data, size_t len)
{
	memset(r, 0, sizeof *r);
	r->p = data;
	r->end = data + len;
	r->cur_line = 1;
	if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
	    (unsigned char)data[2] == 0xBF)
		r->p += 3;
}

void cm_csv_free(struct cm_csv *r)
{
	free(r->buf);
	free(r->offs);
	free(r->fields);
	free(r->lens);
	r->buf = NULL;
	r->offs = r->lens = NULL;
	r->fields = NULL;
}

static int fail(struct cm_csv *r, const char *what)
{
	snprintf(r->err, sizeof r->err, "line %d: %s", r->cur_line, what);
	r->p = r->end = NULL;      /* sticky: later calls see the error state */
	return -1;
}

static int put_byte(struct cm_csv *r, char c)
{
	char *nb = cm_grow(r->buf, &r->buf_cap, r->buf_len + 2, 1, 256);
	if (!nb)
		return -1;
	r->buf = nb;
	r->buf[r->buf_len++] = c;
	return 0;
}

/* Ends the current field: NUL-terminates it and records its start offset. */
static int end_field(struct cm_csv *r, size_t start)
{
	if (r->n_fields == r->cap_fields) {
		size_t cap = cm_grow_cap(r->cap_fields, r->n_fields + 1, 8, sizeof(size_t));
		size_t *no = cap ? cm_realloc_n(r->offs, cap, sizeof *no) : NULL;
		if (!no)
			return -1;
		r->offs = no;
		char **nf = cm_realloc_n(r->fields, cap, sizeof *nf);
		if (!nf)
			return -1;
		r->fields = nf;
		size_t *nl = cm_realloc_n(r->lens, cap, sizeof *nl);
		if (!nl)
			return -1;
		r->lens = nl;
		r->cap_fields = cap;
	}
	r->offs[r->n_fields] = start;
	r->lens[r->n_fields] = r->buf_len - start;
	r->n_fields++;
	return put_byte(r, '\0');
}

/* Consumes a line end at r->p (CRLF, LF or CR); returns 1 if there was one. */
static int eat_eol(struct cm_csv *r)
{
	if (r->p < r->end && *r->p == '\r') {
		r->p++;
		if (r->p < r->end && *r->p == '\n')
			r->p++;
		r->cur_line++;
		return 1;
	}
	if (r->p < r->end && *r->p == '\n') {
		r->p++;
		r->cur_line++;
		return 1;
	}
	return 0;
}

int cm_csv_next(struct cm_csv *r)
{
	if (!r->p)
		return -1;
	/* skip empty lines */
	while (r->p < r->end && eat_eol(r))
		;
	if (r->p >= r->end)
		return 0;

	r->n_fields = 0;
	r->buf_len = 0;
	r->line = r->cur_line;
	for (;;) {
		size_t start = r->buf_len;

		if (r->p < r->end && *r->p == '"') {
			int open_line = r->cur_line;
			r->p++;
			for (;;) {
				if (r->p >= r->end) {
					snprintf(r->err, sizeof r->err,
						 "line %d: quoted field opened on line %d is not closed",
						 r->cur_line, open_line);
					r->p = r->end = NULL;
					return -1;
				}
				char c = *r->p++;
				if (c == '"') {
					if (r->p < r->end && *r->p == '"') {
						r->p++;
						if (put_byte(r, '"'))
							return fail(r, "out of memory");
						continue;
					}
					break;
				}
				if (c == '\n' || (c == '\r' && (r->p >= r->end || *r->p != '\n')))
					r->cur_line++;
				if (put_byte(r, c))
					return fail(r, "out of memory");
			}
			if (r->p < r->end && *r->p != ',' && *r->p != '\r' && *r->p != '\n')
				return fail(r, "unexpected character after a closing quote");
		} else {
			while (r->p < r->end && *r->p != ',' && *r->p != '\r' && *r->p != '\n') {
				if (*r->p == '"')
					return fail(r, "quote inside an unquoted field");
				if (put_byte(r, *r->p++))
					return fail(r, "out of memory");
			}
		}
		if (end_field(r, start))
			return fail(r, "out of memory");
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		eat_eol(r);   /* or the end of the data */
		break;
	}
	for (size_t i = 0; i < r->n_fields; i++)
		r->fields[i] = r->buf + r->offs[i];
	return 1;
}

void cm_csv_put(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}
