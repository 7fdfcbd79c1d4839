/* vision/ocr.c — text from a picture with tesseract's C API.
 *
 * One engine (struct vis_ocr) per worker thread: tesseract engines are not thread-safe and
 * two threads inside one engine were far slower on this hardware, so the daemon creates
 * one per worker at start-up and keeps it.  Each read is up to four passes, keeping the
 * one with the best mean confidence:
 *   1. grey picture, upscaled when small (tesseract wants ~20 px high letters; screenshot
 *      crops and phone thumbnails are often far smaller);
 *   2. if confidence < 70, or the picture is colourful (mean max-min channel spread >= 40,
 *      i.e. a coloured banner or button; tesseract read white-on-blue 支付失败 as "STAM" at
 *      confidence 83 from the grey picture, 文付失败 at 91 from this one): the
 *      Otsu-thresholded picture, inverted when most of it is dark, so light text on a
 *      coloured ground becomes dark text on white;
 *   3. if still < 50: the picture turned 180 degrees (photos taken upside down), pass 1 then
 *      pass 2 on it.
 * A grey pass that reads nothing at all (a product photo, a flag, a code) is not followed
 * by its thresholded pass: on the 50 rendered pictures of bench/vision and the test
 * fixtures, the thresholded picture never read anything where the grey one read nothing
 * (the same OCR figures), and a photo's skipped passes cost 10-50 ms of CPU.
 * Scratch buffers are allocated per read (pictures differ in size; the cost is small next
 * to tesseract's own work).
 */
#include "vision.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tesseract/capi.h>

#include "clock.h"
#include "log.h"
#include "paths.h"

#define TARGET_LINE_PX 40    /* text line height tesseract reads best at, measured here */
#define MAX_SCALE 4

struct vis_ocr {
	TessBaseAPI *api;
	uint64_t deadline_us;   /* cm_now_us() after which no pass runs; 0 = none */
};

/* Debian's tesseract runs its LSTM gates on OpenMP threads (num_threads(4) clauses): on a
 * 2-core machine they mostly spin, and a screenshot cost kefud 560 ms of CPU instead of
 * ~150 ms (bench/vision/picture_reply.py).  OMP_THREAD_LIMIT=1 stops it, but libgomp reads
 * it once, when it is loaded, before main: a setenv at run time does nothing.  So a
 * program that reads pictures starts itself again with it set. */
void vis_ocr_prepare(char **argv)
{
	cm_reexec_with_env("OMP_THREAD_LIMIT", "1", argv);
}

void vis_ocr_set_deadline(struct vis_ocr *o, uint64_t deadline_us)
{
	o->deadline_us = deadline_us;
}

struct vis_ocr *vis_ocr_create(const char *langs, char *err, size_t errlen)
{
	struct vis_ocr *o = calloc(1, sizeof *o);
	if (!o) {
		snprintf(err, errlen, "no memory");
		return NULL;
	}
	o->api = TessBaseAPICreate();
	/* silence tesseract's own stderr chatter ("Estimating resolution as ...") */
	if (!o->api || TessBaseAPIInit3(o->api, NULL, langs && *langs ? langs : "eng")) {
		snprintf(err, errlen, "tesseract cannot load language data '%s' "
			 "(install tesseract-ocr-eng / tesseract-ocr-chi-sim)", langs);
		vis_ocr_destroy(o);
		return NULL;
	}
	TessBaseAPISetVariable(o->api, "debug_file", "/dev/null");
	TessBaseAPISetPageSegMode(o->api, PSM_AUTO);
	return o;
}

void vis_ocr_destroy(struct vis_ocr *o)
{
	if (!o)
		return;
	if (o->api) {
		TessBaseAPIEnd(o->api);
		TessBaseAPIDelete(o->api);
	}
	free(o);
}

void vis_ocr_result_free(struct vis_ocr_result *r)
{
	free(r->text);
	memset(r, 0, sizeof *r);
}

/* Otsu threshold of g; writes 0/255 into out with the majority (background) white. */
static void otsu_binarise(const uint8_t *g, uint8_t *out, size_t n)
{
	double hist[256] = { 0 }, sum = 0, sum_b = 0, w_b = 0, best = -1;
	int t_best = 128;
	for (size_t i = 0; i < n; i++)
		hist[g[i]]++;
	for (int t = 0; t < 256; t++)
		sum += t * hist[t];
	for (int t = 0; t < 256; t++) {
		w_b += hist[t];
		if (w_b == 0 || w_b == (double)n)
			continue;
		sum_b += t * hist[t];
		double m_b = sum_b / w_b, m_f = (sum - sum_b) / ((double)n - w_b);
		double between = w_b * ((double)n - w_b) * (m_b - m_f) * (m_b - m_f);
		if (between > best) {
			best = between;
			t_best = t;
		}
	}
	size_t dark = 0;
	for (size_t i = 0; i < n; i++)
		dark += g[i] <= t_best;
	int invert = dark > n / 2;
	for (size_t i = 0; i < n; i++) {
		int is_dark = g[i] <= t_best;
		out[i] = (is_dark ^ invert) ? 0 : 255;
	}
}

/* Median height in pixels of the runs of rows holding ink in a binarised picture (ink =
 * 0): about the height of a text line.  0 when no line is found. */
