package dip.cli;

import dip.data.Dataset;
import dip.data.FashionMnist;
import dip.data.ImageFile;
import dip.data.Split;
import dip.eval.ImageMetrics;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.HeadType;
import dip.model.Preset;
import dip.sampler.EulerSampler;
import dip.sampler.ImageWriter;
import dip.sampler.Sampler;
import dip.tornado.exec.Engine;
import dip.trainer.ProgressListener;
import dip.trainer.TrainConfig;
import dip.trainer.TrainLoop;
import dip.trainer.TrainState;
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
 * `dip experiment overfit`: the paper's Fig. 3 at small scale. Two models with the same DiT backbone on the same
 * large patches, one with the standard DiT final layer (DIT_ONLY), one with the Patch Detailer Head (DIP), are each
 * trained for the same number of steps on ONE image, with exactly the trainer's flow-matching step (TrainLoop: a batch
 * of copies of the image, fresh t and ε per copy, AdamW), then sampled with the Euler sampler from the same noise.
 * It reports the training loss, the PSNR of the samples against the image and their high-frequency content
 * (ImageMetrics), and writes overfit.png (image | DiT-only | DiP per row), results.json and results.md into --out.
 * One class only (label 0, numClasses 1), no label dropout, no guidance; samples use the live weights (no EMA).
 */
@Command(name = "overfit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train DiT-only and DiP on one image (paper Fig. 3), sample both, compare PSNR and fine detail.",
                "Both models are --preset (default: MICRO with --patch-size 16) with the shape options applied; --head does not apply."})
public final class OverfitCommand implements Callable<Integer> {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin ModelShape shape;      // default: MICRO with 16-pixel patches (32 px, D 128, depth 4, 4 heads, head width 16)

