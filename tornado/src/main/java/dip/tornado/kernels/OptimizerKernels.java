package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * The optimiser's per-element work: squared-norm partial sums, the loss sum, AdamW and the EMA. Numbers that
 * change every step (learning rate, bias corrections, clip factor) come in a small array {@code hp} rather than
 * as scalar arguments, so a recorded training step replays with new values without being rebuilt.
 */
public final class OptimizerKernels {
    private OptimizerKernels() {
    }

    /** The most elements per partial sum in {@link #sumSquaresSpans}. */
    public static final int CHUNK = 4096;

    /** Slots of the AdamW hyper-parameter array hp. */
    public static final int HP_DECAY = 0, HP_B1 = 1, HP_ONE_MINUS_B1 = 2, HP_B2 = 3, HP_ONE_MINUS_B2 = 4,
            HP_STEP_SIZE = 5, HP_BC2_SQRT = 6, HP_EPS = 7, HP_SIZE = 8;

    /** Slots of the gate array written by {@link #clipGate}: the clip factor, and 1 when the step may be applied. */
    public static final int GATE_CLIP = 0, GATE_APPLY = 1, GATE_SIZE = 2;

    /**
     * partial[pOff + c] = Σ g[j]² over span c (j in [bounds[c], bounds[c+1])), for spans c in [c0, c1), summed in order
     * within the span by one work-item. The caller cuts the spans (bounds has one entry more than there are spans):
     * each at most {@link #CHUNK} elements and within one parameter of the flat gradient array, so the partial sums
     * are those of each parameter's own CHUNK-sized chunks. The spans are fixed by bounds alone, so the result does
     * not depend on how the engine splits the range.
     */
    public static void sumSquaresSpans(float[] partial, int pOff, float[] g, int[] bounds, int c0, int c1) {
        for (@Parallel int it = 0; it < c1 - c0; it++) {
            int c = c0 + it;
            int j1 = bounds[c + 1];
            float acc = 0f;
            for (int j = bounds[c]; j < j1; j++) acc += g[j] * g[j];
            partial[pOff + c] = acc;
        }
    }

