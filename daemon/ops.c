/* daemon/ops.c — the operators' WebSocket /ops and the customer's side of a take-over
 * (ops.h has the design and the threads).
 *
 * Service-thread state: the map of taken-over sessions (a small array: one entry per
 * conversation a person holds now) and the list of /ops connections.  A customer's
 * connection is found by its session row id by walking the registry (a take-over
 * event is rare next to chat traffic).  Frames to operators are queued per /ops
 * connection and written one per SERVER_WRITEABLE.
 */
#include "ops.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "clock.h"
#include "edge.h"
#include "hist.h"
#include "http_api.h"
#include "log.h"
#include "session.h"
#include "ws.h"
#include "store.h"
#include "utf8.h"

#define OPS_OUT_MAX 4096            /* frames waiting for an operator that does not read */
#define OPS_RX_MAX 4096             /* an operator's frame */
#define OPS_RECHECK_US (10 * 1000000ull)   /* the session is re-checked this often... */
#define OPS_RECHECK_FRAME_US 1000000ull    /* ...and on a frame, at most once a second */
#define OPS_TYPING_US (6 * 1000000ull)     /* "operator is typing" lapses after this
					      without a new typing frame */

struct ops_held {                   /* one taken-over session */
	int64_t session_id, operator_id;
	char name[128];
	int pending;                    /* assigned by the queue, take not yet committed:
					   the bot still answers */
};

struct ops_waiting {                /* one hand-off waiting for a person */
	int64_t session_id, requested_ms;
};

/* Wait-time buckets (seconds) of kefu_handoff_wait_seconds. */
static const double wait_le[] = { 5, 15, 30, 60, 120, 300, 600, 1800 };
#define N_WAIT_LE (sizeof wait_le / sizeof *wait_le)

struct ops_pss {                    /* one /ops connection (lws per-session data) */
	struct ops_pss *prev, *next;
	struct lws *wsi;
	uint64_t id;
	int authed;                     /* GET /me answered 200 (and still does) */
	int checking;                   /* a re-check is with the API workers */
	const char *closing;            /* error sent: close with this code as the reason
					   (session_expired, or a per-address refusal) */
	int ip_counted;                 /* admitted by the per-address limits (edge.c) */
	uint64_t checked_us;            /* last re-check asked */
	int64_t typing_sid;             /* the customer told "operator is typing", or 0 */
	uint64_t typing_until_us;       /* ...until then, unless a new typing frame comes */
	int64_t operator_id;
	char name[128];
	char cookie[1024], host[256], csrf[80], ip[64];   /* to act for this operator */
	struct kd_frame *out, *out_tail;
	unsigned n_out;
	char rx[OPS_RX_MAX];
	size_t rx_len;
	int rx_skip;
};

struct kd_ops {
	struct ops_held *held;
	size_t n_held, cap_held;
	struct ops_waiting *wait;       /* oldest request first */
	size_t n_wait, cap_wait;
	int capacity;                   /* conf operator_capacity */
	struct cm_hist waited;          /* hand-off asked -> taken over, seconds */
	struct ops_pss *conns;
	uint64_t next_id;
	int watching;                   /* conns or n_held: customers' replies concern
					   the operators (kd_ws_hooks.watching reads it) */
	/* handed in by kd_ops_attach (server.c) */
	const struct kefu_conf *conf;
	struct kd_registry *reg;        /* the customers' connections */
	struct store_writer *writer;    /* a customer's message logged for a person */
	struct kd_api *api;             /* sign-in, takes and summaries for operators */
	struct kd_wake *wake;           /* the loop's wake-up (the ticker's) */
	struct kd_edge *edge;           /* client addresses behind trusted proxies */
};

static atomic_int ops_online;

int kd_ops_online(void)
{
	return atomic_load(&ops_online);
}

/* Keeps o->watching true while a console is connected or a conversation is held: only
 * then does a customer's reply or upload concern the operators, so ws.c leaves the
 * hooks uncalled otherwise. */
static void watch_update(struct kd_ops *o)
{
	o->watching = o->conns != NULL || o->n_held > 0;
}

/* ---- the map of taken-over sessions ---------------------------------------------------------- */

static struct ops_held *held_find(struct kd_ops *o, int64_t sid)
{
	for (size_t i = 0; i < o->n_held; i++)
		if (o->held[i].session_id == sid)
			return &o->held[i];
	return NULL;
}

static int held_set(struct kd_ops *o, int64_t sid, int64_t op, const char *name)
{
	struct ops_held *h = held_find(o, sid);

	if (!h) {
		if (o->n_held == o->cap_held) {
			size_t cap = o->cap_held ? 2 * o->cap_held : 16;
			struct ops_held *n = realloc(o->held, cap * sizeof *n);
			if (!n)
				return -1;
			o->held = n;
			o->cap_held = cap;
		}
		h = &o->held[o->n_held++];
		h->pending = 0;
	}
	h->session_id = sid;
	h->operator_id = op;
	cm_utf8_copy(h->name, sizeof h->name, name ? name : "");   /* whole characters */
	watch_update(o);
	return 0;
}

