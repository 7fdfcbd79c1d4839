/* bench/ws/wsload.c — wsload: WebSocket load generator for kefud's chat protocol (and for
 * wsecho, the bare lws echo server it is compared with).
 *
 * N client connections on one lws context driven by a libev loop (one thread).  Each
 * message is {"type":"message","id":"c<conn>-<seq>","text":...}; its answer is the frame
 * carrying the same id: kefud's reply (or error), or the echoed frame itself.  Latency is
 * send -> matching answer.  Two modes:
 *   closed loop  each connection sends its next message when the previous one is answered
 *   fixed rate   --rate R messages per second in total, spread round-robin over connections
 * The run lasts --duration seconds after --warmup (or until --messages are sent), then
 * waits up to --grace seconds for answers still outstanding; those never answered are
 * "lost".  Prints a readable summary and one machine-readable line starting "RESULT".
 *
 * Latency is counted from when a message was due, not from when the client got round to
 * sending it: at a fixed rate message k is due at start + (k+1)/R whatever happened
 * before, so a client that falls behind (it shares the machine's cores with the server)
 * cannot hide the delay it suffered — no coordinated omission.  In closed loop a message
 * is due when the answer before it arrived.  Beside it: the latency from the actual send
 * (what the server alone adds, plus the client's receive path) and the client's own
 * lateness (send - due).  A message is measured when it was due inside the window.
 *
 * Threads: everything runs on the loop thread (lws callbacks, the libev tick timer and
 * the check watcher that hands out due messages after each poll).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsbench.h"
#include "buf.h"
#include "file.h"
#include "jsonw.h"

#define MAX_CODES 32
#define CONNECT_BURST 64        /* connection attempts in flight at once */

enum phase { PH_CONNECT, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };
enum cstate { C_IDLE, C_CONNECTING, C_OPEN, C_READY, C_CLOSED };

struct slot {
	uint64_t t_us;          /* send time */
	uint64_t t_due_us;      /* when it was due (fixed rate: its place in the schedule) */
	uint32_t seq;
	uint8_t busy;           /* sent, not yet answered */
};

struct conn {
	struct lws *wsi;
	unsigned idx;
	enum cstate state;
	uint32_t next_seq;
	unsigned queued;        /* messages due to be sent */
	unsigned outstanding;
	unsigned char *rx;      /* frame being collected */
	size_t rxlen, rxcap;
	struct slot *ring;      /* R.ring_size slots: seq % ring_size */
	uint64_t *due;          /* R.ring_size: due time of the queued message seq (by
				   seq % ring_size, seq = next_seq .. next_seq + queued - 1) */
};

/* A growing array of microsecond samples. */
struct samples {
	uint32_t *v;
	size_t n, cap;
};

struct opts {
	const char *host, *path, *proto;
	int port, conns, echo;
	double rate, duration, warmup, grace;
	long messages;          /* total to send; 0 = by duration */
	char *text;             /* JSON-escaped; NULL = rotate the built-in questions */
	char **lines;           /* --texts: JSON-escaped lines to rotate instead, or NULL */
	size_t n_lines;
};

static struct {
	struct opts o;
	struct wb_loop wl;
	struct conn *c;
	uint32_t ring_size;     /* outstanding messages tracked per connection (power of 2) */
	enum phase phase;
	unsigned next_connect, connecting, ready, failed, closed_early;
	uint64_t t0, t_measure, t_end, t_drain_end, t_last;
	double scheduled;       /* fixed rate: messages handed out so far */
	unsigned rr;
	long sent, sent_measured, replies, replies_window, answered, unmatched, overflow;
	struct samples lat;     /* due -> answer, messages due in the measured window */
	struct samples lat_sent; /* sent -> answer, the same messages */
	struct samples late;    /* due -> sent, the same messages: the client's lateness */
	struct { char code[40]; long n; } codes[MAX_CODES];
	int ncodes;
	ev_timer tick;
	ev_check check;
	char first_conn_err[200];
} R;

/* Questions from the demo store, English and Chinese (JSON-safe as written). */
static const char *const texts[] = {
	"I lost my card", "How do I top up my account?", "Where is my new card?",
	"My transfer has not arrived yet", "What exchange rate do you use?",
	"Can I change my PIN?", "\u6211\u7684\u5361\u4e22\u4e86",
	"\u600e\u4e48\u4fee\u6539\u5bc6\u7801", "\u6211\u60f3\u9000\u6b3e",
	"Why was I charged a fee for my transfer?",
};

