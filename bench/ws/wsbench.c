/* bench/ws/wsbench.c — shared pieces of wsload and wsecho (see wsbench.h).  Runs on the
 * loop thread only. */
#include "wsbench.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

int wb_loop_create(struct wb_loop *wl, struct lws_context_creation_info *info)
{
	static void *foreign[1];

	memset(wl, 0, sizeof *wl);
	wl->loop = ev_loop_new(EVFLAG_AUTO);
	if (!wl->loop) {
		fprintf(stderr, "ev_loop_new failed\n");
		return -1;
	}
	ev_signal_init(&wl->sigint, on_signal, SIGINT);
	ev_signal_init(&wl->sigterm, on_signal, SIGTERM);
	ev_signal_start(wl->loop, &wl->sigint);
	ev_signal_start(wl->loop, &wl->sigterm);
	foreign[0] = wl->loop;
	info->options |= LWS_SERVER_OPTION_LIBEV;
	info->foreign_loops = foreign;
	info->pt_serv_buf_size = WB_SERV_BUF;
	wl->ctx = lws_create_context(info);
	if (!wl->ctx) {
		fprintf(stderr, "lws_create_context failed (is libwebsockets-evlib-ev installed?)\n");
		ev_loop_destroy(wl->loop);
		wl->loop = NULL;
		return -1;
	}
	return 0;
}

void wb_loop_destroy(struct wb_loop *wl)
{
	if (wl->ctx)
		lws_context_destroy(wl->ctx);
	if (wl->loop) {
		ev_signal_stop(wl->loop, &wl->sigint);
		ev_signal_stop(wl->loop, &wl->sigterm);
		ev_loop_destroy(wl->loop);
	}
	memset(wl, 0, sizeof *wl);
}

uint64_t wb_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int wb_json_str(const char *buf, size_t len, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *end = buf + len, *p = buf;

	while (p + klen + 2 < end) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q || q + klen + 2 > end)
			return -1;
		p = q + 1;
		if (memcmp(p, key, klen) || p[klen] != '"')
			continue;
		p += klen + 1;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || *p != ':')
			continue;       /* the key text was a value, not a key */
		p++;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || *p != '"')
			return -1;      /* null or a number */
		p++;
		size_t n = 0;
		while (p < end && *p != '"') {
			if (n + 1 < outlen)
				out[n++] = *p;
			p++;
		}
		out[n] = '\0';
		return p < end ? (int)n : -1;
	}
	return -1;
}

long wb_raise_nofile(long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if ((long)rl.rlim_cur < n) {
		rl.rlim_cur = (rlim_t)n;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (long)rl.rlim_cur;
}
