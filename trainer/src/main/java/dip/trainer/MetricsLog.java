package dip.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON-lines metrics log (metrics.jsonl), one object per step:
 * {"step", "epoch", "loss", "lr", "grad_norm", "images_per_sec", "wall_time"}, wall time in seconds since the run
 * first started (continued across resumes). On resume the lines after the checkpoint's step, left by a run that died
 * after its last checkpoint, are dropped first, so the file always describes one run. Flushed every line.
 */
public final class MetricsLog implements ProgressListener, Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One logged step (what LossPlot draws). */
    public record Entry(long step, double loss) {
    }

    private final BufferedWriter out;
    private final double wallOffset;

    /** Opens (creating) the log, keeping only lines with step ≤ keepUpTo (0 for a fresh run: starts empty). */
    public MetricsLog(Path file, long keepUpTo) throws IOException {
        List<String> kept = new ArrayList<>();
        double wall = 0;
        if (keepUpTo > 0 && Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                JsonNode n = parse(line);
                if (n == null || n.path("step").asLong(Long.MAX_VALUE) > keepUpTo) continue;
                kept.add(line);
                wall = Math.max(wall, n.path("wall_time").asDouble(0));
            }
        }
        Files.write(file, kept, StandardCharsets.UTF_8);
        wallOffset = wall;
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    @Override
    public void onStep(StepStats s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", s.step());
        o.put("epoch", s.epoch());
        o.put("loss", s.loss());
        o.put("lr", s.lr());
        o.put("grad_norm", s.gradNorm());
        o.put("images_per_sec", s.imagesPerSec());
        o.put("wall_time", wallOffset + s.wallSeconds());
        try {
            out.write(JSON.writeValueAsString(o));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the metrics log: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException { out.close(); }

    /** (step, loss) of every readable line, in file order. */
    public static List<Entry> readLosses(Path file) throws IOException {
        List<Entry> r = new ArrayList<>();
        if (!Files.exists(file)) return r;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            JsonNode n = parse(line);
            if (n != null && n.has("step") && n.has("loss")) r.add(new Entry(n.get("step").asLong(), n.get("loss").asDouble()));
        }
        return r;
    }

    private static JsonNode parse(String line) {
        if (line.isBlank()) return null;
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            return null;    // a line cut short by a crash
        }
    }
}
