package dip.tornado.exec;

import dip.tornado.kernels.ConvKernels;
import dip.tornado.kernels.ConvTransposeKernels;

import java.util.Arrays;

import static dip.tornado.exec.VectorMatmul.KC;
import static dip.tornado.exec.VectorMatmul.MR;
import static dip.tornado.exec.VectorMatmul.NR;

/**
 * The CPU engine's fast convolutions (the Patch Detailer Head's): Conv2d 3×3 pad 1, Conv2d 1×1 and ConvTranspose2d
 * k2 s2, forward, backward-input and backward-weight, as GEMMs on {@link VectorMatmul}'s micro-kernel. The scalar
 * {@link ConvKernels}/{@link ConvTransposeKernels} stay the reference (and the TornadoVM kernels).
 * <p>The head runs on many tiny images (B·N patches of 2×2 to 16×16), so one image's GEMM would be tiny: images are
 * stacked along the pixel axis. A chunk of {@code nImg} images ({@code P = nImg·HW} pixels, about {@link #CHUNK_PIX};
 * the chunking depends on the shape only, never on the thread count) is copied into a column matrix
 * {@code col(K, P)}, row k = (channel, tap), column j = (image, pixel) ("im2col"; T = 9 taps for 3×3, 1 for 1×1):
 * <pre>
 *   conv forward      C(P, CO)  = colᵀ(P, CI·T) · Wᵀ(CI·T, CO)       out[b,co,p] = bias[co] + C[j, co]
 *   conv bwd input    C(P, CI)  = dcolᵀ(P, CO·T) · W'(CO·T, CI)      dx[b,ci,p]  = C[j, ci]; W' = W, taps flipped
 *   conv bwd weight   Cᵗ(CI·T, CO) += col(CI·T, P) · doutᵀ(P, CO)    over all chunks in order; dW += Cᵗᵀ
 *   convT forward     C(P, 4CO) = xᵀ(P, CI) · W(CI, 4CO)             C[j, (co,ky,kx)] paints out's 2×2 block of j
 *   convT bwd input   C(P, CI)  = Dᵀ(P, 4CO) · Wᵀ(4CO, CI)           D((co,ky,kx), j) = dout at j's block (space-to-depth)
 *   convT bwd weight  Cᵗ(CI, 4CO) += x(CI, P) · Dᵀ(P, 4CO)           dW += Cᵗ
 * </pre>
 * Backward-input of the 3×3 conv is the forward conv of dout with the kernel rotated by 180° and in/out swapped (the
 * same FLOPs as GEMM + col2im, without the scatter-add). The weight-side operand (B) is packed once per call into
 * VectorMatmul's panels; for the weight gradients B = doutᵀ is packed per chunk. M and N are padded (rows of the
 * column buffer to MR, B's panels to NR), so only whole {@code MR × NR} tiles run; padded rows/columns of C are never
 * read. Threads split the chunks (the weight gradients: the rows of C); each uses its own scratch (grown on demand, kept by this object). No result depends
 * on the thread count, bit for bit: forward and backward-input compute each output from one chunk, and for the weight
 * gradients threads split the rows of C instead, each summing over every chunk in order (see weightGemm). There are no lane
 * reductions, so no result depends on whether the JIT has compiled this code either. Not thread-safe: one call at a
 * time.
 */
public final class VectorConv {
    /** Pixels per chunk (at least one image): the column buffer of a chunk, K × P floats, should sit in L2. */
    static final int CHUNK_PIX = 192;
    private static final float[] ZERO = new float[NR];

    private float[] bp = new float[0];          // packed weight operand, shared by the threads of a call
    private float[] wt = new float[0];          // flipped / padded weights, bias padded to the panels
    private float[] bias = new float[0];
    private float[][] col = new float[0][], cbuf = new float[0][], bpw = new float[0][];

    // ---------------------------------------------------------------------------------------------- conv 3×3 / 1×1

