/* tools/kefu-voice/run.c — kefu-voice's run: where utterances come from and the turn loop.
 *
 * Sources:
 *   --input FILE  the main thread decodes the file (speech/ asr_audio_decode: any format
 *                 libsndfile reads, to 16 kHz mono), feeds it to the end-pointer in 100 ms
 *                 pieces as fast as it can, and runs a turn for each utterance as it is cut.
 *   --hands-free  the capture thread reads the microphone and feeds the end-pointer; cut
 *                 utterances go through a bounded queue (common/queue.h) to the main thread,
 *                 which runs the turns.  Speaking continues while an answer is awaited.
 *   push-to-talk  the capture thread appends to a recording buffer between two Enters; the
 *                 main thread reads stdin (poll, so Ctrl-C is seen) and sends the recording.
 *
 * DESIGN (threads)
 *   main thread     options, the session (session.c, whose WebSocket has its own lws
 *                   service thread), turns, printing, playback (kv_play blocks it).
 *   capture thread  kv_cap_read in a loop (PortAudio blocking reads), the end-pointer
 *                   (hands-free), the recording buffer (push-to-talk).
 *   struct capture fields under cap->lock: recording, rec/nrec/caprec, muted, failed, err;
 *   `stop` is an atomic flag; the queue has its own lock.  While a spoken reply plays,
 *   `muted` makes the capture thread throw away what it hears (and what the end-pointer
 *   held), so the answer's own sound does not come back as a question.
 * SIGINT/SIGTERM only set a flag that every wait here polls (at most 200 ms; a turn's wait
 * for kefud ends with its answer or --timeout); a second one ends the process.
 */
#include "voice.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "buf.h"
#include "clock.h"
#include "endpoint.h"
#include "file.h"
#include "queue.h"
#include "speech.h"
#include "wsclient.h"

#define CHUNK (ASR_RATE / 10)          /* 100 ms */
#define MIN_PTT_SAMPLES (ASR_RATE / 4) /* a push-to-talk recording shorter than 250 ms is a slip */

static volatile sig_atomic_t interrupted;

/* The first Ctrl-C asks the run to end (seen within 200 ms, or when the answer being
 * awaited comes); a second one kills at once. */
static void on_signal(int sig)
{
	if (interrupted) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	interrupted = 1;
}

struct capture {
	kv_cap *cap;
	kv_ep *ep;                 /* hands-free only; capture thread only */
	struct cm_queue *utts;     /* hands-free: struct kv_utt * */
	int verbose;
	atomic_int stop;
	pthread_t thread;
	pthread_mutex_t lock;
	int recording, muted, was_muted, failed;
	int16_t *rec;
	size_t nrec, caprec;
	char err[256];
};

struct run {
	const struct kv_opts *o;
	kv_sess *sess;
	int out_dev;               /* -1: no playback */
	int nturn, turn_errors;
	struct kv_turn last;       /* the last turn (its quick replies can be chosen) */
	struct capture *cap;
};

/* ---- capture thread ------------------------------------------------------------------ */

static void ptt_append(struct capture *c, const int16_t *pcm, size_t n)
{
	int16_t *p = cm_grow(c->rec, &c->caprec, c->nrec + n, sizeof *p, (size_t)ASR_RATE * 8);
	if (!p)
		return;                    /* the recording stops growing; it is sent as it is */
	c->rec = p;
	memcpy(c->rec + c->nrec, pcm, n * sizeof *pcm);
	c->nrec += n;
}

static void *capture_main(void *arg)
{
	struct capture *c = arg;
	int16_t buf[CHUNK * 2];
	char err[256];

	while (!atomic_load(&c->stop)) {
		long n = kv_cap_read(c->cap, buf, sizeof buf / sizeof buf[0], err, sizeof err);
		pthread_mutex_lock(&c->lock);
		if (n < 0) {
			c->failed = 1;
			snprintf(c->err, sizeof c->err, "%s", err);
			pthread_mutex_unlock(&c->lock);
			break;
		}
		int muted = c->muted, recording = c->recording;
		if (recording)
			ptt_append(c, buf, (size_t)n);
		pthread_mutex_unlock(&c->lock);
		if (!c->ep)
			continue;
		if (muted) {
			c->was_muted = 1;
			continue;
		}
		if (c->was_muted) {
			kv_ep_discard(c->ep);  /* the end of the answer's echo is not a question */
			c->was_muted = 0;
		}
		if (kv_ep_feed(c->ep, buf, (size_t)n) < 0)
			continue;
		struct kv_utt u;
		while (kv_ep_next(c->ep, &u)) {
			struct kv_utt *p = malloc(sizeof *p);
			if (p)
				*p = u;
			if (!p || cm_queue_try_push(c->utts, p) != 0) {
				fprintf(stderr, "kefu-voice: utterance at %.2f s dropped (%s)\n",
					u.start_s, p ? "too many waiting" : "out of memory");
				free(u.pcm);
				free(p);
			}
		}
	}
	cm_queue_close(c->utts);
	return NULL;
}

