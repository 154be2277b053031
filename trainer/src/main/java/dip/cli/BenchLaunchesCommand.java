package dip.cli;

import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.Preset;
import dip.sampler.EulerSampler;
import dip.sampler.Guidance;
import dip.sampler.SamplerListener;
import dip.tornado.exec.LaunchCounter;
import dip.tornado.exec.LaunchCounter.Launch;
import dip.trainer.TrainLoop;
import dip.trainer.TrainState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * `dip bench launches`: what a device engine launches per sampling step and per training step, counted without a
 * device ({@link LaunchCounter}: the model runs its kernel calls and none computes). Per step it prints the number of
 * launches, which sets the time a device spends outside kernels (TornadoVM on PoCL: about 0.09 ms each), and per
 * kernel the launches and their work-items, which say whether a launch can fill a GPU (an H200 keeps about 270,000
 * threads in flight: 132 SMs × 2,048).
 */
@Command(name = "launches", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Kernel launches per sampling and training step, and work-items per launch, counted without a device.")
public final class BenchLaunchesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin StepChoice steps;
    @Option(names = "--per-kernel", description = "Also list every kernel: launches and work-items per launch.")
    boolean perKernel;

    /** A GPU launch with fewer work-items than this leaves most of a large GPU idle. */
    static final long SMALL = 65_536;

    @Override
    public Integer call() {
        steps.check(spec);
        int batch = steps.batch;
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "# dip bench launches: batch %d (sampling: a CFG forward of %d rows)%n", batch, 2 * batch);
        out.printf(Locale.ROOT, "%-7s %-6s %9s %14s %14s %12s%n", "preset", "step", "launches", "work-items", "median/launch",
                "< " + SMALL / 1024 + "Ki");
        for (Preset p : steps.presets) {
            for (String kind : steps.kinds()) {
                List<Launch> step = kind.equals("sample") ? samplingStep(p.config(), batch) : trainingStep(p.config(), batch);
                long total = 0, small = 0;
                long[] sizes = new long[step.size()];
                for (int i = 0; i < sizes.length; i++) {
                    sizes[i] = step.get(i).workItems();
                    total += sizes[i];
                    if (sizes[i] < SMALL) small++;
                }
                java.util.Arrays.sort(sizes);
                out.printf(Locale.ROOT, "%-7s %-6s %9d %,14d %,14d %11.0f%%%n", p.name(), kind, step.size(), total,
                        sizes.length == 0 ? 0 : sizes[sizes.length / 2], 100.0 * small / Math.max(1, step.size()));
                if (perKernel) printKernels(out, step);
                out.flush();
            }
        }
        return ExitCodes.OK;
    }

    /** The second of two guided Euler steps (the first also sets up what every step reuses). */
    static List<Launch> samplingStep(DipConfig cfg, int batch) {
        LaunchCounter e = new LaunchCounter();
        Dip model = Dip.forInference(e, cfg, 2 * batch);
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        float[] x = new float[batch * per];
        int[] y = new int[batch];
        List<Integer> marks = new ArrayList<>();
        new EulerSampler(model, 2, new Guidance(2f, 0f, 1f)).sample(x, y, batch,
                SamplerListener.steps((k, steps, t) -> marks.add(e.launches().size())));
        return e.launches().subList(marks.get(0), marks.get(1));
    }

    /** The second of two training steps (the first also zeroes what stays zero). */
    static List<Launch> trainingStep(DipConfig cfg, int batch) {
        LaunchCounter e = new LaunchCounter();
        TrainState state = new TrainState(Dip.create(e, cfg, batch), BenchEnginesCommand.trainConfig(batch, 0), 64);
        TrainLoop loop = BenchEnginesCommand.trainLoop(state, cfg);
        float[] x = new float[batch * cfg.channels() * cfg.imageSize() * cfg.imageSize()];
        int[] labels = new int[batch];
        loop.step(x, labels);
        e.clear();
        loop.step(x, labels);
        return e.launches();
    }

    private static void printKernels(PrintWriter out, List<Launch> step) {
        Map<String, List<Long>> by = new LinkedHashMap<>();
        for (Launch l : step) by.computeIfAbsent(l.kernel(), k -> new ArrayList<>()).add(l.workItems());
        for (var en : by.entrySet()) {
            List<Long> s = new ArrayList<>(en.getValue());
            s.sort(null);
            out.printf(Locale.ROOT, "    %-32s %5d launches, work-items %,d .. %,d%n", en.getKey(), s.size(), s.get(0), s.get(s.size() - 1));
        }
    }
}
