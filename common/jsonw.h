/* common/jsonw.h — writing JSON text directly into a cm_buf (common/buf.h), for the
 * few hot places that would otherwise build a jansson tree only to serialise it (kefud's
 * reply frame and its logged meta: daemon/proto.c).  The output is byte for byte what
 * jansson's json_dumps writes for the same values with JSON_COMPACT (UTF-8 as is;
 * '"', '\\' and control characters escaped as jansson escapes them; reals as
 * JSON_REAL_PRECISION(p) prints them).  What jansson would refuse (a string that is not
 * valid UTF-8, a real that is not finite) sets the buffer's oom flag: the builder fails
 * as a json_pack would.  Pure functions on the caller's buffer; any thread.
 */
#ifndef KEFU_COMMON_JSONW_H
#define KEFU_COMMON_JSONW_H

#include <stdint.h>

#include "buf.h"

/* The string s, quoted and escaped; NULL writes null. */
void cm_jw_str(struct cm_buf *b, const char *s);
/* "key": (key is written as cm_jw_str writes it). */
void cm_jw_key(struct cm_buf *b, const char *key);
void cm_jw_int(struct cm_buf *b, int64_t v);
/* v with precision significant digits (1..17), always with a '.' or an exponent. */
void cm_jw_real(struct cm_buf *b, double v, int precision);
void cm_jw_bool(struct cm_buf *b, int v);

#endif
