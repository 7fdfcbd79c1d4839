/* speech/cmn.c — cepstral mean normalisation per session: a caller's clips normalised by the
 * mean of that caller's speech so far, not by each clip's own.
 *
 * kefu decodes with pocketsphinx's batch CMN (-cmn batch): each segment's cepstra, c0 (log
 * energy) included, lose the segment's own mean before the search.  An an4 clip is 1-4 s,
 * much of it one or two letters, so its own mean is a noisy estimate of the speaker's
 * channel and voice.  With a session (struct asr_cmn, asr_decoder_set_cmn) a segment is
 * normalised by the mean of the session's earlier segments (capped at prior_frames frames'
 * weight) pooled with its own frames: the same computation as pocketsphinx's acmod
 * (fe_start_utt, fe_process_frames, fe_end_utt, then the whole utterance's features), with
 * the decoder's CMN switched off for that utterance and the mean subtracted here.  With no
 * earlier segment the result is exactly batch CMN's (checked by test_asr).  The same samples
 * decoded twice in a row (grammar.c's second reading of a segment) count once.
 * docs/speech.md "Fifth round".  Runs on the decoder's thread.
 */
#include "speech.h"
#include "speech_int.h"

#include <string.h>

#include "hash.h"

#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/feat.h>

void asr_cmn_init(struct asr_cmn *c, double prior_frames)
{
	memset(c, 0, sizeof *c);
	c->prior_frames = prior_frames;
}

/* Moves the last segment's sums into the session's pool. */
static void commit_last(struct asr_cmn *c)
{
	for (int k = 0; k < ASR_CMN_DIM; k++) {
		c->sum[k] += c->last_sum[k];
		c->last_sum[k] = 0;
	}
	c->frames += c->last_frames;
	c->last_frames = 0;
}

/* Subtracts from cep[0..n) the mean of the session's pool (its weight capped at
 * prior_frames frames) pooled with these n frames, and records them as the last segment. */
static void normalise(struct asr_cmn *c, mfcc_t **cep, int32 n, int ncep)
{
	double seg[ASR_CMN_DIM] = { 0 }, mean[ASR_CMN_DIM];
	double w = c->frames > 0 && c->prior_frames >= 0 && c->frames > c->prior_frames
		   ? c->prior_frames / c->frames : 1.0;
	for (int32 t = 0; t < n; t++)
		for (int k = 0; k < ncep; k++)
			seg[k] += (double)cep[t][k];
	double denom = w * c->frames + (double)n;
	for (int k = 0; k < ncep; k++) {
		mean[k] = denom > 0 ? (w * c->sum[k] + seg[k]) / denom : 0;
		c->last_sum[k] = seg[k];
	}
	c->last_frames = (double)n;
	for (int32 t = 0; t < n; t++)
		for (int k = 0; k < ncep; k++)
			cep[t][k] -= (mfcc_t)mean[k];
}

_Static_assert(sizeof(mfcc_t) == sizeof(float), "mfcc_t is float (not a fixed-point build)");

float **sp_cepstra(ps_decoder_t *ps, const int16_t *pcm, size_t n, int *n_frames, int *n_cep)
{
	fe_t *fe = ps_get_fe(ps);
	int ncep = fe_get_output_size(fe);
	size_t ns = n;
	int32 nfr = 0, tail = 0;
	if (fe_process_frames(fe, NULL, &ns, NULL, &nfr, NULL) < 0)
		return NULL;
	mfcc_t **cep = ckd_calloc_2d((size_t)nfr + 1, (size_t)ncep, sizeof **cep);
	const int16 *p = pcm;
	ns = n;
	fe_start_utt(fe);
	if (fe_process_frames(fe, &p, &ns, cep, &nfr, NULL) < 0 ||
	    fe_end_utt(fe, cep[nfr], &tail) < 0) {
		ckd_free_2d(cep);
		return NULL;
	}
	*n_frames = nfr + tail;
	if (n_cep)
		*n_cep = ncep;
	return (float **)cep;
}

void sp_cepstra_free(float **cep)
{
	if (cep)
		ckd_free_2d(cep);
}

int sp_cmn_process(ps_decoder_t *ps, struct asr_cmn *c, const int16_t *pcm, size_t n)
{
	fe_t *fe = ps_get_fe(ps);
	feat_t *fcb = ps_get_feat(ps);
	int ncep = fe_get_output_size(fe);
	if (ncep > ASR_CMN_DIM)
		return ASR_ERR_INTERNAL;
	/* the same samples decoded right after (the grammar pass) must not count twice */
	unsigned long long fp = cm_fnv1a_words(pcm, n * sizeof *pcm);
	if (fp != c->last_fp || !c->last_frames)
		commit_last(c);               /* a new segment: the last one joins the pool */
	else
		c->last_frames = 0;           /* the same samples again: pooled once */
	c->last_fp = fp;

	int nfr;
	mfcc_t **cep = (mfcc_t **)sp_cepstra(ps, pcm, n, &nfr, NULL);
	if (!cep)
		return ASR_ERR_INTERNAL;
	normalise(c, cep, nfr, ncep);
	cmn_type_t kind = fcb->cmn;
	fcb->cmn = CMN_NONE;
	int rc = ps_process_cep(ps, cep, nfr, FALSE, TRUE);
	fcb->cmn = kind;
	ckd_free_2d(cep);
	return rc < 0 ? ASR_ERR_INTERNAL : 0;
}
