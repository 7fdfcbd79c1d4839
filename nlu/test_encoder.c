/* nlu/test_encoder.c — unit tests of the trained text encoder: feature hashing, dataset
 * readers (CSV with quoted newlines, Rasa NLU YAML), model file round trip and refusal
 * of corrupted files, calibration monotonicity and the OOS rule, GloVe .kfv lookups, the
 * MLP, the linear half's class weights, and a small train -> predict sanity check (with a
 * typo).  Deterministic, quick. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glove.h"
#include "model.h"
#include "nlu.h"
#include "spell.h"
#include "tensor.h"
#include "text.h"
#include "zhseg.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static const struct nlu_feat_cfg CFG = { .bits = 16, .char_min = 1, .char_max = 5,
					 .word_bigrams = 1 };

static float dot_sparse(const struct nlu_sparse *a, const struct nlu_sparse *b)
{
	float s = 0;
	for (uint32_t i = 0; i < a->nnz; i++)
		for (uint32_t j = 0; j < b->nnz; j++)
			if (a->idx[i] == b->idx[j])
				s += a->val[i] * b->val[j];
	return s;
}

static void test_features(void)
{
	struct nlu_fx *fx = nlu_fx_create();
	struct nlu_feat f = { .cfg = CFG, .dim = 1u << CFG.bits };
	struct nlu_sparse a, b, c;
	const uint64_t *keys;

	nlu_sparse_alloc(&a, NLU_FEAT_MAX);
	nlu_sparse_alloc(&b, NLU_FEAT_MAX);
	nlu_sparse_alloc(&c, NLU_FEAT_MAX);
	/* "card": word block = 1 token; char block = " card " n-grams 1..5:
	 * 6 + 5 + 4 + 3 + 2 = 20 */
	int nk = nlu_feat_keys(&CFG, fx, "card", 4, &keys);
	int words = 0, chars = 0;
	for (int i = 0; i < nk; i++) {
		if (keys[i] >> 32)
			chars++;
		else
			words++;
		CHECK((uint32_t)keys[i] < f.dim, "bucket out of range");
		CHECK(i == 0 || keys[i - 1] <= keys[i], "keys are sorted");
	}
	CHECK(words == 1 && chars == 20, "card: %d word and %d char keys", words, chars);
	/* two words: 2 unigrams + 1 bigram */
	nk = nlu_feat_keys(&CFG, fx, "lost card", 9, &keys);
	words = 0;
	for (int i = 0; i < nk; i++)
		words += !(keys[i] >> 32);
	CHECK(words == 3, "lost card: %d word keys, want 3", words);
	/* deterministic, case-insensitive (normalisation), blocks have unit norm */
	int na = nlu_feat_vector(&f, fx, "I lost my card", 14, &a);
	int nb = nlu_feat_vector(&f, fx, "i LOST my Card", 14, &b);
	CHECK(na > 0 && na == nb, "same features after case folding (%d vs %d)", na, nb);
	for (int i = 0; i < na && na == nb; i++)
		CHECK(a.idx[i] == b.idx[i] && fabsf(a.val[i] - b.val[i]) < 1e-6f, "feature %d differs", i);
	float n0 = 0, n1 = 0;
	nk = nlu_feat_keys(&CFG, fx, "I lost my card", 14, &keys);
	for (int i = 0; i < na; i++)
		*(i < 4 ? &n0 : &n1) += a.val[i] * a.val[i];
	CHECK(fabsf(n0 + n1 - 2.0f) < 1e-4f, "two unit-norm blocks: total squared norm %g", n0 + n1);
	/* spelling tolerance: the typo shares char n-grams with the right spelling */
	nlu_feat_vector(&f, fx, "refund my money", 15, &a);
	nlu_feat_vector(&f, fx, "refnd my monye", 14, &b);
	nlu_feat_vector(&f, fx, "where is the cash machine", 25, &c);
	float near = dot_sparse(&a, &b), far = dot_sparse(&a, &c);
	CHECK(near > 0.4f && near > 2 * far, "typo similarity %g vs unrelated %g", near, far);
	/* CJK: characters and bigrams give features; empty text gives none */
	CHECK(nlu_feat_vector(&f, fx, "我的卡丢了", strlen("我的卡丢了"), &a) > 0, "CJK features");
	/* a CJK run's char n-grams with its edges (" 我", "了 ") are block 1, format 2 only */
	struct nlu_feat_cfg cjk = CFG;
	cjk.cjk_max = 2;
	int k1 = nlu_feat_keys(&CFG, fx, "我的卡丢了", strlen("我的卡丢了"), &keys);
	int k2 = nlu_feat_keys(&cjk, fx, "我的卡丢了", strlen("我的卡丢了"), &keys);
	words = 0;
	for (int i = 0; i < k2; i++)
		words += (int)(keys[i] >> 32);
	CHECK(k1 == 9 && k2 == 9 + 13 && words == 13, "CJK keys %d / %d, block 1: %d", k1, k2,
	      words);
	CHECK(nlu_feat_vector(&f, fx, "  !? ", 5, &a) == 0, "no features in punctuation");
	/* idf: a word in every text weighs less than a rare one */
	char *texts[] = { "card lost", "card stolen", "card blocked", "pin forgotten" };
	CHECK(nlu_feat_fit_idf(&f, fx, texts, 4) == 0, "fit idf");
	nk = nlu_feat_keys(&CFG, fx, "card", 4, &keys);
	uint32_t card = (uint32_t)keys[0];
	nk = nlu_feat_keys(&CFG, fx, "pin", 3, &keys);
	CHECK(f.idf[card] < f.idf[(uint32_t)keys[0]], "idf(card) %g < idf(pin) %g", f.idf[card],
	      f.idf[(uint32_t)keys[0]]);
	nlu_feat_free(&f);
	nlu_sparse_free(&a);
	nlu_sparse_free(&b);
	nlu_sparse_free(&c);
	nlu_fx_destroy(fx);
}

