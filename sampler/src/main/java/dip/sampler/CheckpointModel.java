package dip.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dip.io.ModelWeights;
import dip.io.SafetensorsException;
import dip.io.SafetensorsReader;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.io.TorchCheckpoint;
import dip.io.TorchCheckpoint.Weights;
import dip.model.Denoiser;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.tornado.exec.Engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint opened for sampling: its {@link DipConfig}, its class names (metadata "class_names", a JSON array,
 * when present; else "0", "1", …) and which weights to use (EMA, tensors prefixed "ema_denoiser.", or live,
 * "denoiser."). Two kinds of file:
 * <ul>
 * <li>the project's safetensors, whose metadata "dip_config" gives the config (a safetensors without it, e.g.
 *     official weights re-saved in that format, is treated like a torch file: config inferred from the shapes);</li>
 * <li>a torch.save file (Lightning .ckpt, .pt, .pth), read by the restricted {@link TorchCheckpoint}: the config
 *     is inferred from the tensor shapes, or chosen by the caller's {@link ShapeChoice} and checked against them.</li>
 * </ul>
 * Problems a user can fix (no file, no config, weights that do not fit the config) are {@link BadCheckpoint}s.
 */
public final class CheckpointModel {
    public static final String CLASS_NAMES_KEY = "class_names";

    private final Path file;
    private final DipConfig config;
    private final List<String> classNames;
    private final String prefix;
    private Map<String, Tensor> weights;    // torch files (and safetensors without dip_config): read at open, dropped at build

    /**
     * How the command line's shape options (--preset, --image-size …) pick the config. {@code choose} gets the config
     * the file implies (its dip_config, or the one inferred from the shapes; null when it cannot be inferred) and
     * returns the config to build: the same one when no option was given, or null to fail with the inference error.
     */
    public interface ShapeChoice {
        DipConfig choose(DipConfig implied);

        /** The image side to infer with (not stored in torch weights), 0 for the matching preset's. */
        int imageSize();

        ShapeChoice NONE = new ShapeChoice() {
            @Override public DipConfig choose(DipConfig implied) { return implied; }

            @Override public int imageSize() { return 0; }
        };
    }

    /** Thrown for a checkpoint the user must fix; the message is one line naming the file. */
    public static final class BadCheckpoint extends Exception {
        BadCheckpoint(String message, Throwable cause) { super(message, cause); }
    }

    private CheckpointModel(Path file, DipConfig config, List<String> classNames, String prefix, Map<String, Tensor> weights) {
        this.file = file;
        this.config = config;
        this.classNames = classNames;
        this.prefix = prefix;
        this.weights = weights;
    }

    /** The EMA weights with the config the file holds or implies: {@link #open(Path, Weights, ShapeChoice)}. */
    public static CheckpointModel open(Path file) throws BadCheckpoint { return open(file, Weights.EMA, ShapeChoice.NONE); }