    /** out[k] = scale · Σ_{i < n} x[i], summed in order by one work-item (n is small: chunk counts, batch rows). */
    public static void sumTo(float[] out, int k, float[] x, int n, float scale, int r0, int r1) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            float acc = 0f;
            for (int i = 0; i < n; i++) acc += x[i];
            out[k + it] = scale * acc;
        }
    }

    /**
     * Reads the loss lossNorm[0] and the summed squared gradients lossNorm[1]; writes the gradient norm
     * lossNorm[1] = √(Σ g²), the clip factor gate[GATE_CLIP] = maxNorm / (norm + 1e-6) when that is below 1, else 1
     * (torch's clip_grad_norm_; maxNorm ≤ 0 never clips), and gate[GATE_APPLY] = 1 only when loss and norm are both
     * finite, so a step that diverged never touches the weights. One work-item (r1 - r0 = 1).
     */
    public static void clipGate(float[] gate, float[] lossNorm, float maxNorm, int r0, int r1) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            float loss = lossNorm[0];
            float norm = (float) Math.sqrt(lossNorm[1]);
            lossNorm[1] = norm;
            float coef = maxNorm / (norm + 1e-6f);
            gate[GATE_CLIP] = maxNorm > 0f && coef < 1f ? coef : 1f;
            gate[GATE_APPLY] = loss - loss == 0f && norm - norm == 0f ? 1f : 0f;    // x − x is 0 unless x is NaN or ±∞
        }
    }

    /**
     * AdamW with decoupled weight decay, torch.optim.AdamW's single-tensor path, for i in [i0, i1), applied only
     * when gate[GATE_APPLY] is 1; the gradient is first scaled by the clip factor gate[GATE_CLIP] (1 when not
     * clipping, an exact no-op):
     * p ← p·decay; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; p ← p − stepSize·m / (√v / √(1 − β2ᵗ) + ε).
     * The float operation order is torch's (mul_, add_, addcmul_, addcdiv_), with the two moment updates
     * contracted into fused multiply-adds as torch's vectorised CPU kernels do. p, m, v modified; g read.
     */
    public static void adamw(float[] p, float[] g, float[] m, float[] v, float[] hp, float[] gate, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            if (gate[GATE_APPLY] == 0f) continue;
            adamwAt(p, g, m, v, hp, gate[GATE_CLIP], i);
        }
    }

    /**
     * {@link #adamw} and then {@link #ema} of the updated weight, element by element: a training step's whole
     * optimiser in one launch per parameter instead of two (on a device every launch costs time), with the same
     * bits as the two kernels in turn. It then zeroes g, applied or not: the step has used its gradient, and the
     * next backward accumulates into zeros (PyTorch's {@code optimizer.zero_grad()}, without a launch of its own per
     * parameter). p, m, v, e modified; g read, then zeroed.
     */
    public static void adamwEma(float[] p, float[] g, float[] m, float[] v, float[] e, float[] hp, float[] gate,
                                float decay, float oneMinusDecay, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            if (gate[GATE_APPLY] != 0f) {
                adamwAt(p, g, m, v, hp, gate[GATE_CLIP], i);
                e[i] = emaOf(e[i], p[i], decay, oneMinusDecay);
            }
            g[i] = 0f;
        }
    }

    /** AdamW on element i (see {@link #adamw}), the gradient scaled by clip. */
    private static void adamwAt(float[] p, float[] g, float[] m, float[] v, float[] hp, float clip, int i) {
        float gi = g[i] * clip;
        float pi = p[i] * hp[HP_DECAY];                                        // param.mul_(1 - lr * wd)
        float mi = fma(gi, hp[HP_ONE_MINUS_B1], m[i] * hp[HP_B1]);             // exp_avg.mul_(b1).add_(g, 1-b1)
        float vi = fma(hp[HP_ONE_MINUS_B2] * gi, gi, v[i] * hp[HP_B2]);        // exp_avg_sq...addcmul_(g, g, 1-b2)
        float denom = (float) Math.sqrt(vi) / hp[HP_BC2_SQRT] + hp[HP_EPS];    // (v.sqrt() / sqrt(bc2)).add_(eps)
        p[i] = pi + (-hp[HP_STEP_SIZE]) * mi / denom;                          // param.addcdiv_(m, denom, -step)
        m[i] = mi;
        v[i] = vi;
    }

    /**
     * ema ← decay·ema + (1 − decay)·θ for i in [i0, i1), as torch's ema.mul_(decay).add_(θ, alpha=1 − decay); only
     * when gate[GATE_APPLY] is 1.
     */
    public static void ema(float[] e, float[] p, float[] gate, float decay, float oneMinusDecay, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            if (gate[GATE_APPLY] == 0f) continue;
            e[i] = emaOf(e[i], p[i], decay, oneMinusDecay);
        }
    }

    /** decay·e + (1 − decay)·p, in torch's order. */
    private static float emaOf(float e, float p, float decay, float oneMinusDecay) {
        return e * decay + oneMinusDecay * p;
    }

    /**
     * a·b + c rounded once to float: the same bits as {@code Math.fma(float, float, float)}, in plain double
     * arithmetic that device compilers take (Math.fma's float fallback goes through BigDecimal; OpenCL backends
     * lack the double↔long bit casts). The product of two floats is exact in double (24 + 24 significant bits ≤ 53);
     * the double sum s is off the exact sum by err, found exactly by TwoSum. Rounding s to float gives the right
     * float except when s falls exactly halfway between two floats while err is not 0: then the exact sum lies on
     * err's side of the midpoint and rounds to that side's float. The other float o = 2s − f of a midpoint is what
     * identifies it: for any s that is not a midpoint, 2s − f is no float other than f.
     */
    static float fma(float a, float b, float c) {
        double p = (double) a * b;
        double s = p + c;
        double t = s - p;
        double err = (p - (s - t)) + (c - t);                       // TwoSum: s + err == p + c exactly
        float f = (float) s;
        if (err != 0.0) {
            double o = 2.0 * s - f;
            if (o != f && (double) (float) o == o) {                // s is the midpoint of f and o
                boolean oAbove = o > f;
                if ((err > 0.0) == oAbove) f = (float) o;
            }
        }
        return f;
    }
}
