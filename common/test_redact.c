/* common/test_redact.c — PII redaction (redact.h) on English and Chinese examples:
 * what must be replaced, and look-alikes that must stay (order numbers, a card number
 * failing Luhn, an IBAN with a wrong check, dates, amounts). */
#include "redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void expect(unsigned what, const char *in, const char *want, int want_n)
{
	int n = -1;
	char *got = cm_redact(in, what, &n);

	if (!got || strcmp(got, want) || n != want_n) {
		fprintf(stderr, "FAIL: %s\n  got  %s (%d)\n  want %s (%d)\n", in,
			got ? got : "(null)", n, want, want_n);
		failures++;
	}
	free(got);
}

int main(void)
{
	/* checksums */
	if (!cm_luhn_ok("4111111111111111", 16) || cm_luhn_ok("4111111111111112", 16) ||
	    !cm_iban_ok("GB82WEST12345698765432", 22) || cm_iban_ok("GB82WEST12345698765433", 22) ||
	    !cm_iban_ok("DE89370400440532013000", 22)) {
		fprintf(stderr, "FAIL: checksum helpers\n");
		failures++;
	}
	/* English */
	expect(CM_REDACT_ALL, "My card 4111 1111 1111 1111 was stolen",
	       "My card [card] was stolen", 1);
	expect(CM_REDACT_ALL, "card 5500-0000-0000-0004, exp 12/27", "card [card], exp 12/27", 1);
	expect(CM_REDACT_ALL, "number 4111 1111 1111 1112 fails Luhn",
	       "number 4111 1111 1111 1112 fails Luhn", 0);
	expect(CM_REDACT_ALL, "Send it to GB82 WEST 1234 5698 7654 32 please",
	       "Send it to [iban] please", 1);
	expect(CM_REDACT_ALL, "IBAN DE89370400440532013000.", "IBAN [iban].", 1);
	expect(CM_REDACT_ALL, "bad GB82 WEST 1234 5698 7654 33", "bad GB82 WEST 1234 5698 7654 33", 0);
	expect(CM_REDACT_ALL, "Write to jane.doe+bank@example.co.uk or call +44 20 7946 0958.",
	       "Write to [email] or call [phone].", 2);
	expect(CM_REDACT_ALL, "my number is (555) 123-4567", "my number is [phone]", 1);
	expect(CM_REDACT_ALL, "order 12345678 of 2026-12-05 for $1,234.56",
	       "order 12345678 of 2026-12-05 for $1,234.56", 0);
	expect(CM_REDACT_ALL, "ref AB12345678901234 stays", "ref AB12345678901234 stays", 0);
	expect(CM_REDACT_ALL, "user@localhost is no address", "user@localhost is no address", 0);
	/* Chinese: no spaces around the numbers, full-width punctuation */
	expect(CM_REDACT_ALL, "我的手机号是13812345678，邮箱是wang.li@example.cn。",
	       "我的手机号是[phone]，邮箱是[email]。", 2);
	expect(CM_REDACT_ALL, "银行卡号6222 0200 0000 0000 008丢了", "银行卡号6222 0200 0000 0000 008丢了", 0);
	expect(CM_REDACT_ALL, "卡号4111111111111111被盗刷了", "卡号[card]被盗刷了", 1);
	expect(CM_REDACT_ALL, "请打电话010-12345678", "请打电话[phone]", 1);
	expect(CM_REDACT_ALL, "订单号20261205，金额300元", "订单号20261205，金额300元", 0);
	/* kinds can be chosen */
	expect(CM_REDACT_EMAIL, "a@b.cd 4111111111111111", "[email] 4111111111111111", 1);
	expect(CM_REDACT_CARD | CM_REDACT_PHONE, "a@b.cd 4111111111111111", "a@b.cd [card]", 1);
	expect(CM_REDACT_ALL, "", "", 0);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
