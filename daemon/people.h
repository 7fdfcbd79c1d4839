/* daemon/people.h — the widget's "people" frames: thumbs up/down on a reply
 * (feedback), a star rating of the chat (rating) and asking for a person (handoff).
 * Wire format: docs/protocol.md, section "People".
 *
 * Three steps, three threads: kd_people_parse validates the frame (any thread, called
 * by kd_proto_parse), kd_people_job_new turns the request into a worker job (lws
 * service thread), kd_people_run does the store work and posts the answer frame (a
 * worker thread, on the worker's own store connection).
 */
#ifndef KEFU_DAEMON_PEOPLE_H
#define KEFU_DAEMON_PEOPLE_H

#include <jansson.h>
#include <stdint.h>

#include "pool.h"
#include "proto.h"

struct kd_worker;

/* If type names a people frame, parses object j into r and returns 0 (r->text, the
 * comment or reason, is malloc'd or NULL: kd_req_clear) or 1 with r->err/err_msg set
 * (nothing left to free).  Returns -1, touching nothing, for any other type.
 * max_text bounds the comment and reason in code points.  Any thread. */
int kd_people_parse(json_t *j, const char *type, int max_text, struct kd_req *r);

/* A job for a parsed people request; moves r->text into it.  NULL on allocation
 * failure (r untouched).  Service thread. */
struct kd_job *kd_people_job_new(struct kd_req *r, uint64_t sid, uint64_t t_recv_us);

/* Runs a KD_JOB_FEEDBACK/RATING/HANDOFF job on w's store connection and posts the
 * ack / handoff frame or an error.  The caller still owns and frees job.  Worker. */
void kd_people_run(struct kd_worker *w, struct kd_job *job);

#endif