    /**
     * Conv2d with T = 9 (3×3, padding 1) or T = 1 taps: out(B, CO, H, W) = conv(x, w) + bias; w at wOff, bias at bOff.
     * Overwrites out.
     */
    public void convForward(Engine e, float[] out, float[] x, float[] w, int wOff, float[] b, int bOff,
                            int B, int CI, int CO, int H, int W, int T) {
        int K = CI * T, HW = H * W, panels = panels(CO);
        bp = grow(bp, panels * K * NR);
        VectorMatmul.packBlock(bp, 0, w, wOff, true, K, CO, 0, panels, 0, K);     // B = Wᵀ(K, CO), W stored (CO, K)
        bias = grow(bias, panels * NR);
        System.arraycopy(b, bOff, bias, 0, CO);
        float[] bpk = bp, bz = bias;
        forEachChunk(e, B, HW, K, panels * NR, (s, b0, n, col, ld, c) -> {
            im2col(col, ld, x, b0, n, CI, H, W, T);
            gemm(c, panels * NR, col, 1, ld, bpk, rowsUp(n * HW), K, panels, bz);
            storeTransposed(out, c, panels * NR, b0, n, CO, HW);
        });
    }

    /** dx(B, CI, H, W) = the input gradient of {@link #convForward}, given dout(B, CO, H, W); w at wOff. */
    public void convBackwardInput(Engine e, float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W, int T) {
        int K = CO * T, HW = H * W, panels = panels(CI);
        wt = grow(wt, CI * K);                               // W'(CI, CO·T): W'[ci, co, t] = w[co, ci, T−1−t]
        for (int ci = 0; ci < CI; ci++) {
            for (int co = 0; co < CO; co++) {
                for (int t = 0; t < T; t++) wt[ci * K + co * T + t] = w[wOff + (co * CI + ci) * T + T - 1 - t];
            }
        }
        bp = grow(bp, panels * K * NR);
        VectorMatmul.packBlock(bp, 0, wt, 0, true, K, CI, 0, panels, 0, K);
        float[] bpk = bp;
        forEachChunk(e, B, HW, K, panels * NR, (s, b0, n, col, ld, c) -> {
            im2col(col, ld, dout, b0, n, CO, H, W, T);
            gemm(c, panels * NR, col, 1, ld, bpk, rowsUp(n * HW), K, panels, ZERO);
            storeTransposed(dx, c, panels * NR, b0, n, CI, HW);
        });
    }

    /**
     * dw(CO, CI, T) += Σ dout·x-patches, db(CO) += Σ dout: the weight gradient of {@link #convForward}; dw at dwOff,
     * db at dbOff.
     */
    public void convBackwardWeight(Engine e, float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                   int B, int CI, int CO, int H, int W, int T) {
        int K = CI * T, HW = H * W, panels = panels(CO), ldc = panels * NR, Mp = rowsUp(K);
        float[] c = weightGemm(e, B, HW, Mp, ldc, CO, db, (col, ld, bw, cw, dbs, b0, n, m0, m1) -> {
            int P = n * HW;
            im2col(col, ld, x, b0, n, CI, H, W, T, m0 / T, Math.min(CI, (m1 + T - 1) / T));
            packPixelsT(bw, dbs, dbOff, dout, b0, n, CO, HW, P);
            gemm(cw, ldc, col, ld, 1, bw, m0, m1, P, panels, null);
        });
        e.parallelFor(CO, (lo, hi) -> {
            for (int co = lo; co < hi; co++) {
                for (int k = 0; k < K; k++) dw[dwOff + co * K + k] += c[k * ldc + co];
            }
        });
    }

    // ---------------------------------------------------------------------------------------------- convT 2×2 s2

