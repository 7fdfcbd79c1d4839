/* daemon/review.c — kefud's review thread (review.h): fills the review queue from the
 * session log as traffic arrives and keeps its clusters up to date.
 *
 * Threads: one thread of its own with its own store connection, at the lowest priority
 * (SCHED_IDLE, nice 19: cm_background_priority); nothing on the reply path waits for
 * it.  kd_review_stop cancels a pass in progress (mn_opts.cancel).  Every
 * REVIEW_POLL_MS it reads what the store writer committed since its cursors
 * (review_cursors: customer turns, feedback, hand-offs; the writer thread is never
 * touched or slowed, the reads are WAL readers), applies mining's
 * collection rules (mn_collect, the same function `kefu eval-mining` measures) and
 * upserts the items, a pass's items in one transaction with its cursor (flush).  Each
 * turn is read from the log once: the session's turn before it (what the customer did
 * next tells on it) is the last one the scan read of that session, kept in memory with
 * its meta parsed once (last_turn); the rephrase test's vectors are kept by text
 * (vec_slot: a text is embedded once while its slot keeps it); the turns whose
 * low_confidence waits on the novelty are kept for the new-topic pass (waiting).  When
 * new items arrived (at most a twentieth of a core: CLUSTER_GAP), or the bot changed
 * (SIGHUP: its features and answers did), it re-clusters the open items' distinct texts
 * (mn_run on the current bot, acquired from kd_bots and released after) and writes the
 * clusters in one transaction; cluster ids carry over (mn_carry_ids), new ones come
 * from the "cluster_seq" cursor.
 * At most every NOVELTY_EVERY_MS, when turns arrived, the new turns are scored for a
 * new topic (mn_novelty against the store's examples and the newest REVIEW_WINDOW
 * turns, each distinct text once; cursor "novelty") and collected as new_topic or
 * low_confidence where mn_collect says; the store's example vectors are kept per bot
 * generation (mn_refs).
 * It sleeps on a cm_stopper (common/stopper.h); kd_review_stop (main thread) ends the
 * sleep and joins it.
 */
#include "review.h"
#include "review_meta.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bots.h"
#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "glove.h"
#include "hash.h"
#include "log.h"
#include "mining.h"
#include "nlu.h"
#include "stopper.h"
#include "store.h"
#include "store_review.h"

#define REVIEW_POLL_MS 2000
#define REVIEW_BATCH 500        /* turns read per log read */
#define REVIEW_BATCHES 8        /* log reads a pass at most, while they come back full */
#define REVIEW_MAX_ITEMS 3000   /* newest open items clustered (O(n²) memory and time) */
#define REVIEW_WINDOW 3000      /* newest customer turns a new topic's density is read off */
#define NOVELTY_EVERY_MS 10000  /* new-topic passes at most this often */
#define CLUSTER_GAP 20          /* after a clustering of t ms of CPU, new items wait
				   CLUSTER_GAP·t ms for the next: the queue's O(n²) pass takes
				   at most 1/20 of a core (CPU, not wall: at SCHED_IDLE on a
				   busy machine a small pass can take seconds of wall time);
				   a bot change does not wait */

/* A question collected for the queue, written with the pass's other items (flush). */
struct pending_item {
	int64_t message_id, session_id, answer_id;
	double confidence;
	unsigned why;
	char *text;
};

struct pending {
	struct pending_item *v;
	size_t n, cap;
};

/* A turn copied out of the row loop (the store is queried again while handling it). */
struct turn {
	int64_t message_id, session_id, answer_id, created_ms, reply_ms;
	double confidence;
	char *text, *meta;
	int parsed;                  /* 1: rm holds what meta says (read once a turn, when
					first needed: reply_meta) */
	struct kd_reply_meta rm;
};

static void turn_free(struct turn *t)
{
	free(t->text);
	free(t->meta);
	kd_reply_meta_free(&t->rm);
	memset(t, 0, sizeof *t);
}

/* The last turn the scan read of one session: the customer's next turn is judged
 * against it (judge_previous) without reading the log again, its meta parsed at most
 * once.  A small direct-mapped table: another session taking the slot, or a restart,
 * sends judge_previous back to the store. */
#define LAST_SLOTS 4096
struct last_turn {
	struct turn t;               /* t.session_id 0: empty */
};

/* The rephrase test's vectors (mn_similar_vec under bot generation gen) by text: a text
 * is embedded once while it stays in its slot, whichever sessions send it (customers
 * repeat greetings, button titles and common questions; a turn is compared as the next
 * turn and again as the previous one).  Direct-mapped by the text's FNV-1a hash. */
#define VEC_SLOTS 1024
struct vec_slot {
	uint64_t hash;
	char *text;                  /* NULL: empty */
	struct mn_vecs *vec;         /* NULL: the bot has no encoder (mn_similar then) */
	unsigned gen;
};

