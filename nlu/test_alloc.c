/* nlu/test_alloc.c — nlu_bot_reply allocates nothing: this program replaces malloc,
 * calloc, realloc and free (interposing them for the shared libraries too: utf8proc,
 * libstemmer), counts calls made while replying to a mix of English, Chinese, mixed,
 * long, empty and emoji-only texts, and expects zero; the same for a trained encoder with
 * its sequence half (nlu_enc_predict, nlu_enc_sentence).  Under AddressSanitizer the
 * allocator cannot be replaced, so the test reports itself skipped (exit 77). */
#include "model.h"
#include "nlu_int.h"
#include "tensor.h"

#include <stdio.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#ifndef UNDER_ASAN
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static int counting;
static long n_alloc;

void *malloc(size_t n)
{
	n_alloc += counting;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	n_alloc += counting;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	n_alloc += counting;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

int main(void)
{
#ifdef UNDER_ASAN
	printf("nlu alloc: skipped under AddressSanitizer\n");
	return 77;
#else
	static const struct nlu_answer_in ans[] = {
		{ 1, "Lost card", "Freeze it in the app.", "en" },
		{ 2, "Refund", "Five working days.", "en" },
		{ 3, "银行卡挂失", "请冻结您的卡。", "zh" },
	};
	static const struct nlu_example_in ex[] = {
		{ 1, "I lost my card" }, { 1, "my card was stolen" },
		{ 2, "where is my refund" }, { 2, "refund not received" },
		{ 3, "我的卡丢了" }, { 3, "银行卡被偷了" },
	};
	static char longtext[6000];
	const char *texts[] = {
		"I lost my card", "Where is my REFUND?", "我的卡丢了", "我的app登不上",
		"Ｆｕｌｌ－ｗｉｄｔｈ ｃａｒｄ", "😀👍🏽", "", "Refund", "xyzzy",
		"pneumonoultramicroscopicsilicovolcanoconiosis-and-an-even-longer-made-up-word-"
		"that-goes-on-and-on-and-on", longtext,
	};
	char err[200];
	struct nlu_opts o = { .threshold = 0.35 };
	struct nlu_bot *bot = nlu_bot_build(ans, 3, ex, 6, &o, NULL, err, sizeof err);
	struct nlu_state *s = bot ? nlu_state_create(bot) : NULL;
	struct nlu_reply r;
	int failures = 0;

	if (!s) {
		fprintf(stderr, "FAIL: build: %s\n", bot ? "state" : err);
		return 1;
	}
	for (size_t i = 0; i + 16 < sizeof longtext; i += 16)
		memcpy(longtext + i, "card refund 卡 ", 16);
	longtext[sizeof longtext - 1] = '\0';

	counting = 1;
	for (int rep = 0; rep < 3; rep++)
		for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
			nlu_bot_reply(bot, s, texts[i], strlen(texts[i]), &r);
	counting = 0;
	if (n_alloc != 0) {
		fprintf(stderr, "FAIL: nlu_bot_reply allocated %ld times\n", n_alloc);
		failures++;
	}
	/* The counter works: building a state allocates. */
	counting = 1;
	struct nlu_state *s2 = nlu_state_create(bot);
	counting = 0;
	if (n_alloc == 0) {
		fprintf(stderr, "FAIL: the allocation counter saw nothing\n");
		failures++;
	}
	nlu_state_destroy(s2);

	/* a trained encoder with the sequence half (no GloVe: the file may be absent) */
	struct nlu_dataset d;
	struct nlu_enc_opts eo;
	nlu_dataset_init(&d);
	for (int rep = 0; rep < 4; rep++)
		for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
			nlu_dataset_add(&d, ex[i].text, ex[i].answer_id == 1 ? "lost" :
					ex[i].answer_id == 2 ? "refund" : "zh");
	nlu_enc_opts_default(&eo);
	eo.lin.threads = 1;
	eo.beta = 0.5f;
	cm_blas_single_thread();
	struct nlu_enc *e = nlu_enc_train(&d, NULL, NULL, &eo, err, sizeof err);
	struct nlu_enc_scratch *es = e ? nlu_enc_scratch_create(e) : NULL;
	if (!es || !e->seq.bits) {
		fprintf(stderr, "FAIL: encoder with a sequence half: %s\n", e ? "scratch" : err);
		failures++;
	} else {
		struct nlu_enc_pred p;
		float z[NLU_SENTENCE_DIM];
		n_alloc = 0;
		counting = 1;
		for (int rep = 0; rep < 3; rep++)
			for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
				nlu_enc_predict(e, es, texts[i], strlen(texts[i]), &p, NULL);
				nlu_enc_sentence(e, es, texts[i], strlen(texts[i]), z);
			}
		counting = 0;
		if (n_alloc != 0) {
			fprintf(stderr, "FAIL: the encoder allocated %ld times\n", n_alloc);
			failures++;
		}
	}
	nlu_enc_scratch_destroy(es);
	nlu_enc_destroy(e);
	nlu_dataset_free(&d);
	nlu_state_destroy(s);
	nlu_bot_unref(bot);
	if (!failures)
		printf("nlu alloc: nlu_bot_reply and the encoder made no allocation\n");
	return failures ? 1 : 0;
#endif
}
