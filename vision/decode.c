/* vision/decode.c — untrusted picture bytes -> oriented RGB8, or a clear error code.
 *
 * The format is taken from the magic bytes, never from a file name or MIME type.  Every
 * decoder first reads the header only and refuses the picture when width·height is above
 * the limit (decompression bombs: a 100 kB PNG can claim 30000×30000), then decodes:
 *   JPEG       libjpeg (libjpeg-turbo) with DCT scaling for big photos, CMYK/YCCK converted,
 *              EXIF orientation read with libexif and applied afterwards;
 *   PNG        libpng's simplified API (16-bit, palette, grey, alpha on white);
 *   WebP       libwebp, animated WebP through WebPAnimDecoder (first frame);
 *   HEIC       libheif with libde265 (which applies the file's own rotation / mirror
 *              transforms); AVIF is refused as unsupported (libdav1d crashed on a fuzzed
 *              file, docs/fuzzing.md)
 * Library errors never abort: libjpeg's error_exit longjmps back here, libpng's simplified
 * API does the same internally, libwebp and libheif return codes.
 * Runs on a worker thread; no global state, so any number of threads may decode at once.
 */
#include "vision.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <libexif/exif-data.h>
#include <libheif/heif.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/demux.h>

#define DEFAULT_MAX_BYTES (20u * 1024 * 1024)
#define DEFAULT_MAX_PIXELS (40ull * 1000 * 1000)

const char *vis_err_code(int rc)
{
	switch (rc) {
	case VIS_OK: return "ok";
	case VIS_E_UNSUPPORTED: return "unsupported_image";
	case VIS_E_TOO_LARGE: return "image_too_large";
	case VIS_E_CORRUPT: return "corrupt_image";
	case VIS_E_NOMEM: return "out_of_memory";
	case VIS_E_MODEL: return "model_error";
	case VIS_E_ARG: return "bad_argument";
	case VIS_E_OCR: return "ocr_error";
	}
	return "error";
}

const char *vis_format_name(enum vis_format f)
{
	static const char *names[] = { "unknown", "jpeg", "png", "webp", "heic", "avif" };
	return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "unknown";
}

enum vis_format vis_sniff(const uint8_t *b, size_t len)
{
	if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		return VIS_FMT_JPEG;
	if (len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
		return VIS_FMT_PNG;
	if (len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4))
		return VIS_FMT_WEBP;
	if (len >= 12 && !memcmp(b + 4, "ftyp", 4)) {
		static const char *heic[] = { "heic", "heix", "hevc", "hevx", "heim", "heis",
					      "mif1", "msf1" };
		if (!memcmp(b + 8, "avif", 4) || !memcmp(b + 8, "avis", 4))
			return VIS_FMT_AVIF;
		for (size_t i = 0; i < sizeof heic / sizeof heic[0]; i++)
			if (!memcmp(b + 8, heic[i], 4))
				return VIS_FMT_HEIF;
	}
	return VIS_FMT_UNKNOWN;
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int check_pixels(uint64_t w, uint64_t h, uint64_t max_pixels, char *err, size_t errlen)
{
	if (w == 0 || h == 0)
		return fail(err, errlen, VIS_E_CORRUPT, "header says %llux%llu",
			    (unsigned long long)w, (unsigned long long)h);
	if (w * h > max_pixels || w > 65535 || h > 65535)
		return fail(err, errlen, VIS_E_TOO_LARGE,
			    "%llux%llu pixels is above the limit of %llu",
			    (unsigned long long)w, (unsigned long long)h,
			    (unsigned long long)max_pixels);
	return 0;
}

/* ---- JPEG ----------------------------------------------------------------------------- */

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
	int truncated;
};

static void jpeg_on_error(j_common_ptr cinfo)
{
	struct jerr *e = (struct jerr *)cinfo->err;
	(*cinfo->err->format_message)(cinfo, e->msg);
	longjmp(e->jb, 1);
}

/* Warnings go nowhere except the ones that matter: data ended before the picture did,
 * either at the end of the buffer or at a marker (EOI) inside the scan — a header
 * claiming more pixels than the data holds. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
	struct jerr *e = (struct jerr *)cinfo->err;
	if (level < 0 && (cinfo->err->msg_code == JWRN_JPEG_EOF ||
			  cinfo->err->msg_code == JWRN_HIT_MARKER))
		e->truncated = 1;
}

/* Orientation tag (1..8) from the JPEG's Exif segment, 1 when absent or unreadable. */
static int jpeg_exif_orientation(const uint8_t *buf, size_t len)
{
	int o = 1;
	ExifData *ed = exif_data_new_from_data(buf, (unsigned)len);
	if (!ed)
		return 1;
	ExifEntry *ent = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
	if (ent && ent->format == EXIF_FORMAT_SHORT && ent->components >= 1 && ent->data)
		o = exif_get_short(ent->data, exif_data_get_byte_order(ed));
	exif_data_unref(ed);
	return o >= 1 && o <= 8 ? o : 1;
}

