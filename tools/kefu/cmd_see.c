/* tools/kefu/cmd_see.c — `kefu see FILE [--words TEXT] [--json]`: what kefu gets from one
 * picture, the way a kefud worker sees it: OCR text, codes, entities, the safety verdict,
 * the category head's label and the store's best matching answers (picture search), with
 * the time of each step, and the reply kefud's answer policy (pol_answer, with the
 * store's bot, fusion model and picture labels) gives to the picture with those words.  The embedding averages the catalogue's views
 * (VIS_CATALOG_VIEWS: picture, mirror, padded square).  The picture catalogue is the store's (embeddings missing from
 * it are computed and stored first).  Main thread, one BLAS thread.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "cli.h"
#include "clock.h"
#include "cli_policy.h"
#include "cmd_images.h"
#include "picture.h"
#include "store.h"
#include "tensor.h"
#include "vision.h"

#define MAX_MATCHES 5

static const char *kind_name(enum vis_entity_kind k)
{
	return k == VIS_ENT_ORDER ? "order" : k == VIS_ENT_ERROR_CODE ? "error_code" : "code";
}

int cmd_see(int argc, char **argv)
{
	struct kefu_conf c;
	char *pos[1], err[300];
	int npos, rc = 1;
	int json = cli_take_flag(&argc, argv, "--json");
	const char *words = cli_take_value(&argc, argv, "--words");
	int p = words && !words[0] ? -1 : cli_parse_conf(&c, "kefu see", argc, argv, pos, 1, &npos);

	if (p)
		return p < 0 ? 2 : 0;
	if (npos != 1) {
		fprintf(stderr, "usage: kefu see FILE [--words TEXT] [--json] [--db FILE] [--models DIR]\n");
		return 2;
	}
	size_t len;
	char *data = cli_read_file(pos[0], &len);
	if (!data)
		return 1;
	cm_blas_single_thread();
	struct vis_cnn *safety = cli_open_cnn(&c, "nsfw_mobilenet_v2");
	struct vis_cnn *embed = cli_open_cnn(&c, c.image_embed);
	struct store *st = NULL;
	struct vis_catalog *cat = NULL;
	struct vis_worker *w = NULL;
	struct vis_seen s = { 0 };
	struct cli_policy pol = { 0 };
	struct pol_reply reply = { 0 };
	struct pol_entity *ents = NULL;
	const char **codes = NULL;
	int seen = 0;

	if (!safety || !embed)
		goto out;
	if (!(st = cli_open_store(&c)))
		goto out;
	if (cli_policy_open(&pol, st, &c, 1))
		goto out;
	uint64_t t0 = cm_now_us();
	if (!(cat = vis_catalog_load(st, embed, NULL, err, sizeof err))) {
		fprintf(stderr, "kefu see: picture catalogue: %s\n", err);
		goto out;
	}
	double ms_load = (double)(cm_now_us() - t0) / 1000.0;
	if (!(w = vis_worker_create(safety, embed, c.ocr_langs[0] ? c.ocr_langs : NULL, err,
				    sizeof err))) {
		fprintf(stderr, "kefu see: %s\n", err);
		goto out;
	}
	vis_worker_set_embed_views(w, VIS_CATALOG_VIEWS);   /* as the catalogue's pictures */
	struct vis_decode_opts dopts = { .max_pixels = (uint64_t)c.max_image_pixels,
					 .max_side = 1600 };
	if ((rc = vis_see(w, (const uint8_t *)data, len, &dopts, &s, err, sizeof err))) {
		fprintf(stderr, "kefu see: %s: %s (%s)\n", pos[0], err, vis_err_code(rc));
		rc = 1;
		goto out;
	}
	seen = 1;
	struct vis_match m[MAX_MATCHES];
	float best = 0, cp = 0;
	const char *label = NULL;
	t0 = cm_now_us();
	int nm = vis_catalog_match(cat, s.embed, s.embed_dim, m, MAX_MATCHES, &best);
	if (nm < 0)
		nm = 0;
	int crc = vis_catalog_category(cat, s.embed, s.embed_dim, &label, &cp);
	if (crc)
		label = NULL;
	double ms_search = (double)(cm_now_us() - t0) / 1000.0;

	/* the reply, as a kefud worker's pol_answer gives it */
	struct pol_match pm[MAX_MATCHES];
	ents = calloc((size_t)s.n_entities + 1, sizeof *ents);
	codes = calloc((size_t)s.codes.n + 1, sizeof *codes);
	if (!ents || !codes)
		goto out;
	struct pol_picture pic = pic_policy_picture(&s, ents, codes, label, label ? cp : 0, m, pm,
						    nm < PIC_MAX_MATCHES ? nm : PIC_MAX_MATCHES);
	struct pol_input in = { .words = words, .words_len = words ? strlen(words) : 0,
				.picture = &pic };
	if (pol_answer(&pol.m, &in, &reply))
		goto out;

	if (json) {
		json_t *o = json_object(), *codes = json_array(), *ents = json_array(),
		       *ma = json_array();
		for (int i = 0; i < s.codes.n; i++)
			if (s.codes.v[i].utf8)
				json_array_append_new(codes, json_pack("{s:s, s:s}", "type",
								       s.codes.v[i].type, "data",
								       s.codes.v[i].data));
		for (int i = 0; i < s.n_entities; i++)
			json_array_append_new(ents, json_pack("{s:s, s:s}", "kind",
							      kind_name(s.entities[i].kind), "text",
							      s.entities[i].text));
		for (int i = 0; i < nm; i++)
			json_array_append_new(ma, json_pack("{s:I, s:s, s:f, s:I, s:s}", "answer_id",
							    (json_int_t)m[i].answer_id, "title",
							    m[i].title, "score", (double)m[i].score,
							    "picture_id", (json_int_t)m[i].picture_id,
							    "label", m[i].label));
		json_object_set_new(o, "format", json_string(vis_format_name(s.format)));
		json_object_set_new(o, "width", json_integer(s.w));
		json_object_set_new(o, "height", json_integer(s.h));
		json_object_set_new(o, "ocr_text", json_string(s.ocr.text ? s.ocr.text : ""));
		json_object_set_new(o, "codes", codes);
		json_object_set_new(o, "entities", ents);
		json_object_set_new(o, "safety", s.n_safety ? json_pack("{s:s, s:f}", "label",
			vis_cnn_class_name(safety, s.safety_top), "score",
			(double)s.safety[s.safety_top]) : json_null());
		json_object_set_new(o, "unsafe", json_boolean(s.unsafe));
		json_object_set_new(o, "category", label ? json_string(label) : json_null());
		json_object_set_new(o, "category_p", json_real(label ? cp : 0.0));
		json_object_set_new(o, "matches", ma);
		json_object_set_new(o, "best_cosine", json_real(best));
		json_object_set_new(o, "threshold", json_real(vis_catalog_threshold(cat)));
		json_object_set_new(o, "reply", cli_reply_json(&reply));
		json_object_set_new(o, "timings_ms", json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}",
			"decode", s.ms_decode, "ocr", s.ms_ocr, "codes", s.ms_codes, "cnn",
			s.ms_cnn, "search", ms_search, "catalogue_load", ms_load));
		char *txt = cli_json_dumps(o);
		if (txt)
			puts(txt);
		free(txt);
		json_decref(o);
	} else {
		printf("%s %d×%d\n", vis_format_name(s.format), s.w, s.h);
		printf("ocr_text: %s\n", s.ocr.text && s.ocr.text[0] ? s.ocr.text : "(none)");
		for (int i = 0; i < s.codes.n; i++)
			printf("code: %s %s\n", s.codes.v[i].type,
			       s.codes.v[i].utf8 ? s.codes.v[i].data : "(binary)");
		for (int i = 0; i < s.n_entities; i++)
			printf("entity: %s %s\n", kind_name(s.entities[i].kind), s.entities[i].text);
		if (s.n_safety)
			printf("safety: %s %.3f%s\n", vis_cnn_class_name(safety, s.safety_top),
			       s.safety[s.safety_top], s.unsafe ? " (UNSAFE: refused)" : "");
		if (label)
			printf("category: %s (p %.3f)\n", label, cp);
		else
			printf("category: none (%s)\n", crc == 2 ? "not in the catalogue"
				: "no image head in the store: run kefu train");
		if (!nm)
			printf("matches: none: not in the catalogue (best cosine %.3f < %.2f, %d "
			       "pictures)\n", best, vis_catalog_threshold(cat), vis_catalog_size(cat));
		for (int i = 0; i < nm; i++)
			printf("match: %.3f  %s  (answer %lld, picture %lld, %s)\n", m[i].score,
			       m[i].title, (long long)m[i].answer_id, (long long)m[i].picture_id,
			       m[i].label);
		printf("reply%s%s%s: ", words ? " to \"" : "", words ? words : "", words ? "\"" : "");
		cli_reply_print(&reply);
		printf("ms: decode %.1f, ocr %.1f, codes %.1f, cnn %.1f, search %.2f (catalogue "
		       "load %.0f)\n", s.ms_decode, s.ms_ocr, s.ms_codes, s.ms_cnn, ms_search,
		       ms_load);
	}
	rc = 0;
out:
	pol_reply_clear(&reply);
	free(ents);
	free(codes);
	cli_policy_close(&pol);
	if (seen)
		vis_seen_free(&s);
	vis_worker_destroy(w);
	vis_catalog_free(cat);
	store_close(st);
	vis_cnn_close(safety);
	vis_cnn_close(embed);
	free(data);
	return rc;
}
