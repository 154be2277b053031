package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Patchify (unfold with kernel = stride = P) and its inverse fold, as torch
 * {@code F.unfold(x, P, stride=P).transpose(1, 2)} and {@code F.fold(tok.transpose(1, 2), (H, W), P, stride=P)}.
 * Images x: (B, C, H, W) row-major. Tokens tok: (B, N, C·P·P) with N = (H/P)·(W/P) tokens row-major over the
 * (H/P)×(W/P) grid, each token vector ordered (c, ky, kx).
 * <p>
 * Because the token vector is ordered (c, ky, kx), the token buffer read as (B·N, C, P, P) is already the batch of
 * B·N patch images in NCHW order: element (r, c, ky, kx) of that view sits at r·C·P² + (c·P + ky)·P + kx, which is
 * exactly where token r keeps (c, ky, kx). No kernel is needed for that view (the Patch Detailer Head reads the
 * token buffer directly).
 * <p>
 * All four kernels are parallel over token rows r = b·N + n in [r0, r1) and, inside a row, over its C·P² elements
 * (two parallel loops: a device runs one work-item per element, a CPU engine slices the rows): a token owns its row
 * of tok and a disjoint P×P window of every channel of the image, so no two work-items write the same index. fold
 * and unfold are each other's adjoints, so each one's backward is the other one, accumulating.
 */
public final class PatchKernels {
    private PatchKernels() {
    }

    /**
     * Writes token rows [r0, r1): tok[b, n, (c·P + ky)·P + kx] = x[b, c, gy·P + ky, gx·P + kx], n = gy·(W/P) + gx.
     * tok: (B, N, C·P²), x: (B, C, H, W); H and W multiples of P.
     */
    public static void patchifyForward(float[] tok, float[] x, int r0, int r1, int C, int H, int W, int P) {
        int K = C * P * P;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int k = 0; k < K; k++) {
                int t = (r0 + it) * K + k, px = pixel(r0 + it, k, C, H, W, P);
                tok[t] = x[px];
            }
        }
    }

    /**
     * Writes the windows of token rows [r0, r1) into dx: dx[b, c, gy·P + ky, gx·P + kx] = dtok[b, n, (c, ky, kx)].
     * Forward was: tok[b, n, (c, ky, kx)] = x[b, c, gy·P + ky, gx·P + kx] (a copy, so the gradient is copied back;
     * every pixel is in exactly one window, so rows [0, B·N) write all of dx).
     */
    public static void patchifyBackward(float[] dx, float[] dtok, int r0, int r1, int C, int H, int W, int P) {
        int K = C * P * P;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int k = 0; k < K; k++) {
                int t = (r0 + it) * K + k, px = pixel(r0 + it, k, C, H, W, P);
                dx[px] = dtok[t];
            }
        }
    }

    /**
     * Fold (unpatchify), writing the windows of token rows [r0, r1): out[b, c, gy·P + ky, gx·P + kx] = tok[b, n, (c, ky, kx)].
     * out: (B, C, H, W), tok: (B, N, C·P²). Every pixel belongs to exactly one token, so rows [0, B·N) write all of out.
     */
    public static void unpatchifyForward(float[] out, float[] tok, int r0, int r1, int C, int H, int W, int P) {
        int K = C * P * P;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int k = 0; k < K; k++) {
                int t = (r0 + it) * K + k, px = pixel(r0 + it, k, C, H, W, P);
                out[px] = tok[t];
            }
        }
    }

    /**
     * Writes dtok rows [r0, r1): dtok[b, n, (c, ky, kx)] = dout[b, c, gy·P + ky, gx·P + kx].
     * Forward was: out[b, c, gy·P + ky, gx·P + kx] = tok[b, n, (c, ky, kx)].
     */
    public static void unpatchifyBackward(float[] dtok, float[] dout, int r0, int r1, int C, int H, int W, int P) {
        int K = C * P * P;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int k = 0; k < K; k++) {
                int t = (r0 + it) * K + k, px = pixel(r0 + it, k, C, H, W, P);
                dtok[t] = dout[px];
            }
        }
    }

    /** Where value k = (c·P + ky)·P + kx of token row r = b·N + n sits in the image: x[b, c, gy·P + ky, gx·P + kx]. */
    private static int pixel(int r, int k, int C, int H, int W, int P) {
        int GW = W / P, N = (H / P) * GW;
        int b = r / N, n = r - b * N, gy = n / GW, gx = n - gy * GW;
        int c = k / (P * P), ky = (k - c * P * P) / P, kx = k - (c * P + ky) * P;
        return ((b * C + c) * H + gy * P + ky) * W + gx * P + kx;
    }
}
