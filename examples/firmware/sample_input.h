/* One 8x8 image of the digit 2 from examples/cnn/digits_test.npz (sample 0), as the
 * model's float input [1, 1, 8, 8]. */
#ifndef SAMPLE_INPUT_H
#define SAMPLE_INPUT_H

#define SAMPLE_LABEL 2

static const float sample_input[64] = {
    0.0f, 0.0f, 0.4375f, 1.0f, 0.875f, 0.1875f, 0.0f, 0.0f,
    0.0f, 0.0f, 0.5625f, 0.875f, 0.6875f, 0.9375f, 0.0f, 0.0f,
    0.0f, 0.0f, 0.0625f, 0.3125f, 0.0f, 0.9375f, 0.3125f, 0.0f,
    0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.3125f, 0.0f,
    0.0f, 0.0f, 0.0f, 0.0f, 0.1875f, 1.0f, 0.25f, 0.0f,
    0.0f, 0.0f, 0.0f, 0.0625f, 0.75f, 0.875f, 0.0625f, 0.0f,
    0.0f, 0.0f, 0.3125f, 0.75f, 1.0f, 1.0f, 0.875f, 0.0625f,
    0.0f, 0.0f, 0.5f, 1.0f, 0.875f, 0.625f, 0.8125f, 0.1875f
};

#endif /* SAMPLE_INPUT_H */