    /**
     * Opens a checkpoint: for the project's safetensors only the header is read (the weights are read by
     * {@link #build}); a torch file is unpickled and the chosen weights read now. {@code which}: EMA (falling back to
     * the live weights in a safetensors training file without EMA, as before) or LIVE.
     */
    public static CheckpointModel open(Path file, Weights which, ShapeChoice shape) throws BadCheckpoint {
        if (!Files.isRegularFile(file)) throw new BadCheckpoint("checkpoint file not found: " + file, null);
        try {
            if (isTorch(file)) {
                try (TorchCheckpoint c = TorchCheckpoint.open(file)) {
                    Map<String, Tensor> w = c.weights(which);
                    return fromTensors(file, w, prefix(file, c.stateDict().keySet(), which), shape);
                }
            }
            try (SafetensorsReader r = Safetensors.open(file)) {
                Map<String, String> meta = r.metadata();
                if (meta.get(ModelWeights.CONFIG_KEY) == null) {
                    Map<String, Tensor> all = Safetensors.read(file).tensors();
                    return fromTensors(file, stripped(file, all, which), prefix(file, all.keySet(), which), shape);
                }
                DipConfig stored = ModelWeights.readConfig(file);
                DipConfig cfg = shape.choose(stored);
                List<String> names = classNames(meta.get(CLASS_NAMES_KEY), cfg.numClasses(), file);
                return new CheckpointModel(file, cfg, names, prefix(file, r.tensors().keySet(), which), null);
            }
        } catch (SafetensorsException | IllegalArgumentException e) {
            throw new BadCheckpoint(oneLine(file, e), e);
        } catch (IOException e) {
            throw new BadCheckpoint("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** A torch.save zip (by its "PK" magic) rather than a safetensors file. */
    public static boolean isTorch(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            byte[] m = in.readNBytes(4);
            return m.length == 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4;
        }
    }

    private static String oneLine(Path file, Exception e) {
        String m = String.valueOf(e.getMessage());
        return m.startsWith(file.toString()) ? "checkpoint " + m : "checkpoint " + file + ": " + m;
    }

    private static CheckpointModel fromTensors(Path file, Map<String, Tensor> w, String prefix, ShapeChoice shape)
            throws SafetensorsException, BadCheckpoint {
        DipConfig implied = null;
        SafetensorsException why = null;
        try {
            implied = TorchCheckpoint.inferConfig(file, w, shape.imageSize());
        } catch (SafetensorsException e) {
            why = e;
        }
        DipConfig cfg = shape.choose(implied);
        if (cfg == null) throw why;
        TorchCheckpoint.config(file, w, cfg, 0);                 // every tensor against the config: names and shapes
        List<String> names = classNames(null, cfg.numClasses(), file);
        return new CheckpointModel(file, cfg, names, prefix, w);
    }

    /** A safetensors' tensors under their official names: the {@code which} set when prefixed sets exist. */
    private static Map<String, Tensor> stripped(Path file, Map<String, Tensor> all, Weights which) throws SafetensorsException {
        String pre = prefix(file, all.keySet(), which);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : all.entrySet()) {
            if (pre.isEmpty() && (e.getKey().startsWith(Weights.EMA.prefix) || e.getKey().startsWith(Weights.LIVE.prefix))) continue;
            if (e.getKey().startsWith(pre)) out.put(e.getKey().substring(pre.length()), e.getValue());
        }
        return out;
    }

    /** The prefix of the chosen weights among these tensor names ("" for a file with one unprefixed set). */
    private static String prefix(Path file, java.util.Collection<String> names, Weights which) throws SafetensorsException {
        boolean ema = false, live = false;
        for (String n : names) {
            ema |= n.startsWith(Weights.EMA.prefix);
            live |= n.startsWith(Weights.LIVE.prefix);
        }
        if (which == Weights.LIVE && !live && ema) {
            throw new SafetensorsException(file, "no live weights (no tensor name starts with '" + Weights.LIVE.prefix
                    + "'), only EMA ones: use --weights ema");
        }
        if (which == Weights.LIVE && live) return Weights.LIVE.prefix;
        return ema ? Weights.EMA.prefix : live ? Weights.LIVE.prefix : "";
    }

    static List<String> classNames(String json, int numClasses, Path file) throws BadCheckpoint {
        List<String> names = new ArrayList<>();
        if (json == null) {
            for (int i = 0; i < numClasses; i++) names.add(Integer.toString(i));
            return List.copyOf(names);
        }
        try {
            JsonNode arr = new ObjectMapper().readTree(json);
            if (!arr.isArray()) throw new IOException("not a JSON array");
            for (JsonNode n : arr) names.add(n.asText());
        } catch (IOException e) {
            throw new BadCheckpoint("checkpoint " + file + ": metadata '" + CLASS_NAMES_KEY + "' is not a JSON array of"
                    + " strings (" + e.getMessage() + ")", e);
        }
        if (names.size() != numClasses) {
            throw new BadCheckpoint("checkpoint " + file + ": " + names.size() + " class names but the config has "
                    + numClasses + " classes", null);
        }
        return List.copyOf(names);
    }

    /**
     * Builds the model for maxBatch rows per forward and loads the chosen weights, strictly. The model is built for
     * inference (Dip.forInference): weights plus the buffers one forward needs, no gradients or backward caches.
     */
    public Denoiser build(Engine engine, int maxBatch) throws BadCheckpoint {
        Dip model = Dip.forInference(engine, config, maxBatch);
        try {
            if (weights != null) {
                TorchCheckpoint.loadInto(file, weights, model.params());
                weights = null;                                   // the model holds them now
            } else {
                ModelWeights.load(file, model.params(), prefix);
            }
        } catch (SafetensorsException | IllegalArgumentException e) {
            throw new BadCheckpoint("checkpoint " + file + " does not match its config " + config + ": "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new BadCheckpoint("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
        return model;
    }

    public DipConfig config() { return config; }

    public List<String> classNames() { return classNames; }

    /** Which weights were loaded, for the log: "EMA", "live" or "plain" (a file with one set). */
    public String weightsName() {
        return prefix.equals(Weights.EMA.prefix) ? "EMA" : prefix.equals(Weights.LIVE.prefix) ? "live" : "plain";
    }

    /** "ema_denoiser.", "denoiser." or "" (plain names). */
    public String prefix() { return prefix; }

    public Path file() { return file; }
}
