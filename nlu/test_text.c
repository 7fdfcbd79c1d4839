/* nlu/test_text.c — unit tests for text.c: normalisation, Latin words with stemming and
 * stop words, CJK characters and bigrams, mixed scripts, full-width forms, emoji. */
#include "text.h"

#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static struct nlu_token tok[256];
static char joined[4096];

/* Tokenises s and joins the token texts with '|' (stop words marked with '*'). */
static const char *toks(struct nlu_text *t, const char *s)
{
	int n = nlu_text_tokenise(t, s, strlen(s), tok, 256, NULL);
	size_t p = 0;

	joined[0] = '\0';
	for (int i = 0; i < n && p + 80 < sizeof joined; i++) {
		p += (size_t)snprintf(joined + p, sizeof joined - p, "%s%.*s%s", i ? "|" : "",
				      (int)tok[i].len, tok[i].text,
				      tok[i].flags & NLU_TOK_STOP ? "*" : "");
	}
	return n < 0 ? NULL : joined;
}

static int same(const char *got, const char *want)
{
	if (got && strcmp(got, want) == 0)
		return 1;
	fprintf(stderr, "  got  \"%s\"\n  want \"%s\"\n", got ? got : "(null)", want);
	return 0;
}

static void test_latin(struct nlu_text *t)
{
	CHECK(same(toks(t, "Hello, World!"), "hello|world"));
	CHECK(same(toks(t, "My cards were declined while paying"),
		   "my*|card|were*|declin|while|pay"));
	CHECK(same(toks(t, "I'm waiting; don't cancel it's transfer"),
		   "i'm*|wait|don't|cancel|it*|transfer"));
	/* Curly apostrophe lumped to ASCII; a trailing apostrophe is not part of a word. */
	CHECK(same(toks(t, "Don’t customers' card"), "don't|custom|card"));
	CHECK(same(toks(t, "STRASSE Straße"), "strass|strass"));
	CHECK(same(toks(t, "top-up 100 EUR in 2 days"), "top|up|100|eur|in*|2|day"));
	CHECK(same(toks(t, "café naïve"), "café|naïv"));

	/* Same stem, same id; kinds never collide. */
	nlu_text_tokenise(t, "Cards card", 10, tok, 256, NULL);
	CHECK(tok[0].id == tok[1].id && tok[0].kind == NLU_TOK_WORD);
	CHECK(tok[0].id == nlu_hash(NLU_TOK_WORD, "card", 4));
	CHECK(nlu_hash(NLU_TOK_WORD, "a", 1) != nlu_hash(NLU_TOK_CJK_CHAR, "a", 1));
	/* FNV-1a 64 of the bytes 01 "card" (reference computed independently). */
	CHECK(nlu_hash(NLU_TOK_WORD, "card", 4) == 0xc33ce6d308c8f602ull);
	CHECK(nlu_text_is_stop("the", 3) && nlu_text_is_stop("your", 4));
	CHECK(!nlu_text_is_stop("why", 3) && !nlu_text_is_stop("not", 3) &&
	      !nlu_text_is_stop("th", 2) && !nlu_text_is_stop("thee", 4));
	CHECK(nlu_text_is_stop("a", 1) && nlu_text_is_stop("your", 4) &&
	      nlu_text_is_stop("myself", 6) && nlu_text_is_stop("i've", 4) &&
	      !nlu_text_is_stop("yours", 5) && !nlu_text_is_stop("", 0) &&
	      !nlu_text_is_stop("aa", 2) && !nlu_text_is_stop("a\0", 2) &&
	      !nlu_text_is_stop("themselves", 10) && !nlu_text_is_stop("zzz", 3));
}

