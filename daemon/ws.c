/* daemon/ws.c — the chat WebSocket protocol "kefu.v1": its lws callback (ws.h).
 *
 * DESIGN (the worker hand-off of STYLE.md).  Everything in this file runs on the lws
 * service thread.
 *  - FILTER_PROTOCOL_CONNECTION: path /ws, max_sessions, Origin (ws_origin_ok).
 *  - ESTABLISHED: register the pss (sid), queue an OPEN job (session row + welcome).
 *  - RECEIVE: reassemble fragments up to max_frame (frame_too_large, rest discarded),
 *    parse and validate (proto.c), answer ping and errors at once, rate-limit
 *    messages, turn hello/message into jobs.  An audio/image header with "bytes"
 *    parks its job in pss->upload; the next binary message (any number of fragments,
 *    at most the announced size <= max_upload) fills the job's buffer and the job is
 *    submitted like a message.  Inline base64 uploads are jobs at once.  A connection
 *    has at most one job with the workers; later ones wait in its backlog (bounded:
 *    busy), so replies keep the customer's order.  A full pool queue also answers
 *    busy, never blocks.
 *  - Workers and the store writer post results to this protocol's done list
 *    (kd_ws_post); the first result of an empty list wakes the loop (wake.h), later
 *    ones ride on that wake-up; EVENT_WAIT_CANCELLED
 *    swaps the list out under the wake lock, finds each connection by sid (gone: free),
 *    queues the frame, arms writable and dispatches the next backlog job.
 *  - A result's frames are written at once when none wait before them (send_frame_now);
 *    SERVER_WRITEABLE writes the queued ones, one per callback, re-arming while more wait.
 *  - Stop: kd_ws_request_stop sets `stop` and wakes the loop; EVENT_WAIT_CANCELLED
 *    starts lws_context_destroy from inside the loop (the only way out of a libev loop
 *    in lws 4.1), lws_service returns and the caller tears the rest down.
 */
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <time.h>

#include "budget.h"
#include "clock.h"
#include "log.h"
#include "job.h"
#include "pool.h"

#define KD_OUT_MAX 1024        /* frames waiting for a client that does not read */
#define KD_UPLOADS_WAITING 2   /* uploads (with their bytes) queued per connection at most */
#define KD_RETRY_AFTER 5       /* seconds a client refused for memory is told to wait */
#define MIB (1024ull * 1024ull)

/* The protocol's user pointer (set up by server.c); lws gives it on every callback,
 * the broadcast EVENT_WAIT_CANCELLED included. */
static struct kd_ws *ws_of(struct lws *wsi)
{
	const struct lws_protocols *p = lws_get_protocol(wsi);

	return p ? p->user : NULL;
}

/* ---- output ------------------------------------------------------------------------ */

