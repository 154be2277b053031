package dip.trainer;

import dip.io.ModelWeights;
import dip.io.SafetensorsException;
import dip.layers.Param;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainCheckpointTest {
    static final ToyData DATA = new ToyData(20, 2, 4, 3, 5);     // 5 steps per epoch at batch 4
    static final TrainConfig CFG = new TrainConfig(4, 1e-2, 0.9, 0.99, 0.01, 0.9, 0.3, 3, 0.5, 11);

    static TrainState fromHeader(TrainCheckpoint.Header h) {
        ToyDenoiser m = new ToyDenoiser(h.model().imageSize(), h.model().channels(), h.model().numClasses(), 4,
                TrainState.initRng(h.train().seed() + 1));    // deliberately other init: restore must overwrite it
        return new TrainState(m, h.train(), h.dataSize());
    }

    static void assertSameState(TrainState a, TrainState b) {
        assertEquals(a.step(), b.step());
        assertEquals(a.adamw.stepCount(), b.adamw.stepCount());
        assertEquals(a.position(), b.position());
        assertArrayEquals(a.noiseRng.state(), b.noiseRng.state());
        for (int i = 0; i < a.model.params().size(); i++) {
            Param pa = a.model.params().all().get(i), pb = b.model.params().all().get(i);
            assertArrayEquals(pa.values(), pb.values(), 0f, "weights " + pa.name());
            assertArrayEquals(a.ema.weights(i), b.ema.weights(i), 0f, "ema " + pa.name());
            assertArrayEquals(a.adamw.firstMoment(i), b.adamw.firstMoment(i), 0f, "exp_avg " + pa.name());
            assertArrayEquals(a.adamw.secondMoment(i), b.adamw.secondMoment(i), 0f, "exp_avg_sq " + pa.name());
        }
    }

    static Path trainTo(Path dir, long steps) throws IOException {
        Path f = dir.resolve("last.safetensors");
        TrainState s = new TrainState(ToyDenoiser.of(DATA, 4, CFG.seed()), CFG, DATA.size());
        new TrainLoop(s, DATA, new ProgressListener() { }, st -> {
            TrainCheckpoint.save(f, st, DATA.describe());
            return f;
        }, 0).run(100, steps);
        return f;
    }

    @Test
    void resumingContinuesBitForBit(@TempDir Path dir) throws Exception {
        int k = 7;                                                 // stops mid-epoch 2
        TrainState straight = new TrainState(ToyDenoiser.of(DATA, 4, CFG.seed()), CFG, DATA.size());
        new TrainLoop(straight, DATA, new ProgressListener() { }, st -> dir, 0).run(100, 2 * k);

        Path f = trainTo(dir, k);
        TrainCheckpoint.Header h = TrainCheckpoint.readHeader(f);
        assertEquals(k, h.step());
        assertEquals(1, h.epoch());
        assertEquals(2, h.position());
        assertEquals(CFG, h.train());
        TrainState resumed = fromHeader(h);
        TrainCheckpoint.restore(f, resumed);
        new TrainLoop(resumed, DATA, new ProgressListener() { }, st -> dir, 0).run(100, 2 * k);
        assertSameState(straight, resumed);
    }

    @Test
    void resumingAtAnEpochBoundaryAlsoContinuesBitForBit(@TempDir Path dir) throws Exception {
        TrainState straight = new TrainState(ToyDenoiser.of(DATA, 4, CFG.seed()), CFG, DATA.size());
        new TrainLoop(straight, DATA, new ProgressListener() { }, st -> dir, 0).run(100, 10);
        Path f = trainTo(dir, 5);
        TrainState resumed = fromHeader(TrainCheckpoint.readHeader(f));
        TrainCheckpoint.restore(f, resumed);
        new TrainLoop(resumed, DATA, new ProgressListener() { }, st -> dir, 0).run(100, 10);
        assertSameState(straight, resumed);
    }

    @Test
    void theEmaWeightsLoadWithModelWeightsForSampling(@TempDir Path dir) throws Exception {
        Path f = trainTo(dir, 3);
        TrainState s = fromHeader(TrainCheckpoint.readHeader(f));
        TrainCheckpoint.restore(f, s);
        ToyDenoiser other = new ToyDenoiser(4, 2, 3, 4, TrainState.initRng(99));
        ModelWeights.load(f, other.params(), ModelWeights.EMA_PREFIX);
        assertArrayEquals(s.ema.weights(0), other.params().all().get(0).values(), 0f);
        assertEquals(ModelWeights.EMA_PREFIX, ModelWeights.detectPrefix(f));
    }

    @Test
    void aTruncatedCheckpointFailsNamingTheFile(@TempDir Path dir) throws Exception {
        Path f = trainTo(dir, 2);
        byte[] all = Files.readAllBytes(f);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(all, all.length - 10));
        var e = assertThrows(SafetensorsException.class, () -> TrainCheckpoint.readHeader(cut));
        assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
        Files.write(cut, Arrays.copyOf(all, 5));
        assertThrows(SafetensorsException.class, () -> TrainCheckpoint.readHeader(cut));
    }

    @Test
    void aCorruptHeaderFails(@TempDir Path dir) throws Exception {
        Path f = trainTo(dir, 2);
        byte[] all = Files.readAllBytes(f);
        for (int i = 8; i < 40; i++) all[i] = 'x';
        Files.write(f, all);
        var e = assertThrows(SafetensorsException.class, () -> TrainCheckpoint.readHeader(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void aWeightsOnlyFileIsNotResumable(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("weights.safetensors");
        ToyDenoiser m = ToyDenoiser.of(DATA, 4, 1);
        ModelWeights.save(f, m.params(), m.config());
        var e = assertThrows(SafetensorsException.class, () -> TrainCheckpoint.readHeader(f));
        assertTrue(e.getMessage().contains("not a training checkpoint"), e.getMessage());
    }

    @Test
    void aStateOfAnotherShapeIsRefusedBeforeAnythingChanges(@TempDir Path dir) throws Exception {
        Path f = trainTo(dir, 2);
        TrainCheckpoint.Header h = TrainCheckpoint.readHeader(f);
        TrainState s = fromHeader(h);
        Param emb = s.model.params().get("toy.emb");
        float before = emb.get(0);
        Files.write(f, corruptShape(Files.readAllBytes(f)));
        var e = assertThrows(SafetensorsException.class, () -> TrainCheckpoint.restore(f, s));
        assertTrue(e.getMessage().contains("toy.emb"), e.getMessage());
        assertEquals(before, emb.get(0));
    }

    /** Rewrites the header's shape of denoiser.toy.emb from [4,2] to [2,4] (same byte count, same length). */
    static byte[] corruptShape(byte[] file) {
        String s = new String(file, java.nio.charset.StandardCharsets.ISO_8859_1);
        String from = "\"denoiser.toy.emb\":{\"dtype\":\"F32\",\"shape\":[4,2]";
        int i = s.indexOf(from);
        assertTrue(i > 0, "header layout changed: " + s.substring(0, 200));
        String to = from.replace("[4,2]", "[2,4]");
        return (s.substring(0, i) + to + s.substring(i + from.length())).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
