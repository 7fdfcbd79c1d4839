/* nlu/glove.h — pretrained GloVe word vectors (100-d, English) in kefu's .kfv file,
 * mmapped read-only and shared by every thread (see tools/glove for the converter and
 * nlu/model.h for the container layout).  Lookups and sentence vectors are pure reads:
 * any thread, no allocation.
 */
#ifndef KEFU_NLU_GLOVE_H
#define KEFU_NLU_GLOVE_H

#include <stddef.h>
#include <stdint.h>

#define NLU_GLOVE_DIM 100
#define NLU_GLOVE_VERSION 1

struct nlu_glove;

/* Where the GloVe file is: <models>/glove-100d.kfv, or in kefu's own data folder
 * (common/paths.h) when models is NULL or "". */
void nlu_glove_path(const char *models, char *out, size_t outlen);

/* Maps path.  Returns NULL with a message (missing file, wrong magic/version, truncated,
 * checksum) in err. */
struct nlu_glove *nlu_glove_open(const char *path, char *err, size_t errlen);
void nlu_glove_close(struct nlu_glove *g);
size_t nlu_glove_size(const struct nlu_glove *g);
/* Frequency rank of the lower-case word w[0..len), or -1 when unknown. */
int32_t nlu_glove_find(const struct nlu_glove *g, const char *w, size_t len);
/* The word of rank r (NUL-terminated, in the mapped file), or NULL out of range. */
const char *nlu_glove_word(const struct nlu_glove *g, int32_t r);
/* Adds weight × the vector of rank r to acc[NLU_GLOVE_DIM]. */
void nlu_glove_add(const struct nlu_glove *g, int32_t r, float weight, float *acc);
/* SIF weight a / (a + p(w)) of rank r, p estimated from the rank by Zipf's law. */
float nlu_glove_sif(const struct nlu_glove *g, int32_t r);
/* The hash of the lookup table (FNV-1a 64 of the bytes).  Pure. */
uint64_t nlu_glove_hash(const char *w, size_t len);

#endif
