package dip.sampler;

import dip.flow.FlowPath;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Euler and Heun on the Gaussian toy, whose exact ODE solution is known; guidance, chunking, listener, uint8. */
class SamplerTest {
    static final int B = 5;
    static final int[] Y = {0, 1, 2, 0, 3};          // 3 = null class: unconditional

    /** Max |x − (μ_y + σ·ε)| after sampling. */
    static double error(Sampler s, GaussianToy toy, float[] eps) {
        float[] x = s.sample(eps.clone(), Y, B);
        double err = 0;
        for (int b = 0; b < B; b++) {
            for (int j = b * GaussianToy.PER; j < (b + 1) * GaussianToy.PER; j++) {
                err = Math.max(err, Math.abs(x[j] - toy.exact(eps[j], Y[b])));
            }
        }
        return err;
    }

    @Test
    void eulerConvergesAtFirstOrderToTheExactFlow() {
        var toy = new GaussianToy(8);
        float[] eps = Sampler.noise(1, B, GaussianToy.PER);
        double e25 = error(new EulerSampler(toy, 25), toy, eps), e50 = error(new EulerSampler(toy, 50), toy, eps);
        double e100 = error(new EulerSampler(toy, 100), toy, eps);
        assertTrue(e100 < 0.02, "Euler 100 steps error " + e100);
        assertEquals(2.0, e25 / e50, 0.3, "halving dt should halve the error: " + e25 + " " + e50);
        assertEquals(2.0, e50 / e100, 0.3, "halving dt should halve the error: " + e50 + " " + e100);
    }

    @Test
    void heunConvergesAtSecondOrderAndBeatsEuler() {
        var toy = new GaussianToy(8);
        float[] eps = Sampler.noise(2, B, GaussianToy.PER);
        double h25 = error(new HeunSampler(toy, 25), toy, eps), h50 = error(new HeunSampler(toy, 50), toy, eps);
        assertEquals(4.0, h25 / h50, 1.0, "halving dt should quarter Heun's error: " + h25 + " " + h50);
        double e50 = error(new EulerSampler(toy, 50), toy, eps);   // same 50 model calls as Heun with 25 steps
        assertTrue(h25 < e50 / 2, "Heun 25 steps " + h25 + " vs Euler 50 steps " + e50);
    }

    @Test
    void heunCallsTheModelTwicePerStep() {
        // The last step is an Euler step, but it still evaluates v(x', 1) (with weight 0), so that every step makes
        // the same kernel calls and a device engine replays one recording.
        var toy = new GaussianToy(8);
        new HeunSampler(toy, 10).sample(Sampler.noise(3, B, GaussianToy.PER), Y, B);
        assertEquals(20, toy.calls);
    }

    @Test
    void paperGuidanceWith100StepsGuidesExactly85Steps() {
        var g = Guidance.paper();
        assertEquals(85, g.guidedSteps(FlowPath.timeGrid(100)));
        var toy = new GaussianToy(16);                          // room for one 2B forward per step
        int[] y = {0, 1, 2, 0, 1};                              // no null label among the requests
        new EulerSampler(toy, 100, g).sample(Sampler.noise(4, B, GaussianToy.PER), y, B);
        // As the official sampler: every step runs the [null; conditional] forward of 2B rows and combines with
        // w inside the interval, 1 outside it.
        assertEquals(100, toy.calls);
        assertEquals(100, toy.guidedCalls, "steps whose forward held the null class");
        assertEquals(100 * 2 * B, toy.rows);
        assertEquals(100 * B, toy.nullRows);
        var velocity = new GuidedVelocity(toy, g);
        float[] ts = FlowPath.timeGrid(100);
        int weighted = 0;
        for (int k = 0; k < 100; k++) if (velocity.weightAt(ts[k]) == g.scale()) weighted++;
        assertEquals(85, weighted, "steps combined with weight w");
    }

