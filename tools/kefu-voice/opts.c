/* tools/kefu-voice/opts.c — kefu-voice's command line: one table lists every option with its
 * type, bounds and help; parsing and --help are generic over it.  Main thread, at start-up.
 */
#include "voice.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum kind { FLAG, STR, INT, DBL };

struct opt {
	const char *name, *arg;
	enum kind kind;
	size_t off;
	double lo, hi;
	const char *help;
};

#define O(f) offsetof(struct kv_opts, f)

static const struct opt table[] = {
	{ "url", "URL", STR, O(url), 0, 0,
	  "kefud's chat WebSocket, ws:// or wss:// (TLS) (default ws://127.0.0.1:8080/ws)" },
	{ "ca-file", "FILE", STR, O(ca_file), 0, 0,
	  "wss://: PEM certificates the server's must verify against (default: the system's)" },
	{ "device", "N|NAME", STR, O(device), 0, 0,
	  "microphone: device index or name (default: the default input)" },
	{ "output-device", "N|NAME", STR, O(output_device), 0, 0,
	  "where --speak plays (default: the default output)" },
	{ "list-devices", NULL, FLAG, O(list_devices), 0, 0, "print the audio devices and exit" },
	{ "hands-free", NULL, FLAG, O(hands_free), 0, 0,
	  "no Enter: an utterance ends after a pause (kefud's voice-activity detector)" },
	{ "input", "FILE", STR, O(input), 0, 0,
	  "replay an audio file (any format libsndfile reads) instead of the microphone, split "
	  "into utterances as hands-free does; exit when done" },
	{ "speak", NULL, FLAG, O(speak), 0, 0, "ask for the spoken answer and play it" },
	{ "json", NULL, FLAG, O(json), 0, 0, "print one JSON line per turn (for scripts)" },
	{ "turns", "N", INT, O(turns), 1, 1000000, "exit after N turns" },
	{ "pause", "MS", INT, O(pause_ms), 100, 5000,
	  "silence that ends an utterance (default 600, as kefud)" },
	{ "max-utterance", "S", DBL, O(max_utterance_s), 2, 55,
	  "cut an utterance still going after S seconds (default 30)" },
	{ "capture-rate", "HZ", INT, O(capture_rate), 8000, 192000,
	  "capture at this rate and resample to 16 kHz (default: ask the device for 16 kHz)" },
	{ "timeout", "S", DBL, O(timeout_s), 1, 600,
	  "wait at most S seconds for the connection and for each answer (default 60)" },
	{ "session", "TOKEN", STR, O(session), 0, 0, "resume this session (a token from --json)" },
	{ "verbose", NULL, FLAG, O(verbose), 0, 0,
	  "show PortAudio/ALSA/libwebsockets messages and the end-pointing" },
	{ "help", NULL, FLAG, O(help), 0, 0, "this help" },
};

#define NOPT (sizeof table / sizeof table[0])

void kv_opts_help(FILE *out)
{
	fprintf(out,
		"usage: kefu-voice [options]\n"
		"Speak to kefud: each utterance from the microphone (or --input FILE) is sent as a\n"
		"16 kHz WAV clip; the transcript, the answer and its quick replies are printed.\n"
		"Push-to-talk (default): Enter starts and stops recording; a number + Enter sends\n"
		"that quick reply; other text + Enter is sent as a typed message; Ctrl-D or Ctrl-C\n"
		"quits.\n\noptions:\n");
	for (size_t i = 0; i < NOPT; i++) {
		char head[64];
		snprintf(head, sizeof head, "--%s%s%s", table[i].name, table[i].arg ? " " : "",
			 table[i].arg ? table[i].arg : "");
		fprintf(out, "  %-26s %s\n", head, table[i].help);
	}
	fprintf(out,
		"\nexit codes:\n"
		"  0  done (Ctrl-C/Ctrl-D, --turns reached, end of --input)\n"
		"  1  bad option or value\n"
		"  2  audio device: none, unknown (--device), or it failed\n"
		"  3  kefud unreachable, connection lost, or no answer within --timeout\n"
		"  4  --input file unreadable, not audio, or without speech\n"
		"  5  finished, but kefud answered at least one turn with an error (printed)\n");
}

static int parse_value(const struct opt *p, const char *v, struct kv_opts *o)
{
	char *end;
	void *field = (char *)o + p->off;
	errno = 0;
	switch (p->kind) {
	case STR:
		*(const char **)field = v;
		return 0;
	case INT: {
		long x = strtol(v, &end, 10);
		if (errno || *end || end == v || x < p->lo || x > p->hi)
			break;
		*(int *)field = (int)x;
		return 0;
	}
	case DBL: {
		double x = strtod(v, &end);
		if (errno || *end || end == v || !(x >= p->lo && x <= p->hi))
			break;
		*(double *)field = x;
		return 0;
	}
	case FLAG:
		break;
	}
	fprintf(stderr, "kefu-voice: --%s: '%s' is not a number from %g to %g\n", p->name, v,
		p->lo, p->hi);
	return -1;
}

int kv_opts_parse(struct kv_opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->url = "ws://127.0.0.1:8080/ws";
	o->pause_ms = 600;
	o->timeout_s = 60;
	o->max_utterance_s = 30;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		if (!strcmp(a, "-h")) {
			o->help = 1;
			continue;
		}
		if (strncmp(a, "--", 2)) {
			fprintf(stderr, "kefu-voice: unexpected argument '%s' (see --help)\n", a);
			return -1;
		}
		a += 2;
		size_t len = strcspn(a, "=");
		if (a[len] == '=')
			val = a + len + 1;
		const struct opt *p = NULL;
		for (size_t k = 0; k < NOPT; k++)
			if (strlen(table[k].name) == len && !strncmp(table[k].name, a, len))
				p = &table[k];
		if (!p) {
			fprintf(stderr, "kefu-voice: unknown option '%s' (see --help)\n", argv[i]);
			return -1;
		}
		if (p->kind == FLAG) {
			if (val) {
				fprintf(stderr, "kefu-voice: --%s takes no value\n", p->name);
				return -1;
			}
			*(int *)((char *)o + p->off) = 1;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kefu-voice: --%s needs %s\n", p->name, p->arg);
				return -1;
			}
			val = argv[++i];
		}
		if (parse_value(p, val, o) < 0)
			return -1;
	}
	if (strncmp(o->url, "ws://", 5) && strncmp(o->url, "wss://", 6)) {
		fprintf(stderr, "kefu-voice: --url: '%s' is not ws:// or wss://HOST[:PORT]/PATH\n",
			o->url);
		return -1;
	}
	if (o->ca_file && strncmp(o->url, "wss://", 6)) {
		fprintf(stderr, "kefu-voice: --ca-file is for wss:// URLs\n");
		return -1;
	}
	if (o->input && (o->device || o->capture_rate)) {
		fprintf(stderr, "kefu-voice: --input replaces the microphone: no --device or "
			"--capture-rate with it\n");
		return -1;
	}
	return 0;
}
