/* vision/vision.h — what kefu gets from a picture (prefix vis_).
 *
 * Three parts, each usable alone:
 *   decode   (decode.c, image.c): bytes -> oriented RGB8, with byte and pixel limits checked
 *            from the header before any pixel is decoded;
 *   read     (ocr.c, codes.c, entities.c): tesseract text, zbar codes, and the order numbers /
 *            error codes found in the text, matched fuzzily against known ones;
 *   see      (cnn.c, cnn_kernels.c): MobileNetV2 forward pass on OpenBLAS over a model file
 *            converted from npm nsfwjs (see docs/vision.md): safety classes and embedding.
 *
 * Threads: model files (struct vis_cnn) are read-only after vis_cnn_open and shared by every
 * worker; everything else (struct vis_cnn_state, struct vis_ocr) belongs to one worker
 * thread.  No function here calls exit() or aborts on bad input: bad pictures are error
 * codes (vis_err_code names them for the protocol).
 */
#ifndef KEFU_VISION_H
#define KEFU_VISION_H

#include <stddef.h>
#include <stdint.h>

/* ---- errors --------------------------------------------------------------------------- */

enum vis_rc {
	VIS_OK = 0,
	VIS_E_UNSUPPORTED = -1, /* not JPEG/PNG/WebP/HEIC/AVIF, or a variant we cannot take */
	VIS_E_TOO_LARGE = -2,   /* byte count or header pixel count above the limit */
	VIS_E_CORRUPT = -3,     /* the format was recognised but the data is broken */
	VIS_E_NOMEM = -4,
	VIS_E_MODEL = -5,       /* model file missing, wrong version or inconsistent */
	VIS_E_ARG = -6,         /* caller error (bad size, NULL) */
	VIS_E_OCR = -7,         /* tesseract could not start (language data missing) */
};

/* Stable protocol name of a return code: "unsupported_image", "image_too_large",
 * "corrupt_image", "out_of_memory", "model_error", "bad_argument", "ocr_error"; "ok" for 0. */
const char *vis_err_code(int rc);

/* ---- images --------------------------------------------------------------------------- */

enum vis_format {
	VIS_FMT_UNKNOWN = 0, VIS_FMT_JPEG, VIS_FMT_PNG, VIS_FMT_WEBP, VIS_FMT_HEIF, VIS_FMT_AVIF,
};

/* An 8-bit RGB picture, rows packed (stride = 3·w).  rgb is malloc'ed and owned by the
 * struct: release with vis_image_free. */
struct vis_image {
	int w, h;
	uint8_t *rgb;
};

struct vis_decode_opts {
	size_t max_bytes;      /* refuse larger inputs (0 = 20 MiB) */
	uint64_t max_pixels;   /* refuse if header width·height exceeds this (0 = 40 MP) */
	int max_side;          /* if > 0, JPEGs are downscaled while decoding (DCT scaling by
	                          1/2, 1/4 or 1/8) to the smallest scale whose long side is
	                          still >= max_side */
	int deadline_ms;       /* vis_see only: OCR stops once this many ms passed since
	                          vis_see began (the text read so far is kept); 0 = none */
};

/* Which format the magic bytes say; VIS_FMT_UNKNOWN if none we take. */
enum vis_format vis_sniff(const uint8_t *buf, size_t len);
const char *vis_format_name(enum vis_format f);

/* Decodes buf into out (RGB8, EXIF orientation applied for JPEG; HEIF/AVIF transforms are
 * applied by libheif; animated WebP gives its first frame; alpha is composited on white).
 * Returns 0, or a negative vis_rc with a one-line reason in err (may be NULL).  On error
 * out is left empty.  Any thread; no global state. */
int vis_decode(const uint8_t *buf, size_t len, const struct vis_decode_opts *opts,
	       struct vis_image *out, char *err, size_t errlen);

void vis_image_free(struct vis_image *img);

/* Allocates an empty w×h picture (contents undefined).  0 or VIS_E_NOMEM / VIS_E_ARG. */
int vis_image_alloc(struct vis_image *img, int w, int h);