/* ---- the hand-off queue --------------------------------------------------------------------- */

static void wait_remove(struct kd_ops *o, int64_t sid)
{
	for (size_t i = 0; i < o->n_wait; i++)
		if (o->wait[i].session_id == sid) {
			memmove(&o->wait[i], &o->wait[i + 1], (o->n_wait - i - 1) * sizeof *o->wait);
			o->n_wait--;
			return;
		}
}

static int wait_add(struct kd_ops *o, int64_t sid, int64_t requested_ms)
{
	for (size_t i = 0; i < o->n_wait; i++)
		if (o->wait[i].session_id == sid)
			return 0;
	if (o->n_wait == o->cap_wait) {
		size_t cap = o->cap_wait ? 2 * o->cap_wait : 16;
		struct ops_waiting *n = realloc(o->wait, cap * sizeof *n);
		if (!n)
			return -1;
		o->wait = n;
		o->cap_wait = cap;
	}
	o->wait[o->n_wait++] = (struct ops_waiting){ sid, requested_ms };
	return 0;
}

static int load_wait_cb(void *arg, int64_t sid, int64_t requested_ms)
{
	return wait_add(arg, sid, requested_ms);
}

static void held_remove(struct kd_ops *o, int64_t sid)
{
	struct ops_held *h = held_find(o, sid);

	if (h)
		*h = o->held[--o->n_held];
	watch_update(o);
}

static int load_cb(void *arg, int64_t sid, int64_t op, const char *name)
{
	return held_set(arg, sid, op, name);
}

struct kd_ops *kd_ops_create(const struct kefu_conf *conf, char *err, size_t errlen)
{
	struct kd_ops *o = calloc(1, sizeof *o);
	char why[512];
	struct store *st;
	int rc;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st = store_open(conf->db, why, sizeof why);
	if (!st) {
		snprintf(err, errlen, "ops: cannot open %s: %s", conf->db, why);
		free(o);
		return NULL;
	}
	o->conf = conf;
	o->capacity = conf->operator_capacity;
	cm_hist_init(&o->waited, wait_le, (int)N_WAIT_LE);
	rc = store_assigned_foreach(st, load_cb, o);
	if (!rc)
		rc = store_waiting_foreach(st, load_wait_cb, o);
	if (rc)
		snprintf(err, errlen, "ops: cannot read taken-over sessions: %s", store_errmsg(st));
	store_close(st);
	if (rc) {
		kd_ops_destroy(o);
		return NULL;
	}
	if (o->n_held)
		LOG_INFO("%zu conversations are taken over by operators", o->n_held);
	atomic_store(&ops_online, 0);
	return o;
}

void kd_ops_destroy(struct kd_ops *o)
{
	if (!o)
		return;
	free(o->held);
	free(o->wait);
	free(o);
}

/* ---- sending ------------------------------------------------------------------------------ */

static void ops_send(struct ops_pss *p, json_t *j)
{
	struct kd_frame *f = j ? kd_frame_from_json(j) : NULL;

	if (!f)
		return;
	if (p->n_out >= OPS_OUT_MAX) {          /* an operator that does not read */
		kd_frame_free(f);
		return;
	}
	f->next = NULL;
	if (p->out_tail)
		p->out_tail->next = f;
	else
		p->out = f;
	p->out_tail = f;
	p->n_out++;
	lws_callback_on_writable(p->wsi);
}

/* To every signed-in operator. */
static void ops_broadcast(struct kd_ops *o, json_t *j)
{
	for (struct ops_pss *p = o->conns; p; p = p->next)
		if (p->authed)
			ops_send(p, j);
}

/* To every customer connection of session sid. */
static void customer_send(struct kd_ops *o, int64_t sid, json_t *j)
{
	struct kd_registry *r = o->reg;

	if (!j || sid <= 0)
		return;
	for (uint32_t i = 0; i < r->used; i++) {
		struct kd_pss *pss = r->slot[i];
		if (pss && pss->session_id == sid && !pss->closing) {
			kd_pss_out_push(pss, kd_frame_from_json(j));
			lws_callback_on_writable(pss->wsi);
		}
	}
}

static void count_online(struct kd_ops *o)
{
	int n = 0;

	for (struct ops_pss *p = o->conns; p; p = p->next) {
		struct ops_pss *q;
		if (!p->authed)
			continue;
		for (q = o->conns; q != p && !(q->authed && q->operator_id == p->operator_id);
		     q = q->next)
			;
		n += q == p;
	}
	if (n != atomic_load(&ops_online)) {
		json_t *j = json_pack("{s:s, s:i}", "type", "operators", "online", n);
		atomic_store(&ops_online, n);
		ops_broadcast(o, j);
		json_decref(j);
	}
}

static void observe_wait(struct kd_ops *o, int64_t sid);

