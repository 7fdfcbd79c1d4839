/* daemon/server.c — the lws context and the chat WebSocket protocol "kefu.v1".
 *
 * DESIGN (the worker hand-off of STYLE.md).  Everything in this file except
 * kd_server_post and kd_server_request_stop runs on the lws service thread.
 *  - ESTABLISHED: register the pss (sid), queue an OPEN job (session row + welcome).
 *  - RECEIVE: reassemble fragments up to max_frame (frame_too_large, rest discarded),
 *    parse and validate (proto.c), answer ping and errors at once, rate-limit
 *    messages, turn hello/message into jobs.  An audio/image header with "bytes"
 *    parks its job in pss->upload; the next binary message (any number of fragments,
 *    at most the announced size <= max_upload) fills the job's buffer and the job is
 *    submitted like a message.  Inline base64 uploads are jobs at once.  A connection has at most one job with
 *    the workers; later ones wait in its backlog (bounded: busy), so replies keep the
 *    customer's order.  A full pool queue also answers busy, never blocks.
 *  - Workers and the store writer post results to the done list and call
 *    lws_cancel_service; EVENT_WAIT_CANCELLED swaps the list out under done_lock,
 *    finds each connection by sid (gone: free), queues the frame, arms writable and
 *    dispatches the next backlog job.
 *  - SERVER_WRITEABLE writes one frame per callback and re-arms while more wait.
 *  - Stop: request_stop sets `stop` and wakes the loop; EVENT_WAIT_CANCELLED starts
 *    lws_context_destroy from inside the loop (the only way out of a libev loop in
 *    lws 4.1), lws_service returns and the caller tears the rest down.
 */
#include "server.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bots.h"
#include "clock.h"
#include "http_api.h"
#include "ops.h"
#include "log.h"
#include "people.h"
#include "store.h"

#define KD_WS_PROTOCOL "kefu.v1"
#define KD_WS_PATH "/ws"
#define KD_OUT_MAX 1024        /* frames waiting for a client that does not read */
#define KD_BACKLOG_MAX 256
#define KD_UPLOADS_WAITING 2   /* uploads (with their bytes) queued per connection at most */

static struct kd_server *server_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* ---- output ------------------------------------------------------------------------ */

static void send_frame(struct kd_pss *pss, struct kd_frame *f)
{
	if (!f)
		return;
	kd_pss_out_push(pss, f);
	lws_callback_on_writable(pss->wsi);
}

static void send_error(struct kd_server *srv, struct kd_pss *pss, enum kd_err code,
		       const char *id, const char *msg)
{
	srv->met.errors[code]++;
	send_frame(pss, kd_frame_error(code, id, msg));
}

/* ---- jobs -------------------------------------------------------------------------- */

/* Hands job to the pool.  0 queued; -1 answered busy (job freed). */
static int dispatch(struct kd_server *srv, struct kd_pss *pss, struct kd_job *job)
{
	job->session_id = pss->session_id;
	if (kd_pool_push(srv->pool, job) == 0) {
		pss->in_flight = 1;
		return 0;
	}
	send_error(srv, pss, KD_E_BUSY, job->id[0] ? job->id : NULL,
		   "kefud is busy; please retry in a moment");
	if (job->kind == KD_JOB_OPEN)
		pss->closing = 1;      /* no session: nothing else could work */
	kd_job_free(job);
	return -1;
}

static void pump(struct kd_server *srv, struct kd_pss *pss)
{
	struct kd_job *job;

	while (!pss->in_flight && !pss->closing && (job = kd_pss_backlog_pop(pss)))
		dispatch(srv, pss, job);
}

static void submit(struct kd_server *srv, struct kd_pss *pss, struct kd_job *job)
{
	if (!pss->in_flight && !pss->backlog) {
		dispatch(srv, pss, job);
		return;
	}
	if (pss->n_backlog >= srv->backlog_max) {
		send_error(srv, pss, KD_E_BUSY, job->id[0] ? job->id : NULL,
			   "too many messages waiting on this connection; retry later");
		kd_job_free(job);
		return;
	}
	kd_pss_backlog_push(pss, job);
}

/* ---- results ----------------------------------------------------------------------- */