static void test_datasets(void)
{
	struct nlu_dataset d;
	char err[256];
	const char *csv = "text,category\n\"my card,\nit is lost\",lost_card\nhello,greet\n"
			  "\"say \"\"hi\"\"\",greet\n";
	nlu_dataset_init(&d);
	CHECK(nlu_dataset_parse_csv(csv, strlen(csv), &d, err, sizeof err) == 0, "csv: %s", err);
	CHECK(d.n == 3 && d.n_labels == 2, "csv: %zu rows %zu labels", d.n, d.n_labels);
	CHECK(d.n == 3 && !strcmp(d.texts[0], "my card,\nit is lost"), "quoted newline kept");
	CHECK(d.n == 3 && !strcmp(d.texts[2], "say \"hi\"") && d.labels[2] == d.labels[1],
	      "escaped quotes");
	nlu_dataset_free(&d);
	const char *bad = "text,category\nfine,a\n\"open quote,b\n";
	CHECK(nlu_dataset_parse_csv(bad, strlen(bad), &d, err, sizeof err) < 0 && strstr(err, "line"),
	      "unterminated quote reported with its line: %s", err);
	nlu_dataset_free(&d);
	const char *nohdr = "question\nhi\n";
	CHECK(nlu_dataset_parse_csv(nohdr, strlen(nohdr), &d, err, sizeof err) < 0,
	      "csv without a category column refused");
	nlu_dataset_free(&d);

	const char *yaml =
		"version: \"3.1\"\n"
		"# a comment\n"
		"nlu:\n"
		"- intent: greet\n"
		"  examples: |\n"
		"    - hey\n"
		"    - hello there\n"
		"- intent: \"check_balance\"\n"
		"  examples: |\n"
		"    - what is my balance on [checking](account)\n"
		"    - how much is in my [savings]{\"entity\": \"account\"} account\n"
		"- synonym: savings\n"
		"  examples: |\n"
		"    - pink pig\n"
		"- regex: account_number\n"
		"  examples: |\n"
		"    - \\d{10,12}\n"
		"responses:\n"
		"  utter_greet:\n"
		"  - text: \"Hi!\"\n";
	CHECK(nlu_dataset_parse_rasa(yaml, strlen(yaml), &d, err, sizeof err) == 0, "rasa: %s", err);
	CHECK(d.n == 4 && d.n_labels == 2, "rasa: %zu examples, %zu intents", d.n, d.n_labels);
	if (d.n == 4) {
		CHECK(!strcmp(d.texts[1], "hello there"), "rasa text: %s", d.texts[1]);
		CHECK(!strcmp(d.texts[2], "what is my balance on checking"), "entity markup: %s",
		      d.texts[2]);
		CHECK(!strcmp(d.texts[3], "how much is in my savings account"), "entity json: %s",
		      d.texts[3]);
		CHECK(!strcmp(d.names[d.labels[2]], "check_balance"), "quoted intent name");
	}
	nlu_dataset_free(&d);
	const char *empty = "version: \"3.1\"\nnlu:\n- synonym: x\n  examples: |\n    - y\n";
	CHECK(nlu_dataset_parse_rasa(empty, strlen(empty), &d, err, sizeof err) < 0,
	      "rasa without intents refused");
	nlu_dataset_free(&d);
}

/* Rasa `responses:` (kefu import --domain): plain, quoted and block texts, the block ends
 * at the next key of its item, other keys skipped, names kept in file order. */
static void test_rasa_responses(void)
{
	struct nlu_dataset d;
	char err[256];
	const char *yaml =
		"version: \"3.1\"\n"
		"intents:\n"
		"  - greet\n"
		"responses:\n"
		"  utter_greet:\n"
		"  - text: \"Hello! \\\"Hi\\\"\"\n"
		"  - text: Hey there\n"
		"  utter_lost_card:\n"
		"  - text: |\n"
		"      Freeze your card.\n"
		"\n"
		"      - open the app\n"
		"        - tap Cards\n"
		"    buttons:\n"
		"    - title: \"Freeze\"\n"
		"      payload: \"/freeze\"\n"
		"  utter_folded:\n"
		"    - text: >\n"
		"        one\n"
		"        two\n"
		"    - image: \"https://example.com/x.png\"\n"
		"  utter_\xe9\x80\x80\xe6\xac\xbe:\n"
		"  - text: \xe9\x80\x80\xe6\xac\xbe\n"
		"session_config:\n"
		"  session_expiration_time: 60\n";
	nlu_dataset_init(&d);
	CHECK(nlu_dataset_parse_responses(yaml, strlen(yaml), &d, err, sizeof err) == 0,
	      "responses: %s", err);
	CHECK(d.n == 5 && d.n_labels == 4, "responses: %zu texts, %zu names", d.n, d.n_labels);
	if (d.n == 5) {
		CHECK(!strcmp(d.texts[0], "Hello! \"Hi\""), "quoted text: %s", d.texts[0]);
		CHECK(!strcmp(d.texts[1], "Hey there"), "plain text: %s", d.texts[1]);
		CHECK(!strcmp(d.texts[2], "Freeze your card.\n\n- open the app\n  - tap Cards"),
		      "literal block keeps lines and nested indentation, stops at buttons: [%s]",
		      d.texts[2]);
		CHECK(!strcmp(d.texts[3], "one two"), "folded block: [%s]", d.texts[3]);
		CHECK(!strcmp(d.names[d.labels[4]], "utter_\xe9\x80\x80\xe6\xac\xbe"),
		      "CJK response name");
	}
	nlu_dataset_free(&d);
	const char *bad = "responses:\n  utter_x:\n  - text: \"\xff\xfe\"\n";
	nlu_dataset_init(&d);
	CHECK(nlu_dataset_parse_responses(bad, strlen(bad), &d, err, sizeof err) < 0 &&
	      strstr(err, "line 3"), "invalid UTF-8 refused with its line: %s", err);
	nlu_dataset_free(&d);
	const char *none = "version: \"3.1\"\nintents:\n  - greet\n";
	nlu_dataset_init(&d);
	CHECK(nlu_dataset_parse_responses(none, strlen(none), &d, err, sizeof err) == 0 && d.n == 0,
	      "a file without responses gives none");
	nlu_dataset_free(&d);
}

/* A tiny banking set: 4 intents. */
static const char *train_rows[][2] = {
	{ "I want a refund", "refund" }, { "refund my money please", "refund" },
	{ "can I get my money back", "refund" }, { "how do I get a refund for this", "refund" },
	{ "return the money to me", "refund" }, { "I need a refund now", "refund" },
	{ "my card was stolen", "lost_card" }, { "I lost my card", "lost_card" },
	{ "someone took my card", "lost_card" }, { "I can't find my card anywhere", "lost_card" },
	{ "block my lost card", "lost_card" }, { "my card is missing", "lost_card" },
	{ "what is the exchange rate", "exchange_rate" }, { "euro to dollar rate", "exchange_rate" },
	{ "how much is a pound in dollars", "exchange_rate" }, { "current exchange rates", "exchange_rate" },
	{ "rate for converting currency", "exchange_rate" }, { "exchange rate today", "exchange_rate" },
	{ "change my pin", "pin" }, { "I forgot my pin", "pin" }, { "reset my pin code", "pin" },
	{ "how do I set a new pin", "pin" }, { "my pin is blocked", "pin" }, { "unblock pin", "pin" },
	{ "tell me a joke", "oos" }, { "what's the weather tomorrow", "oos" },
	{ "play some music", "oos" }, { "who won the football game", "oos" },
};

static void make_train(struct nlu_dataset *d, int with_oos)
{
	nlu_dataset_init(d);
	for (int r = 0; r < 3; r++)          /* three copies so a calibration split exists */
		for (size_t i = 0; i < sizeof train_rows / sizeof *train_rows; i++)
			if (with_oos || strcmp(train_rows[i][1], "oos"))
				nlu_dataset_add(d, train_rows[i][0], train_rows[i][1]);
}

