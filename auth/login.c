/* auth/login.c — signing in and resolving who is calling: password login with the
 * per-login-name lockout, console sessions (idle and absolute expiry), logout, and
 * bearer tokens.
 *
 * Lockout.  Every attempt is charged to its login name (lowercased, whether or not an
 * operator has it, so the lockout cannot be used to find accounts; the streak is keyed
 * by the name's SHA-256, so a password typed into the login field is not kept) inside
 * one short write transaction BEFORE the password is hashed: parallel guesses are all
 * counted.
 * With f failures already recorded:
 *   locked_until in the future           -> AUTH_E_LOCKED (no hashing);
 *   f >= delay_after and the last failure
 *   less than delay_ms << (f - delay_after) ago (capped at lock_s) -> AUTH_E_THROTTLED;
 *   otherwise f + 1 is recorded (after a quiet lock_s the streak restarts at 1), and
 *   reaching lock_after sets locked_until = now + lock_s.
 * A correct password then deletes the streak, lock included.  Locks are logged (warn)
 * and audited.  Unknown login names are audited without the name typed (it may be a
 * password typed into the wrong field).
 *
 * Runs on the caller's thread with the caller's store connection (see auth.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "auth_int.h"
#include "log.h"
#include "store.h"

/* ---- the failure streak ------------------------------------------------------------------- */

struct charge {
	const struct auth_config *cfg;
	const char *key;       /* SHA-256 hex of the lowercased login name */
	int64_t now;
	int verdict;           /* AUTH_OK: go on and hash; THROTTLED / LOCKED */
	int retry_after_s;
	int locked_now;        /* this attempt reached lock_after */
};

static int charge_tx(void *arg, struct store *st)
{
	struct charge *c = arg;
	const struct auth_config *cfg = c->cfg;
	struct store_login_attempts la;
	int rc = store_login_attempts_get(st, c->key, &la);

	if (rc)
		return rc;
	if (la.locked_until_ms > c->now) {
		c->verdict = AUTH_E_LOCKED;
		c->retry_after_s = (int)((la.locked_until_ms - c->now + 999) / 1000);
		return 0;
	}
	if (la.failures > 0 && c->now - la.last_failed_ms >= (int64_t)cfg->lock_s * 1000)
		la.failures = 0;   /* a streak quiet for lock_s is forgotten */
	if (la.failures >= cfg->delay_after) {
		int shift = la.failures - cfg->delay_after;
		int64_t wait = (int64_t)cfg->delay_ms << (shift > 20 ? 20 : shift);
		if (wait > (int64_t)cfg->lock_s * 1000)
			wait = (int64_t)cfg->lock_s * 1000;
		if (c->now < la.last_failed_ms + wait) {
			c->verdict = AUTH_E_THROTTLED;
			c->retry_after_s = (int)((la.last_failed_ms + wait - c->now + 999) / 1000);
			return 0;
		}
	}
	la.failures++;
	la.last_failed_ms = c->now;
	if (la.failures >= cfg->lock_after) {
		la.locked_until_ms = c->now + (int64_t)cfg->lock_s * 1000;
		c->locked_now = 1;
	}
	c->verdict = AUTH_OK;
	return store_login_attempts_put(st, c->key, &la);
}

/* ---- the session a good password opens ---------------------------------------------------- */

struct opening {
	struct auth *a;
	const struct store_operator *op;
	const char *key;       /* the login name's streak key */
	const char *ip;
	int64_t now;
	struct auth_login_result *out;
};

static void fill_identity(struct auth_identity *who, const struct store_operator *op)
{
	memset(who, 0, sizeof *who);
	who->operator_id = op->id;
	snprintf(who->login, sizeof who->login, "%s", op->login);
	snprintf(who->name, sizeof who->name, "%s", op->name);
	who->role = auth_role_parse(op->role);
}

static int open_tx(void *arg, struct store *st)
{
	struct opening *o = arg;
	char id_hash[65];
	struct auth_login_result *out = o->out;
	struct auth_actor by = { o->op->id, o->op->login, o->ip };
	int rc;

	if (auth_random_hex(out->session_id, AUTH_SESSION_ID_LEN / 2) ||
	    auth_random_hex(out->who.csrf, AUTH_CSRF_LEN / 2))
		return -1;
	auth_sha256_hex(out->session_id, AUTH_SESSION_ID_LEN, id_hash);
	if ((rc = store_login_attempts_clear(st, o->key)) ||
	    (rc = store_op_session_add(st, id_hash, o->op->id, out->who.csrf, o->ip, o->now)) ||
	    (rc = store_operator_set_last_login(st, o->op->id, o->now)))
		return rc;
	/* expired sessions of everyone go here, at the one moment sessions are made */
	const struct auth_config *cfg = auth_config_of(o->a);
	if ((rc = store_op_session_prune(st, o->now - (int64_t)cfg->idle_s * 1000,
					 o->now - (int64_t)cfg->absolute_s * 1000, NULL)) ||
	    (rc = store_login_attempts_prune(st, o->now - (int64_t)cfg->lock_s * 1000)))
		return rc;
	return auth_audit(o->a, st, &by, "login", "", NULL);
}

