/* fuzz/memfile.c — see memfile.h.  One memfd, created on first use and kept for the
 * process: truncated and rewritten for each input.
 */
#include "memfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

const char *fz_memfile(const uint8_t *data, size_t len)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("kefu-fuzz", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (len && pwrite(fd, data, len, 0) != (ssize_t)len)) {
		perror("memfd write");
		abort();
	}
	return path;
}
