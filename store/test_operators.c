/* store/test_operators.c — schema v5 rows on a real SQLite file: operators (login and
 * role rules, the role triggers, duplicate login), disabling and a new password end the
 * operator's console sessions, login streaks, session prune by idle and absolute time,
 * API tokens (unknown operator, revoke once), audit rows kept after the operator row
 * is deleted, newest first, since and limit. */
#include "store.h"
#include "store_int.h"
#include "test_util.h"

static const char *H1 = "1111111111111111111111111111111111111111111111111111111111111111";
static const char *H2 = "2222222222222222222222222222222222222222222222222222222222222222";
static const char *CS = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

static int count_ops(void *arg, const struct store_operator *o)
{
	(*(int *)arg)++;
	CHECK(o->pass_hash == NULL);   /* listings never carry the hash */
	return 0;
}

struct audit_seen {
	int n;
	char actions[8][32];
	int64_t ids[8];
};

static int collect_audit(void *arg, const struct store_audit *a)
{
	struct audit_seen *s = arg;

	if (s->n < 8) {
		snprintf(s->actions[s->n], sizeof s->actions[0], "%s", a->action);
		s->ids[s->n] = a->operator_id;
	}
	s->n++;
	return 0;
}

int main(void)
{
	char err[256];
	struct store *st = store_open(tu_path("ops.db"), err, sizeof err);
	struct store_operator o;
	struct store_op_session ss;
	struct store_api_token t;
	struct store_login_attempts la;
	int64_t ann, bob, tok, n;
	int k = 0;

	CHECK(st != NULL);
	if (!st)
		return tu_finish("test_operators");
	CHECK(store_schema_version(st) >= 5);   /* step 5 is this file's tables */

	/* operators */
	CHECK_RC(st, store_operator_add(st, "ann", "Ann A.", "admin", "$argon2id$x", 1000, &ann), 0);
	CHECK_RC(st, store_operator_add(st, "bob", NULL, "agent", "$argon2id$y", 1000, &bob), 0);
	CHECK_RC(st, store_operator_add(st, "ann", "", "agent", "$h", 1000, NULL), STORE_DUPLICATE);
	CHECK_RC(st, store_operator_add(st, "Ann", "", "agent", "$h", 1000, NULL), STORE_INVALID);
	CHECK_RC(st, store_operator_add(st, "", "", "agent", "$h", 1000, NULL), STORE_INVALID);
	CHECK_RC(st, store_operator_add(st, "carl", "", "root", "$h", 1000, NULL), STORE_INVALID);
	CHECK_RC(st, store_operator_add(st, "carl", "\xff", "agent", "$h", 1000, NULL), STORE_INVALID);
	/* the triggers hold even against SQL that bypasses the C checks */
	CHECK(sqlite3_exec(st->db, "UPDATE operators SET role = 'root' WHERE login = 'bob'",
			   NULL, NULL, NULL) != SQLITE_OK);
	CHECK(sqlite3_exec(st->db, "INSERT INTO operators (login, pass_hash, role, created_ms)"
			   " VALUES ('x', 'h', 'operator', 0)", NULL, NULL, NULL) != SQLITE_OK);
	CHECK_RC(st, store_operator_find(st, "ann", &o), 0);
	CHECK(o.id == ann && !strcmp(o.name, "Ann A.") && !strcmp(o.role, "admin") &&
	      !strcmp(o.pass_hash, "$argon2id$x") && !o.disabled && o.last_login_ms == 0);
	store_operator_clear(&o);
	CHECK_RC(st, store_operator_find(st, "nobody", &o), STORE_NOT_FOUND);
	CHECK_RC(st, store_operator_get(st, 999, &o), STORE_NOT_FOUND);
	CHECK_RC(st, store_operators_foreach(st, count_ops, &k), 0);
	CHECK(k == 2);
	CHECK_RC(st, store_operator_count(st, 1, &n), 0);
	CHECK(n == 2);
	CHECK_RC(st, store_operator_set_last_login(st, ann, 5000), 0);
	CHECK_RC(st, store_operator_get(st, ann, &o), 0);
	CHECK(o.last_login_ms == 5000);
	store_operator_clear(&o);

	/* sessions; disabling or a new password ends them */
	CHECK_RC(st, store_op_session_add(st, H1, bob, CS, "10.0.0.1", 2000), 0);
	CHECK_RC(st, store_op_session_add(st, "abc", bob, CS, "", 2000), STORE_INVALID);
	CHECK_RC(st, store_op_session_find(st, H1, &ss), 0);
	CHECK(ss.operator_id == bob && !strcmp(ss.csrf, CS) && ss.created_ms == 2000);
	CHECK_RC(st, store_op_session_touch(st, ss.id, 2500), 0);
	CHECK_RC(st, store_op_session_find(st, H1, &ss), 0);
	CHECK(ss.last_ms == 2500);
	CHECK_RC(st, store_operator_set_disabled(st, bob, 1, 3000), 0);
	CHECK_RC(st, store_op_session_find(st, H1, &ss), STORE_NOT_FOUND);
	CHECK_RC(st, store_operator_count(st, 1, &n), 0);
	CHECK(n == 1);
	CHECK_RC(st, store_operator_set_disabled(st, bob, 0, 3000), 0);
	CHECK_RC(st, store_op_session_add(st, H1, bob, CS, "", 4000), 0);
	CHECK_RC(st, store_operator_set_password(st, bob, "$argon2id$z", 4100), 0);
	CHECK_RC(st, store_op_session_find(st, H1, &ss), STORE_NOT_FOUND);
	CHECK_RC(st, store_operator_set_disabled(st, 999, 1, 0), STORE_NOT_FOUND);
	/* prune: idle (last < 10000) or too old (created < 5000) */
	CHECK_RC(st, store_op_session_add(st, H1, bob, CS, "", 4000), 0);
	CHECK_RC(st, store_op_session_add(st, H2, ann, CS, "", 9000), 0);
	CHECK_RC(st, store_op_session_find(st, H2, &ss), 0);
	CHECK_RC(st, store_op_session_touch(st, ss.id, 12000), 0);
	CHECK_RC(st, store_op_session_prune(st, 10000, 5000, &n), 0);
	CHECK(n == 1);
	CHECK_RC(st, store_op_session_find(st, H1, &ss), STORE_NOT_FOUND);
	CHECK_RC(st, store_op_session_delete(st, H2), 0);
	CHECK_RC(st, store_op_session_delete(st, H2), STORE_NOT_FOUND);

	/* login streaks, for any name */
	CHECK_RC(st, store_login_attempts_get(st, H2, &la), 0);
	CHECK(la.failures == 0);
	la = (struct store_login_attempts){ 3, 7000, 0 };
	CHECK_RC(st, store_login_attempts_put(st, H2, &la), 0);
	la.failures = 4;
	CHECK_RC(st, store_login_attempts_put(st, H2, &la), 0);
	CHECK_RC(st, store_login_attempts_get(st, H2, &la), 0);
	CHECK(la.failures == 4 && la.last_failed_ms == 7000);
	CHECK_RC(st, store_login_attempts_prune(st, 6000), 0);
	CHECK_RC(st, store_login_attempts_get(st, H2, &la), 0);
	CHECK(la.failures == 4);
	CHECK_RC(st, store_login_attempts_prune(st, 8000), 0);
	CHECK_RC(st, store_login_attempts_get(st, H2, &la), 0);
	CHECK(la.failures == 0);

	/* tokens */
	CHECK_RC(st, store_api_token_add(st, H1, bob, "agent", "ci", 5000, &tok), 0);
	CHECK_RC(st, store_api_token_add(st, H2, 999, "agent", "", 5000, NULL), STORE_NOT_FOUND);
	CHECK_RC(st, store_api_token_add(st, H2, bob, "boss", "", 5000, NULL), STORE_INVALID);
	CHECK_RC(st, store_api_token_find(st, H1, &t), 0);
	CHECK(t.id == tok && t.operator_id == bob && !strcmp(t.role, "agent") &&
	      !strcmp(t.name, "ci") && t.revoked_ms == 0);
	store_api_token_clear(&t);
	CHECK_RC(st, store_api_token_revoke(st, tok, 6000), 0);
	CHECK_RC(st, store_api_token_revoke(st, tok, 6000), STORE_NOT_FOUND);
	CHECK_RC(st, store_api_token_find(st, H1, &t), 0);
	CHECK(t.revoked_ms == 6000);
	store_api_token_clear(&t);
	CHECK_RC(st, store_api_token_find(st, "nothex", &t), STORE_NOT_FOUND);

	/* audit: kept after the operator row goes, newest first */
	struct store_audit a = { .operator_id = bob, .login = "bob", .action = "operator.add",
				 .object = "operator:2", .ip = "10.0.0.1",
				 .changes = "{\"role\":\"agent\"}" };
	CHECK_RC(st, store_audit_add(st, &a, 100), 0);
	a.action = "login";
	CHECK_RC(st, store_audit_add(st, &a, 200), 0);
	a = (struct store_audit){ .login = "cli:root", .action = "operator.disable" };
	CHECK_RC(st, store_audit_add(st, &a, 300), 0);
	a.action = NULL;
	CHECK_RC(st, store_audit_add(st, &a, 300), STORE_INVALID);
	CHECK(sqlite3_exec(st->db, "DELETE FROM operators WHERE login = 'bob'", NULL, NULL, NULL) ==
	      SQLITE_OK);
	struct audit_seen seen = { 0 };
	CHECK_RC(st, store_audit_foreach(st, 0, 0, collect_audit, &seen), 0);
	CHECK(seen.n == 3 && !strcmp(seen.actions[0], "operator.disable") && seen.ids[0] == 0 &&
	      !strcmp(seen.actions[2], "operator.add") && seen.ids[2] == bob);
	memset(&seen, 0, sizeof seen);
	CHECK_RC(st, store_audit_foreach(st, 150, 1, collect_audit, &seen), 0);
	CHECK(seen.n == 1 && !strcmp(seen.actions[0], "operator.disable"));
	/* the operator's tokens went with it (ON DELETE CASCADE) */
	CHECK_RC(st, store_api_token_get(st, tok, &t), STORE_NOT_FOUND);

	store_close(st);
	return tu_finish("test_operators");
}
