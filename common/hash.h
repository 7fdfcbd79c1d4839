/* common/hash.h — the two hashes kefu uses: FNV-1a 64 (hash tables, token ids, the hash
 * of a store's training data, model-file checksums) and SHA-256 in lowercase hex (the
 * identity of an uploaded picture or clip, the image blocklist).  Pure functions, any
 * thread.  FNV-1a values are written into model files and stores: never change them.
 */
#ifndef KEFU_COMMON_HASH_H
#define KEFU_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CM_FNV1A_INIT  0xcbf29ce484222325ull   /* FNV-1a 64 offset basis */
#define CM_FNV1A_PRIME 0x100000001b3ull

/* FNV-1a 64 of p[0..len) continued from h (CM_FNV1A_INIT to start): for each byte
 * h = (h ^ byte) * prime.  Returns the new h.  Inline: tokenising calls it per word. */
static inline uint64_t cm_fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= CM_FNV1A_PRIME;
	}
	return h;
}

/* FNV-1a 64 folded over 8-byte little-endian words (host order), then the tail byte by
 * byte: kefu's model-file checksum (nlu/model_file.c), as strong as FNV-1a for catching
 * truncation and corruption and 8× faster on 100 MB files.  Returns the hash. */
uint64_t cm_fnv1a_words(const void *p, size_t len);

/* SHA-256 of data[0..len) (len may be 0) as 64 lowercase hex digits and a NUL in out.
 * Returns 0, or -1 when libcrypto fails (out is then ""). */
int cm_sha256_hex(const void *data, size_t len, char out[65]);

#endif
