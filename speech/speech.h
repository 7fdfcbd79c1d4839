/* speech/speech.h — kefu's audio path: clip bytes in, words out.
 *
 * The pipeline a worker runs for one voice message:
 *
 *   asr_audio_decode()   bytes in memory (WAV/FLAC/OGG Vorbis/OGG Opus/MP3, via libsndfile
 *                        virtual I/O) -> mono -> 16 kHz int16, limits checked from the
 *                        header before the body is decoded
 *   asr_vad_*()          voice-activity detection (sub-band log energies, per-band Gaussian
 *                        noise/speech models that adapt, hangover): trims silence, splits on
 *                        pauses
 *   asr_decoder_*()      pocketsphinx 5prealpha, one decoder per worker, reused across clips;
 *                        word confidences from lattice posteriors
 *
 * and what `kefu train` runs once per store:
 *
 *   asr_lm_*()           a trigram interpolated Kneser-Ney ARPA model from the store's texts
 *   asr_lex_*()          pronunciations for words cmudict lacks (flite letter-to-sound rules)
 *   asr_domain_build()   both of the above into a folder, in one call (kefu train, kefu
 *                        eval-speech and kefud all build their domain model with it)
 *
 * Threads: every object here is used by one thread at a time; nothing is global except
 * flite's lexicon (read-only once initialised; its one-time set-up, shared by asr_lex_create
 * and tts_create, is serialised inside speech/ by a process-wide mutex).  Errors are int codes (0 ok, negative
 * enum asr_err) with a stable string name (asr_err_name) that the protocol sends.
 */
#ifndef KEFU_SPEECH_H
#define KEFU_SPEECH_H

#include <stddef.h>
#include <stdint.h>

#define ASR_RATE 16000          /* every sample past decoding is 16 kHz mono int16 */

/* Stable error codes; their names go on the wire ("error":"audio_too_long"). */
enum asr_err {
	ASR_OK = 0,
	ASR_ERR_UNSUPPORTED = -1,   /* "unsupported_audio": WebM, M4A, not audio at all */
	ASR_ERR_TOO_LONG = -2,      /* "audio_too_long": longer than the duration limit */
	ASR_ERR_TOO_LARGE = -3,     /* "audio_too_large": more bytes than the size limit */
	ASR_ERR_CORRUPT = -4,       /* "corrupt_audio": a known format that fails to decode */
	ASR_ERR_EMPTY = -5,         /* "empty_audio": no bytes or no samples */
	ASR_ERR_NO_SPEECH = -6,     /* "no_speech": decodes, but the VAD finds no voice */
	ASR_ERR_NOMEM = -7,         /* "out_of_memory" */
	ASR_ERR_INTERNAL = -8,      /* "asr_failed": the recogniser failed */
};

/* The code's wire name ("unsupported_audio", ...); "ok" for 0, "unknown" otherwise. */
const char *asr_err_name(int code);

/* ---- decode.c: clip bytes -> 16 kHz mono ---------------------------------------- */

struct asr_limits {
	size_t max_bytes;           /* 0 = no limit */
	double max_seconds;         /* 0 = no limit */
};

struct asr_audio {
	int16_t *pcm;               /* 16 kHz mono samples (malloc'd, owned by the struct) */
	size_t n;                   /* number of samples */
	int src_rate;               /* the clip's own sample rate */
	int src_channels;
	int src_format;             /* libsndfile SF_FORMAT_* major|subtype of the clip */
	double seconds;             /* n / ASR_RATE */
};

/* Decodes data[0..len) (not copied, not kept).  Returns 0 and fills *out (free with
 * asr_audio_free), or a negative enum asr_err; *out is then empty.  A clip whose header
 * declares more than lim->max_seconds is refused before its body is decoded; a clip whose
 * header lies is stopped as soon as the decoded length passes the limit.  Any thread. */
int asr_audio_decode(const void *data, size_t len, const struct asr_limits *lim,
		     struct asr_audio *out);
void asr_audio_free(struct asr_audio *a);