/* Applies EXIF orientation o (1..8) in place (the buffer is replaced).  0 or VIS_E_NOMEM. */
int vis_image_orient(struct vis_image *img, int orientation);

/* Grey (BT.601 luma) copy of img, upscaled by the integer factor scale (bilinear) when
 * scale > 1; *w, *h get its size.  malloc'ed (caller frees); NULL on no memory. */
uint8_t *vis_image_grey(const struct vis_image *img, int scale, int *w, int *h);

/* Bilinear resize to dst (already allocated at the wanted size).  align_corners as in
 * TensorFlow's resize_bilinear (corner pixels map to corner pixels). */
void vis_image_resize(const struct vis_image *src, struct vis_image *dst, int align_corners);

/* ---- CNN encoder (cnn.c) ---------------------------------------------------------------- */

/* A converted MobileNetV2 (models/NAME.kfm, written by tools/nsfwjs_convert): mmapped
 * read-only, shared by every worker. */
struct vis_cnn;
/* One worker's scratch memory for one model (activations, im2col buffer, input). */
struct vis_cnn_state;

/* Maps and checks the model file (magic, version, table bounds, every weight shape against
 * the op it feeds).  Returns NULL with a reason in err.  Start-up thread. */
struct vis_cnn *vis_cnn_open(const char *path, char *err, size_t errlen);
/* The same over model bytes already in memory (64-byte aligned, kept by the caller until
 * vis_cnn_close); name is used in messages.  For the fuzz harness (fuzz/fuzz_model_cnn.c). */
struct vis_cnn *vis_cnn_open_mem(const void *buf, size_t len, const char *name, char *err,
				 size_t errlen);
void vis_cnn_close(struct vis_cnn *m);

int vis_cnn_input_size(const struct vis_cnn *m);   /* 224 */
int vis_cnn_n_classes(const struct vis_cnn *m);
const char *vis_cnn_class_name(const struct vis_cnn *m, int i);
int vis_cnn_embed_dim(const struct vis_cnn *m);    /* pooled features, 0 if none */
/* Floating-point operations of one forward pass (2 per multiply-add of the convolutions
 * and dense layers): the bench's floor at a measured GFLOP/s. */
double vis_cnn_flops(const struct vis_cnn *m);
const char *vis_cnn_name(const struct vis_cnn *m);

/* Allocates the scratch memory one worker needs for m (about 20 MB for MobileNetV2-1.4 at
 * 224).  NULL on no memory.  Owned by the caller's thread. */
struct vis_cnn_state *vis_cnn_state_create(const struct vis_cnn *m);
void vis_cnn_state_destroy(struct vis_cnn_state *st);

/* Fills the state's input from a picture as nsfwjs does: pixels/255, bilinear resize with
 * aligned corners to the model's square size, then the model's own input scale/bias. */
void vis_cnn_set_image(const struct vis_cnn *m, struct vis_cnn_state *st,
		       const struct vis_image *img);
/* The same from raw float pixels already at the model size (h·w·3, values 0..255). */
void vis_cnn_set_pixels(const struct vis_cnn *m, struct vis_cnn_state *st, const float *px);

/* Runs the network on the state's input.  probs (n_classes floats) and embed (embed_dim
 * floats) may each be NULL; with probs NULL and embed given, only the ops up to the
 * embedding run.  Returns 0.  Worker thread; uses OpenBLAS as the caller set it
 * (call cm_blas_single_thread once per process for one BLAS thread per worker). */
int vis_cnn_run(const struct vis_cnn *m, struct vis_cnn_state *st, float *probs,
		float *embed);
/* For the benchmark's per-layer profile: the number of ops, vis_cnn_run (every op) adding
 * each op's thread CPU ms to op_ms[0..n_ops), and one line describing op i (returns its
 * floating-point operations). */
int vis_cnn_n_ops(const struct vis_cnn *m);
void vis_cnn_run_timed(const struct vis_cnn *m, struct vis_cnn_state *st, float *probs,
		       double *op_ms);
double vis_cnn_op_desc(const struct vis_cnn *m, int i, char *buf, size_t len);

/* ---- views (views.c) -------------------------------------------------------------------- */

#define VIS_MAX_VIEWS 6

