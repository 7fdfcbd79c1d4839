/* common/log.h — the one logging macro of kefu.
 *
 * cm_log(level, fmt, ...) checks the level before formatting anything, prefixes the
 * calling function and writes one line to stderr (atomic per line: one fprintf under
 * stdio's own lock).  Safe from any thread.  The level is a process-wide setting that
 * conf/ sets once at start-up (cm_log_set_level) before threads start.
 */
#ifndef KEFU_COMMON_LOG_H
#define KEFU_COMMON_LOG_H

enum cm_log_level { CM_LOG_ERR = 0, CM_LOG_WARN = 1, CM_LOG_INFO = 2, CM_LOG_DEBUG = 3 };

extern int cm_log_level_current;

void cm_log_set_level(int level);
/* Parse "error|warn|info|debug" (or 0..3); returns the level or -1 if unknown. */
int cm_log_level_parse(const char *s);
void cm_log_write(int level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define cm_log(level, ...) \
	do { if ((level) <= cm_log_level_current) \
		cm_log_write((level), __func__, __VA_ARGS__); } while (0)

#define LOG_ERR(...)   cm_log(CM_LOG_ERR, __VA_ARGS__)
#define LOG_WARN(...)  cm_log(CM_LOG_WARN, __VA_ARGS__)
#define LOG_INFO(...)  cm_log(CM_LOG_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) cm_log(CM_LOG_DEBUG, __VA_ARGS__)

#endif