    /**
     * ConvTranspose2d k2 s2: out(B, CO, 2H, 2W) = convT(x(B, CI, H, W), w(CI, CO, 2, 2)) + bias; w at wOff, bias at
     * bOff. Overwrites out.
     */
    public void convTForward(Engine e, float[] out, float[] x, float[] w, int wOff, float[] b, int bOff,
                             int B, int CI, int CO, int H, int W) {
        int N = 4 * CO, HW = H * W, panels = panels(N);
        bp = grow(bp, panels * CI * NR);
        VectorMatmul.packBlock(bp, 0, w, wOff, false, CI, N, 0, panels, 0, CI);     // B = W(CI, 4CO) as stored
        bias = grow(bias, panels * NR);
        for (int n = 0; n < N; n++) bias[n] = b[bOff + (n >> 2)];
        float[] bpk = bp, bz = bias;
        forEachChunk(e, B, HW, CI, panels * NR, (s, b0, nImg, col, ld, c) -> {
            im2col(col, ld, x, b0, nImg, CI, H, W, 1);
            gemm(c, panels * NR, col, 1, ld, bpk, rowsUp(nImg * HW), CI, panels, bz);
            int ldc = panels * NR;
            for (int i = 0; i < nImg; i++) {                 // out[b, co, 2y+ky, 2x+kx] = C[j, 4co + 2ky + kx]
                for (int co = 0; co < CO; co++) {
                    int o = ((b0 + i) * CO + co) * 4 * HW;
                    for (int y = 0; y < H; y++) {
                        int top = o + 2 * y * 2 * W, bot = top + 2 * W, j = (i * HW + y * W) * ldc + 4 * co;
                        for (int xx = 0; xx < W; xx++, j += ldc) {
                            out[top + 2 * xx] = c[j];
                            out[top + 2 * xx + 1] = c[j + 1];
                            out[bot + 2 * xx] = c[j + 2];
                            out[bot + 2 * xx + 1] = c[j + 3];
                        }
                    }
                }
            }
        });
    }

    /** dx(B, CI, H, W) = the input gradient of {@link #convTForward}, given dout(B, CO, 2H, 2W); w at wOff. */
    public void convTBackwardInput(Engine e, float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W) {
        int K = 4 * CO, HW = H * W, panels = panels(CI);
        bp = grow(bp, panels * K * NR);
        VectorMatmul.packBlock(bp, 0, w, wOff, true, K, CI, 0, panels, 0, K);        // B = Wᵀ(4CO, CI), W stored (CI, 4CO)
        float[] bpk = bp;
        forEachChunk(e, B, HW, K, panels * NR, (s, b0, n, col, ld, c) -> {
            spaceToDepth(col, ld, dout, b0, n, CO, H, W);
            gemm(c, panels * NR, col, 1, ld, bpk, rowsUp(n * HW), K, panels, ZERO);
            storeTransposed(dx, c, panels * NR, b0, n, CI, HW);
        });
    }

    /**
     * dw(CI, CO, 2, 2) += Σ x·dout-blocks, db(CO) += Σ dout: the weight gradient of {@link #convTForward}; dw at dwOff,
     * db at dbOff.
     */
    public void convTBackwardWeight(Engine e, float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                    int B, int CI, int CO, int H, int W) {
        int N = 4 * CO, HW = H * W, panels = panels(N), ldc = panels * NR, Mp = rowsUp(CI);
        float[] c = weightGemm(e, B, HW, Mp, ldc, N, db, (col, ld, bw, cw, dbs, b0, n, m0, m1) -> {
            int P = n * HW;
            im2col(col, ld, x, b0, n, CI, H, W, 1, m0, Math.min(CI, m1));
            packBlocksT(bw, dbs, dbOff, dout, b0, n, CO, H, W, P);
            gemm(cw, ldc, col, ld, 1, bw, m0, m1, P, panels, null);
        });
        e.parallelFor(CI, (lo, hi) -> {
            for (int ci = lo; ci < hi; ci++) {
                for (int n = 0; n < N; n++) dw[dwOff + ci * N + n] += c[ci * ldc + n];
            }
        });
    }

    // ---------------------------------------------------------------------------------------------- chunking

    interface ChunkBody { void run(int slot, int b0, int nImg, float[] col, int ld, float[] c); }

    interface WeightBody {
        void run(float[] col, int ld, float[] bw, float[] c, float[] db, int b0, int nImg, int m0, int m1);
    }

    private float[] cw = new float[0];          // the weight gradients' C (rows × ldc), shared by the threads of a call

    /** Images per chunk for planes of HW pixels. */
    static int chunkImages(int HW) { return Math.max(1, CHUNK_PIX / HW); }