static const char *predict(const struct nlu_enc *e, struct nlu_enc_scratch *s, const char *t,
			   struct nlu_enc_pred *p)
{
	nlu_enc_predict(e, s, t, strlen(t), p, NULL);
	return p->refuse ? "(refused)" : e->labels[p->cls];
}

static void test_train_predict_and_files(void)
{
	struct nlu_dataset d;
	struct nlu_enc_opts o;
	struct nlu_enc_pred p, q;
	char err[256];

	make_train(&d, 0);
	nlu_enc_opts_default(&o);
	o.feat.bits = 14;
	o.lin.threads = 1;
	struct nlu_enc *e = nlu_enc_train(&d, NULL, NULL, &o, err, sizeof err);
	CHECK(e != NULL, "train: %s", err);
	if (!e) {
		nlu_dataset_free(&d);
		return;
	}
	struct nlu_enc_scratch *s = nlu_enc_scratch_create(e);
	const char *cases[][2] = {
		{ "please refund me", "refund" }, { "refnd my monye", "refund" },
		{ "I have lost my card", "lost_card" }, { "dollar exchange rate", "exchange_rate" },
		{ "forgot the pin code", "pin" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		nlu_enc_predict(e, s, cases[i][0], strlen(cases[i][0]), &p, NULL);
		CHECK(!strcmp(e->labels[p.cls], cases[i][1]), "'%s' -> %s, want %s", cases[i][0],
		      e->labels[p.cls], cases[i][1]);
		CHECK(p.conf > 0 && p.conf <= 1 && p.second <= p.conf, "confidences ordered");
	}
	CHECK(nlu_enc_predict(e, s, "?!", 2, &p, NULL) == -1 && p.refuse, "no features: refused");

	/* save / load round trip: same answers, confidence within float16 rounding */
	void *blob;
	size_t len;
	CHECK(nlu_enc_save(e, &blob, &len) == 0, "save");
	struct nlu_enc *l = nlu_enc_load(blob, len, NULL, err, sizeof err);
	CHECK(l != NULL, "load: %s", err);
	if (l) {
		struct nlu_enc_scratch *ls = nlu_enc_scratch_create(l);
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			nlu_enc_predict(e, s, cases[i][0], strlen(cases[i][0]), &p, NULL);
			nlu_enc_predict(l, ls, cases[i][0], strlen(cases[i][0]), &q, NULL);
			CHECK(p.cls == q.cls && fabsf(p.conf - q.conf) < 2e-3f,
			      "round trip: %d/%g vs %d/%g", p.cls, p.conf, q.cls, q.conf);
		}
		CHECK(l->temperature == e->temperature && l->n_cls == e->n_cls, "calibration kept");
		nlu_enc_scratch_destroy(ls);
		nlu_enc_destroy(l);
	}
	/* refused files, each with a clear message */
	unsigned char *bad = malloc(len);
	memcpy(bad, blob, len);
	bad[0] = 'X';
	CHECK(!nlu_enc_load(bad, len, NULL, err, sizeof err) && strstr(err, "magic"), "magic: %s", err);
	memcpy(bad, blob, len);
	bad[8] = 99;
	CHECK(!nlu_enc_load(bad, len, NULL, err, sizeof err) && strstr(err, "version"), "version: %s", err);
	bad[8] = 1;            /* a format-1 file still loads, with format 1's features */
	l = nlu_enc_load(bad, len, NULL, err, sizeof err);
	CHECK(l && l->feat.cfg.cjk_max == 0 && e->feat.cfg.cjk_max > 0, "format 1: %s",
	      l ? "cjk n-grams kept" : err);
	nlu_enc_destroy(l);
	CHECK(!nlu_enc_load(blob, len - 100, NULL, err, sizeof err) && strstr(err, "truncated"),
	      "truncated: %s", err);
	CHECK(!nlu_enc_load(blob, 20, NULL, err, sizeof err), "tiny file refused");
	memcpy(bad, blob, len);
	bad[len - 7] ^= 0x40;
	CHECK(!nlu_enc_load(bad, len, NULL, err, sizeof err) && strstr(err, "checksum"), "checksum: %s", err);
	memcpy(bad, blob, len);
	memcpy(bad + 4, "VEC ", 4);
	CHECK(!nlu_enc_load(bad, len, NULL, err, sizeof err) && strstr(err, "expected"), "kind: %s", err);
	free(bad);
	free(blob);
	nlu_enc_scratch_destroy(s);
	nlu_enc_destroy(e);
	nlu_dataset_free(&d);

	/* with out-of-scope examples: learnt as a class, refused */
	make_train(&d, 1);
	e = nlu_enc_train(&d, "oos", NULL, &o, err, sizeof err);
	CHECK(e && e->oos_class >= 0, "train with oos: %s", err);
	if (e) {
		s = nlu_enc_scratch_create(e);
		CHECK(!strcmp(predict(e, s, "play music for me", &p), "(refused)"), "music refused");
		CHECK(!strcmp(predict(e, s, "I want a refund", &p), "refund"), "refund still answered");
		nlu_enc_scratch_destroy(s);
		nlu_enc_destroy(e);
	}
	/* calibrated on an inner cross-validation (every example scored by a fit on the
	 * other fold), β by right answers: the OOS rule is fitted on the pooled rows */
	{
		struct nlu_enc_opts oc = o;
		struct nlu_dataset big;   /* enough copies for a calibration (≥ 200 examples) */
		nlu_dataset_init(&big);
		while (big.n < 200)
			for (size_t i = 0; i < sizeof train_rows / sizeof *train_rows; i++)
				nlu_dataset_add(&big, train_rows[i][0], train_rows[i][1]);
		oc.cal_folds = 2;
		oc.weight_by_acc = 1;
		e = nlu_enc_train(&big, "oos", NULL, &oc, err, sizeof err);
		nlu_dataset_free(&big);
		CHECK(e && e->tuned && e->beta >= 0 && e->beta <= 1 && e->temperature > 0,
		      "inner cross-validation: tuned %d, β %g, T %g (%s)", e ? e->tuned : -1,
		      e ? e->beta : -1, e ? e->temperature : -1, e ? "" : err);
		if (e) {
			s = nlu_enc_scratch_create(e);
			CHECK(!strcmp(predict(e, s, "play music for me", &p), "(refused)"),
			      "inner CV: music refused");
			CHECK(!strcmp(predict(e, s, "I want a refund", &p), "refund"),
			      "inner CV: refund answered");
			nlu_enc_scratch_destroy(s);
			nlu_enc_destroy(e);
		}
	}
	/* OOS only in a validation set: the threshold/margin are tuned on it */
	{
		struct nlu_dataset tr, val;
		make_train(&tr, 0);
		nlu_dataset_init(&val);
		const char *vin[][2] = { { "give me a refund", "refund" }, { "card stolen", "lost_card" },
					 { "dollar rate", "exchange_rate" }, { "new pin", "pin" },
					 { "money back please", "refund" }, { "lost my card", "lost_card" } };
		const char *vout[] = { "sing me a song", "what is the capital of peru",
				       "book a table for two", "how tall is everest" };
		for (size_t i = 0; i < 6; i++)
			nlu_dataset_add(&val, vin[i][0], vin[i][1]);
		for (size_t i = 0; i < 4; i++)
			nlu_dataset_add(&val, vout[i], "oos");
		e = nlu_enc_train(&tr, "oos", &val, &o, err, sizeof err);
		CHECK(e && e->oos_class < 0 && e->tuned, "tuned on val without an OOS class: %s", err);
		if (e) {
			s = nlu_enc_scratch_create(e);
			CHECK(!strcmp(predict(e, s, "I want a refund", &p), "refund"), "refund kept");
			nlu_enc_scratch_destroy(s);
			nlu_enc_destroy(e);
		}
		nlu_dataset_free(&tr);
		nlu_dataset_free(&val);
	}
	/* with two augmented copies of every example */
	o.augment = 2;
	e = nlu_enc_train(&d, "oos", NULL, &o, err, sizeof err);
	CHECK(e != NULL, "train with augmentation: %s", err);
	if (e) {
		s = nlu_enc_scratch_create(e);
		CHECK(!strcmp(predict(e, s, "I lost my card", &p), "lost_card"), "augmented model");
		nlu_enc_scratch_destroy(s);
		nlu_enc_destroy(e);
	}
	nlu_dataset_free(&d);
}

