/* tools/kefu/cmd_privacy.c — data care from the command line (docs/security.md "Privacy
 * and data care"):
 *   kefu purge [--days N]                 delete sessions idle longer than N days
 *                                         (default: the retention_days option)
 *   kefu forget (--session TOKEN | --customer ID|EMAIL)   everything of one customer
 *   kefu export-customer (--session TOKEN | --customer ID|EMAIL) [--out FILE]
 *   kefu backup --out FILE                online copy of --db, consistent while kefud runs
 *   kefu check [--json]                   integrity, foreign keys and schema version
 * A customer is a session token or a text they typed (an e-mail address, a customer
 * number): every session with a customer message containing it.  purge and forget write
 * an audit row (who: "cli:USER", what: the counts; never the customer's words).
 * Main thread; the store calls are store/privacy.c and store/backup.c.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "store.h"

static void audit(struct store *st, const char *action, const char *object,
		  const struct store_purge *r)
{
	char login[128], changes[160];

	cli_actor(login, sizeof login);
	snprintf(changes, sizeof changes, "{\"sessions\":%lld,\"messages\":%lld,"
		 "\"attachments\":%lld}", (long long)r->sessions, (long long)r->messages,
		 (long long)r->attachments);
	struct store_audit a = { .login = login, .action = action, .object = object,
				 .ip = "", .changes = changes };
	if (store_audit_add(st, &a, cm_wall_ms()))
		fprintf(stderr, "kefu: audit row not written: %s\n", store_errmsg(st));
}

static void print_counts(const char *verb, const struct store_purge *r)
{
	printf("%s %lld sessions, %lld messages, %lld attachments\n", verb,
	       (long long)r->sessions, (long long)r->messages, (long long)r->attachments);
}

int cmd_purge(int argc, char **argv)
{
	struct kefu_conf c;
	struct store_purge r;
	const char *days_s = cli_take_value(&argc, argv, "--days");
	int npos, p = cli_parse_conf(&c, "kefu purge", argc, argv, NULL, 0, &npos);

	if (p)
		return p > 0 ? 0 : 2;
	long days = days_s ? strtol(days_s, NULL, 10) : c.retention_days;
	if (days <= 0) {
		fprintf(stderr, "kefu purge: give --days N (N >= 1) or set retention_days\n");
		return 2;
	}
	struct store *st = cli_open_existing(&c);
	if (!st)
		return 1;
	if (store_purge_older(st, cm_wall_ms() - (int64_t)days * 86400000, &r)) {
		fprintf(stderr, "kefu purge: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	char obj[64];
	snprintf(obj, sizeof obj, "older than %ld days", days);
	audit(st, "purge", obj, &r);
	print_counts("deleted", &r);
	store_close(st);
	return 0;
}

/* The sessions of --session TOKEN or --customer WHO; NULL store on error (printed). */
static struct store *customer(const char *cmd, int *argc, char **argv, struct kefu_conf *c,
			      int64_t **ids, size_t *n, const char **who, const char **out)
{
	const char *token = cli_take_value(argc, argv, "--session");
	const char *cust = cli_take_value(argc, argv, "--customer");
	int npos;

	if (out)
		*out = cli_take_value(argc, argv, "--out");
	int p = cli_parse_conf(c, cmd, *argc, argv, NULL, 0, &npos);
	if (p)
		return NULL;
	if (!!(token && *token) == !!(cust && *cust)) {
		fprintf(stderr, "%s: give one of --session TOKEN or --customer ID|EMAIL\n", cmd);
		return NULL;
	}
	*who = token && *token ? token : cust;
	struct store *st = cli_open_existing(c);
	if (!st)
		return NULL;
	int rc = token && *token ? 0 : store_customer_sessions(st, cust, ids, n);
	if (token && *token) {
		int64_t sid;
		*ids = NULL;
		*n = 0;
		rc = store_session_find(st, token, &sid);
		if (rc == 0 && (*ids = malloc(sizeof **ids))) {
			(*ids)[0] = sid;
			*n = 1;
		} else if (rc == STORE_NOT_FOUND) {
			rc = 0;
		}
	}
	if (rc) {
		fprintf(stderr, "%s: %s\n", cmd, store_errmsg(st));
		store_close(st);
		return NULL;
	}
	return st;
}

