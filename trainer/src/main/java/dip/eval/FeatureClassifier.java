package dip.eval;

import dip.io.ModelWeights;
import dip.layers.Conv2d;
import dip.layers.Init;
import dip.layers.Linear;
import dip.layers.MaxPool2d;
import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.layers.Silu;
import dip.tornado.exec.Engine;
import dip.util.Rng;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A small CNN whose penultimate layer gives the features of our Fréchet distance (a stand-in for Inception that
 * needs no downloaded weights; it is trained by this project, see {@link ClassifierTraining}):
 * <pre>
 *   conv1 3×3 (C → w)    + SiLU + maxpool 2     (B, w, S/2, S/2)
 *   conv2 3×3 (w → 2w)   + SiLU + maxpool 2     (B, 2w, S/4, S/4)
 *   fc1   (2w·(S/4)² → F) + SiLU                 (B, F)   = the features
 *   fc2   (F → K)                               (B, K)   class logits
 * </pre>
 * Built from the project's layers, so it runs on any engine. S must be a multiple of 4.
 */
public final class FeatureClassifier {
    /** Shape of the network, stored in the weights file's metadata. */
    public record Shape(int channels, int imageSize, int width, int features, int classes) {
        public Shape {
            if (imageSize % 4 != 0) throw new IllegalArgumentException("imageSize must be a multiple of 4, got " + imageSize);
            if (channels < 1 || width < 1 || features < 1 || classes < 2) throw new IllegalArgumentException("bad shape " + this);
        }

        String toJson() {
            return String.format(Locale.ROOT, "{\"channels\":%d,\"imageSize\":%d,\"width\":%d,\"features\":%d,\"classes\":%d}",
                    channels, imageSize, width, features, classes);
        }

        static Shape fromJson(String json) {
            var m = java.util.regex.Pattern.compile("\"(\\w+)\"\\s*:\\s*(\\d+)").matcher(json);
            Map<String, Integer> v = new LinkedHashMap<>();
            while (m.find()) v.put(m.group(1), Integer.parseInt(m.group(2)));
            for (String k : new String[]{"channels", "imageSize", "width", "features", "classes"}) {
                if (!v.containsKey(k)) throw new IllegalArgumentException("classifier metadata lacks '" + k + "': " + json);
            }
            return new Shape(v.get("channels"), v.get("imageSize"), v.get("width"), v.get("features"), v.get("classes"));
        }
    }

    public static final String SHAPE_KEY = "classifier_shape";

    private final Shape shape;
    private final int maxBatch;
    private final ParamRegistry reg = new ParamRegistry();
    private final Conv2d conv1, conv2;
    private final MaxPool2d pool1, pool2;
    private final Linear fc1, fc2;
    private final Silu act1, act2, act3;
    private float[] feat;    // (B, F) layer-owned output of act3
    private int B;

    public FeatureClassifier(Engine engine, Shape s, int maxBatch) {
        this.shape = s;
        this.maxBatch = maxBatch;
        int S = s.imageSize(), w = s.width();
        conv1 = new Conv2d(engine, reg, "conv1", s.channels(), w, 3, S, S, maxBatch);
        act1 = new Silu(engine, maxBatch * w * S * S);
        pool1 = new MaxPool2d(engine, w, S, S, maxBatch);
        conv2 = new Conv2d(engine, reg, "conv2", w, 2 * w, 3, S / 2, S / 2, maxBatch);
        act2 = new Silu(engine, maxBatch * 2 * w * (S / 2) * (S / 2));
        pool2 = new MaxPool2d(engine, 2 * w, S / 2, S / 2, maxBatch);
        fc1 = new Linear(engine, reg, "fc1", flat(), s.features(), true, maxBatch);
        act3 = new Silu(engine, maxBatch * s.features());
        fc2 = new Linear(engine, reg, "fc2", s.features(), s.classes(), true, maxBatch);
    }

    private int flat() { return 2 * shape.width() * (shape.imageSize() / 4) * (shape.imageSize() / 4); }

    /** PyTorch's default init for every conv and linear. */
    public FeatureClassifier initialize(Rng rng) {
        conv1.initialize(rng);
        conv2.initialize(rng);
        Init.torchDefaultLinear(fc1.weight, fc1.bias, rng);
        Init.torchDefaultLinear(fc2.weight, fc2.bias, rng);
        return this;
    }

    /** Logits (B, K), layer-owned. x: (B, C, S, S) in [−1, 1]. {@link #features()} holds the (B, F) features after. */
    public float[] forward(float[] x, int B) {
        if (B < 1 || B > maxBatch) throw new IllegalArgumentException("batch " + B + " outside [1, " + maxBatch + "]");
        this.B = B;
        int S = shape.imageSize(), w = shape.width();
        float[] h = act1.forward(conv1.forward(x, B), B * w * S * S);
        h = pool1.forward(h, B);
        h = act2.forward(conv2.forward(h, B), B * 2 * w * (S / 2) * (S / 2));
        h = pool2.forward(h, B);                                          // (B, 2w, S/4, S/4) = (B, flat) rows
        feat = act3.forward(fc1.forward(h, B), B * shape.features());
        return fc2.forward(feat, B);
    }

    /** The (B, F) features of the last forward (layer-owned). */
    public float[] features() { return feat; }

    /** Accumulates every param grad from dL/dlogits (B, K) of the last forward. */
    public void backward(float[] dlogits) {
        float[] d = act3.backward(fc2.backward(dlogits));
        d = pool2.backward(fc1.backward(d));
        d = pool1.backward(conv2.backward(act2.backward(d)));
        conv1.backward(act1.backward(d));
    }

    public ParamRegistry params() { return reg; }

    public Shape shape() { return shape; }

    public int maxBatch() { return maxBatch; }

    /** Saves the weights (plain names) with the shape and extra metadata (e.g. test accuracy). */
    public void save(Path file, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.put(SHAPE_KEY, shape.toJson());
        ModelWeights.save(file, reg, null, "", meta);
    }

    /** Builds a classifier of the shape stored in {@code file} and loads its weights strictly. */
    public static FeatureClassifier load(Engine engine, Path file, int maxBatch) throws IOException {
        String json;
        try (var r = dip.io.Safetensors.open(file)) {
            json = r.metadata().get(SHAPE_KEY);
        }
        if (json == null) throw new IOException(file + " is not a classifier weights file (no '" + SHAPE_KEY + "' metadata)");
        var net = new FeatureClassifier(engine, Shape.fromJson(json), maxBatch);
        ModelWeights.load(file, net.reg);
        return net;
    }

    /** Number of scalars. */
    public long paramCount() {
        long n = 0;
        for (Param p : reg.all()) n += p.size();
        return n;
    }
}