/* The turns the scan read that low_confidence waits on: answered under rules.low_conf,
 * decided once the new-topic pass reads their novelty.  A turn that falls out of that
 * pass's window first (more than REVIEW_WINDOW turns between two passes) is decided on
 * its confidence alone (decide_older) from this list instead of from the log read
 * again.  Oldest first; turns with ids up to `from` were not seen by this process's
 * scan (logged before it started, or the list overflowed): decide_older reads those
 * from the log. */
#define WAITING_MAX 100000
struct waiting {
	struct turn t;               /* no meta */
	struct mn_turn m;            /* its facts, novelty_later 0 */
};

struct waitings {
	struct waiting *v;
	size_t n, cap;
	int64_t from;                /* ids <= from: in the log only */
	int64_t last;                /* the newest id the scan considered */
	int started;                 /* from is set (the first scan) */
};

struct kd_review {
	struct store *st;            /* the thread's */
	struct kd_bots *bots;        /* not owned */
	struct nlu_glove *glove;     /* GloVe for a BM25 bot's features, or NULL */
	struct mn_refs *refs;        /* the store's example vectors, per bot generation */
	struct mn_rules rules;
	struct mn_opts opts;
	struct pending pending;      /* items collected, not written yet (flush) */
	unsigned clustered_gen;      /* bot generation of the last clustering */
	int dirty;                   /* new items since the last clustering */
	uint64_t cluster_next_ms;    /* new items wait for this (monotonic) */
	int64_t turns_read;          /* customer turns scan has read (any number that moves) */
	int novelty_due;             /* turns read since the last new-topic pass */
	uint64_t novelty_ms;         /* when the last new-topic pass ran (monotonic) */
	struct last_turn *last;      /* LAST_SLOTS */
	struct vec_slot *vecs;       /* VEC_SLOTS */
	struct mn_scratch *scratch;  /* the rephrase test's text pipeline, made once */
	struct waitings waiting;     /* low_confidence waiting on the novelty */
	pthread_t thread;
	struct cm_stopper stop;      /* its sleep between scans; kd_review_stop ends it */
	atomic_int stopping;         /* set by kd_review_stop: a pass in progress (opts.cancel)
	                                ends within a few hundred texts */
};

struct turns {
	struct turn *v;
	size_t n, cap;
};

static int copy_turn(void *arg, const struct store_review_turn *s)
{
	struct turns *a = arg;
	struct turn *nv = cm_grow(a->v, &a->cap, a->n + 1, sizeof *nv, 16);
	if (!nv)
		return -1;
	a->v = nv;
	struct turn *t = &a->v[a->n];
	*t = (struct turn){ .message_id = s->message_id, .session_id = s->session_id,
			    .answer_id = s->answer_id, .created_ms = s->created_ms,
			    .reply_ms = s->reply_ms, .confidence = s->confidence,
			    .text = strdup(s->text), .meta = s->meta ? strdup(s->meta) : NULL };
	if (!t->text) {
		free(t->meta);
		return -1;
	}
	a->n++;
	return 0;
}

static void turns_free(struct turns *a)
{
	for (size_t i = 0; i < a->n; i++)
		turn_free(&a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* t's meta, read on first use (review_meta.c). */
static const struct kd_reply_meta *reply_meta(struct turn *t)
{
	if (!t->parsed) {
		t->parsed = 1;
		kd_reply_meta_read(t->meta, &t->rm);
	}
	return &t->rm;
}

/* The reply facts of a turn, from its reply row and meta.  With the new-topic rule on,
 * the novelty comes later (novelty_pass), and with it the low_confidence decision. */
static void reply_facts(const struct kd_review *r, struct turn *t, struct mn_turn *m)
{
	const struct kd_reply_meta *rm = reply_meta(t);

	memset(m, 0, sizeof *m);
	m->answer_id = t->answer_id;
	m->confidence = t->confidence;
	m->fallback = rm->fallback;
	m->did_you_say = rm->did_you_say;
	m->refused = rm->refused;
	m->novelty_later = r->rules.novelty_k > 0;
}

/* 1 when text is one of the quick replies offered with t (a button pressed). */
static int picked(struct turn *t, const char *text)
{
	const struct kd_reply_meta *rm = reply_meta(t);

	for (size_t i = 0; i < rm->n_quick; i++)
		if (!strcmp(rm->quick[i], text))
			return 1;
	return 0;
}

/* Remembers the turn's question for the queue when a rule says so; flush writes them. */
static void collect(struct kd_review *r, const struct turn *t, const struct mn_turn *m)
{
	unsigned why = mn_collect(&r->rules, m);
	struct pending *p = &r->pending;

	if (!why)
		return;
	struct pending_item *nv = cm_grow(p->v, &p->cap, p->n + 1, sizeof *nv, 64);
	if (!nv)
		goto nomem;
	p->v = nv;
	p->v[p->n] = (struct pending_item){ t->message_id, t->session_id, t->answer_id,
					    t->confidence, why, strdup(t->text) };
	if (!p->v[p->n].text)
		goto nomem;
	p->n++;
	return;
nomem:
	LOG_WARN("review: out of memory collecting message %lld", (long long)t->message_id);
}

struct flush_arg {
	struct kd_review *r;
	const char *cursor;
	int64_t last_id;
};

static int flush_items(void *arg, struct store *st)
{
	struct flush_arg *f = arg;
	struct pending *p = &f->r->pending;
	int64_t now = cm_wall_ms();

	for (size_t i = 0; i < p->n; i++) {
		const struct pending_item *it = &p->v[i];
		int is_new = 0;
		if (store_review_collect(st, it->message_id, it->session_id, it->text, it->why,
					 it->answer_id, it->confidence, now, &is_new))
			return -1;
		f->r->dirty |= is_new;
	}
	return f->cursor ? store_review_cursor_set(st, f->cursor, f->last_id) : 0;
}

/* Writes the collected items and moves cursor (may be NULL) to last_id in one
 * transaction: one commit a pass, not one per item, so the review thread takes the
 * write lock from the store writer once per pass.  The items are dropped after (a
 * failure is logged; the cursor then stays and the turns are read again). */
static void flush(struct kd_review *r, const char *cursor, int64_t last_id)
{
	struct flush_arg f = { r, cursor, last_id };
	struct pending *p = &r->pending;

	if ((p->n || cursor) && store_transaction(r->st, flush_items, &f))
		LOG_WARN("review: writing %zu items: %s", p->n, store_errmsg(r->st));
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].text);
	p->n = 0;
}