static void cmyk_to_rgb(const uint8_t *src, uint8_t *dst, int w, int inverted)
{
	for (int x = 0; x < w; x++) {
		int c = src[4 * x], m = src[4 * x + 1], y = src[4 * x + 2], k = src[4 * x + 3];
		if (!inverted) {
			c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
		}
		/* inverted (Adobe) CMYK stores 255-ink, so 'c' is already "cyan-free" light */
		dst[3 * x] = (uint8_t)((c * k + 127) / 255);
		dst[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
		dst[3 * x + 2] = (uint8_t)((y * k + 127) / 255);
	}
}

static int decode_jpeg(const uint8_t *buf, size_t len, const struct vis_decode_opts *o,
		       struct vis_image *out, char *err, size_t errlen)
{
	struct jpeg_decompress_struct ci;
	struct jerr je;
	uint8_t *volatile row4 = NULL;
	volatile int rc = 0;

	memset(&je, 0, sizeof je);
	ci.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = jpeg_on_error;
	je.pub.emit_message = jpeg_on_message;
	if (setjmp(je.jb)) {
		rc = fail(err, errlen, VIS_E_CORRUPT, "jpeg: %s", je.msg);
		goto out;
	}
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, buf, (unsigned long)len);
	jpeg_read_header(&ci, TRUE);
	if ((rc = check_pixels(ci.image_width, ci.image_height, o->max_pixels, err, errlen)))
		goto out;
	int cmyk = ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK;
	ci.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
	if (o->max_side > 0) {
		/* only 1/8, 1/4, 1/2: libjpeg-turbo has SIMD IDCTs for these; the other n/8
		 * scales run plain C (7/8 measured 6x slower than a full-size decode) */
		unsigned long side = ci.image_width > ci.image_height ? ci.image_width
								       : ci.image_height;
		unsigned denom = 8;
		while (denom > 1 && (side + denom - 1) / denom < (unsigned long)o->max_side)
			denom /= 2;
		ci.scale_num = 1;
		ci.scale_denom = denom;
	}
	ci.dct_method = JDCT_ISLOW;
	jpeg_start_decompress(&ci);
	if ((rc = vis_image_alloc(out, (int)ci.output_width, (int)ci.output_height))) {
		rc = fail(err, errlen, rc, "jpeg: no memory for %ux%u", ci.output_width,
			  ci.output_height);
		goto out;
	}
	if (cmyk && !(row4 = malloc((size_t)out->w * 4))) {
		rc = fail(err, errlen, VIS_E_NOMEM, "jpeg: no memory");
		goto out;
	}
	while (ci.output_scanline < ci.output_height) {
		uint8_t *dst = out->rgb + (size_t)ci.output_scanline * out->w * 3;
		JSAMPROW r = cmyk ? row4 : dst;
		jpeg_read_scanlines(&ci, &r, 1);
		if (cmyk)
			cmyk_to_rgb(row4, dst, out->w, ci.saw_Adobe_marker);
	}
	if (je.truncated) {
		rc = fail(err, errlen, VIS_E_CORRUPT, "jpeg: data ends before the picture does");
		goto out;
	}
	jpeg_finish_decompress(&ci);
	if (je.truncated) {
		rc = fail(err, errlen, VIS_E_CORRUPT, "jpeg: data ends before the picture does");
		goto out;
	}
	rc = vis_image_orient(out, jpeg_exif_orientation(buf, len));
	if (rc)
		fail(err, errlen, rc, "jpeg: no memory to rotate");
out:
	jpeg_destroy_decompress(&ci);
	free(row4);
	if (rc)
		vis_image_free(out);
	return rc;
}

/* ---- PNG ------------------------------------------------------------------------------ */

static int decode_png(const uint8_t *buf, size_t len, const struct vis_decode_opts *o,
		      struct vis_image *out, char *err, size_t errlen)
{
	png_image im;
	int rc;

	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&im, buf, len))
		return fail(err, errlen, VIS_E_CORRUPT, "png: %s", im.message);
	if ((rc = check_pixels(im.width, im.height, o->max_pixels, err, errlen)))
		goto out;
	im.format = PNG_FORMAT_RGB;
	if ((rc = vis_image_alloc(out, (int)im.width, (int)im.height))) {
		fail(err, errlen, rc, "png: no memory");
		goto out;
	}
	png_color white = { 255, 255, 255 };
	if (!png_image_finish_read(&im, &white, out->rgb, (png_int_32)(out->w * 3), NULL)) {
		rc = fail(err, errlen, VIS_E_CORRUPT, "png: %s", im.message);
		vis_image_free(out);
	}
