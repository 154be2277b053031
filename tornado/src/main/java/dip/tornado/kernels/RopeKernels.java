package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * 2D rotary position embedding (RoPE) as in the official DiP/PixNerd code (docs/model-spec.md §1), applied per head to q
 * and k after their RMSNorm. Not here: the per-head norm, the attention itself.
 *
 * <p>What I read in PixNerd's {@code precompute_freqs_cis_2d(dim, height, width, theta=10000, scale=16)} and
 * {@code apply_rotary_emb} (src/models/transformer/pixnerd_c2i.py, the code DiP builds on):
 * <ul>
 *   <li>{@code x_pos = linspace(0, 16, width)}, {@code y_pos = linspace(0, 16, height)}, then
 *       {@code meshgrid(y_pos, x_pos, indexing="ij")} flattened: tokens are row-major and
 *       <b>x is the column (width) position, y the row (height) position</b>. Token n = row·grid + col.</li>
 *   <li>{@code freqs = 1 / theta^(arange(0, hd, 4)[:hd/4] / hd)}: f_k = 10000^(−4k/hd), k = 0..hd/4−1.</li>
 *   <li>{@code cat([x_cis[..., None], y_cis[..., None]], -1).reshape(N, -1)}: the hd/2 angles interleave
 *       [x·f0, y·f0, x·f1, y·f1, …], so angle j uses axis (j % 2 == 0 ? x : y) and frequency f_(j/2).</li>
 *   <li>{@code view_as_complex(q.reshape(..., -1, 2)) * freqs_cis}: pair j is (q[2j], q[2j+1]) as re + i·im,
 *       multiplied by e^(i·θ_j): out[2j] = q[2j]·cos − q[2j+1]·sin, out[2j+1] = q[2j]·sin + q[2j+1]·cos.</li>
 * </ul>
 * hd (here HS) must be a multiple of 4. Tables cos, sin: (N, HS/2), N = grid². Rows of q/k: (B·NH·N, HS),
 * row r belongs to token n = r % N (layout (B, NH, N, HS)).
 */
public final class RopeKernels {
    private RopeKernels() {
    }

    /** Position i of torch.linspace(0, 16, grid) in float32 (torch's two-sided formula; grid 1 gives 0). */
    public static float linspacePosition(int i, int grid) {
        if (grid == 1) return 0f;
        float step = 16f / (float) (grid - 1);
        if (i < grid / 2) return step * i;
        return 16f - step * (grid - 1 - i);
    }

    /**
     * Writes table rows [n0, n1) (tokens): for token n = row·grid + col, x = pos(col), y = pos(row), and for
     * angle j in [0, HS/2): θ = (j even ? x : y) · f_(j/2), f_k = 1 / 10000^(4k/HS); cos[n,j] = cos θ,
     * sin[n,j] = sin θ. cos, sin: (grid², HS/2).
     */
    public static void ropeTables(float[] cos, float[] sin, int n0, int n1, int grid, int HS) {
        int half = HS / 2;
        for (@Parallel int it = 0; it < n1 - n0; it++) {
            int n = n0 + it;
            float x = linspacePosition(n % grid, grid);        // column -> x
            float y = linspacePosition(n / grid, grid);        // row -> y
            for (int j = 0; j < half; j++) {
                float e = (float) (4 * (j / 2)) / (float) HS;  // arange(0, hd, 4)[k] / hd, in float32
                float f = 1f / (float) Math.pow(10000.0, e);
                float theta = ((j & 1) == 0 ? x : y) * f;
                cos[n * half + j] = (float) Math.cos(theta);
                sin[n * half + j] = (float) Math.sin(theta);
            }
        }
    }

    /**
     * Writes rows [r0, r1) of out (B·NH·N, HS): each pair (x[2j], x[2j+1]) rotated by θ[n, j], n = r % N:
     * out[2j] = x[2j]·cos − x[2j+1]·sin, out[2j+1] = x[2j]·sin + x[2j+1]·cos. out may alias x.
     */
    public static void ropeForward(float[] out, float[] x, float[] cos, float[] sin, int r0, int r1, int N, int HS) {
        int half = HS / 2;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            ropeRow(out, r * HS, x, r * HS, cos, sin, (r % N) * half, half);
        }
    }

    /**
     * One row of {@link #ropeForward}: the pairs of x[xi .. xi + 2·half) rotated by table row tab (= token · half) into
     * out[o ..]. out may be x at the same offset.
     */
    public static void ropeRow(float[] out, int o, float[] x, int xi, float[] cos, float[] sin, int tab, int half) {
        for (int j = 0; j < half; j++) {
            float a = x[xi + 2 * j], b = x[xi + 2 * j + 1];
            float c = cos[tab + j], s = sin[tab + j];
            out[o + 2 * j] = a * c - b * s;
            out[o + 2 * j + 1] = a * s + b * c;
        }
    }

    /**
     * Writes dx rows [r0, r1), the inverse (transposed) rotation of dout:
     * dx[2j] = dout[2j]·cos + dout[2j+1]·sin, dx[2j+1] = −dout[2j]·sin + dout[2j+1]·cos.
     * Forward was: out[2j] = a·cos − b·sin, out[2j+1] = a·sin + b·cos (a = x[2j], b = x[2j+1]).
     */
    public static void ropeBackward(float[] dx, float[] dout, float[] cos, float[] sin,
                                    int r0, int r1, int N, int HS) {
        int half = HS / 2;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            ropeBackwardRow(dx, r * HS, dout, r * HS, cos, sin, (r % N) * half, half);
        }
    }

    /** One row of {@link #ropeBackward}: dout[gi ..] rotated back by table row tab into dx[o ..]. */
    public static void ropeBackwardRow(float[] dx, int o, float[] dout, int gi, float[] cos, float[] sin, int tab, int half) {
        for (int j = 0; j < half; j++) {
            float ga = dout[gi + 2 * j], gb = dout[gi + 2 * j + 1];
            float c = cos[tab + j], s = sin[tab + j];
            dx[o + 2 * j] = ga * c + gb * s;
            dx[o + 2 * j + 1] = gb * c - ga * s;
        }
    }
}
