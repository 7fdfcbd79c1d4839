/* common/rng.h — Marsaglia's xorshift generators, the one pseudo-random source of kefu's
 * training code and tests.  Deterministic by design: the same seed gives the same
 * sequence on every machine, so a training run (shuffles, initial weights, augmentation)
 * is repeatable and models trained before and after a refactor are bit-identical.
 * The state belongs to the caller; any thread, one state per thread.  Not for anything
 * secret (session tokens come from the store's getrandom).
 */
#ifndef KEFU_COMMON_RNG_H
#define KEFU_COMMON_RNG_H

#include <stdint.h>

/* xorshift64 (shifts 13, 7, 17): advances *s and returns the new state.  A zero state
 * stays zero: seed with a non-zero value. */
static inline uint64_t cm_xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* xorshift32 (shifts 13, 17, 5): advances *s and returns the new state (non-zero seed). */
static inline uint32_t cm_xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* xorshift64* (shifts 12, 25, 27, then × 0x2545f4914f6cdd1d; Vigna 2016): advances *s
 * and returns the scrambled value, whose high bits are better than xorshift64's.  The
 * fused model's training (fusion/train.c) draws from it. */
static inline uint64_t cm_xorshift64star(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* A uniform double in [0, 1) from the top 53 bits of the next xorshift64 value. */
static inline double cm_xorshift64_unit(uint64_t *s)
{
	return (double)(cm_xorshift64(s) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
