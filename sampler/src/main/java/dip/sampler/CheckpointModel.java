package dip.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dip.io.ModelWeights;
import dip.io.SafetensorsException;
import dip.io.SafetensorsReader;
import dip.io.Safetensors;
import dip.model.Denoiser;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.tornado.exec.Engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint opened for sampling: its {@link DipConfig} (metadata "dip_config"), its class names (metadata
 * "class_names", a JSON array, when present; else "0", "1", …) and which weights to use: the EMA ones
 * (tensors prefixed "ema_denoiser.") when present, else the plain names (or "denoiser."), as ModelWeights decides.
 * Problems a user can fix (no file, no config, weights that do not fit the config) are {@link BadCheckpoint}s.
 */
public final class CheckpointModel {
    public static final String CLASS_NAMES_KEY = "class_names";

    private final Path file;
    private final DipConfig config;
    private final List<String> classNames;
    private final String prefix;

    /** Thrown for a checkpoint the user must fix; the message is one line naming the file. */
    public static final class BadCheckpoint extends Exception {
        BadCheckpoint(String message, Throwable cause) { super(message, cause); }
    }

    private CheckpointModel(Path file, DipConfig config, List<String> classNames, String prefix) {
        this.file = file;
        this.config = config;
        this.classNames = classNames;
        this.prefix = prefix;
    }

    /** Reads the header only (config, class names, prefix); the weights are read by {@link #build}. */
    public static CheckpointModel open(Path file) throws BadCheckpoint {
        if (!Files.isRegularFile(file)) throw new BadCheckpoint("checkpoint file not found: " + file, null);
        try (SafetensorsReader r = Safetensors.open(file)) {
            Map<String, String> meta = r.metadata();
            String json = meta.get(ModelWeights.CONFIG_KEY);
            if (json == null) {
                throw new BadCheckpoint("checkpoint " + file + " has no '" + ModelWeights.CONFIG_KEY
                        + "' metadata, so the model shape is unknown (was it written by this project?)", null);
            }
            DipConfig cfg = ModelWeights.readConfig(file);
            List<String> names = classNames(meta.get(CLASS_NAMES_KEY), cfg.numClasses(), file);
            return new CheckpointModel(file, cfg, names, ModelWeights.detectPrefix(file));
        } catch (SafetensorsException | IllegalArgumentException e) {
            throw new BadCheckpoint("checkpoint " + file + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new BadCheckpoint("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
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
            ModelWeights.load(file, model.params(), prefix);
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

    /** "ema_denoiser.", "denoiser." or "" (plain names). */
    public String prefix() { return prefix; }

    public Path file() { return file; }
}
