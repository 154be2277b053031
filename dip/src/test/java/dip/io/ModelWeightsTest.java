package dip.io;

import dip.layers.Init;
import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.model.DipConfig;
import dip.model.HeadType;
import dip.model.Preset;
import dip.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ModelWeightsTest {
    @TempDir Path dir;

    /** A registry shaped like a 1-block model (official names), filled with random values. */
    private static ParamRegistry model(int d, long seed) {
        var reg = new ParamRegistry();
        reg.add("s_embedder.proj.weight", d, 16);
        reg.add("s_embedder.proj.bias", d);
        reg.add("blocks.0.attn.qkv.weight", 3 * d, d);
        reg.add("blocks.0.norm1.weight", d);
        var rng = new Rng(seed);
        for (Param p : reg.all()) Init.normal(p, 1f, rng);
        return reg;
    }

    @Test void saveAndLoadRoundTripWithConfig() throws IOException {
        Path f = dir.resolve("m.safetensors");
        DipConfig cfg = Preset.TINY.config();
        var src = model(8, 1);
        ModelWeights.save(f, src, cfg, "", Map.of("step", "100"));
        var dst = model(8, 2);
        Map<String, String> meta = ModelWeights.load(f, dst);
        for (Param p : src.all()) assertArrayEquals(p.values(), dst.get(p.name()).values(), p.name());
        assertEquals("100", meta.get("step"));
        assertEquals(cfg, ModelWeights.readConfig(f));
    }

    @Test void configJsonRoundTripsAndNamesMissingKeys() {
        for (Preset p : Preset.values()) assertEquals(p.config(), DipConfigJson.fromJson(DipConfigJson.toJson(p.config())));
        var c = new DipConfig(32, 8, 3, 64, 2, 4, 7, 16, HeadType.DIT_ONLY, true);
        assertEquals(c, DipConfigJson.fromJson(DipConfigJson.toJson(c)));
        String noHeads = DipConfigJson.toJson(c).replace("\"heads\":4,", "");
        var e = assertThrows(IllegalArgumentException.class, () -> DipConfigJson.fromJson(noHeads));
        assertEquals("dip_config: missing key 'heads'", e.getMessage());
        String badHead = DipConfigJson.toJson(c).replace("DIT_ONLY", "UNET");
        e = assertThrows(IllegalArgumentException.class, () -> DipConfigJson.fromJson(badHead));
        assertTrue(e.getMessage().contains("'head' must be \"DIP\" or \"DIT_ONLY\", got \"UNET\""), e.getMessage());
        String textInt = DipConfigJson.toJson(c).replace("\"depth\":2", "\"depth\":\"2\"");
        e = assertThrows(IllegalArgumentException.class, () -> DipConfigJson.fromJson(textInt));
        assertTrue(e.getMessage().contains("key 'depth' must be an integer"), e.getMessage());
    }

    @Test void shapeMismatchNamesTheTensorAndBothShapes() throws IOException {
        Path f = dir.resolve("small.safetensors");
        ModelWeights.save(f, model(8, 1), null);
        var big = model(12, 2);
        float[] before = big.get("s_embedder.proj.bias").values();
        var e = assertThrows(SafetensorsException.class, () -> ModelWeights.load(f, big));
        assertTrue(e.getMessage().startsWith("checkpoint " + f + ": tensor s_embedder.proj.weight has shape [8, 16] but the model expects [12, 16]"),
                e.getMessage());
        assertTrue(e.getMessage().contains("(and 3 more problems) — was it saved with another --preset?"), e.getMessage());
        assertArrayEquals(before, big.get("s_embedder.proj.bias").values(), "a failed load changed the model");
    }

    @Test void missingAndUnknownTensorsFail() throws IOException {
        Path f = dir.resolve("m.safetensors");
        var src = model(8, 1);
        ModelWeights.save(f, src, null);

        var more = model(8, 2);
        more.add("final_layer.linear.weight", 4, 8);
        var e = assertThrows(SafetensorsException.class, () -> ModelWeights.load(f, more));
        assertTrue(e.getMessage().contains("tensor final_layer.linear.weight [4, 8] is missing"), e.getMessage());
        assertFalse(e.getMessage().contains("more problems"), e.getMessage());

        var fewer = new ParamRegistry();
        fewer.add("s_embedder.proj.weight", 8, 16);
        fewer.add("s_embedder.proj.bias", 8);
        fewer.add("blocks.0.norm1.weight", 8);
        float[] before = fewer.get("s_embedder.proj.bias").values();
        e = assertThrows(SafetensorsException.class, () -> ModelWeights.load(f, fewer));
        assertTrue(e.getMessage().contains("tensor blocks.0.attn.qkv.weight [24, 8] is not a parameter of this model"), e.getMessage());
        assertArrayEquals(before, fewer.get("s_embedder.proj.bias").values());
    }

    @Test void prefixesOfTrainingCheckpointsAreStripped() throws IOException {
        var online = model(8, 1);
        var ema = model(8, 2);
        List<Tensor> ts = new ArrayList<>();
        for (Param p : online.all()) ts.add(Tensor.f32(ModelWeights.DENOISER_PREFIX + p.name(), p.shape(), p.values()));
        for (Param p : ema.all()) ts.add(Tensor.f32(ModelWeights.EMA_PREFIX + p.name(), p.shape(), p.values()));
        ts.add(Tensor.i64("global_step", new int[]{}, new long[]{1234}));
        Path f = dir.resolve("train.safetensors");
        Safetensors.write(f, ts, Map.of());

        assertEquals(ModelWeights.EMA_PREFIX, ModelWeights.detectPrefix(f));
        var dst = model(8, 3);
        ModelWeights.load(f, dst, "ema_denoiser.");
        for (Param p : ema.all()) assertArrayEquals(p.values(), dst.get(p.name()).values(), p.name());
        ModelWeights.load(f, dst, "denoiser.");
        for (Param p : online.all()) assertArrayEquals(p.values(), dst.get(p.name()).values(), p.name());

        var e = assertThrows(SafetensorsException.class, () -> ModelWeights.load(f, dst));
        assertTrue(e.getMessage().contains("load it with prefix 'ema_denoiser.'"), e.getMessage());
        e = assertThrows(SafetensorsException.class, () -> ModelWeights.load(f, dst, "model."));
        assertTrue(e.getMessage().contains("no tensor name starts with 'model.'"), e.getMessage());

        Path g = dir.resolve("prefixed.safetensors");
        ModelWeights.save(g, ema, null, "ema_denoiser.", Map.of());
        var back = model(8, 4);
        ModelWeights.load(g, back, ModelWeights.detectPrefix(g));
        for (Param p : ema.all()) assertArrayEquals(p.values(), back.get(p.name()).values(), p.name());
    }

    @Test void severalRegistriesInOneFileLoadAllOrNothing() throws IOException {
        Path f = dir.resolve("train.safetensors");
        var model = model(8, 1);
        var ema = model(8, 2);
        ModelWeights.save(f, new java.util.LinkedHashMap<>(Map.of(ModelWeights.DENOISER_PREFIX, model,
                ModelWeights.EMA_PREFIX, ema)), Preset.TINY.config(), Map.of("step", "5"));

        var m2 = model(8, 3);
        var e2 = model(8, 4);
        var meta = ModelWeights.load(f, Map.of(ModelWeights.DENOISER_PREFIX, m2, ModelWeights.EMA_PREFIX, e2));
        assertEquals("5", meta.get("step"));
        for (Param p : model.all()) assertArrayEquals(p.values(), m2.get(p.name()).values(), p.name());
        for (Param p : ema.all()) assertArrayEquals(p.values(), e2.get(p.name()).values(), p.name());

        var m3 = model(8, 5);
        float[] before = m3.get("blocks.0.attn.qkv.weight").values();
        var wrongEma = model(4, 6);                              // the second group does not fit ...
        var e = assertThrows(SafetensorsException.class,
                () -> ModelWeights.load(f, Map.of(ModelWeights.DENOISER_PREFIX, m3, ModelWeights.EMA_PREFIX, wrongEma)));
        assertTrue(e.getMessage().contains("tensor ema_denoiser.s_embedder.proj.weight has shape [8, 16] but the model expects [4, 16]"),
                e.getMessage());
        assertArrayEquals(before, m3.get("blocks.0.attn.qkv.weight").values(), "... so the first is not loaded either");
    }

    @Test void badConfigMetadataFailsBeforeLoading() throws IOException {
        Path f = dir.resolve("m.safetensors");
        var src = model(8, 1);
        List<Tensor> ts = new ArrayList<>();
        for (Param p : src.all()) ts.add(Tensor.f32(p.name(), p.shape(), p.values()));
        Safetensors.write(f, ts, Map.of(ModelWeights.CONFIG_KEY, "{\"imageSize\": 32}"));
        var dst = model(8, 2);
        var e = assertThrows(SafetensorsException.class, () -> ModelWeights.load(f, dst));
        assertEquals("checkpoint " + f + ": bad metadata: dip_config: missing key 'patchSize'", e.getMessage());
    }
}