/* Closes a connection from the service loop (lws frees it later; CLOSED follows). */
static void cut(struct kd_pss *pss)
{
	if (pss->cut)
		return;
	pss->cut = 1;
	lws_set_timeout(pss->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Queues f for the client.  A client whose unsent replies pass max_output bytes does
 * not read them: it is cut off and its output freed, so it cannot make kefud hold more. */
static void send_frame(struct kd_ws *ws, struct kd_pss *pss, struct kd_frame *f)
{
	if (!f)
		return;
	if (pss->cut) {
		kd_frame_free(f);
		return;
	}
	kd_pss_out_push(pss, f);
	if (pss->out_bytes > (size_t)ws->conf->max_output) {
		LOG_WARN("sid %llx: %zu bytes of replies unread (max_output %d): closing",
			 (unsigned long long)pss->sid, pss->out_bytes, ws->conf->max_output);
		ws->met->cut_slow++;
		cut(pss);
		return;
	}
	lws_callback_on_writable(pss->wsi);
}

/* A result's frame (apply): written at once when nothing waits before it — no frame
 * queued, nothing lws still holds of an earlier write (lws_partial_buffered), no close
 * under way — instead of queued behind a writable request.  The request costs two
 * epoll_ctl (arm, then disarm after the write) and a turn of the loop per reply; a
 * direct lws_write is one send.  A send the socket does not take whole is kept by lws
 * (lws_issue_raw buffers the rest and asks for writable itself), and every later frame
 * of the connection queues behind it, so the order holds; a failed write closes the
 * connection as the writable callback's does. */
static void send_frame_now(struct kd_ws *ws, struct kd_pss *pss, struct kd_frame *f)
{
	int n;

	if (!f)
		return;
	if (pss->out || pss->cut || pss->closing || pss->idle_cut || pss->peer_closed ||
	    lws_partial_buffered(pss->wsi)) {
		send_frame(ws, pss, f);
		return;
	}
	n = lws_write(pss->wsi, KD_FRAME_PAYLOAD(f), f->len,
		      f->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
	if (n < (int)f->len) {
		LOG_WARN("sid %llx: write failed: closing", (unsigned long long)pss->sid);
		cut(pss);
	}
	kd_frame_free(f);
}

static void send_error(struct kd_ws *ws, struct kd_pss *pss, enum kd_err code,
		       const char *id, const char *msg)
{
	ws->met->errors[code]++;
	send_frame(ws, pss, kd_frame_error(code, id, msg));
}

/* busy with "retry_after": the memory budget is used up for now. */
static void send_busy_memory(struct kd_ws *ws, struct kd_pss *pss, const char *id)
{
	ws->met->errors[KD_E_BUSY]++;
	send_frame(ws, pss, kd_frame_error_retry(KD_E_BUSY, id,
						  "kefud holds as much as it may for now; "
						  "please retry in a few seconds", KD_RETRY_AFTER));
}

/* Charges n bytes of a new job to the memory budget: 1 done (job->charged), 0 refused. */
static int charge(struct kd_job *job, size_t n)
{
	if (!kd_mem_reserve(n))
		return 0;
	job->charged += n;
	return 1;
}

/* ---- jobs -------------------------------------------------------------------------- */

/* Hands job to the pool.  0 queued; -1 answered busy (job freed). */
static int dispatch(struct kd_ws *ws, struct kd_pss *pss, struct kd_job *job)
{
	int rc;

	job->session_id = pss->session_id;
	job->resumed = pss->resumed;
	if ((rc = kd_pool_push(ws->pool, job)) == 0) {
		pss->in_flight = 1;
		return 0;
	}
	if (rc == 2) {      /* an upload that would wait past media_wait_max_ms */
		ws->met->errors[KD_E_BUSY]++;
		send_frame(ws, pss, kd_frame_error_retry(KD_E_BUSY, job->id[0] ? job->id : NULL,
							  KD_MEDIA_BUSY_MSG,
							  kd_pool_retry_after(ws->pool)));
	} else
		send_error(ws, pss, KD_E_BUSY, job->id[0] ? job->id : NULL,
			   "kefud is busy; please retry in a moment");
	if (job->kind == KD_JOB_OPEN)
		pss->closing = 1;      /* no session: nothing else could work */
	kd_job_free(job);
	return -1;
}

static void pump(struct kd_ws *ws, struct kd_pss *pss)
{
	struct kd_job *job;

	while (!pss->in_flight && !pss->closing && (job = kd_pss_backlog_pop(pss)))
		dispatch(ws, pss, job);
}

static void submit(struct kd_ws *ws, struct kd_pss *pss, struct kd_job *job)
{
	if (!pss->in_flight && !pss->backlog) {
		dispatch(ws, pss, job);
		return;
	}
	if (pss->n_backlog >= ws->backlog_max) {
		send_error(ws, pss, KD_E_BUSY, job->id[0] ? job->id : NULL,
			   "too many messages waiting on this connection; retry later");
		kd_job_free(job);
		return;
	}
	kd_pss_backlog_push(pss, job);
}

/* ---- results ----------------------------------------------------------------------- */

/* An operator's console is connected or a conversation held (ops.c): a flag read, no
 * call, so a customer's frame enters ops.c only when it may concern a person. */
static int ops_watching(const struct kd_ws *ws)
{
	return !ws->hooks.watching || *ws->hooks.watching;
}

/* A committed turn's reply: where its latency went (metrics.h, enum kd_stage). */
static void observe_stages(struct kd_ws *ws, const struct kd_result *r, uint64_t now)
{
	const uint64_t t[] = { r->t_recv_us, r->t_start_us, r->t_submit_us, r->t_done_us, now };

	for (int s = 0; s < KD_ST_COUNT; s++)
		if (t[s] && t[s + 1] >= t[s])
			cm_hist_observe(&ws->met->stage[s], (double)(t[s + 1] - t[s]) / 1e6);
}

static void apply(struct kd_ws *ws, struct kd_result *r)
{
	struct kd_pss *pss = kd_registry_find(ws->reg, r->sid);
	uint64_t now = cm_now_us();
	double latency = (double)(now - r->t_recv_us) / 1e6;

	if (!pss) {                         /* the connection closed meanwhile */
		kd_result_free(r);
		return;
	}
	pss->in_flight = 0;
	switch (r->kind) {
	case KD_RES_SESSION:
		pss->session_id = r->session_id;
		pss->resumed = r->resumed != 0;
		memcpy(pss->token, r->token, sizeof pss->token);
		break;
	case KD_RES_REPLY:
		ws->met->kinds[KD_K_REPLY]++;
		ws->met->kinds[KD_K_FALLBACK] += r->fallback != 0;
		if (r->predict_ns) {
			ws->met->predict_ns += r->predict_ns;
			ws->met->predict_count++;
		}
		cm_hist_observe(&ws->met->latency, latency);
		if (r->t_done_us)
			observe_stages(ws, r, now);
		break;
	case KD_RES_RESEND:
		ws->met->kinds[KD_K_RESEND]++;
		cm_hist_observe(&ws->met->latency, latency);
		break;
	case KD_RES_ERROR:
		ws->met->errors[r->err < KD_E_COUNT ? r->err : KD_E_INTERNAL]++;
		if (r->closes)
			pss->closing = 1;
		break;
	case KD_RES_RETRY:
		kd_pss_backlog_push_front(pss, r->job);
		r->job = NULL;
		break;
	}
	if (r->media)
		cm_hist_observe(&ws->met->media[r->media == 1 ? KD_MEDIA_AUDIO : KD_MEDIA_IMAGE],
				r->media_seconds);
	ws->met->audio_seconds += r->media == 1 ? r->audio_seconds : 0;
	/* live inbox, hand-off queue (ops.c): a hand-off's ack always, the rest while
	 * an operator watches */
	if (ws->hooks.on_result && (r->kind == KD_RES_FRAME || ops_watching(ws)))
		ws->hooks.on_result(ws->hooks.arg, pss, r);
	while (r->frame) {                  /* a chain: transcript/seen, reply, speech */
		struct kd_frame *f = r->frame;
		r->frame = f->next;
		send_frame_now(ws, pss, f);
	}
	if (pss->closing)
		lws_callback_on_writable(pss->wsi);
	kd_result_free(r);
	pump(ws, pss);
}

static void drain_done(struct kd_ws *ws)
{
	struct kd_result *list, *next;

	kd_wake_lock(ws->wake);
	list = ws->done;
	ws->done = ws->done_tail = NULL;
	kd_wake_unlock(ws->wake);
	for (; list; list = next) {
		next = list->next;
		apply(ws, list);
	}
}

/* ---- from other threads ------------------------------------------------------------ */

void kd_ws_post(void *arg, struct kd_result *r)
{
	struct kd_ws *ws = arg;
	int wake;

	r->next = NULL;
	kd_wake_lock(ws->wake);
	/* Only the first result of a list wakes the loop: while the list is not empty a
	 * wake-up is on its way and the drain it triggers takes this result too.  A batch
	 * the writer commits thus costs one wake-up, not one per reply. */
	wake = !ws->done;
	if (ws->done_tail)
		ws->done_tail->next = r;
	else
		ws->done = r;
	ws->done_tail = r;
	if (wake)
		kd_wake_unlock_and_wake(ws->wake);
	else
		kd_wake_unlock(ws->wake);
}

void kd_ws_request_stop(struct kd_ws *ws)
{
	atomic_store(&ws->stop, 1);
	kd_wake_lock(ws->wake);
	kd_wake_unlock_and_wake(ws->wake);
}

void kd_ws_free_pending(struct kd_ws *ws)
{
	struct kd_result *r, *next;

	for (r = ws->done; r; r = next) {
		next = r->next;
		kd_result_free(r);
	}
	ws->done = ws->done_tail = NULL;
}

/* ---- input ------------------------------------------------------------------------- */

/* Restarts the connection's idle_timeout clock (a frame arrived). */
static void idle_restart(struct kd_pss *pss)
{
	pss->idle_set_us = cm_now_us();
}

/* Closes (1001 "idle") the connections silent for idle_timeout: at most once a second, on
 * the wake-ups the ticker makes while connections are open (KD_TICK_IDLE; not lws
 * timers, which fire late under lws 4.1 + libev: wake.h).  Service thread. */
static void idle_sweep(struct kd_ws *ws)
{
	uint64_t now = cm_now_us(), limit = (uint64_t)ws->conf->idle_timeout * 1000000u;

	if (ws->conf->idle_timeout <= 0 || now - ws->idle_swept_us < 1000000)
		return;
	ws->idle_swept_us = now;
	for (uint32_t i = 0; i < ws->reg->used; i++) {
		struct kd_pss *pss = ws->reg->slot[i];
		if (!pss || pss->cut || pss->idle_cut || now - pss->idle_set_us < limit)
			continue;
		LOG_INFO("sid %llx: silent for %d s: closing", (unsigned long long)pss->sid,
			 ws->conf->idle_timeout);
		ws->met->cut_idle++;
		pss->idle_cut = 1;
		lws_callback_on_writable(pss->wsi);
	}
}

/* Drops what follows the content's end (budget.h kd_trim_len) before anything decodes or stores the
 * upload, and gives the memory back. */
static void trim_upload(struct kd_job *job)
{
	size_t n = kd_trim_len(job->data, job->data_len);
	unsigned char *p;

	if (n >= job->data_len)
		return;
	LOG_DEBUG("upload %s: %zu bytes after the content's end dropped", job->id,
		  job->data_len - n);
	job->data_len = n;
	job->data_want = n;
	if (n && (p = realloc(job->data, n)))
		job->data = p;
	if (job->charged > job->data_len + job->text_len) {
		kd_mem_release(job->charged - job->data_len - job->text_len);
		job->charged = job->data_len + job->text_len;
	}
}

/* A text frame other than ping arrived while an upload's binary message was awaited:
 * the upload is dropped with upload_expected (the frame itself is then handled). */
static void drop_upload(struct kd_ws *ws, struct kd_pss *pss)
{
	struct kd_job *job = pss->upload;

	pss->upload_skip = 0;
	if (!job)
		return;
	pss->upload = NULL;
	pss->upload_cap = 0;
	send_error(ws, pss, KD_E_UPLOAD_EXPECTED, job->id,
		   "the announced upload's binary message did not come next; it was dropped");
	kd_job_free(job);
}

/* An audio/image header.  Inline data goes to the workers at once; a binary upload
 * waits in pss->upload for its bytes (on_receive). */
/* Refuses an upload header: answers code (msg; NULL = busy for memory, with
 * retry_after) and skips the binary message it announced. */
static void refuse_upload(struct kd_ws *ws, struct kd_pss *pss, struct kd_req *req,
			  enum kd_err code, const char *msg)
{
	pss->upload_skip = req->has_bytes;
	if (msg)
		send_error(ws, pss, code, req->id, msg);
	else
		send_busy_memory(ws, pss, req->id);
	kd_req_clear(req);
}

/* The checks an upload header must pass before a job exists: the refusal's error code
 * with its text in *msg, or -1. */
static int upload_refusal(struct kd_ws *ws, struct kd_pss *pss, const struct kd_req *req,
			  uint64_t now, const char **msg)
{
	const struct kefu_conf *c = ws->conf;
	int audio = req->type == KD_REQ_AUDIO;

	if (!kd_pss_rate_ok(pss, now, c->rate_limit)) {
		*msg = "too many messages; please wait a few seconds";
		return KD_E_RATE_LIMITED;
	}
	if (audio ? !c->asr : !c->vision) {
		*msg = audio ? "voice messages are turned off on this server"
			     : "pictures are turned off on this server";
		return audio ? KD_E_UNSUPPORTED_AUDIO : KD_E_UNSUPPORTED_IMAGE;
	}
	if (pss->n_backlog_uploads >= KD_UPLOADS_WAITING) {
		/* each waiting upload holds up to max_upload bytes: bound them per connection */
		*msg = "uploads are waiting on this connection; send this one again later";
		return KD_E_BUSY;
	}
	if (req->has_bytes && req->bytes > (size_t)c->max_upload) {
		*msg = "the upload is larger than max_upload bytes";
		return KD_E_UPLOAD_TOO_LARGE;
	}
	if (!kd_disk_ok(ws->disk)) {
		*msg = "the server's disk is nearly full; uploads are paused";
		return KD_E_STORAGE_FULL;
	}
	return -1;
}

static void handle_upload(struct kd_ws *ws, struct kd_pss *pss, struct kd_req *req,
			  uint64_t now)
{
	const struct kefu_conf *c = ws->conf;
	int audio = req->type == KD_REQ_AUDIO;
	size_t want = req->has_bytes ? req->bytes : req->data_len;
	int64_t day_s = (int64_t)time(NULL);
	const char *msg = NULL;
	char skey[32];
	struct kd_job *job;
	int e = upload_refusal(ws, pss, req, now, &msg);

	if (e >= 0) {
		refuse_upload(ws, pss, req, (enum kd_err)e, msg);
		return;
	}
	job = kd_job_new(audio ? KD_JOB_AUDIO : KD_JOB_IMAGE, pss->sid, now);
	if (!job) {
		refuse_upload(ws, pss, req, KD_E_INTERNAL, "out of memory");
		return;
	}
	/* the announced size is reserved now: the buffer never grows past it */
	if (!charge(job, want + req->text_len)) {
		kd_job_free(job);
		refuse_upload(ws, pss, req, KD_E_BUSY, NULL);
		return;
	}
	/* per-day quotas, counted on what is received (a bound of what is stored); a
	 * session not welcomed yet counts as "s0" */
	snprintf(skey, sizeof skey, "s%lld", (long long)pss->session_id);
	if (kd_quota_take(ws->q_session, skey, want,
			  (uint64_t)c->upload_quota_session * MIB, day_s) ||
	    kd_quota_take(ws->q_ip, pss->ip, want, (uint64_t)c->upload_quota_ip * MIB,
			  day_s)) {
		kd_job_free(job);
		refuse_upload(ws, pss, req, KD_E_QUOTA_EXCEEDED,
			      "this chat has sent as many pictures and voice clips as it may "
			      "today");
		return;
	}
	memcpy(job->id, req->id, sizeof job->id);
	memcpy(job->mime, req->mime, sizeof job->mime);
	job->speak = req->speak;
	/* a person holds the session: logged for them, the bot does not answer (ops.c) */
	job->held = ws->hooks.held && ops_watching(ws) && ws->hooks.held(ws->hooks.arg, pss);
	job->text = req->text;                 /* moves (image words, may be NULL) */
	job->text_len = req->text_len;
	job->data = req->data;                 /* moves (inline form) */
	job->data_len = req->data_len;
	job->data_want = want;
	req->text = NULL;
	req->data = NULL;
	ws->met->kinds[audio ? KD_K_AUDIO : KD_K_IMAGE]++;
	if (req->has_bytes && req->bytes > 0) {
		pss->upload = job;             /* on_receive collects the bytes */
		pss->upload_cap = 0;
		return;
	}
	/* "bytes":0 announces nothing to wait for; an empty binary message sent anyway
	 * is swallowed */
	pss->upload_skip = req->has_bytes;
	trim_upload(job);
	submit(ws, pss, job);
}

static void handle_frame(struct kd_ws *ws, struct kd_pss *pss, const char *buf,
			 size_t len)
{
	const struct kefu_conf *c = ws->conf;
	struct kd_req req;
	struct kd_job *job;
	uint64_t now = cm_now_us();

	if (kd_proto_parse(buf, len, c->max_text, &req)) {
		drop_upload(ws, pss);
		send_error(ws, pss, req.err, req.has_id ? req.id : NULL, req.err_msg);
		return;
	}
	if (req.type != KD_REQ_PING)
		drop_upload(ws, pss);
	switch (req.type) {
	case KD_REQ_PING:
		ws->met->kinds[KD_K_PING]++;
		send_frame(ws, pss, kd_frame_pong());
		return;
	case KD_REQ_HELLO:
		/* a hello costs a history read and up to history_bytes of output */
		if (!kd_pss_rate_ok(pss, now, c->rate_limit)) {
			send_error(ws, pss, KD_E_RATE_LIMITED, req.has_id ? req.id : NULL,
				   "too many frames; please wait a few seconds");
			return;
		}
		if (kd_mem_used() + (size_t)c->history_bytes > kd_mem_limit()) {
			send_busy_memory(ws, pss, req.has_id ? req.id : NULL);
			return;
		}
		job = kd_job_new(KD_JOB_HELLO, pss->sid, now);
		if (!job)
			break;
		job->value = req.value;                /* "before": history paging */
		memcpy(job->token, req.token, sizeof job->token);
		if (req.has_id)
			memcpy(job->id, req.id, sizeof job->id);
		ws->met->kinds[KD_K_HELLO]++;
		submit(ws, pss, job);
		return;
	case KD_REQ_MESSAGE:
		if (!kd_pss_rate_ok(pss, now, c->rate_limit)) {
			send_error(ws, pss, KD_E_RATE_LIMITED, req.id,
				   "too many messages; please wait a few seconds");
			kd_req_clear(&req);
			return;
		}
		if (ws->hooks.customer_message && ops_watching(ws) &&   /* taken over (ops.c) */
		    ws->hooks.customer_message(ws->hooks.arg, pss, &req)) {
			ws->met->kinds[KD_K_MESSAGE]++;
			kd_req_clear(&req);
			return;
		}
		job = kd_job_new(KD_JOB_MESSAGE, pss->sid, now);
		if (!job)
			break;
		if (!charge(job, req.text_len)) {
			kd_job_free(job);
			send_busy_memory(ws, pss, req.id);
			kd_req_clear(&req);
			return;
		}
		memcpy(job->id, req.id, sizeof job->id);
		job->text = req.text;          /* moves */
		job->text_len = req.text_len;
		req.text = NULL;
		ws->met->kinds[KD_K_MESSAGE]++;
		submit(ws, pss, job);
		return;
	case KD_REQ_FEEDBACK:
	case KD_REQ_RATING:
	case KD_REQ_HANDOFF:
		if (!kd_pss_rate_ok(pss, now, c->rate_limit)) {
			send_error(ws, pss, KD_E_RATE_LIMITED, req.id,
				   "too many frames; please wait a few seconds");
			kd_req_clear(&req);
			return;
		}
		if (req.type == KD_REQ_HANDOFF && ws->hooks.handoff_asked)
			ws->hooks.handoff_asked(ws->hooks.arg, pss);
		job = kd_job_feedback_new(&req, pss->sid, now);
		if (!job)
			break;
		ws->met->kinds[req.type == KD_REQ_FEEDBACK ? KD_K_FEEDBACK
			       : req.type == KD_REQ_RATING ? KD_K_RATING : KD_K_HANDOFF]++;
		submit(ws, pss, job);
		return;
	case KD_REQ_AUDIO:
	case KD_REQ_IMAGE:
		handle_upload(ws, pss, &req, now);
		return;
	case KD_REQ_TYPING:
		if (ws->hooks.customer_typing)
			ws->hooks.customer_typing(ws->hooks.arg, pss, req.value);
		return;
	case KD_REQ_LEAVE_MESSAGE:
		if (!kd_pss_rate_ok(pss, now, c->rate_limit)) {
			send_error(ws, pss, KD_E_RATE_LIMITED, req.id,
				   "too many messages; please wait a few seconds");
			kd_req_clear(&req);
			return;
		}
		if (ws->hooks.leave_message)
			ws->hooks.leave_message(ws->hooks.arg, pss, &req);
		kd_req_clear(&req);
		return;
	}
	kd_req_clear(&req);
	send_error(ws, pss, KD_E_INTERNAL, req.has_id ? req.id : NULL, "out of memory");
}

/* Binary piece of the pending upload: append, or refuse a message longer than
 * announced (upload_too_large, the upload dropped, the rest of the message skipped). */
static void upload_piece(struct kd_ws *ws, struct kd_pss *pss, const void *in,
			 size_t len)
{
	int rc = kd_pss_upload_append(pss, in, len);

	if (!rc)
		return;
	send_error(ws, pss, rc > 0 ? KD_E_UPLOAD_TOO_LARGE : KD_E_INTERNAL, pss->upload->id,
		   rc > 0 ? "the binary message is longer than the announced bytes"
			  : "out of memory");
	kd_job_free(pss->upload);
	pss->upload = NULL;
	pss->upload_cap = 0;
	pss->rx_skip = 1;
}

/* RECEIVE: one piece of a WebSocket message.  Returns -1 to drop the connection. */
static int on_receive(struct kd_ws *ws, struct kd_pss *pss, struct lws *wsi,
		      const void *in, size_t len)
{
	if (pss->closing || pss->cut)
		return 0;
	idle_restart(pss);
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
				send_error(ws, pss, KD_E_UNSUPPORTED_FRAME, NULL,
					   "binary frames need an announced upload");
			}
			pss->upload_skip = 0;
		}
	}
	if (pss->rx_binary) {
		if (pss->rx_upload && !pss->rx_skip)
			upload_piece(ws, pss, in, len);
	} else if (!pss->rx_skip) {
		int rc = kd_pss_rx_append(pss, in, len, (size_t)ws->conf->max_frame);
		if (rc) {
			pss->rx_skip = 1;
			if (rc > 0)
				send_error(ws, pss, KD_E_FRAME_TOO_LARGE, NULL,
					   "the message is larger than max_frame bytes");
			else
				send_error(ws, pss, KD_E_INTERNAL, NULL, "out of memory");
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
			trim_upload(job);
			submit(ws, pss, job);
		}
	} else if (!pss->rx_skip)
		handle_frame(ws, pss, (const char *)pss->rx, pss->rx_len);
	kd_pss_rx_reset(pss);
	return 0;
}