/* Lowercases login into buf (logins are stored lowercase); 0, or -1 when longer than
 * any login can be. */
static int fold_login(const char *login, char *buf, size_t len)
{
	size_t n = login ? strlen(login) : 0;

	if (n >= len)
		return -1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)login[i]);
	buf[n] = '\0';
	return 0;
}

static void audit_failure(struct auth *a, struct store *st, const struct store_operator *op,
			  int found, const char *ip, int locked_now)
{
	struct auth_actor by = { found ? op->id : 0, found ? op->login : "", ip };
	const char *why = !found ? "{\"reason\":\"unknown login\"}"
		: op->disabled ? "{\"reason\":\"disabled\"}" : "{\"reason\":\"wrong password\"}";

	if (auth_audit(a, st, &by, "login.failed", "", why) < 0)
		LOG_ERR("audit: %s", store_errmsg(st));
	if (locked_now) {
		LOG_WARN("login %s locked for %d s after %d failed attempts (last from %s)",
			 found ? op->login : "(unknown name)", a->cfg.lock_s, a->cfg.lock_after,
			 ip && *ip ? ip : "?");
		if (auth_audit(a, st, &by, "login.locked", "", NULL) < 0)
			LOG_ERR("audit: %s", store_errmsg(st));
	}
}

int auth_login(struct auth *a, struct store *st, const char *login, const char *pw,
	       size_t pwlen, const char *ip, struct auth_login_result *out)
{
	char name[AUTH_LOGIN_MAX + 1], key[65];
	struct store_operator op = { 0 };
	int found = 0, rc, ok;
	struct charge c = { .cfg = &a->cfg, .key = key, .now = auth_now_ms(a) };

	memset(out, 0, sizeof *out);
	/* a name too long to be a login still gets a streak (keyed by its hash) and the
	 * same work as any other unknown name */
	if (fold_login(login ? login : "", name, sizeof name))
		name[0] = '\0';
	auth_sha256_hex(login && name[0] ? name : login ? login : "",
			login && name[0] ? strlen(name) : login ? strlen(login) : 0, key);
	if ((rc = store_transaction(st, charge_tx, &c)))
		return auth_from_store(rc);
	if (c.verdict) {
		out->retry_after_s = c.retry_after_s;
		return c.verdict;
	}
	rc = name[0] ? store_operator_find(st, name, &op) : STORE_NOT_FOUND;
	if (rc < 0)
		return rc;
	found = rc == 0;
	/* the same argon2id work whether or not the login exists or is disabled */
	if (pwlen > AUTH_PASSWORD_MAX * 4)
		ok = AUTH_E_CREDENTIALS;   /* not a password we could have stored */
	else
		ok = auth_password_verify(a, found ? op.pass_hash : a->dummy_phc, pw ? pw : "",
					  pw ? pwlen : 0);
	if (ok == AUTH_E_BUSY || ok < 0) {
		store_operator_clear(&op);
		return ok;   /* the attempt stays charged: a storm does not get free guesses */
	}
	if (ok != AUTH_OK || !found || op.disabled) {
		audit_failure(a, st, &op, found, ip, c.locked_now);
		store_operator_clear(&op);
		return AUTH_E_CREDENTIALS;
	}
	struct opening o = { a, &op, key, ip, c.now, out };
	fill_identity(&out->who, &op);
	rc = store_transaction(st, open_tx, &o);
	if (rc) {
		memset(out, 0, sizeof *out);
		store_operator_clear(&op);
		return auth_from_store(rc);
	}
	out->who.session_created_ms = out->who.session_last_ms = c.now;
	store_operator_clear(&op);
	return AUTH_OK;
}

/* ---- resolving a cookie or a bearer token ---------------------------------------------------- */

static int session_check(struct auth *a, struct store *st, const char *session_id,
			 struct auth_identity *out, int touch)
{
	char id_hash[65];
	struct store_op_session ss;
	struct store_operator op;
	int64_t now = auth_now_ms(a);
	int rc;

