/* daemon/voice_cmn.h — each session's cepstral mean for its voice clips (prefix kd_vcmn_).
 *
 * A caller's clips are normalised by the mean of that caller's speech so far (speech/cmn.c,
 * struct asr_cmn), not each by its own (docs/speech.md "Fifth round": WER 19.8 -> 18.6 % on
 * the an4 dev speakers).  kefud keeps the table only with conf asr_session_cmn (default
 * off: it changed a flite question's reading in a two-turn test; see there).  The table is shared by the workers: a
 * worker copies its session's state out before a clip and back after it, under {lock};
 * the decode itself runs on the copy, without the lock.  At most cap sessions are kept;
 * the one heard from longest ago makes room (it starts again from its next clip's own
 * mean).  Two clips of one session decoded at once: the later write wins.
 */
#ifndef KEFU_DAEMON_VOICE_CMN_H
#define KEFU_DAEMON_VOICE_CMN_H

#include <stddef.h>
#include <stdint.h>

#include "speech.h"

struct kd_vcmn;

/* kefud's table: sessions kept, and the weight of a session's earlier speech in frames of
 * 10 ms (asr_cmn_init: < 0 no cap). */
#define KD_VCMN_SESSIONS 256
#define KD_VCMN_PRIOR_FRAMES (-1.0)

/* A table of cap sessions (prior_frames: asr_cmn_init's cap).  NULL on OOM.  Main thread. */
struct kd_vcmn *kd_vcmn_create(size_t cap, double prior_frames);
void kd_vcmn_destroy(struct kd_vcmn *t);
/* Any thread: session sid's state copied into *out (a fresh one when it has none). */
void kd_vcmn_get(struct kd_vcmn *t, int64_t sid, struct asr_cmn *out);
/* Any thread: *in becomes session sid's state (taking the longest-unheard slot if new). */
void kd_vcmn_put(struct kd_vcmn *t, int64_t sid, const struct asr_cmn *in);

#endif
