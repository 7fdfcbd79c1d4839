/* bench/policy/bench_policy.c — the whole answer policy (policy/, what kefud answers) on
 * clothing photos with words, beside each of its parts alone, in one run.
 *
 *   bench_policy DB MODELS CLOTHING_DIR QUESTIONS CLOTHING_JSON
 *
 * DB is a demo store trained by `kefu train` (text encoder, category head, fusion model;
 * run.sh makes it).  Each validation photo of CLOTHING_DIR/validation/K goes through
 * vis_see as a kefud worker runs it (decode, OCR, codes, safety, embedding with conf
 * image_embed) and the catalogue (category head + matches), then is asked every
 * question of QUESTIONS (bench/fusion/questions.tsv) of the train split that is not one
 * of the store's own example questions: the generic ones ("how do I wash this?") and
 * the kind-specific ones with each noun of K.  The right reply is the demo answer of that
 * question kind for garment K (CLOTHING_JSON: store/demo/clothing.json gives each
 * answer title's kind and garment).  Only train and validation data are used.
 *
 * Systems, all from the same pol_answer calls (policy.h's votes) or its flags:
 *   policy                 kefud's pol_answer (text, category head, fusion, catalogue)
 *   ..., best overall      the head combination's vote its best answer, labelled or not
 *                          (POL_BEST_OVERALL: the policy before the product-first vote)
 *   ..., kind full weight  the fusion model's kind counted as much as the words'
 *                          (POL_KIND_FUSION_FULL: before its half weight)
 *   ..., kind from words   the product's answer chosen by the words alone
 *                          (POL_NO_KIND_RULE: the policy before the pooled kind)
 *   policy without head    the head combination left out (kefud's policy before it)
 *   policy without fusion  the fusion model left out
 *   text bot alone         the text bot on words + read text (text_vote)
 *   fusion alone           the fusion model on words + read text + embedding
 *   category head alone    garment only (it cannot tell the question kind); again with
 *                          the photos the safety model refuses counted wrong, as kefud
 *                          answers them (a refusal, whichever part names the garment)
 *   catalogue alone        the best match's picture label: garment only
 * With POLICY_OFFTOPIC=banking77/train.csv, every 50th of its questions (answers without
 * pictures, in the store) is also sent with the first validation photo of each garment:
 * the reply should stay the one the words alone get (a product photo must not pull a
 * banking question to a garment answer).
 * Diagnostics (environment): POLICY_SHOW=N prints up to N generic-question misses whose
 * photo the head named right, POLICY_DISAGREE every photo whose garment the head names
 * right and on which the policy gets a generic question wrong (one line per photo: how
 * many, why, the votes of the first), POLICY_SHOW_OFF the off-topic misses, POLICY_PER_QUESTION
 * the policy's score per question (every generic one, the specific ones under 80 %),
 * POLICY_VIEWS the query's views, POLICY_CACHE=FILE caches what vis_see saw (below),
 * POLICY_POSTERIOR=1 what the text posterior alone gives each generic question (the
 * mass on the clothing answers, on the question's kind, its best answer: what the head
 * combination weighs; POLICY_POSTERIOR=2 prints that and stops before the photos).
 * One thread.
 */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "clock.h"
#include "csv.h"
#include "conf.h"
#include "fusion.h"
#include "glove.h"
#include "nlu.h"
#include "policy.h"
#include "store.h"
#include "tensor.h"
#include "vision.h"

#define MAXA 4096                /* answers */
#define MAXQ 256                 /* questions */
#define MAXK 32                  /* garments */

enum { KIND_RETURN, KIND_SIZING, KIND_CARE, N_KINDS };
static const char *const KIND_JSON[N_KINDS] = { "return", "sizing", "care" };
static const char *const KIND_TSV[N_KINDS] = { "returning", "sizing", "caring" };

struct answer_info {
	int64_t id;
	int kind;                /* -1: not a clothing answer */
	char garment[64];
};

static struct answer_info answers[MAXA];
static int n_answers;

struct question {
	char *text;
	int kind;
	char garment[64];        /* "" for generic questions */
};

static struct question questions[MAXQ];
static int n_questions;
static long q_asked[MAXQ], q_right[MAXQ];   /* the policy per question (POLICY_PER_QUESTION) */

static char **store_questions;   /* lowercased, for excluding store examples */
static int n_store_q, cap_store_q;

/* ---- reading the inputs --------------------------------------------------------------- */

static void norm(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ')
			*o++ = c;
	}
	*o = '\0';
	while (o > s && o[-1] == ' ')
		*--o = '\0';
}

static int on_example(void *arg, int64_t answer_id, const char *text)
{
	(void)arg;
	(void)answer_id;
	if (n_store_q == cap_store_q) {
		cap_store_q = cap_store_q ? 2 * cap_store_q : 4096;
		store_questions = realloc(store_questions, sizeof(char *) * (size_t)cap_store_q);
	}
	store_questions[n_store_q] = strdup(text);
	norm(store_questions[n_store_q++]);
	return 0;
}

static int in_store(const char *q)
{
	char buf[512];

	snprintf(buf, sizeof buf, "%s", q);
	norm(buf);
	for (int i = 0; i < n_store_q; i++)
		if (!strcmp(store_questions[i], buf))
			return 1;
	return 0;
}

