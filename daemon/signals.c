/* daemon/signals.c — signal handlers and the signal thread (see signals.h).
 *
 * The handlers only write(2) one byte (the signal number) into a non-blocking pipe.
 * The signal thread owns the read end: it calls kd_server_request_stop (any-thread
 * safe), kd_server_wake (after a checked certificate, tls.h) and kd_bots_reload (opens
 * its own store connection), never lws directly.
 * kd_signals_stop wakes it with a 0 byte; kd_signals_reload (a model made live in the
 * console, daemon/training.c) writes the SIGHUP byte itself.
 */
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bots.h"
#include "log.h"
#include "picture.h"
#include "server.h"
#include "voice_models.h"

static int sig_pipe[2] = { -1, -1 };

struct kd_signals {
	pthread_t thread;
	struct kd_server *srv;
	struct kd_bots *bots;
	struct pic_models *pics;
	struct kd_voice *voice;
	const struct kefu_conf *conf;
};

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (write(sig_pipe[1], &b, 1) < 0) {
		/* pipe full: signals are already pending, nothing to add */
	}
	errno = saved;
}

int kd_signals_install(void)
{
	struct sigaction sa;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	if (sig_pipe[0] < 0) {
		if (pipe2(sig_pipe, O_CLOEXEC))
			return -1;
		fcntl(sig_pipe[1], F_SETFL, fcntl(sig_pipe[1], F_GETFL) | O_NONBLOCK);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

void kd_signals_reload(void)
{
	on_signal(SIGHUP);
}

static void reload(struct kd_signals *s)
{
	char err[512], model[128];
	size_t answers;
	uint64_t reloads;

	if (kd_tls_reload_prepare(&s->srv->tls, err, sizeof err) == 0)
		kd_server_wake(s->srv);     /* the service thread swaps it (tls.c) */
	else if (s->srv->tls.on)
		LOG_ERR("SIGHUP: certificate not reloaded, keeping the current one: %s", err);
	LOG_INFO("SIGHUP: reloading the bot from %s", s->conf->db);
	if (kd_bots_reload(s->bots, s->conf, err, sizeof err)) {
		LOG_ERR("reload failed, keeping the current bot: %s", err);
		return;
	}
	kd_bots_info(s->bots, model, sizeof model, &answers, &reloads);
	LOG_INFO("reloaded: %s, %zu answers (reload %llu)", model, answers,
		 (unsigned long long)reloads);
	/* voice: the domain language model follows the store's questions too */
	if (s->conf->asr && s->voice && kd_voice_rebuild_lm(s->voice, err, sizeof err))
		LOG_ERR("domain language model not rebuilt, keeping the current one: %s", err);
	if (s->pics && pic_load_blocklist(s->pics, err, sizeof err))
		LOG_ERR("image blocklist not reloaded, keeping the current one: %s", err);
	if (s->pics && pic_load_fusion(s->pics, err, sizeof err))
		LOG_ERR("fusion model not reloaded, keeping the current one: %s", err);
	if (s->pics && pic_load_catalog(s->pics, err, sizeof err))
		LOG_ERR("picture catalogue not reloaded, keeping the current one: %s", err);
}

static void *signal_main(void *arg)
{
	struct kd_signals *s = arg;
	int stopping = 0;
	unsigned char b;
	ssize_t n;

	for (;;) {
		n = read(sig_pipe[0], &b, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || b == 0)
			break;
		switch (b) {
		case SIGHUP:
			reload(s);
			break;
		case SIGINT:
		case SIGTERM:
			if (stopping) {
				/* Committed turns are safe on disk: a second signal may cut
				 * the graceful shutdown short. */
				LOG_WARN("signal %d again: exiting now", b);
				_exit(1);
			}
			stopping = 1;
			LOG_INFO("signal %d: stopping", b);
			kd_server_request_stop(s->srv);
			break;
		default:
			break;
		}
	}
	return NULL;
}

struct kd_signals *kd_signals_start(struct kd_server *srv, struct kd_bots *bots,
				    struct pic_models *pics, struct kd_voice *voice,
				    const struct kefu_conf *conf)
{
	struct kd_signals *s = calloc(1, sizeof *s);

	if (!s || sig_pipe[0] < 0) {
		free(s);
		return NULL;
	}
	s->srv = srv;
	s->bots = bots;
	s->pics = pics;
	s->voice = voice;
	s->conf = conf;
	if (pthread_create(&s->thread, NULL, signal_main, s)) {
		free(s);
		return NULL;
	}
	return s;
}

void kd_signals_stop(struct kd_signals *s)
{
	unsigned char quit = 0;

	if (!s)
		return;
	while (write(sig_pipe[1], &quit, 1) < 0 && errno == EAGAIN)
		usleep(1000);       /* pipe full of pending signals: let the thread drain */
	pthread_join(s->thread, NULL);
	free(s);
}
