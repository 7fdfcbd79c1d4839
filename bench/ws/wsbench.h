/* bench/ws/wsbench.h — what the WebSocket load program (wsload) and the reference echo
 * server (wsecho) share: the libev loop that both run themselves and hand to lws as a
 * "foreign" loop (so each program decides when to stop, and SIGINT/SIGTERM break the
 * loop), the clock, and small text helpers.  Everything runs on the one thread that
 * runs the loop.
 */
#ifndef KEFU_BENCH_WSBENCH_H
#define KEFU_BENCH_WSBENCH_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <libwebsockets.h>

/* lws buffer sizes, the same as kefud's: pt_serv_buf_size (kefud's serv_buf default)
 * and the WebSocket protocol's rx_buffer_size (daemon/server.c). */
#define WB_SERV_BUF 32768
#define WB_RX_BUF 8192

struct wb_loop {
	struct ev_loop *loop;
	ev_signal sigint, sigterm;
	struct lws_context *ctx;
};

/* Creates the libev loop and the lws context on it (info gets LWS_SERVER_OPTION_LIBEV,
 * foreign_loops and pt_serv_buf_size set here).  Returns 0 or -1 (message on stderr).
 * SIGINT and SIGTERM break the loop.  wb_loop_destroy frees both. */
int wb_loop_create(struct wb_loop *wl, struct lws_context_creation_info *info);
void wb_loop_destroy(struct wb_loop *wl);

/* Monotonic microseconds. */
uint64_t wb_now_us(void);

/* Finds the JSON string value of a top-level-looking key ("id", "type", "code") in a
 * frame: copies at most outlen-1 bytes into out (NUL-terminated) and returns its length,
 * or -1 when the key has no string value.  A scan, not a parser: values kefud writes
 * for these keys hold no escapes. */
int wb_json_str(const char *buf, size_t len, const char *key, char *out, size_t outlen);

/* Raises RLIMIT_NOFILE to at least n (up to the hard limit); returns the new soft limit. */
long wb_raise_nofile(long n);

#endif
