/* daemon/entity.h — entities by voice in a conversation (entity.c): the state the
 * session's last bot reply left, yes/no to a confirmation, and the confirm / confirmed /
 * say-again replies.  Worker threads. */
#ifndef KEFU_DAEMON_ENTITY_H
#define KEFU_DAEMON_ENTITY_H

#include <jansson.h>
#include <stdint.h>

#include "policy.h"
#include "speech.h"
#include "store.h"

struct kd_entity_state {
	int expect;                 /* enum asr_entity_kind the next clip should hold, or 0 */
	int confirm_kind;           /* a "Did you say ...?" awaits yes/no for this kind, or 0 */
	char confirm_value[96];     /* ... and this value */
};

enum kd_entity_step {
	KD_ENTITY_CONFIRM = 0,      /* "Did you say A 7 7 3?" [Yes] [No] */
	KD_ENTITY_CONFIRMED = 1,    /* after yes: "Thank you, I have noted A 7 7 3." */
	KD_ENTITY_RETRY = 2,        /* after no: "Please say it again", expecting the kind */
};

/* Reads the state of session sid from its last message (a bot reply's meta, or the
 * answer's expects).  0 (s filled, zeroed when nothing is expected) or the store's code. */
int kd_entity_state_read(struct store *st, int64_t sid, struct kd_entity_state *s);

/* 1 when text is the entity_yes text (English or Chinese), -1 for entity_no, else 0. */
int kd_entity_yes_no(const struct store_texts *t, const char *text);

/* {"kind","value"[,"spoken"][,"confirmed":true]}; NULL on no memory. */
json_t *kd_entity_json(int kind, const char *value, const char *spoken, int confirmed);

/* The reply of a step for the entity (kind, value; spoken: the words heard, or NULL) into
 * rep (own text: pol_reply_clear frees it) and the reply meta fields to add in *extra
 * ("why", and "entity" or "expects").  0, or -1 on no memory. */
int kd_entity_reply(const struct store_texts *t, enum kd_entity_step step, int kind,
		    const char *value, const char *spoken, float confidence,
		    struct pol_reply *rep, json_t **extra);

#endif
