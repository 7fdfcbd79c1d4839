/* webhooks/wh.c — secrets, signatures and sealing of outgoing webhooks (see wh.h), on
 * OpenSSL's libcrypto (RAND_bytes, HMAC-SHA256, AES-256-GCM, base64).  Any thread.
 */
#include "wh.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_BYTES 24
#define NONCE_LEN 12
#define TAG_LEN 16
static const unsigned char aad[] = "kefu-webhook-secret-v1";

int wh_secret_new(char out[WH_SECRET_MAX])
{
	unsigned char raw[SECRET_BYTES];
	size_t p = strlen(WH_SECRET_PREFIX);

	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	memcpy(out, WH_SECRET_PREFIX, p);
	EVP_EncodeBlock((unsigned char *)out + p, raw, sizeof raw);   /* 32 chars + NUL */
	OPENSSL_cleanse(raw, sizeof raw);
	return 0;
}

/* The secret's key bytes (base64 after the prefix, which is optional as in the
 * Standard Webhooks libraries); -1 if malformed. */
static int secret_key(const char *secret, unsigned char *key, int *key_len)
{
	size_t p = strlen(WH_SECRET_PREFIX), n;
	int len;

	if (!strncmp(secret, WH_SECRET_PREFIX, p))
		secret += p;
	n = strlen(secret);
	if (n == 0 || n % 4 || n > 88)
		return -1;
	len = EVP_DecodeBlock(key, (const unsigned char *)secret, (int)n);
	if (len < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding's zero bytes */
	for (const char *e = secret + n; e > secret && e[-1] == '='; e--)
		len--;
	*key_len = len;
	return len > 0 ? 0 : -1;
}

int wh_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
	    size_t len, char out[WH_SIG_MAX])
{
	unsigned char key[72], mac[32];
	unsigned int mac_len = 0;
	size_t id_len = strlen(msg_id), n;
	int key_len, rc = -1;
	char *msg;

	if (secret_key(secret, key, &key_len))
		return -1;
	/* msg_id "." timestamp "." body */
	if ((msg = malloc(id_len + 24 + len + 1))) {
		n = (size_t)snprintf(msg, id_len + 24, "%s.%lld.", msg_id, (long long)timestamp);
		memcpy(msg + n, body, len);
		if (HMAC(EVP_sha256(), key, key_len, (unsigned char *)msg, n + len, mac,
			 &mac_len) && mac_len == sizeof mac) {
			memcpy(out, "v1,", 3);
			EVP_EncodeBlock((unsigned char *)out + 3, mac, sizeof mac);   /* 44 + NUL */
			rc = 0;
		}
		free(msg);
	}
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int wh_key_load(const char *path, uint8_t key[WH_KEY_LEN], char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 && errno == ENOENT) {
		/* first use: a fresh key, written once (O_EXCL: a racing creator wins and we
		 * read its key) */
		uint8_t fresh[WH_KEY_LEN];
		int w = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w >= 0) {
			int ok = RAND_bytes(fresh, sizeof fresh) == 1 &&
				 write(w, fresh, sizeof fresh) == (ssize_t)sizeof fresh &&
				 fsync(w) == 0;
			close(w);
			OPENSSL_cleanse(fresh, sizeof fresh);
			if (!ok) {
				unlink(path);
				snprintf(err, errlen, "cannot write the webhook key %s", path);
				return -1;
			}
		} else if (errno != EEXIST) {
			snprintf(err, errlen, "cannot create the webhook key %s: %s", path,
				 strerror(errno));
			return -1;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot read the webhook key %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, key, WH_KEY_LEN);
	close(fd);
	if (n != WH_KEY_LEN) {
		snprintf(err, errlen, "the webhook key %s is not %d bytes", path, WH_KEY_LEN);
		return -1;
	}
	return 0;
}

int wh_seal(const uint8_t key[WH_KEY_LEN], const char *text, size_t len, uint8_t **out,
	    size_t *out_len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t *buf = malloc(NONCE_LEN + len + TAG_LEN);
	int n = 0, fin = 0, ok;

	ok = c && buf && len < 4096 && RAND_bytes(buf, NONCE_LEN) == 1 &&
	     EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
	     EVP_EncryptUpdate(c, NULL, &n, aad, sizeof aad - 1) == 1 &&
	     EVP_EncryptUpdate(c, buf + NONCE_LEN, &n, (const uint8_t *)text, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(c, buf + NONCE_LEN + n, &fin) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + n + fin) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = NONCE_LEN + (size_t)(n + fin) + TAG_LEN;
	return 0;
}

int wh_unseal(const uint8_t key[WH_KEY_LEN], const uint8_t *sealed, size_t len, char *out,
	      size_t outlen)
{
	EVP_CIPHER_CTX *c;
	size_t ct_len;
	int n = 0, fin = 0, ok;

	if (len < NONCE_LEN + TAG_LEN || (ct_len = len - NONCE_LEN - TAG_LEN) >= outlen)
		return -1;
	c = EVP_CIPHER_CTX_new();
	ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, sealed) == 1 &&
	     EVP_DecryptUpdate(c, NULL, &n, aad, sizeof aad - 1) == 1 &&
	     EVP_DecryptUpdate(c, (uint8_t *)out, &n, sealed + NONCE_LEN, (int)ct_len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
				 (void *)(sealed + NONCE_LEN + ct_len)) == 1 &&
	     EVP_DecryptFinal_ex(c, (uint8_t *)out + n, &fin) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		OPENSSL_cleanse(out, outlen);
		return -1;
	}
	out[n + fin] = '\0';
	return 0;
}