/* Resamples mono float samples in[0..n) at rate `from` to `to` (libsamplerate, sinc).
 * Returns a malloc'd array (caller frees) and its length in *n_out, or NULL. */
float *asr_resample(const float *in, size_t n, int from, int to, size_t *n_out);

/* Encodes interleaved int16 frames into a clip in memory with libsndfile (format = SF_FORMAT_*
 * major|subtype, e.g. SF_FORMAT_WAV|SF_FORMAT_PCM_16).  Used for TTS replies and by the tests
 * and benches to produce clips of every format.  Returns 0 and a malloc'd buffer in *buf, its size in *len
 * (caller frees), or a negative enum asr_err. */
int asr_audio_encode(const int16_t *frames, size_t n_frames, int rate, int channels,
		     int format, void **buf, size_t *len);

/* ---- vad.c: voice-activity detection ------------------------------------------- */

#define ASR_VAD_FRAME 160       /* 10 ms at 16 kHz */

struct asr_vad_opts {
	int hangover_ms;            /* keep "speech" this long after the last voiced frame (200) */
	int min_speech_ms;          /* drop voiced runs shorter than this (80) */
	int pause_ms;               /* a silence this long splits utterances (600) */
	int pad_ms;                 /* silence kept around each segment (150) */
	float threshold;            /* decision threshold on the weighted log-likelihood ratio */
};

struct asr_segment {
	size_t start, end;          /* sample offsets [start, end) into the clip */
};

typedef struct asr_vad asr_vad;

/* Fills o with the defaults. */
void asr_vad_defaults(struct asr_vad_opts *o);
/* A streaming detector (one per stream: per clip or per microphone); NULL on OOM.
 * o may be NULL for the defaults. */
asr_vad *asr_vad_create(const struct asr_vad_opts *o);
void asr_vad_destroy(asr_vad *v);
/* Forgets the adapted models and state (start of a new, unrelated stream). */
void asr_vad_reset(asr_vad *v);
/* Classifies one 10 ms frame (ASR_VAD_FRAME samples): returns 1 voiced, 0 not (before
 * hangover; the raw per-frame decision). */
int asr_vad_frame(asr_vad *v, const int16_t *frame);
/* Runs the detector over a whole clip and returns the speech segments after hangover, short
 * run removal, pause splitting and padding: a malloc'd array (caller frees) with the count in
 * *n_seg (0 and NULL when there is no speech; then returns NULL and *n_seg = 0).  Resets v
 * first.  If flags is non-NULL it receives one raw decision per frame (n / ASR_VAD_FRAME). */
struct asr_segment *asr_vad_segments(asr_vad *v, const int16_t *pcm, size_t n,
				     size_t *n_seg, uint8_t *flags);

/* The smoothing asr_vad_segments applies, on its own: raw per-frame decisions raw[0..nf) ->
 * segments in FRAME units (drop short runs, hangover, merge across short pauses, pad).
 * malloc'd (caller frees), NULL with *n_seg = 0 when there is none. */
struct asr_segment *asr_vad_smooth(const struct asr_vad_opts *o, const uint8_t *raw,
				   size_t nf, size_t *n_seg);

/* ---- lm.c: domain language model ----------------------------------------------- */

/* Normalises free text for the language model and for WER: lower case, numbers spelled out
 * ("2" -> "two", "24" -> "twenty four"), '&' -> "and", other punctuation dropped except
 * apostrophes inside words.  Writes space-separated words to out (always NUL-terminated);
 * returns the number of words. */
int asr_text_normalize(const char *in, char *out, size_t outlen);

typedef struct asr_lm asr_lm;

/* An n-gram model (order 1..3) being counted; NULL on OOM. */
asr_lm *asr_lm_create(int order);
void asr_lm_destroy(asr_lm *lm);
/* Adds one sentence (normalised here); 0 or ASR_ERR_NOMEM. */
int asr_lm_add(asr_lm *lm, const char *text);
/* Estimates the interpolated Kneser-Ney model from the counts (call once, after the adds).
 * 0, or negative if there is nothing to estimate. */
