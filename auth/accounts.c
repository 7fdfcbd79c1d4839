/* auth/accounts.c — changes to operator accounts and API tokens, each written together
 * with its audit row in one store transaction (a change is never without its row, nor
 * a row without its change).  The password is hashed before the transaction opens, so
 * the write lock is never held across argon2id.  Runs on the caller's thread with the
 * caller's store connection.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"
#include "store.h"

/* One change: fn writes it, then the audit row (action, object, changes) follows. */
struct change {
	struct auth *a;
	const struct auth_actor *by;
	int (*fn)(struct change *c, struct store *st);
	const char *action;
	char object[64];
	char *changes;         /* JSON text (malloc'd) or NULL */
	/* arguments and results of the fn */
	const char *login, *name, *role, *phc, *token_hash;
	int64_t id;
	int flag;
};

static int change_tx(void *arg, struct store *st)
{
	struct change *c = arg;
	int rc = c->fn(c, st);

	if (rc)
		return rc;
	if (c->object[0] == '\0' && c->id > 0)
		snprintf(c->object, sizeof c->object, "operator:%lld", (long long)c->id);
	rc = auth_audit(c->a, st, c->by, c->action, c->object, c->changes);
	return rc > 0 ? -1 : rc;
}

static int run_change(struct store *st, struct change *c)
{
	int rc = store_transaction(st, change_tx, c);

	free(c->changes);
	c->changes = NULL;
	return auth_from_store(rc);
}

/* JSON text of j (consumed); NULL on failure. */
static char *json_text(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(j);
	return s;
}

static int do_add(struct change *c, struct store *st)
{
	return store_operator_add(st, c->login, c->name, c->role, c->phc, auth_now_ms(c->a),
				  &c->id);
}

int auth_operator_add(struct auth *a, struct store *st, const struct auth_actor *by,
		      const char *login, const char *name, const char *role, const char *pw,
		      size_t pwlen, int64_t *id_out)
{
	char phc[AUTH_PHC_MAX];
	struct store_operator existing;
	int rc;

	if (auth_role_parse(role) == AUTH_ROLE_NONE)
		return AUTH_E_INVALID;
	if ((rc = auth_password_check(pw, pwlen)))
		return rc;
	/* refuse a taken login before paying for the hash */
	rc = store_operator_find(st, login, &existing);
	if (rc == 0) {
		store_operator_clear(&existing);
		return AUTH_E_DUPLICATE;
	}
	if (rc < 0)
		return rc;
	if ((rc = auth_password_hash(a, pw, pwlen, phc, sizeof phc)))
		return rc;
	struct change c = {
		.a = a, .by = by, .fn = do_add, .action = "operator.add",
		.login = login, .name = name ? name : "", .role = role, .phc = phc,
		.changes = json_text(json_pack("{s:s, s:s, s:s}", "login", login ? login : "",
					       "name", name ? name : "", "role", role)),
	};
	rc = run_change(st, &c);
	if (rc == AUTH_OK && id_out)
		*id_out = c.id;
	return rc;
}

static int do_password(struct change *c, struct store *st)
{
	return store_operator_set_password(st, c->id, c->phc, auth_now_ms(c->a));
}

int auth_operator_set_password(struct auth *a, struct store *st, const struct auth_actor *by,
			       int64_t operator_id, const char *pw, size_t pwlen)
{
	char phc[AUTH_PHC_MAX];
	struct store_operator op;
	int rc = auth_password_check(pw, pwlen);

	if (rc)
		return rc;
	if ((rc = store_operator_get(st, operator_id, &op)))
		return auth_from_store(rc);
	store_operator_clear(&op);
	if ((rc = auth_password_hash(a, pw, pwlen, phc, sizeof phc)))
		return rc;
	/* the audit says that it changed, never anything of the password */
	struct change c = { .a = a, .by = by, .fn = do_password, .action = "operator.passwd",
			    .phc = phc, .id = operator_id,
			    .changes = json_text(json_pack("{s:b}", "password", 1)) };
	return run_change(st, &c);
}

static int do_disable(struct change *c, struct store *st)
{
	return store_operator_set_disabled(st, c->id, c->flag, auth_now_ms(c->a));
}

int auth_operator_set_disabled(struct auth *a, struct store *st, const struct auth_actor *by,
			       int64_t operator_id, int disabled)
{
	struct change c = { .a = a, .by = by, .fn = do_disable,
			    .action = disabled ? "operator.disable" : "operator.enable",
			    .id = operator_id, .flag = disabled ? 1 : 0,
			    .changes = json_text(json_pack("{s:b}", "disabled", disabled ? 1 : 0)) };
	return run_change(st, &c);
}

static int do_token(struct change *c, struct store *st)
{
	int rc = store_api_token_add(st, c->token_hash, c->id, c->role, c->name,
				     auth_now_ms(c->a), &c->id);

	if (rc == 0)
		snprintf(c->object, sizeof c->object, "token:%lld", (long long)c->id);
	return rc;
}

int auth_token_create(struct auth *a, struct store *st, const struct auth_actor *by,
		      int64_t operator_id, enum auth_role role, const char *name,
		      char token_out[AUTH_TOKEN_LEN + 1], int64_t *id_out)
{
	struct store_operator op;
	char h[65];
	enum auth_role own;
	int rc = store_operator_get(st, operator_id, &op);

	if (rc)
		return auth_from_store(rc);
	own = auth_role_parse(op.role);
	if (role == AUTH_ROLE_NONE)
		role = own;
	if (role > own) {
		store_operator_clear(&op);
		return AUTH_E_ROLE;
	}
	memcpy(token_out, AUTH_TOKEN_PREFIX, 5);
	if (auth_random_hex(token_out + 5, (AUTH_TOKEN_LEN - 5) / 2)) {
		store_operator_clear(&op);
		return -1;
	}
	auth_sha256_hex(token_out, AUTH_TOKEN_LEN, h);
	struct change c = {
		.a = a, .by = by, .fn = do_token, .action = "token.create",
		.token_hash = h, .id = operator_id, .role = auth_role_name(role),
		.name = name ? name : "",
		.changes = json_text(json_pack("{s:s, s:s, s:s}", "operator", op.login, "role",
					       auth_role_name(role), "name", name ? name : "")),
	};
	store_operator_clear(&op);
	rc = run_change(st, &c);
	if (rc == AUTH_OK && id_out)
		*id_out = c.id;
	if (rc != AUTH_OK)
		memset(token_out, 0, AUTH_TOKEN_LEN + 1);
	return rc;
}

static int do_revoke(struct change *c, struct store *st)
{
	snprintf(c->object, sizeof c->object, "token:%lld", (long long)c->id);
	return store_api_token_revoke(st, c->id, auth_now_ms(c->a));
}

int auth_token_revoke(struct auth *a, struct store *st, const struct auth_actor *by,
		      int64_t token_id)
{
	struct change c = { .a = a, .by = by, .fn = do_revoke, .action = "token.revoke",
			    .id = token_id };
	return run_change(st, &c);
}
