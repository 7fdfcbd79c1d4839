/* daemon/budget.c — what a client may make kefud hold and keep (budget.h): the memory
 * budget (an atomic byte counter), the per-day upload quota tables, the free-disk floor,
 * and where an upload's content really ends (the container walkers, so bytes after it
 * are never kept).  The quota tables and the disk check belong to the lws service
 * thread; the counter may be released from any thread; the walkers are pure (any
 * thread).
 */
#include "budget.h"

#include <stdatomic.h>
#include <stdint.h>
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

/* ---- where an upload's content ends (kd_trim_len) ----------------------------------------
 * Each walker only follows lengths and markers; it never decodes.  A walker that meets
 * something it does not understand answers "keep everything" (len), so the decoder stays
 * the judge of malformed data. */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* PNG: signature, then chunks {len, type, data, crc} up to and including IEND. */
static size_t png_len(const unsigned char *b, size_t len)
{
	size_t off = 8;

	while (off + 12 <= len) {
		uint32_t n = be32(b + off);
		size_t end;

		if (n > len)                         /* also keeps off + 12 + n from wrapping */
			return len;
		end = off + 12 + n;
		if (end > len)
			return len;
		if (!memcmp(b + off + 4, "IEND", 4))
			return end;
		off = end;
	}
	return len;
}

/* JPEG: marker segments with lengths; after each SOS the entropy-coded data runs to
 * the next marker that is not a stuffed 0xFF00 or a restart marker (RST0..7).  The
 * content ends after EOI (0xFFD9). */
static size_t jpeg_len(const unsigned char *b, size_t len)
{
	size_t off = 2;

	while (off + 2 <= len) {
		unsigned m;

		if (b[off] != 0xFF)
			return len;
		while (off + 1 < len && b[off + 1] == 0xFF)   /* fill bytes */
			off++;
		if (off + 2 > len)
			return len;
		m = b[off + 1];
		if (m == 0xD9)
			return off + 2;
		if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  /* no length */
			off += 2;
			continue;
		}
		if (off + 4 > len)
			return len;
		off += 2 + ((size_t)b[off + 2] << 8 | b[off + 3]);
		if (off > len)
			return len;
		if (m != 0xDA)
			continue;
		/* entropy-coded data after SOS */
		while (off + 1 < len) {
			if (b[off] == 0xFF && b[off + 1] != 0x00 &&
			    !(b[off + 1] >= 0xD0 && b[off + 1] <= 0xD7))
				break;
			off++;
		}
		if (off + 1 >= len)
			return len;
	}
	return len;
}

/* GIF: header, logical screen (+ global colour table), then extension and image blocks
 * (data sub-blocks ended by a 0 length) up to the trailer 0x3B. */
static size_t gif_skip_subblocks(const unsigned char *b, size_t len, size_t off)
{
	while (off < len && b[off])
		off += 1 + (size_t)b[off];
	return off < len ? off + 1 : 0;
}

static size_t gif_len(const unsigned char *b, size_t len)
{
	size_t off = 13;

	if (len < 13)
		return len;
	if (b[10] & 0x80)
		off += 3u * (1u << ((b[10] & 7) + 1));
	while (off < len) {
		if (b[off] == 0x3B)
			return off + 1;
		if (b[off] == 0x21) {                 /* extension: label, sub-blocks */
			if (off + 2 > len || !(off = gif_skip_subblocks(b, len, off + 2)))
				return len;
		} else if (b[off] == 0x2C) {          /* image descriptor */
			if (off + 10 > len)
				return len;
			unsigned flags = b[off + 9];
			off += 10;
			if (flags & 0x80)
				off += 3u * (1u << ((flags & 7) + 1));
			if (off + 1 > len || !(off = gif_skip_subblocks(b, len, off + 1)))
				return len;
		} else
			return len;
	}
	return len;
}

/* RIFF (WAV, WebP): "RIFF", little-endian size of what follows, padded to even. */
static size_t riff_len(const unsigned char *b, size_t len)
{
	uint64_t n = (uint64_t)le32(b + 4) + 8;

	n += n & 1;
	return n <= len && n >= 12 ? (size_t)n : len;
}

/* Ogg: pages "OggS" with a segment table; the stream ends with the page flagged
 * end-of-stream (header type bit 2).  Only a single logical stream is trimmed. */
static size_t ogg_len(const unsigned char *b, size_t len)
{
	size_t off = 0;

	while (off + 27 <= len && !memcmp(b + off, "OggS", 4)) {
		unsigned nseg = b[off + 26], flags = b[off + 5];
		size_t body = 0;

		if (off + 27 + nseg > len)
			return len;
		for (unsigned i = 0; i < nseg; i++)
			body += b[off + 27 + i];
		off += 27 + nseg + body;
		if (off > len)
			return len;
		if (flags & 4)
			return off;
	}
	return len;
}

/* ISO BMFF (HEIF, AVIF, MP4/M4A): top-level boxes {size32, type[, size64]} back to back;
 * the content ends after the last box that fits; bytes that do not form a box are
 * dropped only when an "mdat" or "meta" box was seen (a real file). */
static size_t bmff_len(const unsigned char *b, size_t len)
{
	size_t off = 0;
	int real = 0;

	while (off + 8 <= len) {
		uint64_t n = be32(b + off);

		if (n == 1) {
			if (off + 16 > len)
				break;
			n = (uint64_t)be32(b + off + 8) << 32 | be32(b + off + 12);
		} else if (n == 0) {
			return len;                   /* "to the end of the file" */
		}
		if (n < 8 || n > len - off)
			break;
		if (!memcmp(b + off + 4, "mdat", 4) || !memcmp(b + off + 4, "meta", 4) ||
		    !memcmp(b + off + 4, "moov", 4))
			real = 1;
		off += (size_t)n;
	}
	return real && off ? off : len;
}

size_t kd_trim_len(const unsigned char *b, size_t len)
{
	if (!b)
		return len;
	if (len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
		return png_len(b, len);
	if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		return jpeg_len(b, len);
	if (len >= 6 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6)))
		return gif_len(b, len);
	if (len >= 12 && !memcmp(b, "RIFF", 4))
		return riff_len(b, len);
	if (len >= 27 && !memcmp(b, "OggS", 4))
		return ogg_len(b, len);
	if (len >= 12 && !memcmp(b + 4, "ftyp", 4))
		return bmff_len(b, len);
	return len;
}