/* Conversations operator op holds (pending ones included). */
static size_t held_by(const struct kd_ops *o, int64_t op)
{
	size_t n = 0;

	for (size_t i = 0; i < o->n_held; i++)
		n += o->held[i].operator_id == op;
	return n;
}

/* Gives waiting hand-offs, oldest first, to the signed-in operator holding the fewest
 * conversations, while someone is under operator_capacity.  The take is a REST call
 * made for that operator (their session, audited as them) on an API worker; until it
 * commits the entry is pending and the bot still answers. */
static void dispatch(struct kd_ops *o)
{

	while (o->n_wait && o->capacity > 0) {
		struct ops_pss *best = NULL;
		size_t best_n = 0;
		char path[96];
		int64_t sid = o->wait[0].session_id;

		for (struct ops_pss *p = o->conns; p; p = p->next) {
			size_t n = p->authed ? held_by(o, p->operator_id) : SIZE_MAX;
			if (n < (size_t)o->capacity && (!best || n < best_n)) {
				best = p;
				best_n = n;
			}
		}
		if (!best)
			return;
		if (held_find(o, sid)) {          /* taken by hand meanwhile */
			wait_remove(o, sid);
			continue;
		}
		snprintf(path, sizeof path, API_PREFIX "conversations/%lld/take", (long long)sid);
		if (held_set(o, sid, best->operator_id, best->name) ||
		    kd_api_internal(o->api, sid, "POST", path, best->cookie, best->csrf,
				    best->host, best->ip)) {
			held_remove(o, sid);
			return;                      /* queue full: next event tries again */
		}
		held_find(o, sid)->pending = 1;
		observe_wait(o, sid);
		wait_remove(o, sid);
	}
}

void kd_ops_take_done(struct kd_ops *o, int64_t sid, int status)
{
	struct ops_held *h = o ? held_find(o, sid) : NULL;

	if (status == 200 || !h || !h->pending)
		return;
	/* the take failed (session gone, operator signed out...): wait again */
	LOG_WARN("assigning conversation %lld failed (%d)", (long long)sid, status);
	held_remove(o, sid);
	if (status != 404)
		wait_add(o, sid, cm_wall_ms());
}

static void observe_wait(struct kd_ops *o, int64_t sid)
{
	for (size_t i = 0; i < o->n_wait; i++)
		if (o->wait[i].session_id == sid) {
			cm_hist_observe(&o->waited, (double)(cm_wall_ms() - o->wait[i].requested_ms) /
						  1000.0);
			return;
		}
}

char *kd_ops_metrics(struct kd_ops *o)
{
	size_t cap = 2048, n = 0;
	char *s = malloc(cap);

	if (!s || !o) {
		free(s);
		return NULL;
	}
	n += (size_t)snprintf(s + n, cap - n,
		"# HELP kefu_handoffs_waiting Customers waiting for a person now.\n"
		"# TYPE kefu_handoffs_waiting gauge\nkefu_handoffs_waiting %zu\n"
		"# HELP kefu_operators_online Distinct operators signed in on /ops.\n"
		"# TYPE kefu_operators_online gauge\nkefu_operators_online %d\n"
		"# HELP kefu_conversations_taken_over Conversations a person holds now.\n"
		"# TYPE kefu_conversations_taken_over gauge\nkefu_conversations_taken_over %zu\n"
		"# HELP kefu_handoff_wait_seconds Hand-off asked -> taken over (by this process).\n"
		"# TYPE kefu_handoff_wait_seconds histogram\n",
		o->n_wait, kd_ops_online(), o->n_held);
	for (int b = 0; b < o->waited.n; b++)
		n += (size_t)snprintf(s + n, cap - n,
				      "kefu_handoff_wait_seconds_bucket{le=\"%g\"} %llu\n",
				      wait_le[b], (unsigned long long)cm_hist_cumulative(&o->waited, b));
	snprintf(s + n, cap - n,
		 "kefu_handoff_wait_seconds_bucket{le=\"+Inf\"} %llu\n"
		 "kefu_handoff_wait_seconds_sum %.3f\nkefu_handoff_wait_seconds_count %llu\n",
		 (unsigned long long)o->waited.count, o->waited.sum,
		 (unsigned long long)o->waited.count);
	return s;
}

/* ---- customer side (hooks of server.c) ------------------------------------------------------ */

struct msg_done {                  /* a customer's message logged for the operator */
	struct kd_api *api;
	uint64_t sid;
	int64_t session_id;
	char client_id[KD_ID_BYTES + 1];
	char *text;
	char *email;                      /* leave_message: the contact (JSON text), or NULL */
	int left;                         /* leave_message */
};

/* Store writer thread: the customer-only turn committed (or not): tell the loop. */
static void msg_logged(void *arg, int rc)
{
	struct msg_done *d = arg;
	json_t *j = json_pack("{s:s, s:I, s:s, s:I, s:s, s:i, s:I, s:b, s:o?}", "type",
			      "customer_message", "sid", (json_int_t)d->sid, "id", d->client_id,
			      "conversation_id", (json_int_t)d->session_id, "text",
			      d->text ? d->text : "", "rc", rc, "created_ms",
			      (json_int_t)cm_wall_ms(), "left_message", d->left, "contact",
			      d->email ? json_loads(d->email, 0, NULL) : NULL);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (s)
		kd_api_post_event(d->api, s);
	else
		LOG_ERR("out of memory telling a customer's message to the operators");
	free(s);
	json_decref(j);
	free(d->text);
	free(d->email);
	free(d);
}

