/* common/test_csv.c — unit tests for the RFC 4180 reader (csv.c).  With an argument
 * (a CSV file path) it also reads that whole file and prints the record count. */
#include "csv.h"
#include "file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* Reads all of text; joins each record's fields with '|' and records with '/' so a
 * whole parse compares as one string.  Returns the reader's final status. */
static int parse_all(const char *text, size_t len, char *out, size_t outlen, char *err,
		     int *last_line)
{
	struct cm_csv r;
	int rc;
	size_t o = 0;

	out[0] = '\0';
	cm_csv_init(&r, text, len);
	while ((rc = cm_csv_next(&r)) == 1) {
		for (size_t i = 0; i < r.n_fields; i++)
			o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "|" : "", r.fields[i]);
		o += (size_t)snprintf(out + o, outlen - o, "/");
		*last_line = r.line;
	}
	if (rc < 0)
		snprintf(err, 160, "%s", r.err);
	CHECK(cm_csv_next(&r) == rc);   /* end and error states are sticky */
	cm_csv_free(&r);
	return rc;
}

static void ok(const char *text, const char *want, int want_last_line)
{
	char out[1024], err[160] = "";
	int last = 0;
	int rc = parse_all(text, strlen(text), out, sizeof out, err, &last);

	if (rc != 0 || strcmp(out, want) || (want_last_line && last != want_last_line)) {
		fprintf(stderr, "FAIL parse of [%s]: rc %d got [%s] want [%s] last line %d (%s)\n",
			text, rc, out, want, last, err);
		failures++;
	}
}

static void bad(const char *text, const char *want_err)
{
	char out[1024], err[160] = "";
	int last = 0;
	int rc = parse_all(text, strlen(text), out, sizeof out, err, &last);

	if (rc != -1 || !strstr(err, want_err)) {
		fprintf(stderr, "FAIL bad input [%s]: rc %d err [%s] want [%s]\n", text, rc, err,
			want_err);
		failures++;
	}
}

static int read_file(const char *path)
{
	size_t got;
	char *data = cm_read_file(path, &got);
	if (!data)
		return -1;

	struct cm_csv r;
	long records = 0, multiline = 0;
	int rc;
	cm_csv_init(&r, data, got);
	while ((rc = cm_csv_next(&r)) == 1) {
		records++;
		for (size_t i = 0; i < r.n_fields; i++)
			if (memchr(r.fields[i], '\n', r.lens[i]))
				multiline++;
	}
	printf("%s: %ld records, %ld fields with newlines, status %d %s\n", path, records,
	       multiline, rc, rc < 0 ? r.err : "");
	cm_csv_free(&r);
	free(data);
	return rc;
}

int main(int argc, char **argv)
{
	ok("a,b,c\n1,2,3\n", "a|b|c/1|2|3/", 2);
	ok("a,b\r\n1,2\r\n", "a|b/1|2/", 2);
	ok("a,b\n1,2", "a|b/1|2/", 2);                       /* no final newline */
	ok("\xEF\xBB\xBFx,y\n", "x|y/", 1);                  /* BOM skipped */
	ok("\"a,b\",c\n", "a,b|c/", 1);                      /* comma in quotes */
	ok("\"say \"\"hi\"\"\",x\n", "say \"hi\"|x/", 1);   /* "" escape */
	ok("\"two\nlines\",x\nnext,y\n", "two\nlines|x/next|y/", 3);
	ok("\"crlf\r\ninside\",x\r\nnext,y\r\n", "crlf\r\ninside|x/next|y/", 3);
	ok(",\n", "|/", 1);                                  /* two empty fields */
	ok("a,\n", "a|/", 1);
	ok("a,", "a|/", 1);
	ok("\"\",x\n", "|x/", 1);                            /* empty quoted field */
	ok("a\n\n\nb\n", "a/b/", 4);                          /* blank lines skipped */
	ok("a\rb\r", "a/b/", 2);                             /* old Mac line ends */
	ok("", "", 0);
	ok("\xEF\xBB\xBF", "", 0);
	ok("我的卡,丢了\n", "我的卡|丢了/", 1);

	bad("a,\"open\nstill open", "line 2: quoted field opened on line 1");
	bad("ok\n\"x\"y,z\n", "line 2: unexpected character after a closing quote");
	bad("ok\nab\"c,d\n", "line 2: quote inside an unquoted field");

	/* embedded NUL is kept with its length */
	{
		struct cm_csv r;
		cm_csv_init(&r, "a\0b,c\n", 6);
		CHECK(cm_csv_next(&r) == 1);
		CHECK(r.n_fields == 2 && r.lens[0] == 3 && r.lens[1] == 1);
		CHECK(cm_csv_next(&r) == 0);
		cm_csv_free(&r);
	}
	/* many fields (forces buffer growth) */
	{
		char big[8192];
		size_t o = 0;
		for (int i = 0; i < 1000; i++)
			o += (size_t)snprintf(big + o, sizeof big - o, "%s\"f%d\"", i ? "," : "", i);
		struct cm_csv r;
		cm_csv_init(&r, big, o);
		CHECK(cm_csv_next(&r) == 1);
		CHECK(r.n_fields == 1000);
		CHECK(!strcmp(r.fields[999], "f999") && !strcmp(r.fields[0], "f0"));
		cm_csv_free(&r);
	}

	{       /* cm_csv_put: what it writes, the reader reads back as it was */
		const char *in[] = { "plain", "a,b", "say \"hi\"", "two\r\nlines", "" };
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		for (int i = 0; i < 5; i++) {
			cm_csv_put(f, in[i]);
			fputc(i < 4 ? ',' : '\n', f);
		}
		fclose(f);
		CHECK(!strncmp(buf, "plain,\"a,b\",\"say \"\"hi\"\"\",", 25));
		struct cm_csv r;
		cm_csv_init(&r, buf, len);
		CHECK(cm_csv_next(&r) == 1 && r.n_fields == 5);
		for (int i = 0; i < 5 && r.n_fields == 5; i++)
			CHECK(!strcmp(r.fields[i], in[i]));
		cm_csv_free(&r);
		free(buf);
	}

	for (int i = 1; i < argc; i++)
		CHECK(read_file(argv[i]) == 0);

	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	else
		printf("csv: all tests passed\n");
	return failures ? 1 : 0;
}
