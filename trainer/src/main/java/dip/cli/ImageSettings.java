package dip.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How one image of {@code dip sample} was made, as stored in its PNG (a tEXt chunk with keyword {@value #KEYWORD},
 * JSON, ASCII only): enough for {@code dip sample --from-png} to make it again, bit for bit. The checkpoint is named
 * by its SHA-256 (so a renamed file still matches, and a changed one is caught) and by the path it was given as.
 * Floats are written with Java's shortest round-trip form, so they read back to the same float.
 * <p>
 * Why the batch is recorded too: an image's noise depends only on (seed, index), and no operation of the model mixes
 * images, but the Java engine's matmul sums in another order for fewer than 32 rows (gemv) than for more (GEMM),
 * so the same image made in another batch size can differ in the last float bits, and rarely by one uint8 step.
 * So {@code --from-png} remakes the image's whole chunk (same images, labels, --batch and engine): same bits, same
 * PNG bytes. {@code chunkLabels} is an array, so this record's equals compares it by identity (never used).
 */
record ImageSettings(String checkpoint, String sha256, String weights, int imageSize, int label, String className,
                     long seed, long index, String solver, int steps, float cfgScale, float lo, float hi, float timeshift,
                     int batch, long chunkFirst, int[] chunkLabels, String engine) {
    static final String KEYWORD = "dip";
    private static final ObjectMapper JSON = new ObjectMapper();

    String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("tool", "dip sample");
        n.put("checkpoint", checkpoint);
        n.put("checkpoint_sha256", sha256);
        n.put("weights", weights);
        n.put("image_size", imageSize);
        n.put("class", label);
        n.put("class_name", className);
        n.put("seed", seed);
        n.put("index", index);
        n.put("solver", solver);
        n.put("steps", steps);
        n.put("cfg_scale", Float.toString(cfgScale));
        n.put("cfg_interval", Float.toString(lo) + "," + Float.toString(hi));
        n.put("timeshift", Float.toString(timeshift));
        n.put("batch", batch);
        n.put("chunk_first", chunkFirst);
        var arr = n.putArray("chunk_labels");
        for (int l : chunkLabels) arr.add(l);
        n.put("engine", engine);
        try {
            return asciiOnly(JSON.writeValueAsString(n));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Non-ASCII characters as JSON \\uXXXX escapes (tEXt is Latin-1; this keeps it 7-bit). */
    private static String asciiOnly(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c < 0x80) b.append(c);
            else b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
        }
        return b.toString();
    }

    /** Parses the JSON; a missing or wrong field is an IllegalArgumentException naming it. */
    static ImageSettings fromJson(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("its '" + KEYWORD + "' text is not JSON");
        }
        String[] interval = text(n, "cfg_interval").split(",");
        if (interval.length != 2) throw new IllegalArgumentException("cfg_interval is not LO,HI");
        return new ImageSettings(text(n, "checkpoint"), text(n, "checkpoint_sha256"), text(n, "weights"),
                integer(n, "image_size"), integer(n, "class"), text(n, "class_name"), number(n, "seed"), number(n, "index"),
                text(n, "solver"), integer(n, "steps"), real(text(n, "cfg_scale"), "cfg_scale"), real(interval[0], "cfg_interval"),
                real(interval[1], "cfg_interval"), real(text(n, "timeshift"), "timeshift"), integer(n, "batch"),
                number(n, "chunk_first"), labels(n), text(n, "engine"));
    }

    private static int[] labels(JsonNode n) {
        JsonNode a = field(n, "chunk_labels");
        if (!a.isArray() || a.isEmpty()) throw new IllegalArgumentException("its 'chunk_labels' is not a list of classes");
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).canConvertToInt()) throw new IllegalArgumentException("its 'chunk_labels' is not a list of classes");
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static JsonNode field(JsonNode n, String name) {
        JsonNode f = n == null ? null : n.get(name);
        if (f == null || f.isNull()) throw new IllegalArgumentException("its settings have no '" + name + "'");
        return f;
    }

    private static String text(JsonNode n, String name) { return field(n, name).asText(); }

    private static long number(JsonNode n, String name) {
        JsonNode f = field(n, name);
        if (!f.canConvertToLong()) throw new IllegalArgumentException("its '" + name + "' is not an integer");
        return f.asLong();
    }

    private static int integer(JsonNode n, String name) { return Math.toIntExact(number(n, name)); }

    private static float real(String s, String name) {
        try {
            return Float.parseFloat(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("its '" + name + "' is not a number: " + s);
        }
    }

    /** SHA-256 of a file, lowercase hex (streamed: a 2.5 GB checkpoint takes a few seconds). */
    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int r; (r = in.read(buf)) > 0; ) md.update(buf, 0, r);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
