/* api/api.c — api_handle: the checks every request goes through, in this order, before
 * a route's handler runs:
 *
 *   1. route: the path under /api/v1/ and the method (404 not_found, 405
 *      method_not_allowed); the body size (413 body_too_large);
 *   2. cross-site: a request whose Sec-Fetch-Site is cross-site or same-site is refused
 *      (403 cross_site); a state-changing one (any method but GET/HEAD) must also have
 *      no Origin or the request's own (scheme + Host) and, when sent, Sec-Fetch-Site
 *      same-origin;
 *   3. who: `Authorization: Bearer kefu_…` (a token) or the __Host-kefu cookie (a
 *      console session); a route whose role is not none needs one (401
 *      unauthenticated);
 *   4. CSRF: a state-changing request on a cookie session must carry the session's
 *      synchronizer token in X-CSRF-Token, compared in constant time (403 csrf_failed);
 *      bearer requests need none (browsers never add that header by themselves);
 *   5. role: the caller's role must reach the route's (403 forbidden);
 *   6. body: JSON object (415 unsupported_media_type unless application/json; 400
 *      bad_json), only the route's fields (400 unknown_field), each of its type (400
 *      wrong_type), the required ones present (400 missing_field).
 * GET handlers never change state.  A refused request changes nothing and writes no
 * audit row.  Runs on the calling worker thread with ctx's store connection.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"
#include "log.h"

/* ---- routing ------------------------------------------------------------------------ */

/* Matches path against a route pattern; a final "{id}" segment (or one in the middle)
 * takes a positive decimal integer into *id. */
static int path_match(const char *pattern, const char *path, int64_t *id)
{
	while (*pattern && *path) {
		if (!strncmp(pattern, "{id}", 4)) {
			int64_t v = 0;
			if (*path < '1' || *path > '9')
				return 0;
			while (isdigit((unsigned char)*path)) {
				if (v > (INT64_MAX - 9) / 10)
					return 0;
				v = v * 10 + (*path++ - '0');
			}
			*id = v;
			pattern += 4;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *pattern == '\0' && *path == '\0';
}

static int is_safe_method(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD");
}

/* ---- who is calling -------------------------------------------------------------------- */

/* Copies the value of cookie name from a Cookie header into out; 1 if found. */
static int cookie_value(const char *header, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	const char *p = header;

	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > n && !strncmp(p, name, n) && p[n] == '=') {
			size_t vlen = len - n - 1;
			if (vlen >= outlen)
				return 0;
			memcpy(out, p + n + 1, vlen);
			out[vlen] = '\0';
			return 1;
		}
		p = end;
	}
	return 0;
}

/* Resolves the caller; AUTH_OK (c->who set), AUTH_E_NO_SESSION when credentials were
 * sent but are not valid, or 1 when none were sent. */
static int identify(struct api_call *c)
{
	const struct api_request *r = c->req;

	if (r->authorization) {
		if (strncasecmp(r->authorization, "Bearer ", 7))
			return AUTH_E_NO_SESSION;
		return auth_token_check(c->ctx->auth, c->ctx->st, r->authorization + 7, &c->who);
	}
	if (r->cookie && cookie_value(r->cookie, API_COOKIE, c->session_id, sizeof c->session_id)) {
		int rc = r->peek ? auth_session_peek(c->ctx->auth, c->ctx->st, c->session_id,
						     &c->who)
				 : auth_session_check(c->ctx->auth, c->ctx->st, c->session_id,
						      &c->who);
		if (rc)
			c->session_id[0] = '\0';
		return rc;
	}
	return 1;
}

/* 0 when the request may come from where it says it does, else fills a 403. */
static int cross_site_refused(struct api_call *c)
{
	const struct api_request *r = c->req;
	const char *sfs = r->sec_fetch_site;

	if (sfs && (!strcasecmp(sfs, "cross-site") || !strcasecmp(sfs, "same-site")))
		return !api_error(c, 403, "cross_site", "requests from another site are refused");
	if (is_safe_method(r->method))
		return 0;
	if (sfs && strcasecmp(sfs, "same-origin"))
		return !api_error(c, 403, "cross_site", "Sec-Fetch-Site must be same-origin");
	if (r->origin) {
		char own[300];
		snprintf(own, sizeof own, "%s://%s", r->tls ? "https" : "http", r->host ? r->host : "");
		if (!r->host || strcasecmp(r->origin, own))
			return !api_error(c, 403, "cross_site", "Origin %s is not this server's",
					  r->origin);
	}
	return 0;
}

/* ---- the body ----------------------------------------------------------------------------- */