    @Test
    void heunGuidesBothEvaluationsOfAStepByItsStartTime() {
        // As the official HeunSampler: both evaluations of a step use the weight of t_k; every evaluation runs the
        // [null; conditional] forward (two per step, the last step's second one with weight 0 in the update).
        var toy = new GaussianToy(16);
        new HeunSampler(toy, 100, Guidance.paper()).sample(Sampler.noise(12, B, GaussianToy.PER), new int[]{0, 1, 2, 0, 1}, B);
        assertEquals(200, toy.calls);
        assertEquals(200, toy.guidedCalls);
    }

    @Test
    void guidedFlowOfTheToyReachesTheScaledMean() {
        // For the toy, v_u + w·(v_c − v_u) is exactly the velocity of data N(w·μ_y, σ²). Guiding on (0, 1) misses
        // only the step at t = 0, so Euler converges to w·μ_y + σ·ε. Swapping [null; cond] would give (1 − w)·μ_y.
        float w = 1.5f;
        var toy = new GaussianToy(4);
        float[] eps = Sampler.noise(5, B, GaussianToy.PER);
        float[] x = new EulerSampler(toy, 400, new Guidance(w, 0f, 1f)).sample(eps.clone(), Y, B);
        for (int b = 0; b < B; b++) {
            for (int j = b * GaussianToy.PER; j < (b + 1) * GaussianToy.PER; j++) {
                float want = w * toy.mean(Y[b]) + toy.sigma * eps[j];
                assertEquals(want, x[j], 0.02, "sample " + b + " pixel " + j);
            }
        }
    }

    @Test
    void chunkingDoesNotChangeTheResult() {
        float[] eps = Sampler.noise(6, B, GaussianToy.PER);
        for (Solver solver : Solver.values()) {
            float[] ref = null;
            for (int maxBatch : new int[]{1, 2, 3, 7, 16}) {
                var toy = new GaussianToy(maxBatch);
                float[] x = solver.create(toy, 20, Guidance.paper()).sample(eps.clone(), Y, B);
                assertTrue(toy.largestBatch <= maxBatch, "forward batch " + toy.largestBatch + " > " + maxBatch);
                if (ref == null) ref = x;
                else assertArrayEquals(ref, x, 0f, solver + " maxBatch " + maxBatch);
            }
        }
    }

    @Test
    void theRealModelIsDeterministicAndChunkingOnlyMovesTheLastBits() {
        // Unguided steps run a B-row conditional forward instead of the official 2B [null; cond] one, and any
        // batch is cut into chunks of maxBatch rows. A row's velocity must not depend on the other rows beyond
        // rounding: the Java engine's matmul sums differently for R < VectorMatmul.SMALL_R rows (gemv) than for
        // more (packed GEMM), so samples agree to ~1 ulp across chunkings, and bit for bit for the same settings.
        var cfg = new dip.model.DipConfig(8, 4, 1, 16, 1, 2, 3, 4, dip.model.HeadType.DIP, false);
        float[] eps = Sampler.noise(11, B, cfg.channels() * 64);
        int[] y = {0, 1, 2, 0, 1};
        float[] ref = null;
        for (int maxBatch : new int[]{1, 3, 10, 10}) {
            try (var engine = new dip.tornado.exec.JavaEngine(2)) {
                var model = dip.model.Dip.create(engine, cfg, maxBatch).initialize(new dip.util.Rng(5));
                float[] x = new EulerSampler(model, 4, Guidance.paper()).sample(eps.clone(), y, B);
                if (ref == null) ref = x;
                else assertArrayEquals(ref, x, 1e-5f, "maxBatch " + maxBatch);
                if (maxBatch == 10) {
                    float[] again = new EulerSampler(model, 4, Guidance.paper()).sample(eps.clone(), y, B);
                    assertArrayEquals(x, again, 0f, "same model, same settings: bit for bit");
                }
            }
        }
    }

