package dip.io;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy {@code .npz} files in the layout the ADM evaluation suite (openai/guided-diffusion, evaluations/) reads:
 * a zip holding {@code arr_0.npy}, the images as an N×H×W×C uint8 array, and optionally {@code arr_1.npy}, the
 * class labels as N int64 (what ADM's sampling script saves for class-conditional models).
 * <p>
 * A {@code .npy} entry is the magic {@code \x93NUMPY}, version 1.0, a little-endian u16 header length, then a
 * Python dict literal {@code {'descr': '|u1', 'fortran_order': False, 'shape': (N, H, W, C), }} padded with spaces
 * to a multiple of 64 bytes and ending in a newline, then the raw C-order data.
 * <p>
 * {@link Writer} streams: the header (N is known up front) goes first and images are appended as they are sampled,
 * so 50,000 images never sit in memory; it writes to {@code FILE.partial} and renames at {@link Writer#finish},
 * so a failed run leaves no npz behind. The zip entries are deflated at level 0 (stored blocks: the bytes as they
 * are, the CRC computed on the way), which java.util.zip can stream without knowing the CRC first; Python's
 * zipfile, and so {@code np.load}, read it like {@code np.savez}'s stored entries (ZIP64 past 4 GiB included).
 * {@link #readImages} reads one back, checking magic, dtype, order and shape, each failure one line naming the file.
 */
public final class Npz {
    private Npz() {
    }

    /** The .npy magic string and the alignment of its header (numpy ≥ 1.16 pads to 64). */
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    static final int ALIGN = 64;

    /** Spaces numpy (≥ 1.23) reserves so the first dimension can grow in place: 21 minus its digits. */
    static final int GROWTH_AXIS_MAX_DIGITS = 21;

    /**
     * The .npy v1.0 header for a C-order array of dtype descr and this shape, byte for byte as numpy's
     * {@code _write_array_header}: the dict, the growth reserve, then spaces up to a multiple of 64 (a full 64 when
     * already aligned) and a newline.
     */
    static byte[] npyHeader(String descr, long... shape) {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) dims.append(d).append(", ");
        String tuple = shape.length == 1 ? "(" + shape[0] + ",)" : "(" + dims.substring(0, dims.length() - 2) + ")";
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }"
                + " ".repeat(shape.length > 0 ? GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length() : 0);
        int pre = MAGIC.length + 2 + 2;
        int hlen = dict.length() + 1;                                   // + the newline
        int pad = ALIGN - (pre + hlen) % ALIGN;
        byte[] h = new byte[pre + hlen + pad];
        System.arraycopy(MAGIC, 0, h, 0, MAGIC.length);
        h[6] = 1;                                                       // version 1.0
        h[7] = 0;
        int len = hlen + pad;
        h[8] = (byte) len;
        h[9] = (byte) (len >>> 8);
        byte[] d = dict.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(d, 0, h, pre, d.length);
        Arrays.fill(h, pre + d.length, h.length - 1, (byte) ' ');
        h[h.length - 1] = '\n';
        return h;
    }

    // ---------------------------------------------------------------------------------------------- writing

    /** Streams N images of H×W×C uint8 into {@code arr_0.npy}, then the labels into {@code arr_1.npy}. */
    public static final class Writer implements Closeable {
        private final Path file, partial;
        private final int N, H, W, C;
        private final ZipOutputStream zip;
        private int written;
        private boolean done;

        /** Creates {@code file.partial} and writes arr_0's header; the file itself appears at {@link #finish}. */
        public Writer(Path file, int N, int H, int W, int C) throws IOException {
            this.file = file;
            this.partial = file.resolveSibling(file.getFileName() + ".partial");
            this.N = N; this.H = H; this.W = W; this.C = C;
            OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16);
            zip = new ZipOutputStream(out);
            zip.setMethod(ZipOutputStream.DEFLATED);
            zip.setLevel(Deflater.NO_COMPRESSION);
            zip.putNextEntry(entry("arr_0.npy"));
            zip.write(npyHeader("|u1", N, H, W, C));
        }

        private static ZipEntry entry(String name) {
            ZipEntry e = new ZipEntry(name);
            e.setTime(0);                                       // same images, same bytes
            return e;
        }

        /**
         * Appends images x (B, C, H, W) in [−1, 1] (values outside are clipped) as uint8 H×W×C, with the official
         * rounding clip((x + 1)·127.5 + 0.5, 0, 255) truncated.
         */
        public void append(float[] x, int B) throws IOException {
            if (written + B > N) throw new IllegalStateException("npz holds " + N + " images, got " + (written + B));
            int plane = H * W;
            byte[] img = new byte[plane * C];
            for (int b = 0; b < B; b++) {
                int base = b * C * plane;
                for (int p = 0; p < plane; p++) {                // CHW → HWC
                    for (int c = 0; c < C; c++) {
                        float q = (x[base + c * plane + p] + 1f) * 127.5f + 0.5f;
                        img[p * C + c] = (byte) (int) Math.max(0f, Math.min(255f, q));
                    }
                }
                zip.write(img);
            }
            written += B;
        }

        /** Writes arr_1 (labels, int64), closes the zip and renames it into place. */
        public void finish(int[] labels) throws IOException {
            if (written != N) throw new IllegalStateException("npz holds " + N + " images but " + written + " were appended");
            zip.closeEntry();
            zip.putNextEntry(entry("arr_1.npy"));
            zip.write(npyHeader("<i8", N));
            ByteBuffer bb = ByteBuffer.allocate(8 * N).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < N; i++) bb.putLong(labels[i]);
            zip.write(bb.array());
            zip.closeEntry();
            zip.close();
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        }

        /** Closes; without {@link #finish} the partial file is deleted. */
        @Override
        public void close() throws IOException {
            if (done) return;
            try {
                zip.close();
            } finally {
                Files.deleteIfExists(partial);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- reading

    /** Images as stored: N×H×W×C uint8 (HWC order), and the labels (null when the file has no arr_1). */
    public record Images(int N, int H, int W, int C, byte[] pixels, int[] labels) {
        /** Image b as floats (C, H, W) in [−1, 1]: v/127.5 − 1, written at dst[off..]. */
        public void toFloats(int b, float[] dst, int off) {
            int plane = H * W, base = b * plane * C;
            for (int p = 0; p < plane; p++) {
                for (int c = 0; c < C; c++) dst[off + c * plane + p] = (pixels[base + p * C + c] & 0xFF) / 127.5f - 1f;
            }
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    /** One .npy header: dtype string, fortran order, shape. */
    record NpyHeader(String descr, boolean fortran, long[] shape) {
        long count() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    static NpyHeader readHeader(DataInputStream in, Path file, String entry) throws IOException {
        byte[] magic = new byte[8];
        in.readFully(magic);
        if (!Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) {
            throw new SafetensorsException(file, entry + " does not start with the .npy magic \\x93NUMPY: not a NumPy array");
        }
        int major = magic[6];
        int len = major == 1 ? Short.toUnsignedInt(Short.reverseBytes(in.readShort()))
                : major == 2 || major == 3 ? Integer.reverseBytes(in.readInt()) : -1;
        if (len < 0 || len > 1 << 20) throw new SafetensorsException(file, entry + ": unsupported .npy version " + major + "." + magic[7]);
        byte[] h = new byte[len];
        in.readFully(h);
        String dict = new String(h, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(dict), o = ORDER.matcher(dict), s = SHAPE.matcher(dict);
        if (!d.find() || !o.find() || !s.find()) throw new SafetensorsException(file, entry + ": unreadable .npy header " + dict.trim());
        String[] parts = s.group(1).split(",");
        long[] shape = Arrays.stream(parts).map(String::trim).filter(p -> !p.isEmpty()).mapToLong(Long::parseLong).toArray();
        return new NpyHeader(d.group(1), o.group(1).equals("True"), shape);
    }

    /**
     * Reads an ADM-layout npz: arr_0 must be N×H×W×C uint8 in C order with C = 1 or 3; arr_1, when present, N integer
     * labels. Anything else is a {@link SafetensorsException} whose one line names the file and the problem.
     */
    public static Images readImages(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new SafetensorsException(file, "file not found");
        try (ZipFile zf = new ZipFile(file.toFile())) {
            ZipEntry e0 = zf.getEntry("arr_0.npy");
            if (e0 == null) throw new SafetensorsException(file, "no arr_0 in the npz (the ADM layout keeps the images in arr_0)");
            NpyHeader h;
            byte[] pixels;
            try (DataInputStream in = new DataInputStream(zf.getInputStream(e0))) {
                h = readHeader(in, file, "arr_0");
                if (!h.descr().equals("|u1") && !h.descr().equals("<u1")) {
                    throw new SafetensorsException(file, "arr_0 has dtype '" + h.descr() + "', need uint8 ('|u1'): the ADM layout is N×H×W×C uint8");
                }
                if (h.fortran()) throw new SafetensorsException(file, "arr_0 is in Fortran order, need C order (np.ascontiguousarray)");
                long[] s = h.shape();
                if (s.length != 4 || (s[3] != 1 && s[3] != 3) || s[1] != s[2] || s[0] < 1 || s[1] < 1) {
                    throw new SafetensorsException(file, "arr_0 has shape " + Arrays.toString(s)
                            + ", need (N, H, W, C) with H = W and C = 1 or 3 (the ADM layout)");
                }
                if (h.count() > Integer.MAX_VALUE - 8) {
                    throw new SafetensorsException(file, "arr_0 holds " + h.count() + " bytes, more than one Java array: evaluate a subset");
                }
                pixels = new byte[(int) h.count()];
                int got = in.readNBytes(pixels, 0, pixels.length);
                if (got != pixels.length) {
                    throw new SafetensorsException(file, "arr_0 is truncated: " + got + " of " + pixels.length + " bytes");
                }
            }
            int N = (int) h.shape()[0];
            int[] labels = null;
            ZipEntry e1 = zf.getEntry("arr_1.npy");
            if (e1 != null) labels = readLabels(zf, e1, file, N);
            return new Images(N, (int) h.shape()[1], (int) h.shape()[2], (int) h.shape()[3], pixels, labels);
        } catch (ZipException e) {
            throw new SafetensorsException(file, "not a zip archive, so not an npz (" + e.getMessage() + ")");
        } catch (java.io.EOFException e) {
            throw new SafetensorsException(file, "truncated npz entry");
        }
    }

    private static int[] readLabels(ZipFile zf, ZipEntry e1, Path file, int N) throws IOException {
        try (DataInputStream in = new DataInputStream(zf.getInputStream(e1))) {
            NpyHeader h = readHeader(in, file, "arr_1");
            int width = switch (h.descr()) {
                case "<i8", "<u8" -> 8;
                case "<i4", "<u4" -> 4;
                default -> throw new SafetensorsException(file, "arr_1 (labels) has dtype '" + h.descr() + "', need int64 or int32");
            };
            if (h.shape().length != 1 || h.shape()[0] != N) {
                throw new SafetensorsException(file, "arr_1 (labels) has shape " + Arrays.toString(h.shape()) + ", need (" + N + ",) for " + N + " images");
            }
            byte[] raw = in.readNBytes(width * N);
            if (raw.length != width * N) throw new SafetensorsException(file, "arr_1 is truncated");
            ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            int[] out = new int[N];
            for (int i = 0; i < N; i++) {
                long v = width == 8 ? bb.getLong() : bb.getInt();
                if (v < 0 || v > Integer.MAX_VALUE) throw new SafetensorsException(file, "arr_1 label " + i + " is " + v);
                out[i] = (int) v;
            }
            return out;
        }
    }

    /** "N×H×W×C" for messages. */
    public static String describe(Images im) {
        return String.format(Locale.ROOT, "%d×%d×%d×%d uint8", im.N(), im.H(), im.W(), im.C());
    }
}
