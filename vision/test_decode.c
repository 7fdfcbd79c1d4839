/* vision/test_decode.c — 'vision: decode limits'.
 *
 * Every decoder against its good fixture (vision/testdata, made by make.sh), the variants
 * phones and scanners send (CMYK JPEG, 16-bit PNG, animated WebP, EXIF-rotated JPEG, 1×1),
 * the limits (byte limit, a 30000×30000 header refused before any decode), unsupported and
 * empty inputs, and a small deterministic fuzz: every truncation length and a few hundred
 * bit flips of each good file must return 0 or a clean error code, never crash (run it
 * under ASan+UBSan).
 */
#include "vision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "file.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/vision/testdata/%s", KEFU_SRCDIR, name);
	uint8_t *b = (uint8_t *)cm_read_file(path, len);
	if (!b) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	return b;
}

static const uint8_t *px(const struct vis_image *im, int x, int y)
{
	return im->rgb + ((size_t)y * im->w + x) * 3;
}

/* Near-pure red / blue (lossy codecs and colour conversions move values a little). */
static int is_red(const uint8_t *p) { return p[0] > 200 && p[1] < 60 && p[2] < 60; }
static int is_blue(const uint8_t *p) { return p[0] < 60 && p[1] < 60 && p[2] > 200; }

static void check_flag(const char *name)
{
	size_t len;
	uint8_t *b = slurp(name, &len);
	struct vis_image im;
	char err[256];
	int rc = vis_decode(b, len, NULL, &im, err, sizeof err);
	if (rc)
		fprintf(stderr, "%s: %s (%s)\n", name, vis_err_code(rc), err);
	CHECK(rc == 0);
	if (!rc) {
		CHECK(im.w == 40 && im.h == 20);
		CHECK(is_red(px(&im, 5, 10)));
		CHECK(is_blue(px(&im, 35, 10)));
		if (!is_red(px(&im, 5, 10)) || !is_blue(px(&im, 35, 10)))
			fprintf(stderr, "%s: left %d,%d,%d right %d,%d,%d\n", name, px(&im, 5, 10)[0],
				px(&im, 5, 10)[1], px(&im, 5, 10)[2], px(&im, 35, 10)[0],
				px(&im, 35, 10)[1], px(&im, 35, 10)[2]);
	}
	vis_image_free(&im);
	free(b);
}

static int expect_rc(const uint8_t *b, size_t len, const struct vis_decode_opts *o, int want,
		     const char *what)
{
	struct vis_image im;
	char err[256];
	int rc = vis_decode(b, len, o, &im, err, sizeof err);
	if (rc != want)
		fprintf(stderr, "%s: got %s (%s), wanted %s\n", what, vis_err_code(rc), err,
			vis_err_code(want));
	CHECK(rc == want);
	CHECK(rc != 0 || im.rgb);
	CHECK(rc == 0 || (!im.rgb && err[0]));
	vis_image_free(&im);
	return rc;
}

/* A PNG whose IHDR claims w×h, with a valid CRC and an IDAT too small for it: the limit must
 * refuse it from the header alone. */
static void huge_png_header(void)
{
	size_t len;
	uint8_t *b = slurp("flag.png", &len);
	/* IHDR data starts at byte 16: width, height big-endian; its CRC follows the 13 bytes */
	uint32_t w = 30000, h = 30000;
	uint8_t *p = b + 16;
	p[0] = w >> 24; p[1] = w >> 16; p[2] = w >> 8; p[3] = (uint8_t)w;
	p[4] = h >> 24; p[5] = h >> 16; p[6] = h >> 8; p[7] = (uint8_t)h;
	uLong crc = crc32(0, b + 12, 17);
	uint8_t *c = b + 29;
	c[0] = crc >> 24; c[1] = crc >> 16; c[2] = crc >> 8; c[3] = (uint8_t)crc;
	expect_rc(b, len, NULL, VIS_E_TOO_LARGE, "png 30000x30000 header");
	free(b);
}

static void huge_jpeg_header(void)
{
	size_t len;
	uint8_t *b = slurp("flag.jpg", &len);
	for (size_t i = 2; i + 9 < len; i++) {
		if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC2)) {
			/* FFC0 len(2) precision(1) height(2) width(2) */
			b[i + 5] = 30000 >> 8; b[i + 6] = 30000 & 255;
			b[i + 7] = 30000 >> 8; b[i + 8] = 30000 & 255;
			break;
		}
	}
	expect_rc(b, len, NULL, VIS_E_TOO_LARGE, "jpeg 30000x30000 header");
	free(b);
}

static void fuzz(const char *name, uint32_t seed)
{
	size_t len;
	uint8_t *b = slurp(name, &len);
	uint8_t *m = malloc(len);
	struct vis_image im;
	char err[256];
	int ok = 0, bad = 0;

	for (size_t cut = 0; cut < len; cut++) {
		int rc = vis_decode(b, cut, NULL, &im, err, sizeof err);
		CHECK(rc == 0 || rc == VIS_E_CORRUPT || rc == VIS_E_UNSUPPORTED ||
		      rc == VIS_E_TOO_LARGE);
		rc ? bad++ : ok++;
		vis_image_free(&im);
	}
	for (int i = 0; i < 300; i++) {
		memcpy(m, b, len);
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1664525u + 1013904223u;
			size_t pos = (seed >> 8) % len;
			m[pos] ^= (uint8_t)(1u << (seed & 7));
		}
		int rc = vis_decode(m, len, NULL, &im, err, sizeof err);
		CHECK(rc == 0 || rc == VIS_E_CORRUPT || rc == VIS_E_UNSUPPORTED ||
		      rc == VIS_E_TOO_LARGE);
		if (rc == 0)
			CHECK(im.w > 0 && im.h > 0 && im.rgb);
		rc ? bad++ : ok++;
		vis_image_free(&im);
	}
	/* a truncated file must never decode as if it were whole */
	CHECK(bad > 0);
	printf("fuzz %-14s %4zu truncations + 300 flips: %d decoded, %d refused\n", name, len,
	       ok, bad);
	free(m);
	free(b);
}

