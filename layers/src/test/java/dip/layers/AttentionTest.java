package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The attention layer: official names, a one-token case by hand, gradient checks, thread-count determinism. */
class AttentionTest {
    static final int B = 2, NH = 3, HS = 4, D = NH * HS, GRID = 3, N = GRID * GRID;

    @Test
    void registersOfficialNamesAndShapes() {
        var reg = new ParamRegistry();
        new Attention(new JavaEngine(1), reg, "blocks.0.attn", D, NH, GRID, B);
        assertEquals(List.of("blocks.0.attn.qkv.weight", "blocks.0.attn.q_norm.weight", "blocks.0.attn.k_norm.weight",
                "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias"), reg.all().stream().map(Param::name).toList());
        assertArrayEquals(new int[]{3 * D, D}, reg.get("blocks.0.attn.qkv.weight").shape());
        assertArrayEquals(new int[]{HS}, reg.get("blocks.0.attn.q_norm.weight").shape());
        assertArrayEquals(new int[]{D, D}, reg.get("blocks.0.attn.proj.weight").shape());
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> new Attention(new JavaEngine(1), new ParamRegistry(), "a", 10, 3, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new Attention(new JavaEngine(1), new ParamRegistry(), "a", 12, 2, 2, 1));
        var attn = new Attention(new JavaEngine(1), new ParamRegistry(), "a", D, NH, GRID, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> attn.forward(new float[2 * N * D], 2));
        assertEquals("attention: batch 2 > maxBatch 1", e.getMessage());
    }

    @Test
    void oneTokenAttendsOnlyToItself() {
        // grid 1: one token at position 0 (RoPE = identity) and softmax over one key = 1, so y = proj(v) with
        // v = x·Wvᵀ (rows 2D..3D of qkv.weight): the q/k path, whatever it computes, drops out.
        var rng = new Rng(13);
        var reg = new ParamRegistry();
        var attn = new Attention(new JavaEngine(1), reg, "a", D, NH, 1, B);
        LayerChecks.randomize(reg, rng, 0.5f);
        float[] x = rng.normal(B * D), y = attn.forward(x, B);
        float[] wqkv = reg.get("a.qkv.weight").values(), wp = reg.get("a.proj.weight").values(), bp = reg.get("a.proj.bias").values();
        float[] expected = new float[B * D];
        for (int b = 0; b < B; b++) {
            double[] vv = new double[D];
            for (int c = 0; c < D; c++) for (int i = 0; i < D; i++) vv[c] += (double) x[b * D + i] * wqkv[(2 * D + c) * D + i];
            for (int o = 0; o < D; o++) {
                double acc = bp[o];
                for (int c = 0; c < D; c++) acc += vv[c] * wp[o * D + c];
                expected[b * D + o] = (float) acc;
            }
        }
        GradCheck.assertClose("one-token attention", expected, y, B * D, Tol.FWD_F32);
    }

    @Test
    void gradientsWrtInputAndEveryParameter() {
        var rng = new Rng(14);
        var reg = new ParamRegistry();
        var attn = new Attention(new JavaEngine(2), reg, "blocks.0.attn", D, NH, GRID, B);
        LayerChecks.randomize(reg, rng, 0.5f);
        float[] x = rng.normal(B * N * D), dout = rng.normal(B * N * D);
        attn.forward(x, B);
        float[] dx = attn.backward(dout).clone();
        LayerChecks.checkAll("Attention", xs -> attn.forward(xs, B), x, dout, B * N * D, dx, reg.all(), rng);
    }

    @Test
    void twoThreadsAreBitIdenticalToOne() {
        float[][] one = run(1), two = run(2);
        for (int i = 0; i < one.length; i++) assertArrayEquals(one[i], two[i], 0f, "tensor " + i);
    }

    /** Forward + backward with fixed seeds; returns {y, dx, grads of every param in order}. */
    private static float[][] run(int threads) {
        var rng = new Rng(15);
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(threads)) {
            var attn = new Attention(engine, reg, "a", D, NH, GRID, B);
            LayerChecks.randomize(reg, rng, 0.5f);
            float[] x = rng.normal(B * N * D), dout = rng.normal(B * N * D);
            float[] y = attn.forward(x, B).clone();
            float[] dx = attn.backward(dout).clone();
            List<Param> ps = reg.all();
            float[][] res = new float[2 + ps.size()][];
            res[0] = y;
            res[1] = dx;
            for (int i = 0; i < ps.size(); i++) res[2 + i] = ps.get(i).gradValues();
            return res;
        }
    }
}