void kd_server_post(void *arg, struct kd_result *r)
{
	struct kd_server *srv = arg;

	r->next = NULL;
	pthread_mutex_lock(&srv->done_lock);
	if (srv->done_tail)
		srv->done_tail->next = r;
	else
		srv->done = r;
	srv->done_tail = r;
	if (srv->live)
		lws_cancel_service(srv->ctx);
	pthread_mutex_unlock(&srv->done_lock);
}

void kd_server_request_stop(struct kd_server *srv)
{
	atomic_store(&srv->stop, 1);
	pthread_mutex_lock(&srv->done_lock);
	if (srv->live)
		lws_cancel_service(srv->ctx);
	pthread_mutex_unlock(&srv->done_lock);
}

static void apply(struct kd_server *srv, struct kd_result *r)
{
	struct kd_pss *pss = kd_registry_find(&srv->reg, r->sid);
	double latency = (double)(cm_now_us() - r->t_recv_us) / 1e6;

	if (!pss) {                         /* the connection closed meanwhile */
		kd_result_free(r);
		return;
	}
	pss->in_flight = 0;
	switch (r->kind) {
	case KD_RES_SESSION:
		pss->session_id = r->session_id;
		memcpy(pss->token, r->token, sizeof pss->token);
		break;
	case KD_RES_REPLY:
		srv->met.kinds[KD_K_REPLY]++;
		srv->met.kinds[KD_K_FALLBACK] += r->fallback != 0;
		kd_metrics_latency(&srv->met, latency);
		break;
	case KD_RES_RESEND:
		srv->met.kinds[KD_K_RESEND]++;
		kd_metrics_latency(&srv->met, latency);
		break;
	case KD_RES_ERROR:
		srv->met.errors[r->err < KD_E_COUNT ? r->err : KD_E_INTERNAL]++;
		if (r->closes)
			pss->closing = 1;
		break;
	case KD_RES_RETRY:
		kd_pss_backlog_push_front(pss, r->job);
		r->job = NULL;
		break;
	}
	if (r->media)
		kd_metrics_media(&srv->met, r->media == 1 ? KD_MEDIA_AUDIO : KD_MEDIA_IMAGE,
				 r->media_seconds, r->audio_seconds);
	kd_ops_on_result(srv, pss, r);      /* ops hook: live inbox, hand-off queue */
	while (r->frame) {                  /* a chain: transcript/seen, reply, speech */
		struct kd_frame *f = r->frame;
		r->frame = f->next;
		send_frame(pss, f);
	}
	if (pss->closing)
		lws_callback_on_writable(pss->wsi);
	kd_result_free(r);
	pump(srv, pss);
}

static void drain_done(struct kd_server *srv)
{
	struct kd_result *list, *next;

	pthread_mutex_lock(&srv->done_lock);
	list = srv->done;
	srv->done = srv->done_tail = NULL;
	pthread_mutex_unlock(&srv->done_lock);
	for (; list; list = next) {
		next = list->next;
		apply(srv, list);
	}
}

/* ---- input ------------------------------------------------------------------------- */

/* A text frame other than ping arrived while an upload's binary message was awaited:
 * the upload is dropped with upload_expected (the frame itself is then handled). */
static void drop_upload(struct kd_server *srv, struct kd_pss *pss)
{
	struct kd_job *job = pss->upload;

	pss->upload_skip = 0;
	if (!job)
		return;
	pss->upload = NULL;
	pss->upload_cap = 0;
	send_error(srv, pss, KD_E_UPLOAD_EXPECTED, job->id,
		   "the announced upload's binary message did not come next; it was dropped");
	kd_job_free(job);
}

/* An audio/image header.  Inline data goes to the workers at once; a binary upload
 * waits in pss->upload for its bytes (on_receive). */
