/* store/test_crash.c — crash safety of the session log.  A child process submits
 * turns to a writer as fast as it can; each done() (called after COMMIT) writes the
 * turn's number into a pipe.  The parent kills the child with SIGKILL mid-stream,
 * reads every acknowledgement that reached the pipe, reopens the database and checks
 * that every acknowledged turn is there, complete (question and reply), and that the
 * database is intact.  Three rounds on the same file, killing at different points. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "store.h"
#include "store_int.h"
#include "test_util.h"

#define MAX_TURNS 400000

static int ack_fd;

static void on_done(void *arg, int rc)
{
	int32_t i = (int32_t)(intptr_t)arg;

	if (rc == 0 && write(ack_fd, &i, sizeof i) != sizeof i)
		_exit(3);
}

static void child(const char *path, int64_t sid, int round)
{
	char err[256];
	struct store_writer *w = store_writer_start(path, err, sizeof err);

	if (!w)
		_exit(2);
	for (intptr_t i = 0; i < MAX_TURNS; i++) {
		struct store_turn *t = calloc(1, sizeof *t);
		char buf[48];
		t->session_id = sid;
		snprintf(buf, sizeof buf, "r%d-%ld", round, (long)i);
		t->client_id = strdup(buf);
		t->customer_text = strdup(buf);
		t->reply_text = strdup("reply");
		t->reply_kind = STORE_MSG_BOT;
		t->done = on_done;
		t->arg = (void *)i;
		if (store_writer_submit(w, t))
			_exit(4);
	}
	for (;;)
		pause();   /* never reached in practice: the parent kills us first */
}

static int run_round(const char *path, int64_t sid, int round, int kill_after)
{
	int fds[2];
	pid_t pid;
	int32_t v;
	char *acked = calloc(MAX_TURNS, 1);
	int n_acked = 0, missing = 0, status;

	if (pipe(fds)) {
		perror("pipe");
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		ack_fd = fds[1];
		child(path, sid, round);
	}
	close(fds[1]);
	while (read(fds[0], &v, sizeof v) == sizeof v) {
		if (v >= 0 && v < MAX_TURNS && !acked[v]) {
			acked[v] = 1;
			n_acked++;
		}
		if (n_acked == kill_after)
			kill(pid, SIGKILL);
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	char err[256];
	struct store *st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return -1;
	for (int i = 0; i < MAX_TURNS; i++) {
		if (!acked[i])
			continue;
		char cid[48];
		struct store_message m;
		snprintf(cid, sizeof cid, "r%d-%d", round, i);
		if (store_turn_find(st, sid, cid, &m) != 0 || strcmp(m.text, "reply"))
			missing++;
		store_message_clear(&m);
	}
	CHECK(missing == 0);
	struct store_stats s;
	CHECK_RC(st, store_stats(st, &s), 0);
	sqlite3_stmt *q;
	CHECK(sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(q) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(q, 0), "ok"));
	sqlite3_finalize(q);
	/* customer and reply rows come in pairs: no half-written turn */
	CHECK(s.customer_messages == s.bot_replies);
	printf("round %d: killed after %d acks; %d acknowledged turns reached the parent, "
	       "%d missing; log now holds %lld turns\n", round, kill_after, n_acked, missing,
	       (long long)s.customer_messages);
	CHECK(n_acked >= kill_after && s.customer_messages < (int64_t)MAX_TURNS * 3);
	store_close(st);
	free(acked);
	return 0;
}

int main(void)
{
	char err[256];
	const char *path = tu_path("crash.db");
	struct store *st = store_open(path, err, sizeof err);
	int64_t sid;

	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	CHECK_RC(st, store_session_create(st, "crash", &sid, NULL), 0);
	store_close(st);   /* no SQLite connection may cross fork() */

	int points[] = { 1000, 4000, 15000 };
	for (int r = 0; r < 3; r++)
		run_round(path, sid, r, points[r]);
	return tu_finish("test_crash");
}
