package dip.io;

import dip.io.TorchCheckpoint.Weights;
import dip.io.TorchPickle.TensorRef;
import dip.io.TorchPickle.Tuple;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.tornado.exec.JavaEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * torch.save checkpoints written by scripts/reference/make_torch_ckpt_fixtures.py (PyTorch, tiny official-layout
 * DiP: image 32, P = 16, 4-stage head at width 2, D = 8, depth 2) must load and reproduce PyTorch's output for the
 * same x_t, t, y: Lightning-shaped fp32 and bf16 checkpoints (EMA and live), and a bare state dict with F64, F16 and
 * I64 tensors; and the official P = 32 head layout (torch_p32_*). Malformed files (crafted here byte by byte) must fail in one line naming the file and the problem.
 */
class TorchCheckpointTest {
    /** Output tolerance relative to max |v|, as TorchParityTest (float32 summation order differs from torch). */
    static final double V_REL = 2e-5;
    static JavaEngine engine;
    static Safetensors.Contents expected;
    @TempDir Path dir;

    @BeforeAll static void up() throws Exception {
        engine = new JavaEngine(1);
        expected = Safetensors.read(golden("torch_tiny_expected.safetensors"));
    }

    @AfterAll static void down() { engine.close(); }

    static Path golden(String name) throws URISyntaxException {
        return Path.of(TorchCheckpointTest.class.getResource("/golden/" + name).toURI());
    }

    static DipConfig fixtureConfig() { return DipConfigJson.fromJson(expected.metadata().get(ModelWeights.CONFIG_KEY)); }

    /** Builds the model for the weights (config inferred from the shapes, image size 32) and runs the fixture batch. */
    static float[] forward(Path file, Map<String, Tensor> w) throws IOException {
        DipConfig cfg = TorchCheckpoint.config(file, w, null, 32);
        assertEquals(fixtureConfig(), cfg, "config inferred from the tensor shapes");
        Dip m = new Dip(engine, cfg, 2);
        TorchCheckpoint.loadInto(file, w, m.params());
        return m.forward(expected.tensor("x_t").floats(), expected.tensor("t").floats(), expected.tensor("y").ints(), 2);
    }

