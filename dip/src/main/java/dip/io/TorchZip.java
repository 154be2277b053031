package dip.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The zip container that {@code torch.save} writes (PyTorch ≥ 1.6): stored (uncompressed) entries, ZIP64 when the
 * archive passes 4 GiB. Only what that needs: the central directory is read once (from the end-of-central-directory
 * record, or its ZIP64 form), every entry's data is then addressed through its local header and read straight from
 * the FileChannel, so a multi-gigabyte checkpoint is never one array. Compressed, encrypted or multi-disk archives
 * are refused. Every failure is a {@link SafetensorsException} naming the file.
 */
final class TorchZip implements Closeable {
    private static final int LOCAL = 0x04034b50, CENTRAL = 0x02014b50, END = 0x06054b50;
    private static final int END64 = 0x06064b50, END64_LOCATOR = 0x07064b50;
    private static final int END_SIZE = 22, MAX_COMMENT = 0xFFFF;

    /** One stored entry: {@code size} bytes at {@code dataStart} once resolved ({@code -1} until then). */
    static final class Entry {
        final String name;
        final long size, localHeader;
        final int crc;
        long dataStart = -1;

        Entry(String name, long size, long localHeader, int crc) {
            this.name = name; this.size = size; this.localHeader = localHeader; this.crc = crc;
        }

        long size() { return size; }
    }

    private final Path file;
    private final FileChannel ch;
    private final long fileSize;
    private final Map<String, Entry> entries;

    private TorchZip(Path file, FileChannel ch, long fileSize, Map<String, Entry> entries) {
        this.file = file; this.ch = ch; this.fileSize = fileSize; this.entries = entries;
    }

