package dip.eval;

import dip.util.Rng;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Fréchet distance: closed forms, square root, symmetry, identical and different sets. */
class FrechetDistanceTest {

    static DMatrixRMaj randomSpd(Rng rng, int d, int rank, double ridge) {
        var m = new DMatrixRMaj(rank, d);
        for (int i = 0; i < rank * d; i++) m.data[i] = rng.nextGaussian();
        var a = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransA(m, m, a);                    // MᵀM: PSD of the given rank
        for (int i = 0; i < d; i++) a.add(i, i, ridge);
        return a;
    }

    static void assertMatrixClose(DMatrixRMaj want, DMatrixRMaj got, double tol) {
        for (int i = 0; i < want.getNumElements(); i++) {
            assertEquals(want.data[i], got.data[i], tol * (1 + Math.abs(want.data[i])), "element " + i);
        }
    }

    @Test
    void squareRootSquaredGivesBackTheMatrix() {
        var rng = new Rng(1);
        for (int[] dr : new int[][]{{7, 7}, {5, 2}, {1, 1}}) {        // full rank, singular (rank 2), 1×1
            DMatrixRMaj a = randomSpd(rng, dr[0], dr[1], dr[0] == dr[1] ? 0.1 : 0);
            DMatrixRMaj r = FrechetDistance.sqrtPsd(a), rr = new DMatrixRMaj(dr[0], dr[0]);
            CommonOps_DDRM.mult(r, r, rr);
            assertMatrixClose(a, rr, 1e-9);
            DMatrixRMaj rt = new DMatrixRMaj(r.numCols, r.numRows);
            CommonOps_DDRM.transpose(r, rt);
            assertMatrixClose(r, rt, 1e-12);                           // the PSD root is symmetric
        }
        // Known: sqrt(diag(4, 9)) = diag(2, 3).
        DMatrixRMaj r = FrechetDistance.sqrtPsd(CommonOps_DDRM.diag(4, 9));
        assertMatrixClose(CommonOps_DDRM.diag(2, 3), r, 1e-12);
    }

    @Test
    void diagonalCaseMatchesTheClosedForm() {
        // Diagonal covariances commute: FD = |Δμ|² + Σ (σ1_i − σ2_i)² = (1 + 0 + 4) + (1 + 0 + 4) = 10.
        double fd = FrechetDistance.distance(new double[]{1, 2, 3}, CommonOps_DDRM.diag(1, 4, 9),
                new double[]{0, 2, 5}, CommonOps_DDRM.diag(4, 4, 1));
        assertEquals(10.0, fd, 1e-10);
    }

    @Test
    void identityAgainstARotatedCovarianceMatchesTheClosedForm() {
        // Σ1 = I, Σ2 = Q·diag(λ)·Qᵀ (not diagonal): FD = Σ (1 − √λ_i)², whatever the rotation Q.
        double c = Math.cos(0.7), s = Math.sin(0.7);
        var q = new DMatrixRMaj(new double[][]{{c, -s, 0}, {s, c, 0}, {0, 0, 1}});
        var tmp = new DMatrixRMaj(3, 3);
        var sigma2 = new DMatrixRMaj(3, 3);
        CommonOps_DDRM.mult(q, CommonOps_DDRM.diag(0.25, 4, 9), tmp);
        CommonOps_DDRM.multTransB(tmp, q, sigma2);
        double fd = FrechetDistance.distance(new double[3], CommonOps_DDRM.identity(3), new double[3], sigma2);
        assertEquals(0.25 + 1 + 4, fd, 1e-9);
    }

    static float[] gaussianFeatures(Rng rng, int n, int d, float[] mu, DMatrixRMaj factor) {
        float[] f = new float[n * d];
        double[] z = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) z[j] = rng.nextGaussian();
            for (int j = 0; j < d; j++) {
                double v = mu[j];
                for (int k = 0; k < d; k++) v += factor.get(j, k) * z[k];
                f[i * d + j] = (float) v;
            }
        }
        return f;
    }

    @Test
    void realVersusRealIsSmallRealVersusNoiseIsLargeAndItIsSymmetric() {
        var rng = new Rng(2);
        int n = 2000, d = 8;
        float[] mu = new float[d];
        for (int j = 0; j < d; j++) mu[j] = (float) rng.nextGaussian();
        DMatrixRMaj factor = randomSpd(rng, d, d, 0.5);
        var real1 = FeatureStats.of(gaussianFeatures(rng, n, d, mu, factor), n, d);
        var real2 = FeatureStats.of(gaussianFeatures(rng, n, d, mu, factor), n, d);
        float[] noise = new float[n * d];
        rng.fillUniform(noise, noise.length, -3f, 3f);
        var fake = FeatureStats.of(noise, n, d);
        double rr = FrechetDistance.distance(real1, real2), rn = FrechetDistance.distance(real1, fake);
        assertTrue(rr >= -1e-9 && rr < 0.02 * rn, "real-real " + rr + " vs real-noise " + rn);
        assertEquals(rn, FrechetDistance.distance(fake, real1), 1e-9 * rn, "symmetric");
        assertEquals(rr, FrechetDistance.distance(real2, real1), 1e-9 * (1 + rr), "symmetric");
    }

    @Test
    void identicalSetsAreAtDistanceZero() {
        var rng = new Rng(3);
        int n = 300, d = 6;
        float[] f = gaussianFeatures(rng, n, d, new float[d], randomSpd(rng, d, d, 0.1));
        var a = FeatureStats.of(f, n, d);
        var b = FeatureStats.of(f.clone(), n, d);
        assertEquals(0.0, FrechetDistance.distance(a, b), 1e-9);
    }

    @Test
    void statsAreTheUnbiasedMeanAndCovariance() {
        // Rows (1, 2), (3, 2), (5, 8): mean (3, 4); deviations (−2, −2), (0, −2), (2, 4);
        // cov = [[8, 12], [12, 24]] / 2 = [[4, 6], [6, 12]].
        var s = FeatureStats.of(new float[]{1, 2, 3, 2, 5, 8}, 3, 2);
        assertEquals(3.0, s.mean()[0], 1e-12);
        assertEquals(4.0, s.mean()[1], 1e-12);
        assertMatrixClose(new DMatrixRMaj(new double[][]{{4, 6}, {6, 12}}), s.cov(), 1e-12);
    }
}
