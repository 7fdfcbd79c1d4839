/* tools/kefu-voice/voice.h — kefu-voice's options, exit codes, the run loop and the turn
 * report (the pieces main.c strings together).
 *
 *   opts.c    the option table: parsing and --help (which documents the exit codes)
 *   run.c     the three sources (push-to-talk, hands-free microphone, --input file), the
 *             capture thread, and the turn loop against kefud
 *   report.c  one turn printed for people (Markdown shown as plain text) or as a JSON line
 *
 * Everything here runs on the main thread except run.c's capture thread (see run.c).
 */
#ifndef KEFU_VOICE_VOICE_H
#define KEFU_VOICE_VOICE_H

#include <stdio.h>

#include "session.h"

/* Exit codes (also in --help and docs/voice-client.md). */
enum kv_exit {
	KV_EXIT_OK = 0,
	KV_EXIT_USAGE = 1,      /* bad option or value */
	KV_EXIT_DEVICE = 2,     /* no audio device, unknown device, stream failed */
	KV_EXIT_SERVER = 3,     /* kefud unreachable, connection lost, no answer in time */
	KV_EXIT_INPUT = 4,      /* --input file unreadable or not audio */
	KV_EXIT_TURN = 5,       /* the run went on, but kefud answered a turn with an error */
};

struct kv_opts {
	const char *url;
	const char *ca_file;        /* wss://: trusted certificates (NULL: the system's) */
	const char *device, *output_device;
	const char *input;
	const char *session;        /* resume this token */
	int list_devices, hands_free, speak, json, verbose, help;
	int capture_rate;           /* 0: ask for 16 kHz */
	int pause_ms;               /* end-pointing pause (the server's 600 by default) */
	int turns;                  /* stop after this many turns (0: no limit) */
	double timeout_s;           /* connection and answer time-out */
	double max_utterance_s;
};

/* Fills o from argv.  0 ok; -1 with a message on stderr (exit KV_EXIT_USAGE). */
int kv_opts_parse(struct kv_opts *o, int argc, char **argv);
void kv_opts_help(FILE *out);

/* Runs kefu-voice as o says; returns the exit code. */
int kv_run(const struct kv_opts *o);

/* Where a turn came from, for its report. */
struct kv_turn_meta {
	int n;                      /* the turn's number in the run, from 1 */
	int typed;                  /* 1: a typed message or quick reply, not a clip */
	double start_s;             /* stream time of the utterance's start (< 0: unknown) */
	double endpoint_ms;         /* end of speech -> utterance cut, stream time (< 0: unknown) */
	const char *session;        /* the session token */
};

/* Prints one turn: for people (transcript, answer as plain text, quick replies numbered) or
 * as one JSON line (fields in docs/voice-client.md). */
void kv_report_turn(FILE *out, const struct kv_turn *t, const struct kv_turn_meta *m,
		    int json);
/* Markdown to plain text for a terminal: marks dropped, [text](url) -> "text (url)", list
 * items kept as "- ".  malloc'd (caller frees) or NULL. */
char *kv_plain(const char *md);

#endif
