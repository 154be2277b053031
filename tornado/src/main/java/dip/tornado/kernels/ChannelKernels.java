package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Concatenation along channels, as torch.cat([a, b], dim=1), in NCHW with HW pixels per plane:
 * a: (B, CA, HW), b: (B, CB, HW) → out: (B, CA + CB, HW). And a broadcast variant that appends a per-image vector
 * v: (B, D) as D constant channels (the Patch Detailer Head's bottleneck appends the token s to the pooled feature;
 * with HW = 1 that is torch.cat([p, s.view(B, D, 1, 1)], dim=1)).
 * Every kernel is parallel over output planes r = img·(CA + CB) + c: a plane belongs to exactly one source plane
 * (or one vector element), so the backward's accumulation is race-free too.
 */
public final class ChannelKernels {
    private ChannelKernels() {
    }

    /** Writes planes r in [r0, r1) of out: out[img, c] = a[img, c] for c < CA, else b[img, c − CA]. */
    public static void concatForward(float[] out, float[] a, float[] b, int r0, int r1, int CA, int CB, int HW) {
        int CT = CA + CB;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int img = r / CT, c = r - img * CT;
            int o = r * HW;
            if (c < CA) {
                int s = (img * CA + c) * HW;
                for (int p = 0; p < HW; p++) out[o + p] = a[s + p];
            } else {
                int s = (img * CB + c - CA) * HW;
                for (int p = 0; p < HW; p++) out[o + p] = b[s + p];
            }
        }
    }

    /**
     * Writes planes r in [r0, r1) of dout into da (c < CA) or db (c ≥ CA): each plane of da and db is one plane
     * of dout, so rows [0, B·(CA + CB)) write all of both.
     * Forward was: out[img, c] = c < CA ? a[img, c] : b[img, c − CA].
     */
    public static void concatBackward(float[] da, float[] db, float[] dout, int r0, int r1, int CA, int CB, int HW) {
        int CT = CA + CB;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int img = r / CT, c = r - img * CT;
            int o = r * HW;
            if (c < CA) {
                int s = (img * CA + c) * HW;
                for (int p = 0; p < HW; p++) da[s + p] = dout[o + p];
            } else {
                int s = (img * CB + c - CA) * HW;
                for (int p = 0; p < HW; p++) db[s + p] = dout[o + p];
            }
        }
    }

    /**
     * Writes planes r in [r0, r1) of out: (B, CA + D, HW): out[img, c, p] = a[img, c, p] for c < CA,
     * else v[img, c − CA] at every pixel p. a: (B, CA, HW), v: (B, D).
     */
    public static void broadcastConcatForward(float[] out, float[] a, float[] v, int r0, int r1, int CA, int D, int HW) {
        int CT = CA + D;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int img = r / CT, c = r - img * CT;
            int o = r * HW;
            if (c < CA) {
                int s = (img * CA + c) * HW;
                for (int p = 0; p < HW; p++) out[o + p] = a[s + p];
            } else {
                float val = v[img * D + c - CA];
                for (int p = 0; p < HW; p++) out[o + p] = val;
            }
        }
    }

    /**
     * Writes planes r in [r0, r1): da[img, c] = dout[img, c] for c < CA, dv[img, c − CA] = Σ_p dout[img, c, p]
     * (each element of da and dv has one plane, so rows [0, B·(CA + D)) write all of both).
     * Forward was: out[img, c, p] = c < CA ? a[img, c, p] : v[img, c − CA] (broadcast, so its gradient sums over p).
     */
    public static void broadcastConcatBackward(float[] da, float[] dv, float[] dout, int r0, int r1, int CA, int D, int HW) {
        int CT = CA + D;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int img = r / CT, c = r - img * CT;
            int o = r * HW;
            if (c < CA) {
                int s = (img * CA + c) * HW;
                for (int p = 0; p < HW; p++) da[s + p] = dout[o + p];
            } else {
                float acc = 0f;
                for (int p = 0; p < HW; p++) acc += dout[o + p];
                dv[img * D + c - CA] = acc;
            }
        }
    }
}
