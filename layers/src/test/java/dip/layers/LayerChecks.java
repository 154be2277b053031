package dip.layers;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;

import java.util.function.DoubleSupplier;
import java.util.function.Function;

/** Test helper: gradient checks of a whole layer, L = ⟨layer(x), dout⟩, w.r.t. its input and each parameter. */
final class LayerChecks {
    private LayerChecks() {
    }

    /**
     * @param forward  runs the layer's forward on an input and returns its output (read before the next call)
     * @param dx       the analytic dL/dx from the layer's backward, computed at x with the params as they are now
     * @param params   the params whose grads (accumulated from zero by that backward) are checked
     */
    static void checkAll(String layer, Function<float[], float[]> forward, float[] x, float[] dout, int outLen,
                         float[] dx, Iterable<Param> params, Rng rng) {
        GradCheck.assertDirectional(layer + " dx", xs -> GradCheck.dot(forward.apply(xs), dout, outLen),
                x, dx, rng, 1e-2, Tol.GRAD_REL);
        for (Param p : params) {
            assertParamGrad(p, () -> GradCheck.dot(forward.apply(x), dout, outLen), rng);
        }
    }

    /**
     * Checks p's gradient (already accumulated from zero by one backward) against central differences of {@code loss},
     * which must run a forward reading p. p's values are perturbed and restored.
     */
    static void assertParamGrad(Param p, DoubleSupplier loss, Rng rng) {
        float[] saved = p.values(), grad = p.gradValues();
        GradCheck.assertDirectional("d(" + p.name() + ")", ws -> {
            p.load(ws);
            double l = loss.getAsDouble();
            p.load(saved);
            return l;
        }, saved, grad, rng, 1e-2, Tol.GRAD_REL);
    }

    /** Fills every parameter with N(0, std²), so every weight matters (the official init would hide mistakes). */
    static void randomize(ParamRegistry reg, Rng rng, float std) {
        for (Param p : reg.all()) Init.normal(p, std, rng);
    }
}
