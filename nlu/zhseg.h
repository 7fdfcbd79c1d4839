/* nlu/zhseg.h — Chinese words for the sparse features: a lexicon (word → log-probability)
 * and jieba's segmentation rule, the path through a CJK run's word graph whose words have
 * the highest total log-probability (a character the lexicon lacks counts as a word of
 * log-probability `floor`; a longer string the lexicon lacks is never a word).
 *
 * A model's lexicon is the part of a dictionary whose words occur in its training texts
 * (words the training never saw have no weights anyway), so a model file carries its own
 * few thousand entries and prediction needs no dictionary.  The dictionary is jieba's
 * `dict.txt` ("word frequency [tag]" lines; Debian's python3-jieba, MIT/Expat), whose
 * frequencies give log p = ln(freq / Σ freq) as jieba computes them.
 *
 * Words are identified by nlu_hash(NLU_TOK_CJK_WORD, word) of their normalised UTF-8, the
 * id they get as features.  A lexicon is built on the training thread and is immutable
 * afterwards: every predicting thread reads it.  Segmenting allocates nothing.
 */
#ifndef KEFU_NLU_ZHSEG_H
#define KEFU_NLU_ZHSEG_H

#include <stddef.h>
#include <stdint.h>

#define NLU_TOK_CJK_WORD 4      /* token kind byte of a Chinese word of ≥ 2 characters */
#define NLU_ZHSEG_MAX_LEN 8     /* longest word, code points */
/* Where Debian's python3-jieba puts its dictionary. */
#define NLU_ZHSEG_DICT "/usr/lib/python3/dist-packages/jieba/dict.txt"

struct nlu_zhseg;

/* The entries of dictionary dict_path (a jieba dict.txt) that are pure CJK and occur in
 * one of texts[0..n) once normalised.  NULL with a message when the file cannot be read
 * or memory runs out; a lexicon with no entry is returned (not NULL) when no word
 * occurs (without reading the file when the texts have no CJK character). */
struct nlu_zhseg *nlu_zhseg_build(const char *dict_path, char *const *texts, size_t n,
				  char *err, size_t errlen);
/* A lexicon from stored arrays: n word hashes, their log-probabilities, the floor.
 * NULL when out of memory. */
struct nlu_zhseg *nlu_zhseg_from(const uint64_t *hash, const float *logp, uint32_t n,
				 float floor);
void nlu_zhseg_destroy(struct nlu_zhseg *z);
/* Entries; the arrays behind them in table order (empty slots skipped by the caller:
 * nlu_zhseg_entry returns 0 for them).  For saving. */
uint32_t nlu_zhseg_size(const struct nlu_zhseg *z);
uint32_t nlu_zhseg_slots(const struct nlu_zhseg *z);
int nlu_zhseg_entry(const struct nlu_zhseg *z, uint32_t slot, uint64_t *hash, float *logp);
float nlu_zhseg_floor(const struct nlu_zhseg *z);

/* Segments the CJK run s[0..len) (normalised UTF-8, CJK code points only) and calls
 * fn(arg, id, word, bytes) for each word of at least two characters, in text order. */
void nlu_zhseg_words(const struct nlu_zhseg *z, const char *s, size_t len,
		     void (*fn)(void *arg, uint64_t id, const char *w, size_t bytes),
		     void *arg);

#endif
