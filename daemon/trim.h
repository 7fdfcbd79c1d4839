/* daemon/trim.h — kd_trim_len, the real length of an upload, lives in budget.h with the
 * rest of what a client may make kefud hold and keep; this header stays only while ws.c
 * includes it (ws.c belongs to the work on issue 14: its include becomes budget.h, then
 * this file goes). */
#ifndef KEFU_DAEMON_TRIM_H
#define KEFU_DAEMON_TRIM_H

#include "budget.h"

#endif
