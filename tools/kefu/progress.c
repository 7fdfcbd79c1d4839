/* tools/kefu/progress.c — progress of long commands on stderr: on a terminal one line
 * redrawn in place (stage, bar, percentage, time left from the pace so far); piped, one
 * plain line per step; with --quiet nothing.  Main thread.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_progress_init(struct cli_progress *p, const char *prog, int quiet)
{
	p->prog = prog;
	p->quiet = quiet;
	p->tty = isatty(STDERR_FILENO);
	p->t0 = now_s();
	p->drawn = 0;
}

void cli_progress_step(void *arg, const char *stage, int done, int total)
{
	struct cli_progress *p = arg;
	double spent = now_s() - p->t0, left = done ? spent * (total - done) / done : 0;

	cli_progress_show(p, stage, done, total, total ? (double)done / total : 1, left);
}

void cli_progress_show(struct cli_progress *p, const char *stage, int done, int total,
		       double fraction, double left)
{
	int pct = (int)(100 * fraction + 0.5);

	if (p->quiet)
		return;
	if (left < 0)
		left = 0;
	if (p->tty) {
		char bar[21];
		for (int i = 0; i < 20; i++)
			bar[i] = i < pct / 5 ? '#' : '.';
		bar[20] = '\0';
		fprintf(stderr, "\r%s: %-17s [%s] %3d %%  ~%.0f s left   ", p->prog, stage, bar,
			pct, left);
		p->drawn = 1;
	} else {
		fprintf(stderr, "%s: %s %d/%d (%d %%), about %.0f s left\n", p->prog, stage, done,
			total, pct, left);
	}
	fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->drawn && !p->quiet)
		fputc('\n', stderr);
	p->drawn = 0;
}