static void handle_upload(struct kd_server *srv, struct kd_pss *pss, struct kd_req *req,
			  uint64_t now)
{
	const struct kefu_conf *c = srv->conf;
	int audio = req->type == KD_REQ_AUDIO;
	struct kd_job *job;

	if (!kd_pss_rate_ok(pss, now, c->rate_limit)) {
		pss->upload_skip = req->has_bytes;
		send_error(srv, pss, KD_E_RATE_LIMITED, req->id,
			   "too many messages; please wait a few seconds");
		kd_req_clear(req);
		return;
	}
	if (audio ? !c->asr : !c->vision) {
		pss->upload_skip = req->has_bytes;
		send_error(srv, pss, audio ? KD_E_UNSUPPORTED_AUDIO : KD_E_UNSUPPORTED_IMAGE,
			   req->id, audio ? "voice messages are turned off on this server"
					  : "pictures are turned off on this server");
		kd_req_clear(req);
		return;
	}
	if (pss->n_backlog_uploads >= KD_UPLOADS_WAITING) {
		/* each waiting upload holds up to max_upload bytes: bound them per connection */
		pss->upload_skip = req->has_bytes;
		send_error(srv, pss, KD_E_BUSY, req->id,
			   "uploads are waiting on this connection; send this one again later");
		kd_req_clear(req);
		return;
	}
	if (req->has_bytes && req->bytes > (size_t)c->max_upload) {
		pss->upload_skip = 1;
		send_error(srv, pss, KD_E_UPLOAD_TOO_LARGE, req->id,
			   "the upload is larger than max_upload bytes");
		kd_req_clear(req);
		return;
	}
	job = kd_job_new(audio ? KD_JOB_AUDIO : KD_JOB_IMAGE, pss->sid, now);
	if (!job) {
		pss->upload_skip = req->has_bytes;
		send_error(srv, pss, KD_E_INTERNAL, req->id, "out of memory");
		kd_req_clear(req);
		return;
	}
	memcpy(job->id, req->id, sizeof job->id);
	memcpy(job->mime, req->mime, sizeof job->mime);
	job->speak = req->speak;
	job->text = req->text;                 /* moves (image words, may be NULL) */
	job->text_len = req->text_len;
	job->data = req->data;                 /* moves (inline form) */
	job->data_len = req->data_len;
	job->data_want = req->has_bytes ? req->bytes : req->data_len;
	req->text = NULL;
	req->data = NULL;
	srv->met.kinds[audio ? KD_K_AUDIO : KD_K_IMAGE]++;
	if (req->has_bytes && req->bytes > 0) {
		pss->upload = job;             /* on_receive collects the bytes */
		pss->upload_cap = 0;
		return;
	}
	/* "bytes":0 announces nothing to wait for; an empty binary message sent anyway
	 * is swallowed */
	pss->upload_skip = req->has_bytes;
	submit(srv, pss, job);
}

static void handle_frame(struct kd_server *srv, struct kd_pss *pss, const char *buf,
			 size_t len)
{
	const struct kefu_conf *c = srv->conf;
	struct kd_req req;
	struct kd_job *job;
	uint64_t now = cm_now_us();

	if (kd_proto_parse(buf, len, c->max_text, &req)) {
		drop_upload(srv, pss);
		send_error(srv, pss, req.err, req.has_id ? req.id : NULL, req.err_msg);
		return;
	}
	if (req.type != KD_REQ_PING)
		drop_upload(srv, pss);
	switch (req.type) {
	case KD_REQ_PING:
		srv->met.kinds[KD_K_PING]++;
		send_frame(pss, kd_frame_pong());
		return;
	case KD_REQ_HELLO:
		job = kd_job_new(KD_JOB_HELLO, pss->sid, now);
		if (!job)
			break;
		memcpy(job->token, req.token, sizeof job->token);
		if (req.has_id)
			memcpy(job->id, req.id, sizeof job->id);
		srv->met.kinds[KD_K_HELLO]++;
		submit(srv, pss, job);
		return;
	case KD_REQ_MESSAGE:
		if (!kd_pss_rate_ok(pss, now, c->rate_limit)) {
			send_error(srv, pss, KD_E_RATE_LIMITED, req.id,
				   "too many messages; please wait a few seconds");
			kd_req_clear(&req);
			return;
		}
		if (kd_ops_customer_message(srv, pss, &req)) {   /* ops hook: taken over */
			srv->met.kinds[KD_K_MESSAGE]++;
			kd_req_clear(&req);
			return;
		}
		job = kd_job_new(KD_JOB_MESSAGE, pss->sid, now);
		if (!job)
			break;
		memcpy(job->id, req.id, sizeof job->id);
		job->text = req.text;          /* moves */
		job->text_len = req.text_len;
		req.text = NULL;
		srv->met.kinds[KD_K_MESSAGE]++;
		submit(srv, pss, job);
		return;
	case KD_REQ_FEEDBACK:
	case KD_REQ_RATING:
	case KD_REQ_HANDOFF:
		if (!kd_pss_rate_ok(pss, now, c->rate_limit)) {
			send_error(srv, pss, KD_E_RATE_LIMITED, req.id,
				   "too many frames; please wait a few seconds");
			kd_req_clear(&req);
			return;
		}
		if (req.type == KD_REQ_HANDOFF)
			kd_ops_handoff_asked(srv, pss);          /* ops hook */
		job = kd_people_job_new(&req, pss->sid, now);
		if (!job)
			break;
		srv->met.kinds[req.type == KD_REQ_FEEDBACK ? KD_K_FEEDBACK
			       : req.type == KD_REQ_RATING ? KD_K_RATING : KD_K_HANDOFF]++;
		submit(srv, pss, job);
		return;
	case KD_REQ_AUDIO:
	case KD_REQ_IMAGE:
		handle_upload(srv, pss, &req, now);
		return;
	case KD_REQ_TYPING:                                      /* ops hook */
		kd_ops_customer_typing(srv, pss, req.value);
		return;
	case KD_REQ_LEAVE_MESSAGE:                               /* ops hook */
		if (!kd_pss_rate_ok(pss, now, c->rate_limit)) {
			send_error(srv, pss, KD_E_RATE_LIMITED, req.id,
				   "too many messages; please wait a few seconds");
			kd_req_clear(&req);
			return;
		}
		kd_ops_leave_message(srv, pss, &req);
		kd_req_clear(&req);
		return;
	}
	kd_req_clear(&req);
	send_error(srv, pss, KD_E_INTERNAL, req.has_id ? req.id : NULL, "out of memory");
}

