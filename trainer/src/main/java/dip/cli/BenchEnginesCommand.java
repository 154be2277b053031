package dip.cli;

import dip.data.Dataset;
import dip.layers.ParamRegistry;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.Preset;
import dip.sampler.EulerSampler;
import dip.sampler.Guidance;
import dip.sampler.Sampler;
import dip.sampler.SamplerListener;
import dip.tornado.exec.DeviceCounters;
import dip.tornado.exec.Engine;
import dip.tornado.exec.JavaEngine;
import dip.tornado.exec.Pass;
import dip.trainer.ProgressListener;
import dip.trainer.TrainConfig;
import dip.trainer.TrainLoop;
import dip.trainer.TrainState;
import dip.util.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * `dip bench engines`: the java engine beside a device engine (--engine tornado) on the same model, weights and
 * inputs, for a guided sampling step and a training step per preset. For each it reports the first step (which on a
 * device engine records and compiles the pass), the median of the next N steps, and from the device engine's own
 * counters the graph executions and the bytes each way per step. Kernel time needs the device's profiler, which
 * slows launches down, so it is read from N further steps run with the profiler on: the step times come from steps
 * without it. The kernels' GFLOP/s come from the multiply-adds counted from the weight shapes. It also reports how
 * far the two engines' results are apart, so a benchmark on new hardware is a correctness check too. With --report
 * the table is also written as Markdown.
 */
