/* tools/kefu/cmd_operator.c — `kefu operator ...` (operator accounts and API tokens) and
 * `kefu audit` (the audit log), on the store file (--db) through auth/, so the command
 * line follows the same rules as the console and every change is audited as
 * "cli:USER".  A password is never an argument: it is read from stdin (one line) or,
 * on a terminal, typed twice at a prompt with echo off.  Main thread.
 */
#include <ctype.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cli.h"
#include "store.h"

#define PW_BUF (AUTH_PASSWORD_MAX + 8)

static const char usage_text[] =
	"usage: kefu operator add LOGIN --role admin|agent [--name \"Display Name\"]\n"
	"       kefu operator list [--json]\n"
	"       kefu operator disable|enable LOGIN\n"
	"       kefu operator passwd LOGIN\n"
	"       kefu operator token LOGIN [--role admin|agent] [--name NAME]\n"
	"       kefu operator tokens [LOGIN] [--json]\n"
	"       kefu operator revoke TOKEN_ID\n"
	"  (all take --db FILE; add and passwd read the password from stdin, or prompt on a\n"
	"   terminal; it must be 12 to 256 bytes of UTF-8)\n";

/* One line from f into buf without its line end; 0, or -1 (nothing read / too long). */
static int read_line(FILE *f, char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, f))
		return -1;
	n = strlen(buf);
	if (n && buf[n - 1] != '\n' && !feof(f))
		return -1;   /* longer than any allowed password */
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

static int prompt_hidden(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int rc;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old))
		return -1;
	quiet = old;
	quiet.c_lflag &= (tcflag_t)~ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	rc = read_line(stdin, buf, len);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

/* The new password into buf: stdin's first line, or typed twice on a terminal.
 * Checks the rules; prints the reason and returns -1 when refused. */
static int read_password(const char *login, char *buf, size_t len)
{
	int rc;

	if (isatty(STDIN_FILENO)) {
		char again[PW_BUF], prompt[128];
		snprintf(prompt, sizeof prompt, "New password for %s: ", login);
		if (prompt_hidden(prompt, buf, len) || prompt_hidden("Repeat it: ", again, sizeof again))
			goto unreadable;
		rc = strcmp(buf, again);
		explicit_bzero(again, sizeof again);
		if (rc) {
			fprintf(stderr, "kefu operator: the two passwords differ\n");
			return -1;
		}
	} else if (read_line(stdin, buf, len)) {
		goto unreadable;
	}
	if ((rc = auth_password_check(buf, strlen(buf)))) {
		fprintf(stderr, "kefu operator: %s\n", auth_strerror(rc));
		return -1;
	}
	return 0;
unreadable:
	fprintf(stderr, "kefu operator: no password on stdin (or longer than %d bytes)\n",
		AUTH_PASSWORD_MAX);
	return -1;
}

/* Prints an auth failure the way the command line says it. */
static int fail(struct store *st, const char *what, int rc)
{
	if (rc == AUTH_E_INVALID)
		fprintf(stderr, "kefu operator %s: %s\n", what, store_errmsg(st));
	else if (rc < 0)
		fprintf(stderr, "kefu operator %s: %s\n", what, store_errmsg(st));
	else
		fprintf(stderr, "kefu operator %s: %s\n", what, auth_strerror(rc));
	return 1;
}

/* The operator LOGIN names (logins are lowercase: "Bob" finds bob). */
static int find_op(struct store *st, const char *login, struct store_operator *o)
{
	char low[AUTH_LOGIN_MAX + 1];
	size_t n = strlen(login);

	for (size_t i = 0; i < n && i < AUTH_LOGIN_MAX; i++)
		low[i] = (char)tolower((unsigned char)login[i]);
	low[n < AUTH_LOGIN_MAX ? n : AUTH_LOGIN_MAX] = '\0';
	int rc = n > AUTH_LOGIN_MAX ? STORE_NOT_FOUND : store_operator_find(st, low, o);

	if (rc == STORE_NOT_FOUND)
		fprintf(stderr, "kefu operator: no operator %s\n", login);
	else if (rc)
		fprintf(stderr, "kefu operator: %s\n", store_errmsg(st));
	return rc;
}

static void fmt_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int print_op(void *arg, const struct store_operator *o)
{
	json_t *arr = arg;
	char last[32];

	if (arr)
		return json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:b, s:I, s:I}",
			"id", (json_int_t)o->id, "login", o->login, "name", o->name, "role", o->role,
			"disabled", o->disabled, "created_ms", (json_int_t)o->created_ms,
			"last_login_ms", (json_int_t)o->last_login_ms));
	fmt_time(o->last_login_ms, last, sizeof last);
	printf("%-5lld %-20s %-6s %-9s %-21s %s\n", (long long)o->id, o->login, o->role,
	       o->disabled ? "disabled" : "active", last, o->name);
	return 0;
}