/* Logs req's text as a customer-only turn (customer_meta: NULL or JSON) through the
 * writer; the customer gets ack (or an error) after commit.  0 submitted (req->text
 * moved), -1 not (nothing changed). */
static int log_customer(struct kd_ops *o, struct kd_pss *pss, struct kd_req *req,
			const char *email, int left)
{
	struct store_turn *t = calloc(1, sizeof *t);
	struct msg_done *d = calloc(1, sizeof *d);
	/* a left message's meta: {"left_message": true} and the contact given (proto.c) */
	json_t *meta = left ? (email ? json_loads(email, 0, NULL) : json_object()) : NULL;

	if (meta)
		json_object_set_new(meta, "left_message", json_true());

	if (!t || !d || (left && !meta) || !(t->client_id = strdup(req->id)) ||
	    !(d->text = strdup(req->text)) ||
	    (email && !(d->email = strdup(email))) ||
	    (meta && !(t->customer_meta = json_dumps(meta, JSON_COMPACT)))) {
		json_decref(meta);
		store_turn_free(t);
		if (d) {
			free(d->text);
			free(d->email);
		}
		free(d);
		return -1;
	}
	json_decref(meta);
	d->left = left;
	d->api = o->api;
	d->sid = pss->sid;
	d->session_id = pss->session_id;
	memcpy(d->client_id, req->id, sizeof d->client_id);
	t->session_id = pss->session_id;
	t->customer_text = req->text;       /* moves */
	req->text = NULL;
	t->done = msg_logged;
	t->arg = d;
	/* the writer's queue is bounded; a full queue blocks this thread briefly, as it
	 * would block a worker */
	if (store_writer_submit(o->writer, t)) {
		req->text = t->customer_text;  /* the writer is stopping */
		t->customer_text = NULL;
		store_turn_free(t);
		free(d->text);
		free(d->email);
		free(d);
		return -1;
	}
	return 0;
}

int kd_ops_customer_message(struct kd_ops *o, struct kd_pss *pss, struct kd_req *req)
{
	struct ops_held *h = o ? held_find(o, pss->session_id) : NULL;

	if (!h || h->pending)
		return 0;
	/* on failure the bot answers rather than lose the message */
	return log_customer(o, pss, req, NULL, 0) == 0;
}

void kd_ops_leave_message(struct kd_ops *o, struct kd_pss *pss, struct kd_req *req)
{
	if (pss->session_id <= 0 || log_customer(o, pss, req, (const char *)req->data, 1)) {
		kd_pss_out_push(pss, kd_frame_error(KD_E_INTERNAL, req->id,
						    "the message could not be kept; please retry"));
		lws_callback_on_writable(pss->wsi);
	}
}

void kd_ops_customer_typing(struct kd_ops *o, struct kd_pss *pss, int on)
{
	json_t *j;

	if (!o || !held_find(o, pss->session_id))
		return;
	j = json_pack("{s:s, s:I, s:s, s:b}", "type", "typing", "conversation_id",
		      (json_int_t)pss->session_id, "from", "customer", "on", on);
	ops_broadcast(o, j);
	json_decref(j);
}

void kd_ops_handoff_asked(struct kd_ops *o, struct kd_pss *pss)
{
	json_t *j;

	if (!o || pss->session_id <= 0)
		return;
	j = json_pack("{s:s, s:I, s:I}", "type", "handoff", "conversation_id",
		      (json_int_t)pss->session_id, "requested_ms", (json_int_t)cm_wall_ms());
	ops_broadcast(o, j);
	json_decref(j);
}

