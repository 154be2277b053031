package dip.trainer;

import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.tornado.kernels.OptimizerKernels;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EmaScheduleGradsTest {

    @Test
    void emaStartsAtTheWeightsAndFollowsThem() {
        ParamRegistry reg = new ParamRegistry();
        Param p = reg.add("p", 2);
        p.set(0, 1f);
        p.set(1, -2f);
        Ema ema = new Ema(reg, 0.75);
        assertArrayEquals(new float[]{1f, -2f}, ema.weights(0), 0f);
        p.set(0, 5f);
        p.set(1, 2f);
        ema.update();   // 0.75·1 + 0.25·5 = 2; 0.75·(−2) + 0.25·2 = −1
        assertArrayEquals(new float[]{2f, -1f}, ema.weights(0), 0f);
        ema.swap();
        assertArrayEquals(new float[]{2f, -1f}, p.values(), 0f);
        ema.swap();
        assertArrayEquals(new float[]{5f, 2f}, p.values(), 0f);
        assertArrayEquals(new float[]{2f, -1f}, ema.weights(0), 0f);
    }

    @Test
    void warmupIsLinearThenConstant() {
        LrSchedule s = new LrSchedule(1e-3, 4);
        assertEquals(0.25e-3, s.at(0), 1e-15);
        assertEquals(1e-3, s.at(3), 1e-15);
        assertEquals(1e-3, s.at(1000), 1e-15);
        assertEquals(2e-4, new LrSchedule(2e-4, 0).at(0), 0);
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(0, 0));
    }

    @Test
    void clipGateScalesToTheMaxNormOnlyWhenAboveAndHoldsBackNonFiniteSteps() {
        float[] gate = new float[OptimizerKernels.GATE_SIZE];
        float[] partial = new float[2];
        OptimizerKernels.sumSquaresSpans(partial, 0, new float[] {3f, 4f}, new int[] {0, 1, 2}, 0, 2);
        float[] lossNorm = {0.5f, 0f};
        OptimizerKernels.sumTo(lossNorm, 1, partial, 2, 1f, 0, 1);            // 9 + 16
        OptimizerKernels.clipGate(gate, lossNorm, 10f, 0, 1);
        assertEquals(5f, lossNorm[1], 0f, "the norm replaces the sum of squares");
        assertEquals(1f, gate[OptimizerKernels.GATE_CLIP], 0f, "below the max norm: no clipping");
        assertEquals(1f, gate[OptimizerKernels.GATE_APPLY], 0f);
        lossNorm[1] = 25f;
        OptimizerKernels.clipGate(gate, lossNorm, 1f, 0, 1);
        assertEquals(1f / (5f + 1e-6f), gate[OptimizerKernels.GATE_CLIP], 0f, "torch's clip_coef");
        lossNorm[1] = 25f;
        OptimizerKernels.clipGate(gate, lossNorm, 0f, 0, 1);
        assertEquals(1f, gate[OptimizerKernels.GATE_CLIP], 0f, "max norm 0 never clips");
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            float[] ln = {bad, 1f};
            OptimizerKernels.clipGate(gate, ln, 1f, 0, 1);
            assertEquals(0f, gate[OptimizerKernels.GATE_APPLY], 0f, "loss " + bad);
            float[] p = {2f}, m = {0f}, v = {0f};
            OptimizerKernels.adamw(p, new float[] {1f}, m, v, hyper(), gate, 0, 1);
            assertEquals(2f, p[0], 0f, "a held-back step leaves the weights alone");
            float[] e = {7f};
            OptimizerKernels.ema(e, p, gate, 0.5f, 0.5f, 0, 1);
            assertEquals(7f, e[0], 0f, "and the EMA");
        }
    }

    @Test
    void squaredSumsDoNotDependOnTheSplit() {
        float[] g = new dip.util.Rng(3).normal(3 * OptimizerKernels.CHUNK + 17);
        float[] whole = new float[4], split = new float[4];
        int K = OptimizerKernels.CHUNK;
        int[] bounds = {0, K, 2 * K, 3 * K, g.length};
        OptimizerKernels.sumSquaresSpans(whole, 0, g, bounds, 0, 4);
        for (int c = 0; c < 4; c++) OptimizerKernels.sumSquaresSpans(split, 0, g, bounds, c, c + 1);
        assertArrayEquals(whole, split, 0f);
        double ref = 0;
        for (float x : g) ref += (double) x * x;
        assertEquals(ref, whole[0] + whole[1] + whole[2] + whole[3], 1e-5 * ref);
    }

    private static float[] hyper() {
        float[] hp = new float[OptimizerKernels.HP_SIZE];
        new AdamW(new ParamRegistry(), 0.9, 0.999, 1e-8, 0).hyper(0.1, hp);
        return hp;
    }
}