static struct last_turn *last_slot(struct kd_review *r, int64_t session_id)
{
	return &r->last[(uint64_t)session_id * 0x9E3779B97F4A7C15ull >> 52];   /* 4096 */
}

static void last_clear(struct last_turn *l)
{
	turn_free(&l->t);
}

static void vec_slot_clear(struct vec_slot *v)
{
	free(v->text);
	mn_vecs_free(v->vec);
	memset(v, 0, sizeof *v);
}

static struct vec_slot *vec_slot_of(struct kd_review *r, const char *text, uint64_t *hash)
{
	*hash = cm_fnv1a(CM_FNV1A_INIT, text, strlen(text));
	return &r->vecs[*hash % VEC_SLOTS];
}

/* The vector of text (hash: its FNV-1a) under bot generation gen: v's when v holds it,
 * else embedded into v.  NULL when the bot has no encoder or on no memory. */
static const struct mn_vecs *slot_vec(struct kd_review *r, struct vec_slot *v, uint64_t hash,
				      const char *text, const struct nlu_bot *bot, unsigned gen)
{
	if (v->text && v->hash == hash && v->gen == gen && !strcmp(v->text, text))
		return v->vec;
	vec_slot_clear(v);
	if (!(v->text = strdup(text)))
		return NULL;
	v->hash = hash;
	v->gen = gen;
	v->vec = mn_similar_vec(bot, r->scratch, text);
	return v->vec;
}

/* 1 when the turns of p and c say much the same (mn_similar), each text embedded once
 * while its slot keeps it (slot_vec) when the bot has an encoder. */
static int similar(struct kd_review *r, struct last_turn *p, struct last_turn *c)
{
	unsigned gen;
	struct nlu_bot *bot = kd_bots_acquire(r->bots, &gen);
	int yes = 0;

	if (bot) {
		uint64_t hp, hc;
		struct vec_slot *sp = vec_slot_of(r, p->t.text, &hp),
				*sc = vec_slot_of(r, c->t.text, &hc);
		struct mn_vecs *own = NULL;   /* c's, when two texts share a slot */
		const struct mn_vecs *a = slot_vec(r, sp, hp, p->t.text, bot, gen), *b = NULL;
		if (a && sc == sp && strcmp(p->t.text, c->t.text))
			b = own = mn_similar_vec(bot, r->scratch, c->t.text);
		else if (a)
			b = slot_vec(r, sc, hc, c->t.text, bot, gen);
		yes = a && b ? mn_similar_vecs(a, b) : mn_similar(bot, p->t.text, c->t.text);
		mn_vecs_free(own);
		nlu_bot_unref(bot);
	}
	return yes;
}

/* What the customer did next tells on the turn before: asked again, or did not take
 * "Did you say ...?".  The turn before is the session's last one the scan read (the
 * scan reads every turn in order), else read from the log.  Takes *t: it becomes the
 * session's last turn. */
