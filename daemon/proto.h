/* daemon/proto.h — the chat protocol's JSON in and out (docs/protocol.md).
 *
 * kd_proto_parse validates one complete client text frame (UTF-8, JSON, type, fields,
 * lengths) and turns it into a struct kd_req or a stable error code; the kd_frame_*
 * builders serialise the server's frames into LWS_PRE-padded buffers ready for
 * lws_write.  Everything here is pure and works on memory the caller owns, so it runs
 * on any thread: the lws service thread parses and answers errors, workers build
 * welcome/history/reply frames.
 */
#ifndef KEFU_DAEMON_PROTO_H
#define KEFU_DAEMON_PROTO_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "store.h"

#define KD_ID_MAX 64                     /* client message id, in characters */
#define KD_ID_BYTES (KD_ID_MAX * 4)      /* ... and at most this many bytes */

/* Stable error codes; kd_err_name gives the wire string. */
enum kd_err {
	KD_E_INVALID_JSON = 0,
	KD_E_INVALID_UTF8,
	KD_E_UNKNOWN_TYPE,
	KD_E_MISSING_FIELD,
	KD_E_TEXT_TOO_LONG,
	KD_E_EMPTY_TEXT,
	KD_E_FRAME_TOO_LARGE,
	KD_E_UNSUPPORTED_FRAME,
	KD_E_RATE_LIMITED,
	KD_E_BUSY,
	KD_E_UNKNOWN_SESSION,
	KD_E_INTERNAL,
	/* uploads (voice clips and pictures) */
	KD_E_UNSUPPORTED_AUDIO,
	KD_E_AUDIO_TOO_LONG,
	KD_E_AUDIO_TOO_LARGE,
	KD_E_CORRUPT_AUDIO,
	KD_E_EMPTY_AUDIO,
	KD_E_NO_SPEECH,
	KD_E_UNSUPPORTED_IMAGE,
	KD_E_IMAGE_TOO_LARGE,
	KD_E_CORRUPT_IMAGE,
	KD_E_UPLOAD_TOO_LARGE,
	KD_E_UPLOAD_EXPECTED,
	/* feedback, rating, handoff (feedback.c) */
	KD_E_UNKNOWN_MESSAGE,
	KD_E_INVALID_VALUE,
	/* hostile clients (docs/security.md) */
	KD_E_STORAGE_FULL,        /* free disk below min_free_disk: uploads refused */
	KD_E_QUOTA_EXCEEDED,      /* upload_quota_session / upload_quota_ip used up today */
	KD_E_TOO_MANY_CONNECTIONS,/* max_conns_per_ip chats open from this address (edge.c) */
	KD_E_TOO_MANY_SESSIONS,   /* sessions_per_ip_minute used by this address (edge.c) */
	KD_E_COUNT
};
const char *kd_err_name(enum kd_err e);

/* A server frame: a heap buffer with LWS_PRE bytes of headroom before the payload,
 * linked into per-session output queues.  Owned by whoever holds the pointer. */
struct kd_frame {
	struct kd_frame *next;
	size_t len;                  /* payload bytes at buf + LWS_PRE */
	int binary;                  /* sent as a binary WebSocket message (else text) */
	unsigned char buf[];
};
#define KD_FRAME_PAYLOAD(f) ((f)->buf + LWS_PRE)

/* Serialises j compactly.  Returns a new frame or NULL on allocation failure. */
struct kd_frame *kd_frame_from_json(const json_t *j);
/* A binary frame holding a copy of data[0..len).  NULL on allocation failure. */
struct kd_frame *kd_frame_binary(const void *data, size_t len);
void kd_frame_free(struct kd_frame *f);
/* Frees a whole ->next chain. */
void kd_frame_free_list(struct kd_frame *f);

enum kd_req_type { KD_REQ_MESSAGE = 1, KD_REQ_HELLO, KD_REQ_PING, KD_REQ_AUDIO,
		   KD_REQ_IMAGE,
		   KD_REQ_FEEDBACK, KD_REQ_RATING, KD_REQ_HANDOFF,   /* feedback.c */
		   KD_REQ_TYPING, KD_REQ_LEAVE_MESSAGE };             /* ops.c */

