/* conf/conf.c — the option table and the generic parsers built on it (see conf.h).
 * Runs on the main thread at start-up only. */
#include "conf.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL, OPT_DOUBLE, OPT_LEVEL };

struct option_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *def;
	double min, max;
	const char *help;
};

#define O(f) offsetof(struct kefu_conf, f)

static const struct option_def options[] = {
	{ "listen", OPT_STR, O(listen), "127.0.0.1:8080", 0, 0,
	  "address:port to serve HTTP and WebSocket on (port 0 picks a free one)" },
	{ "db", OPT_STR, O(db), "kefu.db", 0, 0,
	  "SQLite file holding the answer store, session log and models" },
	{ "web_root", OPT_STR, O(web_root), "", 0, 0,
	  "folder of the static web pages (demo site, chat page, widget); empty: found beside "
	  "the program (share/kefu/web when installed, the source tree's web/ in a build tree)" },
	{ "origins", OPT_STR, O(origins), "", 0, 0,
	  "extra allowed Origin values for /ws, comma-separated (its own listen address and port are always allowed, never the Host header; * allows any)" },
	{ "models", OPT_STR, O(models), "", 0, 0,
	  "folder of pretrained weights converted at set-up (word vectors, image encoders); "
	  "empty: share/kefu/models when installed, the source tree's models/ in a build tree" },
	{ "port_file", OPT_STR, O(port_file), "", 0, 0,
	  "write the bound port number to this file once listening (tests use it)" },
	{ "workers", OPT_INT, O(workers), "0", 0, 256,
	  "worker threads; 0 means one per core" },
	{ "log_level", OPT_LEVEL, O(log_level), "info", 0, 3,
	  "error, warn, info or debug" },
	{ "queue_size", OPT_INT, O(queue_size), "4096", 1, 1000000,
	  "jobs waiting for a worker before new messages get the busy error" },
	{ "max_frame", OPT_INT, O(max_frame), "65536", 256, 64 << 20,
	  "largest WebSocket message accepted, in bytes" },
	{ "max_text", OPT_INT, O(max_text), "2000", 1, 1000000,
	  "longest customer message, in characters" },
	{ "max_sessions", OPT_INT, O(max_sessions), "10000", 1, 1000000,
	  "WebSocket connections served at once" },
	{ "rate_limit", OPT_INT, O(rate_limit), "100", 1, 1000000,
	  "messages one session may send per 10 seconds" },
	{ "history_limit", OPT_INT, O(history_limit), "200", 0, 100000,
	  "messages sent back when a session resumes" },
	{ "history_bytes", OPT_INT, O(history_bytes), "65536", 1024, 64 << 20,
	  "largest history frame in bytes; older messages are paged (hello with \"before\")" },
	{ "memory_budget_mb", OPT_INT, O(memory_budget_mb), "64", 16, 1 << 20,
	  "MiB all connections may hold in uploads, queued jobs and unsent frames; beyond it new work gets busy" },
	{ "max_output", OPT_INT, O(max_output), "2097152", 65536, 1 << 30,
	  "bytes of replies waiting for one client that does not read before it is cut off" },
	{ "idle_timeout", OPT_INT, O(idle_timeout), "600", 0, 86400,
	  "seconds a chat connection may stay silent before it is closed (0 = never)" },
	{ "media_workers", OPT_INT, O(media_workers), "0", 0, 256,
	  "workers that may run pictures and voice clips at once; 0 = all but one (text never waits behind them)" },
	{ "media_wait_max_ms", OPT_INT, O(media_wait_max_ms), "10000", 0, 3600000,
	  "milliseconds a picture or voice clip may wait for a worker; one that waited (or would wait) longer gets busy with retry_after (0 = no limit)" },
	{ "upload_quota_session", OPT_INT, O(upload_quota_session), "64", 0, 1 << 20,
	  "MiB of uploads one session may send per day (0 = no limit)" },
	{ "upload_quota_ip", OPT_INT, O(upload_quota_ip), "256", 0, 1 << 20,
	  "MiB of uploads one client address may send per day (0 = no limit)" },
	{ "min_free_disk", OPT_INT, O(min_free_disk), "64", 0, 1 << 30,
	  "MiB of free disk under the database below which uploads are refused (storage_full) and /readyz fails" },
	{ "demo", OPT_BOOL, O(demo), "true", 0, 1,
	  "seed the demo answer store when the database has no answers" },
	{ "serv_buf", OPT_INT, O(serv_buf), "32768", 4096, 1 << 20,
	  "libwebsockets per-thread serving buffer in bytes" },
	{ "threshold", OPT_DOUBLE, O(threshold), "0.35", 0, 1,
	  "confidence below which kefu offers the closest answers instead of guessing" },
	{ "max_upload", OPT_INT, O(max_upload), "8388608", 0, 1 << 30,
	  "largest voice clip or picture sent as a binary message, in bytes" },
	{ "asr", OPT_BOOL, O(asr), "true", 0, 1,
	  "accept voice clips (speech recognition with pocketsphinx)" },
	{ "max_audio_seconds", OPT_DOUBLE, O(max_audio_seconds), "60", 1, 3600,
	  "longest voice clip, in seconds" },
	{ "asr_domain_weight", OPT_DOUBLE, O(asr_domain_weight), "0.5", 0, 1,
	  "weight of the language model built from the store, mixed with the generic English one" },
	{ "asr_threshold", OPT_DOUBLE, O(asr_threshold), "0.55", 0, 1,
	  "transcript confidence below which kefu asks \"Did you say ...?\" instead of answering" },
	{ "asr_fast", OPT_BOOL, O(asr_fast), "false", 0, 1,
	  "faster speech search: a fifth less CPU per clip, about 2 points more word errors" },
	{ "asr_session_cmn", OPT_BOOL, O(asr_session_cmn), "false", 0, 1,
	  "normalise a caller's voice clips by the cepstral mean of their earlier clips" },
	{ "asr_spell_pass", OPT_BOOL, O(asr_spell_pass), "true", 0, 1,
	  "search a clip that sounds like a code or a number a second time, for its letters and digits" },
	{ "asr_letters", OPT_BOOL, O(asr_letters), "true", 0, 1,
	  "classify the letters and digits the spelling pass read again from their own sound" },
	{ "asr_spell_model", OPT_BOOL, O(asr_spell_model), "true", 0, 1,
	  "read the spelling pass with the acoustic model adapted to real voices, when set-up made it" },
	{ "asr_generic_words", OPT_INT, O(asr_generic_words), "10000", 0, 1000000,
	  "generic English words the speech search considers, most probable first (0 = all 72,547)" },
	{ "tts_voice", OPT_STR, O(tts_voice), "slt", 0, 0,
	  "flite voice of spoken replies (slt, rms, awb)" },
	{ "vision", OPT_BOOL, O(vision), "true", 0, 1,
	  "accept pictures (OCR, codes, safety check)" },
	{ "ocr_langs", OPT_STR, O(ocr_langs), "eng+chi_sim", 0, 0,
	  "tesseract languages for text in pictures (\"\" turns OCR off)" },
	{ "max_image_pixels", OPT_INT, O(max_image_pixels), "16000000", 1, 1 << 30,
	  "largest picture accepted, width x height from its header (decoding cost grows with it)" },
	{ "picture_deadline_ms", OPT_INT, O(picture_deadline_ms), "4000", 0, 600000,
	  "milliseconds of reading text (OCR) one picture may take; the words read by then are kept (0 = no limit)" },
	{ "image_embed", OPT_STR, O(image_embed), "mobilenet_v2_imagenet", 0, 0,
	  "CNN (models/NAME.kfm) whose picture embedding the catalogue and fusion model read "
	  "(the default falls back to mobilenet_v2_mid when its file is absent)" },
	{ "image_blocklist", OPT_STR, O(image_blocklist), "", 0, 0,
	  "file of SHA-256 digests (hex, one per line) of pictures always refused as unsafe" },
	{ "session_idle_minutes", OPT_INT, O(session_idle_minutes), "30", 1, 1440,
	  "an operator's console session ends after this long without a request" },
	{ "session_max_hours", OPT_INT, O(session_max_hours), "12", 1, 720,
	  "an operator's console session ends this long after sign-in, used or not" },
	{ "login_delay_after", OPT_INT, O(login_delay_after), "5", 1, 1000,
	  "failed sign-ins to one login after which each attempt waits (1 s, doubling)" },
	{ "login_lock_after", OPT_INT, O(login_lock_after), "10", 1, 1000,
	  "failed sign-ins that lock the login for login_lock_minutes" },
	{ "login_lock_minutes", OPT_INT, O(login_lock_minutes), "15", 1, 1440,
	  "how long a login stays locked after login_lock_after failures" },
	{ "login_failures_per_ip", OPT_INT, O(login_failures_per_ip), "30", 0, 1000000,
	  "failed sign-ins one client address may make per login_lock_minutes, over all login "
	  "names (a success gives its attempt back); more get HTTP 429 too_many_attempts "
	  "(0 = no limit; ip_limit_exempt addresses are free of it)" },
	{ "hash_concurrency", OPT_INT, O(hash_concurrency), "2", 1, 64,
	  "password hashes computed at once (each holds 19 MiB); more wait, then get busy" },
	{ "trusted_proxies", OPT_STR, O(trusted_proxies), "", 0, 0,
	  "reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For and "
	  "X-Forwarded-Proto kefud believes; from any other peer those headers are ignored" },
	{ "tls_cert", OPT_STR, O(tls_cert), "", 0, 0,
	  "PEM certificate chain: with tls_key, kefud serves HTTPS and WSS itself (reloaded on SIGHUP)" },
	{ "tls_key", OPT_STR, O(tls_key), "", 0, 0,
	  "PEM private key of tls_cert" },
	{ "hsts_max_age", OPT_INT, O(hsts_max_age), "31536000", 0, 1 << 30,
	  "seconds of the Strict-Transport-Security header sent over TLS (0 = no header)" },
	{ "max_conns_per_ip", OPT_INT, O(max_conns_per_ip), "50", 0, 1000000,
	  "WebSockets (chats and operator channels) one client address may hold open at once; "
	  "more get too_many_connections (0 = no limit)" },
	{ "sessions_per_ip_minute", OPT_INT, O(sessions_per_ip_minute), "60", 0, 1000000,
	  "new WebSockets (chats and operator channels) one client address may open per "
	  "minute; more get too_many_sessions (0 = no limit)" },
	{ "requests_per_ip_minute", OPT_INT, O(requests_per_ip_minute), "600", 0, 1000000,
	  "HTTP requests (pages, API, uploads) one client address may make per minute; more "
	  "get HTTP 429 too_many_requests (0 = no limit)" },
	{ "max_http_conns_per_ip", OPT_INT, O(max_http_conns_per_ip), "100", 0, 1000000,
	  "HTTP connections (pages, API, uploads; not WebSockets) one client address may hold "
	  "open at once, idle keep-alive ones included; more get HTTP 429 too_many_connections "
	  "(0 = no limit)" },
	{ "ip_limit_exempt", OPT_STR, O(ip_limit_exempt), "127.0.0.0/8,::1", 0, 0,
	  "client addresses or CIDRs (comma-separated) free of the four per-address limits "
	  "above: by default this machine itself (a proxy on it must be in trusted_proxies)" },
	{ "operator_capacity", OPT_INT, O(operator_capacity), "3", 0, 1000,
	  "conversations a hand-off gives one signed-in operator at most (0: hand-offs wait "
	  "for someone to take them)" },
	{ "retention_days", OPT_INT, O(retention_days), "0", 0, 36500,
	  "delete sessions (messages, attachments, ratings) idle for longer than this many days, "
	  "checked at start and hourly; 0 keeps everything" },
	{ "keep_models", OPT_INT, O(keep_models), "5", 1, 1000,
	  "trained text models kept in the store (with the picture and fusion models of the "
	  "same training), the live one always among them: older ones are deleted after "
	  "each training" },
	{ "redact_log", OPT_BOOL, O(redact_log), "false", 0, 1,
	  "replace card numbers, IBANs, e-mail addresses and phone numbers in the customer's "
	  "words (and transcripts, text read in pictures) by [card], [iban], [email], [phone] "
	  "before they are logged" },
};