    @Option(names = "--image", paramLabel = "FILE",
            description = "A PNG/JPEG to overfit, centre-cropped to --image-size (default: a Fashion-MNIST training image).")
    Path image;
    @Option(names = "--channels", defaultValue = "3", paramLabel = "C", description = "With --image: 1 (gray) or 3 (RGB) (default: ${DEFAULT-VALUE}).")
    int channels;
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Fashion-MNIST folder (default: " + "/usr/share/datasets/fashion-mnist).")
    Path dataDir;
    @Option(names = "--index", defaultValue = "0", paramLabel = "I", description = "Which Fashion-MNIST training image (default: ${DEFAULT-VALUE}).")
    int index;
    @Option(names = "--steps", defaultValue = "600", paramLabel = "N", description = "Training steps of each model (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--batch-size", defaultValue = "16", paramLabel = "B", description = "Copies of the image per step (default: ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--lr", defaultValue = "1e-3", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--samples", defaultValue = "4", paramLabel = "N", description = "Samples per model, one per noise draw (default: ${DEFAULT-VALUE}).")
    int samples;
    @Option(names = "--sample-steps", defaultValue = "50", paramLabel = "N", description = "Euler steps (default: ${DEFAULT-VALUE}).")
    int sampleSteps;
    @Option(names = "--sample-seed", defaultValue = "1", paramLabel = "S", description = "Seed of the sampling noise, the same for both models (default: ${DEFAULT-VALUE}).")
    long sampleSeed;
    @Option(names = "--scale", defaultValue = "4", description = "Upscale factor of overfit.png (default: ${DEFAULT-VALUE}).")
    int scale;
    @Option(names = "--out", defaultValue = "runs/overfit", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--log-every", defaultValue = "100", paramLabel = "STEPS", description = "Progress line every STEPS steps (default: ${DEFAULT-VALUE}).")
    int logEvery;

    /** What one model did: its losses, timing, samples (n, C, S, S) and their scores. */
    record Arm(HeadType head, long params, double[] losses, double trainSeconds, double sampleSeconds, float[] samples,
               double[] psnr, double[] hfRatio, double[] hfError) {
        /** Mean training loss over the last 10% of the steps (at least one): the loss of one step depends on its t. */
        double finalLoss() {
            int k = Math.max(1, losses.length / 10);
            double s = 0;
            for (int i = losses.length - k; i < losses.length; i++) s += losses[i];
            return s / k;
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        if (steps < 1 || batchSize < 1 || samples < 1 || sampleSteps < 1 || scale < 1 || logEvery < 1) {
            throw bad("--steps, --batch-size, --samples, --sample-steps, --scale and --log-every must be >= 1");
        }
        if (!(lr > 0)) throw bad("--lr must be positive, got " + lr);
        if (shape.head != null) throw bad("--head does not apply to overfit: it trains both heads (DIT_ONLY and DIP)");
        DipConfig start = shape.base(Preset.MICRO.config().withPatchSize(16));
        int imageSize = shape.imageSize(start);
        int C = image != null ? channels : 1;
        float[] img;
        String source;
        try {
            if (image != null) {
                img = ImageFile.read(image, imageSize, C);
                source = image.toString();
            } else {
                var fm = new FashionMnist(dataDir, Split.TRAIN, imageSize);
                if (index < 0 || index >= fm.size()) throw bad("--index must be in [0, " + fm.size() + "), got " + index);
                img = new float[fm.imageFloats()];
                int label = fm.read(index, img, 0);
                source = "Fashion-MNIST train #" + index + " (" + FashionMnist.CLASS_NAMES.get(label) + ")";
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInput("cannot read the image: " + e.getMessage());
        }
        DipConfig base;
        try {
            base = shape.apply(start, C, 1).withHead(HeadType.DIP);
            base.withHead(HeadType.DIT_ONLY);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        pw.printf(Locale.ROOT, "overfit %s: %d px, P = %d (%d tokens), D = %d, depth %d, heads %d, head width %d; "
                        + "%d steps of batch %d, lr %.3g, seed %d; %d samples x %d Euler steps, seed %d%n", source, imageSize,
                base.patchSize(), base.tokens(), base.hidden(), base.depth(), base.heads(), base.headWidth(), steps, batchSize, lr, common.seed(), samples,
                sampleSteps, sampleSeed);
        pw.flush();
        List<Arm> arms = new ArrayList<>();
        try (Engine engine = common.createEngine()) {
            for (HeadType h : new HeadType[]{HeadType.DIT_ONLY, HeadType.DIP}) arms.add(runArm(pw, engine, base.withHead(h), img));
        }
        Files.createDirectories(out);
        writeFigure(out.resolve("overfit.png"), img, base, arms);
        String md = markdown(arms, base);
        Files.writeString(out.resolve("results.md"), md);
        Files.writeString(out.resolve("results.json"), json(arms, base, source));
        pw.print(md);
        pw.printf("wrote %s, results.md, results.json%n", out.resolve("overfit.png"));
        pw.flush();
        return 0;
    }

    /** Trains one model on the image with TrainLoop, then samples it and scores the samples. */
    Arm runArm(PrintWriter pw, Engine engine, DipConfig cfg, float[] img) throws IOException {
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        Dip model = new Dip(engine, cfg, Math.max(batchSize, samples)).initialize(TrainState.initRng(common.seed()));
        // no label dropout (one class, no guidance), EMA unused (decay 0: it just tracks the weights)
        var tc = new TrainConfig(batchSize, lr, 0.9, 0.999, 0.0, 0.0, 0.0, 0, 0.0, common.seed());
        TrainState state = new TrainState(model, tc, batchSize);
        double[] losses = new double[steps];
        ProgressListener log = new ProgressListener() {
            @Override public void onStep(StepStats s) {
                losses[(int) s.step() - 1] = s.loss();
                if (s.step() % logEvery == 0 || s.step() == steps) {
                    double m = 0;
                    int k = (int) Math.min(logEvery, s.step());
                    for (int i = (int) s.step() - k; i < s.step(); i++) m += losses[i];
                    pw.printf(Locale.ROOT, "%-8s step %d/%d | loss %.4f (mean of last %d) | %.0f ms/step%n", cfg.head(),
                            s.step(), steps, m / k, k, s.wallSeconds() * 1e3 / s.step());
                    pw.flush();
                }
            }
        };
        long t0 = System.nanoTime();
        new TrainLoop(state, repeated(img, cfg, batchSize), log, st -> null, 0).run(steps, steps);
        double trainSec = (System.nanoTime() - t0) * 1e-9;
        float[] x = Sampler.noise(sampleSeed, samples, per);
        long t1 = System.nanoTime();
        new EulerSampler(model, sampleSteps).sample(x, new int[samples], samples);
        double sampleSec = (System.nanoTime() - t1) * 1e-9;
        double[] psnr = new double[samples], ratio = new double[samples], err = new double[samples];
        int C = cfg.channels(), S = cfg.imageSize();
        for (int k = 0; k < samples; k++) {
            float[] one = java.util.Arrays.copyOfRange(x, k * per, (k + 1) * per);
            psnr[k] = ImageMetrics.psnr(one, img, per);
            ratio[k] = ImageMetrics.highFrequencyRatio(one, img, C, S, S);
            err[k] = ImageMetrics.highFrequencyError(one, img, C, S, S);
        }
        return new Arm(cfg.head(), model.params().count(), losses, trainSec, sampleSec, x, psnr, ratio, err);
    }

    /** A dataset of n copies of one image, label 0, one class. */
    static Dataset repeated(float[] img, DipConfig cfg, int n) {
        return new Dataset() {
            @Override public int size() { return n; }
            @Override public int numClasses() { return 1; }
            @Override public List<String> classNames() { return List.of("image"); }
            @Override public int channels() { return cfg.channels(); }
            @Override public int imageSize() { return cfg.imageSize(); }
            @Override public int read(int i, float[] dst, int off) {
                System.arraycopy(img, 0, dst, off, img.length);
                return 0;
            }
        };
    }

    /** Rows of [image | DiT-only sample k | DiP sample k], upscaled, labelled. */
    void writeFigure(Path file, float[] img, DipConfig cfg, List<Arm> arms) throws IOException {
        int per = img.length, cols = 1 + arms.size();
        float[] all = new float[samples * cols * per];
        String[] rows = new String[samples];
        for (int k = 0; k < samples; k++) {
            System.arraycopy(img, 0, all, (k * cols) * per, per);
            for (int a = 0; a < arms.size(); a++) System.arraycopy(arms.get(a).samples(), k * per, all, (k * cols + 1 + a) * per, per);
            rows[k] = "noise " + k;
        }
        String title = String.format(Locale.ROOT, "image | DiT-only | DiP   (P=%d, D=%d, %d steps)", cfg.patchSize(),
                cfg.hidden(), steps);
        ImageWriter.writePng(ImageWriter.grid(all, samples * cols, cfg.channels(), cfg.imageSize(), cfg.imageSize(),
                samples, cols, rows, title, scale), file);
    }

    static double mean(double[] a) {
        double s = 0;
        for (double v : a) s += v;
        return s / a.length;
    }

    String markdown(List<Arm> arms, DipConfig cfg) {
        var sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| model (P=%d, D=%d, depth %d) | params | final loss | PSNR dB | HF energy ratio | HF error | train s |%n",
                cfg.patchSize(), cfg.hidden(), cfg.depth()));
        sb.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Arm a : arms) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %.4f | %.2f | %.3f | %.3f | %.1f |%n", a.head(), a.params(),
                    a.finalLoss(), mean(a.psnr()), mean(a.hfRatio()), mean(a.hfError()), a.trainSeconds()));
        }
        sb.append(String.format(Locale.ROOT, "(final loss: mean of the last %d steps; PSNR and HF: mean over %d samples; "
                + "HF energy ratio = Laplacian energy of the sample / of the image; HF error = Laplacian MSE / image's Laplacian energy)%n",
                Math.max(1, steps / 10), samples));
        return sb.toString();
    }

    String json(List<Arm> arms, DipConfig cfg, String source) {
        var sb = new StringBuilder("{\n");
        sb.append(String.format(Locale.ROOT, "  \"image\": \"%s\",%n  \"config\": \"%s\",%n  \"steps\": %d, \"batch_size\": %d, "
                        + "\"lr\": %s, \"seed\": %d, \"sample_steps\": %d, \"sample_seed\": %d,%n  \"models\": [%n",
                source.replace("\\", "\\\\").replace("\"", "\\\""), cfg.withHead(HeadType.DIP), steps, batchSize, lr,
                common.seed(), sampleSteps, sampleSeed));
        for (int i = 0; i < arms.size(); i++) {
            Arm a = arms.get(i);
            sb.append(String.format(Locale.ROOT, "    {\"head\": \"%s\", \"params\": %d, \"final_loss\": %.6f, \"last_loss\": %.6f, "
                            + "\"train_seconds\": %.2f, \"sample_seconds\": %.2f, \"psnr\": %s, \"hf_ratio\": %s, \"hf_error\": %s}%s%n",
                    a.head(), a.params(), a.finalLoss(), a.losses()[a.losses().length - 1], a.trainSeconds(), a.sampleSeconds(),
                    arr(a.psnr()), arr(a.hfRatio()), arr(a.hfError()), i + 1 < arms.size() ? "," : ""));
        }
        return sb.append("  ]\n}\n").toString();
    }

    private static String arr(double[] a) {
        var sb = new StringBuilder("[");
        for (int i = 0; i < a.length; i++) sb.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.4f", a[i]));
        return sb.append(']').toString();
    }

    private ParameterException bad(String msg) {
        return new ParameterException(spec.commandLine(), msg);
    }
}