    static TorchZip open(Path file) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(file, "no such file");
        }
        try {
            long size = ch.size();
            checkMagic(file, ch, size);
            return new TorchZip(file, ch, size, readDirectory(file, ch, size));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    Path file() { return file; }

    /** All entries by name, in directory order. */
    Map<String, Entry> entries() { return entries; }

    /** A whole entry (a small one: data.pkl, version), its CRC-32 checked. */
    byte[] readAll(Entry e) throws IOException {
        if (e.size > Integer.MAX_VALUE - 8) throw new SafetensorsException(file, "entry " + e.name + " is too large (" + e.size + " bytes)");
        ByteBuffer b = ByteBuffer.allocate((int) e.size);
        read(e, 0, b);
        CRC32 crc = new CRC32();
        crc.update(b.array());
        if ((int) crc.getValue() != e.crc) {
            throw new SafetensorsException(file, "entry " + e.name + " is corrupt (CRC-32 " + Integer.toHexString((int) crc.getValue())
                    + ", the directory says " + Integer.toHexString(e.crc) + ")");
        }
        return b.array();
    }

    /** Fills {@code dst} (position to limit) from the entry's bytes starting at {@code offset}. */
    void read(Entry e, long offset, ByteBuffer dst) throws IOException {
        long n = dst.remaining();
        if (offset < 0 || offset + n > e.size) {
            throw new SafetensorsException(file, "read of bytes [" + offset + ", " + (offset + n) + ") is outside entry " + e.name
                    + " (" + e.size + " bytes)");
        }
        long pos = dataStart(e) + offset;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) throw new SafetensorsException(file, "unexpected end of file at byte " + pos + " in entry " + e.name + " (truncated?)");
            pos += r;
        }
    }

    /** Where an entry's data begins: after its local header, whose name and extra field lengths may differ from the directory's. */
    private long dataStart(Entry e) throws IOException {
        if (e.dataStart >= 0) return e.dataStart;
        ByteBuffer h = readAt(file, ch, e.localHeader, 30, fileSize, "the local header of " + e.name);
        if (h.getInt(0) != LOCAL) {
            throw new SafetensorsException(file, "entry " + e.name + ": no local header at byte " + e.localHeader + " (corrupt zip)");
        }
        long start = e.localHeader + 30 + (h.getShort(26) & 0xFFFF) + (h.getShort(28) & 0xFFFF);
        if (start + e.size > fileSize) {
            throw new SafetensorsException(file, "entry " + e.name + " needs bytes up to " + (start + e.size) + " but the file has "
                    + fileSize + " (truncated)");
        }
        e.dataStart = start;
        return start;
    }

    @Override
    public void close() throws IOException { ch.close(); }

    // ---------------------------------------------------------------- directory

    private static void checkMagic(Path file, FileChannel ch, long size) throws IOException {
        if (size < 4) throw new SafetensorsException(file, "file is " + size + " bytes, too short for a torch checkpoint (a zip archive)");
        ByteBuffer m = readAt(file, ch, 0, 4, size, "the magic");
        if (m.getInt(0) == LOCAL) return;
        byte[] b = new byte[4];
        m.get(0, b);
        String hex = String.format("%02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
        String hint = (b[0] & 0xFF) == 0x80 ? " (a legacy pre-1.6 torch.save file: re-save it with a current PyTorch)"
                : " (torch.save writes a zip archive starting with 50 4b 03 04)";
        throw new SafetensorsException(file, "wrong magic " + hex + ": not a torch checkpoint" + hint);
    }

    private static Map<String, Entry> readDirectory(Path file, FileChannel ch, long size) throws IOException {
        if (size < END_SIZE) throw new SafetensorsException(file, "truncated zip: " + size + " bytes, no end-of-central-directory record");
        int tail = (int) Math.min(size, END_SIZE + MAX_COMMENT);
        ByteBuffer t = readAt(file, ch, size - tail, tail, size, "the end of the archive");
        int at = -1;
        for (int i = tail - END_SIZE; i >= 0; i--) {
            if (t.getInt(i) == END && i + END_SIZE + (t.getShort(i + 20) & 0xFFFF) == tail) { at = i; break; }
        }
        if (at < 0) {
            throw new SafetensorsException(file, "truncated or damaged zip: no end-of-central-directory record in the last "
                    + tail + " bytes");
        }
        long endPos = size - tail + at;
        if ((t.getShort(at + 4) & 0xFFFF) != 0 || (t.getShort(at + 6) & 0xFFFF) != 0) {
            throw new SafetensorsException(file, "multi-disk zip archives are not supported");
        }
        long count = t.getShort(at + 10) & 0xFFFF;
        long cdSize = t.getInt(at + 12) & 0xFFFFFFFFL;
        long cdOffset = t.getInt(at + 16) & 0xFFFFFFFFL;
        if (count == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL) {     // ZIP64
            if (endPos < 20) throw new SafetensorsException(file, "damaged zip: ZIP64 markers but no ZIP64 locator");
            ByteBuffer loc = readAt(file, ch, endPos - 20, 20, size, "the ZIP64 locator");
            if (loc.getInt(0) != END64_LOCATOR) throw new SafetensorsException(file, "damaged zip: ZIP64 markers but no ZIP64 locator");
            long end64 = loc.getLong(8);
            if (end64 < 0 || end64 + 56 > endPos) throw new SafetensorsException(file, "damaged zip: ZIP64 end record offset " + end64 + " is out of range");
            ByteBuffer e64 = readAt(file, ch, end64, 56, size, "the ZIP64 end record");
            if (e64.getInt(0) != END64) throw new SafetensorsException(file, "damaged zip: no ZIP64 end record at byte " + end64);
            count = e64.getLong(32);
            cdSize = e64.getLong(40);
            cdOffset = e64.getLong(48);
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > endPos) {
            throw new SafetensorsException(file, "truncated or damaged zip: the central directory [" + cdOffset + ", " + (cdOffset + cdSize)
                    + ") does not end before the end record at byte " + endPos);
        }
        if (cdSize > Integer.MAX_VALUE - 8 || count > cdSize / 46) {
            throw new SafetensorsException(file, "damaged zip: " + count + " entries cannot fit a " + cdSize + "-byte central directory");
        }
        ByteBuffer cd = readAt(file, ch, cdOffset, (int) cdSize, size, "the central directory");
        Map<String, Entry> out = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p + 46 > cd.limit() || cd.getInt(p) != CENTRAL) {
                throw new SafetensorsException(file, "damaged zip: central directory entry " + i + " of " + count + " is missing or corrupt");
            }
            int flags = cd.getShort(p + 8) & 0xFFFF, method = cd.getShort(p + 10) & 0xFFFF;
            int crc = cd.getInt(p + 16);
            long csize = cd.getInt(p + 20) & 0xFFFFFFFFL, usize = cd.getInt(p + 24) & 0xFFFFFFFFL;
            int nameLen = cd.getShort(p + 28) & 0xFFFF, extraLen = cd.getShort(p + 30) & 0xFFFF, commentLen = cd.getShort(p + 32) & 0xFFFF;
            long local = cd.getInt(p + 42) & 0xFFFFFFFFL;
            if (p + 46 + nameLen + extraLen + commentLen > cd.limit()) {
                throw new SafetensorsException(file, "damaged zip: central directory entry " + i + " runs past the directory");
            }
            byte[] nb = new byte[nameLen];
            cd.get(p + 46, nb);
            String name = new String(nb, java.nio.charset.StandardCharsets.UTF_8);
            int x = p + 46 + nameLen, xEnd = x + extraLen;
            while (x + 4 <= xEnd) {                                  // ZIP64 extended information: only the fields that overflowed
                int id = cd.getShort(x) & 0xFFFF, len = cd.getShort(x + 2) & 0xFFFF;
                if (id == 0x0001) {
                    int q = x + 4, qEnd = Math.min(x + 4 + len, xEnd);
                    if (usize == 0xFFFFFFFFL && q + 8 <= qEnd) { usize = cd.getLong(q); q += 8; }
                    if (csize == 0xFFFFFFFFL && q + 8 <= qEnd) { csize = cd.getLong(q); q += 8; }
                    if (local == 0xFFFFFFFFL && q + 8 <= qEnd) { local = cd.getLong(q); }
                }
                x += 4 + len;
            }
            if ((flags & 1) != 0) throw new SafetensorsException(file, "entry " + name + " is encrypted");
            if (method != 0) {
                throw new SafetensorsException(file, "entry " + name + " is compressed (method " + method
                        + "); torch.save stores entries uncompressed");
            }
            if (csize != usize || usize < 0 || local < 0 || local >= cdOffset) {
                throw new SafetensorsException(file, "damaged zip: entry " + name + " has size " + usize + "/" + csize + " at byte " + local);
            }
            if (out.put(name, new Entry(name, usize, local, crc)) != null) {
                throw new SafetensorsException(file, "entry " + name + " appears twice in the zip directory");
            }
            p += 46 + nameLen + extraLen + commentLen;
        }
        return Collections.unmodifiableMap(out);
    }

    private static ByteBuffer readAt(Path file, FileChannel ch, long pos, int n, long size, String what) throws IOException {
        if (pos < 0 || pos + n > size) {
            throw new SafetensorsException(file, "truncated zip: " + what + " would lie at bytes [" + pos + ", " + (pos + n)
                    + ") of a " + size + "-byte file");
        }
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        long p = pos;
        while (b.hasRemaining()) {
            int r = ch.read(b, p);
            if (r < 0) throw new SafetensorsException(file, "unexpected end of file at byte " + p + " while reading " + what);
            p += r;
        }
        return b.flip();
    }
}
