/* tools/kefu/cmd_mining.h — `kefu eval-mining` (cmd_mining.c): the review queue's
 * collection rules and clustering measured on labelled traffic.  Main thread. */
#ifndef KEFU_TOOLS_CMD_MINING_H
#define KEFU_TOOLS_CMD_MINING_H

int cmd_eval_mining(int argc, char **argv);

#endif