/* The L2-normalised embedding of img averaged over views (1: the picture; 2: + its
 * mirror; 3: + the picture padded with white to a square; 4: + its mirror; 6: + a centre
 * crop of 80 % and its mirror).  Each view is one CNN forward pass.  out has the CNN's
 * embed_dim floats.  0 or VIS_E_ARG.  Worker thread owning st. */
int vis_catalog_embed(const struct vis_cnn *m, struct vis_cnn_state *st,
		      const struct vis_image *img, int views, float *out);

/* One view v (0..5, the order above) of img, L2-normalised, into out (embed_dim floats):
 * what vis_catalog_embed averages; training uses the views as separate examples. */
int vis_catalog_embed_view(const struct vis_cnn *m, struct vis_cnn_state *st,
			   const struct vis_image *img, int v, float *out);

/* ---- OCR (ocr.c) ------------------------------------------------------------------------ */

/* One tesseract engine; belongs to one worker thread (tesseract engines are not shared). */
struct vis_ocr;

struct vis_ocr_result {
	char *text;        /* UTF-8, malloc'ed (vis_ocr_result_free), trimmed; "" if nothing */
	int conf;          /* tesseract mean word confidence 0..100 of the kept pass */
	int scale;         /* integer upscale applied before reading (1 = none) */
	int thresholded;   /* 1 if the Otsu/inverted fallback gave the kept text */
	int rotated;       /* 1 if the 180-degree retry gave the kept text */
	int passes;        /* engine runs spent */
};

/* Starts tesseract for langs ("eng", "eng+chi_sim", ...) from Debian's tessdata.  NULL
 * with err if the language data is missing.  One thread uses an engine at a time. */
struct vis_ocr *vis_ocr_create(const char *langs, char *err, size_t errlen);
void vis_ocr_destroy(struct vis_ocr *o);

/* Reads the text of img: small text is upscaled (integer factor, at most 4x, from the
 * median height of the inked row runs, towards 40 px lines); when the mean confidence is
 * below 70 or the picture is colourful, the Otsu-thresholded picture (dark text on a light
 * ground, so white-on-colour banners read) is tried; when still below 50 the picture turned
 * 180 degrees is tried.  The pass with the best confidence wins.  0 or VIS_E_NOMEM.
 * Worker thread that owns o. */
/* First thing in main of a program that reads pictures: runs the program again with
 * OMP_THREAD_LIMIT=1 when it is unset (tesseract's OpenMP threads only spin here; libgomp
 * reads the setting before main).  Returns when it was set already. */
void vis_ocr_prepare(char **argv);
int vis_ocr_read(struct vis_ocr *o, const struct vis_image *img, struct vis_ocr_result *res);
void vis_ocr_result_free(struct vis_ocr_result *res);
/* Later vis_ocr_read passes stop at cm_now_us() == deadline_us (0: no deadline): a pass
 * under way keeps the words read so far, later passes are skipped.  Owner thread. */
void vis_ocr_set_deadline(struct vis_ocr *o, uint64_t deadline_us);

/* ---- codes (codes.c) -------------------------------------------------------------------- */

struct vis_code {
	char type[16];     /* "QR-Code", "EAN-13", "UPC-A", "CODE-128" (zbar's names) */
	char *data;        /* bytes as printed in the code, NUL-terminated, malloc'ed */
	size_t len;
	int utf8;          /* 1 if data is valid UTF-8 */
};

struct vis_codes {
	struct vis_code *v;
	int n;
};

/* A zbar scanner for QR (binary mode: bytes kept as encoded, so UTF-8 survives), EAN-13,
 * UPC-A and Code 128.  One per worker thread.  NULL on no memory. */
struct vis_codes_ctx *vis_codes_create(void);
void vis_codes_destroy(struct vis_codes_ctx *c);
/* Finds the codes in img (grey conversion inside; a second pass on the 2x picture when the
 * first finds nothing).  out is owned by the caller: vis_codes_free.  0 or VIS_E_NOMEM. */
int vis_codes_scan(struct vis_codes_ctx *c, const struct vis_image *img, struct vis_codes *out);
void vis_codes_free(struct vis_codes *out);

