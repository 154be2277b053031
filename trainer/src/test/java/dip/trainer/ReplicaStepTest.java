package dip.trainer;

import dip.model.Dip;
import dip.model.Preset;
import dip.tornado.exec.JavaEngine;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Data-parallel training without a cluster: W ranks as threads, and the claim that W does not change a bit. */
class ReplicaStepTest {
    static final ToyData DATA = new ToyData(16, 1, 16, 10, 3);
    static final TrainConfig CFG = new TrainConfig(4, 1e-3, 0.9, 0.999, 0.01, 0.99, 0.3, 0, 1.0, 5);

    @Test
    void treeSumAddsPairsThenPairsOfPairs() {
        // K = 4 vectors of P = 2, stored one after another: slot 0 ends as (v0 + v1) + (v2 + v3).
        float[] a = {1f, 10f, 2f, 20f, 3f, 30f, 4f, 40f};
        ReplicaStep.treeSum(a, 4, 2);
        assertEquals(10f, a[0], 0f);
        assertEquals(100f, a[1], 0f);
        // The shape is the point: in float, 1e8 + 1 = 1e8 (the spacing there is 8). The tree gives
        // (1e8 + 1) + (−1e8 + 1) = 1e8 − 1e8 = 0; left to right would give ((1e8 + 1) − 1e8) + 1 = 1.
        float[] b = {1e8f, 1f, -1e8f, 1f};
        ReplicaStep.treeSum(b, 4, 1);
        assertEquals(0f, b[0], 0f);
        // K = 3: level 1 adds v1 into v0 (v2 has no partner and waits), level 2 adds v2.
        float[] c = {1e8f, 1f, -1e8f};
        ReplicaStep.treeSum(c, 3, 1);
        assertEquals(0f, c[0], 0f);
    }

    @Test
    void allGatherIsExactForNegativeZeroAndNaN() throws Exception {
        var tc = new ThreadCollective(3);
        float[][] mine = {{-0f, 1f}, {Float.NaN, -0f}, {0f, -3.5f}};
        List<float[]> got = runRanks(3, r -> {
            float[] all = new float[6];
            tc.rank(r).allGather(mine[r], all);
            return all;
        });
        for (float[] all : got) {
            for (int r = 0; r < 3; r++) {
                for (int i = 0; i < 2; i++) {
                    assertEquals(Float.floatToRawIntBits(mine[r][i]), Float.floatToRawIntBits(all[2 * r + i]),
                            "rank " + r + " value " + i);
                }
            }
        }
    }

    @Test
    void anyWorkerCountGivesTheSameBitsAsOneProcess() throws Exception {
        int groups = 4, steps = 3;
        List<TrainState> one = train(1, groups, steps);
        for (int W : new int[]{2, 4}) {
            List<TrainState> many = train(W, groups, steps);
            for (TrainState st : many) assertSameState(one.get(0), st, "W=" + W);
        }
    }

    @Test
    void theGroupingIsWhatFixesTheBits() throws Exception {
        // The test above has teeth: the same batch summed in another shape (1 group of 4 vs 4 groups of 1) is a
        // different float result, so equal bits across W come from the fixed tree, not from luck.
        TrainState whole = train(1, 1, 2).get(0), grouped = train(1, 4, 2).get(0);
        float[] a = whole.model.params().all().get(0).values(), b = grouped.model.params().all().get(0).values();
        boolean differs = false;
        for (int i = 0; i < a.length; i++) differs |= Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i]);
        assertTrue(differs, "1 group and 4 groups gave identical weights: the test cannot see the summation order");
    }

    @Test
    void groupsMustBeWorkersTimesAPowerOfTwo() {
        try (JavaEngine e = new JavaEngine(1)) {
            TrainState st = fresh(e);
            var ex = assertThrows(IllegalArgumentException.class,
                    () -> new TrainLoop(st, DATA, new ProgressListener() { }, s -> null, 0, Collective.single(), 3, 0));
            assertTrue(ex.getMessage().contains("must divide the batch size"), ex.getMessage());
        }
    }

    static TrainState fresh(JavaEngine e) {
        return new TrainState(new Dip(e, Preset.TINY.config(), CFG.batchSize()).initialize(TrainState.initRng(CFG.seed())),
                CFG, DATA.size());
    }

    /** W ranks, each a thread with its own engine and model, trained for a few steps; returns every rank's state. */
    static List<TrainState> train(int W, int groups, int steps) throws Exception {
        var tc = new ThreadCollective(W);
        return runRanks(W, r -> {
            try (JavaEngine e = new JavaEngine(1)) {
                TrainState st = fresh(e);
                Collective c = W == 1 ? Collective.single() : tc.rank(r);
                new TrainLoop(st, DATA, new ProgressListener() { }, s -> null, 0, c, groups, 1).run(10, steps);
                assertEquals(steps, st.step());
                return st;
            }
        });
    }

    static void assertSameState(TrainState a, TrainState b, String what) {
        var ps = a.model.params().all();
        for (int i = 0; i < ps.size(); i++) {
            String n = what + " " + ps.get(i).name();
            assertArrayEquals(bits(ps.get(i).values()), bits(b.model.params().all().get(i).values()), n);
            assertArrayEquals(bits(a.ema.weights(i)), bits(b.ema.weights(i)), "ema " + n);
            assertArrayEquals(bits(a.adamw.firstMoment(i)), bits(b.adamw.firstMoment(i)), "m " + n);
            assertArrayEquals(bits(a.adamw.secondMoment(i)), bits(b.adamw.secondMoment(i)), "v " + n);
        }
    }

    static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }

    interface RankBody<T> { T run(int rank) throws Exception; }

    static <T> List<T> runRanks(int W, RankBody<T> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(W);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r = 0; r < W; r++) {
                int rank = r;
                fs.add(pool.submit(() -> body.run(rank)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) out.add(f.get());
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
