/* tools/kefu/cmd_eval.h — what `kefu eval` (cmd_eval.c) shares with `kefu eval-speech`
 * (cmd_speech.c): both train the text encoder the same way from the same options.  Main
 * thread. */
#ifndef KEFU_TOOLS_CMD_EVAL_H
#define KEFU_TOOLS_CMD_EVAL_H

#include "conf.h"
#include "model.h"

/* Fills o with the defaults, then takes kefu eval's training options from argv (--no-glove
 * into *no_glove, and the expert --bits, --char-min, --char-max, --epochs, --lr, --l2,
 * --threads, --augment, --w-oos, --alpha, --mlp-epochs).  0, or 2 on a bad value (printed
 * with prog). */
int cli_take_enc_opts(int *argc, char **argv, const char *prog, struct nlu_enc_opts *o,
		      int *no_glove);
/* Opens <models>/glove-100d.kfv for the encoder's dense half; NULL (a warning printed
 * with prog) when it is absent or bad.  Close with nlu_glove_close. */
struct nlu_glove *cli_open_glove(const struct kefu_conf *c, const char *prog);

int cmd_eval_speech(int argc, char **argv);
/* cmd_letters.c: kefu letters-train, the spelling pass's letter classifier. */
int cmd_letters_train(int argc, char **argv);
int cmd_eval_pairs(int argc, char **argv);   /* cmd_pairs.c */

#endif
