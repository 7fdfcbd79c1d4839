/* fuzz/memfile.h — hands a fuzz input to an entry point that takes a path (conf_load_file,
 * vis_cnn_open, cli_rasa_to_json) without touching the disk: the bytes go into one memfd
 * per process, reached as /proc/self/fd/N.  libFuzzer's thread only.
 */
#ifndef KEFU_FUZZ_MEMFILE_H
#define KEFU_FUZZ_MEMFILE_H

#include <stddef.h>
#include <stdint.h>

/* Replaces the memfd's contents with data[0..len) and returns its path (static storage,
 * valid until the next call).  Aborts if the memfd cannot be made: a broken harness must
 * not look like a clean run. */
const char *fz_memfile(const uint8_t *data, size_t len);

#endif
