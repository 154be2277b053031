package dip.test.tornadovm;

// The whole DiP on a TornadoVM device against the Java engine: the TINY and MICRO forward, one training step and a
// guided sampling run, each a pass the TornadoVM engine records and replays; and the host<->device traffic of a
// training step and a sampling step after the first. Compiled and run only by the `tornadovm` profile (TORNADOVM_HOME
// set), whose argLine carries the SDK's argfile and turns TornadoVM's bailout recovery off, so a kernel that cannot
// compile for the device fails here instead of running as Java on the host.

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dip.data.Dataset;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.Preset;
import dip.sampler.EulerSampler;
import dip.sampler.Guidance;
import dip.sampler.Sampler;
import dip.tornado.exec.Engine;
import dip.tornado.exec.JavaEngine;
import dip.tornado.exec.Pass;
import dip.tornado.exec.tornadovm.TornadoEngine;
import dip.trainer.SampleGrid;
import dip.trainer.TrainConfig;
import dip.trainer.TrainLoop;
import dip.trainer.TrainState;
import dip.util.Rng;

import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DeviceModelTest {
    private static TornadoEngine dev;
    private static JavaEngine cpu;

    @BeforeAll
    static void start() {
        dev = new TornadoEngine();
        cpu = new JavaEngine(2);
        System.out.println("DeviceModelTest on " + dev.deviceName());
    }

    @AfterAll
    static void stop() {
        if (dev != null) dev.close();
        if (cpu != null) cpu.close();
    }

    @Test
    void tinyAndMicroForwardMatchTheJavaEngine() {
        for (Preset p : new Preset[] {Preset.TINY, Preset.MICRO}) {
            DipConfig cfg = p.config();
            int B = 3, per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
            Dip a = Dip.create(cpu, cfg, B).initialize(new Rng(5)), b = Dip.create(dev, cfg, B).initialize(new Rng(5));
            var rng = new Rng(9);
            float[] x = rng.normal(B * per), t = {0.1f, 0.5f, 0.9f}, got = new float[B * per];
            int[] y = {0, 3, cfg.numClasses()};
            Pass pass = new Pass("forward-" + p, new Object[] {x, t, y}, new Object[] {got},
                    () -> dev.copySlice(got, 0, b.forward(x, t, y, B), 0, B * per));
            for (int run = 0; run < 3; run++) {                 // later runs replay the recording, with new inputs
                if (run > 0) {                                  // (a layer that copied an input on the host would
                    System.arraycopy(rng.normal(B * per), 0, x, 0, B * per);        // leave the device a stale copy)
                    t[run % B] = 0.3f * run;
                    y[run - 1] = (y[run - 1] + 2 * run) % cfg.numClasses();
                }
                float[] ref = a.forward(x, t, y, B);
                java.util.Arrays.fill(got, Float.NaN);
                dev.run(pass);
                assertClose(p + " forward, run " + run, ref, got, 1e-4);
            }
        }
    }

    @Test
    void oneTrainingStepMatchesTheJavaEngineAndMovesOnlyTheBatchAndTheLoss() {
        DipConfig cfg = Preset.MICRO.config();
        int B = 4, per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        var conf = new TrainConfig(B, 1e-3, 0.9, 0.999, 0.0, 0.99, 0.1, 0, 1.0, 7);
        TrainState sc = state(cpu, cfg, conf), sd = state(dev, cfg, conf);
        TrainLoop lc = loop(sc, cfg), ld = loop(sd, cfg);
        List<float[]> initial = sd.model.params().all().stream().map(p -> p.values()).toList();
        var rng = new Rng(3);
        float[] x = rng.normal(B * per);
        int[] labels = {1, 2, 3, 4};
        double[] rc = lc.step(x, labels), rd = ld.step(x, labels);
        System.out.printf(Locale.ROOT, "training step: loss java %.7f tornado %.7f, grad norm java %.7f tornado %.7f%n",
                rc[0], rd[0], rc[1], rd[1]);
        assertEquals(rc[0], rd[0], 1e-5 * Math.abs(rc[0]), "loss");
        assertEquals(rc[1], rd[1], 1e-4 * Math.abs(rc[1]), "gradient norm");
        dev.download(sd.stateArrays());
        // After one step from zero moments, m = (1 − β1)·clip·g: every gradient is checked through its first moment.
        // The weights are checked as AdamW of the device's own moments: Adam's first step moves each weight by about
        // ±lr whatever the gradient's size, so where a gradient is near 0 the two engines' rounding can flip a step.
        var pc = sc.model.params().all();
        var pd = sd.model.params().all();
        double worst = 0;
        for (int i = 0; i < pc.size(); i++) {
            String n = pc.get(i).name();
            worst = Math.max(worst, assertClose("exp_avg of " + n, sc.adamw.firstMoment(i), sd.adamw.firstMoment(i), 1e-3));
            assertClose("exp_avg_sq of " + n, sc.adamw.secondMoment(i), sd.adamw.secondMoment(i), 1e-3);
            float[] want = firstAdamwStep(initial.get(i), sd.adamw.firstMoment(i), sd.adamw.secondMoment(i), conf);
            assertClose("weight " + n + " (AdamW of the device's moments)", want, pd.get(i).values(), 1e-5);
            float[] ema = new float[want.length];
            float decay = sd.ema.decay();
            for (int j = 0; j < ema.length; j++) ema[j] = initial.get(i)[j] * decay + (1f - decay) * pd.get(i).get(j);
            assertClose("EMA of " + n + " (from the device's weights)", ema, sd.ema.weights(i), 1e-6);
        }
        System.out.printf(Locale.ROOT, "training step: worst relative gradient (exp_avg) error %.2e over %d tensors%n", worst, pc.size());

        long batchBytes = 4L * (2 * B * per + B + B + dip.tornado.kernels.OptimizerKernels.HP_SIZE);   // x0, ε, t, y, hp
        for (int s = 0; s < 2; s++) {
            var before = dev.stats().copy();
            ld.step(x, labels);
            var after = dev.stats();
            long in = after.bytesIn - before.bytesIn, out = after.bytesOut - before.bytesOut;
            System.out.printf(Locale.ROOT, "training step %d: %d graph runs, %,d B in, %,d B out%n",
                    s + 2, after.graphRuns() - before.graphRuns(), in, out);
            assertEquals(batchBytes, in, "after the first step only the batch goes in (no weights)");
            assertEquals(8, out, "and only {loss, norm} comes out");
            assertEquals(0, after.rebuilds - before.rebuilds, "the plan is replayed, not rebuilt");
            lc.step(x, labels);
        }

        // The per-epoch grid during training: its own model, so the training step keeps its plan, and its sampling
        // step, compiled at the first grid, gets the next grid's EMA weights sent instead of being compiled again.
        var opt = new SampleGrid.Options(1, 2, 2.9f, 0.11f, 0.97f, 0);
        SampleGrid gridCpu = new SampleGrid(sc.model.forSampling(B), opt), gridDev = new SampleGrid(sd.model.forSampling(B), opt);
        var s0 = dev.stats().copy();
        gridDev.sampleEma(sd);
        var s1 = dev.stats().copy();
        lc.step(x, labels);
        ld.step(x, labels);
        var s2 = dev.stats().copy();
        float[] grid = gridDev.sampleEma(sd);
        var s3 = dev.stats().copy();
        System.out.printf(Locale.ROOT, "grid, step, grid: %d rebuilds, %d re-recordings; the step after the grid %,d B in;"
                + " the second grid %,d B in (EMA weights and noise), %,d B out%n", s3.rebuilds - s0.rebuilds,
                s3.rerecords - s0.rerecords, s2.bytesIn - s1.bytesIn, s3.bytesIn - s2.bytesIn, s3.bytesOut - s2.bytesOut);
        assertEquals(0, s3.rebuilds - s0.rebuilds, "a grid rebuilds neither the training plan nor its own");
        assertEquals(0, s3.rerecords - s0.rerecords, "and records nothing again");
        assertEquals(batchBytes, s2.bytesIn - s1.bytesIn, "the step after a grid still sends only the batch");
        assertTrue(s3.bytesIn - s2.bytesIn >= 4 * sd.model.params().count(), "the second grid sends the EMA weights");
        assertEquals(4 * sd.model.params().count() + 4L * cfg.numClasses() * per, s3.bytesOut - s2.bytesOut,
                "a grid copies back the EMA (not the weights, moments or gradients) and its images");
        assertClose("grid of EMA samples after 5 steps", gridCpu.sampleEma(sc), grid, 1e-3);
    }

    @Test
    void aGuidedSamplingRunMatchesTheJavaEngineAndStaysOnTheDevice() {
        DipConfig cfg = Preset.TINY.config();
        int B = 3, per = cfg.channels() * cfg.imageSize() * cfg.imageSize(), steps = 4;
        Dip a = Dip.create(cpu, cfg, 2 * B).initialize(new Rng(11)), b = Dip.create(dev, cfg, 2 * B).initialize(new Rng(11));
        var g = new Guidance(2.5f, 0.1f, 0.9f);
        float[] eps = Sampler.noise(4, B, per);
        int[] y = {0, 5, 9};
        float[] ref = new EulerSampler(a, steps, g).sample(eps.clone(), y, B);
        var before = dev.stats().copy();
        float[] got = new EulerSampler(b, steps, g).sample(eps.clone(), y, B);
        var after = dev.stats();
        assertClose("4-step guided sample", ref, got, 1e-4);
        long stepIn = 4L * (7 + B);                                          // the step's numbers and the labels
        System.out.printf(Locale.ROOT, "sampling %d steps: %d pass runs, %,d B in (first run included), %,d B out%n",
                steps, after.passRuns - before.passRuns, after.bytesIn - before.bytesIn, after.bytesOut - before.bytesOut);
        assertEquals(steps, after.passRuns - before.passRuns, "one pass per step");
        assertEquals(4L * B * per, after.bytesOut - before.bytesOut, "only the final image comes back");
        var sampler = new EulerSampler(b, steps, g);
        long t0 = System.nanoTime();
        sampler.sample(Sampler.noise(5, B, per), y, B);                    // a new sampler: records, builds its plan
        var s3 = dev.stats().copy();
        long t1 = System.nanoTime();
        float[] again = sampler.sample(Sampler.noise(6, B, per), y, B);    // same sampler, new noise: replays
        var s4 = dev.stats();
        System.out.printf(Locale.ROOT, "sampling again: %,d B in, %,d B out, %d rebuilds; %.2f s (first run of the "
                + "sampler %.2f s)%n", s4.bytesIn - s3.bytesIn, s4.bytesOut - s3.bytesOut, s4.rebuilds - s3.rebuilds,
                (System.nanoTime() - t1) / 1e9, (t1 - t0) / 1e9);
        assertClose("a second batch of noise", new EulerSampler(a, steps, g).sample(Sampler.noise(6, B, per), y, B), again, 1e-4);
        assertEquals(0, s4.rebuilds - s3.rebuilds, "new noise rebuilds no plan");
        assertEquals(4L * B * per + steps * stepIn, s4.bytesIn - s3.bytesIn, "new noise: x_t once, then each step's numbers");
        assertEquals(4L * B * per, s4.bytesOut - s3.bytesOut, "only the final image comes back");
        assertEquals(true, s4.bytesIn - s3.bytesIn >= steps * stepIn, "each step sends its numbers and labels");
    }

    /** p after AdamW's first step (t = 1, no weight decay) from the moments m, v, in the kernel's float order. */
    private static float[] firstAdamwStep(float[] p0, float[] m, float[] v, TrainConfig c) {
        float stepSize = (float) (c.lr() / (1 - c.beta1())), bc2Sqrt = (float) Math.sqrt(1 - c.beta2()), eps = 1e-8f;
        float[] p = new float[p0.length];
        for (int j = 0; j < p.length; j++) p[j] = p0[j] + (-stepSize) * m[j] / ((float) Math.sqrt(v[j]) / bc2Sqrt + eps);
        return p;
    }

    private static TrainState state(Engine e, DipConfig cfg, TrainConfig conf) {
        Dip m = Dip.create(e, cfg, conf.batchSize()).initialize(TrainState.initRng(conf.seed()));
        return new TrainState(m, conf, 64);
    }

    private static TrainLoop loop(TrainState s, DipConfig cfg) {
        return new TrainLoop(s, Dataset.unread(cfg, 64), new dip.trainer.ProgressListener() { }, st -> null, 0);
    }

    /** Max |ref − got| ≤ tol · max|ref| (relative to the tensor's own scale, so small tensors are held as tightly). */
    private static double assertClose(String what, float[] ref, float[] got, double tol) {
        double scale = 0, worst = 0;
        for (float v : ref) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs((double) ref[i] - got[i]);
            if (!(e <= worst)) worst = e;                        // NaN is the worst
        }
        if (!(worst <= tol * scale)) {
            fail(String.format(Locale.ROOT, "%s: max |java − tornado| %.3g (scale %.3g) > tol %.1g relative on %s", what, worst,
                    scale, tol, dev.deviceName()));
        }
        return worst / Math.max(scale, 1e-30);
    }
}