void kd_ops_on_result(struct kd_ops *o, struct kd_pss *pss, struct kd_result *r)
{
	json_t *j;

	static const char handoff[] = "{\"type\":\"handoff\"";

	if (!o || pss->session_id <= 0)
		return;
	/* an upload logged for the person who holds the session (answer.c): pushed to the
	 * consoles like a typed message (ops_event "customer_message") */
	if (r->held_text) {
		j = json_pack("{s:s, s:I, s:{s:s, s:s, s:s, s:I, s:s}}", "type", "message",
			      "conversation_id", (json_int_t)pss->session_id, "message", "kind",
			      "customer", "client_id", r->id, "text", r->held_text, "created_ms",
			      (json_int_t)cm_wall_ms(), "upload",
			      r->media == 1 ? "audio" : "image");
		ops_broadcast(o, j);
		json_decref(j);
		return;
	}
	/* the hand-off answer went out: its row is committed, so the request joins the
	 * queue now (assigning earlier would race the worker that opens it) */
	if (r->kind == KD_RES_FRAME && r->frame && r->frame->len > sizeof handoff &&
	    !memcmp(KD_FRAME_PAYLOAD(r->frame), handoff, sizeof handoff - 1) &&
	    !held_find(o, pss->session_id)) {
		struct ops_pss *p;
		wait_add(o, pss->session_id, cm_wall_ms());
		/* the summary card for whoever takes over, computed by an API worker with
		 * a signed-in operator's session (nobody online: nobody to tell) */
		for (p = o->conns; p && !p->authed; p = p->next)
			;
		if (p && kd_api_summary(o->api, pss->session_id, p->cookie, p->host))
			LOG_WARN("no summary at the hand-off of %lld: API queue full",
				 (long long)pss->session_id);
		dispatch(o);
		return;
	}
	if (r->kind != KD_RES_REPLY && r->kind != KD_RES_SESSION)
		return;
	/* a new bot turn or a (re)opened chat: consoles refresh that conversation */
	if (o->conns) {
		j = json_pack("{s:s, s:I}", "type", "activity", "conversation_id",
			      (json_int_t)(r->kind == KD_RES_SESSION ? r->session_id
								   : pss->session_id));
		ops_broadcast(o, j);
		json_decref(j);
	}
	/* a customer coming back to a taken-over conversation is told who is there */
	if (r->kind == KD_RES_SESSION) {
		struct ops_held *h = held_find(o, r->session_id);
		if (h && !h->pending) {
			struct kd_frame **tail = &r->frame;
			while (*tail)
				tail = &(*tail)->next;
			j = json_pack("{s:s, s:s}", "type", "operator_joined", "name", h->name);
			*tail = kd_frame_from_json(j);   /* after welcome / history */
			json_decref(j);
		}
	}
}

/* ---- events (REST handlers, the writer) --------------------------------------------------- */

static const char *str(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));
	return s ? s : "";
}

void kd_ops_event(struct kd_ops *o, const char *event_json)
{
	json_t *ev = json_loads(event_json, 0, NULL), *j = NULL;
	const char *type = str(ev, "type");
	int64_t sid = json_integer_value(json_object_get(ev, "conversation_id"));
	json_t *op = json_object_get(ev, "operator");
	int dispatch_later = 0;

	if (!o || !ev) {
		json_decref(ev);
		return;
	}
	if (!strcmp(type, "assigned")) {
		observe_wait(o, sid);
		wait_remove(o, sid);
		held_set(o, sid, json_integer_value(json_object_get(op, "id")), str(op, "name"));
		held_find(o, sid)->pending = 0;
		j = json_pack("{s:s, s:s}", "type", "operator_joined", "name", str(op, "name"));
	} else if (!strcmp(type, "released")) {
		struct ops_held *h = held_find(o, sid);
		j = json_pack("{s:s, s:s, s:s}", "type", "operator_left", "name",
			      h ? h->name : str(op, "name"), "reason", str(ev, "reason"));
		held_remove(o, sid);
		wait_remove(o, sid);
		dispatch_later = 1;
	} else if (!strcmp(type, "message")) {
		json_t *m = json_object_get(ev, "message");
		const char *name = str(json_object_get(m, "operator"), "name");
		j = json_pack("{s:s, s:s, s:n, s:s, s:s, s:I, s:n, s:n, s:[]}", "type", "reply",
			      "from", "operator", "id", "name", name, "text", str(m, "text"),
			      "ts", (json_int_t)json_integer_value(json_object_get(m, "created_ms")),
			      "answer_id", "confidence", "quick_replies");
	} else if (!strcmp(type, "customer_message")) {
		struct kd_pss *pss = kd_registry_find(o->reg,
						      json_integer_value(json_object_get(ev, "sid")));
		int rc = (int)json_integer_value(json_object_get(ev, "rc"));
		if (pss) {
			struct kd_frame *f = rc < 0
				? kd_frame_error(KD_E_INTERNAL, str(ev, "id"),
						 "the message could not be logged; please resend it")
				: (j = json_pack("{s:s, s:s}", "type", "ack", "id", str(ev, "id")),
				   kd_frame_from_json(j));
			kd_pss_out_push(pss, f);
			lws_callback_on_writable(pss->wsi);
			json_decref(j);
			j = NULL;
		}
		if (rc >= 0) {
			json_t *push = json_pack("{s:s, s:I, s:{s:s, s:s, s:s, s:I, s:O, s:O*}}",
						 "type", "message", "conversation_id",
						 (json_int_t)sid, "message", "kind", "customer",
						 "client_id", str(ev, "id"), "text", str(ev, "text"),
						 "created_ms", (json_int_t)json_integer_value(
							 json_object_get(ev, "created_ms")),
						 "left_message", json_object_get(ev, "left_message"),
						 "contact", json_object_get(ev, "contact"));
			ops_broadcast(o, push);
			json_decref(push);
		}
		json_decref(ev);
		return;
	}
	customer_send(o, sid, j);
	json_decref(j);
	ops_broadcast(o, ev);
	json_decref(ev);
	if (dispatch_later)
		dispatch(o);                  /* someone has room again */
}

