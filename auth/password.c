/* auth/password.c — password rules and argon2id (libargon2) hashing and verifying.
 *
 * Each hash holds hash_m_kib of memory (19 MiB by default) for tens of milliseconds,
 * so a login storm could exhaust memory if every request hashed at once: a counting
 * semaphore (struct auth.slots, hash_slots permits) bounds the hashes running at once,
 * and a caller that waits longer than hash_wait_ms gets AUTH_E_BUSY instead of piling
 * up.  Any thread; the semaphore is the only shared state.
 */
#include <argon2.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "auth_int.h"
#include "clock.h"
#include "utf8.h"

#define SALT_LEN 16
#define HASH_LEN 32

int auth_password_check(const char *pw, size_t len)
{
	if (!pw || len < AUTH_PASSWORD_MIN)
		return AUTH_E_PASSWORD_SHORT;
	if (len > AUTH_PASSWORD_MAX)
		return AUTH_E_PASSWORD_LONG;
	if (!cm_utf8_valid(pw, len))
		return AUTH_E_PASSWORD_UTF8;
	return AUTH_OK;
}

/* Takes a hashing slot: 0, or AUTH_E_BUSY after hash_wait_ms. */
static int slot_take(struct auth *a)
{
	struct timespec dl = cm_deadline(a->cfg.hash_wait_ms);

	while (sem_timedwait(&a->slots, &dl)) {
		if (errno != EINTR)
			return AUTH_E_BUSY;
	}
	return 0;
}

int auth_password_hash(struct auth *a, const char *pw, size_t len, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN];
	int rc = auth_password_check(pw, len);

	if (rc)
		return rc;
	if (RAND_bytes(salt, SALT_LEN) != 1)   /* a fresh salt per password */
		return -1;
	if (argon2_encodedlen(a->cfg.hash_t, a->cfg.hash_m_kib, a->cfg.hash_p, SALT_LEN,
			      HASH_LEN, Argon2_id) > outlen)
		return -1;
	if ((rc = slot_take(a)))
		return rc;
	rc = argon2id_hash_encoded(a->cfg.hash_t, a->cfg.hash_m_kib, a->cfg.hash_p, pw, len,
				   salt, SALT_LEN, HASH_LEN, out, outlen);
	sem_post(&a->slots);
	OPENSSL_cleanse(salt, sizeof salt);
	return rc == ARGON2_OK ? AUTH_OK : -1;
}

int auth_password_verify(struct auth *a, const char *phc, const char *pw, size_t len)
{
	int rc;

	if (!phc || strncmp(phc, "$argon2id$", 10) || !pw)
		return AUTH_E_CREDENTIALS;
	if ((rc = slot_take(a)))
		return rc;
	/* argon2_verify reads m, t, p and the salt from the PHC string; it compares in
	 * constant time */
	rc = argon2id_verify(phc, pw, len);
	sem_post(&a->slots);
	if (rc == ARGON2_OK)
		return AUTH_OK;
	if (rc == ARGON2_VERIFY_MISMATCH || rc == ARGON2_DECODING_FAIL)
		return AUTH_E_CREDENTIALS;
	return -1;
}