static void judge_previous(struct kd_review *r, struct turn *t)
{
	struct last_turn *slot = last_slot(r, t->session_id), prev = { 0 }, cur = { 0 };
	struct turns read = { 0 };
	struct mn_turn m;

	cur.t = *t;
	memset(t, 0, sizeof *t);
	if (slot->t.session_id == cur.t.session_id && slot->t.message_id < cur.t.message_id) {
		prev = *slot;                      /* moves */
		memset(slot, 0, sizeof *slot);
	} else if (!store_review_turn_before(r->st, cur.t.session_id, cur.t.message_id,
					     copy_turn, &read) && read.n) {
		prev.t = read.v[0];                /* moves */
		read.n = 0;
	}
	turns_free(&read);
	if (prev.t.session_id) {
		struct turn *p = &prev.t;
		reply_facts(r, p, &m);
		m.next = 1;
		m.next_gap_s = (double)(cur.t.created_ms - p->reply_ms) / 1000.0;
		m.next_picked = picked(p, cur.t.text);
		m.next_same_answer = cur.t.answer_id && cur.t.answer_id == p->answer_id;
		/* only then does the rule need the texts compared */
		if (!m.next_picked && !m.next_same_answer &&
		    m.next_gap_s <= r->rules.rephrase_s && !m.fallback && m.answer_id)
			m.next_similar = similar(r, &prev, &cur);
		collect(r, p, &m);
		last_clear(&prev);
	}
	last_clear(slot);
	*slot = cur;                               /* moves */
}

static int on_feedback(void *arg, int64_t id, int64_t message_id, int value)
{
	struct kd_review *r = arg;
	struct turns one = { 0 };
	struct mn_turn m;

	if (value < 0 && !store_review_turn_of_reply(r->st, message_id, copy_turn, &one) &&
	    one.n) {
		reply_facts(r, &one.v[0], &m);
		m.feedback = -1;
		collect(r, &one.v[0], &m);
	}
	turns_free(&one);
	flush(r, "feedback", id);
	return 0;
}

static int on_handoff(void *arg, int64_t id, int64_t session_id, int64_t requested_ms)
{
	struct kd_review *r = arg;
	struct turns one = { 0 };
	struct mn_turn m;

	if (!store_review_turn_last(r->st, session_id, requested_ms, copy_turn, &one) &&
	    one.n) {
		reply_facts(r, &one.v[0], &m);
		m.handoff = 1;
		collect(r, &one.v[0], &m);
	}
	turns_free(&one);
	flush(r, "handoffs", id);
	return 0;
}

/* Keeps t in the waiting list when its low_confidence waits on the novelty (m: its
 * facts as the scan collected them). */
static void wait_novelty(struct kd_review *r, const struct turn *t, const struct mn_turn *m)
{
	struct waitings *w = &r->waiting;
	struct mn_turn alone = *m;

	if (t->message_id <= w->last)        /* read again after a failed pass: kept */
		return;
	w->last = t->message_id;
	alone.novelty_later = 0;
	if (!(mn_collect(&r->rules, &alone) & ~mn_collect(&r->rules, m) & MN_LOW_CONF))
		return;
	struct waiting *nv = w->n < WAITING_MAX ? cm_grow(w->v, &w->cap, w->n + 1, sizeof *nv, 256)
						: NULL;
	if (!nv)
		goto lost;
	w->v = nv;
	struct waiting *e = &w->v[w->n];
	*e = (struct waiting){ .t = { .message_id = t->message_id, .session_id = t->session_id,
				      .answer_id = t->answer_id, .confidence = t->confidence,
				      .text = strdup(t->text) },
			       .m = alone };
	if (!e->t.text)
		goto lost;
	w->n++;
	return;
lost:   /* the log still has it: decide_older reads up to here from there */
	for (size_t i = 0; i < w->n; i++)
		turn_free(&w->v[i].t);
	w->n = 0;
	w->from = t->message_id;
}

/* Drops the waiting turns the new-topic pass has decided (ids <= cursor). */
static void waiting_done(struct waitings *w, int64_t cursor)
{
	size_t k = 0;

	while (k < w->n && w->v[k].t.message_id <= cursor)
		turn_free(&w->v[k++].t);
	if (!k)
		return;                 /* nothing decided (w->v may still be NULL) */
	memmove(w->v, w->v + k, (w->n - k) * sizeof *w->v);
	w->n -= k;
}

/* One pass over what the log gained since the cursors: batches of REVIEW_BATCH turns
 * read on while they come back full, up to REVIEW_BATCHES of them (4,000 turns a 2-s
 * poll, 2,000 a second), with one write transaction for all of them (flush).  Reads
 * are WAL reads and take no lock; a write transaction per batch is what made a
 * SCHED_IDLE thread that read on hold the write lock often enough to make a worker's
 * session create time out (docs/performance.md "Issue 14, third pass"). */