/* ---- the /ops protocol --------------------------------------------------------------------- */

static struct ops_pss *conn_find(struct kd_ops *o, uint64_t id)
{
	struct ops_pss *p;

	for (p = o->conns; p && p->id != id; p = p->next)
		;
	return p;
}

/* The operator told the customer of session sid they type (on) or stopped. */
static void typing_to_customer(struct kd_ops *o, struct ops_pss *p, int64_t sid, int on)
{
	json_t *out = json_pack("{s:s, s:s, s:s, s:b}", "type", "typing", "from", "operator",
				"name", p->name, "on", on);

	if (held_find(o, sid))
		customer_send(o, sid, out);
	json_decref(out);
	p->typing_sid = on ? sid : 0;
	p->typing_until_us = on ? cm_now_us() + OPS_TYPING_US : 0;
}

static void recheck(struct kd_ops *o, struct ops_pss *p);

/* The connections' deadlines (service thread, on each wake-up of the loop): lapsed
 * "operator is typing" and due re-checks.  The ticker thread wakes the loop once a
 * second while someone is signed in (KD_TICK_OPS; not lws timers: wake.h says why). */
static void sweep(struct kd_ops *o)
{
	uint64_t now = cm_now_us();
	int any = 0;

	for (struct ops_pss *p = o->conns; p; p = p->next) {
		if (!p->authed)
			continue;
		any = 1;
		if (p->typing_sid && now >= p->typing_until_us)
			typing_to_customer(o, p, p->typing_sid, 0);
		if (now - p->checked_us >= OPS_RECHECK_US)
			recheck(o, p);
	}
	kd_wake_want(o->wake, KD_TICK_OPS, any);
}

/* Asks an API worker whether the operator's session still holds (without moving its
 * last use); the answer comes back to kd_ops_authed. */
static void recheck(struct kd_ops *o, struct ops_pss *p)
{
	if (p->checking || p->closing)
		return;
	p->checked_us = cm_now_us();
	if (kd_api_ops_auth(o->api, p->id, p->cookie, p->host, p->ip, 1) == 0)
		p->checking = 1;                   /* queue full: the next deadline retries */
}

/* The session ended (logout, expiry, operator disabled): the connection is told with
 * the stable code session_expired and closed once that is written. */
static void lapse(struct kd_ops *o, struct ops_pss *p, int status)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "type", "error", "code", "session_expired",
			      "message", "the operator's session has ended; sign in again");

	LOG_INFO("/ops connection of operator %lld closed: session ended (%d)",
		 (long long)p->operator_id, status);
	if (p->typing_sid)
		typing_to_customer(o, p, p->typing_sid, 0);
	p->authed = 0;
	p->closing = "session_expired";
	ops_send(p, j);
	json_decref(j);
	count_online(o);
}

void kd_ops_authed(struct kd_ops *o, uint64_t conn_id, const struct api_response *res)
{
	struct ops_pss *p = o ? conn_find(o, conn_id) : NULL;
	json_t *me, *held, *j;

	if (!p)
		return;
	me = res->status == 200 && res->body ? json_loads(res->body, 0, NULL) : NULL;
	if (p->authed || p->closing) {           /* a re-check */
		p->checking = 0;
		if (!me && res->status >= 400 && res->status < 500 && !p->closing)
			lapse(o, p, res->status);
		json_decref(me);                 /* (a 5xx keeps the connection: retried) */
		return;
	}
	if (!me) {
		LOG_INFO("/ops connection refused: not signed in (%d)", res->status);
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
		return;
	}
	p->authed = 1;
	p->checked_us = cm_now_us();
	kd_wake_want(o->wake, KD_TICK_OPS, 1);
	snprintf(p->csrf, sizeof p->csrf, "%s", str(me, "csrf_token"));
	p->operator_id = json_integer_value(json_object_get(json_object_get(me, "operator"), "id"));
	cm_utf8_copy(p->name, sizeof p->name, str(json_object_get(me, "operator"), "name"));
	held = json_array();
	for (size_t i = 0; held && i < o->n_held; i++)
		json_array_append_new(held, json_pack("{s:I, s:I, s:s}", "conversation_id",
						      (json_int_t)o->held[i].session_id,
						      "operator_id", (json_int_t)o->held[i].operator_id,
						      "name", o->held[i].name));
	j = json_pack("{s:s, s:O, s:o}", "type", "hello", "operator",
		      json_object_get(me, "operator"), "taken", held ? held : json_array());
	ops_send(p, j);
	json_decref(j);
	json_decref(me);
	count_online(o);
	dispatch(o);                          /* waiting customers get this operator */
}