static void test_calibration(void)
{
	/* logits that are right but far too sure (scaled by 10): T > 1 */
	enum { N = 400, C = 4 };
	float *z = malloc(sizeof *z * N * C);
	int y[N];
	unsigned r = 7;
	for (int i = 0; i < N; i++) {
		y[i] = i % C;
		for (int c = 0; c < C; c++) {
			r = r * 1103515245u + 12345u;
			float noise = (float)((r >> 8) & 0xffff) / 65536.0f;
			z[i * C + c] = 30.0f * (noise + (c == y[i] ? 0.6f : 0.0f));
		}
	}
	float t = nlu_calib_temperature(z, y, N, C);
	CHECK(t > 1.5f, "overconfident logits get T > 1 (T = %g)", t);
	/* scaling the logits by k scales the fitted temperature by k */
	for (int i = 0; i < N * C; i++)
		z[i] *= 0.5f;
	float t2 = nlu_calib_temperature(z, y, N, C);
	CHECK(fabsf(t2 - t / 2) < 0.05f * t, "temperature follows the logit scale: %g vs %g", t2, t / 2);
	free(z);
	/* monotonicity: confidence rises with the logit gap, falls with temperature */
	float prev = 0;
	for (int g = 0; g <= 10; g++) {
		float v[3] = { (float)g * 0.5f, 0, -1 };
		cm_softmax(3, v, 1.3f);
		CHECK(v[0] >= prev, "confidence monotone in the gap");
		prev = v[0];
	}
	float prev_t = 1;
	for (float tt = 0.25f; tt < 8; tt *= 2) {
		float v[3] = { 2, 0, -1 };
		cm_softmax(3, v, tt);
		CHECK(v[0] <= prev_t, "confidence falls as temperature rises");
		prev_t = v[0];
	}
	/* OOS rule: out-of-scope examples have low confidence; the threshold lands between */
	float conf[8] = { 0.9f, 0.85f, 0.8f, 0.95f, 0.2f, 0.3f, 0.25f, 0.7f };
	float second[8] = { 0.05f, 0.1f, 0.1f, 0.02f, 0.15f, 0.2f, 0.2f, 0.1f };
	int pred[8] = { 0, 1, 0, 1, 0, 1, 0, 0 }, truth[8] = { 0, 1, 0, 1, 2, 2, 2, 0 };
	float thr, mar;
	nlu_calib_oos(conf, second, pred, truth, 8, 2, 1.0f, &thr, &mar);
	for (int i = 0; i < 8; i++) {
		int refuse = conf[i] < thr || conf[i] - second[i] < mar;
		CHECK(refuse == (truth[i] == 2), "rule (threshold %g, margin %g) on example %d",
		      thr, mar, i);
	}
	nlu_calib_oos(conf, second, pred, truth, 8, -1, 1.0f, &thr, &mar);
	CHECK(thr == 0 && mar == 0, "no OOS class: no threshold");
}

/* Class weights (balance > 0) move a shared feature's answer towards the smaller class:
 * ten examples of class 0 and one of class 1 share feature 0 beside one of their own. */
static void test_linear_balance(void)
{
	enum { N = 11, DIM = 1024 };
	struct nlu_sparse xs[N];
	uint32_t idx[N][2];
	float val[N][2];
	int y[N];
	for (int i = 0; i < N; i++) {
		y[i] = i == N - 1;
		idx[i][0] = 0;
		idx[i][1] = 1 + (uint32_t)y[i];
		val[i][0] = val[i][1] = 0.7071f;
		xs[i] = (struct nlu_sparse){ idx[i], val[i], 2, 2 };
	}
	uint32_t qi = 0;
	float qv = 1;
	struct nlu_sparse q = { &qi, &qv, 1, 1 };
	float p1[2] = { 0 };
	for (int bal = 0; bal < 2; bal++) {
		struct nlu_linear m;
		struct nlu_linear_opts o = { .epochs = 10, .lr = 0.1f, .threads = 1, .seed = 3,
					     .balance = (float)bal };
		CHECK(nlu_linear_train(&m, DIM, 2, xs, y, N, &o) == 0, "train");
		float z[2];
		nlu_linear_logits(&m, &q, z);
		cm_softmax(2, z, 1);
		p1[bal] = z[1];
		nlu_linear_free(&m);
	}
	CHECK(p1[0] < 0.5f && p1[1] > p1[0] + 0.1f, "p(small class | shared feature): %g "
	      "unweighted, %g class-balanced", p1[0], p1[1]);
}

