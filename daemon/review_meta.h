/* daemon/review_meta.h — what the review thread reads off a logged reply's meta JSON
 * (daemon/review_meta.c).  Pure; the review thread (and tests). */
#ifndef KEFU_DAEMON_REVIEW_META_H
#define KEFU_DAEMON_REVIEW_META_H

#include <stddef.h>

/* The facts daemon/proto.c's kd_reply_build writes into a reply's meta: "fallback" true,
 * "why" "did_you_say", a "refused" key, and the quick replies' titles. */
struct kd_reply_meta {
	int fallback, did_you_say, refused;
	char **quick;                /* the quick replies' titles (malloc'd) */
	size_t n_quick;
};

/* Reads meta (NULL: no meta; not JSON: nothing set) into *rm (zeroed first).  A title
 * that cannot be copied (no memory) is left out. */
void kd_reply_meta_read(const char *meta, struct kd_reply_meta *rm);
/* Frees the titles and zeroes *rm. */
void kd_reply_meta_free(struct kd_reply_meta *rm);

/* The two ways kd_reply_meta_read takes, for the test that they agree: the direct scan
 * returns 1 when it decided (*rm set), 0 when it declined (the meta goes to jansson);
 * the jansson read decides always. */
int kd_reply_meta_direct(const char *meta, struct kd_reply_meta *rm);
void kd_reply_meta_jansson(const char *meta, struct kd_reply_meta *rm);

#endif