static void test_cjk(struct nlu_text *t)
{
	struct nlu_text_info info;

	CHECK(same(toks(t, "我的卡丢了"), "我|的|卡|丢|了|我的|的卡|卡丢|丢了"));
	nlu_text_tokenise(t, "我的卡丢了", strlen("我的卡丢了"), tok, 256, &info);
	CHECK(tok[0].kind == NLU_TOK_CJK_CHAR && tok[5].kind == NLU_TOK_CJK_BIGRAM);
	CHECK(tok[5].off == 0 && tok[5].span == 6 && tok[6].off == 3);
	CHECK(info.n_cjk == 5 && info.n_letters == 0 && nlu_text_info_is_cjk(&info));

	/* Mixed scripts: CJK runs and Latin words split where the script changes. */
	CHECK(same(toks(t, "我的app登不上"), "我|的|我的|app|登|不|上|登不|不上"));
	nlu_text_tokenise(t, "我的app登不上", strlen("我的app登不上"), tok, 256, &info);
	CHECK(info.n_cjk == 5 && info.n_letters == 3 && nlu_text_info_is_cjk(&info));
	nlu_text_tokenise(t, "I want to buy a 手机", strlen("I want to buy a 手机"), tok, 256,
			  &info);
	CHECK(!nlu_text_info_is_cjk(&info));

	/* Punctuation (full-width included) splits runs and is dropped. */
	CHECK(same(toks(t, "退款，多久到账？"), "退|款|退款|多|久|到|账|多久|久到|到账"));
	/* Japanese kana and Korean Hangul. */
	CHECK(same(toks(t, "カードを"), "カ|ー|ド|を|カー|ード|ドを"));
	CHECK(same(toks(t, "카드 분실"), "카|드|카드|분|실|분실"));
	/* Half-width katakana folds to full width. */
	CHECK(same(toks(t, "ｶｰﾄﾞ"), "カ|ー|ド|カー|ード"));
}

static void test_normalise(struct nlu_text *t)
{
	size_t n;
	const char *s;

	CHECK(same(toks(t, "ＡＢＣ１２３　ｃａｒｄ"), "abc123|card"));
	s = nlu_text_normalise(t, "ＡＢＣ\t１２３\nX", strlen("ＡＢＣ\t１２３\nX"), &n);
	CHECK(s && same(s, "abc 123 x") && n == 9);
	/* Decomposed e + combining acute composes to é. */
	s = nlu_text_normalise(t, "Cafe\xCC\x81", 6, &n);
	CHECK(s && same(s, "caf\xC3\xA9"));
	/* Zero-width joiner dropped, ligature decomposed. */
	CHECK(same(toks(t, "ca\xE2\x80\x8Drd \xEF\xAC\x81le"), "card|file"));
	/* Invalid UTF-8 is refused. */
	CHECK(nlu_text_tokenise(t, "ab\xFF", 3, tok, 256, NULL) == -1);
	CHECK(nlu_text_normalise(t, "ab\xC0\xAF", 4, &n) == NULL);
}

/* An all-ASCII text takes a path of its own (text.c, normalise_ascii); a zero-width
 * space (dropped by the normalisation) in front sends the same text through utf8proc:
 * both must agree on every pair of ASCII bytes and on random ASCII strings. */
static int ascii_same(struct nlu_text *t, const char *s, size_t len)
{
	static char fast[64], slow[80];
	size_t nf, ns;
	const char *a = nlu_text_normalise(t, s, len, &nf);

	if (!a || nf >= sizeof fast)
		return 0;
	memcpy(fast, a, nf);
	memcpy(slow, "\xE2\x80\x8B", 3);
	memcpy(slow + 3, s, len);
	const char *b = nlu_text_normalise(t, slow, len + 3, &ns);
	return b && ns == nf && !memcmp(fast, b, nf);
}

