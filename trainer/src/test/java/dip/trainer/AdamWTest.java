package dip.trainer;

import dip.layers.Param;
import dip.layers.ParamRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AdamWTest {

    /**
     * Three steps of torch.optim.AdamW(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01) on a 3-vector,
     * printed by PyTorch 1.13 (CPU, float32) with the grads below; the expected values are its output.
     */
    @Test
    void matchesTorchAdamWToTheBit() {
        ParamRegistry reg = new ParamRegistry();
        Param p = reg.add("p", 3);
        float[] init = {0.5f, -1.25f, 2.0f};
        p.load(init);
        AdamW opt = new AdamW(reg, 0.9, 0.999, 1e-8, 0.01);
        float[][] grads = {{0.3f, -0.7f, 1.1f}, {-0.2f, 0.4f, 0.05f}, {1.5f, 0.0f, -0.6f}};
        float[][] wantP = {
                {0.3995000123977661f, -1.1487499475479126f, 1.8980000019073486f},
                {0.38464847207069397f, -1.1263644695281982f, 1.8257848024368286f},
                {0.3195399343967438f, -1.108821988105774f, 1.8068292140960693f}};
        float[][] wantM = {
                {0.030000001192092896f, -0.07000000029802322f, 0.11000000685453415f},
                {0.007000000216066837f, -0.023000000044703484f, 0.10400000959634781f},
                {0.15630000829696655f, -0.02070000022649765f, 0.03360000252723694f}};
        float[][] wantV = {
                {9.000000864034519e-05f, 0.0004900000058114529f, 0.0012100001331418753f},
                {0.00012991001131013036f, 0.0006495100096799433f, 0.0012112901313230395f},
                {0.0023797801695764065f, 0.0006488605285994709f, 0.0015700788935646415f}};
        for (int s = 0; s < 3; s++) {
            System.arraycopy(grads[s], 0, p.gradArray(), p.offset(), 3);
            opt.step(0.1);
            assertArrayEquals(wantM[s], opt.firstMoment(0), 0f, "exp_avg after step " + (s + 1));
            assertArrayEquals(wantV[s], opt.secondMoment(0), 0f, "exp_avg_sq after step " + (s + 1));
            assertArrayEquals(wantP[s], p.values(), 0f, "param after step " + (s + 1));
        }
        assertEquals(3, opt.stepCount());
    }

    @Test
    void firstStepMovesEachWeightByAboutLrAgainstItsGradient() {
        // Hand-worked: with bias correction m̂ = g and v̂ = g², so the step is lr·g/(|g| + eps) ≈ lr·sign(g).
        ParamRegistry reg = new ParamRegistry();
        Param p = reg.add("p", 2);
        p.gradArray()[p.offset()] = 5f;
        p.gradArray()[p.offset() + 1] = -0.001f;
        new AdamW(reg, 0.9, 0.999, 1e-8, 0).step(0.01);
        assertEquals(-0.01f, p.get(0), 1e-7f);
        assertEquals(0.01f, p.get(1), 1e-6f);
    }

    @Test
    void weightDecayIsDecoupledFromTheGradient() {
        // A zero gradient leaves m = v = 0, so only p·(1 − lr·wd) acts: 2·(1 − 0.5·0.1) = 1.9.
        ParamRegistry reg = new ParamRegistry();
        Param p = reg.add("p", 1);
        p.set(0, 2f);
        new AdamW(reg, 0.9, 0.999, 1e-8, 0.1).step(0.5);
        assertEquals(1.9f, p.get(0), 0f);
    }

    @Test
    void rejectsBadHyperparameters() {
        ParamRegistry reg = new ParamRegistry();
        assertThrows(IllegalArgumentException.class, () -> new AdamW(reg, 1.0, 0.999, 1e-8, 0));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(reg, 0.9, 0.999, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(reg, 0.9, 0.999, 1e-8, -1));
    }
}
