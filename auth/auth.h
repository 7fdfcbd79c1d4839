/* auth/auth.h — operator accounts and their secrets: argon2id passwords, console
 * sessions with a CSRF synchronizer token, per-login lockout, bearer API tokens, roles,
 * and the audit row written with every change.  docs/security.md "Operator accounts"
 * gives the threat model; docs/api.md the HTTP face (api/).
 *
 * One `struct auth` per process (auth_create): the configuration, the clock and the
 * counting semaphore that bounds how many argon2id hashes (19 MiB each) run at once.
 * It is immutable after creation apart from the semaphore, so any thread may use it.
 * Every call that reads or writes rows takes the caller's `struct store` connection,
 * used on the caller's thread as store.h says.  The calls that hash (login, adding an
 * operator, a new password) take tens of milliseconds: run them on a worker, never on
 * the lws service thread.
 *
 * Secrets never reach the store: it keeps the argon2id PHC string of a password, the
 * SHA-256 of a session id and of a bearer token.  The session id and the token are
 * shown once (cookie, `kefu operator token`) and never logged.
 *
 * Return values: AUTH_OK (0), a positive AUTH_E_* for expected refusals (auth_strerror
 * names each one), or < 0 for a database or system failure (store_errmsg() of the
 * connection has the database's message).
 */
#ifndef KEFU_AUTH_H
#define KEFU_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum {
	AUTH_OK = 0,
	AUTH_E_CREDENTIALS = 1,   /* unknown login, wrong password or disabled: one answer */
	AUTH_E_THROTTLED = 2,     /* too many failures: wait retry_after_s before trying */
	AUTH_E_LOCKED = 3,        /* locked for lock_s after lock_after failures */
	AUTH_E_NO_SESSION = 4,    /* no such, expired or revoked session / token */
	AUTH_E_PASSWORD_SHORT = 5,
	AUTH_E_PASSWORD_LONG = 6,
	AUTH_E_PASSWORD_UTF8 = 7, /* not valid UTF-8 (or holds a NUL) */
	AUTH_E_BUSY = 8,          /* every hashing slot stayed taken for hash_wait_ms */
	AUTH_E_INVALID = 9,       /* a login, name or role the store refuses (store_errmsg) */
	AUTH_E_DUPLICATE = 10,    /* that login exists */
	AUTH_E_NOT_FOUND = 11,    /* no such operator / token */
	AUTH_E_ROLE = 12,         /* a token cannot have a role above its operator's */
};

#define AUTH_PASSWORD_MIN 12     /* bytes of UTF-8 */
#define AUTH_PASSWORD_MAX 256
#define AUTH_SESSION_ID_LEN 64   /* hex chars of the 256-bit session id (cookie value) */
#define AUTH_CSRF_LEN 64         /* hex chars of the 256-bit CSRF token */
#define AUTH_TOKEN_PREFIX "kefu_"
#define AUTH_TOKEN_LEN (5 + 64)  /* "kefu_" + 64 hex chars (256 bits) */
#define AUTH_LOGIN_MAX 64

enum auth_role { AUTH_ROLE_NONE = 0, AUTH_ROLE_AGENT = 1, AUTH_ROLE_ADMIN = 2 };

/* "admin"/"agent" -> role; AUTH_ROLE_NONE for anything else. */
enum auth_role auth_role_parse(const char *s);
/* "admin", "agent" or "none". */
const char *auth_role_name(enum auth_role r);

struct auth_config {
	/* argon2id cost (OWASP's second setting): memory KiB, passes, lanes */
	uint32_t hash_m_kib, hash_t, hash_p;
	int hash_slots;          /* hashes at once (the semaphore); memory = slots x m */
	int hash_wait_ms;        /* wait for a slot before AUTH_E_BUSY */
	int idle_s;              /* session idle timeout (default 30 min) */
	int absolute_s;          /* session absolute lifetime (default 12 h) */
	int delay_after;         /* failures after which each attempt must wait ... */
	int delay_ms;            /* ... delay_ms << (failures - delay_after), capped at lock_s */
	int lock_after;          /* failures that lock the login name ... */
	int lock_s;              /* ... for this long; a streak quiet this long is forgotten */
	/* The clock (ms since the epoch); NULL = the wall clock.  Tests inject one. */
	int64_t (*now_ms)(void *arg);
	void *now_arg;
};

