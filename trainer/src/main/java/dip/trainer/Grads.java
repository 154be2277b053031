package dip.trainer;

import dip.layers.Param;
import dip.layers.ParamRegistry;

/** Global gradient norm and clipping, as torch.nn.utils.clip_grad_norm_ (norm over all params together). */
public final class Grads {
    private Grads() {
    }

    /** √(Σ g²) over every parameter's grad, accumulated in double. NaN or Inf if any grad is. */
    public static double globalNorm(ParamRegistry reg) {
        double s = 0;
        for (Param p : reg.all()) {
            for (float g : p.grad()) s += (double) g * g;
        }
        return Math.sqrt(s);
    }

    /**
     * Scales all grads by maxNorm / (norm + 1e-6) when that is below 1 (torch's clip_coef), given the norm just
     * computed. Returns the factor applied (1 when nothing was clipped).
     */
    public static double clip(ParamRegistry reg, double norm, double maxNorm) {
        double coef = maxNorm / (norm + 1e-6);
        if (coef >= 1) return 1;
        float c = (float) coef;
        for (Param p : reg.all()) {
            float[] g = p.grad();
            for (int j = 0; j < g.length; j++) g[j] *= c;
        }
        return coef;
    }
}
