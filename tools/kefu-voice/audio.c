/* tools/kefu-voice/audio.c — PortAudio capture and playback (audio.h).
 *
 * Capture: a blocking input stream (Pa_ReadStream) of int16 at 16 kHz mono when the device
 * takes it, else at the device's default rate and up to 2 channels; downmixing and a
 * streaming libsamplerate converter (state kept across reads) turn it into 16 kHz mono.
 * Reads are ~100 ms.  ALSA's `null` slave (the tests' file PCM) never blocks, so the reader
 * sleeps whenever it is more than 50 ms ahead of the wall clock: the end-pointer and the
 * pauses it measures then run at the speed the audio was spoken.
 *
 * Playback: a blocking output stream, written in pieces, stopped with Pa_StopStream (which
 * returns when the buffers have played).
 *
 * Threads: see audio.h.  The only state shared between threads is PortAudio's own
 * (initialised once on the main thread).
 */
#include "audio.h"

#include <fcntl.h>
#include <portaudio.h>
#include <samplerate.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "speech.h"

#define READ_MS 100

static int au_verbose;

/* Runs fn(arg) with stderr sent to /dev/null unless verbose: ALSA and JACK print their
 * probing (unknown cards, no JACK server) there while PortAudio looks for devices. */
static PaError hushed(PaError (*fn)(void *), void *arg)
{
	if (au_verbose)
		return fn(arg);
	fflush(stderr);
	int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || null < 0) {
		if (saved >= 0)
			close(saved);
		if (null >= 0)
			close(null);
		return fn(arg);
	}
	dup2(null, 2);
	close(null);
	PaError e = fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return e;
}

static PaError do_init(void *arg)
{
	return Pa_Initialize();
}

int kv_au_init(int verbose, char *err, size_t errlen)
{
	au_verbose = verbose;
	setenv("JACK_NO_START_SERVER", "1", 0);    /* probing must not start a JACK server */
	PaError e = hushed(do_init, NULL);
	if (e != paNoError) {
		snprintf(err, errlen, "PortAudio: %s", Pa_GetErrorText(e));
		return -1;
	}
	return 0;
}

void kv_au_term(void)
{
	Pa_Terminate();
}

void kv_au_list(FILE *out)
{
	int n = Pa_GetDeviceCount();
	PaDeviceIndex din = Pa_GetDefaultInputDevice(), dout = Pa_GetDefaultOutputDevice();

	if (n <= 0) {
		fprintf(out, "no audio devices\n");
		return;
	}
	for (int i = 0; i < n; i++) {
		const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
		const PaHostApiInfo *h = Pa_GetHostApiInfo(d->hostApi);
		fprintf(out, "%3d  %-32s in %3d  out %3d  %6.0f Hz  %s%s%s\n", i, d->name,
			d->maxInputChannels, d->maxOutputChannels, d->defaultSampleRate,
			h ? h->name : "?", i == din ? "  [default input]" : "",
			i == dout ? "  [default output]" : "");
	}
}

static int channels_of(const PaDeviceInfo *d, int input)
{
	return input ? d->maxInputChannels : d->maxOutputChannels;
}

int kv_au_find(const char *spec, int input, char *err, size_t errlen)
{
	const char *dir = input ? "input" : "output";
	int n = Pa_GetDeviceCount();

	if (!spec) {
		PaDeviceIndex i = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
		if (i == paNoDevice || i < 0 || i >= n) {
			snprintf(err, errlen, "no default %s device (no sound card? pick one with "
				 "--%sdevice, see --list-devices%s)", dir, input ? "" : "output-",
				 input ? ", or use --input FILE" : "");
			return -1;
		}
		return i;
	}
	if (spec[0] && strspn(spec, "0123456789") == strlen(spec)) {
		long i = strtol(spec, NULL, 10);
		if (i >= n) {
			snprintf(err, errlen, "no audio device %ld (there are %d; see --list-devices)",
				 i, n < 0 ? 0 : n);
			return -1;
		}
		if (channels_of(Pa_GetDeviceInfo((int)i), input) < 1) {
			snprintf(err, errlen, "audio device %ld (%s) has no %s channels", i,
				 Pa_GetDeviceInfo((int)i)->name, dir);
			return -1;
		}
		return (int)i;
	}
	int found = -1, nfound = 0;
	for (int i = 0; i < n; i++) {
		const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
		if (channels_of(d, input) < 1)
			continue;
		if (!strcmp(d->name, spec))
			return i;
		if (strcasestr(d->name, spec)) {
			found = i;
			nfound++;
		}
	}
	if (nfound == 1)
		return found;
	if (nfound)
		snprintf(err, errlen, "%d %s devices match '%s' (see --list-devices)", nfound,
			 dir, spec);
	else
		snprintf(err, errlen, "no %s device named '%s' (see --list-devices)", dir, spec);
	return -1;
}

