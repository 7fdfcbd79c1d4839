/* store/migrate.c — the schema, as an ordered list of migration steps.
 *
 * The database's `PRAGMA user_version` is the number of steps applied.  store_open()
 * calls store_migrate(), which applies each missing step in its own transaction
 * (BEGIN IMMEDIATE, the step's SQL, `PRAGMA user_version = N`, COMMIT), so a crash or
 * an error leaves the database at the last complete version, and two processes opening
 * the same fresh file cannot both apply a step (the second waits on the write lock,
 * then sees the new version and skips it).  A database newer than this build (a
 * user_version above the last step) is refused rather than misread.
 *
 * To change the schema, APPEND a step; never edit a step that has shipped.
 *
 * Schema (the tables as of version 13; "Version N" below says what each later step changed):
 *   answers    one FAQ answer: title (unique, shown on quick-reply buttons), Markdown
 *              body, lang, comma-separated tags, enabled flag, created/updated (ms).
 *   examples   example questions of an answer; UNIQUE(answer_id, text); deleted with
 *              their answer (ON DELETE CASCADE).
 *   sessions   one chat session: 32-hex-char token (unique), channel ("ws", "voice",
 *              "cli", ...), created/last/closed (ms), state ("bot", later "waiting" and
 *              "operator" for hand-off, "closed").
 *   messages   the session log: kind (enum store_msg_kind), client_id (customer
 *              messages; unique per session, which makes resends idempotent), text,
 *              answer_id / confidence / latency_us (bot replies), meta (JSON),
 *              reply_to (the customer message a reply answers, same turn), created (ms).
 *              answer_id is deliberately not a foreign key: the log keeps what was
 *              answered even after the answer is edited or deleted, and deleting an
 *              answer never makes a log write fail.
 *   models     trained model blobs: kind ("nlu", ...), version (1, 2, ... per kind),
 *              metrics (JSON), data_hash (of the training data), created (ms).
 *   operators  (version 2) console users: unique login, argon2 encoded password hash,
 *              role, disabled flag.  Filled by the operator-console issue.
 * Version 3 (media, people, pictures):
 *   attachments the bytes of a voice clip or picture a customer sent, tied to the
 *              customer message row that carries its transcript / OCR text; kind
 *              ("audio", "image"), mime, sha256 (hex), unsafe flag (pictures the safety
 *              model refused: never shown unblurred), meta JSON (what was heard / seen).
 *   feedback   thumbs up (+1) / down (-1) on one bot reply (UNIQUE per reply: the
 *              latest vote wins).
 *   ratings    the customer's 1-5 star rating of a session, with an optional comment.
 *   handoffs   a request to talk to a person: reason, requested/taken/closed (ms),
 *              operator (NULL until one takes it).  sessions.state says "waiting".
 *   pictures   reference and labelled pictures: the answer they illustrate (may be NULL
 *              for pictures that only teach a category), category label, source name,
 *              sha256 (unique), encoded bytes, and the embedding (float32 BLOB) of the
 *              model named in embed_model, recomputed when that model changes.
 * Version 4 (texts):
 *   texts      an operator's replacement of one customer-facing text (key, lang): the
 *              defaults are data, store/texts.json; a row exists only where an
 *              operator changed one (store/texts.c, `kefu texts`).
 * Version 5 (operator accounts, store/operators.c; docs/security.md "Operator accounts"):
 *   operators  gains name (display name), updated_ms, last_login_ms; triggers keep role
 *              to 'admin' or 'agent'.  pass_hash is an argon2id PHC string.
 *   operator_sessions  one console login: SHA-256 (hex) of the 256-bit session id (the
 *              id itself is only in the operator's cookie), the CSRF synchronizer token,
 *              client IP, created/last use (ms); deleted at logout, expiry or disable.
 *   api_tokens  bearer tokens for scripts: SHA-256 (hex) of the token, its operator, the
 *              role it acts with (never above the operator's), name, created, last used,
 *              revoked (ms, NULL while valid).
 *   login_attempts  consecutive failed logins per login name typed (whether or not
 *              such an operator exists, so lockout does not reveal accounts), keyed by
 *              the SHA-256 hex of the lowercased name: count, last failure, locked
 *              until (ms).  A success deletes the row.
 *   audit_log  who did what: time, operator id and login (copied, no foreign key: kept
 *              after the operator is deleted; NULL id and "cli:USER" for the command
 *              line), action, object, client IP, JSON of what changed.
 * Version 6 (the console's inbox, store/conversations.c; docs/console.md):
 *   sessions   gains lang (the language the bot last answered in, kept by the trigger
 *              messages_lang, backfilled), operator_id (the assignee during a
 *              take-over), resolved_ms (set by Resolve; a new customer message clears
 *              it: trigger messages_reopen); index on last_ms for the inbox order.
 *   notes      operators' private notes on a session (never in the customer's
 *              history: a table of their own, not a message kind).
 *   messages_fts  FTS5 index of the text of customers' and operators' messages (kinds
 *              0 and 2; external content, trigram tokenizer: substring search in any
 *              script, Chinese included), kept in sync by three triggers and
 *              backfilled by the step itself.  operator_id is not a foreign key (as in
 *              audit_log): operators are disabled, not deleted.
 * Version 7 (answers in the console, store/answer_versions.c):
 *   answers    gains followups (JSON array of answer ids offered as quick replies after
 *              it).
 *   answer_versions  one row per change of an answer (fields, examples, pictures):
 *              version 1, 2, ... per answer, action, who (operator id, login), a JSON
 *              snapshot of the answer after the change, created (ms).
 * Version 8 (the review queue, store/review.c; docs/learning.md):
 *   review_items     a customer question kefu could not answer well: the message, its
 *              session (both cascade: a purged session takes its items), the text, the
 *              reasons (mining.h enum mn_reason bits), what was answered, its cluster and
 *              state (open, added to an answer, made a new answer, dismissed).
 *   review_clusters  the current clustering of the open items: name (the most central
 *              question), key terms, the nearest existing answer and its probability.
 *              answer_id and the items' cluster_id are no foreign keys: rewritten by
 *              each re-clustering.
 *   review_cursors   how far kefud's review thread has read the log (messages,
 *              feedback, handoffs by id).
 * Version 9 (model versions, train/versions.c; docs/learning.md "Training and versions"):
 *   models     gains live (the version kefud answers with, one per kind: a partial unique
 *              index models_live), live_ms (when it last became live: rollback goes to
 *              the one live before), report (the training report, JSON) and run (the
 *              "nlu" version of the training that made a picture or fusion model).
 * Version 10 (reports and webhooks, store/reports.c, store/webhooks.c; docs/console.md "Reports"):
 *   report_hours, report_latency, report_answers  rollups of the message log per
 *              language and channel: messages by kind and fallbacks per UTC hour;
 *              thumbs up/down (in the reply's language) and ratings (all, 4-5 stars)
 *              per UTC hour; bot-reply latency counts per two-significant-digit bucket
 *              and bot replies and thumbs per answer per UTC day; kept by the triggers
 *              report_customer/_bot/_operator/_vote/_vote_changed/_rating and
 *              backfilled by the step.  They hold
 *              counts only (no text, no session): retention and forget leave them, as
 *              the aggregates they are.
 *   sessions   gains report_flags (1 a customer wrote, 2 asked for a person, 4 has a
 *              thumbs-down now; triggers report_conversation/_handoff/_thumbs*) and the
 *              covering index sessions_report (created_ms, lang, channel, flags).
 *              A covering index of hand-offs by request time.
 *   webhooks   an admin's endpoint: URL, comma-separated events, the signing secret
 *              sealed (AES-256-GCM) with the key file beside the database, enabled.
 *   webhook_deliveries  the outbox and delivery log: one row per event and webhook,
 *              written by triggers (webhook_handoff, _resolved, _thumbs_down,
 *              _thumbs_turned) in the transaction of the change; kefud's sender
 *              (daemon/webhooks.c) fills payload at the first attempt, then attempts,
 *              next_ms, last_status/last_error until delivered or failed.  Deleted
 *              with their session (the payload quotes the conversation).
 * Version 11 (answer extras, store/extras.c; docs/store.md):
 *   answer_variants  further bodies of an answer (a Rasa response's variations): the bot
 *              rotates the body and these, in position order.
 *   answer_buttons  quick-reply buttons an answer offers: the words on the button and
 *              target, the title of the answer it selects (a title, not an id: resolved
 *              when the bot loads, so an import can name answers it adds later).
 *   synonyms   a customer's word or phrase (lowercase) → the store's wording, applied to
 *              the customer's text before the bot reads it.
 * Version 12 (entities by voice, store/answer_expects.c; docs/speech.md "Grammars"):
 *   answers    gains expects ('none', 'number', 'code', 'date', 'amount'): the entity the
 *              answer asks the customer for; kefud decodes the next voice clip with a
 *              grammar for it.
 * Version 13 (the log index, store/log_index.c; docs/performance.md "The log insert"):
 *   log_index  one row: last_id, the newest message id whose words are in messages_fts
 *              and whose counts are in the report rollups.  Index passes (the store
 *              writer when idle or after enough turns; reports and search before they
 *              read) index the messages above it and move it, instead of the per-row
 *              triggers messages_fts_insert, report_customer/_bot/_operator, dropped.
 *              messages_fts_delete/_update touch the FTS index only at or below it.
 * Version 14 (log writes, store/writer.c; docs/performance.md "Text replies"):
 *   messages_lang  updates the session's lang only when the reply's differs (it
 *              rewrote the session row on every bot reply).
 * Version 15 (session state kept by the writer, store/log_session.c;
 * docs/performance.md "Issue 14, fourth pass"):
 *   messages_lang, messages_reopen, report_conversation  dropped: store_message_add
 *              does their work (the log writer only when it changes something).
 *              Whatever inserts into messages without store_message_add must do it
 *              too.
 * Version 16 (the log index in bounded pieces, store/writer.c; docs/performance.md
 * "Issue 14, eleventh session: the log index in pieces"):
 *   messages_fts  automerge 0, usermerge 16, crisismerge 64: a pass no longer merges
 *              segments; store_log_index_merge does, a bounded piece at a time.
 * Runs on the thread that opens the store.
 */
