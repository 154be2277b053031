package dip.tornado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OptimizerKernelsTest {

    /** The device-compilable fma gives Math.fma's bits, including sums that fall next to a float rounding tie. */
    @Test
    void fmaMatchesMathFmaBitForBit() {
        SplittableRandom r = new SplittableRandom(1);
        int ties = 0;                   // cases a naive (float) ((double) a * b + c) gets wrong
        for (int k = 0; k < 2_000_000; k++) {
            float a = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(-20, 20)));
            float b = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(-20, 20)));
            float c;
            switch (k % 4) {
                case 0 -> c = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(-40, 40)));
                case 1 -> c = -(a * b);                                      // cancellation
                case 2 -> {                     // a·b just off ulp(c)/2: the double sum lands on a float tie
                    c = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(-20, 20)));
                    int shift = r.nextInt(-5, 6);
                    a = (float) (Math.ulp(c) / 2 * (1 + Math.ulp(1f)) * Math.pow(2, shift)) * (r.nextBoolean() ? 1 : -1);
                    b = (float) ((r.nextBoolean() ? 1 - Math.ulp(1f) : 1 + Math.ulp(1f)) * Math.pow(2, -shift));
                }
                default -> c = Math.nextUp(-(a * b));
            }
            if ((float) ((double) a * b + c) != Math.fma(a, b, c)) ties++;
            int want = Float.floatToRawIntBits(Math.fma(a, b, c));
            int got = Float.floatToRawIntBits(OptimizerKernels.fma(a, b, c));
            if (want != got) {
                assertEquals(Math.fma(a, b, c), OptimizerKernels.fma(a, b, c), 0f, "fma(" + a + ", " + b + ", " + c + ")");
            }
        }
        assertTrue(ties > 1000, "the test must reach the cases a naive double sum gets wrong");
        System.out.println("fma: 2,000,000 triples, " + ties + " where rounding a·b + c to double first gives another float");
    }
}
