package dip.tornado.kernels;

import dip.tornado.Parallel;

/** Pointwise activations. SiLU(x) = x·σ(x) (torch.nn.SiLU). Arrays are flat; the range [i0, i1) is elements. */
public final class ActivationKernels {
    private ActivationKernels() {
    }

    /** out[i] = x[i]·σ(x[i]) for i in [i0, i1). out may alias x. */
    public static void siluForward(float[] out, float[] x, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            float v = x[i];
            out[i] = v / (1f + (float) Math.exp(-v));
        }
    }

    /**
     * dx[i] = dout[i]·σ(x)·(1 + x·(1 − σ(x))), for i in [i0, i1) (written).
     * Forward was: out = x·σ(x); d/dx = σ + x·σ·(1 − σ).
     */
    public static void siluBackward(float[] dx, float[] dout, float[] x, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            float v = x[i];
            float s = 1f / (1f + (float) Math.exp(-v));
            dx[i] = dout[i] * s * (1f + v * (1f - s));
        }
    }
}