static int body_refused(struct api_call *c)
{
	const struct api_request *r = c->req;
	const struct api_field *f = c->route->fields;
	json_error_t jerr;
	const char *key;
	json_t *v;

	const struct api_body_rule *rule = api_route_body(c->route);

	if (r->body_len == 0 || (rule && rule->raw)) {
		c->body = NULL;
	} else {
		const char *ct = r->content_type;
		if (!ct || strncasecmp(ct, "application/json", 16) ||
		    (ct[16] && ct[16] != ';' && ct[16] != ' '))
			return !api_error(c, 415, "unsupported_media_type",
					  "the body must be application/json");
		c->body = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!c->body)
			return !api_error(c, 400, "bad_json", "the body is not JSON: %s", jerr.text);
		if (!json_is_object(c->body))
			return !api_error(c, 400, "bad_json", "the body must be a JSON object");
	}
	if (c->body) {
		json_object_foreach(c->body, key, v) {
			const struct api_field *k = f;
			while (k && k->name && strcmp(k->name, key))
				k++;
			if (!k || !k->name)
				return !api_error(c, 400, "unknown_field", "unknown field \"%.64s\"", key);
			static const char *const names[] = { "string", "integer", "boolean",
							     "array" };
			int ok = k->type == API_STRING ? json_is_string(v)
				 : k->type == API_INTEGER ? json_is_integer(v)
				 : k->type == API_ARRAY ? json_is_array(v) : json_is_boolean(v);
			if (!ok)
				return !api_error(c, 400, "wrong_type", "field \"%s\" must be a %s",
						  k->name, names[k->type]);
		}
	}
	for (; f && f->name; f++)
		if (f->required && !(c->body && json_object_get(c->body, f->name)))
			return !api_error(c, 400, "missing_field", "field \"%s\" is required", f->name);
	return 0;
}

size_t api_body_limit(const char *method, const char *path)
{
	size_t n;
	const struct api_route *routes = api_routes(&n);

	for (size_t i = 0; method && path && i < n; i++) {
		int64_t id;
		const struct api_body_rule *rule;
		if (!strcmp(routes[i].method, method) && path_match(routes[i].path, path, &id) &&
		    (rule = api_route_body(&routes[i])))
			return rule->max_body;
	}
	return API_MAX_BODY;
}

/* ---- the entry point ---------------------------------------------------------------------- */

void api_handle(struct api_ctx *ctx, const struct api_request *req, struct api_response *res)
{
	struct api_call c = { .ctx = ctx, .req = req, .res = res };
	const struct api_route *routes, *path_hit = NULL;
	size_t n;
	int rc;

	memset(res, 0, sizeof *res);
	routes = api_routes(&n);
	for (size_t i = 0; i < n && !c.route; i++) {
		int64_t id = 0;
		if (!req->path || !path_match(routes[i].path, req->path, &id))
			continue;
		path_hit = &routes[i];
		if (req->method && !strcmp(routes[i].method, req->method)) {
			c.route = &routes[i];
			c.path_id = id;
		}
	}
	if (!c.route) {
		if (path_hit)
			api_error(&c, 405, "method_not_allowed", "%s does not take %s", req->path,
				  req->method ? req->method : "?");
		else
			api_error(&c, 404, "not_found", "no such API path");
		return;
	}
	const struct api_body_rule *rule = api_route_body(c.route);
	size_t max = rule ? rule->max_body : API_MAX_BODY;
	if (req->body_len > max) {
		api_error(&c, 413, "body_too_large", "the body is larger than %zu bytes", max);
		return;
	}
	if (cross_site_refused(&c))
		return;
	rc = c.route->role == AUTH_ROLE_NONE ? 1 : identify(&c);
	if (rc < 0) {
		api_auth_error(&c, rc);
		return;
	}
	if (c.route->role != AUTH_ROLE_NONE && rc != AUTH_OK) {
		api_error(&c, 401, "unauthenticated", "sign in, or send a valid bearer token");
		return;
	}
	if (rc == AUTH_OK && !is_safe_method(req->method) && c.session_id[0] &&
	    !auth_secret_equal(req->csrf_token, c.who.csrf)) {
		api_error(&c, 403, "csrf_failed", "missing or wrong X-CSRF-Token");
		return;
	}
	if (c.who.role < c.route->role) {
		api_error(&c, 403, "forbidden", "this needs the %s role",
			  auth_role_name(c.route->role));
		return;
	}
	if (!body_refused(&c))
		c.route->fn(&c);
	json_decref(c.body);
	if (!res->body)
		api_error(&c, 500, "internal", "no response");
}