int cmd_forget(int argc, char **argv)
{
	struct kefu_conf c;
	struct store_purge r;
	int64_t *ids = NULL;
	size_t n = 0;
	const char *who;
	struct store *st = customer("kefu forget", &argc, argv, &c, &ids, &n, &who, NULL);

	if (!st)
		return 2;
	if (!n) {
		fprintf(stderr, "kefu forget: no session matches\n");
		store_close(st);
		return 1;
	}
	int rc = store_forget_sessions(st, ids, n, &r);
	free(ids);
	if (rc) {
		fprintf(stderr, "kefu forget: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	audit(st, "forget", "customer", &r);   /* not `who`: that is personal data */
	print_counts("forgot", &r);
	store_close(st);
	return 0;
}

int cmd_export_customer(int argc, char **argv)
{
	struct kefu_conf c;
	int64_t *ids = NULL;
	size_t n = 0;
	const char *who, *out_path;
	struct store *st = customer("kefu export-customer", &argc, argv, &c, &ids, &n, &who,
				    &out_path);

	if (!st)
		return 2;
	FILE *out = out_path && *out_path ? fopen(out_path, "w") : stdout;
	if (!out) {
		perror(out_path);
		free(ids);
		store_close(st);
		return 1;
	}
	int rc = store_export_sessions(st, ids, n, out);
	if (out != stdout && fclose(out))
		rc = -1;
	free(ids);
	if (rc)
		fprintf(stderr, "kefu export-customer: %s\n", store_errmsg(st));
	else
		fprintf(stderr, "kefu export-customer: %zu sessions\n", n);
	store_close(st);
	return rc ? 1 : 0;
}

int cmd_backup(int argc, char **argv)
{
	struct kefu_conf c;
	char err[600];
	const char *out = cli_take_value(&argc, argv, "--out");
	int npos, p = cli_parse_conf(&c, "kefu backup", argc, argv, NULL, 0, &npos);

	if (p)
		return p > 0 ? 0 : 2;
	if (!out || !*out) {
		fprintf(stderr, "usage: kefu backup --db FILE --out FILE\n");
		return 2;
	}
	uint64_t t0 = cm_now_us();
	if (store_backup(c.db, out, err, sizeof err)) {
		fprintf(stderr, "kefu backup: %s\n", err);
		return 1;
	}
	printf("backed up %s to %s in %.2f s (integrity ok)\n", c.db, out,
	       (double)(cm_now_us() - t0) / 1e6);
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct kefu_conf c;
	struct store_check r;
	char err[600];
	int json = cli_take_flag(&argc, argv, "--json");
	int npos, p = cli_parse_conf(&c, "kefu check", argc, argv, NULL, 0, &npos);

	if (p)
		return p > 0 ? 0 : 2;
	if (store_check(c.db, &r, err, sizeof err)) {
		fprintf(stderr, "kefu check: %s\n", err);
		return 1;
	}
	const char *schema = r.version > r.latest ? "newer than this kefu" :
			     r.version < r.latest ? "older: kefud or kefu init migrates it" :
			     "current";
	if (json)
		printf("{\"ok\":%s,\"integrity\":\"%s\",\"integrity_problems\":%d,"
		       "\"foreign_key_problems\":%d,\"schema_version\":%d,\"schema_latest\":%d}\n",
		       r.ok ? "true" : "false", r.problems ? "damaged" : "ok", r.problems,
		       r.fk_problems, r.version, r.latest);
	else
		printf("integrity     %s\nforeign keys  %d problems\nschema        %d (%s; this "
		       "kefu knows %d)\n%s\n", r.problems ? r.integrity : "ok", r.fk_problems,
		       r.version, schema, r.latest, r.ok ? "ok" : "NOT OK");
	return r.ok ? 0 : 1;
}