static int print_token(void *arg, const struct store_api_token *t)
{
	json_t *arr = arg;
	char made[32], used[32];

	if (arr)
		return json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:s, s:I, s:I, s:I}",
			"id", (json_int_t)t->id, "operator_id", (json_int_t)t->operator_id,
			"role", t->role, "name", t->name, "created_ms", (json_int_t)t->created_ms,
			"last_used_ms", (json_int_t)t->last_used_ms,
			"revoked_ms", (json_int_t)t->revoked_ms));
	fmt_time(t->created_ms, made, sizeof made);
	fmt_time(t->last_used_ms, used, sizeof used);
	printf("%-5lld op %-4lld %-6s %-8s made %s used %s %s\n", (long long)t->id,
	       (long long)t->operator_id, t->role, t->revoked_ms ? "revoked" : "valid", made, used,
	       t->name);
	return 0;
}

/* Prints arr (consumed) as JSON when json, else nothing. */
static int print_json(json_t *arr)
{
	char *s = json_dumps(arr, JSON_COMPACT);

	json_decref(arr);
	if (!s)
		return 1;
	puts(s);
	free(s);
	return 0;
}

int cmd_operator(int argc, char **argv)
{
	struct kefu_conf c;
	struct auth_config acfg;
	struct auth *a = NULL;
	struct store *st = NULL;
	char *pos[3], actor_login[96], err[256], pw[PW_BUF];
	const char *role = cli_take_value(&argc, argv, "--role");
	const char *name = cli_take_value(&argc, argv, "--name");
	int json = cli_take_flag(&argc, argv, "--json");
	int npos = 0, rc = cli_parse_conf(&c, "kefu operator", argc, argv, pos, 3, &npos);
	struct store_operator op = { 0 };

	if (rc)
		return rc < 0 ? 2 : 0;
	const char *sub = npos ? pos[0] : "";
	const char *arg = npos > 1 ? pos[1] : NULL;
	int need_arg = strcmp(sub, "list") && strcmp(sub, "tokens");
	if (!npos || npos > 2 || (need_arg && !arg) || (role && !*role)) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!(st = cli_open_existing(&c)))
		return 1;
	auth_config_defaults(&acfg);
	if (!(a = auth_create(&acfg, err, sizeof err))) {
		fprintf(stderr, "kefu operator: %s\n", err);
		store_close(st);
		return 1;
	}
	struct auth_actor by = { 0, cli_actor(actor_login, sizeof actor_login), NULL };
	rc = 1;
	if (!strcmp(sub, "add")) {
		int64_t id;
		if (!role) {
			fputs("kefu operator add: --role admin|agent is required\n", stderr);
			rc = 2;
			goto out;
		}
		if (read_password(arg, pw, sizeof pw))
			goto out;
		int r = auth_operator_add(a, st, &by, arg, name, role, pw, strlen(pw), &id);
		if (r == AUTH_E_INVALID && auth_role_parse(role) == AUTH_ROLE_NONE)
			fprintf(stderr, "kefu operator add: role must be admin or agent\n");
		else if (r)
			fail(st, "add", r);
		else
			printf("added operator %s (id %lld, %s)\n", arg, (long long)id, role);
		rc = r ? 1 : 0;
	} else if (!strcmp(sub, "list")) {
		json_t *arr = json ? json_array() : NULL;
		if (!json)
			printf("%-5s %-20s %-6s %-9s %-21s %s\n", "id", "login", "role", "state",
			       "last login (UTC)", "name");
		if (store_operators_foreach(st, print_op, arr)) {
			json_decref(arr);
			fprintf(stderr, "kefu operator list: %s\n", store_errmsg(st));
			goto out;
		}
		rc = json ? print_json(arr) : 0;
	} else if (!strcmp(sub, "disable") || !strcmp(sub, "enable")) {
		int off = !strcmp(sub, "disable");
		if (find_op(st, arg, &op))
			goto out;
		int r = auth_operator_set_disabled(a, st, &by, op.id, off);
		if (r)
			fail(st, sub, r);
		else
			printf("%s %s%s\n", off ? "disabled" : "enabled", arg,
			       off ? ": signed out everywhere; its API tokens stop working" : "");
		rc = r ? 1 : 0;
	} else if (!strcmp(sub, "passwd")) {
		if (find_op(st, arg, &op) || read_password(arg, pw, sizeof pw))
			goto out;
		int r = auth_operator_set_password(a, st, &by, op.id, pw, strlen(pw));
		if (r)
			fail(st, "passwd", r);
		else
			printf("password of %s changed: its console sessions ended\n", arg);
		rc = r ? 1 : 0;
	} else if (!strcmp(sub, "token")) {
		char token[AUTH_TOKEN_LEN + 1];
		int64_t id;
		enum auth_role r_want = role ? auth_role_parse(role) : AUTH_ROLE_NONE;
		if (role && r_want == AUTH_ROLE_NONE) {
			fputs("kefu operator token: role must be admin or agent\n", stderr);
			rc = 2;
			goto out;
		}
		if (find_op(st, arg, &op))
			goto out;
		int r = auth_token_create(a, st, &by, op.id, r_want, name, token, &id);
		if (r) {
			fail(st, "token", r);
			goto out;
		}
		/* the one time the token is shown: stdout carries only the token */
		printf("%s\n", token);
		fprintf(stderr, "token %lld for %s: send it as \"Authorization: Bearer TOKEN\"; "
			"it is not shown again (kefu operator revoke %lld ends it)\n", (long long)id,
			arg, (long long)id);
		explicit_bzero(token, sizeof token);
		rc = 0;
	} else if (!strcmp(sub, "tokens")) {
		json_t *arr = json ? json_array() : NULL;
		if (arg && find_op(st, arg, &op)) {
			json_decref(arr);
			goto out;
		}
		if (store_api_tokens_foreach(st, arg ? op.id : 0, print_token, arr)) {
			json_decref(arr);
			fprintf(stderr, "kefu operator tokens: %s\n", store_errmsg(st));
			goto out;
		}
		rc = json ? print_json(arr) : 0;
	} else if (!strcmp(sub, "revoke")) {
		char *end;
		long long id = strtoll(arg, &end, 10);
		if (*end || id <= 0) {
			fputs(usage_text, stderr);
			rc = 2;
			goto out;
		}
		int r = auth_token_revoke(a, st, &by, id);
		if (r)
			fail(st, "revoke", r);
		else
			printf("revoked token %lld\n", id);
		rc = r ? 1 : 0;
	} else {
		fputs(usage_text, stderr);
		rc = 2;
	}
