package dip.sampler;

import dip.flow.FlowPath;
import dip.model.Denoiser;

/**
 * Euler ODE sampler with classifier-free guidance (DIP-SPEC §4). From x at t = 0 (noise) to t = 1 (data) over the
 * grid FlowPath.timeGrid(steps): x ← x + v·dt. Guidance: the batch is [null; conditional] (null label = numClasses)
 * and v = v_u + w·(v_c − v_u) when lo < t < hi (strict, float32), else v = v_c; outside the interval, and when w = 1,
 * only the conditional half is run (the same numbers, half the work). The result is clamped to [−1, 1].
 * A minimal sampler written with the trainer (for its per-epoch sample grid); the noise is the caller's.
 */
public final class EulerSampler {
    private final Denoiser model;
    private final float[] ts;
    private final float w, lo, hi;

    /** @param cfgScale w (1 = no guidance); lo, hi: the guidance interval, e.g. the paper's 0.11, 0.97 */
    public EulerSampler(Denoiser model, int steps, float cfgScale, float lo, float hi) {
        this.model = model;
        this.ts = FlowPath.timeGrid(steps);
        this.w = cfgScale;
        this.lo = lo;
        this.hi = hi;
    }

    /** The batch size a call with n images needs: 2n when guidance is on, n otherwise. */
    public int batchFor(int n) { return w == 1f ? n : 2 * n; }

    /**
     * Integrates n images in place. x: (n, C, H, W), the starting noise on entry, the sample in [−1, 1] on return;
     * y: (n) labels in [0, numClasses].
     */
    public void sample(float[] x, int[] y, int n) {
        var cfg = model.config();
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        int need = batchFor(n);
        if (need > model.maxBatch()) {
            throw new IllegalArgumentException("sampling " + n + " images needs batch " + need + " > the model's maxBatch "
                    + model.maxBatch());
        }
        float[] xin = new float[need * per], tt = new float[need];   // [null; cond] inputs when guided
        int[] yy = new int[need];
        for (int b = 0; b < n; b++) {
            yy[b] = cfg.numClasses();
            if (need > n) yy[n + b] = y[b];
        }
        for (int k = 0; k + 1 < ts.length; k++) {
            float t = ts[k], dt = ts[k + 1] - t;
            boolean guided = w != 1f && lo < t && t < hi;
            java.util.Arrays.fill(tt, t);
            if (guided) {
                System.arraycopy(x, 0, xin, 0, n * per);
                System.arraycopy(x, 0, xin, n * per, n * per);
                float[] v = model.forward(xin, tt, yy, 2 * n);              // v[0..n): v_u, v[n..2n): v_c
                for (int j = 0; j < n * per; j++) {
                    float vu = v[j], vc = v[n * per + j];
                    x[j] += (vu + w * (vc - vu)) * dt;
                }
            } else {
                float[] v = model.forward(x, tt, y, n);
                for (int j = 0; j < n * per; j++) x[j] += v[j] * dt;
            }
        }
        for (int j = 0; j < n * per; j++) x[j] = Math.max(-1f, Math.min(1f, x[j]));
    }
}
