/* tools/kefu-voice/audio.h — PortAudio capture and playback for kefu-voice.
 *
 * Capture always hands out 16 kHz mono int16 (ASR_RATE): the device is asked for exactly
 * that; if it refuses (or a rate is forced), it captures at its own rate and channel count
 * and libsamplerate converts as the samples come.  Playback takes mono int16 at any rate and
 * resamples only if the device refuses it.
 *
 * Threads: kv_au_init/kv_au_term on the main thread, around everything else.  A kv_cap is
 * read by one thread (kefu-voice's capture thread); kv_play blocks its caller (the main
 * thread) until the sound has been handed to the device.  Blocking PortAudio streams: no
 * PortAudio callback runs our code.
 */
#ifndef KEFU_VOICE_AUDIO_H
#define KEFU_VOICE_AUDIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Starts PortAudio (its host APIs' start-up chatter on stderr is hidden unless verbose).
 * 0, or -1 with a message in err. */
int kv_au_init(int verbose, char *err, size_t errlen);
void kv_au_term(void);
/* Prints every device: index, name, input/output channels, default rate, host API, and
 * which are the defaults. */
void kv_au_list(FILE *out);
/* The device for spec: NULL = the default input (input=1) or output device; all digits = that
 * index; otherwise a device name (exact, else a unique case-insensitive part of it).
 * Returns the index, or -1 with a message in err. */
int kv_au_find(const char *spec, int input, char *err, size_t errlen);

typedef struct kv_cap kv_cap;

/* Opens and starts capture on device dev.  force_rate > 0 captures at that rate (and
 * resamples) even if the device offers 16 kHz.  NULL with a message in err. */
kv_cap *kv_cap_open(int dev, int force_rate, char *err, size_t errlen);
/* Blocks until about 100 ms has been captured; writes up to max 16 kHz samples to out and
 * returns how many (0 is possible), or -1 with a message in err.  A device that delivers
 * faster than real time (ALSA's null plugin) is slowed to the wall clock here. */
long kv_cap_read(kv_cap *c, int16_t *out, size_t max, char *err, size_t errlen);
/* The device's capture rate and channel count in use. */
int kv_cap_rate(const kv_cap *c);
int kv_cap_channels(const kv_cap *c);
/* Stops and closes the stream.  NULL is fine. */
void kv_cap_close(kv_cap *c);

/* Plays pcm[0..n) (mono, `rate` Hz) on device dev and returns once it has played.
 * 0, or -1 with a message in err. */
int kv_play(int dev, const int16_t *pcm, size_t n, int rate, char *err, size_t errlen);

#endif