/* Binary piece of the pending upload: append, or refuse a message longer than
 * announced (upload_too_large, the upload dropped, the rest of the message skipped). */
static void upload_piece(struct kd_server *srv, struct kd_pss *pss, const void *in,
			 size_t len)
{
	int rc = kd_pss_upload_append(pss, in, len);

	if (!rc)
		return;
	send_error(srv, pss, rc > 0 ? KD_E_UPLOAD_TOO_LARGE : KD_E_INTERNAL, pss->upload->id,
		   rc > 0 ? "the binary message is longer than the announced bytes"
			  : "out of memory");
	kd_job_free(pss->upload);
	pss->upload = NULL;
	pss->upload_cap = 0;
	pss->rx_skip = 1;
}

/* RECEIVE: one piece of a WebSocket message.  Returns -1 to drop the connection. */
static int on_receive(struct kd_server *srv, struct kd_pss *pss, struct lws *wsi,
		      const void *in, size_t len)
{
	if (pss->closing)
		return 0;
	if (pss->n_out > KD_OUT_MAX) {
		LOG_WARN("sid %llx: client does not read its replies; closing",
			 (unsigned long long)pss->sid);
		return -1;
	}
	if (lws_is_first_fragment(wsi)) {
		kd_pss_rx_reset(pss);
		pss->rx_binary = lws_frame_is_binary(wsi) != 0;
		if (pss->rx_binary) {
			if (pss->upload)
				pss->rx_upload = 1;
			else if (pss->upload_skip)
				pss->rx_skip = 1;      /* bytes of a refused announcement */
			else {
				pss->rx_skip = 1;
				send_error(srv, pss, KD_E_UNSUPPORTED_FRAME, NULL,
					   "binary frames need an announced upload");
			}
			pss->upload_skip = 0;
		}
	}
	if (pss->rx_binary) {
		if (pss->rx_upload && !pss->rx_skip)
			upload_piece(srv, pss, in, len);
	} else if (!pss->rx_skip) {
		int rc = kd_pss_rx_append(pss, in, len, (size_t)srv->conf->max_frame);
		if (rc) {
			pss->rx_skip = 1;
			if (rc > 0)
				send_error(srv, pss, KD_E_FRAME_TOO_LARGE, NULL,
					   "the message is larger than max_frame bytes");
			else
				send_error(srv, pss, KD_E_INTERNAL, NULL, "out of memory");
		}
	}
	if (!lws_is_final_fragment(wsi))
		return 0;
	if (pss->rx_binary) {
		if (pss->rx_upload && !pss->rx_skip) {
			/* the whole upload is here (a shorter message than announced is
			 * decoded as sent: the decoders judge cut data) */
			struct kd_job *job = pss->upload;
			pss->upload = NULL;
			pss->upload_cap = 0;
			submit(srv, pss, job);
		}
	} else if (!pss->rx_skip)
		handle_frame(srv, pss, (const char *)pss->rx, pss->rx_len);
	kd_pss_rx_reset(pss);
	return 0;
}