/* ---- entities (entities.c) -------------------------------------------------------------- */

enum vis_entity_kind { VIS_ENT_ORDER = 1, VIS_ENT_ERROR_CODE, VIS_ENT_CODE };

struct vis_entity {
	enum vis_entity_kind kind;
	char text[64];     /* as read */
	char canon[64];    /* upper-cased, OCR-confusable characters folded (vis_entity_canon) */
};

/* Folds s into its OCR-insensitive form: ASCII letters upper-cased, separators dropped,
 * O/Q/D->0, I/L/|/!->1, S->5, Z->2, B->8, G->6, E->C (c/e confusion).  Returns the length
 * written to out (always NUL-terminated, truncated to outlen-1). */
size_t vis_entity_canon(const char *s, char *out, size_t outlen);

/* Finds order numbers (mostly digits, >= 6 characters, optionally after '#' or a letter
 * prefix), error codes (0x..., E1234, ERR_SOMETHING, ABC-1234) and other letter+digit
 * tokens in OCR text.  Writes at most max entities, returns how many were found. */
int vis_entities_find(const char *text, struct vis_entity *out, int max);

/* Index of the known token (e.g. the store's order numbers) that entity text matches after
 * folding, allowing one edit for tokens of 6+ characters; -1 if none.  *dist (may be NULL)
 * gets the edit distance of the match. */
int vis_entity_match(const char *text, const char *const *known, int n_known, int *dist);

/* ---- one picture, everything (see.c) ---------------------------------------------------- */

/* What a worker needs to look at pictures: its own OCR engine, code scanner and CNN
 * states, over models shared by all workers.  Create on the start-up thread, use on one
 * worker. */
struct vis_worker;

/* safety and embed are opened models (may be NULL: that step is skipped); they must outlive
 * the worker.  ocr_langs NULL = no OCR.  NULL with err on failure. */
struct vis_worker *vis_worker_create(const struct vis_cnn *safety, const struct vis_cnn *embed,
				     const char *ocr_langs, char *err, size_t errlen);
void vis_worker_destroy(struct vis_worker *w);
/* Views vis_see averages the embedding over (1..VIS_MAX_VIEWS, vis_catalog_embed; default
 * 1).  The picture catalogue embeds its pictures over VIS_CATALOG_VIEWS (3): a worker
 * set to 3 gets the best category (85.3 % vs 82.4 % on clothing) for 3 forward passes.
 * Returns 0 or VIS_E_ARG.  Start-up thread, before the worker runs. */
int vis_worker_set_embed_views(struct vis_worker *w, int views);

#define VIS_MAX_ENTITIES 16

struct vis_seen {
	enum vis_format format;
	const char *format_name;           /* vis_format_name(format) */
	const char *safety_label;          /* the safety model's top class ("" without one);
					      lives as long as the model */
	int w, h;                          /* decoded (oriented) size */
	struct vis_ocr_result ocr;         /* text "" when OCR is off */
	struct vis_codes codes;
	struct vis_entity entities[VIS_MAX_ENTITIES];
	int n_entities;
	float safety[16];                  /* class probabilities of the safety model */
	int n_safety;                      /* 0 when no safety model */
	int safety_top;                    /* index of the most likely class */
	int unsafe;                        /* 1: do not show unblurred, answer with a refusal */
	float *embed;                      /* L2-normalised embedding, malloc'ed; NULL if none */
	int embed_dim;
	double ms_decode, ms_ocr, ms_codes, ms_cnn;
};

/* Decodes buf (limits from opts, NULL = defaults) and runs every step the worker has:
 * OCR + entities, codes, safety classes, embedding.  unsafe = p(porn) + p(hentai) >= 0.5 or
 * p(sexy) >= 0.7 (classes looked up by name).  Returns 0, or the decode error (negative
 * vis_rc, message in err) with out left empty.  out is released with vis_seen_free. */
int vis_see(struct vis_worker *w, const uint8_t *buf, size_t len,
	    const struct vis_decode_opts *opts, struct vis_seen *out, char *err, size_t errlen);
void vis_seen_free(struct vis_seen *s);

#endif
