package dip.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsTest {
    @TempDir Path dir;

    @Test void roundTripsEveryDtypeAndMetadata() throws IOException {
        Path f = dir.resolve("all.safetensors");
        float[] w = {1.5f, -2.25f, 0f, 3e-5f, 1e30f, -0f};
        float[] half = {1f, -2f, 0.5f, 65504f};                  // exact in F16 and BF16
        List<Tensor> ts = List.of(
                Tensor.f32("w", new int[]{2, 3}, w),
                new Tensor("h", DType.F16, new int[]{4}, half),
                new Tensor("b", DType.BF16, new int[]{2, 2}, new float[]{1f, -2f, 3.140625f, 0.5f}),
                Tensor.i32("i", new int[]{3}, new int[]{-1, 0, Integer.MAX_VALUE}),
                Tensor.i64("l", new int[]{2}, new long[]{Long.MIN_VALUE, 42L}),
                Tensor.f32("scalar", new int[]{}, new float[]{7f}),
                Tensor.f32("empty", new int[]{0, 5}, new float[0]));
        Safetensors.write(f, ts, Map.of("step", "12", "note", "ünïcode ✓"));

        var c = Safetensors.read(f);
        assertEquals(Map.of("step", "12", "note", "ünïcode ✓"), c.metadata());
        assertEquals(ts.size(), c.tensors().size());
        assertArrayEquals(w, c.tensor("w").floats());
        assertArrayEquals(new int[]{2, 3}, c.tensor("w").shape());
        assertArrayEquals(half, c.tensor("h").floats());
        assertEquals(DType.F16, c.tensor("h").dtype());
        assertArrayEquals(new float[]{1f, -2f, 3.140625f, 0.5f}, c.tensor("b").floats());
        assertArrayEquals(new int[]{-1, 0, Integer.MAX_VALUE}, c.tensor("i").ints());
        assertArrayEquals(new long[]{Long.MIN_VALUE, 42L}, c.tensor("l").longs());
        assertArrayEquals(new float[]{7f}, c.tensor("scalar").floats());
        assertEquals(0, c.tensor("empty").numel());
        assertFalse(Files.exists(dir.resolve("all.safetensors.tmp")), "temporary file left behind");

        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8, "header is padded to 8 bytes");
        var r = Safetensors.open(f);
        try (r) {   // I64 first (8-byte elements), so every tensor sits aligned to its element size
            assertEquals(0, r.tensors().get("l").begin());
            assertEquals(0, r.tensors().get("w").begin() % 4);
        }
    }

    @Test void headerBytesMatchTheReferenceWriter() throws IOException {
        // safetensors.torch.save_file({"a": torch.tensor([1.0, 2.0])}) writes exactly this (56-byte header).
        Path f = dir.resolve("ref.safetensors");
        Safetensors.write(f, List.of(Tensor.f32("a", new int[]{2}, new float[]{1f, 2f})), Map.of());
        byte[] b = Files.readAllBytes(f);
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        int n = (json.length() + 7) / 8 * 8;
        assertEquals(n, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        assertEquals(json + " ".repeat(n - json.length()), new String(b, 8, n, StandardCharsets.UTF_8));
        assertEquals(1f, ByteBuffer.wrap(b, 8 + n, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
        assertEquals(8 + n + 8, b.length);
    }

    @Test void metadataKeysAreWrittenSortedWhateverTheMapOrder() throws IOException {
        // Map.of iterates in an order that changes from one JVM run to the next; the bytes must not.
        var keys = new java.util.ArrayList<>(List.of("step", "data_kind", "class_names", "adamw_step", "z", "a"));
        var forward = new java.util.LinkedHashMap<String, String>();
        for (String k : keys) forward.put(k, k.toUpperCase());
        java.util.Collections.reverse(keys);
        var backward = new java.util.LinkedHashMap<String, String>();
        for (String k : keys) backward.put(k, k.toUpperCase());
        List<Tensor> ts = List.of(Tensor.f32("a", new int[]{1}, new float[]{1f}));
        Path f1 = dir.resolve("1.safetensors"), f2 = dir.resolve("2.safetensors");
        Safetensors.write(f1, ts, forward);
        Safetensors.write(f2, ts, backward);
        assertArrayEquals(Files.readAllBytes(f1), Files.readAllBytes(f2));
        String header = new String(Files.readAllBytes(f1), StandardCharsets.UTF_8);
        assertTrue(header.contains("{\"a\":\"A\",\"adamw_step\":\"ADAMW_STEP\",\"class_names\":\"CLASS_NAMES\","
                + "\"data_kind\":\"DATA_KIND\",\"step\":\"STEP\",\"z\":\"Z\"}"), header);
    }

    @Test void readsLargeTensorsInChunks() throws IOException {
        Path f = dir.resolve("big.safetensors");
        float[] a = new float[700_001];                          // > 2 chunks of 1 MiB, odd length
        for (int i = 0; i < a.length; i++) a[i] = i * 0.5f;
        Safetensors.write(f, List.of(Tensor.f32("a", new int[]{a.length}, a)), Map.of());
        assertArrayEquals(a, Safetensors.read(f).tensor("a").floats());
    }

    // ---------------------------------------------------------------- corruption: one clear line each

    @Test void fileShorterThanEightBytes() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[5]);
        assertFails(f, "shorter than the 8-byte header length");
    }

    @Test void headerLengthLargerThanFile() throws IOException {
        Path f = dir.resolve("len.safetensors");
        Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertFails(f, "header length 1000 is larger than the 8 bytes after it");
        Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
        assertFails(f, "header length 18446744073709551615 is larger");
    }

    @Test void malformedJson() throws IOException {
        assertFails(raw("{\"a\": {\"dtype\": \"F32\", ", 0), "malformed JSON header");
        assertFails(raw("{\"a\":1,\"a\":2}", 0), "malformed JSON header: Duplicate field 'a'");
        assertFails(raw("[1, 2]", 0), "the JSON header is not an object");
        assertFails(raw("{} {}", 0), "malformed JSON header");
    }

    @Test void unknownDtype() throws IOException {
        assertFails(raw(entry("x", "F64", "[1]", 0, 8), 8), "tensor x: unsupported dtype 'F64'");
    }

    @Test void offsetsThatDoNotMatchTheShape() throws IOException {
        assertFails(raw(entry("x", "F32", "[3]", 0, 16), 16), "tensor x: data_offsets [0, 16] hold 16 bytes but F32[3] needs 12");
        assertFails(raw(entry("x", "F32", "[1]", 8, 4), 8), "end before they begin");
        assertFails(raw(entry("x", "F32", "[-1]", 0, 4), 4), "shape must hold non-negative integers");
        assertFails(raw(entry("", "F32", "[1]", 0, 4), 4), "a tensor has an empty name");
    }

    @Test void offsetsBeyondTheEndOfTheFile() throws IOException {
        assertFails(raw(entry("x", "F32", "[4]", 0, 16), 8), "data is truncated: tensor x ends at data byte 16 but the file holds only 8");
    }

    @Test void truncatedFile() throws IOException {
        Path f = dir.resolve("cut.safetensors");
        Safetensors.write(f, List.of(Tensor.f32("w", new int[]{4, 4}, new float[16])), Map.of());
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 3));
        assertFails(f, "data is truncated: tensor w ends at data byte 64 but the file holds only 61");
    }

    @Test void overlapGapAndTrailingBytes() throws IOException {
        String two = "{" + body("a", "F32", "[2]", 0, 8) + "," + body("b", "F32", "[2]", 4, 12) + "}";
        assertFails(raw(two, 12), "tensors a [0, 8) and b [4, 12) overlap");
        String gap = "{" + body("a", "F32", "[1]", 0, 4) + "," + body("b", "F32", "[1]", 8, 12) + "}";
        assertFails(raw(gap, 12), "tensor b begins at data byte 8 but the bytes before it end at 4");
        assertFails(raw(entry("x", "F32", "[1]", 0, 4), 8), "4 bytes follow the last tensor");
    }

    @Test void badMetadata() throws IOException {
        assertFails(raw("{\"__metadata__\": {\"k\": 3}}", 0), "__metadata__ value of 'k' must be a string");
        assertFails(raw("{\"__metadata__\": [1]}", 0), "__metadata__ must be an object");
    }

    @Test void missingFile() {
        assertFails(dir.resolve("nope.safetensors"), "no such file");
    }

    private static void assertFails(Path f, String expected) {
        var e = assertThrows(SafetensorsException.class, () -> Safetensors.read(f));
        String m = e.getMessage();
        assertTrue(m.startsWith(f.toString() + ": "), "message names the file: " + m);
        assertTrue(m.contains(expected), "expected '" + expected + "' in: " + m);
        assertFalse(m.contains("\n"), "one line: " + m);
    }

    private static String body(String name, String dtype, String shape, long b, long e) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + b + "," + e + "]}";
    }

    private static String entry(String name, String dtype, String shape, long b, long e) {
        return "{" + body(name, dtype, shape, b, e) + "}";
    }

    private int count;

    /** A file with this header text and dataBytes zero bytes after it. */
    private Path raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("raw" + (count++) + ".safetensors");
        Files.write(f, b.array());
        return f;
    }
}
