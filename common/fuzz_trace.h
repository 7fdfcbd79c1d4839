/* common/fuzz_trace.h — CM_NO_FUZZ_TRACE marks a function whose loop decides nothing from
 * the bytes it passes over (a checksum, a number-format conversion of a whole array).  In
 * a fuzzing build (clang, -fsanitize=fuzzer-no-link: docs/fuzzing.md) such a function gets
 * no SanitizerCoverage hooks, so libFuzzer does not trace the loop's `i < n` comparison
 * once per element (for the model files that was a third of every execution); ASan and
 * UBSan still check it, and the functions it calls keep their coverage.  Elsewhere (GCC,
 * a normal clang build) it changes nothing.  Header only, no state.
 */
#ifndef KEFU_COMMON_FUZZ_TRACE_H
#define KEFU_COMMON_FUZZ_TRACE_H

#if defined(__clang__)
#define CM_NO_FUZZ_TRACE __attribute__((no_sanitize("coverage")))
#else
#define CM_NO_FUZZ_TRACE
#endif

#endif