static int cb_client(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		     void *in, size_t len);

static const struct lws_protocols protocols[] = {
	{ "wsload", cb_client, 0, WB_SERV_BUF, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void count_code(const char *code)
{
	for (int i = 0; i < R.ncodes; i++)
		if (!strcmp(R.codes[i].code, code)) {
			R.codes[i].n++;
			return;
		}
	if (R.ncodes == MAX_CODES)
		code = "(other)";
	int i = R.ncodes < MAX_CODES ? R.ncodes++ : MAX_CODES - 1;
	snprintf(R.codes[i].code, sizeof R.codes[i].code, "%s", code);
	R.codes[i].n++;
}

static void sample_push(struct samples *a, uint64_t us)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1 << 16;
		uint32_t *l = realloc(a->v, cap * sizeof *l);
		if (!l)
			return;         /* keep running; this sample is dropped */
		a->v = l;
		a->cap = cap;
	}
	a->v[a->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int sending(void)
{
	if (R.phase != PH_WARMUP && R.phase != PH_MEASURE)
		return 0;
	return !R.o.messages || R.sent < R.o.messages;
}

/* Queues one message on c, due at due_us (a message queued while ring_size others
 * still wait to be sent takes over the due time of the one ring_size places before). */
static void want_send(struct conn *c, uint64_t due_us)
{
	c->due[(c->next_seq + c->queued) & (R.ring_size - 1)] = due_us;
	c->queued++;
	lws_callback_on_writable(c->wsi);
}

static int send_one(struct conn *c);

/* Fixed rate, from the loop's timer or check watcher (outside any lws callback): sends
 * c's message due at due_us at once when nothing of c waits to go out — nothing queued,
 * nothing lws still buffers of an earlier write — instead of asking for a writable
 * callback, which costs two epoll_ctl a message (arming and disarming POLLOUT) and a
 * turn of the loop: the client shares the cores with the server it measures.  A write
 * that fails leaves the message outstanding (counted lost); lws closes the connection. */
static void send_due(struct conn *c, uint64_t due_us)
{
	if (c->queued || lws_partial_buffered(c->wsi)) {
		want_send(c, due_us);
		return;
	}
	c->due[c->next_seq & (R.ring_size - 1)] = due_us;
	send_one(c);
}

static void connect_more(void);

static void start_load(void)
{
	R.t0 = wb_now_us();
	R.t_measure = R.t0 + (uint64_t)(R.o.warmup * 1e6);
	R.t_end = R.t_measure + (uint64_t)(R.o.duration * 1e6);
	R.phase = R.o.warmup > 0 ? PH_WARMUP : PH_MEASURE;
	if (!R.ready) {
		R.phase = PH_DONE;
		ev_break(R.wl.loop, EVBREAK_ALL);
		return;
	}
	if (R.o.rate > 0)
		return;         /* the tick hands messages out */
	for (int i = 0; i < R.o.conns; i++)
		if (R.c[i].state == C_READY)
			want_send(&R.c[i], R.t0);
}

static void conn_settled(void)
{
	if (R.phase == PH_CONNECT && R.ready + R.failed == (unsigned)R.o.conns)
		start_load();
}

static void conn_ready(struct conn *c)
{
	if (c->state == C_READY)
		return;
	c->state = C_READY;
	R.ready++;
	if (R.phase == PH_CONNECT)
		conn_settled();
	else if (sending() && R.o.rate <= 0)
		want_send(c, wb_now_us());
}

static void connect_more(void)
{
	while (R.next_connect < (unsigned)R.o.conns && R.connecting < CONNECT_BURST) {
		struct conn *c = &R.c[R.next_connect++];
		struct lws_client_connect_info ci;

		memset(&ci, 0, sizeof ci);
		ci.context = R.wl.ctx;
		ci.address = R.o.host;
		ci.port = R.o.port;
		ci.path = R.o.path;
		ci.host = R.o.host;
		ci.protocol = *R.o.proto ? R.o.proto : NULL;
		ci.local_protocol_name = "wsload";
		ci.userdata = c;
		ci.pwsi = &c->wsi;
		c->state = C_CONNECTING;
		R.connecting++;
		if (!lws_client_connect_via_info(&ci)) {
			/* lws already ran CONNECTION_ERROR for most failures; count the rest */
			if (c->state == C_CONNECTING) {
				R.connecting--;
				c->state = C_CLOSED;
				R.failed++;
			}
		}
	}
	conn_settled();
}

static void on_answer(struct conn *c, const char *type, const char *buf, size_t len)
{
	char id[80], code[40];
	unsigned ci, seq;
	uint64_t now = wb_now_us();

	if (wb_json_str(buf, len, "id", id, sizeof id) < 0 ||
	    sscanf(id, "c%u-%u", &ci, &seq) != 2 || ci != c->idx) {
		if (!strcmp(type, "error") && wb_json_str(buf, len, "code", code, sizeof code) >= 0)
			count_code(code);
		else
			R.unmatched++;
		return;
	}
	struct slot *s = &c->ring[seq & (R.ring_size - 1)];
	if (!s->busy || s->seq != seq) {
		R.unmatched++;  /* a duplicate, or an answer after its slot was reused */
		return;
	}
	s->busy = 0;
	c->outstanding--;
	R.answered++;
	R.t_last = now;
	if (!strcmp(type, "error")) {
		count_code(wb_json_str(buf, len, "code", code, sizeof code) >= 0 ? code : "?");
	} else {
		R.replies++;
		if (now >= R.t_measure && now < R.t_end)
			R.replies_window++;
		if (s->t_due_us >= R.t_measure && (s->t_due_us < R.t_end || R.o.messages)) {
			sample_push(&R.lat, now - s->t_due_us);
			sample_push(&R.lat_sent, now - s->t_us);
		}
	}
	if (R.o.rate <= 0 && sending())
		want_send(c, now);
}

static void on_frame(struct conn *c, const unsigned char *buf, size_t len)
{
	char type[32];

	if (wb_json_str((const char *)buf, len, "type", type, sizeof type) < 0)
		snprintf(type, sizeof type, "?");
	if (!strcmp(type, "welcome")) {
		conn_ready(c);
		return;
	}
	if (R.o.echo || !strcmp(type, "reply") || !strcmp(type, "error"))
		on_answer(c, type, (const char *)buf, len);
}

static int send_one(struct conn *c)
{
	unsigned char buf[LWS_PRE + 1024];
	uint32_t seq = c->next_seq++;
	const char *text = R.o.text ? R.o.text
		: R.o.lines ? R.o.lines[((size_t)c->idx * 7919 + seq) % R.o.n_lines]
		: texts[(c->idx + seq) % (sizeof texts / sizeof *texts)];
	int n = snprintf((char *)buf + LWS_PRE, sizeof buf - LWS_PRE,
			 "{\"type\":\"message\",\"id\":\"c%u-%u\",\"text\":\"%s\"}",
			 c->idx, seq, text);
	struct slot *s = &c->ring[seq & (R.ring_size - 1)];

	if (n < 0 || (size_t)n >= sizeof buf - LWS_PRE)
		return -1;
	if (s->busy) {          /* ring_size messages outstanding: give the oldest up */
		R.overflow++;
		c->outstanding--;
	}
	s->seq = seq;
	s->t_us = wb_now_us();
	s->t_due_us = c->due[seq & (R.ring_size - 1)];
	if (s->t_due_us > s->t_us)
		s->t_due_us = s->t_us;
	s->busy = 1;
	c->outstanding++;
	R.sent++;
	if (s->t_due_us >= R.t_measure && (s->t_due_us < R.t_end || R.o.messages)) {
		R.sent_measured++;
		sample_push(&R.late, s->t_us - s->t_due_us);
	}
	if (lws_write(c->wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_TEXT) < n)
		return -1;
	return 0;
}

static int cb_client(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		     void *in, size_t len)
{
	struct conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (!c)
			break;
		if (!R.first_conn_err[0])
			snprintf(R.first_conn_err, sizeof R.first_conn_err, "%s",
				 in ? (const char *)in : "(no reason)");
		if (c->state == C_CONNECTING)
			R.connecting--;
		c->state = C_CLOSED;
		R.failed++;
		connect_more();
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		R.connecting--;
		c->state = C_OPEN;
		if (R.o.echo)
			conn_ready(c);
		connect_more();
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c->rxlen + len > c->rxcap) {
			size_t cap = (c->rxlen + len) * 2;
			unsigned char *b = realloc(c->rx, cap);
			if (!b)
				return -1;
			c->rx = b;
			c->rxcap = cap;
		}
		memcpy(c->rx + c->rxlen, in, len);
		c->rxlen += len;
		if (lws_is_final_fragment(wsi)) {
			on_frame(c, c->rx, c->rxlen);
			c->rxlen = 0;
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!c->queued)
			break;
		if (!sending()) {
			c->queued = 0;
			break;
		}
		c->queued--;
		if (send_one(c))
			return -1;
		if (c->queued)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!c)
			break;
		if (c->state == C_READY)
			R.ready--;
		if (R.phase < PH_DRAIN)
			R.closed_early++;
		c->state = C_CLOSED;
		c->wsi = NULL;
		break;
	default:
		break;
	}
	return 0;
}

