/* daemon/trim.h — the real length of an uploaded picture or voice clip: where its
 * container says the content ends, so bytes appended after it (padding, junk, a second
 * file) are never kept, decoded or stored.
 *
 * Pure functions on memory the caller owns; kefud calls it on the lws service thread
 * when an upload is complete, before the job is queued (ws.c).
 */
#ifndef KEFU_DAEMON_TRIM_H
#define KEFU_DAEMON_TRIM_H

#include <stddef.h>

/* Length of the content of buf[0..len) as its container declares it: PNG (to IEND),
 * JPEG (to EOI after the last scan), GIF (to the trailer), RIFF (WAV, WebP: the RIFF
 * size), Ogg (to the end-of-stream page), ISO BMFF (HEIF, AVIF, MP4 audio: the
 * top-level boxes).  Returns len when the format is not one of these or its structure
 * is cut or malformed (the decoders then judge it). */
size_t kd_trim_len(const unsigned char *buf, size_t len);

#endif
