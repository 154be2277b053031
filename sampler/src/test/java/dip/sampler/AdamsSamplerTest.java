package dip.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dip.flow.FlowPath;
import dip.io.Safetensors;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Adams–Bashforth sampler (PixNerd's AdamLMSampler, order 2) and the timeshift against a PyTorch reference
 * (scripts/reference/make_adams_fixture.py, golden/adams_gaussian.safetensors) on the Gaussian toy, whose exact
 * solution is also known; its order of convergence; one model call per step.
 */
class AdamsSamplerTest {
    /** Max abs difference from PyTorch: both compute the same float32 operations; the toy's velocity is float64. */
    static final float TOL = 1e-6f;

    @Test
    void reproducesThePyTorchReferenceWithTimeshiftAndGuidance() throws Exception {
        var fx = Safetensors.read(Path.of(AdamsSamplerTest.class.getResource("/golden/adams_gaussian.safetensors").toURI()));
        float[] noise = fx.tensor("noise").floats();
        int[] y = fx.tensor("labels").ints();
        int B = y.length;
        int cases = 0;
        for (var e : fx.metadata().entrySet()) {
            if (!e.getKey().startsWith("case_")) continue;
            String name = e.getKey().substring(5);
            JsonNode c = new ObjectMapper().readTree(e.getValue());
            int steps = c.get("steps").asInt();
            float shift = (float) c.get("timeshift").asDouble();
            var g = new Guidance((float) c.get("cfg").asDouble(), (float) c.get("lo").asDouble(), (float) c.get("hi").asDouble());
            assertArrayEquals(fx.tensor("grid_" + name).floats(), FlowPath.timeGrid(steps, shift), 0f, name + ": shifted grid");
            float[] x = new AdamsSampler(new GaussianToy(2 * B), steps, g, shift).integrate(noise.clone(), y, B, SamplerListener.NONE);
            float[] want = fx.tensor("x_" + name).floats();
            float err = 0;
            for (int i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i] - x[i]));
            System.out.printf("ab2 %-18s max |java - torch| = %.3g%n", name, err);
            assertTrue(err <= TOL, name + ": max |java - torch| " + err + " > " + TOL);
            cases++;
        }
        assertEquals(4, cases, "fixture cases");
    }

    /** Max |x − (μ_y + σ·ε)| of the unguided sampler. */
    static double error(int steps) {
        var toy = new GaussianToy(8);
        float[] eps = Sampler.noise(21, SamplerTest.B, GaussianToy.PER);
        float[] x = new AdamsSampler(toy, steps).sample(eps.clone(), SamplerTest.Y, SamplerTest.B);
        double err = 0;
        for (int j = 0; j < x.length; j++) err = Math.max(err, Math.abs(x[j] - toy.exact(eps[j], SamplerTest.Y[j / GaussianToy.PER])));
        return err;
    }

    @Test
    void convergesAtSecondOrderWithOneModelCallPerStep() {
        double e20 = error(20), e40 = error(40);
        assertEquals(4.0, e20 / e40, 1.0, "halving h should quarter the error: " + e20 + " " + e40);
        var toy = new GaussianToy(8);
        new AdamsSampler(toy, 20).sample(Sampler.noise(3, SamplerTest.B, GaussianToy.PER), SamplerTest.Y, SamplerTest.B);
        assertEquals(20, toy.calls, "one (unguided) forward per step");
        float[] eps = Sampler.noise(22, SamplerTest.B, GaussianToy.PER);
        double euler = SamplerTest.error(new EulerSampler(new GaussianToy(8), 20), new GaussianToy(8), eps);
        assertTrue(e20 < euler / 4, "AB2 " + e20 + " vs Euler " + euler + " at 20 steps");
    }

    @Test
    void equalStepsGiveTheTextbookCoefficients() {
        float[] c = AdamsSampler.coefficients(FlowPath.timeGrid(4));    // 0, 0.25, 0.5, 0.75, 1
        assertArrayEquals(new float[]{0f, 1f, -0.5f, 1.5f, -0.5f, 1.5f, -0.5f, 1.5f}, c, 1e-6f);
    }

    @Test
    void timeshiftMovesTheGridTowardsTheNoise() {
        assertEquals(0.25f, FlowPath.shift(0.5f, 3f));
        float[] ts = FlowPath.timeGrid(4, 3f);
        assertEquals(0f, ts[0]);
        assertEquals(1f, ts[4]);
        assertEquals(0.25f, ts[2]);
        assertArrayEquals(FlowPath.timeGrid(100), FlowPath.timeGrid(100, 1f), 0f, "shift 1 is the identity");
    }
}
