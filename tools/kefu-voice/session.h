/* tools/kefu-voice/session.h — one chat session with kefud for kefu-voice: the welcome and
 * its token, voice turns (a clip in, transcript + reply + optional speech out) and typed
 * turns (a quick reply chosen), and resuming the same session after the connection drops.
 *
 * The protocol is docs/protocol.md: an utterance is sent as a 16 kHz mono 16-bit WAV in the
 * binary form ({"type":"audio","id":…,"bytes":N,"mime":"audio/wav","speak":…} + one binary
 * message); message ids are "v<run>-1", "v<run>-2", … (<run>: the start time in hex, so the
 * ids of a session resumed with --session never repeat an earlier run's, which kefud would
 * answer from its log).  If the connection is lost during a turn, the session reconnects
 * once, resumes with {"type":"hello","session":token} and sends the same id again (kefud
 * answers a logged id from its log, so nothing is doubled).
 *
 * Threads: a kv_sess is used by one thread (kefu-voice's main thread); its WebSocket has its
 * own service thread inside wsclient.c.
 */
#ifndef KEFU_VOICE_SESSION_H
#define KEFU_VOICE_SESSION_H

#include <stddef.h>
#include <stdint.h>

typedef struct kv_sess kv_sess;

/* What came back for one turn.  Strings are malloc'd and owned by the struct
 * (kv_turn_free); NULL when the frame or field did not come. */
struct kv_turn {
	char id[40];
	double clip_seconds;          /* length of the clip sent (voice turns) */
	/* transcript frame */
	int has_transcript;
	char *transcript;
	double asr_conf, asr_seconds;
	/* reply frame */
	int has_reply;
	char *text, *title, *lang, *refused;
	long long answer_id;          /* -1 when null */
	double conf;
	int fallback;
	char **quick;                 /* quick reply titles */
	size_t nquick;
	char *entity_kind, *entity_value;  /* the reply's entity (a code read out), or NULL */
	int entity_confirmed;
	/* speech: decoded to 16 kHz mono */
	int16_t *speech;
	size_t nspeech;
	/* error frame for this turn */
	char *err_code, *err_msg;
	/* milliseconds from the clip (or text) being queued for sending */
	double transcript_ms, reply_ms, speech_ms;
	int resent;                   /* 1: sent again after a reconnect */
};

/* Connects to url and reads the welcome (session token).  timeout_ms bounds the connection
 * and each wait for an answer.  NULL with a message in err; *bad_url set when the URL is
 * malformed. */
kv_sess *kv_sess_open(const char *url, int timeout_ms, int *bad_url, char *err,
		      size_t errlen);
/* The session token (32 hex characters). */
const char *kv_sess_token(const kv_sess *s);
/* Resumes the session token (from an earlier run) now.  0; 1 if kefud does not know it (the
 * fresh session goes on); -1 if the connection failed (message in err). */
int kv_sess_resume(kv_sess *s, const char *token, char *err, size_t errlen);

/* One voice turn: pcm[0..n) (16 kHz mono) as a WAV clip; speak asks for the spoken reply.
 * 0: *t filled (it may hold a server error: t->err_code); -1: the connection failed and could
 * not be resumed, or no answer came in time (message in err; *t holds what came).
 * Free *t with kv_turn_free in both cases. */
int kv_sess_audio(kv_sess *s, const int16_t *pcm, size_t n, int speak, struct kv_turn *t,
		  char *err, size_t errlen);
/* One typed turn (a chosen quick reply): as kv_sess_audio with a text message. */
int kv_sess_text(kv_sess *s, const char *text, struct kv_turn *t, char *err, size_t errlen);
void kv_turn_free(struct kv_turn *t);
void kv_sess_close(kv_sess *s);

#endif
