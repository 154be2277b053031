package dip.eval;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Fréchet distance between two Gaussians fitted to feature sets (the "FID" formula, with our own features):
 * FD = |μ1 − μ2|² + Tr(Σ1 + Σ2 − 2·(Σ1Σ2)^½). Σ1Σ2 is not symmetric, so its square root is taken in the
 * similar, symmetric form Tr((Σ1Σ2)^½) = Tr((√Σ1 · Σ2 · √Σ1)^½): two symmetric eigen-decompositions (EJML),
 * eigenvalues clamped at 0 (covariances are PSD up to rounding). Double precision throughout.
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    /** FD between the Gaussians of two feature sets of the same dimension. */
    public static double distance(FeatureStats a, FeatureStats b) {
        if (a.dim() != b.dim()) throw new IllegalArgumentException("feature dims differ: " + a.dim() + " vs " + b.dim());
        return distance(a.mean(), a.cov(), b.mean(), b.cov());
    }

    /** FD from means (d) and covariances (d×d). */
    public static double distance(double[] mu1, DMatrixRMaj sigma1, double[] mu2, DMatrixRMaj sigma2) {
        int d = mu1.length;
        double meanTerm = 0;
        for (int i = 0; i < d; i++) meanTerm += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
        DMatrixRMaj root1 = sqrtPsd(sigma1);
        DMatrixRMaj tmp = new DMatrixRMaj(d, d), m = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(root1, sigma2, tmp);
        CommonOps_DDRM.mult(tmp, root1, m);                              // √Σ1 Σ2 √Σ1: symmetric PSD
        double traceSqrt = 0;
        for (double lambda : symmetricEigenvalues(m)) traceSqrt += Math.sqrt(Math.max(0, lambda));
        return meanTerm + CommonOps_DDRM.trace(sigma1) + CommonOps_DDRM.trace(sigma2) - 2 * traceSqrt;
    }

    /** The PSD square root R of a symmetric PSD matrix A (R·R = A, R symmetric): V·diag(√max(λ, 0))·Vᵀ. */
    public static DMatrixRMaj sqrtPsd(DMatrixRMaj a) {
        int d = a.numRows;
        DMatrixRMaj sym = symmetrized(a);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(sym)) throw new IllegalStateException("eigen-decomposition failed (" + d + "×" + d + ")");
        DMatrixRMaj r = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            double s = Math.sqrt(Math.max(0, eig.getEigenvalue(k).getReal()));
            DMatrixRMaj v = eig.getEigenVector(k);                       // (d, 1), unit length
            for (int i = 0; i < d; i++) {
                double vi = v.get(i, 0) * s;
                for (int j = 0; j < d; j++) r.add(i, j, vi * v.get(j, 0));
            }
        }
        return r;
    }

    private static double[] symmetricEigenvalues(DMatrixRMaj a) {
        int d = a.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, false, true);
        if (!eig.decompose(symmetrized(a))) throw new IllegalStateException("eigen-decomposition failed (" + d + "×" + d + ")");
        double[] out = new double[d];
        for (int k = 0; k < d; k++) out[k] = eig.getEigenvalue(k).getReal();
        return out;
    }

    /** (A + Aᵀ)/2: removes the rounding asymmetry of products, so the symmetric solver applies. */
    private static DMatrixRMaj symmetrized(DMatrixRMaj a) {
        if (a.numRows != a.numCols) throw new IllegalArgumentException("not square: " + a.numRows + "×" + a.numCols);
        DMatrixRMaj s = new DMatrixRMaj(a.numRows, a.numCols);
        for (int i = 0; i < a.numRows; i++) {
            for (int j = 0; j < a.numCols; j++) s.set(i, j, 0.5 * (a.get(i, j) + a.get(j, i)));
        }
        return s;
    }
}