static void scan(struct kd_review *r)
{
	int64_t cur, last_id = 0;
	size_t read = 0;

	if (store_review_cursor(r->st, "messages", &cur)) {
		LOG_WARN("review: reading the log: %s", store_errmsg(r->st));
		return;
	}
	if (!r->waiting.started) {
		r->waiting.started = 1;
		r->waiting.from = r->waiting.last = cur;
	}
	for (int b = 0; b < REVIEW_BATCHES; b++) {
		struct turns a = { 0 };
		if (store_review_turns_after(r->st, last_id ? last_id : cur, REVIEW_BATCH,
					     copy_turn, &a) < 0) {
			LOG_WARN("review: reading the log: %s", store_errmsg(r->st));
			turns_free(&a);
			break;
		}
		if (a.n)
			last_id = a.v[a.n - 1].message_id;
		for (size_t i = 0; i < a.n; i++) {
			struct mn_turn m;
			reply_facts(r, &a.v[i], &m);
			collect(r, &a.v[i], &m);
			wait_novelty(r, &a.v[i], &m);
			judge_previous(r, &a.v[i]);        /* takes the turn */
		}
		read += a.n;
		turns_free(&a);
		if (read < (size_t)(b + 1) * REVIEW_BATCH || atomic_load(&r->stopping))
			break;
	}
	if (read)
		flush(r, "messages", last_id);
	r->turns_read += (int64_t)read;
	/* the callbacks move their cursors row by row */
	int64_t fb, ho;
	if (store_review_cursor(r->st, "feedback", &fb) ||
	    store_review_feedback_after(r->st, fb, on_feedback, r) < 0 ||
	    store_review_cursor(r->st, "handoffs", &ho) ||
	    store_review_handoffs_after(r->st, ho, on_handoff, r) < 0)
		LOG_WARN("review: reading feedback and hand-offs: %s", store_errmsg(r->st));
}

/* ---- new topics (mn_novelty) --------------------------------------------------------- */

struct texts {
	char **v;
	size_t n, cap;
};

static int push_text(struct texts *t, const char *s)
{
	char **nv = cm_grow(t->v, &t->cap, t->n + 1, sizeof *nv, 1024);
	if (!nv)
		return -1;
	t->v = nv;
	if (!(t->v[t->n] = strdup(s)))
		return -1;
	t->n++;
	return 0;
}

static int example_text(void *arg, int64_t answer_id, const char *text)
{
	(void)answer_id;
	return push_text(arg, text);
}

/* The turns after `after` and before `end`, read from the log, decided on their
 * confidence alone. */
static void decide_from_log(struct kd_review *r, int64_t after, int64_t end)
{
	while (after < end) {
		struct turns a = { 0 };
		if (store_review_turns_after(r->st, after, REVIEW_BATCH, copy_turn, &a) < 0 ||
		    !a.n) {
			turns_free(&a);
			return;
		}
		for (size_t i = 0; i < a.n && a.v[i].message_id < end; i++) {
			struct mn_turn m;
			reply_facts(r, &a.v[i], &m);
			m.novelty_later = 0;
			collect(r, &a.v[i], &m);
		}
		after = a.v[a.n - 1].message_id;
		turns_free(&a);
	}
}

/* Turns logged after the "novelty" cursor cur but older than the window (a burst of
 * more than REVIEW_WINDOW turns between two passes): no novelty is read for them, so
 * low_confidence is decided on the confidence alone.  Of the turns this process's scan
 * read (after waiting.from up to waiting.last) it kept those the decision can add a
 * reason to (r->waiting); the others are read from the log. */
static void decide_older(struct kd_review *r, int64_t cur, int64_t window_first)
{
	const struct waitings *w = &r->waiting;

	if (!w->started) {
		decide_from_log(r, cur, window_first);
		return;
	}
	decide_from_log(r, cur, w->from + 1 < window_first ? w->from + 1 : window_first);
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].t.message_id > cur && w->v[i].t.message_id < window_first)
			collect(r, &w->v[i].t, &w->v[i].m);
	decide_from_log(r, w->last > cur ? w->last : cur, window_first);
}

/* ---- the same text, once ------------------------------------------------------------ */

/* Two turns or items with the same text have the same vector (features of the text
 * alone), so the same similarities: what is computed per text is computed once. */

static int text_cmp(const void *a, const void *b, void *arg)
{
	const char *const *texts = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(texts[i], texts[j]);

	return c ? c : (i > j) - (i < j);
}

/* Groups texts[from..n) by equal text: first[0..*nd) gets the lowest index of each
 * distinct text (in text order), of[i - from] the group of text i.  0, or -1 on no
 * memory. */
static int group_texts(const char *const *texts, size_t from, size_t n, size_t *first,
		       size_t *nd, size_t *of)
{
	size_t m = n - from, *by = malloc((m ? m : 1) * sizeof *by);

	if (!by)
		return -1;
	for (size_t i = 0; i < m; i++)
		by[i] = from + i;
	qsort_r(by, m, sizeof *by, text_cmp, (void *)texts);
	*nd = 0;
	for (size_t g = 0; g < m; g++) {
		if (!g || strcmp(texts[by[g]], texts[by[g - 1]]))
			first[(*nd)++] = by[g];
		of[by[g] - from] = *nd - 1;
	}
	free(by);
	return 0;
}