out:
	png_image_free(&im);
	return rc;
}

/* ---- WebP ----------------------------------------------------------------------------- */

/* RGBA -> RGB over a white background. */
static void rgba_on_white(const uint8_t *src, uint8_t *dst, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned a = src[4 * i + 3];
		for (int c = 0; c < 3; c++)
			dst[3 * i + c] = (uint8_t)((src[4 * i + c] * a + 255 * (255 - a) + 127) / 255);
	}
}

static int decode_webp_anim(const uint8_t *buf, size_t len, struct vis_image *out,
			    char *err, size_t errlen)
{
	WebPData data = { buf, len };
	WebPAnimDecoderOptions ao;
	int rc = 0;

	if (!WebPAnimDecoderOptionsInit(&ao))
		return fail(err, errlen, VIS_E_CORRUPT, "webp: libwebp version mismatch");
	ao.color_mode = MODE_RGBA;
	ao.use_threads = 0;
	WebPAnimDecoder *dec = WebPAnimDecoderNew(&data, &ao);
	if (!dec)
		return fail(err, errlen, VIS_E_CORRUPT, "webp: broken animation");
	WebPAnimInfo info;
	uint8_t *frame = NULL;
	int ts = 0;
	if (!WebPAnimDecoderGetInfo(dec, &info) || !WebPAnimDecoderGetNext(dec, &frame, &ts)) {
		rc = fail(err, errlen, VIS_E_CORRUPT, "webp: cannot decode first frame");
		goto out;
	}
	if ((rc = vis_image_alloc(out, (int)info.canvas_width, (int)info.canvas_height))) {
		fail(err, errlen, rc, "webp: no memory");
		goto out;
	}
	rgba_on_white(frame, out->rgb, (size_t)out->w * out->h);
out:
	WebPAnimDecoderDelete(dec);
	return rc;
}

static int decode_webp(const uint8_t *buf, size_t len, const struct vis_decode_opts *o,
		       struct vis_image *out, char *err, size_t errlen)
{
	WebPBitstreamFeatures f;
	int rc;

	if (WebPGetFeatures(buf, len, &f) != VP8_STATUS_OK)
		return fail(err, errlen, VIS_E_CORRUPT, "webp: unreadable header");
	if ((rc = check_pixels((uint64_t)f.width, (uint64_t)f.height, o->max_pixels, err, errlen)))
		return rc;
	if (f.has_animation)
		return decode_webp_anim(buf, len, out, err, errlen);
	int w, h;
	uint8_t *rgba = WebPDecodeRGBA(buf, len, &w, &h);
	if (!rgba)
		return fail(err, errlen, VIS_E_CORRUPT, "webp: broken picture data");
	if ((rc = vis_image_alloc(out, w, h)))
		fail(err, errlen, rc, "webp: no memory");
	else
		rgba_on_white(rgba, out->rgb, (size_t)w * h);
	WebPFree(rgba);
	return rc;
}

/* ---- HEIC / AVIF ---------------------------------------------------------------------- */

static int decode_heif(const uint8_t *buf, size_t len, const struct vis_decode_opts *o,
		       struct vis_image *out, char *err, size_t errlen)
{
	struct heif_context *ctx = heif_context_alloc();
	struct heif_image_handle *hd = NULL;
	struct heif_image *img = NULL;
	struct heif_error he;
	int rc = 0;

