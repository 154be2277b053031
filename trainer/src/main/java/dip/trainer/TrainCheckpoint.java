package dip.trainer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dip.data.Loader;
import dip.io.DType;
import dip.io.DipConfigJson;
import dip.io.ModelWeights;
import dip.io.Safetensors;
import dip.io.SafetensorsException;
import dip.io.SafetensorsReader;
import dip.io.Tensor;
import dip.io.TensorInfo;
import dip.layers.Param;
import dip.model.DipConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint: one safetensors file, written atomically (dip.io.Safetensors: temp, fsync, rename), holding
 * the whole TrainState so that --resume continues bit for bit:
 * <pre>
 *   denoiser.{name}               F32  the live weights (official state_dict names; prefixes as the official code)
 *   ema_denoiser.{name}           F32  the EMA weights (what sampling loads: ModelWeights.load(f, reg, "ema_denoiser."))
 *   optimizer.exp_avg.{name}      F32  AdamW m
 *   optimizer.exp_avg_sq.{name}   F32  AdamW v
 *   train.rng_noise               I64[6]  the noise Rng (label dropout, t, ε)
 *   __metadata__: dip_config (DipConfigJson), train_config (TrainConfig as JSON), step, epoch and position (the
 *                 data loader's next batch: epoch, batch), adamw_step, data_size, data_classes, data (a description),
 *                 format "pt", dip_train 1, and the caller's extra keys (the CLI's data_kind, data_dir)
 * </pre>
 * Reading checks everything against the model before it changes anything, and names the file in every error.
 */