/* ---- capture ------------------------------------------------------------------------ */

struct kv_cap {
	PaStream *st;
	int rate, ch;
	size_t block;                 /* device frames per read */
	int16_t *in;                  /* block * ch */
	float *fin, *fout;            /* mono float at the device rate, and at 16 kHz */
	size_t nout;
	SRC_STATE *src;               /* NULL when the device runs at 16 kHz mono */
	uint64_t t0_us, frames;       /* for pacing */
};

struct open_args {
	PaStream **st;
	const PaStreamParameters *in, *out;
	double rate;
};

static PaError do_open(void *arg)
{
	struct open_args *a = arg;
	return Pa_OpenStream(a->st, a->in, a->out, a->rate, paFramesPerBufferUnspecified,
			     paClipOff, NULL, NULL);
}

/* Opens a blocking stream on dev in the given direction, trying (rate, 1 channel), then
 * the device's default rate with 1 and 2 channels.  want_rate <= 0 skips the first try.
 * Returns 0 and the rate and channels used, or the last PortAudio error. */
static PaError open_stream(int dev, int input, int want_rate, PaStream **st, int *rate,
			   int *ch)
{
	const PaDeviceInfo *d = Pa_GetDeviceInfo(dev);
	int def = (int)(d->defaultSampleRate + 0.5);
	struct { int rate, ch; } tries[3] = { { want_rate, 1 }, { def, 1 }, { def, 2 } };
	PaError e = paInvalidDevice;

	for (int t = 0; t < 3; t++) {
		if (tries[t].rate <= 0 || tries[t].ch > channels_of(d, input))
			continue;
		PaStreamParameters p = {
			.device = dev, .channelCount = tries[t].ch, .sampleFormat = paInt16,
			.suggestedLatency = input ? d->defaultLowInputLatency :
						    d->defaultLowOutputLatency,
		};
		if (Pa_IsFormatSupported(input ? &p : NULL, input ? NULL : &p,
					 tries[t].rate) != paFormatIsSupported)
			continue;
		struct open_args a = { st, input ? &p : NULL, input ? NULL : &p, tries[t].rate };
		e = hushed(do_open, &a);
		if (e == paNoError) {
			*rate = tries[t].rate;
			*ch = tries[t].ch;
			return paNoError;
		}
	}
	return e;
}