#define N_OPTIONS (sizeof options / sizeof options[0])

static const struct option_def *find(const char *name)
{
	char norm[64];
	size_t i;

	for (i = 0; name[i] && i < sizeof norm - 1; i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	norm[i] = '\0';
	for (size_t k = 0; k < N_OPTIONS; k++)
		if (!strcmp(options[k].name, norm))
			return &options[k];
	return NULL;
}

static int set_value(struct kefu_conf *c, const struct option_def *o, const char *v,
		     char *err, size_t errlen)
{
	char *end;
	void *field = (char *)c + o->offset;

	switch (o->type) {
	case OPT_STR:
		if (strlen(v) >= CONF_STR_MAX) {
			snprintf(err, errlen, "%s: value longer than %d bytes", o->name,
				 CONF_STR_MAX - 1);
			return -1;
		}
		strcpy(field, v);
		return 0;
	case OPT_INT: {
		errno = 0;
		long n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < o->min || n > o->max) {
			snprintf(err, errlen, "%s: '%s' is not an integer in [%.0f, %.0f]",
				 o->name, v, o->min, o->max);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	}
	case OPT_DOUBLE: {
		errno = 0;
		double d = strtod(v, &end);
		if (errno || end == v || *end || d < o->min || d > o->max) {
			snprintf(err, errlen, "%s: '%s' is not a number in [%g, %g]", o->name,
				 v, o->min, o->max);
			return -1;
		}
		*(double *)field = d;
		return 0;
	}
	case OPT_BOOL:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") ||
		    !strcasecmp(v, "on")) {
			*(int *)field = 1;
			return 0;
		}
		if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
		    !strcasecmp(v, "off")) {
			*(int *)field = 0;
			return 0;
		}
		snprintf(err, errlen, "%s: '%s' is not true or false", o->name, v);
		return -1;
	case OPT_LEVEL: {
		int l = cm_log_level_parse(v);
		if (l < 0) {
			snprintf(err, errlen, "%s: '%s' is not error, warn, info or debug",
				 o->name, v);
			return -1;
		}
		*(int *)field = l;
		return 0;
	}
	}
	return -1;
}