@Command(name = "engines", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Java engine beside the device engine (--engine tornado): sampling and training steps, transfers, kernel time, agreement.")
public final class BenchEnginesCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Mixin StepChoice steps;
    @Option(names = "--repeat", defaultValue = "5", paramLabel = "N", description = "Timed steps after the first, whose median is used, then as many again with the device's profiler on for kernel time (default: ${DEFAULT-VALUE}).")
    int repeat;
    @Option(names = "--report", paramLabel = "FILE", description = "Also write the table as Markdown to FILE.")
    Path report;
    @Option(names = "--no-java", description = "Skip the java engine (XL on a GPU: minutes per step on a CPU); no agreement check then.")
    boolean noJava;
    @Option(names = "--check", paramLabel = "TOL",
            description = "Exit 1 when the device engine's results differ from the java engine's by more than TOL (relative).")
    Double check;

    @Override
    public Integer call() throws IOException {
        steps.check(spec);
        if (repeat < 1) throw new ParameterException(spec.commandLine(), "--repeat must be >= 1, got " + repeat);
        int batch = steps.batch;
        if (noJava && check != null) throw new ParameterException(spec.commandLine(), "--check needs the java engine: drop --no-java");
        if (report != null && report.getParent() != null && !Files.isDirectory(report.getParent())) {
            throw new BadInput("--report " + report + ": folder " + report.getParent() + " does not exist; create it first");
        }
        PrintWriter out = spec.commandLine().getOut();
        List<String> md = new ArrayList<>();
        double worst = 0;
        try (Engine dev = common.createEngine(); Engine cpu = new JavaEngine(common.threads())) {
            String head = String.format(Locale.ROOT, "# dip bench engines: %s vs java (%d threads), batch %d, median of %d steps after the first",
                    dev.name(), cpu.threads(), batch, repeat);
            out.println(head);
            launchMs = dev.name().equals("java") ? Double.NaN : launchCostMs(dev);
            String cost = String.format(Locale.ROOT, "one launch of an empty kernel costs %.3f ms on %s (median of 20 passes of %d launches)",
                    launchMs, dev.name(), LAUNCHES);
            if (!Double.isNaN(launchMs)) out.println("# " + cost);
            String cols = String.format(Locale.ROOT, "%-7s %-6s %-8s %9s %9s %6s %8s %12s %12s %9s %8s %8s %8s %9s",
                    "preset", "step", "engine", "first s", "step ms", "graphs", "launches", "B in", "B out", "kernel ms", "outside",
                    "launch%", "GFLOP/s", "max diff");
            out.println(cols);
            md.add(head.substring(2));
            md.add("");
            if (!Double.isNaN(launchMs)) md.add(cost.substring(0, 1).toUpperCase(Locale.ROOT) + cost.substring(1) + ".");
            md.add("");
            md.add("| preset | step | engine | first step s | step ms | graph runs | launches | bytes in | bytes out | kernel ms | outside kernels | launches × cost | kernel GFLOP/s | max rel. diff vs java |");
            md.add("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (Preset p : steps.presets) {
                DipConfig cfg = p.config();
                for (String kind : steps.kinds()) {
                    Row j = noJava ? null : kind.equals("sample") ? sampling(cpu, cfg) : training(cpu, cfg);
                    Row d = dev.name().equals("java") ? null : kind.equals("sample") ? sampling(dev, cfg) : training(dev, cfg);
                    List<Row> rows = new ArrayList<>();
                    if (j != null) rows.add(j);
                    if (d != null) rows.add(d);
                    for (Row r : rows) {
                        double diff = r == j || j == null ? Double.NaN : maxRelDiff(j.result, r.result);
                        if (check != null && r != j && j != null && !(diff <= check)) worst = Math.max(worst, Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff);
                        String line = r.format(p.name(), kind, diff);
                        out.println(line);
                        out.flush();
                        md.add(r.markdown(p.name(), kind, diff));
                    }
                }
            }
        }
        md.add("");
        md.add("*launches*: kernel launches per step (counted as `dip bench launches` counts them); *launches × cost*: that count"
                + " times the cost of an empty launch, over the step time: the time outside kernels estimated without the profiler.");
        md.add("Step times are medians of steps run without TornadoVM's profiler; kernel times are means over as many further"
                + " steps run with it (it waits for each kernel's event as it is submitted, which would add to the step times).");
        md.add("");
        md.add("*first step*: the first pass run (on a device engine it records the pass and compiles its kernels). *outside "
                + "kernels*: the step's wall time not spent in device kernels (launches, transfers, host work). GFLOP/s: "
                + "multiply-adds counted from the weight shapes (×2), over kernel time on the device engine and over the step's "
                + "wall time on the java engine. *max rel. diff*: the largest |java − device| over the sample (sampling) or "
                + "the updated weights (training), relative to the largest |java| value.");
        if (report != null) Files.write(report, md);
        if (worst > 0) {
            spec.commandLine().getErr().printf(Locale.ROOT, "error: the device engine's results differ from the java engine's by %.3g"
                    + " (relative), more than --check %.3g%n", worst, check);
            return 1;
        }
        return ExitCodes.OK;
    }

    /** Launches in the pass that {@link #launchCostMs} times. */
    static final int LAUNCHES = 100;

    private double launchMs = Double.NaN;          // the device engine's cost of one empty launch

    /**
     * What one kernel launch costs a device engine outside the kernel: a pass of {@link #LAUNCHES} launches of a
     * kernel with nothing to do (zero over 16 floats, each its own array) and a 1-float copy back, median of 20 runs
     * after the recording one.
     */
    static double launchCostMs(Engine e) {
        float[][] xs = new float[LAUNCHES][16];
        float[] back = new float[1];
        Pass p = new Pass("bench.launch", null, new Object[] {back}, () -> {
            for (float[] x : xs) e.zero(x, 16);
            e.copySlice(back, 0, xs[0], 0, 1);
        });
        e.run(p);
        double[] ms = new double[20];
        for (int r = 0; r < ms.length; r++) {
            long t0 = System.nanoTime();
            e.run(p);
            ms[r] = (System.nanoTime() - t0) * 1e-6 / (LAUNCHES + 1);
        }
        return median(ms);
    }

    /** One engine's numbers for one kind of step; launches and launchMs only for a device engine. */
    private record Row(String engine, double firstSec, double stepMs, DeviceCounters perStep, int launches, double launchMs,
                       double flops, float[] result) {
        String format(String preset, String kind, double diff) {
            if (perStep == null) {
                return String.format(Locale.ROOT, "%-7s %-6s %-8s %9.2f %9.2f %6s %8s %12s %12s %9s %8s %8s %8.1f %9s", preset, kind, engine,
                        firstSec, stepMs, "-", "-", "-", "-", "-", "-", "-", flops / stepMs / 1e6, "-");
            }
            double kms = perStep.kernelNanos() / 1e6;
            return String.format(Locale.ROOT, "%-7s %-6s %-8s %9.2f %9.2f %6d %8d %,12d %,12d %9.2f %7.1f%% %7.1f%% %8.1f %9s", preset, kind,
                    engine, firstSec, stepMs, perStep.graphRuns(), launches, perStep.bytesIn(), perStep.bytesOut(), kms,
                    100 * (1 - kms / stepMs), 100 * launches * launchMs / stepMs, flops / kms / 1e6,
                    Double.isNaN(diff) ? "-" : String.format(Locale.ROOT, "%.2e", diff));
        }

        String markdown(String preset, String kind, double diff) {
            if (perStep == null) {
                return String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %.2f | – | – | – | – | – | – | – | %.1f | – |", preset, kind, engine,
                        firstSec, stepMs, flops / stepMs / 1e6);
            }
            double kms = perStep.kernelNanos() / 1e6;
            return String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %.2f | %d | %d | %,d | %,d | %.2f | %.1f%% | %.1f%% | %.1f | %s |", preset,
                    kind, engine, firstSec, stepMs, perStep.graphRuns(), launches, perStep.bytesIn(), perStep.bytesOut(), kms,
                    100 * (1 - kms / stepMs), 100 * launches * launchMs / stepMs, flops / kms / 1e6,
                    Double.isNaN(diff) ? "–" : String.format(Locale.ROOT, "%.2e", diff));
        }
    }

    /** A guided Euler sampling run of 2·repeat + 1 steps from fixed noise (see {@link StepClock}). */
    private Row sampling(Engine e, DipConfig cfg) {
        int batch = steps.batch;
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        Dip model = Dip.forInference(e, cfg, 2 * batch).initialize(new Rng(common.seed()));   // as dip sample builds it
        double flops = 2 * BenchStepCommand.macsPerImage(model, cfg)[0] * 2 * batch;
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = i % cfg.numClasses();
        float[] x = Sampler.noise(common.seed() + 1, batch, per);
        StepClock clock = new StepClock(e);
        clock.tick();                                     // the sampler reports after each step (and once at the end)
        new EulerSampler(model, 2 * repeat + 1, new Guidance(2f, 0f, 1f)).sample(x, y, batch, SamplerListener.steps((k, steps, t) -> clock.tick()));
        return clock.row(e, flops, x, e.counters() == null ? 0 : BenchLaunchesCommand.samplingStep(cfg, batch).size());
    }

    /** 2·repeat + 1 training steps on a fixed batch (see {@link StepClock}); the result is the weights after. */
    private Row training(Engine e, DipConfig cfg) {
        int batch = steps.batch;
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        Dip model = Dip.create(e, cfg, batch).initialize(TrainState.initRng(common.seed()));
        double flops = 3 * 2 * BenchStepCommand.macsPerImage(model, cfg)[0] * batch;   // forward + two backward products
        TrainState state = new TrainState(model, trainConfig(batch, common.seed()), 64);
        TrainLoop loop = trainLoop(state, cfg);
        float[] x = new Rng(common.seed() + 2).normal(batch * per);
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = (3 * i + 1) % cfg.numClasses();
        StepClock clock = new StepClock(e);
        clock.tick();
        for (int s = 0; s <= 2 * repeat; s++) {
            loop.step(x, labels);
            clock.tick();
        }
        e.download(state.stateArrays());
        var reg = model.params();
        float[] w = new float[Math.toIntExact(reg.count())];         // every weight, bank by bank
        int o = 0;
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            System.arraycopy(reg.data(b), 0, w, o, reg.count(b));
            o += reg.count(b);
        }
        return clock.row(e, flops, w, e.counters() == null ? 0 : BenchLaunchesCommand.trainingStep(cfg, batch).size());
    }

    /**
     * The training settings of a benchmarked step (clipping on, so the step has every kernel of a real one); `bench
     * launches` counts the same step.
     */
    static TrainConfig trainConfig(int batch, long seed) {
        return new TrainConfig(batch, 1e-3, 0.9, 0.999, 0.0, 0.99, 0.1, 0, 1.0, seed);
    }

    /** A training loop that the caller feeds batch by batch (TrainLoop.step), with no data set and no output. */
    static TrainLoop trainLoop(TrainState state, DipConfig cfg) {
        return new TrainLoop(state, Dataset.unread(cfg, 64), new ProgressListener() { }, s -> null, 0);
    }

    /** The median of the values (sorted in place). */
    static double median(double[] v) {
        java.util.Arrays.sort(v);
        int h = v.length / 2;
        return v.length % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
    }

    /**
     * Times between ticks, and the device counters at each tick. Step 0 is the first (recording, compiling); steps
     * 1..repeat are timed with the device's profiler off; then the profiler goes on and steps repeat+1..2·repeat
     * give the kernel time per step.
     */
    private final class StepClock {
        final Engine e;
        final List<Long> t = new ArrayList<>();
        final List<DeviceCounters> c = new ArrayList<>();

        StepClock(Engine e) { this.e = e; }

        void tick() {
            t.add(System.nanoTime());
            c.add(e.counters());
            e.profile(t.size() >= repeat + 2 && t.size() < 2 * repeat + 2);   // on for the second half only
        }

        /** Tick 0 is before step 0, tick k + 1 after step k; the sampler ticks once more after its final copy back. */
        Row row(Engine e, double flops, float[] result, int launches) {
            int steps = repeat + 1;
            double first = (t.get(1) - t.get(0)) * 1e-9;
            double[] ms = new double[steps - 1];
            for (int k = 1; k < steps; k++) ms[k - 1] = (t.get(k + 1) - t.get(k)) * 1e-6;
            double median = median(ms);
            DeviceCounters per = null;
            if (c.get(0) != null) {
                DeviceCounters d = c.get(steps).minus(c.get(1)), prof = c.get(2 * repeat + 1).minus(c.get(steps));
                int k = repeat;
                per = new DeviceCounters(d.passRuns() / k, d.graphRuns() / k, d.rebuilds(), d.bytesIn() / k, d.bytesOut() / k,
                        prof.kernelNanos() / k, prof.totalNanos() / k);
            }
            return new Row(e.name(), first, median, per, launches, launchMs, flops, result);
        }
    }

    private static double maxRelDiff(float[] ref, float[] got) {
        double scale = 1e-30, worst = 0;
        for (int i = 0; i < ref.length; i++) {
            scale = Math.max(scale, Math.abs(ref[i]));
            double d = Math.abs((double) ref[i] - got[i]);
            if (!(d <= worst)) worst = d;                          // NaN is the worst
        }
        return worst / scale;
    }
}
