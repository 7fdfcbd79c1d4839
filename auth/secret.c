/* auth/secret.c — random secrets, their SHA-256 and comparing them in constant time
 * (OpenSSL libcrypto: RAND_bytes, CRYPTO_memcmp; SHA-256 from common/hash.c).
 * Pure functions, any thread. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "auth.h"
#include "hash.h"

static const char hexd[] = "0123456789abcdef";

int auth_random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];

	if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1)
		return -1;
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hexd[raw[i] >> 4];
		out[2 * i + 1] = hexd[raw[i] & 15];
	}
	out[2 * nbytes] = '\0';
	OPENSSL_cleanse(raw, sizeof raw);
	return 0;
}

void auth_sha256_hex(const void *s, size_t len, char out[65])
{
	if (cm_sha256_hex(s, len, out)) {
		/* never a valid hash: lookups by it find nothing */
		memset(out, 'x', 64);
		out[64] = '\0';
	}
}

int auth_secret_equal(const char *a, const char *b)
{
	size_t n = a ? strlen(a) : 0, m = b ? strlen(b) : 0;

	if (!a || !b || n != m || n == 0)
		return 0;
	return CRYPTO_memcmp(a, b, n) == 0;
}

int auth_is_hex(const char *s, size_t n)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}
