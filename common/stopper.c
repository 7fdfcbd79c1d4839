/* common/stopper.c — see stopper.h. */
#include "stopper.h"

#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

void cm_stopper_init(struct cm_stopper *s)
{
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->stopping = 0;
}

void cm_stopper_destroy(struct cm_stopper *s)
{
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
}

int cm_stopper_sleep(struct cm_stopper *s, int64_t ms)
{
	struct timespec until;
	int stopped;

	clock_gettime(CLOCK_REALTIME, &until);
	if (ms > 0) {
		until.tv_sec += (time_t)(ms / 1000);
		until.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stopping && ms > 0 &&
	       pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
		;
	stopped = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return stopped;
}

void cm_stopper_stop(struct cm_stopper *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void cm_background_priority(const char *who)
{
	struct sched_param sp = { 0 };

	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp))
		LOG_WARN("%s: SCHED_IDLE refused; running at nice 19 only", who);
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19))
		LOG_WARN("%s: nice 19 refused", who);
}
