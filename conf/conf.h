/* conf/conf.h — kefud's and kefu's configuration: one validated struct kefu_conf.
 *
 * One table (conf.c, `options[]`) lists every option with its type, default, bounds and
 * help.  The same table drives the INI config file parser (libinih), the command-line
 * flags (--name value or --name=value, '_' and '-' interchangeable), --help and the
 * documented example file (kefud --print-config, kept as conf/kefu.ini.example).
 * Defaults run with no file at all.  Parsing happens once at start-up on the main
 * thread; afterwards the struct is read-only and shared by every thread.
 */
#ifndef KEFU_CONF_H
#define KEFU_CONF_H

#include <stddef.h>
#include <stdio.h>

#define CONF_STR_MAX 512

struct kefu_conf {
	char config[CONF_STR_MAX];   /* the file read, "" if none */
	char listen[CONF_STR_MAX];   /* "127.0.0.1:8080"; port 0 = any free port */
	char db[CONF_STR_MAX];       /* SQLite file of the answer store and session log */
	char web_root[CONF_STR_MAX]; /* static files served at / */
	char origins[CONF_STR_MAX];  /* extra allowed WebSocket Origins, comma-separated */
	char port_file[CONF_STR_MAX];/* if set, kefud writes its bound port here once listening */
	char models[CONF_STR_MAX];   /* folder of converted pretrained weights (GloVe, CNNs) */
	int workers;                 /* worker threads; 0 = one per core */
	int log_level;               /* 0 error .. 3 debug */
	int queue_size;              /* jobs waiting for a worker before "busy" */
	int max_frame;               /* largest WebSocket message in bytes */
	int max_text;                /* longest customer text in code points */
	int max_sessions;            /* open connections accepted at once */
	int rate_limit;              /* messages per session per 10 seconds */
	int history_limit;           /* messages sent back on resume */
	/* hostile clients (docs/security.md) */
	int history_bytes;           /* largest history frame; older messages paged */
	int memory_budget_mb;        /* uploads + queued jobs + unsent frames, all connections */
	int max_output;              /* unsent bytes before a non-reading client is cut off */
	int idle_timeout;            /* seconds of silence before a connection closes; 0 never */
	int media_workers;           /* workers pictures/voice may occupy; 0 = all but one */
	int media_wait_max_ms;       /* longest wait of an upload for a worker; 0 = no limit */
	int upload_quota_session;    /* MiB of uploads per session per day; 0 = none */
	int upload_quota_ip;         /* MiB of uploads per client address per day; 0 = none */
	int min_free_disk;           /* MiB free under the database before uploads refuse */
	int demo;                    /* seed the demo answer store into an empty database */
	int serv_buf;                /* lws pt_serv_buf_size */
	double threshold;            /* confidence below which kefu offers choices instead */
	/* voice clips and pictures (daemon/upload.c, docs/protocol.md "Uploads") */
	int max_upload;              /* largest announced upload in bytes */
	int asr;                     /* accept voice clips */
	double max_audio_seconds;    /* longest voice clip */
	double asr_domain_weight;    /* weight of the store's LM mixed with the generic one */
	double asr_threshold;        /* transcript confidence below which kefu asks back */
	int asr_fast;                /* the faster speech search (docs/speech.md "Third round") */
	int asr_session_cmn;         /* a cepstral mean per session (docs/speech.md "Fifth round") */
	int asr_spell_pass;          /* a clip that sounds like a code searched again (docs/speech.md "Sixth round") */
	int asr_letters;             /* the spelling pass's letters classified again (docs/speech.md "Eighth round") */
	int asr_spell_model;         /* the spelling pass on models/en-us-an4-spell (docs/speech.md "Twelfth round") */
	int asr_generic_words;       /* generic LM words searched, most probable first; 0 = all */
	char tts_voice[CONF_STR_MAX];/* flite voice of spoken replies */
	int vision;                  /* accept pictures */
	char ocr_langs[CONF_STR_MAX];/* tesseract languages, "" = no OCR */
	int max_image_pixels;        /* largest picture (header width x height) */
	int picture_deadline_ms;     /* OCR time per picture in kefud; 0 = none */
	char image_blocklist[CONF_STR_MAX]; /* SHA-256 list of pictures refused as unsafe */
	char image_embed[CONF_STR_MAX];  /* CNN of the picture embedding (fusion model input) */
	/* operator accounts (auth/, api/; docs/security.md "Operator accounts") */
	int session_idle_minutes;    /* console session idle timeout */
	int session_max_hours;       /* console session absolute lifetime */
	int login_delay_after;       /* failed logins before each attempt must wait */
	int login_lock_after;        /* failed logins that lock the login name */
	int login_lock_minutes;      /* how long */
	int login_failures_per_ip;   /* failed logins per client address per lock period */
	int hash_concurrency;        /* argon2id hashes at once (19 MiB each) */
	/* the edge (daemon/tls.c, daemon/edge.c; docs/deploy.md) */
	char trusted_proxies[CONF_STR_MAX]; /* CIDRs whose X-Forwarded-For/-Proto are believed */
	char tls_cert[CONF_STR_MAX]; /* PEM chain; with tls_key kefud serves HTTPS/WSS */
	char tls_key[CONF_STR_MAX];
	int hsts_max_age;            /* Strict-Transport-Security max-age over TLS; 0 none */
	int max_conns_per_ip;        /* WebSockets open per client address; 0 none */
	int sessions_per_ip_minute;  /* new WebSockets per client address a minute */
	int requests_per_ip_minute;  /* HTTP requests per client address a minute */
	int max_http_conns_per_ip;   /* HTTP connections open per client address; 0 none */
	char ip_limit_exempt[CONF_STR_MAX]; /* CIDRs free of the per-address limits */
	int operator_capacity;       /* hand-offs assigned to one operator at most (ops.c) */
	/* data care (docs/security.md "Privacy and data care") */
	int retention_days;          /* sessions idle longer are deleted; 0 = keep */
	int redact_log;              /* take personal data out of customer words when logged */
	int keep_models;             /* trained model versions kept (docs/learning.md) */
};

