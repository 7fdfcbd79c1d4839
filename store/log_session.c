/* store/log_session.c — what a logged message changes in its session's row: a customer
 * message re-opens a resolved conversation (resolved_ms = NULL) and marks the session as
 * a conversation (report_flags bit 1); a bot reply names the session's language (lang,
 * from its meta's "lang", only when it differs).
 *
 * Until the schema step "log writes: session state kept by the writer" the triggers
 * messages_reopen, report_conversation and messages_lang did this for every inserted row,
 * inside the store writer's batches: a trigger program, a look-up of the session's row
 * and, for a reply, three JSON parses of its meta, about 6.7 of a turn's ~44 us in
 * bench/ws/log_cost.py (docs/performance.md "Issue 14, fourth pass").  Now
 * store_message_add (store/sessions.c, the one C path that inserts messages) calls
 * store_log_session_note after each row it wrote, with the same statements the
 * triggers ran (the same WHERE guards, so nothing is rewritten needlessly).
 *
 * The log writer's connection also keeps what it knows of each session in memory
 * (store_log_sessions_keep): the language it last gave it, and that its flag is set and
 * it is not resolved.  A message that changes neither is then written without touching
 * the session's row at all; the reply's language is read from its meta by a scan of the
 * JSON text (meta_lang, common/jscan.c), with SQLite's JSON functions as the arbiter
 * whenever the scan is not sure.  Another connection can change a session (the console resolves it,
 * retention deletes it and its id is handed out again), so the writer checks PRAGMA
 * data_version at the start of each batch (store_log_sessions_begin: it moves only with
 * other connections' commits) and forgets everything when it moved; a rolled-back
 * batch forgets everything too (store_log_sessions_forget).  Connections that do not
 * keep the state run the statements for every message, as the triggers did.
 *
 * Runs on the thread that owns the connection (for the kept state: the writer thread).
 */
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "store_int.h"

#define LS_SLOTS 4096          /* sessions remembered (direct-mapped by id) */
#define LS_LANG 16             /* longest language kept (longer ones: always the SQL) */

enum { LS_CUSTOMER = 1,        /* report_flags has bit 1 and resolved_ms is NULL */
       LS_LANG_KNOWN = 2 };    /* lang holds the session's language */

struct ls_slot {
	int64_t sid;           /* 0: empty */
	unsigned char known;   /* LS_* */
	char lang[LS_LANG];
};

struct store_log_sessions {
	int64_t data_version;  /* PRAGMA data_version when the slots were last valid */
	struct ls_slot slot[LS_SLOTS];
};

/* The value of the one top-level key "lang" of the JSON object meta when it is a
 * string without escapes, shorter than n bytes: copied to out, returns 1.  Returns 0
 * when the scan is not sure (common/jscan.c: no such key, another type, an escape, a
 * second "lang" — SQLite would take the first —, text it does not judge): the caller
 * then asks SQLite. */
static int meta_lang(const char *meta, char *out, size_t n)
{
	struct cm_jscan_field f = { .key = "lang" };
	const char *v;
	size_t len;

	if (!cm_jscan_object(meta, strlen(meta), &f, 1) || f.count != 1 ||
	    !cm_jscan_plain(&f, &v, &len) || len >= n)
		return 0;
	memcpy(out, v, len);
	out[len] = '\0';
	return 1;
}

static struct ls_slot *slot_of(struct store *st, int64_t sid)
{
	struct ls_slot *e = &st->log_sessions->slot[(uint64_t)sid % LS_SLOTS];

	if (e->sid != sid) {
		e->sid = sid;
		e->known = 0;
	}
	return e;
}

/* Runs a cached write statement with the session id ?1 and text ?2 (NULL: none). */
static int run(struct store *st, enum store_stmt_id id, int64_t sid, const char *text)
{
	sqlite3_stmt *s = store_stmt(st, id);

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	if (text)
		store_bind_static(s, 2, text);   /* stepped and cleared before text goes */
	return store_step_write(st, s, "updating the session of a logged message");
}

/* A bot reply with meta: the session takes its language when it differs. */
static int note_reply(struct store *st, int64_t sid, const char *meta)
{
	char lang[LS_LANG];
	struct ls_slot *e = NULL;
	int rc;

	if (st->log_sessions) {
		e = slot_of(st, sid);
		if (meta_lang(meta, lang, sizeof lang)) {
			if (!lang[0])
				return 0;   /* "" names no language: the trigger changed nothing either */
			if ((e->known & LS_LANG_KNOWN) && !strcmp(e->lang, lang))
				return 0;   /* the session holds this language already */
		}
		e->known &= ~LS_LANG_KNOWN;
	}
	/* what the trigger messages_lang did, JSON checks included */
	if ((rc = run(st, SQ_LOG_REPLY_LANG, sid, meta)) || !e)
		return rc;
	/* keep what the session holds now */
	sqlite3_stmt *s = store_stmt(st, SQ_LOG_SESSION_LANG);
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	rc = store_step_one(st, s, "reading a session's language");
	if (rc == 0) {
		const char *now = (const char *)sqlite3_column_text(s, 0);
		if (now && strlen(now) < LS_LANG) {
			strcpy(e->lang, now);
			e->known |= LS_LANG_KNOWN;
		}
	} else if (rc == STORE_NOT_FOUND) {
		rc = 0;   /* the session is gone: nothing to keep */
	}
	store_stmt_done(s);
	return rc;
}

int store_log_session_note(struct store *st, int64_t sid, int kind, const char *meta)
{
	if (kind == STORE_MSG_BOT)
		return meta ? note_reply(st, sid, meta) : 0;
	if (kind != STORE_MSG_CUSTOMER)
		return 0;
	struct ls_slot *e = st->log_sessions ? slot_of(st, sid) : NULL;
	if (e && (e->known & LS_CUSTOMER))
		return 0;
	/* what messages_reopen and report_conversation did, in one statement */
	int rc = run(st, SQ_LOG_CUSTOMER, sid, NULL);
	if (rc == 0 && e)
		e->known |= LS_CUSTOMER;
	return rc;
}

int store_log_sessions_keep(struct store *st)
{
	if (st->log_sessions)
		return 0;
	st->log_sessions = calloc(1, sizeof *st->log_sessions);
	if (!st->log_sessions)
		return -SQLITE_NOMEM;
	st->log_sessions->data_version = -1;
	return 0;
}

void store_log_sessions_forget(struct store *st)
{
	if (st->log_sessions)
		memset(st->log_sessions->slot, 0, sizeof st->log_sessions->slot);
}

int store_log_sessions_begin(struct store *st)
{
	if (!st->log_sessions)
		return 0;
	sqlite3_stmt *s = store_stmt(st, SQ_DATA_VERSION);
	if (!s)
		return -SQLITE_ERROR;
	int rc = store_step_one(st, s, "reading the data version");
	if (rc == 0) {
		int64_t v = sqlite3_column_int64(s, 0);
		if (v != st->log_sessions->data_version) {
			store_log_sessions_forget(st);
			st->log_sessions->data_version = v;
		}
	} else {
		store_log_sessions_forget(st);
	}
	store_stmt_done(s);
	return rc;
}

void store_log_sessions_free(struct store *st)
{
	free(st->log_sessions);
	st->log_sessions = NULL;
}
