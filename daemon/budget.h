/* daemon/budget.h — what hostile clients may make kefud hold and keep: one process-wide
 * memory budget in bytes, per-day upload quotas, the free-disk floor and the real length
 * of an upload (docs/security.md).
 *
 * MEMORY.  Every byte a client makes kefud keep for it is charged: the announced size
 * of an upload (reserved when its header is accepted, so the buffer can never outgrow
 * it), message texts, and replies queued for a client that has not read them yet.
 * Bytes are released when the job is freed (on a worker: kd_job_free) or the frame is
 * written.  The counter is an atomic, so any thread may release; reservations are made
 * on the lws service thread, which refuses new work with `busy` when it would pass the
 * budget.  Pictures and clips being decoded are not charged: at most media_workers run
 * at once, each bounded by max_image_pixels / max_audio_seconds.
 *
 * QUOTAS.  Upload bytes per session and per client address per UTC day, counted as
 * received (an upper bound of what is stored: uploads are trimmed, below).  Kept in
 * memory on the service thread: a restart forgets them.
 *
 * DISK.  Uploads are refused and /readyz fails while the file system holding the
 * database has less than min_free_disk free (statvfs, at most once a second).
 *
 * TRIM.  The real length of an uploaded picture or voice clip: where its container says
 * the content ends, so bytes appended after it (padding, junk, a second file) are never
 * kept, decoded or stored.  kefud calls it on the lws service thread when an upload is
 * complete, before the job is queued (ws.c).
 */
#ifndef KEFU_DAEMON_BUDGET_H
#define KEFU_DAEMON_BUDGET_H

#include <stddef.h>
#include <stdint.h>

/* Sets the budget (bytes).  Main thread, before any connection. */
void kd_mem_init(size_t limit);
/* Charges n bytes if they fit under the budget: 1 charged, 0 refused.  Service thread. */
int kd_mem_reserve(size_t n);
/* Charges n bytes whether or not they fit (replies that must be delivered).  Any thread. */
void kd_mem_charge(size_t n);
/* Gives n charged bytes back.  Any thread. */
void kd_mem_release(size_t n);
size_t kd_mem_used(void);
size_t kd_mem_limit(void);

struct kd_quota_entry;

/* Bytes per key per UTC day.  Service thread only. */
struct kd_quota {
	struct kd_quota_entry *e;   /* open addressing, cap a power of two */
	size_t cap, n;
	int64_t day;                /* UTC day the entries count */
};

void kd_quota_init(struct kd_quota *q);
void kd_quota_free(struct kd_quota *q);
/* Adds n bytes to key's count for today if the result stays <= limit (limit 0: no
 * limit, always added).  Returns 0 added, 1 over the quota (nothing added).  now_s is
 * the Unix time in seconds. */
int kd_quota_take(struct kd_quota *q, const char *key, uint64_t n, uint64_t limit,
		  int64_t now_s);

/* The free-disk floor of the database's folder.  Service thread only. */
struct kd_disk {
	char dir[4096];             /* the database's folder */
	uint64_t floor;             /* bytes that must stay free */
	uint64_t checked_us;        /* last statvfs */
	int ok;
};

void kd_disk_init(struct kd_disk *d, const char *db_path, uint64_t floor_bytes);
/* 1 while the free space is at least the floor (or cannot be read). */
int kd_disk_ok(struct kd_disk *d);

/* ---- trim ---- */

/* Length of the content of buf[0..len) as its container declares it: PNG (to IEND),
 * JPEG (to EOI after the last scan), GIF (to the trailer), RIFF (WAV, WebP: the RIFF
 * size), Ogg (to the end-of-stream page), ISO BMFF (HEIF, AVIF, MP4 audio: the
 * top-level boxes).  Returns len when the format is not one of these or its structure
 * is cut or malformed (the decoders then judge it). */
size_t kd_trim_len(const unsigned char *buf, size_t len);

#endif