/* ---- upgrade filter ---------------------------------------------------------------- */

/* The Origin of a browser's upgrade must be one kefud knows: its own listen address
 * (kd_ws.own_origin) or one listed in `origins`.  The Host header is not trusted:
 * a page on evil.example whose name resolves to this machine (DNS rebinding) sends
 * Host: evil.example itself. */
static int origin_ok(struct kd_ws *ws, struct lws *wsi)
{
	char origin[512];
	int n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);

	if (n <= 0)
		return 1;                   /* not a browser: command-line clients, kefu-voice */
	if (ws->any_origin)
		return 1;
	if (n >= (int)sizeof origin ||
	    lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0)
		return 0;
	if (ws->own_origin(ws->arg, origin))
		return 1;
	for (int i = 0; i < ws->n_origins; i++)
		if (!strcasecmp(origin, ws->origins[i]))
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

/* The per-address limits (edge.c): 0 admitted; 1 refused, the connection gets the
 * error frame and closes after it. */
static int edge_refused(struct kd_ws *ws, struct kd_pss *pss)
{
	int retry = 0;
	enum kd_edge_verdict v = kd_edge_admit(ws->edge, pss->ip, cm_now_us(), &retry);
	enum kd_err code = v == KD_EDGE_CONNS ? KD_E_TOO_MANY_CONNECTIONS : KD_E_TOO_MANY_SESSIONS;

	if (v == KD_EDGE_OK) {
		pss->ip_counted = 1;
		return 0;
	}
	ws->met->errors[code]++;
	pss->refused = v;
	send_frame(ws, pss, v == KD_EDGE_CONNS
		   ? kd_frame_error(code, NULL, "too many chats open from your address")
		   : kd_frame_error_retry(code, NULL, "too many new chats from your address; "
				  "please retry later", retry));
	pss->closing = 1;
	return 1;
}