static void test_glove_and_mlp(void)
{
	/* a three-word .kfv written with the converter's container */
	const char *words[] = { "the", "card", "refund" };
	const char wl[] = "the\0card\0refund";
	uint16_t vec[3 * NLU_GLOVE_DIM];
	int32_t index[8] = { 0 };
	for (int r = 0; r < 3; r++) {
		for (int k = 0; k < NLU_GLOVE_DIM; k++)
			vec[r * NLU_GLOVE_DIM + k] = cm_f16_from_f32(k == r ? 1.0f : 0.0f);
		uint32_t h = (uint32_t)nlu_glove_hash(words[r], strlen(words[r])) & 7;
		while (index[h])
			h = (h + 1) & 7;
		index[h] = r + 1;
	}
	struct nlu_mf_writer w;
	void *blob;
	size_t len;
	uint32_t dv[2] = { 3, NLU_GLOVE_DIM }, dw = sizeof wl, ds = 8;
	nlu_mf_writer_init(&w);
	nlu_mf_add(&w, "vectors", NLU_F16, 2, dv, vec);
	nlu_mf_add(&w, "words", NLU_U8, 1, &dw, wl);
	nlu_mf_add(&w, "index", NLU_I32, 1, &ds, index);
	CHECK(nlu_mf_finish(&w, "VEC ", NLU_GLOVE_VERSION, &blob, &len) == 0, "write kfv");
	nlu_mf_writer_free(&w);
	char path[] = "/tmp/kefu-test-glove-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, blob, len) == (ssize_t)len, "write temp file");
	close(fd);
	char err[256];
	struct nlu_glove *g = nlu_glove_open(path, err, sizeof err);
	CHECK(g != NULL, "open kfv: %s", err);
	if (g) {
		CHECK(nlu_glove_size(g) == 3, "3 words");
		CHECK(nlu_glove_find(g, "card", 4) == 1 && nlu_glove_find(g, "refund", 6) == 2,
		      "lookups");
		CHECK(nlu_glove_find(g, "cards", 5) == -1 && nlu_glove_find(g, "car", 3) == -1,
		      "unknown words");
		CHECK(nlu_glove_sif(g, 0) < nlu_glove_sif(g, 2), "frequent words weigh less");
		struct nlu_fx *fx = nlu_fx_create();
		const uint64_t *keys;
		float dense[NLU_GLOVE_DIM];
		nlu_feat_keys(&CFG, fx, "the Card", 8, &keys);
		CHECK(nlu_fx_dense(fx, g, dense) == 2, "two words found");
		CHECK(dense[1] > dense[0] && dense[0] > 0 && dense[2] == 0, "SIF weighting");
		CHECK(nlu_fx_dense_share(fx) == 1.0f, "all words seen: share 1");
		nlu_feat_keys(&CFG, fx, "卡 card", strlen("卡 card"), &keys);
		CHECK(nlu_fx_dense(fx, g, dense) == 1 &&
		      fabsf(nlu_fx_dense_share(fx) - 4.0f / 7.0f) < 1e-6f, "mixed text: share %g",
		      nlu_fx_dense_share(fx));
		nlu_feat_keys(&CFG, fx, "卡丢了", strlen("卡丢了"), &keys);
		CHECK(nlu_fx_dense(fx, g, dense) == 0 && nlu_fx_dense_share(fx) == 0,
		      "Chinese only: no dense share");
		nlu_fx_destroy(fx);
		/* a second open of the same file shares the mapping; it outlives one close */
		struct nlu_glove *g2 = nlu_glove_open(path, err, sizeof err);
		CHECK(g2 == g, "the same file is mapped once per process");
		nlu_glove_close(g);
		CHECK(g2 && nlu_glove_find(g2, "card", 4) == 1, "still mapped after one close");
		nlu_glove_close(g2);
	}
	/* a truncated copy is refused */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, blob, len / 2) == (ssize_t)(len / 2), "truncate");
	close(fd);
	g = nlu_glove_open(path, err, sizeof err);
	CHECK(!g && strstr(err, "truncated"), "truncated kfv refused: %s", err);
	nlu_glove_close(g);
	unlink(path);
	free(blob);

	/* the MLP separates four Gaussian blobs */
	enum { N = 400, D = 8 };
	float *x = malloc(sizeof *x * N * D);
	int y[N];
	unsigned r = 3;
	for (int i = 0; i < N; i++) {
		y[i] = i % 4;
		for (int k = 0; k < D; k++) {
			r = r * 1103515245u + 12345u;
			x[i * D + k] = ((float)((r >> 8) & 0xffff) / 65536.0f - 0.5f) +
				       (k == y[i] ? 2.0f : 0.0f);
		}
	}
	struct nlu_mlp m;
	struct nlu_mlp_opts mo = { .hidden = 16, .epochs = 30, .batch = 32, .lr = 1e-2f,
				   .wd = 1e-4f, .seed = 1 };
	CHECK(nlu_mlp_train(&m, D, 4, x, y, N, &mo) == 0, "mlp train");
	int ok = 0;
	float hidden[16], logits[4];
	for (int i = 0; i < N; i++) {
		nlu_mlp_logits(&m, x + i * D, hidden, logits);
		int best = 0;
		for (int c = 1; c < 4; c++)
			if (logits[c] > logits[best])
				best = c;
		ok += best == y[i];
	}
	CHECK(ok >= N * 98 / 100, "mlp fits separable blobs: %d/%d", ok, N);
	nlu_mlp_free(&m);

	/* distillation: cross-fitted teacher rows are distributions that know the blobs,
	 * a copy gets its owner's teacher, and a student learns from soft targets alone */
	float *q = malloc(sizeof *q * N * 4), qc[2 * 4];
	uint32_t owner[2] = { 5, 6 };
	CHECK(nlu_distill_targets(x, D, y, N, 4, &mo, 2, 2.0f, q, x + 5 * D, owner, 2, qc) == 0,
	      "distill targets");
	ok = 0;
	for (int i = 0; i < N; i++) {
		float sum = 0;
		int best = 0;
		for (int c = 0; c < 4; c++) {
			sum += q[i * 4 + c];
			best = q[i * 4 + c] > q[i * 4 + best] ? c : best;
		}
		CHECK(fabsf(sum - 1) < 1e-4f, "teacher row %d sums to %g", i, sum);
		ok += best == y[i];
	}
	CHECK(ok >= N * 95 / 100, "held-out teacher knows the blobs: %d/%d", ok, N);
	for (int c = 0; c < 4; c++)
		CHECK(fabsf(qc[c] - q[5 * 4 + c]) < 1e-6f, "a copy of row 5 has its teacher's answer");
	int wrong[N];
	for (int i = 0; i < N; i++)
		wrong[i] = (y[i] + 1) % 4;   /* every hard label wrong: only the teacher is right */
	mo.soft = q;
	mo.soft_w = 1.0f;
	CHECK(nlu_mlp_train(&m, D, 4, x, wrong, N, &mo) == 0, "mlp train on soft targets");
	ok = 0;
	for (int i = 0; i < N; i++) {
		nlu_mlp_logits(&m, x + i * D, hidden, logits);
		int best = 0;
		for (int c = 1; c < 4; c++)
			best = logits[c] > logits[best] ? c : best;
		ok += best == y[i];
	}
	CHECK(ok >= N * 95 / 100, "a student of weight 1 follows the teacher: %d/%d", ok, N);
	nlu_mlp_free(&m);
	free(q);
	free(x);
}

static void test_augment(void)
{
	uint64_t s1 = 42, s2 = 42;
	const char *t = "please refund the money for my cancelled order";
	int changed = 0;
	for (int i = 0; i < 20; i++) {
		char *a = nlu_augment(t, &s1), *b = nlu_augment(t, &s2);
		CHECK(a && b && !strcmp(a, b), "augmentation is deterministic for a seed");
		CHECK(a && strlen(a) > strlen(t) / 2 && strlen(a) <= strlen(t) + 8, "noisy copy: %s",
		      a ? a : "(null)");
		changed += a && strcmp(a, t) != 0;
		free(a);
		free(b);
	}
	CHECK(changed >= 15, "most copies differ (%d/20)", changed);
	char *c = nlu_augment("", &s1);
	CHECK(c && !*c, "empty text stays empty");
	free(c);
}

