/* fuzz/fuzz_proto.c — libFuzzer harness for a client's WebSocket text frame: the bytes go
 * to kd_proto_parse (daemon/proto.c), the one function kefud's service thread calls on every
 * complete text message, with the daemon's default max_text.  A frame is either a valid
 * request (then its text/data are released with kd_req_clear) or an error code; the frame
 * error name must exist.  The direct parser of a typed message (daemon/proto_msg.c) must
 * agree with the jansson path (kd_proto_parse_json) on every input: the same result, id,
 * text and error.  Dictionary: proto.dict (the protocol's keys and types).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define FZ_MAX_TEXT 2000       /* conf default max_text (conf/conf.c) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_req req, ref;
	int rc, rc_ref;

	memset(&req, 0, sizeof req);
	rc = kd_proto_parse((const char *)data, size, FZ_MAX_TEXT, &req);
	rc_ref = kd_proto_parse_json((const char *)data, size, FZ_MAX_TEXT, &ref);
	if (rc != rc_ref || req.type != ref.type || req.has_id != ref.has_id ||
	    strcmp(req.id, ref.id) || req.text_len != ref.text_len ||
	    !req.text != !ref.text ||
	    (req.text && memcmp(req.text, ref.text, req.text_len + 1)))
		abort();                     /* the direct parser differs from jansson's */
	if (rc == 0) {
		if (req.type == 0)
			abort();             /* parsed, but no request type */
		kd_req_clear(&req);
		kd_req_clear(&ref);
	} else if (!kd_err_name(req.err) || req.err != ref.err) {
		abort();                     /* an error without a stable name */
	}
	return 0;
}
