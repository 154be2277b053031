package dip.cli;

import dip.sampler.SampleOutputs;
import dip.sampler.Solver;
import dip.sampler.SamplerListener;
import dip.sampler.TrajectoryRecorder;
import dip.sampler.Guidance;
import dip.sampler.CheckpointModel;
import dip.sampler.Sampler;
import dip.sampler.ImageWriter;
import dip.sampler.ClassSelection;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.model.Denoiser;
import dip.model.DipConfig;
import dip.tornado.exec.Engine;
import picocli.CommandLine;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code dip sample}: images from a checkpoint's EMA weights with the Euler (or Heun) ODE and classifier-free
 * guidance. Writes DIR/grid.png (rows = classes), DIR/samples.safetensors (samples as the ODE left them, before
 * any clamp; labels; noise), and on request
 * DIR/images/*.png and DIR/trajectory.gif with DIR/trajectory/frame_*.png. Bad input is a one-line error, exit 2.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sample images from a trained DiP checkpoint (EMA weights) with the Euler or Heun ODE and CFG.")
public final class SampleCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE|DIR",
            description = "safetensors checkpoint with 'dip_config' metadata (EMA weights used when present), or a"
                    + " training run folder (its last.safetensors).")
    Path checkpoint;

    @Option(names = "--class", split = ",", paramLabel = "C",
            description = "Classes by index or name, comma-separated (default: all). One grid row each.")
    List<String> classes;

    @Option(names = "--n-per-class", defaultValue = "8", paramLabel = "N",
            description = "Images per class (default: ${DEFAULT-VALUE}).")
    int perClass;

    @Option(names = "--steps", defaultValue = "50", paramLabel = "N", description = "ODE steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--solver", defaultValue = "euler", paramLabel = "S",
            description = "euler or heun (default: ${DEFAULT-VALUE}).")
    Solver solver;

    @Option(names = "--cfg-scale", defaultValue = "2.9", paramLabel = "W",
            description = "Guidance scale w >= 0: 1 = off, 0 = unconditional (default: ${DEFAULT-VALUE}, the paper's).")
    float cfgScale;

    @Option(names = "--cfg-interval", defaultValue = "0.11,0.97", paramLabel = "LO,HI",
            description = "Guide only while LO < t < HI (default: ${DEFAULT-VALUE}, the paper's).")
    String cfgInterval;

    @Option(names = "--noise", paramLabel = "FILE",
            description = "Start from the safetensors tensor 'noise' (B, C, H, W) instead of the seed.")
    Path noiseFile;

    @Option(names = "--out", defaultValue = "samples", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--grid", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write grid.png (default: on).")
    boolean grid;

    @Option(names = "--individual", description = "Also write one PNG per image under DIR/images.")
    boolean individual;

    @Option(names = "--trajectory", description = "Also write trajectory.gif and trajectory/frame_*.png (x_t | x̂ per step).")
    boolean trajectory;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "N",
            description = "Most rows per model forward (guided steps run [null; cond] pairs) (default: ${DEFAULT-VALUE}).")
    int batch;

    @Mixin CommonOptions common;   // --engine, --threads, --seed (the noise seed), --verbose: shared with every `dip` command

    @Override
    public Integer call() throws IOException {
        PrintWriter log = spec.commandLine().getOut();
        Guidance guidance = parseGuidance();
        if (steps < 1) throw bad("--steps must be >= 1, got " + steps);
        if (perClass < 1) throw bad("--n-per-class must be >= 1, got " + perClass);
        if (batch < 1) throw bad("--batch must be >= 1, got " + batch);
        if (common.threads() < 1) throw bad("--threads must be >= 1, got " + common.threads());
        Path file = checkpoint;
        if (Files.isDirectory(checkpoint)) {                  // a run folder, as --resume takes it
            file = checkpoint.resolve("last.safetensors");
            if (!Files.isRegularFile(file)) {
                throw new BadInput("--checkpoint " + checkpoint + " is a folder without last.safetensors: give a"
                        + " training run folder or a .safetensors file");
            }
        }
        CheckpointModel ckpt;
        try {
            ckpt = CheckpointModel.open(file);
        } catch (CheckpointModel.BadCheckpoint e) {
            throw new BadInput(e.getMessage());
        }
        DipConfig cfg = ckpt.config();
        int[] cls;
        try {
            cls = ClassSelection.resolve(classes, ckpt.classNames());
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        int B = cls.length * perClass, C = cfg.channels(), S = cfg.imageSize(), per = C * S * S;
        int[] labels = new int[B];
        for (int b = 0; b < B; b++) labels[b] = cls[b / perClass];
        float[] noise = noiseFile != null ? readNoise(noiseFile, B, C, S) : Sampler.noise(common.seed(), B, per);
        checkOutputFolder(out);                                // before the sampling, not after it

        try (Engine engine = common.createEngine()) {
            int rows = Math.min(batch, guidance.scale() == 1f ? B : 2 * B);
            Denoiser model = ckpt.build(engine, rows);
            log.printf(Locale.ROOT, "checkpoint %s (%s weights), %d classes, %dx%dx%d images, engine %s%n", file,
                    ckpt.prefix().isEmpty() ? "plain" : ckpt.prefix(), cfg.numClasses(), C, S, S, engine.name());
            log.printf(Locale.ROOT, "sampling %d images: %s, %d steps, cfg %.3g on (%.3g, %.3g) (%d guided steps), %s%n",
                    B, solver.name().toLowerCase(Locale.ROOT), steps, guidance.scale(), guidance.lo(), guidance.hi(),
                    guidance.guidedSteps(dip.flow.FlowPath.timeGrid(steps)),
                    noiseFile != null ? "noise " + noiseFile : "seed " + common.seed());
            String[] rowLabels = new String[cls.length];
            for (int r = 0; r < cls.length; r++) rowLabels[r] = ckpt.classNames().get(cls[r]);
            float[] x = noise.clone();
            long t0 = System.nanoTime();
            var progress = new Progress(log, steps, t0);
            var unclamped = new Unclamped();
            if (trajectory) {
                try (var rec = new TrajectoryRecorder(out.resolve("trajectory.gif"), out.resolve("trajectory"), C, S, S,
                        cls.length, perClass, rowLabels, ImageWriter.defaultScale(S), 80)) {
                    solver.create(model, steps, guidance).sample(x, labels, B, both(both(progress, unclamped), rec));
                }
            } else {
                solver.create(model, steps, guidance).sample(x, labels, B, both(progress, unclamped));
            }
            x = unclamped.result(x);                           // the ODE's own result; the PNGs clip it to uint8
            log.printf(Locale.ROOT, "sampled in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            SampleOutputs.write(out, x, noise, labels, B, cfg, ckpt, rowLabels, perClass, grid, individual, describe(guidance));
            log.println("wrote " + out + (grid ? "/grid.png, " : "/") + "samples.safetensors"
                    + (individual ? ", images/" : "") + (trajectory ? ", trajectory.gif, trajectory/" : ""));
        } catch (CheckpointModel.BadCheckpoint e) {
            throw new BadInput(e.getMessage());
        }
        return ExitCodes.OK;
    }

    private String describe(Guidance g) {
        return String.format(Locale.ROOT, "{\"solver\":\"%s\",\"steps\":%d,\"cfg_scale\":%s,\"cfg_interval\":[%s,%s],\"seed\":%s}",
                solver.name().toLowerCase(Locale.ROOT), steps, g.scale(), g.lo(), g.hi(),
                noiseFile != null ? "null" : Long.toString(common.seed()));
    }

    private Guidance parseGuidance() {
        String[] parts = cfgInterval.split(",");
        float lo, hi;
        try {
            if (parts.length != 2) throw new NumberFormatException();
            lo = Float.parseFloat(parts[0].trim());
            hi = Float.parseFloat(parts[1].trim());
        } catch (NumberFormatException e) {
            throw bad("--cfg-interval must be LO,HI (two numbers), got '" + cfgInterval + "'");
        }
        if (!(lo >= 0f && hi <= 1f && lo < hi)) {
            throw bad("--cfg-interval must satisfy 0 <= LO < HI <= 1, got " + lo + "," + hi);
        }
        if (!Float.isFinite(cfgScale) || cfgScale < 0) {
            throw bad("--cfg-scale must be a number >= 0 (0 = unconditional, 1 = no guidance, above 1 = stronger), got " + cfgScale);
        }
        return new Guidance(cfgScale, lo, hi);
    }

    private float[] readNoise(Path file, int B, int C, int S) {
        try {
            Tensor t = Safetensors.read(file).tensor("noise");
            int[] want = {B, C, S, S};
            if (!Arrays.equals(t.shape(), want)) {
                throw new BadInput("noise " + file + " has shape " + Arrays.toString(t.shape()) + " but " + B
                        + " images of this model need " + Arrays.toString(want));
            }
            return t.floats();
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            throw new BadInput("cannot use noise file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Makes sure the samples can be written to {@code dir} before any sampling, creating nothing: the nearest existing
     * folder on the way must be a folder and take a probe file (written and deleted). Throws BadInput naming the path
     * and the problem (a file where a folder should be, a read-only folder).
     */
    static void checkOutputFolder(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new BadInput("--out " + dir + " is a file, not a folder: pick another --out");
        }
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) p = p.getParent();
        if (p == null) throw new BadInput("cannot create --out " + dir + ": no part of the path exists");
        if (!Files.isDirectory(p)) throw new BadInput("cannot create --out " + dir + ": " + p + " is a file, not a folder");
        try {
            Files.delete(Files.createTempFile(p, ".dip-write-probe", ".tmp"));
        } catch (java.nio.file.AccessDeniedException e) {
            throw new BadInput("cannot write into --out " + dir + ": no permission to write in " + p
                    + " (read-only folder): pick another --out");
        } catch (IOException e) {
            throw new BadInput("cannot write into --out " + dir + ": " + e + ": pick another --out");
        }
    }

    /**
     * Keeps the sampler's result before its final clamp to [−1, 1]. Both solvers end with an Euler step from the last
     * t on the grid to t = 1, so x̂ = x_t + (1 − t)·v passed to the listener before that step is that step's result,
     * to the bit (dt = 1 − t); SampleCommandTest holds this to the solvers' clamped output.
     */
    static final class Unclamped implements SamplerListener {
        private float[] last;

        @Override
        public void onStep(int k, int n, float t, float[] xt, float[] xhat, int B) {
            if (k == n - 1) last = xhat.clone();
        }

        /** The unclamped final sample, or {@code clamped} when no step was seen. */
        float[] result(float[] clamped) { return last != null ? last : clamped; }
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static SamplerListener both(SamplerListener a, SamplerListener b) {
        return new SamplerListener() {
            @Override
            public void onStep(int k, int n, float t, float[] xt, float[] xhat, int B) {
                a.onStep(k, n, t, xt, xhat, B);
                b.onStep(k, n, t, xt, xhat, B);
            }

            @Override
            public boolean needsImages() {
                return a.needsImages() || b.needsImages();
            }
        };
    }

    /** One line every ~10% of the steps: step, t, ms/step. */
    private record Progress(PrintWriter log, int steps, long t0) implements SamplerListener {
        @Override
        public void onStep(int k, int n, float t, float[] xt, float[] xhat, int B) {
            int every = Math.max(1, steps / 10);
            if (k == 0 || k % every != 0 || k == n) return;
            double ms = (System.nanoTime() - t0) / 1e6 / k;
            log.printf(Locale.ROOT, "step %d/%d | t %.3f | %.0f ms/step%n", k, n, t, ms);
            log.flush();
        }

        @Override
        public boolean needsImages() {
            return false;
        }
    }
}
