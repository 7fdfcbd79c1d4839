/* common/paths.h — where kefu's data files are (web pages, converted models), found from
 * the running program's own location so that no path of the build machine is compiled in.
 *
 * Run from a build tree (meson writes `kefu-build-root` at the top of every build folder,
 * holding the source folder's path), the data is the source tree's `web/` and `models/`.
 * Installed, it is the data folder beside the program: `<bindir>/../share/kefu/NAME` (the
 * relative step from bindir to datadir is worked out by meson, never an absolute path
 * unless the install options themselves are absolute).  Any thread; no state.
 */
#ifndef KEFU_COMMON_PATHS_H
#define KEFU_COMMON_PATHS_H

#include <stddef.h>

/* Writes the folder of kefu's data item NAME ("web", "models") to out.  Returns 0 when
 * that folder exists, 1 when it does not (out still holds where it was looked for), -1
 * when the program's own location cannot be read (out is then "NAME", relative). */
int cm_data_dir(const char *name, char *out, size_t outlen);

/* The folder the running program lives in (readlink of /proc/self/exe), 0 ok, -1 if
 * unknown. */
int cm_exe_dir(char *out, size_t outlen);

/* Runs the program again (execv of its own path, same pid, same argv) with NAME=VALUE in
 * its environment when NAME is unset; returns only when NAME was set already or the exec
 * failed.  For settings a library reads once when it is loaded, before main (libgomp's
 * OMP_THREAD_LIMIT, see vision/ocr.c).  Call first thing in main, single-threaded. */
void cm_reexec_with_env(const char *name, const char *value, char **argv);

#endif