static int line_height(const uint8_t *b, int w, int h)
{
	int runs[256], n = 0, run = 0;
	for (int y = 0; y <= h && n < 256; y++) {
		int ink = 0;
		if (y < h) {
			const uint8_t *row = b + (size_t)y * w;
			for (int x = 0; x < w && ink < 2; x++)
				ink += row[x] == 0;
		}
		if (ink >= 2) {
			run++;
		} else if (run) {
			if (run >= 4)
				runs[n++] = run;
			run = 0;
		}
	}
	if (!n)
		return 0;
	for (int i = 1; i < n; i++)  /* insertion sort: a page has few lines */
		for (int j = i; j > 0 && runs[j] < runs[j - 1]; j--) {
			int t = runs[j];
			runs[j] = runs[j - 1];
			runs[j - 1] = t;
		}
	return runs[n / 2];
}

/* Runs the engine on a grey picture; returns malloc'ed trimmed text (or NULL) and the mean
 * confidence in *conf.  Past the deadline nothing runs (NULL); a pass that reaches it is
 * stopped by tesseract's monitor and keeps the words it read. */
static char *run(struct vis_ocr *o, const uint8_t *g, int w, int h, int *conf)
{
	uint64_t now = cm_now_us();

	*conf = 0;
	if (o->deadline_us && now >= o->deadline_us)
		return NULL;
	TessBaseAPISetImage(o->api, g, w, h, 1, w);
	TessBaseAPISetSourceResolution(o->api, 300);
	if (o->deadline_us) {
		ETEXT_DESC *mon = TessMonitorCreate();
		if (mon) {
			TessMonitorSetDeadlineMSecs(mon, (int)((o->deadline_us - now + 999) / 1000));
			TessBaseAPIRecognize(o->api, mon);   /* GetUTF8Text then reuses it */
			TessMonitorDelete(mon);
		}
	}
	char *t = TessBaseAPIGetUTF8Text(o->api);
	*conf = TessBaseAPIMeanTextConf(o->api);
	char *copy = NULL;
	if (t) {
		const char *s = t;
		while (*s && isspace((unsigned char)*s))
			s++;
		size_t n = strlen(s);
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if ((copy = malloc(n + 1))) {
			memcpy(copy, s, n);
			copy[n] = 0;
		}
		TessDeleteText(t);
	}
	if (copy && !*copy)
		*conf = 0;
	TessBaseAPIClear(o->api);
	return copy;
}

static void keep(struct vis_ocr_result *r, char *text, int conf, int thr, int rot)
{
	if (!text)
		return;
	if (!r->text || conf > r->conf) {
		free(r->text);
		r->text = text;
		r->conf = conf;
		r->thresholded = thr;
		r->rotated = rot;
	} else {
		free(text);
	}
}

static void rotate180(uint8_t *g, size_t n)
{
	for (size_t i = 0, j = n - 1; i < j; i++, j--) {
		uint8_t t = g[i];
		g[i] = g[j];
		g[j] = t;
	}
}

/* Mean over pixels of max(R,G,B) - min(R,G,B): ~0 for grey screenshots and scans, high
 * for coloured banners. */
static int colour_spread(const struct vis_image *img)
{
	size_t n = (size_t)img->w * img->h, sum = 0, cnt = 0;
	for (size_t i = 0; i < n; i += 3, cnt++) {
		const uint8_t *p = img->rgb + 3 * i;
		int mx = p[0], mn = p[0];
		for (int c = 1; c < 3; c++) {
			mx = p[c] > mx ? p[c] : mx;
			mn = p[c] < mn ? p[c] : mn;
		}
		sum += (size_t)(mx - mn);
	}
	return cnt ? (int)(sum / cnt) : 0;
}

int vis_ocr_read(struct vis_ocr *o, const struct vis_image *img, struct vis_ocr_result *r)
{
	int w, h, conf;
	memset(r, 0, sizeof *r);
	if (!img->rgb || img->w <= 0 || img->h <= 0)
		return VIS_E_ARG;
	/* upscale from the measured line height (grey + Otsu at the original size) */
	int scale = 1;
	uint8_t *g = vis_image_grey(img, 1, &w, &h);
	uint8_t *b = g ? malloc((size_t)w * h) : NULL;
	if (!g || !b) {
		free(g);
		return VIS_E_NOMEM;
	}
	otsu_binarise(g, b, (size_t)w * h);
	int lh = line_height(b, w, h);
	if (lh > 0 && lh < TARGET_LINE_PX)
		scale = (TARGET_LINE_PX + lh / 2) / lh;
	if (scale > MAX_SCALE)
		scale = MAX_SCALE;
	r->scale = scale;
	if (scale > 1) {
		free(g);
		free(b);
		g = vis_image_grey(img, scale, &w, &h);
		b = g ? malloc((size_t)w * h) : NULL;
		if (!g || !b) {
			free(g);
			return VIS_E_NOMEM;
		}
	}
	size_t n = (size_t)w * h;
	const int colourful = colour_spread(img) >= 40;
	for (int rot = 0; rot < 2; rot++) {
		if (rot) {
			if (r->conf >= 50)
				break;
			rotate180(g, n);
		}
		char *t = run(o, g, w, h, &conf);
		r->passes++;
		int nothing = !t || !*t;
		keep(r, t, conf, 0, rot);
		if (!nothing && (r->conf < 70 || colourful)) {
			otsu_binarise(g, b, n);
			t = run(o, b, w, h, &conf);
			r->passes++;
			keep(r, t, conf, 1, rot);
		}
	}
	free(g);
	free(b);
	if (!r->text && !(r->text = calloc(1, 1)))
		return VIS_E_NOMEM;
	return 0;
}
