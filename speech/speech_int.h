/* speech/speech_int.h — helpers shared inside speech/ (not part of the contract).
 *
 * sp_strtab: an interning hash table of NUL-terminated strings -> dense ids 0, 1, 2, ...
 * (open addressing, FNV-1a).  Used for the LM vocabulary (lm.c) and the dictionary's word
 * list (lex.c).  One thread at a time.
 *
 * sp_flite_lock/unlock: a process-wide mutex around flite's one-time global set-up
 * (cmu_lex_init, voice registration), which is not thread-safe: asr_lex_create (a trainer, or
 * kefud's language-model builder) and tts_create (a worker's spoken reply) may run at
 * once.  Any thread.
 */
#ifndef KEFU_SPEECH_INT_H
#define KEFU_SPEECH_INT_H

#include <stddef.h>
#include <stdint.h>

struct asr_decoder;
struct asr_result;

/* Debian's pronunciation dictionary (pocketsphinx-en-us), asr_decoder_create's default:
 * words it lacks get letter-to-sound pronunciations (domain.c). */
#define ASR_MODEL_DIR "/usr/share/pocketsphinx/model/en-us"
#define ASR_DEFAULT_DICT ASR_MODEL_DIR "/cmudict-en-us.dict"

void sp_flite_lock(void);

/* asr.c, for grammar.c: the decoder's pocketsphinx handle (the caller may add and switch
 * searches, and must switch back to the one it found); one utterance of pcm decoded with
 * the search in use, its words appended to r (times offset by off_ms); r's text and
 * confidence from its words.  0 or a negative enum asr_err.  The decoder's thread. */
struct ps_decoder_s *sp_decoder_ps(struct asr_decoder *d);
/* The name asr.c gives its language-model search (ps_set_lm(ps, "kefu", ...)); grammar.c
 * switches back to it by name (ps_get_search leaks an iterator in 5prealpha). */
#define SP_LM_SEARCH "kefu"
int sp_decode_segment(struct asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		      struct asr_result *r);
/* One segment's cepstra through the decoder's front end, computed once and read by the
 * first pass, the spelling pass and the letter classifier (grammar.c) instead of three
 * times: rows NULL when the decoder normalises by a session's mean (cmn.c computes its own)
 * or the front end failed (then each reader works from the samples as before). */
struct sp_seg_cep {
	float **rows;               /* n_frames x n_cep, sp_cepstra's; free with sp_cepstra_free */
	int n_frames, n_cep;
};
void sp_segment_cepstra(struct asr_decoder *d, const int16_t *pcm, size_t n,
			struct sp_seg_cep *c);
/* As sp_decode_segment, the search reading c's cepstra when c holds pcm[0..n)'s (a copy:
 * pocketsphinx normalises what it is given in place) — the same search as the samples'
 * (ps_process_raw's full utterance computes these cepstra the same way); c NULL or empty:
 * sp_decode_segment. */
int sp_decode_cep(struct asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		  const struct sp_seg_cep *c, struct asr_result *r);
int sp_result_finish(struct asr_result *r);
/* The spelling pass's search for the searches that follow, with the entity model's share
 * at we (0 < we < 1): the decoder's own search over the mix with that share (the generic
 * and store models share the rest as before; ASR_SPELL_LM_MIX), or the search
 * SP_SPELL_SEARCH over the entity model [+ the store's at 1 - we] (asr.c's add_spell_search).
 * -1 when the mix holds no entity model.  sp_spell_end puts back the first pass's search. */
#define SP_SPELL_SEARCH "kefu-spell"
int sp_spell_begin(struct asr_decoder *d, float we);
void sp_spell_end(struct asr_decoder *d);
/* 1 when the spelling pass's search can say w: its own search's entity model knows it, or
 * the spelling pass searches the whole mix; else 0. */
int sp_spell_knows(struct asr_decoder *d, const char *w);
/* speller.c, for grammar.c: runs of 6+ spelled letters in r that are no cmudict word but
 * one edit from exactly one become that word's letters.  0 or ASR_ERR_NOMEM.  Any thread. */
int sp_speller_fix(struct asr_result *r);
/* cmn.c, for asr.c: one utterance of pcm through ps's front end, normalised by session c's
 * mean (asr_cmn), and searched as ps_process_raw(full_utt) would.  0 or ASR_ERR_INTERNAL. */
struct asr_cmn;
int sp_cmn_process(struct ps_decoder_s *ps, struct asr_cmn *c, const int16_t *pcm, size_t n);

/* cmn.c: pcm[0..n) through ps's front end (fe_start_utt .. fe_end_utt, no normalisation):
 * *n_frames rows of *n_cep (when not NULL) cepstra, contiguous from row 0; free with
 * sp_cepstra_free.  NULL on failure.  Between utterances only: the decoder's thread. */
float **sp_cepstra(struct ps_decoder_s *ps, const int16_t *pcm, size_t n, int *n_frames,
		   int *n_cep);
void sp_cepstra_free(float **cep);
/* letters.c, for grammar.c: the letter classifier over the letter and digit words of a
 * value-like segment's reading lm (pcm[0..n), at off_ms in the clip): o->letters_seen
 * told of each, and each relabelled by asr_letters_relabel with o->letters (NULL: the
 * embedded model) unless o->letters_off.  c: the segment's cepstra when the caller has
 * them (normalised in place here: the caller's last use), else NULL or empty: computed
 * from pcm.  0 or a negative enum asr_err.  The decoder's thread. */
struct asr_entity_opts;
int sp_letters_fix(struct asr_decoder *d, const int16_t *pcm, size_t n, int off_ms,
		   const struct asr_entity_opts *o, struct sp_seg_cep *c,
		   struct asr_result *lm);
/* entity_text.c's word lists, which grammar.c's grammars are written from. */
extern const char *const sp_ent_nato[26], *const sp_ent_units[10], *const sp_ent_teens[10],
	*const sp_ent_tens[10], *const sp_ent_unit_ord[10], *const sp_ent_teen_ord[10],
	*const sp_ent_tens_ord[10], *const sp_ent_months[12];
void sp_flite_unlock(void);

/* Files embedded at build time by store/embed.py --prefix sp_embedded (speech/data/:
 * an4_train.txt, the entity model's real sentences); data[len] is NUL. */
struct sp_embedded {
	const char *name;     /* base name, e.g. "an4_train.txt" */
	const char *data;
	size_t len;
};
extern const struct sp_embedded sp_embedded_files[];
extern const size_t sp_embedded_count;

struct sp_strtab {
	char **str;           /* id -> string (owned) */
	size_t n, cap_str;
	int32_t *slot;        /* hash slot -> id, -1 empty */
	size_t cap;           /* slots, a power of two */
};

/* 0, or -1 on OOM. */
int sp_strtab_init(struct sp_strtab *t);
void sp_strtab_free(struct sp_strtab *t);
/* The id of s (length len), or -1 if absent. */
int32_t sp_strtab_find(const struct sp_strtab *t, const char *s, size_t len);
/* The id of s, adding a copy if absent; -1 on OOM. */
int32_t sp_strtab_intern(struct sp_strtab *t, const char *s, size_t len);

#endif