/* Fills c with the defaults: m=19456 KiB, t=2, p=1, 2 slots, 2000 ms wait, 30 min idle,
 * 12 h absolute, delay after 5 (1 s, doubling), lock after 10 for 15 min. */
void auth_config_defaults(struct auth_config *c);

struct auth;

/* Creates the shared state (copies c; computes one dummy hash so an unknown login costs
 * the same time as a wrong password).  NULL with err set on failure.  Any thread. */
struct auth *auth_create(const struct auth_config *c, char *err, size_t errlen);
void auth_destroy(struct auth *a);
const struct auth_config *auth_config_of(const struct auth *a);
int64_t auth_now_ms(const struct auth *a);
/* Static text for an AUTH_E_* code (or "internal error" for < 0). */
const char *auth_strerror(int rc);
/* Maps a store.h return value to an auth one (STORE_NOT_FOUND -> AUTH_E_NOT_FOUND,
 * STORE_DUPLICATE -> AUTH_E_DUPLICATE, STORE_INVALID -> AUTH_E_INVALID, < 0 kept). */
int auth_from_store(int rc);

/* ---- secrets (auth/secret.c) ---------------------------------------------------------- */

/* Writes 2*nbytes lowercase hex chars of fresh random bytes (OpenSSL RAND_bytes) + NUL
 * into out (size >= 2*nbytes + 1).  0 or -1. */
int auth_random_hex(char *out, size_t nbytes);
/* Lowercase hex SHA-256 of s[0..len) into out[65]. */
void auth_sha256_hex(const void *s, size_t len, char out[65]);
/* 1 when a and b are equal, comparing in time that depends only on their lengths. */
int auth_secret_equal(const char *a, const char *b);
/* 1 when s is exactly n lowercase hex chars. */
int auth_is_hex(const char *s, size_t n);

/* ---- passwords (auth/password.c) ----------------------------------------------------- */

/* AUTH_OK, or AUTH_E_PASSWORD_SHORT / _LONG (12..256 bytes) / _UTF8. */
int auth_password_check(const char *pw, size_t len);
/* argon2id PHC string of pw (after auth_password_check) with a fresh 16-byte salt into
 * out (outlen >= 128).  Waits for a hashing slot.  AUTH_OK, a password code, AUTH_E_BUSY,
 * or -1. */
int auth_password_hash(struct auth *a, const char *pw, size_t len, char *out, size_t outlen);
/* AUTH_OK when pw matches the PHC string, AUTH_E_CREDENTIALS when it does not (or the
 * string is not argon2id), AUTH_E_BUSY, or -1. */
int auth_password_verify(struct auth *a, const char *phc, const char *pw, size_t len);

/* ---- who is calling (auth/login.c) ----------------------------------------------------- */

struct auth_identity {
	int64_t operator_id;
	char login[AUTH_LOGIN_MAX + 1];
	char name[256];
	enum auth_role role;       /* effective: a token's role, never above its operator's */
	int64_t token_id;          /* > 0: a bearer token; 0: a console session */
	char csrf[AUTH_CSRF_LEN + 1];   /* the session's synchronizer token ("" for tokens) */
	int64_t session_created_ms, session_last_ms;
};

/* Who acts, for the audit log: an operator (id > 0) or the command line (id 0, login
 * "cli:USER").  ip may be NULL. */
struct auth_actor {
	int64_t operator_id;
	const char *login;
	const char *ip;
};

