package dip.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test helpers that craft torch.save-style files byte by byte: a pickle opcode writer and a stored-entry zip
 * writer. Used for malformed inputs (and one well-formed state-dict-only file) that PyTorch would not produce.
 */
final class TorchFiles {
    private TorchFiles() {}

    /** Pickle opcodes, appended in order. */
    static final class Pickler {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickler op(int... bytes) { for (int b : bytes) out.write(b); return this; }

        Pickler proto(int v) { return op(0x80, v); }

        Pickler mark() { return op('('); }

        Pickler str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            le32(b.length);
            out.writeBytes(b);
            return this;
        }

        Pickler integer(long v) {
            op('J');
            le32((int) v);
            return this;
        }

        Pickler global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Pickler tuple(long... vs) {
            mark();
            for (long v : vs) integer(v);
            return op('t');
        }

        Pickler emptyDict() { return op('}'); }

        Pickler orderedDict() { return global("collections", "OrderedDict").op(')').op('R'); }

        /** _rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', numel), offset, shape, stride, False, OrderedDict()). */
        Pickler tensor(String storageType, String key, long numel, long offset, long[] shape, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").mark();
            mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).op('t').op('Q');
            integer(offset).tuple(shape).tuple(stride).op(0x89).orderedDict();
            return op('t').op('R');
        }

        Pickler stop() { return op('.'); }

        byte[] bytes() { return out.toByteArray(); }

        private void le32(int v) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }
    }

    /** A zip with stored (uncompressed) entries, in the given order, as torch.save writes them. */
    static void zip(Path file, Map<String, byte[]> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
            for (var e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
    }

    /** A torch.save-style archive "archive/" with the given pickle and storages (key → bytes). */
    static void archive(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put("archive/data.pkl", pickle);
        for (var s : storages.entrySet()) e.put("archive/data/" + s.getKey(), s.getValue());
        e.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        zip(file, e);
    }

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }
}
