/* daemon/session.c — per-connection queues, rate limit, reassembly and the sid
 * registry (see session.h).  Service thread only. */
#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "buf.h"

#define RX_KEEP 16384          /* reassembly buffer kept between messages */

static int is_upload(const struct kd_job *j)
{
	return j->kind == KD_JOB_AUDIO || j->kind == KD_JOB_IMAGE;
}
#define RATE_WINDOW_US 10000000ull

void kd_registry_init(struct kd_registry *r)
{
	memset(r, 0, sizeof *r);
}

void kd_registry_free(struct kd_registry *r)
{
	free(r->slot);
	free(r->gen);
	free(r->free_list);
	memset(r, 0, sizeof *r);
}

static int grow(struct kd_registry *r)
{
	uint32_t cap = r->cap ? r->cap * 2 : 256;
	struct kd_pss **slot = realloc(r->slot, cap * sizeof *slot);
	uint32_t *gen, *fl;

	if (!slot)
		return -1;
	r->slot = slot;
	gen = realloc(r->gen, cap * sizeof *gen);
	if (!gen)
		return -1;
	r->gen = gen;
	fl = realloc(r->free_list, cap * sizeof *fl);
	if (!fl)
		return -1;
	r->free_list = fl;
	for (uint32_t i = r->cap; i < cap; i++) {
		r->slot[i] = NULL;
		r->gen[i] = 0;
	}
	r->cap = cap;
	return 0;
}

int kd_registry_add(struct kd_registry *r, struct kd_pss *pss)
{
	uint32_t i;

	if (r->n_free)
		i = r->free_list[--r->n_free];
	else {
		if (r->used == r->cap && grow(r))
			return -1;
		i = r->used++;
	}
	r->gen[i]++;
	if (!r->gen[i])
		r->gen[i] = 1;          /* never sid 0 */
	r->slot[i] = pss;
	pss->sid = ((uint64_t)r->gen[i] << 32) | i;
	return 0;
}

void kd_registry_remove(struct kd_registry *r, struct kd_pss *pss)
{
	uint32_t i = (uint32_t)pss->sid;

	if (!pss->sid || i >= r->used || r->slot[i] != pss)
		return;
	r->slot[i] = NULL;
	r->free_list[r->n_free++] = i;
	pss->sid = 0;
}

struct kd_pss *kd_registry_find(const struct kd_registry *r, uint64_t sid)
{
	uint32_t i = (uint32_t)sid;

	if (i >= r->used || r->gen[i] != (uint32_t)(sid >> 32))
		return NULL;
	return r->slot[i];
}

void kd_pss_out_push(struct kd_pss *pss, struct kd_frame *f)
{
	if (!f)
		return;
	f->next = NULL;
	if (pss->out_tail)
		pss->out_tail->next = f;
	else
		pss->out = f;
	pss->out_tail = f;
	pss->n_out++;
	pss->out_bytes += f->len;
	kd_mem_charge(f->len);
}

struct kd_frame *kd_pss_out_pop(struct kd_pss *pss)
{
	struct kd_frame *f = pss->out;

	if (!f)
		return NULL;
	pss->out = f->next;
	if (!pss->out)
		pss->out_tail = NULL;
	pss->n_out--;
	pss->out_bytes -= f->len;
	kd_mem_release(f->len);
	f->next = NULL;
	return f;
}

void kd_pss_backlog_push(struct kd_pss *pss, struct kd_job *j)
{
	j->next = NULL;
	if (pss->backlog_tail)
		pss->backlog_tail->next = j;
	else
		pss->backlog = j;
	pss->backlog_tail = j;
	pss->n_backlog++;
	pss->n_backlog_uploads += is_upload(j);
}

void kd_pss_backlog_push_front(struct kd_pss *pss, struct kd_job *j)
{
	j->next = pss->backlog;
	pss->backlog = j;
	if (!pss->backlog_tail)
		pss->backlog_tail = j;
	pss->n_backlog++;
	pss->n_backlog_uploads += is_upload(j);
}

struct kd_job *kd_pss_backlog_pop(struct kd_pss *pss)
{
	struct kd_job *j = pss->backlog;

	if (!j)
		return NULL;
	pss->backlog = j->next;
	if (!pss->backlog)
		pss->backlog_tail = NULL;
	pss->n_backlog--;
	pss->n_backlog_uploads -= is_upload(j);
	j->next = NULL;
	return j;
}

void kd_pss_clear(struct kd_pss *pss)
{
	struct kd_job *j;

	while ((j = kd_pss_backlog_pop(pss)))
		kd_job_free(j);
	kd_mem_release(pss->out_bytes);
	kd_frame_free_list(pss->out);
	pss->out = pss->out_tail = NULL;
	pss->n_out = 0;
	pss->out_bytes = 0;
	free(pss->rx);
	pss->rx = NULL;
	pss->rx_len = pss->rx_cap = 0;
	kd_job_free(pss->upload);
	pss->upload = NULL;
	pss->upload_cap = 0;
}

int kd_pss_rate_ok(struct kd_pss *pss, uint64_t now, int limit)
{
	if (!pss->rate_start_us || now - pss->rate_start_us >= RATE_WINDOW_US) {
		pss->rate_start_us = now;
		pss->rate_n = 0;
	}
	if (pss->rate_n >= (unsigned)limit)
		return 0;
	pss->rate_n++;
	return 1;
}

int kd_pss_rx_append(struct kd_pss *pss, const void *buf, size_t len, size_t max)
{
	if (pss->rx_len + len > max)
		return 1;
	if (pss->rx_len + len > pss->rx_cap) {
		size_t cap = cm_grow_cap(pss->rx_cap, pss->rx_len + len, 1024, 1);
		unsigned char *p;
		if (!cap || cap > max)
			cap = max;
		p = realloc(pss->rx, cap);
		if (!p)
			return -1;
		pss->rx = p;
		pss->rx_cap = cap;
	}
	memcpy(pss->rx + pss->rx_len, buf, len);
	pss->rx_len += len;
	return 0;
}

int kd_pss_upload_append(struct kd_pss *pss, const void *buf, size_t len)
{
	struct kd_job *j = pss->upload;

	if (j->data_len + len > j->data_want)
		return 1;
	if (j->data_len + len > pss->upload_cap) {
		/* grow by doubling (from 64 KiB) up to the announced size, so an
		 * announcement alone never reserves max_upload bytes */
		size_t cap = cm_grow_cap(pss->upload_cap, j->data_len + len, 65536, 1);
		unsigned char *p;
		if (!cap || cap > j->data_want)
			cap = j->data_want;
		p = realloc(j->data, cap);
		if (!p)
			return -1;
		j->data = p;
		pss->upload_cap = cap;
	}
	if (len)
		memcpy(j->data + j->data_len, buf, len);
	j->data_len += len;
	return 0;
}

void kd_pss_rx_reset(struct kd_pss *pss)
{
	pss->rx_len = 0;
	pss->rx_skip = 0;
	pss->rx_binary = 0;
	pss->rx_upload = 0;
	if (pss->rx_cap > RX_KEEP) {
		free(pss->rx);
		pss->rx = NULL;
		pss->rx_cap = 0;
	}
}
