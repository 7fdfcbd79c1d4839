/* common/file.c — whole-file reads and sorted folder listings (see file.h).  Any thread;
 * nothing here keeps state between calls. */
#include "file.h"
#include "buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void *cm_map_file(const char *path, size_t *len)
{
	struct stat sb;
	void *map = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	*len = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb))
		err = errno;
	else if (!S_ISREG(sb.st_mode) || sb.st_size <= 0)
		err = EINVAL;
	else if ((map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) ==
		 MAP_FAILED) {
		err = errno;
		map = NULL;
	} else {
		err = 0;
		*len = (size_t)sb.st_size;
	}
	close(fd);
	errno = err;
	return map;
}

void cm_unmap_file(void *map, size_t len)
{
	if (map)
		munmap(map, len);
}

char *cm_read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 65536 + 1) {	/* room to read into, and for the NUL */
			char *nb = cm_grow(buf, &cap, n + 65536 + 1, 1, 131072);
			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - 1 - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				err = errno ? errno : EIO;
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 if the entry e of dir is a folder (stat-free when readdir knows the type). */
static int is_dir(const char *dir, const struct dirent *e)
{
	if (e->d_type != DT_UNKNOWN && e->d_type != DT_LNK)
		return e->d_type == DT_DIR;
	size_t need = strlen(dir) + strlen(e->d_name) + 2;
	char *p = malloc(need);
	if (!p)
		return 0;
	snprintf(p, need, "%s/%s", dir, e->d_name);
	DIR *t = opendir(p);
	free(p);
	if (t)
		closedir(t);
	return t != NULL;
}

int cm_list_dir(const char *dir, enum cm_dir_kind kind, char ***names)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	int n = 0;
	size_t cap = 0;

	*names = NULL;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (kind != CM_DIR_ANY && is_dir(dir, e) != (kind == CM_DIR_DIRS))
			continue;
		char **nv = n < INT_MAX ? cm_grow(v, &cap, (size_t)n + 1, sizeof *v, 64) : NULL;
		if (!nv)
			goto oom;
		v = nv;
		if (!(v[n] = strdup(e->d_name)))
			goto oom;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, (size_t)n, sizeof *v, name_cmp);
	*names = v;
	return n;
oom:
	closedir(d);
	cm_free_names(v, n);
	errno = ENOMEM;
	return -1;
}

void cm_free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