static long outstanding(void)
{
	long n = 0;

	for (int i = 0; i < R.o.conns; i++)
		n += R.c[i].outstanding;
	return n;
}

/* Fixed rate: hands out, round-robin over the ready connections, the messages that fell
 * due by now (message k is due at t0 + (k+1)/rate whenever this runs; none due after the
 * window's end unless --messages). */
static void hand_out(uint64_t now)
{
	if (R.o.rate <= 0 || !sending() || !R.ready)
		return;
	if (!R.o.messages && now > R.t_end)
		now = R.t_end;
	double due = R.o.rate * (double)(now - R.t0) / 1e6;
	for (; R.scheduled + 1 <= due && sending(); R.scheduled++) {
		struct conn *c = NULL;
		for (int k = 0; k < R.o.conns && !c; k++) {
			struct conn *x = &R.c[R.rr++ % (unsigned)R.o.conns];
			if (x->state == C_READY)
				c = x;
		}
		if (!c)
			break;
		send_due(c, R.t0 + (uint64_t)((R.scheduled + 1) * 1e6 / R.o.rate));
	}
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	uint64_t now = wb_now_us();

	(void)w;
	(void)revents;
	if (R.phase == PH_WARMUP && now >= R.t_measure)
		R.phase = PH_MEASURE;
	hand_out(now);
	if (R.phase == PH_MEASURE && ((!R.o.messages && now >= R.t_end) ||
				      (R.o.messages && R.sent >= R.o.messages))) {
		R.phase = PH_DRAIN;
		if (R.o.messages)
			R.t_end = now;
		R.t_drain_end = now + (uint64_t)(R.o.grace * 1e6);
	}
	if (R.phase == PH_DRAIN && (!outstanding() || now >= R.t_drain_end)) {
		R.phase = PH_DONE;
		ev_break(loop, EVBREAK_ALL);
	}
}

