package dip.cli;

import dip.layers.Param;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.HeadType;
import dip.model.Preset;
import dip.tornado.exec.Engine;
import dip.util.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * `dip bench step`: the paper's speed claim at its scale. Times one sampling step (one forward of a CFG batch of 2 =
 * [null; conditional] at 256², random weights) of DiP-XL/16 and of a DiT-only XL on 4×4 patches (4096 tokens, the
 * patch size of PixelFlow-XL/4). A 26-block DiT-only XL/4 does not fit in memory here (each block keeps its attention
 * probabilities and their grads, 2 × (B·NH·N, N) floats = 4.3 GB), so each config is built at depth 1 and 2 and the
 * full model extrapolated: t(26) = t(1) + 25·(t(2) − t(1)) (every block does the same work). For DiP the block time
 * comes from its head-less twin (same patches, DiT final layer), because the head's run-to-run variation on a shared
 * CPU is larger than one block's time (measured: t(2) − t(1) came out negative). Parameter counts are
 * extrapolated the same way (exact: the blocks are identical), and the MACs per image are counted from the shapes.
 * With {@code --full} each config is built at the target depth instead and timed directly: the models are built for
 * inference (Dip.forInference: one set of block activations for all blocks), so DiP-XL/16 fits; run it under
 * {@code /usr/bin/time -v} for the peak RSS (docs/bench.md).
 */