/* The scoring order of a new-topic pass's window texts[0..n) with new turns from on:
 * the turns before from, then the new turns whose text an earlier new turn has, then
 * one per distinct new text from *scored on; rep[i - from] is the position in order of
 * turn i's text.  Its duplicates stay in the window (each is the other's neighbour,
 * the density counts every turn), but each text is scored once a pass however often
 * customers sent it.  0, or -1 on no memory. */
static int scoring_order(const char *const *texts, size_t from, size_t n, size_t *order,
			 size_t *rep, size_t *scored)
{
	size_t m = n - from, nd, *first = malloc((m ? m : 1) * sizeof *first);
	char *is_first = calloc(m ? m : 1, 1);

	if (!first || !is_first || group_texts(texts, from, n, first, &nd, rep)) {
		free(first);
		free(is_first);
		return -1;
	}
	*scored = n - nd;
	for (size_t i = 0; i < from; i++)
		order[i] = i;
	for (size_t g = 0; g < nd; g++) {
		order[*scored + g] = first[g];
		is_first[first[g] - from] = 1;
	}
	for (size_t i = from, d = from; i < n; i++)
		if (!is_first[i - from])
			order[d++] = i;
	for (size_t i = 0; i < m; i++)
		rep[i] += *scored;
	free(first);
	free(is_first);
	return 0;
}

/* The turns logged since the "novelty" cursor, scored by mn_novelty against the store's
 * example questions and the window of the newest REVIEW_WINDOW customer turns (the
 * traffic the topic's density is read off), and collected as new_topic where the rule
 * says (and, for a low-confidence answer, low_confidence: it waits for the novelty).  At
 * most every NOVELTY_EVERY_MS.  The store's examples are embedded once per bot
 * generation and set of example texts (mn_refs_get); the window each pass. */
static void novelty_pass(struct kd_review *r)
{
	struct turns w = { 0 };
	struct texts all = { 0 };
	const struct mn_vecs *ref;
	const char **q = NULL;
	float *nov = NULL;
	size_t *order = NULL, *rep = NULL, first = 0;
	int64_t cur;
	unsigned gen;
	struct nlu_bot *bot = kd_bots_acquire(r->bots, &gen);
	char err[256];
	size_t from = 0;
	int fresh = 0;
	uint64_t t0 = cm_now_us();

	if (!bot || store_review_cursor(r->st, "novelty", &cur) ||
	    store_review_turns_last(r->st, REVIEW_WINDOW, copy_turn, &w) < 0 ||
	    store_examples_foreach(r->st, example_text, &all) < 0) {
		LOG_WARN("review: new topics: %s", store_errmsg(r->st));
		goto out;
	}
	waiting_done(&r->waiting, cur);
	while (from < w.n && w.v[from].message_id <= cur)
		from++;
	if (from == w.n)
		goto done;
	if (from == 0)
		decide_older(r, cur, w.v[0].message_id);
	if (!all.n) {   /* no examples, no density to compare: the confidence alone */
		for (size_t i = from; i < w.n; i++) {
			struct mn_turn m;
			reply_facts(r, &w.v[i], &m);
			m.novelty_later = 0;
			collect(r, &w.v[i], &m);
		}
		goto done;
	}
	if (!(q = malloc(w.n * sizeof *q)) || !(nov = malloc(w.n * sizeof *nov)) ||
	    !(order = malloc(w.n * sizeof *order)) ||
	    !(rep = malloc((w.n - from) * sizeof *rep))) {
		LOG_WARN("review: new topics: out of memory");
		goto out;
	}
	for (size_t i = 0; i < w.n; i++)
		q[i] = w.v[i].text;
	if (scoring_order(q, from, w.n, order, rep, &first)) {
		LOG_WARN("review: new topics: out of memory");
		goto out;
	}
	for (size_t i = 0; i < w.n; i++)
		q[i] = w.v[order[i]].text;
	if (!(ref = mn_refs_get(r->refs, bot, gen, r->glove, &r->opts,
				(const char *const *)all.v, all.n, &fresh, err, sizeof err)) ||
	    mn_novelty_texts(ref, bot, r->glove, &r->opts, q, w.n, r->rules.novelty_k, first,
			     nov, err, sizeof err)) {
		LOG_WARN("review: new topics: %s", err);
		goto out;
	}
	int n_new = 0;
	for (size_t i = from; i < w.n; i++) {
		struct mn_turn m;
		reply_facts(r, &w.v[i], &m);
		m.has_novelty = 1;
		m.novelty = nov[rep[i - from]];
		n_new += (mn_collect(&r->rules, &m) & MN_NEW_TOPIC) != 0;
		collect(r, &w.v[i], &m);
	}
	LOG_INFO("review: new topics: %zu turns (%zu texts) scored against %zu examples (%s) "
		 "and %zu turns, %d new_topic (%.0f ms)", w.n - from, w.n - first, all.n,
		 fresh ? "embedded" : "kept", w.n, n_new, (double)(cm_now_us() - t0) / 1000.0);
done:
	if (w.n)
		flush(r, "novelty", w.v[w.n - 1].message_id);
out:
	flush(r, NULL, 0);   /* what decide_older collected before a failure */
	for (size_t i = 0; i < all.n; i++)
		free(all.v[i]);
	free(all.v);
	free(q);
	free(nov);
	free(order);
	free(rep);
	turns_free(&w);
	if (bot)
		nlu_bot_unref(bot);
}

