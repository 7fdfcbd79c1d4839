/* common/redact.h — personal data taken out of a text before it is shown or stored:
 * payment card numbers (13-19 digits passing the Luhn check), IBANs (country, check
 * digits, 11-30 letters/digits passing ISO 13616's mod-97), e-mail addresses and phone
 * numbers, in English and Chinese text alike.  Each is replaced by a marker: "[card]",
 * "[iban]", "[email]", "[phone]".  Used by the operator console's view of a conversation
 * and, with the `redact_log` option, on the customer's words before the store writes a
 * turn (store/writer.c).  docs/security.md "Privacy and data care" has the exact rules.
 * Pure functions: any thread, no state.
 */
#ifndef KEFU_COMMON_REDACT_H
#define KEFU_COMMON_REDACT_H

#include <stddef.h>

enum {
	CM_REDACT_CARD = 1,
	CM_REDACT_IBAN = 2,
	CM_REDACT_EMAIL = 4,
	CM_REDACT_PHONE = 8,
	CM_REDACT_ALL = 15,
};

/* Returns a malloc'd copy of text (NUL-terminated UTF-8) with the kinds in `what`
 * replaced by their markers, or NULL when out of memory.  *n_out (may be NULL) gets the
 * number of replacements.  The caller frees the result. */
char *cm_redact(const char *text, unsigned what, int *n_out);

/* 1 when digits[0..n) (ASCII digits only) pass the Luhn check. */
int cm_luhn_ok(const char *digits, size_t n);

/* 1 when the IBAN s[0..n) (letters and digits only, no spaces) has a valid checksum. */
int cm_iban_ok(const char *s, size_t n);

#endif
