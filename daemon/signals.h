/* daemon/signals.h — the signal thread: SIGINT/SIGTERM stop kefud, SIGHUP reloads the
 * bot from the store, rebuilds the voice domain language model (voice_models.h) and
 * reloads the blocklist, fusion model and picture catalogue (picture/picture.h).
 *
 * Signal masks cannot be relied on (OpenBLAS starts its threads before main), so
 * kd_signals_install sets process-wide handlers that only write the signal number
 * into a pipe (async-signal-safe, whichever thread the kernel picks); one dedicated
 * thread reads the pipe and may then do what a handler may not (log, SQLite, model
 * loading).  lws's libev loop replaces the SIGINT handler with its own watcher on the
 * service thread; that path ends in kd_server_request_stop as well.
 */
#ifndef KEFU_DAEMON_SIGNALS_H
#define KEFU_DAEMON_SIGNALS_H

struct kd_server;
struct kd_bots;
struct pic_models;
struct kd_voice;
struct kefu_conf;
struct kd_signals;

/* Creates the pipe, installs the SIGINT/SIGTERM/SIGHUP handlers, ignores SIGPIPE.
 * Main thread, at start-up.  Returns 0 or -1 (errno). */
int kd_signals_install(void);
/* Starts the signal thread; NULL on failure.  pics and voice may be NULL. */
struct kd_signals *kd_signals_start(struct kd_server *srv, struct kd_bots *bots,
				    struct pic_models *pics, struct kd_voice *voice,
				    const struct kefu_conf *conf);
/* Stops and joins it (waits for a reload in progress). */
void kd_signals_stop(struct kd_signals *s);
/* Asks the signal thread to reload as on SIGHUP (bot, fusion model, catalogue, ...).
 * Any thread; returns at once. */
void kd_signals_reload(void);

#endif