int asr_lm_estimate(asr_lm *lm);
/* log10 P(w | h) of the estimated model with ARPA back-off semantics; hist[0] is the
 * word just before w (NULL-terminated array, may be empty); "<s>" is allowed in the history,
 * unknown words map to "<unk>". */
double asr_lm_logprob(const asr_lm *lm, const char *w, const char *const *hist);
/* Writes the model as an ARPA file; 0 or -1 (errno set). */
int asr_lm_write_arpa(const asr_lm *lm, const char *path);
/* 1 if w (normalised) is in the vocabulary, else 0. */
int asr_lm_known(const asr_lm *lm, const char *w);
/* Vocabulary (without <s>, </s>, <unk>): count and i-th word (owned by lm). */
size_t asr_lm_vocab_size(const asr_lm *lm);
const char *asr_lm_vocab_word(const asr_lm *lm, size_t i);

/* ---- lex.c: pronunciations for words missing from the dictionary -------------- */

typedef struct asr_lex asr_lex;

/* Loads the pocketsphinx dictionary at dict_path (word list only) and flite's CMU lexicon
 * with its letter-to-sound rules.  NULL on failure.  One per trainer; not thread-safe. */
asr_lex *asr_lex_create(const char *dict_path);
void asr_lex_destroy(asr_lex *x);
/* 1 if the dictionary knows word (lower case), else 0. */
int asr_lex_known(const asr_lex *x, const char *word);
/* Writes word's pronunciation in the pocketsphinx phone set ("HH AH L OW") from flite's
 * lexicon or letter-to-sound rules into out.  0 ok, -1 if none could be made. */
int asr_lex_pronounce(asr_lex *x, const char *word, char *out, size_t outlen);
/* Writes a pocketsphinx dictionary file with a line for each vocabulary word of lm that the
 * dictionary lacks.  Returns the number of words written, or -1 on I/O error. */
int asr_lex_write_missing(asr_lex *x, const asr_lm *lm, const char *path);

/* ---- domain.c: the store's domain model files, in one call ---------------------- */

struct asr_domain {
	char lm_path[512];          /* DIR/domain.arpa (asr_model_paths.domain_lm) */
	char dict_path[512];        /* DIR/extra.dict (asr_model_paths.extra_dict) */
	char entity_path[512];      /* DIR/entities.arpa (asr_model_paths.entity_lm) */
	size_t n_texts;             /* texts that gave the model at least one word */
	size_t n_words;             /* vocabulary of the model */
	int n_missing;              /* words cmudict lacks, pronounced by letter-to-sound */
};

/* Builds a trigram Kneser-Ney model of texts[0..n) (NULL entries skipped) and the
 * letter-to-sound pronunciations of its words that Debian's cmudict lacks, and writes them
 * as DIR/domain.arpa and DIR/extra.dict, and the entity model (asr_entity_lm_write) as
 * DIR/entities.arpa (DIR is created when missing; each file is written
 * under a temporary name and renamed into place).  Returns 0 with *out filled, or a negative
 * enum asr_err with a message in err and *out zeroed: ASR_ERR_EMPTY when no text has a word,
 * ASR_ERR_NOMEM, ASR_ERR_INTERNAL (a path too long, a file that cannot be written, no
 * dictionary).  Calling thread; safe beside other threads' tts_voice and asr_lex use. */
int asr_domain_build(const char *const *texts, size_t n, const char *dir,
		     struct asr_domain *out, char *err, size_t errlen);

/* ---- entity_lm.c: a generated model of spoken digits, letters, numbers, dates ---- */

/* Writes the entity language model (trigram ARPA of generated digit strings, spelled codes
 * and words of the pronunciation dictionary dict (NULL: random letters only), numbers,
 * dates, amounts; the same bytes for the same dictionary) to path; its vocabulary size in
 * *n_words when not NULL.  0, ASR_ERR_NOMEM or ASR_ERR_INTERNAL (cannot write). */
int asr_entity_lm_write(const char *path, const char *dict, size_t *n_words);

/* ---- entity_text.c: what a customer reads out, as a value -------------------------- */