kv_cap *kv_cap_open(int dev, int force_rate, char *err, size_t errlen)
{
	kv_cap *c = calloc(1, sizeof *c);
	const char *name = Pa_GetDeviceInfo(dev)->name;
	PaError e;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e = open_stream(dev, 1, force_rate > 0 ? force_rate : ASR_RATE, &c->st, &c->rate, &c->ch);
	if (e != paNoError) {
		snprintf(err, errlen, "cannot open audio input '%s': %s", name, Pa_GetErrorText(e));
		free(c);
		return NULL;
	}
	c->block = (size_t)c->rate * READ_MS / 1000;
	c->in = malloc(c->block * (size_t)c->ch * sizeof *c->in);
	c->fin = malloc(c->block * sizeof *c->fin);
	c->nout = c->block * ASR_RATE / (size_t)c->rate + 64;
	c->fout = malloc(c->nout * sizeof *c->fout);
	if (!c->in || !c->fin || !c->fout) {
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	if (c->rate != ASR_RATE) {
		int se = 0;
		c->src = src_new(SRC_SINC_MEDIUM_QUALITY, 1, &se);
		if (!c->src) {
			snprintf(err, errlen, "libsamplerate: %s", src_strerror(se));
			goto err;
		}
	}
	e = Pa_StartStream(c->st);
	if (e != paNoError) {
		snprintf(err, errlen, "cannot start audio input '%s': %s", name, Pa_GetErrorText(e));
		goto err;
	}
	c->t0_us = cm_now_us();
	return c;
err:
	kv_cap_close(c);
	return NULL;
}

long kv_cap_read(kv_cap *c, int16_t *out, size_t max, char *err, size_t errlen)
{
	PaError e = Pa_ReadStream(c->st, c->in, (unsigned long)c->block);
	if (e != paNoError && e != paInputOverflowed) {
		snprintf(err, errlen, "audio input: %s", Pa_GetErrorText(e));
		return -1;
	}
	c->frames += c->block;
	uint64_t due = c->t0_us + c->frames * 1000000u / (uint64_t)c->rate, now = cm_now_us();
	if (due > now + 50000) {
		struct timespec ts = { (time_t)((due - now) / 1000000u),
				       (long)((due - now) % 1000000u) * 1000L };
		nanosleep(&ts, NULL);
	}

	if (!c->src && c->ch == 1) {
		size_t n = c->block < max ? c->block : max;
		memcpy(out, c->in, n * sizeof *out);
		return (long)n;
	}
	for (size_t i = 0; i < c->block; i++) {
		float s = 0;
		for (int k = 0; k < c->ch; k++)
			s += c->in[i * (size_t)c->ch + (size_t)k];
		c->fin[i] = s / (32768.0f * (float)c->ch);
	}
	if (!c->src) {                            /* 16 kHz stereo: only downmixed */
		size_t n = c->block < max ? c->block : max;
		src_float_to_short_array(c->fin, out, (int)n);
		return (long)n;
	}
	SRC_DATA d = {
		.data_in = c->fin, .input_frames = (long)c->block,
		.data_out = c->fout, .output_frames = (long)c->nout,
		.src_ratio = (double)ASR_RATE / c->rate, .end_of_input = 0,
	};
	int se = src_process(c->src, &d);
	if (se) {
		snprintf(err, errlen, "libsamplerate: %s", src_strerror(se));
		return -1;
	}
	size_t n = (size_t)d.output_frames_gen < max ? (size_t)d.output_frames_gen : max;
	src_float_to_short_array(c->fout, out, (int)n);
	return (long)n;
}

int kv_cap_rate(const kv_cap *c)
{
	return c->rate;
}

int kv_cap_channels(const kv_cap *c)
{
	return c->ch;
}

void kv_cap_close(kv_cap *c)
{
	if (!c)
		return;
	if (c->st) {
		Pa_AbortStream(c->st);
		Pa_CloseStream(c->st);
	}
	if (c->src)
		src_delete(c->src);
	free(c->in);
	free(c->fin);
	free(c->fout);
	free(c);
}

/* ---- playback ----------------------------------------------------------------------- */

int kv_play(int dev, const int16_t *pcm, size_t n, int rate, char *err, size_t errlen)
{
	const char *name = Pa_GetDeviceInfo(dev)->name;
	PaStream *st = NULL;
	int prate = 0, ch = 0, rc = -1;
	int16_t *buf = NULL;
	float *f = NULL, *rs = NULL;

	PaError e = open_stream(dev, 0, rate, &st, &prate, &ch);
	if (e != paNoError) {
		snprintf(err, errlen, "cannot open audio output '%s': %s", name, Pa_GetErrorText(e));
		return -1;
	}
	const int16_t *play = pcm;
	size_t np = n;
	if (prate != rate) {                      /* the device refused the clip's rate */
		f = malloc(n * sizeof *f);
		if (!f)
			goto oom;
		src_short_to_float_array(pcm, f, (int)n);
		rs = asr_resample(f, n, rate, prate, &np);
		if (!rs)
			goto oom;
	}
	buf = malloc(np * (size_t)ch * sizeof *buf);
	if (!buf)
		goto oom;
	if (rs) {
		int16_t *mono = malloc(np * sizeof *mono);
		if (!mono)
			goto oom;
		src_float_to_short_array(rs, mono, (int)np);
		play = mono;
	}
	for (size_t i = 0; i < np; i++)
		for (int k = 0; k < ch; k++)
			buf[i * (size_t)ch + (size_t)k] = play[i];
	if (play != pcm)
		free((void *)play);
	e = Pa_StartStream(st);
	for (size_t off = 0; e == paNoError && off < np;) {
		size_t k = np - off < 4096 ? np - off : 4096;
		e = Pa_WriteStream(st, buf + off * (size_t)ch, (unsigned long)k);
		if (e == paOutputUnderflowed)
			e = paNoError;
		off += k;
	}
	if (e == paNoError)
		e = Pa_StopStream(st);
	if (e != paNoError) {
		snprintf(err, errlen, "audio output '%s': %s", name, Pa_GetErrorText(e));
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	Pa_CloseStream(st);
	free(buf);
	free(f);
	free(rs);
	return rc;
}
