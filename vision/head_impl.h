/* vision/head_impl.h — struct vis_head, shared by the head (head.c: training, prediction,
 * blob) and its fine-tuned branch (branch.c).  Private to vision/'s catalogue library.
 */
#ifndef KEFU_VISION_HEAD_IMPL_H
#define KEFU_VISION_HEAD_IMPL_H

struct vis_head {
	int dim, n_labels;
	unsigned flags;          /* VIS_HEAD_STANDARDISE */
	char *embed_name;
	char **labels;
	float *mean, *sd;        /* dim each */
	float *w;                /* dim × n_labels */
	float *b;                /* n_labels */
	int cin, hw;             /* the branch's input: hw positions × cin channels */
	float *bw, *bb;          /* its convolution (cin × dim) and biases (dim); NULL: none,
				    the head reads the shared embedding */
};

#endif