/* The entity kinds an answer can expect (answers.expects) and the grammar decodes. */
enum asr_entity_kind {
	ASR_ENT_NONE = 0,
	ASR_ENT_NUMBER,             /* digits: "4 4 3 6 3 1 2" -> "4436312" */
	ASR_ENT_CODE,               /* letters (a..z, NATO alpha..zulu) and digits -> "A7731902" */
	ASR_ENT_DATE,               /* month + day [+ year] -> "1928-03-03" or "03-03" */
	ASR_ENT_AMOUNT,             /* number [currency] [cents] -> "12.50" or "12.50 USD" */
};

/* "none", "number", "code", "date", "amount" (stable: stored and sent on the wire). */
const char *asr_entity_kind_name(int kind);
/* The kind named s, or -1. */
int asr_entity_kind_parse(const char *s);
/* Reads spoken words as the value of kind into out (NUL-terminated): "alpha seven seven
 * three one nine oh two" -> "A7731902" (code), "seventy nine fifty nine" -> "7959",
 * "march third nineteen twenty eight" -> "1928-03-03", "twelve dollars fifty" -> "12.50 USD".
 * Words that are part of no value are skipped.  Returns the number of words used (0: none),
 * or -1 (out too small, kind none).  Any thread. */
int asr_entity_normalize(const char *words, int kind, char *out, size_t cap);
/* 1 when the lower-case word w can be part of a value (a letter, a NATO word, a number
 * word, an ordinal, hundred/thousand, double/triple), else 0. */
int asr_entity_token(const char *w);

/* ---- tts.c: speech synthesis (flite) ------------------------------------------ */

typedef struct tts_voice tts_voice;

/* A flite voice: "slt", "rms", "awb" (16 kHz) or "kal" (8 kHz diphones).  NULL if unknown.
 * One per thread that speaks. */
tts_voice *tts_create(const char *voice);
void tts_destroy(tts_voice *t);
/* Speaks text: 0 and a malloc'd mono int16 buffer in *pcm (caller frees), its length in *n
 * and its sample rate in *rate; or a negative enum asr_err. */
int tts_synth(tts_voice *t, const char *text, int16_t **pcm, size_t *n, int *rate);

/* ---- asr.c: recognition ------------------------------------------------------- */

/* The entity model's default share of the mix (docs/speech.md, an4 dev speakers: WER 45.6 %
 * -> 25.2 %, digits/letters exact 28.6 % -> 44.7 % against the mix without it; 0.3: 24.9 %). */
#define ASR_ENTITY_WEIGHT 0.2f

struct asr_model_paths {
	const char *hmm;            /* acoustic model folder (NULL = Debian's en-us) */
	const char *dict;           /* pronunciation dictionary (NULL = Debian's cmudict-en-us) */
	const char *generic_lm;     /* generic LM (NULL = Debian's en-us.lm.bin; "" = none) */
	const char *domain_lm;      /* domain ARPA file from asr_lm_write_arpa, or NULL */
	const char *extra_dict;     /* extra pronunciations (asr_lex_write_missing), or NULL */
	float domain_weight;        /* interpolation weight of the domain LM when both (0..1) */
	const char *entity_lm;      /* entity ARPA file (asr_entity_lm_write), or NULL */
	float entity_weight;        /* its weight in the mix (0..1; 0 = ASR_ENTITY_WEIGHT); the
				     * others share the rest as domain_weight says */
	int plain;                  /* 1: pocketsphinx's own search settings (the reference) */
	const char *mllr;           /* acoustic transform (speech/adapt/mllr.sh; pocketsphinx
				     * -mllr), or NULL; not with plain */
	const char *ps_opts;        /* extra pocketsphinx options "-name value ...", or NULL */
	int fast;                   /* 1: the faster search (at most 2000 active HMMs, 2 Gaussians
				     * per mixture): conf asr_fast, docs/speech.md "Third round" */
	int generic_words;          /* >0: of the generic LM's words, only its generic_words most
				     * probable ones are searched (the LM itself is whole) when a
				     * domain or entity LM is in the mix, not with plain; 0: all.
				     * conf asr_generic_words, docs/speech.md "Fifth round" */
	int spell_lm;               /* the spelling pass's language model: enum asr_spell_lm */
	float spell_lw, spell_wip;  /* its own search's language weight (0: ASR_SPELL_LW) and
				     * word insertion penalty (0: the first pass's) */
	int spell_maxhmmpf;         /* its own search's active HMM limit (0: the first pass's) */
	int spell_flat;             /* < 0: its own search without the flat-lexicon second pass */
	const char *spell_hmm;      /* the spelling search's own acoustic model folder (a second
				     * decoder: asr.c add_spell_decoder; with ASR_SPELL_LM_ENTITY
				     * only), or NULL: the first pass's */
	int spell_pl_window;        /* that second decoder's phone-loop lookahead in frames (0:
				     * ASR_SPELL_PL_WINDOW; < 0: none) */
};

