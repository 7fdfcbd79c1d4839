/* webhooks/wh.h — the primitives of kefu's outgoing webhooks (Standard Webhooks,
 * https://www.standardwebhooks.com): signing secrets, signatures, and sealing a secret
 * for the database.
 *
 * A secret is "whsec_" + base64 of 24 random bytes; it is shown once when an admin
 * adds a webhook.  The signature of a delivery is "v1," + base64(HMAC-SHA256(key,
 * msg_id "." timestamp "." body)), the key being the secret's decoded bytes; the
 * receiver recomputes it (webhook-id, webhook-timestamp, webhook-signature headers).
 * kefud must sign, so the secret cannot be hashed: it is sealed with AES-256-GCM under
 * a 256-bit key kept in a file of its own beside the database (mode 0600, made at the
 * first use): a copy of the database alone, or a backup of it, holds no usable secret
 * (docs/security.md "Webhook secrets").  Pure functions and file reads; any thread.
 */
#ifndef KEFU_WH_H
#define KEFU_WH_H

#include <stddef.h>
#include <stdint.h>

#define WH_SECRET_PREFIX "whsec_"
#define WH_SECRET_MAX 64          /* a secret's text with NUL */
#define WH_SIG_MAX 64             /* "v1," + 44 base64 chars + NUL */
#define WH_KEY_LEN 32
#define WH_KEY_SUFFIX "-webhook.key"   /* the key file: the database path + this */

/* A fresh secret into out.  0, or -1 when the random source fails. */
int wh_secret_new(char out[WH_SECRET_MAX]);
/* The signature of one delivery into out.  0, or -1 for a malformed secret. */
int wh_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
	    size_t len, char out[WH_SIG_MAX]);
/* Reads the 32-byte key of file path, creating it (random, mode 0600) when absent.
 * 0, or -1 with a message in err. */
int wh_key_load(const char *path, uint8_t key[WH_KEY_LEN], char *err, size_t errlen);
/* Seals text (len bytes) with key: *out (malloc'd) = nonce(12) | ciphertext | tag(16).
 * 0 or -1. */
int wh_seal(const uint8_t key[WH_KEY_LEN], const char *text, size_t len, uint8_t **out,
	    size_t *out_len);
/* Opens what wh_seal made into out (NUL-terminated, at most outlen - 1 bytes).  0, or
 * -1 when it was sealed with another key, altered, or too long. */
int wh_unseal(const uint8_t key[WH_KEY_LEN], const uint8_t *sealed, size_t len, char *out,
	      size_t outlen);

#endif