/* ---- the protocol callback ----------------------------------------------------------- */

int kd_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		       void *in, size_t len)
{
	struct kd_ws *ws = ws_of(wsi);
	struct kd_pss *pss = user;
	struct kd_frame *f;
	struct kd_job *job;
	int n;

	switch (reason) {
	case LWS_CALLBACK_FILTER_HTTP_CONNECTION:  /* every HTTP request: pages, routes */
		return ws ? kd_routes_filter(wsi, ws->routes) : 0;

	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:  /* every accepted connection */
		if (ws)
			kd_routes_accepted(wsi, ws->routes);
		return 0;

	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (!path_ok(wsi)) {
			ws->met->rejected_path++;
			return 1;
		}
		if (ws->met->sessions_open >= ws->conf->max_sessions) {
			ws->met->rejected_full++;
			LOG_WARN("max_sessions (%d) reached: refusing a connection",
				 ws->conf->max_sessions);
			return 1;
		}
		if (!origin_ok(ws, wsi)) {
			ws->met->rejected_origin++;
			return 1;
		}
		return 0;

	case LWS_CALLBACK_ESTABLISHED:
		memset(pss, 0, sizeof *pss);
		pss->wsi = wsi;
		if (kd_registry_add(ws->reg, pss))
			return -1;
		kd_edge_conn_upgraded(wsi);       /* a WebSocket now: the limits of those */
		kd_edge_client(ws->edge, wsi, pss->ip, sizeof pss->ip, NULL);
		idle_restart(pss);
		ws->met->sessions_open++;
		kd_wake_want(ws->wake, KD_TICK_IDLE, ws->conf->idle_timeout > 0);
		ws->met->sessions_total++;
		if (edge_refused(ws, pss))
			return 0;
		job = kd_job_new(KD_JOB_OPEN, pss->sid, cm_now_us());
		if (!job)
			return -1;
		if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_ACCEPT_LANGUAGE) > 0) {
			char al[128];   /* the welcome's language (pool.c do_open) */
			if (lws_hdr_copy(wsi, al, sizeof al, WSI_TOKEN_HTTP_ACCEPT_LANGUAGE) > 0)
				job->text = strdup(al);
		}
		submit(ws, pss, job);
		return 0;

	case LWS_CALLBACK_CLOSED:
		if (!pss || !pss->sid)
			break;
		kd_registry_remove(ws->reg, pss);
		if (pss->ip_counted)
			kd_edge_leave(ws->edge, pss->ip);
		kd_pss_clear(pss);
		ws->met->sessions_open--;
		if (!ws->met->sessions_open)
			kd_wake_want(ws->wake, KD_TICK_IDLE, 0);
		break;

	case LWS_CALLBACK_RECEIVE:
		return on_receive(ws, pss, wsi, in, len);

	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:  /* lws answers it: no direct write after */
		if (pss)
			pss->peer_closed = 1;
		break;

	case LWS_CALLBACK_SERVER_WRITEABLE:
		f = kd_pss_out_pop(pss);
		if (!f) {
			if (pss->idle_cut) {
				lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY,
						 (unsigned char *)"idle", 4);
				return -1;
			}
			if (pss->closing) {      /* a refusal's reason is its code */
				const char *why = kd_edge_code(pss->refused);
				lws_close_reason(wsi, why ? LWS_CLOSE_STATUS_POLICY_VIOLATION
						 : LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
						 (unsigned char *)why, why ? strlen(why) : 0);
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
		if (!ws)
			break;
		if (atomic_load(&ws->stop)) {
			if (!ws->destroying) {
				ws->destroying = 1;
				LOG_INFO("stopping: closing connections");
				lws_context_destroy(lws_get_context(wsi));
			}
			break;
		}
		drain_done(ws);
		idle_sweep(ws);
		break;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
