/* nlu/rasa.h — a Rasa project (2.x and 3.x YAML: NLU data, domain, rules, stories) read
 * with libyaml into plain lists: intent examples, responses with their variations,
 * intent → action pairs from rules and stories, synonyms, regexes and lookup tables.
 * rasa_import.c maps them onto answers (`kefu import`, the console's import), rasa_export.c
 * writes them back (`kefu export --format rasa`, the console's export); `kefu eval` reads the
 * examples through nlu_dataset_read.  Any thread; a `struct nlu_rasa` belongs to one.
 */
#ifndef KEFU_NLU_RASA_H
#define KEFU_NLU_RASA_H

#include <stddef.h>
#include <stdio.h>

#include "model.h"

/* Rows of one to three owned strings (b and c may be NULL). */
struct nlu_rasa_rows {
	size_t n, cap;
	char **a, **b, **c;
};

/* One variation of a response.  text is NULL for a variation without text (an image or
 * custom payload only). */
struct nlu_rasa_variant {
	char *text, *image, *channel;
	char *title;                     /* metadata: kefu_title (kefu export writes it) */
	char *image_file;                /* image as a local file path (relative ones joined
					    to the file's folder, file:// removed), NULL for a
					    URL or no image */
	int conditional;                 /* has a `condition:` */
	struct nlu_rasa_rows buttons;    /* a = title, b = payload */
	int custom;                      /* has a `custom:` payload */
};

struct nlu_rasa_response {
	char *name;                      /* utter_... */
	struct nlu_rasa_variant *v;
	size_t n;
};

struct nlu_rasa {
	struct nlu_dataset ex;           /* intent examples, entity markup removed */
	struct nlu_rasa_response *resp;  /* in file order; a name seen again adds variations */
	size_t n_resp, cap_resp;
	struct nlu_rasa_rows links;      /* a = intent, b = the next action in a rule or story */
	struct nlu_rasa_rows synonyms;   /* a = text a customer writes, b = canonical value */
	struct nlu_rasa_rows regexes;    /* a = name, b = pattern */
	struct nlu_rasa_rows lookups;    /* a = name, b = element */
	struct nlu_rasa_rows entity_ex;  /* a = entity, b = intent, c = example with the one
					    annotated value replaced by \x01 */
	struct nlu_rasa_rows domain_intents;  /* a = intent listed in a domain `intents:` */
	const char *base_dir;            /* folder of the file being parsed (nlu_rasa_read
					    sets it) for relative image paths, or NULL */
};

void nlu_rasa_init(struct nlu_rasa *r);
void nlu_rasa_free(struct nlu_rasa *r);
/* Adds what one YAML file holds (any mix of nlu:, responses:, rules:, stories:,
 * intents:; other keys are ignored).  0 ok; -1 with "line N: why" in err (a YAML
 * syntax error, examples that are not "- text" lines, text that is not UTF-8, ...).
 * On error r may hold part of the file: callers drop r. */
int nlu_rasa_parse(struct nlu_rasa *r, const char *buf, size_t len, char *err,
		   size_t errlen);
/* Reads a file, or every .yml/.yaml file under a folder (sorted, recursively), with
 * nlu_rasa_parse; *n_files (may be NULL) counts the files read.  0 ok; -1 with
 * "PATH: line N: why" in err. */
int nlu_rasa_read(struct nlu_rasa *r, const char *path, int *n_files, char *err, size_t errlen);
/* The response named name, or NULL. */
const struct nlu_rasa_response *nlu_rasa_response(const struct nlu_rasa *r, const char *name);
/* Appends a row (copies the strings; b, c may be NULL).  0 or -1 out of memory. */
int nlu_rasa_rows_add(struct nlu_rasa_rows *t, const char *a, const char *b, const char *c);
void nlu_rasa_rows_free(struct nlu_rasa_rows *t);

/* ---- the mapping onto kefu answers (nlu/rasa_import.c) ---------------------------------- */

/* What a Rasa import made and left out. */
struct nlu_rasa_counts {
	long intents, examples, answers, disabled, no_response, extra_examples,
	     variations_dropped, unsupported;
};
/* One input: a file or data folder (path), or a YAML text (buf, len; name says which in
 * errors, e.g. "nlu.yml"). */
struct nlu_rasa_input {
	const char *path;
	const char *name;
	const char *buf;
	size_t len;
};
/* Rasa inputs (NLU, domain, rules, stories, in any order) as the kefu JSON import text
 * (malloc'd), or NULL with the reason in why.  titles_path (may be NULL) is a file of
 * "intent: Title" lines.  pictures (may be NULL) gets a row (answer title, local image
 * file) per response image that is a file.  *report gets the malloc'd report lines (what
 * was left out, by name; the caller frees it, also on NULL).  The caller's thread. */
char *nlu_rasa_import_json(const struct nlu_rasa_input *in, int n_in, const char *titles_path,
			   struct nlu_rasa_counts *counts, struct nlu_rasa_rows *pictures,
			   char **report, char *why, size_t whylen);

struct store;
/* rasa_export.c: the store's answers (with their variants, buttons and synonyms) as one Rasa
 * 3.x YAML file written to out; what nlu_rasa_import_json reads back into the same answers.
 * 0, or -1 with a message in err. */
int nlu_rasa_export(struct store *st, FILE *out, char *err, size_t errlen);

#endif
