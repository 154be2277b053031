package dip.sampler;

import dip.layers.ParamRegistry;
import dip.model.Denoiser;
import dip.model.DipConfig;
import dip.model.HeadType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Euler sampler as the trainer's sample grid uses it: hand-worked integrals, guidance mixing, the 85-step count. */
class EulerSamplerTest {

    /** v = label/4 for every pixel, whatever x and t: the ODE then moves x by exactly label/4 from t = 0 to 1. */
    static final class LabelVelocity implements Denoiser {
        final DipConfig cfg = new DipConfig(2, 2, 1, 8, 1, 2, 3, 4, HeadType.DIT_ONLY, false);
        final List<float[]> calls = new ArrayList<>();   // (t, batch) per forward
        final float[] out = new float[4 * 4];
        @Override public DipConfig config() { return cfg; }
        @Override public ParamRegistry params() { return new ParamRegistry(); }
        @Override public int maxBatch() { return 4; }
        @Override public float[] forward(float[] x, float[] t, int[] y, int B) {
            calls.add(new float[]{t[0], B});
            for (int b = 0; b < B; b++) for (int j = 0; j < 4; j++) out[b * 4 + j] = y[b] / 4f;
            return out;
        }
        @Override public void backward(float[] dv) { throw new UnsupportedOperationException(); }
    }

    @Test
    void unguidedMovesByTheIntegralOfV() {
        LabelVelocity m = new LabelVelocity();
        float[] x = {0.1f, -0.2f, 0.3f, 0f, 0f, 0f, 0f, 0f};
        new EulerSampler(m, 4, 1f, 0.11f, 0.97f).sample(x, new int[]{2, 1}, 2);
        // image 0: + 2/4 over t ∈ [0, 1]; image 1: + 1/4
        assertArrayEquals(new float[]{0.6f, 0.3f, 0.8f, 0.5f, 0.25f, 0.25f, 0.25f, 0.25f}, x, 1e-6f);
        assertEquals(4, m.calls.size());
    }

    @Test
    void guidanceMixesNullAndConditionalAndClamps() {
        LabelVelocity m = new LabelVelocity();
        // null label 3: v_u = 0.75; y = 1: v_c = 0.25; w = 3: v = 0.75 + 3·(0.25 − 0.75) = −0.75 on every step.
        float[] x = {0.2f, 0.2f, -0.5f, 0.9f};
        new EulerSampler(m, 4, 3f, -1f, 2f).sample(x, new int[]{1}, 1);
        assertArrayEquals(new float[]{-0.55f, -0.55f, -1f, 0.15f}, x, 1e-6f);   // −1.25 clamped to −1
        for (float[] c : m.calls) assertEquals(2f, c[1]);
    }

    @Test
    void the100StepPaperIntervalGuides85Steps() {
        LabelVelocity m = new LabelVelocity();
        var g = new Guidance(2.9f, 0.11f, 0.97f);
        new EulerSampler(m, 100, g).sample(new float[4], new int[]{0}, 1);
        assertEquals(100, m.calls.size());
        assertEquals(100, m.calls.stream().filter(c -> c[1] == 2f).count(), "every step runs [null; cond], as the official sampler");
        var velocity = new GuidedVelocity(m, g);
        float[] ts = dip.flow.FlowPath.timeGrid(100);
        int weighted = 0;
        for (int k = 0; k < 100; k++) if (velocity.weightAt(ts[k]) == 2.9f) weighted++;
        assertEquals(85, weighted);
    }
}