/* What the spelling pass (grammar.c) searches a value-like segment with again
 * (docs/speech.md "Seventh round"). */
/* The language weight of the spelling pass's own search (the first pass's: pocketsphinx's
 * 6.5), chosen on the cross-validated an4 training subset (docs/speech.md "Seventh round"). */
#define ASR_SPELL_LW 5.0f
/* The phone-loop lookahead of the spelling pass's own decoder (asr_model_paths.spell_hmm), in
 * frames: none.  The first pass's 10 frames prune its 10,000-word tree; over the entity
 * model's 135 words the loop scored every context-independent phone each frame for nothing:
 * on the 4 cross-validated an4 training folds every clip read the same without it, 4 % less
 * CPU (docs/speech.md "Fourteenth round"; eval-speech --spell-pl-window 10 is the old). */
#define ASR_SPELL_PL_WINDOW 0

enum asr_spell_lm {
	ASR_SPELL_LM_ENTITY = 0,    /* a second search over the entity model alone (kefud's) */
	ASR_SPELL_LM_SMALL = 1,     /* a second search over the entity model at ASR_SPELL_WEIGHT
				     * and the store's model, no generic words */
	ASR_SPELL_LM_MIX = 2,       /* the first pass's search, the entity model's share of the
				     * mix raised to ASR_SPELL_WEIGHT (the sixth round's) */
};

/* The acoustic transform's name in kefu's models folder (speech/adapt/mllr.sh makes one from
 * transcribed clips; no set-up step installs it: from the an4 training speakers it cost
 * flite's voices WER, docs/speech.md); kefud, kefu eval-speech and the bench use it when the
 * file is there. */
#define ASR_MLLR_FILE "en-us-an4.mllr"

/* models/ASR_MLLR_FILE into out when that file can be read (out, for asr_model_paths.mllr),
 * else NULL. */
const char *asr_mllr_find(const char *models, char *out, size_t cap);

/* A MAP-adapted copy of the en-us acoustic model in kefu's models folder
 * (speech/adapt/map.sh OUTDIR MANIFEST makes one from transcribed clips, an4_pool.sh the
 * eighth round's; no set-up step installs one: docs/speech.md "Fourth round", "Eighth
 * round").  kefud, kefu eval-speech and the bench load it as asr_model_paths.hmm when the
 * folder holds its means. */
#define ASR_HMM_DIR "en-us-an4"

/* models/ASR_HMM_DIR into out when that folder's means file can be read (out, for
 * asr_model_paths.hmm), else NULL. */
const char *asr_hmm_find(const char *models, char *out, size_t cap);

/* The spelling search's own acoustic model in kefu's models folder (asr_model_paths.spell_hmm):
 * set-up (scripts/post-setup.d/50-an4-spell-model.sh) assembles it from Debian's model and the
 * means shipped in third_party/en-us-an4-spell (Debian's MAP-adapted to the an4 training
 * speakers' 709 clips; speech/adapt/an4_spell.sh remakes them, map.sh OUTDIR MANIFEST makes
 * one from other transcribed clips); the spelled segments are read with it, the rest of
 * every clip with the first pass's model.
 * kefud (conf asr_spell_model), kefu eval-speech and the bench load it when the folder holds
 * its means (docs/speech.md "Twelfth round"). */
