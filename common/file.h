/* common/file.h — reading or mapping a whole file and listing a folder, the file-system
 * chores of kefu's command line, tests, benches and model loaders.  Any thread; every result is the caller's.
 */
#ifndef KEFU_COMMON_FILE_H
#define KEFU_COMMON_FILE_H

#include <stddef.h>

/* Reads all of path ("-" reads standard input) into a new buffer with a NUL after the
 * last byte (not counted in *len; the data may hold NULs of its own).  Works on pipes
 * and files that grow.  Returns the buffer (the caller frees it), or NULL with errno
 * set (fopen's reason, ENOMEM, or the read error; EIO when the stream gave none). */
char *cm_read_file(const char *path, size_t *len);

/* Maps all of the regular file path read-only and private: the pages are the page cache's,
 * shared with every other process and mapping of the file, not a heap copy (model weights).
 * Returns the mapping (*len bytes; unmap with cm_unmap_file), or NULL with errno set
 * (open's, fstat's or mmap's reason; EINVAL for an empty file). */
void *cm_map_file(const char *path, size_t *len);
/* Unmaps what cm_map_file returned (NULL is fine). */
void cm_unmap_file(void *map, size_t len);

enum cm_dir_kind {
	CM_DIR_ANY,     /* every entry */
	CM_DIR_FILES,   /* entries that are not folders */
	CM_DIR_DIRS,    /* folders only (a link to a folder counts as one) */
};

/* The names in folder dir, without those starting with '.', sorted by strcmp, keeping
 * the entries of the given kind.  *names gets a malloc'd array of malloc'd strings
 * (NULL when there are none; free with cm_free_names).  Returns the count, or -1 with
 * errno set (opendir's reason or ENOMEM; *names is then NULL). */
int cm_list_dir(const char *dir, enum cm_dir_kind kind, char ***names);
/* Frees names[0..n) and the array (NULL is fine). */
void cm_free_names(char **names, int n);

#endif