/* An operator's frame: {"type": "typing", "conversation_id": N, "on": bool} or ping. */
static void ops_frame(struct kd_ops *o, struct ops_pss *p)
{
	json_t *j = json_loadb(p->rx, p->rx_len, 0, NULL), *out = NULL;
	const char *type = str(j, "type");

	if (!p->authed || !j) {
		json_decref(j);
		return;
	}
	/* each frame re-checks the session too (at most once a second) */
	if (cm_now_us() - p->checked_us >= OPS_RECHECK_FRAME_US)
		recheck(o, p);
	if (!strcmp(type, "ping")) {
		out = json_pack("{s:s}", "type", "pong");
		ops_send(p, out);
	} else if (!strcmp(type, "typing")) {
		int64_t sid = json_integer_value(json_object_get(j, "conversation_id"));
		if (p->typing_sid && p->typing_sid != sid)   /* moved to another chat */
			typing_to_customer(o, p, p->typing_sid, 0);
		typing_to_customer(o, p, sid, json_is_true(json_object_get(j, "on")));
	} else {
		out = json_pack("{s:s, s:s, s:s}", "type", "error", "code", "unknown_type",
				"message", "the operator channel takes ping and typing; changes go "
				"through /api/v1");
		ops_send(p, out);
	}
	json_decref(out);
	json_decref(j);
}

/* The per-address limits (edge.c), shared with the chat channel: 0 admitted (counted
 * until CLOSED); 1 refused, the connection gets the error frame with the stable code and
 * retry_after, then closes with the code as its reason. */
static int edge_refused(struct kd_ops *o, struct ops_pss *p)
{
	int retry = 0;
	enum kd_edge_verdict v = kd_edge_admit(o->edge, p->ip, cm_now_us(), &retry);
	json_t *j;

	if (v == KD_EDGE_OK) {
		p->ip_counted = 1;
		return 0;
	}
	p->closing = kd_edge_code(v);
	LOG_INFO("/ops connection from %s refused: %s", p->ip, p->closing);
	j = v == KD_EDGE_CONNS
	    ? json_pack("{s:s, s:s, s:s}", "type", "error", "code", p->closing, "message",
			"too many connections open from your address")
	    : json_pack("{s:s, s:s, s:s, s:i}", "type", "error", "code", p->closing,
			"message", "too many new connections from your address; retry later",
			"retry_after", retry);
	ops_send(p, j);
	json_decref(j);
	return 1;
}

/* Same origin only: the Origin header must be this server's own scheme + Host (the
 * scheme as a trusted proxy says, edge.c). */
static int same_origin(struct kd_edge *edge, struct lws *wsi)
{
	char origin[300], host[256], own[300], ip[KD_IP_LEN];
	int tls;

	if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0 ||
	    lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0)
		return 0;
	kd_edge_client(edge, wsi, ip, sizeof ip, &tls);
	snprintf(own, sizeof own, "%s://%s", tls ? "https" : "http", host);
	return !strcasecmp(origin, own);
}

static int path_is_ops(struct lws *wsi)
{
	char uri[64];

	return lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) > 0 &&
	       !strcmp(uri, KD_OPS_PATH);
}

int kd_ops_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	const struct lws_protocols *proto = lws_get_protocol(wsi);
	struct kd_ops *o = proto ? proto->user : NULL;
	
	struct ops_pss *p = user;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (!o || !path_is_ops(wsi) || !same_origin(o->edge, wsi) ||
		    lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE) <= 0) {
			LOG_INFO("refused an /ops connection (path, Origin or cookie)");
			return 1;
		}
		return 0;

	case LWS_CALLBACK_ESTABLISHED:
		memset(p, 0, sizeof *p);
		p->wsi = wsi;
		p->id = ++o->next_id;
		p->next = o->conns;
		if (o->conns)
			o->conns->prev = p;
		o->conns = p;
		watch_update(o);
		if (lws_hdr_copy(wsi, p->cookie, sizeof p->cookie, WSI_TOKEN_HTTP_COOKIE) <= 0 ||
		    lws_hdr_copy(wsi, p->host, sizeof p->host, WSI_TOKEN_HOST) <= 0)
			return -1;
		kd_edge_conn_upgraded(wsi);       /* a WebSocket now: the limits of those */
		kd_edge_client(o->edge, wsi, p->ip, sizeof p->ip, NULL);
		if (edge_refused(o, p))
			return 0;
		/* signed in by an API worker: GET /api/v1/me with this cookie */
		return kd_api_ops_auth(o->api, p->id, p->cookie, p->host, p->ip, 0) ? -1 : 0;

	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:   /* any wake-up: the ticker's, results */
		if (o)
			sweep(o);
		break;

	case LWS_CALLBACK_CLOSED:
		if (!o || !p || !p->wsi)
			break;
		if (p->typing_sid && p->authed)   /* gone mid-sentence: not typing any more */
			typing_to_customer(o, p, p->typing_sid, 0);
		if (p->prev)
			p->prev->next = p->next;
		else
			o->conns = p->next;
		if (p->next)
			p->next->prev = p->prev;
		watch_update(o);
		kd_frame_free_list(p->out);
		p->out = p->out_tail = NULL;
		p->wsi = NULL;
		if (p->ip_counted)
			kd_edge_leave(o->edge, p->ip);
		count_online(o);
		break;

	case LWS_CALLBACK_RECEIVE:
		if (lws_is_first_fragment(wsi)) {
			p->rx_len = 0;
			p->rx_skip = 0;
		}
		if (p->rx_len + len > sizeof p->rx)
			p->rx_skip = 1;
		else {
			memcpy(p->rx + p->rx_len, in, len);
			p->rx_len += len;
		}
		if (lws_is_final_fragment(wsi) && !p->rx_skip)
			ops_frame(o, p);
		break;

	case LWS_CALLBACK_SERVER_WRITEABLE: {
		struct kd_frame *f = p->out;
		if (!f) {
			if (p->closing) {         /* the error is written: close */
				lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
						 (unsigned char *)p->closing,
						 strlen(p->closing));
				return -1;
			}
			break;
		}
		p->out = f->next;
		if (!p->out)
			p->out_tail = NULL;
		p->n_out--;
		int n = lws_write(wsi, KD_FRAME_PAYLOAD(f), f->len, LWS_WRITE_TEXT);
		kd_frame_free(f);
		if (n < 0)
			return -1;
		if (p->out || p->closing)
			lws_callback_on_writable(wsi);
		break;
	}

	default:
		break;
	}
	return 0;
}