    @Test
    void sameSeedSameImagesAndTheArrayIsIntegratedInPlace() {
        float[] eps = Sampler.noise(7, B, GaussianToy.PER);
        assertArrayEquals(eps, Sampler.noise(7, B, GaussianToy.PER), 0f);
        float[] x1 = eps.clone(), x2 = eps.clone();
        var a = new EulerSampler(new GaussianToy(4), 10, Guidance.paper()).sample(x1, Y, B);
        var b = new EulerSampler(new GaussianToy(4), 10, Guidance.paper()).sample(x2, Y, B);
        assertTrue(a == x1, "sample() returns the array it integrated");
        assertArrayEquals(a, b, 0f);
    }

    @Test
    void theResultIsClampedToMinusOneOne() {
        var wide = new GaussianToy(new float[]{0.9f, -0.9f, 0f}, 0.5f, 4);   // μ ± 2σ leaves [−1, 1]
        float[] x = new EulerSampler(wide, 20).sample(Sampler.noise(10, B, GaussianToy.PER), Y, B);
        float lo = 0f, hi = 0f;
        for (float v : x) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        assertEquals(-1f, lo);
        assertEquals(1f, hi);
    }

    @Test
    void listenerSeesEveryStepAndThePredictedCleanImage() {
        var toy = new GaussianToy(8);
        float[] eps = Sampler.noise(8, B, GaussianToy.PER);
        List<float[]> xt = new ArrayList<>(), xhat = new ArrayList<>();
        List<Float> times = new ArrayList<>();
        float[] out = new EulerSampler(toy, 4).sample(eps.clone(), Y, B, (k, steps, t, x, xh, nb) -> {
            xt.add(x.clone()); xhat.add(xh.clone()); times.add(t);
        });
        assertEquals(List.of(0f, 0.25f, 0.5f, 0.75f, 1f), times);
        assertArrayEquals(eps, xt.get(0), 0f);
        // At t = 0 the toy's velocity is μ − ε, so x̂ = ε + (μ − ε) = μ exactly (up to rounding).
        for (int j = 0; j < GaussianToy.PER; j++) assertEquals(toy.mean(Y[0]), xhat.get(0)[j], 1e-6f);
        assertArrayEquals(out, xt.get(4), 0f);
        assertArrayEquals(out, xhat.get(4), 0f);
    }

    @Test
    void toUint8FollowsTheOfficialRounding() {
        // (x + 1)·127.5 + 0.5, clipped to [0, 255], truncated: -1 → 0.5 → 0; 0 → 128; 1 → 255.5 → 255.
        assertEquals(0, Sampler.toUint8(-1f));
        assertEquals(128, Sampler.toUint8(0f));
        assertEquals(255, Sampler.toUint8(1f));
        assertEquals(0, Sampler.toUint8(-3f));
        assertEquals(255, Sampler.toUint8(7f));
        assertEquals(1, Sampler.toUint8(-0.99f));             // 0.01·127.5 + 0.5 = 1.775 → 1
        byte[] bytes = Sampler.toUint8(new float[]{1f, 0f}, 2);
        assertEquals(255, bytes[0] & 0xFF);
        assertEquals(128, bytes[1] & 0xFF);
    }

    @Test
    void badInputsAreRejected() {
        var toy = new GaussianToy(4);
        assertThrows(IllegalArgumentException.class, () -> new EulerSampler(toy, 0));
        assertThrows(IllegalArgumentException.class, () -> new HeunSampler(toy, -1));
        assertThrows(IllegalArgumentException.class, () -> new Guidance(2f, 0.5f, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> new Guidance(2f, 0.6f, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> new Guidance(Float.NaN, 0.1f, 0.5f));
        float[] eps = Sampler.noise(9, 1, GaussianToy.PER);
        var s = new EulerSampler(toy, 3);
        assertThrows(IllegalArgumentException.class, () -> s.sample(eps, new int[]{4}, 1));
        assertThrows(IllegalArgumentException.class, () -> s.sample(eps, new int[]{0, 1}, 2));
    }
}