static json_t *clothing;          /* clothing.json */

static int on_answer(void *arg, const struct store_answer *a)
{
	struct answer_info *ai;
	json_t *list = json_object_get(clothing, "answers"), *x;
	size_t i;

	(void)arg;
	if (n_answers == MAXA)
		return 1;
	ai = &answers[n_answers++];
	ai->id = a->id;
	ai->kind = -1;
	json_array_foreach(list, i, x) {
		if (strcmp(json_string_value(json_object_get(x, "title")), a->title))
			continue;
		for (int k = 0; k < N_KINDS; k++)
			if (!strcmp(json_string_value(json_object_get(x, "kind")), KIND_JSON[k]))
				ai->kind = k;
		snprintf(ai->garment, sizeof ai->garment, "%s",
			 json_string_value(json_object_get(x, "label")));
	}
	return 0;
}

static const struct answer_info *answer_of(int64_t id)
{
	for (int i = 0; i < n_answers; i++)
		if (answers[i].id == id)
			return &answers[i];
	return NULL;
}

static int kind_of_tsv(const char *s)
{
	for (int k = 0; k < N_KINDS; k++)
		if (!strcmp(s, KIND_TSV[k]))
			return k;
	return -1;
}

/* Train-split questions of questions.tsv not in the store; templates × nouns. */
static int read_questions(const char *path, int *n_excluded)
{
	char line[1024], *f[4];
	char tpl[MAXQ][256], nouns[MAXK * 4][2][64];
	int tpl_kind[MAXQ], n_tpl = 0, n_nouns = 0;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return -1;
	*n_excluded = 0;
	while (fgets(line, sizeof line, fp)) {
		int nf = 0;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		for (char *s = strtok(line, "\t"); s && nf < 4; s = strtok(NULL, "\t"))
			f[nf++] = s;
		if (f[0][0] == 'n' && nf == 3 && n_nouns < MAXK * 4) {
			snprintf(nouns[n_nouns][0], 64, "%s", f[1]);
			snprintf(nouns[n_nouns++][1], 64, "%s", f[2]);
			continue;
		}
		if (nf != 4 || strcmp(f[1], "train") || kind_of_tsv(f[2]) < 0)
			continue;
		if (f[0][0] == 'q' && n_questions < MAXQ) {
			if (in_store(f[3])) {
				(*n_excluded)++;
				continue;
			}
			questions[n_questions].text = strdup(f[3]);
			questions[n_questions].kind = kind_of_tsv(f[2]);
			questions[n_questions++].garment[0] = '\0';
		} else if (f[0][0] == 't' && n_tpl < MAXQ) {
			snprintf(tpl[n_tpl], sizeof tpl[n_tpl], "%s", f[3]);
			tpl_kind[n_tpl++] = kind_of_tsv(f[2]);
		}
	}
	fclose(fp);
	for (int t = 0; t < n_tpl; t++)
		for (int j = 0; j < n_nouns && n_questions < MAXQ; j++) {
			char q[512], *at = strstr(tpl[t], "{n}");
			if (!at)
				continue;
			snprintf(q, sizeof q, "%.*s%s%s", (int)(at - tpl[t]), tpl[t], nouns[j][1],
				 at + 3);
			if (in_store(q)) {
				(*n_excluded)++;
				continue;
			}
			questions[n_questions].text = strdup(q);
			questions[n_questions].kind = tpl_kind[t];
			snprintf(questions[n_questions++].garment, 64, "%.63s", nouns[j][0]);
		}
	return 0;
}

/* POLICY_POSTERIOR: the text posterior of each generic question (no picture): its best
 * answer, the mass on the answers that show a garment (the head combination's
 * "labelled" side before the picture's factor), on the question's kind, and the kind's
 * share of one garment's answers (the words' reading of the kind: in_label), as a mean
 * over garments; and the log-ratio of the best unlabelled answer to the mean answer of
 * the right kind (how much the picture must outweigh). */
