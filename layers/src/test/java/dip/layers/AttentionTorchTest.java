package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Attention layer against PyTorch (torch 1.13), with no fixture file: inputs and weights are closed-form
 * functions of the flat index, computed in double and rounded to float32 in both languages, and the PyTorch
 * side's checksums are written below. The Python reference (RAttention semantics of PixNerd/DiP: timm qkv
 * reshape, RMSNorm per head, RoPE with x = column and y = row positions linspace(0, 16, grid), angles
 * [x·f0, y·f0, …], complex multiply on (q[2j], q[2j+1]), SDPA scale 1/sqrt(HS)) computed, for each tensor t,
 * probe(t) = Σ_i t[i]·sin(0.17·i + 1) and ‖t‖₂, with L = Σ y·dout for the gradients. Swapping the RoPE axes
 * moves y by ~50% relative, so this catches convention slips that gradient checks cannot.
 * The script: src/test/resources/attention_torch_checksums.py.
 */
class AttentionTorchTest {
    static final int B = 2, NH = 3, HS = 8, GRID = 3, D = NH * HS, N = GRID * GRID;

    static float[] cf(int n, DoubleUnaryOperator f) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) f.applyAsDouble(i);
        return a;
    }

    static void fill(ParamRegistry reg, String name, DoubleUnaryOperator f) {
        Param p = reg.get(name);
        p.load(cf(p.size(), f));
    }

    static void check(String name, float[] t, int n, double probe, double norm) {
        double pr = 0, nn = 0;
        for (int i = 0; i < n; i++) { pr += t[i] * Math.sin(0.17 * i + 1); nn += (double) t[i] * t[i]; }
        nn = Math.sqrt(nn);
        assertEquals(norm, nn, Tol.TORCH_REL * norm, name + " norm");
        assertEquals(probe, pr, Tol.TORCH_REL * norm, name + " probe");
    }

    @Test
    void matchesPyTorchChecksums() {
        var reg = new ParamRegistry();
        var attn = new Attention(new JavaEngine(1), reg, "a", D, NH, GRID, B);
        fill(reg, "a.qkv.weight", i -> 0.5 * Math.sin(0.91 * i + 0.2));
        fill(reg, "a.q_norm.weight", i -> 1 + 0.3 * Math.cos(1.3 * i));
        fill(reg, "a.k_norm.weight", i -> 1 - 0.2 * Math.sin(0.7 * i));
        fill(reg, "a.proj.weight", i -> 0.4 * Math.cos(0.53 * i + 0.4));
        fill(reg, "a.proj.bias", i -> 0.1 * i - 0.5);
        float[] x = cf(B * N * D, i -> Math.sin(0.37 * i + 0.1)), dout = cf(B * N * D, i -> Math.cos(0.29 * i));
        check("y", attn.forward(x, B), B * N * D, -10.9311047, 19.7598529);
        check("dx", attn.backward(dout), B * N * D, -10.3302456, 33.0969336);
        check("qkv.weight", reg.get("a.qkv.weight").gradValues(), 3 * D * D, 28.7784825, 51.1289668);
        check("q_norm.weight", reg.get("a.q_norm.weight").gradValues(), HS, 0.0437620935, 0.303034858);
        check("k_norm.weight", reg.get("a.k_norm.weight").gradValues(), HS, 0.178760093, 0.350295372);
        check("proj.weight", reg.get("a.proj.weight").gradValues(), D * D, 0.00338880126, 5.57268286);
        check("proj.bias", reg.get("a.proj.bias").gradValues(), D, -1.1460438, 2.05936448);
    }
}
