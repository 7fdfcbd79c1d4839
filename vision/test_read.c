/* vision/test_read.c — 'vision: ocr', 'vision: codes', 'vision: entities'.
 *
 *   test_vis_read ocr       tesseract on the committed renders (vision/testdata/make.sh):
 *                           a screenshot-like error, tiny text (needs the upscale), white
 *                           on an orange banner, the screenshot upside down (needs the
 *                           180-degree retry), Chinese; checks the key tokens come out.
 *   test_vis_read codes     zbar: a UTF-8 QR code (binary mode), EAN-13, UPC-A, Code 128,
 *                           and no code in a picture of text.
 *   test_vis_read entities  token finding and OCR-tolerant matching.
 */
#include "vision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

static void load(const char *name, struct vis_image *img)
{
	char path[1024], err[256];
	size_t n;
	snprintf(path, sizeof path, "%s/vision/testdata/%s", KEFU_SRCDIR, name);
	uint8_t *buf = (uint8_t *)cm_read_file(path, &n);
	if (!buf) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	if (vis_decode(buf, n, NULL, img, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", path, err);
		exit(1);
	}
	free(buf);
}

/* Reads name and checks every want[] substring is in the text (after folding, so the test
 * asks what a customer-service lookup needs, not pixel-perfect OCR). */
static struct vis_ocr_result read_one(struct vis_ocr *o, const char *name,
				      const char *const *want)
{
	struct vis_image img;
	struct vis_ocr_result r;
	load(name, &img);
	CHECK(vis_ocr_read(o, &img, &r) == 0);
	printf("%-16s conf %3d scale %d thr %d rot %d passes %d: %s\n", name, r.conf, r.scale,
	       r.thresholded, r.rotated, r.passes, r.text);
	for (; *want; want++) {
		int found = strstr(r.text, *want) != NULL;
		if (!found)
			fprintf(stderr, "%s: '%s' not read\n", name, *want);
		CHECK(found);
	}
	vis_image_free(&img);
	return r;
}

static void ocr(void)
{
	char err[256];
	struct vis_ocr *o = vis_ocr_create("eng", err, sizeof err);
	CHECK(o != NULL);
	if (!o) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	struct vis_ocr_result r;
	r = read_one(o, "ocr_error.png", (const char *[]){ "0x80070005", "A1234567", "denied", NULL });
	CHECK(r.rotated == 0 && r.conf >= 80);
	vis_ocr_result_free(&r);
	r = read_one(o, "ocr_small.png", (const char *[]){ "A1234567", "shipped", NULL });
	CHECK(r.scale > 1 && r.passes == 1);
	vis_ocr_result_free(&r);
	r = read_one(o, "ocr_banner.png", (const char *[]){ "PAYMENT FAILED", "E1042", NULL });
	CHECK(r.passes >= 2);  /* colourful: the thresholded pass ran too */
	vis_ocr_result_free(&r);
	r = read_one(o, "ocr_upside.png", (const char *[]){ "0x80070005", "A1234567", NULL });
	CHECK(r.rotated == 1);
	vis_ocr_result_free(&r);
	vis_ocr_destroy(o);

	struct vis_ocr *z = vis_ocr_create("chi_sim+eng", err, sizeof err);
	CHECK(z != NULL);
	if (z) {
		r = read_one(z, "ocr_chinese.png", (const char *[]){ "20231105", "发货", NULL });
		vis_ocr_result_free(&r);
		vis_ocr_destroy(z);
	}
	CHECK(vis_ocr_create("no_such_language", err, sizeof err) == NULL && err[0]);
}

static void expect_code(struct vis_codes_ctx *c, const char *file, const char *type,
			const char *data)
{
	struct vis_image img;
	struct vis_codes out;
	load(file, &img);
	CHECK(vis_codes_scan(c, &img, &out) == 0);
	int found = 0;
	for (int i = 0; i < out.n; i++) {
		printf("%-15s %-9s %s (utf8 %d)\n", file, out.v[i].type, out.v[i].data,
		       out.v[i].utf8);
		found |= !strcmp(out.v[i].type, type) && !strcmp(out.v[i].data, data) &&
			 out.v[i].utf8;
	}
	if (!found)
		fprintf(stderr, "%s: %s '%s' not found\n", file, type, data);
	CHECK(found);
	vis_codes_free(&out);
	vis_image_free(&img);
}

static void codes(void)
{
	struct vis_codes_ctx *c = vis_codes_create();
	CHECK(c != NULL);
	expect_code(c, "code_qr.png", "QR-Code", "退货 RMA-20931 https://shop.example/r/42");
	expect_code(c, "code_ean13.png", "EAN-13", "5901234123457");
	expect_code(c, "code_upca.png", "UPC-A", "036000291452");
	expect_code(c, "code_c128.png", "CODE-128", "KF-2024-00042");
	struct vis_image img;
	struct vis_codes out;
	load("ocr_error.png", &img);
	CHECK(vis_codes_scan(c, &img, &out) == 0 && out.n == 0);
	vis_codes_free(&out);
	vis_image_free(&img);
	vis_codes_destroy(c);
}

static void entities(void)
{
	struct vis_entity e[16];
	int n = vis_entities_find("Error 0x80070005: Access is denied. Order #A1234567 could "
				  "not ship; see ERR_CONNECTION_REFUSED, E1042 and track "
				  "1Z999AA10123456784 (page 2 of 3, 2024).", e, 16);
	const char *want[][2] = { { "0x80070005", "e" }, { "A1234567", "o" },
				  { "ERR_CONNECTION_REFUSED", "e" }, { "E1042", "e" },
				  { "1Z999AA10123456784", "o" } };
	CHECK(n == 5);
	for (int i = 0; i < n && i < 5; i++) {
		printf("entity %d %-24s canon %s\n", e[i].kind, e[i].text, e[i].canon);
		CHECK(!strcmp(e[i].text, want[i][0]));
		CHECK(e[i].kind == (want[i][1][0] == 'o' ? VIS_ENT_ORDER : VIS_ENT_ERROR_CODE));
	}
	/* the underscore read as a space is joined back */
	CHECK(vis_entities_find("localhost refused.\nERR_CONNECTION REFUSED now", e, 16) == 1 &&
	      !strcmp(e[0].text, "ERR_CONNECTION_REFUSED"));
	CHECK(vis_entities_find("ERR_TIMEOUT Please retry", e, 16) == 1 &&
	      !strcmp(e[0].text, "ERR_TIMEOUT"));
	const char *known[] = { "A1234567", "B7654321", "SO-100050", "E1042", "ERR_TIMEOUT" };
	int d;
	CHECK(vis_entity_match("A1234567", known, 5, &d) == 0 && d == 0);
	CHECK(vis_entity_match("Al234S67", known, 5, &d) == 0 && d == 0);  /* l->1, S->5 */
	CHECK(vis_entity_match("A12345678", known, 5, &d) == 0 && d == 1); /* one extra */
	CHECK(vis_entity_match("87654321", known, 5, &d) == 1);            /* B->8 */
	CHECK(vis_entity_match("SO100O5O", known, 5, &d) == 2);            /* O/0, no dash */
	CHECK(vis_entity_match("e1042", known, 5, &d) == 3);               /* c/e, case */
	CHECK(vis_entity_match("E1043", known, 5, &d) == -1);              /* short: exact only */
	CHECK(vis_entity_match("A9999999", known, 5, &d) == -1 && d == -1);
	CHECK(vis_entity_match("", known, 5, &d) == -1);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "ocr"))
		ocr();
	else if (!strcmp(what, "codes"))
		codes();
	else if (!strcmp(what, "entities"))
		entities();
	else {
		fprintf(stderr, "usage: test_vis_read ocr|codes|entities\n");
		return 2;
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