#define ASR_SPELL_HMM_DIR "en-us-an4-spell"

/* models/ASR_SPELL_HMM_DIR into out when that folder's means file can be read (out, for
 * asr_model_paths.spell_hmm), else NULL. */
const char *asr_spell_hmm_find(const char *models, char *out, size_t cap);

struct asr_word {
	char *word;                 /* without pronunciation-variant suffix */
	float conf;                 /* posterior probability 0..1 */
	int start_ms, end_ms;
};

struct asr_result {
	char *text;                 /* best hypothesis, words separated by spaces ("" if none) */
	float conf;                 /* mean word posterior (0 if no words) */
	struct asr_word *words;
	size_t n_words;
	double audio_seconds, cpu_seconds;
	double decode_seconds, vad_seconds;   /* of cpu_seconds (asr_recognize_clip): audio
					       * decoding + resampling, VAD; the rest is search */
};

typedef struct asr_decoder asr_decoder;

/* Loads a decoder (acoustic model, dictionary, LMs).  One per worker thread: a decoder is
 * not thread-safe.  NULL on failure with a message in err. */
asr_decoder *asr_decoder_create(const struct asr_model_paths *p, char *err, size_t errlen);
void asr_decoder_destroy(asr_decoder *d);
/* 1 when word is in the decoder's dictionary: cmudict's entries its language models know,
 * the spoken-entity words and extra_dict's words (asr.c), 0 otherwise. */
int asr_decoder_knows(asr_decoder *d, const char *word);
/* Recognises one utterance of 16 kHz mono samples.  0 and *r filled (free with
 * asr_result_free), or ASR_ERR_INTERNAL. */
int asr_decoder_run(asr_decoder *d, const int16_t *pcm, size_t n, struct asr_result *r);
void asr_result_free(struct asr_result *r);

/* A session's cepstral mean (cmn.c): a caller's clips normalised by the mean of their
 * speech so far, pooled with the segment's own frames, instead of each segment's own mean
 * (pocketsphinx's batch CMN).  prior_frames caps the earlier speech's weight (frames of
 * 10 ms; < 0: no cap; 0: batch CMN).  The caller keeps one per session (zeroed by
 * asr_cmn_init) and hands it to the decoder around that session's clips. */
#define ASR_CMN_DIM 13
struct asr_cmn {
	double sum[ASR_CMN_DIM], frames;          /* the session's earlier segments */
	double last_sum[ASR_CMN_DIM], last_frames; /* the last segment decoded */
	unsigned long long last_fp;               /* its samples' fingerprint */
	double prior_frames;
};
void asr_cmn_init(struct asr_cmn *c, double prior_frames);
/* The session whose mean normalises the decoder's next segments (and learns from them), or
 * NULL: each segment by its own mean (the default).  The decoder's thread. */
void asr_decoder_set_cmn(asr_decoder *d, struct asr_cmn *c);

/* The whole audio path: decode -> VAD -> recognise each segment, joined into one result.
 * Returns 0, ASR_ERR_NO_SPEECH, or the decode error. */
int asr_recognize_clip(asr_decoder *d, asr_vad *v, const void *data, size_t len,
		       const struct asr_limits *lim, struct asr_result *r);

/* ---- letters.c, letters_model.c: a classifier over the spelling pass's letter segments -- */

/* The words it tells apart: "a".."z", then "zero".."nine", "oh" (ASR_LETTERS_K classes). */
#define ASR_LETTERS_K 37
#define ASR_LETTERS_NCEP 13         /* cepstra per frame (pocketsphinx's front end) */
#define ASR_LETTERS_CTX 10          /* frames either side of a word a feature may read */
#define ASR_LETTERS_FILE "letters.model"   /* speech/data/, embedded at build time */

/* The class of the lower-case word w, or -1; the word of class k (NULL when out of range). */
int asr_letters_class(const char *w);
const char *asr_letters_word(int k);

/* What a word's feature vector holds (asr_letters_feature). */
struct asr_letters_shape {
	int parts;                  /* equal parts of the word, each its mean cepstrum (1..8) */
	int ctx;                    /* frames before and after the word, their mean (0..CTX) */
	int onset;                  /* 2-frame blocks from 2 frames before the word's start,
				     * each its mean (0..8): where b, d, e, p, t differ */
};