static void print_posteriors(const struct nlu_bot *bot, struct nlu_state *ns)
{
	struct nlu_scored post[64];
	double sum_lab = 0, sum_kind = 0, sum_share = 0, sum_gap = 0;
	int n_gen = 0;

	for (int qi = 0; qi < n_questions; qi++) {
		const struct question *q = &questions[qi];
		if (q->garment[0])
			continue;
		int n = nlu_bot_posterior(bot, ns, q->text, strlen(q->text), post, 64);
		double lab = 0, kind = 0, best_none = 0, garm_kind[MAXK] = { 0 }, garm_all[MAXK] = { 0 };
		char garm[MAXK][64];
		int n_garm = 0;
		for (int i = 0; i < n; i++) {
			const struct answer_info *a = answer_of(post[i].answer_id);
			if (!a || a->kind < 0) {
				best_none = post[i].p > best_none ? post[i].p : best_none;
				continue;
			}
			lab += post[i].p;
			kind += a->kind == q->kind ? post[i].p : 0;
			int g = 0;
			while (g < n_garm && strcmp(garm[g], a->garment))
				g++;
			if (g == n_garm && n_garm < MAXK)
				snprintf(garm[n_garm++], 64, "%s", a->garment);
			if (g < MAXK) {
				garm_all[g] += post[i].p;
				garm_kind[g] += a->kind == q->kind ? post[i].p : 0;
			}
		}
		double share = 0;
		for (int g = 0; g < n_garm; g++)
			share += garm_all[g] > 0 ? garm_kind[g] / garm_all[g] : 0;
		share = n_garm ? share / n_garm : 0;
		int n_kind_ans = 0;
		for (int i = 0; i < n_answers; i++)
			n_kind_ans += answers[i].kind == q->kind;
		double mean_kind = n_kind_ans ? kind / n_kind_ans : 0;
		double gap = log10((best_none > 1e-30 ? best_none : 1e-30) /
				   (mean_kind > 1e-30 ? mean_kind : 1e-30));
		const struct answer_info *top = n ? answer_of(post[0].answer_id) : NULL;
		printf("posterior \"%s\": top %s%s%s %.3f | garment answers %.3f | its kind %.3f "
		       "| kind's share of a garment %.2f | log10 best other / kind answer %.1f\n",
		       q->text, top && top->kind >= 0 ? KIND_JSON[top->kind] : "other",
		       top && top->kind >= 0 ? " " : "", top && top->kind >= 0 ? top->garment : "",
		       n ? post[0].p : 0.0, lab, kind, share, gap);
		sum_lab += lab;
		sum_kind += kind;
		sum_share += share;
		sum_gap += gap;
		n_gen++;
	}
	if (n_gen)
		printf("posterior, mean of %d generic questions: garment answers %.3f, its kind "
		       "%.3f, kind's share of a garment %.2f, log10 best other / kind answer %.2f\n",
		       n_gen, sum_lab / n_gen, sum_kind / n_gen, sum_share / n_gen, sum_gap / n_gen);
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*buf = malloc((size_t)n + 1);
	*len = fread(*buf, 1, (size_t)n, f);
	fclose(f);
	return *len == (size_t)n ? 0 : -1;
}

static int not_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static char **offtopic;          /* every 50th question of POLICY_OFFTOPIC */
static int64_t *offtopic_answer;  /* what the words alone get */
static int n_offtopic;

static void read_offtopic(const char *path)
{
	uint8_t *buf;
	size_t len;
	struct cm_csv r;
	int row = 0;

	if (!path || read_file(path, &buf, &len))
		return;
	cm_csv_init(&r, (const char *)buf, len);
	while (cm_csv_next(&r) == 1)
		if (r.n_fields >= 2 && row++ > 0 && row % 50 == 0) {
			offtopic = realloc(offtopic, sizeof(char *) * (size_t)(n_offtopic + 1));
			offtopic[n_offtopic++] = strdup(r.fields[0]);
		}
	cm_csv_free(&r);
	free(buf);
	offtopic_answer = calloc((size_t)n_offtopic + 1, sizeof *offtopic_answer);
}

/* ---- what a kefud worker sees in a photo, cached ------------------------------------- */

/* The parts of vis_see's result the policy reads.  With POLICY_CACHE=FILE they are read
 * from FILE when it holds the photo (same path, same embedding CNN and views) and
 * appended to it otherwise, so experiments on the policy or the head do not run the CNN
 * and OCR again (the machine's cores are shared).  The cache is a bench convenience:
 * delete it when vision/ changes what vis_see returns. */
#define PH_MAX 64
struct photo {
	int unsafe, n_ents, n_codes, dim;
	char *ocr;
	struct pol_entity ents[PH_MAX];
	const char *codes[PH_MAX];
	float *embed;
	char *own[2 * PH_MAX];   /* entity and code strings */
	int n_own;
};

static FILE *cache_fp;
static struct cached {
	char *key;
	long off;
} *cache_idx;
static int n_cache;

static void photo_free(struct photo *ph)
{
	free(ph->ocr);
	free(ph->embed);
	for (int i = 0; i < ph->n_own; i++)
		free(ph->own[i]);
	memset(ph, 0, sizeof *ph);
}

static int put_str(FILE *f, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	return fwrite(&n, 4, 1, f) == 1 && fwrite(s, 1, n, f) == n ? 0 : -1;
}