struct open_items {
	int64_t *id, *cluster;
	char **text;
	size_t n, cap;
};

static int copy_item(void *arg, const struct store_review_item *it)
{
	struct open_items *o = arg;
	if (o->n == o->cap)
		return 1;
	if (!(o->text[o->n] = strdup(it->text)))
		return -1;
	o->id[o->n] = it->id;
	o->cluster[o->n++] = it->cluster_id;
	return 0;
}

/* Re-clusters the open items with the current bot's features and answers.  The
 * clustering runs over the items' distinct texts (a question asked 500 times is one
 * phrasing to group, as it is one vector): the O(n²) pass grows with the phrasings, not
 * with how often customers repeat them; each item then takes its text's cluster, and a
 * cluster's size counts its items. */
static void recluster(struct kd_review *r)
{
	struct open_items o = { .cap = REVIEW_MAX_ITEMS };
	struct mn_result res = { 0 };
	struct store_review_cluster *cl = NULL;
	int64_t *ids = NULL, *of = NULL, seq = 0, *size = NULL;
	size_t *first = NULL, *grp = NULL, nd = 0;
	const char **dtext = NULL;
	int *item_cluster = NULL;
	unsigned gen;
	struct nlu_bot *bot = kd_bots_acquire(r->bots, &gen);
	struct nlu_state *ns = bot ? nlu_state_create(bot) : NULL;
	char err[256];
	uint64_t t0 = cm_now_us(), cpu0 = cm_thread_cpu_ns();

	o.id = malloc(o.cap * sizeof *o.id);
	o.cluster = malloc(o.cap * sizeof *o.cluster);
	o.text = malloc(o.cap * sizeof *o.text);
	if (!ns || !o.id || !o.cluster || !o.text ||
	    store_review_open_foreach(r->st, (int)o.cap, copy_item, &o) < 0 ||
	    store_review_cursor(r->st, "cluster_seq", &seq)) {
		LOG_WARN("review: cannot read the queue: %s", store_errmsg(r->st));
		goto out;
	}
	for (size_t i = 0; i < o.n; i++)
		if (o.cluster[i] > seq)
			seq = o.cluster[i];
	seq++;
	first = malloc((o.n ? o.n : 1) * sizeof *first);
	grp = malloc((o.n ? o.n : 1) * sizeof *grp);
	dtext = malloc((o.n ? o.n : 1) * sizeof *dtext);
	item_cluster = malloc((o.n ? o.n : 1) * sizeof *item_cluster);
	if (!first || !grp || !dtext || !item_cluster ||
	    group_texts((const char *const *)o.text, 0, o.n, first, &nd, grp)) {
		LOG_WARN("review: clustering: out of memory");
		goto out;
	}
	for (size_t g = 0; g < nd; g++)
		dtext[g] = o.text[first[g]];
	if (mn_run(bot, ns, r->glove, &r->opts, dtext, nd, &res, err, sizeof err)) {
		LOG_WARN("review: clustering: %s", err);
		goto out;
	}
	for (size_t i = 0; i < o.n; i++)
		item_cluster[i] = res.cluster[grp[i]];
	ids = malloc((size_t)(res.k ? res.k : 1) * sizeof *ids);
	size = calloc((size_t)(res.k ? res.k : 1), sizeof *size);
	of = malloc((o.n ? o.n : 1) * sizeof *of);
	cl = calloc((size_t)(res.k ? res.k : 1), sizeof *cl);
	if (!ids || !size || !of || !cl ||
	    mn_carry_ids(o.cluster, item_cluster, o.n, res.k, ids, &seq))
		goto out;
	for (size_t i = 0; i < o.n; i++)
		size[item_cluster[i]]++;
	int64_t now = cm_wall_ms();
	for (int c = 0; c < res.k; c++)
		cl[c] = (struct store_review_cluster){
			.id = ids[c], .label = dtext[res.named[c].central],
			.terms = res.named[c].terms, .answer_id = res.named[c].answer_id,
			.answer_p = res.named[c].answer_p, .size = size[c], .updated_ms = now };
	for (size_t i = 0; i < o.n; i++)
		of[i] = ids[item_cluster[i]];
	if (store_review_set_clusters(r->st, o.id, of, o.n, cl, (size_t)res.k) ||
	    store_review_cursor_set(r->st, "cluster_seq", seq - 1)) {
		LOG_WARN("review: writing clusters: %s", store_errmsg(r->st));
		goto out;
	}
	r->dirty = 0;
	r->clustered_gen = gen;
	uint64_t cpu_ms = (cm_thread_cpu_ns() - cpu0) / 1000000;
	r->cluster_next_ms = cm_now_us() / 1000 + CLUSTER_GAP * cpu_ms;
	LOG_INFO("review: %zu open questions (%zu texts) in %d clusters (%.0f ms, %llu ms of "
		 "CPU)", o.n, nd, res.k, (double)(cm_now_us() - t0) / 1000.0,
		 (unsigned long long)cpu_ms);
out:
	for (size_t i = 0; o.text && i < o.n; i++)
		free(o.text[i]);
	free(o.id);
	free(o.cluster);
	free(o.text);
	free(ids);
	free(size);
	free(of);
	free(cl);
	free(first);
	free(grp);
	free(dtext);
	free(item_cluster);
	mn_result_free(&res);
	nlu_state_destroy(ns);
	if (bot)
		nlu_bot_unref(bot);
}