int conf_set(struct kefu_conf *c, const char *name, const char *value, char *err,
	     size_t errlen)
{
	const struct option_def *o = find(name);

	if (!o) {
		/* a removed option says what replaced it (an old kefud.ini must not leave the
		 * operator guessing) */
		if (!strcmp(name, "trust_proxy") || !strcmp(name, "trust-proxy"))
			snprintf(err, errlen, "option 'trust_proxy' was replaced by trusted_proxies: "
				 "list the reverse proxies' addresses, e.g. trusted_proxies = 127.0.0.1");
		else
			snprintf(err, errlen, "unknown option '%s'", name);
		return -1;
	}
	return set_value(c, o, value, err, errlen);
}

/* Empty web_root / models mean "kefu's own data folder" (common/paths.h): the install's
 * share/kefu, or the source tree when run from a build tree.  Nothing of the build machine
 * is compiled in. */
static void resolve_paths(struct kefu_conf *c)
{
	if (!c->web_root[0])
		cm_data_dir("web", c->web_root, sizeof c->web_root);
	if (!c->models[0])
		cm_data_dir("models", c->models, sizeof c->models);
}

void conf_defaults(struct kefu_conf *c)
{
	char err[256];

	memset(c, 0, sizeof *c);
	for (size_t k = 0; k < N_OPTIONS; k++)
		if (set_value(c, &options[k], options[k].def, err, sizeof err))
			abort(); /* a bad default is a programming error */
	resolve_paths(c);
}

