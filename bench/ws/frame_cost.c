/* bench/ws/frame_cost.c — CPU per client frame of kefud's parse (daemon/proto.c), the
 * direct parser of a typed message (proto_msg.c, kd_proto_parse) beside the jansson path
 * it spares (kd_proto_parse_json), in the same run, on the frames wsload sends (its ten
 * demo questions, English and Chinese).  One thread; blocks of the two alternate and the
 * medians of the blocks are printed.
 *
 *   frame_cost [ROUNDS]      (default 15 blocks of 20,000 frames each way)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "proto.h"

#define PER_BLOCK 20000
#define MAX_TEXT 2000           /* conf default max_text */

static const char *const texts[] = {     /* wsload.c's */
	"I lost my card", "How do I top up my account?", "Where is my new card?",
	"My transfer has not arrived yet", "What exchange rate do you use?",
	"Can I change my PIN?", "\u6211\u7684\u5361\u4e22\u4e86",
	"\u600e\u4e48\u4fee\u6539\u5bc6\u7801", "\u6211\u60f3\u9000\u6b3e",
	"Why was I charged a fee for my transfer?",
};
#define N_TEXTS (sizeof texts / sizeof *texts)

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ns of CPU per frame over one block of parse */
static double block(int (*parse)(const char *, size_t, int, struct kd_req *),
		    char frames[][160], const size_t *len)
{
	struct kd_req r;
	uint64_t t0 = cm_thread_cpu_ns();

	for (int i = 0; i < PER_BLOCK; i++) {
		if (parse(frames[i % N_TEXTS], len[i % N_TEXTS], MAX_TEXT, &r)) {
			fprintf(stderr, "frame_cost: a frame was refused\n");
			exit(1);
		}
		kd_req_clear(&r);
	}
	return (double)(cm_thread_cpu_ns() - t0) / PER_BLOCK;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 15;
	char frames[N_TEXTS][160];
	size_t len[N_TEXTS];
	double *direct, *json;

	if (rounds < 1)
		rounds = 1;
	direct = calloc((size_t)rounds, sizeof *direct);
	json = calloc((size_t)rounds, sizeof *json);
	if (!direct || !json)
		return 1;
	for (size_t i = 0; i < N_TEXTS; i++)
		len[i] = (size_t)snprintf(frames[i], sizeof frames[i], "{\"type\":\"message\","
					  "\"id\":\"c%zu-%zu\",\"text\":\"%s\"}",
					  i * 37, i * 1001, texts[i]);
	block(kd_proto_parse, frames, len);              /* warm caches and the heap */
	block(kd_proto_parse_json, frames, len);
	for (int k = 0; k < rounds; k++) {
		direct[k] = block(kd_proto_parse, frames, len);
		json[k] = block(kd_proto_parse_json, frames, len);
	}
	qsort(direct, (size_t)rounds, sizeof *direct, cmp);
	qsort(json, (size_t)rounds, sizeof *json, cmp);
	printf("parse of a wsload message frame, CPU ns per frame "
	       "(median of %d blocks of %d):\n"
	       "  direct (kd_proto_parse)        %7.1f  [min %.1f, max %.1f]\n"
	       "  jansson (kd_proto_parse_json)  %7.1f  [min %.1f, max %.1f]\n",
	       rounds, PER_BLOCK, direct[rounds / 2], direct[0], direct[rounds - 1],
	       json[rounds / 2], json[0], json[rounds - 1]);
	free(direct);
	free(json);
	return 0;
}
