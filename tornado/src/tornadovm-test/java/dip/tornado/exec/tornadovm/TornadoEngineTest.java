package dip.tornado.exec.tornadovm;

// The TornadoVM engine's pass machinery on TornadoVM's default device: a pass recorded once and replayed agrees with
// the Java engine, moves only its declared inputs and outputs after the first run, keeps carried state on the device
// until download(), re-sends what the host changed, and refuses what it cannot run. Compiled and run only by the
// `tornadovm` profile, whose argLine carries the SDK's argfile and turns TornadoVM's bailout recovery off.

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dip.tornado.exec.JavaEngine;
import dip.tornado.exec.Pass;
import dip.util.Rng;

import java.util.Arrays;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TornadoEngineTest {
    private static TornadoEngine dev;
    private static JavaEngine cpu;

    @BeforeAll
    static void start() {
        dev = new TornadoEngine();
        cpu = new JavaEngine(2);
    }

    @AfterAll
    static void stop() {
        if (dev != null) dev.close();
        if (cpu != null) cpu.close();
    }

    @Test
    void aReplayedPassMatchesTheJavaEngineAndSendsOnlyItsInput() {
        int R = 37, IN = 24, OUT = 19;
        var rng = new Rng(7);
        float[] x = rng.normal(R * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT);
        float[] wA = dip.util.Arena.at(3, w), bA = dip.util.Arena.at(7, b);            // at offsets, NaN around them
        float[] h = new float[R * OUT], y = new float[R * OUT], ref = new float[R * OUT], href = new float[R * OUT];
        Pass pass = new Pass("linear-silu", new Object[] {x}, new Object[] {y}, () -> {
            dev.matmulForward(h, x, wA, 3, bA, 7, R, IN, OUT);
            dev.siluForward(y, h, R * OUT);
        });
        for (int run = 0; run < 3; run++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i + run);     // new input every run
            var before = dev.stats().copy();
            dev.run(pass);
            var d = delta(before, dev.stats());
            cpu.matmulForward(href, x, w, 0, b, 0, R, IN, OUT);
            cpu.siluForward(ref, href, R * OUT);
            assertClose("run " + run, ref, y);
            if (run > 0) {
                assertEquals(4L * x.length, d.bytesIn, "only x goes in");
                assertEquals(4L * y.length, d.bytesOut, "only y comes out");
            }
        }
    }

    @Test
    void carriedStateStaysOnTheDeviceUntilDownloadedAndHostChangesAreSentAgain() {
        int n = 1000;
        float[] p = new float[n], g = new float[n], s = {0.5f};
        Arrays.fill(p, 1f);
        Arrays.fill(g, 2f);
        Pass step = new Pass("axpy", null, null, () -> dev.axpyFrom(p, g, s, 0, n));    // p += 0.5·g
        dev.run(step);
        dev.run(step);
        assertEquals(1f, p[0], "the host copy is not touched until download");
        dev.download(p);
        assertEquals(3f, p[0], 0f);
        Arrays.fill(p, 10f);
        dev.upload(p);                                                                  // the host changed p
        dev.run(step);
        dev.download(p);
        assertEquals(11f, p[0], 0f);
        dev.scale(g, p, 1f, n);                    // outside a pass: runs on the host, after p is current there
        assertEquals(11f, g[0], 0f);
        dev.upload(g);
        dev.run(step);                             // g changed on the host, so the pass sends it again
        dev.download(p);
        assertEquals(16.5f, p[0], 0f);
    }

    @Test
    void stateKeptByEveryGraphOfAChainComesBack() {
        int n = 500;
        float[] a = new float[n], b = new float[n], c = new float[n], s = {1f};
        Arrays.fill(a, 1f);
        Arrays.fill(b, 2f);
        Arrays.fill(c, 3f);
        Pass step = new Pass("chain", null, null, () -> {
            dev.axpyFrom(a, c, s, 0, n);           // a += c   (graph 0: a is last used here)
            dev.axpyFrom(b, c, s, 0, n);           // b += c   (graph 1)
            dev.axpyFrom(c, b, s, 0, n);           // c += b   (graph 2)
        });
        System.setProperty(TornadoEngine.MAX_TASKS_PROPERTY, "1");                    // one task per graph
        try {
            dev.run(step);
        } finally {
            System.clearProperty(TornadoEngine.MAX_TASKS_PROPERTY);
        }
        dev.download(a, b, c);
        assertEquals(4f, a[0], 0f, "kept by graph 0 of 3");
        assertEquals(5f, b[n - 1], 0f, "kept by graph 1 of 3");
        assertEquals(8f, c[0], 0f, "kept by graph 2 of 3");
    }

    @Test
    void aPassWithMoreArraysThanOneGraphHoldsIsCutWhereTheNodesRunOut() {
        // 500 tasks on 502 arrays: six of TornadoVM's graph nodes per task, so a few graphs of ~170 tasks
        int calls = 500, n = 16;
        float[] v = new float[n], s = {0.25f};
        Arrays.fill(v, 1f);
        float[][] a = new float[calls][n];
        for (int i = 0; i < calls; i++) Arrays.fill(a[i], i);
        Pass pass = new Pass("many-arrays", null, null, () -> {
            for (int i = 0; i < calls; i++) dev.axpyFrom(a[i], v, s, 0, n);       // a_i += 0.25
        });
        assertEquals(3, graphsOfFirstRun(pass, "node count"), "graphs of at most 1,024 nodes");
        for (int i = 0; i < calls; i += 37) {
            dev.download(a[i]);
            assertEquals(i + 0.25f, a[i][n - 1], 0f, "task " + i);
        }
    }

    @Test
    void aPassWithALongTaskListIsCutWhereTheTaskListRunsOut() {
        // 300 tasks of 10 arguments on the same 3 arrays: few nodes, but 65 bytes each of TornadoVM's 8 KB task list
        int calls = 300, R = 6, N = 3, D = 8, chunks = 3;
        var rng = new Rng(5);
        float[] x = rng.normal(R * D), mod = rng.normal(R / N * chunks * D), y = new float[R * D], ref = new float[R * D];
        Pass pass = new Pass("long-task-list", null, new Object[] {y}, () -> {
            for (int i = 0; i < calls; i++) dev.modulateForward(y, x, mod, R, N, D, chunks, i % chunks, (i + 1) % chunks);
        });
        assertEquals(3, graphsOfFirstRun(pass, "task-list count"), "graphs of at most 8 KB of task list");
        int last = calls - 1;
        cpu.modulateForward(ref, x, mod, R, N, D, chunks, last % chunks, (last + 1) % chunks);
        assertClose("the last task's output", ref, y);
    }

    /**
     * Runs a pass for the first time (recorded, cut, compiled) and returns how many graphs it was cut into, after
     * checking that TornadoVM built every graph at once: the engine's count (what) matched TornadoVM's.
     */
    private static long graphsOfFirstRun(Pass pass, String what) {
        var before = dev.stats().copy();
        dev.run(pass);
        var after = dev.stats();
        assertEquals(0, after.recuts - before.recuts, "the engine's " + what + " matched TornadoVM's");
        return after.graphs - before.graphs;
    }

    @Test
    void twoPassesSharingStateSeeEachOthersWrites() {
        int n = 64;
        float[] w = new float[n], one = new float[n], out = new float[n], s = {1f};
        Arrays.fill(one, 1f);
        Pass train = new Pass("shared-train", null, null, () -> dev.axpyFrom(w, one, s, 0, n));   // w += 1
        Pass read = new Pass("shared-read", null, new Object[] {out}, () -> dev.scale(out, w, 2f, n));
        dev.run(train);
        dev.run(read);
        assertEquals(2f, out[0], 0f);
        dev.run(train);
        dev.run(read);
        assertEquals(4f, out[0], 0f, "the reader gets the trainer's newest weights");
        for (int i = 3; i <= 6; i++) {
            dev.run(train);
            dev.run(read);
            assertEquals(2f * i, out[0], 0f, "round " + i);
        }
    }

    /**
     * The host changes state a pass keeps (downloaded, changed, uploaded: what swapping the EMA into a model does),
     * then a pass sharing that state is built, which retires the first: the retiring pass must not copy its older
     * device copy over the host's change.
     */
    @Test
    void retiringAPassKeepsWhatTheHostChangedSince() {
        int n = 16;
        float[] w = new float[n], one = new float[n], out = new float[n], s = {1f};
        Arrays.fill(one, 1f);
        Pass train = new Pass("host-change-train", null, null, () -> dev.axpyFrom(w, one, s, 0, n));   // w += 1
        Pass read = new Pass("host-change-read", null, new Object[] {out}, () -> dev.scale(out, w, 2f, n));
        dev.run(train);
        dev.run(train);                                 // w = 2 on the device
        dev.download(w);
        assertEquals(2f, w[0], 0f);
        Arrays.fill(w, 10f);                            // the host sets w ...
        dev.upload(w);                                  // ... and says so
        dev.run(read);                                  // shares w: the train pass retires, copying back what it keeps
        assertEquals(20f, out[0], 0f, "the reader sees the host's w, not the retired pass's older copy");
        assertEquals(10f, w[0], 0f, "the host's w survives the retirement");
        dev.run(train);
        dev.download(w);
        assertEquals(11f, w[0], 0f, "training goes on from the host's w");
    }

    @Test
    void aPassThatMakesOtherCallsIsRecordedAgain() {
        float[] a = new float[8], b = new float[8], c = new float[8], s = {1f};
        Arrays.fill(a, 1f);
        Arrays.fill(b, 1f);
        Arrays.fill(c, 1f);
        boolean[] other = {false};
        Pass p = Pass.of("changing", () -> dev.axpyFrom(other[0] ? b : a, c, s, 0, 8));      // a += c, or b += c
        dev.run(p);
        long before = dev.stats().rerecords;
        other[0] = true;
        dev.run(p);                   // other arrays under the same name: the old recording is retired, a new one made
        assertEquals(before + 1, dev.stats().rerecords);
        dev.download(a, b);
        assertEquals(2f, a[0], 0f, "kept by the retired recording, copied back when it retired");
        assertEquals(2f, b[7], 0f, "kept by the new recording");
    }

    @Test
    void aPassThatChangesAScalarArgumentIsRecordedAgain() {
        float[] a = new float[8], c = new float[8], s = {1f, 10f};
        Arrays.fill(c, 1f);
        int[] k = {0};
        Pass p = Pass.of("changing-scalar", () -> dev.axpyFrom(a, c, s, k[0], 8));      // a += s[k]·c
        dev.run(p);
        long before = dev.stats().rerecords;
        k[0] = 1;
        dev.run(p);                   // same arrays, another scalar: replaying the old tasks would use s[0] again
        assertEquals(before + 1, dev.stats().rerecords);
        dev.download(a);
        assertEquals(11f, a[0], 0f, "1 from the first run, 10 from the second");
    }

    @Test
    void aPassLargerThanTheDeviceMemoryIsRefusedWithWhatToDo() {
        float[] x = new float[1 << 20], z = new float[1 << 20], y = new float[1 << 20];   // 12 MiB together
        System.setProperty(TornadoEngine.MEMORY_LIMIT, "4");
        try {
            var e = assertThrows(IllegalStateException.class,
                    () -> dev.run(new Pass("too-big", new Object[] {x, z}, new Object[] {y}, () -> dev.add(y, x, z, x.length))));
            assertTrue(e.getMessage().contains("needs 12 MiB") && e.getMessage().contains("--batch-size"), e.getMessage());
        } finally {
            System.clearProperty(TornadoEngine.MEMORY_LIMIT);
        }
    }

    @Test
    void aliasedArgumentsAreRefused() {
        float[] a = new float[8];
        var e = assertThrows(IllegalStateException.class, () -> dev.run(Pass.of("alias", () -> dev.scale(a, a, 2f, 8))));
        assertTrue(e.getMessage().contains("aliased"), e.getMessage());
    }

    @Test
    void autoPicksTornadoWhenLaunchedForIt() {
        try (var e = dip.tornado.exec.Engines.create("auto", 1)) {
            assertEquals("tornado", e.name());
        }
    }

    @Test
    void refusesToStartUnlessTornadoReadsDipParallel() {
        String key = "tornado.load.annotation.parallel", launched = System.getProperty(key);
        try {
            for (String other : new String[] {"uk.ac.manchester.tornado.api.annotations.Parallel", null}) {
                if (other == null) System.clearProperty(key); else System.setProperty(key, other);
                IllegalStateException e = assertThrows(IllegalStateException.class, TornadoEngine::new);
                assertTrue(e.getMessage().contains("tornado-argfile -Dtornado.load.annotation.parallel=dip.tornado.Parallel -cp"),
                        e.getMessage());
            }
        } finally {
            System.setProperty(key, launched);
        }
    }

    static TornadoEngine.Stats delta(TornadoEngine.Stats a, TornadoEngine.Stats b) {
        var d = b.copy();
        d.uploadRuns -= a.uploadRuns; d.stepRuns -= a.stepRuns; d.outputRuns -= a.outputRuns; d.downloadRuns -= a.downloadRuns;
        d.passRuns -= a.passRuns; d.bytesIn -= a.bytesIn; d.bytesOut -= a.bytesOut;
        d.uploadBytes -= a.uploadBytes; d.downloadBytes -= a.downloadBytes;
        d.kernelNanos -= a.kernelNanos; d.totalNanos -= a.totalNanos;
        return d;
    }

    private static void assertClose(String what, float[] ref, float[] got) {
        double scale = 1.0, worst = 0;
        for (float v : ref) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs((double) ref[i] - got[i]));
        if (!(worst <= 1e-4 * scale)) fail(what + ": max |cpu - tornado| " + worst + " on " + dev.deviceName());
    }
}
