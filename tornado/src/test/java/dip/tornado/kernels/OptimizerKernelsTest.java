package dip.tornado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dip.tornado.exec.JavaEngine;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OptimizerKernelsTest {

    /**
     * Two parameters' gradients laid end to end in one flat array (5000 and 3 floats), cut into spans that never pass
     * CHUNK elements nor a parameter's end: the partial sums are those of each parameter's own CHUNK-sized chunks
     * (what a per-parameter chunking summed), bit for bit; a range split in two, and the engine's sliced launch, give
     * the same bits as the whole range.
     */
    @Test
    void sumSquaresSpansAreThePerParameterChunkSums() {
        int C = OptimizerKernels.CHUNK, n1 = 5000, n2 = 3;
        assertEquals(4096, C, "the bounds below assume CHUNK = 4096");
        int[] bounds = {0, 4096, 5000, 5003};
        int chunks = bounds.length - 1;
        SplittableRandom r = new SplittableRandom(3);
        float[] g = new float[n1 + n2];
        for (int i = 0; i < g.length; i++) g[i] = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(-12, 12)));

        float[] want = new float[chunks];                     // per parameter, chunks of CHUNK from its own start
        int c = 0;
        for (int[] p : new int[][] {{0, n1}, {n1, n2}}) {
            for (int j0 = 0; j0 < p[1]; j0 += C) {
                float acc = 0f;
                for (int j = j0; j < Math.min(p[1], j0 + C); j++) acc += g[p[0] + j] * g[p[0] + j];
                want[c++] = acc;
            }
        }
        assertEquals(chunks, c);

        float[] whole = new float[chunks];
        OptimizerKernels.sumSquaresSpans(whole, 0, g, bounds, 0, chunks);
        float[] split = new float[chunks];
        Arrays.fill(split, Float.NaN);
        OptimizerKernels.sumSquaresSpans(split, 0, g, bounds, 0, 1);
        OptimizerKernels.sumSquaresSpans(split, 0, g, bounds, 1, chunks);
        float[] atOffset = new float[chunks + 2];              // after two other spans' sums, left alone
        atOffset[0] = atOffset[1] = -1f;
        try (var e = new JavaEngine(2)) {
            e.sumSquaresSpans(atOffset, 2, g, bounds, chunks);
        }
        assertEquals(-1f, atOffset[0], 0f);
        assertEquals(-1f, atOffset[1], 0f);
        float[] engine = Arrays.copyOfRange(atOffset, 2, chunks + 2);
        for (int i = 0; i < chunks; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(whole[i]), "span " + i);
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(split[i]), "span " + i + ", split range");
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(engine[i]), "span " + i + ", engine");
        }
    }

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

    /**
     * The fused optimiser kernel gives the bits of adamw then ema, clipped or not, and leaves the weights alone when
     * gated off; either way it leaves the gradient zeroed for the next step.
     */
    @Test
    void adamwEmaIsAdamwThenEma() {
        SplittableRandom r = new SplittableRandom(2);
        int n = 5000;
        float[] hp = new float[OptimizerKernels.HP_SIZE];
        hp[OptimizerKernels.HP_DECAY] = 1f - 1e-3f * 0.01f;
        hp[OptimizerKernels.HP_B1] = 0.9f;
        hp[OptimizerKernels.HP_ONE_MINUS_B1] = 0.1f;
        hp[OptimizerKernels.HP_B2] = 0.999f;
        hp[OptimizerKernels.HP_ONE_MINUS_B2] = 1f - 0.999f;
        hp[OptimizerKernels.HP_STEP_SIZE] = 1e-3f / 0.1f;
        hp[OptimizerKernels.HP_BC2_SQRT] = (float) Math.sqrt(1e-3);
        hp[OptimizerKernels.HP_EPS] = 1e-8f;
        for (float[] gate : new float[][] {{1f, 1f}, {0.37f, 1f}, {1f, 0f}}) {
            float[] p = new float[n], g = new float[n], m = new float[n], v = new float[n], e = new float[n];
            for (int i = 0; i < n; i++) {
                p[i] = (float) r.nextGaussian();
                g[i] = (float) (r.nextGaussian() * 1e-2);
                m[i] = (float) (r.nextGaussian() * 1e-3);
                v[i] = (float) (r.nextDouble() * 1e-4);
                e[i] = (float) r.nextGaussian();
            }
            float[] p2 = p.clone(), m2 = m.clone(), v2 = v.clone(), e2 = e.clone(), p0 = p.clone();
            OptimizerKernels.adamw(p, g, m, v, hp, gate, 0, n);
            OptimizerKernels.ema(e, p, gate, 0.999f, 1f - 0.999f, 0, n);
            float[] g2 = g.clone();
            OptimizerKernels.adamwEma(p2, g2, m2, v2, e2, hp, gate, 0.999f, 1f - 0.999f, 0, n);
            assertEquals(0, java.util.Arrays.compare(new float[n], g2), "the gradient is zeroed");
            for (float[][] pair : new float[][][] {{p, p2}, {m, m2}, {v, v2}, {e, e2}}) {
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(pair[0][i]), Float.floatToRawIntBits(pair[1][i]), "element " + i);
                }
            }
            assertEquals(gate[1] == 0f, java.util.Arrays.equals(p0, p), "the update applies exactly when the gate is open");
        }
    }
}