static void test_ascii_path(struct nlu_text *t)
{
	int bad = 0;
	unsigned rng = 7;
	char s[40];

	for (int a = 0; a < 128; a++)
		for (int b = 0; b < 128; b++) {
			s[0] = (char)a;
			s[1] = (char)b;
			s[2] = 'x';
			bad += !ascii_same(t, s, 3) || !ascii_same(t, s, 2);
		}
	for (int k = 0; k < 20000; k++) {
		size_t len = 1 + k % 39;
		for (size_t i = 0; i < len; i++) {
			rng = rng * 1103515245u + 12345u;
			/* a quarter of the bytes are the controls (and a space) */
			s[i] = (rng >> 16) % 4 ? (char)((rng >> 8) % 128) :
						 "\r\n\t\x0b\x0c\x7f "[(rng >> 9) % 7];
		}
		bad += !ascii_same(t, s, len);
	}
	CHECK(bad == 0);
}

/* Stems come from a cache after a word's first time (text.c, stem_slot): n different
 * words (short and long, so with 3,000 slots are shared and overwritten) tokenised once
 * with a cold cache and again with a warm one give the same tokens. */
static void test_stem_cache(int n)
{
	struct nlu_text *t = nlu_text_create(1 << 16);
	static char text[60000], first[4000][32];
	static struct nlu_token got[4000];
	static const char *const ends[] = { "ing", "ed", "s", "ation", "ly", "ness", "" };
	size_t p = 0;
	unsigned rng = 99;
	int n1, n2, bad = 0;

	CHECK(t != NULL);
	if (!t)
		return;
	for (int i = 0; i < n && p + 40 < sizeof text; i++) {
		rng = rng * 1103515245u + 12345u;
		int len = 2 + (int)((rng >> 16) % (i % 5 ? 8 : 16));
		for (int k = 0; k < len; k++)
			text[p++] = (char)('a' + (rng >> (k % 16)) % 26);
		p += (size_t)sprintf(text + p, "%s%d ", ends[i % 7], i);  /* every word differs */
	}
	n1 = nlu_text_tokenise(t, text, p, got, 4000, NULL);
	for (int i = 0; i < n1; i++)
		snprintf(first[i], sizeof first[i], "%.*s", (int)got[i].len, got[i].text);
	n2 = nlu_text_tokenise(t, text, p, got, 4000, NULL);
	CHECK(n1 == n && n2 == n);
	for (int i = 0; i < n2 && i < n1; i++)
		bad += strlen(first[i]) != got[i].len || memcmp(first[i], got[i].text, got[i].len);
	CHECK(bad == 0);
	nlu_text_destroy(t);
}

static void test_emoji_and_limits(void)
{
	struct nlu_text *t = nlu_text_create(64);
	struct nlu_text_info info;

	CHECK(t != NULL);
	CHECK(same(toks(t, "card 😀👍🏽 lost!!! ❤️"), "card|lost"));
	CHECK(same(toks(t, "😀 ... 🎉"), ""));
	CHECK(nlu_text_tokenise(t, "😀 ... 🎉", strlen("😀 ... 🎉"), tok, 256, &info) == 0);
	CHECK(info.n_tokens == 0);

	/* More tokens than room: the count says how many there were. */
	CHECK(nlu_text_tokenise(t, "a b c d e f", 11, tok, 3, &info) == 3);
	CHECK(info.n_tokens == 6 && !info.truncated);

	/* Longer than max_bytes: cut on a code-point boundary. */
	char big[400];
	size_t p = 0;
	while (p + 3 < sizeof big) {
		memcpy(big + p, "卡", 3);
		p += 3;
	}
	int n = nlu_text_tokenise(t, big, p, tok, 256, &info);
	CHECK(info.truncated && info.n_cjk == 21 && n == 21 + 20);
	nlu_text_destroy(t);
}

int main(void)
{
	struct nlu_text *t = nlu_text_create(0);

	CHECK(t != NULL);
	if (!t)
		return 1;
	test_latin(t);
	test_cjk(t);
	test_normalise(t);
	test_ascii_path(t);
	test_stem_cache(400);
	test_stem_cache(3000);
	test_emoji_and_limits();
	nlu_text_destroy(t);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	else
		printf("nlu text: all tests passed\n");
	return failures ? 1 : 0;
}
