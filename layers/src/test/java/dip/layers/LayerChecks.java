package dip.layers;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;

import java.util.function.DoubleSupplier;

/** Test helpers for layers: random parameters, and a gradient check with respect to a parameter tensor. */
final class LayerChecks {
    private LayerChecks() {
    }

    /** Fills every parameter with N(0, std²) so every weight matters (the official init would hide mistakes). */
    static void randomize(ParamRegistry reg, Rng rng, float std) {
        for (Param p : reg.all()) rng.fillNormal(p.data(), p.size(), std);
    }

    /**
     * Checks p.grad() (already accumulated by one backward) against central differences of {@code loss}, which must
     * run a forward reading p.data(). p.data() is perturbed in place and restored.
     */
    static void assertParamGrad(Param p, DoubleSupplier loss, Rng rng) {
        float[] saved = p.data().clone();
        float[] grad = p.grad().clone();
        GradCheck.assertDirectional(p.name(), v -> {
            System.arraycopy(v, 0, p.data(), 0, v.length);
            double l = loss.getAsDouble();
            System.arraycopy(saved, 0, p.data(), 0, saved.length);
            return l;
        }, saved, grad, rng, 1e-2, Tol.GRAD_REL);
    }
}