#include <stdio.h>

#include "store_int.h"

struct migration {
	const char *what;
	const char *sql;
};

/* The reports step's language of a bot reply m in session s: the reply's own, else the
 * session's. */
#define MSG_LANG \
	"coalesce(nullif(CASE WHEN json_valid(m.meta) THEN json_extract(m.meta, '$.lang') END," \
	" ''), s.lang)"
/* Adds sign x the vote ROW (NEW or OLD) of the feedback table to the hourly and the
 * per-answer rollups. */
#define VOTE_ADD(ROW, SIGN) \
	"  INSERT INTO report_hours (hour_ms, lang, channel, up, down)" \
	"   SELECT " ROW ".created_ms / 3600000 * 3600000, " MSG_LANG ", s.channel," \
	"    " SIGN " * (" ROW ".value = 1), " SIGN " * (" ROW ".value = -1)" \
	"   FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.id = " ROW ".message_id" \
	"  ON CONFLICT DO UPDATE SET up = up + excluded.up, down = down + excluded.down;" \
	"  INSERT INTO report_answers (day_ms, lang, channel, answer_id, n, up, down)" \
	"   SELECT " ROW ".created_ms / 86400000 * 86400000, " MSG_LANG ", s.channel," \
	"    m.answer_id, 0, " SIGN " * (" ROW ".value = 1), " SIGN " * (" ROW ".value = -1)" \
	"   FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.id = " ROW ".message_id" \
	"    AND coalesce(m.answer_id, 0) > 0" \
	"  ON CONFLICT DO UPDATE SET up = up + excluded.up, down = down + excluded.down;"