void kd_ops_protocol(struct kd_ops *o, struct lws_protocols *proto)
{
	*proto = (struct lws_protocols){
		.name = KD_OPS_PROTOCOL, .callback = kd_ops_callback,
		.per_session_data_size = sizeof(struct ops_pss), .rx_buffer_size = 4096,
		.user = o,
	};
}

void kd_ops_attach(struct kd_ops *o, struct kd_registry *reg, struct store_writer *writer,
		   struct kd_api *api, struct kd_wake *wake, struct kd_edge *edge)
{
	o->edge = edge;
	o->reg = reg;
	o->writer = writer;
	o->api = api;
	o->wake = wake;
}

/* ---- the hooks handed to ws.c and http_api.c (their void * is the struct kd_ops) ---- */

static int hook_message(void *arg, struct kd_pss *pss, struct kd_req *req)
{
	return kd_ops_customer_message(arg, pss, req);
}

static int hook_held(void *arg, const struct kd_pss *pss)
{
	struct ops_held *h = held_find(arg, pss->session_id);

	return h && !h->pending;
}

static void hook_typing(void *arg, struct kd_pss *pss, int on)
{
	kd_ops_customer_typing(arg, pss, on);
}

static void hook_handoff(void *arg, struct kd_pss *pss)
{
	kd_ops_handoff_asked(arg, pss);
}

static void hook_result(void *arg, struct kd_pss *pss, struct kd_result *r)
{
	kd_ops_on_result(arg, pss, r);
}

static void hook_leave(void *arg, struct kd_pss *pss, struct kd_req *req)
{
	kd_ops_leave_message(arg, pss, req);
}

void kd_ops_ws_hooks(struct kd_ops *o, struct kd_ws_hooks *h)
{
	*h = (struct kd_ws_hooks){ .arg = o, .watching = &o->watching,
				   .customer_message = hook_message,
				   .held = hook_held, .customer_typing = hook_typing,
				   .handoff_asked = hook_handoff, .on_result = hook_result,
				   .leave_message = hook_leave };
}

static void sink_event(void *arg, const char *event_json)
{
	kd_ops_event(arg, event_json);
}

static void sink_take(void *arg, int64_t sid, int status)
{
	kd_ops_take_done(arg, sid, status);
}

static void sink_summary(void *arg, int64_t sid, const struct api_response *res)
{
	kd_ops_summary_done(arg, sid, res);
}

static void sink_authed(void *arg, uint64_t conn_id, const struct api_response *res)
{
	kd_ops_authed(arg, conn_id, res);
}

void kd_ops_api_sink(struct kd_ops *o, struct kd_api_sink *k)
{
	*k = (struct kd_api_sink){ .arg = o, .event = sink_event, .take_done = sink_take,
				   .summary_done = sink_summary, .authed = sink_authed };
}

char *kd_ops_metrics_append(struct kd_ops *o, char *text, size_t *len)
{
	char *more, *all;
	size_t m;

	if (!text || !(more = kd_ops_metrics(o)))
		return text;
	m = strlen(more);
	all = realloc(text, *len + m + 1);
	if (all) {
		memcpy(all + *len, more, m + 1);
		*len += m;
		text = all;
	}
	free(more);
	return text;
}

void kd_ops_summary_done(struct kd_ops *o, int64_t sid, const struct api_response *res)
{
	json_t *card = res->status == 200 && res->body ? json_loads(res->body, 0, NULL) : NULL;
	json_t *j;

	if (!o || !card)
		return;
	j = json_pack("{s:s, s:I, s:o}", "type", "summary", "conversation_id", (json_int_t)sid,
		      "card", card);
	ops_broadcast(o, j);
	json_decref(j);
}
