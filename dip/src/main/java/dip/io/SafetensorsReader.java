package dip.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open safetensors file. Opening reads and validates the whole header (every check the reference reader makes:
 * JSON, dtypes, shapes, offsets that match shape×dtype and tile the data section with no gap or overlap, the file
 * long enough); tensors are then read one at a time through the FileChannel, in 1 MiB chunks, so a 2.5 GB
 * checkpoint never becomes one byte[]. Not thread-safe (one transfer buffer). Every failure is a {@link SafetensorsException} naming the file.
 */
public final class SafetensorsReader implements Closeable {
    /** The reference implementation's limit on the JSON header. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final int CHUNK = 1 << 20;
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path file;
    private final FileChannel ch;
    private final long dataStart;                          // 8 + header length
    private final Map<String, TensorInfo> tensors;          // header order
    private final Map<String, String> metadata;
    private ByteBuffer chunk;                              // lazily allocated; a reader is used by one thread

    private SafetensorsReader(Path file, FileChannel ch, long dataStart, Map<String, TensorInfo> tensors,
                              Map<String, String> metadata) {
        this.file = file; this.ch = ch; this.dataStart = dataStart; this.tensors = tensors; this.metadata = metadata;
    }

    /** Opens and validates {@code file}; the caller closes the reader. */
    public static SafetensorsReader open(Path file) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(file, "no such file");
        }
        try {
            long size = ch.size();
            if (size < 8) throw new SafetensorsException(file, "file is " + size + " bytes, shorter than the 8-byte header length (not a safetensors file?)");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(file, ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n < 0 || n > size - 8) {
                throw new SafetensorsException(file, "header length " + Long.toUnsignedString(n) + " is larger than the "
                        + (size - 8) + " bytes after it (truncated, or not a safetensors file)");
            }
            if (n > MAX_HEADER_BYTES) throw new SafetensorsException(file, "header length " + n + " exceeds the 100 MB limit");
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(file, ch, hb, 8);
            var h = parseHeader(file, hb.array(), size - 8 - n);
            return new SafetensorsReader(file, ch, 8 + n, h.tensors, h.metadata);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path file() { return file; }

    /** The {@code __metadata__} map (empty when the file has none). */
    public Map<String, String> metadata() { return metadata; }

    /** All tensors' header entries, by name, in header order. */
    public Map<String, TensorInfo> tensors() { return tensors; }

    /** Reads one tensor into a new array (F16/BF16 widened to float). */
    public Tensor read(String name) throws IOException {
        TensorInfo t = info(name);
        Object data = switch (t.dtype()) {
            case F32, F16, BF16 -> { float[] a = new float[t.numel()]; readFloats(t, a, 0); yield a; }
            case I32 -> readInts(t);
            case I64 -> readLongs(t);
        };
        return new Tensor(t.name(), t.dtype(), t.shape(), data);
    }

    /** Reads a float tensor (F32, F16 or BF16) into dst[off .. off + numel). */
    public void readFloats(TensorInfo t, float[] dst, int off) throws IOException {
        if (!t.dtype().isFloat()) throw new SafetensorsException(file, "tensor " + t.name() + " is " + t.dtype() + ", not a float tensor");
        int n = t.numel();
        if (off < 0 || off + n > dst.length) throw new IllegalArgumentException("destination too small for " + t);
        ByteBuffer buf = chunk();
        int done = 0;
        long pos = dataStart + t.begin();
        int per = t.dtype().bytes();
        while (done < n) {
            int k = Math.min(n - done, CHUNK / per);
            buf.clear().limit(k * per);
            readFully(file, ch, buf, pos);
            buf.flip();
            if (t.dtype() == DType.F32) {
                buf.asFloatBuffer().get(dst, off + done, k);
            } else {
                var sb = buf.asShortBuffer();
                boolean bf = t.dtype() == DType.BF16;
                for (int i = 0; i < k; i++) {
                    short s = sb.get(i);
                    dst[off + done + i] = bf ? HalfFloats.bf16ToFloat(s) : HalfFloats.f16ToFloat(s);
                }
            }
            done += k;
            pos += (long) k * per;
        }
    }

    private int[] readInts(TensorInfo t) throws IOException {
        int[] a = new int[t.numel()];
        ByteBuffer buf = chunk();
        for (int done = 0; done < a.length; ) {
            int k = Math.min(a.length - done, CHUNK / 4);
            buf.clear().limit(k * 4);
            readFully(file, ch, buf, dataStart + t.begin() + 4L * done);
            buf.flip().asIntBuffer().get(a, done, k);
            done += k;
        }
        return a;
    }

    private long[] readLongs(TensorInfo t) throws IOException {
        long[] a = new long[t.numel()];
        ByteBuffer buf = chunk();
        for (int done = 0; done < a.length; ) {
            int k = Math.min(a.length - done, CHUNK / 8);
            buf.clear().limit(k * 8);
            readFully(file, ch, buf, dataStart + t.begin() + 8L * done);
            buf.flip().asLongBuffer().get(a, done, k);
            done += k;
        }
        return a;
    }

    /** The reader's one transfer buffer: direct, so a channel read and a bulk get are each one copy. */
    private ByteBuffer chunk() {
        if (chunk == null) chunk = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        return chunk;
    }

    private TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new SafetensorsException(file, "no tensor named " + name);
        return t;
    }

    @Override
    public void close() throws IOException { ch.close(); }

    // ---------------------------------------------------------------- header parsing and validation

    private record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata) {}

    private static Header parseHeader(Path file, byte[] bytes, long dataBytes) throws SafetensorsException {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new SafetensorsException(file, "malformed JSON header: " + oneLine(e.getOriginalMessage())
                    + (loc != null ? " (at byte " + loc.getByteOffset() + " of the header)" : ""));
        } catch (IOException e) {
            throw new SafetensorsException(file, "unreadable JSON header: " + oneLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(file, "the JSON header is not an object (got " + (root == null ? "nothing" : root.getNodeType()) + ")");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals(Safetensors.METADATA_KEY)) {
                parseMetadata(file, e.getValue(), metadata);
            } else {
                tensors.put(e.getKey(), parseEntry(file, e.getKey(), e.getValue()));
            }
        }
        checkLayout(file, tensors, dataBytes);
        return new Header(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static void parseMetadata(Path file, JsonNode m, Map<String, String> out) throws SafetensorsException {
        if (!m.isObject()) throw new SafetensorsException(file, "__metadata__ must be an object of strings, got " + m.getNodeType());
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(file, "__metadata__ value of '" + e.getKey() + "' must be a string, got " + e.getValue().getNodeType());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo parseEntry(Path file, String name, JsonNode e) throws SafetensorsException {
        String where = "tensor " + name;
        if (name.isEmpty()) throw new SafetensorsException(file, "a tensor has an empty name");
        if (!e.isObject()) throw new SafetensorsException(file, where + ": entry must be an object, got " + e.getNodeType());
        JsonNode dt = e.get("dtype"), sh = e.get("shape"), off = e.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new SafetensorsException(file, where + ": missing or non-string \"dtype\"");
        DType dtype = DType.parse(dt.textValue());
        if (dtype == null) {
            throw new SafetensorsException(file, where + ": unsupported dtype '" + dt.textValue() + "' (this reader knows F32, F16, BF16, I32, I64)");
        }
        if (sh == null || !sh.isArray()) throw new SafetensorsException(file, where + ": missing or non-array \"shape\"");
        int[] shape = new int[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            long d = nonNegative(file, where + ": shape", sh.get(i));
            if (d > Integer.MAX_VALUE) throw new SafetensorsException(file, where + ": dimension " + d + " is too large");
            shape[i] = (int) d;
        }
        long numel;
        try {
            numel = Tensor.numel(name, shape);
        } catch (IllegalArgumentException ex) {
            throw new SafetensorsException(file, ex.getMessage());
        }
        if (off == null || !off.isArray() || off.size() != 2) {
            throw new SafetensorsException(file, where + ": \"data_offsets\" must be an array [begin, end]");
        }
        long begin = nonNegative(file, where + ": data_offsets", off.get(0));
        long end = nonNegative(file, where + ": data_offsets", off.get(1));
        if (end < begin) throw new SafetensorsException(file, where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        long need = numel * dtype.bytes();
        if (end - begin != need) {
            throw new SafetensorsException(file, where + ": data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes but " + dtype + java.util.Arrays.toString(shape) + " needs " + need);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long nonNegative(Path file, String what, JsonNode v) throws SafetensorsException {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
            throw new SafetensorsException(file, what + " must hold non-negative integers, got " + v);
        }
        return v.longValue();
    }

    /** The tensors must tile [0, dataBytes) exactly, as the reference reader requires. */
    private static void checkLayout(Path file, Map<String, TensorInfo> tensors, long dataBytes) throws SafetensorsException {
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long pos = 0;
        TensorInfo prev = null;
        for (TensorInfo t : byOffset) {
            if (t.begin() < pos) {
                throw new SafetensorsException(file, "tensors " + prev.name() + " [" + prev.begin() + ", " + prev.end() + ") and "
                        + t.name() + " [" + t.begin() + ", " + t.end() + ") overlap");
            }
            if (t.begin() > pos) {
                throw new SafetensorsException(file, "tensor " + t.name() + " begins at data byte " + t.begin() + " but the bytes before it end at "
                        + pos + " (gaps are not allowed)");
            }
            if (t.end() > dataBytes) {
                throw new SafetensorsException(file, "data is truncated: tensor " + t.name() + " ends at data byte " + t.end()
                        + " but the file holds only " + dataBytes + " data bytes");
            }
            pos = t.end();
            prev = t;
        }
        if (pos != dataBytes) {
            throw new SafetensorsException(file, (dataBytes - pos) + " bytes follow the last tensor that the header does not describe");
        }
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new SafetensorsException(file, "unexpected end of file at byte " + pos + " (truncated while reading?)");
            pos += r;
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
