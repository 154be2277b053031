package dip.sampler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * A PNG text chunk ({@code tEXt}: keyword, a zero byte, Latin-1 text), the way image generators such as sd4j or the
 * Stable Diffusion web UIs record how an image was made. A PNG is an 8-byte signature and then chunks, each
 * {@code length (u32 BE) | type (4 ASCII) | data | CRC32 of type and data}; the first chunk is IHDR. {@link #insert}
 * puts the text right after IHDR (readers ignore chunks they do not know), {@link #read} finds it again. The text
 * should be ASCII (tEXt is Latin-1; {@code dip sample} escapes anything else in its JSON).
 */
public final class PngText {
    private PngText() {
    }

    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** The PNG with a tEXt chunk {@code keyword}={@code text} after its IHDR. */
    public static byte[] insert(byte[] png, String keyword, String text) {
        checkSignature(png, "the encoder's output");
        int ihdrEnd = SIGNATURE.length + 12 + ByteBuffer.wrap(png, SIGNATURE.length, 4).getInt();
        byte[] k = keyword.getBytes(StandardCharsets.ISO_8859_1), t = text.getBytes(StandardCharsets.ISO_8859_1);
        byte[] data = new byte[k.length + 1 + t.length];                    // keyword \0 text
        System.arraycopy(k, 0, data, 0, k.length);
        System.arraycopy(t, 0, data, k.length + 1, t.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length + data.length + 12);
        out.write(png, 0, ihdrEnd);
        writeChunk(out, "tEXt", data);
        out.write(png, ihdrEnd, png.length - ihdrEnd);
        return out.toByteArray();
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** The text of the first tEXt chunk named {@code keyword}, or null when there is none. */
    public static String read(Path file, String keyword) throws IOException {
        byte[] png = Files.readAllBytes(file);
        checkSignature(png, file.toString());
        int p = SIGNATURE.length;
        while (p + 12 <= png.length) {
            int len = ByteBuffer.wrap(png, p, 4).getInt();
            if (len < 0 || p + 12L + len > png.length) throw new IOException(file + ": truncated PNG chunk at byte " + p);
            String type = new String(png, p + 4, 4, StandardCharsets.US_ASCII);
            if (type.equals("tEXt")) {
                int d = p + 8, end = d + len, z = d;
                while (z < end && png[z] != 0) z++;
                if (z < end && new String(png, d, z - d, StandardCharsets.ISO_8859_1).equals(keyword)) {
                    return new String(png, z + 1, end - z - 1, StandardCharsets.ISO_8859_1);
                }
            }
            if (type.equals("IEND")) break;
            p += 12 + len;
        }
        return null;
    }

    private static void checkSignature(byte[] png, String what) {
        if (png.length < SIGNATURE.length + 12 || !Arrays.equals(Arrays.copyOf(png, SIGNATURE.length), SIGNATURE)) {
            throw new IllegalArgumentException(what + " is not a PNG file (no PNG signature)");
        }
    }
}
