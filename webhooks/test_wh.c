/* webhooks/test_wh.c — signatures against the Standard Webhooks test vector (and
 * Python's hmac), fresh secrets, the key file, sealing and refusing altered seals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wh.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

int main(void)
{
	static const char body[] = "{\"test\": 2432232314}";
	char sig[WH_SIG_MAX], secret[WH_SECRET_MAX], back[WH_SECRET_MAX], err[256];
	char dir[] = "/tmp/kefu-wh-XXXXXX", path[64];
	uint8_t key[WH_KEY_LEN], key2[WH_KEY_LEN], *sealed;
	size_t sealed_len;
	struct stat sb;

	/* the specification's vector (standard-webhooks, libraries' tests) */
	CHECK(wh_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		      1614265330, body, strlen(body), sig) == 0);
	CHECK(!strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
	/* another timestamp, another signature */
	CHECK(wh_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		      1614265331, body, strlen(body), sig) == 0);
	CHECK(strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
	CHECK(wh_sign("whsec_not base64!", "m", 1, body, 1, sig) == -1);
	CHECK(wh_sign("whsec_", "m", 1, body, 1, sig) == -1);

	CHECK(wh_secret_new(secret) == 0);
	CHECK(!strncmp(secret, "whsec_", 6) && strlen(secret) == 6 + 32);
	CHECK(wh_secret_new(back) == 0 && strcmp(secret, back));
	CHECK(wh_sign(secret, "m", 1, body, strlen(body), sig) == 0 && strlen(sig) == 47);

	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof path, "%s/db%s", dir, WH_KEY_SUFFIX);
	CHECK(wh_key_load(path, key, err, sizeof err) == 0);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_size == WH_KEY_LEN);
	CHECK(wh_key_load(path, key2, err, sizeof err) == 0 && !memcmp(key, key2, sizeof key));

	CHECK(wh_seal(key, secret, strlen(secret), &sealed, &sealed_len) == 0);
	CHECK(sealed_len == 12 + strlen(secret) + 16);
	CHECK(!memmem(sealed, sealed_len, secret + 6, 8));          /* not in clear */
	CHECK(wh_unseal(key, sealed, sealed_len, back, sizeof back) == 0 && !strcmp(back, secret));
	CHECK(wh_unseal(key, sealed, sealed_len, back, 10) == -1);   /* too small */
	sealed[14] ^= 1;                                             /* altered */
	CHECK(wh_unseal(key, sealed, sealed_len, back, sizeof back) == -1);
	sealed[14] ^= 1;
	key2[0] ^= 1;                                                /* another key */
	CHECK(wh_unseal(key2, sealed, sealed_len, back, sizeof back) == -1);
	free(sealed);
	unlink(path);
	/* a key file of the wrong size is refused */
	{
		FILE *f = fopen(path, "w");
		fputs("short", f);
		fclose(f);
		CHECK(wh_key_load(path, key, err, sizeof err) == -1 && strstr(err, "32 bytes"));
		unlink(path);
	}
	rmdir(dir);
	if (failures)
		fprintf(stderr, "test_wh: %d failure(s)\n", failures);
	else
		printf("test_wh: all tests passed\n");
	return failures ? 1 : 0;
}
