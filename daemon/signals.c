/* daemon/signals.c — the signal thread (see signals.h).  It owns nothing but itself;
 * it calls kd_server_request_stop (any-thread safe) and kd_bots_reload (opens its own
 * store connection), never an lws function other than through those. */
#include "signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "bots.h"
#include "log.h"
#include "server.h"

#define KD_SIG_WAKE SIGUSR2    /* kd_signals_stop wakes the thread with it */

struct kd_signals {
	pthread_t thread;
	struct kd_server *srv;
	struct kd_bots *bots;
	const struct kefu_conf *conf;
	atomic_int quit;
};

static void fill_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, KD_SIG_WAKE);
}

void kd_signals_block(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	fill_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void reload(struct kd_signals *s)
{
	char err[512], model[128];
	size_t answers;
	uint64_t reloads;

	LOG_INFO("SIGHUP: reloading the bot from %s", s->conf->db);
	if (kd_bots_reload(s->bots, s->conf, err, sizeof err)) {
		LOG_ERR("reload failed, keeping the current bot: %s", err);
		return;
	}
	kd_bots_info(s->bots, model, sizeof model, &answers, &reloads);
	LOG_INFO("reloaded: %s, %zu answers (reload %llu)", model, answers,
		 (unsigned long long)reloads);
}

static void *signal_main(void *arg)
{
	struct kd_signals *s = arg;
	int stopping = 0, sig;
	sigset_t set;

	fill_set(&set);
	while (!atomic_load(&s->quit)) {
		if (sigwait(&set, &sig))
			continue;
		if (atomic_load(&s->quit))
			break;
		switch (sig) {
		case SIGHUP:
			reload(s);
			break;
		case SIGINT:
		case SIGTERM:
			if (stopping) {
				/* Committed turns are safe on disk: a second signal may cut
				 * the graceful shutdown short. */
				LOG_WARN("signal %d again: exiting now", sig);
				_exit(1);
			}
			stopping = 1;
			LOG_INFO("signal %d: stopping", sig);
			kd_server_request_stop(s->srv);
			break;
		default:
			break;
		}
	}
	return NULL;
}

struct kd_signals *kd_signals_start(struct kd_server *srv, struct kd_bots *bots,
				    const struct kefu_conf *conf)
{
	struct kd_signals *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->srv = srv;
	s->bots = bots;
	s->conf = conf;
	if (pthread_create(&s->thread, NULL, signal_main, s)) {
		free(s);
		return NULL;
	}
	return s;
}

void kd_signals_stop(struct kd_signals *s)
{
	if (!s)
		return;
	atomic_store(&s->quit, 1);
	pthread_kill(s->thread, KD_SIG_WAKE);
	pthread_join(s->thread, NULL);
	free(s);
}