struct ini_ctx {
	struct kefu_conf *c;
	char msg[256];
};

static int on_ini_line(void *user, const char *section, const char *name,
		       const char *value)
{
	struct ini_ctx *ctx = user;

	/* Options may sit at top level or under [kefud]; other sections are errors so a
	 * typo is never silently ignored. */
	if (section[0] && strcmp(section, "kefud") && strcmp(section, "kefu")) {
		snprintf(ctx->msg, sizeof ctx->msg, "unknown section [%s]", section);
		return 0;
	}
	return conf_set(ctx->c, name, value, ctx->msg, sizeof ctx->msg) == 0;
}

/* Reads the INI text of f (named name in messages) into c. */
static int load_stream(struct kefu_conf *c, FILE *f, const char *name, char *err,
		       size_t errlen)
{
	struct ini_ctx ctx = { .c = c };
	int rc = ini_parse_file(f, on_ini_line, &ctx);

	if (rc > 0) {
		snprintf(err, errlen, "%s:%d: %s", name, rc,
			 ctx.msg[0] ? ctx.msg : "syntax error");
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot read", name);
		return -1;
	}
	return 0;
}

int conf_load_file(struct kefu_conf *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int rc;

	struct stat sb;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* fopen opens a folder for reading and the first read fails quietly: refuse it */
	if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		fclose(f);
		return -1;
	}
	rc = load_stream(c, f, path, err, errlen);
	fclose(f);
	if (rc)
		return -1;
	snprintf(c->config, sizeof c->config, "%s", path);
	return 0;
}

