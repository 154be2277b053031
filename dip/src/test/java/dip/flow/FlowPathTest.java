package dip.flow;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The flow-matching path by hand: t = 0 is noise, t = 1 is data, v = x − ε. */
class FlowPathTest {

    @Test void interpolateIsNoiseAtZeroDataAtOneAndLinearBetween() {
        float[] x = {1f, -1f, 0.5f, 0.25f}, eps = {0.2f, 0.4f, -2f, 1f}, xt = new float[4];
        FlowPath.interpolate(xt, x, eps, new float[]{0f, 1f}, 2, 2);      // sample 0 at t = 0, sample 1 at t = 1
        assertArrayEquals(new float[]{0.2f, 0.4f, 0.5f, 0.25f}, xt);
        FlowPath.interpolate(xt, x, eps, new float[]{0.25f, 0.75f}, 2, 2);
        // 0.25·1 + 0.75·0.2 = 0.4; 0.25·(−1) + 0.75·0.4 = 0.05; 0.75·0.5 + 0.25·(−2) = −0.125; 0.75·0.25 + 0.25·1 = 0.4375
        assertArrayEquals(new float[]{0.4f, 0.05f, -0.125f, 0.4375f}, xt, 1e-7f);
    }

    @Test void velocityIsDataMinusNoiseAndItsEulerStepReachesTheData() {
        float[] x = {1f, -1f}, eps = {0.2f, 0.4f}, v = new float[2], xt = new float[2];
        FlowPath.velocityTarget(v, x, eps, 2);
        assertArrayEquals(new float[]{0.8f, -1.4f}, v, 1e-7f);
        FlowPath.interpolate(xt, x, eps, new float[]{0.3f}, 1, 2);       // x_t + (1 − t)·v = x exactly for the true v
        for (int i = 0; i < 2; i++) assertEquals(x[i], xt[i] + 0.7f * v[i], 1e-6f);
    }

    @Test void logitNormalIsTheSigmoid() {
        assertEquals(0.5f, FlowPath.logitNormal(0), 0f);
        assertEquals(1 / (1 + Math.exp(-1.5)), FlowPath.logitNormal(1.5), 1e-7);
        assertEquals(1 - FlowPath.logitNormal(2.0), FlowPath.logitNormal(-2.0), 1e-7f);
    }
}
