/* store/wal_vfs.c — a VFS shim ("kefu") over SQLite's default one that writes the WAL
 * frames of a commit with one pwrite instead of two a frame.
 *
 * SQLite appends each frame of a commit to the WAL as two writes, its 24-byte header
 * and its page; the log writer's batches are dozens of frames (each turn lands on its
 * session's page of two indexes: 90 frames a commit under bench/ws's 100 sessions), and
 * each small write costs the kernel its page-cache look-ups and a system call
 * (docs/performance.md "fifth pass").  This shim keeps, per WAL file, the frames a
 * commit appends in a buffer and writes them at once (in writes of 120 KB: the unix
 * VFS takes no more in one) when the commit frame's page
 * arrives, inside that xWrite, so its error is the commit's (the WAL format marks the
 * commit frame: its header's second word, the database size after the commit, is
 * non-zero).  Only what SQLite writes as frames is buffered: a 24-byte header at the end
 * of the buffer's range, then a page right after it; any other write, any other call
 * on the file (read, sync, truncate, size, file control, close, lock), a write that is
 * not contiguous or a full buffer writes out what is buffered first.  So nothing another
 * connection can read (frames up to the commit the shared index publishes) is ever
 * held back, and a crash loses only frames of a commit that never returned.  Other
 * files (the database, journals) are the default VFS's own.
 *
 * store_open opens every connection with it.  A file's buffer belongs to the connection
 * using the file (one thread at a time).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define WV_FRAME_HDR 24
#define WV_BUF (1 << 20)      /* bytes buffered at most (about 250 frames of 4 KB) */
#define WV_CHUNK (120 << 10)  /* bytes a write at most */

struct wv_file {
	sqlite3_file base;           /* pMethods = &wv_io */
	sqlite3_file *real;          /* the default VFS's file, right after this struct */
	unsigned char *buf;          /* [WV_BUF] once something was buffered */
	size_t len;                  /* bytes buffered */
	sqlite3_int64 off;           /* file offset of buf[0] */
	int after_header;            /* the buffer ends with a frame header: a page may follow */
	int commit;                  /* ... the commit frame's */
};

static sqlite3_vfs wv_vfs;
static sqlite3_vfs *wv_real;

/* Writes out what is buffered.  SQLITE_OK or an I/O error code. */
static int wv_flush(struct wv_file *f)
{
	int rc = SQLITE_OK;

	/* the unix VFS writes a request with one pwrite of at most 128 KB - 1 (it masks the
	 * count: a larger one comes back short, SQLITE_FULL) */
	for (size_t done = 0; rc == SQLITE_OK && done < f->len; done += WV_CHUNK) {
		size_t n = f->len - done < WV_CHUNK ? f->len - done : WV_CHUNK;
		rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
					       f->off + (sqlite3_int64)done);
	}
	f->len = 0;
	f->after_header = f->commit = 0;
	return rc;
}

static int wv_append(struct wv_file *f, const void *p, int amt, sqlite3_int64 off)
{
	if (!f->buf && !(f->buf = malloc(WV_BUF)))
		return SQLITE_IOERR_NOMEM;
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, p, (size_t)amt);
	f->len += (size_t)amt;
	return SQLITE_OK;
}

static int wv_write(sqlite3_file *file, const void *p, int amt, sqlite3_int64 off)
{
	struct wv_file *f = (struct wv_file *)file;
	int contiguous = f->len && off == f->off + (sqlite3_int64)f->len;
	int rc;

	if (contiguous && f->after_header && amt != WV_FRAME_HDR &&
	    f->len + (size_t)amt <= WV_BUF) {
		/* the page of the frame whose header is buffered */
		int commit = f->commit;
		if ((rc = wv_append(f, p, amt, off)))
			return rc;
		f->after_header = 0;
		return commit ? wv_flush(f) : SQLITE_OK;
	}
	if (amt == WV_FRAME_HDR && off >= 32) {
		/* a frame header; its page (64 KB at most) follows */
		const unsigned char *h = p;
		if ((f->len && (!contiguous || f->after_header ||
				f->len + WV_FRAME_HDR + 65536 > WV_BUF)) && (rc = wv_flush(f)))
			return rc;
		if ((rc = wv_append(f, p, amt, off)))
			return rc;
		f->after_header = 1;
		f->commit = (h[4] | h[5] | h[6] | h[7]) != 0;
		return SQLITE_OK;
	}
	if ((rc = wv_flush(f)))
		return rc;
	return f->real->pMethods->xWrite(f->real, p, amt, off);
}

static int wv_close(sqlite3_file *file)
{
	struct wv_file *f = (struct wv_file *)file;
	int rc = wv_flush(f), rc2 = f->real->pMethods->xClose(f->real);

	free(f->buf);
	f->buf = NULL;
	return rc ? rc : rc2;
}

/* Every other method writes out the buffer, then is the default VFS's. */
#define WV_FLUSH(F) do { int rc_ = wv_flush((struct wv_file *)(F)); \
	if (rc_) return rc_; } while (0)
#define REAL(F) (((struct wv_file *)(F))->real)

static int wv_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	WV_FLUSH(f);
	return REAL(f)->pMethods->xRead(REAL(f), p, amt, off);
}

static int wv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	WV_FLUSH(f);
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int wv_sync(sqlite3_file *f, int flags)
{
	WV_FLUSH(f);
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int wv_size(sqlite3_file *f, sqlite3_int64 *size)
{
	WV_FLUSH(f);
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int wv_lock(sqlite3_file *f, int level)
{
	WV_FLUSH(f);
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int wv_unlock(sqlite3_file *f, int level)
{
	WV_FLUSH(f);
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int wv_reserved(sqlite3_file *f, int *out)
{
	WV_FLUSH(f);
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int wv_control(sqlite3_file *f, int op, void *arg)
{
	WV_FLUSH(f);
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int wv_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int wv_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

/* version 1 methods: no shared memory or memory mapping on a WAL file (SQLite uses
 * neither there; the wal-index is the database file's) */
static const sqlite3_io_methods wv_io = {
	1, wv_close, wv_read, wv_write, wv_truncate, wv_sync, wv_size, wv_lock, wv_unlock,
	wv_reserved, wv_control, wv_sector, wv_device,
	NULL, NULL, NULL, NULL, NULL, NULL,
};

static int wv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
		   int *out_flags)
{
	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))   /* everything but a WAL: the default VFS's file */
		return wv_real->xOpen(wv_real, name, file, flags, out_flags);
	struct wv_file *f = (struct wv_file *)file;
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)(f + 1);
	int rc = wv_real->xOpen(wv_real, name, f->real, flags, out_flags);
	/* pMethods stays NULL when the open failed: SQLite then does not close the file */
	if (rc == SQLITE_OK)
		f->base.pMethods = &wv_io;
	return rc;
}

static void wv_register(void)
{
	if (!(wv_real = sqlite3_vfs_find(NULL)))
		return;
	wv_vfs = *wv_real;
	wv_vfs.zName = STORE_VFS;
	wv_vfs.pNext = NULL;
	wv_vfs.xOpen = wv_open;
	wv_vfs.szOsFile = (int)sizeof(struct wv_file) + wv_real->szOsFile;
	if (sqlite3_vfs_register(&wv_vfs, 0) != SQLITE_OK)
		wv_real = NULL;
}

const char *store_vfs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, wv_register);
	return wv_real ? STORE_VFS : NULL;
}
