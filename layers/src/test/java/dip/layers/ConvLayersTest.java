package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.tornado.kernels.ConvKernels;
import dip.tornado.kernels.ConvTransposeKernels;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** Conv2d, ConvTranspose2d, MaxPool2d: forward against the naive kernels, gradients w.r.t. input and every param. */
class ConvLayersTest {
    private static final JavaEngine ENGINE = new JavaEngine(3);    // 3 slices, so the range splitting is exercised

    @AfterAll
    static void close() { ENGINE.close(); }

    /** L = ⟨forward(), dout⟩ as p varies, against p's gradient (accumulated from zero by one backward). */
    static void checkParam(Param p, Supplier<float[]> forward, float[] dout, Rng rng) {
        LayerChecks.assertParamGrad(p, () -> GradCheck.dot(forward.get(), dout, dout.length), rng);
    }

    private static void checkConv2d(int k, int H, int W, long seed) {
        var rng = new Rng(seed);
        int B = 2, CI = 3, CO = 5;
        var reg = new ParamRegistry();
        var conv = new Conv2d(ENGINE, reg, "enc1.0", CI, CO, k, H, W, 4);
        conv.initialize(rng);
        float[] x = rng.normal(B * CI * H * W), dout = rng.normal(B * CO * H * W);
        float[] y = conv.forward(x, B), naive = new float[dout.length];
        if (k == 3) ConvKernels.conv3x3ForwardNaive(naive, x, conv.weight.values(), conv.bias.values(), B, CI, CO, H, W);
        else ConvKernels.conv1x1ForwardNaive(naive, x, conv.weight.values(), conv.bias.values(), B, CI, CO, H * W);
        GradCheck.assertClose("Conv2d k" + k + " forward", naive, y, naive.length, Tol.FAST_VS_NAIVE);
        reg.zeroGrad();
        float[] dx = conv.backward(dout).clone();
        GradCheck.assertDirectional("Conv2d k" + k + " dx",
                xs -> GradCheck.dot(conv.forward(xs, B), dout, dout.length), x, dx, rng, 1e-2, Tol.GRAD_REL);
        checkParam(conv.weight, () -> conv.forward(x, B), dout, rng);
        checkParam(conv.bias, () -> conv.forward(x, B), dout, rng);
    }

    @Test
    void conv3x3Gradients() { checkConv2d(3, 5, 4, 51); }

    @Test
    void conv1x1Gradients() { checkConv2d(1, 3, 2, 52); }

    @Test
    void conv1x1OnOnePixelGoesThroughMatmul() { checkConv2d(1, 1, 1, 53); }

    @Test
    void conv2dRegistersOfficialShapes() {
        var reg = new ParamRegistry();
        new Conv2d(ENGINE, reg, "local_decoder.dec4.0", 1024, 256, 3, 2, 2, 1);
        GradCheck.assertClose("shape", new float[]{256, 1024, 3, 3}, toFloat(reg.get("local_decoder.dec4.0.weight").shape()), 4, 0f);
        GradCheck.assertClose("shape", new float[]{256}, toFloat(reg.get("local_decoder.dec4.0.bias").shape()), 1, 0f);
    }

    @Test
    void tooLargeBatchThrows() {
        var conv = new Conv2d(ENGINE, new ParamRegistry(), "c", 1, 1, 3, 2, 2, 2);
        assertThrows(IllegalArgumentException.class, () -> conv.forward(new float[12], 3));
    }

    @Test
    void convTranspose2dGradients() {
        var rng = new Rng(54);
        int B = 2, CI = 3, CO = 5, H = 3, W = 2;
        var reg = new ParamRegistry();
        var up = new ConvTranspose2d(ENGINE, reg, "up1", CI, CO, H, W, 2);
        up.initialize(rng);
        GradCheck.assertClose("shape", new float[]{CI, CO, 2, 2}, toFloat(up.weight.shape()), 4, 0f);
        float[] x = rng.normal(B * CI * H * W), dout = rng.normal(B * CO * 4 * H * W);
        float[] y = up.forward(x, B), naive = new float[dout.length];
        ConvTransposeKernels.convTranspose2x2ForwardNaive(naive, x, up.weight.values(), up.bias.values(), B, CI, CO, H, W);
        GradCheck.assertClose("ConvTranspose2d forward", naive, y, naive.length, Tol.FAST_VS_NAIVE);
        reg.zeroGrad();
        float[] dx = up.backward(dout).clone();
        GradCheck.assertDirectional("ConvTranspose2d dx",
                xs -> GradCheck.dot(up.forward(xs, B), dout, dout.length), x, dx, rng, 1e-2, Tol.GRAD_REL);
        checkParam(up.weight, () -> up.forward(x, B), dout, rng);
        checkParam(up.bias, () -> up.forward(x, B), dout, rng);
    }

    @Test
    void maxPool2dGradient() {
        var rng = new Rng(55);
        int B = 2, C = 3, H = 4, W = 6;
        var pool = new MaxPool2d(ENGINE, C, H, W, 2);
        float[] x = rng.normal(B * C * H * W), dout = rng.normal(B * C * (H / 2) * (W / 2));
        pool.forward(x, B);
        float[] dx = pool.backward(dout).clone();
        GradCheck.assertDirectional("MaxPool2d dx",
                xs -> GradCheck.dot(pool.forward(xs, B), dout, dout.length), x, dx, rng, 1e-4, Tol.GRAD_REL);
    }

    static float[] toFloat(int[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = a[i];
        return f;
    }
}
