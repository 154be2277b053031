package dip.layers;

import dip.util.Rng;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Init bounds match torch's fan computation, including ConvTranspose2d's (fan_in from weight.size(1)). */
class InitTest {

    private static void assertUniform(Param p, double bound) {
        double max = 0, sumSq = 0;
        for (float v : p.values()) { max = Math.max(max, Math.abs(v)); sumSq += (double) v * v; }
        assertTrue(max <= bound, p + ": max |w| " + max + " > bound " + bound);
        assertTrue(max > 0.95 * bound, p + ": max |w| " + max + " far below bound " + bound);
        double var = sumSq / p.size(), expected = bound * bound / 3;      // variance of U(−a, a)
        assertEquals(expected, var, 0.1 * expected, p + " variance");
    }

    @Test
    void fansFollowTorch() {
        var reg = new ParamRegistry();
        assertEquals(64 * 9, Init.fanIn(reg.add("conv", 128, 64, 3, 3)));
        assertEquals(128 * 9, Init.fanOut(reg.get("conv")));
        assertEquals(256 * 4, Init.fanIn(reg.add("convT", 512, 256, 2, 2)));   // (in, out, k, k): size(1)·k·k
        assertEquals(768, Init.fanIn(reg.add("lin", 1152, 768)));
    }

    @Test
    void boundsAndVariance() {
        var rng = new Rng(71);
        var reg = new ParamRegistry();
        Param conv = reg.add("c.weight", 32, 16, 3, 3), convB = reg.add("c.bias", 32);
        Init.torchDefaultConv(conv, convB, rng);
        assertUniform(conv, 1 / Math.sqrt(16 * 9));
        double bBound = 1 / Math.sqrt(16 * 9);
        for (float v : convB.values()) assertTrue(Math.abs(v) <= bBound);
        Param convT = reg.add("u.weight", 8, 40, 2, 2);
        Init.torchDefaultConv(convT, null, rng);
        assertUniform(convT, 1 / Math.sqrt(40 * 4));
        Param lin = reg.add("l.weight", 100, 60);
        Init.xavierUniform(lin, rng);
        assertUniform(lin, Math.sqrt(6.0 / 160));
        Param n = reg.add("n", 5000);
        Init.normal(n, 0.02f, rng);
        double s = 0;
        for (float v : n.values()) s += (double) v * v;
        assertEquals(0.02, Math.sqrt(s / 5000), 0.002);
    }
}
