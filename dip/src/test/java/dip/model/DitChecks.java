package dip.model;

import dip.layers.Init;
import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;

import java.util.function.DoubleSupplier;

/** Test helpers for model parts: random parameters and gradient checks with respect to a parameter tensor. */
final class DitChecks {
    private DitChecks() {
    }

    /** Fills every parameter with N(0, std²) so every weight matters (the official init would hide mistakes). */
    static void randomize(ParamRegistry reg, Rng rng, float std) {
        for (Param p : reg.all()) Init.normal(p, std, rng);
    }

    /**
     * Checks p's gradient (accumulated from zero by one backward) against central differences of {@code loss}, which
     * must run a forward reading p, with step h. p's values are perturbed and restored.
     */
    static void assertParamGrad(Param p, DoubleSupplier loss, Rng rng, double h) {
        float[] saved = p.values(), grad = p.gradValues();
        GradCheck.assertDirectional("d(" + p.name() + ")", ws -> {
            p.load(ws);
            double l = loss.getAsDouble();
            p.load(saved);
            return l;
        }, saved, grad, rng, h, Tol.GRAD_REL);
    }
}
