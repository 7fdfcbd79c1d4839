/* common/hash.c — FNV-1a over words and SHA-256 hex (see hash.h).  Pure, any thread.
 * SHA-256 is libcrypto's EVP_Digest: the one OpenSSL call site of kefu. */
#include "hash.h"

#include <openssl/evp.h>
#include <string.h>

#include "fuzz_trace.h"

CM_NO_FUZZ_TRACE uint64_t cm_fnv1a_words(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = CM_FNV1A_INIT;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h ^= w;
		h *= CM_FNV1A_PRIME;
	}
	return cm_fnv1a(h, s + i, len - i);
}

int cm_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (!EVP_Digest(len ? data : "", len, md, &n, EVP_sha256(), NULL) || n != 32)
		return -1;
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}
