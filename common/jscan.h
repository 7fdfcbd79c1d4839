/* common/jscan.h — the values of a few top-level keys of a flat JSON object, found by one
 * strict pass over its text without allocating (common/jscan.c).  Pure; any thread. */
#ifndef KEFU_COMMON_JSCAN_H
#define KEFU_COMMON_JSCAN_H

#include <stddef.h>

/* A wanted top-level key and, after cm_jscan_object, where its value is. */
struct cm_jscan_field {
	const char *key;   /* wanted: ASCII without quotes or backslashes */
	const char *val;   /* found: the value's JSON text inside the scanned text; NULL: absent */
	size_t len;
	int count;         /* how many times the key came; val is the last one */
};

/* 1 when text[0..len) is one JSON object by the strict reading of common/jscan.c, with the
 * values of f[0..n) located (val, len, count set); 0 when the text is not one it judges:
 * the caller then asks a full parser (jansson, SQLite's JSON functions).  f's results are
 * meaningful only after a 1. */
int cm_jscan_object(const char *text, size_t len, struct cm_jscan_field *f, int n);

/* 1 when f's value is a string without escapes: its bytes between the quotes in *s, *n. */
int cm_jscan_plain(const struct cm_jscan_field *f, const char **s, size_t *n);

/* 1 when f's value is exactly the JSON text token ("true", "null", "\"did_you_say\""). */
int cm_jscan_is(const struct cm_jscan_field *f, const char *token);

#endif
