package dip.tornado.exec;

import dip.tornado.kernels.MatmulKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU engine's fast matmuls (Vector API), the same three products as {@link MatmulKernels}, which stay the
 * reference and the TornadoVM kernels: this class never goes inside a kernel.
 * <pre>
 *   forward         out(R, OUT)  = x(R, IN) · W(OUT, IN)ᵀ + b     C = A·B with A = x,     B = Wᵀ (packed, transposed)
 *   backwardInput   dx(R, IN)   += dout(R, OUT) · W(OUT, IN)       C = A·B with A = dout,  B = W  (packed)
 *   backwardWeight  dW(OUT, IN) += dout(R, OUT)ᵀ · x(R, IN)        C = A·B with A = doutᵀ, B = x  (packed)
 * </pre>
 * One GEMM serves all three (GotoBLAS/BLIS shape): B is copied once per call into panels of NR = NV·L columns,
 * zero-padded, laid out [panel][k][NR] so a micro-kernel streams it contiguously; A is read in place through
 * two strides (row, column), except doutᵀ, whose MC × KC blocks are copied per thread so that consecutive k are
 * not OUT floats apart (4 KiB at OUT = 1024, which thrashes one L1 set). The micro-kernel keeps an MR × NR tile of C in
 * registers and does MR·NV FMAs per k. K is cut into KC-blocks (a B micro-panel of KC·NR floats stays in L1)
 * and rows into MC-blocks (the A block stays in L2).
 * For few rows packing W (a pass over memory as big as W) would cost as much as the product, so forward then
 * takes dot products (gemv, R &lt; {@link #GEMV_MAX_R}) and backwardInput axpys (R &lt; {@link #AXPY_MAX_R}), both
 * reading W in place. (Measured on 1 core, W 3456×1152: gemv beats the GEMM up to R ≈ 32, axpy only for R &lt; 4,
 * since it rereads W once per row.)
 * <p>Two ways to share the work. Forward and backwardInput, when C has enough column panels ({@link #splitColumns}),
 * give each thread a range of panels: it packs B per NCP panels × KC rows into its own buffer right before using
 * it (GotoBLAS's jc/pc loops), so the copy never leaves the cache. Otherwise (and always for backwardWeight, whose
 * B = x is small) B is packed whole into a shared buffer first and threads split the rows of C.
 * <p>Every element of C is summed in the same order (ascending k, FMA, KC-blocks stored and reloaded exactly)
 * whatever the thread split, so results do not depend on the thread count. Nor on the JIT: only lane-wise
 * operations (exact in every mode: FMA, add) and scalar code, no {@code reduceLanes} (see {@link #sumLanes}).
 * Not thread-safe: one caller at a time (the packed-B scratch is shared by the threads of one call).
 */
public final class VectorMatmul {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Micro-tile: MR rows × NV vectors of C in registers. */
    static final int MR = 6, NV = 2, NR = NV * L;
    /** Cache blocks: KC k-steps (B micro-panel KC·NR floats in L1), MC rows (A block MC·KC in L2). */
    static final int KC = 256, MC = 192;
    /** gemmCols packs B per NCP panels × KC k-rows (NCP·KC·NR floats = 256 KiB at NR = 32: stays in L2). */
    static final int NCP = 8;
    /** k-block of the transposed pack: PACK_KB · NR floats of the panel are written while they sit in L1. */
    static final int PACK_KB = 64;
    /** Below this many rows forward skips packing (gemv path). */
    public static final int GEMV_MAX_R = 32;
    /** Below this many rows backwardInput skips packing (axpy path). */
    public static final int AXPY_MAX_R = 4;

    private float[] packed = new float[0];      // B panels, [panel][k][NR], reused across calls
    private float[] zeros = new float[0];       // a zero "bias" row: backwardInput's C starts from 0

    // ---------------------------------------------------------------------------------------------- entry points

    /**
     * out(R, OUT) = x(R, IN)·Wᵀ + b(OUT), W at wOff, b at bOff. Overwrites out. Picks gemv below GEMV_MAX_R rows, else
     * the packed GEMM.
     */
    public void forward(Engine e, float[] out, float[] x, float[] w, int wOff, float[] b, int bOff, int R, int IN, int OUT) {
        if (R < GEMV_MAX_R) forwardGemv(e, out, x, w, wOff, b, bOff, R, IN, OUT);
        else forwardGemm(e, out, x, w, wOff, b, bOff, R, IN, OUT);
    }

    /** dx(R, IN) = dout(R, OUT)·W(OUT, IN), W at wOff; overwritten. Axpy path below AXPY_MAX_R rows, else the packed GEMM. */
    public void backwardInput(Engine e, float[] dx, float[] dout, float[] w, int wOff, int R, int IN, int OUT) {
        if (R < AXPY_MAX_R) backwardInputAxpy(e, dx, dout, w, wOff, R, IN, OUT);
        else backwardInputGemm(e, dx, dout, w, wOff, R, IN, OUT);
    }

    /**
     * dW(OUT, IN) += dout(R, OUT)ᵀ·x(R, IN); db(OUT) += Σ_r dout[r, :]; dW at dwOff, db at dbOff. Always the packed
     * GEMM (packing x is cheap).
     */
    public void backwardWeight(Engine e, float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                               int R, int IN, int OUT) {
        float[] bp = pack(e, x, 0, R, IN, false);
        e.parallelFor(OUT, (lo, hi) -> {
            gemmRows(dw, dwOff, IN, bp, dout, 1, OUT, R, IN, null, 0, lo, hi);
            biasGrad(db, dbOff, dout, R, OUT, lo, hi);
        });
    }

    /** The packed GEMM for forward: threads split output columns when there are enough panels, else rows. */
    public void forwardGemm(Engine e, float[] out, float[] x, float[] w, int wOff, float[] b, int bOff, int R, int IN, int OUT) {
        int panels = (OUT + NR - 1) / NR;
        if (splitColumns(panels, e.threads())) {
            e.parallelFor(panels, (p0, p1) -> gemmCols(out, OUT, w, wOff, true, x, IN, 1, IN, OUT, R, b, bOff, p0, p1));
        } else {
            float[] bp = pack(e, w, wOff, OUT, IN, true);
            e.parallelFor(R, (lo, hi) -> gemmRows(out, 0, OUT, bp, x, IN, 1, IN, OUT, b, bOff, lo, hi));
        }
    }

    /**
     * The packed GEMM for backwardInput: threads split dx columns when there are enough panels, else rows. C starts
     * from a zero bias row, so dx is overwritten.
     */
    public void backwardInputGemm(Engine e, float[] dx, float[] dout, float[] w, int wOff, int R, int IN, int OUT) {
        int panels = (IN + NR - 1) / NR;
        if (zeros.length < panels * NR) zeros = new float[panels * NR];
        float[] z = zeros;
        if (splitColumns(panels, e.threads())) {
            e.parallelFor(panels, (p0, p1) -> gemmCols(dx, IN, w, wOff, false, dout, OUT, 1, OUT, IN, R, z, 0, p0, p1));
        } else {
            float[] bp = pack(e, w, wOff, OUT, IN, false);
            e.parallelFor(R, (lo, hi) -> gemmRows(dx, 0, IN, bp, dout, OUT, 1, OUT, IN, z, 0, lo, hi));
        }
    }

    /** Column split (each thread packs its own B blocks, no shared copy) needs a few panels per thread to balance. */
    static boolean splitColumns(int panels, int threads) {
        return threads == 1 || panels >= 4 * threads;
    }

    // ---------------------------------------------------------------------------------------------- packing

    /**
     * Packs B (K, N) into zero-padded panels [panel][k][NR]. transposed: B = src(N, K)ᵀ (forward's Wᵀ);
     * else B = src(K, N) as stored; src's element 0 at srcOff. Panels are split across the engine's threads. Returns
     * the shared buffer.
     */
    private float[] pack(Engine e, float[] src, int srcOff, int rows, int cols, boolean transposed) {
        int K = transposed ? cols : rows, N = transposed ? rows : cols;
        int panels = (N + NR - 1) / NR;
        int need = panels * NR * K;
        if (packed.length < need) packed = new float[need];
        float[] bp = packed;
        e.parallelFor(panels, (p0, p1) -> packBlock(bp, 0, src, srcOff, transposed, K, N, p0, p1, 0, K));
        return bp;
    }

    /**
     * Packs panels [p0, p1) of B (K, N), rows k in [pc, pc + kc), into dst as [p − dstP0][k − pc][NR], zero-padded.
     * transposed: B = src(N, K)ᵀ; else B = src(K, N); src's element 0 at srcOff.
     */
    static void packBlock(float[] dst, int dstP0, float[] src, int srcOff, boolean transposed, int K, int N,
                          int p0, int p1, int pc, int kc) {
        for (int p = p0; p < p1; p++) {
            int n0 = p * NR, nn = Math.min(NR, N - n0), base = (p - dstP0) * kc * NR;
            if (transposed) {                                   // in k-blocks, so the writes stay in L1
                for (int k0 = 0; k0 < kc; k0 += PACK_KB) {
                    int k1 = Math.min(kc, k0 + PACK_KB);
                    for (int j = 0; j < nn; j++) {
                        int s = srcOff + (n0 + j) * K + pc;     // src row n0+j = column n0+j of B
                        for (int k = k0; k < k1; k++) dst[base + k * NR + j] = src[s + k];
                    }
                }
                if (nn < NR) for (int k = 0; k < kc; k++) java.util.Arrays.fill(dst, base + k * NR + nn, base + (k + 1) * NR, 0f);
            } else {
                for (int k = 0; k < kc; k++) {
                    int s = srcOff + (pc + k) * N + n0, d = base + k * NR;
                    for (int v = 0; v < NR; v += L) {
                        VectorMask<Float> m = S.indexInRange(v, nn);
                        FloatVector.fromArray(S, src, s + v, m).intoArray(dst, d + v);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- GEMM driver

    /**
     * C rows [m0, m1) of C(M, N) (+)= A(M, K)·B, C(m, n) at c[cBase + m·ldc + n], A(m, k) at a[m·aRs + k·aCs], B
     * packed. C starts from bias(N) at biasOff broadcast over rows when bias != null (forward), else from its own
     * contents (backward accumulates).
     */
    static void gemmRows(float[] c, int cBase, int ldc, float[] bp, float[] a, int aRs, int aCs, int K, int N,
                         float[] bias, int biasOff, int m0, int m1) {
        int panels = (N + NR - 1) / NR;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = Math.min(KC, K - pc);
            for (int mc = m0; mc < m1; mc += MC) {
                block(c, cBase, ldc, bp, pc * NR, K * NR, 0, panels, a, aRs, aCs, pc, kc, N, bias, biasOff, mc, Math.min(mc + MC, m1));
            }
        }
    }

    /**
     * Output panels [p0, p1) of C(M, N) (+)= A(M, K)·B for all M rows, B read from src (see packBlock) and packed
     * here per block of NCP panels × KC rows into a per-thread buffer, right before use, so it stays in cache (src's
     * element 0 at srcOff; bias at biasOff).
     */
    static void gemmCols(float[] c, int ldc, float[] src, int srcOff, boolean transposed, float[] a, int aRs, int aCs,
                         int K, int N, int M, float[] bias, int biasOff, int p0, int p1) {
        float[] bb = B_BLOCK.get();
        for (int jc = p0; jc < p1; jc += NCP) {
            int jEnd = Math.min(jc + NCP, p1);
            for (int pc = 0; pc < K; pc += KC) {
                int kc = Math.min(KC, K - pc);
                packBlock(bb, jc, src, srcOff, transposed, K, N, jc, jEnd, pc, kc);
                for (int mc = 0; mc < M; mc += MC) {
                    block(c, 0, ldc, bb, 0, kc * NR, jc, jEnd, a, aRs, aCs, pc, kc, N, bias, biasOff, mc, Math.min(mc + MC, M));
                }
            }
        }
    }

    /**
     * One A block (rows [mc, mEnd), k in [pc, pc + kc)) times panels [p0, p1) of packed B, panel p's k-block at
     * bp[bBase + (p − p0)·bStride]; C(m, n) at c[cBase + m·ldc + n]. C starts from bias (at biasOff) at pc = 0 when
     * bias != null, else from itself.
     */
    private static void block(float[] c, int cBase, int ldc, float[] bp, int bBase, int bStride, int p0, int p1,
                              float[] a, int aRs, int aCs, int pc, int kc, int N, float[] bias, int biasOff, int mc, int mEnd) {
        boolean fromBias = bias != null && pc == 0;
        float[] ab = a;                                         // A block: element (m, k) at ab[abBase + m·abRs + k·abCs]
        int abRs = aRs, abCs = aCs, abBase = pc * aCs;
        if (aRs == 1 && aCs != 1) {                             // doutᵀ: copy the block so k-steps are not OUT apart
            int mcLen = mEnd - mc;
            ab = A_BLOCK.get();
            for (int k = 0; k < kc; k++) System.arraycopy(a, (pc + k) * aCs + mc, ab, k * mcLen, mcLen);
            abCs = mcLen;
            abBase = -mc;
        }
        for (int p = p0; p < p1; p++) {
            int n0 = p * NR, nn = Math.min(NR, N - n0), bOff = bBase + (p - p0) * bStride;
            int m = mc;
            if (nn == NR) {
                for (; m + MR <= mEnd; m += MR) {
                    int cOff = cBase + m * ldc + n0;
                    if (fromBias) tile(ab, abBase + m * abRs, abRs, abCs, bp, bOff, kc, bias, biasOff + n0, 0, c, cOff, ldc);
                    else tile(ab, abBase + m * abRs, abRs, abCs, bp, bOff, kc, c, cOff, ldc, c, cOff, ldc);
                }
            }
            for (; m < mEnd; m++) {
                int cOff = cBase + m * ldc + n0;
                if (fromBias) edgeRow(ab, abBase + m * abRs, abCs, bp, bOff, kc, bias, biasOff + n0, c, cOff, nn);
                else edgeRow(ab, abBase + m * abRs, abCs, bp, bOff, kc, c, cOff, c, cOff, nn);
            }
        }
    }

    /** Per-thread B block for gemmCols: NCP panels × KC k-rows × NR. */
    private static final ThreadLocal<float[]> B_BLOCK = ThreadLocal.withInitial(() -> new float[NCP * KC * NR]);

    /** Per-thread copy of one MC × KC block of a transposed A (backwardWeight's doutᵀ), laid out [k][m]. */
    private static final ThreadLocal<float[]> A_BLOCK = ThreadLocal.withInitial(() -> new float[MC * KC]);

    /** The micro-kernel: an MR × NR tile of C, initialised from init (row stride initRs; 0 broadcasts a bias row). */
    static void tile(float[] a, int aOff, int aRs, int aCs, float[] bp, int bOff, int kc,
                      float[] init, int initOff, int initRs, float[] c, int cOff, int ldc) {
        int i0 = initOff;
        int i1 = initOff + 1 * initRs;
        int i2 = initOff + 2 * initRs;
        int i3 = initOff + 3 * initRs;
        int i4 = initOff + 4 * initRs;
        int i5 = initOff + 5 * initRs;
        FloatVector c00 = FloatVector.fromArray(S, init, i0), c01 = FloatVector.fromArray(S, init, i0 + 1 * L);
        FloatVector c10 = FloatVector.fromArray(S, init, i1), c11 = FloatVector.fromArray(S, init, i1 + 1 * L);
        FloatVector c20 = FloatVector.fromArray(S, init, i2), c21 = FloatVector.fromArray(S, init, i2 + 1 * L);
        FloatVector c30 = FloatVector.fromArray(S, init, i3), c31 = FloatVector.fromArray(S, init, i3 + 1 * L);
        FloatVector c40 = FloatVector.fromArray(S, init, i4), c41 = FloatVector.fromArray(S, init, i4 + 1 * L);
        FloatVector c50 = FloatVector.fromArray(S, init, i5), c51 = FloatVector.fromArray(S, init, i5 + 1 * L);
        for (int k = 0; k < kc; k++) {
            int bo = bOff + k * NR, ao = aOff + k * aCs;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + 1 * L);
            FloatVector a0 = FloatVector.broadcast(S, a[ao]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1 * aRs]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2 * aRs]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3 * aRs]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4 * aRs]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5 * aRs]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
        }
        c00.intoArray(c, cOff); c01.intoArray(c, cOff + 1 * L);
        c10.intoArray(c, cOff + 1 * ldc); c11.intoArray(c, cOff + 1 * ldc + 1 * L);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + 1 * L);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + 1 * L);
        c40.intoArray(c, cOff + 4 * ldc); c41.intoArray(c, cOff + 4 * ldc + 1 * L);
        c50.intoArray(c, cOff + 5 * ldc); c51.intoArray(c, cOff + 5 * ldc + 1 * L);
    }

    /** One row of C, nn ≤ NR valid columns (masked): the tails. Same per-element arithmetic as tile. */
    static void edgeRow(float[] a, int aOff, int aCs, float[] bp, int bOff, int kc,
                        float[] init, int initOff, float[] c, int cOff, int nn) {
        for (int v = 0; v < nn; v += L) {
            VectorMask<Float> mask = S.indexInRange(v, nn);
            FloatVector acc = FloatVector.fromArray(S, init, initOff + v, mask);
            for (int k = 0; k < kc; k++) {
                acc = FloatVector.broadcast(S, a[aOff + k * aCs]).fma(FloatVector.fromArray(S, bp, bOff + k * NR + v), acc);
            }
            acc.intoArray(c, cOff + v, mask);
        }
    }

    /** db[o] += Σ_r dout[r, o] for o in [o0, o1), ascending r; db at dbOff. */
    static void biasGrad(float[] db, int dbOff, float[] dout, int R, int OUT, int o0, int o1) {
        for (int o = o0; o < o1; o += L) {
            VectorMask<Float> mask = S.indexInRange(o, o1);
            FloatVector acc = FloatVector.fromArray(S, db, dbOff + o, mask);
            for (int r = 0; r < R; r++) acc = acc.add(FloatVector.fromArray(S, dout, r * OUT + o, mask));
            acc.intoArray(db, dbOff + o, mask);
        }
    }

    // ---------------------------------------------------------------------------------------------- few rows

    /**
     * forward for few rows: out[r, o] = b[o] + dot(x[r, :], W[o, :]), four W rows at a time against every x row
     * (the four rows stay in L1). Threads split OUT. Per element: lane-wise FMA over IN in L-steps, the lanes summed
     * in a fixed pairwise order ({@link #sumLanes}), then the scalar tail (Math.fma, as the vector part).
     */
    public void forwardGemv(Engine e, float[] out, float[] x, float[] w, int wOff, float[] b, int bOff, int R, int IN, int OUT) {
        e.parallelFor(OUT, (o0, o1) -> gemvCols(out, x, w, wOff, b, bOff, R, IN, OUT, o0, o1));
    }

    static void gemvCols(float[] out, float[] x, float[] w, int wOff, float[] b, int bOff, int R, int IN, int OUT, int o0, int o1) {
        float[] lanes = LANES.get();
        int iv = IN - IN % L;
        int o = o0;
        for (; o + 4 <= o1; o += 4) {
            int w0 = wOff + o * IN, w1 = w0 + IN, w2 = w1 + IN, w3 = w2 + IN;
            for (int r = 0; r < R; r++) {
                int xr = r * IN;
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
                for (int i = 0; i < iv; i += L) {
                    FloatVector xv = FloatVector.fromArray(S, x, xr + i);
                    s0 = xv.fma(FloatVector.fromArray(S, w, w0 + i), s0);
                    s1 = xv.fma(FloatVector.fromArray(S, w, w1 + i), s1);
                    s2 = xv.fma(FloatVector.fromArray(S, w, w2 + i), s2);
                    s3 = xv.fma(FloatVector.fromArray(S, w, w3 + i), s3);
                }
                out[r * OUT + o] = b[bOff + o] + finishDot(s0, lanes, x, xr, w, w0, iv, IN);
                out[r * OUT + o + 1] = b[bOff + o + 1] + finishDot(s1, lanes, x, xr, w, w1, iv, IN);
                out[r * OUT + o + 2] = b[bOff + o + 2] + finishDot(s2, lanes, x, xr, w, w2, iv, IN);
                out[r * OUT + o + 3] = b[bOff + o + 3] + finishDot(s3, lanes, x, xr, w, w3, iv, IN);
            }
        }
        for (; o < o1; o++) {
            int w0 = wOff + o * IN;
            for (int r = 0; r < R; r++) {
                int xr = r * IN;
                FloatVector s0 = FloatVector.zero(S);
                for (int i = 0; i < iv; i += L) s0 = FloatVector.fromArray(S, x, xr + i).fma(FloatVector.fromArray(S, w, w0 + i), s0);
                out[r * OUT + o] = b[bOff + o] + finishDot(s0, lanes, x, xr, w, w0, iv, IN);
            }
        }
    }

    private static float finishDot(FloatVector s, float[] lanes, float[] x, int xr, float[] w, int wr, int iv, int IN) {
        s.intoArray(lanes, 0);
        float acc = sumLanes(lanes);
        for (int i = iv; i < IN; i++) acc = Math.fma(x[xr + i], w[wr + i], acc);
        return acc;
    }

    /**
     * The sum of t[0, L) in a fixed pairwise order (halves folded onto each other: t[i] += t[i + h] for h = L/2, L/4,
     * …, 1), overwriting t. Not {@code reduceLanes(ADD)}: its order is unspecified, and HotSpot's compiled (C2) form
     * adds the lanes in another order than the interpreter and C1 (which add them one after the other), so a result
     * would change when the method gets compiled. Plain scalar adds are never reordered.
     */
    static float sumLanes(float[] t) {
        for (int h = L >> 1; h > 0; h >>= 1) {
            for (int i = 0; i < h; i++) t[i] += t[i + h];
        }
        return t[0];
    }

    /** Per-thread lane buffer for {@link #sumLanes}. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);

    /**
     * backwardInput for few rows: dx[r, i] = Σ_o dout[r, o]·W[o, i], ascending o. Threads split IN in whole
     * vectors; a chunk of up to 4 vectors of dx[r, :] stays in registers while o runs.
     */
    public void backwardInputAxpy(Engine e, float[] dx, float[] dout, float[] w, int wOff, int R, int IN, int OUT) {
        int nVec = (IN + L - 1) / L;
        e.parallelFor(nVec, (v0, v1) -> axpyCols(dx, dout, w, wOff, R, IN, OUT, v0 * L, Math.min(v1 * L, IN)));
    }

    static void axpyCols(float[] dx, float[] dout, float[] w, int wOff, int R, int IN, int OUT, int i0, int i1) {
        for (int r = 0; r < R; r++) {
            int dr = r * IN, gr = r * OUT;
            int i = i0;
            for (; i + 4 * L <= i1; i += 4 * L) {
                FloatVector d0 = FloatVector.zero(S), d1 = d0, d2 = d0, d3 = d0;
                for (int o = 0; o < OUT; o++) {
                    FloatVector g = FloatVector.broadcast(S, dout[gr + o]);
                    int wr = wOff + o * IN + i;
                    d0 = g.fma(FloatVector.fromArray(S, w, wr), d0);
                    d1 = g.fma(FloatVector.fromArray(S, w, wr + L), d1);
                    d2 = g.fma(FloatVector.fromArray(S, w, wr + 2 * L), d2);
                    d3 = g.fma(FloatVector.fromArray(S, w, wr + 3 * L), d3);
                }
                d0.intoArray(dx, dr + i); d1.intoArray(dx, dr + i + L);
                d2.intoArray(dx, dr + i + 2 * L); d3.intoArray(dx, dr + i + 3 * L);
            }
            for (; i < i1; i += L) {
                VectorMask<Float> mask = S.indexInRange(i, i1);
                FloatVector d0 = FloatVector.zero(S);
                for (int o = 0; o < OUT; o++) {
                    d0 = FloatVector.broadcast(S, dout[gr + o]).fma(FloatVector.fromArray(S, w, wOff + o * IN + i, mask), d0);
                }
                d0.intoArray(dx, dr + i, mask);
            }
        }
    }
}