static void capture_stop(struct capture *c)
{
	if (!c)
		return;
	atomic_store(&c->stop, 1);
	pthread_join(c->thread, NULL);
	kv_cap_close(c->cap);
	kv_ep_destroy(c->ep);
	void *item;
	while (cm_queue_pop_many(c->utts, &item, 1, 0) == 1) {
		struct kv_utt *u = item;
		free(u->pcm);
		free(u);
	}
	cm_queue_destroy(c->utts);
	pthread_mutex_destroy(&c->lock);
	free(c->rec);
	free(c);
}

/* Opens the microphone and starts the capture thread.  NULL with a message in err. */
static struct capture *capture_start(const struct kv_opts *o, int dev, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->verbose = o->verbose;
	c->utts = cm_queue_create(16);
	if (o->hands_free) {
		struct asr_vad_opts vo;
		asr_vad_defaults(&vo);
		vo.pause_ms = o->pause_ms;
		c->ep = kv_ep_create(&vo, o->max_utterance_s);
	}
	if (!c->utts || (o->hands_free && !c->ep)) {
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	c->cap = kv_cap_open(dev, o->capture_rate, err, errlen);
	if (!c->cap)
		goto err;
	if (o->verbose)
		fprintf(stderr, "kefu-voice: capturing at %d Hz, %d channel(s)%s\n",
			kv_cap_rate(c->cap), kv_cap_channels(c->cap),
			kv_cap_rate(c->cap) != ASR_RATE ? ", resampled to 16 kHz" : "");
	if (pthread_create(&c->thread, NULL, capture_main, c)) {
		snprintf(err, errlen, "cannot start the capture thread");
		goto err;
	}
	return c;
err:
	kv_cap_close(c->cap);
	kv_ep_destroy(c->ep);
	if (c->utts)
		cm_queue_destroy(c->utts);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

/* ---- turns --------------------------------------------------------------------------- */

/* Plays a spoken reply (capture muted meanwhile).  Device errors are printed, not fatal. */
static void play(struct run *r, const struct kv_turn *t)
{
	char err[256];
	if (r->out_dev < 0 || !t->speech)
		return;
	if (r->cap) {
		pthread_mutex_lock(&r->cap->lock);
		r->cap->muted = 1;
		pthread_mutex_unlock(&r->cap->lock);
	}
	if (kv_play(r->out_dev, t->speech, t->nspeech, ASR_RATE, err, sizeof err) < 0)
		fprintf(stderr, "kefu-voice: %s\n", err);
	if (r->cap) {
		pthread_mutex_lock(&r->cap->lock);
		r->cap->muted = 0;
		pthread_mutex_unlock(&r->cap->lock);
	}
}

/* One turn: a clip (pcm) or a text.  Returns 0, or KV_EXIT_SERVER when the session failed. */
static int do_turn(struct run *r, const int16_t *pcm, size_t n, const char *text,
		   const struct kv_utt *u)
{
	struct kv_turn t;
	char err[512];
	int rc = text ? kv_sess_text(r->sess, text, &t, err, sizeof err) :
		 kv_sess_audio(r->sess, pcm, n, r->o->speak, &t, err, sizeof err);
	r->nturn++;
	struct kv_turn_meta m = {
		.n = r->nturn, .typed = text != NULL, .session = kv_sess_token(r->sess),
		.start_s = u ? u->start_s : -1,
		.endpoint_ms = u && !u->forced ? (u->cut_s - u->speech_end_s) * 1000.0 : -1,
	};
	if (rc < 0) {
		fprintf(stderr, "kefu-voice: %s\n", err);
		kv_turn_free(&t);
		return KV_EXIT_SERVER;
	}
	kv_report_turn(stdout, &t, &m, r->o->json);
	if (t.err_code)
		r->turn_errors++;
	play(r, &t);
	kv_turn_free(&r->last);
	r->last = t;
	return 0;
}

static int enough_turns(const struct run *r)
{
	return r->o->turns && r->nturn >= r->o->turns;
}

/* Runs the turns for every utterance ready in ep.  0 or KV_EXIT_SERVER. */
static int drain(struct run *r, kv_ep *ep)
{
	struct kv_utt u;
	int rc = 0;
	while (kv_ep_next(ep, &u)) {
		if (!rc && !enough_turns(r) && !interrupted) {
			if (r->o->verbose)
				fprintf(stderr, "kefu-voice: utterance %.2f-%.2f s (speech until "
					"%.2f s)\n", u.start_s, u.start_s + (double)u.n / ASR_RATE,
					u.speech_end_s);
			rc = do_turn(r, u.pcm, u.n, NULL, &u);
		}
		free(u.pcm);
	}
	return rc;
}

/* Reads and decodes the --input file into *a (16 kHz mono).  0, or KV_EXIT_INPUT after
 * printing why. */
static int load_input(const char *path, struct asr_audio *a)
{
	size_t len;
	char *data = cm_read_file(path, &len);

	if (!data) {
		fprintf(stderr, "kefu-voice: cannot read %s: %s\n", path, strerror(errno));
		return KV_EXIT_INPUT;
	}
	int dr = asr_audio_decode(data, len, NULL, a);
	free(data);
	if (dr) {
		fprintf(stderr, "kefu-voice: %s: not audio kefu-voice can read (%s)\n", path,
			asr_err_name(dr));
		return KV_EXIT_INPUT;
	}
	return 0;
}

/* Splits the decoded --input audio into utterances and runs their turns. */
static int run_input(struct run *r, const struct asr_audio *a)
{
	const struct kv_opts *o = r->o;
	struct asr_vad_opts vo;
	int rc = KV_EXIT_OK;

	asr_vad_defaults(&vo);
	vo.pause_ms = o->pause_ms;
	kv_ep *ep = kv_ep_create(&vo, o->max_utterance_s);
	if (!ep) {
		fprintf(stderr, "kefu-voice: out of memory\n");
		return KV_EXIT_INPUT;
	}
	for (size_t off = 0; off < a->n && !rc && !enough_turns(r) && !interrupted; off += CHUNK) {
		size_t k = a->n - off < CHUNK ? a->n - off : CHUNK;
		kv_ep_feed(ep, a->pcm + off, k);
		rc = drain(r, ep);
	}
	if (!rc && !enough_turns(r) && !interrupted) {
		kv_ep_flush(ep);
		rc = drain(r, ep);
	}
	if (!rc && r->nturn == 0) {
		fprintf(stderr, "kefu-voice: %s: no speech found\n", o->input);
		rc = KV_EXIT_INPUT;
	}
	kv_ep_destroy(ep);
	return rc;
}

/* Waits for the capture thread's failure flag; returns KV_EXIT_DEVICE if it failed. */
static int capture_failed(struct capture *c)
{
	pthread_mutex_lock(&c->lock);
	int failed = c->failed;
	if (failed)
		fprintf(stderr, "kefu-voice: %s\n", c->err);
	pthread_mutex_unlock(&c->lock);
	return failed ? KV_EXIT_DEVICE : 0;
}

static int run_hands_free(struct run *r)
{
	if (!r->o->json)
		fprintf(stderr, "kefu-voice: listening (hands-free; Ctrl-C quits)\n");
	while (!interrupted && !enough_turns(r)) {
		void *item;
		if (cm_queue_pop_many(r->cap->utts, &item, 1, 200) == 0) {
			int rc = capture_failed(r->cap);
			if (rc)
				return rc;
			continue;
		}
		struct kv_utt *u = item;
		if (r->o->verbose)
			fprintf(stderr, "kefu-voice: utterance %.2f-%.2f s (speech until %.2f s)\n",
				u->start_s, u->start_s + (double)u->n / ASR_RATE, u->speech_end_s);
		int rc = do_turn(r, u->pcm, u->n, NULL, u);
		free(u->pcm);
		free(u);
		if (rc)
			return rc;
	}
	return 0;
}

/* Reads one line from stdin, polling so a signal is seen.  1 line, 0 EOF/interrupted. */
static int read_line(char *buf, size_t len)
{
	for (;;) {
		if (interrupted)
			return 0;
		struct pollfd p = { .fd = 0, .events = POLLIN };
		int n = poll(&p, 1, 200);
		if (n < 0 && errno != EINTR)
			return 0;
		if (n <= 0)
			continue;
		if (!fgets(buf, (int)len, stdin))
			return 0;
		buf[strcspn(buf, "\r\n")] = '\0';
		return 1;
	}
}

static int run_push_to_talk(struct run *r)
{
	char line[1024];
	struct capture *c = r->cap;

	fprintf(stderr, "kefu-voice: Enter starts recording, Enter again sends it (a quick "
		"reply's number or typed text + Enter sends that; Ctrl-D quits)\n");
	while (!enough_turns(r) && read_line(line, sizeof line)) {
		int rc = capture_failed(c);
		if (rc)
			return rc;
		if (line[0]) {
			char *end;
			long k = strtol(line, &end, 10);
			const char *text = line;
			if (!*end && k >= 1 && (size_t)k <= r->last.nquick)
				text = r->last.quick[k - 1];
			rc = do_turn(r, NULL, 0, text, NULL);
			if (rc)
				return rc;
			continue;
		}
		pthread_mutex_lock(&c->lock);
		c->nrec = 0;
		c->recording = 1;
		pthread_mutex_unlock(&c->lock);
		fprintf(stderr, "kefu-voice: recording... (Enter sends)\n");
		int more = read_line(line, sizeof line);
		pthread_mutex_lock(&c->lock);
		c->recording = 0;
		int16_t *pcm = c->rec;
		size_t n = c->nrec;
		c->rec = NULL;
		c->nrec = c->caprec = 0;
		pthread_mutex_unlock(&c->lock);
		if (n < MIN_PTT_SAMPLES)
			fprintf(stderr, "kefu-voice: too short (%.2f s), not sent\n",
				(double)n / ASR_RATE);
		else
			rc = do_turn(r, pcm, n, NULL, NULL);
		free(pcm);
		if (rc)
			return rc;
		if (!more)
			break;
	}
	return capture_failed(c);
}

int kv_run(const struct kv_opts *o)
{
	char err[512];
	struct run r = { .o = o, .out_dev = -1 };
	int in_dev = -1, rc, bad_url;
	struct asr_audio input = { 0 };
	int need_pa = o->list_devices || !o->input || o->speak;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	kv_ws_verbose(o->verbose);
	kv_ws_ca_file(o->ca_file);

	if (need_pa && kv_au_init(o->verbose, err, sizeof err) < 0) {
		fprintf(stderr, "kefu-voice: %s\n", err);
		return KV_EXIT_DEVICE;
	}
	if (o->list_devices) {
		kv_au_list(stdout);
		kv_au_term();
		return KV_EXIT_OK;
	}
	if ((!o->input && (in_dev = kv_au_find(o->device, 1, err, sizeof err)) < 0) ||
	    (o->speak && (r.out_dev = kv_au_find(o->output_device, 0, err, sizeof err)) < 0)) {
		fprintf(stderr, "kefu-voice: %s\n", err);
		rc = KV_EXIT_DEVICE;
		goto out_pa;
	}
	if (o->input && (rc = load_input(o->input, &input)) != 0)
		goto out_pa;
	r.sess = kv_sess_open(o->url, (int)(o->timeout_s * 1000), &bad_url, err, sizeof err);
	if (!r.sess) {
		if (bad_url)
			fprintf(stderr, "kefu-voice: %s\n", err);
		else
			fprintf(stderr, "kefu-voice: cannot reach kefud at %s: %s (is it running? "
				"see --url)\n", o->url, err);
		rc = bad_url ? KV_EXIT_USAGE : KV_EXIT_SERVER;
		goto out_pa;
	}
	if (o->session) {
		int sr = kv_sess_resume(r.sess, o->session, err, sizeof err);
		if (sr < 0) {
			fprintf(stderr, "kefu-voice: %s\n", err);
			rc = KV_EXIT_SERVER;
			goto out_sess;
		}
		if (sr == 1)
			fprintf(stderr, "kefu-voice: kefud does not know session %s; a new one "
				"is used\n", o->session);
	}
	if (!o->json)
		fprintf(stderr, "kefu-voice: connected to %s (session %s)\n", o->url,
			kv_sess_token(r.sess));
	if (o->input) {
		rc = run_input(&r, &input);
	} else {
		r.cap = capture_start(o, in_dev, err, sizeof err);
		if (!r.cap) {
			fprintf(stderr, "kefu-voice: %s\n", err);
			rc = KV_EXIT_DEVICE;
			goto out_sess;
		}
		rc = o->hands_free ? run_hands_free(&r) : run_push_to_talk(&r);
		capture_stop(r.cap);
	}
	if (!rc && r.turn_errors)
		rc = KV_EXIT_TURN;
out_sess:
	kv_turn_free(&r.last);
	kv_sess_close(r.sess);
out_pa:
	asr_audio_free(&input);
	if (need_pa)
		kv_au_term();
	return rc;
}