static char *get_str(FILE *f)
{
	uint32_t n;
	char *s;

	if (fread(&n, 4, 1, f) != 1 || n > (1u << 24) || !(s = malloc(n + 1)))
		return NULL;
	if (fread(s, 1, n, f) != n) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

/* One record: key, unsafe, ocr, entities (kind, text), codes, dim, embedding. */
static int photo_read(FILE *f, struct photo *ph)
{
	int32_t v[2];

	memset(ph, 0, sizeof *ph);
	if (fread(v, 4, 2, f) != 2 || v[1] < 0 || v[1] > PH_MAX)
		return -1;
	ph->unsafe = v[0];
	ph->n_ents = v[1];
	if (!(ph->ocr = get_str(f)))
		return -1;
	for (int i = 0; i < ph->n_ents; i++) {
		if (fread(&ph->ents[i].kind, 4, 1, f) != 1 ||
		    !(ph->own[ph->n_own] = get_str(f)))
			return -1;
		ph->ents[i].text = ph->own[ph->n_own++];
	}
	if (fread(v, 4, 2, f) != 2 || v[0] < 0 || v[0] > PH_MAX || v[1] < 0 || v[1] > 65536)
		return -1;
	ph->n_codes = v[0];
	ph->dim = v[1];
	for (int i = 0; i < ph->n_codes; i++) {
		if (!(ph->own[ph->n_own] = get_str(f)))
			return -1;
		ph->codes[i] = ph->own[ph->n_own++];
	}
	if (ph->dim && (!(ph->embed = malloc(sizeof(float) * (size_t)ph->dim)) ||
			fread(ph->embed, sizeof(float), (size_t)ph->dim, f) != (size_t)ph->dim))
		return -1;
	return 0;
}

static void photo_write(FILE *f, const char *key, const struct photo *ph)
{
	int32_t v[2] = { ph->unsafe, ph->n_ents };

	fseek(f, 0, SEEK_END);
	put_str(f, key);
	fwrite(v, 4, 2, f);
	put_str(f, ph->ocr);
	for (int i = 0; i < ph->n_ents; i++) {
		fwrite(&ph->ents[i].kind, 4, 1, f);
		put_str(f, ph->ents[i].text);
	}
	v[0] = ph->n_codes;
	v[1] = ph->dim;
	fwrite(v, 4, 2, f);
	for (int i = 0; i < ph->n_codes; i++)
		put_str(f, ph->codes[i]);
	fwrite(ph->embed, sizeof(float), (size_t)ph->dim, f);
	fflush(f);
}

/* Opens (or creates) the cache FILE for this CNN and view count, indexing its records. */
static void cache_open(const char *path, const char *cnn, int views)
{
	char tag[640], *key;
	struct photo ph;

	if (!path)
		return;
	snprintf(tag, sizeof tag, "%s/%d views", cnn, views);
	if (!(cache_fp = fopen(path, "r+b")) && !(cache_fp = fopen(path, "w+b")))
		return;
	while ((key = get_str(cache_fp))) {
		long off = ftell(cache_fp);
		if (photo_read(cache_fp, &ph)) {
			free(key);
			break;
		}
		photo_free(&ph);
		if (strncmp(key, tag, strlen(tag))) {
			free(key);
			continue;
		}
		cache_idx = realloc(cache_idx, sizeof *cache_idx * (size_t)(n_cache + 1));
		cache_idx[n_cache++] = (struct cached){ key, off };
	}
}

/* What vis_see makes of photo file (as a kefud worker runs it), or the cache's copy. */
static int photo_get(struct vis_worker *vw, const struct kefu_conf *conf, const char *file,
		     int views, struct photo *ph)
{
	char key[9500], err[512];
	uint8_t *buf = NULL;
	size_t len;
	struct vis_seen seen;
	struct vis_decode_opts dopts = { .max_bytes = (size_t)conf->max_upload,
		.max_pixels = (uint64_t)conf->max_image_pixels, .max_side = 1600 };

	snprintf(key, sizeof key, "%s/%d views %s", conf->image_embed, views, file);
	for (int i = 0; cache_fp && i < n_cache; i++)
		if (!strcmp(cache_idx[i].key, key)) {
			fseek(cache_fp, cache_idx[i].off, SEEK_SET);
			if (photo_read(cache_fp, ph) == 0)
				return 0;
			photo_free(ph);
		}
	memset(ph, 0, sizeof *ph);
	if (read_file(file, &buf, &len) || vis_see(vw, buf, len, &dopts, &seen, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", file, err);
		free(buf);
		return -1;
	}
	free(buf);
	ph->unsafe = seen.unsafe;
	ph->ocr = strdup(seen.ocr.text ? seen.ocr.text : "");
	for (int i = 0; i < seen.n_entities && ph->n_ents < PH_MAX; i++) {
		ph->own[ph->n_own] = strdup(seen.entities[i].text);
		ph->ents[ph->n_ents++] = (struct pol_entity){
			seen.entities[i].kind == VIS_ENT_ERROR_CODE ? POL_ENT_ERROR_CODE
			: seen.entities[i].kind == VIS_ENT_ORDER ? POL_ENT_ORDER : POL_ENT_OTHER,
			ph->own[ph->n_own++] };
	}
	for (int i = 0; i < seen.codes.n && ph->n_codes < PH_MAX; i++)
		if (seen.codes.v[i].utf8) {
			ph->own[ph->n_own] = strdup(seen.codes.v[i].data);
			ph->codes[ph->n_codes++] = ph->own[ph->n_own++];
		}
	ph->dim = seen.embed ? seen.embed_dim : 0;
	ph->embed = seen.embed;
	seen.embed = NULL;
	vis_seen_free(&seen);
	if (cache_fp)
		photo_write(cache_fp, key, ph);
	return 0;
}

/* [policy, previous policy, policy without head, fusion alone] kept / asked, for the
 * off-topic cases */
static long off_kept[4], off_n;

/* the policy as it was before its product-question and fusion rules (policy.h) */
#define POL_PREVIOUS (POL_NO_PRODUCT_RULE | POL_FUSION_ANY | POL_HEAD_CHOSEN_TEXT | \
		      POL_NO_KIND_RULE)

/* ---- scoring -------------------------------------------------------------------------- */

enum { SYS_POLICY, SYS_BEST_OVERALL, SYS_KIND_FULL, SYS_WORDS_KIND, SYS_CHOSEN_TEXT, SYS_PREVIOUS, SYS_NO_HEAD, SYS_NO_FUSION, SYS_TEXT,
       SYS_FUSION, SYS_HEAD, SYS_HEAD_SAFE, SYS_CATALOGUE,
       N_SYS };
static const char *const SYS_NAME[N_SYS] = {
	"policy (kefud: text + category head + fusion + catalogue)",
	"policy, head's best answer overall (before 2026-12-07)",
	"policy, fusion's kind at full weight (before 2026-12-07 b)",
	"policy, kind from the words alone (before 2026-12-06 b)",
	"policy, head on the chosen text only (before 2026-12-06)",
	"policy before the product and fusion rules (2026-12-05)",
	"policy without the category head (kefud before)",
	"policy without the fusion model",
	"text bot alone (words + read text)",
	"fusion model alone (words + read text + embedding)",
	"category head alone (names the garment only)",
	"category head alone, unsafe photos refused as kefud does",
	"catalogue best match alone (garment only)",
};

/* The policy's variants (a rule undone or a source left out) run on every case */
static const struct {
	int sys;
	unsigned flags;
} VARIANT[] = {
	{ SYS_BEST_OVERALL, POL_BEST_OVERALL },
	{ SYS_KIND_FULL, POL_KIND_FUSION_FULL },
	{ SYS_WORDS_KIND, POL_NO_KIND_RULE },
	{ SYS_CHOSEN_TEXT, POL_HEAD_CHOSEN_TEXT | POL_NO_KIND_RULE },
	{ SYS_PREVIOUS, POL_PREVIOUS },
	{ SYS_NO_HEAD, POL_NO_HEAD },
	{ SYS_NO_FUSION, POL_NO_FUSION },
};
#define N_VARIANTS ((int)(sizeof VARIANT / sizeof VARIANT[0]))

struct tally {
	long n, kind, garment, both;
};

/* [system][0 generic, 1 specific] */
static struct tally tally[N_SYS][2];
static long why_count[N_SYS][POL_WHY_COUNT];

/* Where the policy's generic cases part from the head's garment (the head bounds them:
 * it alone can name the garment of a generic question). */
enum { LOSS_REFUSED, LOSS_HEAD_WRONG, LOSS_KIND, LOSS_GARMENT, GAIN_HEAD_WRONG, N_LOSS };
static long loss[N_LOSS];

static void count_loss(const struct pol_reply *r, const struct question *q, const char *garment,
		       const char *head_label)
{
	const struct answer_info *a = r->answer_id ? answer_of(r->answer_id) : NULL;
	int head_ok = head_label && !strcmp(head_label, garment);
	int kind_ok = a && a->kind == q->kind, garment_ok = a && !strcmp(a->garment, garment);

	if (r->why == POL_WHY_REFUSED)
		loss[LOSS_REFUSED]++;
	else if (!head_ok)
		loss[kind_ok && garment_ok ? GAIN_HEAD_WRONG : LOSS_HEAD_WRONG]++;
	else if (!kind_ok)
		loss[LOSS_KIND]++;
	else if (!garment_ok)
		loss[LOSS_GARMENT]++;
}

static void score(int sys, int specific, int64_t answer_id, const struct question *q,
		  const char *garment)
{
	const struct answer_info *a = answer_id ? answer_of(answer_id) : NULL;
	struct tally *t = &tally[sys][specific];
	int kind_ok = a && a->kind == q->kind, garment_ok = a && !strcmp(a->garment, garment);

	t->n++;
	t->kind += kind_ok;
	t->garment += garment_ok;
	t->both += kind_ok && garment_ok;
}

static int right(int64_t answer_id, const struct question *q, const char *garment)
{
	const struct answer_info *a = answer_id ? answer_of(answer_id) : NULL;

	return a && a->kind == q->kind && !strcmp(a->garment, garment);
}

static void print_row(const char *name, const struct tally *a, const struct tally *b,
		      int kind_known)
{
	struct tally all = { a->n + b->n, a->kind + b->kind, a->garment + b->garment,
			     a->both + b->both };
#define PCT(x, n) ((n) ? 100.0 * (double)(x) / (double)(n) : 0.0)
	if (kind_known)
		printf("| %-58s | %5.1f | %5.1f | %5.1f | %5.1f | %5.1f |\n", name,
		       PCT(a->both, a->n), PCT(a->kind, a->n), PCT(a->garment, a->n),
		       PCT(b->both, b->n), PCT(all.both, all.n));
	else
		printf("| %-58s |     - |     - | %5.1f |     - |     - |\n", name,
		       PCT(a->garment, a->n));
}

int main(int argc, char **argv)
{
	struct kefu_conf conf;
	char err[1024], path[4096];
	struct store *st;
	struct nlu_bot *bot;
	struct nlu_state *ns;
	struct nlu_glove *glove = NULL;
	struct fu_model *fm;
	struct fu_state *fs = NULL;
	struct vis_cnn *safety, *embed;
	struct vis_worker *vw;
	struct vis_catalog *cat;
	struct pol_labels *labels;
	struct dirent **kinds;
	int none = 0, n_kinds, n_photos = 0, n_excluded;
	double ms_policy = 0;
	long n_policy = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: bench_policy DB MODELS CLOTHING_DIR QUESTIONS "
				"CLOTHING_JSON\n");
		return 2;
	}
	cm_blas_single_thread();
	conf_defaults(&conf);
	clothing = json_load_file(argv[5], 0, NULL);
	st = store_open(argv[1], err, sizeof err);
	if (!clothing || !st) {
		fprintf(stderr, "bench_policy: %s\n", clothing ? err : "clothing.json unreadable");
		return 1;
	}
	store_answers_foreach(st, on_answer, NULL);
	store_examples_foreach(st, on_example, NULL);
	if (read_questions(argv[4], &n_excluded)) {
		fprintf(stderr, "bench_policy: %s unreadable\n", argv[4]);
		return 1;
	}
	struct nlu_opts nopts = { .threshold = conf.threshold, .models = argv[2] };
	bot = nlu_bot_load(st, &nopts, err, sizeof err);
	if (!bot || !(ns = nlu_state_create(bot))) {
		fprintf(stderr, "bench_policy: bot: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof path, "%s/glove-100d.kfv", argv[2]);
	glove = nlu_glove_open(path, err, sizeof err);
	fm = fu_model_load_store(st, glove, &none, err, sizeof err);
	if (fm)
		fs = fu_state_create(fm);
	snprintf(path, sizeof path, "%s/nsfw_mobilenet_v2.kfm", argv[2]);
	safety = vis_cnn_open(path, err, sizeof err);
	snprintf(path, sizeof path, "%s/%s.kfm", argv[2], conf.image_embed);
	embed = vis_cnn_open(path, err, sizeof err);
	if (!embed) {
		fprintf(stderr, "bench_policy: %s: %s\n", path, err);
		return 1;
	}
	struct vis_catalog_opts copts = { .no_compute = 1 };
	cat = vis_catalog_load(st, embed, &copts, err, sizeof err);
	labels = cat ? pol_labels_load(st, err, sizeof err) : NULL;
	vw = vis_worker_create(safety, embed, conf.ocr_langs, err, sizeof err);
	if (!cat || !labels || !vw) {
		fprintf(stderr, "bench_policy: %s\n", err);
		return 1;
	}
	int show = getenv("POLICY_SHOW") ? atoi(getenv("POLICY_SHOW")) : 0;
	int show_off = getenv("POLICY_SHOW_OFF") != NULL;
	int disagree = getenv("POLICY_DISAGREE") != NULL;
	int views = getenv("POLICY_VIEWS") ? atoi(getenv("POLICY_VIEWS")) : VIS_CATALOG_VIEWS;
	vis_worker_set_embed_views(vw, views);
	printf("query embedding: %d view(s)\n", views);
	cache_open(getenv("POLICY_CACHE"), conf.image_embed, views);
	printf("store: %zu answers, text model %s, fusion model %s, catalogue %d pictures "
	       "(category head %s), %d labels\n", nlu_bot_n_answers(bot),
	       nlu_bot_describe(bot), fm ? "loaded" : "none", vis_catalog_size(cat),
	       vis_catalog_has_head(cat) ? "loaded" : "none", pol_labels_n_labels(labels));
	int n_gen = 0;
	for (int i = 0; i < n_questions; i++)
		n_gen += !questions[i].garment[0];
	printf("questions (bench/fusion/questions.tsv, train split, not in the store): %d "
	       "generic, %d kind-specific; %d left out as store questions\n", n_gen,
	       n_questions - n_gen, n_excluded);

	if (getenv("POLICY_POSTERIOR")) {
		print_posteriors(bot, ns);
		if (atoi(getenv("POLICY_POSTERIOR")) == 2)
			return 0;
	}
	struct pol_models m = { .bot = bot, .ns = ns, .fusion = fm, .fs = fs, .labels = labels,
				.threshold = conf.threshold, .asr_threshold = conf.asr_threshold };
	read_offtopic(getenv("POLICY_OFFTOPIC"));
	for (int i = 0; i < n_offtopic; i++) {
		struct pol_input in = { .words = offtopic[i], .words_len = strlen(offtopic[i]) };
		struct pol_reply r;
		pol_answer(&m, &in, &r);
		offtopic_answer[i] = r.answer_id;
		pol_reply_clear(&r);
	}
	snprintf(path, sizeof path, "%s/validation", argv[3]);
	n_kinds = scandir(path, &kinds, not_hidden, alphasort);
	if (n_kinds < 0) {
		fprintf(stderr, "bench_policy: %s: no such folder\n", path);
		return 1;
	}
	for (int k = 0; k < n_kinds; k++) {
		const char *garment = kinds[k]->d_name;
		struct dirent **files;
		char dir[4400];
		snprintf(dir, sizeof dir, "%s/%s", path, garment);
		int nf = scandir(dir, &files, not_hidden, alphasort);
		for (int fi = 0; fi < nf; fi++) {
			char file[8800];
			struct photo ph;
			snprintf(file, sizeof file, "%s/%s", dir, files[fi]->d_name);
			if (photo_get(vw, &conf, file, views, &ph)) {
				free(files[fi]);
				continue;
			}
			n_photos++;
			const char *label = NULL;
			float p = 0;
			struct vis_match vm[3];
			struct pol_match pm[3];
			int nm = 0;
			if (ph.embed) {
				if (vis_catalog_category(cat, ph.embed, ph.dim, &label, &p) != 0)
					label = NULL;
				nm = vis_catalog_match(cat, ph.embed, ph.dim, vm, 3, NULL);
				nm = nm < 0 ? 0 : nm;
			}
			for (int i = 0; i < nm; i++)
				pm[i] = (struct pol_match){ vm[i].answer_id, vm[i].score };
			struct pol_picture pic = { .unsafe = ph.unsafe, .ocr_text = ph.ocr,
				.entities = ph.ents, .n_entities = ph.n_ents, .codes = ph.codes,
				.n_codes = ph.n_codes, .embed = ph.embed, .embed_dim = ph.dim,
				.category = label, .category_p = p, .matches = pm, .n_matches = nm };
			int n_lost = 0;
			char lost[512] = "";
			for (int qi = 0; qi < n_questions; qi++) {
				const struct question *q = &questions[qi];
				int specific = q->garment[0] != '\0';
				if (specific && strcmp(q->garment, garment))
					continue;
				struct pol_input in = { .words = q->text, .words_len = strlen(q->text),
							.picture = &pic };
				struct pol_reply r;
				uint64_t t0 = cm_now_us();
				m.flags = 0;
				pol_answer(&m, &in, &r);
				ms_policy += (double)(cm_now_us() - t0) / 1e3;
				n_policy++;
				score(SYS_POLICY, specific, r.answer_id, q, garment);
				if (!specific)
					count_loss(&r, q, garment, label);
				if (disagree && !specific && label && !strcmp(label, garment) &&
				    !right(r.answer_id, q, garment) && !n_lost++)
					snprintf(lost, sizeof lost, "first \"%s\" -> %s %lld %.2f | text "
						 "%lld %.2f | head %lld %.2f | fusion %lld %.2f | read "
						 "\"%.40s\"", q->text, pol_why_name(r.why),
						 (long long)r.answer_id, r.confidence,
						 (long long)r.text_vote.answer_id,
						 r.text_vote.confidence,
						 (long long)r.head_vote.answer_id,
						 r.head_vote.confidence,
						 (long long)r.fusion_vote.answer_id,
						 r.fusion_vote.confidence, ph.ocr);
				q_asked[qi]++;
				q_right[qi] += right(r.answer_id, q, garment);
				if (show > 0 && !specific && !right(r.answer_id, q, garment) &&
				    label && !strcmp(label, garment) && fi % 4 == 0) {
					show--;
					printf("miss: %s | \"%s\" | read \"%.40s\" | head %s %.2f | %s "
					       "%lld %.2f | text %lld %.2f | head %lld %.2f | fusion "
					       "%lld %.2f\n", files[fi]->d_name, q->text,
					       ph.ocr, label ? label : "-",
					       p, pol_why_name(r.why), (long long)r.answer_id,
					       r.confidence, (long long)r.text_vote.answer_id,
					       r.text_vote.confidence, (long long)r.head_vote.answer_id,
					       r.head_vote.confidence,
					       (long long)r.fusion_vote.answer_id,
					       r.fusion_vote.confidence);
				}
				why_count[SYS_POLICY][r.why]++;
				score(SYS_TEXT, specific, r.text_vote.answer_id, q, garment);
				score(SYS_FUSION, specific, r.fusion_vote.answer_id, q, garment);
				tally[SYS_HEAD][specific].n++;
				tally[SYS_HEAD][specific].garment += label && !strcmp(label, garment);
				tally[SYS_HEAD_SAFE][specific].n++;
				tally[SYS_HEAD_SAFE][specific].garment += !ph.unsafe && label &&
									  !strcmp(label, garment);
				tally[SYS_CATALOGUE][specific].n++;
				tally[SYS_CATALOGUE][specific].garment += nm > 0 &&
									 !strcmp(vm[0].label, garment);
				pol_reply_clear(&r);
				for (int v = 0; v < N_VARIANTS; v++) {
					m.flags = VARIANT[v].flags;
					pol_answer(&m, &in, &r);
					score(VARIANT[v].sys, specific, r.answer_id, q, garment);
					why_count[VARIANT[v].sys][r.why]++;
					pol_reply_clear(&r);
				}
			}
			if (n_lost)
				printf("disagree: %s/%s | head %s %.2f | unsafe %d | %d generic "
				       "question(s) wrong | %s\n", garment, files[fi]->d_name, label, p,
				       ph.unsafe, n_lost, lost);
			for (int i = 0; fi == 0 && i < n_offtopic; i++) {
				struct pol_input in = { .words = offtopic[i],
							.words_len = strlen(offtopic[i]),
							.picture = &pic };
				struct pol_reply r;
				off_n++;
				for (int k = 0; k < 3; k++) {
					m.flags = k == 0 ? 0 : k == 1 ? POL_PREVIOUS : POL_NO_HEAD;
					pol_answer(&m, &in, &r);
					off_kept[k] += r.answer_id == offtopic_answer[i];
					if (show_off && !k && r.answer_id != offtopic_answer[i])
						printf("off-topic miss: %s | head %s %.2f | %lld -> %lld "
						       "(%s)\n", offtopic[i], label ? label : "-", p,
						       (long long)offtopic_answer[i],
						       (long long)r.answer_id, pol_why_name(r.why));
					if (!k)
						off_kept[3] += r.fusion_vote.answer_id ==
							       offtopic_answer[i];
					pol_reply_clear(&r);
				}
			}
			photo_free(&ph);
			free(files[fi]);
		}
		free(files);
		free(kinds[k]);
	}
	free(kinds);
	if (!n_photos) {
		fprintf(stderr, "bench_policy: no photos under %s\n", path);
		return 1;
	}

	printf("cases: %d validation photos × their questions = %ld generic, %ld specific; "
	       "pol_answer mean %.2f ms (CNN and OCR excluded)\n", n_photos,
	       tally[SYS_POLICY][0].n, tally[SYS_POLICY][1].n,
	       n_policy ? ms_policy / (double)n_policy : 0.0);
	printf("| %-58s | %-5s | %-5s | %-5s | %-5s | %-5s |\n", "system (right kind AND garment, %)",
	       "gen", "kind", "garm", "spec", "all");
	printf("| %-58s | %-5s | %-5s | %-5s | %-5s | %-5s |\n", "", "both", "gen", "gen",
	       "both", "both");
	for (int s = 0; s < N_SYS; s++)
		print_row(SYS_NAME[s], &tally[s][0], &tally[s][1], s < SYS_HEAD);
	if (off_n)
		printf("off-topic: %d BANKING77 questions (answers without pictures) x %d photos: "
		       "the words' own answer kept %.1f %% policy, %.1f %% policy before the "
		       "rules, %.1f %% policy without the head, %.1f %% fusion alone\n",
		       n_offtopic, (int)(off_n / n_offtopic),
		       100.0 * (double)off_kept[0] / (double)off_n,
		       100.0 * (double)off_kept[1] / (double)off_n,
		       100.0 * (double)off_kept[2] / (double)off_n,
		       100.0 * (double)off_kept[3] / (double)off_n);
	printf("generic cases not right, %% of %ld: safety model refused the photo %.1f, head's "
	       "garment wrong %.1f (right anyway: %.1f), head's garment right but the policy's kind "
	       "wrong %.1f, its garment wrong %.1f\n", tally[SYS_POLICY][0].n,
	       PCT(loss[LOSS_REFUSED], tally[SYS_POLICY][0].n),
	       PCT(loss[LOSS_HEAD_WRONG], tally[SYS_POLICY][0].n),
	       PCT(loss[GAIN_HEAD_WRONG], tally[SYS_POLICY][0].n),
	       PCT(loss[LOSS_KIND], tally[SYS_POLICY][0].n),
	       PCT(loss[LOSS_GARMENT], tally[SYS_POLICY][0].n));
	for (int qi = 0; getenv("POLICY_PER_QUESTION") && qi < n_questions; qi++)
		if (!questions[qi].garment[0] || q_right[qi] < q_asked[qi] * 8 / 10)
			printf("question \"%s\": policy right %.1f %% of %ld\n", questions[qi].text,
			       PCT(q_right[qi], q_asked[qi]), q_asked[qi]);
	/* the generic questions in two halves (every other one in the file's order): a
	 * setting chosen on one half is reported on the other */
	long half_q[2] = { 0, 0 }, half_r[2] = { 0, 0 };
	for (int qi = 0, g = 0; qi < n_questions; qi++)
		if (!questions[qi].garment[0]) {
			half_q[g % 2] += q_asked[qi];
			half_r[g++ % 2] += q_right[qi];
		}
	printf("generic questions in halves (every other one): policy right %.2f %% of the "
	       "first half (1st, 3rd, ...), %.2f %% of the second\n", PCT(half_r[0], half_q[0]),
	       PCT(half_r[1], half_q[1]));
	for (int s = 0; s <= SYS_NO_FUSION; s++) {
		if (s == SYS_CHOSEN_TEXT || s == SYS_WORDS_KIND || s == SYS_BEST_OVERALL ||
		    s == SYS_KIND_FULL)
			continue;
		printf("why, %s:", s == SYS_POLICY ? "policy"
				   : s == SYS_PREVIOUS ? "before the rules"
				   : s == SYS_NO_HEAD ? "without head" : "without fusion");
		for (int w = 0; w < POL_WHY_COUNT; w++)
			if (why_count[s][w])
				printf(" %s %ld", pol_why_name(w), why_count[s][w]);
		printf("\n");
	}
	vis_worker_destroy(vw);
	pol_labels_free(labels);
	vis_catalog_free(cat);
	vis_cnn_close(safety);
	vis_cnn_close(embed);
	fu_state_destroy(fs);
	fu_model_destroy(fm);
	nlu_glove_close(glove);
	nlu_state_destroy(ns);
	nlu_bot_unref(bot);
	store_close(st);
	json_decref(clothing);
	return 0;
}