	if (!ctx)
		return fail(err, errlen, VIS_E_NOMEM, "heif: no memory");
	he = heif_context_read_from_memory_without_copy(ctx, buf, len, NULL);
	if (he.code != heif_error_Ok) {
		rc = fail(err, errlen, he.code == heif_error_Unsupported_filetype ||
				he.code == heif_error_Unsupported_feature ? VIS_E_UNSUPPORTED
									  : VIS_E_CORRUPT,
			  "heif: %s", he.message);
		goto out;
	}
	he = heif_context_get_primary_image_handle(ctx, &hd);
	if (he.code != heif_error_Ok) {
		rc = fail(err, errlen, VIS_E_CORRUPT, "heif: %s", he.message);
		goto out;
	}
	int w = heif_image_handle_get_width(hd), h = heif_image_handle_get_height(hd);
	if ((rc = check_pixels((uint64_t)(w > 0 ? w : 0), (uint64_t)(h > 0 ? h : 0),
			       o->max_pixels, err, errlen)))
		goto out;
	/* The size checked above is the primary item's declared one (ispe).  What libheif
	 * allocates is named elsewhere and nothing makes the two agree: a grid picture's own
	 * descriptor (fuzz finding 11: a 40×20 grid whose descriptor asked for 28200×11264,
	 * 953 MB from a 621-byte file) or a tile's coded size.  libheif's one limit is per
	 * side: every picture it makes must have both sides under `side` (the declared long
	 * side, rounded up to HEVC's 64-pixel coding blocks).  So that side × side stays
	 * within twice the pixel limit, a HEIF picture's long side is at most
	 * sqrt(2 × max_pixels) (5,656 for kefud's 16 M: any photo of up to 16 M pixels and
	 * up to 2:1). */
	uint64_t side = (uint64_t)(w > h ? w : h);
	if (side * side > 2 * o->max_pixels) {
		rc = fail(err, errlen, VIS_E_TOO_LARGE, "heif: a side of %llu pixels is above "
			  "the limit for HEIC pictures of %llu pixels", (unsigned long long)side,
			  (unsigned long long)sqrt((double)(2 * o->max_pixels)));
		goto out;
	}
	heif_context_set_maximum_image_size_limit(ctx, (int)((side + 63) / 64 * 64 + 1));
	/* HEVC only: a HEIF file whose picture is AV1 would reach libdav1d (see AVIF) */
	struct heif_decoding_options *dopt = heif_decoding_options_alloc();
	if (!dopt) {
		rc = fail(err, errlen, VIS_E_NOMEM, "heif: no memory");
		goto out;
	}
	dopt->decoder_id = "libde265";
	he = heif_decode_image(hd, &img, heif_colorspace_RGB, heif_chroma_interleaved_RGB, dopt);
	heif_decoding_options_free(dopt);
	if (he.code != heif_error_Ok) {
		rc = fail(err, errlen, he.code == heif_error_Unsupported_feature ||
				he.code == heif_error_Unsupported_filetype ? VIS_E_UNSUPPORTED
									   : VIS_E_CORRUPT,
			  "heif: %s", he.message);
		goto out;
	}
	int stride = 0;
	const uint8_t *px = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
	w = heif_image_get_width(img, heif_channel_interleaved);
	h = heif_image_get_height(img, heif_channel_interleaved);
	if (!px || w <= 0 || h <= 0 || stride < 3 * w) {
		rc = fail(err, errlen, VIS_E_CORRUPT, "heif: decoder returned no pixels");
		goto out;
	}
	if ((rc = vis_image_alloc(out, w, h))) {
		fail(err, errlen, rc, "heif: no memory");
		goto out;
	}
	for (int y = 0; y < h; y++)
		memcpy(out->rgb + (size_t)y * w * 3, px + (size_t)y * stride, (size_t)w * 3);
out:
	if (img)
		heif_image_release(img);
	if (hd)
		heif_image_handle_release(hd);
	heif_context_free(ctx);
	return rc;
}

/* ---- entry ---------------------------------------------------------------------------- */

int vis_decode(const uint8_t *buf, size_t len, const struct vis_decode_opts *opts,
	       struct vis_image *out, char *err, size_t errlen)
{
	struct vis_decode_opts o = { 0 };

	if (opts)
		o = *opts;
	if (!o.max_bytes)
		o.max_bytes = DEFAULT_MAX_BYTES;
	if (!o.max_pixels)
		o.max_pixels = DEFAULT_MAX_PIXELS;
	memset(out, 0, sizeof *out);
	if (err && errlen)
		err[0] = 0;
	if (!buf || len == 0)
		return fail(err, errlen, VIS_E_CORRUPT, "empty picture (0 bytes)");
	if (len > o.max_bytes)
		return fail(err, errlen, VIS_E_TOO_LARGE, "%zu bytes is above the limit of %zu",
			    len, o.max_bytes);
	switch (vis_sniff(buf, len)) {
	case VIS_FMT_JPEG: return decode_jpeg(buf, len, &o, out, err, errlen);
	case VIS_FMT_PNG: return decode_png(buf, len, &o, out, err, errlen);
	case VIS_FMT_WEBP: return decode_webp(buf, len, &o, out, err, errlen);
	case VIS_FMT_HEIF: return decode_heif(buf, len, &o, out, err, errlen);
	case VIS_FMT_AVIF:   /* Debian 12's libdav1d crashes on some damaged AVIF files
			      * (docs/fuzzing.md, finding 10): not decoded in kefu's process */
		return fail(err, errlen, VIS_E_UNSUPPORTED, "AVIF pictures are not taken: "
			    "send JPEG, PNG, WebP or HEIC");
	case VIS_FMT_UNKNOWN: break;
	}
	return fail(err, errlen, VIS_E_UNSUPPORTED,
		    "not a JPEG, PNG, WebP, HEIC or AVIF picture");
}
