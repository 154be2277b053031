package dip.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dip.sampler.ImageWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run's outputs: metrics.jsonl, loss.png, the sample grid, the console lines. */
class OutputsTest {
    static ProgressListener.StepStats stats(long step, double loss, double wall) {
        return new ProgressListener.StepStats(step, 10, 1, 2, loss, 1e-4, 0.5, 100, wall);
    }

    @Test
    void metricsLogWritesOneJsonObjectPerStepAndTrimsOnResume(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(f, 0)) {
            for (int s = 1; s <= 5; s++) log.onStep(stats(s, 1.0 / s, s * 0.5));
        }
        List<String> lines = Files.readAllLines(f);
        assertEquals(5, lines.size());
        var n = new ObjectMapper().readTree(lines.get(1));
        for (String k : List.of("step", "epoch", "loss", "lr", "grad_norm", "images_per_sec", "wall_time")) {
            assertTrue(n.has(k), "missing " + k + " in " + lines.get(1));
        }
        assertEquals(2, n.get("step").asLong());
        assertEquals(0.5, n.get("loss").asDouble(), 0);

        Files.writeString(f, Files.readString(f) + "{\"step\": 6, \"lo", StandardCharsets.UTF_8);  // a torn last line
        try (MetricsLog log = new MetricsLog(f, 3)) {     // resumed from the step-3 checkpoint
            log.onStep(stats(4, 0.9, 1.0));
        }
        List<MetricsLog.Entry> e = MetricsLog.readLosses(f);
        assertEquals(List.of(1L, 2L, 3L, 4L), e.stream().map(MetricsLog.Entry::step).toList());
        assertEquals(0.9, e.get(3).loss(), 0);
        var last = new ObjectMapper().readTree(Files.readAllLines(f).get(3));
        assertEquals(1.5 + 1.0, last.get("wall_time").asDouble(), 1e-12, "wall time continues after the kept lines");
    }

    @Test
    void lossPlotWritesAPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("loss.png");
        LossPlot.write(png, List.of(new MetricsLog.Entry(1, 1.2), new MetricsLog.Entry(2, 0.9),
                new MetricsLog.Entry(3, 0.8)), "toy");
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(800, img.getWidth());
        assertEquals(480, img.getHeight());
        assertTrue(Files.notExists(dir.resolve("loss.png.tmp")));
    }

    @Test
    void gridSamplesFromTheEmaAndLeavesTheLiveWeightsAlone(@TempDir Path dir) throws Exception {
        ToyData data = new ToyData(8, 1, 4, 3, 1);
        TrainState s = new TrainState(ToyDenoiser.of(data, 4, 1), new TrainConfig(4, 1e-2, 0.9, 0.999, 0, 0.5, 0.1, 0, 0, 1), 8);
        new TrainLoop(s, data, new ProgressListener() { }, st -> dir, 0).run(1, 2);
        float[] live = s.model.params().all().get(0).values();
        var opt = new SampleGrid.Options(2, 3, 2.0f, 0.11f, 0.97f, 7);
        SampleGrid grid = new SampleGrid(ToyDenoiser.of(data, 4, 1), opt);
        float[] a = grid.sampleEma(s), b = grid.sampleEma(s);
        assertArrayEquals(a, b, 0f, "fixed seed → the same grid");
        assertArrayEquals(live, s.model.params().all().get(0).values(), 0f, "live weights untouched");
        s.ema.swap();                                      // sampling the live weights instead gives other images
        float[] fromLive = grid.sampleEma(s);
        s.ema.swap();
        assertNotEquals(a[0], fromLive[0]);
        var other = new TrainState(ToyDenoiser.of(new ToyData(8, 1, 4, 5, 1), 4, 1), s.config, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> grid.sampleEma(other));
        assertTrue(e.getMessage().contains("not the training model's"), e.getMessage());
        Path png = dir.resolve("samples_epoch1.png");
        grid.write(png, s, data.classNames(), "epoch 1");
        BufferedImage img = ImageIO.read(png.toFile());
        int cell = 4 * ImageWriter.defaultScale(4);
        assertTrue(img.getHeight() >= 3 * cell && img.getHeight() < 4 * cell, "3 rows of " + cell + " px: " + img.getHeight());
        assertTrue(img.getWidth() >= 2 * cell, "2 columns: " + img.getWidth());
        assertTrue(Files.notExists(dir.resolve("samples_epoch1.png.tmp")));
    }

    @Test
    void plainProgressPrintsEveryNthStep() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 2)) {
            p.onStart(0, 10, 0, 2);
            for (int s = 1; s <= 3; s++) p.onStep(stats(s, 0.25, s));
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("step 2/10 | epoch 1/2 | loss 0.2500"), out);
        assertTrue(!out.contains("step 3/10"), out);
        assertEquals("01:02:03", ConsoleProgress.hms(3723));
    }

    @Test
    void theEtaLeavesOutTheFirstStepWhichAlsoCompiles() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long[] now = {0};
        try (ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 1,
                () -> now[0])) {
            p.onStart(0, 10, 0, 2);
            now[0] = 60_000_000_000L;                     // step 1: 60 s, compiling the device kernels
            p.onStep(stats(1, 0.25, 1));
            now[0] += 1_000_000_000L;                     // steps 2 and 3: 1 s each
            p.onStep(stats(2, 0.25, 1));
            now[0] += 1_000_000_000L;
            p.onStep(stats(3, 0.25, 1));
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("step 3/10") && out.contains("eta 00:00:07"), "7 steps left at 1 s each: " + out);
    }

    @Test
    void liveBarRendersStepsAndLoss() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, 1)) {
            p.onStart(0, 10, 0, 2);
            p.onStep(stats(4, 0.125, 1));
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("4/10") && out.contains("loss 0.1250"), out);
    }
}
