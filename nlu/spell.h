/* nlu/spell.h — spelling normalisation against a model's training vocabulary.
 *
 * A word of a question that the training examples never had (its stem unknown) is
 * replaced by the training word one edit away (a letter dropped, added, changed, or two
 * neighbours swapped: the optimal-string-alignment distance 1) — the most frequent one
 * when several are — so "refnud my monye" is read as "refund my money" by every half of
 * the encoder.  Only ASCII words of at least NLU_SPELL_MIN_LEN letters are corrected:
 * short words have too many neighbours one edit away; and with word vectors, not a word
 * among GloVe's NLU_SPELL_REAL_RANK most frequent (a real word the examples lack, such as
 * a place or a product, is not a misspelling of a training word).  Candidates are found through
 * their deletions (every word and every one-letter deletion of it indexed by hash, the
 * SymSpell idea) and checked exactly.
 *
 * A vocabulary is built on the training thread and is immutable afterwards: every
 * predicting thread reads it.  Looking a word up allocates nothing.
 */
#ifndef KEFU_NLU_SPELL_H
#define KEFU_NLU_SPELL_H

#include <stddef.h>
#include <stdint.h>

#define NLU_SPELL_MIN_LEN 4     /* shortest word corrected (bytes) */
#define NLU_SPELL_MAX_LEN 32    /* longest word corrected or indexed (bytes) */
#define NLU_SPELL_REAL_RANK 100000   /* GloVe's most frequent words, left as they are */

struct nlu_spell;
struct nlu_glove;

/* The vocabulary of texts[0..n): the stem ids of all their word tokens (kind
 * NLU_TOK_WORD) and the ASCII words of NLU_SPELL_MIN_LEN − 1 .. NLU_SPELL_MAX_LEN bytes
 * (normalised surface) with their counts.  NULL when out of memory or a text is not
 * valid UTF-8. */
struct nlu_spell *nlu_spell_build(char *const *texts, size_t n);
/* A vocabulary from stored arrays: n_ids stem ids; n_words NUL-terminated words packed in
 * words[0..words_len) with their counts.  NULL when out of memory or the arrays disagree. */
struct nlu_spell *nlu_spell_from(const uint64_t *ids, uint32_t n_ids, const char *words,
				 size_t words_len, const int32_t *counts, uint32_t n_words);
void nlu_spell_destroy(struct nlu_spell *s);
/* Words g ranks among its NLU_SPELL_REAL_RANK most frequent are left as they are from
 * now on (g NULL: none; not owned, must outlive s).  Before any thread reads s. */
void nlu_spell_set_glove(struct nlu_spell *s, const struct nlu_glove *g);

/* The arrays nlu_spell_from takes, for saving (owned by s). */
const uint64_t *nlu_spell_ids(const struct nlu_spell *s, uint32_t *n);
const char *nlu_spell_words(const struct nlu_spell *s, size_t *len);
const int32_t *nlu_spell_counts(const struct nlu_spell *s, uint32_t *n);

/* 1 if stem id (a word token's id) occurred in the training texts. */
int nlu_spell_known(const struct nlu_spell *s, uint64_t id);

/* The training word one edit away from w[0..len) (normalised; its stem unknown), the
 * most frequent of them, NUL-terminated, with its length in *out_len; NULL when there is
 * none, w is not an ASCII word of NLU_SPELL_MIN_LEN..NLU_SPELL_MAX_LEN bytes, or it is a
 * frequent word of the GloVe vocabulary given. */
const char *nlu_spell_fix(const struct nlu_spell *s, const char *w, size_t len,
			  size_t *out_len);

#endif