static const struct migration migrations[] = {
	{ "answers, examples, sessions, messages, models",
	  "CREATE TABLE answers ("
	  "  id INTEGER PRIMARY KEY,"
	  "  title TEXT NOT NULL UNIQUE,"
	  "  body TEXT NOT NULL,"
	  "  lang TEXT NOT NULL DEFAULT 'en',"
	  "  tags TEXT NOT NULL DEFAULT '',"
	  "  enabled INTEGER NOT NULL DEFAULT 1,"
	  "  created_ms INTEGER NOT NULL,"
	  "  updated_ms INTEGER NOT NULL);"
	  "CREATE TABLE examples ("
	  "  id INTEGER PRIMARY KEY,"
	  "  answer_id INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,"
	  "  text TEXT NOT NULL,"
	  "  created_ms INTEGER NOT NULL,"
	  "  UNIQUE(answer_id, text));"
	  "CREATE TABLE sessions ("
	  "  id INTEGER PRIMARY KEY,"
	  "  token TEXT NOT NULL UNIQUE,"
	  "  channel TEXT NOT NULL DEFAULT '',"
	  "  created_ms INTEGER NOT NULL,"
	  "  last_ms INTEGER NOT NULL,"
	  "  closed_ms INTEGER,"
	  "  state TEXT NOT NULL DEFAULT 'bot');"
	  "CREATE TABLE messages ("
	  "  id INTEGER PRIMARY KEY,"
	  "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	  "  kind INTEGER NOT NULL,"
	  "  client_id TEXT,"
	  "  text TEXT NOT NULL DEFAULT '',"
	  "  answer_id INTEGER,"
	  "  confidence REAL,"
	  "  latency_us INTEGER,"
	  "  meta TEXT,"
	  "  reply_to INTEGER,"
	  "  created_ms INTEGER NOT NULL);"
	  "CREATE INDEX messages_session ON messages(session_id, id);"
	  "CREATE UNIQUE INDEX messages_client ON messages(session_id, client_id)"
	  "  WHERE kind = 0 AND client_id IS NOT NULL;"
	  "CREATE INDEX messages_reply_to ON messages(reply_to) WHERE reply_to IS NOT NULL;"
	  "CREATE TABLE models ("
	  "  id INTEGER PRIMARY KEY,"
	  "  kind TEXT NOT NULL,"
	  "  version INTEGER NOT NULL,"
	  "  blob BLOB NOT NULL,"
	  "  metrics TEXT,"
	  "  data_hash TEXT,"
	  "  created_ms INTEGER NOT NULL,"
	  "  UNIQUE(kind, version));" },
	{ "operators",
	  "CREATE TABLE operators ("
	  "  id INTEGER PRIMARY KEY,"
	  "  login TEXT NOT NULL UNIQUE,"
	  "  pass_hash TEXT NOT NULL,"
	  "  role TEXT NOT NULL DEFAULT 'operator',"
	  "  disabled INTEGER NOT NULL DEFAULT 0,"
	  "  created_ms INTEGER NOT NULL);" },
	{ "attachments, feedback, ratings, handoffs, pictures",
	  "CREATE TABLE attachments ("
	  "  id INTEGER PRIMARY KEY,"
	  "  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	  "  kind TEXT NOT NULL,"
	  "  mime TEXT NOT NULL DEFAULT '',"
	  "  sha256 TEXT NOT NULL,"
	  "  data BLOB NOT NULL,"
	  "  unsafe INTEGER NOT NULL DEFAULT 0,"
	  "  meta TEXT,"
	  "  created_ms INTEGER NOT NULL);"
	  "CREATE INDEX attachments_message ON attachments(message_id);"
	  "CREATE TABLE feedback ("
	  "  id INTEGER PRIMARY KEY,"
	  "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	  "  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	  "  value INTEGER NOT NULL CHECK (value IN (-1, 1)),"
	  "  created_ms INTEGER NOT NULL,"
	  "  UNIQUE(message_id));"
	  "CREATE TABLE ratings ("
	  "  id INTEGER PRIMARY KEY,"
	  "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	  "  stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),"
	  "  comment TEXT NOT NULL DEFAULT '',"
	  "  created_ms INTEGER NOT NULL);"
	  "CREATE INDEX ratings_session ON ratings(session_id);"
	  "CREATE TABLE handoffs ("
	  "  id INTEGER PRIMARY KEY,"
	  "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	  "  reason TEXT NOT NULL DEFAULT '',"
	  "  operator_id INTEGER REFERENCES operators(id) ON DELETE SET NULL,"
	  "  requested_ms INTEGER NOT NULL,"
	  "  taken_ms INTEGER,"
	  "  closed_ms INTEGER);"
	  "CREATE INDEX handoffs_open ON handoffs(session_id) WHERE closed_ms IS NULL;"
	  "CREATE TABLE pictures ("
	  "  id INTEGER PRIMARY KEY,"
	  "  answer_id INTEGER REFERENCES answers(id) ON DELETE CASCADE,"
	  "  label TEXT NOT NULL DEFAULT '',"
	  "  source TEXT NOT NULL DEFAULT '',"
	  "  sha256 TEXT NOT NULL UNIQUE,"
	  "  data BLOB NOT NULL,"
	  "  embed_model TEXT,"
	  "  embedding BLOB,"
	  "  created_ms INTEGER NOT NULL);"
	  "CREATE INDEX pictures_answer ON pictures(answer_id);"
	  "CREATE INDEX pictures_label ON pictures(label);" },
	{ "texts",
	  "CREATE TABLE texts ("
	  "  key TEXT NOT NULL,"
	  "  lang TEXT NOT NULL,"
	  "  text TEXT NOT NULL,"
	  "  updated_ms INTEGER NOT NULL,"
	  "  PRIMARY KEY (key, lang));" },
	{ "operator accounts: profile and lockout columns, operator sessions, api tokens,"
	  " login attempts, audit log",
	  "ALTER TABLE operators ADD COLUMN name TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE operators ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE operators ADD COLUMN last_login_ms INTEGER;"
	  /* ALTER cannot add a CHECK: the triggers keep role to the two the code knows */
	  "CREATE TRIGGER operators_role_insert BEFORE INSERT ON operators"
	  "  WHEN NEW.role NOT IN ('admin', 'agent')"
	  "  BEGIN SELECT RAISE(ABORT, 'operator role must be admin or agent'); END;"
	  "CREATE TRIGGER operators_role_update BEFORE UPDATE OF role ON operators"
	  "  WHEN NEW.role NOT IN ('admin', 'agent')"
	  "  BEGIN SELECT RAISE(ABORT, 'operator role must be admin or agent'); END;"
	  "CREATE TABLE operator_sessions ("
	  "  id INTEGER PRIMARY KEY,"
	  "  id_hash TEXT NOT NULL UNIQUE,"
	  "  operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,"
	  "  csrf TEXT NOT NULL,"
	  "  ip TEXT NOT NULL DEFAULT '',"
	  "  created_ms INTEGER NOT NULL,"
	  "  last_ms INTEGER NOT NULL);"
	  "CREATE INDEX operator_sessions_operator ON operator_sessions(operator_id);"
	  "CREATE TABLE api_tokens ("
	  "  id INTEGER PRIMARY KEY,"
	  "  token_hash TEXT NOT NULL UNIQUE,"
	  "  operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,"
	  "  role TEXT NOT NULL CHECK (role IN ('admin', 'agent')),"
	  "  name TEXT NOT NULL DEFAULT '',"
	  "  created_ms INTEGER NOT NULL,"
	  "  last_used_ms INTEGER,"
	  "  revoked_ms INTEGER);"
	  "CREATE INDEX api_tokens_operator ON api_tokens(operator_id);"
	  "CREATE TABLE login_attempts ("
	  "  login_hash TEXT PRIMARY KEY,"
	  "  failures INTEGER NOT NULL,"
	  "  last_failed_ms INTEGER NOT NULL,"
	  "  locked_until_ms INTEGER NOT NULL DEFAULT 0);"
	  "CREATE TABLE audit_log ("
	  "  id INTEGER PRIMARY KEY,"
	  "  created_ms INTEGER NOT NULL,"
	  "  operator_id INTEGER,"
	  "  login TEXT NOT NULL DEFAULT '',"
	  "  action TEXT NOT NULL,"
	  "  object TEXT NOT NULL DEFAULT '',"
	  "  ip TEXT NOT NULL DEFAULT '',"
	  "  changes TEXT);"
	  "CREATE INDEX audit_log_time ON audit_log(created_ms);" },
	{ "console inbox: session language, assignee, resolution; private notes;"
	  " full-text index of messages (FTS5, trigram)",
	  "ALTER TABLE sessions ADD COLUMN lang TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE sessions ADD COLUMN operator_id INTEGER;"
	  "ALTER TABLE sessions ADD COLUMN resolved_ms INTEGER;"
	  "CREATE INDEX sessions_last ON sessions(last_ms);"
	  /* the language of a session: the one the bot last answered in */
	  "CREATE TRIGGER messages_lang AFTER INSERT ON messages"
	  "  WHEN NEW.kind = 1 AND json_valid(NEW.meta)"
	  "   AND coalesce(json_extract(NEW.meta, '$.lang'), '') <> ''"
	  "  BEGIN UPDATE sessions SET lang = json_extract(NEW.meta, '$.lang')"
	  "   WHERE id = NEW.session_id; END;"
	  /* a customer writing again re-opens a resolved conversation */
	  "CREATE TRIGGER messages_reopen AFTER INSERT ON messages"
	  "  WHEN NEW.kind = 0"
	  "  BEGIN UPDATE sessions SET resolved_ms = NULL"
	  "   WHERE id = NEW.session_id AND resolved_ms IS NOT NULL; END;"
	  "UPDATE sessions SET lang = coalesce((SELECT json_extract(m.meta, '$.lang')"
	  "  FROM messages m WHERE m.session_id = sessions.id AND m.kind = 1"
	  "   AND json_valid(m.meta) AND coalesce(json_extract(m.meta, '$.lang'), '') <> ''"
	  "  ORDER BY m.id DESC LIMIT 1), '');"
	  "CREATE TABLE notes ("
	  "  id INTEGER PRIMARY KEY,"
	  "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	  "  operator_id INTEGER,"
	  "  login TEXT NOT NULL DEFAULT '',"
	  "  name TEXT NOT NULL DEFAULT '',"
	  "  text TEXT NOT NULL,"
	  "  created_ms INTEGER NOT NULL);"
	  "CREATE INDEX notes_session ON notes(session_id, id);"
	  "CREATE VIRTUAL TABLE messages_fts USING fts5(text, content = 'messages',"
	  "  content_rowid = 'id', tokenize = 'trigram');"
	  /* only what people wrote (customers, operators): bot replies are copies of the
	   * answer store's texts, and indexing them would double the index work on the
	   * writer's commit path.  Never 'rebuild' this index: that would take every row. */
	  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages"
	  "  WHEN NEW.kind IN (0, 2) BEGIN"
	  "  INSERT INTO messages_fts (rowid, text) VALUES (NEW.id, NEW.text); END;"
	  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages"
	  "  WHEN OLD.kind IN (0, 2) BEGIN"
	  "  INSERT INTO messages_fts (messages_fts, rowid, text)"
	  "   VALUES ('delete', OLD.id, OLD.text); END;"
	  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages"
	  "  WHEN OLD.kind IN (0, 2) BEGIN"
	  "  INSERT INTO messages_fts (messages_fts, rowid, text)"
	  "   VALUES ('delete', OLD.id, OLD.text);"
	  "  INSERT INTO messages_fts (rowid, text) VALUES (NEW.id, NEW.text); END;"
	  "INSERT INTO messages_fts (rowid, text)"
	  "  SELECT id, text FROM messages WHERE kind IN (0, 2);" },
	{ "answer versions and follow-up quick replies",
	  /* followups: a JSON array of answer ids offered as quick replies after this
	   * answer.  answer_versions: one row per change of an answer, its examples or
	   * pictures, with a JSON snapshot of the whole answer after it (store/
	   * answer_versions.c); no foreign key, so the history outlives a deleted answer. */
	  "ALTER TABLE answers ADD COLUMN followups TEXT NOT NULL DEFAULT '[]';"
	  "CREATE TABLE answer_versions ("
	  "  id INTEGER PRIMARY KEY,"
	  "  answer_id INTEGER NOT NULL,"
	  "  version INTEGER NOT NULL,"
	  "  action TEXT NOT NULL,"
	  "  operator_id INTEGER,"
	  "  login TEXT NOT NULL DEFAULT '',"
	  "  snapshot TEXT NOT NULL,"
	  "  created_ms INTEGER NOT NULL,"
	  "  UNIQUE (answer_id, version));" },
	{ "review queue: review_items, review_clusters, review_cursors",
	  "CREATE TABLE review_items ("
	  "  id INTEGER PRIMARY KEY,"
	  "  message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,"
	  "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	  "  text TEXT NOT NULL,"
	  "  reasons INTEGER NOT NULL,"
	  "  answer_id INTEGER,"
	  "  confidence REAL,"
	  "  cluster_id INTEGER,"
	  "  state TEXT NOT NULL DEFAULT 'open'"
	  "   CHECK (state IN ('open', 'added', 'created', 'dismissed')),"
	  "  created_ms INTEGER NOT NULL,"
	  "  updated_ms INTEGER NOT NULL);"
	  "CREATE INDEX review_items_open ON review_items(state, cluster_id);"
	  "CREATE TABLE review_clusters ("
	  "  id INTEGER PRIMARY KEY,"
	  "  label TEXT NOT NULL,"
	  "  terms TEXT NOT NULL DEFAULT '',"
	  "  answer_id INTEGER,"
	  "  answer_p REAL,"
	  "  size INTEGER NOT NULL,"
	  "  updated_ms INTEGER NOT NULL);"
	  "CREATE TABLE review_cursors ("
	  "  name TEXT PRIMARY KEY,"
	  "  last_id INTEGER NOT NULL);" },
	{ "model versions: live or candidate, the training report, the training run",
	  /* live: the version kefud answers with (one per kind); live_ms: when it last
	   * became live (rollback goes to the one live before); run: the "nlu" version of
	   * the training that made a picture or fusion model, so they go live together */
	  "ALTER TABLE models ADD COLUMN live INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE models ADD COLUMN live_ms INTEGER;"
	  "ALTER TABLE models ADD COLUMN report TEXT;"
	  "ALTER TABLE models ADD COLUMN run INTEGER;"
	  /* until now the newest of each kind was the one in use */
	  "UPDATE models SET live = 1, live_ms = created_ms WHERE version ="
	  "  (SELECT MAX(version) FROM models m WHERE m.kind = models.kind);"
	  "CREATE UNIQUE INDEX models_live ON models(kind) WHERE live = 1;" },
	{ "reports: hourly rollups of the message log kept by triggers, period indexes;"
	  " webhooks and their delivery log (an outbox filled by triggers)",
	  /* conversation-level reports read sessions by creation time through one covering
	   * index: report_flags (kept by triggers) says 1 a customer wrote (a
	   * conversation), 2 someone asked for a person, 4 a reply has a thumbs-down now */
	  "ALTER TABLE sessions ADD COLUMN report_flags INTEGER NOT NULL DEFAULT 0;"
	  /* (SQLite's & | << share one precedence: every shift is in parentheses) */
	  "UPDATE sessions SET report_flags ="
	  "  EXISTS (SELECT 1 FROM messages m WHERE m.session_id = sessions.id AND m.kind = 0)"
	  "  | (EXISTS (SELECT 1 FROM handoffs h WHERE h.session_id = sessions.id) << 1)"
	  "  | (EXISTS (SELECT 1 FROM feedback f WHERE f.session_id = sessions.id"
	  "     AND f.value = -1) << 2);"
	  "CREATE INDEX sessions_report ON sessions(created_ms, lang, channel, report_flags);"
	  "CREATE TRIGGER report_conversation AFTER INSERT ON messages WHEN NEW.kind = 0 BEGIN"
	  "  UPDATE sessions SET report_flags = report_flags | 1"
	  "   WHERE id = NEW.session_id AND report_flags & 1 = 0; END;"
	  "CREATE TRIGGER report_handoff AFTER INSERT ON handoffs BEGIN"
	  "  UPDATE sessions SET report_flags = report_flags | 2"
	  "   WHERE id = NEW.session_id AND report_flags & 2 = 0; END;"
	  "CREATE TRIGGER report_thumbs AFTER INSERT ON feedback BEGIN"
	  "  UPDATE sessions SET report_flags = (report_flags & ~4) | (EXISTS (SELECT 1 FROM"
	  "   feedback f WHERE f.session_id = NEW.session_id AND f.value = -1) << 2)"
	  "   WHERE id = NEW.session_id; END;"
	  "CREATE TRIGGER report_thumbs_turned AFTER UPDATE OF value ON feedback BEGIN"
	  "  UPDATE sessions SET report_flags = (report_flags & ~4) | (EXISTS (SELECT 1 FROM"
	  "   feedback f WHERE f.session_id = NEW.session_id AND f.value = -1) << 2)"
	  "   WHERE id = NEW.session_id; END;"
	  /* hand-offs, ratings and feedback by time */
	  "CREATE INDEX handoffs_requested ON handoffs(requested_ms, session_id, taken_ms);"
	  /* message-level reports read rollups: messages per UTC hour, latency and answers
	   * per UTC day (an hour of latency buckets would be nearly as many rows as
	   * replies), each per language and channel */
	  "CREATE TABLE report_hours ("
	  "  hour_ms INTEGER NOT NULL,"
	  "  lang TEXT NOT NULL,"
	  "  channel TEXT NOT NULL,"
	  "  customer INTEGER NOT NULL DEFAULT 0,"
	  "  bot INTEGER NOT NULL DEFAULT 0,"
	  "  operator INTEGER NOT NULL DEFAULT 0,"
	  "  fallback INTEGER NOT NULL DEFAULT 0,"
	  "  up INTEGER NOT NULL DEFAULT 0,"
	  "  down INTEGER NOT NULL DEFAULT 0,"
	  "  ratings INTEGER NOT NULL DEFAULT 0,"
	  "  good INTEGER NOT NULL DEFAULT 0,"
	  "  PRIMARY KEY (hour_ms, lang, channel)) WITHOUT ROWID;"
	  "CREATE TABLE report_latency ("
	  "  day_ms INTEGER NOT NULL,"
	  "  lang TEXT NOT NULL,"
	  "  channel TEXT NOT NULL,"
	  "  bucket INTEGER NOT NULL,"
	  "  n INTEGER NOT NULL,"
	  "  PRIMARY KEY (day_ms, lang, channel, bucket)) WITHOUT ROWID;"
	  "CREATE TABLE report_answers ("
	  "  day_ms INTEGER NOT NULL,"
	  "  lang TEXT NOT NULL,"
	  "  channel TEXT NOT NULL,"
	  "  answer_id INTEGER NOT NULL,"
	  "  n INTEGER NOT NULL,"
	  "  up INTEGER NOT NULL DEFAULT 0,"
	  "  down INTEGER NOT NULL DEFAULT 0,"
	  "  PRIMARY KEY (day_ms, lang, channel, answer_id)) WITHOUT ROWID;"
	  /* A turn counts under the language kefu answered it in.  A customer message
	   * with no earlier bot reply in its session (the first turn: the session has no
	   * language yet) is counted with its bot reply, in the reply's language; every
	   * other one when it is logged, in the language of the last bot reply (or the
	   * session's).  Both triggers test the same "earlier bot reply" and the same
	   * state, which a turn's transaction does not change, so each counts once. */
	  "CREATE TRIGGER report_customer AFTER INSERT ON messages WHEN NEW.kind = 0"
	  "  AND ((SELECT state FROM sessions WHERE id = NEW.session_id) <> 'bot'"
	  "   OR EXISTS (SELECT 1 FROM messages p WHERE p.session_id = NEW.session_id"
	  "    AND p.kind = 1 AND p.id < NEW.id)) BEGIN"
	  "  INSERT INTO report_hours (hour_ms, lang, channel, customer)"
	  "   SELECT NEW.created_ms / 3600000 * 3600000, coalesce((SELECT"
	  "     json_extract(p.meta, '$.lang') FROM messages p WHERE p.session_id = NEW.session_id"
	  "     AND p.kind = 1 AND p.id < NEW.id AND json_valid(p.meta)"
	  "     ORDER BY p.id DESC LIMIT 1), s.lang), s.channel, 1"
	  "   FROM sessions s WHERE s.id = NEW.session_id"
	  "  ON CONFLICT DO UPDATE SET customer = customer + 1; END;"
	  "CREATE TRIGGER report_bot AFTER INSERT ON messages WHEN NEW.kind = 1 BEGIN"
	  "  INSERT INTO report_hours (hour_ms, lang, channel, customer, bot, fallback)"
	  "   SELECT NEW.created_ms / 3600000 * 3600000,"
	  "    coalesce(nullif(CASE WHEN json_valid(NEW.meta) THEN json_extract(NEW.meta, '$.lang')"
	  "     END, ''), s.lang), s.channel,"
	  "    NEW.reply_to IS NOT NULL AND s.state = 'bot' AND NOT EXISTS (SELECT 1 FROM messages p"
	  "     WHERE p.session_id = NEW.session_id AND p.kind = 1 AND p.id < NEW.id), 1,"
	  "    coalesce(CASE WHEN json_valid(NEW.meta) THEN json_extract(NEW.meta, '$.fallback') END,"
	  "     coalesce(NEW.answer_id, 0) = 0) <> 0"
	  "   FROM sessions s WHERE s.id = NEW.session_id"
	  "  ON CONFLICT DO UPDATE SET customer = customer + excluded.customer, bot = bot + 1,"
	  "   fallback = fallback + excluded.fallback;"
	  /* latency to two significant digits (12345 us -> 12000): at most 10 % low */
	  "  INSERT INTO report_latency (day_ms, lang, channel, bucket, n)"
	  "   SELECT NEW.created_ms / 86400000 * 86400000,"
	  "    coalesce(nullif(CASE WHEN json_valid(NEW.meta) THEN json_extract(NEW.meta, '$.lang')"
	  "     END, ''), s.lang), s.channel,"
	  "    CASE WHEN NEW.latency_us < 100 THEN NEW.latency_us ELSE CAST(substr(NEW.latency_us, 1, 2)"
	  "     || substr('000000000000', 1, length(NEW.latency_us) - 2) AS INTEGER) END, 1"
	  "   FROM sessions s WHERE s.id = NEW.session_id AND NEW.latency_us > 0"
	  "  ON CONFLICT DO UPDATE SET n = n + 1;"
	  "  INSERT INTO report_answers (day_ms, lang, channel, answer_id, n)"
	  "   SELECT NEW.created_ms / 86400000 * 86400000,"
	  "    coalesce(nullif(CASE WHEN json_valid(NEW.meta) THEN json_extract(NEW.meta, '$.lang')"
	  "     END, ''), s.lang), s.channel, NEW.answer_id, 1"
	  "   FROM sessions s WHERE s.id = NEW.session_id AND coalesce(NEW.answer_id, 0) > 0"
	  "  ON CONFLICT DO UPDATE SET n = n + 1; END;"
	  "CREATE TRIGGER report_operator AFTER INSERT ON messages WHEN NEW.kind = 2 BEGIN"
	  "  INSERT INTO report_hours (hour_ms, lang, channel, operator)"
	  "   SELECT NEW.created_ms / 3600000 * 3600000, s.lang, s.channel, 1"
	  "   FROM sessions s WHERE s.id = NEW.session_id"
	  "  ON CONFLICT DO UPDATE SET operator = operator + 1; END;"
	  /* votes count under the hour and day they were given, in the reply's language;
	   * a changed vote moves from the old value (and time) to the new */
	  "CREATE TRIGGER report_vote AFTER INSERT ON feedback BEGIN"
	  VOTE_ADD("NEW", "1")
	  " END;"
	  "CREATE TRIGGER report_vote_changed AFTER UPDATE OF value, created_ms ON feedback BEGIN"
	  VOTE_ADD("OLD", "-1")
	  VOTE_ADD("NEW", "1")
	  " END;"
	  "CREATE TRIGGER report_rating AFTER INSERT ON ratings BEGIN"
	  "  INSERT INTO report_hours (hour_ms, lang, channel, ratings, good)"
	  "   SELECT NEW.created_ms / 3600000 * 3600000, s.lang, s.channel, 1, NEW.stars >= 4"
	  "   FROM sessions s WHERE s.id = NEW.session_id"
	  "  ON CONFLICT DO UPDATE SET ratings = ratings + 1, good = good + excluded.good; END;"
	  /* the log so far, under each session's language */
	  "INSERT INTO report_hours (hour_ms, lang, channel, customer, bot, operator, fallback)"
	  "  SELECT m.created_ms / 3600000 * 3600000 AS h, s.lang, s.channel, sum(m.kind = 0),"
	  "   sum(m.kind = 1), sum(m.kind = 2), sum(m.kind = 1 AND coalesce(CASE WHEN"
	  "    json_valid(m.meta) THEN json_extract(m.meta, '$.fallback') END,"
	  "    coalesce(m.answer_id, 0) = 0) <> 0)"
	  "  FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.kind IN (0, 1, 2)"
	  "  GROUP BY h, s.lang, s.channel;"
	  "INSERT INTO report_latency (day_ms, lang, channel, bucket, n)"
	  "  SELECT m.created_ms / 86400000 * 86400000 AS h, s.lang, s.channel,"
	  "   CASE WHEN m.latency_us < 100 THEN m.latency_us ELSE CAST(substr(m.latency_us, 1, 2)"
	  "    || substr('000000000000', 1, length(m.latency_us) - 2) AS INTEGER) END AS b, count(*)"
	  "  FROM messages m JOIN sessions s ON s.id = m.session_id"
	  "  WHERE m.kind = 1 AND m.latency_us > 0 GROUP BY h, s.lang, s.channel, b;"
	  "INSERT INTO report_answers (day_ms, lang, channel, answer_id, n)"
	  "  SELECT m.created_ms / 86400000 * 86400000 AS h, s.lang, s.channel, m.answer_id, count(*)"
	  "  FROM messages m JOIN sessions s ON s.id = m.session_id"
	  "  WHERE m.kind = 1 AND coalesce(m.answer_id, 0) > 0 GROUP BY h, s.lang, s.channel,"
	  "   m.answer_id;"
	  "INSERT INTO report_hours (hour_ms, lang, channel, up, down)"
	  "  SELECT f.created_ms / 3600000 * 3600000 AS h, " MSG_LANG ", s.channel,"
	  "   sum(f.value = 1), sum(f.value = -1)"
	  "  FROM feedback f JOIN messages m ON m.id = f.message_id"
	  "  JOIN sessions s ON s.id = m.session_id WHERE true GROUP BY 1, 2, 3"
	  "  ON CONFLICT DO UPDATE SET up = up + excluded.up, down = down + excluded.down;"
	  "INSERT INTO report_answers (day_ms, lang, channel, answer_id, n, up, down)"
	  "  SELECT f.created_ms / 86400000 * 86400000, " MSG_LANG ", s.channel, m.answer_id, 0,"
	  "   sum(f.value = 1), sum(f.value = -1)"
	  "  FROM feedback f JOIN messages m ON m.id = f.message_id"
	  "  JOIN sessions s ON s.id = m.session_id WHERE coalesce(m.answer_id, 0) > 0"
	  "  GROUP BY 1, 2, 3, 4"
	  "  ON CONFLICT DO UPDATE SET up = up + excluded.up, down = down + excluded.down;"
	  "INSERT INTO report_hours (hour_ms, lang, channel, ratings, good)"
	  "  SELECT r.created_ms / 3600000 * 3600000, s.lang, s.channel, count(*),"
	  "   sum(r.stars >= 4) FROM ratings r JOIN sessions s ON s.id = r.session_id"
	  "  GROUP BY 1, 2, 3"
	  "  ON CONFLICT DO UPDATE SET ratings = ratings + excluded.ratings,"
	  "   good = good + excluded.good;"
	  /* webhooks: the secret sealed with kefud's key file (docs/security.md) */
	  "CREATE TABLE webhooks ("
	  "  id INTEGER PRIMARY KEY,"
	  "  url TEXT NOT NULL,"
	  "  events TEXT NOT NULL,"
	  "  secret_sealed BLOB NOT NULL,"
	  "  enabled INTEGER NOT NULL DEFAULT 1,"
	  "  created_ms INTEGER NOT NULL,"
	  "  created_by TEXT NOT NULL DEFAULT '');"
	  "CREATE TABLE webhook_deliveries ("
	  "  id INTEGER PRIMARY KEY,"
	  "  webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,"
	  "  msg_id TEXT NOT NULL UNIQUE,"
	  "  event TEXT NOT NULL,"
	  "  session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,"
	  "  ref_id INTEGER,"
	  "  payload TEXT,"
	  "  state TEXT NOT NULL DEFAULT 'pending'"
	  "   CHECK (state IN ('pending', 'delivered', 'failed')),"
	  "  attempts INTEGER NOT NULL DEFAULT 0,"
	  "  next_ms INTEGER NOT NULL,"
	  "  last_status INTEGER,"
	  "  last_error TEXT NOT NULL DEFAULT '',"
	  "  created_ms INTEGER NOT NULL,"
	  "  delivered_ms INTEGER);"
	  "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_ms)"
	  "  WHERE state = 'pending';"
	  "CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);"
	  "CREATE INDEX webhook_deliveries_session ON webhook_deliveries(session_id);"
	  /* the outbox: one delivery per subscribed, enabled webhook, written in the same
	   * transaction as the change it reports, so none is lost or invented */
	  "CREATE TRIGGER webhook_handoff AFTER INSERT ON handoffs BEGIN"
	  "  INSERT INTO webhook_deliveries (webhook_id, msg_id, event, session_id, ref_id,"
	  "   next_ms, created_ms) SELECT w.id, 'msg_' || lower(hex(randomblob(16))),"
	  "   'handoff.requested', NEW.session_id, NEW.id, NEW.requested_ms, NEW.requested_ms"
	  "  FROM webhooks w WHERE w.enabled"
	  "   AND instr(',' || w.events || ',', ',handoff.requested,') > 0; END;"
	  "CREATE TRIGGER webhook_resolved AFTER UPDATE OF resolved_ms ON sessions"
	  "  WHEN OLD.resolved_ms IS NULL AND NEW.resolved_ms IS NOT NULL BEGIN"
	  "  INSERT INTO webhook_deliveries (webhook_id, msg_id, event, session_id, ref_id,"
	  "   next_ms, created_ms) SELECT w.id, 'msg_' || lower(hex(randomblob(16))),"
	  "   'conversation.resolved', NEW.id, NULL, NEW.resolved_ms, NEW.resolved_ms"
	  "  FROM webhooks w WHERE w.enabled"
	  "   AND instr(',' || w.events || ',', ',conversation.resolved,') > 0; END;"
	  "CREATE TRIGGER webhook_thumbs_down AFTER INSERT ON feedback WHEN NEW.value = -1 BEGIN"
	  "  INSERT INTO webhook_deliveries (webhook_id, msg_id, event, session_id, ref_id,"
	  "   next_ms, created_ms) SELECT w.id, 'msg_' || lower(hex(randomblob(16))),"
	  "   'feedback.negative', NEW.session_id, NEW.message_id, NEW.created_ms, NEW.created_ms"
	  "  FROM webhooks w WHERE w.enabled"
	  "   AND instr(',' || w.events || ',', ',feedback.negative,') > 0; END;"
	  "CREATE TRIGGER webhook_thumbs_turned AFTER UPDATE OF value ON feedback"
	  "  WHEN NEW.value = -1 AND OLD.value <> -1 BEGIN"
	  "  INSERT INTO webhook_deliveries (webhook_id, msg_id, event, session_id, ref_id,"
	  "   next_ms, created_ms) SELECT w.id, 'msg_' || lower(hex(randomblob(16))),"
	  "   'feedback.negative', NEW.session_id, NEW.message_id, NEW.created_ms, NEW.created_ms"
	  "  FROM webhooks w WHERE w.enabled"
	  "   AND instr(',' || w.events || ',', ',feedback.negative,') > 0; END;" },
	{ "answer variants and buttons, synonyms (what a Rasa response says besides its"
	  " first text)",
	  "CREATE TABLE answer_variants ("
	  "  answer_id INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,"
	  "  position INTEGER NOT NULL,"
	  "  body TEXT NOT NULL,"
	  "  PRIMARY KEY (answer_id, position));"
	  "CREATE TABLE answer_buttons ("
	  "  answer_id INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,"
	  "  position INTEGER NOT NULL,"
	  "  title TEXT NOT NULL,"
	  "  target TEXT NOT NULL,"
	  "  PRIMARY KEY (answer_id, position));"
	  "CREATE TABLE synonyms ("
	  "  word TEXT NOT NULL PRIMARY KEY,"
	  "  canonical TEXT NOT NULL);" },
	{ "answers that expect an entity (the customer's next voice clip is decoded with a"
	  " grammar for it)",
	  "ALTER TABLE answers ADD COLUMN expects TEXT NOT NULL DEFAULT 'none'"
	  "  CHECK (expects IN ('none', 'number', 'code', 'date', 'amount'));" },
	{ "log index: the full-text index and the report rollups of messages kept by index"
	  " passes from a watermark, off the log writer's per-turn path",
	  /* store/log_index.c: messages with id > last_id are not indexed yet.  Everything
	   * so far was, by the triggers this step drops. */
	  "CREATE TABLE log_index ("
	  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
	  "  last_id INTEGER NOT NULL);"
	  "INSERT INTO log_index (id, last_id) SELECT 1, coalesce(max(id), 0) FROM messages;"
	  /* a pass writes one segment; merging 16 of a level at a time instead of 4 costs
	   * passes of 4096 messages 9.4 instead of 25.8 us a message on a million-message
	   * log (docs/performance.md), for a few more segments read by a search */
	  "INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 16);"
	  "DROP TRIGGER messages_fts_insert;"
	  "DROP TRIGGER report_customer;"
	  "DROP TRIGGER report_bot;"
	  "DROP TRIGGER report_operator;"
	  /* only what a pass indexed is in the FTS index (FTS5 must not be told to delete a
	   * row it does not hold); deleting the newest messages lowers the watermark, so
	   * their ids, handed out again, are indexed when reused */
	  "DROP TRIGGER messages_fts_delete;"
	  "DROP TRIGGER messages_fts_update;"
	  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
	  "  INSERT INTO messages_fts (messages_fts, rowid, text)"
	  "   SELECT 'delete', OLD.id, OLD.text WHERE OLD.kind IN (0, 2)"
	  "    AND OLD.id <= (SELECT last_id FROM log_index);"
	  "  UPDATE log_index SET last_id = (SELECT coalesce(max(id), 0) FROM messages)"
	  "   WHERE last_id >= OLD.id AND last_id > (SELECT coalesce(max(id), 0) FROM messages);"
	  " END;"
	  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages"
	  "  WHEN OLD.kind IN (0, 2) AND OLD.id <= (SELECT last_id FROM log_index) BEGIN"
	  "  INSERT INTO messages_fts (messages_fts, rowid, text)"
	  "   VALUES ('delete', OLD.id, OLD.text);"
	  "  INSERT INTO messages_fts (rowid, text) VALUES (NEW.id, NEW.text); END;" },
	{ "log writes: a bot reply rewrites its session's row only when its language changed",
	  /* messages_lang rewrote the session row on every reply, though the language
	   * nearly never changes: 4 of the writer's ~40 us a turn (docs/performance.md) */
	  "DROP TRIGGER messages_lang;"
	  "CREATE TRIGGER messages_lang AFTER INSERT ON messages"
	  "  WHEN NEW.kind = 1 AND json_valid(NEW.meta)"
	  "   AND coalesce(json_extract(NEW.meta, '$.lang'), '') <> ''"
	  "  BEGIN UPDATE sessions SET lang = json_extract(NEW.meta, '$.lang')"
	  "   WHERE id = NEW.session_id AND lang <> json_extract(NEW.meta, '$.lang'); END;" },
	{ "log writes: session state kept by the writer (a message's language, re-open and"
	  " conversation flag set by store_message_add, not by a trigger per row)",
	  /* the three triggers cost 6.7 of a turn's ~44 us in bench/ws/log_cost.py: a
	   * trigger program and a session look-up per row, three JSON parses per reply;
	   * store/log_session.c does the same with the session's state kept in memory */
	  "DROP TRIGGER messages_lang;"
	  "DROP TRIGGER messages_reopen;"
	  "DROP TRIGGER report_conversation;" },
	{ "log index: FTS5 merges its segments only when told, a bounded piece at a time",
	  /* with automerge 16 and FTS5's crisismerge 16 every 16th pass merged a whole level
	   * inside itself (16 passes' words, the next level 256 passes'): the passes of
	   * 30-92 ms that held the log writer at 20,000 replies/s.  Now a pass writes its
	   * segment and nothing else; the writer merges levels of 16 (usermerge) in pieces
	   * of a few dozen pages (store_log_index_merge); a level reaching 64 segments still
	   * merges at once (crisismerge: the index stays readable if nothing merges) */
	  "INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0);"
	  "INSERT INTO messages_fts (messages_fts, rank) VALUES ('usermerge', 16);"
	  "INSERT INTO messages_fts (messages_fts, rank) VALUES ('crisismerge', 64);" },
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof *migrations))

