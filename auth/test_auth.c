/* auth/test_auth.c — auth/ on a real SQLite file with an injected clock: the password
 * rules; argon2id PHC strings with m=19456, t=2, p=1 and a 16-byte salt that verify;
 * the hashing semaphore answering busy; login with one error for unknown, wrong and
 * disabled (the unknown login spends the hashing time too); sessions stored hashed, a
 * new id at every login, idle and absolute expiry, logout; the lockout's delays and
 * lock, for unknown names too; bearer tokens (role capped, revoked and disabled stop
 * working); the audit rows each change writes. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth_int.h"
#include "clock.h"
#include "store.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)
#define CHECK_EQ(expr, want) do { long long v_ = (long long)(expr); if (v_ != (long long)(want)) { \
	fprintf(stderr, "FAIL %s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #expr, v_, \
		(long long)(want)); failures++; } } while (0)

static int64_t fake_now = 1700000000000LL;
static int64_t clock_fn(void *arg) { (void)arg; return fake_now; }

static const char *PW = "correct horse battery";
static const struct auth_actor CLI = { 0, "cli:test", NULL };

static sqlite3 *raw;   /* a second connection to read rows the API does not show */

static long long q_int(const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(raw, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void q_text(const char *sql, char *out, size_t len)
{
	sqlite3_stmt *s;

	out[0] = '\0';
	if (sqlite3_prepare_v2(raw, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_text(s, 0))
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

static long long audit_count(const char *action)
{
	char sql[160];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE action = '%s'", action);
	return q_int(sql);
}

static int login(struct auth *a, struct store *st, const char *who, const char *pw,
		 struct auth_login_result *r)
{
	return auth_login(a, st, who, pw, strlen(pw), "192.0.2.7", r);
}

static void test_passwords(struct auth *a)
{
	char phc[AUTH_PHC_MAX], phc2[AUTH_PHC_MAX];
	char long_pw[300];

	CHECK_EQ(auth_password_check("elevenchars", 11), AUTH_E_PASSWORD_SHORT);
	CHECK_EQ(auth_password_check("twelve chars", 12), AUTH_OK);
	CHECK_EQ(auth_password_check("密码密码", strlen("密码密码")), AUTH_OK);   /* 12 bytes */
	CHECK_EQ(auth_password_check("密码密", strlen("密码密")), AUTH_E_PASSWORD_SHORT);
	memset(long_pw, 'x', sizeof long_pw);
	CHECK_EQ(auth_password_check(long_pw, 256), AUTH_OK);
	CHECK_EQ(auth_password_check(long_pw, 257), AUTH_E_PASSWORD_LONG);
	CHECK_EQ(auth_password_check("twelve chars\xff", 13), AUTH_E_PASSWORD_UTF8);
	CHECK_EQ(auth_password_check("twelve\0chars", 12), AUTH_E_PASSWORD_UTF8);

	CHECK_EQ(auth_password_hash(a, PW, strlen(PW), phc, sizeof phc), AUTH_OK);
	CHECK_EQ(auth_password_hash(a, PW, strlen(PW), phc2, sizeof phc2), AUTH_OK);
	/* PHC: $argon2id$v=19$m=19456,t=2,p=1$<16-byte salt: 22 base64>$<32-byte hash: 43> */
	const char *head = "$argon2id$v=19$m=19456,t=2,p=1$";
	CHECK(!strncmp(phc, head, strlen(head)));
	const char *salt = phc + strlen(head), *dollar = strchr(salt, '$');
	CHECK(dollar && dollar - salt == 22 && strlen(dollar + 1) == 43);
	CHECK(strcmp(phc, phc2) != 0);   /* a fresh salt each time */
	CHECK_EQ(auth_password_verify(a, phc, PW, strlen(PW)), AUTH_OK);
	CHECK_EQ(auth_password_verify(a, phc2, PW, strlen(PW)), AUTH_OK);
	CHECK_EQ(auth_password_verify(a, phc, "correct horse battery!", 22), AUTH_E_CREDENTIALS);
	CHECK_EQ(auth_password_verify(a, "$argon2i$v=19$m=8,t=1,p=1$AAAA$AAAA", PW, strlen(PW)),
		 AUTH_E_CREDENTIALS);
	CHECK_EQ(auth_password_verify(a, "$argon2id$garbage", PW, strlen(PW)), AUTH_E_CREDENTIALS);
	CHECK_EQ(auth_password_hash(a, "short", 5, phc, sizeof phc), AUTH_E_PASSWORD_SHORT);

	/* every slot taken: hashing waits hash_wait_ms, then answers busy, then works again */
	const struct auth_config *cfg = auth_config_of(a);
	for (int i = 0; i < cfg->hash_slots; i++)
		sem_wait(&a->slots);
	uint64_t t0 = cm_now_us();
	CHECK_EQ(auth_password_hash(a, PW, strlen(PW), phc, sizeof phc), AUTH_E_BUSY);
	CHECK_EQ(auth_password_verify(a, phc2, PW, strlen(PW)), AUTH_E_BUSY);
	CHECK(cm_now_us() - t0 >= (uint64_t)cfg->hash_wait_ms * 1000);
	for (int i = 0; i < cfg->hash_slots; i++)
		sem_post(&a->slots);
	CHECK_EQ(auth_password_verify(a, phc2, PW, strlen(PW)), AUTH_OK);
}

static void test_sessions(struct auth *a, struct store *st, int64_t ann)
{
	struct auth_login_result r1, r2;
	struct auth_identity who;
	char hash[65], stored[80], sql[200];

	CHECK_EQ(login(a, st, "ann", PW, &r1), AUTH_OK);
	CHECK(auth_is_hex(r1.session_id, AUTH_SESSION_ID_LEN) && auth_is_hex(r1.who.csrf, 64));
	CHECK(r1.who.operator_id == ann && r1.who.role == AUTH_ROLE_ADMIN &&
	      !strcmp(r1.who.login, "ann") && !strcmp(r1.who.name, "Ann Admin"));
	/* the store keeps the SHA-256 of the id, never the id */
	auth_sha256_hex(r1.session_id, AUTH_SESSION_ID_LEN, hash);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM operator_sessions WHERE id_hash = '%s'", hash);
	CHECK_EQ(q_int(sql), 1);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM operator_sessions WHERE id_hash = '%s'"
		 " OR csrf = '%s'", r1.session_id, r1.session_id);
	CHECK_EQ(q_int(sql), 0);
	q_text("SELECT pass_hash FROM operators WHERE login = 'ann'", stored, sizeof stored);
	CHECK(!strncmp(stored, "$argon2id$v=19$m=19456,t=2,p=1$", 31));
	/* a new id at every login (no fixation); both live */
	CHECK_EQ(login(a, st, "ANN", PW, &r2), AUTH_OK);   /* login names fold to lowercase */
	CHECK(strcmp(r1.session_id, r2.session_id) != 0 && strcmp(r1.who.csrf, r2.who.csrf) != 0);
	CHECK_EQ(auth_session_check(a, st, r1.session_id, &who), AUTH_OK);
	CHECK(who.operator_id == ann && !strcmp(who.csrf, r1.who.csrf) && who.token_id == 0);
	CHECK_EQ(auth_session_check(a, st, r2.session_id, &who), AUTH_OK);
	CHECK_EQ(auth_session_check(a, st, "nothex", &who), AUTH_E_NO_SESSION);
	char other[AUTH_SESSION_ID_LEN + 1];
	auth_random_hex(other, 32);
	CHECK_EQ(auth_session_check(a, st, other, &who), AUTH_E_NO_SESSION);

	/* idle: each use moves the idle deadline; 30 minutes untouched ends it; a peek
	 * (kefud's re-check of an open /ops channel) answers the same but moves nothing */
	fake_now += 29 * 60 * 1000;
	CHECK_EQ(auth_session_peek(a, st, r1.session_id, &who), AUTH_OK);
	CHECK(who.operator_id == ann && !strcmp(who.csrf, r1.who.csrf));
	CHECK_EQ(auth_session_peek(a, st, r2.session_id, &who), AUTH_OK);
	CHECK_EQ(auth_session_check(a, st, r1.session_id, &who), AUTH_OK);
	fake_now += 29 * 60 * 1000;
	CHECK_EQ(auth_session_peek(a, st, r2.session_id, &who), AUTH_E_NO_SESSION);  /* peeked, idle */
	CHECK_EQ(auth_session_check(a, st, r1.session_id, &who), AUTH_OK);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM operator_sessions WHERE id_hash = '%s'", hash);
	CHECK_EQ(q_int(sql), 1);
	fake_now += 30 * 60 * 1000;
	CHECK_EQ(auth_session_check(a, st, r1.session_id, &who), AUTH_E_NO_SESSION);
	CHECK_EQ(q_int(sql), 0);   /* an expired session is deleted */

	/* absolute: used every 20 minutes, still ends 12 h after login */
	CHECK_EQ(login(a, st, "ann", PW, &r1), AUTH_OK);
	int64_t start = fake_now;
	int alive = 1;
	while (alive && fake_now - start < 13LL * 3600 * 1000) {
		fake_now += 20 * 60 * 1000;
		alive = auth_session_check(a, st, r1.session_id, &who) == AUTH_OK;
		if (alive)
			CHECK(fake_now - start < 12LL * 3600 * 1000);
	}
	CHECK(!alive && fake_now - start >= 12LL * 3600 * 1000 &&
	      fake_now - start < 12LL * 3600 * 1000 + 20 * 60 * 1000);

	/* logout ends it on the server */
	CHECK_EQ(login(a, st, "ann", PW, &r1), AUTH_OK);
	CHECK_EQ(auth_session_check(a, st, r1.session_id, &who), AUTH_OK);
	long long outs = audit_count("logout");
	CHECK_EQ(auth_logout(a, st, r1.session_id, &who, "192.0.2.7"), AUTH_OK);
	CHECK_EQ(auth_session_check(a, st, r1.session_id, &who), AUTH_E_NO_SESSION);
	CHECK_EQ(auth_logout(a, st, r1.session_id, &who, NULL), AUTH_E_NO_SESSION);
	CHECK_EQ(audit_count("logout"), outs + 1);
}

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU ms one failed login costs this thread (argon2id with p=1 runs on the caller's
 * thread; CPU time, unlike wall time, does not grow when other tests share the cores) */
static double timed_login(struct auth *a, struct store *st, const char *who, const char *pw)
{
	struct auth_login_result r;
	double t0 = thread_cpu_ms();
	int rc = login(a, st, who, pw, &r);

	CHECK_EQ(rc, AUTH_E_CREDENTIALS);
	return thread_cpu_ms() - t0;
}

static void test_generic_error(struct auth *a, struct store *st, int64_t bob)
{
	struct auth_login_result r;
	double unknown = 1e9, wrong = 1e9;

	/* three of each, the cheapest kept */
	for (int i = 0; i < 3; i++) {
		double u = timed_login(a, st, "nobody-here", PW);
		double w = timed_login(a, st, "bob", "wrong password!");
		unknown = u < unknown ? u : unknown;
		wrong = w < wrong ? w : wrong;
		fake_now += 16 * 60 * 1000;   /* keep these out of the lockout */
	}
	printf("login: unknown login %.1f ms, wrong password %.1f ms of CPU (least of 3)\n",
	       unknown, wrong);
	CHECK(unknown > 0.5 * wrong && wrong > 0.5 * unknown);
	/* a disabled operator with the right password: the same answer */
	CHECK_EQ(auth_operator_set_disabled(a, st, &CLI, bob, 1), AUTH_OK);
	CHECK_EQ(login(a, st, "bob", PW, &r), AUTH_E_CREDENTIALS);
	CHECK_EQ(auth_operator_set_disabled(a, st, &CLI, bob, 0), AUTH_OK);
	CHECK_EQ(login(a, st, "bob", PW, &r), AUTH_OK);
	/* failures are audited: the known login by id, the unknown one without its name */
	CHECK(q_int("SELECT count(*) FROM audit_log WHERE action = 'login.failed'"
		    " AND operator_id IS NULL AND login = ''") >= 3);
	CHECK(q_int("SELECT count(*) FROM audit_log WHERE action = 'login.failed'"
		    " AND login = 'bob'") >= 4);
	CHECK_EQ(q_int("SELECT count(*) FROM audit_log WHERE login LIKE '%nobody%'"), 0);
}

/* Runs the lockout schedule on one name; known: whether it is a real login. */
static void lockout_run(struct auth *a, struct store *st, const char *who, int known)
{
	struct auth_login_result r;
	const char *bad = "not the password";

	fake_now += 24LL * 3600 * 1000;
	for (int i = 0; i < 5; i++)
		CHECK_EQ(login(a, st, who, bad, &r), AUTH_E_CREDENTIALS);
	/* 5 failures: the 6th must wait 1 s, then 2 s, 4 s, 8 s */
	int64_t wait = 1000;
	for (int f = 5; f < 9; f++, wait *= 2) {
		CHECK_EQ(login(a, st, who, bad, &r), AUTH_E_THROTTLED);
		CHECK_EQ(r.retry_after_s, wait / 1000);
		fake_now += wait - 1;
		CHECK_EQ(login(a, st, who, PW, &r), AUTH_E_THROTTLED);   /* not even a right one */
		fake_now += 1;
		CHECK_EQ(login(a, st, who, bad, &r), AUTH_E_CREDENTIALS);
	}
	/* the 10th failure locks for 15 minutes */
	fake_now += 16 * 1000;
	CHECK_EQ(login(a, st, who, bad, &r), AUTH_E_CREDENTIALS);
	CHECK_EQ(login(a, st, who, PW, &r), AUTH_E_LOCKED);
	CHECK_EQ(r.retry_after_s, 15 * 60);
	fake_now += 15 * 60 * 1000 - 1000;
	CHECK_EQ(login(a, st, who, PW, &r), AUTH_E_LOCKED);
	CHECK_EQ(r.retry_after_s, 1);
	fake_now += 1000;
	CHECK_EQ(login(a, st, who, PW, &r), known ? AUTH_OK : AUTH_E_CREDENTIALS);
	if (known) {   /* the success forgot the streak: 5 fresh failures before a delay */
		for (int i = 0; i < 5; i++)
			CHECK_EQ(login(a, st, who, bad, &r), AUTH_E_CREDENTIALS);
		CHECK_EQ(login(a, st, who, bad, &r), AUTH_E_THROTTLED);
	}
}

static void test_lockout(struct auth *a, struct store *st)
{
	long long locks = audit_count("login.locked");

	lockout_run(a, st, "bob", 1);
	/* an unknown name locks the same way: lockout does not tell who exists */
	lockout_run(a, st, "ghost", 0);
	CHECK_EQ(audit_count("login.locked"), locks + 2);
	CHECK_EQ(q_int("SELECT count(*) FROM audit_log WHERE action = 'login.locked'"
		       " AND login = 'bob'"), 1);
	/* streaks are kept by the name's hash, never the name typed */
	CHECK_EQ(q_int("SELECT count(*) FROM login_attempts WHERE login_hash LIKE '%ghost%'"), 0);
	CHECK(q_int("SELECT count(*) FROM login_attempts") >= 1);
	fake_now += 24LL * 3600 * 1000;
}

static void test_tokens(struct auth *a, struct store *st, int64_t ann, int64_t bob)
{
	char tok[AUTH_TOKEN_LEN + 1], tok2[AUTH_TOKEN_LEN + 1], h[65], sql[200];
	struct auth_identity who;
	int64_t id, id2;

	CHECK_EQ(auth_token_create(a, st, &CLI, bob, AUTH_ROLE_NONE, "script", tok, &id), AUTH_OK);
	CHECK(!strncmp(tok, "kefu_", 5) && strlen(tok) == AUTH_TOKEN_LEN);
	auth_sha256_hex(tok, AUTH_TOKEN_LEN, h);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM api_tokens WHERE token_hash = '%s'", h);
	CHECK_EQ(q_int(sql), 1);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM api_tokens WHERE token_hash = '%s'", tok);
	CHECK_EQ(q_int(sql), 0);
	CHECK_EQ(auth_token_check(a, st, tok, &who), AUTH_OK);
	CHECK(who.operator_id == bob && who.role == AUTH_ROLE_AGENT && who.token_id == id &&
	      who.csrf[0] == '\0');
	/* an agent cannot mint an admin token; an admin can mint an agent one */
	CHECK_EQ(auth_token_create(a, st, &CLI, bob, AUTH_ROLE_ADMIN, NULL, tok2, NULL), AUTH_E_ROLE);
	CHECK_EQ(auth_token_create(a, st, &CLI, ann, AUTH_ROLE_AGENT, "ro", tok2, &id2), AUTH_OK);
	CHECK_EQ(auth_token_check(a, st, tok2, &who), AUTH_OK);
	CHECK(who.operator_id == ann && who.role == AUTH_ROLE_AGENT);
	CHECK_EQ(auth_token_create(a, st, &CLI, 999, AUTH_ROLE_NONE, NULL, tok2, NULL),
		 AUTH_E_NOT_FOUND);
	/* malformed, revoked, disabled operator: no access */
	tok[10] ^= 1;
	CHECK_EQ(auth_token_check(a, st, tok, &who), AUTH_E_NO_SESSION);
	tok[10] ^= 1;
	CHECK_EQ(auth_token_check(a, st, "Bearer x", &who), AUTH_E_NO_SESSION);
	CHECK_EQ(auth_operator_set_disabled(a, st, &CLI, bob, 1), AUTH_OK);
	CHECK_EQ(auth_token_check(a, st, tok, &who), AUTH_E_NO_SESSION);
	CHECK_EQ(auth_operator_set_disabled(a, st, &CLI, bob, 0), AUTH_OK);
	CHECK_EQ(auth_token_check(a, st, tok, &who), AUTH_OK);
	CHECK_EQ(auth_token_revoke(a, st, &CLI, id), AUTH_OK);
	CHECK_EQ(auth_token_check(a, st, tok, &who), AUTH_E_NO_SESSION);
	CHECK_EQ(auth_token_revoke(a, st, &CLI, id), AUTH_E_NOT_FOUND);
	CHECK_EQ(audit_count("token.create"), 2);
	CHECK_EQ(audit_count("token.revoke"), 1);
}

static void test_accounts(struct auth *a, struct store *st, int64_t bob)
{
	struct auth_login_result r;
	struct auth_identity who;
	long long before = q_int("SELECT count(*) FROM audit_log");
	int64_t id;

	CHECK_EQ(auth_operator_add(a, st, &CLI, "ann", NULL, "agent", PW, strlen(PW), NULL),
		 AUTH_E_DUPLICATE);
	CHECK_EQ(auth_operator_add(a, st, &CLI, "dan", NULL, "root", PW, strlen(PW), NULL),
		 AUTH_E_INVALID);
	CHECK_EQ(auth_operator_add(a, st, &CLI, "Bad Login", NULL, "agent", PW, strlen(PW), NULL),
		 AUTH_E_INVALID);
	CHECK_EQ(auth_operator_add(a, st, &CLI, "dan", NULL, "agent", "short", 5, NULL),
		 AUTH_E_PASSWORD_SHORT);
	CHECK_EQ(q_int("SELECT count(*) FROM audit_log"), before);   /* refusals change nothing */
	CHECK_EQ(auth_operator_add(a, st, &CLI, "dan", "Dan", "agent", PW, strlen(PW), &id), AUTH_OK);
	CHECK_EQ(q_int("SELECT count(*) FROM audit_log WHERE action = 'operator.add'"
		       " AND login = 'cli:test' AND object = 'operator:3'"
		       " AND changes = '{\"login\":\"dan\",\"name\":\"Dan\",\"role\":\"agent\"}'"), 1);
	/* a new password ends the sessions and never shows in the audit */
	CHECK_EQ(login(a, st, "bob", PW, &r), AUTH_OK);
	const char *pw2 = "a brand new passphrase";
	CHECK_EQ(auth_operator_set_password(a, st, &CLI, bob, pw2, strlen(pw2)), AUTH_OK);
	CHECK_EQ(auth_session_check(a, st, r.session_id, &who), AUTH_E_NO_SESSION);
	CHECK_EQ(login(a, st, "bob", PW, &r), AUTH_E_CREDENTIALS);
	CHECK_EQ(login(a, st, "bob", pw2, &r), AUTH_OK);
	CHECK_EQ(q_int("SELECT count(*) FROM audit_log WHERE changes LIKE '%brand%'"), 0);
	CHECK_EQ(auth_operator_set_password(a, st, &CLI, 999, pw2, strlen(pw2)), AUTH_E_NOT_FOUND);
	CHECK_EQ(auth_operator_set_disabled(a, st, &CLI, 999, 1), AUTH_E_NOT_FOUND);
	CHECK_EQ(audit_count("operator.passwd"), 1);
	CHECK(audit_count("operator.disable") >= 2 && audit_count("operator.enable") >= 2);
}

int main(void)
{
	char dir[] = "/tmp/kefu-auth-test-XXXXXX", path[128], err[256];
	struct auth_config cfg;
	struct auth *a;
	struct store *st;
	int64_t ann, bob;

	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof path, "%s/auth.db", dir);
	auth_config_defaults(&cfg);
	cfg.now_ms = clock_fn;
	cfg.hash_wait_ms = 200;
	a = auth_create(&cfg, err, sizeof err);
	st = store_open(path, err, sizeof err);
	if (!a || !st || sqlite3_open(path, &raw) != SQLITE_OK) {
		fprintf(stderr, "set-up: %s\n", err);
		return 1;
	}
	CHECK_EQ(auth_operator_add(a, st, &CLI, "ann", "Ann Admin", "admin", PW, strlen(PW), &ann),
		 AUTH_OK);
	CHECK_EQ(auth_operator_add(a, st, &CLI, "bob", NULL, "agent", PW, strlen(PW), &bob), AUTH_OK);

	test_passwords(a);
	test_sessions(a, st, ann);
	test_generic_error(a, st, bob);
	test_lockout(a, st);
	test_tokens(a, st, ann, bob);
	test_accounts(a, st, bob);

	sqlite3_close(raw);
	store_close(st);
	auth_destroy(a);
	if (!getenv("KEFU_TEST_KEEP")) {
		unlink(path);
		char p2[160];
		snprintf(p2, sizeof p2, "%s-wal", path);
		unlink(p2);
		snprintf(p2, sizeof p2, "%s-shm", path);
		unlink(p2);
		rmdir(dir);
	}
	if (failures)
		fprintf(stderr, "test_auth: %d failure(s)\n", failures);
	else
		printf("test_auth: all tests passed\n");
	return failures ? 1 : 0;
}
