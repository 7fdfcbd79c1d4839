/* common/hist.c — the fixed-bucket histogram (hist.h).  The owner's thread only. */
#include "hist.h"

#include <string.h>

void cm_hist_init(struct cm_hist *h, const double *le, int n)
{
	memset(h, 0, sizeof *h);
	h->le = le;
	h->n = n < 0 ? 0 : n > CM_HIST_MAX ? CM_HIST_MAX : n;
}

void cm_hist_observe(struct cm_hist *h, double x)
{
	int i = 0;

	while (i < h->n && x > h->le[i])
		i++;
	h->bucket[i]++;
	h->sum += x;
	h->count++;
}

uint64_t cm_hist_cumulative(const struct cm_hist *h, int i)
{
	uint64_t c = 0;

	for (int b = 0; b <= i && b <= h->n; b++)
		c += h->bucket[b];
	return c;
}