/* After every poll of the loop (answers arriving, writes): the messages due by now go
 * out without waiting for the tick, whose timer libev's epoll backend rounds up to a
 * whole millisecond. */
static void on_check(struct ev_loop *loop, ev_check *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	hand_out(wb_now_us());
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The p quantile of sorted samples a, in milliseconds (p = 1: the largest). */
static double pct_ms(const struct samples *a, double p)
{
	if (!a->n)
		return NAN;
	size_t i = (size_t)ceil(p * (double)a->n) - (p > 0);
	if (i >= a->n)
		i = a->n - 1;
	return a->v[i] / 1000.0;
}

static void report(void)
{
	double secs = R.o.messages ? (double)(R.t_last - R.t_measure) / 1e6 : R.o.duration;
	double rps = secs > 0 ? (R.o.messages ? R.replies : R.replies_window) / secs : 0;
	long lost = outstanding() + R.overflow;
	long errors = 0;
	char codes[512] = "";
	size_t off = 0;

	qsort(R.lat.v, R.lat.n, sizeof *R.lat.v, cmp_u32);
	qsort(R.lat_sent.v, R.lat_sent.n, sizeof *R.lat_sent.v, cmp_u32);
	qsort(R.late.v, R.late.n, sizeof *R.late.v, cmp_u32);
	for (int i = 0; i < R.ncodes; i++) {
		errors += R.codes[i].n;
		off += (size_t)snprintf(codes + off, off < sizeof codes ? sizeof codes - off : 0,
					" err_%s=%ld", R.codes[i].code, R.codes[i].n);
		if (off >= sizeof codes)
			off = sizeof codes - 1;
	}
	printf("wsload: %d connections (%u ready, %u failed%s%s), %s, %.1f s measured\n",
	       R.o.conns, R.ready, R.failed, R.first_conn_err[0] ? ": " : "",
	       R.first_conn_err, R.o.rate > 0 ? "fixed rate" : "closed loop", secs);
	if (R.o.rate > 0)
		printf("  offered %.0f msg/s, sent %.0f msg/s in the measured window\n", R.o.rate,
		       secs > 0 ? R.sent_measured / secs : 0);
	printf("  replies/s %.0f   latency ms (from when due) p50 %.3f  p90 %.3f  p99 %.3f  "
	       "max %.3f\n", rps, pct_ms(&R.lat, 0.5), pct_ms(&R.lat, 0.9), pct_ms(&R.lat, 0.99),
	       pct_ms(&R.lat, 1));
	printf("  latency ms from the send: p50 %.3f  p99 %.3f;  the client's own lateness "
	       "(sent - due): p50 %.3f  p99 %.3f  max %.3f\n", pct_ms(&R.lat_sent, 0.5),
	       pct_ms(&R.lat_sent, 0.99), pct_ms(&R.late, 0.5), pct_ms(&R.late, 0.99),
	       pct_ms(&R.late, 1));
	printf("  sent %ld  answered %ld  replies %ld  errors %ld%s  lost %ld (%ld beyond the "
	       "%u tracked per connection)  unmatched %ld  closed early %u\n", R.sent, R.answered,
	       R.replies, errors, codes, lost, R.overflow, R.ring_size, R.unmatched,
	       R.closed_early);
	printf("RESULT conns=%d ready=%u failed=%u replies_per_s=%.1f p50_ms=%.3f p90_ms=%.3f "
	       "p99_ms=%.3f max_ms=%.3f p50_sent_ms=%.3f p99_sent_ms=%.3f late_p50_ms=%.3f "
	       "late_p99_ms=%.3f late_max_ms=%.3f sent=%ld replies=%ld errors=%ld lost=%ld "
	       "unmatched=%ld%s\n", R.o.conns, R.ready, R.failed, rps, pct_ms(&R.lat, 0.5),
	       pct_ms(&R.lat, 0.9), pct_ms(&R.lat, 0.99), pct_ms(&R.lat, 1),
	       pct_ms(&R.lat_sent, 0.5), pct_ms(&R.lat_sent, 0.99), pct_ms(&R.late, 0.5),
	       pct_ms(&R.late, 0.99), pct_ms(&R.late, 1), R.sent, R.replies, errors, lost,
	       R.unmatched, codes);
	fflush(stdout);
}

/* s as the inside of a JSON string (common/jsonw.c's escaping, without the quotes), in a
 * new buffer; NULL when s is not valid UTF-8 or memory is out. */
static char *json_escape(const char *s)
{
	struct cm_buf b = {0};

	cm_jw_str(&b, s);
	if (b.oom || b.len < 2) {
		free(b.p);
		return NULL;
	}
	memmove(b.p, b.p + 1, b.len - 2);
	b.p[b.len - 2] = '\0';
	return b.p;
}

/* --texts FILE: each non-empty line of FILE that is UTF-8 (up to 900 bytes, JSON-escaped: a frame's
 * buffer is 1 KB) to rotate through.  0, or -1 when it cannot be read or holds none. */
static int read_lines(struct opts *o, const char *path)
{
	size_t len, cap = 0;
	char *buf = cm_read_file(path, &len), *save = NULL;

	if (!buf)
		return -1;
	for (char *line = strtok_r(buf, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char *e = json_escape(line);
		if (!e || strlen(e) > 900) {
			free(e);
			continue;
		}
		char **nv = cm_grow(o->lines, &cap, o->n_lines + 1, sizeof *nv, 1024);
		if (!nv) {
			free(e);
			break;
		}
		o->lines = nv;
		o->lines[o->n_lines++] = e;
	}
	free(buf);
	return o->n_lines ? 0 : -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wsload --port N [options]\n"
		"  --host H          server address (127.0.0.1)\n"
		"  --port N          server port (required)\n"
		"  --path P          WebSocket path (/ws)\n"
		"  --protocol S      subprotocol to ask for (kefu.v1; \"\" for none)\n"
		"  -c, --conns N     connections (10)\n"
		"  --rate R          fixed rate: R messages/s in total (default: closed loop)\n"
		"  -d, --duration S  measured seconds (5)\n"
		"  --warmup S        seconds before measuring (1)\n"
		"  -n, --messages N  send N messages in total instead of a duration (no warm-up)\n"
		"  --grace S         seconds to wait for outstanding answers at the end (5)\n"
		"  --echo            the server echoes (no welcome; the echo is the answer)\n"
		"  --text T          send T every time (default: rotate demo questions)\n"
		"  --texts FILE      rotate FILE's lines instead (each connection from its own\n"
		"                    place: varied traffic for the review thread)\n");
}

static int parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "host", 1, NULL, 'H' }, { "port", 1, NULL, 'p' }, { "path", 1, NULL, 'P' },
		{ "protocol", 1, NULL, 'S' }, { "conns", 1, NULL, 'c' }, { "rate", 1, NULL, 'r' },
		{ "duration", 1, NULL, 'd' }, { "warmup", 1, NULL, 'w' },
		{ "messages", 1, NULL, 'n' }, { "grace", 1, NULL, 'g' }, { "echo", 0, NULL, 'e' },
		{ "text", 1, NULL, 't' }, { "texts", 1, NULL, 'T' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts *o = &R.o;
	int ch;

	*o = (struct opts){ .host = "127.0.0.1", .path = "/ws", .proto = "kefu.v1",
			    .conns = 10, .duration = 5, .warmup = 1, .grace = 5 };
	while ((ch = getopt_long(argc, argv, "c:d:n:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'H': o->host = optarg; break;
		case 'p': o->port = atoi(optarg); break;
		case 'P': o->path = optarg; break;
		case 'S': o->proto = optarg; break;
		case 'c': o->conns = atoi(optarg); break;
		case 'r': o->rate = atof(optarg); break;
		case 'd': o->duration = atof(optarg); break;
		case 'w': o->warmup = atof(optarg); break;
		case 'n': o->messages = atol(optarg); break;
		case 'g': o->grace = atof(optarg); break;
		case 'e': o->echo = 1; break;
		case 't': o->text = json_escape(optarg); break;
		case 'T':
			if (read_lines(o, optarg)) {
				fprintf(stderr, "wsload: no text lines in %s\n", optarg);
				return -1;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (o->messages)
		o->warmup = 0;
	if (o->port <= 0 || o->port > 65535 || o->conns < 1 || o->duration <= 0 ||
	    o->warmup < 0 || o->grace < 0 || o->rate < 0 || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;

	if (parse(argc, argv))
		return 2;
	long nofile = wb_raise_nofile(R.o.conns + 256);
	if (nofile < R.o.conns + 16) {
		fprintf(stderr, "wsload: open files limit %ld is too low for %d connections "
				"(raise ulimit -n)\n", nofile, R.o.conns);
		return 2;
	}
	/* Closed loop has one message outstanding per connection; fixed rate may have a
	 * whole run's worth when the server stalls. */
	double per_conn = R.o.rate * (R.o.warmup + R.o.duration + R.o.grace) / R.o.conns;
	R.ring_size = 256;
	while (R.ring_size < per_conn + 16 && R.ring_size < (1u << 16))
		R.ring_size <<= 1;
	R.c = calloc((size_t)R.o.conns, sizeof *R.c);
	if (!R.c)
		return 1;
	for (int i = 0; i < R.o.conns; i++) {
		R.c[i].idx = (unsigned)i;
		R.c[i].ring = calloc(R.ring_size, sizeof *R.c[i].ring);
		R.c[i].due = calloc(R.ring_size, sizeof *R.c[i].due);
		if (!R.c[i].ring || !R.c[i].due)
			return 1;
	}

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.fd_limit_per_thread = (unsigned)R.o.conns + 256;
	if (wb_loop_create(&R.wl, &info))
		return 1;
	ev_timer_init(&R.tick, on_tick, 0.001, 0.001);
	ev_timer_start(R.wl.loop, &R.tick);
	ev_check_init(&R.check, on_check);
	ev_check_start(R.wl.loop, &R.check);
	R.phase = PH_CONNECT;
	R.t_measure = UINT64_MAX;
	connect_more();
	ev_run(R.wl.loop, 0);
	ev_timer_stop(R.wl.loop, &R.tick);
	ev_check_stop(R.wl.loop, &R.check);
	/* 1 if interrupted or nothing connected; decided before destroying the context,
	 * whose CLOSED callbacks change the counts */
	int rc = R.phase != PH_DONE || !R.ready;
	report();
	wb_loop_destroy(&R.wl);
	for (int i = 0; i < R.o.conns; i++) {
		free(R.c[i].rx);
		free(R.c[i].ring);
		free(R.c[i].due);
	}
	free(R.c);
	free(R.lat.v);
	free(R.lat_sent.v);
	free(R.late.v);
	free(R.o.text);
	return rc;
}
