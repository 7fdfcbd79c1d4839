/* daemon/budget.c — the memory budget (an atomic byte counter), the per-day upload
 * quota tables and the free-disk floor (budget.h).  The quota tables and the disk check
 * belong to the lws service thread. */
#include "budget.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "clock.h"

#include "text.h"      /* nlu_hash: the one FNV-1a */

static atomic_size_t mem_used;
static size_t mem_limit = (size_t)-1;

void kd_mem_init(size_t limit)
{
	mem_limit = limit;
	atomic_store(&mem_used, 0);
}

int kd_mem_reserve(size_t n)
{
	size_t cur = atomic_load(&mem_used);

	do {
		if (n > mem_limit || cur > mem_limit - n)
			return 0;
	} while (!atomic_compare_exchange_weak(&mem_used, &cur, cur + n));
	return 1;
}

void kd_mem_charge(size_t n)
{
	atomic_fetch_add(&mem_used, n);
}

void kd_mem_release(size_t n)
{
	atomic_fetch_sub(&mem_used, n);
}

size_t kd_mem_used(void)
{
	return atomic_load(&mem_used);
}

size_t kd_mem_limit(void)
{
	return mem_limit;
}

/* ---- quotas ------------------------------------------------------------------------ */

#define QUOTA_KEY 48            /* an IPv6 address or "s<session id>" fits */
#define QUOTA_MAX_ENTRIES 65536 /* keys kept per day; beyond, new keys share one entry */

struct kd_quota_entry {
	char key[QUOTA_KEY];    /* "" = empty slot */
	uint64_t bytes;
};

void kd_quota_init(struct kd_quota *q)
{
	memset(q, 0, sizeof *q);
}

void kd_quota_free(struct kd_quota *q)
{
	free(q->e);
	memset(q, 0, sizeof *q);
}

static struct kd_quota_entry *slot(struct kd_quota *q, const char *key)
{
	size_t i = (size_t)nlu_hash(0, key, strlen(key)) & (q->cap - 1);

	while (q->e[i].key[0] && strcmp(q->e[i].key, key))
		i = (i + 1) & (q->cap - 1);
	return &q->e[i];
}

static int grow(struct kd_quota *q)
{
	struct kd_quota old = *q;

	q->cap = old.cap ? old.cap * 2 : 256;
	q->e = calloc(q->cap, sizeof *q->e);
	if (!q->e) {
		*q = old;
		return -1;
	}
	for (size_t i = 0; i < old.cap; i++)
		if (old.e[i].key[0])
			*slot(q, old.e[i].key) = old.e[i];
	free(old.e);
	return 0;
}

int kd_quota_take(struct kd_quota *q, const char *key, uint64_t n, uint64_t limit,
		  int64_t now_s)
{
	int64_t day = now_s / 86400;
	char k[QUOTA_KEY];
	struct kd_quota_entry *e;

	if (!limit)
		return 0;
	if (day != q->day) {                  /* a new day: every count starts again */
		if (q->e)
			memset(q->e, 0, q->cap * sizeof *q->e);
		q->n = 0;
		q->day = day;
	}
	snprintf(k, sizeof k, "%s", key[0] ? key : "?");
	if (q->n >= QUOTA_MAX_ENTRIES)
		snprintf(k, sizeof k, "*");   /* too many keys today: the rest share one */
	if ((q->n + 1) * 2 > q->cap && q->n < QUOTA_MAX_ENTRIES && grow(q))
		return 1;                     /* no memory: refuse rather than not count */
	e = slot(q, k);
	if (e->bytes + n > limit)
		return 1;
	if (!e->key[0]) {
		memcpy(e->key, k, sizeof k);
		q->n++;
	}
	e->bytes += n;
	return 0;
}

/* ---- the free-disk floor ------------------------------------------------------------- */

void kd_disk_init(struct kd_disk *d, const char *db_path, uint64_t floor_bytes)
{
	char *slash;

	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "%s", db_path);
	slash = strrchr(d->dir, '/');
	if (slash)
		*(slash == d->dir ? slash + 1 : slash) = '\0';
	else
		snprintf(d->dir, sizeof d->dir, ".");
	d->floor = floor_bytes;
}

int kd_disk_ok(struct kd_disk *d)
{
	uint64_t now = cm_now_us();
	struct statvfs sv;

	if (!d->checked_us || now - d->checked_us >= 1000000) {
		d->ok = statvfs(d->dir, &sv) ||
			(uint64_t)sv.f_bavail * sv.f_frsize >= d->floor;
		d->checked_us = now;
	}
	return d->ok;
}
