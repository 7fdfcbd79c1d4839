/* auth/auth.c — the shared `struct auth`: configuration defaults, the clock, the hashing
 * semaphore's life, role names and error texts.  auth_create runs once at start-up (it
 * hashes one dummy password); everything else is read-only and safe from any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"
#include "clock.h"
#include "store.h"

void auth_config_defaults(struct auth_config *c)
{
	memset(c, 0, sizeof *c);
	c->hash_m_kib = 19456;
	c->hash_t = 2;
	c->hash_p = 1;
	c->hash_slots = 2;
	c->hash_wait_ms = 2000;
	c->idle_s = 30 * 60;
	c->absolute_s = 12 * 3600;
	c->delay_after = 5;
	c->delay_ms = 1000;
	c->lock_after = 10;
	c->lock_s = 15 * 60;
}

struct auth *auth_create(const struct auth_config *c, char *err, size_t errlen)
{
	struct auth *a = calloc(1, sizeof *a);
	char pw[AUTH_CSRF_LEN + 1];

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->cfg = *c;
	if (a->cfg.hash_slots < 1 || a->cfg.hash_m_kib < 8 || a->cfg.hash_t < 1 ||
	    a->cfg.hash_p < 1 || a->cfg.idle_s < 1 || a->cfg.absolute_s < 1 ||
	    a->cfg.lock_after < 1 || a->cfg.delay_after < 1 || a->cfg.lock_s < 1) {
		snprintf(err, errlen, "auth configuration out of range");
		free(a);
		return NULL;
	}
	if (sem_init(&a->slots, 0, (unsigned)a->cfg.hash_slots)) {
		snprintf(err, errlen, "cannot create the hashing semaphore");
		free(a);
		return NULL;
	}
	/* the dummy: a random password nobody knows, hashed with the same parameters */
	if (auth_random_hex(pw, 32) ||
	    auth_password_hash(a, pw, strlen(pw), a->dummy_phc, sizeof a->dummy_phc)) {
		snprintf(err, errlen, "cannot compute the dummy password hash");
		auth_destroy(a);
		return NULL;
	}
	return a;
}

void auth_destroy(struct auth *a)
{
	if (!a)
		return;
	sem_destroy(&a->slots);
	free(a);
}

const struct auth_config *auth_config_of(const struct auth *a)
{
	return &a->cfg;
}

int64_t auth_now_ms(const struct auth *a)
{
	return a->cfg.now_ms ? a->cfg.now_ms(a->cfg.now_arg) : cm_wall_ms();
}

enum auth_role auth_role_parse(const char *s)
{
	if (s && !strcmp(s, "admin"))
		return AUTH_ROLE_ADMIN;
	if (s && !strcmp(s, "agent"))
		return AUTH_ROLE_AGENT;
	return AUTH_ROLE_NONE;
}

const char *auth_role_name(enum auth_role r)
{
	return r == AUTH_ROLE_ADMIN ? "admin" : r == AUTH_ROLE_AGENT ? "agent" : "none";
}

const char *auth_strerror(int rc)
{
	switch (rc) {
	case AUTH_OK: return "ok";
	case AUTH_E_CREDENTIALS: return "wrong login or password";
	case AUTH_E_THROTTLED: return "too many failed logins: wait before trying again";
	case AUTH_E_LOCKED: return "too many failed logins: this login is locked for a while";
	case AUTH_E_NO_SESSION: return "not signed in (unknown, expired or revoked)";
	case AUTH_E_PASSWORD_SHORT: return "password shorter than 12 bytes";
	case AUTH_E_PASSWORD_LONG: return "password longer than 256 bytes";
	case AUTH_E_PASSWORD_UTF8: return "password is not valid UTF-8";
	case AUTH_E_BUSY: return "too many password checks at once: retry shortly";
	case AUTH_E_INVALID: return "invalid login, name or role";
	case AUTH_E_DUPLICATE: return "an operator with that login exists";
	case AUTH_E_NOT_FOUND: return "no such operator or token";
	case AUTH_E_ROLE: return "a token cannot have a role above its operator's";
	default: return rc < 0 ? "internal error" : "unknown error";
	}
}

int auth_from_store(int rc)
{
	switch (rc) {
	case 0: return AUTH_OK;
	case STORE_NOT_FOUND: return AUTH_E_NOT_FOUND;
	case STORE_DUPLICATE: return AUTH_E_DUPLICATE;
	case STORE_INVALID: return AUTH_E_INVALID;
	default: return rc < 0 ? rc : -1;
	}
}