struct seg_out {
	char words[8][32];
	int n;
};

static void on_word(void *arg, uint64_t id, const char *w, size_t bytes)
{
	struct seg_out *o = arg;
	(void)id;
	if (o->n < 8 && bytes < 32) {
		memcpy(o->words[o->n], w, bytes);
		o->words[o->n][bytes] = '\0';
	}
	o->n++;
}

/* Chinese words: the lexicon keeps the dictionary words the examples hold, segments as
 * jieba would, and travels in the model file */
static void test_zhseg(void)
{
	char path[] = "/tmp/kefu-test-zhdict-XXXXXX", err[300];
	const char *dict = "闹钟 100 n\n闹 20 v\n钟 20 n\n设个 30 v\n个早 1 x\n早上 80 t\n"
			   "abc 50 eng\n上的 0 x\n银行卡 60 n\n丢了 40 v\n";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, dict, strlen(dict)) == (ssize_t)strlen(dict), "dict file");
	close(fd);
	char *texts[] = { "设个早上的闹钟", "hello" };
	struct nlu_zhseg *z = nlu_zhseg_build(path, texts, 2, err, sizeof err);
	CHECK(z != NULL, "build: %s", err);
	if (z) {
		/* 闹钟 闹 钟 设个 个早 早上 occur; abc is not CJK, 上的 has no frequency,
		 * 银行卡 丢了 are not in the examples */
		CHECK(nlu_zhseg_size(z) == 6, "lexicon of %u words", nlu_zhseg_size(z));
		struct seg_out o = { .n = 0 };
		const char *run = "设个早上的闹钟";
		nlu_zhseg_words(z, run, strlen(run), on_word, &o);
		CHECK(o.n == 3 && !strcmp(o.words[0], "设个") && !strcmp(o.words[1], "早上") &&
		      !strcmp(o.words[2], "闹钟"), "segmented into %d words: %s %s %s", o.n,
		      o.words[0], o.words[1], o.words[2]);
		nlu_zhseg_destroy(z);
	}
	CHECK(!nlu_zhseg_build("/nonexistent/dict.txt", texts, 2, err, sizeof err) &&
	      strstr(err, "dictionary"), "missing dictionary: %s", err);
	z = nlu_zhseg_build("/nonexistent/dict.txt", texts + 1, 1, err, sizeof err);
	CHECK(z && nlu_zhseg_size(z) == 0, "no Chinese, no dictionary needed");
	nlu_zhseg_destroy(z);

	/* train with it: the words are features, and the lexicon survives save/load */
	struct nlu_dataset d;
	nlu_dataset_init(&d);
	const char *ex[][2] = { { "设个早上的闹钟", "alarm" }, { "早上叫醒我", "alarm" },
				{ "闹钟响了", "alarm" }, { "银行卡丢了", "card" },
				{ "我的卡丢了", "card" }, { "卡被吞了", "card" } };
	for (size_t i = 0; i < sizeof ex / sizeof *ex; i++)
		nlu_dataset_add(&d, ex[i][0], ex[i][1]);
	struct nlu_enc_opts eo;
	nlu_enc_opts_default(&eo);
	eo.zh_dict = path;
	eo.lin.threads = 1;
	struct nlu_enc *e = nlu_enc_train(&d, NULL, NULL, &eo, err, sizeof err);
	CHECK(e && e->zh && e->feat.cfg.zh == e->zh, "trained with a lexicon: %s", e ? "" : err);
	void *blob = NULL;
	size_t len = 0;
	if (e && !nlu_enc_save(e, &blob, &len)) {
		struct nlu_enc *l = nlu_enc_load(blob, len, NULL, err, sizeof err);
		CHECK(l && l->zh && nlu_zhseg_size(l->zh) == nlu_zhseg_size(e->zh),
		      "lexicon loaded: %s", l ? "" : err);
		if (l) {
			struct nlu_enc_scratch *s = nlu_enc_scratch_create(l);
			struct nlu_enc_pred p;
			nlu_enc_predict(l, s, "明天早上的闹钟", strlen("明天早上的闹钟"), &p, NULL);
			CHECK(!strcmp(l->labels[p.cls], "alarm"), "alarm: got %s", l->labels[p.cls]);
			nlu_enc_predict(l, s, "银行卡丢失", strlen("银行卡丢失"), &p, NULL);
			CHECK(!strcmp(l->labels[p.cls], "card"), "card: got %s", l->labels[p.cls]);
			nlu_enc_scratch_destroy(s);
		}
		nlu_enc_destroy(l);
	}
	free(blob);
	nlu_enc_destroy(e);
	nlu_dataset_free(&d);
	unlink(path);
}

/* The spelling pass: an unknown word one edit from training words becomes the most
 * frequent of them (changed, dropped, added, swapped letters); known stems, short words,
 * non-ASCII words and words two edits away stay; the features of a misspelt question
 * are then the correct one's; the vocabulary survives save/load. */