public final class TrainCheckpoint {
    static final String DENOISER = ModelWeights.DENOISER_PREFIX, EMA = ModelWeights.EMA_PREFIX;
    static final String EXP_AVG = "optimizer.exp_avg.", EXP_AVG_SQ = "optimizer.exp_avg_sq.";
    static final String RNG_NOISE = "train.rng_noise";
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES).build();

    private TrainCheckpoint() {
    }

    /** What a checkpoint says about its run, read from the header alone. */
    public record Header(DipConfig model, TrainConfig train, long step, int epoch, int position, long adamwStep,
                         int dataSize, int dataClasses, String data, Map<String, String> metadata) {
    }

    /** Writes the state atomically; {@code dataDescription} is for messages only. */
    public static void save(Path file, TrainState s, String dataDescription) throws IOException {
        save(file, s, dataDescription, Map.of());
    }

    /** As {@link #save(Path, TrainState, String)}, with extra metadata entries (they must not reuse a key above). */
    public static void save(Path file, TrainState s, String dataDescription, Map<String, String> extra) throws IOException {
        List<Tensor> ts = new ArrayList<>();
        List<Param> ps = s.model.params().all();
        for (Param p : ps) ts.add(Tensor.f32(DENOISER + p.name(), p.shape(), p.values()));
        for (Param p : ps) ts.add(Tensor.f32(EMA + p.name(), p.shape(), p.slice(s.ema.shadow(p.bank()))));
        for (Param p : ps) ts.add(Tensor.f32(EXP_AVG + p.name(), p.shape(), p.slice(s.adamw.m(p.bank()))));
        for (Param p : ps) ts.add(Tensor.f32(EXP_AVG_SQ + p.name(), p.shape(), p.slice(s.adamw.v(p.bank()))));
        ts.add(Tensor.i64(RNG_NOISE, new int[]{6}, s.noiseRng.state()));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("dip_train", "1");
        meta.put(ModelWeights.CONFIG_KEY, DipConfigJson.toJson(s.model.config()));
        meta.put("train_config", JSON.writeValueAsString(s.config));
        meta.put("step", Long.toString(s.step()));
        meta.put("epoch", Long.toString(s.position().epoch()));
        meta.put("position", Long.toString(s.position().batch()));
        meta.put("adamw_step", Long.toString(s.adamw.stepCount()));
        meta.put("data_size", Integer.toString(s.dataSize));
        meta.put("data_classes", Integer.toString(s.model.config().numClasses()));
        meta.put("data", dataDescription);
        for (var e : extra.entrySet()) {
            if (meta.putIfAbsent(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("metadata key " + e.getKey() + " is the checkpoint's own");
            }
        }
        Safetensors.write(file, ts, meta);
    }

    /** Reads and checks the header: a truncated or corrupt file, or one that is not a training checkpoint, fails here. */
    public static Header readHeader(Path file) throws IOException {
        try (SafetensorsReader r = Safetensors.open(file)) {
            return header(r);
        }
    }

    private static Header header(SafetensorsReader r) throws SafetensorsException {
        Map<String, String> m = r.metadata();
        Path f = r.file();
        if (!"1".equals(m.get("dip_train"))) {
            throw new SafetensorsException(f, "not a training checkpoint of this trainer (no dip_train metadata; "
                    + "a weights-only file cannot be resumed)");
        }
        try {
            DipConfig model = DipConfigJson.fromJson(required(f, m, ModelWeights.CONFIG_KEY));
            TrainConfig train = JSON.readValue(required(f, m, "train_config"), TrainConfig.class);
            return new Header(model, train, number(f, m, "step"), (int) number(f, m, "epoch"), (int) number(f, m, "position"),
                    number(f, m, "adamw_step"), (int) number(f, m, "data_size"), (int) number(f, m, "data_classes"),
                    m.getOrDefault("data", "?"), m);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(f, "bad train_config metadata: " + e.getOriginalMessage().replaceAll("\\s+", " "));
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(f, "bad metadata: " + e.getMessage());
        }
    }

    /**
     * Restores a state built from this file's header (same model config, train config and data size) to exactly
     * the saved one. Checks every tensor's presence, dtype and shape first; on any problem throws before changing
     * anything.
     */
    public static Header restore(Path file, TrainState s) throws IOException {
        try (SafetensorsReader r = Safetensors.open(file)) {
            Header h = header(r);
            if (!h.model().equals(s.model.config()) || !h.train().equals(s.config) || h.dataSize() != s.dataSize) {
                throw new IllegalArgumentException("restore needs a state built from the checkpoint's own configs");
            }
            List<Param> ps = s.model.params().all();
            Map<String, float[]> floats = new LinkedHashMap<>();         // where each tensor goes: a flat array ...
            Map<String, Integer> offsets = new LinkedHashMap<>();        // ... at its parameter's offset
            Map<String, int[]> shapes = new LinkedHashMap<>();
            for (Param p : ps) {
                floats.put(DENOISER + p.name(), p.array());
                floats.put(EMA + p.name(), s.ema.shadow(p.bank()));
                floats.put(EXP_AVG + p.name(), s.adamw.m(p.bank()));
                floats.put(EXP_AVG_SQ + p.name(), s.adamw.v(p.bank()));
                for (String pre : List.of(DENOISER, EMA, EXP_AVG, EXP_AVG_SQ)) {
                    shapes.put(pre + p.name(), p.shape());
                    offsets.put(pre + p.name(), p.offset());
                }
            }
            List<String> problems = new ArrayList<>();
            for (var e : shapes.entrySet()) {
                TensorInfo t = r.tensors().get(e.getKey());
                if (t == null) problems.add("tensor " + e.getKey() + " " + Arrays.toString(e.getValue()) + " is missing");
                else if (t.dtype() != DType.F32) problems.add("tensor " + e.getKey() + " is " + t.dtype() + ", expected F32");
                else if (!Arrays.equals(t.shape(), e.getValue())) {
                    problems.add("tensor " + e.getKey() + " has shape " + t.shapeString() + " but the model expects "
                            + Arrays.toString(e.getValue()));
                }
            }
            TensorInfo rng = r.tensors().get(RNG_NOISE);
            if (rng == null || rng.dtype() != DType.I64 || !Arrays.equals(rng.shape(), new int[]{6})) {
                problems.add("tensor " + RNG_NOISE + " (I64[6]) is missing or malformed: " + rng);
            }
            if (h.position() >= s.stepsPerEpoch()) {
                problems.add("data position " + h.position() + " is past the end of an epoch (" + s.stepsPerEpoch()
                        + " batches)");
            }
            for (String name : r.tensors().keySet()) {
                if (!shapes.containsKey(name) && !name.equals(RNG_NOISE)) {
                    problems.add("tensor " + name + " is not part of this model's training state");
                }
            }
            if (!problems.isEmpty()) {
                String more = problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problems)" : "";
                throw new SafetensorsException(file, problems.get(0) + more);
            }
            long[] noise = r.read(RNG_NOISE).longs();
            for (var e : floats.entrySet()) r.readFloats(r.tensors().get(e.getKey()), e.getValue(), offsets.get(e.getKey()));
            s.noiseRng.setState(noise);
            s.setPosition(new Loader.State(h.epoch(), h.position()));
            s.adamw.setStepCount(h.adamwStep());
            s.setStep(h.step());
            return h;
        }
    }

    private static String required(Path f, Map<String, String> m, String key) throws SafetensorsException {
        String v = m.get(key);
        if (v == null) throw new SafetensorsException(f, "metadata key '" + key + "' is missing");
        return v;
    }

    private static long number(Path f, Map<String, String> m, String key) throws SafetensorsException {
        String v = required(f, m, key);
        try {
            long n = Long.parseLong(v);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new SafetensorsException(f, "metadata key '" + key + "' must be a non-negative integer, got '" + v + "'");
        }
    }
}
