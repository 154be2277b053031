package dip.eval;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The evaluation CNN: loss, gradients, a quick training on a synthetic task, FD on its features, save/load. */
class FeatureClassifierTest {
    static final int S = 8;
    static final FeatureClassifier.Shape SHAPE = new FeatureClassifier.Shape(1, S, 4, 16, 2);

    /** Class 0: a bright 3×3 blob in the top-left quadrant; class 1: bottom-right. Dark noisy background. */
    static ImageSet blobs(long seed, int n) {
        var rng = new Rng(seed);
        float[] x = new float[n * S * S];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int p = 0; p < S * S; p++) x[i * S * S + p] = -0.8f + 0.3f * (float) rng.nextGaussian();
            int r0 = (y[i] == 0 ? 0 : 4) + rng.nextInt(2), c0 = (y[i] == 0 ? 0 : 4) + rng.nextInt(2);
            for (int r = r0; r < r0 + 3; r++) for (int c = c0; c < c0 + 3; c++) x[i * S * S + r * S + c] = 0.9f;
        }
        return ImageSet.of(x, y, 1, S);
    }

    @Test
    void crossEntropyKnownCase() {
        // logits (0, ln 3): softmax (1/4, 3/4); label 1: loss −ln(3/4), d = (1/4, −1/4).
        float[] d = new float[2];
        double loss = ClassifierTraining.crossEntropy(d, new float[]{0f, (float) Math.log(3)}, new int[]{1}, 1, 2);
        assertEquals(-Math.log(0.75), loss, 1e-6);
        assertArrayEquals(new float[]{0.25f, -0.25f}, d, 1e-6f);
    }

    @Test
    void networkGradientMatchesFiniteDifferences() throws IOException {
        var rng = new Rng(4);
        var net = new FeatureClassifier(new JavaEngine(1), SHAPE, 3).initialize(rng);
        float[] x = rng.normal(3 * S * S);                       // no flat regions: no max-pool ties
        int[] y = {0, 1, 1};
        float[] dlogits = new float[3 * 2];
        for (String name : new String[]{"fc2.weight", "fc1.weight", "conv2.bias", "conv2.weight", "conv1.bias", "conv1.weight"}) {
            var p = net.params().get(name);
            net.params().zeroGrad();
            ClassifierTraining.crossEntropy(dlogits, net.forward(x, 3), y, 3, 2);
            net.backward(dlogits);
            float[] grad = p.gradValues(), w0 = p.values();
            GradCheck.assertDirectional(name, w -> {
                p.load(w);
                double l = ClassifierTraining.crossEntropy(new float[6], net.forward(x, 3), y, 3, 2);
                p.load(w0);
                return l;
            }, w0, grad, rng, 2e-3, Tol.GRAD_REL);
        }
    }

    @Test
    void learnsTheSyntheticTaskAndItsFeaturesSeparateRealFromNoise(@TempDir Path dir) throws IOException {
        var engine = new JavaEngine(1);
        var net = new FeatureClassifier(engine, SHAPE, 16).initialize(new Rng(6));
        ClassifierTraining.train(net, blobs(7, 256), new ClassifierTraining.Options(3, 16, 3e-3f, 8, 0), line -> { });
        ImageSet test = blobs(9, 200);
        double acc = ClassifierTraining.accuracy(net, test);
        assertTrue(acc > 0.95, "accuracy on held-out blobs " + acc);

        int F = SHAPE.features();
        var realA = FeatureStats.of(ClassifierTraining.features(net, blobs(10, 400)), 400, F);
        var realB = FeatureStats.of(ClassifierTraining.features(net, blobs(11, 400)), 400, F);
        float[] noise = new float[400 * S * S];
        new Rng(12).fillUniform(noise, noise.length, -1f, 1f);
        var fake = FeatureStats.of(ClassifierTraining.features(net, ImageSet.of(noise, new int[400], 1, S)), 400, F);
        double rr = FrechetDistance.distance(realA, realB), rn = FrechetDistance.distance(realA, fake);
        assertTrue(rr < 0.1 * rn, "FD real-real " + rr + " vs real-noise " + rn);

        Path f = dir.resolve("cnn.safetensors");
        net.save(f, Map.of("test_accuracy", Double.toString(acc)));
        var back = FeatureClassifier.load(engine, f, 16);
        assertEquals(SHAPE, back.shape());
        assertEquals(acc, ClassifierTraining.accuracy(back, test), 0.0);
    }
}
