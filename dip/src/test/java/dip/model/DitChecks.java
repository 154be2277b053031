package dip.model;

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
        for (Param p : reg.all()) rng.fillNormal(p.data(), p.size(), std);
    }

    /**
     * Checks p.grad() (accumulated from zero by one backward) against central differences of {@code loss}, which
     * must run a forward reading p.data(), with step h. p.data() is perturbed in place and restored.
     */
    static void assertParamGrad(Param p, DoubleSupplier loss, Rng rng, double h) {
        float[] saved = p.data().clone(), grad = p.grad().clone();
        GradCheck.assertDirectional("d(" + p.name() + ")", ws -> {
            System.arraycopy(ws, 0, p.data(), 0, ws.length);
            double l = loss.getAsDouble();
            System.arraycopy(saved, 0, p.data(), 0, saved.length);
            return l;
        }, saved, grad, rng, h, Tol.GRAD_REL);
    }
}