/* A word's features from its segment's cepstra cep[T][ASR_LETTERS_NCEP] (normalised by the
 * segment's mean) and its frames [sf, ef]: the mean cepstrum of each of s->parts equal
 * parts of the word, of the s->ctx frames before it and after it (the word's first/last
 * frame when none), of s->onset 2-frame blocks at its start, the deviation of each
 * cepstrum over the word, and the log of its length in frames: out receives
 * asr_letters_dim(s) floats.  Any thread. */
int asr_letters_dim(const struct asr_letters_shape *s);
void asr_letters_feature(const float *cep, int T, int sf, int ef,
			 const struct asr_letters_shape *s, float *out);

typedef struct asr_letters asr_letters;

struct asr_letters_train_opts {
	struct asr_letters_shape shape;   /* the features (asr_letters_feature) */
	int hidden;                 /* rectified hidden units; 0: logistic regression */
	int epochs;                 /* passes over the rows (minibatches of 32, Adam) */
	float lr, l2;               /* Adam's step and weight decay */
	unsigned long long seed;    /* initial weights and shuffles (non-zero) */
	float lambda, tau;          /* written into the model: asr_letters_relabel's rule */
};

/* Trains on x[n][asr_letters_dim(&o->shape)] (raw features) with classes y[n]: features
 * standardised by their mean and deviation over the rows, softmax cross-entropy.  NULL
 * with a message in err.  The calling thread; the same model for the same inputs. */
asr_letters *asr_letters_train(const float *x, const int *y, size_t n,
			       const struct asr_letters_train_opts *o, char *err, size_t errlen);
void asr_letters_free(asr_letters *m);
/* The posterior of each class, q[ASR_LETTERS_K], of raw features x. */
void asr_letters_predict(const asr_letters *m, const float *x, float *q);
/* The model's feature settings and relabelling rule. */
void asr_letters_settings(const asr_letters *m, struct asr_letters_shape *shape,
			  float *lambda, float *tau);
/* Writes the model as text ("kefu-letters 1" ...); 0 or -1 (errno set). */
int asr_letters_write(const asr_letters *m, const char *path, const char *provenance);
/* A model from text[0..len) (asr_letters_write's format; every count and number checked),
 * or NULL with a message in err.  Any thread. */
asr_letters *asr_letters_parse(const char *text, size_t len, char *err, size_t errlen);
asr_letters *asr_letters_load(const char *path, char *err, size_t errlen);
/* The model embedded at build time (speech/data/ASR_LETTERS_FILE), parsed once per process;
 * NULL when the build has none or it does not parse.  Any thread. */
const asr_letters *asr_letters_builtin(void);

/* What to do with a decoded letter or digit whose decoder posterior is conf and whose
 * classifier posterior is q: the class whose λ·log q + (1−λ)·log d is highest, d being
 * conf for the decoded class w and (1 − conf)/(K − 1) for each other, when its q is at
 * least tau; otherwise w.  Returns the class kept. */
int asr_letters_relabel(const float *q, int w, float conf, float lambda, float tau);
/* q[k] = 0 for every class k that does not sound like class w (the E-set b c d e g p t v z;
 * m n; a h j k eight; f s x; i y five; q u w two; l r; o oh zero four; the other digits
 * alone), so asr_letters_relabel can only swap a word for one the search could have heard
 * for it (on the training speakers' cross-validation: as many errors fixed, a third as many
 * made, docs/speech.md "Tenth round").  Any thread. */
void asr_letters_alike(float *q, int w);

/* A letter or digit word of a value-like segment, as the letters step saw it (for
 * eval-speech's --letters-dump): its words index in the segment's reading, its decoder
 * posterior, and the cepstra of frames [w0, w0 + nw) of its segment, where the word is
 * frames [sf, ef] of that window. */
typedef void (*asr_letters_seen_fn)(void *ctx, const char *word, float conf, const float *cep,
				    int nw, int sf, int ef);

