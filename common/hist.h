/* common/hist.h — a fixed-bucket histogram (prefix cm_hist_): how many values fell at or
 * under each upper bound, their sum and their count, as a Prometheus histogram reports
 * them.  kefud's reply latency, upload times (daemon/metrics.h) and hand-off waits
 * (daemon/ops.c) are each one.
 *
 * No lock: a histogram belongs to one thread, which records into it and reads it (kefud's
 * lws service thread: a result arrives, /metrics is served).
 */
#ifndef KEFU_COMMON_HIST_H
#define KEFU_COMMON_HIST_H

#include <stdint.h>

#define CM_HIST_MAX 16           /* upper bounds at most (+Inf is extra) */

struct cm_hist {
	const double *le;            /* n upper bounds, ascending; static storage */
	int n;
	uint64_t bucket[CM_HIST_MAX + 1];   /* per bucket, not cumulative; [n] is +Inf */
	double sum;
	uint64_t count;
};

/* An empty histogram over the n upper bounds le (n is cut to CM_HIST_MAX). */
void cm_hist_init(struct cm_hist *h, const double *le, int n);
/* Records one value: the first bucket whose bound is >= x, or +Inf. */
void cm_hist_observe(struct cm_hist *h, double x);
/* The values <= le[i] (i < n), or all of them (i >= n): a Prometheus _bucket line. */
uint64_t cm_hist_cumulative(const struct cm_hist *h, int i);

#endif
