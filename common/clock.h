/* common/clock.h — monotonic and wall clocks in handy units.  Any thread. */
#ifndef KEFU_COMMON_CLOCK_H
#define KEFU_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

uint64_t cm_now_us(void);      /* CLOCK_MONOTONIC, microseconds */
uint64_t cm_thread_cpu_ns(void); /* CPU time of the calling thread, nanoseconds */
int64_t cm_wall_ms(void);      /* CLOCK_REALTIME, milliseconds since the epoch */
/* The CLOCK_REALTIME instant ms milliseconds from now (pthread_cond_timedwait's clock). */
struct timespec cm_deadline(int ms);

#endif