/* Fills c with the defaults. */
void conf_defaults(struct kefu_conf *c);

/* Parses argv (argv[0] is skipped); a --config FILE option is read first, then the
 * other flags override it.  Returns 0 ok, 1 if --help / --print-config was handled
 * (printed to stdout: exit 0), -1 on error with a message naming the file, line and
 * option (or the flag) in err.  Unknown positional arguments are errors unless
 * positional is non-NULL: then they are stored there (at most max_pos) and *n_pos set. */
int conf_parse_args(struct kefu_conf *c, int argc, char **argv, const char *prog,
		    char **positional, int max_pos, int *n_pos, char *err, size_t errlen);

/* Reads an INI file into c.  0 ok, -1 with message in err. */
int conf_load_file(struct kefu_conf *c, const char *path, char *err, size_t errlen);
/* The same over INI text in memory, buf[0..len) (name in messages; config stays as it
 * was).  For the fuzz harness (fuzz/fuzz_conf.c). */
int conf_load_mem(struct kefu_conf *c, const char *buf, size_t len, const char *name,
		  char *err, size_t errlen);
/* How many workers may run uploads at once (media_workers, or all workers but one, at
 * least 1) and, in *n_workers (may be NULL), how many workers kefud's pool starts
 * (workers, 0 = one per online core, at least media + 1).  Any thread. */
int conf_media_workers(const struct kefu_conf *conf, int *n_workers);

/* Sets one option by name from text (validated against the table). 0 ok, -1 error. */
int conf_set(struct kefu_conf *c, const char *name, const char *value, char *err,
	     size_t errlen);

/* Prints the option table as --help text or as a commented INI file. */
void conf_print_help(FILE *out, const char *prog);
void conf_print_ini(FILE *out);

/* Splits "host:port" of c->listen; returns 0 or -1 if malformed. */
int conf_listen_split(const struct kefu_conf *c, char *host, size_t hostlen, int *port);

#endif