struct auth_login_result {
	char session_id[AUTH_SESSION_ID_LEN + 1];   /* the cookie value: shown once */
	struct auth_identity who;
	int retry_after_s;                           /* AUTH_E_THROTTLED / _LOCKED */
};

/* Checks login + password and, on success, opens a new console session (a fresh id
 * every time: no fixation) and audits "login".  Failures are counted per login name
 * (existing or not) before the hash runs, so parallel guesses are counted too; an
 * unknown or disabled login is verified against a dummy hash and gets the same
 * AUTH_E_CREDENTIALS.  AUTH_E_THROTTLED / AUTH_E_LOCKED come before any hashing, with
 * out->retry_after_s.  ip may be NULL. */
int auth_login(struct auth *a, struct store *st, const char *login, const char *pw,
	       size_t pwlen, const char *ip, struct auth_login_result *out);
/* Resolves a session id (the cookie value): AUTH_OK with *out filled and the session's
 * last use moved to now, or AUTH_E_NO_SESSION (unknown, idle past idle_s, older than
 * absolute_s — deleted then —, or its operator disabled). */
int auth_session_check(struct auth *a, struct store *st, const char *session_id,
		       struct auth_identity *out);
/* The same check without moving the last use: for re-checks that are not the
 * operator's doing (kefud's /ops channel asks every few seconds whether the session
 * still holds; that must not keep an unattended console signed in). */
int auth_session_peek(struct auth *a, struct store *st, const char *session_id,
		      struct auth_identity *out);
/* Ends the session on the server and audits "logout"; AUTH_E_NO_SESSION if unknown. */
int auth_logout(struct auth *a, struct store *st, const char *session_id,
		const struct auth_identity *who, const char *ip);
/* Resolves a bearer token: AUTH_OK with *out (role = min(token role, operator role)),
 * or AUTH_E_NO_SESSION (unknown, revoked, operator disabled). */
int auth_token_check(struct auth *a, struct store *st, const char *token,
		     struct auth_identity *out);

/* ---- account changes, each with its audit row in one transaction (auth/accounts.c) --- */

/* Adds an operator (role "admin"/"agent", name may be NULL); id_out may be NULL.
 * AUTH_OK, a password code, AUTH_E_INVALID, AUTH_E_DUPLICATE, AUTH_E_BUSY, < 0. */
int auth_operator_add(struct auth *a, struct store *st, const struct auth_actor *by,
		      const char *login, const char *name, const char *role, const char *pw,
		      size_t pwlen, int64_t *id_out);
/* New password; ends the operator's console sessions. */
int auth_operator_set_password(struct auth *a, struct store *st, const struct auth_actor *by,
			       int64_t operator_id, const char *pw, size_t pwlen);
/* Disables (1) or enables (0); disabling ends the sessions, and its tokens stop working
 * while disabled.  AUTH_E_NOT_FOUND if no such operator. */
int auth_operator_set_disabled(struct auth *a, struct store *st, const struct auth_actor *by,
			       int64_t operator_id, int disabled);
/* A new bearer token for an operator, acting as role (AUTH_ROLE_NONE: the operator's
 * own; above it: AUTH_E_ROLE).  token_out gets AUTH_TOKEN_LEN chars + NUL, to be shown
 * once.  name may be NULL. */
int auth_token_create(struct auth *a, struct store *st, const struct auth_actor *by,
		      int64_t operator_id, enum auth_role role, const char *name,
		      char token_out[AUTH_TOKEN_LEN + 1], int64_t *id_out);
/* Revokes token id; AUTH_E_NOT_FOUND if none or already revoked. */
int auth_token_revoke(struct auth *a, struct store *st, const struct auth_actor *by,
		      int64_t token_id);

/* Appends one audit row now (by may be NULL: the system).  changes: JSON text or NULL. */
int auth_audit(struct auth *a, struct store *st, const struct auth_actor *by,
	       const char *action, const char *object, const char *changes);

#endif