    /** Asserts max |a − e| ≤ V_REL · max |e|; returns the relative error (printed for the record). */
    static double assertClose(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what + " length");
        double maxRef = 0, maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(want[i]));
            double e = Math.abs(want[i] - got[i]);
            if (!(e <= maxErr)) maxErr = e;
        }
        double rel = maxErr / maxRef;
        System.out.printf("%-40s max abs %.3g, relative to max |torch| %.3g: %.3g%n", what, maxErr, maxRef, rel);
        assertTrue(rel <= V_REL, what + ": max abs error " + maxErr + " is " + rel + " of max |torch| " + maxRef);
        return rel;
    }

    // ---------------------------------------------------------------- PyTorch parity

    /**
     * The official head layout for P = 32 (torch_p32_official.pt: image 64, 2×2 tokens, widths 2..16): 4 stages and a
     * 2×2 bottleneck over which the token is repeated, not log2 32 = 5 stages. The config is inferred from the
     * tensors, the model loads strictly (every tensor, no shape mismatch) and reproduces PyTorch's v, built for
     * training and for inference alike.
     */
    @Test void officialP32HeadLayoutLoadsAndReproducesPyTorch() throws Exception {
        Path f = golden("torch_p32_official.pt");
        var want = Safetensors.read(golden("torch_p32_expected.safetensors"));
        var w = TorchCheckpoint.load(f, Weights.EMA);
        DipConfig cfg = TorchCheckpoint.config(f, w, null, 64);
        assertEquals(DipConfigJson.fromJson(want.metadata().get(ModelWeights.CONFIG_KEY)), cfg, "config inferred from the tensor shapes");
        assertEquals(32, cfg.patchSize());
        assertEquals(4, cfg.headStages(), "the official layout keeps 4 stages for P = 32");
        assertTrue(w.containsKey("local_decoder.enc4.0.weight") && !w.containsKey("local_decoder.enc5.0.weight"));
        float[] x = want.tensor("x_t").floats(), t = want.tensor("t").floats();
        int[] y = want.tensor("y").ints();
        for (Dip m : new Dip[]{Dip.create(engine, cfg, 2), Dip.forInference(engine, cfg, 2)}) {
            TorchCheckpoint.loadInto(f, w, m.params());
            assertClose("P = 32 official head (" + m.buffers() + ")", want.tensor("v").floats(), m.forward(x, t, y, 2));
        }
    }

    @Test void lightningFp32EmaWeightsReproducePyTorch() throws Exception {
        Path f = golden("torch_tiny_fp32.ckpt");
        var w = TorchCheckpoint.load(f, Weights.EMA);
        assertClose("fp32 .ckpt, EMA", expected.tensor("v.fp32_ema").floats(), forward(f, w));
    }

    @Test void lightningFp32LiveWeightsReproducePyTorch() throws Exception {
        Path f = golden("torch_tiny_fp32.ckpt");
        var w = TorchCheckpoint.load(f, Weights.LIVE);
        float[] v = forward(f, w);
        assertClose("fp32 .ckpt, live", expected.tensor("v.fp32_live").floats(), v);
        float[] ema = expected.tensor("v.fp32_ema").floats();
        double diff = 0;
        for (int i = 0; i < v.length; i++) diff = Math.max(diff, Math.abs(v[i] - ema[i]));
        assertTrue(diff > 0.1, "live and EMA outputs must differ, or the choice is untested: " + diff);
    }

    @Test void lightningBf16WeightsReproducePyTorchWithTheSameRoundedWeights() throws Exception {
        Path f = golden("torch_tiny_bf16.ckpt");
        var w = TorchCheckpoint.load(f, Weights.EMA);
        for (Tensor t : w.values()) {
            for (float x : t.floats()) assertEquals(0, Float.floatToRawIntBits(x) & 0xFFFF, t.name() + " holds a non-bf16 value");
        }
        assertClose("bf16 .ckpt, EMA", expected.tensor("v.bf16_ema").floats(), forward(f, w));
    }

    @Test void bareStateDictWithF64F16AndI64TensorsReproducesPyTorch() throws Exception {
        Path f = golden("torch_tiny_plain.pt");
        var w = TorchCheckpoint.load(f, Weights.EMA);
        assertFalse(w.containsKey("num_updates"), "a non-model key of a bare state dict is ignored");
        assertArrayEquals(new float[]{1, -2, 0}, w.get("local_decoder.out_conv.bias").floats(), "I64 tensor");
        assertEquals(w.keySet(), TorchCheckpoint.load(f, Weights.LIVE).keySet(), "a bare state dict is one set of weights");
        assertClose("bare .pt state dict", expected.tensor("v.plain").floats(), forward(f, w));
    }

    /** The fp32 EMA weights include views (shared storage at offsets, transposed, permuted, strided); the bare .pt holds
     * contiguous copies of the same values: they must be bit-identical. */
    @Test void viewsWithOffsetsAndStridesReadTheSameValuesAsContiguousCopies() throws Exception {
        var views = TorchCheckpoint.load(golden("torch_tiny_fp32.ckpt"), Weights.EMA);
        var plain = TorchCheckpoint.load(golden("torch_tiny_plain.pt"), Weights.EMA);
        try (var c = TorchCheckpoint.open(golden("torch_tiny_fp32.ckpt"))) {
            var sd = c.stateDict();
            TensorRef qkv = sd.get("ema_denoiser.blocks.0.attn.qkv.weight"), enc4 = sd.get("ema_denoiser.local_decoder.enc4.0.weight");
            assertEquals(qkv.storage(), enc4.storage(), "two parameters share one storage");
            assertEquals(7, qkv.offset());
            assertTrue(enc4.offset() > 0);
            assertArrayEquals(new long[]{1, 8}, sd.get("ema_denoiser.t_embedder.mlp.0.weight").stride(), "transposed");
            assertEquals(1, sd.get("ema_denoiser.y_embedder.embedding_table.weight").offset(), "strided slice");
        }
        for (String n : List.of("blocks.0.attn.qkv.weight", "local_decoder.enc4.0.weight", "t_embedder.mlp.0.weight",
                "local_decoder.dec4.0.weight", "y_embedder.embedding_table.weight", "blocks.1.mlp.w2.weight")) {
            assertArrayEquals(plain.get(n).shape(), views.get(n).shape(), n);
            assertArrayEquals(plain.get(n).floats(), views.get(n).floats(), n);
        }
    }

    @Test void convertWritesSafetensorsThatModelWeightsLoads() throws Exception {
        Path f = golden("torch_tiny_fp32.ckpt"), out = dir.resolve("tiny.safetensors");
        DipConfig cfg = TorchCheckpoint.convert(f, out, Weights.EMA, null, 32);
        assertEquals(fixtureConfig(), ModelWeights.readConfig(out));
        assertEquals("", ModelWeights.detectPrefix(out));
        Dip m = new Dip(engine, cfg, 2);
        Map<String, String> meta = ModelWeights.load(out, m.params());
        assertEquals("ema", meta.get("weights"));
        assertEquals("torch_tiny_fp32.ckpt", meta.get("source"));
        float[] v = m.forward(expected.tensor("x_t").floats(), expected.tensor("t").floats(), expected.tensor("y").ints(), 2);
        assertClose("converted .safetensors, EMA", expected.tensor("v.fp32_ema").floats(), v);
    }

    @Test void theRestOfALightningCheckpointParsesAsData() throws Exception {
        try (var c = TorchCheckpoint.open(golden("torch_tiny_fp32.ckpt"))) {
            Map<?, ?> root = (Map<?, ?>) c.root();
            assertEquals(1234L, root.get("global_step"));
            Map<?, ?> hp = (Map<?, ?>) root.get("hyper_parameters");
            assertEquals(1e-4, hp.get("lr"));
            assertEquals(List.of(0.9, 0.95), hp.get("betas"));
            assertEquals("DiP-tiny (fixture) é", hp.get("name"));
            assertEquals(1L << 40, hp.get("max_steps"));
            assertEquals(-3L, hp.get("seed"));
            assertEquals(Boolean.TRUE, hp.get("compile"));
            assertTrue(hp.containsKey("resume") && hp.get("resume") == null);
            assertEquals(new Tuple(List.of(3L, 32L, 32L)), hp.get("shape"));
            assertArrayEquals(new byte[]{0, (byte) 0xff, 'd', 'i', 'p'}, (byte[]) hp.get("tag"));
            assertEquals(Set.of(1L, 2L, 3L), hp.get("classes"));
            assertEquals(Set.of("a"), hp.get("frozen"));
            assertEquals(8L, ((Map<?, ?>) hp.get("denoiser")).get("hidden_size"));
            Map<?, ?> cb = (Map<?, ?>) ((Map<?, ?>) root.get("callbacks")).values().iterator().next();
            assertInstanceOf(TensorRef.class, cb.get("kth_value"));
            Map<?, ?> opt = (Map<?, ?>) ((List<?>) root.get("optimizer_states")).get(0);
            Map<?, ?> state0 = (Map<?, ?>) ((Map<?, ?>) opt.get("state")).get(0L);
            assertInstanceOf(TensorRef.class, state0.get("exp_avg"));
            Map<?, ?> group = (Map<?, ?>) ((List<?>) opt.get("param_groups")).get(0);
            assertEquals(new Tuple(List.of(0.9, 0.999)), group.get("betas"));
            var sd = c.stateDict();
            assertTrue(sd.keySet().stream().anyMatch(k -> k.startsWith("diffusion_trainer.")));
            assertFalse(c.weights(Weights.EMA).keySet().stream().anyMatch(k -> k.contains("diffusion_trainer") || k.contains("denoiser.")));
        }
    }

    // ---------------------------------------------------------------- config checks

    @Test void aConfigThatDoesNotMatchNamesTheTensorAndBothShapes() throws Exception {
        Path f = golden("torch_tiny_fp32.ckpt"), out = dir.resolve("x.safetensors");
        DipConfig c = fixtureConfig();
        DipConfig wide = new DipConfig(c.imageSize(), c.patchSize(), c.channels(), c.hidden(), c.depth(), c.heads(), c.numClasses(),
                4, c.head(), false);
        var e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.convert(f, out, Weights.EMA, wide, 0));
        assertOneLine(f, e);
        assertTrue(e.getMessage().contains("tensor local_decoder.enc1.0.weight has shape [2, 3, 3, 3] but the model expects [4, 3, 3, 3]"),
                e.getMessage());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test void theImageSizeIsRequiredWhenNoPresetHasTheShape() throws Exception {
        Path f = golden("torch_tiny_fp32.ckpt");
        var w = TorchCheckpoint.load(f, Weights.EMA);
        var e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.config(f, w, null, 0));
        assertOneLine(f, e);
        assertTrue(e.getMessage().contains("image size is not stored"), e.getMessage());
    }

    @Test void liveOnlyCheckpointRefusesEmaNamingTheAlternative() throws Exception {
        Path f = dir.resolve("live.ckpt");
        byte[] pkl = new TorchFiles.Pickler().proto(2).emptyDict().str("state_dict").orderedDict()
                .str("denoiser.s_embedder.proj.bias").tensor("FloatStorage", "0", 2, 0, new long[]{2}, new long[]{1}).op('s')
                .op('s').stop().bytes();
        TorchFiles.archive(f, pkl, Map.of("0", TorchFiles.f32(1, 2)));
        var e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.load(f, Weights.EMA));
        assertOneLine(f, e);
        assertTrue(e.getMessage().contains("no EMA weights") && e.getMessage().contains("'denoiser.'"), e.getMessage());
        assertArrayEquals(new float[]{1, 2}, TorchCheckpoint.load(f, Weights.LIVE).get("s_embedder.proj.bias").floats());
    }

    /** {"state_dict": {...}} with no other Lightning key, written here (not by PyTorch) from the fixture's EMA weights. */
    @Test void aCheckpointWithOnlyAStateDictLoads() throws Exception {
        var w = TorchCheckpoint.load(golden("torch_tiny_fp32.ckpt"), Weights.EMA);
        var p = new TorchFiles.Pickler().proto(2).emptyDict().str("state_dict").orderedDict().mark();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        for (Tensor t : w.values()) {
            String key = Integer.toString(storages.size());
            int[] s = t.shape();
            long[] shape = new long[s.length], stride = new long[s.length];
            long st = 1;
            for (int i = s.length - 1; i >= 0; i--) { shape[i] = s[i]; stride[i] = st; st *= s[i]; }
            p.str("ema_denoiser." + t.name()).tensor("FloatStorage", key, t.numel(), 0, shape, stride);
            storages.put(key, TorchFiles.f32(t.floats()));
        }
        Path f = dir.resolve("sd_only.pt");
        TorchFiles.archive(f, p.op('u').op('s').stop().bytes(), storages);
        var back = TorchCheckpoint.load(f, Weights.EMA);
        assertEquals(w.keySet(), back.keySet());
        for (String n : w.keySet()) assertArrayEquals(w.get(n).floats(), back.get(n).floats(), n);
        assertClose("state_dict-only file, EMA", expected.tensor("v.fp32_ema").floats(), forward(f, back));
    }

    /** More than 65,535 entries force the ZIP64 end records (as a checkpoint over 4 GiB does for its offsets). */
    @Test void aZip64ArchiveIsRead() throws Exception {
        byte[] pkl = new TorchFiles.Pickler().proto(2).emptyDict().str("s_embedder.proj.bias")
                .tensor("FloatStorage", "0", 3, 0, new long[]{3}, new long[]{1}).op('s').stop().bytes();
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put("archive/data.pkl", pkl);
        for (int i = 0; i < 65_600; i++) e.put("archive/x/" + i, new byte[0]);
        e.put("archive/data/0", TorchFiles.f32(1.5f, -2, 3));
        Path f = dir.resolve("zip64.pt");
        TorchFiles.zip(f, e);
        assertArrayEquals(new float[]{1.5f, -2, 3}, TorchCheckpoint.load(f, Weights.EMA).get("s_embedder.proj.bias").floats());
    }

    // ---------------------------------------------------------------- malformed files: one line naming the file

    static void assertOneLine(Path f, Exception e) {
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    private SafetensorsException refused(String name, byte[] pkl, Map<String, byte[]> storages) throws IOException {
        Path f = dir.resolve(name);
        TorchFiles.archive(f, pkl, storages);
        var e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.load(f, Weights.EMA));
        assertOneLine(f, e);
        return e;
    }

    @Test void aPickleNamingOsSystemIsRefusedAndNothingRuns() throws Exception {
        Path marker = dir.resolve("pwned");
        byte[] pkl = new TorchFiles.Pickler().proto(2).global("os", "system").str("touch " + marker).op(0x85).op('R').stop().bytes();
        var e = refused("evil.ckpt", pkl, Map.of());
        assertEquals(dir.resolve("evil.ckpt") + ": data.pkl: refusing pickle global os.system (only torch tensor/storage globals"
                + " and plain containers are allowed; nothing was run) (at byte 2)", e.getMessage());
        assertFalse(Files.exists(marker));
        // the same through STACK_GLOBAL (protocol 4), and a harmless-looking builtin that is not data
        byte[] p4 = new TorchFiles.Pickler().proto(4).str("builtins").str("eval").op(0x93).str("1").op(0x85).op('R').stop().bytes();
        assertTrue(refused("evil4.ckpt", p4, Map.of()).getMessage().contains("refusing pickle global builtins.eval"));
    }

    @Test void anUnknownOpcodeIsRefused() throws Exception {
        var e = refused("op.ckpt", new TorchFiles.Pickler().proto(2).op(0xff).bytes(), Map.of());
        assertTrue(e.getMessage().endsWith("data.pkl: unknown pickle opcode 0xff (at byte 2)"), e.getMessage());
        e = refused("inst.ckpt", new TorchFiles.Pickler().proto(2).mark().op('i').bytes(), Map.of());
        assertTrue(e.getMessage().contains("unsupported pickle opcode 0x69 INST"), e.getMessage());
    }

    @Test void aTruncatedPickleIsRefused() throws Exception {
        byte[] pkl = new TorchFiles.Pickler().proto(2).emptyDict().str("state_dict").bytes();
        var e = refused("short.ckpt", Arrays.copyOf(pkl, pkl.length - 3), Map.of());
        assertTrue(e.getMessage().contains("pickle ends early"), e.getMessage());
    }

    @Test void aStorageShorterThanItsTensorIsRefused() throws Exception {
        // the storage declares 16 elements, the archive holds 8 of them
        byte[] pkl = new TorchFiles.Pickler().proto(2).emptyDict().str("s_embedder.proj.weight")
                .tensor("FloatStorage", "0", 16, 0, new long[]{4, 4}, new long[]{4, 1}).op('s').stop().bytes();
        var e = refused("trunc_storage.pt", pkl, Map.of("0", TorchFiles.f32(new float[8])));
        assertTrue(e.getMessage().contains("storage data/0 holds 32 bytes but declares 16 elements of F32 (64 bytes): truncated"), e.getMessage());
        // the storage is whole, but the tensor view reaches past it (offset 2, 4×4)
        pkl = new TorchFiles.Pickler().proto(2).emptyDict().str("s_embedder.proj.weight")
                .tensor("FloatStorage", "0", 16, 2, new long[]{4, 4}, new long[]{4, 1}).op('s').stop().bytes();
        e = refused("view_out.pt", pkl, Map.of("0", TorchFiles.f32(new float[16])));
        assertTrue(e.getMessage().contains("reaches element 17 but storage data/0 has only 16 elements of F32"), e.getMessage());
        // a storage entry that is not in the archive at all
        e = refused("no_storage.pt", pkl, Map.of());
        assertTrue(e.getMessage().contains("storage archive/data/0 is missing"), e.getMessage());
    }

    @Test void aTruncatedZipIsRefused() throws Exception {
        byte[] whole = Files.readAllBytes(golden("torch_tiny_fp32.ckpt"));
        Path f = dir.resolve("half.ckpt");
        Files.write(f, Arrays.copyOf(whole, whole.length / 2));
        var e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.load(f, Weights.EMA));
        assertOneLine(f, e);
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test void aZipWithoutDataPklIsRefused() throws Exception {
        Path f = dir.resolve("nopkl.ckpt");
        TorchFiles.zip(f, Map.of("archive/version", "3\n".getBytes()));
        var e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.load(f, Weights.EMA));
        assertOneLine(f, e);
        assertTrue(e.getMessage().contains("zip without <dir>/data.pkl"), e.getMessage());
    }

    @Test void wrongMagicIsRefused() throws Exception {
        Path f = dir.resolve("model.safetensors");
        Files.write(f, new byte[]{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '});
        var e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.load(f, Weights.EMA));
        assertEquals(f + ": wrong magic 08 00 00 00: not a torch checkpoint (torch.save writes a zip archive starting with 50 4b 03 04)",
                e.getMessage());
        Path legacy = dir.resolve("legacy.pt");
        Files.write(legacy, new byte[]{(byte) 0x80, 2, (byte) 0x8a, 10});
        e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.load(legacy, Weights.EMA));
        assertTrue(e.getMessage().contains("legacy pre-1.6"), e.getMessage());
        Path missing = dir.resolve("missing.ckpt");
        e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.load(missing, Weights.EMA));
        assertEquals(missing + ": no such file", e.getMessage());
    }

    @Test void aCorruptPickleEntryFailsItsCrc() throws Exception {
        byte[] whole = Files.readAllBytes(golden("torch_tiny_plain.pt"));
        int at = indexOf(whole, "collections".getBytes());
        assertTrue(at > 0);
        whole[at] = 'C';
        Path f = dir.resolve("crc.pt");
        Files.write(f, whole);
        var e = assertThrows(SafetensorsException.class, () -> TorchCheckpoint.load(f, Weights.EMA));
        assertOneLine(f, e);
        assertTrue(e.getMessage().contains("data.pkl is corrupt (CRC-32"), e.getMessage());
    }

    private static int indexOf(byte[] a, byte[] b) {
        outer:
        for (int i = 0; i + b.length <= a.length; i++) {
            for (int j = 0; j < b.length; j++) if (a[i + j] != b[j]) continue outer;
            return i;
        }
        return -1;
    }
}
