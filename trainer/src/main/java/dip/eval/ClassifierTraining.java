package dip.eval;

import dip.trainer.AdamW;
import dip.util.Rng;

import java.io.IOException;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Trains the {@link FeatureClassifier} with softmax cross-entropy and Adam (the trainer's {@link AdamW} with no weight
 * decay: one copy of the optimiser), and runs it over image sets (accuracy, features). The loss is a few plain loops
 * over (B, K) logits here rather than a kernel: this classifier is an evaluation tool, not part of the model the
 * engine accelerates.
 */
public final class ClassifierTraining {
    private ClassifierTraining() {
    }

    /** Settings of one training run. */
    public record Options(int epochs, int batch, float lr, long seed, int limit) {
        public Options {
            if (epochs < 1 || batch < 1 || !(lr > 0)) throw new IllegalArgumentException("bad training options " + this);
        }
    }

    /**
     * Trains {@code net} on {@code train} (the first {@code limit} images when limit > 0) for the given epochs,
     * reshuffling every epoch with a seeded Rng. Logs one line per ~10% of an epoch. Returns the last epoch's mean loss.
     */
    public static double train(FeatureClassifier net, ImageSet train, Options o, Consumer<String> log) throws IOException {
        int n = o.limit() > 0 ? Math.min(o.limit(), train.size()) : train.size();
        int B = Math.min(o.batch(), net.maxBatch()), per = train.channels() * train.imageSize() * train.imageSize();
        var rng = new Rng(o.seed());
        var adam = new AdamW(net.params(), 0.9, 0.999, AdamW.DEFAULT_EPS, 0.0);     // the trainer's optimiser, no decay
        float[] x = new float[B * per], dlogits = new float[B * net.shape().classes()];
        int[] y = new int[B], order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int batches = (n + B - 1) / B, every = Math.max(1, batches / 10);
        double epochLoss = 0;
        for (int epoch = 1; epoch <= o.epochs(); epoch++) {
            for (int i = n - 1; i > 0; i--) {                              // Fisher–Yates
                int j = rng.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            epochLoss = 0;
            long t0 = System.nanoTime();
            for (int k = 0; k < batches; k++) {
                int b0 = k * B, nb = Math.min(B, n - b0);
                for (int b = 0; b < nb; b++) y[b] = train.read(order[b0 + b], x, b * per);
                float[] logits = net.forward(x, nb);
                double loss = crossEntropy(dlogits, logits, y, nb, net.shape().classes());
                net.params().zeroGrad();
                net.backward(dlogits);
                adam.step(o.lr());
                epochLoss += loss * nb;
                if ((k + 1) % every == 0 || k == batches - 1) {
                    log.accept(String.format(Locale.ROOT, "epoch %d/%d | batch %d/%d | loss %.4f | %.0f ms/batch",
                            epoch, o.epochs(), k + 1, batches, loss, (System.nanoTime() - t0) / 1e6 / (k + 1)));
                }
            }
            epochLoss /= n;
        }
        return epochLoss;
    }

    /**
     * Mean softmax cross-entropy of logits (B, K) against labels y (B); writes dL/dlogits = (softmax − onehot)/B
     * into dlogits. Log-sum-exp with the row max subtracted.
     */
    public static double crossEntropy(float[] dlogits, float[] logits, int[] y, int B, int K) {
        double total = 0;
        for (int b = 0; b < B; b++) {
            int row = b * K;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < K; k++) max = Math.max(max, logits[row + k]);
            double sum = 0;
            for (int k = 0; k < K; k++) sum += Math.exp(logits[row + k] - max);
            total += Math.log(sum) + max - logits[row + y[b]];
            for (int k = 0; k < K; k++) {
                double p = Math.exp(logits[row + k] - max) / sum;
                dlogits[row + k] = (float) ((p - (k == y[b] ? 1 : 0)) / B);
            }
        }
        return total / B;
    }

    /** Fraction of the set whose argmax logit equals its label. */
    public static double accuracy(FeatureClassifier net, ImageSet set) throws IOException {
        int[] hits = {0};
        run(net, set, (logits, feats, labels, b0, nb) -> {
            int K = net.shape().classes();
            for (int b = 0; b < nb; b++) if (argmax(logits, b * K, K) == labels[b]) hits[0]++;
        });
        return (double) hits[0] / set.size();
    }

    /** Features (n, F) of every image of the set. */
    public static float[] features(FeatureClassifier net, ImageSet set) throws IOException {
        int F = net.shape().features();
        float[] out = new float[set.size() * F];
        run(net, set, (logits, feats, labels, b0, nb) -> System.arraycopy(feats, 0, out, b0 * F, nb * F));
        return out;
    }

    /** What {@link #run} hands over per batch: logits (nb, K), features (nb, F), labels (nb), first index b0. */
    interface BatchSink {
        void accept(float[] logits, float[] features, int[] labels, int b0, int nb);
    }

    static void run(FeatureClassifier net, ImageSet set, BatchSink sink) throws IOException {
        int B = net.maxBatch(), per = set.channels() * set.imageSize() * set.imageSize();
        FeatureClassifier.Shape s = net.shape();
        if (set.channels() != s.channels() || set.imageSize() != s.imageSize()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "images are %dx%dx%d but the classifier takes %dx%dx%d",
                    set.channels(), set.imageSize(), set.imageSize(), s.channels(), s.imageSize(), s.imageSize()));
        }
        float[] x = new float[B * per];
        int[] y = new int[B];
        for (int b0 = 0; b0 < set.size(); b0 += B) {
            int nb = Math.min(B, set.size() - b0);
            for (int b = 0; b < nb; b++) y[b] = set.read(b0 + b, x, b * per);
            float[] logits = net.forward(x, nb);
            sink.accept(logits, net.features(), y, b0, nb);
        }
    }

    static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) if (a[off + k] > a[off + best]) best = k;
        return best;
    }
}