/* ---- grammar.c: a grammar's reading beside the language model's -------------------- */

enum asr_grammar_mode {
	ASR_GRAMMAR_NONE = 0,       /* the language model only (the entity read from its words) */
	ASR_GRAMMAR_AUTO = 1,       /* a grammar pass when expected or when the words look like one */
	ASR_GRAMMAR_ASKED = 2,      /* a grammar pass only when expected (kefud: the words alone
				     * cost WER and gained no exact string, docs/speech.md) */
};

/* The entity model's share of the mix in the spelling pass (grammar.c: a segment whose
 * words look like a value is searched again with it; docs/speech.md "Sixth round"). */
#define ASR_SPELL_WEIGHT 0.97f

struct asr_entity_opts {
	int expect;                 /* enum asr_entity_kind the answer asked for, or ASR_ENT_NONE */
	int mode;                   /* enum asr_grammar_mode */
	float spell;                /* the spelling pass's entity share (0 = ASR_SPELL_WEIGHT;
				     * < 0: no spelling pass; with the entity model alone it
				     * only says whether); not in ASR_GRAMMAR_NONE */
	int speller;                /* < 0: spelled runs are not corrected to dictionary words
				     * (speller.c); not in ASR_GRAMMAR_NONE */
	int spell_span;             /* > 0: the spelling pass searches only the samples between
				     * the first pass's words at the segment's ends that the
				     * entity model cannot say, not the whole segment again
				     * (measured, not kefud's: docs/speech.md "Seventh round") */
	const asr_letters *letters; /* the letter classifier after the spelling pass (letters.c:
				     * relabels where it is confident), or NULL: the embedded one
				     * (asr_letters_builtin) unless letters_off */
	int letters_off;            /* 1: no letter classifier (eval-speech --letters off) */
	float letters_lambda, letters_tau;  /* > 0: instead of the model's rule */
	asr_letters_seen_fn letters_seen;   /* called with every letter/digit word the step
					     * sees (eval-speech --letters-dump), or NULL */
	void *letters_ctx;
};

struct asr_entity {
	int kind;                   /* enum asr_entity_kind of value; ASR_ENT_NONE: no entity */
	char value[96];             /* asr_entity_normalize of the words kept ("A7731902") */
	char spoken[256];           /* the words kept, as heard */
	int tried;                  /* speech segments decoded with a grammar */
	int from_grammar;           /* 1 when a grammar's reading was kept */
};

/* asr_recognize_clip; a segment whose words look like a value (two entity words making
 * half of them) is searched again by the decoder's spelling search (asr_model_paths.spell_lm:
 * the entity model alone, or the mix with the entity model's share at o->spell; the
 * spelling pass; not in ASR_GRAMMAR_NONE, nor without an entity model in the mix), and
 * that reading replaces the first; then for segments that call for it (o->expect set in ASR_GRAMMAR_AUTO
 * or _ASKED, or in ASR_GRAMMAR_AUTO at least two entity words making half the words) a second decode of the
 * same samples with a JSGF grammar of the kind (expected, else a month -> date, a currency
 * -> amount, else code) that also holds the language model's reading, so one search keeps
 * the better-scored reading in r.  *e receives the entity
 * the kept words hold (kind ASR_ENT_NONE when none).  Returns as asr_recognize_clip.  The
 * decoder's thread. */
int asr_recognize_entity(asr_decoder *d, asr_vad *v, const void *data, size_t len,
			 const struct asr_limits *lim, const struct asr_entity_opts *o,
			 struct asr_result *r, struct asr_entity *e);

/* Word error rate counts: edit distance between normalised word sequences.  Returns the
 * number of errors (substitutions + deletions + insertions) and the reference length in
 * *n_ref. */
int asr_wer_count(const char *ref, const char *hyp, int *n_ref);
/* Digit/letter exactness: the values asr_entity_normalize (code) reads from ref and hyp.
 * -1 when ref holds no digit, letter or number word (the clip does not count), 1 when
 * hyp's value is the same string, else 0. */
int asr_entity_exact(const char *ref, const char *hyp);

#endif