/* ---- upgrade filter ---------------------------------------------------------------- */

static int origin_ok(struct kd_server *srv, struct lws *wsi)
{
	char origin[512], host[256], own[300];
	int n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);

	if (n <= 0)
		return 1;                   /* not a browser: command-line clients, kefu-voice */
	if (srv->any_origin)
		return 1;
	if (n >= (int)sizeof origin ||
	    lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0)
		return 0;
	if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) > 0) {
		snprintf(own, sizeof own, "http://%s", host);
		if (!strcasecmp(origin, own))
			return 1;
		snprintf(own, sizeof own, "https://%s", host);
		if (!strcasecmp(origin, own))
			return 1;
	}
	for (int i = 0; i < srv->n_origins; i++)
		if (!strcasecmp(origin, srv->origins[i]))
			return 1;
	LOG_WARN("refused WebSocket from Origin %s", origin);
	return 0;
}

static int path_ok(struct lws *wsi)
{
	char uri[128];
	int n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
	size_t plen = strlen(KD_WS_PATH);

	return n > 0 && !strncmp(uri, KD_WS_PATH, plen) &&
	       (uri[plen] == '\0' || uri[plen] == '?');
}

/* ---- the protocol callback ----------------------------------------------------------- */

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		       void *in, size_t len)
{
	struct kd_server *srv = server_of(wsi);
	struct kd_pss *pss = user;
	struct kd_frame *f;
	struct kd_job *job;
	int n;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (!path_ok(wsi)) {
			srv->met.rejected_path++;
			return 1;
		}
		if (srv->met.sessions_open >= srv->conf->max_sessions) {
			srv->met.rejected_full++;
			LOG_WARN("max_sessions (%d) reached: refusing a connection",
				 srv->conf->max_sessions);
			return 1;
		}
		if (!origin_ok(srv, wsi)) {
			srv->met.rejected_origin++;
			return 1;
		}
		return 0;

	case LWS_CALLBACK_ESTABLISHED:
		memset(pss, 0, sizeof *pss);
		pss->wsi = wsi;
		if (kd_registry_add(&srv->reg, pss))
			return -1;
		srv->met.sessions_open++;
		srv->met.sessions_total++;
		job = kd_job_new(KD_JOB_OPEN, pss->sid, cm_now_us());
		if (!job)
			return -1;
		submit(srv, pss, job);
		return 0;

	case LWS_CALLBACK_CLOSED:
		if (!pss || !pss->sid)
			break;
		kd_registry_remove(&srv->reg, pss);
		kd_pss_clear(pss);
		srv->met.sessions_open--;
		break;

	case LWS_CALLBACK_RECEIVE:
		return on_receive(srv, pss, wsi, in, len);

	case LWS_CALLBACK_SERVER_WRITEABLE:
		f = kd_pss_out_pop(pss);
		if (!f) {
			if (pss->closing) {
				lws_close_reason(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
						 NULL, 0);
				return -1;
			}
			break;
		}
		n = lws_write(wsi, KD_FRAME_PAYLOAD(f), f->len,
			      f->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
		if (n < (int)f->len) {
			kd_frame_free(f);
			return -1;
		}
		kd_frame_free(f);
		if (pss->out || pss->closing)
			lws_callback_on_writable(wsi);
		break;

	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (!srv)
			break;
		if (atomic_load(&srv->stop)) {
			if (!srv->destroying) {
				srv->destroying = 1;
				LOG_INFO("stopping: closing connections");
				lws_context_destroy(srv->ctx);
			}
			break;
		}
		drain_done(srv);
		break;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* lws's event library callbacks carry no user pointer: one server per process. */
static struct kd_server *signal_srv;

/* libev's SIGINT watcher (lws installs it in the service thread) calls this there. */
static void on_signal(void *handle, int signum)
{
	(void)handle;
	LOG_INFO("signal %d", signum);
	if (signal_srv)
		kd_server_request_stop(signal_srv);
}

/* ---- set-up and tear-down -------------------------------------------------------------- */

static int parse_origins(struct kd_server *srv, char *err, size_t errlen)
{
	char *save = NULL, *tok;

	srv->origins_buf = strdup(srv->conf->origins);
	if (!srv->origins_buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (tok = strtok_r(srv->origins_buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok); e > tok && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (!*tok)
			continue;
		if (!strcmp(tok, "*")) {
			srv->any_origin = 1;
			continue;
		}
		if (srv->n_origins == KD_MAX_ORIGINS) {
			snprintf(err, errlen, "origins: more than %d entries", KD_MAX_ORIGINS);
			return -1;
		}
		srv->origins[srv->n_origins++] = tok;
	}
	return 0;
}

/* Resolves the listen host into a numeric address for lws's iface ("" = any).
 * Sets *v4 when it is an IPv4 address. */
static int resolve_iface(struct kd_server *srv, const char *host, int *v4, char *err,
			 size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc;

	*v4 = 0;
	srv->iface[0] = '\0';
	if (!host[0] || !strcmp(host, "*") || !strcmp(host, "0.0.0.0") || !strcmp(host, "::"))
		return 0;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "listen: cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, srv->iface, sizeof srv->iface, NULL, 0,
			 NI_NUMERICHOST);
	*v4 = res->ai_family == AF_INET;
	freeaddrinfo(res);
	if (rc) {
		snprintf(err, errlen, "listen: cannot use '%s'", host);
		return -1;
	}
	return 0;
}

static int write_port_file(const char *path, int port, char *err, size_t errlen)
{
	char tmp[CONF_STR_MAX + 16];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f)) {
		snprintf(err, errlen, "port_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (rename(tmp, path)) {
		snprintf(err, errlen, "port_file %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void lws_log_emit(int level, const char *line)
{
	int cl = level & LLL_ERR ? CM_LOG_ERR : level & LLL_WARN ? CM_LOG_WARN : CM_LOG_DEBUG;
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	cm_log_write(cl, "lws", "%.*s", (int)n, line);
}

/* 1 if lws can load its libev event-loop plugin (package libwebsockets-evlib-ev). */
static int have_libev_plugin(void)
{
	void *h = dlopen("libwebsockets-evlib_ev.so", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return 0;
	dlclose(h);
	return 1;
}

static void setup_mounts(struct kd_server *srv)
{
	struct lws_http_mount *m;

	m = &srv->m_files;
	m->mountpoint = "/";
	m->mountpoint_len = 1;
	m->origin = srv->conf->web_root;
	m->def = "index.html";
	m->origin_protocol = LWSMPRO_FILE;
	m->protocol = "http";          /* its ADD_HEADERS: CORS on scripts (routes.c) */

	m = &srv->m_metrics;
	m->mount_next = &srv->m_files;
	m->mountpoint = "/metrics";
	m->mountpoint_len = 8;
	m->protocol = "http";
	m->origin_protocol = LWSMPRO_CALLBACK;

	m = &srv->m_healthz;
	m->mount_next = &srv->m_metrics;
	m->mountpoint = "/healthz";
	m->mountpoint_len = 8;
	m->protocol = "http";
	m->origin_protocol = LWSMPRO_CALLBACK;

	srv->protocols[0] = (struct lws_protocols){
		.name = "http", .callback = kd_routes_callback,
		.per_session_data_size = kd_routes_pss_size(),
	};
	srv->protocols[1] = (struct lws_protocols){
		.name = KD_WS_PROTOCOL, .callback = ws_callback,
		.per_session_data_size = sizeof(struct kd_pss), .rx_buffer_size = 8192,
	};
	kd_api_setup(srv, &srv->protocols[2]);   /* ops hook: /api/ (http_api.c) */
	kd_ops_setup(srv, &srv->protocols[3]);   /* ops hook: /ops (ops.c) */
	/* protocols[4] stays zeroed: the terminator */

	/* Clients that ask for no subprotocol get kefu.v1 too. */
	srv->pvo_default.name = "default";
	srv->pvo_default.value = "1";
	srv->pvo.name = KD_WS_PROTOCOL;
	srv->pvo.options = &srv->pvo_default;
}

struct kd_server *kd_server_create(const struct kefu_conf *conf, struct kd_bots *bots,
				   struct store_writer *writer, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct kd_server *srv = calloc(1, sizeof *srv);
	char host[CONF_STR_MAX], index[CONF_STR_MAX + 16];
	int port, v4, libev;

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->conf = conf;
	srv->bots = bots;
	srv->writer = writer;
	pthread_mutex_init(&srv->done_lock, NULL);
	kd_registry_init(&srv->reg);
	kd_metrics_init(&srv->met);
	srv->backlog_max = conf->queue_size < KD_BACKLOG_MAX ? (unsigned)conf->queue_size
							     : KD_BACKLOG_MAX;
	if (parse_origins(srv, err, errlen))
		goto fail;
	if (conf_listen_split(conf, host, sizeof host, &port)) {
		snprintf(err, errlen, "listen: '%s' is not host:port", conf->listen);
		goto fail;
	}
	if (resolve_iface(srv, host, &v4, err, errlen))
		goto fail;
	snprintf(index, sizeof index, "%s/index.html", conf->web_root);
	if (access(index, R_OK))
		LOG_WARN("web_root %s has no index.html: / will answer 404", conf->web_root);
	setup_mounts(srv);

	lws_set_log_level(conf->log_level >= CM_LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE
							  : LLL_ERR | LLL_WARN,
			  lws_log_emit);

	libev = have_libev_plugin();
	if (!libev)
		LOG_WARN("libev plugin for lws not found (install libwebsockets-evlib-ev): "
			 "falling back to poll(), which costs O(connections) per loop turn");
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = srv->iface[0] ? srv->iface : NULL;
	info.protocols = srv->protocols;
	info.pvo = &srv->pvo;
	info.mounts = &srv->m_healthz;
	info.vhost_name = "default";
	info.user = srv;
	info.signal_cb = on_signal;
	info.pt_serv_buf_size = (unsigned)conf->serv_buf;
	info.options = LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	if (v4)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	if (libev)
		info.options |= LWS_SERVER_OPTION_LIBEV;
	srv->event_loop = libev ? "libev" : "poll";
	signal_srv = srv;

	srv->ctx = lws_create_context(&info);
	if (!srv->ctx) {
		snprintf(err, errlen, "cannot serve on %s (address in use or not available?)",
			 conf->listen);
		goto fail;
	}
	srv->vh = lws_get_vhost_by_name(srv->ctx, "default");
	srv->port = srv->vh ? lws_get_vhost_listen_port(srv->vh) : -1;
	if (srv->port <= 0) {
		snprintf(err, errlen, "cannot listen on %s", conf->listen);
		goto fail;
	}
	if (conf->port_file[0] && write_port_file(conf->port_file, srv->port, err, errlen))
		goto fail;
	pthread_mutex_lock(&srv->done_lock);
	srv->live = 1;
	pthread_mutex_unlock(&srv->done_lock);
	LOG_INFO("listening on %s port %d (%s event loop); chat at http://%s:%d/",
		 srv->iface[0] ? srv->iface : "*", srv->port, srv->event_loop,
		 srv->iface[0] ? srv->iface : "127.0.0.1", srv->port);
	return srv;
fail:
	kd_server_destroy(srv);
	return NULL;
}

int kd_server_run(struct kd_server *srv, struct kd_pool *pool)
{
	srv->pool = pool;
	while (!srv->destroying) {
		if (lws_service(srv->ctx, 0) != 0)
			break;
	}
	return 0;
}

void kd_server_quiesce(struct kd_server *srv)
{
	pthread_mutex_lock(&srv->done_lock);
	srv->live = 0;
	pthread_mutex_unlock(&srv->done_lock);
}

void kd_server_destroy(struct kd_server *srv)
{
	struct kd_result *r, *next;

	if (!srv)
		return;
	kd_server_quiesce(srv);
	if (srv->ctx)
		lws_context_destroy(srv->ctx);
	if (signal_srv == srv)
		signal_srv = NULL;
	for (r = srv->done; r; r = next) {
		next = r->next;
		kd_result_free(r);
	}
	kd_registry_free(&srv->reg);
	free(srv->origins_buf);
	pthread_mutex_destroy(&srv->done_lock);
	free(srv);
}

void kd_server_gauges(struct kd_server *srv, struct kd_gauges *g, char *model,
		      size_t modellen)
{
	struct store_writer_stats ws;

	memset(g, 0, sizeof *g);
	if (srv->pool) {
		g->queue_depth = kd_pool_depth(srv->pool);
		g->queue_cap = kd_pool_capacity(srv->pool);
		g->workers = kd_pool_workers(srv->pool);
	}
	store_writer_get_stats(srv->writer, &ws);
	g->turns = ws.turns;
	g->batches = ws.batches;
	g->turns_failed = ws.failed;
	g->writer_queued = ws.queued;
	kd_bots_info(srv->bots, model, modellen, &g->answers, &g->reloads);
	g->model = model;
	g->event_loop = srv->event_loop;
}