int conf_load_mem(struct kefu_conf *c, const char *buf, size_t len, const char *name,
		  char *err, size_t errlen)
{
	FILE *f = len ? fmemopen((void *)buf, len, "r") : NULL;
	int rc;

	if (!len)                            /* an empty file sets nothing */
		return 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	rc = load_stream(c, f, name, err, errlen);
	fclose(f);
	return rc;
}

static int is_flag(const char *a)
{
	return a[0] == '-' && a[1] == '-' && a[2];
}

/* The default picture embedding is converted from the workplace's shared ImageNet model,
 * which a machine may not have (scripts/post-setup.d/30-nsfwjs.sh); the nsfwjs one from
 * npm always is there, so the default falls back to it rather than leaving pictures
 * without an embedding (no catalogue, no fusion).  A value set by the operator is kept. */
static void embed_fallback(struct kefu_conf *c)
{
	char want[2 * CONF_STR_MAX + 8], alt[2 * CONF_STR_MAX + 8];

	if (strcmp(c->image_embed, "mobilenet_v2_imagenet"))
		return;
	snprintf(want, sizeof want, "%s/%s.kfm", c->models, c->image_embed);
	snprintf(alt, sizeof alt, "%s/mobilenet_v2_mid.kfm", c->models);
	if (access(want, R_OK) == 0 || access(alt, R_OK) != 0)
		return;
	LOG_INFO("%s absent: image_embed falls back to mobilenet_v2_mid", want);
	snprintf(c->image_embed, sizeof c->image_embed, "mobilenet_v2_mid");
}