@Command(name = "step", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time one sampling step (CFG batch of 2 at 256²) of DiP-XL/16 vs a DiT-only XL/4, extrapolated from depth 1 and 2.")
public final class BenchStepCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    /** The two configs of the claim, made from the starting shape (XL16 unless --preset and the shape options change it). */
    enum Model {
        DIP_XL16("DiP-XL/16"), DIT_XL4("DiT-only XL/4");

        final String label;

        Model(String label) { this.label = label; }

        DipConfig config(DipConfig base) {
            return this == DIP_XL16 ? base.withHead(HeadType.DIP) : base.withPatchSize(4).withHead(HeadType.DIT_ONLY);
        }
    }

    @Mixin ModelShape shape;       // default: XL16 at 256 px; --patch-size, --depth and --head are set by --models and the depths

    @Option(names = "--models", split = ",", defaultValue = "DIP_XL16,DIT_XL4", paramLabel = "M,..",
            description = "Which configs: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Model[] models;
    @Option(names = "--target-depth", defaultValue = "26", paramLabel = "N", description = "Depth to extrapolate to (default: ${DEFAULT-VALUE}, XL).")
    int targetDepth;
    @Option(names = "--repeat", defaultValue = "5", paramLabel = "N", description = "Timed forwards per model; the median is used (default: ${DEFAULT-VALUE}).")
    int repeat;
    @Option(names = "--warmup", defaultValue = "1", paramLabel = "N", description = "Untimed forwards per model first (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--warmup-ms", defaultValue = "30000", paramLabel = "MS",
            description = "Keep warming up each model until this much time has passed, so the JIT has compiled the kernels (default: ${DEFAULT-VALUE}).")
    long warmupMs;
    @Option(names = "--full", description = "Build each config at --target-depth and time it directly (no extrapolation).")
    boolean full;
    @Option(names = "--sampling-steps", defaultValue = "100", paramLabel = "N", description = "Steps per image for the per-image estimate (default: ${DEFAULT-VALUE}, the paper's).")
    int samplingSteps;

    @Override
    public Integer call() {
        if (repeat < 1 || warmup < 0 || warmupMs < 0 || targetDepth < 2 || samplingSteps < 1) {
            throw new ParameterException(spec.commandLine(), "--repeat and --sampling-steps must be >= 1, --warmup >= 0, --target-depth >= 2");
        }
        PrintWriter out = spec.commandLine().getOut();
        for (String o : List.of("--patch-size", "--depth", "--head")) {
            if (shape.given().contains(o)) {
                throw new ParameterException(spec.commandLine(), o + " does not apply to bench step: --models sets the patch"
                        + " size and head, and it builds depths 1 and 2 and extrapolates to --target-depth");
            }
        }
        DipConfig base;
        try {
            base = shape.apply(shape.base(Preset.XL16.config()));
            for (Model m : models) withDepth(m.config(base), 1);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        double[] perImage = new double[models.length];
        try (Engine engine = common.createEngine()) {
            out.printf(Locale.ROOT, "# dip bench step: engine %s, %d threads, max heap %d MiB; one forward of a CFG batch of 2 at %d², "
                            + "random weights, median of %d after %d warm-up (and %d ms)%n", engine.name(), engine.threads(),
                    Runtime.getRuntime().maxMemory() >> 20, base.imageSize(), repeat, warmup, warmupMs);
            if (full) return timeFull(out, engine, base);
            out.printf(Locale.ROOT, "# depth %d is extrapolated: t(%d) = t(1) + %d·(t(2) − t(1)); params likewise (exact). For DiP the "
                    + "block time t(2) − t(1) is taken from its head-less twin (DiT-only, same patches: the same blocks), "
                    + "since the head's run-to-run noise exceeds one block's time%n", targetDepth, targetDepth, targetDepth - 1);
            out.printf(Locale.ROOT, "%-14s %6s %11s %11s %11s %12s %15s %11s %11s%n", "model", "tokens", "t(1) s", "t(2) s",
                    "block s", "t(" + targetDepth + ") s", "params", "GMACs/img", "head GMACs");
            out.flush();
            for (int m = 0; m < models.length; m++) {
                Model mm = models[m];
                DipConfig c1 = withDepth(mm.config(base), 1), c2 = withDepth(mm.config(base), 2);
                long[] params = new long[2];
                double[][] macs = new double[2][];
                double t1 = time(engine, c1, params, macs, 0), t2 = time(engine, c2, params, macs, 1);
                double block = t2 - t1;
                if (c1.head() == HeadType.DIP) {                   // the blocks' time, without the head's noise
                    double[][] twinMacs = new double[2][];
                    long[] twinParams = new long[2];
                    double u1 = time(engine, c1.withHead(HeadType.DIT_ONLY), twinParams, twinMacs, 0);
                    double u2 = time(engine, c2.withHead(HeadType.DIT_ONLY), twinParams, twinMacs, 1);
                    out.printf(Locale.ROOT, "%-14s %6d %11.3f %11.3f %11.3f   (head-less twin: the block time used below)%n",
                            "  DiT-only twin", c1.tokens(), u1, u2, u2 - u1);
                    block = u2 - u1;
                }
                double tFull = t1 + (targetDepth - 1) * block;
                long pFull = params[0] + (long) (targetDepth - 1) * (params[1] - params[0]);
                double gFull = macs[0][0] + (targetDepth - 1) * (macs[1][0] - macs[0][0]);
                out.printf(Locale.ROOT, "%-14s %6d %11.3f %11.3f %11.3f %12.2f %,15d %11.1f %11.1f%n", mm.label, c1.tokens(),
                        t1, t2, block, tFull, pFull, gFull / 1e9, macs[0][1] / 1e9);
                out.flush();
                perImage[m] = tFull;
            }
            if (models.length == 2) {
                out.printf(Locale.ROOT, "ratio %s / %s per step at depth %d: %.1fx%n", models[1].label, models[0].label,
                        targetDepth, perImage[1] / perImage[0]);
            }
            for (int m = 0; m < models.length; m++) {
                out.printf(Locale.ROOT, "%s: %d steps x %.2f s = %.0f s per image (every step with a batch of 2)%n",
                        models[m].label, samplingSteps, perImage[m], samplingSteps * perImage[m]);
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** --full: each model at the target depth, timed directly. */
    private int timeFull(PrintWriter out, Engine engine, DipConfig base) {
        out.printf(Locale.ROOT, "%-14s %6s %6s %12s %15s %11s%n", "model", "tokens", "depth", "step s", "params", "GMACs/img");
        for (Model mm : models) {
            DipConfig c = withDepth(mm.config(base), targetDepth);
            long[] params = new long[1];
            double[][] macs = new double[1][];
            double t = time(engine, c, params, macs, 0);
            out.printf(Locale.ROOT, "%-14s %6d %6d %12.3f %,15d %11.1f%n", mm.label, c.tokens(), targetDepth, t, params[0], macs[0][0] / 1e9);
            out.printf(Locale.ROOT, "%s: %d steps x %.2f s = %.0f s per image (every step with a batch of 2)%n",
                    mm.label, samplingSteps, t, samplingSteps * t);
            out.flush();
        }
        return ExitCodes.OK;
    }

    private static DipConfig withDepth(DipConfig c, int depth) {
        return new DipConfig(c.imageSize(), c.patchSize(), c.channels(), c.hidden(), depth, c.heads(), c.numClasses(),
                c.headWidth(), c.head(), c.adaLnZero());
    }

    /**
     * Median seconds of one forward of B = 2 (a model built for inference, as the sampler builds it); records params
     * and {total, head} MACs per image in slot i.
     */
    private double time(Engine engine, DipConfig cfg, long[] params, double[][] macs, int i) {
        Dip model = Dip.forInference(engine, cfg, 2).initialize(new Rng(common.seed()));
        params[i] = model.params().count();
        macs[i] = macsPerImage(model, cfg);
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        float[] x = new Rng(common.seed() + 1).normal(2 * per);
        float[] t = {0.5f, 0.5f};
        int[] y = {cfg.numClasses(), 0};                          // [null; conditional], as the guided sampler
        long warmEnd = System.nanoTime() + warmupMs * 1_000_000L;
        for (int k = 0; k < warmup || k > 0 && System.nanoTime() < warmEnd; k++) model.forward(x, t, y, 2);
        double[] s = new double[repeat];
        for (int k = 0; k < repeat; k++) {
            long t0 = System.nanoTime();
            model.forward(x, t, y, 2);
            s[k] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(s);
        return repeat % 2 == 1 ? s[repeat / 2] : (s[repeat / 2 - 1] + s[repeat / 2]) / 2;
    }

    /**
     * Multiply-accumulates of one forward per image, counted from the weight shapes: a per-token Linear costs N·|W|;
     * adaLN and the timestep MLP run once per image; attention adds 2·N²·D per block (QKᵀ and AV); a head conv costs
     * side²·|W| at its output side (ConvTranspose: at its input side), for each of the N patches.
     * Returns {total, head}.
     */
    static double[] macsPerImage(Dip model, DipConfig cfg) {
        double N = cfg.tokens(), total = 0, head = 0;
        int P = cfg.patchSize();
        for (Param p : model.params().all()) {
            String n = p.name();
            if (!n.endsWith(".weight") || p.shape().length < 2 || n.startsWith("y_embedder")) continue;
            double k = p.size();
            if (n.contains("adaLN_modulation") || n.startsWith("t_embedder")) total += k;
            else if (n.startsWith("local_decoder.")) {
                double side = headSide(n, P, cfg.headStages());
                head += N * side * side * k;
            } else total += N * k;
        }
        total += cfg.depth() * 2.0 * N * N * cfg.hidden();
        return new double[]{total + head, head};
    }

    /** Pixel side where a head layer's MACs are counted (see PatchDetailerHead: stage i works at P / 2^(i−1)). */
    static int headSide(String name, int P, int S) {
        String layer = name.substring("local_decoder.".length(), name.indexOf('.', "local_decoder.".length()));
        if (layer.equals("out_conv")) return P;
        if (layer.equals("bottleneck")) return P >> S;
        int i = Integer.parseInt(layer.replaceAll("\\D", ""));
        return layer.startsWith("up") ? P >> i : P >> (i - 1);    // ConvTranspose: its input side
    }
}
