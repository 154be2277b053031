package dip.tornado.exec.tornadovm;

// A smoke check for a user's TornadoVM setup: runs the three matmul kernels through TornadoEngine and through the CPU
// JavaEngine on a few shapes, prints the device, the max abs error and the time per call, and exits 1 on a mismatch.
// Not a unit test (TornadoEngineTest is); this is what docs/tornadovm.md tells a user to run first.

import dip.tornado.exec.JavaEngine;
import dip.tornado.exec.Pass;
import dip.util.Rng;

import java.util.Locale;

/**
 * {@code java @$TORNADOVM_HOME/tornado-argfile -Dtornado.load.annotation.parallel=dip.tornado.Parallel
 * -cp tornado/target/classes dip.tornado.exec.tornadovm.TornadoCheck [R IN OUT]...}
 */
public final class TornadoCheck {
    private TornadoCheck() {
    }

    private static final int REPEATS = 10;

    public static void main(String[] args) {
        int[][] shapes = args.length == 0 ? new int[][] {{64, 96, 80}, {257, 129, 65}, {1024, 384, 384}} : parse(args);
        boolean ok = true;
        try (var dev = new TornadoEngine(); var cpu = new JavaEngine()) {
            System.out.printf("TornadoVM device: %s | CPU engine: %d threads%n", dev.deviceName(), cpu.threads());
            System.out.println("| op               |    R |   IN |  OUT | max abs err | tol      | first call ms | device ms/call | cpu ms/call |");
            for (int[] s : shapes) ok &= checkShape(dev, cpu, s[0], s[1], s[2]);
        }
        if (!ok) {
            System.out.println("MISMATCH: TornadoVM and CPU results differ beyond tolerance");
            System.exit(1);
        }
        System.out.println("OK");
    }

    private static boolean checkShape(TornadoEngine dev, JavaEngine cpu, int R, int IN, int OUT) {
        var rng = new Rng(1234L + R);
        float[] x = rng.normal(R * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT), dout = rng.normal(R * OUT);
        boolean ok = true;

        float[] yCpu = new float[R * OUT], yDev = new float[R * OUT];
        Runnable cpuF = () -> cpu.matmulForward(yCpu, x, w, 0, b, 0, R, IN, OUT);
        Runnable devF = () -> dev.run(new Pass("forward" + R, new Object[] {x}, new Object[] {yDev},
                () -> dev.matmulForward(yDev, x, w, 0, b, 0, R, IN, OUT)));
        ok &= report("matmulForward", R, IN, OUT, cpuF, devF, yCpu, yDev, null);

        float[] dxCpu = new float[R * IN], dxDev = new float[R * IN];
        Runnable cpuI = () -> cpu.matmulBackwardInput(dxCpu, dout, w, 0, R, IN, OUT);
        Runnable devI = () -> dev.run(new Pass("backwardInput" + R, new Object[] {dout}, new Object[] {dxDev},
                () -> dev.matmulBackwardInput(dxDev, dout, w, 0, R, IN, OUT)));
        ok &= report("matmulBackInput", R, IN, OUT, cpuI, devI, dxCpu, dxDev, null);

        float[] dwCpu = new float[OUT * IN], dwDev = new float[OUT * IN], dbCpu = new float[OUT], dbDev = new float[OUT];
        Runnable cpuW = () -> cpu.matmulBackwardWeight(dwCpu, 0, dbCpu, 0, dout, x, R, IN, OUT);
        Runnable devW = () -> dev.run(new Pass("backwardWeight" + R, new Object[] {dout, x}, new Object[] {dwDev, dbDev},
                () -> dev.matmulBackwardWeight(dwDev, 0, dbDev, 0, dout, x, R, IN, OUT)));
        ok &= report("matmulBackWeight", R, IN, OUT, cpuW, devW, dwCpu, dwDev, new float[][] {dbCpu, dbDev});
        return ok;
    }

    /**
     * Compares the first call on each engine (for the device, compile + run), then times REPEATS more calls
     * (backward kernels keep accumulating then, which does not matter for timing).
     */
    private static boolean report(String op, int R, int IN, int OUT, Runnable cpuCall, Runnable devCall,
                                  float[] ref, float[] got, float[][] extra) {
        long t0 = System.nanoTime();
        devCall.run();
        double firstMs = (System.nanoTime() - t0) / 1e6;
        cpuCall.run();
        double err = maxAbsDiff(ref, got), scale = maxAbs(ref);
        if (extra != null) {
            err = Math.max(err, maxAbsDiff(extra[0], extra[1]));
            scale = Math.max(scale, maxAbs(extra[0]));
        }
        double tol = 1e-4 * Math.max(1.0, scale);  // as the tests' Tol.FAST_VS_NAIVE: summation order and FMA may differ on the device
        double devMs = timeMs(devCall), cpuMs = timeMs(cpuCall);
        System.out.printf(Locale.ROOT, "| %-16s | %4d | %4d | %4d | %11.3e | %8.2e | %13.1f | %14.3f | %11.3f |%n",
                op, R, IN, OUT, err, tol, firstMs, devMs, cpuMs);
        return err <= tol;
    }

    private static double timeMs(Runnable call) {
        long t0 = System.nanoTime();
        for (int i = 0; i < REPEATS; i++) call.run();
        return (System.nanoTime() - t0) / 1e6 / REPEATS;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static int[][] parse(String[] args) {
        if (args.length % 3 != 0) throw new IllegalArgumentException("expected triples R IN OUT, got " + args.length + " numbers");
        int[][] s = new int[args.length / 3][];
        for (int i = 0; i < s.length; i++) {
            s[i] = new int[] {Integer.parseInt(args[3 * i]), Integer.parseInt(args[3 * i + 1]), Integer.parseInt(args[3 * i + 2])};
        }
        return s;
    }
}
