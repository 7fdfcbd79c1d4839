/* fuzz/fuzz_proto.c — libFuzzer harness for a client's WebSocket text frame: the bytes go
 * to kd_proto_parse (daemon/proto.c), the one function kefud's service thread calls on every
 * complete text message, with the daemon's default max_text.  A frame is either a valid
 * request (then its text/data are released with kd_req_clear) or an error code; the frame
 * error name must exist.  Dictionary: proto.dict (the protocol's keys and types).
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
	struct kd_req req;

	memset(&req, 0, sizeof req);
	if (kd_proto_parse((const char *)data, size, FZ_MAX_TEXT, &req) == 0) {
		if (req.type == 0)
			abort();             /* parsed, but no request type */
		kd_req_clear(&req);
	} else if (!kd_err_name(req.err)) {
		abort();                     /* an error without a stable name */
	}
	return 0;
}