    /**
     * Runs body over the chunks of B images, threads taking contiguous runs of chunks. Each slot gets a column
     * buffer (K rows, leading dimension ld ≥ the chunk's pixels rounded up to MR) and a C buffer (rows × ldc).
     */
    private void forEachChunk(Engine e, int B, int HW, int K, int ldc, ChunkBody body) {
        int nImg = chunkImages(HW), chunks = (B + nImg - 1) / nImg, T = Math.min(e.threads(), chunks);
        int ld = leading(rowsUp(nImg * HW));
        ensureSlots(T, K * ld, rowsUp(nImg * HW) * ldc);
        float[][] col = this.col, cbuf = this.cbuf;
        e.parallelFor(T, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                for (int ch = (int) ((long) chunks * t / T), end = (int) ((long) chunks * (t + 1) / T); ch < end; ch++) {
                    int b0 = ch * nImg;
                    body.run(t, b0, Math.min(nImg, B - b0), col[t], ld, cbuf[t]);
                }
            }
        });
    }

    /**
     * The weight gradients' GEMM C(Mp, ldc) = Σ over the chunks of B images (in order) of A·B: threads split C's
     * MR-row tiles, and each runs every chunk on its rows (body fills the column rows [m0, m1) and the packed B, and
     * multiplies). So every element of C sums the same products in the same order for any thread count, with no
     * partial sums to add up. The packed B (Σ dout into db, too) is made by every thread for itself; only the thread
     * with row 0 adds to db (the others get null). Returns C (zeroed first), valid until the next call.
     */
    private float[] weightGemm(Engine e, int B, int HW, int Mp, int ldc, int N, float[] db, WeightBody body) {
        int nImg = chunkImages(HW), chunks = (B + nImg - 1) / nImg, P = nImg * HW, tiles = Mp / MR;
        cw = grow(cw, Mp * ldc);
        Arrays.fill(cw, 0, Mp * ldc, 0f);
        ensureSlots(tiles, 0, 0);
        float[] c = cw;
        float[][] col = this.col, bpw = this.bpw;
        int bwLen = panels(N) * P * NR;
        e.parallelFor(tiles, (t0, t1) -> {
            // scratch at the index of the run's first tile: runs are disjoint, so no two threads share one
            float[] colS = col[t0] = grow(col[t0], Mp * P), bwS = bpw[t0] = grow(bpw[t0], bwLen);
            for (int ch = 0; ch < chunks; ch++) {
                int b0 = ch * nImg, n = Math.min(nImg, B - b0);
                body.run(colS, n * HW, bwS, c, t0 == 0 ? db : null, b0, n, t0 * MR, t1 * MR);
            }
        });
        return c;
    }

    private void ensureSlots(int T, int colLen, int cLen) {
        if (col.length < T) {
            col = Arrays.copyOf(col, T);
            cbuf = Arrays.copyOf(cbuf, T);
            bpw = Arrays.copyOf(bpw, T);
        }
        if (colLen == 0) return;                                  // pointers only; the caller grows what it uses
        for (int t = 0; t < T; t++) {
            col[t] = grow(col[t], colLen);
            cbuf[t] = grow(cbuf[t], cLen);
        }
    }

    private static float[] grow(float[] a, int n) {
        return a != null && a.length >= n ? a : new float[Math.max(n, 1)];
    }

    static int panels(int N) { return (N + NR - 1) / NR; }

    static int rowsUp(int M) { return (M + MR - 1) / MR * MR; }

    /**
     * Leading dimension of a column buffer read down its columns (A = colᵀ, one k-step = ld floats): a multiple of 8
     * that is not a multiple of 32, so consecutive k-steps do not all fall into the same few L1 sets.
     */
    static int leading(int P) {
        int ld = (P + 7) / 8 * 8;
        return ld % 32 == 0 ? ld + 8 : ld;
    }

    // ---------------------------------------------------------------------------------------------- GEMM

    /**
     * C(Mp, panels·NR) (+)= A(Mp, K)·B, A(m, k) at a[m·aRs + k·aCs], B packed [panel][K][NR] (full K per panel),
     * Mp a multiple of MR. C starts from init[0, NR·panels) broadcast over rows, or from itself when init is null.
     * Loop order: K-blocks, then the smaller operand's blocks outside the larger's, so the smaller stays in cache:
     * panels, then MR-row tiles (a kc × NR micro-panel of B in L1, A streamed) when A is the smaller; else (the weight
     * gradients of wide layers, A = col with CI·9 rows) tiles, then panels. Either way each element of C sums its
     * k in the same order.
     */
    static void gemm(float[] c, int ldc, float[] a, int aRs, int aCs, float[] bp, int Mp, int K, int panels, float[] init) {
        gemm(c, ldc, a, aRs, aCs, bp, 0, Mp, K, panels, init);
    }

    /** {@link #gemm} on rows [m0, m1) of C only (both multiples of MR). */
    static void gemm(float[] c, int ldc, float[] a, int aRs, int aCs, float[] bp, int m0, int m1, int K, int panels, float[] init) {
        boolean panelsOuter = m1 - m0 <= panels * NR;
        int t0 = m0 / MR, tiles = (m1 - m0) / MR;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = Math.min(KC, K - pc);
            boolean first = pc == 0 && init != null;
            int outer = panelsOuter ? panels : tiles, inner = panelsOuter ? tiles : panels;
            for (int u = 0; u < outer; u++) {
                for (int v = 0; v < inner; v++) {
                    int p = panelsOuter ? u : v, m = (t0 + (panelsOuter ? v : u)) * MR;
                    int bOff = p * K * NR + pc * NR, n0 = p * NR, cOff = m * ldc + n0, aOff = m * aRs + pc * aCs;
                    if (first) VectorMatmul.tile(a, aOff, aRs, aCs, bp, bOff, kc, init, init == ZERO ? 0 : n0, 0, c, cOff, ldc);
                    else VectorMatmul.tile(a, aOff, aRs, aCs, bp, bOff, kc, c, cOff, ldc, c, cOff, ldc);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- copies

    /**
     * col[(c·T + tap)·ld + i·HW + y·W + x] = src[b0 + i, c, y + ky − 1, x + kx − 1] (0 outside the image) for the
     * nImg images from b0; tap = 3·ky + kx for T = 9, the pixel itself for T = 1. src: (·, C, H, W).
     */
    static void im2col(float[] col, int ld, float[] src, int b0, int nImg, int C, int H, int W, int T) {
        im2col(col, ld, src, b0, nImg, C, H, W, T, 0, C);
    }

    /** {@link #im2col} for channels [c0, c1) only (their rows; the other rows of col are left as they are). */
    static void im2col(float[] col, int ld, float[] src, int b0, int nImg, int C, int H, int W, int T, int c0, int c1) {
        int HW = H * W;
        if (T == 1) {
            for (int c = c0; c < c1; c++) {
                for (int i = 0; i < nImg; i++) System.arraycopy(src, ((b0 + i) * C + c) * HW, col, c * ld + i * HW, HW);
            }
            return;
        }
        for (int c = c0; c < c1; c++) {
            for (int ky = 0; ky < 3; ky++) {
                for (int kx = 0; kx < 3; kx++) {
                    int row = (c * 9 + ky * 3 + kx) * ld;
                    // Whole plane at once: out pixel p reads p + shift, copied for the valid rows [y0, y1) in one run
                    // (trimmed by one at the end that would leave the plane), then the wrapped-around column and
                    // the rows outside the image are zeroed.
                    int y0 = ky == 0 ? 1 : 0, y1 = ky == 2 ? H - 1 : H, shift = (ky - 1) * W + kx - 1;
                    int p0 = y0 * W + (kx == 0 ? 1 : 0), p1 = y1 * W - (kx == 2 ? 1 : 0);
                    for (int i = 0; i < nImg; i++) {
                        int plane = ((b0 + i) * C + c) * HW, d = row + i * HW;
                        if (y0 > 0) Arrays.fill(col, d, d + W, 0f);
                        if (p1 > p0) copy(src, plane + p0 + shift, col, d + p0, p1 - p0);
                        if (kx == 0) for (int y = y0; y < y1; y++) col[d + y * W] = 0f;
                        else if (kx == 2) for (int y = y0; y < y1; y++) col[d + y * W + W - 1] = 0f;
                        if (y1 < H) Arrays.fill(col, d + y1 * W, d + HW, 0f);
                    }
                }
            }
        }
    }

    private static void copy(float[] src, int s, float[] dst, int d, int n) {
        if (n >= 16) System.arraycopy(src, s, dst, d, n);
        else for (int k = 0; k < n; k++) dst[d + k] = src[s + k];
    }

    /** D[(4co + 2ky + kx)·ld + i·HW + y·W + x] = dout[b0 + i, co, 2y + ky, 2x + kx]; dout: (·, CO, 2H, 2W). */
    static void spaceToDepth(float[] col, int ld, float[] dout, int b0, int nImg, int CO, int H, int W) {
        int HW = H * W;
        for (int co = 0; co < CO; co++) {
            for (int i = 0; i < nImg; i++) {
                int plane = ((b0 + i) * CO + co) * 4 * HW;
                for (int ky = 0; ky < 2; ky++) {
                    for (int y = 0; y < H; y++) {
                        int s = plane + (2 * y + ky) * 2 * W, d = (4 * co + 2 * ky) * ld + i * HW + y * W;
                        for (int xx = 0; xx < W; xx++) {
                            col[d + xx] = dout[s + 2 * xx];
                            col[d + ld + xx] = dout[s + 2 * xx + 1];
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs B = doutᵀ(P, CO) for the nImg images from b0 into panels [co / NR][j][co % NR], j = i·HW + p, and adds
     * Σ_j dout to db[co] (db at dbOff). dout: (·, CO, HW).
     */
    static void packPixelsT(float[] bw, float[] db, int dbOff, float[] dout, int b0, int nImg, int CO, int HW, int P) {
        for (int co = 0; co < CO; co++) {
            int base = (co / NR) * P * NR + co % NR;
            float acc = 0f;
            for (int i = 0; i < nImg; i++) {
                int s = ((b0 + i) * CO + co) * HW, d = base + i * HW * NR;
                for (int p = 0; p < HW; p++) {
                    float v = dout[s + p];
                    bw[d + p * NR] = v;
                    acc += v;
                }
            }
            if (db != null) db[dbOff + co] += acc;
        }
    }

    /**
     * Packs B = Dᵀ(P, 4CO), D as in {@link #spaceToDepth}, into panels [n / NR][j][n % NR] with n = 4co + 2ky + kx,
     * and adds Σ dout to db[co] (db at dbOff). dout: (·, CO, 2H, 2W).
     */
    static void packBlocksT(float[] bw, float[] db, int dbOff, float[] dout, int b0, int nImg, int CO, int H, int W, int P) {
        int HW = H * W;
        for (int co = 0; co < CO; co++) {
            float acc = 0f;
            for (int q = 0; q < 4; q++) {
                int n = 4 * co + q, ky = q >> 1, kx = q & 1, base = (n / NR) * P * NR + n % NR;
                for (int i = 0; i < nImg; i++) {
                    int plane = ((b0 + i) * CO + co) * 4 * HW;
                    for (int y = 0; y < H; y++) {
                        int s = plane + (2 * y + ky) * 2 * W + kx, d = base + (i * HW + y * W) * NR;
                        for (int xx = 0; xx < W; xx++) {
                            float v = dout[s + 2 * xx];
                            bw[d + xx * NR] = v;
                            acc += v;
                        }
                    }
                }
            }
            if (db != null) db[dbOff + co] += acc;
        }
    }

    /**
     * dst[b0 + i, n, p] = C[(i·HW + p)·ldc + n] for n < N: C's rows are pixels, dst is NCHW.
     */
    static void storeTransposed(float[] dst, float[] c, int ldc, int b0, int nImg, int N, int HW) {
        for (int i = 0; i < nImg; i++) {
            for (int n = 0; n < N; n++) {
                int o = ((b0 + i) * N + n) * HW, j = i * HW * ldc + n;
                for (int p = 0; p < HW; p++) dst[o + p] = c[j + p * ldc];
            }
        }
    }
}
