package dip.io;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format (huggingface/safetensors), read and written in plain Java:
 * <pre>
 *   u64 little-endian N | N bytes of JSON header, space-padded to a multiple of 8 | raw little-endian tensor data
 *   header: {"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..}
 * </pre>
 * Offsets are relative to the first data byte. Reading is {@link SafetensorsReader} (validating, chunked);
 * writing here is atomic ({@link AtomicFile}). This is how checkpoints move between this project and PyTorch.
 */
public final class Safetensors {
    /** The header key that holds the string-to-string metadata map. */
    public static final String METADATA_KEY = "__metadata__";
    private static final int CHUNK = 1 << 20;
    private static final JsonMapper JSON = new JsonMapper();

    private Safetensors() {}

    /** A whole file in memory: its metadata and tensors by name, in header order. */
    public record Contents(Map<String, String> metadata, Map<String, Tensor> tensors) {
        public Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException("no tensor named " + name + " (have " + tensors.keySet() + ")");
            return t;
        }
    }

    /** Opens a file for reading tensor by tensor (validated header; see {@link SafetensorsReader}). */
    public static SafetensorsReader open(Path file) throws IOException {
        return SafetensorsReader.open(file);
    }

    /** Reads and validates a whole file. Needs memory for all its tensors (as float[]/int[]/long[]). */
    public static Contents read(Path file) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : r.tensors().keySet()) out.put(name, r.read(name));
            return new Contents(r.metadata(), Collections.unmodifiableMap(out));
        }
    }

    /**
     * Writes {@code tensors} and {@code metadata} to {@code file} atomically: old file or new file, never a torn one.
     * Data is laid out by element size, largest first (as the reference writer does, so every tensor is aligned to
     * its element size), keeping the given order within a size. F16 and BF16 tensors are rounded to nearest even.
     */
    public static void write(Path file, Collection<Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<Tensor> layout = new ArrayList<>(tensors);
        var seen = new HashSet<String>();
        for (Tensor t : layout) {
            if (!seen.add(t.name())) throw new IllegalArgumentException(file + ": tensor " + t.name() + " given twice");
        }
        layout.sort(Comparator.comparingInt((Tensor t) -> -t.dtype().bytes()));   // stable: keeps order within a size
        byte[] header = header(layout, metadata);
        AtomicFile.write(file, ch -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(header.length).flip();
            writeFully(ch, buf);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Tensor t : layout) writeData(ch, buf, t);
        });
    }

    /**
     * The JSON header bytes, padded with spaces so that 8 + length is a multiple of 8. Metadata keys are written in
     * sorted order, whatever map they come in: the iteration order of {@code Map.of} changes from one JVM run to the
     * next, and the same checkpoint must give the same bytes.
     */
    static byte[] header(List<Tensor> layout, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject(METADATA_KEY);
            metadata.forEach((k, v) -> {
                if (k == null || v == null) throw new IllegalArgumentException("metadata keys and values must be non-null: " + k + "=" + v);
            });
            new TreeMap<>(metadata).forEach(m::put);
        }
        long off = 0;
        for (Tensor t : layout) {
            ObjectNode e = root.putObject(t.name());
            e.put("dtype", t.dtype().name());
            ArrayNode shape = e.putArray("shape");
            for (int d : t.shape()) shape.add(d);
            long end = off + (long) t.numel() * t.dtype().bytes();
            e.putArray("data_offsets").add(off).add(end);
            off = end;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) out[i] = ' ';
        return out;
    }

    private static void writeData(FileChannel ch, ByteBuffer buf, Tensor t) throws IOException {
        int n = t.numel();
        int per = t.dtype().bytes();
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, CHUNK / per);
            buf.clear();
            switch (t.dtype()) {
                case F32 -> buf.asFloatBuffer().put(t.floats(), done, k);
                case I32 -> buf.asIntBuffer().put(t.ints(), done, k);
                case I64 -> buf.asLongBuffer().put(t.longs(), done, k);
                case F16, BF16 -> {
                    var sb = buf.asShortBuffer();
                    float[] f = t.floats();
                    boolean bf = t.dtype() == DType.BF16;
                    for (int i = 0; i < k; i++) sb.put(i, bf ? HalfFloats.floatToBf16(f[done + i]) : HalfFloats.floatToF16(f[done + i]));
                }
            }
            buf.limit(k * per);
            writeFully(ch, buf);
            done += k;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }
}