	memset(out, 0, sizeof *out);
	if (!auth_is_hex(session_id, AUTH_SESSION_ID_LEN))
		return AUTH_E_NO_SESSION;
	auth_sha256_hex(session_id, AUTH_SESSION_ID_LEN, id_hash);
	rc = store_op_session_find(st, id_hash, &ss);
	if (rc)
		return rc == STORE_NOT_FOUND ? AUTH_E_NO_SESSION : rc;
	if (now - ss.last_ms >= (int64_t)a->cfg.idle_s * 1000 ||
	    now - ss.created_ms >= (int64_t)a->cfg.absolute_s * 1000) {
		rc = store_op_session_delete(st, id_hash);
		return rc < 0 ? rc : AUTH_E_NO_SESSION;
	}
	rc = store_operator_get(st, ss.operator_id, &op);
	if (rc)
		return rc == STORE_NOT_FOUND ? AUTH_E_NO_SESSION : rc;
	if (op.disabled) {
		store_operator_clear(&op);
		return AUTH_E_NO_SESSION;
	}
	fill_identity(out, &op);
	store_operator_clear(&op);
	snprintf(out->csrf, sizeof out->csrf, "%s", ss.csrf);
	out->session_created_ms = ss.created_ms;
	out->session_last_ms = touch ? now : ss.last_ms;
	if (touch && (rc = store_op_session_touch(st, ss.id, now)))
		return rc;
	return AUTH_OK;
}

int auth_session_check(struct auth *a, struct store *st, const char *session_id,
		       struct auth_identity *out)
{
	return session_check(a, st, session_id, out, 1);
}

int auth_session_peek(struct auth *a, struct store *st, const char *session_id,
		      struct auth_identity *out)
{
	return session_check(a, st, session_id, out, 0);
}

int auth_logout(struct auth *a, struct store *st, const char *session_id,
		const struct auth_identity *who, const char *ip)
{
	char id_hash[65];
	struct auth_actor by = { who ? who->operator_id : 0, who ? who->login : "", ip };
	int rc;

	if (!auth_is_hex(session_id, AUTH_SESSION_ID_LEN))
		return AUTH_E_NO_SESSION;
	auth_sha256_hex(session_id, AUTH_SESSION_ID_LEN, id_hash);
	rc = store_op_session_delete(st, id_hash);
	if (rc)
		return rc == STORE_NOT_FOUND ? AUTH_E_NO_SESSION : rc;
	return auth_audit(a, st, &by, "logout", "", NULL);
}

int auth_token_check(struct auth *a, struct store *st, const char *token,
		     struct auth_identity *out)
{
	char h[65];
	struct store_api_token t;
	struct store_operator op;
	enum auth_role tr;
	int rc;

	memset(out, 0, sizeof *out);
	if (!token || strncmp(token, AUTH_TOKEN_PREFIX, 5) ||
	    !auth_is_hex(token + 5, AUTH_TOKEN_LEN - 5))
		return AUTH_E_NO_SESSION;
	auth_sha256_hex(token, AUTH_TOKEN_LEN, h);
	rc = store_api_token_find(st, h, &t);
	if (rc)
		return rc == STORE_NOT_FOUND ? AUTH_E_NO_SESSION : rc;
	tr = auth_role_parse(t.role);
	if (t.revoked_ms) {
		store_api_token_clear(&t);
		return AUTH_E_NO_SESSION;
	}
	rc = store_operator_get(st, t.operator_id, &op);
	if (rc || op.disabled) {
		store_api_token_clear(&t);
		if (rc == 0)
			store_operator_clear(&op);
		return rc < 0 ? rc : AUTH_E_NO_SESSION;
	}
	fill_identity(out, &op);
	if (tr < out->role)
		out->role = tr;   /* a token acts with at most its operator's role */
	out->token_id = t.id;
	store_operator_clear(&op);
	store_api_token_clear(&t);
	return store_api_token_touch(st, out->token_id, auth_now_ms(a));
}

/* ---- the audit row ------------------------------------------------------------------------------ */

int auth_audit(struct auth *a, struct store *st, const struct auth_actor *by,
	       const char *action, const char *object, const char *changes)
{
	struct store_audit row = {
		.operator_id = by ? by->operator_id : 0,
		.login = by && by->login ? by->login : "",
		.action = action,
		.object = object ? object : "",
		.ip = by && by->ip ? by->ip : "",
		.changes = changes,
	};
	return auth_from_store(store_audit_add(st, &row, auth_now_ms(a)));
}