struct kd_req {
	int type;                        /* enum kd_req_type */
	int has_id;                      /* the frame had a readable id (echoed on errors) */
	char id[KD_ID_BYTES + 1];
	char *text;                      /* message: malloc'd, NUL-terminated; see kd_req_clear;
					    image: the optional words (NULL if none) */
	size_t text_len;                 /* bytes */
	/* audio / image: either bytes (a binary message of that size follows) or data
	 * (inline base64, decoded here; malloc'd, see kd_req_clear) */
	int has_bytes;
	size_t bytes;
	unsigned char *data;
	size_t data_len;
	int speak;                       /* audio: "speak":true */
	char mime[64];                   /* "" when absent */
	char ref[KD_ID_BYTES + 1];       /* feedback: id of the rated message (feedback.c) */
	int value;                       /* feedback: 1 or -1; rating: stars; hello:
					    "before" (newest messages to skip: paging) */
	char token[STORE_TOKEN_LEN + 1]; /* hello */
	enum kd_err err;                 /* set when kd_proto_parse returns 1 */
	const char *err_msg;             /* static text for the error frame */
};

/* Parses one complete text frame buf[0..len).  max_text is the longest text in code
 * points (messages and a picture's words).  An upload header's "bytes" is returned as
 * is: the caller checks it against max_upload.  Returns 0 with out filled (the caller owns out->text: kd_req_clear), or 1
 * with out->err / out->err_msg / out->id set (nothing to free).  Any thread. */
int kd_proto_parse(const char *buf, size_t len, int max_text, struct kd_req *out);
/* The same, without the direct parser of the common message frame (proto_msg.c): every
 * frame through jansson.  For tests and the fuzzer, which check that the two agree. */
int kd_proto_parse_json(const char *buf, size_t len, int max_text, struct kd_req *out);
/* The direct parser (proto_msg.c): 1 with out filled as kd_proto_parse would fill it for
 * a valid typed message in valid UTF-8 buf; 0 (out zeroed) for any other frame, which
 * kd_proto_parse then reads with jansson. */
int kd_proto_parse_message(const char *buf, size_t len, int max_text, struct kd_req *out);
void kd_req_clear(struct kd_req *r);

/* ---- server frames (each returns a new frame or NULL on allocation failure) ------- */

/* {"type":"error","id":id|null,"code":...,"message":msg,"retry_after":seconds} */
struct kd_frame *kd_frame_error_retry(enum kd_err code, const char *id, const char *msg,
				      int retry_after);
/* {"type":"error","id":id|null,"code":...,"message":msg} */
struct kd_frame *kd_frame_error(enum kd_err code, const char *id, const char *msg);
struct kd_frame *kd_frame_pong(void);
/* {"type":"welcome","session":token,"resumed":false,"text":greeting,"server":...} */
struct kd_frame *kd_frame_welcome(const char *token, const char *greeting);

/* The reply to a turn, written once, directly (no jansson tree): the reply frame
 * {"type":"reply","id":client_id,"text":..,"answer_id":id|null,"confidence":c,
 *  "title":..|null,"fallback":bool,"lang":..,"quick_replies":[{"answer_id":..|null,
 *  "title"}](,"refused":..),"why":..(,"entity":..)}
 * and its meta, the reply fields that are not plain columns of the session log, stored
 * as the bot message's meta JSON so a resend or a history can rebuild the same reply
 * (kd_frame_reply_logged gives the same frame back):
 * {"title":..|null,"fallback":bool,"lang":..,"quick_replies":[..],"client_id":..,
 *  "why":..(,"refused":..)} (client_id: the customer message answered, for histories
 * that start after it; may be NULL; why: the answer policy's pol_reply.why_name).  extra
 * (may be NULL) adds or replaces meta fields (an entity's "why", "entity", "expects").
 * 0 with *frame and *meta (malloc'd) set, or -1 (no memory, text jansson would refuse)
 * with both NULL. */
int kd_reply_build(const struct pol_reply *r, const char *client_id, const json_t *extra,
		   struct kd_frame **frame, char **meta);
/* {"type":"reply","id":id,"text":text,"answer_id":id|null,"confidence":c, + meta fields}.
 * meta may be NULL (the fields then get neutral values). */
struct kd_frame *kd_frame_reply(const char *id, const char *text, int64_t answer_id,
				double confidence, const json_t *meta);
/* Rebuilds the reply frame of an already logged bot message (idempotent resend). */
struct kd_frame *kd_frame_reply_logged(const char *id, const struct store_message *m);

/* One history entry for message m ({"from","id","text","ts", bot: answer fields}).
 * A bot reply shows the client id kept in its meta, else turn_id (the client id of the
 * customer message before it).  New reference or NULL. */
json_t *kd_history_item(const struct store_message *m, const char *turn_id);
/* {"type":"history","session":token,"resumed":true,"messages":messages}, plus
 * "more":true,"before":before when before > 0 (older messages: ask with hello+before). */
struct kd_frame *kd_frame_history(const char *token, json_t *messages, int before);

#endif