int main(void)
{
	const char *flags[] = { "flag.jpg", "flag.png", "flag16.png", "flag.webp",
				"flag_cmyk.jpg", "flag_anim.webp", "flag.heic" };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		check_flag(flags[i]);
	{       /* AVIF is refused, not decoded (libdav1d crashed on a fuzzed file) */
		size_t n;
		uint8_t *a = slurp("flag.avif", &n);
		struct vis_image ai;
		char e[256];
		CHECK(vis_decode(a, n, NULL, &ai, e, sizeof e) == VIS_E_UNSUPPORTED);
		CHECK(strstr(e, "AVIF") != NULL);
		free(a);
	}

	{       /* fuzz finding 11: a 40×20 HEIC grid whose descriptor asks for 28200×11264
		 * (953 MB) is refused before libheif allocates it */
		size_t n;
		uint8_t *a = slurp("bomb_grid.heic", &n);
		struct vis_image ai;
		char e[256] = "";
		CHECK(vis_decode(a, n, NULL, &ai, e, sizeof e) == VIS_E_CORRUPT);
		printf("grid bomb: %s\n", e);
		CHECK(strstr(e, "28200x11264") != NULL);     /* refused for its size */
		free(a);
	}

	/* EXIF orientation 6: stored 40x20 red|blue, shown 20x40 red on top */
	size_t len;
	uint8_t *b = slurp("flag_rot6.jpg", &len);
	struct vis_image im;
	char err[256];
	CHECK(vis_decode(b, len, NULL, &im, err, sizeof err) == 0);
	CHECK(im.w == 20 && im.h == 40);
	if (im.rgb) {
		CHECK(is_red(px(&im, 10, 5)));
		CHECK(is_blue(px(&im, 10, 35)));
	}
	vis_image_free(&im);
	free(b);

	b = slurp("one.png", &len);
	CHECK(vis_decode(b, len, NULL, &im, err, sizeof err) == 0);
	CHECK(im.w == 1 && im.h == 1 && im.rgb && im.rgb[0] == 0x10 && im.rgb[1] == 0x20 &&
	      im.rgb[2] == 0x30);
	vis_image_free(&im);
	free(b);

	/* limits */
	b = slurp("flag.jpg", &len);
	struct vis_decode_opts small = { .max_bytes = len - 1 };
	expect_rc(b, len, &small, VIS_E_TOO_LARGE, "byte limit");
	struct vis_decode_opts few = { .max_pixels = 799 };
	expect_rc(b, len, &few, VIS_E_TOO_LARGE, "pixel limit 799 < 800");
	struct vis_decode_opts enough = { .max_pixels = 800 };
	expect_rc(b, len, &enough, 0, "pixel limit 800");
	free(b);
	/* DCT scaling: 40x20 with max_side 10 decodes at 1/4, with 5 at 1/8 (sizes round up) */
	b = slurp("flag.jpg", &len);
	struct vis_decode_opts quarter = { .max_side = 10 }, eighth = { .max_side = 5 };
	CHECK(vis_decode(b, len, &quarter, &im, err, sizeof err) == 0 && im.w == 10 && im.h == 5);
	if (im.rgb)
		CHECK(is_red(px(&im, 1, 2)) && is_blue(px(&im, 8, 2)));
	vis_image_free(&im);
	CHECK(vis_decode(b, len, &eighth, &im, err, sizeof err) == 0 && im.w == 5 && im.h == 3);
	vis_image_free(&im);
	free(b);
	huge_png_header();
	huge_jpeg_header();

	/* empty, unknown, unsupported */
	expect_rc((const uint8_t *)"", 0, NULL, VIS_E_CORRUPT, "zero bytes");
	expect_rc((const uint8_t *)"hello, world", 12, NULL, VIS_E_UNSUPPORTED, "text");
	b = slurp("flag.gif", &len);
	expect_rc(b, len, NULL, VIS_E_UNSUPPORTED, "gif");
	free(b);
	CHECK(!strcmp(vis_err_code(VIS_E_TOO_LARGE), "image_too_large"));
	CHECK(!strcmp(vis_err_code(VIS_E_CORRUPT), "corrupt_image"));
	CHECK(!strcmp(vis_err_code(VIS_E_UNSUPPORTED), "unsupported_image"));

	/* resize: align-corners keeps the corner pixels */
	struct vis_image src, dst;
	CHECK(vis_image_alloc(&src, 2, 2) == 0);
	memcpy(src.rgb, "\x00\x00\x00\x64\x64\x64\xc8\xc8\xc8\xff\xff\xff", 12);
	CHECK(vis_image_alloc(&dst, 5, 5) == 0);
	vis_image_resize(&src, &dst, 1);
	CHECK(dst.rgb[0] == 0 && px(&dst, 4, 0)[0] == 100 && px(&dst, 0, 4)[0] == 200 &&
	      px(&dst, 4, 4)[0] == 255 && px(&dst, 2, 0)[0] == 50);
	vis_image_free(&src);
	vis_image_free(&dst);

	uint32_t seed = 12345;
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		fuzz(flags[i], seed += 7919);
	fuzz("flag_rot6.jpg", 99);

	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
