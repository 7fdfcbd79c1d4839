/* daemon/signals.h — the signal thread: SIGINT/SIGTERM stop kefud, SIGHUP reloads the
 * bot from the store.
 *
 * kd_signals_block runs on the main thread before any other thread exists, so every
 * thread inherits a mask blocking those signals; one dedicated thread then takes them
 * with sigwait, where it may do anything (log, SQLite, model loading) that a signal
 * handler may not.  (lws's libev loop also installs a SIGINT watcher on the service
 * thread; it ends up in kd_server_request_stop as well.)
 */
#ifndef KEFU_DAEMON_SIGNALS_H
#define KEFU_DAEMON_SIGNALS_H

struct kd_server;
struct kd_bots;
struct kefu_conf;
struct kd_signals;

/* Blocks SIGINT, SIGTERM, SIGHUP (and the internal wake-up signal) in the calling
 * thread and ignores SIGPIPE.  Main thread, before creating threads. */
void kd_signals_block(void);
/* Starts the signal thread; NULL on failure. */
struct kd_signals *kd_signals_start(struct kd_server *srv, struct kd_bots *bots,
				    const struct kefu_conf *conf);
/* Stops and joins it (waits for a reload in progress). */
void kd_signals_stop(struct kd_signals *s);

#endif
