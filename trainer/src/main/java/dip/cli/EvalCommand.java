package dip.cli;

import dip.eval.FrechetDistance;
import dip.eval.FeatureStats;
import dip.eval.FeatureClassifier;
import dip.eval.ClassifierTraining;
import dip.eval.ImageSet;
import dip.data.Dataset;
import dip.data.FashionMnist;
import dip.data.Split;
import dip.io.Npz;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.tornado.exec.Engine;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code dip eval}: a Fréchet distance that needs no downloaded weights. {@code train-classifier} trains the small
 * {@link FeatureClassifier} on Fashion-MNIST and caches it; {@code fd} compares the classifier's penultimate
 * features of generated images ({@code dip sample}'s samples.safetensors) with those of real test images of the
 * same classes, and reports how often the classifier agrees with the requested class. Fashion-MNIST only for now
 * (RGB folders with a user-supplied feature extractor are left for later). Lives in the trainer module because the
 * datasets do.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate samples: classifier Fréchet distance on a project-trained Fashion-MNIST classifier's features.",
        subcommands = {EvalCommand.TrainClassifier.class, EvalCommand.Fd.class})
public final class EvalCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** Options both subcommands share: where the data and the cached classifier live. */
    static final class Where {
        @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST idx(.gz) folder (default: "
                + "/usr/share/datasets/fashion-mnist).")
        Path data;

        @Option(names = "--cache", paramLabel = "DIR", description = "Classifier cache folder (default: ~/.cache/dip).")
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "dip");

        Path classifierFile(int imageSize) {
            return cache.resolve(String.format(Locale.ROOT, "fashion-mnist-cnn-%dpx.safetensors", imageSize));
        }
    }

    /** Adapts the trainer's Dataset to the eval module's ImageSet. */
    static ImageSet images(Dataset d) {
        return new ImageSet() {
            @Override public int size() { return d.size(); }

            @Override public int channels() { return d.channels(); }

            @Override public int imageSize() { return d.imageSize(); }

            @Override public int read(int i, float[] dst, int off) throws IOException { return d.read(i, dst, off); }
        };
    }

    // ------------------------------------------------------------------------------------------ train-classifier

    @Command(name = "train-classifier", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Train the feature classifier on the Fashion-MNIST training set, cache it, print test accuracy.")
    static final class TrainClassifier implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Where where;
        @Mixin CommonOptions common;

        @Option(names = "--image-size", defaultValue = "32", description = "28 or 32 (padded, as the models) (default: ${DEFAULT-VALUE}).")
        int imageSize;
        @Option(names = "--epochs", defaultValue = "2", description = "Passes over the training set (default: ${DEFAULT-VALUE}).")
        int epochs;
        @Option(names = "--batch", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
        float lr;
        @Option(names = "--width", defaultValue = "16", description = "Channels of the first conv; the second has 2x (default: ${DEFAULT-VALUE}).")
        int width;
        @Option(names = "--features", defaultValue = "128", description = "Feature dimension (default: ${DEFAULT-VALUE}).")
        int features;
        @Option(names = "--limit", defaultValue = "0", description = "Train on the first N images only (0 = all) (default: ${DEFAULT-VALUE}).")
        int limit;
        @Option(names = "--test-limit", defaultValue = "0", description = "Measure accuracy on the first N test images only (0 = all) (default: ${DEFAULT-VALUE}).")
        int testLimit;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if (imageSize != 28 && imageSize != 32) throw bad(spec, "--image-size must be 28 or 32, got " + imageSize);
            if (epochs < 1 || batch < 1 || !(lr > 0) || width < 1 || features < 1 || limit < 0 || testLimit < 0) {
                throw bad(spec, "--epochs, --batch, --lr, --width and --features must be positive, --limit and --test-limit >= 0");
            }
            var train = new FashionMnist(where.data, Split.TRAIN, imageSize);
            var test = new FashionMnist(where.data, Split.TEST, imageSize);
            var shape = new FeatureClassifier.Shape(1, imageSize, width, features, train.numClasses());
            try (Engine engine = common.createEngine()) {
                var net = new FeatureClassifier(engine, shape, batch).initialize(new Rng(common.seed()));
                out.printf(Locale.ROOT, "classifier %s, %d params, engine %s; training on %d images%n", shape,
                        net.paramCount(), engine.name(), limit > 0 ? Math.min(limit, train.size()) : train.size());
                long t0 = System.nanoTime();
                ClassifierTraining.train(net, images(train), new ClassifierTraining.Options(epochs, batch, lr,
                        common.seed(), limit), line -> { out.println(line); out.flush(); });
                ImageSet testSet = images(test);
                if (testLimit > 0 && testLimit < test.size()) testSet = ImageSet.first(testSet, testLimit);
                double acc = ClassifierTraining.accuracy(net, testSet);
                Path file = where.classifierFile(imageSize);
                Files.createDirectories(file.toAbsolutePath().getParent());
                net.save(file, Map.of("test_accuracy", Double.toString(acc), "epochs", Integer.toString(epochs),
                        "train_images", Integer.toString(limit > 0 ? Math.min(limit, train.size()) : train.size())));
                out.printf(Locale.ROOT, "test accuracy %.2f%% (%d images), trained in %.0f s; saved %s%n", 100 * acc,
                        testSet.size(), (System.nanoTime() - t0) / 1e9, file);
            }
            return 0;
        }
    }

    // ---------------------------------------------------------------------------------------------------- fd

    @Command(name = "fd", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Classifier Fréchet distance of generated vs real test images of the same classes, and class agreement.")
    static final class Fd implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Where where;
        @Mixin CommonOptions common;

        @Option(names = "--samples", required = true, paramLabel = "FILE",
                description = "samples.safetensors written by `dip sample` (tensors 'samples' (B,1,S,S), 'labels' (B)), or an"
                        + " ADM-layout .npz (arr_0 N×S×S×1 uint8, arr_1 labels optional), e.g. from `dip sample --npz`.")
        Path samples;
        @Option(names = "--batch", defaultValue = "100", description = "Classifier batch (default: ${DEFAULT-VALUE}).")
        int batch;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if (!Files.isRegularFile(samples)) throw new BadInput("samples file not found: " + samples);
            if (batch < 1) throw bad(spec, "--batch must be >= 1, got " + batch);
            Generated g = samples.getFileName().toString().endsWith(".npz") ? readNpz(samples) : readSafetensors(samples);
            int n = g.n(), S = g.size();
            int[] labels = g.labels();
            Path file = where.classifierFile(S);
            if (!Files.isRegularFile(file)) {
                throw new BadInput("no classifier for " + S + " px images at " + file + "; run `dip eval train-classifier"
                        + " --image-size " + S + "` first");
            }
            var test = new FashionMnist(where.data, Split.TEST, S);
            boolean labelled = labels != null;
            if (!labelled) {                                   // an npz without arr_1: compare with every class
                labels = new int[n];
                for (int i = 0; i < n; i++) labels[i] = i % test.numClasses();
            }
            for (int l : labels) {
                if (l < 0 || l >= test.numClasses()) throw bad(spec, "sample label " + l + " is not a Fashion-MNIST class");
            }
            ImageSet real = sameClasses(test, labelled ? labels : allClasses(test.numClasses()));
            if (n < 2 || real.size() < 2) throw bad(spec, "need at least 2 samples and 2 real images, got " + n + ", " + real.size());
            try (Engine engine = common.createEngine()) {
                var net = FeatureClassifier.load(engine, file, batch);
                int F = net.shape().features();
                ImageSet gen = ImageSet.of(g.x(), labels, 1, S);
                float[] genF = ClassifierTraining.features(net, gen), realF = ClassifierTraining.features(net, real);
                double fd = FrechetDistance.distance(FeatureStats.of(genF, n, F), FeatureStats.of(realF, real.size(), F));
                double agree = ClassifierTraining.accuracy(net, gen);
                out.printf(Locale.ROOT, "classifier Fréchet distance %.4f | %d generated vs %d real test images of classes %s"
                        + " | %d features of the project's Fashion-MNIST classifier, not Inception%n",
                        fd, n, real.size(), classList(labelled ? labels : allClasses(test.numClasses())), F);
                if (labelled) out.printf(Locale.ROOT, "class agreement %.2f%% (classifier's argmax = requested class)%n", 100 * agree);
                else out.println("class agreement: not measured (the npz has no labels, arr_1)");
                if (real.size() >= 2 * n && n >= 2) {
                    // The same-size real-vs-real distance: FD is biased upwards at small n, this is its floor here.
                    float[] a = Arrays.copyOfRange(realF, 0, n * F), b = Arrays.copyOfRange(realF, n * F, real.size() * F);
                    double floor = FrechetDistance.distance(FeatureStats.of(a, n, F), FeatureStats.of(b, real.size() - n, F));
                    out.printf(Locale.ROOT, "reference: classifier Fréchet distance of %d real vs the other %d real images %.4f%n",
                            n, real.size() - n, floor);
                }
            }
            return 0;
        }

        /** Generated images (n, 1, S, S) in [−1, 1] and their labels (null when the file has none). */
        record Generated(int n, int size, float[] x, int[] labels) { }

        private Generated readSafetensors(Path file) {
            Tensor x, y;
            try {
                var contents = Safetensors.read(file);
                x = contents.tensor("samples");
                y = contents.tensor("labels");
            } catch (IllegalArgumentException | IOException e) {
                throw new BadInput("cannot read samples " + file + ": " + e.getMessage());
            }
            int[] s = x.shape();
            if (s.length != 4 || s[1] != 1 || s[2] != s[3]) {
                throw bad(spec, "samples must be (B, 1, S, S) grayscale, got " + Arrays.toString(s)
                        + " (RGB sets need a feature extractor; not supported yet)");
            }
            return new Generated(s[0], s[2], x.floats(), y.ints());
        }

        /** An ADM-layout npz (arr_0 N×H×W×C uint8, optional arr_1 labels), as `dip sample --npz` writes. */
        private Generated readNpz(Path file) {
            Npz.Images im;
            try {
                im = Npz.readImages(file);
            } catch (IOException e) {
                throw new BadInput(e.getMessage());
            }
            if (im.C() != 1) {
                throw new BadInput(file + ": arr_0 is " + Npz.describe(im) + "; this classifier reads grayscale (C = 1) images"
                        + " only (RGB sets need a feature extractor; not supported yet)");
            }
            int per = im.H() * im.W();
            float[] x = new float[im.N() * per];
            for (int b = 0; b < im.N(); b++) im.toFloats(b, x, b * per);
            return new Generated(im.N(), im.H(), x, im.labels());
        }

        static int[] allClasses(int n) {
            int[] c = new int[n];
            for (int i = 0; i < n; i++) c[i] = i;
            return c;
        }

        /** The test images whose label appears among the samples' labels, in dataset order. */
        static ImageSet sameClasses(FashionMnist test, int[] labels) throws IOException {
            boolean[] want = new boolean[test.numClasses()];
            for (int l : labels) want[l] = true;
            int per = test.imageFloats();
            float[] buf = new float[per];
            List<Integer> keep = new ArrayList<>();
            for (int i = 0; i < test.size(); i++) if (want[test.read(i, buf, 0)]) keep.add(i);
            float[] xs = new float[keep.size() * per];
            int[] ys = new int[keep.size()];
            for (int k = 0; k < keep.size(); k++) ys[k] = test.read(keep.get(k), xs, k * per);
            return ImageSet.of(xs, ys, 1, test.imageSize());
        }

        static String classList(int[] labels) {
            return Arrays.toString(Arrays.stream(labels).distinct().sorted().toArray());
        }
    }

    static ParameterException bad(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