int store_schema_latest(void)
{
	return N_MIGRATIONS;
}

static int read_version(struct store *st, int *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return store_fail(st, "reading user_version");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "reading user_version");
}

static int apply(struct store *st, int to)
{
	char sql[64];
	int v, rc;

	if (store_exec(st, "BEGIN IMMEDIATE"))
		return store_fail(st, "starting a migration");
	/* another process may have migrated while we waited for the write lock */
	if ((rc = read_version(st, &v)))
		goto fail;
	if (v >= to) {
		store_exec(st, "COMMIT");
		return 0;
	}
	if (store_exec(st, migrations[to - 1].sql)) {
		char ctx[160];
		snprintf(ctx, sizeof ctx, "migration %d (%s)", to, migrations[to - 1].what);
		rc = store_fail(st, ctx);
		goto fail;
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", to);
	if (store_exec(st, sql) || store_exec(st, "COMMIT")) {
		rc = store_fail(st, "committing a migration");
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int store_migrate_to(struct store *st, int last)
{
	int v, rc;

	if ((rc = read_version(st, &v)))
		return rc;
	if (v > N_MIGRATIONS) {
		snprintf(st->err, sizeof st->err,
			 "database schema version %d is newer than this build knows (%d): it was "
			 "written by a newer kefu; run that version, or restore a backup made "
			 "before the upgrade", v, N_MIGRATIONS);
		return -SQLITE_ERROR;
	}
	if (last > N_MIGRATIONS)
		last = N_MIGRATIONS;
	for (int to = v + 1; to <= last; to++)
		if ((rc = apply(st, to)))
			return rc;
	return 0;
}

int store_migrate(struct store *st)
{
	return store_migrate_to(st, N_MIGRATIONS);
}
