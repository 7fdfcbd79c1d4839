/* vision/codes.c — QR codes and barcodes with zbar.
 *
 * QR codes are read in binary mode (ZBAR_CFG_BINARY): zbar otherwise guesses a legacy
 * character set (Shift-JIS / ISO-8859-1) and mangles UTF-8 text such as Chinese; kefu
 * checks the bytes for UTF-8 itself.  Enabled symbologies: QR, EAN-13, UPC-A, Code 128 —
 * what receipts, parcels and product boxes carry.  One scanner per worker thread.
 */
#include "vision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zbar.h>

#include "utf8.h"

struct vis_codes_ctx {
	zbar_image_scanner_t *sc;
};

struct vis_codes_ctx *vis_codes_create(void)
{
	struct vis_codes_ctx *c = calloc(1, sizeof *c);
	if (!c || !(c->sc = zbar_image_scanner_create())) {
		free(c);
		return NULL;
	}
	zbar_image_scanner_set_config(c->sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(c->sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	zbar_image_scanner_set_config(c->sc, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
	zbar_image_scanner_set_config(c->sc, ZBAR_EAN13, ZBAR_CFG_ENABLE, 1);
	zbar_image_scanner_set_config(c->sc, ZBAR_UPCA, ZBAR_CFG_ENABLE, 1);
	zbar_image_scanner_set_config(c->sc, ZBAR_CODE128, ZBAR_CFG_ENABLE, 1);
	return c;
}

void vis_codes_destroy(struct vis_codes_ctx *c)
{
	if (!c)
		return;
	zbar_image_scanner_destroy(c->sc);
	free(c);
}

void vis_codes_free(struct vis_codes *out)
{
	for (int i = 0; i < out->n; i++)
		free(out->v[i].data);
	free(out->v);
	out->v = NULL;
	out->n = 0;
}

/* Scans one grey picture and appends new (type, data) pairs to out.  0 or VIS_E_NOMEM. */
static int scan_grey(struct vis_codes_ctx *c, uint8_t *g, int w, int h, struct vis_codes *out)
{
	zbar_image_t *zi = zbar_image_create();
	if (!zi)
		return VIS_E_NOMEM;
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, (unsigned)w, (unsigned)h);
	zbar_image_set_data(zi, g, (unsigned long)w * h, NULL);
	int rc = 0;
	if (zbar_scan_image(c->sc, zi) > 0) {
		for (const zbar_symbol_t *s = zbar_image_first_symbol(zi); s;
		     s = zbar_symbol_next(s)) {
			const char *type = zbar_get_symbol_name(zbar_symbol_get_type(s));
			const char *data = zbar_symbol_get_data(s);
			size_t len = zbar_symbol_get_data_length(s);
			int dup = 0;
			for (int i = 0; i < out->n; i++)
				dup |= out->v[i].len == len && !memcmp(out->v[i].data, data, len) &&
				       !strcmp(out->v[i].type, type);
			if (dup)
				continue;
			struct vis_code *v = realloc(out->v, sizeof *v * (size_t)(out->n + 1));
			if (!v) {
				rc = VIS_E_NOMEM;
				break;
			}
			out->v = v;
			struct vis_code *k = &v[out->n];
			if (!(k->data = malloc(len + 1))) {
				rc = VIS_E_NOMEM;
				break;
			}
			memcpy(k->data, data, len);
			k->data[len] = 0;
			k->len = len;
			k->utf8 = cm_utf8_valid(k->data, len);
			snprintf(k->type, sizeof k->type, "%s", type);
			out->n++;
		}
	}
	zbar_image_destroy(zi);
	return rc;
}

int vis_codes_scan(struct vis_codes_ctx *c, const struct vis_image *img, struct vis_codes *out)
{
	memset(out, 0, sizeof *out);
	if (!img->rgb || img->w <= 0 || img->h <= 0)
		return VIS_E_ARG;
	for (int scale = 1; scale <= 2 && out->n == 0; scale++) {
		if (scale > 1 && (img->w > 2000 || img->h > 2000))
			break;
		int w, h;
		uint8_t *g = vis_image_grey(img, scale, &w, &h);
		if (!g) {
			vis_codes_free(out);
			return VIS_E_NOMEM;
		}
		int rc = scan_grey(c, g, w, h, out);
		free(g);
		if (rc) {
			vis_codes_free(out);
			return rc;
		}
	}
	return 0;
}
