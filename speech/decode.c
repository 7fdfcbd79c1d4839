/* speech/decode.c — clip bytes in memory -> 16 kHz mono int16.
 *
 * libsndfile reads the clip through its virtual I/O (SF_VIRTUAL_IO over a {data, len, pos}
 * cursor), so nothing touches the disk.  Debian 12's libsndfile 1.2 reads WAV (PCM, float,
 * µ-law, A-law, ...), FLAC, OGG Vorbis, OGG Opus and MP3.  Order of checks, cheapest first:
 *
 *   1. size: 0 bytes -> empty_audio; more than the byte limit -> audio_too_large;
 *   2. containers libsndfile cannot read (WebM/Matroska, MP4/M4A, ...) are recognised by their
 *      magic and refused as unsupported_audio without calling libsndfile;
 *   3. sf_open_virtual: a failure on bytes that start like a format libsndfile knows is
 *      corrupt_audio (a truncated header), anything else unsupported_audio;
 *   4. the header's frame count and rate -> audio_too_long before any sample is decoded;
 *      a RIFF/WAVE file whose data chunk claims more bytes than the file holds is a
 *      truncated upload -> corrupt_audio;
 *   5. the body is decoded in blocks, downmixed to mono (mean of channels); the running length
 *      is checked against the limit too, so a header that lies cannot make us decode hours;
 *      a read error or fewer frames than the header promised -> corrupt_audio;
 *   6. libsamplerate (SRC_SINC_FASTEST: more than enough for 8 kHz ASR bandwidth) to 16 kHz.
 *
 * Runs on a worker thread; no shared state.  Memory: the mono float clip at source rate and the
 * 16 kHz copy, both bounded by the duration limit.
 */
#include "speech.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <samplerate.h>
#include <sndfile.h>

#include "log.h"

const char *asr_err_name(int code)
{
	switch (code) {
	case ASR_OK: return "ok";
	case ASR_ERR_UNSUPPORTED: return "unsupported_audio";
	case ASR_ERR_TOO_LONG: return "audio_too_long";
	case ASR_ERR_TOO_LARGE: return "audio_too_large";
	case ASR_ERR_CORRUPT: return "corrupt_audio";
	case ASR_ERR_EMPTY: return "empty_audio";
	case ASR_ERR_NO_SPEECH: return "no_speech";
	case ASR_ERR_NOMEM: return "out_of_memory";
	case ASR_ERR_INTERNAL: return "asr_failed";
	default: return "unknown";
	}
}

/* ---- virtual I/O over a memory buffer ---- */

struct membuf {
	unsigned char *data;
	sf_count_t len, pos, cap;
	int writable;
};

static sf_count_t mb_len(void *u) { return ((struct membuf *)u)->len; }
static sf_count_t mb_tell(void *u) { return ((struct membuf *)u)->pos; }

static sf_count_t mb_seek(sf_count_t off, int whence, void *u)
{
	struct membuf *m = u;
	sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? m->pos + off : m->len + off;
	if (p < 0)
		return -1;
	if (p > m->len && !m->writable)
		p = m->len;
	m->pos = p;
	return p;
}

static sf_count_t mb_read(void *ptr, sf_count_t count, void *u)
{
	struct membuf *m = u;
	if (count < 0 || m->pos >= m->len)
		return 0;
	if (count > m->len - m->pos)
		count = m->len - m->pos;
	memcpy(ptr, m->data + m->pos, (size_t)count);
	m->pos += count;
	return count;
}

static sf_count_t mb_write(const void *ptr, sf_count_t count, void *u)
{
	struct membuf *m = u;
	if (!m->writable || count < 0)
		return 0;
	if (m->pos + count > m->cap) {
		sf_count_t cap = m->cap ? m->cap : 65536;
		while (cap < m->pos + count)
			cap *= 2;
		unsigned char *d = realloc(m->data, (size_t)cap);
		if (!d)
			return 0;
		memset(d + m->cap, 0, (size_t)(cap - m->cap));
		m->data = d;
		m->cap = cap;
	}
	memcpy(m->data + m->pos, ptr, (size_t)count);
	m->pos += count;
	if (m->pos > m->len)
		m->len = m->pos;
	return count;
}

static SF_VIRTUAL_IO mb_io = { mb_len, mb_seek, mb_read, mb_write, mb_tell };

/* ---- format sniffing ---- */

/* 1 if the bytes start like a container we know libsndfile cannot read. */
static int known_unsupported(const unsigned char *d, size_t len)
{
	if (len >= 4 && d[0] == 0x1A && d[1] == 0x45 && d[2] == 0xDF && d[3] == 0xA3)
		return 1;                            /* EBML: WebM / Matroska */
	if (len >= 8 && memcmp(d + 4, "ftyp", 4) == 0)
		return 1;                            /* ISO BMFF: MP4 / M4A / 3GP */
	if (len >= 6 && memcmp(d, "#!AMR", 5) == 0)
		return 1;                            /* AMR narrow/wide band */
	if (len >= 4 && (memcmp(d, "\xFF\xF1", 2) == 0 || memcmp(d, "\xFF\xF9", 2) == 0))
		return 1;                            /* ADTS AAC */
	return 0;
}