int conf_parse_args(struct kefu_conf *c, int argc, char **argv, const char *prog,
		    char **positional, int max_pos, int *n_pos, char *err, size_t errlen)
{
	char name[64];

	if (n_pos)
		*n_pos = 0;
	/* Pass 1: --help, --print-config and --config, so flags override the file. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			conf_print_help(stdout, prog);
			return 1;
		}
		if (!strcmp(argv[i], "--print-config")) {
			conf_print_ini(stdout);
			return 1;
		}
		if (!strncmp(argv[i], "--config", 8) &&
		    (argv[i][8] == '\0' || argv[i][8] == '=')) {
			const char *v = argv[i][8] == '=' ? argv[i] + 9 :
					(i + 1 < argc ? argv[++i] : NULL);
			if (!v) {
				snprintf(err, errlen, "--config needs a file name");
				return -1;
			}
			if (conf_load_file(c, v, err, errlen))
				return -1;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v, *eq;

		if (!is_flag(a)) {
			if (positional && n_pos && *n_pos < max_pos) {
				positional[(*n_pos)++] = argv[i];
				continue;
			}
			snprintf(err, errlen, "unexpected argument '%s' (see --help)", a);
			return -1;
		}
		a += 2;
		eq = strchr(a, '=');
		size_t nl = eq ? (size_t)(eq - a) : strlen(a);
		if (nl >= sizeof name) {
			snprintf(err, errlen, "unknown option '--%s'", a);
			return -1;
		}
		memcpy(name, a, nl);
		name[nl] = '\0';
		if (!strcmp(name, "config")) {
			if (!eq)
				i++;
			continue;
		}
		const struct option_def *o = find(name);
		if (!o) {
			snprintf(err, errlen, "unknown option '--%s' (see --help)", name);
			return -1;
		}
		if (eq)
			v = eq + 1;
		else if (o->type == OPT_BOOL && (i + 1 >= argc || is_flag(argv[i + 1])))
			v = "true";
		else if (i + 1 < argc)
			v = argv[++i];
		else {
			snprintf(err, errlen, "--%s needs a value", name);
			return -1;
		}
		char msg[256];
		if (set_value(c, o, v, msg, sizeof msg)) {
			snprintf(err, errlen, "--%s", msg);
			return -1;
		}
	}
	resolve_paths(c);
	embed_fallback(c);
	return 0;
}

static const char *type_name(enum opt_type t)
{
	static const char *n[] = { "TEXT", "N", "BOOL", "X", "LEVEL" };
	return n[t];
}

void conf_print_help(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s [--config FILE] [--OPTION VALUE ...]\n\noptions:\n", prog);
	fprintf(out, "  --config FILE\n      read options from an INI file first (flags override it)\n");
	for (size_t k = 0; k < N_OPTIONS; k++) {
		char flag[64];
		size_t i;
		for (i = 0; options[k].name[i]; i++)
			flag[i] = options[k].name[i] == '_' ? '-' : options[k].name[i];
		flag[i] = '\0';
		fprintf(out, "  --%s %s\n      %s (default: %s)\n", flag,
			type_name(options[k].type), options[k].help,
			options[k].def[0] ? options[k].def : "\"\"");
	}
	fprintf(out, "  --print-config\n      print every option as a commented INI file\n");
}

/* text as "; " comment lines of at most INI_COMMENT_COLS columns, broken at spaces:
 * libinih refuses a line of 200 characters or more as a syntax error, so a long help
 * text on one line made the printed file unreadable to kefud itself. */
#define INI_COMMENT_COLS 96
static void print_comment(FILE *out, const char *text)
{
	while (*text) {
		size_t n = strlen(text), cut = n;
		if (n > INI_COMMENT_COLS - 2) {
			cut = INI_COMMENT_COLS - 2;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (!cut)        /* one word longer than a line: keep it whole */
				cut = strcspn(text, " ");
		}
		fprintf(out, "; %.*s\n", (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

void conf_print_ini(FILE *out)
{
	fprintf(out, "; kefu configuration file (INI).  Every option is shown with its\n"
		     "; default; uncomment and change what you need.  Options may also be\n"
		     "; given as command-line flags, which override this file.\n[kefud]\n");
	for (size_t k = 0; k < N_OPTIONS; k++) {
		fputc('\n', out);
		print_comment(out, options[k].help);
		fprintf(out, ";%s = %s\n", options[k].name, options[k].def);
	}
}

int conf_listen_split(const struct kefu_conf *c, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(c->listen, ':');
	char *end;

	if (!colon || (size_t)(colon - c->listen) >= hostlen)
		return -1;
	memcpy(host, c->listen, (size_t)(colon - c->listen));
	host[colon - c->listen] = '\0';
	long p = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

int conf_media_workers(const struct kefu_conf *conf, int *n_workers)
{
	int n = conf->workers, media;

	if (n <= 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		n = cores > 0 ? (int)cores : 1;
	}
	/* uploads may occupy media_max workers; one more always serves text */
	media = conf->media_workers > 0 ? conf->media_workers : n - 1;
	if (media < 1)
		media = 1;
	if (n < media + 1)
		n = media + 1;
	if (n_workers)
		*n_workers = n;
	return media;
}
