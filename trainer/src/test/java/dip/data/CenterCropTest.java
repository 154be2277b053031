package dip.data;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

class CenterCropTest {

    /** The synthetic test image of the golden file, as (3, H, W) planes. */
    static int[] synthetic(int W, int H) {
        int[] a = new int[3 * H * W];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) a[(c * H + y) * W + x] = (x * 37 + y * 91 + c * 53 + ((x * y) % 17) * 11) % 256;
        return a;
    }

    @Test void matchesPillowCenterCropArrBitForBit() throws IOException {
        var in = getClass().getResourceAsStream("center-crop-pil.txt");
        assertNotNull(in, "golden file missing");
        int cases = 0;
        try (var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) continue;
                String[] f = line.split(" ");
                int W = Integer.parseInt(f[0]), H = Integer.parseInt(f[1]), S = Integer.parseInt(f[2]);
                boolean gray = f[3].equals("L");
                byte[] want = HexFormat.of().parseHex(f[4]);
                int[] rgb = synthetic(W, H), img = rgb;
                if (gray) {
                    img = new int[H * W];
                    for (int i = 0; i < H * W; i++) img[i] = Pixels.luma(rgb[i], rgb[H * W + i], rgb[2 * H * W + i]);
                }
                int C = gray ? 1 : 3;
                int[] got = CenterCrop.apply(img, C, H, W, S);
                assertEquals(want.length, got.length);
                for (int i = 0; i < got.length; i++) {
                    int c = i / (S * S), y = i / S % S, x = i % S;
                    assertEquals(want[i] & 0xFF, got[i], W + "x" + H + " -> " + S + " " + f[3] + " at c=" + c + " y=" + y + " x=" + x);
                }
                cases++;
            }
        }
        assertEquals(6, cases);
    }

    @Test void aFlatImageStaysFlatAndSquareSizesAreKept() {
        int[] flat = new int[3 * 40 * 60];
        java.util.Arrays.fill(flat, 200);
        for (int v : CenterCrop.apply(flat, 3, 40, 60, 10)) assertEquals(200, v);   // BOX 60x40 -> 30x20, BICUBIC -> 15x10
        int[] sq = synthetic(8, 8);
        assertArrayEquals(sq, CenterCrop.apply(sq, 3, 8, 8, 8), "same size: unchanged");
    }
}
