package dip.io;

import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.model.DipConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model weights as a safetensors file: every {@link Param} of a {@link ParamRegistry} under its official
 * state_dict name, F32, shape from {@link Param#shape()}, plus the {@link DipConfig} as JSON under metadata key
 * {@value #CONFIG_KEY}. Several registries can share one file under name prefixes ("groups"), as the official
 * training checkpoints hold {@value #DENOISER_PREFIX} and {@value #EMA_PREFIX} weights side by side.
 * <p>
 * Loading is strict and all-or-nothing: the header is checked against every registry first (a missing, unknown or
 * mis-shaped tensor fails, naming it and both shapes), then every tensor is read into a scratch array, and only then
 * copied into the params. The scratch copy costs one model's worth of memory during the load; in exchange a failed
 * load never leaves a half-loaded model.
 */
public final class ModelWeights {
    public static final String CONFIG_KEY = "dip_config";
    /** Prefixes of the official training checkpoints (PixNerd's LightningModule): online and EMA weights. */
    public static final String DENOISER_PREFIX = "denoiser.", EMA_PREFIX = "ema_denoiser.";

    private ModelWeights() {}

    /** Saves every param under its own name with the config (null: none). */
    public static void save(Path file, ParamRegistry reg, DipConfig cfg) throws IOException {
        save(file, reg, cfg, "", Map.of());
    }

    /** Saves every param as {@code prefix + name} ("" for none); see {@link #save(Path, Map, DipConfig, Map)}. */
    public static void save(Path file, ParamRegistry reg, DipConfig cfg, String prefix, Map<String, String> extraMetadata)
            throws IOException {
        save(file, Map.of(prefix, reg), cfg, extraMetadata);
    }

    /**
     * Saves several registries, each under its prefix (e.g. {"denoiser.": model, "ema_denoiser.": ema}), atomically.
     * {@code extraMetadata} (training step, loader position, ...) goes into {@code __metadata__} beside
     * "dip_config" and "format": "pt".
     */
    public static void save(Path file, Map<String, ParamRegistry> groups, DipConfig cfg, Map<String, String> extraMetadata)
            throws IOException {
        List<Tensor> tensors = new ArrayList<>();
        for (var g : groups.entrySet()) tensors.addAll(tensors(g.getValue(), g.getKey()));
        Map<String, String> meta = new LinkedHashMap<>(extraMetadata);
        meta.put("format", "pt");                                 // what torch's safetensors helpers expect
        if (cfg != null) meta.put(CONFIG_KEY, DipConfigJson.toJson(cfg));
        Safetensors.write(file, tensors, meta);
    }

    /** The params as F32 tensors named {@code prefix + name}: copies of their values (the params share one flat array). */
    public static List<Tensor> tensors(ParamRegistry reg, String prefix) {
        List<Tensor> out = new ArrayList<>();
        for (Param p : reg.all()) out.add(Tensor.f32(prefix + p.name(), p.shape(), p.values()));
        return out;
    }

    /** The config stored in a checkpoint, or null when it has none (e.g. an official PyTorch file). */
    public static DipConfig readConfig(Path file) throws IOException {
        try (SafetensorsReader r = Safetensors.open(file)) {
            return config(r);
        }
    }

    /**
     * The prefix to load an official training checkpoint with: {@value #EMA_PREFIX} (EMA weights, used for
     * sampling) when any tensor has it, else {@value #DENOISER_PREFIX} when any has that, else "".
     */
    public static String detectPrefix(Path file) throws IOException {
        try (SafetensorsReader r = Safetensors.open(file)) {
            boolean ema = false, online = false;
            for (String n : r.tensors().keySet()) {
                ema |= n.startsWith(EMA_PREFIX);
                online |= n.startsWith(DENOISER_PREFIX);
            }
            return ema ? EMA_PREFIX : online ? DENOISER_PREFIX : "";
        }
    }

    /** Loads with no prefix: the file must hold exactly the registry's params. Returns the file's metadata. */
    public static Map<String, String> load(Path file, ParamRegistry reg) throws IOException {
        return load(file, reg, "");
    }

    /**
     * Loads the tensors named {@code prefix + name} into {@code reg}; with a non-empty prefix the file's other
     * tensors (e.g. the online weights beside the EMA ones) are ignored. See {@link #load(Path, Map)}.
     */
    public static Map<String, String> load(Path file, ParamRegistry reg, String prefix) throws IOException {
        return load(file, Map.of(prefix == null ? "" : prefix, reg));
    }

    /**
     * Loads several registries from one file, all or nothing. Each tensor belongs to the group with the longest
     * prefix it starts with; a tensor of no group is ignored, unless there is a "" group (which then claims it).
     * Every param of every group must be present with its exact shape, and no tensor of a group may be left over.
     * Returns the file's metadata.
     */
    public static Map<String, String> load(Path file, Map<String, ParamRegistry> groups) throws IOException {
        try (SafetensorsReader r = Safetensors.open(file)) {
            config(r);                                             // a corrupt dip_config fails here, before anything
            for (String pre : groups.keySet()) {
                if (!pre.isEmpty() && r.tensors().keySet().stream().noneMatch(n -> n.startsWith(pre))) {
                    throw new SafetensorsException("checkpoint " + file + ": no tensor name starts with '" + pre + "' ("
                            + r.tensors().size() + " tensors, e.g. " + r.tensors().keySet().stream().findFirst().orElse("none") + ")");
                }
            }
            Map<Param, TensorInfo> plan = new LinkedHashMap<>();
            List<String> problems = new ArrayList<>();
            for (TensorInfo t : r.tensors().values()) {
                String pre = group(t.name(), groups);
                if (pre == null) continue;
                Param p = groups.get(pre).get(t.name().substring(pre.length()));
                if (p == null) {
                    problems.add("tensor " + t.name() + " " + t.shapeString() + " is not a parameter of this model");
                } else if (!Arrays.equals(t.shape(), p.shape())) {
                    problems.add("tensor " + t.name() + " has shape " + t.shapeString() + " but the model expects "
                            + Arrays.toString(p.shape()));
                } else if (!t.dtype().isFloat()) {
                    problems.add("tensor " + t.name() + " is " + t.dtype() + ", not a float tensor");
                } else {
                    plan.put(p, t);
                }
            }
            for (var g : groups.entrySet()) {
                for (Param p : g.getValue().all()) {
                    String name = g.getKey() + p.name();
                    if (!r.tensors().containsKey(name)) problems.add("tensor " + name + " " + Arrays.toString(p.shape()) + " is missing");
                }
            }
            if (!problems.isEmpty()) {
                String more = problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problems)" : "";
                boolean training = groups.containsKey("") && r.tensors().keySet().stream()
                        .anyMatch(n -> n.startsWith(EMA_PREFIX) || n.startsWith(DENOISER_PREFIX));
                String hint = training ? " — it looks like a training checkpoint: load it with prefix '" + EMA_PREFIX + "' or '"
                        + DENOISER_PREFIX + "'" : " — was it saved with another --preset?";
                throw new SafetensorsException("checkpoint " + file + ": " + problems.get(0) + more + hint);
            }
            Map<Param, float[]> scratch = new LinkedHashMap<>();
            for (var e : plan.entrySet()) {
                float[] a = new float[e.getValue().numel()];
                r.readFloats(e.getValue(), a, 0);
                scratch.put(e.getKey(), a);
            }
            for (var e : scratch.entrySet()) e.getKey().load(e.getValue());
            return r.metadata();
        }
    }

    /** The longest group prefix that {@code name} starts with, or null. */
    private static String group(String name, Map<String, ParamRegistry> groups) {
        String best = null;
        for (String pre : groups.keySet()) {
            if (name.startsWith(pre) && (best == null || pre.length() > best.length())) best = pre;
        }
        return best;
    }

    private static DipConfig config(SafetensorsReader r) throws SafetensorsException {
        String json = r.metadata().get(CONFIG_KEY);
        if (json == null) return null;
        try {
            return DipConfigJson.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException("checkpoint " + r.file() + ": bad metadata: " + e.getMessage());
        }
    }
}