static void test_spell(void)
{
	char *texts[] = { "I lost my card", "refund my money", "my card's refund",
			  "where is the receipt", "cart or card?", "Ünïcode naïve" };
	struct nlu_spell *sp = nlu_spell_build(texts, 6);
	const char *cases[][2] = {
		{ "crad", "card" }, { "refnd", "refund" }, { "refuund", "refund" },
		{ "reciept", "receipt" }, { "monye", "money" }, { "mony", "money" },
		{ "whera", "where" },
		{ "card", NULL }, { "refunds", NULL }, /* known stem */ { "cad", NULL },
		{ "rfnd", NULL }, /* two edits */ { "c4rd", NULL }, { "naivé", NULL },
	};
	CHECK(sp != NULL, "built");
	for (size_t i = 0; sp && i < sizeof cases / sizeof *cases; i++) {
		size_t len = 0;
		const char *w = cases[i][0];
		const char *fix = nlu_spell_fix(sp, w, strlen(w), &len);
		if (!strcmp(w, "card") || !strcmp(w, "refunds")) {  /* the caller asks first */
			struct nlu_text *tx = nlu_text_create(0);
			struct nlu_token t;
			CHECK(nlu_text_tokenise(tx, w, strlen(w), &t, 1, NULL) == 1 &&
			      nlu_spell_known(sp, t.id), "%s is known", w);
			nlu_text_destroy(tx);
			continue;
		}
		CHECK(cases[i][1] ? fix && len == strlen(cases[i][1]) && !strcmp(fix, cases[i][1])
				  : !fix, "%s -> %s (want %s)", w, fix ? fix : "none",
		      cases[i][1] ? cases[i][1] : "none");
	}
	/* "cart" (1) and "card" (3): "carx" is one edit from both, the frequent one wins */
	size_t len;
	const char *fix = sp ? nlu_spell_fix(sp, "carx", 4, &len) : NULL;
	CHECK(fix && !strcmp(fix, "card"), "carx -> %s", fix ? fix : "none");

	/* features: the misspelt question has the corrected question's keys */
	struct nlu_feat_cfg cfg = CFG;
	cfg.spell = sp;
	struct nlu_fx *fx = nlu_fx_create();
	const uint64_t *keys;
	uint64_t want[NLU_FEAT_MAX];
	int nw = nlu_feat_keys(&cfg, fx, "Refund my money", 15, &keys);
	memcpy(want, keys, sizeof *keys * (size_t)nw);
	int ng = nlu_feat_keys(&cfg, fx, "Refnud my MONYE", 15, &keys);
	CHECK(ng == nw && !memcmp(want, keys, sizeof *keys * (size_t)nw),
	      "corrected keys: %d against %d", ng, nw);
	cfg.spell = NULL;
	ng = nlu_feat_keys(&cfg, fx, "Refnud my MONYE", 15, &keys);
	CHECK(ng != nw || memcmp(want, keys, sizeof *keys * (size_t)nw), "uncorrected keys");
	nlu_fx_destroy(fx);

	/* round trip through the stored arrays */
	if (sp) {
		uint32_t n_ids, n_words;
		size_t wl;
		const uint64_t *ids = nlu_spell_ids(sp, &n_ids);
		const char *words = nlu_spell_words(sp, &wl);
		const int32_t *counts = nlu_spell_counts(sp, &n_words);
		struct nlu_spell *l = nlu_spell_from(ids, n_ids, words, wl, counts, n_words);
		fix = l ? nlu_spell_fix(l, "reciept", 7, &len) : NULL;
		CHECK(l && n_words == 8 && fix && !strcmp(fix, "receipt"),
		      "loaded: %u words, reciept -> %s", n_words, fix ? fix : "none");
		CHECK(!nlu_spell_from(ids, n_ids, words, wl - 1, counts, n_words),
		      "an unterminated word list is refused");
		nlu_spell_destroy(l);
	}
	nlu_spell_destroy(sp);

	/* an encoder: the misspelt question gets the corrected one's answer, probabilities
	 * and sentence vector, after a save/load round trip too */
	struct nlu_dataset d;
	nlu_dataset_init(&d);
	const char *ex[][2] = { { "refund my money", "refund" }, { "I want a refund", "refund" },
				{ "money back please", "refund" }, { "my card was stolen", "card" },
				{ "lost my card", "card" }, { "card missing", "card" } };
	for (size_t i = 0; i < sizeof ex / sizeof *ex; i++)
		nlu_dataset_add(&d, ex[i][0], ex[i][1]);
	struct nlu_enc_opts eo;
	char err[300];
	nlu_enc_opts_default(&eo);
	eo.feat.bits = 14;
	eo.lin.threads = 1;
	struct nlu_enc *e = nlu_enc_train(&d, NULL, NULL, &eo, err, sizeof err);
	void *blob = NULL;
	size_t blen = 0;
	CHECK(e && e->spell && e->feat.cfg.spell == e->spell, "trained with the pass: %s",
	      e ? "" : err);
	struct nlu_enc *l = e && !nlu_enc_save(e, &blob, &blen) ?
		nlu_enc_load(blob, blen, NULL, err, sizeof err) : NULL;
	CHECK(l && l->spell, "the vocabulary survives save/load: %s", l ? "" : err);
	for (int k = 0; l && k < 2; k++) {
		struct nlu_enc *m = k ? l : e;
		struct nlu_enc_scratch *s = nlu_enc_scratch_create(m);
		struct nlu_enc_pred p, q;
		const float *pp;
		float pa[2], za[NLU_SENTENCE_DIM], zb[NLU_SENTENCE_DIM];
		nlu_enc_predict(m, s, "refund my money", 15, &p, &pp);
		memcpy(pa, pp, sizeof pa);
		nlu_enc_predict(m, s, "refnud my mony", 14, &q, &pp);
		CHECK(p.cls == q.cls && !memcmp(pa, pp, sizeof pa), "model %d: the same answer", k);
		int da = nlu_enc_sentence(m, s, "refund my money", 15, za);
		int db = nlu_enc_sentence(m, s, "refnud my mony", 14, zb);
		CHECK(da == NLU_SENTENCE_DIM && db == da && !memcmp(za, zb, sizeof za),
		      "model %d: the same sentence vector", k);
		nlu_enc_scratch_destroy(s);
	}
	nlu_enc_destroy(l);
	nlu_enc_destroy(e);
	free(blob);
	nlu_dataset_free(&d);
}

/* The sequence half: trained alone (β = 1) it answers the training-like questions, its
 * unit sentence vectors put questions of one label closer than questions of two, the
 * model file keeps it (version 2), and a version-1 file (no sequence half) still loads. */
