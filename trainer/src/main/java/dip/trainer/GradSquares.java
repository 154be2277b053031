package dip.trainer;

import dip.layers.ParamRegistry;
import dip.tornado.exec.Engine;

/**
 * The squared norm of every gradient as kernel calls, for clipping: each bank's gradient array cut into spans of at
 * most {@code OptimizerKernels.CHUNK} within one parameter, one launch per bank summing each span, then one launch
 * adding the spans' sums in order. Fixed spans and a fixed order: the same bits on every engine and thread count.
 */
final class GradSquares {
    private final ParamRegistry reg;
    private final int[][] bounds;       // per bank: span c is [bounds[b][c], bounds[b][c+1])
    private final float[] partial;      // per span, its squared sum: bank 0's spans, then bank 1's

    GradSquares(ParamRegistry reg) {
        this.reg = reg;
        bounds = new int[ParamRegistry.BANKS][];
        int spans = 0;
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            bounds[b] = reg.chunkBounds(b);
            spans += bounds[b].length - 1;
        }
        partial = new float[spans];
    }

    /** out[k] = Σ g² over every parameter. */
    void sumInto(Engine e, float[] out, int k) {
        int off = 0;
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            int spans = bounds[b].length - 1;
            e.sumSquaresSpans(partial, off, reg.grad(b), bounds[b], spans);
            off += spans;
        }
        e.sumTo(out, k, partial, partial.length, 1f);
    }
}
