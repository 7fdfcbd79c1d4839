/* common/log.c — see log.h.  Runs on any thread. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <time.h>

int cm_log_level_current = CM_LOG_INFO;

void cm_log_set_level(int level)
{
	if (level < CM_LOG_ERR)
		level = CM_LOG_ERR;
	if (level > CM_LOG_DEBUG)
		level = CM_LOG_DEBUG;
	cm_log_level_current = level;
}

int cm_log_level_parse(const char *s)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	if (s[0] >= '0' && s[0] <= '3' && s[1] == '\0')
		return s[0] - '0';
	return -1;
}

void cm_log_write(int level, const char *func, const char *fmt, ...)
{
	static const char tag[] = "EWID";
	char msg[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %c %s: %s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		tm.tm_sec, ts.tv_nsec / 1000000, tag[level < 0 ? 0 : level > 3 ? 3 : level],
		func, msg);
}