/* 1 if the bytes start like a format libsndfile reads (so a failure means damage). */
static int known_supported(const unsigned char *d, size_t len)
{
	static const char *const magic[] = { "RIFF", "RIFX", "RF64", "fLaC", "OggS", "FORM",
					     ".snd", "ID3", "caff", NULL };
	for (int i = 0; magic[i]; i++) {
		size_t m = strlen(magic[i]);
		if (len >= m && memcmp(d, magic[i], m) == 0)
			return 1;
	}
	/* MPEG audio frame sync (layer III) */
	if (len >= 2 && d[0] == 0xFF && (d[1] & 0xE6) == 0xE2)
		return 1;
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* For RIFF/WAVE, what the header itself declares (libsndfile clamps its frame count to the
 * bytes present, which hides both a lying and a truncated header): *declared_s = data chunk
 * bytes / byte rate (0 if unknown) and the return value is 1 if the data chunk claims more
 * bytes than the buffer holds. */
static int wav_header(const unsigned char *d, size_t len, double *declared_s)
{
	*declared_s = 0;
	if (len < 12 || memcmp(d, "RIFF", 4) != 0 || memcmp(d + 8, "WAVE", 4) != 0)
		return 0;
	uint32_t byte_rate = 0;
	size_t p = 12;
	while (p + 8 <= len) {
		uint32_t sz = le32(d + p + 4);
		if (memcmp(d + p, "fmt ", 4) == 0 && p + 20 <= len)
			byte_rate = le32(d + p + 16);
		if (memcmp(d + p, "data", 4) == 0) {
			/* 0 and 0xFFFFFFFF are streaming placeholders: length unknown */
			if (sz == 0 || sz == 0xFFFFFFFFu)
				return 0;
			if (byte_rate)
				*declared_s = (double)sz / byte_rate;
			return (size_t)sz > len - p - 8;
		}
		if ((size_t)sz > len - p - 8)
			return 0;
		p += 8 + (size_t)sz + (sz & 1);
	}
	return 0;
}

/* ---- decoding ---- */

float *asr_resample(const float *in, size_t n, int from, int to, size_t *n_out)
{
	*n_out = 0;
	double ratio = (double)to / from;
	size_t cap = (size_t)ceil((double)n * ratio) + 16;
	float *out = malloc(cap * sizeof *out);
	if (!out)
		return NULL;
	if (from == to) {
		memcpy(out, in, n * sizeof *out);
		*n_out = n;
		return out;
	}
	SRC_DATA sd = {
		.data_in = in, .data_out = out,
		.input_frames = (long)n, .output_frames = (long)cap,
		.src_ratio = ratio, .end_of_input = 1,
	};
	int e = src_simple(&sd, SRC_SINC_FASTEST, 1);
	if (e) {
		LOG_ERR("libsamplerate: %s", src_strerror(e));
		free(out);
		return NULL;
	}
	*n_out = (size_t)sd.output_frames_gen;
	return out;
}

void asr_audio_free(struct asr_audio *a)
{
	if (!a)
		return;
	free(a->pcm);
	memset(a, 0, sizeof *a);
}

int asr_audio_decode(const void *data, size_t len, const struct asr_limits *lim,
		     struct asr_audio *out)
{
	const unsigned char *d = data;
	memset(out, 0, sizeof *out);
	if (!data || len == 0)
		return ASR_ERR_EMPTY;
	if (lim && lim->max_bytes && len > lim->max_bytes)
		return ASR_ERR_TOO_LARGE;
	if (known_unsupported(d, len))
		return ASR_ERR_UNSUPPORTED;

	struct membuf mb = { .data = (unsigned char *)d, .len = (sf_count_t)len };
	SF_INFO info;
	memset(&info, 0, sizeof info);
	SNDFILE *sf = sf_open_virtual(&mb_io, SFM_READ, &info, &mb);
	if (!sf) {
		int e = sf_error(NULL);
		LOG_DEBUG("libsndfile: %s", sf_error_number(e));
		return known_supported(d, len) ? ASR_ERR_CORRUPT : ASR_ERR_UNSUPPORTED;
	}
	int rc = 0;
	float *mono = NULL, *block = NULL, *res = NULL;
	if (info.samplerate < 1000 || info.samplerate > 384000 || info.channels < 1 ||
	    info.channels > 64) {
		rc = ASR_ERR_CORRUPT;
		goto out;
	}
	if (info.frames == 0) {
		rc = ASR_ERR_EMPTY;
		goto out;
	}
	double max_s = lim ? lim->max_seconds : 0;
	sf_count_t max_frames = max_s > 0 ? (sf_count_t)(max_s * info.samplerate) + 1 : 0;
	int frames_known = info.frames > 0 && info.frames != SF_COUNT_MAX;
	if (max_frames && frames_known && info.frames > max_frames) {
		rc = ASR_ERR_TOO_LONG;
		goto out;
	}
	double declared_s;
	int truncated = wav_header(d, len, &declared_s);
	if (max_s > 0 && declared_s > max_s) {
		rc = ASR_ERR_TOO_LONG;
		goto out;
	}
	if (truncated) {
		rc = ASR_ERR_CORRUPT;
		goto out;
	}

	enum { BLOCK = 4096 };
	size_t cap = frames_known ? (size_t)info.frames : (size_t)info.samplerate * 10;
	if (max_frames && cap > (size_t)max_frames)
		cap = (size_t)max_frames;
	mono = malloc((cap ? cap : 1) * sizeof *mono);
	block = malloc((size_t)BLOCK * (size_t)info.channels * sizeof *block);
	if (!mono || !block) {
		rc = ASR_ERR_NOMEM;
		goto out;
	}
	/* samples outside [-1, 1] from float files are clipped when converting to int16 */
	sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
	size_t n = 0;
	for (;;) {
		sf_count_t got = sf_readf_float(sf, block, BLOCK);
		if (got <= 0)
			break;
		if (max_frames && (sf_count_t)n + got > max_frames) {
			rc = ASR_ERR_TOO_LONG;
			goto out;
		}
		if (n + (size_t)got > cap) {
			size_t ncap = cap * 2 + (size_t)got;
			if (max_frames && ncap > (size_t)max_frames)
				ncap = (size_t)max_frames;
			float *m2 = realloc(mono, ncap * sizeof *m2);
			if (!m2) {
				rc = ASR_ERR_NOMEM;
				goto out;
			}
			mono = m2;
			cap = ncap;
		}
		for (sf_count_t i = 0; i < got; i++) {
			float s = 0;
			for (int c = 0; c < info.channels; c++)
				s += block[i * info.channels + c];
			mono[n + (size_t)i] = s / (float)info.channels;
		}
		n += (size_t)got;
	}
	int serr = sf_error(sf);
	if (serr != SF_ERR_NO_ERROR) {
		LOG_DEBUG("libsndfile read: %s", sf_strerror(sf));
		rc = ASR_ERR_CORRUPT;
		goto out;
	}
	/* Compressed formats may estimate frames from the header (MP3 without a Xing header);
	 * only formats with an exact count can be called short. */
	int exact = (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG;
	if (frames_known && exact && (sf_count_t)n < info.frames) {
		LOG_DEBUG("decoded %zu of %lld frames", n, (long long)info.frames);
		rc = ASR_ERR_CORRUPT;
		goto out;
	}
	if (n == 0) {
		rc = ASR_ERR_EMPTY;
		goto out;
	}
	size_t n16;
	res = asr_resample(mono, n, info.samplerate, ASR_RATE, &n16);
	if (!res) {
		rc = ASR_ERR_NOMEM;
		goto out;
	}
	out->pcm = malloc((n16 ? n16 : 1) * sizeof *out->pcm);
	if (!out->pcm) {
		rc = ASR_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n16; i++) {
		float v = res[i] * 32768.0f;   /* exact for 16-bit sources */
		v = v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v;
		out->pcm[i] = (int16_t)lrintf(v);
	}
	out->n = n16;
	out->src_rate = info.samplerate;
	out->src_channels = info.channels;
	out->src_format = info.format;
	out->seconds = (double)n16 / ASR_RATE;
out:
	free(res);
	free(block);
	free(mono);
	sf_close(sf);
	return rc;
}

int asr_audio_encode(const int16_t *frames, size_t n_frames, int rate, int channels,
		     int format, void **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	struct membuf mb = { .writable = 1 };
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	if (!sf_format_check(&info))
		return ASR_ERR_UNSUPPORTED;
	SNDFILE *sf = sf_open_virtual(&mb_io, SFM_WRITE, &info, &mb);
	if (!sf) {
		LOG_ERR("libsndfile: %s", sf_strerror(NULL));
		free(mb.data);
		return ASR_ERR_INTERNAL;
	}
	sf_count_t w = -1;
	int sub = format & SF_FORMAT_SUBMASK;
	if (sub != SF_FORMAT_FLOAT && sub != SF_FORMAT_DOUBLE && sub != SF_FORMAT_VORBIS &&
	    sub != SF_FORMAT_OPUS && sub != SF_FORMAT_MPEG_LAYER_III) {
		w = sf_writef_short(sf, frames, (sf_count_t)n_frames);
	} else {
		/* float subtypes and lossy codecs take normalised float, [-1, 1) like real files */
		size_t ns = n_frames * (size_t)channels;
		float *fl = malloc((ns ? ns : 1) * sizeof *fl);
		if (fl) {
			for (size_t i = 0; i < ns; i++)
				fl[i] = (float)frames[i] / 32768.0f;
			w = sf_writef_float(sf, fl, (sf_count_t)n_frames);
			free(fl);
		}
	}
	int err = sf_error(sf);
	sf_close(sf);
	if (w != (sf_count_t)n_frames || err) {
		free(mb.data);
		return ASR_ERR_INTERNAL;
	}
	*buf = mb.data;
	*len = (size_t)mb.len;
	return 0;
}