static void *review_main(void *arg)
{
	struct kd_review *r = arg;

	pthread_setname_np(pthread_self(), "kd-review");
	/* its passes (clustering, new-topic scoring: up to a few hundred µs of CPU a turn
	 * under heavy traffic, bench/ws) never take CPU from the replies */
	cm_background_priority("review");
	do {
		int64_t before = r->turns_read;
		scan(r);
		if ((r->turns_read != before || r->novelty_due) &&
		    cm_now_us() / 1000 >= r->novelty_ms + NOVELTY_EVERY_MS) {
			novelty_pass(r);
			r->novelty_ms = cm_now_us() / 1000;
			r->novelty_due = 0;
		} else if (r->turns_read != before) {
			r->novelty_due = 1;
		}
		if ((r->dirty && cm_now_us() / 1000 >= r->cluster_next_ms) ||
		    kd_bots_generation(r->bots) != r->clustered_gen)
			recluster(r);
	} while (!cm_stopper_sleep(&r->stop, REVIEW_POLL_MS));
	return NULL;
}

struct kd_review *kd_review_start(const struct kefu_conf *conf, struct kd_bots *bots,
				  char *err, size_t errlen)
{
	struct kd_review *r = calloc(1, sizeof *r);
	char path[CONF_STR_MAX + 32], gerr[256];

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->bots = bots;
	if (!(r->last = calloc(LAST_SLOTS, sizeof *r->last)) ||
	    !(r->vecs = calloc(VEC_SLOTS, sizeof *r->vecs)) ||
	    !(r->scratch = mn_scratch_create())) {
		free(r->last);
		free(r->vecs);
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->clustered_gen = (unsigned)-1;   /* cluster once at start: the bot may be new */
	mn_rules_default(&r->rules);
	mn_opts_default(&r->opts);
	r->opts.cancel = &r->stopping;
	cm_stopper_init(&r->stop);
	nlu_glove_path(conf->models, path, sizeof path);
	if (!access(path, R_OK) && !(r->glove = nlu_glove_open(path, gerr, sizeof gerr)))
		LOG_WARN("review: clustering without GloVe: %s", gerr);
	if (!(r->refs = mn_refs_create())) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!(r->st = store_open(conf->db, err, errlen)))
		goto fail;
	/* its commits (every poll) leave checkpoints to the log writer's checkpointer */
	if (store_leave_checkpoints(r->st)) {
		snprintf(err, errlen, "%s", store_errmsg(r->st));
		store_close(r->st);
		goto fail;
	}
	if (pthread_create(&r->thread, NULL, review_main, r)) {
		snprintf(err, errlen, "cannot start the review thread");
		store_close(r->st);
		goto fail;
	}
	return r;
fail:
	free(r->last);
	free(r->vecs);
	mn_scratch_free(r->scratch);
	mn_refs_free(r->refs);
	nlu_glove_close(r->glove);
	cm_stopper_destroy(&r->stop);
	free(r);
	return NULL;
}

void kd_review_stop(struct kd_review *r)
{
	if (!r)
		return;
	atomic_store(&r->stopping, 1);
	cm_stopper_stop(&r->stop);
	pthread_join(r->thread, NULL);
	store_close(r->st);
	mn_refs_free(r->refs);
	nlu_glove_close(r->glove);
	cm_stopper_destroy(&r->stop);
	free(r->pending.v);
	for (size_t i = 0; i < LAST_SLOTS; i++)
		last_clear(&r->last[i]);
	free(r->last);
	for (size_t i = 0; i < VEC_SLOTS; i++)
		vec_slot_clear(&r->vecs[i]);
	free(r->vecs);
	waiting_done(&r->waiting, INT64_MAX);
	free(r->waiting.v);
	mn_scratch_free(r->scratch);
	free(r);
}
