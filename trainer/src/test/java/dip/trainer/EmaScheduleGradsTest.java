package dip.trainer;

import dip.layers.Param;
import dip.layers.ParamRegistry;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EmaScheduleGradsTest {

    @Test
    void emaStartsAtTheWeightsAndFollowsThem() {
        ParamRegistry reg = new ParamRegistry();
        Param p = reg.add("p", 2);
        p.data()[0] = 1f;
        p.data()[1] = -2f;
        Ema ema = new Ema(reg, 0.75);
        assertArrayEquals(new float[]{1f, -2f}, ema.weights(0), 0f);
        p.data()[0] = 5f;
        p.data()[1] = 2f;
        ema.update();   // 0.75·1 + 0.25·5 = 2; 0.75·(−2) + 0.25·2 = −1
        assertArrayEquals(new float[]{2f, -1f}, ema.weights(0), 0f);
        ema.swap();
        assertArrayEquals(new float[]{2f, -1f}, p.data(), 0f);
        ema.swap();
        assertArrayEquals(new float[]{5f, 2f}, p.data(), 0f);
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
    void clipScalesToTheMaxNormOnlyWhenAbove() {
        ParamRegistry reg = new ParamRegistry();
        Param a = reg.add("a", 1), b = reg.add("b", 1);
        a.grad()[0] = 3f;
        b.grad()[0] = 4f;
        double n = Grads.globalNorm(reg);
        assertEquals(5.0, n, 0);
        assertEquals(1.0, Grads.clip(reg, n, 10), 0);
        assertEquals(3f, a.grad()[0], 0f);
        Grads.clip(reg, n, 1.0);
        assertEquals(1.0, Grads.globalNorm(reg), 1e-6);
    }
}
