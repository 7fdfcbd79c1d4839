/* bench/ws/echo.c — wsecho: a bare libwebsockets echo server, the reference for what lws
 * itself costs per message.  It is built like kefud's server (lws 4.1 with the libev
 * event library, the same pt_serv_buf_size, one service thread) and does no work of its
 * own: each complete text message (fragments collected) is sent back as one text frame.
 *
 *   wsecho [--listen HOST:PORT] [--port-file FILE]     (port 0 = any free port)
 *
 * Single-threaded: everything runs on the loop thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsbench.h"

#define ECHO_MAX (1 << 20)  /* longest message echoed; longer ones close the connection */
#define ECHO_QUEUE 256      /* messages waiting to go out on one connection */
#define ECHO_PAUSE (ECHO_QUEUE - 16)  /* stop reading from a client at this backlog */

struct msg {
	unsigned char *buf;     /* LWS_PRE + len bytes, malloc'd */
	size_t len;
};

struct pss {                    /* per connection */
	unsigned char *rx;      /* message being collected: LWS_PRE + rxlen */
	size_t rxlen, rxcap;
	struct msg q[ECHO_QUEUE];
	unsigned head, n;
	int paused;             /* rx flow control is off until the backlog drains */
};

static int take(struct pss *p, const void *in, size_t len)
{
	if (p->rxlen + len > ECHO_MAX)
		return -1;
	if (LWS_PRE + p->rxlen + len > p->rxcap) {
		size_t cap = (LWS_PRE + p->rxlen + len) * 2;
		unsigned char *b = realloc(p->rx, cap);
		if (!b)
			return -1;
		p->rx = b;
		p->rxcap = cap;
	}
	memcpy(p->rx + LWS_PRE + p->rxlen, in, len);
	p->rxlen += len;
	return 0;
}

static int cb_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		   size_t len)
{
	struct pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(p, 0, sizeof *p);
		break;
	case LWS_CALLBACK_RECEIVE:
		if (take(p, in, len))
			return -1;
		if (!lws_is_final_fragment(wsi))
			break;
		if (p->n == ECHO_QUEUE)
			return -1;      /* still flooding after the pause: drop it */
		struct msg *m = &p->q[(p->head + p->n++) % ECHO_QUEUE];
		m->buf = p->rx;         /* ownership moves to the queue */
		m->len = p->rxlen;
		p->rx = NULL;
		p->rxlen = p->rxcap = 0;
		if (p->n >= ECHO_PAUSE && !p->paused) {
			/* A fixed-rate client outruns us: stop reading until we catch up. */
			lws_rx_flow_control(wsi, 0);
			p->paused = 1;
		}
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE: {
		if (!p->n)
			break;
		struct msg *m = &p->q[p->head];
		int w = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
		free(m->buf);
		m->buf = NULL;
		p->head = (p->head + 1) % ECHO_QUEUE;
		p->n--;
		if (w < (int)m->len)
			return -1;
		if (p->paused && p->n < ECHO_QUEUE / 2) {
			lws_rx_flow_control(wsi, 1);
			p->paused = 0;
		}
		if (p->n)
			lws_callback_on_writable(wsi);
		break;
	}
	case LWS_CALLBACK_CLOSED:
		free(p->rx);
		p->rx = NULL;
		while (p->n) {
			free(p->q[p->head].buf);
			p->head = (p->head + 1) % ECHO_QUEUE;
			p->n--;
		}
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "kefu.v1", cb_echo, sizeof(struct pss), WB_RX_BUF, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

int main(int argc, char **argv)
{
	const char *listen = "127.0.0.1:0", *port_file = NULL;
	struct lws_context_creation_info info;
	struct wb_loop wl;
	char host[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen = argv[++i];
		else if (!strcmp(argv[i], "--port-file") && i + 1 < argc)
			port_file = argv[++i];
		else {
			fprintf(stderr, "usage: wsecho [--listen HOST:PORT] [--port-file FILE]\n");
			return 2;
		}
	}
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof host) {
		fprintf(stderr, "wsecho: --listen wants HOST:PORT\n");
		return 2;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';

	wb_raise_nofile(1 << 16);
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	memset(&info, 0, sizeof info);
	info.port = atoi(colon + 1);
	info.iface = host;
	info.protocols = protocols;
	info.fd_limit_per_thread = 1 << 16;
	if (wb_loop_create(&wl, &info))
		return 1;
	int port = lws_get_vhost_listen_port(lws_get_vhost_by_name(wl.ctx, "default"));
	if (port_file) {
		FILE *f = fopen(port_file, "w");
		if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f)) {
			perror(port_file);
			wb_loop_destroy(&wl);
			return 1;
		}
	}
	fprintf(stderr, "wsecho: listening on %s:%d\n", host, port);
	ev_run(wl.loop, 0);
	wb_loop_destroy(&wl);
	return 0;
}
