package dip.tornado.kernels;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Patchify / fold: a hand-worked case, the (B·N, C, P, P) view, round trip and adjointness, gradient checks. */
class PatchKernelsTest {

    @Test
    void knownCase() {
        // B = 1, C = 2, H = 2, W = 4, P = 2, x[c, y, x] = 8c + 4y + x. Two tokens (grid 1×2), vectors ordered (c, ky, kx):
        // token 0 = [x(0,0,0) x(0,0,1) x(0,1,0) x(0,1,1) | x(1,0,0) ...] = [0 1 4 5 | 8 9 12 13], token 1 = [2 3 6 7 | 10 11 14 15].
        // torch: F.unfold(x, 2, stride=2).transpose(1, 2) gives the same rows.
        float[] x = new float[16];
        for (int i = 0; i < 16; i++) x[i] = i;
        float[] tok = new float[16];
        PatchKernels.patchifyForward(tok, x, 0, 2, 2, 2, 4, 2);
        assertArrayEquals(new float[]{0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15}, tok, 0f);
        float[] back = new float[16];
        PatchKernels.unpatchifyForward(back, tok, 0, 2, 2, 2, 4, 2);
        assertArrayEquals(x, back, 0f);
    }

    /** The token buffer read as (B·N, C, P, P) NCHW is the batch of patch images: element (r, c, ky, kx) is pixel (b, c, gy·P+ky, gx·P+kx). */
    @Test
    void tokensAreABatchOfPatchImages() {
        var rng = new Rng(41);
        int B = 2, C = 3, H = 8, W = 12, P = 4, GW = W / P, N = (H / P) * GW;
        float[] x = rng.normal(B * C * H * W), tok = new float[B * N * C * P * P];
        PatchKernels.patchifyForward(tok, x, 0, B * N, C, H, W, P);
        for (int r = 0; r < B * N; r++) {
            int b = r / N, n = r % N, gy = n / GW, gx = n % GW;
            for (int c = 0; c < C; c++)
                for (int ky = 0; ky < P; ky++)
                    for (int kx = 0; kx < P; kx++) {
                        float patchImage = tok[((r * C + c) * P + ky) * P + kx];      // NCHW index of (r, c, ky, kx)
                        assertEquals(x[((b * C + c) * H + gy * P + ky) * W + gx * P + kx], patchImage, 0f);
                    }
        }
    }

    @Test
    void roundTripAndAdjoint() {
        var rng = new Rng(42);
        int B = 3, C = 1, H = 6, W = 9, P = 3, R = B * (H / P) * (W / P), K = C * P * P;
        float[] x = rng.normal(B * C * H * W), t = rng.normal(R * K);
        float[] tok = new float[R * K], img = new float[x.length];
        PatchKernels.patchifyForward(tok, x, 0, 4, C, H, W, P);               // two slices
        PatchKernels.patchifyForward(tok, x, 4, R, C, H, W, P);
        PatchKernels.unpatchifyForward(img, tok, 0, R, C, H, W, P);
        assertArrayEquals(x, img, 0f, "fold(unfold(x)) = x");
        PatchKernels.unpatchifyForward(img, t, 0, R, C, H, W, P);
        double lhs = GradCheck.dot(tok, t, tok.length), rhs = GradCheck.dot(x, img, x.length);
        assertEquals(lhs, rhs, 1e-9 * (1 + Math.abs(lhs)), "<unfold(x), t> = <x, fold(t)>");
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        var rng = new Rng(43);
        int B = 2, C = 3, H = 4, W = 8, P = 4, R = B * (H / P) * (W / P), K = C * P * P;
        float[] x = rng.normal(B * C * H * W), dtok = rng.normal(R * K), t = rng.normal(R * K), dimg = rng.normal(x.length);
        float[] dx = GradCheck.nans(x.length), dt = GradCheck.nans(t.length);            // both written whole
        PatchKernels.patchifyBackward(dx, dtok, 0, R, C, H, W, P);
        PatchKernels.unpatchifyBackward(dt, dimg, 0, R, C, H, W, P);
        float[] tok = new float[R * K], img = new float[x.length];
        GradCheck.assertDirectional("patchify dx", xs -> {
            PatchKernels.patchifyForward(tok, xs, 0, R, C, H, W, P);
            return GradCheck.dot(tok, dtok, tok.length);
        }, x, dx, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("unpatchify dtok", ts -> {
            PatchKernels.unpatchifyForward(img, ts, 0, R, C, H, W, P);
            return GradCheck.dot(img, dimg, img.length);
        }, t, dt, rng, 1e-2, Tol.GRAD_REL);
    }
}