out:
	explicit_bzero(pw, sizeof pw);
	store_operator_clear(&op);
	auth_destroy(a);
	store_close(st);
	return rc;
}

/* ---- kefu audit -------------------------------------------------------------------------- */

/* --since: N{s,m,h,d} ago, YYYY-MM-DD[THH:MM[:SS]][Z] (UTC), or ms since the epoch.
 * 0 with *ms, or -1. */
static int parse_since(const char *s, int64_t *ms)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	struct tm tm = { 0 };
	const char *rest;

	if (end != s && *end && !end[1] && v >= 0) {
		int64_t unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600
			       : *end == 'd' ? 86400 : 0;
		if (!unit)
			return -1;
		*ms = (int64_t)time(NULL) * 1000 - (int64_t)v * unit * 1000;
		return 0;
	}
	if (end != s && !*end && v > 100000) {
		*ms = v;
		return 0;
	}
	if ((rest = strptime(s, "%Y-%m-%d", &tm))) {
		if (*rest == 'T' || *rest == ' ') {
			const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);
			rest = r2 ? r2 : strptime(rest + 1, "%H:%M", &tm);
			if (!rest)
				return -1;
		}
		if (*rest == 'Z')
			rest++;
		if (*rest)
			return -1;
		*ms = (int64_t)timegm(&tm) * 1000;
		return 0;
	}
	return -1;
}

static int print_audit(void *arg, const struct store_audit *e)
{
	json_t *arr = arg;
	char when[32];

	if (arr) {
		json_t *ch = e->changes ? json_loads(e->changes, 0, NULL) : NULL;
		return json_array_append_new(arr, json_pack("{s:I, s:I, s:o, s:s, s:s, s:s, s:s, s:o}",
			"id", (json_int_t)e->id, "time_ms", (json_int_t)e->created_ms,
			"operator_id", e->operator_id ? json_integer(e->operator_id) : json_null(),
			"login", e->login ? e->login : "", "action", e->action ? e->action : "",
			"object", e->object ? e->object : "", "ip", e->ip ? e->ip : "",
			"changes", ch ? ch : json_null()));
	}
	fmt_time(e->created_ms, when, sizeof when);
	printf("%s %-16s %-18s %-14s %-15s %s\n", when, e->login && *e->login ? e->login : "-",
	       e->action ? e->action : "", e->object && *e->object ? e->object : "-",
	       e->ip && *e->ip ? e->ip : "-", e->changes ? e->changes : "");
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	struct kefu_conf c;
	struct store *st;
	int json = cli_take_flag(&argc, argv, "--json");
	const char *since_s = cli_take_value(&argc, argv, "--since");
	const char *limit_s = cli_take_value(&argc, argv, "--limit");
	int64_t since = 0;
	int npos = 0, limit = 0, rc = cli_parse_conf(&c, "kefu audit", argc, argv, NULL, 0, &npos);

	if (rc)
		return rc < 0 ? 2 : 0;
	if ((since_s && parse_since(since_s, &since)) ||
	    (limit_s && ((limit = atoi(limit_s)) <= 0))) {
		fputs("usage: kefu audit [--json] [--since 2h|7d|2026-12-01|2026-12-01T10:00Z|MS] "
		      "[--limit N] [--db FILE]\n", stderr);
		return 2;
	}
	if (!(st = cli_open_existing(&c)))
		return 1;
	json_t *arr = json ? json_array() : NULL;
	rc = store_audit_foreach(st, since, limit, print_audit, arr);
	if (rc) {
		json_decref(arr);
		fprintf(stderr, "kefu audit: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	store_close(st);
	return json ? print_json(arr) : 0;
}
