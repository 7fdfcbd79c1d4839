/* tools/kefu/cmd_images.h — the picture commands of `kefu` (cmd_images.c, cmd_see.c) and
 * the helper they share.  Main thread. */
#ifndef KEFU_TOOLS_CMD_IMAGES_H
#define KEFU_TOOLS_CMD_IMAGES_H

#include "conf.h"

struct vis_cnn;

/* Opens <models>/NAME.kfm; NULL with the error printed. */
struct vis_cnn *cli_open_cnn(const struct kefu_conf *c, const char *name);

struct store;
/* kefu train's picture step: embeds the store's pictures that need it with conf's
 * image_embed CNN and trains + stores the category head when there are labelled
 * pictures of 2+ labels.  Prints one line (to stderr when quiet).  0 (also when there is
 * nothing to train) or 1 on error (printed). */
int cli_train_images(struct store *st, const struct kefu_conf *c, int quiet);

int cmd_pictures(int argc, char **argv);
int cmd_eval_images(int argc, char **argv);
int cmd_see(int argc, char **argv);

#endif