static void test_sequence(void)
{
	struct nlu_dataset d;
	struct nlu_enc_opts o;
	struct nlu_enc_pred p, q;
	char err[256];

	make_train(&d, 0);
	nlu_enc_opts_default(&o);
	o.feat.bits = 14;
	o.lin.threads = 1;
	o.beta = 1;
	struct nlu_enc *e = nlu_enc_train(&d, NULL, NULL, &o, err, sizeof err);
	CHECK(e != NULL && e->seq.bits == 15 && e->beta == 1, "train with the sequence half: %s", err);
	if (!e) {
		nlu_dataset_free(&d);
		return;
	}
	struct nlu_enc_scratch *s = nlu_enc_scratch_create(e);
	const char *cases[][2] = {
		{ "i want my money back", "refund" }, { "my card was stolen", "lost_card" },
		{ "exchange rate for euros", "exchange_rate" }, { "reset pin", "pin" },
	};
	int right = 0;
	for (size_t i = 0; i < 4; i++)
		right += !strcmp(predict(e, s, cases[i][0], &p), cases[i][1]);
	CHECK(right >= 3, "sequence half alone: %d of 4 right", right);

	float z[4][NLU_SENTENCE_DIM];
	const char *texts[4] = { "refund my money please", "I want a refund",
				 "my card is lost", "lost my bank card" };
	for (int i = 0; i < 4; i++) {
		int dim = nlu_enc_sentence(e, s, texts[i], strlen(texts[i]), z[i]);
		CHECK(dim == NLU_SENTENCE_DIM, "sentence vector dimension %d", dim);
		CHECK(fabsf(cm_dot(NLU_SENTENCE_DIM, z[i], z[i]) - 1) < 1e-4f, "unit length");
	}
	float same = (cm_dot(NLU_SENTENCE_DIM, z[0], z[1]) + cm_dot(NLU_SENTENCE_DIM, z[2], z[3])) / 2;
	float diff = (cm_dot(NLU_SENTENCE_DIM, z[0], z[2]) + cm_dot(NLU_SENTENCE_DIM, z[1], z[3])) / 2;
	CHECK(same > diff + 0.2f, "same-label cosine %g vs different-label %g", same, diff);
	CHECK(nlu_enc_sentence(e, s, "?!", 2, z[0]) == 0, "no token: no vector");

	/* the scratch keeps the tokens' tap rows: a fresh scratch (nothing cached) gives the
	 * same vector and answer, bit for bit, as one that has seen the words before; and the
	 * answer reads the sparse half's tokens, the sentence vector tokenises on its own */
	struct nlu_enc_scratch *fresh = nlu_enc_scratch_create(e);
	float zf[NLU_SENTENCE_DIM];
	const float *pr;
	float probs[64];
	CHECK(e->n_cls <= 64, "classes");
	nlu_enc_predict(e, s, texts[0], strlen(texts[0]), &p, &pr);
	memcpy(probs, pr, sizeof *pr * e->n_cls);
	nlu_enc_predict(e, fresh, texts[0], strlen(texts[0]), &q, &pr);
	CHECK(p.cls == q.cls && !memcmp(probs, pr, sizeof *pr * e->n_cls),
	      "cached and fresh token rows answer alike");
	nlu_enc_scratch_destroy(fresh);
	fresh = nlu_enc_scratch_create(e);
	nlu_enc_sentence(e, s, texts[0], strlen(texts[0]), z[0]);
	CHECK(nlu_enc_sentence(e, fresh, texts[0], strlen(texts[0]), zf) == NLU_SENTENCE_DIM &&
	      !memcmp(zf, z[0], sizeof zf), "cached and fresh token rows: the same vector");
	nlu_enc_scratch_destroy(fresh);

	void *blob = NULL, *old = NULL;
	size_t len = 0, old_len = 0;
	CHECK(nlu_enc_save(e, &blob, &len) == 0 && ((unsigned char *)blob)[8] == NLU_ENC_VERSION,
	      "saved as version %d", NLU_ENC_VERSION);
	struct nlu_enc *l = nlu_enc_load(blob, len, NULL, err, sizeof err);
	CHECK(l && l->seq.bits == 15 && l->beta == 1, "load: %s", err);
	if (l) {
		struct nlu_enc_scratch *ls = nlu_enc_scratch_create(l);
		for (size_t i = 0; i < 4; i++) {
			nlu_enc_predict(e, s, cases[i][0], strlen(cases[i][0]), &p, NULL);
			nlu_enc_predict(l, ls, cases[i][0], strlen(cases[i][0]), &q, NULL);
			CHECK(p.cls == q.cls && fabsf(p.conf - q.conf) < 1e-2f,
			      "round trip: %d/%g vs %d/%g", p.cls, p.conf, q.cls, q.conf);
		}
		nlu_enc_scratch_destroy(ls);
		nlu_enc_destroy(l);
	}
	free(blob);
	nlu_enc_scratch_destroy(s);
	nlu_enc_destroy(e);

	/* a version-1 file as kefu wrote it before the sequence half: the same tensors */
	o.seq.bits = 0;
	e = nlu_enc_train(&d, NULL, NULL, &o, err, sizeof err);
	CHECK(e && e->seq.bits == 0 && e->beta == 0, "train without the sequence half: %s", err);
	if (e && nlu_enc_save(e, &blob, &len) == 0) {
		struct nlu_mf mf;
		struct nlu_mf_writer w;
		nlu_mf_writer_init(&w);
		CHECK(nlu_mf_open(&mf, blob, len, "NLU ", NLU_ENC_VERSION, 1, err, sizeof err) == 0,
		      "open: %s", err);
		for (uint32_t i = 0; i < mf.n; i++) {
			const unsigned char *ent = mf.base + NLU_MF_HEADER + (size_t)i * NLU_MF_ENTRY;
			struct nlu_mf_tensor t;
			char name[33] = { 0 };
			memcpy(name, ent, 32);
			const void *data = nlu_mf_get(&mf, name, ent[32], &t, err, sizeof err);
			CHECK(data != NULL, "tensor %s: %s", name, err);
			if (data)
				nlu_mf_add(&w, name, t.dtype, t.rank, t.dims, data);
		}
		CHECK(nlu_mf_finish(&w, "NLU ", 1, &old, &old_len) == 0, "version-1 file");
		nlu_mf_writer_free(&w);
		struct nlu_enc_scratch *s1 = nlu_enc_scratch_create(e);
		struct nlu_enc *l1 = nlu_enc_load(old, old_len, NULL, err, sizeof err);
		CHECK(l1 && l1->seq.bits == 0 && l1->beta == 0, "version 1 loads: %s", err);
		if (l1) {
			struct nlu_enc_scratch *ls = nlu_enc_scratch_create(l1);
			nlu_enc_predict(e, s1, cases[0][0], strlen(cases[0][0]), &p, NULL);
			nlu_enc_predict(l1, ls, cases[0][0], strlen(cases[0][0]), &q, NULL);
			CHECK(p.cls == q.cls && fabsf(p.conf - q.conf) < 2e-3f, "version 1 answers alike");
			CHECK(nlu_enc_sentence(l1, ls, "refund", 6, z[0]) == 0, "version 1: no vector");
			nlu_enc_scratch_destroy(ls);
			nlu_enc_destroy(l1);
		}
		((unsigned char *)old)[8] = NLU_ENC_VERSION + 1;   /* a future version is refused */
		CHECK(nlu_enc_load(old, old_len, NULL, err, sizeof err) == NULL && strstr(err, "version"),
		      "a future version refused: %s", err);
		nlu_enc_scratch_destroy(s1);
	}
	free(blob);
	free(old);
	nlu_enc_destroy(e);
	nlu_dataset_free(&d);
}

/* Cross-validation trains its folds on two threads as on one: the same figures (one
 * linear thread each, so every fold is deterministic). */
static void test_cv_threads(void)
{
	struct nlu_dataset d;
	struct nlu_enc_opts o;
	struct nlu_eval_result r1, r2;
	char err[256];
	int oof1[256], oof2[256];

	make_train(&d, 0);
	CHECK(d.n <= 256, "examples");
	nlu_enc_opts_default(&o);
	o.feat.bits = 14;
	o.lin.threads = 1;
	o.seq.epochs = 5;
	o.seq_refit = 2;
	int a = nlu_eval_cv_oof(&d, 3, NULL, &o, &r1, oof1, err, sizeof err);
	CHECK(a == 0, "3-fold CV on one thread: %s", err);
	o.cv_threads = 2;
	int b = nlu_eval_cv_oof(&d, 3, NULL, &o, &r2, oof2, err, sizeof err);
	CHECK(b == 0, "3-fold CV on two threads: %s", err);
	CHECK(!a && !b && r1.accuracy == r2.accuracy && r1.macro_f1 == r2.macro_f1 &&
	      !memcmp(oof1, oof2, sizeof *oof1 * d.n), "CV on two threads: accuracy %g vs %g",
	      r2.accuracy, r1.accuracy);
	nlu_dataset_free(&d);
}

int main(void)
{
	cm_blas_single_thread();
	test_features();
	test_datasets();
	test_rasa_responses();
	test_train_predict_and_files();
	test_calibration();
	test_linear_balance();
	test_glove_and_mlp();
	test_augment();
	test_zhseg();
	test_spell();
	test_sequence();
	test_cv_threads();
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("encoder: all checks passed\n");
	return failures != 0;
}
